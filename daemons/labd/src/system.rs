//! The real [`Host`]: nova-linux-node for the node process, netd (over D-Bus) for every bridge,
//! veth, netem and node scope, systemd (over D-Bus) for listing and watching node units.

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use futures_util::StreamExt;
use nova_dbus::net::Net1Proxy;
use nova_dbus::nodes::Nodes1Proxy;
use nova_dbus::systemd::{SystemdManagerProxy as SystemdProxy, SystemdUnitProxy};
use nova_lab_model::{Lab, Node};
use zbus::{Connection, Variant};

use crate::engine::LabEngine;
use crate::host::{
    Host, HostError, HostFuture, HostInterface, LaunchRequest, Netem, PendingNode, Plug,
    ScopeProps, UnitInfo,
};

/// The real host.
#[derive(Debug, Clone)]
pub struct SystemHost {
    conn: Connection,
    run_dir: PathBuf,
}

impl SystemHost {
    /// A host talking over `conn` (the system bus); node work dirs under `run_dir`.
    pub fn new(conn: Connection, run_dir: PathBuf) -> Self {
        SystemHost { conn, run_dir }
    }

    async fn net(&self) -> Result<Net1Proxy<'_>, HostError> {
        Net1Proxy::new(&self.conn).await.map_err(map_err)
    }

    async fn nodes(&self) -> Result<Nodes1Proxy<'_>, HostError> {
        Nodes1Proxy::new(&self.conn).await.map_err(map_err)
    }

    async fn systemd(&self) -> Result<SystemdProxy<'_>, HostError> {
        SystemdProxy::new(&self.conn).await.map_err(map_err)
    }
}

/// A D-Bus error → HostError, by the error name's last part.
fn map_err(e: zbus::Error) -> HostError {
    if let zbus::Error::MethodError(name, msg, _) = &e {
        let text = format!("{}: {}", name.as_str(), msg.as_deref().unwrap_or(""));
        return match name.as_str().rsplit('.').next() {
            Some("AlreadyExists") => HostError::AlreadyExists(text),
            Some("NotFound" | "NoSuchUnit") => HostError::NotFound(text),
            Some("NotSupported") => HostError::NotSupported(text),
            _ => HostError::Failed(text),
        };
    }
    HostError::Failed(e.to_string())
}

struct Pending(nova_linux_node::PendingNode);

impl PendingNode for Pending {
    fn pid(&self) -> u32 {
        self.0.pid()
    }
    fn release(self: Box<Self>) -> Result<(), HostError> {
        // The running handle is dropped: the node lives in its scope, not in labd.
        self.0
            .release()
            .map(drop)
            .map_err(|e| HostError::Failed(format!("release: {e}")))
    }
}

fn op<'a>(name: &'a str, args: Vec<(&'a str, Variant<'a>)>) -> nova_dbus::net::BatchOp<'a> {
    (name, args.into_iter().collect::<HashMap<_, _>>())
}

fn netem_op(ifname: &str, n: Netem) -> nova_dbus::net::BatchOp<'_> {
    op(
        "SetNetem",
        vec![
            ("name", Variant::from(ifname)),
            ("delay_us", Variant::from(n.delay_us)),
            ("jitter_us", Variant::from(n.jitter_us)),
            ("loss_percent", Variant::from(n.loss_percent)),
            ("rate_bytes_per_sec", Variant::from(n.rate_bytes_per_sec)),
        ],
    )
}

impl Host for SystemHost {
    fn launch(&self, req: LaunchRequest) -> HostFuture<'_, Box<dyn PendingNode>> {
        Box::pin(async move {
            let spec = req.spec;
            let p = tokio::task::spawn_blocking(move || nova_linux_node::spawn(&spec))
                .await
                .map_err(|e| HostError::Failed(e.to_string()))?
                .map_err(|e| HostError::Failed(format!("launch: {e}")))?;
            Ok(Box::new(Pending(p)) as Box<dyn PendingNode>)
        })
    }

    fn start_scope<'a>(
        &'a self,
        lab: &'a str,
        node: &'a str,
        pid: u32,
        props: ScopeProps,
    ) -> HostFuture<'a, String> {
        Box::pin(async move {
            let mut p: HashMap<&str, Variant<'_>> = HashMap::new();
            p.insert("Description", Variant::from(props.description.as_str()));
            if props.memory_max > 0 {
                p.insert("MemoryMax", Variant::from(props.memory_max));
            }
            if props.cpu_quota_per_sec_usec > 0 {
                p.insert(
                    "CPUQuotaPerSecUSec",
                    Variant::from(props.cpu_quota_per_sec_usec),
                );
            }
            self.nodes()
                .await?
                .start_node_scope(lab, node, pid, p)
                .await
                .map_err(map_err)
        })
    }

    fn stop_unit<'a>(&'a self, unit: &'a str) -> HostFuture<'a, ()> {
        Box::pin(async move {
            self.nodes()
                .await?
                .stop_node_scope(unit)
                .await
                .map_err(map_err)
        })
    }

    fn list_units(&self) -> HostFuture<'_, Vec<UnitInfo>> {
        Box::pin(async move {
            let sd = self.systemd().await?;
            let units = sd
                .list_units_by_patterns(&[], &["nova-node-*.scope"])
                .await
                .map_err(map_err)?;
            let mut out = Vec::new();
            for u in units {
                let pid = match sd.get_unit_processes(&u.0).await {
                    Ok(procs) => procs.iter().map(|p| p.1).min().unwrap_or(0),
                    Err(_) => 0,
                };
                out.push(UnitInfo {
                    unit: u.0,
                    active_state: u.3,
                    pid,
                });
            }
            Ok(out)
        })
    }

    fn unit_state<'a>(&'a self, unit: &'a str) -> HostFuture<'a, String> {
        Box::pin(async move {
            let Ok(path) = self.systemd().await?.get_unit(unit).await else {
                return Ok(String::new());
            };
            let u = SystemdUnitProxy::builder(&self.conn)
                .path(path)
                .build()
                .await
                .map_err(map_err)?;
            u.active_state().await.map_err(map_err)
        })
    }

    fn create_bridge<'a>(&'a self, name: &'a str) -> HostFuture<'a, ()> {
        Box::pin(async move {
            let ops = [
                op("CreateBridge", vec![("name", Variant::from(name))]),
                op(
                    "SetUp",
                    vec![("name", Variant::from(name)), ("up", Variant::from(true))],
                ),
            ];
            self.net()
                .await?
                .apply(&ops)
                .await
                .map(drop)
                .map_err(map_err)
        })
    }

    fn delete_interface<'a>(&'a self, name: &'a str) -> HostFuture<'a, ()> {
        Box::pin(async move {
            self.net()
                .await?
                .delete_interface(name)
                .await
                .map_err(map_err)
        })
    }

    fn delete_interfaces<'a>(&'a self, names: &'a [String]) -> HostFuture<'a, ()> {
        Box::pin(async move {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            self.net()
                .await?
                .delete_interfaces(&names)
                .await
                .map(drop)
                .map_err(map_err)
        })
    }

    fn plug<'a>(&'a self, pid: u32, plugs: &'a [Plug]) -> HostFuture<'a, ()> {
        Box::pin(async move {
            let mut ops = Vec::new();
            for p in plugs {
                ops.push(op(
                    "CreateVeth",
                    vec![
                        ("name", Variant::from(p.host_if.as_str())),
                        ("peer", Variant::from(p.peer.as_str())),
                        ("netns_pid", Variant::from(pid)),
                        ("peer_up", Variant::from(true)),
                    ],
                ));
                ops.push(op(
                    "AttachToBridge",
                    vec![
                        ("name", Variant::from(p.host_if.as_str())),
                        ("bridge", Variant::from(p.bridge.as_str())),
                    ],
                ));
                ops.push(op(
                    "SetUp",
                    vec![
                        ("name", Variant::from(p.host_if.as_str())),
                        ("up", Variant::from(true)),
                    ],
                ));
            }
            self.net()
                .await?
                .apply(&ops)
                .await
                .map(drop)
                .map_err(map_err)
        })
    }

    fn set_netem<'a>(&'a self, ifname: &'a str, netem: Netem) -> HostFuture<'a, ()> {
        Box::pin(async move {
            let net = self.net().await?;
            if netem.is_none() {
                net.clear_netem(ifname).await.map_err(map_err)
            } else {
                net.apply(&[netem_op(ifname, netem)])
                    .await
                    .map(drop)
                    .map_err(map_err)
            }
        })
    }

    fn list_interfaces(&self) -> HostFuture<'_, Vec<HostInterface>> {
        Box::pin(async move {
            let v = self.net().await?.list_interfaces().await.map_err(map_err)?;
            Ok(v.into_iter()
                .map(|i| HostInterface {
                    name: i.name,
                    kind: i.kind,
                    master: i.master,
                })
                .collect())
        })
    }

    fn configure_addresses<'a>(
        &'a self,
        pid: u32,
        ifname: &'a str,
        addrs: Vec<String>,
    ) -> HostFuture<'a, ()> {
        let index = ifname
            .strip_prefix("eth")
            .and_then(|i| i.parse::<u16>().ok());
        Box::pin(async move {
            let index = index.ok_or_else(|| HostError::Failed(format!("{ifname} is not ethN")))?;
            tokio::task::spawn_blocking(move || {
                for a in &addrs {
                    let addr = a
                        .parse()
                        .map_err(|e| HostError::Failed(format!("{a}: {e}")))?;
                    nova_linux_node::add_interface_address(pid, index, addr)
                        .map_err(|e| HostError::Failed(format!("eth{index} {a}: {e}")))?;
                }
                Ok(())
            })
            .await
            .map_err(|e| HostError::Failed(e.to_string()))?
        })
    }

    fn live_macs(&self, pid: u32) -> HostFuture<'_, std::collections::BTreeMap<String, String>> {
        Box::pin(async move {
            let out = tokio::task::spawn_blocking(move || {
                nova_linux_node::exec_in_node(pid, &[nova_linux_node::BUSYBOX, "ip", "-o", "link"])
            })
            .await
            .map_err(|e| HostError::Failed(e.to_string()))?
            .map_err(|e| HostError::Failed(format!("exec in node: {e}")))?;
            Ok(parse_ip_link(&String::from_utf8_lossy(&out.stdout)))
        })
    }

    fn wipe<'a>(&'a self, lab: &'a Lab, node: &'a Node) -> HostFuture<'a, ()> {
        Box::pin(async move {
            let dir = self
                .run_dir
                .join(crate::naming::LabKey::of(&lab.id).unit)
                .join(node.id.to_string());
            match std::fs::remove_dir_all(&dir) {
                Ok(()) => Ok(()),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
                Err(e) => Err(HostError::Failed(format!("{}: {e}", dir.display()))),
            }
        })
    }

    fn capture<'a>(&'a self, ifname: &'a str) -> HostFuture<'a, OwnedFd> {
        Box::pin(async move {
            let fd = self
                .net()
                .await?
                .capture_start(ifname, &[])
                .await
                .map_err(map_err)?;
            Ok(fd.into())
        })
    }

    fn open_console<'a>(&'a self, work_dir: &'a Path) -> HostFuture<'a, OwnedFd> {
        let dir = work_dir.to_path_buf();
        Box::pin(async move {
            // Connect + handshake are blocking (bounded by CONSOLE_REPLY_TIMEOUT).
            tokio::task::spawn_blocking(move || nova_linux_node::open_console(&dir))
                .await
                .map_err(|e| HostError::Failed(e.to_string()))?
                .map(OwnedFd::from)
                .map_err(map_console)
        })
    }

    fn resize_console<'a>(
        &'a self,
        work_dir: &'a Path,
        rows: u16,
        cols: u16,
    ) -> HostFuture<'a, ()> {
        let dir = work_dir.to_path_buf();
        Box::pin(async move {
            tokio::task::spawn_blocking(move || nova_linux_node::resize_console(&dir, rows, cols))
                .await
                .map_err(|e| HostError::Failed(e.to_string()))?
                .map_err(map_console)
        })
    }
}

/// A console error: nothing listening is NotFound (the node is not running), the rest Failed.
fn map_console(e: nova_linux_node::Error) -> HostError {
    match e {
        nova_linux_node::Error::ConsoleUnavailable { .. } => HostError::NotFound(e.to_string()),
        other => HostError::Failed(other.to_string()),
    }
}

/// `ip -o link` lines → interface name (without `@peer`) → MAC.
fn parse_ip_link(text: &str) -> std::collections::BTreeMap<String, String> {
    text.lines()
        .filter_map(|l| {
            let name = l.split(": ").nth(1)?.split('@').next()?.to_string();
            let mac = l
                .split_whitespace()
                .skip_while(|w| *w != "link/ether")
                .nth(1)?
                .to_string();
            Some((name, mac))
        })
        .collect()
}

/// Watches systemd for node units that stop or vanish and tells the engine, at once (signals,
/// no polling): UnitRemoved, JobRemoved, and PropertiesChanged of unit objects.
pub async fn watch_units(conn: Connection, engine: Arc<LabEngine>) -> zbus::Result<()> {
    let sd = SystemdProxy::new(&conn).await?;
    sd.subscribe().await?;
    let mut removed = sd.receive_unit_removed().await?;
    let mut jobs = sd.receive_job_removed().await?;
    let rule = zbus::MatchRule::builder()
        .msg_type(zbus::message::Type::Signal)
        .sender("org.freedesktop.systemd1")
        .interface("org.freedesktop.DBus.Properties")
        .member("PropertiesChanged")
        .path_namespace("/org/freedesktop/systemd1/unit")
        .arg(0, "org.freedesktop.systemd1.Unit")
        .build()?;
    let mut props = zbus::MessageStream::for_match_rule(rule, &conn, None).await?;
    // Never wait inside this loop: a stream that is not drained fills zbus's queue, which
    // stalls the whole connection (and with it the replies the engine is waiting for). Each
    // notification is handled in its own task.
    loop {
        tokio::select! {
            Some(sig) = removed.next() => {
                if let Ok(a) = sig.args() && a.id.starts_with("nova-node-") {
                    let (engine, unit) = (engine.clone(), a.id.clone());
                    tokio::spawn(async move { engine.unit_changed(&unit, "").await });
                }
            }
            Some(sig) = jobs.next() => {
                if let Ok(a) = sig.args() && a.unit.starts_with("nova-node-") {
                    // unit_changed asks systemd for the unit's current state itself.
                    let (engine, unit) = (engine.clone(), a.unit.clone());
                    tokio::spawn(async move { engine.unit_changed(&unit, "").await });
                }
            }
            Some(Ok(msg)) = props.next() => {
                let engine = engine.clone();
                tokio::spawn(async move { on_unit_properties(&engine, &msg).await });
            }
            else => return Ok(()),
        }
    }
}

async fn on_unit_properties(engine: &LabEngine, msg: &zbus::Message) {
    let Some(path) = msg.header().path().map(|p| p.to_string()) else {
        return;
    };
    let Some(unit) = unescape_unit_path(&path) else {
        return;
    };
    if !unit.starts_with("nova-node-") {
        return;
    }
    type Args = (String, HashMap<String, zbus::OwnedVariant>, Vec<String>);
    let Ok((_, changed, _)) = msg.body().deserialize::<Args>() else {
        return;
    };
    if let Some(v) = changed.get("ActiveState")
        && let Ok(state) = String::try_from(v.clone())
    {
        engine.unit_changed(&unit, &state).await;
    }
}

/// `/org/freedesktop/systemd1/unit/nova_2dnode_2d…` → `nova-node-…`.
fn unescape_unit_path(path: &str) -> Option<String> {
    let esc = path.strip_prefix("/org/freedesktop/systemd1/unit/")?;
    let b = esc.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'_' && i + 2 < b.len() {
            out.push(u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).ok()?, 16).ok()?);
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_ip_link() {
        let m = super::parse_ip_link(
            "1: lo: <LOOPBACK> mtu 65536 qdisc noop state DOWN qlen 1000\\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00\n\
             2: eth0@if5: <BROADCAST,UP> mtu 1500 qdisc noqueue qlen 1000\\    link/ether 6a:0b:1c:2d:3e:4f brd ff:ff:ff:ff:ff:ff\n",
        );
        assert_eq!(m.get("eth0").map(String::as_str), Some("6a:0b:1c:2d:3e:4f"));
        assert!(!m.contains_key("lo"));
    }

    #[test]
    fn unescapes_systemd_paths() {
        assert_eq!(
            super::unescape_unit_path(
                "/org/freedesktop/systemd1/unit/nova_2dnode_2dab_5f1_2d3_2escope"
            )
            .as_deref(),
            Some("nova-node-ab_1-3.scope")
        );
    }
}
