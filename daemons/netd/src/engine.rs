//! `NetEngine`: plain Rust over rtnetlink, the TUN ioctls and the ownership registry. It knows
//! nothing of D-Bus or polkit (the adaptor in `dbus` checks the caller, then calls in here).
//!
//! Architecture Invariant: every operation on an existing interface first proves ownership
//! (prefix + registry record with the same ifindex + alias marker); all mutations run under
//! one lock, so concurrent callers see a consistent registry and kernel state.

use std::fs::File;
use std::os::fd::{AsRawFd, OwnedFd};
use std::path::Path;

use futures_util::TryStreamExt;
use futures_util::stream::StreamExt;
use rtnetlink::packet_core::NetlinkPayload;
use rtnetlink::packet_route::RouteNetlinkMessage;
use rtnetlink::packet_route::link::{
    InfoData, InfoKind, InfoVeth, LinkAttribute, LinkFlags, LinkInfo, LinkMessage,
};
use rtnetlink::{Handle, LinkBridge, LinkMessageBuilder, LinkUnspec, LinkVeth};
use tokio::sync::Mutex;

use crate::error::{NetdError, Result, netlink_errno};
use crate::registry::{LinkKind, OWNED_ALIAS, OwnedLink, Registry};
use crate::validate::{BpfProgram, IfName, MacAddr, Mtu, Netem, format_mac};
use crate::{capture, impair, procfs, tap};

/// A change to an owned interface, for the adaptor to turn into a signal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// Created.
    Added {
        /// Name.
        name: String,
        /// "bridge", "tap", "veth".
        kind: &'static str,
    },
    /// Changed.
    Changed {
        /// Name.
        name: String,
    },
    /// Deleted.
    Removed {
        /// Name.
        name: String,
    },
}

/// One validated operation (the unit of `Apply` and of every single method).
#[derive(Debug, Clone, PartialEq)]
pub enum Op {
    /// Create a bridge.
    CreateBridge(IfName),
    /// Create a persistent TAP owned by a uid.
    CreateTap {
        /// Name.
        name: IfName,
        /// Owner uid.
        owner_uid: u32,
    },
    /// Create a veth pair, the peer optionally in another process's netns.
    CreateVeth {
        /// Host end.
        name: IfName,
        /// Peer name (in the host or in the target netns).
        peer: IfName,
        /// Process whose netns receives the peer; None = host.
        netns_pid: Option<u32>,
        /// Bring the peer up inside the target netns.
        peer_up: bool,
    },
    /// Delete an owned interface.
    Delete(IfName),
    /// Attach to an owned bridge.
    Attach {
        /// Port.
        name: IfName,
        /// Bridge.
        bridge: IfName,
    },
    /// Detach from its bridge.
    Detach(IfName),
    /// Up/down.
    SetUp {
        /// Name.
        name: IfName,
        /// Up?
        up: bool,
    },
    /// MTU.
    SetMtu {
        /// Name.
        name: IfName,
        /// MTU.
        mtu: Mtu,
    },
    /// MAC.
    SetMac {
        /// Name.
        name: IfName,
        /// MAC.
        mac: MacAddr,
    },
    /// netem on the root qdisc.
    SetNetem {
        /// Name.
        name: IfName,
        /// Parameters.
        netem: Netem,
    },
    /// Remove netem.
    ClearNetem(IfName),
}

impl Op {
    /// Builds a create-veth op, validating names for where each end goes.
    pub fn create_veth(name: &str, peer: &str, netns_pid: u32, peer_up: bool) -> Result<Self> {
        let name = IfName::parse_host(name)?;
        let (peer, netns_pid) = if netns_pid == 0 {
            if peer_up {
                return Err(NetdError::invalid("peer_up needs a netns_pid"));
            }
            (IfName::parse_host(peer)?, None)
        } else {
            (IfName::parse(peer)?, Some(netns_pid))
        };
        if netns_pid.is_none() && name == peer {
            return Err(NetdError::invalid("veth ends need different names"));
        }
        Ok(Self::CreateVeth {
            name,
            peer,
            netns_pid,
            peer_up,
        })
    }
}

/// Who asked (for checks that depend on the caller, e.g. owning a target PID).
#[derive(Debug, Clone, Copy)]
pub struct Caller {
    /// Unix uid of the D-Bus caller.
    pub uid: u32,
}

/// A live interface as the kernel reports it.
#[derive(Debug, Clone)]
pub struct LiveLink {
    /// ifindex.
    pub index: u32,
    /// Name.
    pub name: String,
    /// MAC bytes.
    pub mac: Vec<u8>,
    /// MTU.
    pub mtu: u32,
    /// IFF_UP.
    pub up: bool,
    /// Master ifindex.
    pub master: Option<u32>,
    /// IFLA_IFALIAS.
    pub alias: Option<String>,
    /// Link kind, if reported.
    pub kind: Option<InfoKind>,
    /// IFLA_GROUP (0 = the kernel's default group).
    pub group: u32,
}

impl From<LinkMessage> for LiveLink {
    fn from(m: LinkMessage) -> Self {
        let mut l = LiveLink {
            index: m.header.index,
            name: String::new(),
            mac: Vec::new(),
            mtu: 0,
            up: m.header.flags.contains(LinkFlags::Up),
            master: None,
            alias: None,
            kind: None,
            group: 0,
        };
        for a in m.attributes {
            match a {
                LinkAttribute::IfName(n) => l.name = n,
                LinkAttribute::Address(a) => l.mac = a,
                LinkAttribute::Mtu(v) => l.mtu = v,
                LinkAttribute::Controller(i) => l.master = Some(i),
                LinkAttribute::IfAlias(s) => l.alias = Some(s),
                LinkAttribute::Group(g) => l.group = g,
                LinkAttribute::LinkInfo(infos) => {
                    for i in infos {
                        if let LinkInfo::Kind(k) = i {
                            l.kind = Some(k);
                        }
                    }
                }
                _ => {}
            }
        }
        l
    }
}

/// What start-up reconciliation found.
#[derive(Debug, Default, Clone)]
pub struct ReconcileReport {
    /// Records kept.
    pub kept: Vec<String>,
    /// Records dropped (interface gone, renamed, or marker missing).
    pub dropped: Vec<String>,
    /// Marked interfaces without a record: left alone, not owned.
    pub unrecorded_marked: Vec<String>,
}

/// First interface group netd uses for batched deletion ("nv" << 16); the kernel's default is
/// 0 and `ip` names only a handful of small numbers, so nothing else is expected up here.
pub const GROUP_BASE: u32 = 0x6e76_0000;
/// Size of netd's group range.
pub const GROUP_SPAN: u32 = 0x1_0000;

/// The network engine.
#[derive(Debug)]
pub struct NetEngine {
    handle: Handle,
    registry: Mutex<Registry>,
    /// Whether the kernel has netem (learned from the first SetNetem).
    netem_support: impair::NetemSupport,
    /// Where events go, in the order the changes were made (sent under the lock).
    sink: std::sync::Mutex<Option<tokio::sync::mpsc::UnboundedSender<Event>>>,
}

/// Opens an rtnetlink connection in the calling thread's network namespace and spawns its
/// driver on the current Tokio runtime.
pub fn netlink_handle() -> Result<Handle> {
    let (conn, handle, _) = rtnetlink::new_connection()
        .map_err(|e| NetdError::Failed(format!("netlink socket: {e}")))?;
    tokio::spawn(conn);
    Ok(handle)
}

impl NetEngine {
    /// An engine over `handle` with the registry persisted in `state_dir` (None: in memory).
    /// Reconciles before returning.
    pub async fn open(handle: Handle, state_dir: Option<&Path>) -> Result<(Self, ReconcileReport)> {
        let registry = match state_dir {
            Some(dir) => Registry::load(dir)?,
            None => Registry::in_memory(),
        };
        let engine = Self {
            handle,
            registry: Mutex::new(registry),
            netem_support: impair::NetemSupport::default(),
            sink: std::sync::Mutex::new(None),
        };
        let report = engine.reconcile().await?;
        Ok((engine, report))
    }

    /// Re-learns ownership from the kernel: keeps a record only while an interface with the
    /// same name and ifindex still carries the marker.
    pub async fn reconcile(&self) -> Result<ReconcileReport> {
        let mut reg = self.registry.lock().await;
        let live = self.dump().await?;
        let dropped = reg.retain(|rec| {
            live.iter().any(|l| {
                l.index == rec.ifindex
                    && l.name == rec.name
                    && l.alias.as_deref() == Some(OWNED_ALIAS)
            })
        });
        for rec in reg.iter_mut_peers() {
            // A host-side veth peer that vanished leaves no dangling peer reference.
            if let Some(p) = &rec.peer
                && !live.iter().any(|l| &l.name == p)
            {
                rec.peer = None;
            }
        }
        reg.save()?;
        let unrecorded_marked = live
            .iter()
            .filter(|l| l.alias.as_deref() == Some(OWNED_ALIAS) && reg.get(&l.name).is_none())
            .map(|l| l.name.clone())
            .collect::<Vec<_>>();
        for name in &unrecorded_marked {
            tracing::warn!(IFNAME = %name, "interface carries netd's marker but is not in its record: not adopted");
        }
        Ok(ReconcileReport {
            kept: reg.iter().map(|l| l.name.clone()).collect(),
            dropped,
            unrecorded_marked,
        })
    }

    /// All links in the engine's namespace.
    pub async fn dump(&self) -> Result<Vec<LiveLink>> {
        let msgs: Vec<LinkMessage> = self.handle.link().get().execute().try_collect().await?;
        Ok(msgs.into_iter().map(LiveLink::from).collect())
    }

    /// One link by name, None if there is none.
    pub async fn link_by_name(&self, name: &str) -> Result<Option<LiveLink>> {
        let mut s = self
            .handle
            .link()
            .get()
            .match_name(name.to_owned())
            .execute();
        match s.try_next().await {
            Ok(m) => Ok(m.map(LiveLink::from)),
            Err(e) if netlink_errno(&e) == Some(libc::ENODEV) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    /// Owned interfaces with their live state.
    pub async fn list(&self) -> Result<Vec<nova_dbus::net::InterfaceInfo>> {
        let reg = self.registry.lock().await;
        let live = self.dump().await?;
        let mut out = Vec::new();
        for rec in reg.iter() {
            let Some(l) = live.iter().find(|l| is_owned_live(rec, l)) else {
                continue;
            };
            let master = l
                .master
                .and_then(|m| live.iter().find(|x| x.index == m))
                .map(|m| m.name.clone())
                .unwrap_or_default();
            out.push(nova_dbus::net::InterfaceInfo {
                name: l.name.clone(),
                kind: rec.kind.as_str().to_owned(),
                mac: format_mac(&l.mac),
                mtu: l.mtu,
                up: l.up,
                master,
            });
        }
        Ok(out)
    }

    /// Whether the kernel has netem: None until the first SetNetem found out.
    pub fn netem_supported(&self) -> Option<bool> {
        self.netem_support.get()
    }

    /// Whether netd owns `name` right now.
    pub async fn is_owned(&self, name: &IfName) -> bool {
        let reg = self.registry.lock().await;
        self.owned(&reg, name).await.is_ok()
    }

    /// Names in the registry (for tests and the bench).
    pub async fn recorded(&self) -> Vec<String> {
        self.registry
            .lock()
            .await
            .iter()
            .map(|l| l.name.clone())
            .collect()
    }

    /// Delivers every future event, in the order of the changes, to the returned receiver
    /// (replacing an earlier subscriber). The D-Bus adaptor turns them into signals without
    /// delaying the method replies.
    pub fn subscribe(&self) -> tokio::sync::mpsc::UnboundedReceiver<Event> {
        let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
        if let Ok(mut s) = self.sink.lock() {
            *s = Some(tx);
        }
        rx
    }

    fn publish(&self, events: &[Event]) {
        if let Ok(s) = self.sink.lock()
            && let Some(tx) = s.as_ref()
        {
            for e in events {
                let _ = tx.send(e.clone());
            }
        }
    }

    /// Watches the kernel's link multicast group: an owned interface that disappears behind
    /// netd's back (a node's namespace died and took a veth along, someone ran `ip link del`)
    /// is forgotten and announced as removed. Call once, inside the runtime, in the engine's
    /// network namespace.
    pub fn watch_links(self: &std::sync::Arc<Self>) -> Result<()> {
        use rtnetlink::sys::{AsyncSocket, SocketAddr};
        let (mut conn, _handle, mut messages) = rtnetlink::new_connection()
            .map_err(|e| NetdError::Failed(format!("netlink monitor socket: {e}")))?;
        conn.socket_mut()
            .socket_mut()
            .bind(&SocketAddr::new(0, rtnetlink::constants::RTMGRP_LINK))
            .map_err(|e| NetdError::Failed(format!("join RTMGRP_LINK: {e}")))?;
        tokio::spawn(conn);
        let engine = std::sync::Arc::downgrade(self);
        tokio::spawn(async move {
            while let Some((msg, _)) = messages.next().await {
                let Some(engine) = engine.upgrade() else {
                    break;
                };
                if let NetlinkPayload::InnerMessage(RouteNetlinkMessage::DelLink(link)) =
                    msg.payload
                {
                    engine.forget_vanished(link.header.index).await;
                }
            }
        });
        Ok(())
    }

    /// Drops the record of an interface the kernel reported deleted (no-op when netd deleted
    /// it itself: that op removed the record while holding the lock).
    async fn forget_vanished(&self, ifindex: u32) {
        let mut reg = self.registry.lock().await;
        let Some(rec) = reg.iter().find(|l| l.ifindex == ifindex).cloned() else {
            return;
        };
        // RTM_DELLINK also announces other things (e.g. AF_BRIDGE "port left its bridge"):
        // only forget what the kernel really no longer has.
        match self.link_by_name(&rec.name).await {
            Ok(Some(l)) if l.index == rec.ifindex => return,
            Ok(_) => {}
            Err(e) => {
                tracing::warn!(IFNAME = %rec.name, "checking a DELLINK: {e}");
                return;
            }
        }
        reg.remove(&rec.name);
        let mut events = vec![Event::Removed {
            name: rec.name.clone(),
        }];
        if let Some(p) = &rec.peer
            && reg.remove(p).is_some()
        {
            events.push(Event::Removed { name: p.clone() });
        }
        if let Err(e) = reg.save() {
            tracing::error!("saving state after {} vanished: {e}", rec.name);
        }
        tracing::info!(IFNAME = %rec.name, ACTION = "vanished", "{} disappeared outside netd", rec.name);
        self.publish(&events);
    }

    /// Runs one operation.
    pub async fn run(&self, op: Op, caller: Caller) -> Result<Vec<Event>> {
        self.apply(vec![op], caller).await.map(|(_, ev)| ev)
    }

    /// Runs a batch in order under the lock. On failure, deletes the interfaces this batch
    /// created and returns the failing op's error. Returns (ops applied, events).
    pub async fn apply(&self, ops: Vec<Op>, caller: Caller) -> Result<(u32, Vec<Event>)> {
        let mut reg = self.registry.lock().await;
        let mut events = Vec::new();
        let mut created: Vec<String> = Vec::new();
        for (i, op) in ops.iter().enumerate() {
            if let Err(e) = self
                .run_locked(&mut reg, op, caller, &mut events, &mut created)
                .await
            {
                let undone = self.rollback(&mut reg, &created).await;
                tracing::warn!(ACTION = "apply", failed_op = i, undone = ?undone, "batch failed: {e}");
                reg.save()?;
                // What was created and rolled back is not announced; what was removed is.
                let removed: Vec<Event> = events
                    .into_iter()
                    .filter(|ev| matches!(ev, Event::Removed { name } if !created.contains(name)))
                    .collect();
                self.publish(&removed);
                return Err(e);
            }
        }
        self.publish(&events);
        Ok((ops.len() as u32, events))
    }

    /// Deletes several owned interfaces at once and returns the names deleted (peers that
    /// went along included). All names are checked first: one that exists but is not netd's
    /// refuses the whole call with nothing deleted; one that does not exist is skipped (it is
    /// gone already, e.g. a veth that went with its node's namespace).
    ///
    /// Why: every RTM_DELLINK waits for the kernel's synchronize_net (~30 ms), so deleting a
    /// lab's 360 interfaces one by one takes seconds. The kernel deletes a whole interface
    /// group in one `unregister_netdevice_many` (one wait for all): netd moves the targets
    /// into a fresh group of its own range ([`GROUP_BASE`]..), proves that exactly the targets
    /// carry it, and deletes the group; if anything else shows up in it, it restores the
    /// groups and deletes one by one instead.
    pub async fn delete_many(&self, names: &[IfName], caller: Caller) -> Result<Vec<String>> {
        let mut reg = self.registry.lock().await;
        let live = self.dump().await?;
        let mut targets: Vec<(OwnedLink, u32)> = Vec::new();
        for name in names {
            if targets.iter().any(|(r, _)| r.name == name.as_str()) {
                continue;
            }
            let Some(l) = live.iter().find(|l| l.name == name.as_str()) else {
                continue;
            };
            match reg.get(name.as_str()) {
                Some(r) if name.has_prefix() && is_owned_live(r, l) => {
                    targets.push((r.clone(), l.group));
                }
                _ => return Err(NetdError::NotOwned(name.to_string())),
            }
        }
        let gone = match targets.len() {
            0 => Vec::new(),
            1 => self.delete_one_by_one(&targets).await?,
            _ => match self.delete_as_group(&targets, &live).await {
                Ok(gone) => gone,
                Err(e) => {
                    tracing::warn!(ACTION = "delete-many", "group deletion not used: {e}");
                    self.delete_one_by_one(&targets).await?
                }
            },
        };
        let mut events = Vec::new();
        let mut deleted = Vec::new();
        for rec in targets
            .iter()
            .map(|(r, _)| r)
            .filter(|r| gone.contains(&r.ifindex))
        {
            for n in std::iter::once(&rec.name).chain(rec.peer.as_ref()) {
                // A host-side pair named twice is announced once.
                if reg.remove(n).is_some() && !deleted.contains(n) {
                    events.push(Event::Removed { name: n.clone() });
                    deleted.push(n.clone());
                }
            }
            tracing::info!(IFNAME = %rec.name, CALLER_UID = caller.uid, ACTION = "delete", "delete {}", rec.name);
        }
        reg.save()?;
        self.publish(&events);
        Ok(deleted)
    }

    /// Deletes the targets one RTM_DELLINK each; returns the ifindexes gone afterwards.
    async fn delete_one_by_one(&self, targets: &[(OwnedLink, u32)]) -> Result<Vec<u32>> {
        let mut gone = Vec::new();
        for (rec, _) in targets {
            match self.handle.link().del(rec.ifindex).execute().await {
                Ok(()) => gone.push(rec.ifindex),
                Err(e) if netlink_errno(&e) == Some(libc::ENODEV) => gone.push(rec.ifindex),
                // Fail only while nothing is deleted yet, so the registry always forgets
                // what is really gone.
                Err(e) if gone.is_empty() => return Err(e.into()),
                Err(e) => tracing::error!(IFNAME = %rec.name, "delete failed: {e}"),
            }
        }
        Ok(gone)
    }

    /// Moves the targets into a fresh private group and deletes the group in one RTM_DELLINK;
    /// returns the ifindexes gone. On any doubt the groups are restored and an error returned
    /// (the caller then deletes one by one).
    async fn delete_as_group(
        &self,
        targets: &[(OwnedLink, u32)],
        live: &[LiveLink],
    ) -> Result<Vec<u32>> {
        let group = (GROUP_BASE..GROUP_BASE + GROUP_SPAN)
            .find(|g| !live.iter().any(|l| l.group == *g))
            .ok_or_else(|| NetdError::Failed("no free interface group".into()))?;
        let mut marked: Vec<&(OwnedLink, u32)> = Vec::new();
        let mut vanished = Vec::new();
        for t in targets {
            match self.set_group(t.0.ifindex, group).await {
                Ok(()) => marked.push(t),
                Err(e) if matches!(&e, NetdError::NotFound(_)) => vanished.push(t.0.ifindex),
                Err(e) => {
                    self.restore_groups(&marked).await;
                    return Err(e);
                }
            }
        }
        // Exactly the targets (those still there) may carry the group now.
        let now = self.dump().await;
        let intruder = match &now {
            Ok(now) => now
                .iter()
                .find(|l| l.group == group && !marked.iter().any(|(r, _)| r.ifindex == l.index))
                .map(|l| l.name.clone()),
            Err(e) => Some(format!("(dump failed: {e})")),
        };
        if let Some(intruder) = intruder {
            self.restore_groups(&marked).await;
            return Err(NetdError::Failed(format!(
                "interface group {group} also holds {intruder}"
            )));
        }
        if !marked.is_empty() {
            let mut req = self.handle.link().del(0);
            req.message_mut()
                .attributes
                .push(LinkAttribute::Group(group));
            match req.execute().await {
                Ok(()) => {}
                // Everything in the group vanished meanwhile.
                Err(e) if netlink_errno(&e) == Some(libc::ENODEV) => {}
                Err(e) => {
                    self.restore_groups(&marked).await;
                    return Err(e.into());
                }
            }
        }
        vanished.extend(marked.iter().map(|(r, _)| r.ifindex));
        Ok(vanished)
    }

    async fn set_group(&self, ifindex: u32, group: u32) -> Result<()> {
        let mut msg = LinkUnspec::new_with_index(ifindex).build();
        msg.attributes.push(LinkAttribute::Group(group));
        match self.handle.link().set(msg).execute().await {
            Ok(()) => Ok(()),
            Err(e) if netlink_errno(&e) == Some(libc::ENODEV) => {
                Err(NetdError::NotFound(format!("ifindex {ifindex}")))
            }
            Err(e) => Err(e.into()),
        }
    }

    async fn restore_groups(&self, marked: &[&(OwnedLink, u32)]) {
        for (rec, old) in marked {
            if let Err(e) = self.set_group(rec.ifindex, *old).await {
                tracing::warn!(IFNAME = %rec.name, "restoring interface group: {e}");
            }
        }
    }

    async fn rollback(&self, reg: &mut Registry, created: &[String]) -> Vec<String> {
        let mut undone = Vec::new();
        for name in created.iter().rev() {
            if let Some(rec) = reg.remove(name) {
                if let Some(p) = &rec.peer {
                    reg.remove(p);
                }
                match self.handle.link().del(rec.ifindex).execute().await {
                    Ok(()) => undone.push(name.clone()),
                    Err(e) if netlink_errno(&e) == Some(libc::ENODEV) => {}
                    Err(e) => tracing::error!(IFNAME = %name, "rollback delete failed: {e}"),
                }
            }
        }
        undone
    }

    async fn run_locked(
        &self,
        reg: &mut Registry,
        op: &Op,
        caller: Caller,
        events: &mut Vec<Event>,
        created: &mut Vec<String>,
    ) -> Result<()> {
        match op {
            Op::CreateBridge(name) => {
                // No look-up first: the kernel's EEXIST is the AlreadyExists answer.
                self.handle
                    .link()
                    .add(LinkBridge::new(name.as_str()).build())
                    .execute()
                    .await?;
                self.adopt_new(reg, name, LinkKind::Bridge, None, created)
                    .await?;
                log_change(name, caller, "create-bridge");
                events.push(Event::Added {
                    name: name.to_string(),
                    kind: "bridge",
                });
            }
            Op::CreateTap { name, owner_uid } => {
                // IFF_TUN_EXCL makes the kernel refuse an existing name (EBUSY).
                tap::create_persistent_tap(name, *owner_uid)?;
                self.adopt_new(reg, name, LinkKind::Tap, None, created)
                    .await?;
                log_change(name, caller, "create-tap");
                events.push(Event::Added {
                    name: name.to_string(),
                    kind: "tap",
                });
            }
            Op::CreateVeth {
                name,
                peer,
                netns_pid,
                peer_up,
            } => {
                self.create_veth(reg, name, peer, *netns_pid, *peer_up, caller, created)
                    .await?;
                log_change(name, caller, "create-veth");
                events.push(Event::Added {
                    name: name.to_string(),
                    kind: "veth",
                });
                if netns_pid.is_none() {
                    events.push(Event::Added {
                        name: peer.to_string(),
                        kind: "veth",
                    });
                }
            }
            Op::Delete(name) => {
                let (rec, _) = self.owned(reg, name).await?;
                match self.handle.link().del(rec.ifindex).execute().await {
                    Ok(()) => {}
                    Err(e) if netlink_errno(&e) == Some(libc::ENODEV) => {}
                    Err(e) => return Err(e.into()),
                }
                reg.remove(&rec.name);
                created.retain(|c| c != &rec.name);
                events.push(Event::Removed {
                    name: rec.name.clone(),
                });
                if let Some(p) = &rec.peer {
                    reg.remove(p);
                    events.push(Event::Removed { name: p.clone() });
                }
                reg.save()?;
                log_change(name, caller, "delete");
            }
            Op::Attach { name, bridge } => {
                let (rec, _) = self.owned(reg, name).await?;
                let (br, _) = self.owned(reg, bridge).await?;
                if br.kind != LinkKind::Bridge {
                    return Err(NetdError::NotSupported(format!("{bridge} is not a bridge")));
                }
                if rec.kind == LinkKind::Bridge {
                    return Err(NetdError::NotSupported(format!(
                        "{name} is a bridge; bridges are not nested"
                    )));
                }
                self.set(LinkUnspec::new_with_index(rec.ifindex).controller(br.ifindex))
                    .await?;
                log_change(name, caller, "attach");
                events.push(Event::Changed {
                    name: name.to_string(),
                });
            }
            Op::Detach(name) => {
                let (rec, _) = self.owned(reg, name).await?;
                self.set(LinkUnspec::new_with_index(rec.ifindex).nocontroller())
                    .await?;
                log_change(name, caller, "detach");
                events.push(Event::Changed {
                    name: name.to_string(),
                });
            }
            Op::SetUp { name, up } => {
                let (rec, _) = self.owned(reg, name).await?;
                let b = LinkUnspec::new_with_index(rec.ifindex);
                self.set(if *up { b.up() } else { b.down() }).await?;
                log_change(name, caller, if *up { "up" } else { "down" });
                events.push(Event::Changed {
                    name: name.to_string(),
                });
            }
            Op::SetMtu { name, mtu } => {
                let (rec, _) = self.owned(reg, name).await?;
                self.set(LinkUnspec::new_with_index(rec.ifindex).mtu(mtu.get()))
                    .await?;
                log_change(name, caller, "set-mtu");
                events.push(Event::Changed {
                    name: name.to_string(),
                });
            }
            Op::SetMac { name, mac } => {
                let (rec, _) = self.owned(reg, name).await?;
                self.set(LinkUnspec::new_with_index(rec.ifindex).address(mac.0.to_vec()))
                    .await?;
                log_change(name, caller, "set-mac");
                events.push(Event::Changed {
                    name: name.to_string(),
                });
            }
            Op::SetNetem { name, netem } => {
                let (rec, live) = self.owned(reg, name).await?;
                impair::set(
                    &self.handle,
                    &self.netem_support,
                    rec.ifindex,
                    live.mtu,
                    netem,
                )
                .await?;
                log_change(name, caller, "set-netem");
                events.push(Event::Changed {
                    name: name.to_string(),
                });
            }
            Op::ClearNetem(name) => {
                let (rec, _) = self.owned(reg, name).await?;
                if impair::clear(&self.handle, rec.ifindex).await? {
                    log_change(name, caller, "clear-netem");
                    events.push(Event::Changed {
                        name: name.to_string(),
                    });
                }
            }
        }
        Ok(())
    }

    async fn set(&self, b: LinkMessageBuilder<LinkUnspec>) -> Result<()> {
        self.handle.link().set(b.build()).execute().await?;
        Ok(())
    }

    /// Marks a just-created interface and records it; deletes it again if that fails, so a
    /// failure never leaves an unowned prefixed interface behind.
    async fn adopt_new(
        &self,
        reg: &mut Registry,
        name: &IfName,
        kind: LinkKind,
        peer: Option<&IfName>,
        created: &mut Vec<String>,
    ) -> Result<u32> {
        let live = self
            .link_by_name(name.as_str())
            .await?
            .ok_or_else(|| NetdError::Failed(format!("{name} vanished right after creation")))?;
        if let Err(e) = self
            .set(LinkUnspec::new_with_index(live.index).alias(OWNED_ALIAS))
            .await
        {
            let _ = self.handle.link().del(live.index).execute().await;
            return Err(e);
        }
        reg.insert(OwnedLink {
            name: name.to_string(),
            ifindex: live.index,
            kind,
            peer: peer.map(|p| p.to_string()),
        });
        created.push(name.to_string());
        if let Err(e) = reg.save() {
            reg.remove(name.as_str());
            created.pop();
            let _ = self.handle.link().del(live.index).execute().await;
            return Err(e);
        }
        Ok(live.index)
    }

    #[allow(clippy::too_many_arguments)]
    async fn create_veth(
        &self,
        reg: &mut Registry,
        name: &IfName,
        peer: &IfName,
        netns_pid: Option<u32>,
        peer_up: bool,
        caller: Caller,
        created: &mut Vec<String>,
    ) -> Result<()> {
        match netns_pid {
            None => {
                self.handle
                    .link()
                    .add(LinkVeth::new(name.as_str(), peer.as_str()).build())
                    .execute()
                    .await?;
                self.adopt_new(reg, name, LinkKind::Veth, Some(peer), created)
                    .await?;
                if let Err(e) = self
                    .adopt_new(reg, peer, LinkKind::Veth, Some(name), created)
                    .await
                {
                    // Deleting the first end removes the pair.
                    self.rollback(reg, &[name.to_string()]).await;
                    return Err(e);
                }
            }
            Some(pid) => {
                let target = TargetNetns::open(pid, caller.uid)?;
                let mut peer_msg = LinkMessageBuilder::<LinkUnspec>::new()
                    .name(peer.to_string())
                    .build();
                peer_msg
                    .attributes
                    .push(LinkAttribute::NetNsFd(target.ns.as_raw_fd()));
                let msg = LinkVeth::new(name.as_str(), peer.as_str())
                    .set_info_data(InfoData::Veth(InfoVeth::Peer(peer_msg)))
                    .build();
                // The kernel creates the peer directly inside the target namespace under its
                // final name: nothing to rename, no window where it sits in the host.
                self.handle.link().add(msg).execute().await?;
                if !target.still_alive() {
                    let _ = self.delete_by_name(name).await;
                    return Err(NetdError::NotFound(format!("process {pid} exited")));
                }
                self.adopt_new(reg, name, LinkKind::Veth, None, created)
                    .await?;
                if peer_up && let Err(e) = set_up_in_netns(target.ns, peer.clone()).await {
                    self.rollback(reg, &[name.to_string()]).await;
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    async fn delete_by_name(&self, name: &IfName) -> Result<()> {
        if let Some(l) = self.link_by_name(name.as_str()).await? {
            self.handle.link().del(l.index).execute().await?;
        }
        Ok(())
    }

    /// Proves ownership of `name`; returns the record and live state. Forgets a record whose
    /// interface is gone.
    async fn owned(&self, reg: &Registry, name: &IfName) -> Result<(OwnedLink, LiveLink)> {
        let live = self.link_by_name(name.as_str()).await?;
        let rec = reg.get(name.as_str());
        match (live, rec) {
            (None, _) => Err(NetdError::NotFound(format!("interface {name}"))),
            (Some(l), Some(r)) if name.has_prefix() && is_owned_live(r, &l) => Ok((r.clone(), l)),
            (Some(_), _) => Err(NetdError::NotOwned(name.to_string())),
        }
    }

    /// Starts a capture on an owned interface.
    pub async fn capture(&self, name: &IfName, filter: &BpfProgram) -> Result<OwnedFd> {
        let reg = self.registry.lock().await;
        let (rec, _) = self.owned(&reg, name).await?;
        drop(reg);
        capture::start(rec.ifindex, name.to_string(), filter)
    }
}

impl Registry {
    fn iter_mut_peers(&mut self) -> impl Iterator<Item = &mut OwnedLink> {
        self.links_mut()
    }
}

fn is_owned_live(rec: &OwnedLink, l: &LiveLink) -> bool {
    l.index == rec.ifindex && l.name == rec.name && l.alias.as_deref() == Some(OWNED_ALIAS)
}

fn log_change(name: &IfName, caller: Caller, action: &str) {
    tracing::info!(IFNAME = %name, CALLER_UID = caller.uid, ACTION = action, "{action} {name}");
}

/// The network namespace of a caller-owned process, pinned by a pidfd.
struct TargetNetns {
    pidfd: OwnedFd,
    ns: File,
}

impl TargetNetns {
    fn open(pid: u32, caller_uid: u32) -> Result<Self> {
        let pidfd = procfs::pidfd_open(pid)?;
        procfs::check_owned_by(pid, caller_uid)?;
        let path = format!("/proc/{pid}/ns/net");
        let ns = File::open(&path).map_err(|_| NetdError::NotFound(format!("process {pid}")))?;
        // If the PID was reused between pidfd_open and here, the pidfd reports the exit.
        if !procfs::pidfd_alive(&pidfd) {
            return Err(NetdError::NotFound(format!("process {pid} exited")));
        }
        if procfs::ns_id(&path)? == procfs::ns_id("/proc/thread-self/ns/net")? {
            return Err(NetdError::invalid(format!(
                "process {pid} is in netd's own network namespace; netns_pid must name a node"
            )));
        }
        Ok(Self { pidfd, ns })
    }

    fn still_alive(&self) -> bool {
        procfs::pidfd_alive(&self.pidfd)
    }
}

/// Brings `name` up inside the namespace `ns`: a dedicated thread enters it (setns affects
/// only that thread) and talks netlink there; the thread then ends.
async fn set_up_in_netns(ns: File, name: IfName) -> Result<()> {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::Builder::new()
        .name("netns-up".into())
        .spawn(move || {
            let _ = tx.send(set_up_in_netns_blocking(&ns, &name));
        })
        .map_err(|e| NetdError::Failed(format!("spawn netns thread: {e}")))?;
    rx.await
        .map_err(|_| NetdError::Failed("netns thread died".into()))?
}

fn set_up_in_netns_blocking(ns: &File, name: &IfName) -> Result<()> {
    // SAFETY: setns on a namespace fd we hold; affects only this thread.
    if unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) } < 0 {
        return Err(NetdError::Failed(format!(
            "setns: {}",
            std::io::Error::last_os_error()
        )));
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_io()
        .build()
        .map_err(|e| NetdError::Failed(format!("runtime: {e}")))?;
    rt.block_on(async {
        let handle = netlink_handle()?;
        let mut s = handle.link().get().match_name(name.to_string()).execute();
        let link = s
            .try_next()
            .await?
            .ok_or_else(|| NetdError::NotFound(format!("{name} in target namespace")))?;
        handle
            .link()
            .set(LinkUnspec::new_with_index(link.header.index).up().build())
            .execute()
            .await?;
        Ok(())
    })
}
