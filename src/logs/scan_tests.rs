use super::*;
use crate::logs::store::LINE_CHARGE_BYTES;

fn docker(id: &str) -> StreamKey {
    StreamKey::Docker {
        host: "local".into(),
        id: id.into(),
    }
}

/// 3 streams, interleaved unevenly; every 7th line says "error".
fn store_with_lines(count: u64) -> LogStore {
    let mut store = LogStore::new(64 << 20);
    for i in 0..count {
        let stream = ["a", "b", "c"][((i * 2_654_435_761) >> 13) as usize % 3];
        let level = if i % 7 == 0 { "ERROR" } else { "info" };
        let text = format!("{level} request {i} \x1b[32mdone\x1b[0m");
        store.ingest_bytes(&docker(stream), None, false, text.as_bytes());
    }
    store
}

/// The matches by brute force: every line of `streams` in arrival order.
fn expected(store: &LogStore, streams: &[StreamKey], matcher: &LineMatcher) -> Vec<LineId> {
    let ids: Vec<StreamId> = streams.iter().filter_map(|k| store.stream_id(k)).collect();
    let mut out = Vec::new();
    for seq in store.first_seq()..store.next_seq() {
        for &stream in &ids {
            if let Some(line) = store.line(LineId { seq, stream })
                && matcher.matches(&line)
            {
                out.push(line.id);
            }
        }
    }
    out
}

fn found(scan: &MatchScan, store: &LogStore) -> Vec<LineId> {
    scan.matches()
        .iter()
        .copied()
        .filter(|m| m.seq >= store.first_seq())
        .collect()
}

fn run_to_end(scan: &mut MatchScan, store: &LogStore, step: usize) -> usize {
    let mut steps = 0;
    while scan.has_pending() {
        scan.step(store, step);
        steps += 1;
        assert!(steps < 100_000, "scan does not finish");
    }
    steps
}

#[test]
fn full_pass_finds_every_match_in_order() {
    let store = store_with_lines(5000);
    let streams = [docker("a"), docker("b"), docker("c")];
    let matcher = LineMatcher::regex("error", false).unwrap();
    let mut scan = MatchScan::new(&streams, vec![matcher.clone()]);
    let progress = scan.step(&store, usize::MAX);
    assert!(progress.done);
    assert_eq!(progress.percent(), 100);
    let want = expected(&store, &streams, &matcher);
    assert_eq!(want.len(), 5000_usize.div_ceil(7));
    assert_eq!(found(&scan, &store), want);
}

#[test]
fn inverted_filter_keeps_the_rest() {
    let store = store_with_lines(700);
    let streams = [docker("a"), docker("b"), docker("c")];
    let matcher = LineMatcher::regex("error", true).unwrap();
    let mut scan = MatchScan::new(&streams, vec![matcher.clone()]);
    run_to_end(&mut scan, &store, 1000);
    assert_eq!(found(&scan, &store).len(), 600);
    assert_eq!(found(&scan, &store), expected(&store, &streams, &matcher));
}

#[test]
fn small_steps_reach_the_same_result_newest_first() {
    let store = store_with_lines(5000);
    // Only two of the three streams: windows must skip the other's lines.
    let streams = [docker("a"), docker("c")];
    let matcher = LineMatcher::regex(r"request \d*5 ", false).unwrap();
    let want = expected(&store, &streams, &matcher);

    let mut scan = MatchScan::new(&streams, vec![matcher]);
    let first = scan.step(&store, 100);
    assert!(!first.done);
    assert!(first.percent() < 10, "{first:?}");
    // The first step found the newest matches.
    let early = found(&scan, &store);
    assert!(!early.is_empty());
    assert_eq!(early, want[want.len() - early.len()..]);

    let steps = run_to_end(&mut scan, &store, 100);
    assert!(steps > 10);
    assert_eq!(found(&scan, &store), want);
}

#[test]
fn lines_arriving_after_the_pass_are_filtered() {
    let mut store = store_with_lines(100);
    let streams = [docker("a"), docker("b"), docker("c")];
    let matcher = LineMatcher::regex("^ERROR", false).unwrap();
    let mut scan = MatchScan::new(&streams, vec![matcher.clone()]);
    // A partial pass, then new lines, then the rest: both regions end complete.
    scan.step(&store, 10);
    for i in 0..50 {
        let text = if i % 2 == 0 { "ERROR late" } else { "fine" };
        store.ingest_bytes(
            &docker(["a", "b", "c"][i % 3]),
            None,
            false,
            text.as_bytes(),
        );
    }
    // A stream the scan had not seen yet.
    store.ingest_bytes(&docker("d"), None, false, b"ERROR in d, not in the pane");
    run_to_end(&mut scan, &store, 10);
    assert_eq!(found(&scan, &store), expected(&store, &streams, &matcher));
    // Caught up; a new line makes work again, examined by the next step.
    store.ingest_bytes(&docker("b"), None, false, b"ERROR newest");
    scan.step(&store, 10);
    assert_eq!(
        found(&scan, &store).last().map(|m| m.seq),
        Some(store.next_seq() - 1)
    );
}

#[test]
fn a_stream_that_appears_later_is_scanned() {
    let mut store = LogStore::new(1 << 20);
    let matcher = LineMatcher::regex("x", false).unwrap();
    let mut scan = MatchScan::new(&[docker("late")], vec![matcher]);
    assert!(scan.step(&store, 10).done);
    store.ingest_bytes(&docker("late"), None, false, b"x");
    scan.step(&store, 10);
    assert_eq!(found(&scan, &store).len(), 1);
}

#[test]
fn evicted_lines_drop_out() {
    // Budget for about 100 lines of ~30 bytes.
    let mut store = LogStore::new(100 * (30 + LINE_CHARGE_BYTES));
    let streams = [docker("a"), docker("b")];
    let matcher = LineMatcher::regex("keep", false).unwrap();
    for i in 0..100 {
        store.ingest_bytes(
            &docker(["a", "b"][i % 2]),
            None,
            false,
            format!("keep {i:025}").as_bytes(),
        );
    }
    let mut scan = MatchScan::new(&streams, vec![matcher.clone()]);
    run_to_end(&mut scan, &store, 1000);
    let before = found(&scan, &store).len();
    assert!(before > 50);
    for i in 0..60 {
        store.ingest_bytes(
            &docker("a"),
            None,
            false,
            format!("keep {i:025}").as_bytes(),
        );
    }
    scan.step(&store, 1000);
    let after = found(&scan, &store);
    assert_eq!(after, expected(&store, &streams, &matcher));
    assert_eq!(
        scan.matches().len(),
        after.len(),
        "evicted matches are dropped"
    );
    assert!(after.iter().all(|m| store.line(*m).is_some()));
}

#[test]
fn eviction_during_a_backward_pass() {
    let mut store = LogStore::new(200 * (30 + LINE_CHARGE_BYTES));
    let streams = [docker("a")];
    for i in 0..200 {
        store.ingest_bytes(
            &docker("a"),
            None,
            false,
            format!("line {i:025}").as_bytes(),
        );
    }
    let matcher = LineMatcher::regex("line", false).unwrap();
    let mut scan = MatchScan::new(&streams, vec![matcher.clone()]);
    scan.step(&store, 20);
    // The unscanned old lines are evicted before the scan gets to them.
    for i in 0..150 {
        store.ingest_bytes(
            &docker("a"),
            None,
            false,
            format!("more {i:025}").as_bytes(),
        );
    }
    run_to_end(&mut scan, &store, 20);
    assert_eq!(found(&scan, &store), expected(&store, &streams, &matcher));
    assert!(scan.progress(&store).done);
}

#[test]
fn block_search_agrees_with_line_by_line() {
    let texts = [
        "foo bar",
        "bar foo",
        "foo",
        "",
        "xfoo barx",
        "\x1b[31mfoo\x1b[0m bar",
        "ba\x1b[1mr\x1b[0m baz",
        "a b",
        "  bar",
        "BAR Foo",
        "x",
        "foobar\tfoo",
    ];
    let mut store = LogStore::new(1 << 20);
    for round in 0..40 {
        for (i, text) in texts.iter().enumerate() {
            let stream = ["a", "b"][(i + round) % 2];
            store.ingest_bytes(&docker(stream), None, false, text.as_bytes());
        }
    }
    let streams = [docker("a"), docker("b")];
    let patterns = [
        "^foo", "foo$", r"\bfoo\b", r"\s+bar", r"r\s*b", "a[^x]*b", r"\n|$", "(?s)o.*b", "(?-m)^x",
        r"\Ax", r"x\z", "x*", "^$", "31m", "bar baz", "Foo",
    ];
    for pattern in patterns {
        for invert in [false, true] {
            let matcher = LineMatcher::regex(pattern, invert).unwrap();
            let mut scan = MatchScan::new(&streams, vec![matcher.clone()]);
            run_to_end(&mut scan, &store, 50);
            assert_eq!(
                found(&scan, &store),
                expected(&store, &streams, &matcher),
                "pattern {pattern:?} invert {invert}"
            );
        }
    }
    // Two predicates: a filter and a search.
    let filter = LineMatcher::regex("bar", false).unwrap();
    let search = LineMatcher::text("foo").unwrap();
    let mut scan = MatchScan::new(&streams, vec![filter.clone(), search.clone()]);
    run_to_end(&mut scan, &store, 50);
    let both: Vec<LineId> = expected(&store, &streams, &filter)
        .into_iter()
        .filter(|id| search.matches(&store.line(*id).unwrap()))
        .collect();
    assert_eq!(found(&scan, &store), both);
}
