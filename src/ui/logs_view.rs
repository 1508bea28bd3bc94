//! The logs view: a title line (what is shown and how), the visible log lines, and a
//! footer saying how much was evicted or dropped (DESIGN.md §4: the view says so).
//!
//! Only the lines in the viewport are formatted; everything else stays packed in the
//! store. Text comes from the store already sanitized, with its colors kept apart as
//! records that become styles here (never escape sequences written raw).

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Widget;

use crate::config::theme::Theme;
use crate::logs::display::{
    TextStyles, format_bytes, format_count, line_spans, stream_labels, wrap_rows,
};
use crate::logs::{LineId, LineRef, LogPane, LogStore, StreamId, StreamStats};

/// Stream labels are cut to this many characters.
const MAX_LABEL_WIDTH: usize = 16;
/// Stream colors cycle through `log.stream.0` .. `log.stream.5`.
const STREAM_STYLES: [&str; 6] = [
    "log.stream.0",
    "log.stream.1",
    "log.stream.2",
    "log.stream.3",
    "log.stream.4",
    "log.stream.5",
];

/// Draws one [`LogPane`] over the [`LogStore`].
pub struct LogsView<'a> {
    /// Where the lines are.
    pub store: &'a LogStore,
    /// Which lines, and how they are shown.
    pub pane: &'a LogPane,
    /// Styles: `log.*`, `title`, `status.ok`/`status.warning` (follow/paused),
    /// `prompt.error` (a bad filter), `table.dim` (the empty message).
    pub theme: &'a Theme,
}

impl LogsView<'_> {
    /// Rows left for log lines in `area` once the title and footer have theirs. Pass this
    /// as `height` to the pane's scrolling and search methods.
    pub fn body_rows(area: Rect) -> usize {
        usize::from(Self::layout(area).1.height)
    }

    /// Title, body and (when there is room) footer rows.
    fn layout(area: Rect) -> (Rect, Rect, Option<Rect>) {
        let row = |y: u16| Rect::new(area.x, y, area.width, 1);
        let title = row(area.y).intersection(area);
        let footer = (area.height >= 3).then(|| row(area.bottom() - 1));
        let body_height = area.height.saturating_sub(1 + u16::from(footer.is_some()));
        let body = Rect::new(area.x, area.y.saturating_add(1), area.width, body_height);
        (title, body, footer)
    }
}

impl Widget for LogsView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.is_empty() {
            return;
        }
        let (title, body, footer) = Self::layout(area);
        buf.set_line(title.x, title.y, &self.title_line(), title.width);
        if !body.is_empty() {
            self.render_body(body, buf);
        }
        if let Some(footer) = footer {
            buf.set_line(footer.x, footer.y, &self.footer_line(), footer.width);
        }
    }
}

/// What every line of one frame shares.
struct FrameContext {
    /// Per pane stream: its id (if the store knows it), label and style.
    streams: Vec<(Option<StreamId>, String, Style)>,
    label_width: usize,
    text: TextStyles,
    timestamp: Style,
    current_match: Option<LineId>,
    width: usize,
}

impl LogsView<'_> {
    fn title_line(&self) -> Line<'static> {
        let theme = self.theme;
        let pane = self.pane;
        let title = theme.style("title");
        let dim = theme.style("log.footer");
        let mut spans = vec![Span::styled(format!(" {} ", pane.title()), title)];
        spans.push(if pane.is_following() {
            Span::styled(" FOLLOW ", theme.style("status.ok"))
        } else {
            Span::styled(" PAUSED ", theme.style("status.warning"))
        });
        if pane.wrap() {
            spans.push(Span::styled(" wrap", dim));
        }
        if pane.timestamps() {
            spans.push(Span::styled(" timestamps", dim));
        }
        if let Some(filter) = pane.filter_status(self.store) {
            let bang = if filter.invert { "!" } else { "" };
            spans.push(Span::styled(format!("  {bang}/{}/", filter.pattern), title));
            if let Some(error) = filter.error {
                // Regex errors span several lines (pattern, caret, message); the last
                // one says what is wrong.
                let message = error
                    .lines()
                    .rfind(|l| !l.trim().is_empty())
                    .unwrap_or(error);
                spans.push(Span::styled(
                    format!(" {} (not filtering)", message.trim()),
                    theme.style("prompt.error"),
                ));
            } else if let Some(progress) = filter.progress {
                if !progress.done {
                    spans.push(Span::styled(
                        format!(" filtering {}%", progress.percent()),
                        dim,
                    ));
                }
                let noun = if progress.matches == 1 {
                    "match"
                } else {
                    "matches"
                };
                spans.push(Span::styled(
                    format!(" {} {noun}", format_count(progress.matches as u64)),
                    dim,
                ));
            }
        }
        if let Some(search) = pane.search_status(self.store) {
            spans.push(Span::styled(format!("  search \"{}\"", search.text), title));
            if let Some(error) = search.error {
                spans.push(Span::styled(
                    format!(" {error}"),
                    theme.style("prompt.error"),
                ));
            } else {
                let more = if search.done { "" } else { "+" };
                let total = format_count(search.total as u64);
                let text = match search.current {
                    Some(current) => {
                        format!(" match {}/{total}{more}", format_count(current as u64))
                    }
                    None => format!(" {total}{more} matches"),
                };
                spans.push(Span::styled(text, dim));
            }
        }
        Line::from(spans)
    }

    fn footer_line(&self) -> Line<'static> {
        let stats = self.pane_stats();
        let text = format!(
            " {} lines · evicted {} lines ({}) · dropped {}",
            format_count(stats.retained_lines),
            format_count(stats.evicted_lines),
            format_bytes(stats.evicted_bytes),
            format_count(stats.dropped_lines),
        );
        Line::styled(text, self.theme.style("log.footer"))
    }

    /// The counters of the pane's streams, summed.
    fn pane_stats(&self) -> StreamStats {
        let mut total = StreamStats::default();
        for key in self.pane.streams() {
            if let Some(stats) = self.store.stream_stats(key) {
                total.retained_lines += stats.retained_lines;
                total.retained_bytes += stats.retained_bytes;
                total.evicted_lines += stats.evicted_lines;
                total.evicted_bytes += stats.evicted_bytes;
                total.dropped_lines += stats.dropped_lines;
            }
        }
        total
    }

    fn render_body(&self, body: Rect, buf: &mut Buffer) {
        let rows = usize::from(body.height);
        let visible = self.pane.visible_lines(self.store, rows);
        if visible.lines.is_empty() {
            let message = Line::styled(self.empty_message(), self.theme.style("table.dim"));
            buf.set_line(body.x, body.y, &message, body.width);
            return;
        }
        let context = self.frame_context(usize::from(body.width));
        let lines = visible.lines.iter().filter_map(|id| self.store.line(*id));
        let drawn: Vec<Line<'static>> = if visible.from_top {
            // At most `rows` lines: few enough to format them all.
            let mut drawn: Vec<Line<'static>> = lines
                .flat_map(|line| self.line_rows(&line, &context))
                .collect();
            if drawn.len() > rows && self.pane.is_following() {
                // Wrapped lines overflow: a followed tail must still show the newest.
                drawn.drain(..drawn.len() - rows);
            }
            drawn.truncate(rows);
            drawn
        } else {
            // Bottom up, so a wrapped line near the top is cut rather than the newest.
            let mut reversed = Vec::with_capacity(rows);
            for line in lines.rev() {
                reversed.extend(self.line_rows(&line, &context).into_iter().rev());
                if reversed.len() >= rows {
                    break;
                }
            }
            reversed.truncate(rows);
            reversed.reverse();
            reversed
        };
        for (row, line) in drawn.iter().enumerate() {
            let y = body.y + u16::try_from(row).unwrap_or(u16::MAX);
            buf.set_line(body.x, y, line, body.width);
        }
    }

    fn empty_message(&self) -> String {
        let title = self.pane.title();
        if self.pane_stats().retained_lines == 0 {
            return format!(" no log lines yet for {title}");
        }
        match self.pane.filter_status(self.store) {
            Some(filter) => {
                let still = match filter.progress {
                    Some(progress) if !progress.done => " yet (filtering…)",
                    _ => "",
                };
                let bang = if filter.invert { "!" } else { "" };
                format!(
                    " no lines of {title} match {bang}/{}/{still}",
                    filter.pattern
                )
            }
            None => format!(" no log lines yet for {title}"),
        }
    }

    fn frame_context(&self, width: usize) -> FrameContext {
        let keys = self.pane.streams();
        let labels = if keys.len() > 1 {
            stream_labels(keys, MAX_LABEL_WIDTH)
        } else {
            vec![String::new(); keys.len()]
        };
        let label_width = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0);
        let streams = keys
            .iter()
            .zip(labels)
            .enumerate()
            .map(|(i, (key, label))| {
                let style = self.theme.style(STREAM_STYLES[i % STREAM_STYLES.len()]);
                (self.store.stream_id(key), label, style)
            })
            .collect();
        let matched = self.theme.style("log.match");
        FrameContext {
            streams,
            label_width,
            text: TextStyles {
                base: Style::default(),
                matched,
                marker: self.theme.style("log.footer"),
            },
            timestamp: self.theme.style("log.timestamp"),
            current_match: self.pane.current_match(),
            width,
        }
    }

    /// The rows of one line: one, or several when wrapping.
    fn line_rows(&self, line: &LineRef<'_>, context: &FrameContext) -> Vec<Line<'static>> {
        let mut prefix = Vec::new();
        if self.pane.timestamps() {
            let text = match line.timestamp() {
                // UTC with milliseconds: unambiguous over SSH from any time zone.
                Some(ts) => format!("{ts:.3} "),
                None => format!("{:24} ", "-"),
            };
            prefix.push(Span::styled(text, context.timestamp));
        }
        if context.label_width > 0
            && let Some((_, label, style)) = context
                .streams
                .iter()
                .find(|(id, _, _)| *id == Some(line.id.stream))
        {
            let width = context.label_width;
            prefix.push(Span::styled(format!("{label:width$} "), *style));
        }
        let mut styles = context.text;
        if line.stderr() {
            styles.base = self.theme.style("log.stderr");
        }
        if context.current_match == Some(line.id) {
            styles.matched = styles
                .matched
                .add_modifier(Modifier::BOLD | Modifier::UNDERLINED);
        }
        let mut content = line_spans(
            &line.text_str(),
            line.colors,
            styles,
            self.pane.search_matcher(),
        );
        // A log's own colors obey the terminal's depth and NO_COLOR like the theme's do.
        for span in &mut content {
            span.style = self.theme.adapt(span.style);
        }
        if self.pane.wrap() {
            wrap_rows(prefix, content, context.width)
        } else {
            prefix.extend(content);
            vec![Line::from(prefix)]
        }
    }
}

#[cfg(test)]
mod tests {
    use ratatui::style::Color;

    use super::*;
    use crate::logs::StreamKey;

    fn kube(pod: &str, container: &str) -> StreamKey {
        StreamKey::Kube {
            context: "prod".into(),
            namespace: "shop".into(),
            pod: pod.into(),
            container: container.into(),
            previous: false,
        }
    }

    fn render(store: &LogStore, pane: &LogPane, width: u16, height: u16) -> Buffer {
        let theme = Theme::default();
        let area = Rect::new(0, 0, width, height);
        let mut buf = Buffer::empty(area);
        LogsView {
            store,
            pane,
            theme: &theme,
        }
        .render(area, &mut buf);
        buf
    }

    fn rows(buf: &Buffer) -> Vec<String> {
        (0..buf.area.height)
            .map(|y| {
                (0..buf.area.width)
                    .map(|x| buf[(x, y)].symbol())
                    .collect::<String>()
                    .trim_end()
                    .to_owned()
            })
            .collect()
    }

    #[test]
    fn draws_title_lines_and_footer() {
        let mut store = LogStore::new(1 << 20);
        let web = kube("web-1", "app");
        for i in 0..10 {
            store.ingest_bytes(&web, None, false, format!("GET /item/{i} 200").as_bytes());
        }
        store.note_dropped(&web, 3);
        let pane = LogPane::new("web-1", vec![web]);
        let buf = render(&store, &pane, 50, 5);
        assert_eq!(
            rows(&buf),
            vec![
                " web-1  FOLLOW",
                "GET /item/7 200",
                "GET /item/8 200",
                "GET /item/9 200",
                " 10 lines · evicted 0 lines (0 B) · dropped 3",
            ]
        );
        assert_eq!(LogsView::body_rows(buf.area), 3);
    }

    #[test]
    fn says_when_there_is_nothing_yet() {
        let store = LogStore::new(1 << 20);
        let pane = LogPane::new("web-1/app", vec![kube("web-1", "app")]);
        let rows = rows(&render(&store, &pane, 50, 4));
        assert_eq!(rows[1], " no log lines yet for web-1/app");
    }

    #[test]
    fn labels_streams_and_shows_evictions() {
        // Room for about 4 lines of ~10 bytes.
        let mut store = LogStore::new(4 * (10 + crate::logs::store::LINE_CHARGE_BYTES));
        let (a, b) = (kube("web-1", "app"), kube("web-2", "app"));
        for i in 0..6 {
            let key = if i % 2 == 0 { &a } else { &b };
            store.ingest_bytes(key, None, i == 5, format!("line {i:05}").as_bytes());
        }
        let pane = LogPane::new("web", vec![a, b]);
        let rows = rows(&render(&store, &pane, 60, 6));
        assert_eq!(
            rows[1..],
            [
                "web-1 line 00002",
                "web-2 line 00003",
                "web-1 line 00004",
                "web-2 line 00005",
                " 4 lines · evicted 2 lines (20 B) · dropped 0",
            ]
        );
    }

    #[test]
    fn colors_are_styles_never_escapes() {
        let mut store = LogStore::new(1 << 20);
        let key = kube("web-1", "app");
        store.ingest_bytes(
            &key,
            None,
            false,
            b"\x1b[31mERROR\x1b[0m \x1b]0;pwned\x07\x1b[2Jdisk\x07 full\tend",
        );
        let pane = LogPane::new("web-1", vec![key]);
        let buf = render(&store, &pane, 40, 3);
        assert_eq!(rows(&buf)[1], "ERROR disk full end");
        assert_eq!(buf[(0, 1)].fg, Color::Red);
        assert_eq!(buf[(6, 1)].fg, Color::Reset);
        for cell in buf.content() {
            assert!(!cell.symbol().chars().any(char::is_control), "{cell:?}");
        }
    }

    #[test]
    fn huge_line_is_drawn_truncated() {
        let mut store = LogStore::new(64 << 20);
        let key = kube("web-1", "app");
        store.ingest_bytes(&key, None, false, &vec![b'x'; 10 * 1024 * 1024]);
        store.ingest_bytes(&key, None, false, b"next");
        let mut pane = LogPane::new("web-1", vec![key]);
        // Unwrapped: one row each.
        let rows_unwrapped = rows(&render(&store, &pane, 30, 4));
        assert_eq!(rows_unwrapped[1], "x".repeat(30));
        assert_eq!(rows_unwrapped[2], "next");
        // Wrapped: the line ends with the marker, just above the next line.
        pane.set_wrap(true);
        let wrapped = rows(&render(&store, &pane, 30, 6));
        assert_eq!(wrapped[3], "xx … (10.0 MiB line truncated)");
        assert_eq!(wrapped[4], "next");
        assert!(wrapped[1].chars().all(|c| c == 'x'));
    }

    #[test]
    fn title_shows_filter_and_search() {
        let mut store = LogStore::new(1 << 20);
        let key = kube("web-1", "app");
        for i in 0..20 {
            let text = if i % 4 == 0 {
                format!("ERROR {i}")
            } else {
                format!("ok {i}")
            };
            store.ingest_bytes(&key, None, i % 4 == 0, text.as_bytes());
        }
        let mut pane = LogPane::new("web-1", vec![key]);
        pane.set_filter("ok", true);
        pane.set_search("error 1");
        while pane.pending_work() {
            pane.do_work(&store, 1000);
        }
        pane.search_older(&store, 3);
        pane.toggle_wrap();
        let rows = rows(&render(&store, &pane, 80, 5));
        assert_eq!(
            rows[0],
            " web-1  FOLLOW  wrap  !/ok/ 5 matches  search \"error 1\" match 2/2"
        );
        assert_eq!(rows[1..4], ["ERROR 8", "ERROR 12", "ERROR 16"]);

        pane.set_filter("(", false);
        let rows = super::tests::rows(&render(&store, &pane, 80, 5));
        assert!(
            rows[0].contains("/(/ error: unclosed group (not filtering)"),
            "{}",
            rows[0]
        );
    }

    #[test]
    fn timestamps_and_a_filter_with_no_match() {
        let mut store = LogStore::new(1 << 20);
        let key = kube("web-1", "app");
        let when = jiff::Timestamp::from_second(1_700_000_000).unwrap();
        store.ingest_bytes(&key, Some(when), false, b"started");
        store.ingest_bytes(&key, None, false, b"no time");
        let mut pane = LogPane::new("web-1", vec![key]);
        pane.toggle_timestamps();
        let rows = rows(&render(&store, &pane, 60, 4));
        assert_eq!(rows[1], "2023-11-14T22:13:20.000Z started");
        assert_eq!(rows[2], "-                        no time");

        pane.set_filter("nothing", false);
        pane.do_work(&store, 100);
        let rows = super::tests::rows(&render(&store, &pane, 60, 4));
        assert_eq!(rows[1], " no lines of web-1 match /nothing/");
    }
}
