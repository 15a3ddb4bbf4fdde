//! A TCP proxy between a client and OpenD (or `capflow sim`) that injects faults into the
//! replies, for the fault-injection tests and `scripts/soak.sh`'s in-test twin.
//!
//! It parses the 44-byte header itself (this file does not use capflow's codec, so a bug there
//! cannot hide a bug here) and applies each injected [`Fault`] once, to the next quote reply
//! (protocol 3xxx) that comes back from upstream on any connection. It also logs the time of
//! every capital-flow request that goes upstream, so a test can check the budget in any window.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::Instant;

const HEADER: usize = 44;
/// A body larger than this is not a reply we want to buffer: the proxy closes the connection.
const MAX_BODY: u32 = 16 << 20;

/// What to do to the next quote reply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Send part of the packet, then drop the connection (both directions).
    DropMidPacket,
    /// Hold this reply (and everything after it on that connection) for this long.
    Stall(Duration),
    /// Send 64 bytes of garbage before the reply.
    Garbage,
    /// Flip one byte of the reply's SHA-1.
    FlipSha1,
    /// Send the header and half the body, then close the write side (the client sees EOF).
    TruncateAndClose,
    /// Give the reply a serial no request has.
    UnknownSerial,
    /// Send this reply after the next one (or after 2 s if none comes).
    OutOfOrder,
    /// Give the reply another protocol ID (3211 ↔ 3212, others → 3999).
    WrongProtoId,
}

#[derive(Default)]
struct Shared {
    faults: Mutex<VecDeque<Fault>>,
    applied: Mutex<Vec<(Fault, u32)>>,
    flow_requests: Mutex<Vec<Instant>>,
    connections: AtomicUsize,
}

/// A running proxy; it stops when dropped.
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl FaultProxy {
    /// Listens on 127.0.0.1:0 and forwards every connection to `upstream`.
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("local addr");
        let shared = Arc::new(Shared::default());
        let s = Arc::clone(&shared);
        let accept = tokio::spawn(async move {
            let mut conns = tokio::task::JoinSet::new();
            while let Ok((client, _)) = listener.accept().await {
                s.connections.fetch_add(1, Ordering::SeqCst);
                let s = Arc::clone(&s);
                conns.spawn(async move {
                    if let Ok(up) = TcpStream::connect(upstream).await {
                        relay(client, up, s).await;
                    }
                });
            }
        });
        FaultProxy {
            addr,
            shared,
            accept,
        }
    }

    /// The address clients connect to.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queues `fault` for the next quote reply.
    pub fn inject(&self, fault: Fault) {
        self.shared
            .faults
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(fault);
    }

    /// Faults applied so far, in order.
    pub fn applied(&self) -> Vec<Fault> {
        self.applied_to().into_iter().map(|(f, _)| f).collect()
    }

    /// Faults applied so far, in order, with the protocol ID of the reply each one hit.
    pub fn applied_to(&self) -> Vec<(Fault, u32)> {
        self.shared
            .applied
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// Connections accepted so far (1 + reconnects, for one client).
    pub fn connections(&self) -> usize {
        self.shared.connections.load(Ordering::SeqCst)
    }

    /// Times at which capital-flow requests (3211) went upstream.
    pub fn flow_requests(&self) -> Vec<Instant> {
        self.shared
            .flow_requests
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The most capital-flow requests in any window of `window`.
    pub fn max_flow_requests_in(&self, window: Duration) -> usize {
        let t = self.flow_requests();
        (0..t.len())
            .map(|i| t[i..].iter().take_while(|&&x| x - t[i] < window).count())
            .max()
            .unwrap_or(0)
    }
}

/// Reads one packet (header + body); `None` at EOF or on a header that is not OpenD's.
async fn read_packet(r: &mut (impl AsyncRead + Unpin)) -> Option<([u8; HEADER], Vec<u8>)> {
    let mut h = [0u8; HEADER];
    r.read_exact(&mut h).await.ok()?;
    if &h[0..2] != b"FT" {
        return None;
    }
    let len = u32::from_le_bytes([h[12], h[13], h[14], h[15]]);
    if len > MAX_BODY {
        return None;
    }
    let mut body = vec![0u8; len as usize];
    r.read_exact(&mut body).await.ok()?;
    Some((h, body))
}

fn proto_of(h: &[u8; HEADER]) -> u32 {
    u32::from_le_bytes([h[2], h[3], h[4], h[5]])
}

fn set_u32(h: &mut [u8; HEADER], at: usize, v: u32) {
    h[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

async fn relay(client: TcpStream, upstream: TcpStream, shared: Arc<Shared>) {
    let (mut cr, mut cw) = client.into_split();
    let (mut ur, mut uw) = upstream.into_split();
    let up = {
        let shared = Arc::clone(&shared);
        async move {
            while let Some((h, body)) = read_packet(&mut cr).await {
                if proto_of(&h) == 3211 {
                    shared
                        .flow_requests
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .push(Instant::now());
                }
                if uw.write_all(&h).await.is_err() || uw.write_all(&body).await.is_err() {
                    return;
                }
            }
        }
    };
    let down = async move {
        let mut held: Option<Vec<u8>> = None;
        loop {
            let next = if held.is_some() {
                if let Ok(p) =
                    tokio::time::timeout(Duration::from_secs(2), read_packet(&mut ur)).await
                {
                    p
                } else {
                    // Nothing came after the held reply: send it now.
                    let bytes = held.take().unwrap_or_default();
                    if cw.write_all(&bytes).await.is_err() {
                        return;
                    }
                    continue;
                }
            } else {
                read_packet(&mut ur).await
            };
            let Some((mut h, body)) = next else { return };
            let proto = proto_of(&h);
            let fault = if (3000..4000).contains(&proto) {
                shared
                    .faults
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .pop_front()
            } else {
                None
            };
            if let Some(f) = fault {
                shared
                    .applied
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push((f, proto));
            }
            let mut out = Vec::with_capacity(HEADER + body.len());
            match fault {
                None | Some(Fault::OutOfOrder) => {}
                Some(Fault::DropMidPacket) => {
                    let _ = cw.write_all(&h[..20]).await;
                    return;
                }
                Some(Fault::TruncateAndClose) => {
                    let _ = cw.write_all(&h).await;
                    let _ = cw.write_all(&body[..body.len() / 2]).await;
                    let _ = cw.shutdown().await;
                    // Keep the other direction open until the client gives up on it.
                    std::future::pending::<()>().await;
                }
                Some(Fault::Stall(d)) => tokio::time::sleep(d).await,
                Some(Fault::Garbage) => {
                    out.extend((0..64u8).map(|i| i.wrapping_mul(37) | 0x80));
                }
                Some(Fault::FlipSha1) => h[16] ^= 0xff,
                Some(Fault::UnknownSerial) => {
                    let serial = u32::from_le_bytes([h[8], h[9], h[10], h[11]]);
                    set_u32(&mut h, 8, serial ^ 0x4000_0000);
                }
                Some(Fault::WrongProtoId) => {
                    let other = match proto {
                        3211 => 3212,
                        3212 => 3211,
                        _ => 3999,
                    };
                    set_u32(&mut h, 2, other);
                }
            }
            out.extend_from_slice(&h);
            out.extend_from_slice(&body);
            if fault == Some(Fault::OutOfOrder) {
                held = Some(out);
                continue;
            }
            if cw.write_all(&out).await.is_err() {
                return;
            }
            if let Some(bytes) = held.take()
                && cw.write_all(&bytes).await.is_err()
            {
                return;
            }
        }
    };
    // Whichever direction ends first closes both.
    tokio::select! {
        () = up => {}
        () = down => {}
    }
}
