//! Nodes, networks, links and layout: edits of the lab file, then hot wiring of running nodes.

use nova_api::{LabEvent, LayoutSpec, LinkSpec, NetworkPatch, NetworkSpec, NodePatch, NodeSpec};
use nova_lab_model::{
    Endpoint, LinkMetrics, LooseBool, Network, NetworkId, NetworkType, Node, NodeId, NodeKind,
};

use super::{LabEngine, NodeState};
use crate::error::{EngineError, Result};
use crate::linux::linux_spec_check;
use crate::templates;
use nova_lab_model::TemplateSet;

impl LabEngine {
    /// Adds a node; returns its id.
    pub async fn add_node(&self, lab_id: &str, spec: NodeSpec) -> Result<NodeId> {
        let h = self.handle(lab_id)?;
        let node = self
            .edit(&h, |lab| {
                let id = lab.next_node_id();
                let node = build_node(id, spec, &self.templates)?;
                lab.add_node(node.clone())?;
                Ok(node)
            })
            .await?;
        tracing::info!(LAB_ID = %lab_id, NODE_ID = node.id, "node added");
        self.emit(&h, LabEvent::NodeCreated { node: node.clone() });
        Ok(node.id)
    }

    /// Updates a node; fields that change what runs only while it is stopped.
    pub async fn update_node(&self, lab_id: &str, node_id: NodeId, patch: NodePatch) -> Result<()> {
        let h = self.handle(lab_id)?;
        let lock = h.node_lock(node_id);
        let _life = lock.read().await;
        if patch.changes_runtime() && self.node_state(&h, node_id).is_active() {
            return Err(EngineError::conflict(format!(
                "node {node_id} is running; stop it to change what runs"
            )));
        }
        let node = self
            .edit(&h, |lab| {
                if let Some(e) = patch.ethernet
                    && let Some(l) = lab.links_of_node(node_id).find(|l| {
                        l.endpoints()
                            .iter()
                            .any(|ep| ep.as_node().is_some_and(|(n, i)| n == node_id && i >= e))
                    })
                {
                    return Err(EngineError::conflict(format!(
                        "link {} uses an interface beyond {e}",
                        l.id
                    )));
                }
                let node = lab
                    .node_mut(node_id)
                    .ok_or_else(|| EngineError::not_found(format!("no node {node_id}")))?;
                apply_node_patch(node, patch, &self.templates)?;
                Ok(node.clone())
            })
            .await?;
        self.emit(&h, LabEvent::NodeUpdated { node });
        Ok(())
    }

    /// Deletes a node: stops it, removes its links (and implicit networks), then the node.
    pub async fn delete_node(&self, lab_id: &str, node_id: NodeId) -> Result<()> {
        let h = self.handle(lab_id)?;
        if h.lab().node(node_id).is_none() {
            return Err(EngineError::not_found(format!("no node {node_id}")));
        }
        self.stop_node(lab_id, node_id).await?;
        let removed = self.edit(&h, |lab| Ok(lab.remove_node(node_id)?)).await?;
        h.rt.lock().expect("rt").remove(&node_id);
        self.unwire_removed(&h, &removed.links).await;
        self.gc_bridges(&h, false).await;
        self.emit_removed(&h, &removed);
        Ok(())
    }

    /// Adds a network; returns its id.
    pub async fn add_network(&self, lab_id: &str, spec: NetworkSpec) -> Result<NetworkId> {
        check_name("network name", &spec.name)?;
        let h = self.handle(lab_id)?;
        let net = self
            .edit(&h, |lab| {
                let lower = spec.name.to_lowercase();
                if lab
                    .networks
                    .values()
                    .any(|n| n.name.to_lowercase() == lower)
                {
                    return Err(EngineError::AlreadyExists(format!(
                        "a network named {:?} exists",
                        spec.name
                    )));
                }
                let id = lab.next_network_id();
                let mut net =
                    Network::new(id, spec.name, spec.kind.unwrap_or(NetworkType::LinuxBridge));
                net.left = spec.left.unwrap_or(0);
                net.top = spec.top.unwrap_or(0);
                net.icon = spec.icon;
                if let Some(v) = spec.visibility {
                    net.visibility = Some(LooseBool::Bool(v));
                }
                lab.add_network(net.clone())?;
                Ok(net)
            })
            .await?;
        let id = net.id;
        self.emit(&h, LabEvent::NetworkCreated { network: net });
        Ok(id)
    }

    /// Updates a network's name or presentation.
    pub async fn update_network(
        &self,
        lab_id: &str,
        net_id: NetworkId,
        patch: NetworkPatch,
    ) -> Result<()> {
        let h = self.handle(lab_id)?;
        let net = self
            .edit(&h, |lab| {
                if let Some(name) = &patch.name {
                    check_name("network name", name)?;
                    let lower = name.to_lowercase();
                    if lab
                        .networks
                        .values()
                        .any(|n| n.id != net_id && n.name.to_lowercase() == lower)
                    {
                        return Err(EngineError::AlreadyExists(format!(
                            "a network named {name:?} exists"
                        )));
                    }
                }
                let net = lab
                    .network_mut(net_id)
                    .ok_or_else(|| EngineError::not_found(format!("no network {net_id}")))?;
                if let Some(n) = patch.name {
                    net.name = n;
                }
                if let Some(x) = patch.left {
                    net.left = x;
                }
                if let Some(y) = patch.top {
                    net.top = y;
                }
                if patch.icon.is_some() {
                    net.icon = patch.icon;
                }
                if let Some(v) = patch.visibility {
                    net.visibility = Some(LooseBool::Bool(v));
                }
                Ok(net.clone())
            })
            .await?;
        self.emit(&h, LabEvent::NetworkUpdated { network: net });
        Ok(())
    }

    /// Deletes a network: detaches and deletes its links, then its bridge.
    pub async fn delete_network(&self, lab_id: &str, net_id: NetworkId) -> Result<()> {
        let h = self.handle(lab_id)?;
        let removed = self.edit(&h, |lab| Ok(lab.remove_network(net_id)?)).await?;
        self.unwire_removed(&h, &removed.links).await;
        self.gc_bridges(&h, false).await;
        self.emit_removed(&h, &removed);
        Ok(())
    }

    /// Adds a link; node↔node links get an implicit network. Running ends are wired at once.
    pub async fn add_link(&self, lab_id: &str, spec: LinkSpec) -> Result<String> {
        let h = self.handle(lab_id)?;
        let (Some((a, ai)), to) = (spec.from.as_node(), &spec.to) else {
            return Err(EngineError::invalid(
                "link spec: \"from\" must be a node interface",
            ));
        };
        let metrics = spec
            .metrics
            .map(|m| m.validate())
            .transpose()
            .map_err(EngineError::invalid)?;
        let (connected, links) = self
            .edit(&h, |lab| {
                let c = match to {
                    Endpoint::Node(b) => lab.connect_nodes(a, ai, b.node_id, b.interface_index)?,
                    Endpoint::Network(n) => lab.connect_node_to_network(a, ai, n.network_id)?,
                };
                if let Some(m) = &metrics {
                    for l in lab.links.iter_mut().filter(|l| c.links.contains(&l.id)) {
                        l.metrics = Some(m.clone());
                    }
                }
                let links: Vec<_> = lab
                    .links
                    .iter()
                    .filter(|l| c.links.contains(&l.id))
                    .cloned()
                    .collect();
                Ok((c, links))
            })
            .await?;
        if let Some(net) = connected.network.and_then(|n| h.lab().network(n).cloned()) {
            self.emit(&h, LabEvent::NetworkCreated { network: net });
        }
        for l in &links {
            self.emit(&h, LabEvent::LinkCreated { link: l.clone() });
        }
        for l in &links {
            if let Some((node, index)) = l.from.as_node().or(l.to.as_node()) {
                self.hot_plug(&h, node, index).await;
            }
        }
        Ok(connected.links.into_iter().next().unwrap_or_default())
    }

    /// Deletes a link (both halves of a node↔node link, and its implicit network).
    pub async fn delete_link(&self, lab_id: &str, link_id: &str) -> Result<()> {
        let h = self.handle(lab_id)?;
        let removed = self.edit(&h, |lab| Ok(lab.remove_link(link_id)?)).await?;
        self.unwire_removed(&h, &removed.links).await;
        self.gc_bridges(&h, false).await;
        self.emit_removed(&h, &removed);
        Ok(())
    }

    /// Sets a link's impairments and applies them live.
    pub async fn set_link_metrics(
        &self,
        lab_id: &str,
        link_id: &str,
        m: LinkMetrics,
    ) -> Result<()> {
        let h = self.handle(lab_id)?;
        let link = h
            .lab()
            .link(link_id)
            .cloned()
            .ok_or_else(|| EngineError::not_found(format!("no link {link_id:?}")))?;
        // Live first: when the host cannot apply it (no netem), nothing is stored either.
        if let Some((node, index)) = link.from.as_node().or(link.to.as_node()) {
            self.apply_netem(&h, node, index, &m).await?;
        }
        let link = self
            .edit(&h, |lab| {
                let l = lab
                    .links
                    .iter_mut()
                    .find(|l| l.id == link_id)
                    .ok_or_else(|| EngineError::not_found(format!("no link {link_id:?}")))?;
                l.metrics = Some(m.clone());
                Ok(l.clone())
            })
            .await?;
        self.emit(&h, LabEvent::LinkUpdated { link });
        Ok(())
    }

    /// Moves nodes and networks and sets the viewport.
    pub async fn update_layout(&self, lab_id: &str, layout: LayoutSpec) -> Result<()> {
        let h = self.handle(lab_id)?;
        self.edit(&h, |lab| {
            for (id, p) in &layout.nodes {
                let n = lab
                    .node_mut(*id)
                    .ok_or_else(|| EngineError::not_found(format!("no node {id}")))?;
                (n.left, n.top) = (p.left, p.top);
            }
            for (id, p) in &layout.networks {
                let n = lab
                    .network_mut(*id)
                    .ok_or_else(|| EngineError::not_found(format!("no network {id}")))?;
                (n.left, n.top) = (p.left, p.top);
            }
            if let Some(v) = layout.viewport {
                if !(v.x.is_finite() && v.y.is_finite() && v.zoom.is_finite() && v.zoom > 0.0) {
                    return Err(EngineError::invalid(
                        "viewport values must be finite, zoom > 0",
                    ));
                }
                (lab.viewport.x, lab.viewport.y, lab.viewport.zoom) = (v.x, v.y, v.zoom);
            }
            Ok(())
        })
        .await?;
        self.emit(
            &h,
            LabEvent::LayoutUpdated {
                node_ids: layout.nodes.keys().copied().collect(),
                network_ids: layout.networks.keys().copied().collect(),
                nodes: layout.nodes,
                networks: layout.networks,
                viewport: layout.viewport,
            },
        );
        Ok(())
    }

    fn emit_removed(&self, h: &super::LabHandle, removed: &nova_lab_model::Removed) {
        for l in &removed.links {
            self.emit(
                h,
                LabEvent::LinkDeleted {
                    link_id: l.id.clone(),
                    link: l.clone(),
                },
            );
        }
        for &network_id in &removed.networks {
            self.emit(h, LabEvent::NetworkDeleted { network_id });
        }
        for &node_id in &removed.nodes {
            self.emit(h, LabEvent::NodeDeleted { node_id });
        }
    }

    pub(crate) fn node_state(&self, h: &super::LabHandle, node: NodeId) -> NodeState {
        h.rt.lock()
            .expect("rt")
            .get(&node)
            .map(|r| r.state)
            .unwrap_or_default()
    }
}

/// Checks an imported lab as strictly as AddNode checks a new node: node names, templates
/// (plain keys; linux ones must exist and their typed extras must be valid), images and icons.
pub(crate) fn check_imported(lab: &nova_lab_model::Lab, set: &TemplateSet) -> Result<()> {
    for node in lab.nodes.values() {
        let at = |e: EngineError| EngineError::invalid(format!("node {}: {e}", node.id));
        check_name("node name", &node.name).map_err(at)?;
        check_key(&node.template).map_err(at)?;
        check_image(&node.image).map_err(at)?;
        check_image(&node.icon).map_err(at)?;
        if node.kind == NodeKind::Linux {
            linux_spec_check(node, set).map_err(at)?;
        }
    }
    for net in lab.networks.values() {
        check_name("network name", &net.name)
            .map_err(|e| EngineError::invalid(format!("network {}: {e}", net.id)))?;
    }
    Ok(())
}

/// A template key: a plain file stem.
fn check_key(key: &str) -> Result<()> {
    let ok = key.len() <= 128
        && !key.starts_with('.')
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.'));
    if ok {
        Ok(())
    } else {
        Err(EngineError::invalid(format!(
            "template {key:?} is not a plain template key"
        )))
    }
}

fn check_name(what: &str, name: &str) -> Result<()> {
    if name.trim().is_empty() || name.chars().count() > 128 || name.chars().any(char::is_control) {
        return Err(EngineError::invalid(format!(
            "{what}: 1..=128 characters, no control characters"
        )));
    }
    Ok(())
}

/// A node from a spec: kind and defaults from the trusted template.
fn build_node(id: NodeId, spec: NodeSpec, set: &TemplateSet) -> Result<Node> {
    check_name("node name", &spec.name)?;
    let tpl = templates::resolve(set, &spec.template, spec.kind.as_ref())?;
    let mut node = tpl.new_node(id, spec.name);
    let patch = NodePatch {
        name: None,
        template: None,
        image: spec.image,
        cpu: spec.cpu,
        ram: spec.ram,
        ethernet: spec.ethernet,
        cpulimit: spec.cpulimit,
        console: spec.console,
        icon: spec.icon,
        left: spec.left,
        top: spec.top,
        extras: spec.extras,
    };
    apply_node_patch(&mut node, patch, set)?;
    Ok(node)
}

fn apply_node_patch(node: &mut Node, p: NodePatch, set: &TemplateSet) -> Result<()> {
    if let Some(n) = p.name {
        check_name("node name", &n)?;
        node.name = n;
    }
    if let Some(t) = p.template {
        templates::resolve(set, &t, Some(&node.kind))?;
        node.template = t;
    }
    if let Some(i) = p.image {
        check_image(&i)?;
        node.image = i;
    }
    set_if(&mut node.cpu, p.cpu);
    set_if(&mut node.ram, p.ram);
    if let Some(e) = p.ethernet {
        node.ethernet = e;
        let tpl = set.get(&node.kind, &node.template);
        node.interfaces = nova_lab_model::interfaces_for(node, tpl);
    }
    if let Some(c) = p.cpulimit {
        node.cpulimit = Some(serde_json::Value::from(u8::from(c)));
    }
    if let Some(c) = p.console {
        node.console = c;
    }
    if let Some(i) = p.icon {
        check_image(&i)?;
        node.icon = i;
    }
    set_if(&mut node.left, p.left);
    set_if(&mut node.top, p.top);
    if let Some(e) = p.extras {
        node.extras = e;
    }
    if node.kind == NodeKind::Linux {
        linux_spec_check(node, set)?;
    }
    Ok(())
}

fn set_if<T>(slot: &mut T, v: Option<T>) {
    if let Some(v) = v {
        *slot = v;
    }
}

/// Image and icon names stay inside their directories: relative, no `..` component, no control
/// characters (docker references such as `nova-ve/alpine:latest` keep their `/`).
fn check_image(s: &str) -> Result<()> {
    let ok = s.len() <= 255
        && !s.starts_with('/')
        && !s.contains('\\')
        && !s.split('/').any(|c| c == ".." || c == ".")
        && !s.chars().any(char::is_control);
    if ok {
        Ok(())
    } else {
        Err(EngineError::invalid(format!(
            "{s:?} is not a relative name inside its directory"
        )))
    }
}
