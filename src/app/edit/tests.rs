use super::*;
use crate::app::editing::apply_in_memory;
use crate::app::fixture::{app, fixed_now};
use crate::flow::Market;
use crate::flow::search::Tier;
use crate::poller::PollCommand;
use crate::poller::search::{Hit, Source};
use std::path::PathBuf;

fn code(s: &str) -> SecurityCode {
    s.parse().unwrap()
}

fn demo() -> App {
    let mut a = app(5, fixed_now(), (120, 36));
    a.drain_commands();
    a
}

/// The saves asked since the last call.
fn saves(a: &mut App) -> Vec<Edit> {
    a.drain_edit_requests()
        .into_iter()
        .filter_map(|r| match r {
            EditRequest::Save(e) => Some(e),
            _ => None,
        })
        .collect()
}

/// Answers every save as the file writer would (the edit on the lists, written to `path`).
fn answer(a: &mut App, path: Option<&str>) {
    for edit in saves(a) {
        let mut lists = a.watchlists.clone();
        apply_in_memory(&mut lists, &edit);
        let to = SavedTo {
            path: path.map(PathBuf::from),
            created: false,
            lists: path.map(|_| lists),
        };
        a.update(Action::Saved {
            edit,
            result: Ok(to),
        });
    }
}

fn codes_of(a: &App) -> Vec<String> {
    a.watchlists[a.active]
        .codes
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn type_text(a: &mut App, text: &str) {
    for c in text.chars() {
        a.update(Action::Text(TextKey::Char(c)));
    }
}

fn hit(c: &str, name: &str) -> Hit {
    let sc = code(c);
    Hit {
        market: sc.market,
        code: Some(sc.code.clone()),
        name: Some(name.into()),
        sec_type: Some(3),
        is_watched: None,
        in_list: false,
        tier: Tier::Name,
        source: Source::Index,
    }
}

#[test]
fn remove_waits_for_the_save_then_undo_puts_it_back_in_place() {
    let mut a = demo();
    let before = codes_of(&a);
    a.update(Action::Down);
    a.update(Action::RemoveStock);
    // Nothing changes until the file is written.
    assert_eq!(codes_of(&a), before);
    let asked = saves(&mut a);
    assert_eq!(
        asked,
        [Edit::Remove {
            list: "Demo".into(),
            codes: vec![code(&before[1])],
        }]
    );
    for edit in asked {
        a.update(Action::Saved {
            edit,
            result: Ok(SavedTo {
                path: Some("/tmp/c.toml".into()),
                created: false,
                lists: None,
            }),
        });
    }
    let mut without = before.clone();
    without.remove(1);
    assert_eq!(codes_of(&a), without);
    assert_eq!(a.selected, 1, "the selection stays on the row");
    assert!(a.note().unwrap().text.contains("u undoes"));
    // The poller follows the list.
    assert!(
        a.drain_commands()
            .iter()
            .any(|c| matches!(c, PollCommand::SetWatchlist(l) if l.len() == 4))
    );
    a.update(Action::UndoRemove);
    answer(&mut a, None);
    assert_eq!(codes_of(&a), before);
    assert_eq!(
        a.focused().map(ToString::to_string),
        Some(before[1].clone())
    );
    a.update(Action::UndoRemove);
    assert!(saves(&mut a).is_empty(), "undone once");
}

#[test]
fn undo_of_the_first_stock_moves_it_back_to_the_top() {
    let mut a = demo();
    let before = codes_of(&a);
    a.update(Action::RemoveStock);
    answer(&mut a, None);
    a.update(Action::UndoRemove);
    answer(&mut a, None);
    assert_eq!(codes_of(&a), before);
}

#[test]
fn a_refused_save_changes_nothing_and_says_why() {
    let mut a = demo();
    let before = codes_of(&a);
    a.update(Action::RemoveStock);
    for edit in saves(&mut a) {
        a.update(Action::Saved {
            edit,
            result: Err("/x/config.toml: the config file is read-only: make it writable".into()),
        });
    }
    assert_eq!(codes_of(&a), before);
    let n = a.note().unwrap();
    assert!(n.warn && n.text.contains("read-only"), "{n:?}");
    a.update(Action::UndoRemove);
    assert!(saves(&mut a).is_empty(), "nothing was removed");
}

#[test]
fn moves_follow_the_stock_and_stop_at_the_ends() {
    let mut a = demo();
    let before = codes_of(&a);
    a.update(Action::MoveStock(1));
    answer(&mut a, Some("/tmp/c.toml"));
    assert_eq!(codes_of(&a)[1], before[0]);
    assert_eq!(a.selected, 1);
    a.update(Action::MoveStock(-1));
    a.update(Action::MoveStock(-1));
    answer(&mut a, Some("/tmp/c.toml"));
    assert_eq!(codes_of(&a), before);
    assert_eq!(a.selected, 0);
    // Sorted rows: no move, and a word on how.
    a.update(Action::CycleSort);
    a.update(Action::MoveStock(1));
    assert!(saves(&mut a).is_empty());
    assert!(a.note().unwrap().text.contains("sorted by"));
}

#[test]
fn the_last_stock_is_not_removed() {
    let mut a = demo();
    a.watchlists[0].codes.truncate(1);
    a.update(Action::RemoveStock);
    assert!(saves(&mut a).is_empty());
    assert!(a.note().unwrap().text.contains("delete the list"));
}

#[test]
fn group_and_plate_lists_are_not_edited_here() {
    for (group, plate, words) in [
        (Some("Tech".to_owned()), None, "Futu/moomoo app"),
        (None, Some(code("HK.BK1910")), "come from OpenD"),
    ] {
        let mut a = demo();
        a.watchlists[0].opend_group = group;
        a.watchlists[0].plate = plate;
        let before = a.watchlists.clone();
        for action in [
            Action::RemoveStock,
            Action::MoveStock(1),
            Action::RenameList,
        ] {
            a.update(action);
            assert!(a.note().unwrap().text.contains(words));
        }
        a.update(Action::OpenSearch);
        type_text(&mut a, "tenc");
        a.update(Action::SearchFound {
            query: "tenc".into(),
            hits: vec![hit("HK.09999", "NetEase")],
        });
        a.update(Action::Text(TextKey::Enter));
        let msg = a.editing.search.as_ref().unwrap().message.clone().unwrap();
        assert!(msg.contains(words), "{msg}");
        assert!(saves(&mut a).is_empty());
        assert_eq!(a.watchlists, before);
    }
}

#[test]
fn search_adds_after_the_selected_row_and_selects_it() {
    let mut a = demo();
    a.update(Action::Down);
    a.update(Action::OpenSearch);
    assert!(a.editing.takes_text());
    // Keys are text now: `q` does not quit, `j` does not move.
    type_text(&mut a, "qj");
    assert!(!a.quit);
    assert_eq!(a.selected, 1);
    for _ in 0..2 {
        a.update(Action::Text(TextKey::Backspace));
    }
    type_text(&mut a, "tenc");
    let asked = a.drain_edit_requests();
    assert!(
        matches!(asked.last(), Some(EditRequest::Search { query, .. }) if query == "tenc"),
        "{asked:?}"
    );
    // A late answer to an older text is dropped.
    a.update(Action::SearchFound {
        query: "ten".into(),
        hits: vec![hit("HK.09999", "NetEase")],
    });
    assert!(a.editing.search.as_ref().unwrap().hits.is_empty());
    a.update(Action::SearchFound {
        query: "tenc".into(),
        hits: vec![hit("HK.09999", "NetEase"), hit("HK.01698", "Tencent Music")],
    });
    a.update(Action::Text(TextKey::Down));
    a.update(Action::Text(TextKey::Enter));
    assert!(a.editing.search.is_none(), "Enter closes the box");
    let selected_before = codes_of(&a)[1].clone();
    assert_eq!(
        saves(&mut a),
        [Edit::Add {
            list: "Demo".into(),
            codes: vec![code("HK.01698")],
            after: Some(code(&selected_before)),
        }]
    );
    a.update(Action::Saved {
        edit: Edit::Add {
            list: "Demo".into(),
            codes: vec![code("HK.01698")],
            after: Some(code(&selected_before)),
        },
        result: Ok(SavedTo {
            path: None,
            created: false,
            lists: None,
        }),
    });
    assert_eq!(codes_of(&a)[2], "HK.01698");
    assert_eq!(a.focused(), Some(&code("HK.01698")));
    assert_eq!(a.display_name(&code("HK.01698")), "Tencent Music");
    assert!(a.note().unwrap().text.contains("in memory: demo"));
}

#[test]
fn search_esc_closes_and_a_stock_in_the_list_is_not_added_twice() {
    let mut a = demo();
    let first = a.focused().cloned().unwrap();
    a.update(Action::OpenSearch);
    type_text(&mut a, "x");
    a.update(Action::SearchFound {
        query: "x".into(),
        hits: vec![hit(&first.to_string(), "Tencent")],
    });
    a.update(Action::Text(TextKey::Enter));
    let msg = a.editing.search.as_ref().unwrap().message.clone().unwrap();
    assert!(msg.contains("already in"), "{msg}");
    a.update(Action::Text(TextKey::Esc));
    assert!(a.editing.search.is_none());
    assert!(a.drain_edit_requests().contains(&EditRequest::SearchClosed));
    assert!(saves(&mut a).is_empty());
}

#[test]
fn a_full_code_no_search_knows_is_looked_up_and_refused_in_opends_words() {
    let mut a = demo();
    a.update(Action::OpenSearch);
    type_text(&mut a, "HK.99999");
    a.update(Action::SearchFound {
        query: "HK.99999".into(),
        hits: vec![],
    });
    a.drain_edit_requests();
    a.update(Action::Text(TextKey::Enter));
    assert_eq!(
        a.drain_edit_requests(),
        [EditRequest::Resolve(code("HK.99999"))]
    );
    a.update(Action::Resolved {
        code: code("HK.99999"),
        result: Err("HK.99999: OpenD does not know it (unknown stock)".into()),
    });
    let msg = a.editing.search.as_ref().unwrap().message.clone().unwrap();
    assert!(msg.contains("unknown stock"), "{msg}");
    // Known: added.
    a.update(Action::Resolved {
        code: code("HK.09618"),
        result: Ok("JD".into()),
    });
    assert!(
        matches!(&saves(&mut a)[..], [Edit::Add { codes, .. }] if codes[0] == code("HK.09618"))
    );
}

#[test]
fn bad_search_text_says_what_is_wrong() {
    let mut a = demo();
    a.update(Action::OpenSearch);
    type_text(&mut a, &"a".repeat(10_000));
    let b = a.editing.search.as_ref().unwrap();
    assert_eq!(b.input.value().chars().count(), 64);
    assert!(b.message.as_ref().unwrap().contains("at most 64"));
    let searches = a
        .drain_edit_requests()
        .iter()
        .filter(|r| matches!(r, EditRequest::Search { .. }))
        .count();
    assert_eq!(searches, 64, "one search per change, none past the limit");
    a.update(Action::Text(TextKey::Clear));
    type_text(&mut a, "\u{1b}");
    assert!(a.editing.search.as_ref().unwrap().message.is_some());
}

#[test]
fn new_rename_and_delete_through_prompts() {
    let mut a = demo();
    let first = a.focused().cloned().unwrap();
    a.update(Action::NewList);
    type_text(&mut a, "Mine");
    a.update(Action::Text(TextKey::Enter));
    assert_eq!(
        saves(&mut a),
        [Edit::New {
            name: "Mine".into(),
            codes: vec![first.clone()]
        }]
    );
    a.update(Action::Saved {
        edit: Edit::New {
            name: "Mine".into(),
            codes: vec![first.clone()],
        },
        result: Ok(SavedTo {
            path: None,
            created: false,
            lists: None,
        }),
    });
    assert_eq!(a.watchlists[a.active].name, "Mine");
    // Rename: the prompt starts with the name; an empty name is refused and the prompt stays.
    a.update(Action::RenameList);
    a.update(Action::Text(TextKey::Clear));
    a.update(Action::Text(TextKey::Enter));
    assert!(a.editing.prompt.is_some());
    assert!(a.note().unwrap().text.contains("empty"));
    type_text(&mut a, "Ours");
    a.update(Action::Text(TextKey::Enter));
    answer(&mut a, None);
    assert_eq!(a.watchlists[a.active].name, "Ours");
    // Delete: n keeps it, y deletes it.
    a.update(Action::DeleteList);
    a.update(Action::Text(TextKey::Char('n')));
    assert!(saves(&mut a).is_empty());
    a.update(Action::DeleteList);
    a.update(Action::Text(TextKey::Char('q')));
    assert!(a.editing.prompt.is_some(), "only y or n answers");
    a.update(Action::Text(TextKey::Char('y')));
    answer(&mut a, None);
    assert_eq!(a.watchlists.len(), 2);
    assert!(a.watchlists.iter().all(|w| w.name != "Ours"));
}

#[test]
fn a_reload_keeps_the_selection_on_its_stock_and_a_bad_one_keeps_the_lists() {
    let mut a = demo();
    a.update(Action::Down);
    a.update(Action::Down);
    let focus = a.focused().cloned().unwrap();
    let mut lists = a.watchlists.clone();
    lists[0].codes.retain(|c| c.market != Market::Us);
    lists[0].codes.insert(0, code("HK.09618"));
    lists.push(Watchlist {
        name: "New".into(),
        codes: vec![code("HK.00005")],
        ..Watchlist::default()
    });
    a.update(Action::Reloaded(Ok(lists.clone())));
    assert_eq!(a.watchlists, lists);
    assert_eq!(a.focused(), Some(&focus));
    assert!(a.note().unwrap().text.contains("reloaded"));
    let before = a.watchlists.clone();
    a.update(Action::Reloaded(Err(
        "config not reloaded, old lists kept: /c.toml:3:9: expected a string".into(),
    )));
    assert_eq!(a.watchlists, before);
    assert!(a.editing.problem.as_ref().unwrap().contains("/c.toml:3:9"));
    a.update(Action::Reloaded(Ok(lists)));
    assert!(a.editing.problem.is_none());
}

#[test]
fn a_reload_keeps_a_groups_members_as_read() {
    let mut a = demo();
    a.watchlists[1].opend_group = Some("Tech".into());
    let members = a.watchlists[1].codes.clone();
    let lists = vec![
        a.watchlists[0].clone(),
        Watchlist {
            name: "HK".into(),
            opend_group: Some("Tech".into()),
            ..Watchlist::default()
        },
    ];
    a.update(Action::Reloaded(Ok(lists)));
    assert_eq!(a.watchlists[1].codes, members);
}

#[test]
fn edit_keys_wait_behind_the_help() {
    let mut a = demo();
    a.update(Action::ToggleHelp);
    a.update(Action::RemoveStock);
    a.update(Action::OpenSearch);
    assert!(saves(&mut a).is_empty());
    assert!(a.editing.search.is_none());
}

#[test]
fn a_plate_result_adds_a_plate_list_whose_members_come_from_opend() {
    let mut a = demo();
    a.update(Action::OpenSearch);
    type_text(&mut a, "tencent");
    let mut plate = hit("HK.BK1910", "Tencent concept");
    plate.sec_type = Some(7);
    a.update(Action::SearchFound {
        query: "tencent".into(),
        hits: vec![plate],
    });
    a.update(Action::Text(TextKey::Enter));
    let asked = saves(&mut a);
    assert_eq!(
        asked,
        [Edit::NewPlate {
            name: "Tencent concept".into(),
            plate: code("HK.BK1910"),
        }]
    );
    for edit in asked {
        a.update(Action::Saved {
            edit,
            result: Ok(SavedTo {
                path: None,
                created: false,
                lists: None,
            }),
        });
    }
    let w = &a.watchlists[a.active];
    assert_eq!(w.name, "Tencent concept");
    assert_eq!(w.plate, Some(code("HK.BK1910")));
    assert!(w.codes.is_empty());
    a.update(Action::PlateRead {
        plate: code("HK.BK1910"),
        result: Ok(vec![code("HK.00700"), code("HK.01698")]),
    });
    assert_eq!(codes_of(&a), ["HK.00700", "HK.01698"]);
    // Read-only like any plate list.
    a.update(Action::RemoveStock);
    assert!(saves(&mut a).is_empty());
    assert!(a.note().unwrap().text.contains("come from OpenD"));
}

#[test]
fn a_groups_read_lands_on_its_list_after_a_list_before_it_went() {
    let lists = vec![
        Watchlist {
            name: "Mine".into(),
            codes: vec![code("HK.00700"), code("HK.09988")],
            ..Watchlist::default()
        },
        Watchlist {
            name: "App".into(),
            opend_group: Some("Tech".into()),
            ..Watchlist::default()
        },
    ];
    let mut a = App::new(lists, fixed_now());
    a.update(Action::DeleteList);
    a.update(Action::Text(TextKey::Char('y')));
    answer(&mut a, None);
    assert_eq!(a.watchlists.len(), 1);
    // The side task still says index 1: the group is at 0 now.
    a.update(Action::GroupRead {
        index: 1,
        result: Ok(vec![code("US.AAPL")]),
    });
    assert_eq!(a.watchlists[0].codes, [code("US.AAPL")]);
    // A read for a group no longer listed changes nothing.
    let mut b = App::new(
        vec![
            Watchlist {
                name: "App".into(),
                opend_group: Some("Tech".into()),
                ..Watchlist::default()
            },
            Watchlist {
                name: "Mine".into(),
                codes: vec![code("HK.00700")],
                ..Watchlist::default()
            },
        ],
        fixed_now(),
    );
    b.update(Action::Reloaded(Ok(vec![Watchlist {
        name: "Mine".into(),
        codes: vec![code("HK.00700")],
        ..Watchlist::default()
    }])));
    b.update(Action::GroupRead {
        index: 0,
        result: Ok(vec![code("US.AAPL")]),
    });
    assert_eq!(b.watchlists[0].codes, [code("HK.00700")]);
}

#[test]
fn names_taken_and_the_last_list_are_refused_before_any_save() {
    let mut a = demo();
    a.update(Action::NewList);
    type_text(&mut a, "HK");
    a.update(Action::Text(TextKey::Enter));
    assert!(saves(&mut a).is_empty());
    assert!(
        a.editing.prompt.is_some(),
        "the prompt stays for another name"
    );
    assert!(a.note().unwrap().text.contains("already exists"));
    a.update(Action::Text(TextKey::Esc));
    // Renamed to its own name: no refusal.
    a.update(Action::RenameList);
    a.update(Action::Text(TextKey::Enter));
    assert_eq!(saves(&mut a).len(), 1);
    a.watchlists.truncate(1);
    a.update(Action::DeleteList);
    assert!(a.editing.prompt.is_none());
    assert!(a.note().unwrap().text.contains("last list"));
}

#[test]
fn enter_before_the_results_of_the_text_typed_picks_from_them_when_they_come() {
    let mut a = demo();
    a.update(Action::OpenSearch);
    type_text(&mut a, "te");
    a.update(Action::SearchFound {
        query: "te".into(),
        hits: vec![
            hit("US.TEAM", "Atlassian"),
            hit("HK.01698", "Tencent Music"),
        ],
    });
    // "nc" typed and Enter pressed before the index answers "tenc": not Atlassian, shown still.
    type_text(&mut a, "nc");
    a.update(Action::Text(TextKey::Enter));
    assert!(
        a.editing.search.is_some(),
        "Enter waits for the results of \"tenc\""
    );
    assert!(saves(&mut a).is_empty());
    a.update(Action::SearchFound {
        query: "tenc".into(),
        hits: vec![hit("HK.01698", "Tencent Music")],
    });
    assert!(a.editing.search.is_none(), "the waiting Enter picked");
    assert!(matches!(
        saves(&mut a).as_slice(),
        [Edit::Add { codes, .. }] if codes == &[code("HK.01698")]
    ));
    // Typing again after Enter cancels the wait: the next answer only shows.
    a.update(Action::OpenSearch);
    type_text(&mut a, "ali");
    a.update(Action::Text(TextKey::Enter));
    type_text(&mut a, "b");
    a.update(Action::SearchFound {
        query: "alib".into(),
        hits: vec![hit("HK.09988", "Alibaba")],
    });
    assert!(a.editing.search.is_some());
    assert!(saves(&mut a).is_empty());
}
