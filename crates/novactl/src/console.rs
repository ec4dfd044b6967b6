//! `novactl console` and `novactl exec`.
//!
//! A node's `Console` property names its console endpoint. `linux` nodes have
//! `journal:<unit>`: their console is their output, which the journal holds, so the
//! console follows it read-only. Sockets (`unix:PATH`, `tcp:HOST:PORT`, `telnet:HOST:PORT`)
//! are attached both ways with the terminal in raw mode (Ctrl-] detaches).
//! `novactl exec` runs a command inside a running node's namespaces (root only; it execs
//! `nsenter` on the node's main PID), which is how an administrator gets a shell in a
//! `linux` node.

use std::os::unix::process::CommandExt as _;
use std::process::Command;

use anyhow::Context as _;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

use crate::error::CtlError;

/// A parsed console endpoint.
#[derive(Debug, PartialEq, Eq)]
pub enum Endpoint {
    Journal(String),
    Unix(String),
    Tcp(String),
}

pub fn parse_endpoint(text: &str) -> Result<Endpoint, CtlError> {
    let (scheme, rest) = text
        .split_once(':')
        .ok_or_else(|| CtlError::NotSupported("this node has no console endpoint".into()))?;
    if rest.is_empty() {
        return Err(CtlError::NotSupported(format!(
            "console endpoint {text:?} is incomplete"
        )));
    }
    match scheme {
        "journal" => Ok(Endpoint::Journal(rest.to_string())),
        "unix" => Ok(Endpoint::Unix(rest.to_string())),
        "tcp" | "telnet" => Ok(Endpoint::Tcp(rest.to_string())),
        other => Err(CtlError::NotSupported(format!(
            "console type {other:?} is not supported by this novactl"
        ))),
    }
}

/// Attaches to the endpoint; returns when the console closes or the user detaches.
pub async fn attach(endpoint: Endpoint) -> anyhow::Result<()> {
    match endpoint {
        Endpoint::Journal(unit) => {
            eprintln!(
                "novactl: {unit}: this node's console is its output (read-only, from the journal); \
                 Ctrl-C leaves. For a shell inside it: novactl exec LAB NODE"
            );
            Err(crate::logs::exec_journalctl(&unit, true, Some(50)).into())
        }
        Endpoint::Unix(path) => {
            let s = tokio::net::UnixStream::connect(&path)
                .await
                .with_context(|| format!("cannot connect to console {path}"))?;
            relay(s).await
        }
        Endpoint::Tcp(addr) => {
            let s = tokio::net::TcpStream::connect(&addr)
                .await
                .with_context(|| format!("cannot connect to console {addr}"))?;
            relay(s).await
        }
    }
}

/// Ctrl-]: leaves the console, as telnet does.
const DETACH: u8 = 0x1d;

async fn relay<S>(stream: S) -> anyhow::Result<()>
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let _raw = RawTerminal::enter();
    eprint!("novactl: attached; Ctrl-] detaches\r\n");
    let (mut rd, mut wr) = tokio::io::split(stream);
    let mut stdin = tokio::io::stdin();
    let mut stdout = tokio::io::stdout();
    let mut inbuf = [0u8; 1024];
    let mut outbuf = [0u8; 8192];
    loop {
        tokio::select! {
            n = stdin.read(&mut inbuf) => {
                let n = n?;
                if n == 0 { break; }
                if let Some(pos) = inbuf[..n].iter().position(|b| *b == DETACH) {
                    wr.write_all(&inbuf[..pos]).await?;
                    break;
                }
                wr.write_all(&inbuf[..n]).await?;
            }
            n = rd.read(&mut outbuf) => {
                let n = n?;
                if n == 0 { break; }
                stdout.write_all(&outbuf[..n]).await?;
                stdout.flush().await?;
            }
        }
    }
    eprint!("\r\nnovactl: detached\r\n");
    Ok(())
}

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
    fn endpoints() {
        assert_eq!(
            parse_endpoint("journal:nova-node-a-1.scope").unwrap(),
            Endpoint::Journal("nova-node-a-1.scope".into())
        );
        assert_eq!(
            parse_endpoint("telnet:127.0.0.1:32769").unwrap(),
            Endpoint::Tcp("127.0.0.1:32769".into())
        );
        assert_eq!(
            parse_endpoint("unix:/run/x.sock").unwrap(),
            Endpoint::Unix("/run/x.sock".into())
        );
        assert!(parse_endpoint("").is_err());
        assert!(parse_endpoint("vnc:1.2.3.4:5900").is_err());
        assert!(parse_endpoint("unix:").is_err());
    }

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
