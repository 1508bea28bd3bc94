//! Docker's multiplexed stream: how `logs`, `attach` and `exec` carry stdout and stderr
//! over one connection when the container has no TTY.
//!
//! Each write becomes a frame: one byte naming the stream (0 stdin, 1 stdout, 2 stderr),
//! three zero bytes, the payload length as a big-endian u32, then the payload.

use bytes::{BufMut, Bytes, BytesMut};

/// Which of the process's standard streams a frame carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StdStream {
    Stdout = 1,
    Stderr = 2,
}

/// Which streams a client asked for (`stdout=1&stderr=1`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StreamSet {
    pub stdout: bool,
    pub stderr: bool,
}

impl StreamSet {
    pub const BOTH: StreamSet = StreamSet {
        stdout: true,
        stderr: true,
    };

    pub fn wants(self, stream: StdStream) -> bool {
        match stream {
            StdStream::Stdout => self.stdout,
            StdStream::Stderr => self.stderr,
        }
    }
}

/// Append one frame to `out`.
pub fn put_frame(out: &mut BytesMut, stream: StdStream, payload: &[u8]) {
    // A frame longer than 4 GiB cannot be described, so split it; an empty write is
    // still a (zero-length) frame, as moby's writer makes it.
    let mut rest = payload;
    loop {
        let len = rest.len().min(u32::MAX as usize);
        out.reserve(8 + len);
        out.put_u8(stream as u8);
        out.put_bytes(0, 3);
        out.put_u32(len as u32);
        out.put_slice(&rest[..len]);
        rest = &rest[len..];
        if rest.is_empty() {
            break;
        }
    }
}

/// One frame on its own.
pub fn frame(stream: StdStream, payload: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(8 + payload.len());
    put_frame(&mut out, stream, payload);
    out.freeze()
}

/// Split a multiplexed byte stream back into frames; the rest that does not yet form a
/// whole frame is left in `buf`. For tests and for clients of the sim.
pub fn take_frames(buf: &mut Vec<u8>) -> Vec<(u8, Vec<u8>)> {
    let mut frames = Vec::new();
    let mut at = 0;
    while buf.len() >= at + 8 {
        let len = u32::from_be_bytes([buf[at + 4], buf[at + 5], buf[at + 6], buf[at + 7]]) as usize;
        if buf.len() < at + 8 + len {
            break;
        }
        frames.push((buf[at], buf[at + 8..at + 8 + len].to_vec()));
        at += 8 + len;
    }
    buf.drain(..at);
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_frame_has_the_stream_three_zeros_and_a_big_endian_length() {
        let bytes = frame(StdStream::Stderr, b"oops\n");
        assert_eq!(&bytes[..8], &[2, 0, 0, 0, 0, 0, 0, 5]);
        assert_eq!(&bytes[8..], b"oops\n");
        let long = frame(StdStream::Stdout, &[b'x'; 300]);
        assert_eq!(&long[..8], &[1, 0, 0, 0, 0, 0, 1, 44]);
    }

    #[test]
    fn frames_round_trip_through_a_split_buffer() {
        let mut out = BytesMut::new();
        put_frame(&mut out, StdStream::Stdout, b"hello\n");
        put_frame(&mut out, StdStream::Stderr, b"");
        put_frame(&mut out, StdStream::Stderr, b"world\n");
        let all = out.to_vec();
        let mut buf = all[..10].to_vec();
        assert!(take_frames(&mut buf).is_empty(), "half a frame waits");
        buf.extend_from_slice(&all[10..]);
        let frames = take_frames(&mut buf);
        assert_eq!(
            frames,
            [
                (1, b"hello\n".to_vec()),
                (2, Vec::new()),
                (2, b"world\n".to_vec())
            ]
        );
        assert!(buf.is_empty());
    }

    #[test]
    fn stream_sets_select_streams() {
        let only_err = StreamSet {
            stdout: false,
            stderr: true,
        };
        assert!(only_err.wants(StdStream::Stderr));
        assert!(!only_err.wants(StdStream::Stdout));
    }
}
