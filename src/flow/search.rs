//! Searching securities by code or name: the keyword's checks ([`Keyword`]), how a code answers
//! a keyword ([`code_tier`]), the local index ([`LocalIndex`]) with its matcher, and a fetched
//! listing with its age ([`CachedIndex`]). Pure: no IO; the listing is fetched by
//! `poller::search` and read and written by `store::index`.
//!
//! Ranking, for OpenD's answers and the index's alike: an exact code first (`700`, `00700`,
//! `HK.00700`, `aapl`: any case, leading zeros of an all-digit code ignored), then codes that
//! start with the keyword, then name matches, best fuzzy score first (nucleo-matcher: each
//! word of the keyword must appear in order, case and accents ignored; `tencent`, `腾讯`,
//! `hang seng`), ties by shorter name, then by code.

use chrono::{DateTime, TimeDelta, Utc};
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32String};

use super::code::{Market, SecurityCode};
use super::text::has_control;

/// The longest keyword accepted, in characters (a name or a code is far shorter).
pub const MAX_KEYWORD_CHARS: usize = 64;

/// A keyword that cannot be searched for.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeywordError {
    /// Nothing but spaces.
    #[error(
        "the search keyword is empty: type part of a code (700, HK.00700, aapl) or of a name (tencent, 腾讯)"
    )]
    Empty,
    /// Longer than [`MAX_KEYWORD_CHARS`].
    #[error(
        "the search keyword has {0} characters, at most {MAX_KEYWORD_CHARS}: type part of a code or of a name"
    )]
    TooLong(usize),
    /// Control characters (a paste of several lines, an escape sequence).
    #[error(
        "the search keyword contains control characters (a line break or an escape): type it on one line"
    )]
    Control,
    /// `XX.CODE` with a prefix that is no market.
    #[error(
        "{0:?} has no known market prefix: use HK, US, SH, SZ, SG, JP, ... (HK.00700), or type the code alone (00700)"
    )]
    UnknownMarket(String),
}

/// A checked keyword: trimmed, one line, at most [`MAX_KEYWORD_CHARS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keyword {
    text: String,
    lower: String,
}

impl Keyword {
    /// Checks a keyword as typed or pasted.
    pub fn parse(raw: &str) -> Result<Keyword, KeywordError> {
        if has_control(raw) {
            return Err(KeywordError::Control);
        }
        let text = raw.trim();
        let n = text.chars().count();
        if n == 0 {
            return Err(KeywordError::Empty);
        }
        if n > MAX_KEYWORD_CHARS {
            return Err(KeywordError::TooLong(n));
        }
        if let Some((prefix, rest)) = text.split_once('.') {
            let looks_like_market = (2..=9).contains(&prefix.len())
                && prefix.bytes().all(|b| b.is_ascii_uppercase() || b == b'_')
                && !rest.is_empty()
                && !rest.contains(' ');
            if looks_like_market && Market::from_prefix(prefix).is_none() {
                return Err(KeywordError::UnknownMarket(text.to_owned()));
            }
        }
        Ok(Keyword {
            text: text.to_owned(),
            lower: text.to_lowercase(),
        })
    }

    /// The keyword as typed (trimmed).
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

/// Where a result ranks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Tier {
    /// The keyword is the code.
    ExactCode,
    /// The code starts with the keyword.
    CodePrefix,
    /// The name matches (or OpenD said it matches).
    Name,
}

fn strip_zeros(s: &str) -> &str {
    let t = s.trim_start_matches('0');
    if t.is_empty() { "0" } else { t }
}

/// How `code` answers `k` by its code alone, if it does.
pub fn code_tier(k: &Keyword, code: &SecurityCode) -> Option<Tier> {
    let bare = code.code.to_lowercase();
    let full = format!("{}.{bare}", code.market.prefix().to_lowercase());
    code_tier_lower(&k.lower, &full, &bare)
}

fn code_tier_lower(k: &str, full: &str, bare: &str) -> Option<Tier> {
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if k == full || k == bare || (digits(k) && digits(bare) && strip_zeros(k) == strip_zeros(bare))
    {
        Some(Tier::ExactCode)
    } else if full.starts_with(k) || bare.starts_with(k) {
        Some(Tier::CodePrefix)
    } else {
        None
    }
}

/// One security of the local index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// The code.
    pub code: SecurityCode,
    /// The name as OpenD gave it (3202).
    pub name: String,
    /// SecurityType number (3 stock, 4 ETF, 5 warrant).
    pub sec_type: i32,
}

/// How long a fetched listing is used before OpenD is asked again.
pub const MAX_AGE: TimeDelta = TimeDelta::hours(24);

/// A fetched listing: when, for which markets, and what (saved and loaded by `store::index`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CachedIndex {
    /// When OpenD listed it.
    pub fetched_at: DateTime<Utc>,
    /// The markets listed.
    pub markets: Vec<Market>,
    /// The securities.
    pub entries: Vec<IndexEntry>,
}

impl CachedIndex {
    /// Whether it is younger than [`MAX_AGE`] at `now` and covers every market of `markets`.
    pub fn is_fresh(&self, now: DateTime<Utc>, markets: &[Market]) -> bool {
        let age = now.signed_duration_since(self.fetched_at);
        age >= TimeDelta::zero()
            && age < MAX_AGE
            && markets.iter().all(|m| self.markets.contains(m))
    }
}

/// A match in the local index.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexMatch<'a> {
    /// The entry.
    pub entry: &'a IndexEntry,
    /// Its rank.
    pub tier: Tier,
    /// The fuzzy score of its name (0 for code matches); higher is better.
    pub score: u32,
}

/// Every security of the user's markets, searchable at each keystroke without OpenD.
#[derive(Debug, Clone, Default)]
pub struct LocalIndex {
    entries: Vec<IndexEntry>,
    full: Vec<String>,
    bare: Vec<String>,
    names: Vec<Utf32String>,
}

impl LocalIndex {
    /// An index of these entries (a code listed twice keeps its first entry).
    pub fn new(entries: Vec<IndexEntry>) -> Self {
        let mut seen = std::collections::HashSet::new();
        let entries: Vec<IndexEntry> = entries
            .into_iter()
            .filter(|e| seen.insert(e.code.clone()))
            .collect();
        let bare: Vec<String> = entries.iter().map(|e| e.code.code.to_lowercase()).collect();
        let full = entries
            .iter()
            .zip(&bare)
            .map(|(e, b)| format!("{}.{b}", e.code.market.prefix().to_lowercase()))
            .collect();
        let names = entries
            .iter()
            .map(|e| Utf32String::from(e.name.as_str()))
            .collect();
        LocalIndex {
            entries,
            full,
            bare,
            names,
        }
    }

    /// The entries, in the order given.
    pub fn entries(&self) -> &[IndexEntry] {
        &self.entries
    }

    /// Number of securities.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the index is empty.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The entry of a code.
    pub fn get(&self, code: &SecurityCode) -> Option<&IndexEntry> {
        self.entries.iter().find(|e| e.code == *code)
    }

    /// The best `max` matches of `k`, ranked (module docs).
    pub fn search(&self, k: &Keyword, max: usize) -> Vec<IndexMatch<'_>> {
        let mut matcher = Matcher::new(Config::DEFAULT);
        let pattern = Pattern::parse(&k.text, CaseMatching::Ignore, Normalization::Smart);
        let mut hits: Vec<IndexMatch<'_>> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, entry)| {
                if let Some(tier) = code_tier_lower(&k.lower, &self.full[i], &self.bare[i]) {
                    return Some(IndexMatch {
                        entry,
                        tier,
                        score: 0,
                    });
                }
                let score = pattern.score(self.names[i].slice(..), &mut matcher)?;
                Some(IndexMatch {
                    entry,
                    tier: Tier::Name,
                    score,
                })
            })
            .collect();
        let key = |m: &IndexMatch<'_>| {
            (
                m.tier,
                std::cmp::Reverse(m.score),
                m.entry.name.chars().count(),
            )
        };
        let order = |a: &IndexMatch<'_>, b: &IndexMatch<'_>| {
            key(a)
                .cmp(&key(b))
                .then_with(|| a.entry.code.cmp(&b.entry.code))
        };
        if hits.len() > max && max > 0 {
            hits.select_nth_unstable_by(max - 1, order);
            hits.truncate(max);
        }
        hits.sort_by(order);
        hits.truncate(max);
        hits
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(code: &str, name: &str) -> IndexEntry {
        IndexEntry {
            code: code.parse().unwrap(),
            name: name.into(),
            sec_type: 3,
        }
    }

    fn index() -> LocalIndex {
        LocalIndex::new(vec![
            entry("HK.07000", "SEVEN THOUSAND"),
            entry("HK.00700", "TENCENT"),
            entry("HK.09988", "阿里巴巴-W"),
            entry("HK.00241", "阿里健康"),
            entry("HK.00005", "HSBC HOLDINGS"),
            entry("US.AAPL", "Apple"),
            entry("US.AAPU", "Direxion Daily AAPL Bull 2X"),
            entry("HK.00700", "duplicate"),
        ])
    }

    fn codes(k: &str) -> Vec<String> {
        index()
            .search(&Keyword::parse(k).unwrap(), 10)
            .into_iter()
            .map(|m| m.entry.code.to_string())
            .collect()
    }

    #[test]
    fn code_forms_rank_exact_then_prefix_then_names() {
        for k in ["700", "00700", "HK.00700", "hk.00700", " 700 "] {
            assert_eq!(codes(k)[0], "HK.00700", "{k}");
        }
        assert_eq!(codes("aapl"), ["US.AAPL", "US.AAPU"]);
        assert_eq!(codes("aap"), ["US.AAPL", "US.AAPU"]);
        assert_eq!(codes("0070"), ["HK.00700"]);
        assert_eq!(index().len(), 7, "a duplicate code keeps its first entry");
    }

    #[test]
    fn names_match_in_any_case_and_script() {
        assert_eq!(codes("tencent"), ["HK.00700"]);
        assert_eq!(codes("tenc"), ["HK.00700"]);
        assert_eq!(codes("阿里"), ["HK.00241", "HK.09988"]);
        assert_eq!(codes("hsbc hold"), ["HK.00005"]);
        assert!(codes("zzzz").is_empty());
    }

    #[test]
    fn max_cuts_the_ranked_list() {
        let i = index();
        let all = i.search(&Keyword::parse("a").unwrap(), 100);
        let two = i.search(&Keyword::parse("a").unwrap(), 2);
        assert_eq!(two, all[..2]);
        assert!(i.search(&Keyword::parse("a").unwrap(), 0).is_empty());
    }

    #[test]
    fn bad_keywords_say_what_is_wrong() {
        assert_eq!(Keyword::parse("  "), Err(KeywordError::Empty));
        assert_eq!(
            Keyword::parse(&"x".repeat(10_000)),
            Err(KeywordError::TooLong(10_000))
        );
        assert_eq!(Keyword::parse("ten\ncent"), Err(KeywordError::Control));
        assert_eq!(Keyword::parse("\u{1b}[A"), Err(KeywordError::Control));
        assert_eq!(
            Keyword::parse("XX.00700"),
            Err(KeywordError::UnknownMarket("XX.00700".into()))
        );
        assert!(Keyword::parse("Amazon.com").is_ok());
        assert!(Keyword::parse("US..DJI").is_ok());
        assert!(
            KeywordError::Empty.to_string().contains("700"),
            "the message says what to type"
        );
    }
}
