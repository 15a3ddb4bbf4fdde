//! A fault-injecting proxy in front of OpenD or `capflow sim`, for soak runs
//! (`scripts/soak.sh`): it forwards every connection to UPSTREAM and, every PERIOD seconds,
//! breaks the next quote reply in one of eight ways (drop mid-packet, stall, garbage, flipped
//! SHA-1, truncate and close, unknown serial, out of order, wrong protocol ID), in turn.
//!
//! Usage: `cargo run --release --example fault_proxy -- UPSTREAM [PERIOD=20] [STALL=40]`.
//! Prints `listening on ADDR`, then one line per fault, and on Ctrl-C (or SIGTERM) a summary:
//! connections accepted, faults applied, the most capital-flow requests seen in any 30 s.
//! The proxy is the one the integration tests use (`tests/it/common/fault_proxy.rs`).

#[path = "../tests/it/common/fault_proxy.rs"]
#[allow(dead_code, reason = "shared with the tests, which use more of it")]
mod fault_proxy;

use std::time::Duration;

use fault_proxy::{Fault, FaultProxy};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), String> {
    let mut args = std::env::args().skip(1);
    let upstream = args
        .next()
        .ok_or("usage: fault_proxy UPSTREAM [PERIOD=20] [STALL=40]")?
        .parse()
        .map_err(|e| format!("UPSTREAM: {e}: expected IP:PORT"))?;
    let num = |v: Option<String>, default: u64, what: &str| -> Result<u64, String> {
        v.map_or(Ok(default), |s| {
            s.parse().map_err(|e| format!("{what} {s:?}: {e}"))
        })
    };
    let period = Duration::from_secs(num(args.next(), 20, "PERIOD")?.max(1));
    let stall = Duration::from_secs(num(args.next(), 40, "STALL")?);
    let proxy = FaultProxy::start(upstream).await;
    println!("listening on {}", proxy.addr());
    let faults = [
        Fault::DropMidPacket,
        Fault::FlipSha1,
        Fault::Garbage,
        Fault::UnknownSerial,
        Fault::TruncateAndClose,
        Fault::OutOfOrder,
        Fault::WrongProtoId,
        Fault::Stall(stall),
    ];
    let mut tick = tokio::time::interval(period);
    tick.tick().await;
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|e| e.to_string())?;
    let mut n = 0usize;
    loop {
        tokio::select! {
            _ = tick.tick() => {
                let f = faults[n % faults.len()];
                n += 1;
                proxy.inject(f);
                println!("inject {f:?}");
            }
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
        }
    }
    println!(
        "connections {} faults applied {} max capital-flow requests in 30 s {}",
        proxy.connections(),
        proxy.applied().len(),
        proxy.max_flow_requests_in(Duration::from_secs(30))
    );
    Ok(())
}
