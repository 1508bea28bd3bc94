use super::*;

fn docker(id: &str) -> StreamKey {
    StreamKey::Docker {
        host: "local".into(),
        id: id.into(),
    }
}

fn text(store: &LogStore, id: LineId) -> String {
    store.line(id).unwrap().text_str().into_owned()
}

#[test]
fn lines_keep_their_text_and_metadata() {
    let mut store = LogStore::new(1 << 20);
    let when = Timestamp::from_second(1_700_000_000).unwrap();
    let a = store.ingest(RawLogLine {
        stream: docker("a"),
        timestamp: Some(when),
        stderr: true,
        bytes: b"boom \x1b]0;title\x07".to_vec(),
    });
    let line = store.line(a).unwrap();
    assert_eq!(line.text, b"boom ");
    assert_eq!(line.timestamp(), Some(when));
    assert!(line.stderr());
    assert_eq!(store.len(), 1);
}

#[test]
fn sequence_numbers_merge_streams_in_arrival_order() {
    let mut store = LogStore::new(1 << 20);
    let ids: Vec<LineId> = ["a", "b", "a", "c", "b"]
        .iter()
        .enumerate()
        .map(|(i, s)| store.ingest_bytes(&docker(s), None, false, format!("{i}").as_bytes()))
        .collect();
    let seqs: Vec<u64> = ids.iter().map(|id| id.seq).collect();
    assert_eq!(seqs, vec![0, 1, 2, 3, 4]);
    assert_eq!(ids[0].stream, ids[2].stream);
    assert_ne!(ids[0].stream, ids[1].stream);
    for (i, id) in ids.iter().enumerate() {
        assert_eq!(text(&store, *id), i.to_string());
    }
}

#[test]
fn budget_evicts_oldest_first_across_streams() {
    // Each line is charged its 10 bytes of text + LINE_CHARGE_BYTES. Budget for 3 lines.
    let mut store = LogStore::new(3 * (10 + LINE_CHARGE_BYTES));
    let a1 = store.ingest_bytes(&docker("a"), None, false, b"a1........");
    let b1 = store.ingest_bytes(&docker("b"), None, false, b"b1........");
    let a2 = store.ingest_bytes(&docker("a"), None, false, b"a2........");
    assert_eq!(store.len(), 3);
    let b2 = store.ingest_bytes(&docker("b"), None, false, b"b2........");
    // a1 was the oldest, though stream b is the one that grew.
    assert!(store.line(a1).is_none());
    assert!(store.line(b1).is_some());
    assert_eq!(store.first_seq(), 1);
    let c1 = store.ingest_bytes(&docker("c"), None, false, b"c1........");
    assert!(store.line(b1).is_none());
    for id in [a2, b2, c1] {
        assert!(store.line(id).is_some());
    }

    let stats = store.stats();
    assert_eq!(stats.retained_lines, 3);
    assert_eq!(stats.evicted_lines, 2);
    assert_eq!(stats.evicted_bytes, 20);
    assert_eq!(stats.charged_bytes, 3 * (10 + LINE_CHARGE_BYTES) as u64);
    let a = store.stream_stats(&docker("a")).unwrap();
    assert_eq!(
        (a.evicted_lines, a.evicted_bytes, a.retained_lines),
        (1, 10, 1)
    );
    let b = store.stream_stats(&docker("b")).unwrap();
    assert_eq!((b.evicted_lines, b.retained_lines), (1, 1));
}

#[test]
fn dropped_lines_are_counted() {
    let mut store = LogStore::new(1 << 20);
    store.note_dropped(&docker("a"), 7);
    store.note_dropped(&docker("a"), 5);
    assert_eq!(store.stream_stats(&docker("a")).unwrap().dropped_lines, 12);
    assert_eq!(store.stats().dropped_lines, 12);
    assert!(store.is_empty());
}

#[test]
fn a_huge_line_is_kept_whole() {
    let mut store = LogStore::new(64 << 20);
    let big = vec![b'x'; 10 * 1024 * 1024];
    let small = store.ingest_bytes(&docker("a"), None, false, b"before");
    let id = store.ingest_bytes(&docker("a"), None, false, &big);
    let after = store.ingest_bytes(&docker("a"), None, false, b"after");
    assert_eq!(store.line(id).unwrap().text.len(), big.len());
    assert_eq!(text(&store, small), "before");
    assert_eq!(text(&store, after), "after");
}

#[test]
fn the_newest_line_stays_even_over_budget() {
    let mut store = LogStore::new(100);
    store.ingest_bytes(&docker("a"), None, false, b"old");
    let id = store.ingest_bytes(&docker("a"), None, false, &[b'y'; 1000]);
    assert_eq!(store.len(), 1);
    assert!(store.line(id).is_some());
}

#[test]
fn ring_survives_many_chunks_and_evictions() {
    // Many lines over a budget: chunks are filled, sealed and freed over and over.
    let budget = 4 << 20;
    let mut store = LogStore::new(budget);
    let mut last = None;
    for i in 0..400_000u32 {
        let stream = docker(if i % 3 == 0 { "a" } else { "b" });
        last = Some(store.ingest_bytes(&stream, None, false, format!("line {i:06}").as_bytes()));
    }
    let stats = store.stats();
    assert!(stats.charged_bytes <= budget as u64);
    assert_eq!(stats.retained_lines + stats.evicted_lines, 400_000);
    assert_eq!(store.len(), stats.retained_lines);
    // Every retained line is where its number says, in both streams.
    for seq in store.first_seq()..store.next_seq() {
        let stream = store
            .stream_id(&docker(if seq % 3 == 0 { "a" } else { "b" }))
            .unwrap();
        let line = store.line(LineId { seq, stream }).unwrap();
        assert_eq!(line.text_str(), format!("line {seq:06}"));
    }
    assert_eq!(text(&store, last.unwrap()), "line 399999");
    // Heap stays near the budget: whole chunks are freed. The slack is about one chunk
    // per stream at each end of its ring.
    assert!(stats.heap_bytes < budget as u64 * 5 / 4, "{stats:?}");
}

#[test]
fn ring_scans_across_chunks() {
    let mut store = LogStore::new(1 << 20);
    for i in 0..5000 {
        store.ingest_bytes(&docker("a"), None, false, format!("{i}").as_bytes());
    }
    let ring = store.ring(store.stream_id(&docker("a")).unwrap()).unwrap();
    let mut seen = Vec::new();
    let mut scratch = crate::logs::ring::ScanScratch::default();
    ring.scan_lines(100, 4000, &[], &mut scratch, |id| seen.push(id.seq));
    assert_eq!(seen, (100..4000).collect::<Vec<_>>());
    assert_eq!(ring.first_at_or_after(2500), 2500);
    assert_eq!(ring.first_at_or_after(99_999), 5000);
    assert_eq!(ring.line(4999).unwrap().text, b"4999");
    assert!(ring.line(5000).is_none());
}

#[test]
fn colors_are_kept_beside_the_text() {
    let mut store = LogStore::new(1 << 20);
    let plain = store.ingest_bytes(&docker("a"), None, false, b"plain");
    let red = store.ingest_bytes(&docker("a"), None, false, b"\x1b[31mred\x1b[0m text");
    let line = store.line(red).unwrap();
    assert_eq!(line.text, b"red text");
    assert!(line.has_sgr());
    let records: Vec<_> = crate::logs::sgr::records(line.colors).collect();
    assert_eq!(records, vec![(0, "31"), (3, "0")]);
    assert!(store.line(plain).unwrap().colors.is_empty());
    // Colors count toward the budget and the counters: two records (5-byte header +
    // params) and the line's entry in the chunk's colored-line list.
    assert_eq!(
        store.stream_stats(&docker("a")).unwrap().retained_bytes,
        5 + 8 + (7 + 6) + 8
    );
}
