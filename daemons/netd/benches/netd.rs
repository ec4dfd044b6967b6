//! `make bench-netd`: per-operation latency of bridge create, TAP create, attach, and delete,
//! done three ways:
//!   1. in-process rtnetlink (+ the TUN ioctls), no bus, no polkit — the floor;
//!   2. through nova-ve-netd over the system D-Bus with polkit, in the test sandbox, called
//!      by the `nova-ve` user: one call per operation, and `Apply` batches;
//!   3. shell-outs to `ip` (`sudo -n ip ...` when sudo exists, plain `ip` as root otherwise —
//!      the line printed says which), one process per operation.
//!
//! Each way makes and removes ROUNDS bridge+TAP pairs in its own network namespace.

use std::collections::HashMap;
use std::process::Command;
use std::time::{Duration, Instant};

use nova_dbus::net::Net1Proxy;
use nova_test_sandbox::{InsideResult, Sandbox, block_on, inside_fns};
use nova_ve_netd::engine::netlink_handle;
use nova_ve_netd::tap;
use nova_ve_netd::validate::IfName;
use rtnetlink::{LinkBridge, LinkUnspec};
use zbus::Variant;

const ROUNDS: usize = 50;
const OPS: [&str; 4] = [
    "create bridge",
    "create tap",
    "attach",
    "delete (tap+bridge)",
];

/// Per-op mean latency in µs, in the order of OPS.
type Means = [f64; 4];

fn mean(total: Duration, n: usize) -> f64 {
    total.as_secs_f64() * 1e6 / n as f64
}

fn names(i: usize) -> (String, String) {
    (format!("nvbb{i}"), format!("nvbt{i}"))
}

/// Runs `f` in a fresh network namespace on a dedicated thread.
fn in_netns<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(move || {
        // SAFETY: only this thread changes namespace.
        assert_eq!(
            unsafe { libc::unshare(libc::CLONE_NEWNET) },
            0,
            "bench needs root"
        );
        f()
    })
    .join()
    .unwrap()
}

fn bench_inprocess() -> Means {
    in_netns(|| {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async {
            let h = netlink_handle().unwrap();
            let mut t = [Duration::ZERO; 4];
            for i in 0..ROUNDS {
                let (br, tp) = names(i);
                let s = Instant::now();
                h.link()
                    .add(LinkBridge::new(&br).build())
                    .execute()
                    .await
                    .unwrap();
                t[0] += s.elapsed();
                let s = Instant::now();
                tap::create_persistent_tap(&IfName::parse(&tp).unwrap(), 0).unwrap();
                t[1] += s.elapsed();
                let s = Instant::now();
                let idx = |n: String| {
                    let h = h.clone();
                    async move {
                        use futures_util::TryStreamExt;
                        h.link()
                            .get()
                            .match_name(n)
                            .execute()
                            .try_next()
                            .await
                            .unwrap()
                            .unwrap()
                            .header
                            .index
                    }
                };
                let (bi, ti) = (idx(br.clone()).await, idx(tp.clone()).await);
                h.link()
                    .set(LinkUnspec::new_with_index(ti).controller(bi).build())
                    .execute()
                    .await
                    .unwrap();
                t[2] += s.elapsed();
                let s = Instant::now();
                h.link().del(ti).execute().await.unwrap();
                h.link().del(bi).execute().await.unwrap();
                t[3] += s.elapsed();
            }
            t.map(|d| mean(d, ROUNDS))
        })
    })
}

fn bench_shell() -> (Means, String) {
    let sudo = Command::new("sudo")
        .arg("-n")
        .arg("true")
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    let how = if sudo {
        "sudo -n ip ..."
    } else {
        "ip ... (no usable sudo here; run directly as root)"
    };
    let means = in_netns(move || {
        let run = |args: &[&str]| {
            let mut c = if sudo {
                let mut c = Command::new("sudo");
                c.arg("-n").arg("ip");
                c
            } else {
                Command::new("ip")
            };
            let st = c.args(args).status().unwrap();
            assert!(st.success(), "ip {args:?}");
        };
        let mut t = [Duration::ZERO; 4];
        for i in 0..ROUNDS {
            let (br, tp) = names(i);
            let s = Instant::now();
            run(&["link", "add", &br, "type", "bridge"]);
            t[0] += s.elapsed();
            let s = Instant::now();
            run(&["tuntap", "add", "dev", &tp, "mode", "tap", "user", "0"]);
            t[1] += s.elapsed();
            let s = Instant::now();
            run(&["link", "set", &tp, "master", &br]);
            t[2] += s.elapsed();
            let s = Instant::now();
            run(&["link", "del", &tp]);
            run(&["link", "del", &br]);
            t[3] += s.elapsed();
        }
        t.map(|d| mean(d, ROUNDS))
    });
    (means, how.to_owned())
}

/// Inside the sandbox, as the calling user: single calls per op, then Apply batches.
/// Prints "single: a b c d\nbatch_round: x\nbatch_all: y" (µs per op).
fn dbus_bench(_a: &[String]) -> InsideResult {
    block_on(async {
        let conn = zbus::Connection::system().await?;
        let net = Net1Proxy::new(&conn).await?;
        // Warm up: the first call pays polkit (then cached for this connection's unique name).
        net.list_interfaces().await?;
        net.create_bridge("nvwarm").await?;
        net.delete_interface("nvwarm").await?;
        let mut t = [Duration::ZERO; 4];
        for i in 0..ROUNDS {
            let (br, tp) = names(i);
            let s = Instant::now();
            net.create_bridge(&br).await?;
            t[0] += s.elapsed();
            let s = Instant::now();
            net.create_tap(&tp, 0).await?;
            t[1] += s.elapsed();
            let s = Instant::now();
            net.attach_to_bridge(&tp, &br).await?;
            t[2] += s.elapsed();
            let s = Instant::now();
            net.delete_interface(&tp).await?;
            net.delete_interface(&br).await?;
            t[3] += s.elapsed();
        }
        let single = t.map(|d| mean(d, ROUNDS));
        // One Apply per round: the 3 create/attach ops timed, the 2 deletes in a second Apply
        // timed apart (kernel link deletion waits for RCU grace periods and dominates).
        let round_ops = |i: usize| {
            let (br, tp) = names(i);
            vec![
                (
                    "CreateBridge".to_owned(),
                    HashMap::from([("name", Variant::from(br.clone()))]),
                ),
                (
                    "CreateTap".to_owned(),
                    HashMap::from([
                        ("name", Variant::from(tp.clone())),
                        ("owner_uid", Variant::from(0u32)),
                    ]),
                ),
                (
                    "AttachToBridge".to_owned(),
                    HashMap::from([
                        ("name", Variant::from(tp.clone())),
                        ("bridge", Variant::from(br.clone())),
                    ]),
                ),
                (
                    "DeleteInterface".to_owned(),
                    HashMap::from([("name", Variant::from(tp))]),
                ),
                (
                    "DeleteInterface".to_owned(),
                    HashMap::from([("name", Variant::from(br))]),
                ),
            ]
        };
        let (mut create, mut delete) = (Duration::ZERO, Duration::ZERO);
        for i in 0..ROUNDS {
            let ops = round_ops(i);
            let s = Instant::now();
            net.apply(&as_ops(&ops[..3])).await?;
            create += s.elapsed();
            let s = Instant::now();
            net.apply(&as_ops(&ops[3..])).await?;
            delete += s.elapsed();
        }
        let batch_round = mean(create, ROUNDS * 3);
        let batch_round_delete = mean(delete, ROUNDS * 2);
        // Everything in one Apply: create all, then delete all.
        let mut all = Vec::new();
        for i in 0..ROUNDS {
            all.extend(round_ops(i).into_iter().take(3));
        }
        for i in 0..ROUNDS {
            all.extend(round_ops(i).into_iter().skip(3));
        }
        let n_create = ROUNDS * 3;
        let s = Instant::now();
        net.apply(&as_ops(&all[..n_create])).await?;
        let batch_all = mean(s.elapsed(), n_create);
        net.apply(&as_ops(&all[n_create..])).await?;
        Ok(format!(
            "single: {} {} {} {}\nbatch_round: {batch_round}\nbatch_all: {batch_all}\nbatch_delete: {batch_round_delete}",
            single[0], single[1], single[2], single[3]
        ))
    })
}

type OwnedOp = (String, HashMap<&'static str, Variant<'static>>);

fn as_ops(v: &[OwnedOp]) -> Vec<(&str, HashMap<&str, Variant<'static>>)> {
    v.iter().map(|(o, m)| (o.as_str(), m.clone())).collect()
}

inside_fns!(dbus_bench);

fn main() {
    // `cargo bench` passes --bench; nothing to filter.
    let inproc = bench_inprocess();
    let (shell, how) = bench_shell();
    let sb = Sandbox::boot().expect("boot sandbox");
    sb.run_ok(&["systemctl", "start", "nova-ve-netd.service"])
        .expect("start netd");
    let out = sb.call("nova-ve", "dbus_bench", &[]).expect("dbus bench");
    let mut single = [0f64; 4];
    let (mut batch_round, mut batch_all, mut batch_delete) = (0f64, 0f64, 0f64);
    for line in out.lines() {
        if let Some(v) = line.strip_prefix("single: ") {
            for (i, x) in v.split_whitespace().enumerate() {
                single[i] = x.parse().unwrap();
            }
        } else if let Some(v) = line.strip_prefix("batch_round: ") {
            batch_round = v.parse().unwrap();
        } else if let Some(v) = line.strip_prefix("batch_all: ") {
            batch_all = v.parse().unwrap();
        } else if let Some(v) = line.strip_prefix("batch_delete: ") {
            batch_delete = v.parse().unwrap();
        }
    }
    drop(sb);

    println!(
        "\nnova-ve-netd bench: {ROUNDS} rounds of bridge + TAP create, attach, delete (µs per operation)"
    );
    println!("shell-out path: {how}");
    println!(
        "{:<22} {:>12} {:>14} {:>12} {:>14} {:>14}",
        "operation", "in-process", "D-Bus netd", "shell-out", "shell/D-Bus", "D-Bus/in-proc"
    );
    let per_op = |v: &Means, i: usize| if i == 3 { v[i] / 2.0 } else { v[i] };
    for (i, op) in OPS.iter().enumerate() {
        let (a, b, c) = (per_op(&inproc, i), per_op(&single, i), per_op(&shell, i));
        println!(
            "{:<22} {:>12.1} {:>14.1} {:>12.1} {:>13.1}x {:>13.2}x",
            op,
            a,
            b,
            c,
            c / b,
            b / a
        );
    }
    // Create + attach (3 ops per round) without the deletes, whose kernel cost dominates.
    let cr = |v: &Means| (v[0] + v[1] + v[2]) / 3.0;
    let (a, b, c) = (cr(&inproc), cr(&single), cr(&shell));
    let row = |label: &str, b: f64| {
        println!(
            "{:<22} {:>12.1} {:>14.1} {:>12.1} {:>13.1}x {:>13.2}x",
            label,
            a,
            b,
            c,
            c / b,
            b / a
        );
    };
    println!("-- create/attach mean (kernel delete time excluded) --");
    row("single calls", b);
    row("Apply, 3 ops/call", batch_round);
    row("Apply, 150 ops/call", batch_all);
    let (da, dc) = (inproc[3] / 2.0, shell[3] / 2.0);
    println!(
        "{:<22} {:>12.1} {:>14.1} {:>12.1} {:>13.1}x {:>13.2}x",
        "delete, Apply 2/call",
        da,
        batch_delete,
        dc,
        dc / batch_delete,
        batch_delete / da
    );
    println!("goal: shell/D-Bus >= 50x, D-Bus/in-proc <= 3x");
}
