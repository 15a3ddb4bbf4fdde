//! Item 1 (one day per screen: every pane of a recorded day shows that day, its titles keep
//! the date) and item 6 (one figure per quantity: the newer of 3211 and 3212, said where from).

#[allow(clippy::wildcard_imports)]
use super::*;

/// Item 1: after `[` every pane of the focused stock shows the recorded day, each title names
/// the date, and nothing of today's live 3212 remains.
#[test]
fn a_recorded_day_is_the_day_of_every_pane() {
    snap(
        "recorded_every_pane",
        |a| {
            a.simulated = Some("SIMULATED market (seed 1)".into());
            step_back(a, true);
        },
        |size, l| {
            let s = l.join("\n");
            assert!(
                !s.contains("today"),
                "{size:?}: today's figures on a recorded day\n{s}"
            );
            assert!(!s.contains("split now"), "{size:?}\n{s}");
            let titles: Vec<&String> = l
                .iter()
                .filter(|l| l.contains('┌') && l.contains("recorded"))
                .collect();
            assert!(!titles.is_empty(), "{size:?}\n{s}");
            assert!(
                titles.iter().all(|t| t.contains("2026-11-24 recorded")),
                "{size:?}: a title cut before its date\n{s}"
            );
            if size.0 >= 140 {
                // The overview under the list is the day's: its title and its 3212 sample.
                assert!(
                    s.contains("Trade Overview · HK.00700 Tencent · 2026-11-24 recorded"),
                    "{s}"
                );
                assert!(
                    s.contains("capital distribution of 2026-11-24 (3212)"),
                    "{s}"
                );
                assert!(s.contains("split 2026-11-24"), "{s}");
            } else {
                // Folded into the detail: the day's 3212 figures, stamped 16:00:00.
                assert!(l.iter().any(|l| l.contains("│16:00:00    super")), "{s}");
            }
        },
    );
}

/// Item 1: a recorded day without a stored distribution says so, never today's.
#[test]
fn a_recorded_day_without_a_distribution_says_so() {
    snap(
        "recorded_no_distribution",
        |a| step_back(a, false),
        |size, l| {
            let s = l.join("\n");
            assert!(
                s.contains("no distribution recorded for this day"),
                "{size:?}\n{s}"
            );
            assert!(!s.contains("capital distribution today"), "{size:?}\n{s}");
        },
    );
}

/// Item 1: a long name is shortened with "…" before a title loses its date.
#[test]
fn a_recorded_title_keeps_its_date_over_a_long_name() {
    for size in SIZES {
        let mut a = fixture::app(12, fixed_now(), size);
        a.simulated = Some("SIMULATED".into());
        a.stocks.get_mut(&code("HK.00700")).unwrap().name =
            Some("Tencent Holdings Limited, a company listed on the Hong Kong exchange".into());
        step_back(&mut a, true);
        let l = lines(draw(&a).backend().buffer());
        let titles: Vec<&String> = l
            .iter()
            .filter(|l| l.contains('┌') && l.contains(" recorded"))
            .collect();
        assert!(!titles.is_empty(), "{size:?}\n{}", l.join("\n"));
        for t in titles {
            assert!(t.contains("2026-11-24 recorded"), "{size:?}: {t}");
            assert!(t.contains("Tencent") && t.contains('…'), "{size:?}: {t}");
        }
    }
}

/// HK.00700's 3211 fetched after its 3212, its last minute saying otherwise: the newer figure.
fn newer_flow(a: &mut App) {
    let c = code("HK.00700");
    let mut flow = fixture::intraday(&c, a.now);
    if let Some(last) = flow.items.last_mut() {
        last.split.super_ -= 2.5e6;
        last.in_flow = last.split.total();
    }
    // Five seconds on: after the fixture's distribution and day rows.
    a.update(Action::Tick(a.now + Duration::seconds(5)));
    a.update(Action::Poll(PollEvent::Flow {
        code: c,
        flow,
        fetched_at: a.now,
    }));
}

/// Item 6: where 3211 and 3212 disagree, every pane shows the newer figure and says which.
#[test]
fn one_figure_per_quantity_and_its_source() {
    snap("one_figure", newer_flow, |size, l| {
        let s = l.join("\n");
        let c = code("HK.00700");
        // The fixture's net +118M less 2.5M: the newer 3211.
        let a = fixture::app(12, fixed_now(), size);
        let old = crate::flow::human(a.data(&c).unwrap().net().unwrap(), a.units);
        let new = crate::flow::human(a.data(&c).unwrap().net().unwrap() - 2.5e6, a.units);
        assert_ne!(old, new);
        assert!(
            !s.contains(&old),
            "{size:?}: the older figure {old} shown\n{s}"
        );
        let row = l.iter().find(|l| l.contains("│HK.00700")).unwrap();
        assert!(row.contains(&new), "{size:?}: {row}");
        if size.0 >= 140 {
            assert!(s.contains("net from 3211 14:10:00 HKT (newer)"), "{s}");
            assert!(s.contains("split now · 3211"), "{s}");
        } else {
            assert!(
                l.iter()
                    .any(|l| l.contains("│net 3211") && l.contains(&new)),
                "{s}"
            );
        }
    });
}

/// Item 6: today's bar of the day history is the live total when that is newer than OpenD's
/// day row, and says so.
#[test]
fn todays_day_bar_is_the_newer_live_total() {
    snap(
        "day_today_live",
        |a| {
            a.update(Action::View(Period::Day));
            newer_flow(a);
        },
        |size, l| {
            let s = l.join("\n");
            let a = fixture::app(12, fixed_now(), size);
            let c = code("HK.00700");
            let net = crate::flow::human(a.data(&c).unwrap().net().unwrap() - 2.5e6, a.units);
            let v = l
                .iter()
                .find(|l| l.contains("2026-11-25  in_flow"))
                .unwrap();
            assert!(v.contains(&format!("in_flow {net}")), "{size:?}: {v}\n{s}");
            // Said whole where the line has room, shortened where not, never cut.
            assert!(v.contains("· live"), "{size:?}: {v}");
            let full = v.contains("· live, from 3211 14:10:00 HKT");
            assert!(full || v.contains("· live 3211 14:10:00"), "{size:?}: {v}");
        },
    );
}
