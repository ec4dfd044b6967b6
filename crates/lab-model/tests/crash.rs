//! SIGKILL a process in the middle of lab writes, hundreds of times, and show
//! that the lab on disk is always whole: the old version or the new one.
//!
//! The writer is this test binary run again with `NOVA_SANDBOX_CALL=crash_writer`: a
//! constructor (`inside_fns!` of nova-test-sandbox) runs `crash_writer` instead of the test
//! harness, so no extra binary is needed and no ignored test shows up as skipped.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use nova_lab_model::{Lab, LabPath, LabStore, Node, NodeKind};

const ROUNDS: usize = 300;
const READY: &str = "nova-crash-writer-ready";

/// Two large, different versions of one lab (a few hundred KiB each, so a
/// write takes long enough to be interrupted).
fn versions() -> (Lab, Lab) {
    let make = |tag: &str| {
        let mut lab = Lab::new("crash-lab", format!("version {tag}"));
        lab.meta.description = Some(tag.repeat(20_000));
        for id in 1..=200 {
            let mut node = Node::new(id, format!("{tag}-node-{id}"), NodeKind::Linux);
            node.ethernet = 8;
            node.interfaces = (0..8)
                .map(|i| nova_lab_model::NodeInterface::new(i, format!("eth{i}")))
                .collect();
            lab.add_node(node).unwrap();
        }
        lab
    };
    (make("A"), make("B"))
}

fn lab_path() -> LabPath {
    LabPath::parse("crash.json").unwrap()
}

/// The writer process (not a test): rewrites the lab, B then A, until it is killed.
fn crash_writer(args: &[String]) -> nova_test_sandbox::InsideResult {
    let root = args
        .first()
        .ok_or("run only by sigkill_mid_write_leaves_old_or_new_lab")?;
    let store = LabStore::open(root)?;
    let (a, b) = versions();
    println!("{READY}");
    loop {
        store.write(&lab_path(), &b)?;
        store.write(&lab_path(), &a)?;
    }
}
nova_test_sandbox::inside_fns!(crash_writer);

/// Kills and reaps the child even if the test panics.
struct Killer(Child);

impl Drop for Killer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_writer(root: &std::path::Path) -> Killer {
    let exe = std::env::current_exe().unwrap();
    let mut child = Command::new(exe)
        .arg(root)
        .env(nova_test_sandbox::inside::ENV_CALL, "crash_writer")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let killer = Killer(child);
    // Read on a thread so a writer that never gets ready fails the test instead of hanging it.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let ready = BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .any(|l| l.contains(READY));
        let _ = tx.send(ready);
    });
    match rx.recv_timeout(Duration::from_secs(20)) {
        Ok(true) => killer,
        Ok(false) => panic!("writer exited before it was ready"),
        Err(_) => panic!("writer not ready after 20 s"),
    }
}

/// A small xorshift generator: random kill moments without another dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn temp_files(root: &std::path::Path) -> usize {
    std::fs::read_dir(root)
        .unwrap()
        .filter(|e| {
            e.as_ref()
                .unwrap()
                .file_name()
                .to_string_lossy()
                .contains(".json.tmp-")
        })
        .count()
}

#[test]
fn sigkill_mid_write_leaves_old_or_new_lab() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let (a, b) = versions();
    LabStore::open(root)
        .unwrap()
        .write(&lab_path(), &a)
        .unwrap();
    let seed = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut rng = Rng(seed | 1);
    let (mut saw_a, mut saw_b, mut interrupted) = (0, 0, 0);
    let start = Instant::now();
    // On a loaded machine the writer starts late and writes slowly, so kills in the first
    // 8 ms may all land before the write (seen in CI beside a cold build: 300 kills, none
    // mid-write). Then the window doubles every ROUNDS rounds, up to 4 × ROUNDS rounds.
    let mut window_us = 8_000;
    let mut round = 0;
    while round < ROUNDS || ((interrupted == 0 || saw_a == 0 || saw_b == 0) && round < 4 * ROUNDS) {
        if round > 0 && round % ROUNDS == 0 {
            window_us *= 2;
        }
        let mut writer = spawn_writer(root);
        std::thread::sleep(Duration::from_micros(rng.next() % window_us));
        writer.0.kill().unwrap();
        writer.0.wait().unwrap();

        let text = std::fs::read_to_string(root.join("crash.json")).unwrap();
        let lab =
            Lab::from_json(&text).unwrap_or_else(|e| panic!("round {round}: lab is torn: {e}"));
        match lab.meta.name.as_str() {
            "version A" => saw_a += 1,
            "version B" => saw_b += 1,
            other => panic!("round {round}: unexpected lab {other:?}"),
        }
        assert!(
            lab == a || lab == b,
            "round {round}: lab is neither version"
        );

        // A kill mid-write leaves the writer's temp file; opening the store removes it.
        let leftovers = temp_files(root);
        assert!(leftovers <= 1, "round {round}: {leftovers} temp files");
        interrupted += leftovers;
        LabStore::open(root).unwrap();
        assert_eq!(temp_files(root), 0, "round {round}: open did not clean up");
        round += 1;
    }
    eprintln!(
        "{round} kills in {:?}: {saw_a} left version A, {saw_b} version B, {interrupted} mid-write (seed {seed}, last window {window_us} µs)",
        start.elapsed()
    );
    assert!(
        saw_a > 0 && saw_b > 0,
        "kills should land at different moments (A {saw_a}, B {saw_b})"
    );
    assert!(
        interrupted > 0,
        "no kill landed mid-write; the test would prove nothing"
    );
}
