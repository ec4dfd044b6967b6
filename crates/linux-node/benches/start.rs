//! Start-time figures for busybox nodes (criterion-free; `cargo bench -p nova-linux-node`).
//!
//! Per node: `spawn` (work dir + namespaces + mounts, until the node blocks), `release`
//! (journal/console connect + exec of busybox sh), and "ready" (until the init script has
//! configured lo and logged "host ready"), then kill and wait. Then, with all running: each
//! node's console from `open_console` until its prompt is read, and the memory of the console
//! holders (one per node, from `smaps_rollup`). Nodes have no interfaces,
//! so no veth wiring is included (that is netd's part). Runs as whoever runs it; works
//! unprivileged: `setpriv --reuid=nobody --regid=nogroup --clear-groups env NLN_BENCH_DIR=<dir>
//! target/release/deps/start-*`.

use std::io::Read;
use std::time::{Duration, Instant};

use nova_linux_node::{Hostname, Ident, LinuxNodeSpec, Profile, RunningNode, spawn};

const NODES: usize = 100;

fn spec(dir: &std::path::Path, i: usize) -> LinuxNodeSpec {
    let name = format!("h{i}");
    LinuxNodeSpec {
        lab: Ident::new("bench").unwrap(),
        node: Ident::new(&name).unwrap(),
        hostname: Hostname::new(&name).unwrap(),
        work_dir: dir.join(&name),
        interfaces: vec![],
        profile: Profile::BusyboxHost {
            default_gateway: None,
        },
    }
}

fn ready(node: &RunningNode) -> bool {
    std::fs::read_to_string(node.console_log())
        .map(|s| s.contains("host ready"))
        .unwrap_or(false)
}

fn wait_ready(node: &RunningNode) {
    let end = Instant::now() + Duration::from_secs(10);
    while !ready(node) {
        assert!(Instant::now() < end, "node {} never ready", node.pid());
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn stats(name: &str, v: &mut [Duration]) {
    v.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let mean = v.iter().sum::<Duration>() / v.len() as u32;
    println!(
        "{name:<26} mean {:7.2} ms   median {:7.2} ms   p95 {:7.2} ms   max {:7.2} ms",
        ms(mean),
        ms(v[v.len() / 2]),
        ms(v[v.len() * 95 / 100]),
        ms(v[v.len() - 1])
    );
}

fn main() {
    // NLN_BENCH_DIR: a parent dir writable by an unprivileged user running the binary.
    let parent = std::env::var_os("NLN_BENCH_DIR").unwrap_or(env!("CARGO_TARGET_TMPDIR").into());
    let dir = std::path::Path::new(&parent).join(format!("nln-bench-{}", std::process::id()));
    let (mut sp, mut rel, mut rdy, mut total) = (vec![], vec![], vec![], vec![]);
    let mut nodes = Vec::new();
    let t_all = Instant::now();
    for i in 0..NODES {
        let t0 = Instant::now();
        let pending = spawn(&spec(&dir, i)).unwrap();
        let t1 = Instant::now();
        let node = pending.release().unwrap();
        let t2 = Instant::now();
        wait_ready(&node);
        let t3 = Instant::now();
        sp.push(t1 - t0);
        rel.push(t2 - t1);
        rdy.push(t3 - t2);
        total.push(t3 - t0);
        nodes.push(node);
    }
    let all = t_all.elapsed();
    let mut con: Vec<Duration> = nodes
        .iter()
        .enumerate()
        .map(|(i, n)| console_prompt(n, i))
        .collect();
    let mem = holders_memory(&nodes);
    let t_stop = Instant::now();
    for n in &nodes {
        assert!(n.kill(Duration::from_secs(5)).unwrap());
    }
    let stop = t_stop.elapsed();
    let _ = std::fs::remove_dir_all(&dir);
    // SAFETY: geteuid has no preconditions.
    let euid = unsafe { libc::geteuid() };
    println!("{NODES} busybox nodes, one after another, as uid {euid}:");
    stats("spawn (until blocked)", &mut sp);
    stats("release (until exec)", &mut rel);
    stats("release -> init ready", &mut rdy);
    stats("spawn -> init ready", &mut total);
    stats("open_console -> prompt", &mut con);
    let per = |kib: u64| kib as f64 / nodes.len() as f64 / 1024.0;
    println!(
        "console holders, per node: Rss {:.2} MiB, Pss {:.2} MiB, Private {:.2} MiB",
        per(mem[0]),
        per(mem[1]),
        per(mem[2])
    );
    println!(
        "all {NODES} started and ready in {:.1} ms; all stopped (SIGKILL + wait) in {:.1} ms",
        all.as_secs_f64() * 1e3,
        stop.as_secs_f64() * 1e3
    );
}

/// Connects to node `i`'s console and reads until its prompt (`h<i>:/# `) arrived.
fn console_prompt(node: &RunningNode, i: usize) -> Duration {
    let prompt = format!("h{i}:/# ");
    let t = Instant::now();
    let mut s = node.open_console().unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let (mut seen, mut buf) = (Vec::new(), [0u8; 4096]);
    while !String::from_utf8_lossy(&seen).contains(&prompt) {
        let n = s.read(&mut buf).unwrap();
        assert!(n > 0, "console of node {i} closed");
        seen.extend_from_slice(&buf[..n]);
    }
    t.elapsed()
}

/// Sums of Rss, Pss and Private (clean + dirty) in KiB over the nodes' console holders (the
/// children of each node's PID 1 named `nova-ve-console`).
fn holders_memory(nodes: &[RunningNode]) -> [u64; 3] {
    let mut sum = [0u64; 3];
    for n in nodes {
        let pid = n.pid();
        let kids = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children")).unwrap();
        for kid in kids.split_whitespace() {
            let cmd = std::fs::read(format!("/proc/{kid}/cmdline")).unwrap_or_default();
            if !cmd.starts_with(b"nova-ve-console") {
                continue;
            }
            let rollup = std::fs::read_to_string(format!("/proc/{kid}/smaps_rollup")).unwrap();
            for line in rollup.lines() {
                let mut w = line.split_whitespace();
                let (Some(key), Some(v)) = (w.next(), w.next()) else {
                    continue;
                };
                let v: u64 = v.parse().unwrap_or(0);
                match key {
                    "Rss:" => sum[0] += v,
                    "Pss:" => sum[1] += v,
                    "Private_Clean:" | "Private_Dirty:" => sum[2] += v,
                    _ => {}
                }
            }
        }
    }
    sum
}
