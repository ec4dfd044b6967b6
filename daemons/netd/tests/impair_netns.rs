//! Impairments (SetNetem/ClearNetem) against the real kernel, each test in a throwaway network
//! namespace (the test thread unshares CLONE_NEWNET; everything goes when the thread ends; node
//! processes are killed on drop, also when an assertion fails). Needs root, as in CI.
//!
//! On a kernel with `sch_netem` the netem path is checked; without it (this project's CI VMs)
//! the fallback: rate via `tbf`, random loss via clsact + cls_bpf, delay → NotSupported.
//! Traffic stays between the test's own namespaces.

mod common;

use common::{NsPath, ROOT, in_netns, kernel_has_netem, n};
use nova_ve_netd::engine::{NetEngine, Op};
use nova_ve_netd::error::NetdError;
use nova_ve_netd::validate::Netem;

impl NsPath {
    fn tc_qdisc(&self, dev: &str) -> String {
        self.sh(&["tc", "qdisc", "show", "dev", dev])
    }

    fn tc_egress_filters(&self, dev: &str) -> String {
        let out = self.cmd(&["tc", "filter", "show", "dev", dev, "egress"]);
        // Without a clsact qdisc there is no egress block to show: no filters.
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Pings `addr` `count` times, 10 ms apart; returns how many replies came back.
    fn ping(&self, addr: &str, count: u32) -> u32 {
        self.ping_sized(addr, count, 56)
    }

    /// Like [`NsPath::ping`] with `size` data bytes per request.
    fn ping_sized(&self, addr: &str, count: u32, size: u32) -> u32 {
        let (count_s, size_s) = (count.to_string(), size.to_string());
        let out = self.cmd(&[
            "busybox", "ping", "-q", "-c", &count_s, "-s", &size_s, "-i", "0.01", "-W", "1", "-w",
            "15", addr,
        ]);
        let text = String::from_utf8_lossy(&out.stdout);
        let line = text
            .lines()
            .find(|l| l.contains("packets received"))
            .unwrap_or_else(|| panic!("no ping summary: {text}"));
        // "100 packets transmitted, 47 packets received, 53% packet loss"
        line.split(", ")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("bad ping summary: {line}"))
    }
}

async fn set(
    e: &NetEngine,
    name: &str,
    d: u32,
    j: u32,
    loss: f64,
    rate: u64,
) -> Result<(), NetdError> {
    e.run(
        Op::SetNetem {
            name: n(name),
            netem: Netem::new(d, j, loss, rate).unwrap(),
        },
        ROOT,
    )
    .await
    .map(|_| ())
}

async fn clear(e: &NetEngine, name: &str) {
    e.run(Op::ClearNetem(n(name)), ROOT).await.unwrap();
}

#[test]
fn rate_shows_in_tc_and_clears() {
    in_netns(None, |e, ns| async move {
        let netem = kernel_has_netem(&ns);
        e.run(Op::CreateBridge(n("nvrate")), ROOT).await.unwrap();
        set(&e, "nvrate", 0, 0, 0.0, 125_000).await.unwrap();
        assert_eq!(e.netem_supported(), Some(netem));
        let tc = ns.tc_qdisc("nvrate");
        eprintln!("{tc}");
        assert!(tc.contains("rate 1Mbit"), "{tc}");
        if netem {
            assert!(tc.contains("qdisc netem") && tc.contains("root"), "{tc}");
        } else {
            // Burst: two 1514-byte frames (10 ms of 1 Mbit/s is less).
            assert!(tc.contains("qdisc tbf") && tc.contains("root"), "{tc}");
            assert!(tc.contains("burst 3028b"), "{tc}");
            // Above 4 GB/s the 64-bit rate attribute carries it.
            set(&e, "nvrate", 0, 0, 0.0, 10_000_000_000).await.unwrap();
            let tc = ns.tc_qdisc("nvrate");
            assert!(
                tc.contains("qdisc tbf") && tc.contains("rate 80Gbit"),
                "{tc}"
            );
            assert_eq!(
                tc.matches("qdisc tbf").count(),
                1,
                "replaced, not stacked: {tc}"
            );
        }
        clear(&e, "nvrate").await;
        let tc = ns.tc_qdisc("nvrate");
        assert!(!tc.contains("tbf") && !tc.contains("netem"), "{tc}");
        // Clearing again is a no-op, not an error.
        clear(&e, "nvrate").await;
    });
}

#[test]
fn delay_without_netem_is_not_supported_and_changes_nothing() {
    in_netns(None, |e, ns| async move {
        if kernel_has_netem(&ns) {
            // Where netem exists, delay works (the netem path, also covered by engine_netns).
            e.run(Op::CreateBridge(n("nvdelay")), ROOT).await.unwrap();
            set(&e, "nvdelay", 10_000, 0, 0.0, 0).await.unwrap();
            assert!(ns.tc_qdisc("nvdelay").contains("delay 10ms"));
            clear(&e, "nvdelay").await;
            return;
        }
        eprintln!("NOTE: kernel without sch_netem: checking the fallback's refusal of delay");
        e.run(Op::CreateBridge(n("nvdelay")), ROOT).await.unwrap();
        let before = ns.tc_qdisc("nvdelay");
        let r = set(&e, "nvdelay", 10_000, 1_000, 5.0, 125_000).await;
        match &r {
            Err(NetdError::NotSupported(m)) => {
                assert!(m.contains("CONFIG_NET_SCH_NETEM"), "{m}");
                assert!(m.contains("rate") && m.contains("loss"), "{m}");
            }
            other => panic!("expected NotSupported, got {other:?}"),
        }
        assert_eq!(e.netem_supported(), Some(false));
        assert_eq!(before, ns.tc_qdisc("nvdelay"), "nothing may change");
        assert!(
            !before.contains("tbf") && !before.contains("clsact"),
            "{before}"
        );

        // With an impairment in place, a refused delay leaves it as it was.
        set(&e, "nvdelay", 0, 0, 10.0, 125_000).await.unwrap();
        let before = ns.tc_qdisc("nvdelay");
        let filters = ns.tc_egress_filters("nvdelay");
        assert!(
            before.contains("tbf") && before.contains("clsact") && filters.contains("bpf"),
            "{before}{filters}"
        );
        let r = set(&e, "nvdelay", 1_000, 0, 10.0, 125_000).await;
        assert!(matches!(r, Err(NetdError::NotSupported(_))), "{r:?}");
        assert_eq!(before, ns.tc_qdisc("nvdelay"));
        assert_eq!(filters, ns.tc_egress_filters("nvdelay"));

        // Replace semantics: loss only → the tbf goes; rate only → the clsact goes.
        set(&e, "nvdelay", 0, 0, 10.0, 0).await.unwrap();
        let tc = ns.tc_qdisc("nvdelay");
        assert!(!tc.contains("tbf") && tc.contains("clsact"), "{tc}");
        set(&e, "nvdelay", 0, 0, 0.0, 125_000).await.unwrap();
        let tc = ns.tc_qdisc("nvdelay");
        assert!(tc.contains("tbf") && !tc.contains("clsact"), "{tc}");
        clear(&e, "nvdelay").await;
        let tc = ns.tc_qdisc("nvdelay");
        assert!(!tc.contains("tbf") && !tc.contains("clsact"), "{tc}");
    });
}

#[test]
fn loss_and_rate_act_on_pings_through_a_veth() {
    in_netns(None, |e, ns| async move {
        let netem = kernel_has_netem(&ns);
        let node = ns.node();
        e.run(
            Op::create_veth("nvloss", "eth1", node.pid(), true).unwrap(),
            ROOT,
        )
        .await
        .unwrap();
        e.run(
            Op::SetUp {
                name: n("nvloss"),
                up: true,
            },
            ROOT,
        )
        .await
        .unwrap();
        ns.sh(&["ip", "addr", "add", "10.77.0.1/24", "dev", "nvloss"]);
        node.sh(&["ip", "addr", "add", "10.77.0.2/24", "dev", "eth1"]);
        // Resolves the neighbour and proves the path before any impairment.
        assert_eq!(ns.ping("10.77.0.2", 5), 5);

        set(&e, "nvloss", 0, 0, 100.0, 0).await.unwrap();
        if !netem {
            let f = ns.tc_egress_filters("nvloss");
            assert!(f.contains("bpf") && f.contains("direct-action"), "{f}");
        }
        assert_eq!(ns.ping("10.77.0.2", 20), 0, "100% loss drops everything");

        set(&e, "nvloss", 0, 0, 50.0, 0).await.unwrap();
        let got = ns.ping("10.77.0.2", 100);
        eprintln!("50% loss: {got} of 100 replies");
        // Loss applies to requests only (egress of nvloss): expect ~50 of 100 back.
        assert!((20..=80).contains(&got), "50% loss: {got} of 100 came back");

        clear(&e, "nvloss").await;
        let tc = ns.tc_qdisc("nvloss");
        assert!(!tc.contains("clsact") && !tc.contains("netem"), "{tc}");
        assert_eq!(ns.ping("10.77.0.2", 20), 20, "no loss after ClearNetem");

        // 0 % loss (with a rate) installs no loss filter.
        set(&e, "nvloss", 0, 0, 0.0, 1_250_000).await.unwrap();
        assert!(!ns.tc_qdisc("nvloss").contains("clsact"));
        assert_eq!(ns.ping("10.77.0.2", 20), 20);

        // The rate is enforced: 30 requests of ~1 kB offered at ~100 kB/s into 10 kB/s.
        set(&e, "nvloss", 0, 0, 0.0, 10_000).await.unwrap();
        let got = ns.ping_sized("10.77.0.2", 30, 1000);
        eprintln!("10 kB/s: {got} of 30 large pings came back");
        if netem {
            // netem queues (limit 1000 packets) rather than drops: they arrive, late.
            assert!(got > 0, "{got}");
        } else {
            // tbf passes the 3 kB burst and what the rate refills, and drops what overflows
            // its ~3.5 kB queue.
            assert!((1..=20).contains(&got), "tbf at 10 kB/s passed {got} of 30");
        }
        clear(&e, "nvloss").await;
        assert_eq!(
            ns.ping_sized("10.77.0.2", 10, 1000),
            10,
            "no limit after clear"
        );
        drop(node);
    });
}
