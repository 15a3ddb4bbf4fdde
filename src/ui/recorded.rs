//! The recorded-day view: the focused stock's intraday view of a past day read from the local
//! store (`[` / `]`). It is the live intraday view ([`super::detail`]) drawn over the recorded
//! series, under a title that names the date and says "recorded" (and SIMULATED in the demo).
//! Pure: reads `&App`, never the clock or the store.

use crate::app::App;
use crate::app::recorded::Recorded;
use crate::flow::SecurityCode;

/// The recorded day shown for `code`, when the intraday view shows one.
pub fn shown<'a>(app: &'a App, code: &SecurityCode) -> Option<&'a Recorded> {
    app.recorded
        .as_deref()
        .filter(|r| !app.view.is_history() && r.code == *code)
}

/// The panel title: " HK.00700 Tencent · 2026-11-24 recorded · as of 16:08:00 HKT " (with
/// SIMULATED after "recorded" in the demo).
pub fn title(app: &App, code: &SecurityCode, r: &Recorded) -> String {
    let tz = super::tz_label(code, app.now);
    let asof = r
        .flow
        .last_valid_time
        .as_deref()
        .map_or_else(String::new, |s| {
            format!(" · as of {} {tz}", s.get(11..).unwrap_or(s))
        });
    let sim = if app.simulated.is_some() {
        " SIMULATED"
    } else {
        ""
    };
    format!(
        " {code} {} · {} recorded{sim}{asof} ",
        app.display_name(code),
        r.day
    )
}
