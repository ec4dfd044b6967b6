//! The throwaway-namespace harness shared by netd's kernel-level tests: each test runs the
//! engine on a thread that unshared CLONE_NEWNET (nothing it makes is visible on the host, all
//! of it goes when the thread ends), observes with the `ip`/`tc` CLIs through nsenter, and gets
//! "node" processes in their own namespaces that are killed on drop, also when an assertion
//! fails. Needs root (CAP_NET_ADMIN), as in CI.

// Each test binary uses its own subset of the harness.
#![allow(dead_code)]

use std::future::Future;
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};

use nova_ve_netd::engine::{Caller, NetEngine, netlink_handle};
use nova_ve_netd::validate::IfName;

pub const ROOT: Caller = Caller { uid: 0 };

/// Runs `f` in a fresh network namespace on a current-thread runtime in a dedicated thread,
/// with an engine whose ownership record is `state` (none: in memory only).
pub fn in_netns<F, Fut>(state: Option<PathBuf>, f: F)
where
    F: FnOnce(NetEngine, NsPath) -> Fut + Send + 'static,
    Fut: Future<Output = ()>,
{
    std::thread::spawn(move || {
        // SAFETY: unshare of the network namespace affects only this thread.
        assert_eq!(
            unsafe { libc::unshare(libc::CLONE_NEWNET) },
            0,
            "unshare(CLONE_NEWNET) needs root"
        );
        // SAFETY: gettid has no preconditions.
        let tid = unsafe { libc::gettid() };
        let ns = NsPath(format!("/proc/{}/task/{tid}/ns/net", std::process::id()));
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let handle = netlink_handle().unwrap();
            let (engine, _) = NetEngine::open(handle, state.as_deref()).await.unwrap();
            f(engine, ns).await;
        });
    })
    .join()
    .expect("test thread panicked");
}

/// The test thread's namespace, for observing with the `ip`/`tc` CLIs through nsenter.
#[derive(Clone)]
pub struct NsPath(pub String);

impl NsPath {
    /// Runs `args` in the namespace.
    pub fn cmd(&self, args: &[&str]) -> Output {
        Command::new("nsenter")
            .arg(format!("--net={}", self.0))
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs `args` in the namespace; must succeed; its stdout.
    pub fn sh(&self, args: &[&str]) -> String {
        succeeded(args, self.cmd(args))
    }

    /// A process in its own new network namespace (child of this one), killed on drop.
    pub fn node(&self) -> Node {
        let child = Command::new("nsenter")
            .arg(format!("--net={}", self.0))
            .args(["unshare", "--net", "--", "sleep", "120"])
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        // nsenter execs unshare which execs sleep: same PID throughout; wait until it is in the
        // new namespace (its netns differs from ours).
        let ino = |path: &str| {
            std::fs::metadata(path)
                .map(|m| std::os::unix::fs::MetadataExt::ino(&m))
                .ok()
        };
        let me = ino(&self.0).unwrap();
        for _ in 0..200 {
            let comm =
                std::fs::read_to_string(format!("/proc/{}/comm", child.id())).unwrap_or_default();
            let theirs = ino(&format!("/proc/{}/ns/net", child.id())).unwrap_or(me);
            if comm.trim() == "sleep" && theirs != me {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        Node(child)
    }
}

/// A process in its own network namespace, killed on drop.
pub struct Node(Child);

impl Node {
    pub fn pid(&self) -> u32 {
        self.0.id()
    }

    /// Runs `args` in the node's namespace.
    pub fn cmd(&self, args: &[&str]) -> Output {
        Command::new("nsenter")
            .args(["-t", &self.pid().to_string(), "-n"])
            .args(args)
            .output()
            .unwrap()
    }

    /// Runs `args` in the node's namespace; must succeed; its stdout.
    pub fn sh(&self, args: &[&str]) -> String {
        succeeded(args, self.cmd(args))
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn succeeded(args: &[&str], out: Output) -> String {
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn n(s: &str) -> IfName {
    IfName::parse(s).unwrap()
}

/// Whether the kernel can make a netem qdisc (probed with `tc` on a scratch bridge in the
/// test's own namespace).
pub fn kernel_has_netem(ns: &NsPath) -> bool {
    ns.sh(&["ip", "link", "add", "nvprobe", "type", "bridge"]);
    let ok = ns
        .cmd(&[
            "tc", "qdisc", "add", "dev", "nvprobe", "root", "netem", "delay", "1ms",
        ])
        .status
        .success();
    ns.sh(&["ip", "link", "del", "nvprobe"]);
    ok
}
