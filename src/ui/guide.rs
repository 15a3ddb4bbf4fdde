//! First-run guidance in the detail pane: what OpenD is, the address tried, why it failed, the
//! fixes, and the two commands that help (`capflow doctor`, `capflow --demo`).
//!
//! Shown while no data has arrived and the connection has failed (refused, timed out, a host
//! that does not resolve, no answer to InitConnect, encryption or key trouble), and whenever
//! OpenD says it is not logged in to quotes. The failure comes typed: the client derives a
//! [`ConnProblem`] from its own error, the poller carries it in its `ConnState` and its refusal
//! events, and this module matches on it; the error's text is shown, never searched.
//!
//! ```text
//! ┌ OpenD is not reachable ─────────────────────────────┐
//! │ Tried 127.0.0.1:11111: connection refused …         │
//! │ OpenD is the Futu/moomoo gateway ...                 │
//! │ • fix, most likely first                             │
//! │ • ...                                                │
//! │ capflow doctor ... · capflow --demo ...              │
//! └──────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};

use super::theme::Theme;
use crate::app::{App, StockData};
use crate::flow::ConnProblem;
use crate::poller::ConnState;

/// What the guidance says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guide {
    /// The address tried ("127.0.0.1:11111").
    pub addr: String,
    /// Why there is no data.
    pub problem: ConnProblem,
    /// The error's own words (shown for a problem capflow has no words for).
    pub error: String,
}

/// Whether OpenD sent anything for the stock this run (a series restored from the store at
/// start is not from OpenD: the guide still shows over it).
fn has_data(d: &StockData) -> bool {
    (d.intraday.is_some() && d.stored.is_none())
        || !d.history.is_empty()
        || d.distribution.is_some()
        || d.quote.is_some()
}

/// The guidance to show, if any: when OpenD's refusals say it is not logged in, or when the
/// connection failed and no data has arrived yet.
pub fn guide(app: &App) -> Option<Guide> {
    let status = app.status.as_ref()?;
    let addr = status.opend.clone();
    if let Some(problem) = app.refusal {
        return Some(Guide {
            addr,
            problem,
            error: String::new(),
        });
    }
    match &status.connection {
        ConnState::Reconnecting { error, problem, .. } if !app.stocks.values().any(has_data) => {
            Some(Guide {
                addr,
                problem: *problem,
                error: error.clone(),
            })
        }
        _ => None,
    }
}

const START: &str = "Start OpenD and log in with your Futu/moomoo account.";
const ADDRESS: &str = "OpenD elsewhere? Set [opend] host and port in the config, or pass --opend HOST:PORT (OpenD's api_port, 11111 by default).";
const KEY: &str = "RSA key: if OpenD has an rsa_private_key, give capflow the same PEM ([opend] rsa_private_key or --rsa-key PEM); if it has none, give capflow none.";
const SILENT_KEY: &str = "RSA key: an OpenD with an rsa_private_key may ignore a connection that is not encrypted; give capflow the same PEM ([opend] rsa_private_key or --rsa-key PEM).";
const PORT: &str = "Is the port OpenD's API port (api_port in OpenD.xml, 11111 by default) and not another program's? Set [opend] port or pass --opend HOST:PORT.";
const LOG_IN: &str = "Log in to OpenD (its window, or login_account and login_pwd in OpenD.xml) with your Futu/moomoo account; capflow picks the data up by itself.";
const RIGHTS: &str =
    "Logged in but still refused? The account may lack quote rights for the market.";

/// The title, the one-line finding, and the fixes, most likely first.
fn texts(g: &Guide) -> (&'static str, String, Vec<&'static str>) {
    let tried = |why: &str| format!("Tried {}: {why}.", g.addr);
    let key = |why: &str| {
        (
            " OpenD refused the encryption ",
            tried(&format!("InitConnect failed over the RSA key ({why})")),
            vec![KEY, ADDRESS],
        )
    };
    match g.problem {
        ConnProblem::Refused => (
            " OpenD is not reachable ",
            tried("connection refused, nothing listens there"),
            vec![START, ADDRESS, KEY],
        ),
        ConnProblem::TimedOut => (
            " OpenD does not answer ",
            tried("no answer (timed out)"),
            vec![ADDRESS, START, KEY],
        ),
        ConnProblem::Unresolvable => (
            " OpenD's address does not resolve ",
            tried("the host name does not resolve"),
            vec![ADDRESS, START],
        ),
        ConnProblem::NoInitReply => (
            " OpenD does not answer InitConnect ",
            tried("connected, but InitConnect got no answer"),
            vec![SILENT_KEY, PORT, START],
        ),
        ConnProblem::KeyRequired => key("OpenD encrypts, and capflow has no key"),
        ConnProblem::KeyMismatch => key("capflow's key is not OpenD's"),
        ConnProblem::KeyNotInOpenD => key("capflow encrypts, OpenD has no key"),
        ConnProblem::NotLoggedIn => (
            " OpenD is not logged in ",
            format!(
                "OpenD at {} runs, but is not logged in to the quote server.",
                g.addr
            ),
            vec![LOG_IN, RIGHTS],
        ),
        ConnProblem::Other => (
            " No data from OpenD ",
            tried(g.error.trim_end_matches('.')),
            vec![START, ADDRESS, KEY],
        ),
    }
}

/// Rows from which the guidance has blank lines between its parts.
const SPACIOUS_FROM: u16 = 16;

/// The guidance as lines (wrapped by the paragraph); `spacious` puts a blank line between the
/// finding, what OpenD is, the fixes and the commands.
pub fn lines(app: &App, g: &Guide, spacious: bool) -> Vec<Line<'static>> {
    let t = Theme::of(app);
    let (_, finding, fixes) = texts(g);
    let gap = |out: &mut Vec<Line<'static>>| {
        if spacious {
            out.push(Line::raw(""));
        }
    };
    let mut out = vec![Line::styled(finding, t.warn())];
    gap(&mut out);
    out.push(Line::raw(
        "OpenD is the Futu/moomoo gateway program that capflow, like the official API SDKs, \
         reads market data from.",
    ));
    gap(&mut out);
    out.extend(fixes.into_iter().map(|f| Line::raw(format!("• {f}"))));
    gap(&mut out);
    out.push(Line::from(vec![
        Span::styled("capflow doctor", t.title()),
        Span::raw(" checks the setup step by step · "),
        Span::styled("capflow --demo", t.title()),
        Span::raw(" runs on a simulated OpenD."),
    ]));
    out
}

/// Draws the guidance in `area` (the detail pane).
pub fn render(frame: &mut Frame<'_>, area: Rect, app: &App, g: &Guide) {
    let area = area.intersection(frame.area());
    let t = Theme::of(app);
    let (title, _, _) = texts(g);
    let block = Block::bordered().title(Line::styled(title, t.error()));
    let spacious = area.height >= SPACIOUS_FROM;
    let p = Paragraph::new(lines(app, g, spacious))
        .wrap(Wrap { trim: true })
        .block(block);
    frame.render_widget(p, area);
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use ratatui::Terminal;
    use ratatui::backend::TestBackend;

    use super::*;
    use crate::app::fixture::{self, fixed_now};
    use crate::app::{Action, Watchlist};
    use crate::opend::{ConnectError, Error, HandshakeError, RefusedHint};
    use crate::poller::PollEvent;

    fn connect_error(kind: std::io::ErrorKind) -> Error {
        Error::Connect {
            addr: "127.0.0.1:11111".into(),
            reason: ConnectError::Io(std::io::Error::from(kind).into()),
        }
    }

    /// The guidance for the client's own error `e`, as the poller publishes it.
    fn guided(e: &Error) -> Option<Guide> {
        let mut a = new_app((80, 24));
        failing(&mut a, e);
        guide(&a)
    }

    #[test]
    fn the_clients_own_errors_lead_to_their_guidance() {
        let problem = |e: &Error| guided(e).map(|g| g.problem);
        assert_eq!(
            problem(&connect_error(std::io::ErrorKind::ConnectionRefused)),
            Some(ConnProblem::Refused)
        );
        let timeout = Error::Connect {
            addr: "10.0.0.1:11111".into(),
            reason: ConnectError::Timeout(Duration::from_secs(10)),
        };
        assert_eq!(problem(&timeout), Some(ConnProblem::TimedOut));
        let dns = Error::Connect {
            addr: "nohost.invalid:11111".into(),
            reason: ConnectError::Resolve(std::io::Error::other("no such host").into()),
        };
        assert_eq!(problem(&dns), Some(ConnProblem::Unresolvable));
        let silent = Error::Handshake(HandshakeError::NoReply {
            after: Duration::from_secs(10),
            encrypted: false,
        });
        assert_eq!(problem(&silent), Some(ConnProblem::NoInitReply));
        for (h, p) in [
            (
                HandshakeError::Refused {
                    msg: "this OpenD requires encryption".into(),
                    hint: RefusedHint::PassKey,
                },
                ConnProblem::KeyRequired,
            ),
            (HandshakeError::PlaintextReply, ConnProblem::KeyNotInOpenD),
            (
                HandshakeError::Closed { encrypted: true },
                ConnProblem::KeyMismatch,
            ),
        ] {
            assert_eq!(problem(&Error::Handshake(h)), Some(p));
        }
        let closed = Error::Disconnected(crate::opend::DisconnectReason::PeerClosed);
        let g = guided(&closed).unwrap();
        assert_eq!(g.problem, ConnProblem::Other);
        assert_eq!(
            texts(&g).1,
            "Tried 127.0.0.1:11111: disconnected from OpenD: OpenD closed the connection."
        );
    }

    #[test]
    fn the_guidance_follows_the_type_not_the_words() {
        let mut a = new_app((80, 24));
        let mut status = fixture::status(a.now);
        status.connection = ConnState::Reconnecting {
            attempt: 1,
            retry_at: a.now,
            error: "connection refused by the RSA lookup".into(),
            problem: ConnProblem::TimedOut,
        };
        a.update(Action::Poll(PollEvent::Status(status)));
        assert_eq!(guide(&a).map(|g| g.problem), Some(ConnProblem::TimedOut));
    }

    #[test]
    fn no_answer_to_init_connect_names_the_rsa_key_first() {
        let silent = Error::Handshake(HandshakeError::NoReply {
            after: Duration::from_secs(10),
            encrypted: false,
        });
        let (title, finding, fixes) = texts(&guided(&silent).unwrap());
        assert_eq!(title, " OpenD does not answer InitConnect ");
        assert!(finding.contains("InitConnect got no answer"), "{finding}");
        assert!(
            fixes[0].contains("rsa_private_key") && fixes[0].contains("--rsa-key"),
            "{fixes:?}"
        );
        assert!(fixes[1].contains("API port"), "{fixes:?}");
    }

    fn new_app(size: (u16, u16)) -> App {
        let mut a = App::new(
            vec![Watchlist {
                name: "HK".into(),
                codes: ["HK.00700", "HK.09988", "HK.03690"]
                    .iter()
                    .map(|c| c.parse().unwrap())
                    .collect(),
                ..Default::default()
            }],
            fixed_now(),
        );
        a.opend_label = "OpenD 127.0.0.1:11111".into();
        let resize = super::super::resize(&a, size);
        a.update(resize);
        a
    }

    fn failing(a: &mut App, e: &Error) {
        let mut status = fixture::status(a.now);
        status.opend = "127.0.0.1:11111".into();
        status.connection = ConnState::Reconnecting {
            attempt: 2,
            retry_at: a.now + chrono::Duration::seconds(4),
            error: e.to_string(),
            problem: e.problem().unwrap_or(ConnProblem::Other),
        };
        status.next_fetch = None;
        a.update(Action::Poll(PollEvent::Status(status)));
    }

    fn draw(app: &App) -> Terminal<TestBackend> {
        let mut t = Terminal::new(TestBackend::new(app.size.0, app.size.1)).unwrap();
        t.draw(|f| super::super::render(f, f.area(), app)).unwrap();
        t
    }

    fn screen(t: &Terminal<TestBackend>) -> String {
        let buf = t.backend().buffer();
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn refused_before_any_data_at_both_sizes() {
        for size in [(80, 24), (160, 48)] {
            let mut a = new_app(size);
            failing(
                &mut a,
                &connect_error(std::io::ErrorKind::ConnectionRefused),
            );
            let t = draw(&a);
            let s = screen(&t);
            assert!(s.contains("OpenD is not reachable"), "{s}");
            assert!(s.contains("Tried 127.0.0.1:11111"), "{s}");
            assert!(
                s.contains("capflow doctor") && s.contains("capflow --demo"),
                "{s}"
            );
            insta::assert_snapshot!(format!("guide_refused_{}x{}", size.0, size.1), t.backend());
        }
    }

    #[test]
    fn not_logged_in_at_both_sizes() {
        for size in [(80, 24), (160, 48)] {
            let mut a = new_app(size);
            let mut status = fixture::status(a.now);
            status.opend = "127.0.0.1:11111".into();
            a.update(Action::Poll(PollEvent::Status(status)));
            a.update(refused(NOT_LOGGED_IN));
            let t = draw(&a);
            let s = screen(&t);
            assert!(s.contains("OpenD is not logged in"), "{s}");
            assert!(s.contains("Log in to OpenD"), "{s}");
            insta::assert_snapshot!(
                format!("guide_not_logged_in_{}x{}", size.0, size.1),
                t.backend()
            );
        }
    }

    const NOT_LOGGED_IN: &str = "OpenD is not logged in to the quote server: log in to OpenD with your Futu/moomoo account, then try again";

    /// OpenD's refusal of HK.00700's intraday flow, as the poller publishes it.
    fn refused(msg: &str) -> Action {
        let e = Error::Server {
            proto_id: crate::wire::proto_id::QOT_GET_CAPITAL_FLOW,
            ret_type: -1,
            msg: msg.into(),
            err_code: None,
        };
        Action::Poll(PollEvent::StockError {
            code: "HK.00700".parse().unwrap(),
            period: crate::flow::Period::Intraday,
            message: e.to_string(),
            permanent: false,
            problem: e.problem(),
        })
    }

    #[test]
    fn a_login_refusal_guides_until_data_comes() {
        let mut a = fixture::app(12, fixed_now(), (80, 24));
        a.update(refused("unknown stock HK.00700"));
        assert_eq!(
            guide(&a),
            None,
            "a refusal of one stock says nothing of OpenD"
        );
        a.update(refused(NOT_LOGGED_IN));
        assert_eq!(guide(&a).map(|g| g.problem), Some(ConnProblem::NotLoggedIn));
        let code: crate::flow::SecurityCode = "HK.00700".parse().unwrap();
        let flow = a.stocks[&code].intraday.clone().unwrap();
        a.update(Action::Poll(PollEvent::Flow {
            code,
            flow,
            fetched_at: a.now,
        }));
        assert_eq!(guide(&a), None, "data came: OpenD is logged in again");
    }

    #[test]
    fn encryption_at_80x24() {
        let mut a = new_app((80, 24));
        let e = Error::Handshake(HandshakeError::KeyMismatch(crate::wire::Error::BadSha1 {
            proto_id: 1001,
            serial: 1,
        }));
        failing(&mut a, &e);
        let t = draw(&a);
        let s = screen(&t);
        assert!(s.contains("OpenD refused the encryption"), "{s}");
        assert!(s.contains("RSA key"), "{s}");
    }

    #[test]
    fn no_guidance_once_data_arrived_or_while_connected() {
        // The fixture app has data: a later disconnect shows in the status bar only.
        let mut a = fixture::app(12, fixed_now(), (80, 24));
        failing(
            &mut a,
            &connect_error(std::io::ErrorKind::ConnectionRefused),
        );
        assert_eq!(guide(&a), None);
        let mut b = new_app((80, 24));
        assert_eq!(guide(&b), None, "no status yet: first connect in progress");
        let status = fixture::status(b.now);
        b.update(Action::Poll(PollEvent::Status(status)));
        assert_eq!(guide(&b), None, "connected");
    }
}
