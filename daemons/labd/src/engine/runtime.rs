//! Node runtime: start, stop, wipe, the wiring of interfaces, and the runtime view.

use std::collections::BTreeMap;

use nova_api::{InterfaceStatus, LabEvent, NodeRuntime, NodeState};
use nova_lab_model::{Lab, Link, LinkMetrics, NetworkId, NetworkType, Node, NodeId, NodeKind};

use super::{LabEngine, LabHandle, NodeRt};
use crate::error::{EngineError, Result};
use crate::host::{HostError, LaunchRequest, Netem, Plug, ScopeProps};

/// What the Node object shows: the node's name and kind beside its runtime.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeView {
    /// Display name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// The runtime view (the `node_state` event).
    pub runtime: NodeRuntime,
}

/// Name of interface `index` inside a linux node.
pub(crate) fn inner_ifname(index: u32) -> String {
    format!("eth{index}")
}

fn netem_of(m: Option<&LinkMetrics>) -> Netem {
    let Some(m) = m else { return Netem::default() };
    Netem {
        delay_us: m.delay_ms.saturating_mul(1000),
        jitter_us: m.jitter_ms.saturating_mul(1000),
        loss_percent: m.loss_pct,
        rate_bytes_per_sec: m.bandwidth_kbps.saturating_mul(1000) / 8,
    }
}

/// The network a node interface is linked to, and the link.
fn attachment(lab: &Lab, node: NodeId, index: u32) -> Option<(NetworkId, &Link)> {
    let l = lab.link_on_interface(node, index)?;
    let net = l.from.as_network().or(l.to.as_network())?;
    Some((net, l))
}

fn map_host(e: HostError) -> EngineError {
    match e {
        HostError::NotSupported(m) => EngineError::NotSupported(m),
        other => EngineError::Failed(other.to_string()),
    }
}

impl LabEngine {
    /// The runtime view of a node.
    pub fn node_view(&self, lab_id: &str, node_id: NodeId) -> Result<NodeView> {
        let h = self.handle(lab_id)?;
        let lab = h.lab();
        let node = lab
            .node(node_id)
            .ok_or_else(|| EngineError::not_found(format!("no node {node_id}")))?;
        let rt =
            h.rt.lock()
                .expect("rt")
                .get(&node_id)
                .cloned()
                .unwrap_or_default();
        let interfaces = (0..node.ethernet)
            .map(|i| {
                let stored = node.interface(i);
                let planned_mac = stored
                    .and_then(|s| s.planned_mac.clone())
                    .unwrap_or_default();
                InterfaceStatus {
                    index: i,
                    name: stored
                        .map(|s| s.name.clone())
                        .filter(|n| !n.is_empty())
                        .unwrap_or_else(|| inner_ifname(i)),
                    planned_mac,
                    live_mac: rt.live_macs.get(&i).cloned().unwrap_or_default(),
                    network_id: attachment(&lab, node_id, i).map_or(0, |(n, _)| n),
                    host_ifname: rt.plugged.get(&i).map(|p| p.0.clone()).unwrap_or_default(),
                }
            })
            .collect();
        let console = if rt.state.is_active() && node.kind == NodeKind::Linux {
            super::CONSOLE_PTY.to_string()
        } else {
            String::new()
        };
        Ok(NodeView {
            name: node.name.clone(),
            kind: node.kind.to_string(),
            runtime: NodeRuntime {
                node_id,
                state: rt.state,
                unit: rt.unit.clone(),
                pid: rt.pid,
                console,
                interfaces,
                problems: rt.problems,
            },
        })
    }

    pub(crate) fn set_rt(&self, h: &LabHandle, node: NodeId, rt: NodeRt) {
        h.rt.lock().expect("rt").insert(node, rt);
        self.emit_node_state(h, node);
    }

    pub(crate) fn emit_node_state(&self, h: &LabHandle, node: NodeId) {
        if let Ok(v) = self.node_view(&h.id, node) {
            self.emit(h, LabEvent::NodeState(v.runtime));
        }
    }

    /// Starts a node. Kinds other than `linux`: NotSupported. Running already: nothing to do.
    pub async fn start_node(&self, lab_id: &str, node_id: NodeId) -> Result<()> {
        let h = self.handle(lab_id)?;
        let node = h
            .lab()
            .node(node_id)
            .cloned()
            .ok_or_else(|| EngineError::not_found(format!("no node {node_id}")))?;
        if node.kind != NodeKind::Linux {
            return Err(EngineError::NotSupported(format!(
                "starting {} nodes is not supported in this version (only linux)",
                node.kind
            )));
        }
        let lock = h.node_lock(node_id);
        let _life = lock.write().await;
        if self.node_state(&h, node_id).is_active() {
            return Ok(());
        }
        self.set_rt(
            &h,
            node_id,
            NodeRt {
                state: NodeState::Starting,
                ..Default::default()
            },
        );
        match self.start_locked(&h, node_id).await {
            Ok(rt) => {
                tracing::info!(LAB_ID = %lab_id, NODE_ID = node_id, UNIT = %rt.unit, "node started");
                self.set_rt(&h, node_id, rt);
                self.refresh_live_macs(&h, node_id).await;
                Ok(())
            }
            Err(e) => {
                tracing::warn!(LAB_ID = %lab_id, NODE_ID = node_id, "node start failed: {e}");
                self.set_rt(
                    &h,
                    node_id,
                    NodeRt {
                        state: NodeState::Failed,
                        problems: vec![e.to_string()],
                        ..Default::default()
                    },
                );
                self.gc_bridges(&h, false).await;
                Err(e)
            }
        }
    }

    /// The start itself, with the life lock held: spawn paused → scope → wire → release.
    async fn start_locked(&self, h: &LabHandle, node_id: NodeId) -> Result<NodeRt> {
        let lab = h.lab();
        let node = lab
            .node(node_id)
            .ok_or_else(|| EngineError::not_found(format!("no node {node_id}")))?;
        let (plugs, plugged, problems) = self.plan_plugs(h, &lab, node)?;
        for p in &plugs {
            self.ensure_bridge(h, &p.bridge).await?;
        }
        let wired: Vec<u32> = plugged.keys().copied().collect();
        let work_dir = self.work_dir(h, node_id);
        let spec = crate::linux::linux_spec(&h.key, node, &self.templates, &work_dir, &wired)?;
        let req = LaunchRequest { spec };
        let t0 = std::time::Instant::now();
        let pending = self.host.launch(req).await.map_err(map_host)?;
        let pid = pending.pid();
        let t_launch = t0.elapsed();
        let props = scope_props(&h.id, node);
        let unit = self
            .host
            .start_scope(&h.key.unit, &node_id.to_string(), pid, props)
            .await
            .map_err(map_host)?;
        let t_scope = t0.elapsed();
        let wired = async {
            if !plugs.is_empty() {
                self.host.plug(pid, &plugs).await?;
            }
            // release() blocks until the node has exec'd: keep it off the async workers.
            tokio::task::spawn_blocking(move || pending.release())
                .await
                .map_err(|e| HostError::Failed(format!("release: {e}")))?
        };
        if let Err(e) = wired.await {
            let _ = self.host.stop_unit(&unit).await;
            return Err(map_host(e));
        }
        tracing::debug!(LAB_ID = %h.id, NODE_ID = node_id, "start: launch {t_launch:?}, scope {t_scope:?}, wired+released {:?}", t0.elapsed());
        let mut problems = problems;
        for p in plugs.iter().filter(|p| !p.netem.is_none()) {
            if let Some(problem) = self.apply_stored_netem(&p.host_if, p.netem).await {
                problems.push(format!("{}: {problem}", p.peer));
            }
        }
        let state = if problems.is_empty() {
            NodeState::Running
        } else {
            NodeState::Degraded
        };
        Ok(NodeRt {
            state,
            unit,
            pid,
            plugged,
            problems,
            live_macs: Default::default(),
        })
    }

    /// The veths a node gets: one per linked interface on a linux bridge network.
    #[allow(clippy::type_complexity)]
    pub(crate) fn plan_plugs(
        &self,
        h: &LabHandle,
        lab: &Lab,
        node: &Node,
    ) -> Result<(Vec<Plug>, BTreeMap<u32, (String, NetworkId)>, Vec<String>)> {
        let (mut plugs, mut plugged, mut problems) = (Vec::new(), BTreeMap::new(), Vec::new());
        for index in 0..node.ethernet {
            let Some((net, link)) = attachment(lab, node.id, index) else {
                continue;
            };
            match self.plug_for(h, lab, node.id, index, net, link) {
                Ok(p) => {
                    plugged.insert(index, (p.host_if.clone(), net));
                    plugs.push(p);
                }
                Err(e) => problems.push(e.to_string()),
            }
        }
        Ok((plugs, plugged, problems))
    }

    fn plug_for(
        &self,
        h: &LabHandle,
        lab: &Lab,
        node: NodeId,
        index: u32,
        net: NetworkId,
        link: &Link,
    ) -> Result<Plug> {
        let network = lab
            .network(net)
            .ok_or_else(|| EngineError::not_found(format!("no network {net}")))?;
        if network.kind != NetworkType::LinuxBridge {
            return Err(EngineError::NotSupported(format!(
                "interface {index}: network type {} is not supported in this version",
                network.kind
            )));
        }
        let host_if = h.key.veth_name(node, index).ok_or_else(|| {
            EngineError::NotSupported("node id or interface index too large to run".into())
        })?;
        let bridge = h
            .key
            .bridge_name(net)
            .ok_or_else(|| EngineError::NotSupported("network id too large to run".into()))?;
        Ok(Plug {
            host_if,
            peer: inner_ifname(index),
            bridge,
            netem: netem_of(link.metrics.as_ref()),
        })
    }

    pub(crate) async fn ensure_bridge(&self, h: &LabHandle, bridge: &str) -> Result<()> {
        if h.bridges.lock().expect("bridges").contains(bridge) {
            return Ok(());
        }
        match self.host.create_bridge(bridge).await {
            Ok(()) | Err(HostError::AlreadyExists(_)) => {
                h.bridges
                    .lock()
                    .expect("bridges")
                    .insert(bridge.to_string());
                Ok(())
            }
            Err(e) => Err(map_host(e)),
        }
    }

    /// Stops a node (its unit, and with it every process it left). Stopped already: nothing.
    pub async fn stop_node(&self, lab_id: &str, node_id: NodeId) -> Result<()> {
        self.stop_node_inner(lab_id, node_id, true).await
    }

    /// Stops a node; `gc` also deletes the bridges nothing uses any more.
    async fn stop_node_inner(&self, lab_id: &str, node_id: NodeId, gc: bool) -> Result<()> {
        let h = self.handle(lab_id)?;
        let lock = h.node_lock(node_id);
        let _life = lock.write().await;
        let Some(rt) = self.stop_unit_locked(&h, node_id).await? else {
            return Ok(());
        };
        let mut names: Vec<String> = rt.plugged.values().map(|(n, _)| n.clone()).collect();
        if gc {
            names.extend(self.unused_bridges(&h, false, &[node_id]));
        }
        self.delete_host_ifs(&h, names).await;
        self.finish_stop(&h, node_id, &rt.unit);
        Ok(())
    }

    /// With the node's life lock held: marks it stopping and stops its unit (and with it every
    /// process the node left). Returns the runtime it had, None when it was not running.
    /// Its interfaces are the caller's to delete, then [`Self::finish_stop`].
    async fn stop_unit_locked(&self, h: &LabHandle, node_id: NodeId) -> Result<Option<NodeRt>> {
        let rt =
            h.rt.lock()
                .expect("rt")
                .get(&node_id)
                .cloned()
                .unwrap_or_default();
        if !rt.state.is_active() {
            if rt.state == NodeState::Failed {
                self.set_rt(h, node_id, NodeRt::default());
            }
            return Ok(None);
        }
        self.set_rt(
            h,
            node_id,
            NodeRt {
                state: NodeState::Stopping,
                ..rt.clone()
            },
        );
        let t0 = std::time::Instant::now();
        match self.host.stop_unit(&rt.unit).await {
            Ok(()) | Err(HostError::NotFound(_)) => {}
            Err(e) => {
                self.set_rt(h, node_id, rt);
                return Err(map_host(e));
            }
        }
        tracing::debug!(LAB_ID = %h.id, NODE_ID = node_id, "stop: unit {:?}", t0.elapsed());
        Ok(Some(rt))
    }

    fn finish_stop(&self, h: &LabHandle, node_id: NodeId, unit: &str) {
        tracing::info!(LAB_ID = %h.id, NODE_ID = node_id, UNIT = %unit, "node stopped");
        self.set_rt(h, node_id, NodeRt::default());
    }

    /// Deletes host interfaces of a lab (veth host ends, bridges) in one netd call, which the
    /// kernel does in one go (each single deletion waits ~30 ms for it); one by one when the
    /// batch is refused. Names already gone are fine: the kernel removes a veth by itself when
    /// its node's namespace goes, but asynchronously, so a stopped node's are deleted here to
    /// leave nothing behind. Deleted bridges are forgotten.
    async fn delete_host_ifs(&self, h: &LabHandle, names: Vec<String>) {
        if names.is_empty() {
            return;
        }
        let t0 = std::time::Instant::now();
        let mut failed = Vec::new();
        if let Err(e) = self.host.delete_interfaces(&names).await {
            tracing::debug!(LAB_ID = %h.id, "batch delete refused ({e}); one by one");
            for name in &names {
                match self.host.delete_interface(name).await {
                    Ok(()) | Err(HostError::NotFound(_)) => {}
                    Err(e) => {
                        tracing::warn!(LAB_ID = %h.id, IFNAME = %name, "not deleted: {e}");
                        failed.push(name.clone());
                    }
                }
            }
        }
        tracing::debug!(LAB_ID = %h.id, "deleted {} interfaces in {:?}", names.len(), t0.elapsed());
        let mut bridges = h.bridges.lock().expect("bridges");
        for name in names.iter().filter(|n| !failed.contains(n)) {
            bridges.remove(name);
        }
    }

    /// Deletes a stopped node's runtime files.
    pub async fn wipe_node(&self, lab_id: &str, node_id: NodeId) -> Result<()> {
        let h = self.handle(lab_id)?;
        let lock = h.node_lock(node_id);
        let _life = lock.write().await;
        if self.node_state(&h, node_id).is_active() {
            return Err(EngineError::conflict(format!(
                "node {node_id} is running; stop it first"
            )));
        }
        let lab = h.lab();
        let node = lab
            .node(node_id)
            .ok_or_else(|| EngineError::not_found(format!("no node {node_id}")))?;
        self.host.wipe(&lab, node).await.map_err(map_host)?;
        self.emit(&h, LabEvent::NodeWiped { node_id });
        Ok(())
    }

    /// Starts every stopped node, [`PARALLEL_STARTS`] at a time; returns the failures
    /// (NotSupported kinds included).
    pub async fn start_all(&self, lab_id: &str) -> Result<Vec<(NodeId, String)>> {
        let ids = self.node_ids(lab_id)?;
        let results = bounded(
            ids.clone()
                .into_iter()
                .map(|id| self.start_node(lab_id, id)),
        )
        .await;
        Ok(failures(&ids, results))
    }

    /// Stops every running node; tries all, returns the failures. The units stop in parallel;
    /// then every stopped node's veths and the bridges nothing uses any more go in one netd
    /// call (one kernel batch instead of hundreds of single deletions).
    pub async fn stop_all(&self, lab_id: &str) -> Result<Vec<(NodeId, String)>> {
        let ids = self.node_ids(lab_id)?;
        let h = self.handle(lab_id)?;
        // Every node's life lock, in id order (every other path holds at most one at a time),
        // so no node restarts on veth names that are about to be deleted.
        let mut guards = Vec::with_capacity(ids.len());
        for id in &ids {
            guards.push(h.node_lock(*id).write_owned().await);
        }
        let t0 = std::time::Instant::now();
        let hr: &LabHandle = &h;
        let results = bounded_values(
            ids.clone()
                .into_iter()
                .map(move |id| self.stop_unit_locked(hr, id)),
        )
        .await;
        let t_units = t0.elapsed();
        let stopped: Vec<(NodeId, NodeRt)> = ids
            .iter()
            .zip(&results)
            .filter_map(|(id, r)| Some((*id, r.as_ref().ok()?.as_ref()?.clone())))
            .collect();
        let stopped_ids: Vec<NodeId> = stopped.iter().map(|(id, _)| *id).collect();
        let mut names: Vec<String> = stopped
            .iter()
            .flat_map(|(_, rt)| rt.plugged.values().map(|(n, _)| n.clone()))
            .collect();
        names.extend(self.unused_bridges(&h, false, &stopped_ids));
        self.delete_host_ifs(&h, names).await;
        for (id, rt) in &stopped {
            self.finish_stop(&h, *id, &rt.unit);
        }
        drop(guards);
        tracing::debug!(LAB_ID = %lab_id, "stop all: units {t_units:?}, total {:?}", t0.elapsed());
        let results = results.into_iter().map(|r| r.map(drop)).collect();
        Ok(failures(&ids, results))
    }

    /// Wires one interface of a running node after a link was added (idempotent).
    pub(crate) async fn hot_plug(&self, h: &LabHandle, node: NodeId, index: u32) {
        let lock = h.node_lock(node);
        let _life = lock.read().await;
        let ilock = h.iface_lock(node, index);
        let _if = ilock.lock().await;
        let rt =
            h.rt.lock()
                .expect("rt")
                .get(&node)
                .cloned()
                .unwrap_or_default();
        if !matches!(rt.state, NodeState::Running | NodeState::Degraded)
            || rt.plugged.contains_key(&index)
        {
            return;
        }
        let lab = h.lab();
        let Some((net, link)) = attachment(&lab, node, index) else {
            return;
        };
        let result = async {
            let plug = self.plug_for(h, &lab, node, index, net, link)?;
            self.ensure_bridge(h, &plug.bridge).await?;
            self.host
                .plug(rt.pid, std::slice::from_ref(&plug))
                .await
                .map_err(map_host)?;
            Ok::<_, EngineError>(plug)
        };
        match result.await {
            Ok(plug) => {
                if let Some(r) = h.rt.lock().expect("rt").get_mut(&node) {
                    r.plugged.insert(index, (plug.host_if.clone(), net));
                }
                let addrs = lab
                    .node(node)
                    .map(|n| crate::linux::addresses_of(n, index))
                    .unwrap_or_default();
                if !addrs.is_empty()
                    && let Err(e) = self
                        .host
                        .configure_addresses(rt.pid, &plug.peer, addrs)
                        .await
                {
                    self.degrade(
                        h,
                        node,
                        format!("interface {index}: addresses not set: {e}"),
                    );
                }
                if !plug.netem.is_none()
                    && let Some(problem) = self.apply_stored_netem(&plug.host_if, plug.netem).await
                {
                    self.degrade(h, node, format!("interface {index}: {problem}"));
                }
                self.refresh_live_macs(h, node).await;
            }
            Err(e) => self.degrade(h, node, format!("interface {index}: {e}")),
        }
        self.emit_node_state(h, node);
    }

    /// Reads the MACs inside a running node (best effort: a failure only leaves them empty).
    pub(crate) async fn refresh_live_macs(&self, h: &LabHandle, node: NodeId) {
        let pid =
            h.rt.lock()
                .expect("rt")
                .get(&node)
                .filter(|r| r.state.is_active())
                .map(|r| r.pid);
        let Some(pid) = pid.filter(|p| *p != 0) else {
            return;
        };
        match self.host.live_macs(pid).await {
            Ok(macs) => {
                let by_index: BTreeMap<u32, String> = macs
                    .into_iter()
                    .filter_map(|(name, mac)| Some((name.strip_prefix("eth")?.parse().ok()?, mac)))
                    .collect();
                if let Some(r) = h.rt.lock().expect("rt").get_mut(&node) {
                    r.live_macs = by_index;
                }
                self.emit_node_state(h, node);
            }
            Err(e) => tracing::debug!(LAB_ID = %h.id, NODE_ID = node, "live MACs not read: {e}"),
        }
    }

    fn degrade(&self, h: &LabHandle, node: NodeId, why: String) {
        tracing::warn!(LAB_ID = %h.id, NODE_ID = node, "{why}");
        if let Some(r) = h.rt.lock().expect("rt").get_mut(&node) {
            r.state = NodeState::Degraded;
            r.problems.push(why.clone());
        }
        self.emit(
            h,
            LabEvent::NodeWarning {
                node_id: node,
                message: why,
            },
        );
    }

    /// Unwires the running ends of removed links.
    pub(crate) async fn unwire_removed(&self, h: &LabHandle, links: &[Link]) {
        for l in links {
            for (node, index) in l.endpoints().iter().filter_map(|e| e.as_node()) {
                self.hot_unplug(h, node, index).await;
            }
        }
    }

    async fn hot_unplug(&self, h: &LabHandle, node: NodeId, index: u32) {
        let lock = h.node_lock(node);
        let _life = lock.read().await;
        let ilock = h.iface_lock(node, index);
        let _if = ilock.lock().await;
        let plugged =
            h.rt.lock()
                .expect("rt")
                .get(&node)
                .and_then(|r| r.plugged.get(&index).cloned());
        let Some((host_if, _)) = plugged else { return };
        match self.host.delete_interface(&host_if).await {
            Ok(()) | Err(HostError::NotFound(_)) => {
                if let Some(r) = h.rt.lock().expect("rt").get_mut(&node) {
                    r.plugged.remove(&index);
                }
            }
            Err(e) => self.degrade(h, node, format!("interface {index}: could not detach: {e}")),
        }
        self.emit_node_state(h, node);
    }

    /// Applies a stored link's impairments when its interface is wired (start, hot attach);
    /// `Some(problem)` when not all of them took. netd refuses delay/jitter on a kernel without
    /// sch_netem (NotSupported, nothing changed) but does rate (tbf) and loss (cls_bpf) there,
    /// so those are applied on their own then: the lab may come from a host with netem, and a
    /// link that keeps its loss and rate is closer to it than an unimpaired one.
    async fn apply_stored_netem(&self, host_if: &str, netem: Netem) -> Option<String> {
        let refused = match self.host.set_netem(host_if, netem).await {
            Ok(()) => return None,
            Err(HostError::NotSupported(m)) if netem.delay_us != 0 || netem.jitter_us != 0 => m,
            Err(e) => return Some(format!("link metrics not applied: {e}")),
        };
        let rest = Netem {
            delay_us: 0,
            jitter_us: 0,
            ..netem
        };
        if rest.is_none() {
            return Some(format!("link delay/jitter not applied: {refused}"));
        }
        Some(match self.host.set_netem(host_if, rest).await {
            Ok(()) => format!("link delay/jitter not applied (loss and rate are): {refused}"),
            Err(e) => format!("link metrics not applied: {refused}; without delay/jitter: {e}"),
        })
    }

    /// Applies impairments to the host end of a running interface.
    pub(crate) async fn apply_netem(
        &self,
        h: &LabHandle,
        node: NodeId,
        index: u32,
        m: &LinkMetrics,
    ) -> Result<()> {
        let plugged =
            h.rt.lock()
                .expect("rt")
                .get(&node)
                .and_then(|r| r.plugged.get(&index).cloned());
        let Some((host_if, _)) = plugged else {
            return Ok(());
        };
        self.host
            .set_netem(&host_if, netem_of(Some(m)))
            .await
            .map_err(map_host)
    }

    /// Deletes bridges no running interface uses any more (all of the lab's with `all`).
    pub(crate) async fn gc_bridges(&self, h: &LabHandle, all: bool) {
        let unused = self.unused_bridges(h, all, &[]);
        self.delete_host_ifs(h, unused).await;
    }

    /// The lab's known bridges no active node uses (counting the nodes in `ignoring` as
    /// stopped already); all of them with `all`.
    fn unused_bridges(&self, h: &LabHandle, all: bool, ignoring: &[NodeId]) -> Vec<String> {
        let in_use: std::collections::BTreeSet<String> = if all {
            Default::default()
        } else {
            let rt = h.rt.lock().expect("rt");
            rt.iter()
                .filter(|(id, r)| r.state.is_active() && !ignoring.contains(id))
                .flat_map(|(_, r)| {
                    r.plugged
                        .values()
                        .filter_map(|(_, net)| h.key.bridge_name(*net))
                })
                .collect()
        };
        h.bridges
            .lock()
            .expect("bridges")
            .iter()
            .filter(|b| !in_use.contains(*b))
            .cloned()
            .collect()
    }

    /// systemd says a node unit changed; a unit that is gone or inactive means the node stopped
    /// (it died, or an administrator ran `systemctl stop`).
    pub async fn unit_changed(&self, unit: &str, active_state: &str) {
        if !matches!(active_state, "inactive" | "failed" | "") {
            return;
        }
        let Some((h, node)) = self.find_unit(unit) else {
            return;
        };
        // A late signal about a previous instance must not stop a fresh one: ask systemd.
        if let Ok(now) = self.host.unit_state(unit).await
            && matches!(now.as_str(), "active" | "activating" | "reloading")
        {
            return;
        }
        let lock = h.node_lock(node);
        let _life = lock.write().await;
        let still =
            h.rt.lock()
                .expect("rt")
                .get(&node)
                .is_some_and(|r| r.unit == unit && r.state.is_active());
        if still {
            tracing::info!(LAB_ID = %h.id, NODE_ID = node, UNIT = %unit, "node unit went away; node stopped");
            let plugged =
                h.rt.lock()
                    .expect("rt")
                    .get(&node)
                    .map(|r| r.plugged.clone())
                    .unwrap_or_default();
            let mut names: Vec<String> = plugged.values().map(|(n, _)| n.clone()).collect();
            names.extend(self.unused_bridges(&h, false, &[node]));
            self.delete_host_ifs(&h, names).await;
            self.set_rt(&h, node, NodeRt::default());
        }
    }

    pub(crate) fn find_unit(&self, unit: &str) -> Option<(std::sync::Arc<LabHandle>, NodeId)> {
        let (lab_key, node) = crate::naming::parse_unit_name(unit)?;
        let h = self.handles().into_iter().find(|h| h.key.unit == lab_key)?;
        Some((h, node))
    }
}

/// How many node starts or stops run at once: enough to overlap the D-Bus round trips, few
/// enough not to flood netd and systemd.
pub const PARALLEL_STARTS: usize = 16;

/// Runs the futures, at most [`PARALLEL_STARTS`] at a time, keeping their order.
async fn bounded<F: std::future::Future<Output = Result<()>>>(
    futs: impl Iterator<Item = F>,
) -> Vec<Result<()>> {
    bounded_values(futs).await
}

/// [`bounded`] for futures with a value.
async fn bounded_values<T, F: std::future::Future<Output = Result<T>>>(
    futs: impl Iterator<Item = F>,
) -> Vec<Result<T>> {
    use futures_util::StreamExt;
    futures_util::stream::iter(futs)
        .buffered(PARALLEL_STARTS)
        .collect()
        .await
}

fn failures(ids: &[NodeId], results: Vec<Result<()>>) -> Vec<(NodeId, String)> {
    ids.iter()
        .zip(results)
        .filter_map(|(id, r)| r.err().map(|e| (*id, e.to_string())))
        .collect()
}

/// Scope properties: description, memory from the node's RAM, CPU quota when cpulimit is set.
fn scope_props(lab_id: &str, node: &Node) -> ScopeProps {
    let cpulimit = node.cpulimit.as_ref().is_some_and(|v| {
        v.as_bool()
            .unwrap_or_else(|| v.as_u64().is_some_and(|n| n > 0))
    });
    ScopeProps {
        description: format!(
            "nova-ve node {} ({}) of lab {lab_id}",
            node.id,
            node.name
                .chars()
                .filter(|c| !c.is_control())
                .collect::<String>()
        ),
        memory_max: u64::from(node.ram) * 1024 * 1024,
        cpu_quota_per_sec_usec: if cpulimit {
            u64::from(node.cpu.max(1)) * 1_000_000
        } else {
            0
        },
    }
}
