//! The session's side of the prices ([`PriceQueue`](crate::poller::prices::PriceQueue)): after
//! the flow's sends of a turn, one 3103 or 3104 at most in flight, and what the replies mean as
//! events.

use std::ops::ControlFlow;
use std::sync::Arc;

use tokio::time::Instant;

use super::Poller;
use super::session::{Done, End, Session};
use crate::flow::{KLineRequest, KLines};
use crate::opend::Gateway;
use crate::poller::PollEvent;
use crate::poller::prices::{PriceJob, PriceOutcome, PriceStep};

impl Poller {
    /// Starts what the prices queue wants now (after the flow's own sends: prices come last),
    /// and says the notes of the stocks it denied; `Break` when the poller must stop.
    pub(super) async fn start_prices<G: Gateway>(
        &mut self,
        s: &mut Session<G>,
    ) -> ControlFlow<End> {
        while let Some(step) = self.prices.next(Instant::now(), self.clock.now()) {
            match step {
                PriceStep::Send(PriceJob::Quota) => {
                    let gw = Arc::clone(&s.gw);
                    s.inflight
                        .push(Box::pin(async move { Done::Quota(gw.kline_quota().await) }));
                }
                PriceStep::Send(PriceJob::Kline(request)) => {
                    let gw = Arc::clone(&s.gw);
                    s.inflight.push(Box::pin(async move {
                        let result = gw.history_kline(&request).await;
                        Done::KLines { request, result }
                    }));
                    self.publish_status();
                }
                PriceStep::Note { code, note } => {
                    tracing::info!(%code, "{note}");
                    if !self.emit(PollEvent::PriceNote { code, note }).await {
                        return ControlFlow::Break(End::Stop);
                    }
                }
            }
        }
        ControlFlow::Continue(())
    }

    /// A 3103 reply: the bars, or the note, as an event.
    pub(super) async fn on_klines_done(
        &mut self,
        request: &KLineRequest,
        result: crate::opend::Result<KLines>,
    ) -> ControlFlow<End> {
        let ev = match self.prices.on_kline(request, result, Instant::now()) {
            PriceOutcome::KLines {
                code,
                kl_type,
                klines,
                complete_through,
            } => PollEvent::KLines {
                code,
                kl_type,
                klines,
                complete_through,
                fetched_at: self.clock.now(),
            },
            PriceOutcome::Note { code, note } => PollEvent::PriceNote { code, note },
            PriceOutcome::Quiet => {
                self.publish_status();
                return ControlFlow::Continue(());
            }
        };
        if self.emit(ev).await {
            ControlFlow::Continue(())
        } else {
            ControlFlow::Break(End::Stop)
        }
    }
}
