//! A node's interactive console: a PTY running a shell inside the node, held by a small
//! process of the node itself (the *console holder*), reached through a unix socket in the
//! node's work dir.
//!
//! # Who holds the PTY
//!
//! When a node is released, its process (still code of this crate, between fork and exec)
//! creates and binds `<work_dir>/console.sock` (mode 0600, owned by the node's user: labd's),
//! forks, and the fork execs `/proc/self/exe` — the binary that spawned the node, labd in
//! production — with an environment that makes this crate's ELF constructor run the holder
//! (the private `holder` module) instead of that binary's `main`. The node process then execs its init
//! script as PID 1 as before. So the holder is a child of the node's PID 1, in every
//! namespace of the node and in its systemd scope; it has nothing to do with labd once
//! started, and consoles survive a labd restart. When the node stops, the kernel kills it
//! with the rest of the node's PID namespace.
//!
//! The holder opens a PTY, runs busybox `sh -i` on it (a new session with the PTY as its
//! controlling terminal; prompt `\h:\w\$ `, i.e. `hostname:/# `; restarted after a short
//! backoff when it exits or is killed) — on FRR routers too, where `vtysh` is one command
//! away (a banner says so) and the console stays usable while FRR starts or if it is down.
//! It keeps the last [`CONSOLE_RING_LEN`] bytes of output for late viewers and serves up to
//! [`MAX_CONSOLE_VIEWERS`] viewers at once from one `poll` loop.
//!
//! # Protocol on `console.sock`
//!
//! The connecting side first writes one mode byte; the holder answers with one byte
//! ([`REPLY_OK`] `K`, [`REPLY_FULL`] `F` = too many viewers, [`REPLY_BAD`] `?` = not a
//! request it knows):
//!
//! - `V` ([`MODE_VIEW`]): become a viewer. After the `K`, the connection is the raw
//!   terminal, as a QEMU serial chardev: bytes read are terminal output, starting with the
//!   replay of the ring buffer; bytes written are keyboard input to the PTY. Every viewer
//!   sees all output; input from any viewer goes to the PTY. A viewer that does not read is
//!   disconnected once [`VIEWER_BACKLOG_MAX`] bytes are queued for it beyond what its socket
//!   buffers hold; neither the shell nor other viewers ever wait for it.
//! - `S` ([`MODE_SIZE`]) + rows (u16 big-endian) + cols (u16 big-endian): set the PTY's
//!   window size (the shell's foreground job gets SIGWINCH); the holder answers `K` once
//!   it is applied (`?` for a zero dimension) and closes.
//!
//! labd does the handshake itself ([`open_console`], [`resize_console`]) and hands the
//! viewer connection's descriptor on: whoever receives it speaks raw bytes only.

use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::error::{Error, Result};

/// The console socket's file name in the node's work dir.
pub const CONSOLE_SOCKET: &str = "console.sock";
/// Mode byte: become a raw viewer.
pub const MODE_VIEW: u8 = b'V';
/// Mode byte: set the window size (followed by rows and cols, u16 big-endian each), then close.
pub const MODE_SIZE: u8 = b'S';
/// Reply: accepted (for `V`, raw terminal bytes follow).
pub const REPLY_OK: u8 = b'K';
/// Reply: refused, [`MAX_CONSOLE_VIEWERS`] viewers are connected already.
pub const REPLY_FULL: u8 = b'F';
/// Reply: refused, not a request the holder knows (or a zero window dimension).
pub const REPLY_BAD: u8 = b'?';
/// Bytes of recent output replayed to a viewer that connects.
pub const CONSOLE_RING_LEN: usize = 64 * 1024;
/// Viewers served at once.
pub const MAX_CONSOLE_VIEWERS: usize = 16;
/// Output queued in the holder for one viewer (beyond its socket buffers) before that viewer
/// is disconnected as not reading.
pub const VIEWER_BACKLOG_MAX: usize = 1024 * 1024;
/// How long [`open_console`] and [`resize_console`] wait for the holder's answer.
pub const CONSOLE_REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// `<work_dir>/console.sock`.
pub fn console_socket_path(work_dir: &Path) -> PathBuf {
    work_dir.join(CONSOLE_SOCKET)
}

/// Connects to the console of the node whose work dir is `work_dir` and becomes a viewer.
///
/// The returned stream is the raw terminal (blocking, no timeouts): reads give the replay
/// of recent output, then live output; writes are keyboard input. Pass its descriptor on
/// as is. Errors: [`Error::ConsoleUnavailable`] when nothing listens (the node is not
/// running), [`Error::Console`] when the holder refuses or does not answer.
pub fn open_console(work_dir: &Path) -> Result<UnixStream> {
    let (mut stream, path) = connect(work_dir)?;
    request(&mut stream, &path, &[MODE_VIEW])?;
    Ok(stream)
}

/// Sets the console's window size to `rows` × `cols`; returns once the holder applied it.
pub fn resize_console(work_dir: &Path, rows: u16, cols: u16) -> Result<()> {
    let path = console_socket_path(work_dir);
    if rows == 0 || cols == 0 {
        return Err(Error::Console {
            path,
            reason: format!("window size {rows}x{cols}: rows and cols must be at least 1"),
        });
    }
    let (mut stream, path) = connect(work_dir)?;
    request(&mut stream, &path, &size_request(rows, cols))
}

pub(crate) fn size_request(rows: u16, cols: u16) -> [u8; 5] {
    let (r, c) = (rows.to_be_bytes(), cols.to_be_bytes());
    [MODE_SIZE, r[0], r[1], c[0], c[1]]
}

/// Connects to `<work_dir>/console.sock`; a path too long for `sun_path` is reached through
/// `/proc/self/fd/<dir fd>/console.sock`.
fn connect(work_dir: &Path) -> Result<(UnixStream, PathBuf)> {
    let path = console_socket_path(work_dir);
    let unavailable = |source| Error::ConsoleUnavailable {
        path: path.clone(),
        source,
    };
    // sun_path holds 108 bytes including the terminating NUL.
    let stream = if path.as_os_str().as_bytes().len() < 108 {
        UnixStream::connect(&path)
    } else {
        let dir = std::fs::File::open(work_dir).map_err(unavailable)?;
        let via = format!("/proc/self/fd/{}/{CONSOLE_SOCKET}", dir.as_raw_fd());
        UnixStream::connect(via)
    }
    .map_err(unavailable)?;
    Ok((stream, path))
}

fn request(stream: &mut UnixStream, path: &Path, req: &[u8]) -> Result<()> {
    let failed = |reason: String| Error::Console {
        path: path.to_owned(),
        reason,
    };
    let io_failed = |what: &str, e: io::Error| match e.kind() {
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut => failed(format!(
            "no answer from the console holder within {} s",
            CONSOLE_REPLY_TIMEOUT.as_secs()
        )),
        _ => failed(format!("{what}: {e}")),
    };
    let set_timeouts = |s: &UnixStream, t: Option<Duration>| {
        s.set_read_timeout(t)
            .and_then(|()| s.set_write_timeout(t))
            .map_err(|e| io_failed("set socket timeouts", e))
    };
    set_timeouts(stream, Some(CONSOLE_REPLY_TIMEOUT))?;
    stream
        .write_all(req)
        .map_err(|e| io_failed("send request", e))?;
    let mut reply = [0u8; 1];
    match stream.read(&mut reply) {
        Ok(1) => {}
        Ok(_) => {
            return Err(failed(
                "the console holder closed the connection without answering".into(),
            ));
        }
        Err(e) => return Err(io_failed("read answer", e)),
    }
    match reply[0] {
        REPLY_OK => set_timeouts(stream, None),
        REPLY_FULL => Err(failed(format!(
            "too many viewers (at most {MAX_CONSOLE_VIEWERS})"
        ))),
        REPLY_BAD => Err(failed("the console holder refused the request".into())),
        other => Err(failed(format!("unexpected answer byte {other:#04x}"))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_request_is_big_endian() {
        assert_eq!(size_request(40, 300), [b'S', 0, 40, 1, 44]);
    }

    #[test]
    fn missing_socket_is_a_clear_error() {
        let err = open_console(Path::new("/nonexistent/nova-node")).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, Error::ConsoleUnavailable { .. }), "{msg}");
        assert!(
            msg.contains("/nonexistent/nova-node/console.sock") && msg.contains("is it running"),
            "{msg}"
        );
        let err = resize_console(Path::new("/x"), 0, 80).unwrap_err();
        assert!(err.to_string().contains("at least 1"), "{err}");
    }
}
