//! nova-ve-netd over the real system bus, polkit and systemd, in the test sandbox
//! (`nova-test-sandbox`): the unit, bus policy, polkit actions and rules from the repository
//! are staged into a throwaway systemd; D-Bus calls are made from inside as real users
//! (`nova-ve` is granted by polkit/50-nova-ve.rules, `nobody` is not).

use std::collections::HashMap;
use std::io::Read;
use std::os::fd::AsRawFd;
use std::process::Command;
use std::time::Duration;

use nova_dbus::net::{BpfInstruction, Net1Proxy};
use nova_dbus::nodes::Nodes1Proxy;
use nova_test_sandbox::{InsideResult, Sandbox, block_on, inside_fns};
use zbus::Variant;

// ---------------------------------------------------------------- inside the sandbox

fn err_text(e: zbus::Error) -> Box<dyn std::error::Error> {
    match e {
        zbus::Error::MethodError(name, msg, _) => {
            format!("DBUSERROR {name}: {}", msg.unwrap_or_default()).into()
        }
        other => format!("DBUSERROR other: {other}").into(),
    }
}

fn p<T: std::str::FromStr>(a: &[String], i: usize) -> Result<T, Box<dyn std::error::Error>> {
    a.get(i)
        .ok_or("missing arg")?
        .parse()
        .map_err(|_| format!("bad arg {i}").into())
}

/// `net METHOD ARGS...`: one Net1/Nodes1 call through the nova-dbus proxies.
fn net(a: &[String]) -> InsideResult {
    block_on(async {
        let conn = zbus::Connection::system().await?;
        let net = Net1Proxy::new(&conn).await?;
        let nodes = Nodes1Proxy::new(&conn).await?;
        let s = |i: usize| a.get(i).cloned().unwrap_or_default();
        let r: Result<String, zbus::Error> = match a[0].as_str() {
            "CreateBridge" => net.create_bridge(&s(1)).await.map(|_| "ok".into()),
            "CreateTap" => net.create_tap(&s(1), p(a, 2)?).await.map(|_| "ok".into()),
            "CreateVeth" => net
                .create_veth(&s(1), &s(2), p(a, 3)?, p(a, 4)?)
                .await
                .map(|_| "ok".into()),
            "DeleteInterface" => net.delete_interface(&s(1)).await.map(|_| "ok".into()),
            "DeleteInterfaces" => {
                let names: Vec<&str> = a[1..].iter().map(String::as_str).collect();
                net.delete_interfaces(&names).await.map(|d| d.join(" "))
            }
            "AttachToBridge" => net
                .attach_to_bridge(&s(1), &s(2))
                .await
                .map(|_| "ok".into()),
            "DetachFromBridge" => net.detach_from_bridge(&s(1)).await.map(|_| "ok".into()),
            "SetUp" => net.set_up(&s(1), p(a, 2)?).await.map(|_| "ok".into()),
            "SetMtu" => net.set_mtu(&s(1), p(a, 2)?).await.map(|_| "ok".into()),
            "SetMac" => net.set_mac(&s(1), &s(2)).await.map(|_| "ok".into()),
            "SetNetem" => net
                .set_netem(&s(1), p(a, 2)?, p(a, 3)?, p(a, 4)?, p(a, 5)?)
                .await
                .map(|_| "ok".into()),
            "ClearNetem" => net.clear_netem(&s(1)).await.map(|_| "ok".into()),
            "ListInterfaces" => net.list_interfaces().await.map(|l| {
                l.iter()
                    .map(|i| {
                        format!(
                            "{} {} {} {} {} {}",
                            i.name, i.kind, i.mac, i.mtu, i.up, i.master
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            }),
            "Apply" => {
                // Apply NAME_PREFIX: bridge + tap + attach + up in one call.
                let (br, tap) = (format!("{}b", s(1)), format!("{}t", s(1)));
                let ops = vec![
                    (
                        "CreateBridge",
                        HashMap::from([("name", Variant::from(br.as_str()))]),
                    ),
                    (
                        "CreateTap",
                        HashMap::from([
                            ("name", Variant::from(tap.as_str())),
                            ("owner_uid", Variant::from(0u32)),
                        ]),
                    ),
                    (
                        "AttachToBridge",
                        HashMap::from([
                            ("name", Variant::from(tap.as_str())),
                            ("bridge", Variant::from(br.as_str())),
                        ]),
                    ),
                    (
                        "SetUp",
                        HashMap::from([
                            ("name", Variant::from(tap.as_str())),
                            ("up", Variant::from(true)),
                        ]),
                    ),
                ];
                net.apply(&ops).await.map(|n| n.to_string())
            }
            "CaptureStart" => net.capture_start(&s(1), &[]).await.map(|_| "ok".into()),
            "Prefix" => net.prefix().await,
            "StartNodeScope" => {
                let props: HashMap<&str, Variant<'_>> = HashMap::new();
                nodes.start_node_scope(&s(1), &s(2), p(a, 3)?, props).await
            }
            "StopNodeScope" => nodes.stop_node_scope(&s(1)).await.map(|_| "ok".into()),
            "ListNodeScopes" => nodes.list_node_scopes().await.map(|l| {
                l.iter()
                    .map(|u| format!("{} {} {}", u.unit, u.active_state, u.sub_state))
                    .collect::<Vec<_>>()
                    .join("\n")
            }),
            other => return Err(format!("unknown method {other}").into()),
        };
        r.map_err(err_text)
    })
}

/// `node_scope LAB NODE [PROP=VALUE...]`: forks a child of the caller and asks netd to wrap it.
/// Prints "unit pid". Props: Description=s, MemoryMax/TasksMax/CPUQuotaPerSecUSec=t, X=s.
fn node_scope(a: &[String]) -> InsideResult {
    let child = Command::new("sleep").arg("300").spawn()?;
    let pid = child.id();
    let r = block_on(async {
        let conn = zbus::Connection::system().await?;
        let nodes = Nodes1Proxy::new(&conn).await?;
        let mut props: HashMap<&str, Variant<'_>> = HashMap::new();
        for kv in &a[2..] {
            let (k, v) = kv.split_once('=').ok_or("prop needs =")?;
            let val = match k {
                "MemoryMax" | "TasksMax" | "CPUQuotaPerSecUSec" => Variant::from(v.parse::<u64>()?),
                _ => Variant::from(v),
            };
            props.insert(k, val);
        }
        nodes
            .start_node_scope(&a[0], &a[1], pid, props)
            .await
            .map_err(err_text)
    });
    match r {
        Ok(unit) => Ok(format!("{unit} {pid}")), // the child lives on in its scope
        Err(e) => {
            // SAFETY: kill our own child by PID.
            unsafe { libc::kill(pid as i32, libc::SIGKILL) };
            Err(e)
        }
    }
}

/// `wrap_pid LAB NODE PID`: asks netd to wrap a PID the caller did not fork.
fn wrap_pid(a: &[String]) -> InsideResult {
    block_on(async {
        let conn = zbus::Connection::system().await?;
        let nodes = Nodes1Proxy::new(&conn).await?;
        nodes
            .start_node_scope(&a[0], &a[1], a[2].parse()?, HashMap::new())
            .await
            .map_err(err_text)
    })
}

/// 100 concurrent calls on one connection: 50 bridge names, each created twice.
fn concurrent100(_a: &[String]) -> InsideResult {
    block_on(async {
        let conn = zbus::Connection::system().await?;
        let net = Net1Proxy::new(&conn).await?;
        let calls = (0..100).map(|i| {
            let net = net.clone();
            async move { net.create_bridge(&format!("nvcc{}", i % 50)).await }
        });
        let results = futures_util::future::join_all(calls).await;
        let ok = results.iter().filter(|r| r.is_ok()).count();
        let exists = results
            .iter()
            .filter(|r| matches!(r, Err(zbus::Error::MethodError(n, _, _)) if n.as_str() == "org.novave.Net1.Error.AlreadyExists"))
            .count();
        Ok(format!("ok={ok} exists={exists}"))
    })
}

fn sh(argv: &[&str]) -> Result<String, Box<dyn std::error::Error>> {
    let out = Command::new(argv[0]).args(&argv[1..]).output()?;
    if !out.status.success() {
        return Err(format!("{argv:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Two namespaces on a bridge, a ping between them, captured through netd; prints
/// "frames=N icmp=M linktype=L".
fn capture_ping(_a: &[String]) -> InsideResult {
    let mut nodes = Vec::new();
    for _ in 0..2 {
        nodes.push(
            Command::new("unshare")
                .args(["--net", "--", "sleep", "60"])
                .spawn()?,
        );
    }
    std::thread::sleep(Duration::from_millis(200));
    let result = block_on(async {
        let conn = zbus::Connection::system().await?;
        let net = Net1Proxy::new(&conn).await?;
        net.create_bridge("nvpbr").await.map_err(err_text)?;
        net.set_up("nvpbr", true).await.map_err(err_text)?;
        for (i, node) in nodes.iter().enumerate() {
            let host = format!("nvp{i}");
            net.create_veth(&host, "eth0", node.id(), true)
                .await
                .map_err(err_text)?;
            net.attach_to_bridge(&host, "nvpbr")
                .await
                .map_err(err_text)?;
            net.set_up(&host, true).await.map_err(err_text)?;
            let pid = node.id().to_string();
            sh(&[
                "nsenter",
                "-t",
                &pid,
                "-n",
                "ip",
                "addr",
                "add",
                &format!("10.78.0.{}/24", i + 1),
                "dev",
                "eth0",
            ])?;
        }
        // tcpdump -ddd icmp
        let filter: Vec<BpfInstruction> = [
            (0x28, 0, 0, 12),
            (0x15, 0, 3, 0x0800),
            (0x30, 0, 0, 23),
            (0x15, 0, 1, 1),
            (0x06, 0, 0, 262144),
            (0x06, 0, 0, 0),
        ]
        .into_iter()
        .map(|(code, jt, jf, k)| BpfInstruction { code, jt, jf, k })
        .collect();
        let fd = net.capture_start("nvp0", &filter).await.map_err(err_text)?;
        let pid = nodes[0].id().to_string();
        sh(&[
            "nsenter",
            "-t",
            &pid,
            "-n",
            "busybox",
            "ping",
            "-c",
            "3",
            "-W",
            "2",
            "10.78.0.2",
        ])?;
        std::thread::sleep(Duration::from_millis(300));
        let fd: std::os::fd::OwnedFd = fd.into();
        let mut f = std::fs::File::from(fd);
        // SAFETY: make our end non-blocking to read only what arrived.
        unsafe {
            let fl = libc::fcntl(f.as_raw_fd(), libc::F_GETFL);
            libc::fcntl(f.as_raw_fd(), libc::F_SETFL, fl | libc::O_NONBLOCK);
        }
        let mut data = Vec::new();
        let _ = f.read_to_end(&mut data);
        drop(f);
        let (linktype, frames) = parse_pcap(&data)?;
        let icmp = frames
            .iter()
            .filter(|f| f.len() >= 34 && f[12..14] == [8, 0] && f[23] == 1)
            .count();
        for host in ["nvp0", "nvp1", "nvpbr"] {
            net.delete_interface(host).await.map_err(err_text)?;
        }
        Ok::<_, Box<dyn std::error::Error>>(format!(
            "frames={} icmp={icmp} linktype={linktype}",
            frames.len()
        ))
    });
    for mut n in nodes {
        let _ = n.kill();
        let _ = n.wait();
    }
    result
}

type Pcap = (u32, Vec<Vec<u8>>);

fn parse_pcap(d: &[u8]) -> Result<Pcap, Box<dyn std::error::Error>> {
    if d.len() < 24 || u32::from_ne_bytes(d[0..4].try_into()?) != 0xa1b2c3d4 {
        return Err("not a pcap stream".into());
    }
    let linktype = u32::from_ne_bytes(d[20..24].try_into()?);
    let (mut off, mut frames) = (24, Vec::new());
    while off + 16 <= d.len() {
        let incl = u32::from_ne_bytes(d[off + 8..off + 12].try_into()?) as usize;
        if off + 16 + incl > d.len() {
            break;
        }
        frames.push(d[off + 16..off + 16 + incl].to_vec());
        off += 16 + incl;
    }
    Ok((linktype, frames))
}

/// Subscribes to netd's signals, makes changes, prints the signals seen in order.
fn signals(_a: &[String]) -> InsideResult {
    use futures_util::StreamExt;
    block_on(async {
        let conn = zbus::Connection::system().await?;
        let net = Net1Proxy::new(&conn).await?;
        let mut added = net.receive_interface_added().await?;
        let mut changed = net.receive_interface_changed().await?;
        let mut removed = net.receive_interface_removed().await?;
        net.create_bridge("nvsig").await.map_err(err_text)?;
        net.set_mtu("nvsig", 1400).await.map_err(err_text)?;
        net.delete_interface("nvsig").await.map_err(err_text)?;
        let t = Duration::from_secs(5);
        let a = tokio::time::timeout(t, added.next())
            .await?
            .ok_or("no added")?;
        let c = tokio::time::timeout(t, changed.next())
            .await?
            .ok_or("no changed")?;
        let r = tokio::time::timeout(t, removed.next())
            .await?
            .ok_or("no removed")?;
        let (a, c, r) = (a.args()?, c.args()?, r.args()?);
        Ok(format!(
            "added {} {}; changed {}; removed {}",
            a.name(),
            a.kind(),
            c.name(),
            r.name()
        ))
    })
}

inside_fns!(
    net,
    node_scope,
    wrap_pid,
    concurrent100,
    capture_ping,
    signals
);

#[test]
fn signals_follow_changes() {
    let sb = boot_with_netd();
    let out = sb.call("nova-ve", "signals", &[]).unwrap();
    assert_eq!(
        out.trim(),
        "added nvsig bridge; changed nvsig; removed nvsig"
    );
}

// ---------------------------------------------------------------- the tests

fn boot_with_netd() -> Sandbox {
    let sb = Sandbox::boot().expect("boot sandbox");
    sb.run_ok(&["systemctl", "start", "nova-ve-netd.service"])
        .unwrap_or_else(|e| panic!("start netd: {e}\n{}", sb.journal_tail(60)));
    sb
}

fn call(sb: &Sandbox, user: &str, args: &[&str]) -> Result<String, String> {
    sb.call(user, "net", args).map_err(|e| e.to_string())
}

fn ok(sb: &Sandbox, user: &str, args: &[&str]) -> String {
    call(sb, user, args)
        .unwrap_or_else(|e| panic!("{args:?} as {user}: {e}\n{}", sb.journal_tail(30)))
}

fn err(sb: &Sandbox, user: &str, args: &[&str], name: &str) {
    match call(sb, user, args) {
        Ok(out) => panic!("{args:?} as {user} succeeded ({out}), expected {name}"),
        Err(e) => assert!(
            e.contains(&format!("DBUSERROR org.novave.Net1.Error.{name}")),
            "{args:?} as {user}: {e}"
        ),
    }
}

/// Links with their state, MTU, MAC, master and alias (not -d: bridge timers tick).
fn links(sb: &Sandbox) -> String {
    sb.run_ok(&["ip", "-o", "link"]).unwrap()
}

fn uid_of(sb: &Sandbox, user: &str) -> String {
    sb.run_ok(&["id", "-u", user]).unwrap().trim().to_owned()
}

#[test]
fn every_net_method_works_over_dbus_for_the_service_user() {
    let sb = boot_with_netd();
    let u = "nova-ve";
    let uid = uid_of(&sb, u);
    assert_eq!(ok(&sb, u, &["Prefix"]), "nv");
    ok(&sb, u, &["CreateBridge", "nvbr0"]);
    ok(&sb, u, &["CreateTap", "nvtap0", &uid]);
    let tap = sb.run_ok(&["ip", "-d", "link", "show", "nvtap0"]).unwrap();
    assert!(
        tap.contains(&format!("user {uid}")) || tap.contains(&format!("user {u}")),
        "{tap}"
    );
    ok(&sb, u, &["CreateVeth", "nvva", "nvvb", "0", "false"]);
    ok(&sb, u, &["AttachToBridge", "nvtap0", "nvbr0"]);
    ok(&sb, u, &["AttachToBridge", "nvva", "nvbr0"]);
    ok(&sb, u, &["SetUp", "nvbr0", "true"]);
    ok(&sb, u, &["SetMtu", "nvtap0", "1400"]);
    ok(&sb, u, &["SetMac", "nvtap0", "02:11:22:33:44:55"]);
    let list = ok(&sb, u, &["ListInterfaces"]);
    assert!(
        list.contains("nvtap0 tap 02:11:22:33:44:55 1400 false nvbr0"),
        "{list}"
    );
    assert!(
        list.contains("nvbr0 bridge") && list.contains("nvvb veth"),
        "{list}"
    );
    let shown = sb.run_ok(&["ip", "-o", "link", "show", "nvtap0"]).unwrap();
    assert!(
        shown.contains("mtu 1400") && shown.contains("master nvbr0"),
        "{shown}"
    );
    // netem: full check where the kernel has sch_netem; otherwise NotSupported and no change.
    let probe = sb.run(&["sh", "-c", "ip link add nvprobe type bridge && tc qdisc add dev nvprobe root netem delay 1ms; r=$?; ip link del nvprobe; exit $r"]).unwrap();
    if probe.status.success() {
        ok(&sb, u, &["SetNetem", "nvtap0", "20000", "1000", "2.5", "0"]);
        let tc = sb
            .run_ok(&["tc", "qdisc", "show", "dev", "nvtap0"])
            .unwrap();
        assert!(
            tc.contains("netem") && tc.contains("delay 20ms") && tc.contains("loss 2.5%"),
            "{tc}"
        );
        ok(&sb, u, &["ClearNetem", "nvtap0"]);
        assert!(
            !sb.run_ok(&["tc", "qdisc", "show", "dev", "nvtap0"])
                .unwrap()
                .contains("netem")
        );
    } else {
        eprintln!("NOTE: kernel without sch_netem: checking NotSupported");
        err(
            &sb,
            u,
            &["SetNetem", "nvtap0", "20000", "1000", "2.5", "0"],
            "NotSupported",
        );
        // Rate and random loss still work there: tbf + clsact/cls_bpf, under the real unit's
        // seccomp filter and capabilities (the bpf syscall must be allowed).
        ok(&sb, u, &["SetNetem", "nvtap0", "0", "0", "2.5", "125000"]);
        let tc = sb
            .run_ok(&["tc", "qdisc", "show", "dev", "nvtap0"])
            .unwrap();
        assert!(
            tc.contains("tbf") && tc.contains("rate 1Mbit") && tc.contains("clsact"),
            "{tc}"
        );
        let f = sb
            .run_ok(&["tc", "filter", "show", "dev", "nvtap0", "egress"])
            .unwrap();
        assert!(f.contains("bpf") && f.contains("direct-action"), "{f}");
        ok(&sb, u, &["ClearNetem", "nvtap0"]);
        let tc = sb
            .run_ok(&["tc", "qdisc", "show", "dev", "nvtap0"])
            .unwrap();
        assert!(!tc.contains("tbf") && !tc.contains("clsact"), "{tc}");
        ok(&sb, u, &["ClearNetem", "nvtap0"]);
    }
    err(
        &sb,
        u,
        &["SetNetem", "nvtap0", "10", "20", "0", "0"],
        "InvalidArgs",
    );
    // Veth peer into a node: an unprivileged user+net namespace process of the caller.
    let pid = sb
        .run_as_ok(
            u,
            &[
                "sh",
                "-c",
                "unshare --user --map-root-user --net sleep 120 >/dev/null 2>&1 & echo $!",
            ],
        )
        .unwrap()
        .trim()
        .to_owned();
    sb.wait_for("node netns", Duration::from_secs(5), || {
        let a = sb
            .run(&["readlink", &format!("/proc/{pid}/ns/net")])
            .map(|o| o.stdout)
            .unwrap_or_default();
        let b = sb
            .run(&["readlink", "/proc/1/ns/net"])
            .map(|o| o.stdout)
            .unwrap_or_default();
        !a.is_empty() && a != b
    })
    .unwrap();
    ok(&sb, u, &["CreateVeth", "nvn0", "eth1", &pid, "true"]);
    let inside = sb
        .run_ok(&[
            "nsenter", "-t", &pid, "-n", "ip", "-o", "link", "show", "eth1",
        ])
        .unwrap();
    assert!(inside.contains(",UP"), "{inside}");
    // nobody's PID (or root's) is not the caller's to wire.
    err(
        &sb,
        u,
        &["CreateVeth", "nvn1", "eth2", "1", "false"],
        "InvalidArgs",
    );
    // Batch.
    assert_eq!(ok(&sb, u, &["Apply", "nvq"]), "4");
    assert!(
        sb.run_ok(&["ip", "-o", "link", "show", "nvqt"])
            .unwrap()
            .contains("master nvqb")
    );
    // Capture returns an fd.
    assert_eq!(ok(&sb, u, &["CaptureStart", "nvbr0"]), "ok");
    ok(&sb, u, &["DetachFromBridge", "nvtap0"]);
    for name in ["nvtap0", "nvbr0", "nvva", "nvn0", "nvqt", "nvqb"] {
        ok(&sb, u, &["DeleteInterface", name]);
    }
    assert_eq!(ok(&sb, u, &["ListInterfaces"]), "");
    let journal = sb
        .run_ok(&[
            "journalctl",
            "-u",
            "nova-ve-netd",
            "-o",
            "verbose",
            "--no-pager",
        ])
        .unwrap();
    assert!(
        journal.contains("IFNAME=nvtap0")
            && journal.contains(&format!("CALLER_UID={uid}"))
            && journal.contains("ACTION=create-tap"),
        "structured fields missing"
    );
}

#[test]
fn nobody_is_denied_and_nothing_changes() {
    let sb = boot_with_netd();
    ok(&sb, "nova-ve", &["CreateBridge", "nvmine"]);
    let before = links(&sb);
    for args in [
        &["CreateBridge", "nvx"][..],
        &["CreateTap", "nvx", "65534"],
        &["CreateVeth", "nvx", "nvy", "0", "false"],
        &["DeleteInterface", "nvmine"],
        &["DeleteInterfaces", "nvmine"],
        &["AttachToBridge", "nvmine", "nvmine"],
        &["DetachFromBridge", "nvmine"],
        &["SetUp", "nvmine", "true"],
        &["SetMtu", "nvmine", "1400"],
        &["SetMac", "nvmine", "02:00:00:00:00:09"],
        &["SetNetem", "nvmine", "1000", "0", "0", "0"],
        &["ClearNetem", "nvmine"],
        &["ListInterfaces"],
        &["Apply", "nvz"],
        &["CaptureStart", "nvmine"],
        &["StartNodeScope", "lab", "node", "1"],
        &["StopNodeScope", "nova-node-lab-node.scope"],
        &["ListNodeScopes"],
        // Even garbage is refused for lack of authorization first.
        &["CreateBridge", "../../etc"],
    ] {
        err(&sb, "nobody", args, "AccessDenied");
    }
    assert_eq!(before, links(&sb));
}

#[test]
fn foreign_and_hostile_names_are_refused() {
    let sb = boot_with_netd();
    let u = "nova-ve";
    for (name, kind) in [
        ("eth0", "bridge"),
        ("docker0", "bridge"),
        ("nvforeign", "bridge"),
    ] {
        sb.run_ok(&["ip", "link", "add", name, "type", kind])
            .unwrap();
    }
    sb.run_ok(&[
        "ip",
        "link",
        "set",
        "nvforeign",
        "alias",
        "nova-ve-netd:owned",
    ])
    .unwrap();
    ok(&sb, u, &["CreateBridge", "nvmine"]);
    let before = links(&sb);
    for victim in ["eth0", "lo", "docker0", "nvforeign"] {
        err(&sb, u, &["DeleteInterface", victim], "NotOwned");
        err(&sb, u, &["DeleteInterfaces", "nvmine", victim], "NotOwned");
        err(&sb, u, &["SetUp", victim, "false"], "NotOwned");
        err(&sb, u, &["SetMtu", victim, "1280"], "NotOwned");
        err(&sb, u, &["AttachToBridge", victim, "nvmine"], "NotOwned");
        err(&sb, u, &["AttachToBridge", "nvmine", victim], "NotOwned");
        err(&sb, u, &["CaptureStart", victim], "NotOwned");
    }
    err(&sb, u, &["CreateBridge", "eth1"], "InvalidArgs");
    err(&sb, u, &["CreateBridge", "nvmine"], "AlreadyExists");
    err(&sb, u, &["DeleteInterface", "nvnothere"], "NotFound");
    let long = "nv".to_owned() + &"x".repeat(14);
    for hostile in [
        "",
        long.as_str(),
        "nv/x",
        "..",
        "../nv",
        "nv x",
        "nvé",
        "nv\nx",
        "-nv",
        "nv:1",
    ] {
        err(&sb, u, &["CreateBridge", hostile], "InvalidArgs");
        err(&sb, u, &["DeleteInterface", hostile], "InvalidArgs");
        err(
            &sb,
            u,
            &["DeleteInterfaces", "nvmine", hostile],
            "InvalidArgs",
        );
    }
    err(
        &sb,
        u,
        &["SetMac", "nvmine", "ff:ff:ff:ff:ff:ff"],
        "InvalidArgs",
    );
    err(&sb, u, &["SetMtu", "nvmine", "20"], "InvalidArgs");
    assert_eq!(before, links(&sb));
    // The batch delete takes exactly the named owned interfaces (missing ones skipped),
    // veth peers along, and leaves the foreign ones alone.
    ok(&sb, u, &["CreateBridge", "nvdel0"]);
    ok(&sb, u, &["CreateVeth", "nvdv0", "nvdv1", "0", "false"]);
    ok(&sb, u, &["AttachToBridge", "nvdv0", "nvdel0"]);
    let deleted = ok(
        &sb,
        u,
        &["DeleteInterfaces", "nvdel0", "nvnothere", "nvdv0", "nvmine"],
    );
    let mut deleted: Vec<&str> = deleted.split_whitespace().collect();
    deleted.sort_unstable();
    assert_eq!(deleted, ["nvdel0", "nvdv0", "nvdv1", "nvmine"]);
    let left = links(&sb);
    for name in ["eth0", "docker0", "nvforeign"] {
        assert!(left.contains(name), "{name} went: {left}");
    }
    for name in ["nvdel0", "nvdv0", "nvdv1", "nvmine"] {
        assert!(!left.contains(name), "{name} stayed: {left}");
    }
    assert_eq!(ok(&sb, u, &["ListInterfaces"]), "");
}

#[test]
fn node_scopes_for_the_callers_own_process_only() {
    let sb = boot_with_netd();
    let u = "nova-ve";
    let out = sb
        .call(
            u,
            "node_scope",
            &[
                "lab1",
                "r1",
                "Description=router r1",
                "MemoryMax=268435456",
                "TasksMax=64",
                "CPUQuotaPerSecUSec=500000",
            ],
        )
        .unwrap_or_else(|e| panic!("{e}\n{}", sb.journal_tail(40)));
    let (unit, pid) = out.trim().split_once(' ').unwrap();
    assert_eq!(unit, "nova-node-lab1-r1.scope");
    let status = sb
        .run_ok(&["systemctl", "status", "--no-pager", unit])
        .unwrap();
    assert!(
        status.contains("active (running)") && status.contains(pid),
        "{status}"
    );
    let show = sb
        .run_ok(&[
            "systemctl",
            "show",
            unit,
            "-p",
            "Slice",
            "-p",
            "MemoryMax",
            "-p",
            "TasksMax",
            "-p",
            "CPUQuotaPerSecUSec",
        ])
        .unwrap();
    assert!(
        show.contains("Slice=nova.slice")
            && show.contains("MemoryMax=268435456")
            && show.contains("TasksMax=64")
            && show.contains("CPUQuotaPerSecUSec=500ms"),
        "{show}"
    );
    let listed = ok(&sb, u, &["ListNodeScopes"]);
    assert!(
        listed.contains("nova-node-lab1-r1.scope active running"),
        "{listed}"
    );
    // Already in a unit (that scope): refused, even though the caller's uid owns it.
    let e = sb
        .call(u, "wrap_pid", &["lab1", "r2", pid])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Error.InvalidArgs") && e.contains("cgroup"),
        "{e}"
    );
    // A foreign PID (root's dbus-daemon / PID 1).
    let dbus_pid = sb
        .run_ok(&[
            "systemctl",
            "show",
            "-p",
            "MainPID",
            "--value",
            "dbus.service",
        ])
        .unwrap();
    for foreign in ["1", dbus_pid.trim()] {
        let e = sb
            .call(u, "wrap_pid", &["lab1", "r3", foreign])
            .unwrap_err()
            .to_string();
        assert!(e.contains("Error.InvalidArgs"), "{e}");
    }
    // Properties outside the allow-list, wrong types, bad names.
    for args in [
        &["lab1", "r4", "ExecStart=/bin/sh"][..],
        &["lab1", "r4", "User=root"],
        &["lab1", "r4", "Slice=system.slice"],
        &["lab-1", "r4"],
        &["lab1", "R4"],
        &["lab1", "../r4"],
        &["lab1", "r.4"],
    ] {
        let e = sb.call(u, "node_scope", args).unwrap_err().to_string();
        assert!(e.contains("Error.InvalidArgs"), "{args:?}: {e}");
    }
    err(&sb, u, &["StopNodeScope", "dbus.service"], "InvalidArgs");
    err(&sb, u, &["StopNodeScope", "polkit.service"], "InvalidArgs");
    err(
        &sb,
        u,
        &["StopNodeScope", "nova-node-lab1-r1.service"],
        "InvalidArgs",
    );
    assert!(!ok(&sb, u, &["ListNodeScopes"]).contains("r4"));
    ok(&sb, u, &["StopNodeScope", unit]);
    sb.wait_for(
        "scope gone and child killed",
        Duration::from_secs(10),
        || {
            !std::path::Path::new(&format!("/proc/{}", pid)).exists()
                || sb
                    .run(&["kill", "-0", pid])
                    .map(|o| !o.status.success())
                    .unwrap_or(false)
        },
    )
    .unwrap();
    assert!(!ok(&sb, u, &["ListNodeScopes"]).contains("lab1-r1 active"));
}

#[test]
fn restart_keeps_exactly_what_netd_made() {
    let sb = boot_with_netd();
    let u = "nova-ve";
    ok(&sb, u, &["CreateBridge", "nvkeep"]);
    ok(&sb, u, &["CreateTap", "nvtkeep", "0"]);
    sb.run_ok(&["ip", "link", "add", "nvfake", "type", "bridge"])
        .unwrap();
    sb.run_ok(&["ip", "link", "set", "nvfake", "alias", "nova-ve-netd:owned"])
        .unwrap();
    sb.run_ok(&["systemctl", "restart", "nova-ve-netd.service"])
        .unwrap();
    let state = sb
        .run_ok(&["stat", "-c", "%a %U", "/run/nova-ve-netd/owned.json"])
        .unwrap();
    assert_eq!(state.trim(), "600 root");
    let list = ok(&sb, u, &["ListInterfaces"]);
    let names: Vec<&str> = list.lines().map(|l| l.split(' ').next().unwrap()).collect();
    assert_eq!(names, vec!["nvkeep", "nvtkeep"], "{list}");
    err(&sb, u, &["DeleteInterface", "nvfake"], "NotOwned");
    ok(&sb, u, &["DeleteInterface", "nvkeep"]);
    ok(&sb, u, &["DeleteInterface", "nvtkeep"]);
}

#[test]
fn hundred_concurrent_dbus_calls_leave_consistent_state() {
    let sb = boot_with_netd();
    let out = sb.call("nova-ve", "concurrent100", &[]).unwrap();
    assert_eq!(out.trim(), "ok=50 exists=50");
    let list = ok(&sb, "nova-ve", &["ListInterfaces"]);
    assert_eq!(list.lines().count(), 50);
    let kernel = sb
        .run_ok(&["ip", "-o", "link", "show", "type", "bridge"])
        .unwrap();
    assert_eq!(kernel.lines().filter(|l| l.contains(": nvcc")).count(), 50);
}

#[test]
fn capture_of_a_ping_is_a_valid_pcap_with_icmp() {
    let sb = boot_with_netd();
    let out = sb
        .call("root", "capture_ping", &[])
        .unwrap_or_else(|e| panic!("{e}\n{}", sb.journal_tail(30)));
    let kv: HashMap<&str, u32> = out
        .split_whitespace()
        .filter_map(|p| p.split_once('='))
        .map(|(k, v)| (k, v.parse().unwrap()))
        .collect();
    assert_eq!(kv["linktype"], 1, "{out}");
    assert!(kv["icmp"] >= 6 && kv["icmp"] == kv["frames"], "{out}");
}

/// Canonical form of an interface description: interface -> sorted member signatures
/// (methods with ordered in/out args, signals, properties). Comments, whitespace and
/// annotations are ignored; the standard org.freedesktop.DBus.* interfaces are skipped.
fn canonical(xml: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    use quick_xml::events::Event;
    let mut r = quick_xml::Reader::from_str(xml);
    let mut out: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    let (mut iface, mut member): (Option<String>, Option<String>) = (None, None);
    let attr = |e: &quick_xml::events::BytesStart<'_>, k: &str| {
        e.attributes()
            .flatten()
            .find(|a| a.key.as_ref() == k)
            .map(|a| a.value.to_string())
            .unwrap_or_default()
    };
    loop {
        let ev = r.read_event().expect("xml");
        let (start, e) = match &ev {
            Event::Start(e) => (true, e.clone()),
            Event::Empty(e) => (false, e.clone()),
            Event::End(e) => {
                match e.name().as_ref() {
                    "interface" => iface = None,
                    "method" | "signal" => {
                        if let (Some(i), Some(m)) = (&iface, member.take()) {
                            out.get_mut(i).unwrap().push(m);
                        }
                    }
                    _ => {}
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        match e.name().as_ref() {
            "interface" => {
                let name = attr(&e, "name");
                if name.starts_with("org.freedesktop.DBus.") {
                    iface = None;
                    if start {
                        r.read_to_end(e.name()).unwrap();
                    }
                } else {
                    out.entry(name.clone()).or_default();
                    iface = Some(name);
                }
            }
            "method" | "signal" if iface.is_some() => {
                let m = format!("{} {}(", e.name().as_ref(), attr(&e, "name"));
                if start {
                    member = Some(m);
                } else {
                    out.get_mut(iface.as_ref().unwrap()).unwrap().push(m + ")");
                }
            }
            "arg" => {
                if let Some(m) = member.as_mut() {
                    let dir = match attr(&e, "direction").as_str() {
                        "" if m.starts_with("signal") => "out".to_owned(),
                        "" => "in".to_owned(),
                        d => d.to_owned(),
                    };
                    m.push_str(&format!("{dir} {} {},", attr(&e, "type"), attr(&e, "name")));
                }
            }
            "property" if iface.is_some() => {
                let p = format!(
                    "property {} {} {}",
                    attr(&e, "name"),
                    attr(&e, "type"),
                    attr(&e, "access")
                );
                out.get_mut(iface.as_ref().unwrap()).unwrap().push(p);
            }
            _ => {}
        }
    }
    for v in out.values_mut() {
        for m in v.iter_mut() {
            if m.ends_with(',') {
                m.pop();
            }
            if !m.ends_with(')') && !m.starts_with("property") {
                m.push(')');
            }
        }
        v.sort();
    }
    out
}

#[test]
fn exported_interfaces_match_the_xml_contract() {
    let sb = boot_with_netd();
    let live = sb
        .run_ok(&[
            "busctl",
            "--system",
            "--xml-interface",
            "introspect",
            "org.novave.Net1",
            "/org/novave/Net1",
        ])
        .unwrap();
    let contract = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../dbus-interfaces/org.novave.Net1.xml"
    ))
    .unwrap();
    let (live, contract) = (canonical(&live), canonical(&contract));
    assert_eq!(
        contract.keys().collect::<Vec<_>>(),
        vec!["org.novave.Net1", "org.novave.Nodes1"]
    );
    assert!(contract["org.novave.Net1"].len() > 15);
    assert_eq!(live, contract);
}
