//! A stock's industry, as the sectors view groups by it: the first industry plate OpenD lists
//! for the stock (Qot_GetOwnerPlate, 3207, plate type 1), and the names of any further industry
//! plates it lists (shown in the detail and the sector table, never grouped by).
//!
//! Pure data: the poller makes it from 3207 replies, the store keeps it a day, the app groups by
//! it. Names arrive cleaned of control characters ([`crate::flow::text`]) and are cleaned again
//! here, so a value built anywhere is safe to draw.

use serde::{Deserialize, Serialize};

use super::text::clean_owned;

/// The plate type number of an industry plate in 3207 replies.
pub const INDUSTRY_PLATE_TYPE: i32 = 1;

/// What "Other" groups: stocks OpenD lists no industry for (or not known yet).
pub const OTHER: &str = "Other";

/// A stock's industry plate.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Industry {
    /// The plate's code ("HK.BK1910").
    pub plate: String,
    /// The plate's name ("Software"), never empty (the code stands in for a missing name).
    pub name: String,
    /// The names of the stock's further industry plates, in OpenD's order (usually none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub others: Vec<String>,
}

impl Industry {
    /// The industry of a stock from its plates, in OpenD's order as (code, name, plate type):
    /// the first of type [`INDUSTRY_PLATE_TYPE`], the others' names kept; `None` when none is an
    /// industry (the stock goes to [`OTHER`]).
    pub fn from_plates<'a>(
        plates: impl IntoIterator<Item = (String, &'a str, Option<i32>)>,
    ) -> Option<Industry> {
        let mut industries = plates
            .into_iter()
            .filter(|(_, _, t)| *t == Some(INDUSTRY_PLATE_TYPE))
            .map(|(code, name, _)| {
                let name = clean_owned(name.to_owned()).trim().to_owned();
                if name.is_empty() {
                    (code.clone(), code)
                } else {
                    (code, name)
                }
            });
        let (plate, name) = industries.next()?;
        let others = industries.map(|(_, n)| n).filter(|n| *n != name).collect();
        Some(Industry {
            plate: clean_owned(plate),
            name,
            others,
        })
    }

    /// "Software (also in Internet, Media)" when the stock is in several industries, else the
    /// name.
    pub fn describe(&self) -> String {
        if self.others.is_empty() {
            self.name.clone()
        } else {
            format!("{} (also in {})", self.name, self.others.join(", "))
        }
    }
}

/// The name a stock is grouped under: its industry's, or [`OTHER`].
pub fn group_name(industry: Option<&Industry>) -> &str {
    industry.map_or(OTHER, |i| i.name.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(code: &str, name: &'static str, t: i32) -> (String, &'static str, Option<i32>) {
        (code.to_owned(), name, Some(t))
    }

    #[test]
    fn the_first_industry_wins_and_the_others_are_named() {
        let i = Industry::from_plates([
            p("HK.BK1", "Concept A", 3),
            p("HK.BK2", "Software", 1),
            p("HK.BK3", "Internet", 1),
        ]);
        let i = i.unwrap();
        assert_eq!(i.plate, "HK.BK2");
        assert_eq!(i.name, "Software");
        assert_eq!(i.others, vec!["Internet".to_owned()]);
        assert_eq!(i.describe(), "Software (also in Internet)");
    }

    #[test]
    fn no_industry_plate_is_other() {
        let i = Industry::from_plates([p("HK.BK1", "Concept", 3), p("HK.BK9", "x", 4)]);
        assert_eq!(i, None);
        assert_eq!(group_name(i.as_ref()), "Other");
        assert_eq!(Industry::from_plates([]), None);
    }

    #[test]
    fn control_characters_go_and_an_empty_name_shows_the_code() {
        let i = Industry::from_plates([p("HK.BK2", "Soft\u{1b}[2Jware\n", 1)]).unwrap();
        assert_eq!(i.name, "Soft[2Jware");
        let i = Industry::from_plates([p("HK.BK2", " ", 1)]).unwrap();
        assert_eq!(i.name, "HK.BK2");
    }
}
