//! The web app end to end: the built app (`frontend/dist`) served by the real
//! `nova-ve-gateway.service`, with labd and netd, in a sandbox with its own network namespace,
//! driven by headless Chromium (playwright-core, Debian's `/usr/bin/chromium`) running the
//! scenario in `frontend/e2e/real-stack.mjs` inside that sandbox: sign in, build a routed lab
//! from the catalogue (two busybox hosts, an FRR router, addresses, links), start it, ping
//! through the router in host1's console, add a link while it runs, 100 % loss and back in the
//! impairment editor, stop it, import an EVE-NG `.unl`, a viewer's read-only view, the admin
//! pages, and the canvas with a 200-node, 300-link lab (open time, long tasks).
//!
//! The lab's nodes make bridges and veths, so the sandbox has its own network namespace (never
//! the host's), and the gateway on 127.0.0.1:8080 is reachable only inside it: the browser runs
//! there too. The sandbox sees the host's filesystem, so node, Chromium and
//! `frontend/node_modules` are found where they are; its `/tmp`, `/run` and `/dev/shm` are
//! private, so HOME and TMPDIR (Playwright's fresh `--user-data-dir`, Chromium's `~/.pki` and
//! font caches) point into its `/tmp`. Screenshots and the performance figures go to
//! `target/e2e-artifacts/`.
//!
//! Needs root, the binaries (`cargo build -p nova-ve-netd -p nova-ve-labd -p nova-ve-gateway
//! --bins`) and the built web app (`scripts/frontend build`; `make test` runs
//! `scripts/frontend check`, which builds it, before the tests).

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc;
use std::time::{Duration, Instant};

use nova_test_sandbox::{Sandbox, paths};

#[allow(unused_macros)]
mod common;

const UNIT: &str = "nova-ve-gateway.service";
/// The whole browser scenario; it takes about a minute here.
const SCENARIO_TIMEOUT: Duration = Duration::from_secs(240);

/// What the test needs on the host, each with the command that provides it.
fn prerequisites(repo: &Path) -> Vec<String> {
    let mut missing = Vec::new();
    let bins = paths::bin_dir().expect("target dir");
    for b in ["nova-ve-netd", "nova-ve-labd", "nova-ve-gateway"] {
        if !bins.join(b).exists() {
            missing.push(format!(
                "{b} is not built: cargo build -p nova-ve-netd -p nova-ve-labd -p nova-ve-gateway --bins"
            ));
        }
    }
    let frontend = repo.join("frontend");
    if !frontend.join("dist/index.html").is_file() {
        missing.push(format!(
            "the web app is not built ({} has no index.html): run `scripts/frontend build` \
             (`make test` runs `scripts/frontend check`, which builds it)",
            frontend.join("dist").display()
        ));
    }
    if !frontend.join("node_modules/playwright-core").is_dir() {
        missing.push(
            "frontend/node_modules has no playwright-core: run `scripts/frontend build`".into(),
        );
    }
    for (exe, package) in [
        ("/usr/bin/node", "nodejs"),
        ("/usr/bin/chromium", "chromium"),
    ] {
        if !Path::new(exe).exists() {
            missing.push(format!(
                "{exe} is missing: apt-get install {package} (scripts/install-test-deps)"
            ));
        }
    }
    missing
}

/// `nova-ve-gateway ARGS` as an operator runs it (as the gateway's user, with its environment
/// file and state directory), like scripts/demo; its stdout.
fn operator(sb: &Sandbox, args: &[&str]) -> String {
    let out = common::operator(sb, args);
    assert!(
        out.status.success(),
        "nova-ve-gateway {args:?}: {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The sandbox (own network namespace) with netd, labd and the gateway serving the web app on
/// 127.0.0.1:8080; the first administrator's password.
fn boot(repo: &Path) -> (Sandbox, String) {
    let sb = Sandbox::builder()
        .repo_root(repo)
        .boot()
        .unwrap_or_else(|e| panic!("sandbox: {e}"));
    assert!(
        !sb.host_network(),
        "the lab's links must not be made on the host"
    );
    sb.run_ok(&[
        "systemctl",
        "start",
        "nova-ve-netd.service",
        "nova-ve-labd.service",
    ])
    .unwrap_or_else(|e| panic!("start netd and labd: {e}\n{}", sb.journal_tail(60)));
    let frontend = format!(
        "NOVA_VE_FRONTEND_DIR={}",
        repo.join("frontend/dist").display()
    );
    sb.run_ok(&[
        "sh",
        "-c",
        "mkdir -p /etc/nova-ve && printf '%s\\n' \"$@\" >/etc/nova-ve/gateway.env",
        "sh",
        "NOVA_VE_LISTEN=127.0.0.1:8080",
        &frontend,
    ])
    .expect("write gateway.env");
    operator(&sb, &["migrate"]);
    let created = operator(&sb, &["admin", "create", "--username", "admin"]);
    let password = created
        .lines()
        .find_map(|l| l.strip_prefix("password: "))
        .unwrap_or_else(|| panic!("no password in {created:?}"))
        .to_string();
    sb.run_ok(&["systemctl", "start", UNIT])
        .unwrap_or_else(|e| panic!("{UNIT} did not start: {e}\n{}", sb.journal_tail(80)));
    // The built app is served, also at a deep link (its index.html, with 200).
    for path in ["/", "/labs/some-lab", "/admin/audit"] {
        let got = sb
            .run_ok(&[
                "curl",
                "-s",
                "-o",
                "/dev/null",
                "-w",
                "%{http_code} %{content_type}",
                &format!("http://127.0.0.1:8080{path}"),
            ])
            .expect("curl");
        assert!(got.starts_with("200 text/html"), "GET {path}: {got}");
    }
    (sb, password)
}

/// Runs the scenario inside the sandbox, printing its lines as they come; its exit status and
/// its output.
fn run_scenario(sb: &Sandbox, repo: &Path, password: &str, out: &Path) -> (bool, String) {
    // Chromium's profile, caches and Playwright's temporary files: the sandbox's private /tmp.
    sb.run_ok(&["mkdir", "-p", "/tmp/nova-e2e/home"])
        .expect("mkdir");
    let script = repo.join("frontend/e2e/real-stack.mjs");
    let (script, out) = (script.display().to_string(), out.display().to_string());
    let password = format!("NOVA_E2E_PASSWORD={password}");
    // The performance targets themselves instead of the regression guard (a quiet machine).
    let strict = format!(
        "NOVA_E2E_STRICT_PERF={}",
        std::env::var("NOVA_E2E_STRICT_PERF").unwrap_or_default()
    );
    let mut child = sb
        .command(&[
            "env",
            "HOME=/tmp/nova-e2e/home",
            "TMPDIR=/tmp/nova-e2e",
            &password,
            &strict,
            "node",
            &script,
            "--base",
            "http://127.0.0.1:8080",
            "--out",
            &out,
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn node in the sandbox");
    let (tx, rx) = mpsc::channel::<String>();
    let readers: Vec<_> = [
        Box::new(child.stdout.take().expect("stdout")) as Box<dyn std::io::Read + Send>,
        Box::new(child.stderr.take().expect("stderr")),
    ]
    .into_iter()
    .map(|pipe| {
        let tx = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(pipe).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        })
    })
    .collect();
    drop(tx);
    let deadline = Instant::now() + SCENARIO_TIMEOUT;
    let mut output = String::new();
    let status = loop {
        while let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
            println!("{line}");
            output.push_str(&line);
            output.push('\n');
        }
        if let Some(status) = child.try_wait().expect("wait for node") {
            break status;
        }
        if Instant::now() > deadline {
            // Our own child (nsenter); whatever it left inside dies with the sandbox.
            let _ = child.kill();
            let _ = child.wait();
            panic!(
                "the browser scenario did not finish in {SCENARIO_TIMEOUT:?}:\n{output}\n{}",
                sb.journal_tail(80)
            );
        }
    };
    for r in readers {
        let _ = r.join();
    }
    for line in rx.try_iter() {
        println!("{line}");
        output.push_str(&line);
        output.push('\n');
    }
    (status.success(), output)
}

#[test]
fn web_app_on_the_real_stack() {
    // This checkout (nova-test-sandbox's own idea of the root is where *it* was compiled,
    // which need not be here when target dirs are shared).
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("web-gateway is in the repository")
        .to_path_buf();
    let missing = prerequisites(&repo);
    assert!(
        missing.is_empty(),
        "cannot run the browser test:\n  {}",
        missing.join("\n  ")
    );
    let out: PathBuf = paths::target_dir()
        .expect("target dir")
        .join("e2e-artifacts");
    if out.exists() {
        std::fs::remove_dir_all(&out).expect("clear target/e2e-artifacts");
    }
    std::fs::create_dir_all(&out).expect("create target/e2e-artifacts");

    let t0 = Instant::now();
    let (sb, password) = boot(&repo);
    println!("sandbox and stack up in {:.1?}", t0.elapsed());
    let (ok, output) = run_scenario(&sb, &repo, &password, &out);
    if !ok {
        for unit in [UNIT, "nova-ve-labd.service", "nova-ve-netd.service"] {
            let journal = sb.journal(unit).unwrap_or_default();
            let tail: Vec<&str> = journal.lines().rev().take(40).collect();
            eprintln!(
                "--- {unit} (last lines) ---\n{}",
                tail.into_iter().rev().collect::<Vec<_>>().join("\n")
            );
        }
    }
    assert!(
        ok,
        "the browser scenario failed (screenshots in {}):\n{output}",
        out.display()
    );

    // What the scenario leaves: screenshots of the canvas, a console, the admin pages, and the
    // performance figures.
    for shot in [
        "canvas-running",
        "console-ping",
        "impairment",
        "canvas-imported",
        "viewer",
        "admin-users",
        "admin-audit",
        "admin-system",
        "canvas-200-nodes",
    ] {
        let file = out.join(format!("{shot}.png"));
        let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        assert!(
            size > 10_000,
            "{} missing or blank ({size} bytes)",
            file.display()
        );
    }
    let perf: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("perf.json")).expect("perf.json"))
            .expect("perf.json is JSON");
    // The script checks the figures (a regression guard, or the targets themselves with
    // NOVA_E2E_STRICT_PERF=1); here they must be there, and are printed.
    for key in [
        "drawn_ms",
        "interactive_ms",
        "click_to_panel_ms",
        "long_tasks_while_panning",
    ] {
        assert!(perf[key].is_u64(), "perf.json has no {key}: {perf}");
    }
    println!("canvas figures (200 nodes, 300 links): {perf}");
    println!("whole test: {:.1?}", t0.elapsed());
    sb.teardown().expect("teardown");
}
