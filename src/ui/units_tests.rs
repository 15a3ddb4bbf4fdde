//! Issue 23 item 7 on screen: with `units = "cjk"` every amount below 1亿 is in 万 and every one
//! from 1亿 in 亿, in the watchlist, the overview, the charts' scales and the totals, at each size.

use ratatui::Terminal;
use ratatui::backend::TestBackend;

use crate::app::fixture::{self, fixed_now};
use crate::flow::Units;

/// "0.34亿" and its kin: an amount below 1亿 written in 亿.
fn below_one_yi(screen: &str) -> Vec<String> {
    let chars: Vec<char> = screen.chars().collect();
    let mut found = Vec::new();
    for (i, c) in chars.iter().enumerate() {
        if *c == '亿' && i >= 2 && chars[i - 1] != '万' {
            // The number before 亿.
            let start = (0..i)
                .rev()
                .take_while(|&j| chars[j].is_ascii_digit() || chars[j] == '.')
                .last()
                .unwrap_or(i);
            let number: String = chars[start..i].iter().collect();
            if number.parse::<f64>().is_ok_and(|v| v < 1.0) {
                found.push(format!("{number}亿"));
            }
        }
    }
    found
}

#[test]
fn cjk_amounts_use_wan_below_one_yi_everywhere() {
    for size in [(80, 24), (120, 36), (160, 48)] {
        let mut a = fixture::app(12, fixed_now(), size);
        a.units = Units::Cjk;
        let mut t = Terminal::new(TestBackend::new(size.0, size.1)).unwrap();
        t.draw(|f| crate::ui::render(f, f.area(), &a)).unwrap();
        let screen = format!("{}", t.backend());
        assert_eq!(below_one_yi(&screen), Vec::<String>::new(), "{size:?}");
        // Alibaba's net +52.64M is 5264万; Tencent's +118M is 1.18亿.
        assert!(screen.contains("+5264万"), "{size:?}\n{screen}");
        assert!(screen.contains("+1.18亿"), "{size:?}\n{screen}");
        insta::assert_snapshot!(format!("cjk_units_{}x{}", size.0, size.1), t.backend());
    }
}

#[test]
fn the_check_finds_an_amount_below_one_yi_in_yi() {
    assert_eq!(below_one_yi("net -0.34亿 main +1.2亿 x 3400万"), ["0.34亿"]);
}
