//! The estimator on synthetic readings: OpenD's times are whole seconds, cut down, as the
//! simulator and OpenD send them.

use super::*;

/// 2026-11-25 02:00:00 UTC (HK 10:00).
const S0: f64 = 1_764_036_000.0;
/// This machine's clock: a month later (a simulator started with `--now` in the past).
const W0: f64 = S0 + 30.0 * 86_400.0;
const SKEW: f64 = 3653.0 * 86_400.0;

/// A reading of a server clock `server_at` taken at local time `t`, delivered `delay` later.
fn reading(t: f64, delay: f64, server_at: impl Fn(f64) -> f64) -> Reading {
    Reading {
        local: t + delay,
        server: server_at(t).floor() + 0.5,
        wall: W0 + t + delay,
    }
}

/// The moments OpenD's time is read: `record`'s probe, the poller's first GetGlobalState,
/// then a KeepAlive every 8 s and a GetGlobalState every 60 s.
fn schedule(until: f64) -> Vec<f64> {
    let mut t: Vec<f64> = vec![0.0, 0.1];
    let mut k = 8.0;
    while k <= until {
        t.push(k);
        k += 8.0;
    }
    let mut g = 60.1;
    while g <= until {
        t.push(g);
        g += 60.0;
    }
    t.sort_by(f64::total_cmp);
    t
}

fn error_at(e: &Estimator, t: f64, truth: impl Fn(f64) -> f64) -> f64 {
    match e.model() {
        Model::System => (W0 + t - truth(t)).abs(),
        Model::Follow(l) => (l.at(t) - truth(t)).abs(),
    }
}

#[test]
fn a_steady_rate_is_followed_within_a_second() {
    let sim = |t: f64| S0 + 10.0 * t;
    let mut e = Estimator::default();
    let mut worst_after_first_keepalive: f64 = 0.0;
    for t in schedule(600.0) {
        assert_eq!(e.push(reading(t, 0.0, sim), SKEW), Taken::Kept, "{t}");
        // Just before the next reading is where the estimate is worst.
        if t >= 8.0 {
            worst_after_first_keepalive =
                worst_after_first_keepalive.max(error_at(&e, t + 7.9, sim));
        }
    }
    assert!(
        worst_after_first_keepalive < 1.5,
        "{worst_after_first_keepalive}"
    );
    assert!(error_at(&e, 600.0, sim) < 1.0);
    assert!((e.model().rate() - 10.0).abs() < 0.01, "{:?}", e.model());
    // After a minute: within 2 s (an offset learned once would be 540 s behind).
    let mut e = Estimator::default();
    for t in schedule(60.0) {
        e.push(reading(t, 0.0, sim), SKEW);
    }
    assert!(error_at(&e, 60.0, sim) < 1.0, "{:?}", e.model());
}

#[test]
fn jitter_is_ignored() {
    let mut rng = fastrand::Rng::with_seed(7);
    // 10×, replies delayed 0 to 50 ms (0.5 market seconds).
    let sim = |t: f64| S0 + 10.0 * t;
    let mut e = Estimator::default();
    for t in schedule(300.0) {
        e.push(reading(t, rng.f64() * 0.05, sim), SKEW);
    }
    assert!(error_at(&e, 300.0, sim) < 1.0, "{:?}", e.model());
    // A real OpenD (1×, 3 s off, replies delayed up to 1 s): this machine's clock, exactly.
    let opend = |t: f64| W0 + 3.0 + t;
    let mut e = Estimator::default();
    for t in schedule(600.0) {
        e.push(reading(t, rng.f64(), opend), SKEW);
        assert_eq!(e.model(), Model::System, "{t}");
    }
    // A simulator at 1× on another day: rate exactly 1.
    let past = |t: f64| S0 + t;
    let mut e = Estimator::default();
    for t in schedule(600.0) {
        e.push(reading(t, rng.f64() * 0.2, past), SKEW);
    }
    let Model::Follow(l) = e.model() else {
        panic!("{:?}", e.model())
    };
    assert_eq!(l.rate, 1.0);
    assert!(error_at(&e, 600.0, past) < 1.0);
}

#[test]
fn a_frozen_clock_has_rate_zero() {
    let frozen = |_: f64| S0;
    let mut e = Estimator::default();
    for t in schedule(120.0) {
        e.push(reading(t, 0.0, frozen), SKEW);
    }
    assert_eq!(e.model().rate(), 0.0);
    assert!(error_at(&e, 120.0, frozen) < 1.0);
}

#[test]
fn a_clock_that_jumps_back_is_followed_after_three_readings() {
    // 10×, then restarted an hour earlier at t = 100.
    let before = |t: f64| S0 + 10.0 * t;
    let after = |t: f64| S0 - 3600.0 + 10.0 * t;
    let clock = |t: f64| if t < 100.0 { before(t) } else { after(t) };
    let mut e = Estimator::default();
    let mut taken = Vec::new();
    for t in schedule(200.0) {
        let r = e.push(reading(t, 0.0, clock), SKEW);
        if t >= 100.0 {
            taken.push(r);
        }
        // Until the jump is confirmed, the clock keeps the old course.
        if t >= 100.0 && r == Taken::Doubted {
            assert!(error_at(&e, t, before) < 1.5);
        }
    }
    assert_eq!(
        &taken[..3],
        [Taken::Doubted, Taken::Doubted, Taken::Jumped],
        "{taken:?}"
    );
    assert!(taken[3..].iter().all(|t| *t == Taken::Kept), "{taken:?}");
    assert!(error_at(&e, 200.0, after) < 1.5, "{:?}", e.model());
    assert!((e.model().rate() - 10.0).abs() < 0.05);
}

#[test]
fn garbage_times_move_nothing() {
    let sim = |t: f64| S0 + 10.0 * t;
    let mut rng = fastrand::Rng::with_seed(3);
    let mut e = Estimator::default();
    for (i, t) in schedule(600.0).into_iter().enumerate() {
        e.push(reading(t, 0.0, sim), SKEW);
        if i > 4 && i % 3 == 0 {
            // A stray time anywhere within ten years, once in a while: set aside.
            let stray = Reading {
                server: W0 + (rng.f64() - 0.5) * SKEW,
                ..reading(t + 0.2, 0.0, sim)
            };
            assert_eq!(e.push(stray, SKEW), Taken::Doubted);
        }
        if t > 20.0 {
            assert!(error_at(&e, t, sim) < 1.5, "{t}: {:?}", e.model());
        }
    }
    // Times beyond the bound, or not numbers: ignored, said once per run.
    let far = |server: f64| Reading {
        local: 700.0,
        server,
        wall: W0 + 700.0,
    };
    assert_eq!(e.push(far(0.0), SKEW), Taken::Ignored { first: true });
    assert_eq!(e.push(far(f64::MAX), SKEW), Taken::Ignored { first: false });
    assert_eq!(e.push(far(f64::NAN), SKEW), Taken::Ignored { first: false });
    assert_eq!(
        e.push(far(f64::NEG_INFINITY), SKEW),
        Taken::Ignored { first: false }
    );
    let nan_local = Reading {
        local: f64::NAN,
        ..reading(700.0, 0.0, sim)
    };
    assert_eq!(e.push(nan_local, SKEW), Taken::Ignored { first: false });
    assert!(error_at(&e, 700.0, sim) < 1.5);
    assert_eq!(e.push(reading(701.0, 0.0, sim), SKEW), Taken::Kept);
}

#[test]
fn any_readings_keep_the_rate_within_bounds() {
    let mut rng = fastrand::Rng::with_seed(11);
    for _ in 0..200 {
        let mut e = Estimator::default();
        let mut t = 0.0;
        for _ in 0..50 {
            t += rng.f64() * 20.0;
            let server = match rng.u8(0..4) {
                0 => W0 + (rng.f64() - 0.5) * SKEW,
                1 => W0 + t * rng.f64() * 1e6,
                2 => W0 - t * 1e3,
                _ => W0 + t,
            };
            e.push(
                Reading {
                    local: t,
                    server,
                    wall: W0 + t,
                },
                SKEW,
            );
            let r = e.model().rate();
            assert!((0.0..=MAX_RATE).contains(&r), "{r}");
        }
    }
}

#[test]
fn medians_and_slopes() {
    assert_eq!(median(vec![]), None);
    assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
    assert_eq!(median(vec![4.0, 1.0, 2.0, 3.0]), Some(2.5));
    assert_eq!(median(vec![f64::NAN, 1.0]), Some(1.0));
    let r = |local: f64, server: f64| Reading {
        local,
        server,
        wall: server,
    };
    // Pairs closer than MIN_PAIR_S do not vote.
    assert_eq!(slope(&[r(0.0, 0.0), r(0.1, 50.0)]), None);
    // The long pair outvotes two short ones.
    let s = slope(&[r(0.0, 0.0), r(1.0, 30.0), r(10.0, 100.0)]).unwrap();
    assert!((s - 10.0).abs() < 1e-9, "{s}");
}
