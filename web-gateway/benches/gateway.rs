//! Gateway figures on the real stack (systemd sandbox sharing the host's network, netd, labd,
//! `nova-ve-gateway.service` on SQLite), load generated on the same 2-core machine:
//!
//! - `GET /api/labs/{id}` and `GET /api/labs/{id}/nodes` of a 50-node lab with an API token,
//!   by Debian's `wrk` (requests/s, p50, p99); beside them, the baseline the lab copies save:
//!   the same lab read from labd over D-Bus (`GetSnapshot`) by 32 concurrent callers;
//! - event fan-out: 1000 WebSocket subscribers of one lab, 20 layout changes, the time from
//!   sending the change to each subscriber receiving its event (p50, p99, max);
//! - RSS of netd, labd and the gateway idle, then with a running 100-node lab.
//!
//! ```sh
//! make bench-gateway    # = release build of netd, labd, gateway + cargo bench --bench gateway
//! ```
//!
//! A bench target, not an ignored test. Needs root and `wrk` (the make target installs it).

#[path = "../tests/common/mod.rs"]
#[allow(unused_macros)]
mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{Db, Gateway};
use futures_util::StreamExt as _;
use nova_test_sandbox::{InsideResult, Sandbox, block_on, inside_fns};
use serde_json::{Value, json};

const SUBSCRIBERS: usize = 1000;
const FANOUT_EVENTS: usize = 20;
const WRK_SECONDS: &str = "10s";
const WRK_CONNECTIONS: &str = "32";

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        eprintln!("gateway: run with cargo bench -p nova-ve-gateway --bench gateway");
        return;
    }
    raise_nofile();
    let (gw, admin) = Gateway::start(Db::Sqlite);
    // The harness masks netd (its tests run no node); this bench runs 100 nodes (no links, so
    // nothing is made in the host's network namespace).
    gw.sb
        .run_ok(&["systemctl", "unmask", "--runtime", "nova-ve-netd.service"])
        .expect("unmask netd");
    std::thread::sleep(Duration::from_secs(2));
    let idle = rss_all(&gw.sb);

    let lab = import(&admin, "bench50", 50);
    let token = admin
        .post("/api/tokens", &json!({"name": "bench"}))
        .expect(201)["secret"]
        .as_str()
        .expect("secret")
        .to_string();
    let base = format!("http://{}", gw.addr);
    let lab_get = wrk(&format!("{base}/api/labs/{lab}"), &token);
    let nodes_get = wrk(&format!("{base}/api/labs/{lab}/nodes"), &token);
    let dbus = gw
        .sb
        .call("root", "dbus_snapshots", &[&lab, "32", "4000"])
        .expect("D-Bus baseline");
    let fan = fanout(&gw, &token, &lab);

    let big = import(&admin, "bench100", 100);
    admin
        .post(&format!("/api/labs/{big}/start"), &json!({}))
        .expect(200);
    let t = Instant::now();
    loop {
        let nodes = admin.get(&format!("/api/labs/{big}/nodes")).expect(200);
        let running = nodes.as_array().map_or(0, |a| {
            a.iter()
                .filter(|n| n["runtime"]["state"] == "running")
                .count()
        });
        if running == 100 {
            break;
        }
        assert!(
            t.elapsed() < Duration::from_secs(120),
            "100 nodes not running: {running}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_secs(2));
    let busy = rss_all(&gw.sb);
    admin
        .post(&format!("/api/labs/{big}/stop"), &json!({}))
        .expect(200);

    println!("\n## nova-ve-gateway bench (2 cores, load generator on the same machine)\n");
    println!("| read (50-node lab, logged in with an API token) | requests/s | p50 | p99 |");
    println!("|---|---:|---:|---:|");
    println!(
        "| gateway `GET /api/labs/{{id}}` (wrk, {WRK_CONNECTIONS} connections) | {} | {} | {} |",
        lab_get.0, lab_get.1, lab_get.2
    );
    println!(
        "| gateway `GET /api/labs/{{id}}/nodes` (wrk, {WRK_CONNECTIONS} connections) | {} | {} | {} |",
        nodes_get.0, nodes_get.1, nodes_get.2
    );
    println!("| baseline: labd `GetSnapshot` over D-Bus (32 callers) | {dbus} |");
    println!("\n| event fan-out | subscribers | events | p50 | p99 | max |");
    println!("|---|---:|---:|---:|---:|---:|");
    println!(
        "| layout change → event on every WebSocket | {SUBSCRIBERS} | {FANOUT_EVENTS} | {} |",
        fan
    );
    println!("\n| RSS (MiB) | netd | labd | gateway | together |");
    println!("|---|---:|---:|---:|---:|");
    for (what, r) in [("idle", idle), ("100 linux nodes running", busy)] {
        println!(
            "| {what} | {:.1} | {:.1} | {:.1} | {:.1} |",
            r[0],
            r[1],
            r[2],
            r.iter().sum::<f64>()
        );
    }
}

/// A lab of `n` stopped busybox hosts (no links), imported; its id.
fn import(admin: &common::Client, name: &str, n: u32) -> String {
    let nodes: serde_json::Map<String, Value> = (1..=n)
        .map(|i| {
            (
                i.to_string(),
                json!({"id": i, "name": format!("h{i}"), "type": "linux", "template": "host",
                       "left": (i % 10) * 120, "top": (i / 10) * 100}),
            )
        })
        .collect();
    let doc = json!({"schema": 2, "id": name, "meta": {"name": name}, "nodes": nodes});
    admin
        .post(
            "/api/labs/import",
            &json!({"folder": "", "name": name, "lab": doc}),
        )
        .expect(201)["id"]
        .as_str()
        .expect("lab id")
        .to_string()
}

/// wrk against `url`: (requests/s, p50, p99) as wrk prints them.
fn wrk(url: &str, token: &str) -> (String, String, String) {
    let auth = format!("Authorization: Bearer {token}");
    let _warm = std::process::Command::new("wrk")
        .args(["-t2", "-c8", "-d2s", "-H", &auth, url])
        .output();
    let out = std::process::Command::new("wrk")
        .args([
            "-t2",
            "-c",
            WRK_CONNECTIONS,
            "-d",
            WRK_SECONDS,
            "--latency",
            "-H",
            &auth,
            url,
        ])
        .output()
        .expect("wrk (apt install wrk, or make bench-gateway)");
    let text = String::from_utf8_lossy(&out.stdout);
    let field = |prefix: &str| {
        text.lines()
            .map(str::trim)
            .find_map(|l| l.strip_prefix(prefix))
            .map(|v| v.split_whitespace().next().unwrap_or("").to_string())
            .unwrap_or_else(|| panic!("no {prefix:?} in wrk output:\n{text}"))
    };
    assert!(
        !text.contains("Non-2xx"),
        "wrk saw errors against {url}:\n{text}"
    );
    (field("Requests/sec:"), field("50%"), field("99%"))
}

/// Inside the sandbox: `a[1]` concurrent callers read lab `a[0]` with `GetSnapshot`, `a[2]`
/// calls in all; "requests/s | p50 | p99".
fn dbus_snapshots(a: &[String]) -> InsideResult {
    block_on(async {
        let conn = zbus::Connection::system().await?;
        let lab = nova_dbus::lab::LabProxy::builder(&conn)
            .path(nova_dbus::lab::lab_path(&a[0]))
            .cache_properties(zbus::proxy::CacheProperties::No)
            .build()
            .await?;
        let (callers, total): (usize, usize) = (a[1].parse()?, a[2].parse()?);
        let t = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..callers {
            let lab = lab.clone();
            tasks.push(tokio::spawn(async move {
                let mut took = Vec::new();
                for _ in 0..total / callers {
                    let t = Instant::now();
                    lab.get_snapshot().await.expect("GetSnapshot");
                    took.push(t.elapsed());
                }
                took
            }));
        }
        let mut all = Vec::new();
        for t in tasks {
            all.extend(t.await?);
        }
        let secs = t.elapsed().as_secs_f64();
        all.sort();
        Ok(format!(
            "{:.0} | {} | {}",
            all.len() as f64 / secs,
            ms(all[all.len() / 2]),
            ms(all[all.len() * 99 / 100])
        ))
    })
}

inside_fns!(dbus_snapshots);

fn ms(d: Duration) -> String {
    format!("{:.2}ms", d.as_secs_f64() * 1000.0)
}

/// 1000 subscribers, 20 layout changes one after another: "p50 | p99 | max" of send → receive.
fn fanout(gw: &Gateway, token: &str, lab: &str) -> String {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async {
        let url = format!("ws://{}/api/labs/{lab}/events", gw.addr);
        let received: Arc<Vec<AtomicUsize>> =
            Arc::new((0..FANOUT_EVENTS).map(|_| AtomicUsize::new(0)).collect());
        let ready = Arc::new(AtomicUsize::new(0));
        let mut subs = Vec::new();
        for _ in 0..SUBSCRIBERS {
            use tokio_tungstenite::tungstenite::client::IntoClientRequest as _;
            let mut req = url.as_str().into_client_request().expect("ws request");
            req.headers_mut().insert(
                "authorization",
                format!("Bearer {token}").parse().expect("header"),
            );
            let (mut ws, _) = tokio_tungstenite::connect_async(req)
                .await
                .expect("WebSocket connect");
            let _hello = ws.next().await;
            let (received, ready) = (received.clone(), ready.clone());
            ready.fetch_add(1, Ordering::SeqCst);
            subs.push(tokio::spawn(async move {
                let mut at = Vec::with_capacity(FANOUT_EVENTS);
                while at.len() < FANOUT_EVENTS {
                    match ws.next().await {
                        Some(Ok(m)) if m.is_text() => {
                            received[at.len()].fetch_add(1, Ordering::SeqCst);
                            at.push(Instant::now());
                        }
                        Some(Ok(_)) => {}
                        _ => break,
                    }
                }
                at
            }));
        }
        assert_eq!(ready.load(Ordering::SeqCst), SUBSCRIBERS);
        let client = common::Client::with_token(&gw.anonymous(), token);
        let mut sent = Vec::new();
        for k in 0..FANOUT_EVENTS {
            let body = json!({"nodes": {"1": {"left": k as i64 * 10, "top": 5}}});
            let t0 = Instant::now();
            let c = client.clone();
            let path = format!("/api/labs/{lab}/layout");
            tokio::task::spawn_blocking(move || c.put(&path, &body).expect(204))
                .await
                .expect("PUT layout");
            sent.push(t0);
            let wait = Instant::now();
            while received[k].load(Ordering::SeqCst) < SUBSCRIBERS
                && wait.elapsed() < Duration::from_secs(10)
            {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        let mut lat = Vec::new();
        for s in subs {
            let at = s.await.expect("subscriber");
            assert_eq!(at.len(), FANOUT_EVENTS, "a subscriber missed events");
            lat.extend(at.iter().zip(&sent).map(|(r, s)| r.duration_since(*s)));
        }
        lat.sort();
        format!(
            "{} | {} | {}",
            ms(lat[lat.len() / 2]),
            ms(lat[lat.len() * 99 / 100]),
            ms(lat[lat.len() - 1])
        )
    })
}

/// VmRSS in MiB of netd, labd and the gateway (their MainPID, in the sandbox's PID namespace).
fn rss_all(sb: &Sandbox) -> [f64; 3] {
    let units = [
        "nova-ve-netd.service",
        "nova-ve-labd.service",
        "nova-ve-gateway.service",
    ];
    units.map(|u| {
        let pid = sb
            .run_ok(&["systemctl", "show", "-p", "MainPID", "--value", u])
            .expect("MainPID");
        let status = sb
            .run_ok(&["cat", &format!("/proc/{}/status", pid.trim())])
            .unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
            .map_or(0.0, |kib| kib / 1024.0)
    })
}

/// 1000 WebSockets need more descriptors than the default soft limit of 1024.
fn raise_nofile() {
    // SAFETY: plain getrlimit/setrlimit on this process.
    unsafe {
        let mut r: libc::rlimit = std::mem::zeroed();
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut r) == 0 {
            r.rlim_cur = r.rlim_max.min(65536);
            libc::setrlimit(libc::RLIMIT_NOFILE, &r);
        }
    }
}
