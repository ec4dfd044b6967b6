//! labd start/stop figures in a real sandbox (systemd 252, dbus, polkit, netd under its real
//! unit): `LABD_BENCH_NODES` (default 100) busybox hosts in a ring, 150 links for 100 nodes.
//! A bench target, not an ignored test, so `cargo nextest run` shows nothing skipped.
//!
//! ```sh
//! cargo build --release -p nova-ve-netd -p nova-ve-labd   # the sandbox runs these
//! cargo bench -p nova-ve-labd --bench start_stop          # or: make bench-labd-engine
//! ```
//!
//! Needs root. The sandbox takes netd and labd from the bench's own profile dir
//! (`target/release`), or from `NOVA_SANDBOX_BIN_DIR`.

use std::time::Instant;

use nova_test_sandbox::Sandbox;

const DEST: &str = "org.novave.Lab1";
const ROOT: &str = "/org/novave/Lab1";

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` runs the target without it, and a
    // 100-node boot is no smoke test.
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("start_stop: run with cargo bench -p nova-ve-labd --bench start_stop");
        return;
    }
    bench_100_nodes_150_links();
}

fn boot() -> Sandbox {
    let bins = nova_test_sandbox::paths::bin_dir().expect("target dir");
    for b in ["nova-ve-netd", "nova-ve-labd"] {
        assert!(
            bins.join(b).exists(),
            "{b} not in {}: run cargo build --release -p nova-ve-netd -p nova-ve-labd",
            bins.display()
        );
    }
    let sb = Sandbox::boot().unwrap_or_else(|e| panic!("sandbox: {e}"));
    sb.run_ok(&["systemctl", "start", "nova-ve-labd.service"])
        .unwrap_or_else(|e| panic!("start labd: {e}\n{}", sb.journal_tail(80)));
    sb
}

fn call(
    sb: &Sandbox,
    path: &str,
    iface: &str,
    method: &str,
    sig: &str,
    args: &[&str],
) -> Result<serde_json::Value, String> {
    let mut a = vec![
        "busctl",
        "--system",
        "--json=short",
        "--timeout=120",
        "call",
        DEST,
        path,
        iface,
        method,
    ];
    if !sig.is_empty() {
        a.push(sig);
        a.extend_from_slice(args);
    }
    let out = sb.run(&a).map_err(|e| e.to_string())?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let out = String::from_utf8_lossy(&out.stdout);
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

fn lab_call(sb: &Sandbox, lab: &str, method: &str, sig: &str, args: &[&str]) -> serde_json::Value {
    call(sb, lab, "org.novave.Lab1.Lab", method, sig, args)
        .unwrap_or_else(|e| panic!("{method}: {e}"))
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

/// 100 busybox hosts, a ring of 100 node-to-node links plus 50 links to 10 shared networks.
fn ring_lab(count: u32) -> String {
    let mut nodes = serde_json::Map::new();
    let mut networks = serde_json::Map::new();
    let mut links = Vec::new();
    for i in 1..=count {
        nodes.insert(i.to_string(), serde_json::json!({"id": i, "name": format!("h{i}"), "type": "linux", "template": "host", "ethernet": 3}));
        networks.insert(i.to_string(), serde_json::json!({"id": i, "name": format!("implicit-{i}"), "type": "linux_bridge", "implicit": true, "visibility": false}));
        links.push(serde_json::json!({"id": format!("lnk_{:03}", 2 * i - 1), "from": {"node_id": i, "interface_index": 0}, "to": {"network_id": i}}));
        links.push(serde_json::json!({"id": format!("lnk_{:03}", 2 * i), "from": {"node_id": i % count + 1, "interface_index": 1}, "to": {"network_id": i}}));
    }
    for n in count + 1..=count + 10 {
        networks.insert(
            n.to_string(),
            serde_json::json!({"id": n, "name": format!("lan{n}"), "type": "linux_bridge"}),
        );
    }
    for i in 1..=count / 2 {
        links.push(serde_json::json!({"id": format!("lnk_{}", 200 + i), "from": {"node_id": i, "interface_index": 2}, "to": {"network_id": count + 1 + i % 10}}));
    }
    serde_json::json!({"schema": 2, "id": "bench-100", "meta": {"name": "bench"}, "nodes": nodes, "networks": networks, "links": links}).to_string()
}

fn bench_count() -> u32 {
    std::env::var("LABD_BENCH_NODES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100)
}

/// Start and stop times of a 100-node linux lab with 150 links (every node running and every
/// link wired).
fn bench_100_nodes_150_links() {
    let sb = boot();
    sb.run_ok(&[
        "systemctl",
        "set-environment",
        "RUST_LOG=nova_ve_labd=debug",
    ])
    .unwrap();
    sb.run_ok(&["systemctl", "restart", "nova-ve-labd"])
        .unwrap();
    let lab = manager(
        &sb,
        "ImportLab",
        "sss",
        &["", "bench", &ring_lab(bench_count())],
    )
    .unwrap()["data"][1]
        .as_str()
        .unwrap()
        .to_string();
    let t = Instant::now();
    let failed = match call(&sb, &lab, "org.novave.Lab1.Lab", "StartAll", "", &[]) {
        Ok(f) => f,
        Err(e) => {
            let mut j = String::new();
            for cmd in [
                "systemctl show nova-ve-labd -p TasksCurrent -p TasksMax -p MainPID",
                "ps -u nova-ve -o pid,ppid,stat,wchan:30,cmd | head -40",
                "cat /proc/sys/user/max_user_namespaces; ls /proc/$(systemctl show -P MainPID nova-ve-labd)/fd | wc -l",
                "cat /proc/$(systemctl show -P MainPID nova-ve-labd)/task/*/wchan | sort | uniq -c",
            ] {
                j.push_str(&format!(
                    "$ {cmd}\n{}\n",
                    sb.run_ok(&["sh", "-c", cmd]).unwrap_or_default()
                ));
            }
            panic!("StartAll: {e}\n{j}");
        }
    };
    let start = t.elapsed();
    eprintln!(
        "{}",
        sb.run_ok(&[
            "journalctl",
            "-u",
            "nova-ve-labd",
            "-o",
            "short-precise",
            "--no-pager"
        ])
        .unwrap()
        .lines()
        .filter(|l| l.contains("start:"))
        .take(200)
        .collect::<Vec<_>>()
        .join("\n")
    );
    assert_eq!(failed["data"][0], serde_json::json!([]), "{failed}");
    assert_eq!(node_units(&sb).lines().count() as u32, bench_count());
    let veths = sb
        .run_ok(&["ip", "-o", "link", "show", "type", "veth"])
        .unwrap()
        .lines()
        .count();
    assert_eq!(
        veths as u32,
        bench_count() * 5 / 2,
        "one veth per wired interface"
    );
    let t = Instant::now();
    let failed = lab_call(&sb, &lab, "StopAll", "", &[]);
    let stop = t.elapsed();
    assert_eq!(failed["data"][0], serde_json::json!([]));
    assert_eq!(node_units(&sb).trim(), "");
    let j = sb
        .run_ok(&[
            "journalctl",
            "-u",
            "nova-ve-labd",
            "-o",
            "short-precise",
            "--no-pager",
        ])
        .unwrap();
    for l in j.lines().filter(|l| l.contains("stop:")).step_by(10) {
        eprintln!("{l}");
    }
    eprintln!(
        "{} linux nodes, {} links: StartAll {start:?}, StopAll {stop:?}",
        bench_count(),
        bench_count() * 3 / 2
    );
}
