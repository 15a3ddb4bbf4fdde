//! The search box and the prompts at 80×24 and 120×36.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::edit::TextKey;
use crate::app::fixture::{self, fixed_now};
use crate::app::{Action, App};
use crate::flow::SecurityCode;
use crate::flow::search::Tier;
use crate::poller::search::{Hit, Source};

const SIZES: [(u16, u16); 2] = [(80, 24), (120, 36)];

fn hit(code: &str, name: &str, sec_type: i32, in_list: bool) -> Hit {
    let c: SecurityCode = code.parse().unwrap();
    Hit {
        market: c.market,
        code: Some(c.code.clone()),
        name: Some(name.into()),
        sec_type: Some(sec_type),
        is_watched: Some(false),
        in_list,
        tier: Tier::Name,
        source: Source::OpenD,
    }
}

fn snap(name: &str, setup: impl Fn(&mut App)) {
    for size in SIZES {
        let mut a = fixture::app(12, fixed_now(), size);
        setup(&mut a);
        let mut t = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
        t.draw(|f| crate::ui::render(f, f.area(), &a)).unwrap();
        insta::assert_snapshot!(format!("{name}_{}x{}", size.0, size.1), t.backend());
    }
}

fn type_text(a: &mut App, text: &str) {
    for c in text.chars() {
        a.update(Action::Text(TextKey::Char(c)));
    }
}

#[test]
fn search_results() {
    snap("search_results", |a| {
        a.update(Action::OpenSearch);
        type_text(a, "tenc");
        a.update(Action::SearchBudget(Some((3, 10))));
        a.update(Action::SearchFound {
            query: "tenc".into(),
            hits: vec![
                hit("HK.00700", "腾讯控股", 3, true),
                hit("HK.01698", "腾讯音乐-SW", 3, false),
                hit("US.TME", "Tencent Music Entertainment Group", 3, false),
                hit("HK.BK1910", "Tencent concept", 7, false),
            ],
        });
        a.update(Action::Text(TextKey::Down));
    });
}

#[test]
fn search_empty_and_message() {
    snap("search_empty", |a| {
        a.update(Action::OpenSearch);
    });
    snap("search_no_match", |a| {
        a.update(Action::OpenSearch);
        type_text(a, "zzzz");
        a.update(Action::SearchFound {
            query: "zzzz".into(),
            hits: vec![],
        });
    });
}

#[test]
fn prompts() {
    snap("prompt_new_list", |a| {
        a.update(Action::NewList);
        type_text(a, "HK tech");
    });
    snap("prompt_delete", |a| {
        a.update(Action::DeleteList);
    });
}
