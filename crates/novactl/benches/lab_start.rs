//! labd bench (`make bench-labd`): time to start and to stop a 100-node `linux` lab with
//! 150 links, until every node is running and every link attached (and back to every
//! node stopped), next to Mininet building the same topology in the same run.
//!
//! Both run inside one real-systemd sandbox with a private network namespace: nova-ve as
//! netd + labd systemd units driven by `novactl lab start/stop` (which wait for the
//! state), Mininet as Debian's package under Debian's /usr/bin/python3. The topology is a
//! ring of N busybox hosts plus N/2 chords (host i to host i+N/2): 1.5 N host-to-host
//! links, each a veth per end on a bridge for nova-ve, a veth pair for Mininet.
//!
//! Environment: NOVA_BENCH_NODES (default 100), NOVA_BENCH_RUNS (default 1; the median
//! is reported).

use std::path::{Path, PathBuf};
use std::time::Instant;

use nova_lab_model::{Lab, Node, NodeKind};
use nova_test_sandbox::Sandbox;
use serde_json::Value;

const NOVACTL: &str = "/usr/libexec/nova-ve/novactl";
const LAB: &str = "bench";
const GOAL_START_S: f64 = 3.0;
const GOAL_RATIO: f64 = 5.0;

fn main() {
    // `cargo bench` passes `--bench`; nothing else is accepted.
    let nodes = env_usize("NOVA_BENCH_NODES", 100);
    let runs = env_usize("NOVA_BENCH_RUNS", 1).max(1);
    if let Err(e) = run(nodes, runs) {
        eprintln!("bench-labd: {e}");
        std::process::exit(1);
    }
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The ring + chords topology as (node index, node index) pairs.
fn topology(n: usize) -> Vec<(usize, usize)> {
    let mut links: Vec<(usize, usize)> = (0..n).map(|i| (i, (i + 1) % n)).collect();
    links.extend((0..n / 2).map(|i| (i, i + n / 2)));
    links
}

/// The bench lab, built with the lab model: node-to-node links stored the reference way, as
/// two halves through an implicit network (`Lab::connect_nodes`).
fn bench_lab(n: usize) -> Result<Lab, String> {
    let links = topology(n);
    let node_id = |i: usize| u32::try_from(i + 1).map_err(|_| format!("{n} nodes are too many"));
    let pos = |k: usize| i64::try_from(k * 80).map_err(|e| e.to_string());
    let mut ethernet = vec![0u32; n];
    for (a, b) in &links {
        ethernet[*a] += 1;
        ethernet[*b] += 1;
    }
    let mut lab = Lab::new(LAB, LAB);
    for (i, eth) in ethernet.iter().enumerate() {
        let mut node = Node::new(node_id(i)?, format!("h{i}"), NodeKind::Linux);
        node.template = "host".into();
        node.ethernet = *eth;
        (node.left, node.top) = (pos(i % 10)?, pos(i / 10)?);
        lab.add_node(node).map_err(|e| e.to_string())?;
    }
    let mut next_if = vec![0u32; n];
    let mut take_if = |i: usize| {
        next_if[i] += 1;
        next_if[i] - 1
    };
    for (a, b) in links {
        let (ai, bi) = (take_if(a), take_if(b));
        lab.connect_nodes(node_id(a)?, ai, node_id(b)?, bi)
            .map_err(|e| format!("link h{a} - h{b}: {e}"))?;
    }
    lab.validate().map_err(|e| format!("bench lab: {e}"))?;
    Ok(lab)
}

#[derive(Debug, Clone, Copy)]
struct Times {
    start_s: f64,
    stop_s: f64,
}

fn run(n: usize, runs: usize) -> Result<(), String> {
    let mininet_script = bench_dir().join("mininet_topo.py");
    if !Path::new("/usr/lib/python3/dist-packages/mininet").exists() {
        return Err(
            "Mininet is not installed (make bench-labd installs the Debian package)".into(),
        );
    }
    let links = topology(n).len();
    eprintln!("bench-labd: booting the sandbox (netd + labd as systemd units)…");
    let sb = Sandbox::builder()
        .wants("nova-ve-netd.service")
        .wants("nova-ve-labd.service")
        .boot()
        .map_err(|e| format!("sandbox: {e}"))?;
    let lab_file = write_lab(n)?;
    novactl(&sb, &["lab", "import", path_str(&lab_file)?, "--name", LAB])?;

    let mut nova = Vec::new();
    let mut mininet = Vec::new();
    for r in 0..runs {
        eprintln!("bench-labd: run {}/{runs}: nova-ve…", r + 1);
        nova.push(nova_run(&sb, n, links)?);
        eprintln!("bench-labd: run {}/{runs}: Mininet…", r + 1);
        mininet.push(mininet_run(&sb, &mininet_script, n)?);
    }
    novactl(&sb, &["lab", "delete", LAB])?;
    report(n, links, &median(&nova), &median(&mininet), runs);
    Ok(())
}

fn bench_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches")
}

fn path_str(p: &Path) -> Result<&str, String> {
    p.to_str()
        .ok_or_else(|| format!("non-UTF-8 path {}", p.display()))
}

fn write_lab(n: usize) -> Result<PathBuf, String> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-labd");
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let file = dir.join(format!("bench-{n}.json"));
    std::fs::write(&file, bench_lab(n)?.to_json())
        .map_err(|e| format!("{}: {e}", file.display()))?;
    Ok(file)
}

fn novactl(sb: &Sandbox, args: &[&str]) -> Result<String, String> {
    let mut argv = vec![NOVACTL];
    argv.extend_from_slice(args);
    sb.run_ok(&argv)
        .map_err(|e| format!("novactl {args:?}: {e}"))
}

/// One start + stop of the nova-ve lab, checked: every node running with every link
/// attached, then nothing left.
fn nova_run(sb: &Sandbox, n: usize, links: usize) -> Result<Times, String> {
    let t0 = Instant::now();
    novactl(sb, &["lab", "start", LAB])?;
    let start_s = t0.elapsed().as_secs_f64();
    check_running(sb, n, links)?;
    let t1 = Instant::now();
    novactl(sb, &["lab", "stop", LAB])?;
    let stop_s = t1.elapsed().as_secs_f64();
    let units = sb
        .run_ok(&[
            "systemctl",
            "list-units",
            "--plain",
            "--no-legend",
            "nova-node-*",
        ])
        .map_err(|e| e.to_string())?;
    if !units.trim().is_empty() {
        return Err(format!("node units left after stop: {units}"));
    }
    Ok(Times { start_s, stop_s })
}

fn check_running(sb: &Sandbox, n: usize, links: usize) -> Result<(), String> {
    let out = novactl(sb, &["--json", "node", "list", LAB])?;
    let nodes: Vec<Value> = serde_json::from_str(&out).map_err(|e| e.to_string())?;
    let running = nodes.iter().filter(|v| v["state"] == "running").count();
    let attached: usize = nodes
        .iter()
        .flat_map(|v| v["interfaces"].as_array().cloned().unwrap_or_default())
        .filter(|i| i["host_ifname"].as_str().is_some_and(|s| !s.is_empty()))
        .count();
    if running != n || attached != 2 * links {
        return Err(format!(
            "after start: {running}/{n} nodes running, {attached}/{} link ends attached",
            2 * links
        ));
    }
    Ok(())
}

fn mininet_run(sb: &Sandbox, script: &Path, n: usize) -> Result<Times, String> {
    let nn = n.to_string();
    let out = sb
        .run_ok(&["/usr/bin/python3", path_str(script)?, &nn])
        .map_err(|e| format!("mininet: {e}"))?;
    let v: Value =
        serde_json::from_str(out.trim()).map_err(|e| format!("mininet said {out:?}: {e}"))?;
    let get = |k: &str| {
        v[k].as_f64()
            .ok_or_else(|| format!("mininet: no {k} in {v}"))
    };
    Ok(Times {
        start_s: get("start_s")?,
        stop_s: get("stop_s")?,
    })
}

fn median(t: &[Times]) -> Times {
    let pick = |f: fn(&Times) -> f64| {
        let mut v: Vec<f64> = t.iter().map(f).collect();
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    Times {
        start_s: pick(|t| t.start_s),
        stop_s: pick(|t| t.stop_s),
    }
}

fn report(n: usize, links: usize, nova: &Times, mn: &Times, runs: usize) {
    let cores = std::thread::available_parallelism().map_or(0, |c| c.get());
    println!();
    println!("labd bench: {n} linux nodes, {links} links, {cores} cores, median of {runs} run(s)");
    println!("{:<28}{:>10}{:>10}", "", "start s", "stop s");
    println!(
        "{:<28}{:>10.3}{:>10.3}",
        "nova-ve (novactl -> labd)", nova.start_s, nova.stop_s
    );
    println!(
        "{:<28}{:>10.3}{:>10.3}",
        "Mininet 2.3 (no switch)", mn.start_s, mn.stop_s
    );
    println!(
        "{:<28}{:>9.1}x{:>9.1}x",
        "Mininet / nova-ve",
        mn.start_s / nova.start_s,
        mn.stop_s / nova.stop_s
    );
    let verdict = |ok: bool| if ok { "met" } else { "NOT met" };
    println!(
        "goal: start <= {GOAL_START_S} s: {}; >= {GOAL_RATIO}x faster than Mininet to start: {}",
        verdict(nova.start_s <= GOAL_START_S),
        verdict(mn.start_s / nova.start_s >= GOAL_RATIO)
    );
}
