//! NetEngine against the real kernel, each test in a throwaway network namespace: the test
//! thread unshares CLONE_NEWNET, so nothing it makes is visible on the host and everything goes
//! when the thread ends. Needs root (CAP_NET_ADMIN), as in CI.

mod common;

use std::process::Command;

use common::{ROOT, in_netns, kernel_has_netem, n};
use nova_ve_netd::engine::{Caller, NetEngine, Op, netlink_handle};
use nova_ve_netd::error::NetdError;
use nova_ve_netd::validate::{BpfProgram, MacAddr, Mtu, Netem};

#[test]
fn bridge_tap_lifecycle_and_properties() {
    in_netns(None, |e, ns| async move {
        e.run(Op::CreateBridge(n("nvbr0")), ROOT).await.unwrap();
        e.run(
            Op::CreateTap {
                name: n("nvtap0"),
                owner_uid: 4242,
            },
            ROOT,
        )
        .await
        .unwrap();
        assert!(matches!(
            e.run(Op::CreateBridge(n("nvbr0")), ROOT).await,
            Err(NetdError::AlreadyExists(_))
        ));
        // An existing TAP name must not be re-attached by TUNSETIFF.
        assert!(matches!(
            e.run(
                Op::CreateTap {
                    name: n("nvtap0"),
                    owner_uid: 1
                },
                ROOT
            )
            .await,
            Err(NetdError::AlreadyExists(_))
        ));
        let details = ns.sh(&["ip", "-d", "link", "show", "nvtap0"]);
        assert!(
            details.contains("tap") && details.contains("user 4242"),
            "{details}"
        );
        assert!(details.contains("alias nova-ve-netd:owned"), "{details}");

        e.run(
            Op::Attach {
                name: n("nvtap0"),
                bridge: n("nvbr0"),
            },
            ROOT,
        )
        .await
        .unwrap();
        e.run(
            Op::SetUp {
                name: n("nvtap0"),
                up: true,
            },
            ROOT,
        )
        .await
        .unwrap();
        e.run(
            Op::SetMtu {
                name: n("nvtap0"),
                mtu: Mtu::new(1400).unwrap(),
            },
            ROOT,
        )
        .await
        .unwrap();
        let mac = MacAddr::parse("02:00:00:aa:bb:cc").unwrap();
        e.run(
            Op::SetMac {
                name: n("nvtap0"),
                mac,
            },
            ROOT,
        )
        .await
        .unwrap();
        let list = e.list().await.unwrap();
        let tap = list.iter().find(|i| i.name == "nvtap0").unwrap();
        assert_eq!(
            (tap.kind.as_str(), tap.master.as_str(), tap.mtu, tap.up),
            ("tap", "nvbr0", 1400, true)
        );
        assert_eq!(tap.mac, "02:00:00:aa:bb:cc");
        assert_eq!(
            list.iter().find(|i| i.name == "nvbr0").unwrap().kind,
            "bridge"
        );

        // A bridge cannot be attached to a bridge; a TAP is not a bridge.
        e.run(Op::CreateBridge(n("nvbr1")), ROOT).await.unwrap();
        assert!(matches!(
            e.run(
                Op::Attach {
                    name: n("nvbr1"),
                    bridge: n("nvbr0")
                },
                ROOT
            )
            .await,
            Err(NetdError::NotSupported(_))
        ));
        assert!(matches!(
            e.run(
                Op::Attach {
                    name: n("nvbr1"),
                    bridge: n("nvtap0")
                },
                ROOT
            )
            .await,
            Err(NetdError::NotSupported(_))
        ));

        e.run(Op::Detach(n("nvtap0")), ROOT).await.unwrap();
        let list = e.list().await.unwrap();
        assert_eq!(list.iter().find(|i| i.name == "nvtap0").unwrap().master, "");

        for name in ["nvtap0", "nvbr0", "nvbr1"] {
            e.run(Op::Delete(n(name)), ROOT).await.unwrap();
        }
        assert!(e.list().await.unwrap().is_empty());
        assert!(e.recorded().await.is_empty());
        let links = ns.sh(&["ip", "-o", "link"]);
        assert!(!links.contains("nv"), "{links}");
    });
}

#[test]
fn netem_shows_in_tc_and_clears() {
    in_netns(None, |e, ns| async move {
        e.run(Op::CreateBridge(n("nvnetem")), ROOT).await.unwrap();
        let netem = Netem::new(10_000, 2_000, 1.0, 125_000).unwrap();
        if !kernel_has_netem(&ns) {
            // Not a skip: on such a kernel netd must say so with NotSupported and change nothing.
            eprintln!("NOTE: this kernel has no sch_netem; checking the NotSupported path only");
            let before = ns.sh(&["tc", "qdisc", "show", "dev", "nvnetem"]);
            let r = e
                .run(
                    Op::SetNetem {
                        name: n("nvnetem"),
                        netem,
                    },
                    ROOT,
                )
                .await;
            assert!(
                matches!(&r, Err(NetdError::NotSupported(m)) if m.contains("netem")),
                "{r:?}"
            );
            assert_eq!(before, ns.sh(&["tc", "qdisc", "show", "dev", "nvnetem"]));
            e.run(Op::ClearNetem(n("nvnetem")), ROOT).await.unwrap();
            return;
        }
        e.run(
            Op::SetNetem {
                name: n("nvnetem"),
                netem,
            },
            ROOT,
        )
        .await
        .unwrap();
        let tc = ns.sh(&["tc", "qdisc", "show", "dev", "nvnetem"]);
        assert!(tc.contains("netem"), "{tc}");
        assert!(tc.contains("delay 10ms") && tc.contains("2ms"), "{tc}");
        assert!(tc.contains("loss 1%"), "{tc}");
        assert!(tc.contains("rate 1Mbit"), "{tc}");
        // Replace, not stack.
        let netem = Netem::new(0, 0, 50.0, 0).unwrap();
        e.run(
            Op::SetNetem {
                name: n("nvnetem"),
                netem,
            },
            ROOT,
        )
        .await
        .unwrap();
        let tc = ns.sh(&["tc", "qdisc", "show", "dev", "nvnetem"]);
        assert_eq!(tc.matches("netem").count(), 1, "{tc}");
        assert!(
            tc.contains("loss 50%") && !tc.contains("delay 10ms"),
            "{tc}"
        );
        e.run(Op::ClearNetem(n("nvnetem")), ROOT).await.unwrap();
        let tc = ns.sh(&["tc", "qdisc", "show", "dev", "nvnetem"]);
        assert!(!tc.contains("netem"), "{tc}");
        // Clearing again is a no-op.
        e.run(Op::ClearNetem(n("nvnetem")), ROOT).await.unwrap();
    });
}

#[test]
fn foreign_interfaces_are_refused_and_untouched() {
    in_netns(None, |e, ns| async move {
        ns.sh(&["ip", "link", "add", "eth0", "type", "bridge"]);
        ns.sh(&["ip", "link", "add", "nvforeign", "type", "bridge"]);
        // A prefixed interface someone else made, even carrying netd's marker, is not netd's.
        ns.sh(&["ip", "link", "add", "nvfake", "type", "bridge"]);
        ns.sh(&["ip", "link", "set", "nvfake", "alias", "nova-ve-netd:owned"]);
        e.run(Op::CreateBridge(n("nvmine")), ROOT).await.unwrap();
        let before = ns.sh(&["ip", "-o", "link"]);
        for victim in ["eth0", "lo", "nvforeign", "nvfake"] {
            let ops = vec![
                Op::Delete(n(victim)),
                Op::SetUp {
                    name: n(victim),
                    up: false,
                },
                Op::SetMtu {
                    name: n(victim),
                    mtu: Mtu::new(1280).unwrap(),
                },
                Op::SetMac {
                    name: n(victim),
                    mac: MacAddr::parse("02:00:00:00:00:01").unwrap(),
                },
                Op::Attach {
                    name: n(victim),
                    bridge: n("nvmine"),
                },
                Op::Attach {
                    name: n("nvmine"),
                    bridge: n(victim),
                },
                Op::Detach(n(victim)),
                Op::SetNetem {
                    name: n(victim),
                    netem: Netem::new(1000, 0, 0.0, 0).unwrap(),
                },
                Op::ClearNetem(n(victim)),
            ];
            for op in ops {
                let r = e.run(op.clone(), ROOT).await;
                assert!(
                    matches!(r, Err(NetdError::NotOwned(_))),
                    "{victim} {op:?}: {r:?}"
                );
            }
            assert!(matches!(
                e.capture(&n(victim), &BpfProgram::default()).await,
                Err(NetdError::NotOwned(_))
            ));
        }
        assert!(matches!(
            e.run(Op::Delete(n("nvnothing")), ROOT).await,
            Err(NetdError::NotFound(_))
        ));
        assert_eq!(before, ns.sh(&["ip", "-o", "link"]));
        let names: Vec<String> = e
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|i| i.name)
            .collect();
        assert_eq!(names, vec!["nvmine"]);
    });
}

#[test]
fn restart_keeps_exactly_what_it_made() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().to_path_buf();
    in_netns(Some(state.clone()), move |e, ns| async move {
        e.run(Op::CreateBridge(n("nvkeep")), ROOT).await.unwrap();
        e.run(
            Op::CreateTap {
                name: n("nvtapk"),
                owner_uid: 0,
            },
            ROOT,
        )
        .await
        .unwrap();
        e.run(Op::CreateBridge(n("nvgone")), ROOT).await.unwrap();
        drop(e);
        // While "netd is down": one of its interfaces is deleted, another is replaced by a
        // foreign one of the same name (new ifindex, no marker), and a fake carries the marker.
        ns.sh(&["ip", "link", "del", "nvgone"]);
        ns.sh(&["ip", "link", "del", "nvtapk"]);
        ns.sh(&["ip", "link", "add", "nvtapk", "type", "bridge"]);
        ns.sh(&["ip", "link", "add", "nvfake", "type", "bridge"]);
        ns.sh(&["ip", "link", "set", "nvfake", "alias", "nova-ve-netd:owned"]);
        let (e2, report) = NetEngine::open(netlink_handle().unwrap(), Some(&state))
            .await
            .unwrap();
        assert_eq!(report.kept, vec!["nvkeep"]);
        let mut dropped = report.dropped.clone();
        dropped.sort();
        assert_eq!(dropped, vec!["nvgone", "nvtapk"]);
        assert_eq!(report.unrecorded_marked, vec!["nvfake"]);
        assert!(e2.is_owned(&n("nvkeep")).await);
        assert!(!e2.is_owned(&n("nvtapk")).await);
        assert!(matches!(
            e2.run(Op::Delete(n("nvtapk")), ROOT).await,
            Err(NetdError::NotOwned(_))
        ));
        e2.run(Op::Delete(n("nvkeep")), ROOT).await.unwrap();
        let saved = std::fs::read_to_string(state.join("owned.json")).unwrap();
        assert!(
            !saved.contains("nvkeep") && !saved.contains("nvgone"),
            "{saved}"
        );
    });
}

#[test]
fn veth_peer_goes_into_a_node_namespace() {
    in_netns(None, |e, ns| async move {
        let node = ns.node();
        e.run(
            Op::create_veth("nvv0", "eth1", node.pid(), true).unwrap(),
            ROOT,
        )
        .await
        .unwrap();
        let out = node.cmd(&["ip", "-o", "link", "show", "eth1"]);
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && text.contains("eth1@") && text.contains(",UP"),
            "{text}"
        );
        // The peer never appears in the host namespace; only the host end is owned.
        assert!(!ns.sh(&["ip", "-o", "link"]).contains("eth1"));
        assert_eq!(e.recorded().await, vec!["nvv0"]);
        // Host-side pair: both ends owned; deleting one removes both.
        e.run(Op::create_veth("nvh0", "nvh1", 0, false).unwrap(), ROOT)
            .await
            .unwrap();
        assert_eq!(e.list().await.unwrap().len(), 3);
        e.run(Op::Delete(n("nvh1")), ROOT).await.unwrap();
        assert_eq!(e.recorded().await, vec!["nvv0"]);
        // A process of another uid: refused, nothing made.
        let r = e
            .run(
                Op::create_veth("nvv1", "eth2", node.pid(), false).unwrap(),
                Caller { uid: 1000 },
            )
            .await;
        assert!(matches!(r, Err(NetdError::InvalidArgs(_))), "{r:?}");
        // A process in netd's own namespace: refused.
        let mut same = Command::new("nsenter")
            .arg(format!("--net={}", ns.0))
            .args(["sleep", "60"])
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(100));
        let r = e
            .run(
                Op::create_veth("nvv2", "eth3", same.id(), false).unwrap(),
                ROOT,
            )
            .await;
        let _ = same.kill();
        let _ = same.wait();
        assert!(matches!(r, Err(NetdError::InvalidArgs(_))), "{r:?}");
        // No such process.
        let r = e
            .run(
                Op::create_veth("nvv3", "eth4", 0x3fff_fff0, false).unwrap(),
                ROOT,
            )
            .await;
        assert!(matches!(r, Err(NetdError::NotFound(_))), "{r:?}");
        assert!(!ns.sh(&["ip", "-o", "link"]).contains("nvv1"));
        e.run(Op::Delete(n("nvv0")), ROOT).await.unwrap();
        let out = node.cmd(&["ip", "-o", "link", "show", "eth1"]);
        assert!(!out.status.success(), "peer must go with the host end");
    });
}

#[test]
fn interfaces_vanishing_behind_netds_back_are_forgotten_and_announced() {
    in_netns(None, |e, ns| async move {
        let e = std::sync::Arc::new(e);
        let mut events = e.subscribe();
        e.watch_links().unwrap();
        let node = ns.node();
        e.run(
            Op::create_veth("nvdie", "eth0", node.pid(), false).unwrap(),
            ROOT,
        )
        .await
        .unwrap();
        e.run(Op::CreateBridge(n("nvext")), ROOT).await.unwrap();
        assert_eq!(
            events.recv().await.unwrap(),
            nova_ve_netd::engine::Event::Added {
                name: "nvdie".into(),
                kind: "veth"
            }
        );
        assert_eq!(
            events.recv().await.unwrap(),
            nova_ve_netd::engine::Event::Added {
                name: "nvext".into(),
                kind: "bridge"
            }
        );
        // The node dies: its namespace goes, and the veth with it.
        drop(node);
        // Someone deletes a bridge with ip.
        ns.sh(&["ip", "link", "del", "nvext"]);
        let mut gone = Vec::new();
        for _ in 0..2 {
            let ev = tokio::time::timeout(std::time::Duration::from_secs(5), events.recv())
                .await
                .expect("removal event")
                .unwrap();
            gone.push(ev);
        }
        gone.sort_by_key(|e| format!("{e:?}"));
        assert_eq!(
            gone,
            vec![
                nova_ve_netd::engine::Event::Removed {
                    name: "nvdie".into()
                },
                nova_ve_netd::engine::Event::Removed {
                    name: "nvext".into()
                },
            ]
        );
        assert!(e.recorded().await.is_empty());
        // A port leaving its bridge (the kernel says RTM_DELLINK for AF_BRIDGE) is not a removal.
        e.run(Op::CreateBridge(n("nvbrx")), ROOT).await.unwrap();
        e.run(
            Op::CreateTap {
                name: n("nvtpx"),
                owner_uid: 0,
            },
            ROOT,
        )
        .await
        .unwrap();
        e.run(
            Op::Attach {
                name: n("nvtpx"),
                bridge: n("nvbrx"),
            },
            ROOT,
        )
        .await
        .unwrap();
        e.run(Op::Detach(n("nvtpx")), ROOT).await.unwrap();
        for _ in 0..4 {
            events.recv().await.unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(
            events.try_recv().is_err(),
            "detach reported as something else"
        );
        assert!(e.is_owned(&n("nvtpx")).await);
        e.run(Op::Delete(n("nvtpx")), ROOT).await.unwrap();
        e.run(Op::Delete(n("nvbrx")), ROOT).await.unwrap();
        events.recv().await.unwrap();
        events.recv().await.unwrap();
        // netd's own deletions are announced once, not twice.
        e.run(Op::CreateBridge(n("nvown")), ROOT).await.unwrap();
        e.run(Op::Delete(n("nvown")), ROOT).await.unwrap();
        assert!(matches!(
            events.recv().await.unwrap(),
            nova_ve_netd::engine::Event::Added { .. }
        ));
        assert!(matches!(
            events.recv().await.unwrap(),
            nova_ve_netd::engine::Event::Removed { .. }
        ));
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        assert!(events.try_recv().is_err(), "duplicate event");
    });
}

#[test]
fn failed_batch_rolls_back_what_it_created() {
    in_netns(None, |e, ns| async move {
        let ops = vec![
            Op::CreateBridge(n("nvrb0")),
            Op::CreateTap {
                name: n("nvrt0"),
                owner_uid: 0,
            },
            Op::Attach {
                name: n("nvrt0"),
                bridge: n("nvrb0"),
            },
            Op::Attach {
                name: n("nvrt0"),
                bridge: n("lo"),
            },
        ];
        let r = e.apply(ops, ROOT).await;
        assert!(matches!(r, Err(NetdError::NotOwned(_))), "{r:?}");
        assert!(e.recorded().await.is_empty());
        assert!(!ns.sh(&["ip", "-o", "link"]).contains("nvr"));
        let (n_ok, events) = e
            .apply(
                vec![Op::CreateBridge(n("nvrb0")), Op::Delete(n("nvrb0"))],
                ROOT,
            )
            .await
            .unwrap();
        assert_eq!((n_ok, events.len()), (2, 2));
    });
}

#[test]
fn hundred_concurrent_calls_stay_consistent() {
    in_netns(None, |e, ns| async move {
        let e = std::sync::Arc::new(e);
        let mut tasks = Vec::new();
        for i in 0..100 {
            let e = e.clone();
            // 50 names, each created twice concurrently: exactly one of each pair wins.
            tasks.push(tokio::spawn(async move {
                e.run(Op::CreateBridge(n(&format!("nvc{}", i % 50))), ROOT)
                    .await
            }));
        }
        let mut ok = 0;
        let mut exists = 0;
        for t in tasks {
            match t.await.unwrap() {
                Ok(_) => ok += 1,
                Err(NetdError::AlreadyExists(_)) => exists += 1,
                Err(other) => panic!("{other}"),
            }
        }
        assert_eq!((ok, exists), (50, 50));
        let mut listed: Vec<String> = e
            .list()
            .await
            .unwrap()
            .into_iter()
            .map(|i| i.name)
            .collect();
        listed.sort();
        let mut recorded = e.recorded().await;
        recorded.sort();
        assert_eq!(listed, recorded);
        assert_eq!(listed.len(), 50);
        assert_eq!(
            ns.sh(&["ip", "-o", "link", "show", "type", "bridge"])
                .lines()
                .count(),
            50
        );
        let mut tasks = Vec::new();
        for i in 0..100 {
            let e = e.clone();
            tasks.push(tokio::spawn(async move {
                e.run(Op::Delete(n(&format!("nvc{}", i % 50))), ROOT).await
            }));
        }
        let results: Vec<_> = futures_util::future::join_all(tasks).await;
        assert_eq!(
            results
                .iter()
                .filter(|r| r.as_ref().unwrap().is_ok())
                .count(),
            50
        );
        assert!(e.recorded().await.is_empty());
        assert_eq!(
            ns.sh(&["ip", "-o", "link", "show", "type", "bridge"])
                .lines()
                .count(),
            0
        );
    });
}

/// Parses a pcap stream: (linktype, frames).
fn parse_pcap(data: &[u8]) -> (u32, Vec<Vec<u8>>) {
    assert!(data.len() >= 24, "no pcap header");
    assert_eq!(
        u32::from_ne_bytes(data[0..4].try_into().unwrap()),
        0xa1b2c3d4
    );
    let linktype = u32::from_ne_bytes(data[20..24].try_into().unwrap());
    let mut frames = Vec::new();
    let mut off = 24;
    while off + 16 <= data.len() {
        let incl = u32::from_ne_bytes(data[off + 8..off + 12].try_into().unwrap()) as usize;
        if off + 16 + incl > data.len() {
            break; // last record cut by closing the stream
        }
        frames.push(data[off + 16..off + 16 + incl].to_vec());
        off += 16 + incl;
    }
    (linktype, frames)
}

fn is_icmp_echo(frame: &[u8]) -> bool {
    frame.len() >= 34 && frame[12..14] == [0x08, 0x00] && frame[23] == 1
}

#[test]
fn capture_of_a_ping_through_a_bridge_is_a_valid_pcap_with_icmp() {
    in_netns(None, |e, ns| async move {
        let (a, b) = (ns.node(), ns.node());
        e.run(Op::CreateBridge(n("nvcapbr")), ROOT).await.unwrap();
        e.run(
            Op::SetUp {
                name: n("nvcapbr"),
                up: true,
            },
            ROOT,
        )
        .await
        .unwrap();
        for (host, node, ip) in [
            ("nvcapa", &a, "10.77.0.1/24"),
            ("nvcapb", &b, "10.77.0.2/24"),
        ] {
            e.run(
                Op::create_veth(host, "eth0", node.pid(), true).unwrap(),
                ROOT,
            )
            .await
            .unwrap();
            e.run(
                Op::Attach {
                    name: n(host),
                    bridge: n("nvcapbr"),
                },
                ROOT,
            )
            .await
            .unwrap();
            e.run(
                Op::SetUp {
                    name: n(host),
                    up: true,
                },
                ROOT,
            )
            .await
            .unwrap();
            assert!(
                node.cmd(&["ip", "addr", "add", ip, "dev", "eth0"])
                    .status
                    .success()
            );
        }
        // Filter: `tcpdump -ddd icmp` (ether type IPv4 and IP proto 1).
        let icmp: Vec<nova_dbus::net::BpfInstruction> = [
            (0x28, 0, 0, 12),
            (0x15, 0, 3, 0x0800),
            (0x30, 0, 0, 23),
            (0x15, 0, 1, 1),
            (0x06, 0, 0, 262144),
            (0x06, 0, 0, 0),
        ]
        .into_iter()
        .map(|(code, jt, jf, k)| nova_dbus::net::BpfInstruction { code, jt, jf, k })
        .collect();
        // Capture on a bridge port: frames forwarded between ports never pass the bridge device.
        let fd = e
            .capture(&n("nvcapa"), &BpfProgram::new(icmp).unwrap())
            .await
            .unwrap();
        let out = a.cmd(&["busybox", "ping", "-c", "3", "-W", "2", "10.77.0.2"]);
        assert!(
            out.status.success(),
            "ping: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        // Read what arrived, then close our end: the capture thread must stop.
        tokio::time::sleep(std::time::Duration::from_millis(300)).await;
        let mut f = std::fs::File::from(fd);
        // SAFETY: set O_NONBLOCK on our pipe end to read only what is there.
        unsafe {
            let fl = libc::fcntl(std::os::fd::AsRawFd::as_raw_fd(&f), libc::F_GETFL);
            libc::fcntl(
                std::os::fd::AsRawFd::as_raw_fd(&f),
                libc::F_SETFL,
                fl | libc::O_NONBLOCK,
            );
        }
        let mut data = Vec::new();
        let _ = std::io::Read::read_to_end(&mut f, &mut data);
        drop(f);
        let (linktype, frames) = parse_pcap(&data);
        assert_eq!(linktype, 1);
        assert!(
            frames.len() >= 6,
            "expected 3 echo requests + 3 replies, got {}",
            frames.len()
        );
        assert!(
            frames.iter().all(|f| is_icmp_echo(f)),
            "filter let non-ICMP through"
        );
        assert!(frames.iter().any(|f| f[34] == 8) && frames.iter().any(|f| f[34] == 0));
        for host in ["nvcapa", "nvcapb", "nvcapbr"] {
            e.run(Op::Delete(n(host)), ROOT).await.unwrap();
        }
    });
}

/// Names of the links `ip -o link` shows (without `@peer`).
fn link_names(out: &str) -> Vec<String> {
    out.lines()
        .filter_map(|l| l.split(": ").nth(1))
        .map(|n| n.split('@').next().unwrap_or(n).to_string())
        .collect()
}

#[test]
fn delete_many_removes_exactly_the_named_owned_interfaces_at_once() {
    in_netns(None, |e, ns| async move {
        use nova_ve_netd::engine::{Event, GROUP_BASE};
        ns.sh(&["ip", "link", "add", "nvforeign", "type", "bridge"]);
        // A foreign interface already in netd's group range must not go along.
        ns.sh(&[
            "ip",
            "link",
            "set",
            "nvforeign",
            "group",
            &GROUP_BASE.to_string(),
        ]);
        let node = ns.node();
        let ops = vec![
            Op::CreateBridge(n("nvdb0")),
            Op::CreateBridge(n("nvdb1")),
            Op::CreateBridge(n("nvkeep")),
            Op::create_veth("nvdv0", "eth0", node.pid(), true).unwrap(),
            Op::Attach {
                name: n("nvdv0"),
                bridge: n("nvdb0"),
            },
            Op::create_veth("nvdh0", "nvdh1", 0, false).unwrap(),
        ];
        e.apply(ops, ROOT).await.unwrap();
        let mut events = e.subscribe();

        // One foreign or unowned name refuses the whole call; nothing is deleted.
        let before = ns.sh(&["ip", "-o", "link"]);
        for victim in ["nvforeign", "lo"] {
            let r = e
                .delete_many(&[n("nvdb0"), n(victim), n("nvdb1")], ROOT)
                .await;
            assert!(matches!(r, Err(NetdError::NotOwned(_))), "{victim}: {r:?}");
        }
        assert_eq!(before, ns.sh(&["ip", "-o", "link"]));
        assert!(events.try_recv().is_err());

        // Missing names are skipped; the rest goes, veth peers included.
        let mut deleted = e
            .delete_many(
                &[
                    n("nvdb0"),
                    n("nvdb1"),
                    n("nvdv0"),
                    n("nvdh0"),
                    n("nvgone"),
                    n("nvdb0"),
                ],
                ROOT,
            )
            .await
            .unwrap();
        deleted.sort();
        assert_eq!(deleted, ["nvdb0", "nvdb1", "nvdh0", "nvdh1", "nvdv0"]);
        let mut left = link_names(&ns.sh(&["ip", "-o", "link"]));
        left.sort();
        assert_eq!(left, ["lo", "nvforeign", "nvkeep"]);
        let in_node = String::from_utf8_lossy(&node.cmd(&["ip", "-o", "link"]).stdout).into_owned();
        assert_eq!(link_names(&in_node), ["lo"], "{in_node}");
        assert_eq!(e.recorded().await, ["nvkeep"]);
        let mut removed = Vec::new();
        while let Ok(ev) = events.try_recv() {
            match ev {
                Event::Removed { name } => removed.push(name),
                other => panic!("unexpected {other:?}"),
            }
        }
        removed.sort();
        assert_eq!(removed, deleted);
        // What stays keeps its group (netd's group never sticks to a survivor).
        let keep = ns.sh(&["ip", "-d", "link", "show", "nvkeep"]);
        assert!(keep.contains("group default"), "{keep}");

        // Only missing names: nothing to do. One name: deleted too.
        assert!(
            e.delete_many(&[n("nvgone")], ROOT)
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            e.delete_many(&[n("nvkeep")], ROOT).await.unwrap(),
            ["nvkeep"]
        );
        let mut left = link_names(&ns.sh(&["ip", "-o", "link"]));
        left.sort();
        assert_eq!(left, ["lo", "nvforeign"]);
        assert!(e.recorded().await.is_empty());
    });
}
