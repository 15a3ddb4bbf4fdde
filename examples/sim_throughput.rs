//! How many capital-flow requests per second `capflow sim` serves, rate limits off.
//!
//! `cargo run --release --example sim_throughput [CLIENTS] [SECONDS]` (default 8 clients, 5 s):
//! starts the simulator in-process on 127.0.0.1:0 with its clock frozen at 15:00 Hong Kong time
//! (about 270 intraday items per reply), then N `opend::Client`s each hammer Qot_GetCapitalFlow
//! INTRADAY for HK.00700 one request at a time. Clients and server share the same runtime and
//! cores, so the figure is a lower bound for the server alone.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use capflow::flow::{Period, SecurityCode};
use capflow::opend::{Client, ConnectOptions, FlowRequest, Gateway};
use capflow::sim::{SimConfig, start};
use chrono::{DateTime, Utc};

#[tokio::main]
#[expect(
    clippy::cast_precision_loss,
    reason = "report arithmetic on counts far below 2^52"
)]
async fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let clients: usize = args.next().map_or(Ok(8), |s| s.parse())?;
    let seconds: u64 = args.next().map_or(Ok(5), |s| s.parse())?;
    let now: DateTime<Utc> = DateTime::parse_from_rfc3339("2026-11-25T07:00:00Z")?.into();
    let mut cfg = SimConfig::at(now);
    cfg.rate_limit = false;
    let sim = start(cfg).await?;
    let addr = sim.addr().to_string();
    let code: SecurityCode = "HK.00700".parse()?;
    let req = FlowRequest {
        code,
        period: Period::Intraday,
        range: None,
    };
    let done = Arc::new(AtomicU64::new(0));
    let items = Arc::new(AtomicU64::new(0));
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let began = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..clients {
        let c = Client::connect(ConnectOptions::new(addr.clone())).await?;
        let (done, items, req) = (Arc::clone(&done), Arc::clone(&items), req.clone());
        tasks.push(tokio::spawn(async move {
            while Instant::now() < deadline {
                let f = c.capital_flow(&req).await?;
                items.fetch_add(f.items.len() as u64, Ordering::Relaxed);
                done.fetch_add(1, Ordering::Relaxed);
            }
            c.close();
            anyhow::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    let secs = began.elapsed().as_secs_f64();
    let n = done.load(Ordering::Relaxed);
    println!(
        "{clients} clients, {secs:.1} s: {n} requests, {:.0} requests/s ({:.0} intraday items/reply)",
        n as f64 / secs,
        items.load(Ordering::Relaxed) as f64 / n.max(1) as f64
    );
    sim.shutdown().await;
    Ok(())
}
