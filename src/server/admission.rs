//! Which connections a server keeps: at most `max` at once, counting those still in the
//! handshake (accepted, InitConnect not yet answered) and those past it. No IO, no clock.
//!
//! When the server is full, a new connection takes the place of the oldest one still in the
//! handshake, if there is one, and is refused only when every slot has completed InitConnect.
//! A real client finishes InitConnect within a round trip, so a flood of connections that never
//! send it churns among its own sockets instead of locking real clients out for the whole
//! handshake timeout; connections past InitConnect are never displaced.

use std::collections::BTreeMap;

use tokio_util::sync::CancellationToken;

/// What to do with a newly accepted connection.
#[derive(Debug, Clone)]
pub enum Admission {
    /// There was a free slot.
    Admitted,
    /// Admitted in place of the oldest connection still in the handshake: cancel this token.
    Displaced(CancellationToken),
    /// Every slot is past InitConnect: close the new connection.
    Refused,
}

/// The slots of one server, keyed by a connection sequence number (increasing with accept
/// order, so the smallest key in the handshake is the oldest).
#[derive(Debug)]
pub struct Slots {
    max: usize,
    handshaking: BTreeMap<u64, CancellationToken>,
    ready: usize,
}

impl Slots {
    /// At most `max` connections at once (at least one).
    pub fn new(max: usize) -> Self {
        Slots {
            max: max.max(1),
            handshaking: BTreeMap::new(),
            ready: 0,
        }
    }

    /// Connections holding a slot.
    pub fn len(&self) -> usize {
        self.handshaking.len() + self.ready
    }

    /// Decides on connection `seq`, which closes itself when `token` is cancelled. An admitted
    /// connection is in the handshake until [`Slots::ready`].
    pub fn admit(&mut self, seq: u64, token: CancellationToken) -> Admission {
        if self.len() < self.max {
            self.handshaking.insert(seq, token);
            return Admission::Admitted;
        }
        match self.handshaking.pop_first() {
            Some((_, oldest)) => {
                self.handshaking.insert(seq, token);
                Admission::Displaced(oldest)
            }
            None => Admission::Refused,
        }
    }

    /// Connection `seq` completed InitConnect. `false` if it had been displaced meanwhile (it no
    /// longer holds a slot and must close).
    pub fn ready(&mut self, seq: u64) -> bool {
        if self.handshaking.remove(&seq).is_some() {
            self.ready += 1;
            true
        } else {
            false
        }
    }

    /// Connection `seq` closed; `was_ready` is what [`Slots::ready`] returned for it, `false` if
    /// it never got there.
    pub fn release(&mut self, seq: u64, was_ready: bool) {
        if was_ready {
            self.ready = self.ready.saturating_sub(1);
        } else {
            self.handshaking.remove(&seq);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_slots_displace_the_oldest_handshake_then_refuse() {
        let mut s = Slots::new(3);
        let t: Vec<CancellationToken> = (0..6).map(|_| CancellationToken::new()).collect();
        for (seq, tok) in (0..).zip(&t[..3]) {
            assert!(matches!(s.admit(seq, tok.clone()), Admission::Admitted));
        }
        assert!(s.ready(1));
        // Full: the oldest connection still in the handshake (0) makes room.
        let Admission::Displaced(oldest) = s.admit(3, t[3].clone()) else {
            panic!("expected the oldest handshake to be displaced");
        };
        oldest.cancel();
        assert!(t[0].is_cancelled() && !t[2].is_cancelled());
        assert_eq!(s.len(), 3);
        // 0 finishing its handshake late, or closing, changes nothing.
        assert!(!s.ready(0));
        s.release(0, false);
        assert_eq!(s.len(), 3);
        assert!(s.ready(2));
        assert!(s.ready(3));
        // Everyone is past InitConnect: refused, and the count is unchanged.
        assert!(matches!(s.admit(4, t[4].clone()), Admission::Refused));
        assert_eq!(s.len(), 3);
        // A ready connection closing frees its slot.
        s.release(2, true);
        assert!(matches!(s.admit(5, t[5].clone()), Admission::Admitted));
        s.release(5, false);
        s.release(1, true);
        s.release(3, true);
        assert_eq!(s.len(), 0);
    }
}
