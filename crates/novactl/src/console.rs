//! `novactl console` and `novactl exec`.
//!
//! `novactl console LAB NODE` asks labd for a viewer of the node's console
//! (`Node.OpenConsole`, a unix socket passed over D-Bus, authorized by polkit) and attaches
//! this terminal to it in raw mode; Ctrl-] detaches. The window size is sent on attach and
//! on every SIGWINCH (`Node.ResizeConsole`). Several viewers may be attached at once, from
//! novactl and browsers alike; recent output is replayed on attach.
//! `novactl exec` runs a command inside a running node's namespaces (root only; it execs
//! `nsenter` on the node's main PID).

use std::os::fd::OwnedFd;
use std::os::unix::process::CommandExt as _;
use std::process::Command;

use anyhow::Context as _;
use nova_dbus::lab::NodeProxy;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::signal::unix::{SignalKind, signal};

use crate::error::CtlError;

/// Attaches this terminal to the node's console; returns when it closes or the user detaches.
pub async fn attach(node: &NodeProxy<'_>) -> anyhow::Result<()> {
    let fd: OwnedFd = node.open_console().await?.into();
    let std_stream = std::os::unix::net::UnixStream::from(fd);
    std_stream.set_nonblocking(true)?;
    let stream = tokio::net::UnixStream::from_std(std_stream).context("console descriptor")?;
    let resize = async || {
        if let Some((rows, cols)) = window_size() {
            // A refused size is not worth leaving the console for.
            let _ = node.resize_console(rows, cols).await;
        }
    };
    resize().await;
    let mut winch = signal(SignalKind::window_change())?;
    let _raw = RawTerminal::enter();
    eprint!("novactl: attached; Ctrl-] detaches\r\n");
    let (mut rd, mut wr) = stream.into_split();
    let mut stdin = tokio::io::stdin();
    let mut stdout = tokio::io::stdout();
    let mut inbuf = [0u8; 1024];
    let mut outbuf = [0u8; 8192];
    let ended = loop {
        tokio::select! {
            n = stdin.read(&mut inbuf) => {
                let n = n?;
                if n == 0 { break false; }
                if let Some(pos) = inbuf[..n].iter().position(|b| *b == DETACH) {
                    wr.write_all(&inbuf[..pos]).await?;
                    break false;
                }
                wr.write_all(&inbuf[..n]).await?;
            }
            n = rd.read(&mut outbuf) => {
                let n = n?;
                if n == 0 { break true; }
                stdout.write_all(&outbuf[..n]).await?;
                stdout.flush().await?;
            }
            _ = winch.recv() => resize().await,
        }
    };
    if ended {
        eprint!("\r\nnovactl: the console ended (the node stopped)\r\n");
    } else {
        eprint!("\r\nnovactl: detached\r\n");
    }
    Ok(())
}

/// The terminal's size (rows, cols), when stdout is a terminal.
fn window_size() -> Option<(u16, u16)> {
    // SAFETY: winsize is plain data; TIOCGWINSZ fills it or fails.
    unsafe {
        let mut w: libc::winsize = std::mem::zeroed();
        (libc::ioctl(1, libc::TIOCGWINSZ, &mut w) == 0 && w.ws_row > 0 && w.ws_col > 0)
            .then_some((w.ws_row, w.ws_col))
    }
}

/// Ctrl-]: leaves the console, as telnet does.
const DETACH: u8 = 0x1d;

/// Puts the terminal in raw mode while alive (if stdin is a terminal).
struct RawTerminal {
    saved: Option<libc::termios>,
}

impl RawTerminal {
    fn enter() -> Self {
        // SAFETY: termios is plain data; tcgetattr fills it or fails, and we only use it
        // after success. fd 0 stays open for the life of the process.
        unsafe {
            let mut t: libc::termios = std::mem::zeroed();
            if libc::isatty(0) != 1 || libc::tcgetattr(0, &mut t) != 0 {
                return RawTerminal { saved: None };
            }
            let saved = t;
            libc::cfmakeraw(&mut t);
            libc::tcsetattr(0, libc::TCSANOW, &t);
            RawTerminal { saved: Some(saved) }
        }
    }
}

impl Drop for RawTerminal {
    fn drop(&mut self) {
        if let Some(t) = self.saved {
            // SAFETY: restores the attributes read in `enter` on the same fd.
            unsafe {
                libc::tcsetattr(0, libc::TCSANOW, &t);
            }
        }
    }
}

impl std::fmt::Debug for RawTerminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawTerminal")
            .field("raw", &self.saved.is_some())
            .finish()
    }
}

/// The nsenter command that runs `cmd` inside every namespace of `pid`.
pub fn nsenter_command(pid: u32, cmd: &[String]) -> Command {
    let mut c = Command::new("nsenter");
    c.arg("--target")
        .arg(pid.to_string())
        .arg("--all")
        .arg("--wdns=/")
        .arg("--");
    if cmd.is_empty() {
        c.arg("/bin/sh");
    } else {
        c.args(cmd);
    }
    c
}

/// Replaces novactl with `nsenter … cmd`; returns only on failure.
pub fn exec_in_node(pid: u32, cmd: &[String]) -> anyhow::Error {
    if pid == 0 {
        return CtlError::Invalid("the node is not running".into()).into();
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return CtlError::NotSupported(
            "novactl exec enters the node's namespaces with nsenter and needs root".into(),
        )
        .into();
    }
    let err = nsenter_command(pid, cmd).exec();
    anyhow::anyhow!("cannot run nsenter: {err}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nsenter_args() {
        let c = nsenter_command(42, &["ping".into(), "-c1".into()]);
        let args: Vec<_> = c
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            args,
            ["--target", "42", "--all", "--wdns=/", "--", "ping", "-c1"]
        );
    }
}
