//! First-run guidance in the detail pane: what OpenD is, the address tried, why it failed, the
//! fixes, and the two commands that help (`capflow doctor`, `capflow --demo`).
//!
//! Shown while no data has arrived and the connection has failed (refused, timed out, a host
//! that does not resolve, encryption or key trouble), and whenever OpenD says it is not logged in
//! to quotes. The failure is read from the text the poller publishes (its `ConnState` carries
//! the client error's message), so the classification is pinned by tests that build the client's
//! real errors.
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
use crate::opend::names_not_logged_in;
use crate::poller::ConnState;

/// Why capflow has no data from OpenD.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// Nothing listens at the address.
    Refused,
    /// No answer within the connect timeout.
    TimedOut,
    /// The host name does not resolve.
    BadAddress,
    /// InitConnect failed over encryption: a key needed, a wrong key, or a key OpenD lacks.
    Encryption,
    /// OpenD runs but is not logged in to the quote server.
    NotLoggedIn,
    /// Anything else, with the error's text.
    Other(String),
}

/// What the guidance says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Guide {
    /// The address tried ("127.0.0.1:11111").
    pub addr: String,
    /// Why there is no data.
    pub problem: Problem,
}

/// Reads a connection error's text (the client error's `Display`).
pub fn classify(error: &str) -> Problem {
    let e = error.to_lowercase();
    if names_not_logged_in(error) {
        Problem::NotLoggedIn
    } else if e.contains("rsa") || e.contains("encrypt") {
        Problem::Encryption
    } else if e.contains("refused") {
        Problem::Refused
    } else if e.contains("no answer within") || e.contains("timed out") {
        Problem::TimedOut
    } else if e.contains("lookup")
        || e.contains("resolve")
        || e.contains("name or service not known")
        || e.contains("nodename")
        || e.contains("no such host")
    {
        Problem::BadAddress
    } else {
        Problem::Other(error.to_owned())
    }
}

fn has_data(d: &StockData) -> bool {
    d.intraday.is_some() || !d.history.is_empty() || d.distribution.is_some() || d.quote.is_some()
}

fn says_not_logged_in(d: &StockData) -> bool {
    d.error
        .as_ref()
        .is_some_and(|e| names_not_logged_in(&e.message))
        || d.distribution_error
            .as_ref()
            .is_some_and(|(m, _)| names_not_logged_in(m))
}

/// The guidance to show, if any: when OpenD says it is not logged in, or when the connection
/// failed and no data has arrived yet.
pub fn guide(app: &App) -> Option<Guide> {
    let status = app.status.as_ref()?;
    let addr = status.opend.clone();
    if app.stocks.values().any(says_not_logged_in) {
        return Some(Guide {
            addr,
            problem: Problem::NotLoggedIn,
        });
    }
    match &status.connection {
        ConnState::Reconnecting { error, .. } if !app.stocks.values().any(has_data) => {
            Some(Guide {
                addr,
                problem: classify(error),
            })
        }
        _ => None,
    }
}

const START: &str = "Start OpenD and log in with your Futu/moomoo account.";
const ADDRESS: &str = "OpenD elsewhere? Set [opend] host and port in the config, or pass --opend HOST:PORT (OpenD's api_port, 11111 by default).";
const KEY: &str = "RSA key: if OpenD has an rsa_private_key, give capflow the same PEM ([opend] rsa_private_key or --rsa-key PEM); if it has none, give capflow none.";
const LOG_IN: &str = "Log in to OpenD (its window, or login_account and login_pwd in OpenD.xml) with your Futu/moomoo account; capflow picks the data up by itself.";
const RIGHTS: &str =
    "Logged in but still refused? The account may lack quote rights for the market.";

/// The title, the one-line finding, and the fixes, most likely first.
fn texts(g: &Guide) -> (&'static str, String, Vec<&'static str>) {
    let tried = |why: &str| format!("Tried {}: {why}.", g.addr);
    match &g.problem {
        Problem::Refused => (
            " OpenD is not reachable ",
            tried("connection refused, nothing listens there"),
            vec![START, ADDRESS, KEY],
        ),
        Problem::TimedOut => (
            " OpenD does not answer ",
            tried("no answer (timed out)"),
            vec![ADDRESS, START, KEY],
        ),
        Problem::BadAddress => (
            " OpenD's address does not resolve ",
            tried("the host name does not resolve"),
            vec![ADDRESS, START],
        ),
        Problem::Encryption => (
            " OpenD refused the encryption ",
            tried("InitConnect failed over the RSA key (required, wrong, or not in OpenD)"),
            vec![KEY, ADDRESS],
        ),
        Problem::NotLoggedIn => (
            " OpenD is not logged in ",
            format!(
                "OpenD at {} runs, but is not logged in to the quote server.",
                g.addr
            ),
            vec![LOG_IN, RIGHTS],
        ),
        Problem::Other(e) => (
            " No data from OpenD ",
            tried(e.trim_end_matches('.')),
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

    fn connect_error(kind: std::io::ErrorKind) -> String {
        Error::Connect {
            addr: "127.0.0.1:11111".into(),
            reason: ConnectError::Io(std::io::Error::from(kind).into()),
        }
        .to_string()
    }

    #[test]
    fn the_clients_own_errors_are_classified() {
        assert_eq!(
            classify(&connect_error(std::io::ErrorKind::ConnectionRefused)),
            Problem::Refused
        );
        let timeout = Error::Connect {
            addr: "10.0.0.1:11111".into(),
            reason: ConnectError::Timeout(Duration::from_secs(10)),
        };
        assert_eq!(classify(&timeout.to_string()), Problem::TimedOut);
        for h in [
            HandshakeError::Refused {
                msg: "this OpenD requires encryption".into(),
                hint: RefusedHint::PassKey,
            },
            HandshakeError::PlaintextReply,
            HandshakeError::Closed { encrypted: true },
        ] {
            let e = Error::Handshake(h).to_string();
            assert_eq!(classify(&e), Problem::Encryption, "{e}");
        }
        let dns = "cannot connect to OpenD at nohost.invalid:11111: failed to lookup address information: Name or service not known; is OpenD running and listening there?";
        assert_eq!(classify(dns), Problem::BadAddress);
        assert_eq!(
            classify("OpenD is not logged in to the quote server: log in"),
            Problem::NotLoggedIn
        );
        assert_eq!(
            classify("disconnected from OpenD: OpenD closed the connection"),
            Problem::Other("disconnected from OpenD: OpenD closed the connection".into())
        );
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
        a.update(Action::Resize {
            size,
            page_rows: super::super::page_rows(size),
        });
        a
    }

    fn failing(a: &mut App, error: &str) {
        let mut status = fixture::status(a.now);
        status.opend = "127.0.0.1:11111".into();
        status.connection = ConnState::Reconnecting {
            attempt: 2,
            retry_at: a.now + chrono::Duration::seconds(4),
            error: error.into(),
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
            a.update(Action::Poll(PollEvent::StockError {
                code: "HK.00700".parse().unwrap(),
                period: crate::flow::Period::Intraday,
                message: "OpenD is not logged in to the quote server: log in to OpenD with your Futu/moomoo account, then try again".into(),
                permanent: false,
            }));
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

    #[test]
    fn encryption_at_80x24() {
        let mut a = new_app((80, 24));
        let e = Error::Handshake(HandshakeError::KeyMismatch(crate::wire::Error::BadSha1 {
            proto_id: 1001,
            serial: 1,
        }));
        failing(&mut a, &e.to_string());
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
