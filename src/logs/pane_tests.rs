use super::*;
use crate::logs::store::LINE_CHARGE_BYTES;

fn docker(id: &str) -> StreamKey {
    StreamKey::Docker {
        host: "local".into(),
        id: id.into(),
    }
}

fn add(store: &mut LogStore, stream: &str, text: &str) -> LineId {
    store.ingest_bytes(&docker(stream), None, false, text.as_bytes())
}

/// Lines "0".."n-1" alternating between streams a and b.
fn store_with(n: usize, budget: usize) -> LogStore {
    let mut store = LogStore::new(budget);
    for i in 0..n {
        add(&mut store, ["a", "b"][i % 2], &format!("{i}"));
    }
    store
}

fn texts(pane: &LogPane, store: &LogStore, height: usize) -> Vec<String> {
    pane.visible_lines(store, height)
        .lines
        .iter()
        .map(|id| store.line(*id).unwrap().text_str().into_owned())
        .collect()
}

fn strings(range: std::ops::Range<usize>) -> Vec<String> {
    range.map(|i| i.to_string()).collect()
}

fn finish(pane: &mut LogPane, store: &LogStore) {
    let mut rounds = 0;
    while pane.pending_work() {
        pane.do_work(store, 7);
        rounds += 1;
        assert!(rounds < 10_000);
    }
}

#[test]
fn follows_the_tail_across_streams() {
    let mut store = store_with(20, 1 << 20);
    let pane = LogPane::new("web", vec![docker("a"), docker("b")]);
    assert!(pane.is_following());
    assert_eq!(texts(&pane, &store, 5), strings(15..20));
    add(&mut store, "b", "20");
    assert_eq!(texts(&pane, &store, 5), strings(16..21));
    // A pane of one stream shows only that stream.
    let only_a = LogPane::new("a", vec![docker("a")]);
    assert_eq!(texts(&only_a, &store, 3), vec!["14", "16", "18"]);
}

#[test]
fn scrolling_up_pauses_and_new_lines_do_not_move_the_view() {
    let mut store = store_with(20, 1 << 20);
    let mut pane = LogPane::new("web", vec![docker("a"), docker("b")]);
    pane.scroll_up(&store, 3, 5);
    assert!(!pane.is_following());
    assert_eq!(texts(&pane, &store, 5), strings(12..17));
    for i in 20..30 {
        add(&mut store, "a", &i.to_string());
    }
    assert_eq!(texts(&pane, &store, 5), strings(12..17));
    pane.bottom();
    assert!(pane.is_following());
    assert_eq!(texts(&pane, &store, 5), strings(25..30));
}

#[test]
fn scroll_position_is_stable_under_eviction() {
    // About 40 lines fit: "NN" is 2 bytes of text.
    let mut store = store_with(40, 40 * (2 + LINE_CHARGE_BYTES));
    let mut pane = LogPane::new("web", vec![docker("a"), docker("b")]);
    pane.scroll_up(&store, 10, 5);
    assert_eq!(texts(&pane, &store, 5), strings(25..30));
    // Evict the 20 oldest: the viewport's lines are still there and stay put.
    for i in 40..60 {
        add(&mut store, ["a", "b"][i % 2], &i.to_string());
    }
    assert_eq!(store.first_seq(), 20);
    assert_eq!(texts(&pane, &store, 5), strings(25..30));
    // Evict past the viewport: it holds at the oldest lines.
    for i in 60..90 {
        add(&mut store, "a", &i.to_string());
    }
    assert_eq!(texts(&pane, &store, 5), strings(50..55));
    // And scrolling from there works from what is retained.
    pane.scroll_down(&store, 1, 5);
    assert_eq!(texts(&pane, &store, 5), strings(51..56));
}

#[test]
fn page_up_down_top_and_bottom() {
    let store = store_with(100, 1 << 20);
    let mut pane = LogPane::new("web", vec![docker("a"), docker("b")]);
    pane.page_up(&store, 10);
    assert_eq!(texts(&pane, &store, 10), strings(81..91));
    pane.page_up(&store, 10);
    assert_eq!(texts(&pane, &store, 10), strings(72..82));
    pane.page_down(&store, 10);
    assert_eq!(texts(&pane, &store, 10), strings(81..91));
    pane.top(&store, 10);
    assert_eq!(texts(&pane, &store, 10), strings(0..10));
    // Scrolling up at the top does nothing; down moves right away.
    pane.scroll_up(&store, 5, 10);
    assert_eq!(texts(&pane, &store, 10), strings(0..10));
    pane.scroll_down(&store, 1, 10);
    assert_eq!(texts(&pane, &store, 10), strings(1..11));
    // Reaching the newest line resumes following.
    pane.page_down(&store, 10);
    assert!(!pane.is_following());
    for _ in 0..20 {
        pane.page_down(&store, 10);
    }
    assert!(pane.is_following());
    pane.top(&store, 10);
    pane.bottom();
    assert!(pane.is_following());
    assert_eq!(texts(&pane, &store, 10), strings(90..100));
}

#[test]
fn few_lines_fill_from_the_top() {
    let store = store_with(3, 1 << 20);
    let pane = LogPane::new("web", vec![docker("a"), docker("b")]);
    let visible = pane.visible_lines(&store, 10);
    assert!(visible.from_top);
    assert_eq!(visible.lines.len(), 3);
}

#[test]
fn filter_shows_matches_incrementally() {
    let mut store = LogStore::new(1 << 20);
    for i in 0..1000 {
        let level = if i % 10 == 0 { "ERROR" } else { "info" };
        add(&mut store, ["a", "b"][i % 2], &format!("{level} {i}"));
    }
    let mut pane = LogPane::new("web", vec![docker("a"), docker("b")]);
    pane.set_filter("error", false);
    assert!(pane.pending_work());
    pane.do_work(&store, 100);
    // The first screenful is there before the pass finishes.
    let status = pane.filter_status(&store).unwrap();
    let progress = status.progress.unwrap();
    assert!(!progress.done);
    assert_eq!(
        texts(&pane, &store, 3),
        vec!["ERROR 970", "ERROR 980", "ERROR 990"]
    );
    finish(&mut pane, &store);
    assert_eq!(
        pane.filter_status(&store)
            .unwrap()
            .progress
            .unwrap()
            .matches,
        100
    );
    pane.top(&store, 2);
    assert_eq!(texts(&pane, &store, 2), vec!["ERROR 0", "ERROR 10"]);

    // Arrivals are filtered by the next round of work.
    pane.bottom();
    add(&mut store, "a", "ERROR late");
    add(&mut store, "b", "info late");
    pane.do_work(&store, 100);
    assert_eq!(texts(&pane, &store, 2), vec!["ERROR 990", "ERROR late"]);
    assert!(
        !pane.pending_work(),
        "idle once caught up: the loop must not spin"
    );

    // Inverted.
    pane.set_filter("error|info", true);
    finish(&mut pane, &store);
    assert_eq!(
        pane.filter_status(&store)
            .unwrap()
            .progress
            .unwrap()
            .matches,
        0
    );
    pane.clear_filter();
    assert_eq!(texts(&pane, &store, 1), vec!["info late"]);
}

#[test]
fn invalid_filter_reports_and_does_not_filter() {
    let store = store_with(10, 1 << 20);
    let mut pane = LogPane::new("web", vec![docker("a"), docker("b")]);
    pane.set_filter("[unclosed", false);
    let status = pane.filter_status(&store).unwrap();
    assert!(status.error.unwrap().contains("unclosed character class"));
    assert!(status.progress.is_none());
    assert!(!pane.pending_work());
    assert_eq!(texts(&pane, &store, 3), strings(7..10));
}

#[test]
fn search_moves_between_matches() {
    let mut store = LogStore::new(1 << 20);
    for i in 0..100 {
        let text = if i % 20 == 5 {
            format!("needle {i}")
        } else {
            format!("hay {i}")
        };
        add(&mut store, "a", &text);
    }
    let mut pane = LogPane::new("a", vec![docker("a")]);
    pane.set_search("NEEDLE"); // uppercase: case-sensitive, finds nothing
    finish(&mut pane, &store);
    assert_eq!(pane.search_status(&store).unwrap().total, 0);

    pane.set_search("needle");
    // Asked before any work: the jump waits for the scan.
    pane.search_older(&store, 10);
    finish(&mut pane, &store);
    let status = pane.search_status(&store).unwrap();
    assert_eq!(
        (status.total, status.current, status.done),
        (5, Some(5), true)
    );
    // "needle 85" is just above the tail's viewport: scrolled into view.
    assert!(!pane.is_following());
    assert!(texts(&pane, &store, 10).contains(&"needle 85".to_string()));
    // A match already in view does not scroll.
    pane.bottom();
    pane.search_older(&store, 40);
    assert_eq!(pane.search_status(&store).unwrap().current, Some(4));
    assert!(pane.is_following());
    pane.search_newer(&store, 40);
    assert_eq!(pane.search_status(&store).unwrap().current, Some(5));
    assert!(pane.is_following());

    pane.search_older(&store, 10);
    assert_eq!(pane.search_status(&store).unwrap().current, Some(4));
    assert!(!pane.is_following());
    assert!(texts(&pane, &store, 10).contains(&"needle 65".to_string()));
    pane.search_older(&store, 10);
    pane.search_older(&store, 10);
    pane.search_older(&store, 10);
    assert_eq!(pane.search_status(&store).unwrap().current, Some(1));
    pane.search_older(&store, 10); // no older match: stays
    assert_eq!(pane.search_status(&store).unwrap().current, Some(1));
    assert!(texts(&pane, &store, 10).contains(&"needle 5".to_string()));
    pane.search_newer(&store, 10);
    assert_eq!(pane.search_status(&store).unwrap().current, Some(2));
    assert!(texts(&pane, &store, 10).contains(&"needle 25".to_string()));
}

#[test]
fn search_respects_the_filter() {
    let mut store = LogStore::new(1 << 20);
    add(&mut store, "a", "GET /a 200");
    add(&mut store, "a", "GET /b 500");
    add(&mut store, "a", "POST /b 500");
    let mut pane = LogPane::new("a", vec![docker("a")]);
    pane.set_search("/b");
    pane.set_filter("^GET", false);
    finish(&mut pane, &store);
    assert_eq!(pane.search_status(&store).unwrap().total, 1);
    pane.clear_filter();
    finish(&mut pane, &store);
    assert_eq!(pane.search_status(&store).unwrap().total, 2);
}

#[test]
fn streams_can_change() {
    let store = store_with(20, 1 << 20);
    let mut pane = LogPane::new("web", vec![docker("a")]);
    pane.set_filter("1", false);
    finish(&mut pane, &store);
    assert_eq!(texts(&pane, &store, 10), vec!["10", "12", "14", "16", "18"]);
    pane.set_streams(vec![docker("a"), docker("b")]);
    assert!(pane.pending_work());
    finish(&mut pane, &store);
    assert_eq!(texts(&pane, &store, 3), vec!["17", "18", "19"]);
}

#[test]
fn toggles() {
    let mut pane = LogPane::new("a", vec![docker("a")]);
    assert!(!pane.wrap() && !pane.timestamps());
    pane.toggle_wrap();
    pane.toggle_timestamps();
    assert!(pane.wrap() && pane.timestamps());
    assert_eq!(pane.title(), "a");
    assert_eq!(pane.streams(), &[docker("a")]);
}

#[test]
fn save_writes_every_retained_line_of_the_pane_in_order_with_labels() {
    // 10,000 lines over two streams plus a third the pane does not show; a small budget
    // evicts the oldest, so what is saved is exactly what is retained.
    let mut store = LogStore::new(200 * (LINE_CHARGE_BYTES + 8));
    for i in 0..10_000 {
        add(&mut store, ["a", "b", "other"][i % 3], &format!("line {i}"));
    }
    let pane = LogPane::new("web", vec![docker("a"), docker("b")]);
    let mut out = Vec::new();
    let written = pane.save(&store, &mut out).expect("write to memory");
    let text = String::from_utf8(out).expect("utf-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len() as u64, written);
    assert!(
        written > 50 && written < 200,
        "{written} retained lines of a and b"
    );
    // In arrival order, each labelled with its stream, none from the other stream.
    let numbers: Vec<usize> = lines
        .iter()
        .map(|l| {
            let (label, rest) = l.split_once(' ').expect("label");
            assert!(label == "a" || label == "b", "{l}");
            rest.trim_start_matches("line ").parse().expect("number")
        })
        .collect();
    assert!(numbers.windows(2).all(|w| w[0] < w[1]));
    assert!(numbers.iter().all(|n| n % 3 != 2));
    assert_eq!(*numbers.last().expect("one"), 9_999);
}
