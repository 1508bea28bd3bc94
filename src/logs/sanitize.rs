//! Makes a log line inert before it is stored.
//!
//! A container controls the bytes of its logs, and those bytes end up in the user's
//! terminal. Left alone, a line could retitle the terminal (OSC 0/2), write the clipboard
//! (OSC 52), move the cursor or clear the screen (CSI), ring the bell, or reset the
//! terminal (ESC c). So every escape and control sequence is removed except SGR color
//! (`ESC [ params m` with only digits, `;` and `:`), which the view parses into styles
//! and never writes raw. In detail:
//!
//! - CSI (`ESC [` or U+009B) with any final byte but `m`, or with private markers or
//!   intermediates: removed with its parameters.
//! - OSC (`ESC ]`, U+009D), DCS (`ESC P`, U+0090), SOS (`ESC X`, U+0098), PM (`ESC ^`,
//!   U+009E), APC (`ESC _`, U+009F): removed up to BEL, ST (`ESC \`, U+009C) or the end of
//!   the line.
//! - Other ESC sequences (`ESC c`, `ESC 7`, `ESC ( B`, …): removed.
//! - C0 controls except TAB, DEL, and the remaining C1 controls (U+0080–U+009F): removed.
//!   TAB is kept; the view expands it.
//! - Invalid UTF-8 becomes U+FFFD, one per maximal invalid subsequence as
//!   `String::from_utf8_lossy` does. A raw byte 0x9B is such a byte: our output is UTF-8,
//!   where a lone 0x9B is not a control, so it is replaced, not interpreted.
//!
//! The kept SGR sequences do not stay in the text: they go to a separate list of color
//! records (see [`super::sgr`]), so the stored text is exactly what the user reads, and
//! filters and searches match it directly, with no escape bytes in the way.
//!
//! The text is valid UTF-8. Lines of printable ASCII (the common case) take a fast path
//! that only copies.

use super::sgr::push_record;

/// What the sanitizer found, for the line's index flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sanitized {
    /// At least one color record was written.
    pub has_sgr: bool,
}

const ESC: u8 = 0x1b;
const BEL: u8 = 0x07;
const CAN: u8 = 0x18;
const SUB: u8 = 0x1a;
const DEL: u8 = 0x7f;
/// UTF-8 lead byte of U+0080..U+00BF; U+0080..U+009F (C1) are `0xC2 0x80..=0x9F`.
const C1_LEAD: u8 = 0xc2;
const REPLACEMENT: &str = "\u{fffd}";
/// SGR parameters longer than this are not plausible colors; such a sequence is dropped.
const MAX_SGR_PARAMS: usize = 64;

/// Sanitizes `input` (one line): appends its text to `text` and its SGR colors, as
/// records with offsets relative to where the line starts in `text`, to `colors`.
pub fn sanitize_into(input: &[u8], text: &mut Vec<u8>, colors: &mut Vec<u8>) -> Sanitized {
    if is_plain_ascii(input) {
        text.extend_from_slice(input);
        return Sanitized::default();
    }
    let colors_start = colors.len();
    let mut machine = Machine {
        line_start: text.len(),
        out: text,
        colors,
        state: State::Ground,
        record_start: 0,
        sgr_ok: false,
    };
    for chunk in input.utf8_chunks() {
        machine.valid(chunk.valid().as_bytes());
        if !chunk.invalid().is_empty() {
            machine.invalid();
        }
    }
    machine.finish();
    Sanitized {
        has_sgr: colors.len() > colors_start,
    }
}

/// Sanitizes `input` into a `String` with the kept colors written back inline as
/// `ESC [ params m`: how the tests state what survives, and a way to export a line.
pub fn sanitize(input: &[u8]) -> String {
    let (mut text, mut colors) = (Vec::with_capacity(input.len()), Vec::new());
    sanitize_into(input, &mut text, &mut colors);
    // The machine only writes valid UTF-8; the lossy conversion borrows.
    super::sgr::with_escapes(&String::from_utf8_lossy(&text), &colors)
}

/// True when every byte is printable ASCII or TAB. Written without early exit so the
/// compiler vectorizes it; lines are short and the common answer is yes.
fn is_plain_ascii(input: &[u8]) -> bool {
    input.chunks(32).all(|block| {
        block.iter().fold(true, |ok, &b| {
            ok & ((b.wrapping_sub(0x20) < 0x5f) | (b == b'\t'))
        })
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Ground,
    /// After ESC.
    Escape,
    /// After ESC and intermediate bytes (`ESC ( B`).
    EscapeIntermediate,
    /// Inside a CSI sequence; the candidate SGR record is being written to `colors`.
    Csi,
    /// Inside an OSC/DCS/SOS/PM/APC string, whose content is dropped.
    String,
    /// After ESC inside a string: `\` ends it, anything else starts a new escape.
    StringEscape,
}

struct Machine<'a> {
    out: &'a mut Vec<u8>,
    /// Where this line starts in `out`: color offsets are relative to it.
    line_start: usize,
    colors: &'a mut Vec<u8>,
    state: State,
    /// Where the current CSI's record began in `colors`, to take it back if it is not SGR.
    record_start: usize,
    /// The current CSI can still be an SGR.
    sgr_ok: bool,
}

impl Machine<'_> {
    /// Processes valid UTF-8 bytes.
    fn valid(&mut self, bytes: &[u8]) {
        let mut i = 0;
        while i < bytes.len() {
            let b = bytes[i];
            // A C1 control (U+0080..U+009F) is two bytes; `bytes` is valid UTF-8, so a
            // lead byte is always followed by its continuation byte.
            let c1 = (b == C1_LEAD)
                .then(|| bytes.get(i + 1).copied())
                .flatten()
                .filter(|&next| next <= 0x9f);
            match self.state {
                State::Ground => {
                    if let Some(c1) = c1 {
                        self.c1(c1);
                        i += 2;
                        continue;
                    }
                    let run = ground_run(&bytes[i..]);
                    if run > 0 {
                        self.out.extend_from_slice(&bytes[i..i + run]);
                        i += run;
                        continue;
                    }
                    if b == C1_LEAD {
                        // U+00A0..U+00BF: an ordinary character (C1 was handled above).
                        let end = (i + 2).min(bytes.len());
                        self.out.extend_from_slice(&bytes[i..end]);
                        i = end;
                        continue;
                    }
                    if b == ESC {
                        self.state = State::Escape;
                    }
                    // Any other byte here is a C0 control or DEL: dropped.
                    i += 1;
                }
                State::String | State::StringEscape => {
                    if c1 == Some(0x9c) {
                        // ST ends the string.
                        self.state = State::Ground;
                        i += 2;
                        continue;
                    }
                    if self.state == State::StringEscape && b >= 0x80 {
                        // ESC then a character: the string is abandoned and the
                        // character is text, as terminals do.
                        self.state = State::Ground;
                        continue;
                    }
                    self.string_byte(b);
                    i += 1;
                }
                State::Escape | State::EscapeIntermediate | State::Csi => {
                    if b >= 0x80 {
                        // A non-ASCII character cannot be part of these sequences: the
                        // sequence is abandoned and the character handled as text.
                        self.abandon();
                        continue;
                    }
                    self.sequence_byte(b);
                    i += 1;
                }
            }
        }
    }

    /// An invalid UTF-8 sequence.
    fn invalid(&mut self) {
        match self.state {
            State::String | State::StringEscape => {}
            _ => {
                self.abandon();
                self.out.extend_from_slice(REPLACEMENT.as_bytes());
            }
        }
    }

    /// A C1 control met in ground state (`c1` is the code point's low byte).
    fn c1(&mut self, c1: u8) {
        match c1 {
            0x9b => self.start_csi(),
            0x90 | 0x98 | 0x9d | 0x9e | 0x9f => self.state = State::String,
            _ => {}
        }
    }

    fn start_csi(&mut self) {
        self.record_start = self.colors.len();
        push_record(self.colors, self.out.len() - self.line_start);
        self.sgr_ok = true;
        self.state = State::Csi;
    }

    /// Drops a sequence in progress and returns to ground.
    fn abandon(&mut self) {
        if self.state == State::Csi {
            self.colors.truncate(self.record_start);
        }
        self.state = State::Ground;
    }

    /// An ASCII byte inside ESC or CSI sequences.
    fn sequence_byte(&mut self, b: u8) {
        match b {
            ESC => {
                self.abandon();
                self.state = State::Escape;
            }
            CAN | SUB => self.abandon(),
            // Other C0 controls and DEL are executed by terminals mid-sequence; we drop them.
            0x00..=0x1f | DEL => {}
            _ => match self.state {
                State::Escape => match b {
                    b'[' => self.start_csi(),
                    b']' | b'P' | b'X' | b'^' | b'_' => self.state = State::String,
                    0x20..=0x2f => self.state = State::EscapeIntermediate,
                    _ => self.state = State::Ground,
                },
                State::EscapeIntermediate => {
                    if !(0x20..=0x2f).contains(&b) {
                        self.state = State::Ground;
                    }
                }
                State::Csi => self.csi_byte(b),
                State::Ground | State::String | State::StringEscape => {}
            },
        }
    }

    fn csi_byte(&mut self, b: u8) {
        match b {
            0x30..=0x3f => {
                let sgr_param = b.is_ascii_digit() || b == b';' || b == b':';
                let room = self.colors.len() - self.record_start
                    < super::sgr::RECORD_HEADER + MAX_SGR_PARAMS;
                self.sgr_ok &= sgr_param && room;
                if self.sgr_ok {
                    self.colors.push(b);
                }
            }
            // Intermediate bytes: not SGR.
            0x20..=0x2f => self.sgr_ok = false,
            // Final byte.
            _ => {
                if b == b'm' && self.sgr_ok {
                    super::sgr::finish_record(self.colors, self.record_start);
                } else {
                    self.colors.truncate(self.record_start);
                }
                self.state = State::Ground;
            }
        }
    }

    /// A byte inside an OSC/DCS/SOS/PM/APC string.
    fn string_byte(&mut self, b: u8) {
        match (self.state, b) {
            (_, BEL | CAN | SUB) => self.state = State::Ground,
            (_, ESC) => self.state = State::StringEscape,
            (State::StringEscape, b'\\') => self.state = State::Ground,
            (State::StringEscape, _) => {
                // ESC followed by something else abandons the string and begins a new
                // escape sequence, as terminals do. (`b` is ASCII here.)
                self.state = State::Escape;
                self.sequence_byte(b);
            }
            _ => {}
        }
    }

    fn finish(mut self) {
        self.abandon();
    }
}

/// Length of the leading run of bytes that are copied as they are in ground state:
/// printable ASCII, TAB, and non-ASCII other than a C1 lead byte.
fn ground_run(bytes: &[u8]) -> usize {
    bytes
        .iter()
        .position(|&b| (b < 0x20 && b != b'\t') || b == DEL || b == C1_LEAD)
        .unwrap_or(bytes.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clean(input: &[u8]) -> String {
        sanitize(input)
    }

    #[test]
    fn plain_ascii_is_copied() {
        assert_eq!(clean(b"GET /health 200 12ms"), "GET /health 200 12ms");
        assert_eq!(clean(b"a\tb"), "a\tb");
        assert_eq!(clean(b""), "");
    }

    #[test]
    fn sgr_colors_are_kept() {
        assert_eq!(
            clean(b"\x1b[1;31mERROR\x1b[0m done"),
            "\x1b[1;31mERROR\x1b[0m done"
        );
        assert_eq!(
            clean(b"\x1b[38;2;255;0;0mred\x1b[m"),
            "\x1b[38;2;255;0;0mred\x1b[m"
        );
        assert_eq!(clean(b"\x1b[38:5:208mx"), "\x1b[38:5:208mx");
        let (mut text, mut colors) = (Vec::new(), Vec::new());
        assert!(sanitize_into(b"\x1b[32mok", &mut text, &mut colors).has_sgr);
        assert!(!sanitize_into(b"\x1b[2Jok", &mut text, &mut colors).has_sgr);
        // The stored text holds no escape at all.
        assert_eq!(text, b"okok");
    }

    #[test]
    fn osc_52_clipboard_write_is_removed() {
        assert_eq!(
            clean(b"before\x1b]52;c;cm0gLXJmIC8K\x07after"),
            "beforeafter"
        );
        assert_eq!(clean(b"x\x1b]52;c;cm0gLXJmIC8K\x1b\\y"), "xy");
    }

    #[test]
    fn title_changes_are_removed() {
        assert_eq!(clean(b"\x1b]0;pwned\x07line"), "line");
        assert_eq!(clean(b"\x1b]2;pwned\x1b\\line"), "line");
        // Unterminated: everything to the end of the line is the title.
        assert_eq!(clean(b"ok \x1b]2;pwned line"), "ok ");
        // 8-bit OSC (U+009D) terminated by 8-bit ST (U+009C).
        assert_eq!(clean("a\u{9d}0;t\u{9c}b".as_bytes()), "ab");
    }

    #[test]
    fn cursor_movement_and_erase_are_removed() {
        assert_eq!(clean(b"\x1b[Hhome"), "home");
        assert_eq!(clean(b"\x1b[10;20Hat"), "at");
        assert_eq!(clean(b"up\x1b[3Adone"), "updone");
        assert_eq!(clean(b"\x1b[2Jcleared"), "cleared");
        assert_eq!(clean(b"\x1b[?1049hscreen"), "screen");
        // A private-marker sequence ending in m is not SGR either.
        assert_eq!(clean(b"\x1b[>4;2mkeys"), "keys");
    }

    #[test]
    fn bell_backspace_and_carriage_return_are_removed() {
        assert_eq!(clean(b"ding\x07!"), "ding!");
        assert_eq!(clean(b"abc\x08\x08XY"), "abcXY");
        assert_eq!(
            clean(b"progress 10%\rprogress 100%\r"),
            "progress 10%progress 100%"
        );
        assert_eq!(clean(b"a\x00b\x7fc\nd"), "abcd");
    }

    #[test]
    fn single_char_escapes_are_removed() {
        assert_eq!(clean(b"\x1bcreset"), "reset");
        assert_eq!(clean(b"\x1b7saved\x1b8"), "saved");
        assert_eq!(clean(b"\x1b(Bcharset"), "charset");
        assert_eq!(clean(b"\x1bPdcs payload\x1b\\text"), "text");
        assert_eq!(clean(b"\x1b_apc\x1b\\text"), "text");
        assert_eq!(clean(b"trailing\x1b"), "trailing");
    }

    #[test]
    fn c1_controls_are_removed() {
        // U+009B is CSI: the sequence goes with it.
        assert_eq!(clean("a\u{9b}2Jb".as_bytes()), "ab");
        // But an 8-bit CSI with final m becomes an ordinary SGR.
        assert_eq!(clean("\u{9b}31mred".as_bytes()), "\x1b[31mred");
        assert_eq!(clean("x\u{85}y\u{8d}z".as_bytes()), "xyz");
        // Non-control Latin-1 characters stay.
        assert_eq!(clean("café ½ ©".as_bytes()), "café ½ ©");
    }

    #[test]
    fn raw_8bit_csi_byte_is_replaced() {
        // A raw 0x9B is not UTF-8: it becomes U+FFFD and never reaches the terminal.
        assert_eq!(clean(b"a\x9b2Jb"), "a\u{fffd}2Jb");
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(clean(b"ok \xff\xfe end"), "ok \u{fffd}\u{fffd} end");
        assert_eq!(clean(b"cut \xe2\x82"), "cut \u{fffd}");
        // Invalid bytes inside a dropped string vanish with it.
        assert_eq!(clean(b"\x1b]0;\xff\x07x"), "x");
    }

    #[test]
    fn a_sequence_interrupted_by_text_is_dropped() {
        assert_eq!(clean("\x1b[31é".as_bytes()), "é");
        assert_eq!(clean(b"\x1b[31\x1b[32mgreen"), "\x1b[32mgreen");
    }

    #[test]
    fn huge_sgr_parameters_are_dropped() {
        let mut line = b"\x1b[".to_vec();
        line.extend(std::iter::repeat_n(b'1', 1000));
        line.extend_from_slice(b"mtext");
        assert_eq!(clean(&line), "text");
    }

    #[test]
    fn output_never_holds_a_control_other_than_sgr_and_tab() {
        // Every byte value, in a few arrangements.
        let all: Vec<u8> = (0..=255u8).collect();
        let mut rev = all.clone();
        rev.reverse();
        for input in [all.clone(), rev, all.repeat(3)] {
            let out = clean(&input);
            let mut chars = out.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '\x1b' {
                    assert_eq!(chars.next(), Some('['));
                    let params: String = chars.by_ref().take_while(|&c| c != 'm').collect();
                    assert!(
                        params
                            .chars()
                            .all(|c| c.is_ascii_digit() || c == ';' || c == ':')
                    );
                    continue;
                }
                assert!(c == '\t' || !(c.is_control()), "control {c:?} in {out:?}");
            }
        }
    }
}
