//! The poller task. (Being built; see issue 4.)

use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::{PollCommand, PollEvent, PollerConfig};
use crate::opend::Connector;

/// Runs the poller until `token` is cancelled or the command channel closes.
pub async fn run<C: Connector>(
    connector: C,
    config: PollerConfig,
    mut commands: mpsc::Receiver<PollCommand>,
    events: mpsc::Sender<PollEvent>,
    token: CancellationToken,
) {
    let _ = (connector, config, events);
    loop {
        tokio::select! {
            () = token.cancelled() => break,
            c = commands.recv() => if c.is_none() { break },
        }
    }
}
