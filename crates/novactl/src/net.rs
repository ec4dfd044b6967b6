//! `novactl net …`: host networking owned by nova-ve-netd.

use std::io::Write as _;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use anyhow::Context as _;
use nova_dbus::net::{BpfInstruction, InterfaceInfo, Net1Proxy};
use tokio::io::AsyncWriteExt as _;

use crate::cli::{CaptureArgs, NetCmd};
use crate::error::{Access, CtlError, Service, ZbusExt as _};
use crate::output::{Report, Table, done};

pub async fn run(conn: &zbus::Connection, cmd: NetCmd) -> anyhow::Result<Report> {
    let net = Net1Proxy::new(conn).await?;
    match cmd {
        NetCmd::List => list(&net).await,
        NetCmd::Capture(args) => capture(&net, args).await,
        NetCmd::Units => units(conn).await,
        change => apply_change(&net, change).await,
    }
}

/// The netd methods that change one interface; each prints what it did.
async fn apply_change(net: &Net1Proxy<'_>, cmd: NetCmd) -> anyhow::Result<Report> {
    let (res, msg) = match cmd {
        NetCmd::Bridge { name } => (
            net.create_bridge(&name).await,
            format!("created bridge {name}"),
        ),
        NetCmd::Tap { name, owner } => (
            net.create_tap(&name, owner).await,
            format!("created tap {name} owned by uid {owner}"),
        ),
        NetCmd::Veth {
            name,
            peer,
            netns_pid,
            peer_down,
        } => (
            net.create_veth(&name, &peer, netns_pid, netns_pid != 0 && !peer_down)
                .await,
            format!("created veth {name} <-> {peer}"),
        ),
        NetCmd::Delete { name } => (net.delete_interface(&name).await, format!("deleted {name}")),
        NetCmd::Attach { name, bridge } => (
            net.attach_to_bridge(&name, &bridge).await,
            format!("attached {name} to {bridge}"),
        ),
        NetCmd::Detach { name } => (
            net.detach_from_bridge(&name).await,
            format!("detached {name}"),
        ),
        NetCmd::Up { name } => (net.set_up(&name, true).await, format!("{name} up")),
        NetCmd::Down { name } => (net.set_up(&name, false).await, format!("{name} down")),
        NetCmd::Mtu { name, mtu } => (net.set_mtu(&name, mtu).await, format!("{name} mtu {mtu}")),
        NetCmd::Mac { name, mac } => (net.set_mac(&name, &mac).await, format!("{name} mac {mac}")),
        NetCmd::Netem {
            name,
            delay_ms,
            jitter_ms,
            loss_pct,
            rate_kbps,
        } => {
            let n = netem_args(delay_ms, jitter_ms, loss_pct, rate_kbps)?;
            (
                net.set_netem(&name, n.0, n.1, loss_pct, n.2).await,
                format!(
                    "{name}: netem delay {delay_ms} ms jitter {jitter_ms} ms loss {loss_pct}% rate {rate_kbps} kbit/s"
                ),
            )
        }
        NetCmd::NetemClear { name } => (
            net.clear_netem(&name).await,
            format!("{name}: netem cleared"),
        ),
        NetCmd::List | NetCmd::Capture(_) | NetCmd::Units => {
            return Err(CtlError::NotSupported("internal: not a change".into()).into());
        }
    };
    res.ctx(Service::Net, Access::Manage)?;
    done(msg)
}

/// Converts CLI units to netd's (µs, µs, bytes/s), refusing what cannot be represented.
fn netem_args(
    delay_ms: f64,
    jitter_ms: f64,
    loss_pct: f64,
    rate_kbps: u64,
) -> Result<(u32, u32, u64), CtlError> {
    let us = |ms: f64, what: &str| {
        if !(0.0..=4_000_000.0).contains(&ms) {
            return Err(CtlError::Invalid(format!(
                "--{what} must be within 0..4000000 ms"
            )));
        }
        Ok((ms * 1000.0).round() as u32)
    };
    if !(0.0..=100.0).contains(&loss_pct) {
        return Err(CtlError::Invalid("--loss-pct must be within 0..100".into()));
    }
    let rate = rate_kbps
        .checked_mul(1000 / 8)
        .ok_or_else(|| CtlError::Invalid("--rate-kbps is too large".into()))?;
    Ok((us(delay_ms, "delay-ms")?, us(jitter_ms, "jitter-ms")?, rate))
}

async fn units(conn: &zbus::Connection) -> anyhow::Result<Report> {
    let nodes = nova_dbus::nodes::Nodes1Proxy::new(conn).await?;
    let mut list = nodes
        .list_node_scopes()
        .await
        .ctx(Service::Net, Access::View)?;
    list.sort_by(|a, b| a.unit.cmp(&b.unit));
    let mut t = Table::new(["UNIT", "ACTIVE", "SUB"]);
    for u in &list {
        t.row([u.unit.clone(), u.active_state.clone(), u.sub_state.clone()]);
    }
    Ok(Report::Table(t, serde_json::to_value(&list)?))
}

async fn list(net: &Net1Proxy<'_>) -> anyhow::Result<Report> {
    let mut ifaces = net
        .list_interfaces()
        .await
        .ctx(Service::Net, Access::View)?;
    ifaces.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(interfaces_report(&ifaces))
}

fn interfaces_report(ifaces: &[InterfaceInfo]) -> Report {
    let mut table = Table::new(["NAME", "KIND", "STATE", "MTU", "MAC", "BRIDGE"]);
    for i in ifaces {
        table.row([
            i.name.clone(),
            i.kind.clone(),
            if i.up { "up" } else { "down" }.to_string(),
            i.mtu.to_string(),
            dash(&i.mac),
            dash(&i.master),
        ]);
    }
    let value = serde_json::to_value(ifaces).unwrap_or_default();
    Report::Table(table, value)
}

fn dash(s: &str) -> String {
    if s.is_empty() { "-".into() } else { s.into() }
}

async fn capture(net: &Net1Proxy<'_>, args: CaptureArgs) -> anyhow::Result<Report> {
    let filter = match &args.filter {
        Some(expr) => compile_filter(expr)?,
        None => Vec::new(),
    };
    let fd = net
        .capture_start(&args.iface, &filter)
        .await
        .ctx(Service::Net, Access::Capture)?;
    let mut source = NonBlockingFd::new(fd.into())?;
    let copied = match &args.output {
        Some(path) => {
            let mut file = tokio::fs::File::create(path)
                .await
                .with_context(|| format!("cannot create {}", path.display()))?;
            copy_until_done(&mut source, &mut file, args.duration).await?
        }
        None => {
            let mut out = tokio::io::stdout();
            copy_until_done(&mut source, &mut out, args.duration).await?
        }
    };
    let msg = format!(
        "captured {copied} bytes of pcap from {}{}",
        args.iface,
        args.output
            .as_deref()
            .map(|p| format!(" into {}", p.display()))
            .unwrap_or_default()
    );
    // The pcap itself may be on stdout: the summary goes to stderr.
    let _ = writeln!(std::io::stderr(), "novactl: {msg}");
    Ok(Report::Nothing)
}

/// Copies the capture stream until it ends, the duration passes, or Ctrl-C.
async fn copy_until_done<W>(
    source: &mut NonBlockingFd,
    sink: &mut W,
    duration: Option<u64>,
) -> anyhow::Result<u64>
where
    W: tokio::io::AsyncWrite + Unpin,
{
    let mut copied = 0u64;
    let deadline = async {
        match duration {
            Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(deadline);
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        tokio::select! {
            n = source.read(&mut buf) => {
                let n = n.context("reading the capture stream")?;
                if n == 0 { break; }
                sink.write_all(&buf[..n]).await.context("writing pcap")?;
                sink.flush().await.context("writing pcap")?;
                copied += n as u64;
            }
            _ = &mut deadline => break,
            _ = tokio::signal::ctrl_c() => break,
        }
    }
    Ok(copied)
}

/// The capture stream (a pipe or socket from netd), read without blocking a thread: a
/// `tokio::fs::File` read parks a blocking thread in read(2) that the runtime then waits
/// for at exit, so `--duration` or Ctrl-C would hang until netd closed the stream.
#[derive(Debug)]
struct NonBlockingFd(tokio::io::unix::AsyncFd<std::os::fd::OwnedFd>);

impl NonBlockingFd {
    fn new(fd: std::os::fd::OwnedFd) -> anyhow::Result<Self> {
        use std::os::fd::AsRawFd as _;
        let raw = fd.as_raw_fd();
        // SAFETY: fcntl on an fd we own; F_GETFL/F_SETFL take and return plain ints.
        let ok = unsafe {
            let flags = libc::fcntl(raw, libc::F_GETFL);
            flags >= 0 && libc::fcntl(raw, libc::F_SETFL, flags | libc::O_NONBLOCK) == 0
        };
        if !ok {
            return Err(std::io::Error::last_os_error()).context("capture stream: O_NONBLOCK");
        }
        let interest = tokio::io::Interest::READABLE;
        // SAFETY: `fd` is an OwnedFd moved into the AsyncFd: it stays open and is the same
        // descriptor for the AsyncFd's whole life.
        let afd = unsafe { tokio::io::unix::AsyncFd::register_with_interest(fd, interest) }
            .map_err(|e| anyhow::anyhow!("capture stream: {e}"))?;
        Ok(NonBlockingFd(afd))
    }

    async fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        use std::os::fd::AsRawFd as _;
        loop {
            let mut guard = self.0.readable().await?;
            let res = guard.try_io(|inner| {
                // SAFETY: reads at most buf.len() bytes into buf from an fd we own.
                let n = unsafe {
                    libc::read(
                        inner.get_ref().as_raw_fd(),
                        buf.as_mut_ptr().cast(),
                        buf.len(),
                    )
                };
                if n < 0 {
                    Err(std::io::Error::last_os_error())
                } else {
                    Ok(n as usize)
                }
            });
            if let Ok(result) = res {
                return result;
            }
        }
    }
}

/// Compiles a tcpdump filter expression to classic BPF with `tcpdump -ddd` (libpcap's
/// compiler; the daemon only accepts compiled programs so no filter parser runs as root).
pub fn compile_filter(expr: &str) -> anyhow::Result<Vec<BpfInstruction>> {
    let out = Command::new(tcpdump_path())
        .args(["-ddd", "-y", "EN10MB", "--"])
        .arg(expr)
        .output()
        .map_err(|e| {
            CtlError::NotSupported(format!(
                "--filter needs tcpdump to compile the expression (apt install tcpdump): {e}"
            ))
        })?;
    if !out.status.success() {
        return Err(CtlError::Invalid(format!(
            "invalid capture filter {expr:?}: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ))
        .into());
    }
    parse_ddd(&String::from_utf8_lossy(&out.stdout)).map_err(|e| CtlError::Invalid(e).into())
}

fn tcpdump_path() -> &'static Path {
    // tcpdump lives in /usr/bin on Debian but PATH may lack sbin/bin variants under sudo.
    for p in ["/usr/bin/tcpdump", "/usr/sbin/tcpdump"] {
        if Path::new(p).exists() {
            return Path::new(p);
        }
    }
    Path::new("tcpdump")
}

/// Parses `tcpdump -ddd` output: a count line, then `code jt jf k` per instruction.
pub fn parse_ddd(text: &str) -> Result<Vec<BpfInstruction>, String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let count: usize = lines
        .next()
        .ok_or("empty filter program")?
        .trim()
        .parse()
        .map_err(|e| format!("bad instruction count: {e}"))?;
    let prog = lines
        .map(parse_instruction)
        .collect::<Result<Vec<_>, _>>()?;
    if prog.len() != count {
        return Err(format!("expected {count} instructions, got {}", prog.len()));
    }
    Ok(prog)
}

fn parse_instruction(line: &str) -> Result<BpfInstruction, String> {
    let f: Vec<&str> = line.split_whitespace().collect();
    let [code, jt, jf, k] = f.as_slice() else {
        return Err(format!("bad instruction line {line:?}"));
    };
    let bad = |e: std::num::ParseIntError| format!("bad instruction {line:?}: {e}");
    Ok(BpfInstruction {
        code: code.parse().map_err(bad)?,
        jt: jt.parse().map_err(bad)?,
        jf: jf.parse().map_err(bad)?,
        k: k.parse().map_err(bad)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_tcpdump_ddd() {
        let prog = parse_ddd("2\n40 0 0 12\n6 0 0 262144\n").unwrap();
        assert_eq!(prog.len(), 2);
        assert_eq!(
            prog[1],
            BpfInstruction {
                code: 6,
                jt: 0,
                jf: 0,
                k: 262144
            }
        );
        assert!(parse_ddd("3\n40 0 0 12\n").is_err());
        assert!(parse_ddd("1\n40 0 x 12\n").is_err());
        assert!(parse_ddd("").is_err());
    }

    #[test]
    fn netem_units() {
        assert_eq!(
            netem_args(20.0, 1.5, 0.0, 8).unwrap(),
            (20_000, 1_500, 1000)
        );
        assert!(netem_args(-1.0, 0.0, 0.0, 0).is_err());
        assert!(netem_args(0.0, 0.0, 101.0, 0).is_err());
        assert!(netem_args(0.0, 0.0, 0.0, u64::MAX).is_err());
    }

    #[test]
    fn interface_table_shows_bridge_and_state() {
        let r = interfaces_report(&[InterfaceInfo {
            name: "nvbr0".into(),
            kind: "bridge".into(),
            mac: String::new(),
            mtu: 1500,
            up: true,
            master: String::new(),
        }]);
        let text = r.render(false).unwrap();
        assert!(text.contains("nvbr0  bridge  up     1500  -"), "{text}");
        let json = r.render(true).unwrap();
        assert!(json.contains("\"kind\": \"bridge\""), "{json}");
    }
}
