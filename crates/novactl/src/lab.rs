//! `novactl lab|folder|node|link|network|templates|images`: calls on nova-ve-labd.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use nova_dbus::lab::{
    LabProxy, LabSummary, ManagerProxy, NodeFailure, NodeInterface, NodeProxy, node_path,
};
use serde_json::{Value, json};

use crate::cli::{
    FolderCmd, LabCmd, LinkCmd, LinkMetricsArgs, NetworkCmd, NodeAddArgs, NodeCmd, NodeRef,
};
use crate::error::{Access, CtlError, Service, ZbusExt as _};
use crate::output::{Report, Table, cell};
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

/// The live view of one node, from its D-Bus object.
#[derive(Debug, Clone, serde::Serialize)]
pub struct NodeLive {
    pub id: u32,
    pub name: String,
    pub kind: String,
    pub state: String,
    pub unit: String,
    pub main_pid: u32,
    pub console: String,
    pub interfaces: Vec<NodeInterface>,
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

    pub async fn lab_json(&self, lab: &LabProxy<'_>) -> anyhow::Result<Value> {
        let text = lab.get_json().await.ctx(VIEW.0, VIEW.1)?;
        serde_json::from_str(&text).context("labd returned invalid lab JSON")
    }

    pub async fn node_proxy(&self, lab_id: &str, node_id: u32) -> anyhow::Result<NodeProxy<'c>> {
        Ok(NodeProxy::builder(self.conn)
            .path(node_path(lab_id, node_id))
            .build()
            .await?)
    }

    pub async fn node_live(&self, lab_id: &str, node_id: u32) -> anyhow::Result<NodeLive> {
        let p = self.node_proxy(lab_id, node_id).await?;
        read_live(&p).await
    }

    /// Resolves `LAB NODE` to (lab, node id, lab JSON).
    pub async fn find_node(&self, r: &NodeRef) -> anyhow::Result<(LabSummary, u32, Value)> {
        let lab = self.find_lab(&r.lab).await?;
        let proxy = self.lab_proxy(&lab).await?;
        let json = self.lab_json(&proxy).await?;
        let id = resolve::id_of(resolve::node(&json, &r.node)?);
        Ok((lab, id, json))
    }
}

async fn read_live(p: &NodeProxy<'_>) -> anyhow::Result<NodeLive> {
    Ok(NodeLive {
        id: p.id().await.ctx(VIEW.0, VIEW.1)?,
        name: p.name().await.ctx(VIEW.0, VIEW.1)?,
        kind: p.kind().await.ctx(VIEW.0, VIEW.1)?,
        state: p.state().await.ctx(VIEW.0, VIEW.1)?,
        unit: p.unit().await.ctx(VIEW.0, VIEW.1)?,
        main_pid: p.main_pid().await.ctx(VIEW.0, VIEW.1)?,
        console: p.console().await.ctx(VIEW.0, VIEW.1)?,
        interfaces: p.interfaces().await.ctx(VIEW.0, VIEW.1)?,
    })
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
            Ok(created(
                "lab",
                &id,
                json!({"id": id, "path": path.as_str()}),
            ))
        }
        LabCmd::Import { file, folder, name } => lab_import(d, &file, &folder, name).await,
        LabCmd::Export { lab, output } => {
            let l = d.find_lab(&lab).await?;
            let text = d.manager().export_lab(&l.id).await.ctx(VIEW.0, VIEW.1)?;
            match output {
                Some(path) => {
                    std::fs::write(&path, &text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    Ok(done(format!("exported lab {} to {}", l.id, path.display())))
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
            Ok(done(format!("deleted lab {}", l.id)))
        }
        LabCmd::Rename { lab, new_name } => lab_rename(d, &lab, &new_name).await,
        LabCmd::Start { lab, no_wait } => lab_start(d, &lab, no_wait).await,
        LabCmd::Stop { lab, no_wait } => lab_stop(d, &lab, no_wait).await,
    }
}

fn done(msg: String) -> Report {
    Report::Message(msg.clone(), json!({"ok": true, "message": msg}))
}

fn created(what: &str, id: &str, value: Value) -> Report {
    Report::Message(format!("created {what} {id}"), value)
}

async fn lab_list(d: &Labd<'_>) -> anyhow::Result<Report> {
    let labs = d.labs().await?;
    let mut t = Table::new(["ID", "NAME", "FOLDER"]);
    for l in &labs {
        t.row([l.id.clone(), l.name.clone(), cell(Some(&json!(l.folder)))]);
    }
    Ok(Report::Table(t, serde_json::to_value(&labs)?))
}

async fn lab_show(d: &Labd<'_>, lab: &str) -> anyhow::Result<Report> {
    let l = d.find_lab(lab).await?;
    let proxy = d.lab_proxy(&l).await?;
    let json = d.lab_json(&proxy).await?;
    let live = nodes_live(d, &l, &json).await?;
    let mut text = format!(
        "lab {} ({})\nnodes: {}  networks: {}  links: {}\n\n",
        resolve::lab_display_path(&l),
        l.id,
        live.len(),
        resolve::networks(&json).len(),
        resolve::links(&json).len()
    );
    text.push_str(&node_table(&live).render());
    Ok(Report::Message(text, json))
}

async fn nodes_live(d: &Labd<'_>, l: &LabSummary, json: &Value) -> anyhow::Result<Vec<NodeLive>> {
    let mut out = Vec::new();
    for n in resolve::nodes(json) {
        out.push(d.node_live(&l.id, resolve::id_of(n)).await?);
    }
    Ok(out)
}

fn node_table(nodes: &[NodeLive]) -> Table {
    let mut t = Table::new(["ID", "NAME", "KIND", "STATE", "PID", "UNIT"]);
    for n in nodes {
        t.row([
            n.id.to_string(),
            n.name.clone(),
            n.kind.clone(),
            n.state.clone(),
            if n.main_pid == 0 {
                "-".into()
            } else {
                n.main_pid.to_string()
            },
            cell(Some(&json!(n.unit))),
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
    Ok(Report::Message(
        format!("imported lab {name} as {id}"),
        json!({"id": id, "name": name, "path": path.as_str()}),
    ))
}

/// The name an imported lab gets by default: its `meta.name`, else the file stem.
/// The daemon validates it; novactl only picks it.
fn import_name(text: &str, file: &Path) -> Result<String, CtlError> {
    let from_meta = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| {
            v.pointer("/meta/name")
                .and_then(Value::as_str)
                .map(String::from)
        })
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
    Ok(done(format!("renamed lab {} to {new_name}", l.id)))
}

async fn lab_start(d: &Labd<'_>, lab: &str, no_wait: bool) -> anyhow::Result<Report> {
    let started = Instant::now();
    let l = d.find_lab(lab).await?;
    let proxy = d.lab_proxy(&l).await?;
    let failures = proxy.start_all().await.ctx(MANAGE.0, MANAGE.1)?;
    failures_to_result("start", &l, &failures)?;
    if no_wait {
        return Ok(done(format!("starting lab {}", l.id)));
    }
    let ids = node_ids(d, &proxy).await?;
    wait_nodes_state(d, &l.id, &ids, "running", START_TIMEOUT).await?;
    Ok(timed(
        format!("lab {} running: {} nodes", l.id, ids.len()),
        started,
    ))
}

async fn lab_stop(d: &Labd<'_>, lab: &str, no_wait: bool) -> anyhow::Result<Report> {
    let started = Instant::now();
    let l = d.find_lab(lab).await?;
    let proxy = d.lab_proxy(&l).await?;
    let failures = proxy.stop_all().await.ctx(MANAGE.0, MANAGE.1)?;
    failures_to_result("stop", &l, &failures)?;
    if no_wait {
        return Ok(done(format!("stopping lab {}", l.id)));
    }
    let ids = node_ids(d, &proxy).await?;
    wait_nodes_state(d, &l.id, &ids, "stopped", START_TIMEOUT).await?;
    Ok(timed(
        format!("lab {} stopped: {} nodes", l.id, ids.len()),
        started,
    ))
}

async fn node_ids(d: &Labd<'_>, proxy: &LabProxy<'_>) -> anyhow::Result<Vec<u32>> {
    let json = d.lab_json(proxy).await?;
    Ok(resolve::nodes(&json)
        .into_iter()
        .map(resolve::id_of)
        .collect())
}

/// A message with the time since `started` (also in the JSON as `seconds`).
fn timed(msg: String, started: Instant) -> Report {
    let secs = started.elapsed().as_secs_f64();
    Report::Message(
        format!("{msg} in {secs:.2}s"),
        json!({"ok": true, "message": msg, "seconds": secs}),
    )
}

/// Waits until every node reports `want` (`running`: fully wired; `degraded` does not
/// count). Node proxies cache their properties and zbus keeps the cache current from
/// PropertiesChanged, so this loop reads memory, not the bus.
pub async fn wait_nodes_state(
    d: &Labd<'_>,
    lab_id: &str,
    ids: &[u32],
    want: &str,
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
            let state = p.state().await.ctx(VIEW.0, VIEW.1)?;
            if state == "failed" && want == "running" {
                let name = p.name().await.unwrap_or_default();
                return Err(CtlError::Invalid(format!("node {name} failed to start")).into());
            }
            if state != want {
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
            Ok(Report::Table(t, json!(folders)))
        }
        FolderCmd::Create { path } => {
            m.create_folder(&path).await.ctx(MANAGE.0, MANAGE.1)?;
            Ok(done(format!("created folder {path}")))
        }
        FolderCmd::Rename { path, new_path } => {
            m.rename_folder(&path, &new_path)
                .await
                .ctx(MANAGE.0, MANAGE.1)?;
            Ok(done(format!("renamed folder {path} to {new_path}")))
        }
        FolderCmd::Delete { path } => {
            m.delete_folder(&path).await.ctx(MANAGE.0, MANAGE.1)?;
            Ok(done(format!("deleted folder {path}")))
        }
    }
}

// ---------------------------------------------------------------- nodes

pub async fn node(d: &Labd<'_>, cmd: NodeCmd) -> anyhow::Result<Report> {
    match cmd {
        NodeCmd::List { lab } => {
            let l = d.find_lab(&lab).await?;
            let json = d.lab_json(&d.lab_proxy(&l).await?).await?;
            let live = nodes_live(d, &l, &json).await?;
            Ok(Report::Table(
                node_table(&live),
                serde_json::to_value(&live)?,
            ))
        }
        NodeCmd::Show(r) => node_show(d, &r).await,
        NodeCmd::Add(args) => node_add(d, args).await,
        NodeCmd::Delete(r) => {
            let (l, id, _) = d.find_node(&r).await?;
            d.lab_proxy(&l)
                .await?
                .delete_node(id)
                .await
                .ctx(MANAGE.0, MANAGE.1)?;
            Ok(done(format!("deleted node {id} of lab {}", l.id)))
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
    let (l, id, _) = d.find_node(r).await?;
    let p = d.node_proxy(&l.id, id).await?;
    let (res, verb) = match action {
        NodeAction::Start => (p.start().await, "started"),
        NodeAction::Stop => (p.stop().await, "stopped"),
        NodeAction::Wipe => (p.wipe().await, "wiped"),
    };
    res.ctx(MANAGE.0, MANAGE.1)?;
    Ok(done(format!("{verb} node {} of lab {}", r.node, l.id)))
}

async fn node_show(d: &Labd<'_>, r: &NodeRef) -> anyhow::Result<Report> {
    let (l, id, json) = d.find_node(r).await?;
    let live = d.node_live(&l.id, id).await?;
    let stored = resolve::node(&json, &id.to_string())?.clone();
    let mut text = format!(
        "node {} ({}) of lab {}\nkind: {}  template: {}\nstate: {}  pid: {}  unit: {}\nconsole: {}\n\n",
        live.name,
        live.id,
        l.id,
        live.kind,
        cell(stored.get("template")),
        live.state,
        live.main_pid,
        cell(Some(&json!(live.unit))),
        cell(Some(&json!(live.console))),
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
            cell(Some(&json!(i.planned_mac))),
            cell(Some(&json!(i.live_mac))),
            if i.network_id == 0 {
                "-".into()
            } else {
                i.network_id.to_string()
            },
            cell(Some(&json!(i.host_ifname))),
        ]);
    }
    text.push_str(&t.render());
    Ok(Report::Message(
        text,
        json!({"live": live, "node": stored, "lab_id": l.id}),
    ))
}

async fn node_add(d: &Labd<'_>, args: NodeAddArgs) -> anyhow::Result<Report> {
    let l = d.find_lab(&args.lab).await?;
    let spec = node_spec(&args)?;
    let (id, path) = d
        .lab_proxy(&l)
        .await?
        .add_node(&spec.to_string())
        .await
        .ctx(MANAGE.0, MANAGE.1)?;
    Ok(Report::Message(
        format!("added node {} as {id} to lab {}", args.name, l.id),
        json!({"id": id, "path": path.as_str(), "lab_id": l.id}),
    ))
}

/// The AddNode spec: name and template from flags, merged with `--set` (flags win).
fn node_spec(args: &NodeAddArgs) -> Result<Value, CtlError> {
    let mut spec = match &args.set {
        Some(text) => json_arg(text)?,
        None => json!({}),
    };
    let obj = spec
        .as_object_mut()
        .ok_or_else(|| CtlError::Invalid("--set must be a JSON object".into()))?;
    obj.insert("name".into(), json!(args.name));
    obj.insert("template".into(), json!(args.template));
    if let Some(k) = &args.kind {
        obj.insert("type".into(), json!(k));
    }
    if let Some(n) = args.ethernet {
        obj.insert("ethernet".into(), json!(n));
    }
    Ok(spec)
}

/// A JSON argument given inline or as `@FILE`.
fn json_arg(text: &str) -> Result<Value, CtlError> {
    let body = match text.strip_prefix('@') {
        Some(path) => std::fs::read_to_string(path)
            .map_err(|e| CtlError::Invalid(format!("cannot read {path}: {e}")))?,
        None => text.to_string(),
    };
    serde_json::from_str(&body).map_err(|e| CtlError::Invalid(format!("invalid JSON: {e}")))
}

// ---------------------------------------------------------------- links and networks

pub async fn link(d: &Labd<'_>, cmd: LinkCmd) -> anyhow::Result<Report> {
    match cmd {
        LinkCmd::List { lab } => {
            let l = d.find_lab(&lab).await?;
            let json = d.lab_json(&d.lab_proxy(&l).await?).await?;
            Ok(link_table(&json))
        }
        LinkCmd::Add { lab, from, to } => {
            let l = d.find_lab(&lab).await?;
            let proxy = d.lab_proxy(&l).await?;
            let json = d.lab_json(&proxy).await?;
            let spec = json!({
                "from": resolve::endpoint(&json, &from)?,
                "to": resolve::endpoint(&json, &to)?,
            });
            let id = proxy
                .add_link(&spec.to_string())
                .await
                .ctx(MANAGE.0, MANAGE.1)?;
            Ok(created("link", &id, json!({"id": id, "lab_id": l.id})))
        }
        LinkCmd::Del { lab, link } => {
            let l = d.find_lab(&lab).await?;
            d.lab_proxy(&l)
                .await?
                .delete_link(&link)
                .await
                .ctx(MANAGE.0, MANAGE.1)?;
            Ok(done(format!("deleted link {link} of lab {}", l.id)))
        }
        LinkCmd::Metrics(args) => link_metrics(d, args).await,
    }
}

fn link_table(json: &Value) -> Report {
    let mut t = Table::new(["ID", "FROM", "TO", "DELAY", "JITTER", "LOSS", "RATE"]);
    for link in resolve::links(json) {
        let m = link.get("metrics");
        let metric = |k: &str| cell(m.and_then(|m| m.get(k)));
        t.row([
            cell(link.get("id")),
            resolve::endpoint_text(json, link.get("from").unwrap_or(&Value::Null)),
            resolve::endpoint_text(json, link.get("to").unwrap_or(&Value::Null)),
            metric("delay_ms"),
            metric("jitter_ms"),
            metric("loss_pct"),
            metric("bandwidth_kbps"),
        ]);
    }
    let links = json.get("links").cloned().unwrap_or(json!([]));
    Report::Table(t, links)
}

async fn link_metrics(d: &Labd<'_>, a: LinkMetricsArgs) -> anyhow::Result<Report> {
    if !(0.0..=100.0).contains(&a.loss_pct) {
        return Err(CtlError::Invalid("--loss-pct must be within 0..100".into()).into());
    }
    let kbps = u32::try_from(a.bandwidth_kbps)
        .map_err(|_| CtlError::Invalid("--bandwidth-kbps is too large".into()))?;
    let l = d.find_lab(&a.lab).await?;
    d.lab_proxy(&l)
        .await?
        .set_link_metrics(&a.link, a.delay_ms, a.jitter_ms, a.loss_pct, kbps)
        .await
        .ctx(MANAGE.0, MANAGE.1)?;
    Ok(done(format!(
        "link {}: delay {} ms, jitter {} ms, loss {}%, rate {} kbit/s",
        a.link, a.delay_ms, a.jitter_ms, a.loss_pct, a.bandwidth_kbps
    )))
}

pub async fn network(d: &Labd<'_>, cmd: NetworkCmd) -> anyhow::Result<Report> {
    match cmd {
        NetworkCmd::List { lab } => {
            let l = d.find_lab(&lab).await?;
            let json = d.lab_json(&d.lab_proxy(&l).await?).await?;
            let mut t = Table::new(["ID", "NAME", "TYPE", "IMPLICIT", "BRIDGE"]);
            for n in resolve::networks(&json) {
                t.row([
                    resolve::id_of(n).to_string(),
                    resolve::name_of(n).to_string(),
                    cell(n.get("type")),
                    cell(n.get("implicit")),
                    cell(n.pointer("/runtime/bridge_name")),
                ]);
            }
            let nets = json.get("networks").cloned().unwrap_or(json!({}));
            Ok(Report::Table(t, nets))
        }
        NetworkCmd::Add { lab, name, r#type } => {
            let l = d.find_lab(&lab).await?;
            let spec = json!({"name": name, "type": r#type});
            let id = d
                .lab_proxy(&l)
                .await?
                .add_network(&spec.to_string())
                .await
                .ctx(MANAGE.0, MANAGE.1)?;
            Ok(created("network", &id.to_string(), json!({"id": id})))
        }
        NetworkCmd::Del { lab, network } => {
            let l = d.find_lab(&lab).await?;
            let proxy = d.lab_proxy(&l).await?;
            let json = d.lab_json(&proxy).await?;
            let id = resolve::id_of(resolve::network(&json, &network)?);
            proxy.delete_network(id).await.ctx(MANAGE.0, MANAGE.1)?;
            Ok(done(format!("deleted network {network} of lab {}", l.id)))
        }
    }
}

// ---------------------------------------------------------------- templates, images

pub async fn templates(d: &Labd<'_>) -> anyhow::Result<Report> {
    let text = d.manager().list_templates("").await.ctx(VIEW.0, VIEW.1)?;
    let list: Value = serde_json::from_str(&text).context("labd returned invalid JSON")?;
    let mut t = Table::new(["KIND", "KEY", "NAME", "DESCRIPTION"]);
    for tpl in list.as_array().map(Vec::as_slice).unwrap_or_default() {
        let pick = |keys: &[&str]| keys.iter().find_map(|k| tpl.get(*k)).cloned();
        t.row([
            cell(pick(&["kind", "type"]).as_ref()),
            cell(pick(&["key", "id", "template"]).as_ref()),
            cell(pick(&["name"]).as_ref()),
            cell(pick(&["description"]).as_ref()),
        ]);
    }
    Ok(Report::Table(t, list))
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
    Ok(Report::Table(t, json!(images)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn import_name_prefers_meta_name() {
        let p = Path::new("/x/demo-lab.json");
        assert_eq!(
            import_name(r#"{"meta":{"name":"ospf"}}"#, p).unwrap(),
            "ospf"
        );
        assert_eq!(import_name("{}", p).unwrap(), "demo-lab");
        assert!(import_name("{}", Path::new("-")).is_err());
    }

    #[test]
    fn node_spec_merges_set_and_flags() {
        let args = NodeAddArgs {
            lab: "l".into(),
            name: "r1".into(),
            template: "frr".into(),
            kind: Some("linux".into()),
            ethernet: Some(3),
            set: Some(r#"{"name": "ignored", "extras": {"a": 1}}"#.into()),
        };
        assert_eq!(
            node_spec(&args).unwrap(),
            json!({"name": "r1", "template": "frr", "type": "linux", "ethernet": 3, "extras": {"a": 1}})
        );
        let bad = NodeAddArgs {
            set: Some("[1]".into()),
            ..args
        };
        assert!(node_spec(&bad).is_err());
    }
}
