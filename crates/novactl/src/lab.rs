//! `novactl lab|folder|node|link|network|templates|images`: calls on nova-ve-labd.
//!
//! Labs are read whole with `Lab.GetSnapshot` into `nova_api::LabSnapshot` (the typed lab and
//! every node's runtime); requests are built as `nova_api` specs and sent as their JSON.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use nova_api::model::{Lab, NetworkType, Node, NodeId, NodeKind};
use nova_api::{
    InterfaceStatus, LabSnapshot, LinkMetricsSpec, LinkSpec, NetworkSpec, NodeSpec, NodeState,
    TemplateInfo, limits,
};
use nova_dbus::lab::{LabProxy, LabSummary, ManagerProxy, NodeFailure, NodeProxy, node_path};
use serde::Serialize;
use serde_json::Value;

use crate::cli::{
    FolderCmd, LabCmd, LinkCmd, LinkMetricsArgs, NetworkCmd, NodeAddArgs, NodeCmd, NodeRef,
};
use crate::error::{Access, CtlError, Service, ZbusExt as _};
use crate::output::{Done, Report, Table, done, text_cell};
use crate::resolve;

const VIEW: (Service, Access) = (Service::Lab, Access::View);
const MANAGE: (Service, Access) = (Service::Lab, Access::Manage);

/// How long `lab start` waits for every node to run.
const START_TIMEOUT: Duration = Duration::from_secs(120);

/// A connection to labd with the lookups every command needs.
#[derive(Debug)]
pub struct Labd<'c> {
    conn: &'c zbus::Connection,
    manager: ManagerProxy<'c>,
}

/// The live view of one node: its name and kind from the lab, the rest from its runtime
/// (what `node list --json` prints).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeLive {
    pub id: NodeId,
    pub name: String,
    pub kind: String,
    pub state: NodeState,
    pub unit: String,
    pub main_pid: u32,
    pub console: String,
    pub interfaces: Vec<InterfaceStatus>,
}

impl NodeLive {
    /// `node` of the snapshot's lab with its runtime (stopped, if labd sent none).
    pub fn of(snapshot: &LabSnapshot, node: &Node) -> NodeLive {
        let rt = snapshot.runtime.get(&node.id).cloned().unwrap_or_default();
        NodeLive {
            id: node.id,
            name: node.name.clone(),
            kind: node.kind.as_str().to_string(),
            state: rt.state,
            unit: rt.unit,
            main_pid: rt.pid,
            console: rt.console,
            interfaces: rt.interfaces,
        }
    }

    /// Every node of the snapshot, by id.
    pub fn all(snapshot: &LabSnapshot) -> Vec<NodeLive> {
        resolve::nodes(&snapshot.lab)
            .into_iter()
            .map(|n| NodeLive::of(snapshot, n))
            .collect()
    }
}

/// A node named on the command line (`LAB NODE`), found in a snapshot of its lab.
#[derive(Debug, Clone)]
pub struct FoundNode {
    pub lab: LabSummary,
    /// The node as stored.
    pub node: Node,
    /// Its runtime when the snapshot was taken.
    pub live: NodeLive,
}

impl<'c> Labd<'c> {
    pub async fn new(conn: &'c zbus::Connection) -> anyhow::Result<Self> {
        let manager = ManagerProxy::new(conn).await?;
        Ok(Labd { conn, manager })
    }

    pub fn manager(&self) -> &ManagerProxy<'c> {
        &self.manager
    }

    pub async fn labs(&self) -> Result<Vec<LabSummary>, CtlError> {
        self.manager.list_labs().await.ctx(VIEW.0, VIEW.1)
    }

    pub async fn find_lab(&self, wanted: &str) -> Result<LabSummary, CtlError> {
        let labs = self.labs().await?;
        resolve::lab(&labs, wanted).cloned()
    }

    pub async fn lab_proxy(&self, lab: &LabSummary) -> anyhow::Result<LabProxy<'c>> {
        Ok(LabProxy::builder(self.conn)
            .path(lab.path.clone())
            .build()
            .await?)
    }

    /// The lab and every node's runtime (`GetSnapshot`).
    pub async fn snapshot(&self, lab: &LabProxy<'_>) -> anyhow::Result<LabSnapshot> {
        let text = lab.get_snapshot().await.ctx(VIEW.0, VIEW.1)?;
        serde_json::from_str(&text).context("labd returned an invalid lab snapshot")
    }

    /// Finds `wanted` and reads its snapshot.
    pub async fn find_snapshot(
        &self,
        wanted: &str,
    ) -> anyhow::Result<(LabSummary, LabProxy<'c>, LabSnapshot)> {
        let lab = self.find_lab(wanted).await?;
        let proxy = self.lab_proxy(&lab).await?;
        let snapshot = self.snapshot(&proxy).await?;
        Ok((lab, proxy, snapshot))
    }

    pub async fn node_proxy(&self, lab_id: &str, node_id: NodeId) -> anyhow::Result<NodeProxy<'c>> {
        Ok(NodeProxy::builder(self.conn)
            .path(node_path(lab_id, node_id))
            .build()
            .await?)
    }

    /// Resolves `LAB NODE` to the lab, the node and its runtime.
    pub async fn find_node(&self, r: &NodeRef) -> anyhow::Result<FoundNode> {
        let (lab, _, snapshot) = self.find_snapshot(&r.lab).await?;
        let node = resolve::node(&snapshot.lab, &r.node)?;
        Ok(FoundNode {
            live: NodeLive::of(&snapshot, node),
            node: node.clone(),
            lab,
        })
    }
}

// ---------------------------------------------------------------- replies

/// `--json` of the commands that add or import something: its id and where it is.
#[derive(Debug, Serialize)]
struct Added<'a, I: Serialize> {
    id: I,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    path: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    lab_id: Option<&'a str>,
}

impl<I: Serialize> Added<'_, I> {
    fn id(id: I) -> Self {
        Added {
            id,
            name: None,
            path: None,
            lab_id: None,
        }
    }
}

/// `--json` of `node show`: the runtime, the node as stored, and its lab.
#[derive(Debug, Serialize)]
struct NodeShow<'a> {
    live: &'a NodeLive,
    node: &'a Node,
    lab_id: &'a str,
}

// ---------------------------------------------------------------- lab

pub async fn lab(d: &Labd<'_>, cmd: LabCmd) -> anyhow::Result<Report> {
    match cmd {
        LabCmd::List => lab_list(d).await,
        LabCmd::Show { lab } => lab_show(d, &lab).await,
        LabCmd::Create { name, folder } => {
            let (id, path) = d
                .manager()
                .create_lab(&folder, &name)
                .await
                .ctx(MANAGE.0, MANAGE.1)?;
            let reply = Added {
                path: Some(path.as_str()),
                ..Added::id(id.as_str())
            };
            Report::message(format!("created lab {id}"), &reply)
        }
        LabCmd::Import { file, folder, name } => lab_import(d, &file, &folder, name).await,
        LabCmd::Export { lab, output } => {
            let l = d.find_lab(&lab).await?;
            let text = d.manager().export_lab(&l.id).await.ctx(VIEW.0, VIEW.1)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, &text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    done(format!("exported lab {} to {}", l.id, path.display()))
                }
                None => Ok(Report::Raw(text)),
            }
        }
        LabCmd::Delete { lab } => {
            let l = d.find_lab(&lab).await?;
            d.manager()
                .delete_lab(&l.id)
                .await
                .ctx(MANAGE.0, MANAGE.1)?;
            done(format!("deleted lab {}", l.id))
        }
        LabCmd::Rename { lab, new_name } => lab_rename(d, &lab, &new_name).await,
        LabCmd::Start { lab, no_wait } => lab_start(d, &lab, no_wait).await,
        LabCmd::Stop { lab, no_wait } => lab_stop(d, &lab, no_wait).await,
    }
}

async fn lab_list(d: &Labd<'_>) -> anyhow::Result<Report> {
    let labs = d.labs().await?;
    let mut t = Table::new(["ID", "NAME", "FOLDER"]);
    for l in &labs {
        t.row([l.id.clone(), l.name.clone(), text_cell(&l.folder)]);
    }
    Report::table(t, &labs)
}

/// The lab's counts and node table; `--json` prints the whole snapshot.
async fn lab_show(d: &Labd<'_>, lab: &str) -> anyhow::Result<Report> {
    let (l, _, snapshot) = d.find_snapshot(lab).await?;
    let live = NodeLive::all(&snapshot);
    let mut text = format!(
        "lab {} ({})\nnodes: {}  networks: {}  links: {}\n\n",
        resolve::lab_display_path(&l),
        l.id,
        live.len(),
        snapshot.lab.networks.len(),
        snapshot.lab.links.len()
    );
    text.push_str(&node_table(&live).render());
    Report::message(text, &snapshot)
}

fn node_table(nodes: &[NodeLive]) -> Table {
    let mut t = Table::new(["ID", "NAME", "KIND", "STATE", "PID", "UNIT"]);
    for n in nodes {
        t.row([
            n.id.to_string(),
            n.name.clone(),
            n.kind.clone(),
            n.state.to_string(),
            if n.main_pid == 0 {
                "-".into()
            } else {
                n.main_pid.to_string()
            },
            text_cell(&n.unit),
        ]);
    }
    t
}

async fn lab_import(
    d: &Labd<'_>,
    file: &Path,
    folder: &str,
    name: Option<String>,
) -> anyhow::Result<Report> {
    let text = if file == Path::new("-") {
        std::io::read_to_string(std::io::stdin()).context("reading standard input")?
    } else {
        std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))?
    };
    let name = match name {
        Some(n) => n,
        None => import_name(&text, file)?,
    };
    let (id, path) = d
        .manager()
        .import_lab(folder, &name, &text)
        .await
        .ctx(MANAGE.0, MANAGE.1)?;
    let reply = Added {
        name: Some(name.as_str()),
        path: Some(path.as_str()),
        ..Added::id(id.as_str())
    };
    Report::message(format!("imported lab {name} as {id}"), &reply)
}

/// The name an imported lab gets by default: its `meta.name` (read as a lab, schema 1 or 2),
/// else the file stem. The daemon validates the lab and the name; novactl only picks it.
fn import_name(text: &str, file: &Path) -> Result<String, CtlError> {
    let from_meta = nova_api::parse_lab(text)
        .ok()
        .map(|lab| lab.meta.name)
        .filter(|s| !s.is_empty());
    from_meta
        .or_else(|| {
            file.file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .filter(|s| s != "-")
        })
        .ok_or_else(|| CtlError::Invalid("no lab name: give --name".into()))
}

async fn lab_rename(d: &Labd<'_>, lab: &str, new_name: &str) -> anyhow::Result<Report> {
    let l = d.find_lab(lab).await?;
    // `NEW` may be `folder/name` to move the lab too.
    let (folder, name) = match new_name.rsplit_once('/') {
        Some((f, n)) => (f.to_string(), n.to_string()),
        None => (l.folder.clone(), new_name.to_string()),
    };
    d.manager()
        .rename_lab(&l.id, &folder, &name)
        .await
        .ctx(MANAGE.0, MANAGE.1)?;
    done(format!("renamed lab {} to {new_name}", l.id))
}

async fn lab_start(d: &Labd<'_>, lab: &str, no_wait: bool) -> anyhow::Result<Report> {
    let started = Instant::now();
    let l = d.find_lab(lab).await?;
    let proxy = d.lab_proxy(&l).await?;
    let failures = proxy.start_all().await.ctx(MANAGE.0, MANAGE.1)?;
    failures_to_result("start", &l, &failures)?;
    if no_wait {
        return done(format!("starting lab {}", l.id));
    }
    let ids = node_ids(&d.snapshot(&proxy).await?.lab);
    wait_nodes_state(d, &l.id, &ids, NodeState::Running, START_TIMEOUT).await?;
    timed(
        format!("lab {} running: {} nodes", l.id, ids.len()),
        started,
    )
}

async fn lab_stop(d: &Labd<'_>, lab: &str, no_wait: bool) -> anyhow::Result<Report> {
    let started = Instant::now();
    let l = d.find_lab(lab).await?;
    let proxy = d.lab_proxy(&l).await?;
    let failures = proxy.stop_all().await.ctx(MANAGE.0, MANAGE.1)?;
    failures_to_result("stop", &l, &failures)?;
    if no_wait {
        return done(format!("stopping lab {}", l.id));
    }
    let ids = node_ids(&d.snapshot(&proxy).await?.lab);
    wait_nodes_state(d, &l.id, &ids, NodeState::Stopped, START_TIMEOUT).await?;
    timed(
        format!("lab {} stopped: {} nodes", l.id, ids.len()),
        started,
    )
}

fn node_ids(lab: &Lab) -> Vec<NodeId> {
    resolve::nodes(lab).into_iter().map(|n| n.id).collect()
}

/// A message with the time since `started` (also in the JSON as `seconds`).
fn timed(msg: String, started: Instant) -> anyhow::Result<Report> {
    let secs = started.elapsed().as_secs_f64();
    let reply = Done {
        ok: true,
        message: msg.clone(),
        seconds: Some(secs),
    };
    Report::message(format!("{msg} in {secs:.2}s"), &reply)
}

/// Waits until every node reports `want` (`running`: fully wired; `degraded` does not
/// count). Node proxies cache their properties and zbus keeps the cache current from
/// PropertiesChanged, so this loop reads memory, not the bus.
pub async fn wait_nodes_state(
    d: &Labd<'_>,
    lab_id: &str,
    ids: &[NodeId],
    want: NodeState,
    timeout: Duration,
) -> anyhow::Result<()> {
    let mut proxies = Vec::with_capacity(ids.len());
    for id in ids {
        proxies.push(d.node_proxy(lab_id, *id).await?);
    }
    let deadline = Instant::now() + timeout;
    loop {
        let mut pending = Vec::new();
        for p in &proxies {
            // A state this version does not know counts as not there yet.
            let state = NodeState::parse(&p.state().await.ctx(VIEW.0, VIEW.1)?);
            if state == Some(NodeState::Failed) && want == NodeState::Running {
                let name = p.name().await.unwrap_or_default();
                return Err(CtlError::Invalid(format!("node {name} failed to start")).into());
            }
            if state != Some(want) {
                pending.push(p.name().await.unwrap_or_default());
            }
        }
        if pending.is_empty() {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(CtlError::Timeout(format!(
                "still not {want} after {}s: {}",
                timeout.as_secs(),
                pending.join(", ")
            ))
            .into());
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn failures_to_result(
    what: &str,
    l: &LabSummary,
    failures: &[NodeFailure],
) -> Result<(), CtlError> {
    if failures.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = failures
        .iter()
        .map(|f| format!("node {}: {}", f.node_id, f.reason))
        .collect();
    Err(CtlError::Invalid(format!(
        "could not {what} {} of the nodes of lab {}:\n  {}",
        failures.len(),
        l.id,
        list.join("\n  ")
    )))
}

// ---------------------------------------------------------------- folders

pub async fn folder(d: &Labd<'_>, cmd: FolderCmd) -> anyhow::Result<Report> {
    let m = d.manager();
    match cmd {
        FolderCmd::List => {
            let folders = m.list_folders().await.ctx(VIEW.0, VIEW.1)?;
            let mut t = Table::new(["FOLDER"]);
            for f in &folders {
                t.row([f.clone()]);
            }
            Report::table(t, &folders)
        }
        FolderCmd::Create { path } => {
            m.create_folder(&path).await.ctx(MANAGE.0, MANAGE.1)?;
            done(format!("created folder {path}"))
        }
        FolderCmd::Rename { path, new_path } => {
            m.rename_folder(&path, &new_path)
                .await
                .ctx(MANAGE.0, MANAGE.1)?;
            done(format!("renamed folder {path} to {new_path}"))
        }
        FolderCmd::Delete { path } => {
            m.delete_folder(&path).await.ctx(MANAGE.0, MANAGE.1)?;
            done(format!("deleted folder {path}"))
        }
    }
}

// ---------------------------------------------------------------- nodes

pub async fn node(d: &Labd<'_>, cmd: NodeCmd) -> anyhow::Result<Report> {
    match cmd {
        NodeCmd::List { lab } => {
            let (_, _, snapshot) = d.find_snapshot(&lab).await?;
            let live = NodeLive::all(&snapshot);
            Report::table(node_table(&live), &live)
        }
        NodeCmd::Show(r) => node_show(d, &r).await,
        NodeCmd::Add(args) => node_add(d, args).await,
        NodeCmd::Delete(r) => {
            let found = d.find_node(&r).await?;
            d.lab_proxy(&found.lab)
                .await?
                .delete_node(found.node.id)
                .await
                .ctx(MANAGE.0, MANAGE.1)?;
            done(format!(
                "deleted node {} of lab {}",
                found.node.id, found.lab.id
            ))
        }
        NodeCmd::Start(r) => node_action(d, &r, NodeAction::Start).await,
        NodeCmd::Stop(r) => node_action(d, &r, NodeAction::Stop).await,
        NodeCmd::Wipe(r) => node_action(d, &r, NodeAction::Wipe).await,
    }
}

#[derive(Debug, Clone, Copy)]
enum NodeAction {
    Start,
    Stop,
    Wipe,
}

async fn node_action(d: &Labd<'_>, r: &NodeRef, action: NodeAction) -> anyhow::Result<Report> {
    let found = d.find_node(r).await?;
    let p = d.node_proxy(&found.lab.id, found.node.id).await?;
    let (res, verb) = match action {
        NodeAction::Start => (p.start().await, "started"),
        NodeAction::Stop => (p.stop().await, "stopped"),
        NodeAction::Wipe => (p.wipe().await, "wiped"),
    };
    res.ctx(MANAGE.0, MANAGE.1)?;
    done(format!("{verb} node {} of lab {}", r.node, found.lab.id))
}

async fn node_show(d: &Labd<'_>, r: &NodeRef) -> anyhow::Result<Report> {
    let FoundNode { lab, node, live } = d.find_node(r).await?;
    let mut text = format!(
        "node {} ({}) of lab {}\nkind: {}  template: {}\nstate: {}  pid: {}  unit: {}\nconsole: {}\n\n",
        live.name,
        live.id,
        lab.id,
        live.kind,
        text_cell(&node.template),
        live.state,
        live.main_pid,
        text_cell(&live.unit),
        text_cell(&live.console),
    );
    let mut t = Table::new([
        "IF",
        "NAME",
        "PLANNED MAC",
        "LIVE MAC",
        "NETWORK",
        "HOST IF",
    ]);
    for i in &live.interfaces {
        t.row([
            i.index.to_string(),
            i.name.clone(),
            text_cell(&i.planned_mac),
            text_cell(&i.live_mac),
            if i.network_id == 0 {
                "-".into()
            } else {
                i.network_id.to_string()
            },
            text_cell(&i.host_ifname),
        ]);
    }
    text.push_str(&t.render());
    let reply = NodeShow {
        live: &live,
        node: &node,
        lab_id: &lab.id,
    };
    Report::message(text, &reply)
}

async fn node_add(d: &Labd<'_>, args: NodeAddArgs) -> anyhow::Result<Report> {
    let l = d.find_lab(&args.lab).await?;
    let spec = node_spec(&args)?;
    let (id, path) = d
        .lab_proxy(&l)
        .await?
        .add_node(&serde_json::to_string(&spec)?)
        .await
        .ctx(MANAGE.0, MANAGE.1)?;
    let reply = Added {
        path: Some(path.as_str()),
        lab_id: Some(&l.id),
        ..Added::id(id)
    };
    Report::message(
        format!("added node {} as {id} to lab {}", args.name, l.id),
        &reply,
    )
}

/// The AddNode spec: `--set` read as a node spec, then the flags (name, template, kind,
/// ethernet) override it. Fields a node spec does not have are refused here, with serde's
/// message.
fn node_spec(args: &NodeAddArgs) -> Result<NodeSpec, CtlError> {
    let mut spec = match &args.set {
        Some(text) => set_spec(&json_arg(text)?, &args.name, &args.template)?,
        None => NodeSpec::new(&args.name, &args.template),
    };
    if let Some(k) = &args.kind {
        spec.kind = Some(NodeKind::from(k.as_str()));
    }
    if let Some(n) = args.ethernet {
        spec.ethernet = Some(n);
    }
    Ok(spec)
}

/// `--set` as a node spec. Name and template may be left out of it (the flags give them), so
/// the flags' are put in before serde reads the object.
fn set_spec(body: &str, name: &str, template: &str) -> Result<NodeSpec, CtlError> {
    if body.len() > limits::MAX_SPEC_BYTES {
        return Err(CtlError::Invalid(format!(
            "--set: more than {} bytes",
            limits::MAX_SPEC_BYTES
        )));
    }
    let value: Value =
        serde_json::from_str(body).map_err(|e| CtlError::Invalid(format!("invalid JSON: {e}")))?;
    let Value::Object(mut obj) = value else {
        return Err(CtlError::Invalid("--set must be a JSON object".into()));
    };
    obj.insert("name".into(), name.into());
    obj.insert("template".into(), template.into());
    serde_json::from_value(Value::Object(obj))
        .map_err(|e| CtlError::Invalid(format!("--set: node spec: {e}")))
}

/// A JSON argument given inline or as `@FILE`: its text.
fn json_arg(text: &str) -> Result<String, CtlError> {
    match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| CtlError::Invalid(format!("cannot read {path}: {e}"))),
        None => Ok(text.to_string()),
    }
}

// ---------------------------------------------------------------- links and networks

pub async fn link(d: &Labd<'_>, cmd: LinkCmd) -> anyhow::Result<Report> {
    match cmd {
        LinkCmd::List { lab } => {
            let (_, _, snapshot) = d.find_snapshot(&lab).await?;
            link_table(&snapshot.lab)
        }
        LinkCmd::Add { lab, from, to } => {
            let (l, proxy, snapshot) = d.find_snapshot(&lab).await?;
            let spec = LinkSpec {
                from: resolve::endpoint(&snapshot.lab, &from)?,
                to: resolve::endpoint(&snapshot.lab, &to)?,
                metrics: None,
            };
            let id = proxy
                .add_link(&serde_json::to_string(&spec)?)
                .await
                .ctx(MANAGE.0, MANAGE.1)?;
            let reply = Added {
                lab_id: Some(&l.id),
                ..Added::id(id.as_str())
            };
            Report::message(format!("created link {id}"), &reply)
        }
        LinkCmd::Del { lab, link } => {
            let l = d.find_lab(&lab).await?;
            d.lab_proxy(&l)
                .await?
                .delete_link(&link)
                .await
                .ctx(MANAGE.0, MANAGE.1)?;
            done(format!("deleted link {link} of lab {}", l.id))
        }
        LinkCmd::Metrics(args) => link_metrics(d, args).await,
    }
}

/// Links with names for their ends; `--json` prints them as stored.
fn link_table(lab: &Lab) -> anyhow::Result<Report> {
    let mut t = Table::new(["ID", "FROM", "TO", "DELAY", "JITTER", "LOSS", "RATE"]);
    for link in &lab.links {
        let m = link.metrics.as_ref();
        let metric = |f: &dyn Fn(&nova_api::model::LinkMetrics) -> String| {
            m.map_or_else(|| "-".to_string(), f)
        };
        t.row([
            text_cell(&link.id),
            resolve::endpoint_text(lab, &link.from),
            resolve::endpoint_text(lab, &link.to),
            metric(&|m| m.delay_ms.to_string()),
            metric(&|m| m.jitter_ms.to_string()),
            metric(&|m| m.loss_pct.to_string()),
            metric(&|m| m.bandwidth_kbps.to_string()),
        ]);
    }
    Report::table(t, &lab.links)
}

/// The metrics flags as a link metrics spec, checked against the API's limits before any call.
fn metrics_spec(a: &LinkMetricsArgs) -> Result<LinkMetricsSpec, CtlError> {
    let bandwidth_kbps = u32::try_from(a.bandwidth_kbps)
        .map_err(|_| CtlError::Invalid("--bandwidth-kbps is too large".into()))?;
    let spec = LinkMetricsSpec {
        delay_ms: a.delay_ms,
        jitter_ms: a.jitter_ms,
        loss_pct: a.loss_pct,
        bandwidth_kbps,
    };
    spec.validate()
        .map_err(|e| CtlError::Invalid(format!("link metrics: {e}")))?;
    Ok(spec)
}

async fn link_metrics(d: &Labd<'_>, a: LinkMetricsArgs) -> anyhow::Result<Report> {
    let m = metrics_spec(&a)?;
    let l = d.find_lab(&a.lab).await?;
    d.lab_proxy(&l)
        .await?
        .set_link_metrics(
            &a.link,
            m.delay_ms,
            m.jitter_ms,
            m.loss_pct,
            m.bandwidth_kbps,
        )
        .await
        .ctx(MANAGE.0, MANAGE.1)?;
    done(format!(
        "link {}: delay {} ms, jitter {} ms, loss {}%, rate {} kbit/s",
        a.link, m.delay_ms, m.jitter_ms, m.loss_pct, m.bandwidth_kbps
    ))
}

pub async fn network(d: &Labd<'_>, cmd: NetworkCmd) -> anyhow::Result<Report> {
    match cmd {
        NetworkCmd::List { lab } => {
            let (_, _, snapshot) = d.find_snapshot(&lab).await?;
            let mut t = Table::new(["ID", "NAME", "TYPE", "IMPLICIT", "BRIDGE"]);
            for n in resolve::networks(&snapshot.lab) {
                let bridge = n.runtime.as_ref().and_then(|r| r.bridge_name.as_deref());
                t.row([
                    n.id.to_string(),
                    n.name.clone(),
                    n.kind.as_str().to_string(),
                    n.implicit.to_string(),
                    text_cell(bridge.unwrap_or("")),
                ]);
            }
            Report::table(t, &snapshot.lab.networks)
        }
        NetworkCmd::Add { lab, name, r#type } => {
            let l = d.find_lab(&lab).await?;
            let spec = NetworkSpec {
                name,
                kind: Some(NetworkType::from(r#type.as_str())),
                left: None,
                top: None,
                icon: None,
                visibility: None,
            };
            let id = d
                .lab_proxy(&l)
                .await?
                .add_network(&serde_json::to_string(&spec)?)
                .await
                .ctx(MANAGE.0, MANAGE.1)?;
            Report::message(format!("created network {id}"), &Added::id(id))
        }
        NetworkCmd::Del { lab, network } => {
            let (l, proxy, snapshot) = d.find_snapshot(&lab).await?;
            let id = resolve::network(&snapshot.lab, &network)?.id;
            proxy.delete_network(id).await.ctx(MANAGE.0, MANAGE.1)?;
            done(format!("deleted network {network} of lab {}", l.id))
        }
    }
}

// ---------------------------------------------------------------- templates, images

pub async fn templates(d: &Labd<'_>) -> anyhow::Result<Report> {
    let text = d.manager().list_templates("").await.ctx(VIEW.0, VIEW.1)?;
    let list: Vec<TemplateInfo> =
        serde_json::from_str(&text).context("labd returned an invalid template list")?;
    let mut t = Table::new(["KIND", "KEY", "NAME", "DESCRIPTION"]);
    for tpl in &list {
        t.row([
            tpl.kind.as_str().to_string(),
            text_cell(&tpl.key),
            text_cell(&tpl.name),
            text_cell(tpl.description.as_deref().unwrap_or("")),
        ]);
    }
    Report::table(t, &list)
}

pub async fn images(d: &Labd<'_>, kind: &str, template: &str) -> anyhow::Result<Report> {
    let images = d
        .manager()
        .list_images(kind, template)
        .await
        .ctx(VIEW.0, VIEW.1)?;
    let mut t = Table::new(["IMAGE"]);
    for i in &images {
        t.row([i.clone()]);
    }
    Report::table(t, &images)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn import_name_prefers_meta_name() {
        let p = Path::new("/x/demo-lab.json");
        let lab = Lab::new("l1", "ospf").to_json();
        assert_eq!(import_name(&lab, p).unwrap(), "ospf");
        // Schema 1 (EVE-NG-like) labs are read too.
        let v1 = r#"{"id": "l2", "meta": {"name": "old"}, "nodes": {}, "networks": {}}"#;
        assert_eq!(import_name(v1, p).unwrap(), "old");
        assert_eq!(import_name("{}", p).unwrap(), "demo-lab");
        assert_eq!(import_name("not json", p).unwrap(), "demo-lab");
        assert!(import_name("{}", Path::new("-")).is_err());
    }

    fn add_args() -> NodeAddArgs {
        NodeAddArgs {
            lab: "l".into(),
            name: "r1".into(),
            template: "frr".into(),
            kind: Some("linux".into()),
            ethernet: Some(3),
            set: Some(r#"{"name": "ignored", "ethernet": 1, "extras": {"a": 1}}"#.into()),
        }
    }

    #[test]
    fn node_spec_merges_set_and_flags() {
        let spec = node_spec(&add_args()).unwrap();
        assert_eq!(
            serde_json::to_value(&spec).unwrap(),
            json!({"name": "r1", "template": "frr", "type": "linux", "ethernet": 3, "extras": {"a": 1}})
        );
        let plain = NodeAddArgs {
            kind: None,
            ethernet: None,
            set: None,
            ..add_args()
        };
        assert_eq!(node_spec(&plain).unwrap(), NodeSpec::new("r1", "frr"));
    }

    #[test]
    fn node_spec_refuses_what_a_spec_does_not_have() {
        let with = |set: &str| {
            node_spec(&NodeAddArgs {
                set: Some(set.into()),
                ..add_args()
            })
        };
        let e = with("[1]").unwrap_err();
        assert_eq!(e.to_string(), "--set must be a JSON object");
        let e = with("{nope").unwrap_err();
        assert!(e.to_string().starts_with("invalid JSON: "), "{e}");
        let e = with(r#"{"extras": {}, "runtime_state": {}}"#).unwrap_err();
        assert!(
            e.to_string().contains("unknown field `runtime_state`"),
            "{e}"
        );
        assert_eq!(e.exit_code(), 5);
        let e = with(r#"{"cpu": "two"}"#).unwrap_err();
        assert!(
            e.to_string().starts_with("--set: node spec: invalid type"),
            "{e}"
        );
        let big = format!(r#"{{"icon": "{}"}}"#, "x".repeat(limits::MAX_SPEC_BYTES));
        assert!(with(&big).unwrap_err().to_string().contains("more than"));
    }

    fn metrics_args(delay_ms: u32, jitter_ms: u32, loss_pct: f64, bw: u64) -> LinkMetricsArgs {
        LinkMetricsArgs {
            lab: "l".into(),
            link: "lnk_001".into(),
            delay_ms,
            jitter_ms,
            loss_pct,
            bandwidth_kbps: bw,
        }
    }

    #[test]
    fn link_metrics_checked_against_the_api_limits() {
        let ok = metrics_spec(&metrics_args(100, 10, 1.5, 1000)).unwrap();
        assert_eq!((ok.delay_ms, ok.bandwidth_kbps), (100, 1000));
        for bad in [
            metrics_args(0, 0, 100.5, 0),
            metrics_args(0, 0, f64::NAN, 0),
            metrics_args(10, 20, 0.0, 0),
            metrics_args(60_001, 0, 0.0, 0),
            metrics_args(0, 0, 0.0, 100_000_001),
            metrics_args(0, 0, 0.0, u64::from(u32::MAX) + 1),
        ] {
            let e = metrics_spec(&bad).unwrap_err();
            assert_eq!(e.exit_code(), 5, "{e}");
        }
        let e = metrics_spec(&metrics_args(0, 0, 101.0, 0)).unwrap_err();
        assert_eq!(e.to_string(), "link metrics: loss_pct 101 not in 0..=100");
    }

    #[test]
    fn node_live_from_a_snapshot() {
        let mut lab = Lab::new("l1", "L");
        let mut h = Node::new(2, "h1", NodeKind::Linux);
        h.template = "host".into();
        lab.add_node(h).unwrap();
        lab.add_node(Node::new(1, "h0", NodeKind::Linux)).unwrap();
        let rt = nova_api::NodeRuntime {
            node_id: 2,
            state: NodeState::Running,
            unit: "nova-node-l1-2.scope".into(),
            pid: 42,
            ..Default::default()
        };
        let snapshot = LabSnapshot {
            lab_ref: nova_api::LabRef {
                id: "l1".into(),
                name: "L".into(),
                folder: String::new(),
            },
            lab,
            runtime: [(2, rt)].into(),
            seq: 9,
        };
        let all = NodeLive::all(&snapshot);
        assert_eq!(all.len(), 2);
        assert_eq!((all[0].id, all[0].state), (1, NodeState::Stopped));
        let v = serde_json::to_value(&all[1]).unwrap();
        assert_eq!(
            v,
            json!({"id": 2, "name": "h1", "kind": "linux", "state": "running",
                   "unit": "nova-node-l1-2.scope", "main_pid": 42, "console": "", "interfaces": []})
        );
        let table = node_table(&all).render();
        assert!(
            table.contains("2   h1    linux  running  42   nova-node-l1-2.scope"),
            "{table}"
        );
    }

    #[test]
    fn added_replies_keep_their_shape() {
        let v = serde_json::to_value(Added {
            path: Some("/p"),
            lab_id: Some("l1"),
            ..Added::id(3)
        })
        .unwrap();
        assert_eq!(v, json!({"id": 3, "path": "/p", "lab_id": "l1"}));
        assert_eq!(
            serde_json::to_value(Added::id(7)).unwrap(),
            json!({"id": 7})
        );
    }
}
