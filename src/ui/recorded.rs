//! The recorded-day view: the focused stock's intraday view of a past day read from the local
//! store (`[` / `]`). Every pane of the focused stock shows that day: the detail ([`super::detail`])
//! draws the recorded series, the Trade Overview ([`super::overview`]) the day's last stored
//! distribution and snapshot; each title names the date and says "recorded" (and SIMULATED in
//! the demo), and is never cut before the date: the stock's name is shortened with "…" first.
//! Pure: reads `&App`, never the clock or the store.

use super::text::{ellipsis, width};
use crate::app::App;
use crate::app::recorded::Recorded;
use crate::flow::SecurityCode;

/// The recorded day shown for `code`, when the intraday view shows one.
pub fn shown<'a>(app: &'a App, code: &SecurityCode) -> Option<&'a Recorded> {
    app.recorded
        .as_deref()
        .filter(|r| !app.view.is_history() && r.code == *code)
}

/// A title of `w` cells at most: `before`, the stock's `name`, `dated` (which names the date)
/// and `rest`. Whole when it fits; else `rest` is cut (with "…"); when even `before`, the name
/// and `dated` do not fit, the name is shortened with "…" (or left out) so that the date stays
/// whole. Only a title narrower than `before` and `dated` themselves is cut before the date.
pub fn fit_title(before: &str, name: &str, dated: &str, rest: &str, w: usize) -> String {
    let head = format!("{before}{name}{dated}");
    if width(&head) + width(rest) <= w {
        return format!("{head}{rest}");
    }
    if width(&head) == w {
        return head;
    }
    if width(&head) < w {
        // Cut after the date: the "…" takes a cell the date does not need.
        return ellipsis(&format!("{head}{rest}"), w);
    }
    let room = w.saturating_sub(width(before) + width(dated));
    // A name shorter than two cells says nothing: leave it out ("HK.00700 · 2026-11-24 …").
    let name = if room >= 3 {
        format!("{} ", ellipsis(name.trim_end(), room - 1))
    } else {
        String::new()
    };
    ellipsis(&format!("{before}{name}{dated}"), w)
}

/// The detail panel's title in `w` cells: " HK.00700 Tencent · 2026-11-24 recorded · as of
/// 16:08:00 HKT " (with SIMULATED after "recorded" in the demo).
pub fn title(app: &App, code: &SecurityCode, r: &Recorded, w: usize) -> String {
    let tz = super::tz_label(code, app.now);
    let asof = r
        .flow()
        .and_then(|f| f.last_valid_time.as_deref())
        .map_or_else(String::new, |s| {
            format!(" · as of {} {tz}", s.get(11..).unwrap_or(s))
        });
    let sim = if app.simulated.is_some() {
        " SIMULATED"
    } else {
        ""
    };
    fit_title(
        &format!(" {code} "),
        &format!("{} ", app.display_name(code)),
        &format!("· {} recorded", r.day),
        &format!("{sim}{asof} "),
        w,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_name_is_shortened_before_the_date_is_cut() {
        let t = |w| {
            fit_title(
                " HK.00700 ",
                "Kweichow Moutai ",
                "· 2026-11-24 recorded",
                " · as of 16:00:00 HKT ",
                w,
            )
        };
        assert_eq!(
            t(80),
            " HK.00700 Kweichow Moutai · 2026-11-24 recorded · as of 16:00:00 HKT "
        );
        // The tail goes first, with "…".
        assert_eq!(
            t(52),
            " HK.00700 Kweichow Moutai · 2026-11-24 recorded · a…"
        );
        assert_eq!(t(48), " HK.00700 Kweichow Moutai · 2026-11-24 recorded…");
        assert_eq!(t(47), " HK.00700 Kweichow Moutai · 2026-11-24 recorded");
        // Then the name, with "…"; the date stays whole.
        assert_eq!(t(40), " HK.00700 Kweicho… · 2026-11-24 recorded");
        assert_eq!(t(33), " HK.00700 · 2026-11-24 recorded");
        for w in 31..90 {
            assert!(t(w).contains("2026-11-24 recorded"), "{w}: {}", t(w));
            assert!(width(&t(w)) <= w, "{w}: {}", t(w));
        }
    }
}
