//! The server clock under paused tokio time against a scaled clock like the simulator's.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::*;
use crate::clock::ScaledClock;

/// What OpenD sends: its clock's time in whole seconds, cut down.
fn whole(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(t.timestamp(), 0).unwrap()
}

fn apart(a: DateTime<Utc>, b: DateTime<Utc>) -> f64 {
    (a - b).abs().to_std().unwrap().as_secs_f64()
}

#[tokio::test(start_paused = true)]
async fn a_simulator_at_10x_is_followed_within_2_s_after_60_s() {
    let sim = ScaledClock::new(Utc::now() - TimeDelta::days(30), 10.0);
    let c = ServerClock::default();
    // `record`'s probe reads GetGlobalState once: the offset is known, the rate not yet.
    let note = c.learn(whole(sim.now()), Utc::now()).unwrap();
    assert!(
        note.contains("market sessions follow OpenD's clock"),
        "{note}"
    );
    assert!(apart(c.now(), sim.now()) < 1.0);
    // Then a KeepAlive every 8 s (and GetGlobalState every 60 s) teach it the rate.
    let mut notes = Vec::new();
    for i in 1..=7 {
        tokio::time::advance(Duration::from_secs(8)).await;
        notes.extend(c.learn(whole(sim.now()), Utc::now()));
        if i == 7 {
            tokio::time::advance(Duration::from_secs(4)).await;
            notes.extend(c.learn(whole(sim.now()), Utc::now()));
        }
    }
    assert_eq!(notes.len(), 1, "one note when the rate is found: {notes:?}");
    assert!(notes[0].contains("runs at 10.00× real time"), "{notes:?}");
    // 60 s after the first reading, between two readings.
    tokio::time::advance(Duration::from_secs(4)).await;
    assert!(
        apart(c.now(), sim.now()) < 2.0,
        "{} vs {}",
        c.now(),
        sim.now()
    );
    assert!((c.speed() - 10.0).abs() < 0.1, "{}", c.speed());
    // And it keeps up for the next ten minutes.
    for _ in 0..75 {
        tokio::time::advance(Duration::from_secs(8)).await;
        assert!(c.learn(whole(sim.now()), Utc::now()).is_none());
        assert!(apart(c.now(), sim.now()) < 1.0);
    }
}

#[tokio::test(start_paused = true)]
async fn a_real_opend_leaves_this_machines_clock() {
    let c = ServerClock::default();
    let local = Utc::now();
    assert!(c.learn(local + TimeDelta::seconds(5), local).is_none());
    // Paused time: this machine's clock is moved along by hand.
    tokio::time::advance(Duration::from_secs(8)).await;
    let later = local + TimeDelta::seconds(8);
    assert!(c.learn(later + TimeDelta::seconds(4), later).is_none());
    assert!(apart(c.now(), Utc::now()) < 0.5);
    assert_eq!(c.speed(), 1.0);
    // A single reading 30 h away is a stray time once the clock is known: set aside.
    let server = later - TimeDelta::hours(30);
    assert!(c.learn(server, later).is_none());
    assert!(apart(c.now(), Utc::now()) < 0.5);
    // A simulator on another day, from its first reading: followed, said once.
    let c = ServerClock::default();
    let note = c.learn(server, Utc::now()).unwrap();
    assert!(
        note.contains(&server.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
        "{note}"
    );
    assert!(apart(c.now(), server) < 1.0);
    tokio::time::advance(Duration::from_secs(8)).await;
    assert!(
        c.learn(server + TimeDelta::seconds(8), Utc::now())
            .is_none(),
        "nothing new"
    );
}

#[tokio::test(start_paused = true)]
async fn times_too_far_away_are_ignored_and_said_once() {
    let c = ServerClock::default();
    let local = Utc::now();
    let server = local - TimeDelta::days(400);
    assert!(c.learn(server, local).is_some());
    let mut notes = Vec::new();
    for t in [
        DateTime::<Utc>::MAX_UTC,
        DateTime::<Utc>::MIN_UTC,
        DateTime::<Utc>::UNIX_EPOCH,
        DateTime::from_timestamp(-1, 0).unwrap(),
        DateTime::from_timestamp(-62_135_596_800, 0).unwrap(),
        local + MAX_SERVER_SKEW + TimeDelta::seconds(1),
    ] {
        notes.extend(c.learn(t, local));
        assert!(apart(c.now(), server) < 1.0, "{t}");
    }
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].contains("ignored"), "{notes:?}");
    // Local clocks at chrono's limits do not panic either.
    let _ = c.learn(DateTime::<Utc>::MIN_UTC, DateTime::<Utc>::MAX_UTC);
    let _ = c.learn(DateTime::<Utc>::MAX_UTC, DateTime::<Utc>::MIN_UTC);
    assert!(apart(c.now(), server) < 1.0);
}
