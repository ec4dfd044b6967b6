//! Start-up reconciliation: re-derive the runtime view from the lab files, the `nova-node-*`
//! units systemd has and the interfaces netd owns — never from a file of PIDs. Runs before labd
//! takes its bus name and signals READY.

use std::collections::BTreeSet;

use nova_lab_model::NodeKind;

use super::{LabEngine, LabHandle, NodeRt, NodeState};
use crate::host::{HostError, HostInterface};
use crate::naming::IF_PREFIX;

/// What reconciliation found and did.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct ReconcileReport {
    /// Running node units adopted (`unit`).
    pub adopted: Vec<String>,
    /// Units of deleted labs or nodes, stopped.
    pub orphan_units_stopped: Vec<String>,
    /// Interfaces re-created for adopted nodes.
    pub replugged: Vec<String>,
    /// Interfaces without a running owner, deleted.
    pub orphan_interfaces_deleted: Vec<String>,
    /// Nodes left degraded (`lab/node: why`).
    pub degraded: Vec<String>,
    /// Steps that failed.
    pub errors: Vec<String>,
}

/// True for names of labd's shape: `nv` + 6 hex + `v`/`n` + …
fn labd_shaped(name: &str) -> bool {
    let b = name.as_bytes();
    name.starts_with(IF_PREFIX)
        && b.len() > 9
        && b[2..8].iter().all(u8::is_ascii_hexdigit)
        && matches!(b[8], b'v' | b'n')
}

impl LabEngine {
    /// Re-derives the runtime view; fixes what it can and reports the rest.
    pub async fn reconcile(&self) -> ReconcileReport {
        let mut rep = ReconcileReport::default();
        let units = match self.host.list_units().await {
            Ok(u) => u,
            Err(e) => {
                rep.errors.push(format!("listing node units: {e}"));
                Vec::new()
            }
        };
        for u in units {
            self.adopt_or_stop(&u.unit, &u.active_state, u.pid, &mut rep)
                .await;
        }
        let ifaces = match self.host.list_interfaces().await {
            Ok(i) => i,
            Err(e) => {
                rep.errors.push(format!("listing netd's interfaces: {e}"));
                return rep;
            }
        };
        for h in self.handles() {
            self.reconcile_lab(&h, &ifaces, &mut rep).await;
        }
        self.delete_orphan_interfaces(&ifaces, &mut rep).await;
        rep
    }

    async fn adopt_or_stop(&self, unit: &str, active: &str, pid: u32, rep: &mut ReconcileReport) {
        if !matches!(active, "active" | "activating" | "reloading") {
            return;
        }
        let adoptable = self.find_unit(unit).filter(|(h, node)| {
            h.lab()
                .node(*node)
                .is_some_and(|n| n.kind == NodeKind::Linux)
                && pid != 0
        });
        match adoptable {
            Some((h, node)) => {
                h.rt.lock().expect("rt").insert(
                    node,
                    NodeRt {
                        state: NodeState::Running,
                        unit: unit.to_string(),
                        pid,
                        ..Default::default()
                    },
                );
                rep.adopted.push(unit.to_string());
            }
            None => match self.host.stop_unit(unit).await {
                Ok(()) | Err(HostError::NotFound(_)) => {
                    rep.orphan_units_stopped.push(unit.to_string())
                }
                Err(e) => rep.errors.push(format!("stopping orphan {unit}: {e}")),
            },
        }
    }

    async fn reconcile_lab(
        &self,
        h: &LabHandle,
        ifaces: &[HostInterface],
        rep: &mut ReconcileReport,
    ) {
        let existing: BTreeSet<&str> = ifaces.iter().map(|i| i.name.as_str()).collect();
        for i in ifaces
            .iter()
            .filter(|i| i.kind == "bridge" && h.key.owns_ifname(&i.name))
        {
            h.bridges.lock().expect("bridges").insert(i.name.clone());
        }
        let lab = h.lab();
        let running: Vec<(u32, u32)> =
            h.rt.lock()
                .expect("rt")
                .iter()
                .map(|(id, r)| (*id, r.pid))
                .collect();
        for (node_id, pid) in running {
            let Some(node) = lab.node(node_id) else {
                continue;
            };
            let Ok((plugs, plugged, mut problems)) = self.plan_plugs(h, &lab, node) else {
                continue;
            };
            for p in &plugs {
                let attached = ifaces
                    .iter()
                    .any(|i| i.name == p.host_if && i.master == p.bridge);
                if attached && existing.contains(p.bridge.as_str()) {
                    continue;
                }
                if existing.contains(p.host_if.as_str()) {
                    let _ = self.host.delete_interface(&p.host_if).await;
                }
                let fixed = async {
                    self.ensure_bridge(h, &p.bridge).await?;
                    self.host
                        .plug(pid, std::slice::from_ref(p))
                        .await
                        .map_err(crate::error::EngineError::failed)?;
                    // A fresh interface has no addresses: set the node's own again.
                    let index = p.peer.trim_start_matches("eth").parse().unwrap_or(u32::MAX);
                    let addrs = crate::linux::addresses_of(node, index);
                    if !addrs.is_empty() {
                        self.host
                            .configure_addresses(pid, &p.peer, addrs)
                            .await
                            .map_err(crate::error::EngineError::failed)?;
                    }
                    Ok::<(), crate::error::EngineError>(())
                };
                match fixed.await {
                    Ok(()) => rep.replugged.push(p.host_if.clone()),
                    Err(e) => problems.push(format!("{}: {e}", p.peer)),
                }
            }
            if let Some(r) = h.rt.lock().expect("rt").get_mut(&node_id) {
                r.plugged = plugged;
                if !problems.is_empty() {
                    r.state = NodeState::Degraded;
                    rep.degraded
                        .push(format!("{}/{node_id}: {}", h.id, problems.join("; ")));
                    r.problems = problems;
                }
            }
            self.refresh_live_macs(h, node_id).await;
        }
        self.gc_bridges(h, false).await;
    }

    /// Deletes labd-shaped interfaces that no running node of a known lab accounts for.
    async fn delete_orphan_interfaces(&self, ifaces: &[HostInterface], rep: &mut ReconcileReport) {
        let handles = self.handles();
        let mut keep: BTreeSet<String> = BTreeSet::new();
        for h in &handles {
            keep.extend(h.bridges.lock().expect("bridges").iter().cloned());
            for r in h.rt.lock().expect("rt").values() {
                keep.extend(r.plugged.values().map(|(name, _)| name.clone()));
            }
        }
        for i in ifaces
            .iter()
            .filter(|i| labd_shaped(&i.name) && !keep.contains(&i.name))
        {
            match self.host.delete_interface(&i.name).await {
                Ok(()) | Err(HostError::NotFound(_)) => {
                    rep.orphan_interfaces_deleted.push(i.name.clone())
                }
                Err(e) => rep.errors.push(format!("deleting orphan {}: {e}", i.name)),
            }
        }
    }
}
