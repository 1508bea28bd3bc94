//! The fuzzy filter: deciding whether a row matches, and the cached text it matches against.
//!
//! A keystroke in the filter prompt re-matches up to every row of a table. Building a row's
//! haystack reads several strings scattered over the heap, which cost more than matching
//! them, so [`Haystacks`] keeps them in one arena and rebuilds only the items that changed.

use std::fmt;

use nucleo_matcher::pattern::{AtomKind, CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher, Utf32Str};

use super::TableSpec;
use crate::store::Fleet;

/// A compiled filter text, with nucleo's smart case and normalization.
pub(super) struct FuzzyFilter {
    pattern: Pattern,
    matcher: Matcher,
    utf32: Vec<char>,
    /// Each word as bytes and whether it ignores case, when every word is plain ASCII: then
    /// an ASCII haystack needs only a subsequence test (see [`FuzzyFilter::matches`]).
    ascii_words: Option<Vec<(Box<[u8]>, bool)>>,
}

impl FuzzyFilter {
    pub(super) fn new(filter: &str) -> FuzzyFilter {
        let pattern = Pattern::new(
            filter,
            CaseMatching::Smart,
            Normalization::Smart,
            AtomKind::Fuzzy,
        );
        let ascii_words = pattern
            .atoms
            .iter()
            .map(|atom| match atom.needle_text() {
                Utf32Str::Ascii(bytes) if !atom.negative && atom.kind == AtomKind::Fuzzy => {
                    // What `Atom::new` decides for an ASCII word with smart case.
                    let ignore_case = !bytes.iter().any(u8::is_ascii_uppercase);
                    Some((Box::from(bytes), ignore_case))
                }
                _ => None,
            })
            .collect();
        FuzzyFilter {
            pattern,
            matcher: Matcher::new(Config::DEFAULT),
            utf32: Vec::new(),
            ascii_words,
        }
    }

    /// Whether every word of the filter matches `haystack`, as
    /// `pattern.score(..).is_some()` decides.
    ///
    /// Rows are ordered by column, never by score, so only a yes or no is needed. For an
    /// ASCII word in an ASCII haystack, nucleo's matchers accept exactly the haystacks that
    /// contain the word's bytes in order (ignoring ASCII case when the word has no
    /// capital): a plain subsequence test answers that without scoring any alignment.
    /// Anything else goes through nucleo ([`matches`]).
    pub(super) fn matches(&mut self, haystack: &str) -> bool {
        if let Some(words) = &self.ascii_words
            && haystack.is_ascii()
        {
            let haystack = haystack.as_bytes();
            return words
                .iter()
                .all(|(word, ignore_case)| is_subsequence(word, haystack, *ignore_case));
        }
        matches(
            &self.pattern,
            Utf32Str::new(haystack, &mut self.utf32),
            &mut self.matcher,
        )
    }
}

/// Whether `needle`'s bytes occur in `haystack` in order; `needle` has no capitals when
/// `ignore_case` is set.
fn is_subsequence(needle: &[u8], haystack: &[u8], ignore_case: bool) -> bool {
    let mut wanted = needle.iter();
    let Some(mut want) = wanted.next() else {
        return true;
    };
    for &b in haystack {
        let b = if ignore_case {
            b.to_ascii_lowercase()
        } else {
            b
        };
        if b == *want {
            match wanted.next() {
                Some(next) => want = next,
                None => return true,
            }
        }
    }
    false
}

/// Whether every word of the filter matches, as `pattern.score(..).is_some()` decides, through
/// nucleo: an ASCII word uses its linear greedy matcher, which accepts the same haystacks as
/// the optimal one `score` runs; other words go through `Atom::score`.
fn matches(pattern: &Pattern, haystack: Utf32Str<'_>, matcher: &mut Matcher) -> bool {
    pattern.atoms.iter().all(|atom| match atom.needle_text() {
        needle @ Utf32Str::Ascii(bytes) if !atom.negative && atom.kind == AtomKind::Fuzzy => {
            // What `Atom::new` decides for an ASCII word with smart case and normalization.
            matcher.config.ignore_case = !bytes.iter().any(u8::is_ascii_uppercase);
            matcher.config.normalize = true;
            matcher.fuzzy_match_greedy(haystack, needle).is_some()
        }
        _ => atom.score(haystack, matcher).is_some(),
    })
}

/// Whether every row that matches `new` also matches `old`, so `new`'s matches can be
/// picked from `old`'s. True when `new` only appends to `old`: each word grows or new words
/// come, and a longer word is a stricter subsequence (a capital only makes it case
/// sensitive, a non-ASCII letter only turns normalization off). Not after a trailing
/// backslash, which an appended space would turn into an escaped space.
pub(super) fn narrows(old: &str, new: &str) -> bool {
    new.starts_with(old) && !old.ends_with('\\')
}

/// Where one item's haystack lies in the arena.
#[derive(Clone, Copy)]
struct Span {
    start: u32,
    len: u32,
}

impl Span {
    const NONE: Span = Span {
        start: u32::MAX,
        len: 0,
    };
}

/// Every item's filter haystack, built on first use and kept until the item changes.
///
/// Only for specs that report their changes ([`TableSpec::changes_since`]), whose items are
/// dense positions: an arena plus a span per position. For others each haystack is built
/// when asked for, as before.
#[derive(Clone, Default)]
pub(super) struct Haystacks {
    /// The data revision the spans are valid for; `None`: nothing cached.
    synced: Option<u64>,
    /// Whether the spec reports its changes, so positions can be cached.
    dense: bool,
    text: String,
    spans: Vec<Span>,
    /// Bytes of `text` no span points at any more.
    garbage: usize,
    /// The haystack of an item that is not cached.
    scratch: String,
    /// How many items of the sorted order a warm-up has built, since the arena was last
    /// emptied ([`OrderCache::warm_haystacks`](super::order::OrderCache::warm_haystacks)).
    pub(super) warmed: usize,
}

impl fmt::Debug for Haystacks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Haystacks")
            .field("synced", &self.synced)
            .field("dense", &self.dense)
            .field("bytes", &self.text.len())
            .field("garbage", &self.garbage)
            .finish_non_exhaustive()
    }
}

impl Haystacks {
    /// Forget the haystacks of items that changed since the last sync.
    pub(super) fn sync(&mut self, spec: &dyn TableSpec, fleet: &Fleet, revision: u64) {
        if self.synced == Some(revision) {
            return;
        }
        // With nothing cached, asking about the current revision tells whether the spec
        // reports changes at all.
        let changes = spec.changes_since(fleet, self.synced.unwrap_or(revision));
        match changes {
            Some(changes) if self.synced.is_some() && self.dense => {
                for &item in &changes.changed {
                    self.forget(item as usize);
                }
                for gone in (changes.len as usize)..self.spans.len() {
                    self.forget(gone);
                }
                self.spans.truncate(changes.len as usize);
                if self.garbage > self.text.len() / 2 && self.garbage > 1 << 16 {
                    self.compact();
                }
            }
            _ => {
                self.text.clear();
                self.spans.clear();
                self.garbage = 0;
                self.warmed = 0;
                self.dense = changes.is_some();
            }
        }
        self.synced = Some(revision);
    }

    /// Whether the haystacks are current for `revision` (as of the last sync).
    pub(super) fn synced_at(&self, revision: u64) -> bool {
        self.synced == Some(revision)
    }

    /// Whether haystacks are kept between keystrokes (the spec reports its changes).
    pub(super) fn cached(&self) -> bool {
        self.dense
    }

    /// Whether `item`'s haystack is in the arena.
    #[cfg(test)]
    pub(super) fn built(&self, item: u32) -> bool {
        self.spans
            .get(item as usize)
            .is_some_and(|s| s.start != u32::MAX)
    }

    fn forget(&mut self, item: usize) {
        if let Some(span) = self.spans.get_mut(item)
            && span.start != u32::MAX
        {
            self.garbage += span.len as usize;
            *span = Span::NONE;
        }
    }

    /// Copy the live haystacks into a fresh arena, dropping the garbage.
    fn compact(&mut self) {
        let mut text = String::with_capacity(self.text.len() - self.garbage);
        for span in &mut self.spans {
            if span.start != u32::MAX {
                let start = text.len();
                text.push_str(&self.text[span.start as usize..][..span.len as usize]);
                span.start = start as u32;
            }
        }
        self.text = text;
        self.garbage = 0;
    }

    /// The haystack of `item`, built if it is not cached. Call [`Haystacks::sync`] first.
    pub(super) fn get(&mut self, spec: &dyn TableSpec, fleet: &Fleet, item: u32) -> &str {
        let at = item as usize;
        // A dense spec's items are positions below the collection's length; the arena's
        // offsets are `u32`, so past 4 GiB of text haystacks are simply not cached.
        if !self.dense || self.text.len() >= u32::MAX as usize / 2 {
            self.scratch.clear();
            spec.haystack(fleet, item, &mut self.scratch);
            return &self.scratch;
        }
        if at >= self.spans.len() {
            self.spans.resize(at + 1, Span::NONE);
        }
        let mut span = self.spans[at];
        if span.start == u32::MAX {
            let start = self.text.len();
            spec.haystack(fleet, item, &mut self.text);
            span = Span {
                start: start as u32,
                len: (self.text.len() - start) as u32,
            };
            self.spans[at] = span;
        }
        &self.text[span.start as usize..][..span.len as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HAYSTACKS: &[&str] = &[
        "prod-eu-west-1 shop-a api-7d9f8b6c5d-x2k4q CrashLoopBackOff prod-eu-west-1-node-007",
        "shop-staging shop frontend-6f8d9c7b4-abcde Running stg-node-1",
        "shop-prod payments ledger-5c4b7f9d8-9qz7w ImagePullBackOff node-b",
        "shop-prod monitoring node-exporter-2d69v Running node-c",
        "local shop shop-redis-1 redis:7.4 restarting Ünïcode-naïve",
        "back off \\ slash",
        "a",
        "ab",
        "",
    ];

    const FILTERS: &[&str] = &[
        "api-7",
        "api 7",
        "x2k4q",
        "API",
        "Api",
        "ledger",
        "shop prod",
        "crash loop",
        "ImagePull",
        "imagepull",
        "zzz",
        "7d9f8b6c5d-x2k4qq",
        "node-b",
        "naive",
        "naïve",
        "ü",
        "e",
        "a b c",
        "\\ ",
        "back\\ off",
        "ab",
        "AB",
        "b",
        "   ",
        "\\",
    ];

    fn scored(filter: &str, text: &str) -> bool {
        let pattern = Pattern::new(
            filter,
            CaseMatching::Smart,
            Normalization::Smart,
            AtomKind::Fuzzy,
        );
        let mut matcher = Matcher::new(Config::DEFAULT);
        let mut utf32 = Vec::new();
        pattern
            .score(Utf32Str::new(text, &mut utf32), &mut matcher)
            .is_some()
    }

    #[test]
    fn matching_accepts_exactly_what_scoring_accepts() {
        for filter in FILTERS {
            let mut fuzzy = FuzzyFilter::new(filter);
            for text in HAYSTACKS {
                assert_eq!(
                    fuzzy.matches(text),
                    scored(filter, text),
                    "filter {filter:?} on {text:?}"
                );
            }
        }
    }

    #[test]
    fn subsequence_test_agrees_with_scoring_on_random_ascii() {
        // A small alphabet with both cases, digits, dashes and spaces, so words hit and miss.
        const ALPHABET: &[u8] = b"aAbBcC-17 xX";
        let mut state = 0x2545_F491_4F6C_DD1Du64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n as u64) as usize
        };
        let mut random_text = |max: usize| -> String {
            let len = next(max + 1);
            (0..len)
                .map(|_| ALPHABET[next(ALPHABET.len())] as char)
                .collect()
        };
        let filters: Vec<String> = (0..60).map(|_| random_text(4)).collect();
        let texts: Vec<String> = (0..200).map(|_| random_text(12)).collect();
        for filter in &filters {
            let mut fuzzy = FuzzyFilter::new(filter);
            for text in &texts {
                assert_eq!(
                    fuzzy.matches(text),
                    scored(filter, text),
                    "filter {filter:?} on {text:?}"
                );
            }
        }
    }

    #[test]
    fn a_narrowing_filter_matches_a_subset() {
        for old in FILTERS {
            for new in FILTERS {
                if !narrows(old, new) {
                    continue;
                }
                for text in HAYSTACKS {
                    assert!(
                        !scored(new, text) || scored(old, text),
                        "{new:?} matches {text:?} but {old:?} does not"
                    );
                }
            }
        }
        assert!(narrows("api", "api-7"));
        assert!(narrows("", "a"));
        assert!(!narrows("api-7", "api"));
        assert!(!narrows("back\\", "back\\ off"));
    }
}
