//! Engine tests without a bus: a real LabStore in a temp dir, and a recording fake host
//! (a mock only of netd/systemd/the launcher, which the sandbox tests exercise for real).

use std::sync::{Arc, Mutex};

use nova_lab_model::{LabStore, TemplateSet};
use nova_ve_labd::engine::{EngineConfig, LabEngine, NodeState};
use nova_ve_labd::error::EngineError;
use nova_ve_labd::events::{Event, EventSink};
use nova_ve_labd::host::*;
use nova_ve_labd::naming::LabKey;
use nova_ve_labd::store_files::StoreFiles;
use tokio::sync::mpsc::UnboundedReceiver;

// ---- what the D-Bus adaptor does: parse JSON at the edge, then call the typed engine ----

async fn add_node(e: &LabEngine, lab: &str, json: &str) -> Result<u32, EngineError> {
    let spec = nova_api::parse_spec("node spec", json)?;
    e.add_node(lab, spec).await
}

async fn add_link(e: &LabEngine, lab: &str, json: &str) -> Result<String, EngineError> {
    let spec = nova_api::parse_spec("link spec", json)?;
    e.add_link(lab, spec).await
}

async fn add_network(e: &LabEngine, lab: &str, json: &str) -> Result<u32, EngineError> {
    let spec = nova_api::parse_spec("network spec", json)?;
    e.add_network(lab, spec).await
}

async fn import_lab(
    e: &LabEngine,
    folder: &str,
    name: &str,
    json: &str,
) -> Result<String, EngineError> {
    let lab = nova_api::parse_lab(json)?;
    e.import_lab(folder, name, lab).await
}

/// The stored lab as JSON (`ExportLab`).
fn export(e: &LabEngine, lab: &str) -> String {
    e.export_lab(lab).unwrap().to_json()
}

fn metrics_spec(
    delay_ms: u32,
    jitter_ms: u32,
    loss_pct: f64,
    bandwidth_kbps: u32,
) -> Result<nova_lab_model::LinkMetrics, nova_api::SpecError> {
    nova_api::LinkMetricsSpec {
        delay_ms,
        jitter_ms,
        loss_pct,
        bandwidth_kbps,
    }
    .validate()
}

#[derive(Default)]
struct Fake {
    ops: Mutex<Vec<String>>,
    units: Mutex<Vec<UnitInfo>>,
    ifaces: Mutex<Vec<HostInterface>>,
    /// Behave like netd on a kernel without sch_netem: delay/jitter are NotSupported.
    no_netem: std::sync::atomic::AtomicBool,
}

struct FakePending(Arc<Fake>);

impl PendingNode for FakePending {
    fn pid(&self) -> u32 {
        4242
    }
    fn release(self: Box<Self>) -> Result<(), HostError> {
        self.0.log("release".into());
        Ok(())
    }
}

#[derive(Clone, Default)]
struct FakeHost(Arc<Fake>);

impl Fake {
    fn log(&self, s: String) {
        self.ops.lock().unwrap().push(s);
    }
}

impl FakeHost {
    fn ops(&self) -> Vec<String> {
        self.0.ops.lock().unwrap().clone()
    }
    fn clear(&self) {
        self.0.ops.lock().unwrap().clear();
    }
}

impl Host for FakeHost {
    fn launch(&self, req: LaunchRequest) -> HostFuture<'_, Box<dyn PendingNode>> {
        let ifs: Vec<String> = req.spec.interfaces.iter().map(|i| i.name()).collect();
        self.0
            .log(format!("launch {} {}", req.spec.node, ifs.join(",")));
        let f = self.0.clone();
        Box::pin(async move { Ok(Box::new(FakePending(f)) as Box<dyn PendingNode>) })
    }
    fn start_scope<'a>(
        &'a self,
        lab: &'a str,
        node: &'a str,
        pid: u32,
        props: ScopeProps,
    ) -> HostFuture<'a, String> {
        self.0
            .log(format!("scope {node} {pid} mem={}", props.memory_max));
        let unit = format!("nova-node-{lab}-{node}.scope");
        self.0.units.lock().unwrap().push(UnitInfo {
            unit: unit.clone(),
            active_state: "active".into(),
            pid,
        });
        Box::pin(async move { Ok(unit) })
    }
    fn stop_unit<'a>(&'a self, unit: &'a str) -> HostFuture<'a, ()> {
        self.0.log(format!("stop {unit}"));
        self.0.units.lock().unwrap().retain(|u| u.unit != unit);
        Box::pin(async { Ok(()) })
    }
    fn list_units(&self) -> HostFuture<'_, Vec<UnitInfo>> {
        let u = self.0.units.lock().unwrap().clone();
        Box::pin(async move { Ok(u) })
    }
    fn unit_state<'a>(&'a self, unit: &'a str) -> HostFuture<'a, String> {
        let s = self
            .0
            .units
            .lock()
            .unwrap()
            .iter()
            .find(|u| u.unit == unit)
            .map(|u| u.active_state.clone());
        Box::pin(async move { Ok(s.unwrap_or_default()) })
    }
    fn create_bridge<'a>(&'a self, name: &'a str) -> HostFuture<'a, ()> {
        self.0.log(format!("bridge {name}"));
        self.0.ifaces.lock().unwrap().push(HostInterface {
            name: name.into(),
            kind: "bridge".into(),
            master: String::new(),
        });
        Box::pin(async { Ok(()) })
    }
    fn delete_interface<'a>(&'a self, name: &'a str) -> HostFuture<'a, ()> {
        self.0.log(format!("delete {name}"));
        self.0.ifaces.lock().unwrap().retain(|i| i.name != name);
        Box::pin(async { Ok(()) })
    }
    fn plug<'a>(&'a self, pid: u32, plugs: &'a [Plug]) -> HostFuture<'a, ()> {
        for p in plugs {
            self.0
                .log(format!("plug {pid} {}->{}@{}", p.host_if, p.peer, p.bridge));
            self.0.ifaces.lock().unwrap().push(HostInterface {
                name: p.host_if.clone(),
                kind: "veth".into(),
                master: p.bridge.clone(),
            });
        }
        Box::pin(async { Ok(()) })
    }
    fn set_netem<'a>(&'a self, ifname: &'a str, n: Netem) -> HostFuture<'a, ()> {
        use std::sync::atomic::Ordering;
        if self.0.no_netem.load(Ordering::Relaxed) && (n.delay_us != 0 || n.jitter_us != 0) {
            return Box::pin(async {
                Err(HostError::NotSupported(
                    "delay/jitter need the netem qdisc, which this kernel lacks (CONFIG_NET_SCH_NETEM / sch_netem)".into(),
                ))
            });
        }
        self.0.log(format!(
            "netem {ifname} {} loss={} rate={}",
            n.delay_us, n.loss_percent, n.rate_bytes_per_sec
        ));
        Box::pin(async { Ok(()) })
    }
    fn list_interfaces(&self) -> HostFuture<'_, Vec<HostInterface>> {
        let v = self.0.ifaces.lock().unwrap().clone();
        Box::pin(async move { Ok(v) })
    }
    fn delete_interfaces<'a>(&'a self, names: &'a [String]) -> HostFuture<'a, ()> {
        for n in names {
            self.0.log(format!("delete {n}"));
            self.0.ifaces.lock().unwrap().retain(|i| &i.name != n);
        }
        Box::pin(async { Ok(()) })
    }
    fn configure_addresses<'a>(
        &'a self,
        pid: u32,
        ifname: &'a str,
        addrs: Vec<String>,
    ) -> HostFuture<'a, ()> {
        self.0
            .log(format!("addr {pid} {ifname} {}", addrs.join(",")));
        Box::pin(async { Ok(()) })
    }
    fn live_macs(&self, _pid: u32) -> HostFuture<'_, std::collections::BTreeMap<String, String>> {
        Box::pin(async { Ok([("eth0".to_string(), "02:00:00:00:00:01".to_string())].into()) })
    }
    fn wipe<'a>(
        &'a self,
        _: &'a nova_lab_model::Lab,
        n: &'a nova_lab_model::Node,
    ) -> HostFuture<'a, ()> {
        self.0.log(format!("wipe {}", n.id));
        Box::pin(async { Ok(()) })
    }
    fn open_console<'a>(
        &'a self,
        work_dir: &'a std::path::Path,
    ) -> HostFuture<'a, std::os::fd::OwnedFd> {
        self.0.log(format!("console {}", tail(work_dir)));
        Box::pin(async {
            let (a, _b) = std::os::unix::net::UnixStream::pair()
                .map_err(|e| HostError::Failed(e.to_string()))?;
            Ok(a.into())
        })
    }
    fn capture<'a>(&'a self, ifname: &'a str) -> HostFuture<'a, std::os::fd::OwnedFd> {
        self.0.log(format!("capture {ifname}"));
        Box::pin(async {
            let (a, _b) = std::os::unix::net::UnixStream::pair()
                .map_err(|e| HostError::Failed(e.to_string()))?;
            Ok(a.into())
        })
    }
    fn resize_console<'a>(
        &'a self,
        work_dir: &'a std::path::Path,
        rows: u16,
        cols: u16,
    ) -> HostFuture<'a, ()> {
        self.0
            .log(format!("resize {} {rows}x{cols}", tail(work_dir)));
        Box::pin(async { Ok(()) })
    }
}

/// The node id that ends a work dir (`…/<unit prefix>/<node>`).
fn tail(dir: &std::path::Path) -> String {
    dir.file_name().unwrap().to_string_lossy().into_owned()
}

struct Env {
    dir: tempfile::TempDir,
    host: FakeHost,
    engine: LabEngine,
    rx: UnboundedReceiver<Event>,
}

fn engine_on(dir: tempfile::TempDir, host: FakeHost) -> Env {
    engine_with(dir, host, TemplateSet::builtin().unwrap())
}

fn engine_with(dir: tempfile::TempDir, host: FakeHost, templates: TemplateSet) -> Env {
    std::fs::create_dir_all(dir.path().join("labs")).unwrap();
    let store = LabStore::open(dir.path().join("labs")).unwrap();
    let (sink, rx) = EventSink::channel();
    let cfg = EngineConfig {
        run_dir: dir.path().join("run"),
        images_dir: dir.path().join("images"),
    };
    let engine = LabEngine::new(
        Arc::new(StoreFiles(store)),
        Arc::new(host.clone()),
        Arc::new(templates),
        sink,
        cfg,
    );
    engine.load().unwrap();
    Env {
        dir,
        host,
        engine,
        rx,
    }
}

fn env() -> Env {
    engine_on(tempfile::tempdir().unwrap(), FakeHost::default())
}

fn files(e: &Env) -> Vec<String> {
    let mut v: Vec<String> = walk(&e.dir.path().join("labs"));
    v.sort();
    v
}

fn walk(p: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(p).unwrap() {
        let entry = entry.unwrap();
        out.push(entry.path().display().to_string());
        if entry.file_type().unwrap().is_dir() {
            out.extend(walk(&entry.path()));
        }
    }
    out
}

const HOST: &str =
    r#"{"name":"h1","template":"host","extras":{"addresses":{"eth0":["10.0.0.1/24"]}}}"#;

async fn two_hosts_linked(e: &Env) -> (String, u32, u32, String) {
    let lab = e.engine.create_lab("", "pair").await.unwrap();
    let a = add_node(&e.engine, &lab, HOST).await.unwrap();
    let b = add_node(
        &e.engine,
        &lab,
        &HOST.replace("h1", "h2").replace("10.0.0.1", "10.0.0.2"),
    )
    .await
    .unwrap();
    let link = add_link(&e.engine, &lab, &format!(r#"{{"from":{{"node_id":{a},"interface_index":0}},"to":{{"node_id":{b},"interface_index":0}}}}"#))
        .await
        .unwrap();
    (lab, a, b, link)
}

#[tokio::test]
async fn lab_crud_and_folders() {
    let e = env();
    e.engine.create_folder("team").unwrap();
    let id = e.engine.create_lab("team", "first").await.unwrap();
    assert_eq!(e.engine.list_labs().len(), 1);
    assert!(matches!(
        e.engine.create_lab("team", "first").await,
        Err(EngineError::AlreadyExists(_))
    ));
    e.engine.rename_lab(&id, "", "renamed").await.unwrap();
    let info = e.engine.lab_info(&id).unwrap();
    assert_eq!((info.folder.as_str(), info.name.as_str()), ("", "renamed"));
    assert!(e.dir.path().join("labs/renamed.json").exists());
    e.engine.delete_folder("team").unwrap();
    let json = export(&e.engine, &id);
    e.engine.delete_lab(&id).await.unwrap();
    assert!(e.engine.list_labs().is_empty());
    let again = import_lab(&e.engine, "", "back", &json).await.unwrap();
    assert_eq!(again, id, "import keeps the lab id");
}

#[tokio::test]
async fn hostile_names_and_json_change_nothing() {
    let e = env();
    e.engine.create_lab("", "ok").await.unwrap();
    let before = files(&e);
    for (folder, name) in [
        ("", "../evil"),
        ("../..", "x"),
        ("/etc", "x"),
        ("", ""),
        ("", "a/b"),
        ("", "nul\0"),
        ("", ".hidden"),
    ] {
        let r = e.engine.create_lab(folder, name).await;
        assert!(
            matches!(r, Err(EngineError::InvalidArgs(_))),
            "{folder:?}/{name:?}: {r:?}"
        );
    }
    let big = format!(
        r#"{{"schema":2,"id":"x","meta":{{"name":"{}"}}}}"#,
        "a".repeat(5 * 1024 * 1024)
    );
    for json in [
        "{",
        "[]",
        "null",
        r#"{"schema":2}"#,
        big.as_str(),
        r#"{"schema":2,"id":"x","meta":{"name":"x"},"nodes":{},"networks":{},"links":[{"id":"l","from":{"node_id":9,"interface_index":0},"to":{"network_id":3}}]}"#,
    ] {
        let r = import_lab(&e.engine, "", "imp", json).await;
        assert!(
            matches!(r, Err(EngineError::InvalidArgs(_))),
            "{}: {r:?}",
            &json[..json.len().min(80)]
        );
    }
    let doc = |id: &str, nodes: &str| {
        format!(r#"{{"schema":2,"id":"{id}","meta":{{"name":"x"}},"nodes":{nodes}}}"#)
    };
    for json in [
        doc("../../etc/passwd", "{}"),
        doc(
            "cmd",
            r#"{"1":{"id":1,"name":"h","type":"linux","template":"host","extras":{"command":"rm -rf /"}}}"#,
        ),
        doc(
            "ctl",
            r#"{"1":{"id":1,"name":"r","type":"linux","template":"frr","extras":{"frr_conf":"hostname r\u0007"}}}"#,
        ),
        doc(
            "tpl",
            r#"{"1":{"id":1,"name":"h","type":"linux","template":"../../../etc/passwd"}}"#,
        ),
        doc(
            "img",
            r#"{"1":{"id":1,"name":"h","type":"qemu","template":"vyos","image":"../../../etc"}}"#,
        ),
    ] {
        let r = import_lab(&e.engine, "", "imp", &json).await;
        assert!(
            matches!(r, Err(EngineError::InvalidArgs(_))),
            "{json}: {r:?}"
        );
    }
    assert!(e.engine.create_folder("../up").is_err());
    assert_eq!(files(&e), before, "nothing changed on disk");
    assert_eq!(e.engine.list_labs().len(), 1);
}

#[tokio::test]
async fn hostile_specs_are_refused() {
    let e = env();
    let lab = e.engine.create_lab("", "spec").await.unwrap();
    let before = export(&e.engine, &lab);
    for spec in [
        r#"{"name":"x","template":"host","command":"rm -rf /"}"#,
        r#"{"name":"x","template":"host","extras":{"cmdline":"sh"}}"#,
        r#"{"name":"x","template":"nope"}"#,
        r#"{"name":"x","template":"host","image":"../../etc/shadow"}"#,
        r#"{"name":"","template":"host"}"#,
        r#"{"name":"x","template":"host","extras":{"addresses":{"eth9":["10.0.0.1/24"]}}}"#,
        r#"{"name":"x","template":"host","extras":{"addresses":{"eth0":["10.0.0.1/99"]}}}"#,
        r#"{"name":"x","template":"frr","extras":{"frr_daemons":["evil"]}}"#,
    ] {
        let r = add_node(&e.engine, &lab, spec).await;
        assert!(
            matches!(r, Err(EngineError::InvalidArgs(_))),
            "{spec}: {r:?}"
        );
    }
    assert_eq!(export(&e.engine, &lab), before);
}

#[tokio::test]
async fn node_to_node_link_uses_implicit_network_and_cascades() {
    let e = env();
    let (lab, a, _b, link) = two_hosts_linked(&e).await;
    let l: serde_json::Value = serde_json::from_str(&export(&e.engine, &lab)).unwrap();
    assert_eq!(l["links"].as_array().unwrap().len(), 2, "{link}");
    assert_eq!(l["networks"]["1"]["implicit"], true);
    e.engine.delete_node(&lab, a).await.unwrap();
    let l: serde_json::Value = serde_json::from_str(&export(&e.engine, &lab)).unwrap();
    assert!(l["links"].as_array().unwrap().is_empty());
    assert!(l["networks"].as_object().unwrap().is_empty());
}

#[tokio::test]
async fn start_wires_then_releases_and_stop_cleans_up() {
    let e = env();
    let (lab, a, b, _) = two_hosts_linked(&e).await;
    let failed = e.engine.start_all(&lab).await.unwrap();
    assert!(failed.is_empty(), "{failed:?}");
    let key = LabKey::of(&lab);
    let ops = e.host.ops();
    let pos = |p: &str| {
        ops.iter()
            .position(|o| o.starts_with(p))
            .unwrap_or_else(|| panic!("{p} in {ops:?}"))
    };
    assert!(
        pos("bridge") < pos("launch")
            && pos("launch") < pos("scope")
            && pos("scope") < pos("plug")
            && pos("plug") < pos("release")
    );
    assert!(ops.iter().any(|o| o
        == &format!(
            "plug 4242 {}->eth0@{}",
            key.veth_name(a, 0).unwrap(),
            key.bridge_name(1).unwrap()
        )));
    assert!(
        ops.iter()
            .any(|o| o.starts_with("scope") && o.ends_with(&format!("mem={}", 64 * 1024 * 1024)))
    );
    for n in [a, b] {
        let v = e.engine.node_view(&lab, n).unwrap();
        assert_eq!(v.runtime.state, NodeState::Running);
        assert_eq!(v.runtime.unit, key.unit_name(n));
        assert_eq!(
            v.runtime.interfaces[0].host_ifname,
            key.veth_name(n, 0).unwrap()
        );
        assert_eq!(v.runtime.interfaces[0].live_mac, "02:00:00:00:00:01");
    }
    e.host.clear();
    assert!(e.engine.stop_all(&lab).await.unwrap().is_empty());
    let ops = e.host.ops();
    assert_eq!(ops.iter().filter(|o| o.starts_with("stop")).count(), 2);
    assert!(
        ops.contains(&format!("delete {}", key.bridge_name(1).unwrap())),
        "{ops:?}"
    );
    assert_eq!(
        e.engine.node_view(&lab, a).unwrap().runtime.state,
        NodeState::Stopped
    );
}

#[tokio::test]
async fn other_kinds_are_not_supported_to_start() {
    let e = env();
    let lab = e.engine.create_lab("", "q").await.unwrap();
    let n = add_node(
        &e.engine,
        &lab,
        r#"{"name":"vm","template":"linux","type":"qemu"}"#,
    )
    .await
    .unwrap();
    assert!(matches!(
        e.engine.start_node(&lab, n).await,
        Err(EngineError::NotSupported(_))
    ));
    assert!(e.host.ops().is_empty());
}

#[tokio::test]
async fn consoles_open_only_on_running_linux_nodes() {
    let e = env();
    let lab = e.engine.create_lab("", "con").await.unwrap();
    let a = add_node(&e.engine, &lab, HOST).await.unwrap();
    let vm = add_node(
        &e.engine,
        &lab,
        r#"{"name":"vm","template":"linux","type":"qemu"}"#,
    )
    .await
    .unwrap();
    assert!(matches!(
        e.engine.open_console(&lab, a).await,
        Err(EngineError::Conflict(m)) if m.contains("not running")
    ));
    assert!(matches!(
        e.engine.open_console(&lab, vm).await,
        Err(EngineError::NotSupported(_))
    ));
    assert!(matches!(
        e.engine.open_console(&lab, 99).await,
        Err(EngineError::NotFound(_))
    ));
    assert_eq!(e.engine.node_view(&lab, a).unwrap().runtime.console, "");
    e.engine.start_node(&lab, a).await.unwrap();
    e.host.clear();
    e.engine.open_console(&lab, a).await.unwrap();
    e.engine.resize_console(&lab, a, 40, 120).await.unwrap();
    for (rows, cols) in [(0, 80), (24, 0), (24, 1001)] {
        assert!(matches!(
            e.engine.resize_console(&lab, a, rows, cols).await,
            Err(EngineError::InvalidArgs(_))
        ));
    }
    assert_eq!(
        e.host.ops(),
        [format!("console {a}"), format!("resize {a} 40x120")]
    );
    assert_eq!(e.engine.node_view(&lab, a).unwrap().runtime.console, "pty");
}

#[tokio::test]
async fn captures_take_the_node_end_of_a_wired_link() {
    let e = env();
    let (lab, a, _b, link) = two_hosts_linked(&e).await;
    let key = LabKey::of(&lab);
    // The node-to-node link became two links through a hidden network; each has a node end.
    let links: serde_json::Value = serde_json::from_str(&export(&e.engine, &lab)).unwrap();
    let first = links["links"][0]["id"].as_str().unwrap().to_string();
    assert!(
        matches!(
            e.engine.capture_link(&lab, &first).await,
            Err(EngineError::Conflict(m)) if m.contains("start the node")
        ),
        "{link}"
    );
    assert!(matches!(
        e.engine.capture_link(&lab, "lnk_999").await,
        Err(EngineError::NotFound(_))
    ));
    assert!(matches!(
        e.engine.capture_interface(&lab, a, 5).await,
        Err(EngineError::NotFound(_))
    ));
    e.engine.start_all(&lab).await.unwrap();
    e.host.clear();
    e.engine.capture_link(&lab, &first).await.unwrap();
    e.engine.capture_interface(&lab, a, 0).await.unwrap();
    let veth = key.veth_name(a, 0).unwrap();
    assert_eq!(
        e.host.ops(),
        [format!("capture {veth}"), format!("capture {veth}")]
    );
}

/// A descriptor that reads `bytes` and then ends.
fn upload(bytes: &[u8]) -> std::os::fd::OwnedFd {
    use std::io::Write as _;
    let (mut w, r) = std::os::unix::net::UnixStream::pair().unwrap();
    let bytes = bytes.to_vec();
    std::thread::spawn(move || {
        let _ = w.write_all(&bytes);
    });
    r.into()
}

#[tokio::test]
async fn images_upload_whole_checked_and_never_over_another() {
    let e = env();
    let dir = e.dir.path().join("images/qemu");
    let data = vec![7u8; 300_000];
    // sha256 of 300000 bytes of 0x07, as `head -c 300000 /dev/zero | tr '\0' '\7' | sha256sum`.
    let sha = e
        .engine
        .import_image("qemu", "vyos-1.4.qcow2", 300_000, "", upload(&data))
        .await
        .unwrap();
    assert_eq!(sha.len(), 64);
    assert_eq!(std::fs::read(dir.join("vyos-1.4.qcow2")).unwrap(), data);
    // The same bytes with the right checksum under another name; then the refusals.
    e.engine
        .import_image(
            "qemu",
            "copy.qcow2",
            300_000,
            &sha.to_uppercase(),
            upload(&data),
        )
        .await
        .unwrap();
    let wrong = "0".repeat(64);
    for (kind, name, size, sum, bytes, want) in [
        (
            "qemu",
            "bad-sum.qcow2",
            300_000,
            wrong.as_str(),
            &data[..],
            "SHA-256 mismatch",
        ),
        (
            "qemu",
            "short.qcow2",
            400_000,
            "",
            &data[..],
            "ended after 300000",
        ),
        ("qemu", "long.qcow2", 1000, "", &data[..], "longer than"),
        ("qemu", "vyos-1.4.qcow2", 300_000, "", &data[..], "exists"),
        ("qemu", "../escape", 10, "", &data[..10], "dot"),
        (
            "qemu",
            "x/../../escape",
            10,
            "",
            &data[..10],
            "letters, digits",
        ),
        ("qemu", ".hidden", 10, "", &data[..10], "dot"),
        ("qemu", "a/b", 10, "", &data[..10], "letters, digits"),
        ("qemu", "", 10, "", &data[..10], "1 to 128"),
        ("qemu", "zero", 0, "", &data[..0], "size 0"),
        ("spaceship", "x", 10, "", &data[..10], "unknown node kind"),
        ("qemu", "sum.qcow2", 10, "xyz", &data[..10], "64 hex digits"),
    ] {
        let err = e
            .engine
            .import_image(kind, name, size, sum, upload(bytes))
            .await
            .expect_err(name);
        assert!(err.to_string().contains(want), "{name}: {err}");
    }
    let mut left: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|d| d.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(
        left,
        ["copy.qcow2", "vyos-1.4.qcow2"],
        "no partial or temporary files"
    );
}

#[tokio::test]
async fn hot_attach_detach_and_metrics() {
    let e = env();
    let lab = e.engine.create_lab("", "hot").await.unwrap();
    let a = add_node(&e.engine, &lab, HOST).await.unwrap();
    let net = add_network(&e.engine, &lab, r#"{"name":"lan"}"#)
        .await
        .unwrap();
    e.engine.start_node(&lab, a).await.unwrap();
    e.host.clear();
    let link = add_link(
        &e.engine,
        &lab,
        &format!(r#"{{"from":{{"node_id":{a},"interface_index":0}},"to":{{"network_id":{net}}}}}"#),
    )
    .await
    .unwrap();
    let key = LabKey::of(&lab);
    let veth = key.veth_name(a, 0).unwrap();
    assert!(
        e.host
            .ops()
            .contains(&"addr 4242 eth0 10.0.0.1/24".to_string()),
        "{:?}",
        e.host.ops()
    );
    assert!(
        e.host
            .ops()
            .iter()
            .any(|o| o.starts_with(&format!("plug 4242 {veth}"))),
        "{:?}",
        e.host.ops()
    );
    let m = metrics_spec(20, 5, 1.0, 1000).unwrap();
    e.engine.set_link_metrics(&lab, &link, m).await.unwrap();
    assert!(
        e.host
            .ops()
            .contains(&format!("netem {veth} 20000 loss=1 rate=125000")),
        "{:?}",
        e.host.ops()
    );
    e.engine.delete_link(&lab, &link).await.unwrap();
    assert!(e.host.ops().contains(&format!("delete {veth}")));
    assert!(
        e.engine.node_view(&lab, a).unwrap().runtime.interfaces[0]
            .host_ifname
            .is_empty()
    );
}

/// A kernel without sch_netem (netd: delay/jitter NotSupported, rate and loss work): live
/// loss/rate apply and are stored; live delay is a NotSupported error with nothing stored or
/// changed; a stored delay at start leaves the node degraded naming why, loss and rate applied.
#[tokio::test]
async fn link_metrics_without_netem() {
    let e = env();
    e.host
        .0
        .no_netem
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let (lab, a, _, link) = two_hosts_linked(&e).await;
    let veth = LabKey::of(&lab).veth_name(a, 0).unwrap();
    let metrics = |lab_json: &str| -> serde_json::Value {
        let v: serde_json::Value = serde_json::from_str(lab_json).unwrap();
        v["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["id"] == link.as_str())
            .unwrap()["metrics"]
            .clone()
    };
    e.engine.start_node(&lab, a).await.unwrap();
    e.host.clear();

    let m = metrics_spec(0, 0, 100.0, 1000).unwrap();
    e.engine.set_link_metrics(&lab, &link, m).await.unwrap();
    assert_eq!(
        e.host.ops(),
        [format!("netem {veth} 0 loss=100 rate=125000")]
    );
    let stored = metrics(&export(&e.engine, &lab));
    assert_eq!(
        (&stored["loss_pct"], &stored["bandwidth_kbps"]),
        (&serde_json::json!(100.0), &serde_json::json!(1000))
    );

    e.host.clear();
    let before = export(&e.engine, &lab);
    let m = metrics_spec(50, 0, 0.0, 0).unwrap();
    match e.engine.set_link_metrics(&lab, &link, m).await {
        Err(EngineError::NotSupported(msg)) => {
            assert!(msg.contains("CONFIG_NET_SCH_NETEM"), "{msg}")
        }
        other => panic!("delay without netem: {other:?}"),
    }
    assert_eq!(export(&e.engine, &lab), before, "nothing stored");
    assert!(
        e.host.ops().is_empty(),
        "nothing changed: {:?}",
        e.host.ops()
    );

    // Stored with the node stopped (it may run on a host with netem), then started here.
    e.engine.stop_node(&lab, a).await.unwrap();
    let m = metrics_spec(50, 10, 5.0, 0).unwrap();
    e.engine.set_link_metrics(&lab, &link, m).await.unwrap();
    assert_eq!(metrics(&export(&e.engine, &lab))["delay_ms"], 50);
    e.host.clear();
    e.engine.start_node(&lab, a).await.unwrap();
    let view = e.engine.node_view(&lab, a).unwrap();
    assert_eq!(view.runtime.state, NodeState::Degraded);
    assert!(
        view.runtime.problems.iter().any(|p| p
            .contains("delay/jitter not applied (loss and rate are)")
            && p.contains("CONFIG_NET_SCH_NETEM")),
        "{:?}",
        view.runtime.problems
    );
    assert!(
        e.host
            .ops()
            .contains(&format!("netem {veth} 0 loss=5 rate=0")),
        "{:?}",
        e.host.ops()
    );
}

#[tokio::test]
async fn a_unit_that_goes_away_marks_the_node_stopped() {
    let e = env();
    let (lab, a, _, _) = two_hosts_linked(&e).await;
    e.engine.start_node(&lab, a).await.unwrap();
    let unit = LabKey::of(&lab).unit_name(a);
    e.host.0.units.lock().unwrap().clear();
    e.engine.unit_changed(&unit, "").await;
    assert_eq!(
        e.engine.node_view(&lab, a).unwrap().runtime.state,
        NodeState::Stopped
    );
}

#[tokio::test]
async fn restart_re_derives_state_and_fixes_drift() {
    let e = env();
    let (lab, a, b, _) = two_hosts_linked(&e).await;
    e.engine.start_all(&lab).await.unwrap();
    let key = LabKey::of(&lab);
    // Drift while labd is down: b lost its veth; an orphan unit and interface appeared.
    e.host
        .0
        .ifaces
        .lock()
        .unwrap()
        .retain(|i| i.name != key.veth_name(b, 0).unwrap());
    e.host.0.units.lock().unwrap().push(UnitInfo {
        unit: "nova-node-gone-1.scope".into(),
        active_state: "active".into(),
        pid: 7,
    });
    e.host.0.ifaces.lock().unwrap().push(HostInterface {
        name: "nvabcdefv1e0".into(),
        kind: "veth".into(),
        master: String::new(),
    });
    let Env {
        dir,
        host,
        engine,
        rx,
    } = e;
    drop((engine, rx));
    host.clear();
    let e = engine_on(dir, host);
    let rep = e.engine.reconcile().await;
    assert_eq!(rep.adopted.len(), 2, "{rep:?}");
    assert_eq!(
        rep.orphan_units_stopped,
        vec!["nova-node-gone-1.scope".to_string()]
    );
    assert_eq!(rep.replugged, vec![key.veth_name(b, 0).unwrap()]);
    assert_eq!(
        rep.orphan_interfaces_deleted,
        vec!["nvabcdefv1e0".to_string()]
    );
    for n in [a, b] {
        assert_eq!(
            e.engine.node_view(&lab, n).unwrap().runtime.state,
            NodeState::Running
        );
    }
    assert!(
        !e.host.ops().iter().any(|o| o.starts_with("launch")),
        "no duplicate nodes"
    );
}

#[tokio::test]
async fn events_are_versioned_and_sequenced() {
    let mut e = env();
    let (lab, a, _, _) = two_hosts_linked(&e).await;
    e.engine.start_node(&lab, a).await.unwrap();
    let mut last = 0;
    let mut kinds = Vec::new();
    while let Ok(ev) = e.rx.try_recv() {
        assert_eq!(ev.lab_id, lab);
        assert!(ev.seq > last, "seq increases");
        last = ev.seq;
        let payload: serde_json::Value = serde_json::from_str(&ev.event.to_payload_json()).unwrap();
        assert_eq!(payload["v"], 1);
        assert_eq!(payload["type"], ev.event.kind());
        kinds.push(ev.event.kind());
    }
    for k in [
        "lab_created",
        "node_created",
        "network_created",
        "link_created",
        "node_state",
    ] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
}

/// Importer → labd: every EVE-NG fixture the importer converts (importer/tests/fixtures/labs)
/// imports into labd (the checks of D-Bus ImportLab), reads back whole — every node, network
/// and link — and opens again in a restarted engine. The fixtures meant to be refused are
/// refused by the importer already.
#[tokio::test]
async fn imported_eveng_labs_open_in_labd() {
    use nova_import_eveng::convert::convert_unl;
    use nova_import_eveng::xmltree::Limits;
    const REFUSED: [&str; 5] = ["bomb", "deep", "dup-ids", "encrypted", "malformed"];
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../importer/tests/fixtures/labs");
    let mut unls: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "unl"))
        .collect();
    unls.sort();
    // labd's templates: the built-ins plus what the importer makes of the EVE-NG templates
    // (VPCS → a linux `vpcs` template with the busybox host profile).
    let mut templates = TemplateSet::builtin().unwrap();
    let tdir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../importer/tests/fixtures/templates");
    for key in ["vpcs", "vios", "iol", "c7200", "docker", "linux"] {
        let text = std::fs::read_to_string(tdir.join(format!("{key}.yml"))).unwrap();
        let map = nova_import_eveng::templates::parse_yaml(&text).unwrap();
        templates.insert(
            nova_import_eveng::templates::convert(key, &map)
                .unwrap()
                .template,
        );
    }
    let e = engine_with(
        tempfile::tempdir().unwrap(),
        FakeHost::default(),
        templates.clone(),
    );
    e.engine.create_folder("eve-ng").unwrap();
    let mut imported = Vec::new();
    for path in &unls {
        let stem = path.file_stem().unwrap().to_str().unwrap().to_owned();
        let converted = match convert_unl(&std::fs::read(path).unwrap(), &stem, Limits::default()) {
            Ok(c) => c,
            Err(err) => {
                assert!(
                    REFUSED.contains(&stem.as_str()),
                    "{stem}.unl not converted: {err}"
                );
                continue;
            }
        };
        assert!(
            !REFUSED.contains(&stem.as_str()),
            "{stem}.unl should be refused"
        );
        let lab = converted.lab;
        let id = import_lab(&e.engine, "eve-ng", &stem, &lab.to_json())
            .await
            .unwrap_or_else(|err| panic!("{stem}.unl: labd refused the importer's lab: {err}"));
        assert_eq!(id, lab.id, "{stem}: id kept");
        // Exported as stored: exactly the importer's lab.
        let stored = nova_lab_model::Lab::from_json(&export(&e.engine, &id)).unwrap();
        assert_eq!(
            stored, lab,
            "{stem}: the lab labd stored differs from the import"
        );
        // GetJson: every node (with its runtime view), network and link.
        let snap = e.engine.snapshot(&id).unwrap();
        let got = serde_json::to_value(&snap.lab).unwrap();
        let keys = |v: &serde_json::Value| -> Vec<String> {
            v.as_object()
                .map(|o| o.keys().cloned().collect())
                .unwrap_or_default()
        };
        let node_ids: Vec<String> = lab.nodes.keys().map(|k| k.to_string()).collect();
        let net_ids: Vec<String> = lab.networks.keys().map(|k| k.to_string()).collect();
        assert!(
            !node_ids.is_empty(),
            "{stem}: a lab without nodes proves little"
        );
        assert_eq!(keys(&got["nodes"]), node_ids, "{stem}: nodes");
        assert_eq!(keys(&got["networks"]), net_ids, "{stem}: networks");
        let link_ids: Vec<&str> = got["links"]
            .as_array()
            .map(|l| l.iter().filter_map(|l| l["id"].as_str()).collect())
            .unwrap_or_default();
        let want: Vec<&str> = lab.links.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(link_ids, want, "{stem}: links");
        for node in lab.nodes.values() {
            assert_eq!(
                snap.runtime[&node.id].state,
                NodeState::Stopped,
                "{stem} node {}",
                node.id
            );
        }
        imported.push((id, stem, lab));
    }
    assert!(imported.len() >= 2, "converted fixtures: {imported:?}");

    // A restarted labd loads them from disk as they were.
    let Env {
        dir, host, engine, ..
    } = e;
    drop(engine);
    let e = engine_with(dir, host, templates);
    for (id, stem, lab) in &imported {
        let again = nova_lab_model::Lab::from_json(&export(&e.engine, id)).unwrap();
        assert_eq!(&again, lab, "{stem} after restart");
        e.engine.snapshot(id).unwrap();
    }
}
