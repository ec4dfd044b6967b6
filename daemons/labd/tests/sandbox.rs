//! labd in a real sandbox (systemd 252, dbus, polkit, netd, linux nodes): the D-Bus contract,
//! CRUD through busctl, authorization, hostile input, and two busybox nodes that run as scopes,
//! ping each other, are seen stopped when an administrator stops them, survive a SIGKILL of labd
//! and leave nothing behind when the lab stops.
//!
//! Needs root and the binaries built (`cargo build -p nova-ve-netd -p nova-ve-labd`).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use nova_dbus::lab::{LabProxy, ManagerProxy, NodeProxy};
use nova_test_sandbox::{InsideResult, Sandbox, block_on, inside_fns};

const DEST: &str = "org.novave.Lab1";
const ROOT: &str = "/org/novave/Lab1";

// ---- run inside the sandbox (as the user under test): the D-Bus error name, or "ok" --------

fn outcome<T>(r: nova_dbus::lab::LabResult<T>) -> InsideResult {
    Ok(match r {
        Ok(_) => "ok".to_string(),
        Err(e) => e.error_name(),
    })
}

fn create_lab(a: &[String]) -> InsideResult {
    block_on(async {
        let conn = zbus::Connection::system().await?;
        outcome(
            ManagerProxy::new(&conn)
                .await?
                .create_lab(arg(a, 0), arg(a, 1))
                .await,
        )
    })
}

fn import_lab(a: &[String]) -> InsideResult {
    block_on(async {
        let conn = zbus::Connection::system().await?;
        outcome(
            ManagerProxy::new(&conn)
                .await?
                .import_lab("", arg(a, 0), arg(a, 1))
                .await,
        )
    })
}

fn list_labs(_: &[String]) -> InsideResult {
    block_on(async {
        let conn = zbus::Connection::system().await?;
        outcome(ManagerProxy::new(&conn).await?.list_labs().await)
    })
}

fn add_node(a: &[String]) -> InsideResult {
    block_on(async {
        let conn = zbus::Connection::system().await?;
        let lab = LabProxy::builder(&conn).path(arg(a, 0)).build().await?;
        outcome(lab.add_node(arg(a, 1)).await)
    })
}

/// Starts a node and reports what a client sees: the Event signals' types and the node's
/// State values from PropertiesChanged, until both show "running" (or 5 s pass).
fn watch_start(a: &[String]) -> InsideResult {
    use futures_util::StreamExt;
    block_on(async {
        let conn = zbus::Connection::system().await?;
        let mut events = ManagerProxy::new(&conn).await?.receive_event().await?;
        let node = NodeProxy::builder(&conn).path(arg(a, 0)).build().await?;
        let mut states = node.receive_state_changed().await;
        node.start().await?;
        let (mut seen, mut ev_running, mut prop_running) = (Vec::new(), false, false);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        while !(ev_running && prop_running) {
            tokio::select! {
                Some(ev) = events.next() => {
                    let args = ev.args()?;
                    let v: serde_json::Value = serde_json::from_str(args.json)?;
                    seen.push(format!("event:{}:v{}:{}", args.r#type, v["v"], v["state"].as_str().unwrap_or("")));
                    ev_running |= args.r#type == "node_state" && v["state"] == "running";
                }
                Some(p) = states.next() => {
                    let state = p.get().await?;
                    seen.push(format!("prop:{state}"));
                    prop_running |= state == "running";
                }
                _ = tokio::time::sleep_until(deadline) => break,
            }
        }
        Ok(seen.join(" "))
    })
}

/// Opens the console of node `a[0]` (a D-Bus path) over D-Bus, optionally sets its size
/// (`a[1]` = "ROWSxCOLS"), types `a[2]` and a newline, and reads until `a[3]` shows up
/// (10 s): "found", the D-Bus error name of a refusal, or what was read instead.
fn console_run(a: &[String]) -> InsideResult {
    use std::io::{Read as _, Write as _};
    block_on(async {
        let conn = zbus::Connection::system().await?;
        let node = NodeProxy::builder(&conn).path(arg(a, 0)).build().await?;
        let fd: std::os::fd::OwnedFd = match node.open_console().await {
            Ok(fd) => fd.into(),
            Err(e) => return Ok(e.error_name()),
        };
        if let Some((rows, cols)) = arg(a, 1).split_once('x')
            && let Err(e) = node.resize_console(rows.parse()?, cols.parse()?).await
        {
            return Ok(e.error_name());
        }
        let mut term = std::os::unix::net::UnixStream::from(fd);
        term.write_all(format!("{}\n", arg(a, 2)).as_bytes())?;
        term.set_read_timeout(Some(Duration::from_millis(200)))?;
        let (mut seen, mut buf) = (Vec::new(), [0u8; 4096]);
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            match term.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => seen.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e.into()),
            }
            if String::from_utf8_lossy(&seen).contains(arg(a, 3)) {
                return Ok("found".into());
            }
        }
        Ok(format!(
            "not found; read: {}",
            String::from_utf8_lossy(&seen)
        ))
    })
}

/// Captures interface `a[1]` of node `a[0]` (D-Bus path) over D-Bus while node `a[2]` (PID)
/// pings `a[3]` twice: "icmp=N" (echo packets in the pcap), or the D-Bus error name.
fn capture_ping(a: &[String]) -> InsideResult {
    use tokio::io::AsyncReadExt as _;
    block_on(async {
        let conn = zbus::Connection::system().await?;
        let node = NodeProxy::builder(&conn).path(arg(a, 0)).build().await?;
        let fd: std::os::fd::OwnedFd = match node.capture_interface(arg(a, 1).parse()?).await {
            Ok(fd) => fd.into(),
            Err(e) => return Ok(e.error_name()),
        };
        let ping = std::process::Command::new("nsenter")
            .args([
                "-t",
                arg(a, 2),
                "-n",
                "/bin/busybox",
                "ping",
                "-c",
                "2",
                "-W",
                "2",
            ])
            .arg(arg(a, 3))
            .output()?;
        if !ping.status.success() {
            return Ok(format!("ping failed: {ping:?}"));
        }
        // The pipe stays open while the capture runs: read until it is quiet for 300 ms.
        let mut pcap = tokio::net::unix::pipe::Receiver::from_owned_fd(fd)?;
        let (mut bytes, mut buf) = (Vec::new(), [0u8; 65536]);
        while let Ok(Ok(n @ 1..)) =
            tokio::time::timeout(Duration::from_millis(300), pcap.read(&mut buf)).await
        {
            bytes.extend_from_slice(&buf[..n]);
        }
        if bytes.len() < 24 || bytes[..4] != 0xa1b2_c3d4_u32.to_ne_bytes() {
            return Ok(format!("not a pcap stream: {} bytes", bytes.len()));
        }
        let (mut at, mut icmp) = (24, 0);
        while at + 16 <= bytes.len() {
            let incl = u32::from_ne_bytes(bytes[at + 8..at + 12].try_into()?) as usize;
            let pkt = &bytes[at + 16..(at + 16 + incl).min(bytes.len())];
            if pkt.len() > 23 && pkt[12..14] == [0x08, 0x00] && pkt[23] == 1 {
                icmp += 1;
            }
            at += 16 + incl;
        }
        Ok(format!("icmp={icmp}"))
    })
}

inside_fns!(
    capture_ping,
    create_lab,
    import_lab,
    list_labs,
    add_node,
    watch_start,
    console_run
);

fn inside(sb: &Sandbox, user: &str, f: &str, args: &[&str]) -> String {
    sb.call(user, f, args)
        .unwrap_or_else(|e| panic!("{f} as {user}: {e}"))
}

fn arg(a: &[String], i: usize) -> &str {
    &a[i]
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn boot() -> Sandbox {
    boot_with(Sandbox::builder())
}

fn boot_with(builder: nova_test_sandbox::Builder) -> Sandbox {
    let bins = nova_test_sandbox::paths::bin_dir().expect("target dir");
    for b in ["nova-ve-netd", "nova-ve-labd"] {
        assert!(
            bins.join(b).exists(),
            "{b} not built: run cargo build -p nova-ve-netd -p nova-ve-labd"
        );
    }
    // The sandbox stages units/ (the real, hardened nova-ve-netd.service and labd's unit).
    let sb = builder.boot().unwrap_or_else(|e| panic!("sandbox: {e}"));
    sb.run_ok(&["systemctl", "start", "nova-ve-labd.service"])
        .unwrap_or_else(|e| panic!("start labd: {e}\n{}", sb.journal_tail(80)));
    sb
}

fn busctl(sb: &Sandbox, args: &[&str]) -> Result<String, String> {
    run_as(sb, "root", args)
}

fn run_as(sb: &Sandbox, user: &str, args: &[&str]) -> Result<String, String> {
    let mut argv = vec!["busctl", "--system", "--json=short"];
    argv.extend_from_slice(args);
    let out = sb.run_as(user, &argv).map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn call(
    sb: &Sandbox,
    path: &str,
    iface: &str,
    method: &str,
    sig: &str,
    args: &[&str],
) -> Result<serde_json::Value, String> {
    let mut a = vec!["--timeout=60", "call", DEST, path, iface, method];
    if !sig.is_empty() {
        a.push(sig);
        a.extend_from_slice(args);
    }
    let out = busctl(sb, &a)?;
    Ok(if out.trim().is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(&out).expect("busctl json")
    })
}

fn manager(
    sb: &Sandbox,
    method: &str,
    sig: &str,
    args: &[&str],
) -> Result<serde_json::Value, String> {
    call(sb, ROOT, "org.novave.Lab1.Manager", method, sig, args)
}

fn prop(sb: &Sandbox, path: &str, iface: &str, name: &str) -> serde_json::Value {
    let out = busctl(sb, &["get-property", DEST, path, iface, name]).expect("get-property");
    serde_json::from_str::<serde_json::Value>(&out).unwrap()["data"].clone()
}

/// Normalized members of the interfaces in an introspection XML: "method Name in s folder", …
fn members(xml: &str, only: &[&str]) -> BTreeSet<String> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(xml);
    let (mut out, mut iface, mut member) = (BTreeSet::new(), String::new(), String::new());
    let attr = |e: &quick_xml::events::BytesStart<'_>, k: &str| {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == k)
            .map(|a| a.value.to_string())
            .unwrap_or_default()
    };
    loop {
        match r.read_event() {
            Ok(Event::Start(e)) | Ok(Event::Empty(e)) => {
                let name = e.name().as_ref().to_string();
                match name.as_str() {
                    "interface" => iface = attr(&e, "name"),
                    "method" | "signal" if only.contains(&iface.as_str()) => {
                        member = format!("{iface} {name} {}", attr(&e, "name"));
                        out.insert(member.clone());
                    }
                    "property" if only.contains(&iface.as_str()) => {
                        out.insert(format!(
                            "{iface} property {} {} {}",
                            attr(&e, "name"),
                            attr(&e, "type"),
                            attr(&e, "access")
                        ));
                    }
                    "arg" if only.contains(&iface.as_str()) => {
                        let dir = attr(&e, "direction");
                        let dir = if dir.is_empty() && member.contains(" signal ") {
                            "out".into()
                        } else if dir.is_empty() {
                            "in".into()
                        } else {
                            dir
                        };
                        out.insert(format!(
                            "{member} arg {dir} {} {}",
                            attr(&e, "type"),
                            attr(&e, "name")
                        ));
                    }
                    _ => {}
                }
            }
            Ok(Event::Eof) => break,
            Err(e) => panic!("xml: {e}"),
            _ => {}
        }
    }
    out
}

fn contract(file: &str, iface: &str) -> BTreeSet<String> {
    members(
        &std::fs::read_to_string(repo().join("dbus-interfaces").join(file)).unwrap(),
        &[iface],
    )
}

fn exported(sb: &Sandbox, path: &str, iface: &str) -> BTreeSet<String> {
    let xml = sb
        .run_ok(&[
            "busctl",
            "--system",
            "introspect",
            "--xml-interface",
            DEST,
            path,
        ])
        .unwrap();
    members(&xml, &[iface])
}

fn wait_until(what: &str, limit: Duration, mut f: impl FnMut() -> bool) -> Duration {
    let t = Instant::now();
    while !f() {
        assert!(t.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
    t.elapsed()
}

fn labs_on_disk(sb: &Sandbox) -> String {
    sb.run_ok(&["sh", "-c", "cd /var/lib/nova-ve/labs && find . | sort"])
        .unwrap()
}

#[test]
fn contract_crud_authorization_and_hostile_input() {
    let sb = boot();
    // netd runs under the project's real, hardened unit (not a test stand-in).
    let netd = sb
        .run_ok(&[
            "systemctl",
            "show",
            "-p",
            "FragmentPath",
            "-p",
            "ProtectSystem",
            "-p",
            "NoNewPrivileges",
            "nova-ve-netd.service",
        ])
        .unwrap();
    assert!(
        netd.contains("units/nova-ve-netd.service")
            && netd.contains("ProtectSystem=strict")
            && netd.contains("NoNewPrivileges=yes"),
        "{netd}"
    );
    // Exported interfaces match the XML contract.
    let created = manager(&sb, "CreateLab", "ss", &["", "first"]).unwrap();
    let lab_path = created["data"][1].as_str().unwrap().to_string();
    let lab_id = created["data"][0].as_str().unwrap().to_string();
    let node = call(
        &sb,
        &lab_path,
        "org.novave.Lab1.Lab",
        "AddNode",
        "s",
        &[r#"{"name":"h","template":"host"}"#],
    )
    .unwrap();
    let node_path = node["data"][1].as_str().unwrap().to_string();
    for (file, iface, path) in [
        (
            "org.novave.Lab1.Manager.xml",
            "org.novave.Lab1.Manager",
            ROOT,
        ),
        (
            "org.novave.Lab1.Lab.xml",
            "org.novave.Lab1.Lab",
            lab_path.as_str(),
        ),
        (
            "org.novave.Lab1.Node.xml",
            "org.novave.Lab1.Node",
            node_path.as_str(),
        ),
    ] {
        let (want, got) = (contract(file, iface), exported(&sb, path, iface));
        assert!(!want.is_empty());
        assert_eq!(got, want, "{iface}: exported differs from {file}");
    }
    // busctl tree shows the lab and its node.
    let tree = sb
        .run_ok(&["busctl", "--system", "tree", "--list", DEST])
        .unwrap();
    assert!(
        tree.contains(&lab_path) && tree.contains(&node_path),
        "{tree}"
    );
    // ListLabs, GetJson.
    let labs = manager(&sb, "ListLabs", "", &[]).unwrap();
    assert_eq!(labs["data"][0][0][0], lab_id.as_str());
    let json = call(&sb, &lab_path, "org.novave.Lab1.Lab", "GetJson", "", &[]).unwrap();
    assert!(json["data"][0].as_str().unwrap().contains("runtime_state"));

    // A client sees the start as Event signals (versioned) and PropertiesChanged of State.
    let seen = inside(&sb, "root", "watch_start", &[&node_path]);
    assert!(seen.contains("event:node_state:v1:starting"), "{seen}");
    assert!(seen.contains("event:node_state:v1:running"), "{seen}");
    assert!(seen.contains("prop:running"), "{seen}");

    // nobody: AccessDenied for reads and writes, nothing changes.
    let before = labs_on_disk(&sb);
    const DENIED: &str = "org.novave.Lab1.Error.AccessDenied";
    assert_eq!(inside(&sb, "nobody", "create_lab", &["", "x"]), DENIED);
    assert_eq!(inside(&sb, "nobody", "list_labs", &[]), DENIED);
    assert_eq!(
        inside(
            &sb,
            "nobody",
            "add_node",
            &[&lab_path, r#"{"name":"x","template":"host"}"#]
        ),
        DENIED
    );
    assert_eq!(inside(&sb, "root", "list_labs", &[]), "ok");
    assert_eq!(labs_on_disk(&sb), before);

    // Hostile names and JSON: named errors, nothing changes.
    const INVALID: &str = "org.novave.Lab1.Error.InvalidArgs";
    for (folder, name) in [
        ("", "../../etc/passwd"),
        ("/etc", "x"),
        ("..", "x"),
        ("", "a/b"),
        ("", ""),
        ("", "x\u{1}"),
    ] {
        assert_eq!(
            inside(&sb, "root", "create_lab", &[folder, name]),
            INVALID,
            "{folder:?} {name:?}"
        );
    }
    assert_eq!(
        inside(&sb, "root", "create_lab", &["", "first"]),
        "org.novave.Lab1.Error.AlreadyExists"
    );
    let dangling = r#"{"schema":2,"id":"x","meta":{"name":"x"},"links":[{"id":"l","from":{"node_id":1,"interface_index":0},"to":{"network_id":9}}]}"#;
    for json in ["{", "[1]", dangling] {
        assert_eq!(
            inside(&sb, "root", "import_lab", &["bad", json]),
            INVALID,
            "{json}"
        );
    }
    for spec in [
        r#"{"name":"x","template":"host","command":"sh"}"#,
        r#"{"name":"x","template":"host","image":"../../x"}"#,
    ] {
        assert_eq!(
            inside(&sb, "root", "add_node", &[&lab_path, spec]),
            INVALID,
            "{spec}"
        );
    }
    assert_eq!(labs_on_disk(&sb), before);

    // Delete removes the objects.
    manager(&sb, "DeleteLab", "s", &[&lab_id]).unwrap();
    wait_until("lab object gone", Duration::from_secs(2), || {
        !sb.run_ok(&["busctl", "--system", "tree", "--list", DEST])
            .unwrap()
            .contains(&lab_path)
    });
}

const PAIR: &str = r#"{"schema":2,"id":"pair-lab","meta":{"name":"pair"},
 "nodes":{
  "1":{"id":1,"name":"h1","type":"linux","template":"host","ethernet":1,"extras":{"addresses":{"eth0":["10.9.0.1/24"]}}},
  "2":{"id":2,"name":"h2","type":"linux","template":"host","ethernet":1,"extras":{"addresses":{"eth0":["10.9.0.2/24"]}}}},
 "networks":{"1":{"id":1,"name":"wire","type":"linux_bridge","implicit":true,"visibility":false}},
 "links":[{"id":"lnk_001","from":{"node_id":1,"interface_index":0},"to":{"network_id":1}},
          {"id":"lnk_002","from":{"node_id":2,"interface_index":0},"to":{"network_id":1}}]}"#;

fn node_path(n: u32) -> String {
    nova_dbus::lab::node_path("pair-lab", n)
}

fn state(sb: &Sandbox, n: u32) -> String {
    prop(sb, &node_path(n), "org.novave.Lab1.Node", "State")
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn pid(sb: &Sandbox, n: u32) -> u64 {
    prop(sb, &node_path(n), "org.novave.Lab1.Node", "MainPid")
        .as_u64()
        .unwrap()
}

fn ping(sb: &Sandbox, from: u32, to: &str) -> bool {
    let p = pid(sb, from).to_string();
    let out = sb
        .run(&[
            "nsenter",
            "-t",
            &p,
            "-n",
            "/bin/busybox",
            "ping",
            "-c",
            "1",
            "-W",
            "2",
            to,
        ])
        .unwrap();
    out.status.success()
}

fn node_units(sb: &Sandbox) -> String {
    sb.run_ok(&[
        "systemctl",
        "list-units",
        "--all",
        "--plain",
        "--no-legend",
        "nova-node-*",
    ])
    .unwrap()
}

#[test]
fn linux_nodes_run_ping_survive_labd_and_clean_up() {
    let sb = boot();
    let imported = manager(&sb, "ImportLab", "sss", &["", "pair", PAIR]).unwrap();
    let lab_path = imported["data"][1].as_str().unwrap().to_string();
    let t = Instant::now();
    let failed = call(&sb, &lab_path, "org.novave.Lab1.Lab", "StartAll", "", &[]).unwrap();
    let start_time = t.elapsed();
    assert_eq!(
        failed["data"][0],
        serde_json::json!([]),
        "{failed}\n{}",
        sb.journal("nova-ve-labd.service").unwrap()
    );
    eprintln!("StartAll of 2 linux nodes: {start_time:?}");
    for n in [1, 2] {
        assert_eq!(state(&sb, n), "running");
        let unit = format!("nova-node-pair_lab-{n}.scope");
        let status = sb
            .run_ok(&["systemctl", "status", "--no-pager", &unit])
            .unwrap();
        assert!(status.contains("active (running)"), "{status}");
        assert!(status.contains("nova.slice"), "{status}");
    }
    wait_until("ping h1 -> h2", Duration::from_secs(10), || {
        ping(&sb, 1, "10.9.0.2")
    });
    let ifs = prop(&sb, &node_path(2), "org.novave.Lab1.Node", "Interfaces");
    assert_eq!(
        ifs[0][3].as_str().unwrap_or_default().len(),
        17,
        "live MAC after start: {ifs}"
    );

    // An administrator stops a node: labd shows it stopped within a second, from signals.
    sb.run_ok(&["systemctl", "stop", "nova-node-pair_lab-2.scope"])
        .unwrap();
    let seen = wait_until("node 2 stopped", Duration::from_secs(1), || {
        state(&sb, 2) == "stopped"
    });
    eprintln!("systemctl stop seen by labd after {seen:?}");
    call(&sb, &node_path(2), "org.novave.Lab1.Node", "Start", "", &[]).unwrap();
    // From the restarted node: its fresh veth has a new MAC that h1 learns from its ARP request.
    wait_until("ping again", Duration::from_secs(10), || {
        ping(&sb, 2, "10.9.0.1")
    });
    let pids = (pid(&sb, 1), pid(&sb, 2));

    // Capture over D-Bus (labd → netd on the host side of h1's eth0): h2's pings to h1 are in
    // it, both ways; an unwired interface is a Conflict.
    let n2pid = pid(&sb, 2).to_string();
    let got = inside(
        &sb,
        "root",
        "capture_ping",
        &[&node_path(1), "0", &n2pid, "10.9.0.1"],
    );
    assert!(
        got.strip_prefix("icmp=")
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n >= 4),
        "two echo requests and two replies captured: {got}"
    );
    assert_eq!(
        inside(
            &sb,
            "root",
            "capture_ping",
            &[&node_path(1), "7", &n2pid, "10.9.0.1"]
        ),
        "org.novave.Lab1.Error.NotFound"
    );
    assert_eq!(
        inside(
            &sb,
            "nobody",
            "capture_ping",
            &[&node_path(1), "0", &n2pid, "10.9.0.1"]
        ),
        "org.novave.Lab1.Error.AccessDenied"
    );

    // The console over D-Bus: a shell in the node, its window size, refused to others.
    let n1 = node_path(1);
    assert_eq!(
        prop(&sb, &n1, "org.novave.Lab1.Node", "Console"),
        serde_json::json!("pty")
    );
    let typed = "echo console-$((6*7)); stty size; hostname";
    assert_eq!(
        inside(&sb, "root", "console_run", &[&n1, "", typed, "console-42"]),
        "found"
    );
    assert_eq!(
        inside(
            &sb,
            "root",
            "console_run",
            &[&n1, "41x101", "stty size", "41 101"]
        ),
        "found"
    );
    assert_eq!(
        inside(&sb, "nobody", "console_run", &[&n1, "", "id", "uid="]),
        "org.novave.Lab1.Error.AccessDenied"
    );
    let stopped = r#"{"schema":2,"id":"idle","meta":{"name":"idle"},"nodes":{"1":{"id":1,"name":"i","type":"linux","template":"host"}}}"#;
    manager(&sb, "ImportLab", "sss", &["", "idle", stopped]).unwrap();
    assert_eq!(
        inside(
            &sb,
            "root",
            "console_run",
            &[&nova_dbus::lab::node_path("idle", 1), "", "id", "uid="]
        ),
        "org.novave.Lab1.Error.Conflict"
    );

    // A second lab with a running node, whose file will vanish while labd is down.
    let orphan = r#"{"schema":2,"id":"orphan","meta":{"name":"orphan"},"nodes":{"1":{"id":1,"name":"o","type":"linux","template":"host"}}}"#;
    let o = manager(&sb, "ImportLab", "sss", &["", "orphan", orphan]).unwrap();
    call(
        &sb,
        o["data"][1].as_str().unwrap(),
        "org.novave.Lab1.Lab",
        "StartAll",
        "",
        &[],
    )
    .unwrap();
    assert!(node_units(&sb).contains("nova-node-orphan-1.scope"));

    // SIGKILL labd: nodes keep running in their scopes.
    sb.run_ok(&["systemctl", "kill", "--signal=KILL", "nova-ve-labd.service"])
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    assert!(
        node_units(&sb).matches("running").count() >= 3,
        "{}",
        node_units(&sb)
    );

    // Drift while labd is down: node 2 lost its veth; the orphan lab's file was deleted.
    let veth2 = nova_ve_labd::naming::LabKey::of("pair-lab")
        .veth_name(2, 0)
        .unwrap();
    let del = [
        "busctl",
        "--system",
        "call",
        "org.novave.Net1",
        "/org/novave/Net1",
        "org.novave.Net1",
        "DeleteInterface",
        "s",
        &veth2,
    ];
    sb.run_as_ok("nova-ve", &del).unwrap();
    sb.run_ok(&["rm", "/var/lib/nova-ve/labs/orphan.json"])
        .unwrap();

    // A new labd re-derives the state: same processes, orphan stopped, veth re-created.
    sb.run_ok(&["systemctl", "restart", "nova-ve-labd.service"])
        .unwrap();
    assert_eq!(
        (pid(&sb, 1), pid(&sb, 2)),
        pids,
        "same processes, no duplicates"
    );
    assert_eq!(
        (state(&sb, 1), state(&sb, 2)),
        ("running".into(), "running".into())
    );
    // The console outlived labd: the replay still holds what was typed before, and it works.
    assert_eq!(
        inside(&sb, "root", "console_run", &[&n1, "", "", "console-42"]),
        "found"
    );
    assert_eq!(
        inside(
            &sb,
            "root",
            "console_run",
            &[&n1, "", "echo after-$((7*7))", "after-49"]
        ),
        "found"
    );
    let journal = sb.journal("nova-ve-labd.service").unwrap();
    assert!(
        journal.contains("OpenConsole on /org/novave/Lab1/lab/pair_2dlab/node/1 by uid 0"),
        "labd journals console opens with the caller's uid: {journal}"
    );
    assert!(
        !node_units(&sb).contains("orphan"),
        "orphan unit left: {}",
        node_units(&sb)
    );
    let ifs = prop(&sb, &node_path(2), "org.novave.Lab1.Node", "Interfaces");
    assert_eq!(ifs[0][5], veth2.as_str(), "veth re-created: {ifs}");
    let journal = sb.journal("nova-ve-labd.service").unwrap();
    assert!(
        journal.contains("1 orphan units stopped, 1 interfaces re-created"),
        "{journal}"
    );
    wait_until(
        "ping over the re-created veth",
        Duration::from_secs(10),
        || ping(&sb, 2, "10.9.0.1"),
    );
    assert!(ping(&sb, 1, "10.9.0.2"));
    let ifs = prop(&sb, &node_path(1), "org.novave.Lab1.Node", "Interfaces");
    let live_mac = ifs[0][3].as_str().unwrap_or_default().to_string();
    assert_eq!(live_mac.len(), 17, "live MAC of eth0: {ifs}");
    assert_eq!(node_units(&sb).lines().count(), 2, "{}", node_units(&sb));

    // Stop the lab: no units, interfaces or node processes left.
    let failed = call(&sb, &lab_path, "org.novave.Lab1.Lab", "StopAll", "", &[]).unwrap();
    assert_eq!(failed["data"][0], serde_json::json!([]));
    assert_eq!(node_units(&sb).trim(), "", "units left");
    let links = sb.run_ok(&["ip", "-o", "link"]).unwrap();
    assert!(
        !links.lines().any(|l| l.contains(": nv")),
        "interfaces left: {links}"
    );
    for p in [pids.0, pids.1] {
        assert!(
            !Path::new(&format!("/proc/{p}")).exists()
                || sb
                    .run(&["kill", "-0", &p.to_string()])
                    .map(|o| !o.status.success())
                    .unwrap_or(true),
            "process {p} left"
        );
    }
}

fn lab_call(sb: &Sandbox, lab: &str, method: &str, sig: &str, args: &[&str]) -> serde_json::Value {
    call(sb, lab, "org.novave.Lab1.Lab", method, sig, args)
        .unwrap_or_else(|e| panic!("{method}: {e}"))
}

fn ping_rtt_ms(sb: &Sandbox, lab_id: &str, from: u32, to: &str) -> Option<f64> {
    let path = nova_dbus::lab::node_path(lab_id, from);
    let p = prop(sb, &path, "org.novave.Lab1.Node", "MainPid")
        .as_u64()?
        .to_string();
    let out = sb
        .run(&[
            "nsenter",
            "-t",
            &p,
            "-n",
            "/bin/busybox",
            "ping",
            "-c",
            "1",
            "-W",
            "2",
            to,
        ])
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let t = text.split("time=").nth(1)?.split(' ').next()?;
    out.status.success().then(|| t.parse().ok()).flatten()
}

#[test]
fn hot_links_netem_journal_and_cgroups() {
    let sb = boot();
    let created = manager(&sb, "CreateLab", "ss", &["", "hot"]).unwrap();
    let (lab_id, lab) = (
        created["data"][0].as_str().unwrap().to_string(),
        created["data"][1].as_str().unwrap().to_string(),
    );
    for (name, ip) in [("a", "10.7.0.1/24"), ("b", "10.7.0.2/24")] {
        let spec = format!(
            r#"{{"name":"{name}","template":"host","extras":{{"addresses":{{"eth0":["{ip}"]}}}}}}"#
        );
        lab_call(&sb, &lab, "AddNode", "s", &[&spec]);
    }
    let failed = lab_call(&sb, &lab, "StartAll", "", &[]);
    assert_eq!(failed["data"][0], serde_json::json!([]));

    // The node runs in its scope (not in labd's cgroup) and its output is in the unit's journal.
    let unit = format!(
        "nova-node-{}-1.scope",
        nova_ve_labd::naming::LabKey::of(&lab_id).unit
    );
    let p = prop(
        &sb,
        &nova_dbus::lab::node_path(&lab_id, 1),
        "org.novave.Lab1.Node",
        "MainPid",
    )
    .as_u64()
    .unwrap();
    let cgroup = sb.run_ok(&["cat", &format!("/proc/{p}/cgroup")]).unwrap();
    assert!(cgroup.contains(&format!("nova.slice/{unit}")), "{cgroup}");

    // Hot attach: a network and two links added to running nodes carry traffic.
    let net = lab_call(&sb, &lab, "AddNetwork", "s", &[r#"{"name":"lan"}"#])["data"][0]
        .as_u64()
        .unwrap()
        .to_string();
    let mut links = Vec::new();
    for n in [1, 2] {
        let spec = format!(
            r#"{{"from":{{"node_id":{n},"interface_index":0}},"to":{{"network_id":{net}}}}}"#
        );
        links.push(
            lab_call(&sb, &lab, "AddLink", "s", &[&spec])["data"][0]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    wait_until(
        "ping over the hot-added links",
        Duration::from_secs(10),
        || ping_rtt_ms(&sb, &lab_id, 1, "10.7.0.2").is_some(),
    );
    wait_until(
        "journal has the node's output",
        Duration::from_secs(5),
        || {
            sb.journal(&unit)
                .map(|j| j.contains("nova-node"))
                .unwrap_or(false)
        },
    );

    // Link metrics: netem on the host end, live (where the kernel has sch_netem).
    match call(
        &sb,
        &lab,
        "org.novave.Lab1.Lab",
        "SetLinkMetrics",
        "suudu",
        &[&links[1], "100", "0", "0", "0"],
    ) {
        Ok(_) => {
            let qdisc = sb.run_ok(&["tc", "qdisc", "show"]).unwrap_or_default();
            assert!(qdisc.contains("netem"), "{qdisc}");
            let rtt = (0..5)
                .filter_map(|_| ping_rtt_ms(&sb, &lab_id, 1, "10.7.0.2"))
                .fold(0.0, f64::max);
            assert!(rtt >= 100.0, "rtt {rtt} ms with 100 ms delay");
            eprintln!("netem: ping RTT {rtt} ms with a 100 ms delay");
        }
        Err(e) => {
            eprintln!("netem not available here: {e}");
            assert!(
                e.contains("NotSupported") && e.contains("CONFIG_NET_SCH_NETEM"),
                "{e}"
            );
            let json = lab_call(&sb, &lab, "GetJson", "", &[]).to_string();
            assert!(
                !json.contains("delay_ms"),
                "metrics stored although not applied"
            );
        }
    }

    // Hot detach: deleting a link stops the traffic and removes its veth.
    lab_call(&sb, &lab, "DeleteLink", "s", &[&links[1]]);
    assert!(
        ping_rtt_ms(&sb, &lab_id, 1, "10.7.0.2").is_none(),
        "traffic after DeleteLink"
    );
    let ifs = prop(
        &sb,
        &nova_dbus::lab::node_path(&lab_id, 2),
        "org.novave.Lab1.Node",
        "Interfaces",
    );
    assert_eq!(ifs[0][5], "", "host veth of node 2 after DeleteLink: {ifs}");

    // Deleting the lab stops its nodes first and leaves nothing.
    manager(&sb, "DeleteLab", "s", &[&lab_id]).unwrap();
    assert_eq!(node_units(&sb).trim(), "");
    let links = sb.run_ok(&["ip", "-o", "link"]).unwrap();
    assert!(
        !links.lines().any(|l| l.contains(": nv")),
        "interfaces left: {links}"
    );
}

/// SetLinkMetrics with the real netd on this kernel: random loss (cls_bpf where there is no
/// sch_netem) and rate (tbf) apply live and from the start path; delay is NotSupported naming
/// CONFIG_NET_SCH_NETEM with nothing stored where netem is missing.
#[test]
fn link_metrics_loss_and_rate_live_and_at_start() {
    let sb = boot();
    let id = "metrics-lab";
    let lab_json = PAIR.replace("pair-lab", id).replace("10.9.0.", "10.6.0.");
    let lab = manager(&sb, "ImportLab", "sss", &["", "metrics", &lab_json]).unwrap()["data"][1]
        .as_str()
        .unwrap()
        .to_string();
    let failed = lab_call(&sb, &lab, "StartAll", "", &[]);
    assert_eq!(failed["data"][0], serde_json::json!([]), "{failed}");
    let pings = || ping_rtt_ms(&sb, id, 1, "10.6.0.2").is_some();
    wait_until("first ping", Duration::from_secs(10), pings);
    // The impairment acts on the host end of node 2's veth: what is sent towards h2.
    let veth = nova_ve_labd::naming::LabKey::of(id)
        .veth_name(2, 0)
        .unwrap();
    let qdisc = || {
        sb.run_ok(&["tc", "qdisc", "show", "dev", &veth])
            .unwrap_or_else(|e| panic!("tc: {e}"))
    };
    let set = |delay: &str, loss: &str, kbps: &str| {
        call(
            &sb,
            &lab,
            "org.novave.Lab1.Lab",
            "SetLinkMetrics",
            "suudu",
            &["lnk_002", delay, "0", loss, kbps],
        )
    };
    let stored = || {
        let v: serde_json::Value = serde_json::from_str(
            lab_call(&sb, &lab, "GetJson", "", &[])["data"][0]
                .as_str()
                .unwrap(),
        )
        .unwrap();
        v["links"][1]["metrics"].clone()
    };

    // 100 % loss: every ping is lost; back to 0: pings pass again.
    set("0", "100", "0").unwrap();
    let has_netem = qdisc().contains("netem");
    if !has_netem {
        assert!(qdisc().contains("clsact"), "loss filter: {}", qdisc());
    }
    assert!(
        (0..3).all(|_| ping_rtt_ms(&sb, id, 1, "10.6.0.2").is_none()),
        "ping passed with 100 % loss"
    );
    assert_eq!(stored()["loss_pct"], 100.0);
    set("0", "0", "0").unwrap();
    wait_until("ping with loss 0", Duration::from_secs(5), pings);
    assert!(
        !qdisc().contains("clsact") && !qdisc().contains("netem"),
        "{}",
        qdisc()
    );

    // A rate: tbf (or netem's rate) on the host veth; traffic still flows.
    set("0", "0", "1000").unwrap();
    let q = qdisc();
    if has_netem {
        assert!(q.contains("netem") && q.contains("rate 1Mbit"), "{q}");
    } else {
        assert!(q.contains("qdisc tbf") && q.contains("rate 1Mbit"), "{q}");
    }
    assert!(pings(), "ping through a 1 Mbit/s link");
    assert_eq!(stored()["bandwidth_kbps"], 1000);

    // Delay: applied where the kernel has netem, else NotSupported with nothing changed.
    match set("50", "0", "1000") {
        Ok(_) => assert!(has_netem, "delay accepted without netem: {}", qdisc()),
        Err(e) => {
            assert!(!has_netem, "{e}");
            assert!(
                e.contains("NotSupported") && e.contains("CONFIG_NET_SCH_NETEM"),
                "{e}"
            );
            assert_eq!(stored()["delay_ms"], 0, "nothing stored");
            assert!(qdisc().contains("qdisc tbf"), "tbf kept: {}", qdisc());
        }
    }

    // Start path: the stored rate is set on the fresh veth when the node starts again.
    call(
        &sb,
        &nova_dbus::lab::node_path(id, 2),
        "org.novave.Lab1.Node",
        "Stop",
        "",
        &[],
    )
    .unwrap();
    call(
        &sb,
        &nova_dbus::lab::node_path(id, 2),
        "org.novave.Lab1.Node",
        "Start",
        "",
        &[],
    )
    .unwrap();
    let q = qdisc();
    assert!(q.contains("rate 1Mbit"), "after restart: {q}");
    // From h2: its fresh veth has a new MAC, which h1 learns from h2's ARP request.
    wait_until("ping after restart", Duration::from_secs(10), || {
        ping_rtt_ms(&sb, id, 2, "10.6.0.1").is_some()
    });
    let node2 = prop(
        &sb,
        &nova_dbus::lab::node_path(id, 2),
        "org.novave.Lab1.Node",
        "State",
    );
    assert_eq!(node2, "running");

    let failed = lab_call(&sb, &lab, "StopAll", "", &[]);
    assert_eq!(failed["data"][0], serde_json::json!([]));
    assert_eq!(node_units(&sb).trim(), "");
}

/// Importer → labd over D-Bus: the EVE-NG fixture labs the importer converts are imported with
/// ImportLab (the VPCS template as the importer writes it into labd's templates dir), read
/// back with GetJson with all nodes, networks and links, and the imported VPCS node runs.
#[test]
fn eveng_labs_import_over_dbus_and_their_vpcs_runs() {
    use nova_import_eveng::{convert::convert_unl, templates, xmltree::Limits};
    let fixtures = repo().join("importer/tests/fixtures");
    let text = std::fs::read_to_string(fixtures.join("templates/vpcs.yml")).unwrap();
    let vpcs = templates::convert("vpcs", &templates::parse_yaml(&text).unwrap())
        .unwrap()
        .template;
    let tdir = tempfile::tempdir().unwrap();
    let tfile = tdir.path().join("vpcs.json");
    std::fs::write(&tfile, serde_json::to_string(&vpcs).unwrap()).unwrap();
    let sb =
        boot_with(Sandbox::builder().file(&tfile, "/var/lib/nova-ve/templates/linux/vpcs.json"));
    for stem in ["full", "p2p"] {
        let bytes = std::fs::read(fixtures.join(format!("labs/{stem}.unl"))).unwrap();
        let lab = convert_unl(&bytes, stem, Limits::default()).unwrap().lab;
        let out = manager(&sb, "ImportLab", "sss", &["", stem, &lab.to_json()])
            .unwrap_or_else(|e| panic!("ImportLab {stem}: {e}"));
        assert_eq!(out["data"][0], lab.id.as_str());
        let path = out["data"][1].as_str().unwrap().to_string();
        let got = lab_call(&sb, &path, "GetJson", "", &[]);
        let got: serde_json::Value =
            serde_json::from_str(got["data"][0].as_str().unwrap()).unwrap();
        let keys = |v: &serde_json::Value| -> Vec<String> {
            v.as_object().unwrap().keys().cloned().collect()
        };
        let nodes: Vec<String> = lab.nodes.keys().cloned().collect();
        let nets: Vec<String> = lab.networks.keys().cloned().collect();
        assert_eq!(keys(&got["nodes"]), nodes, "{stem}: nodes");
        assert_eq!(keys(&got["networks"]), nets, "{stem}: networks");
        let links: Vec<&str> = got["links"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap())
            .collect();
        let want: Vec<&str> = lab.links.iter().map(|l| l.id.as_str()).collect();
        assert_eq!(links, want, "{stem}: links");
        if stem == "full" {
            // Node 1 is the VPCS: a linux busybox host now, on network 1.
            let node = nova_dbus::lab::node_path(&lab.id, 1);
            call(&sb, &node, "org.novave.Lab1.Node", "Start", "", &[])
                .unwrap_or_else(|e| panic!("start the imported VPCS: {e}"));
            let state = prop(&sb, &node, "org.novave.Lab1.Node", "State");
            assert_eq!(state, "running");
            lab_call(&sb, &path, "StopAll", "", &[]);
        }
    }
    assert_eq!(node_units(&sb).trim(), "");
}

/// polkit/50-nova-ve.rules lets the nova-ve user stop node units with systemd's StopUnit — and
/// nothing else: not other units, not other verbs.
#[test]
fn nova_ve_may_stop_node_units_only() {
    let sb = boot();
    let lab = manager(&sb, "ImportLab", "sss", &["", "stop", r#"{"schema":2,"id":"stop","meta":{"name":"s"},"nodes":{"1":{"id":1,"name":"n","type":"linux","template":"host"}}}"#])
        .unwrap()["data"][1]
        .as_str()
        .unwrap()
        .to_string();
    lab_call(&sb, &lab, "StartAll", "", &[]);
    let systemd = |verb: &str, unit: &str| {
        let args = [
            "busctl",
            "--system",
            "call",
            "org.freedesktop.systemd1",
            "/org/freedesktop/systemd1",
            "org.freedesktop.systemd1.Manager",
            verb,
            "ss",
            unit,
            "replace",
        ];
        sb.run_as("nova-ve", &args).unwrap()
    };
    for (verb, unit) in [
        ("StopUnit", "polkit.service"),
        ("StopUnit", "dbus.service"),
        ("RestartUnit", "nova-node-stop-1.scope"),
    ] {
        let out = systemd(verb, unit);
        assert!(!out.status.success(), "{verb} {unit} was allowed");
        // Refused by polkit: "Access denied" or, with no agent, "Interactive authentication
        // required" (the action's default for everyone the rules do not grant).
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("denied") || err.contains("authentication required"),
            "{verb} {unit}: {err}"
        );
    }
    let out = systemd("StopUnit", "nova-node-stop-1.scope");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_until("node stopped", Duration::from_secs(2), || {
        prop(
            &sb,
            &nova_dbus::lab::node_path("stop", 1),
            "org.novave.Lab1.Node",
            "State",
        ) == "stopped"
    });
}
