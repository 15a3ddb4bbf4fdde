//! One keystroke of search over the local index: a 20,000-entry index (HK, US and A-share
//! codes, English and Chinese names, built deterministically), each prefix of a few typed
//! keywords matched and ranked, top 20 kept. The bound is 5 ms per keystroke; the
//! README gives the figure. Run: `cargo bench --bench search`.

use std::hint::black_box;

use capflow::flow::search::{IndexEntry, Keyword, LocalIndex};
use capflow::flow::{Market, SecurityCode};
use criterion::{Criterion, criterion_group, criterion_main};

const WORDS: [&str; 16] = [
    "TENCENT",
    "HOLDINGS",
    "BANK",
    "CHINA",
    "GROUP",
    "ENERGY",
    "PHARMA",
    "TECH",
    "Apple",
    "Global",
    "Motors",
    "阿里巴巴",
    "腾讯",
    "控股",
    "银行",
    "科技",
];

/// 20,000 entries: 7,000 HK, 7,000 US, 6,000 A-shares, names of two or three words.
fn index() -> LocalIndex {
    let mut rng = fastrand::Rng::with_seed(7);
    let mut entries = Vec::with_capacity(20_000);
    for i in 0..20_000_u32 {
        let (market, code) = match i % 20 {
            0..7 => (Market::Hk, format!("{:05}", i % 100_000)),
            7..14 => {
                let letters: String = (0..4).map(|_| rng.uppercase()).collect();
                (Market::Us, format!("{letters}{i}"))
            }
            14..17 => (Market::Sh, format!("{}", 600_000 + i)),
            _ => (Market::Sz, format!("{i:06}")),
        };
        let words = 2 + rng.usize(..2);
        let name: Vec<&str> = (0..words)
            .map(|_| WORDS[rng.usize(..WORDS.len())])
            .collect();
        entries.push(IndexEntry {
            code: SecurityCode::new(market, code),
            name: name.join(" "),
            sec_type: 3,
        });
    }
    LocalIndex::new(entries)
}

fn keystrokes(c: &mut Criterion) {
    let index = index();
    assert_eq!(index.len(), 20_000);
    for word in ["tencent", "700", "HK.00700", "阿里巴巴", "china bank"] {
        let prefixes: Vec<Keyword> = word
            .char_indices()
            .map(|(i, ch)| &word[..i + ch.len_utf8()])
            .filter_map(|p| Keyword::parse(p).ok())
            .collect();
        c.bench_function(&format!("search 20k: each keystroke of {word:?}"), |b| {
            b.iter(|| {
                for k in &prefixes {
                    black_box(index.search(k, 20));
                }
            });
        });
        c.bench_function(&format!("search 20k: {word:?} whole"), |b| {
            b.iter(|| black_box(index.search(&prefixes[prefixes.len() - 1], 20)));
        });
    }
}

criterion_group!(benches, keystrokes);
criterion_main!(benches);
