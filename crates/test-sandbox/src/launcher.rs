//! Spawns sandbox launchers from one long-lived thread, with PR_SET_PDEATHSIG=SIGKILL.
//!
//! The parent-death signal fires when the *thread* that forked the child exits, not the process.
//! Test harnesses run each test on its own short-lived thread, so a sandbox spawned there would
//! be killed when that test's thread ends (fatal for `Sandbox::shared()`). Forking from a thread
//! that lives as long as the process ties the sandbox's life to the process instead.

use std::io;
use std::os::unix::process::CommandExt;
use std::process::{Child, Command};
use std::sync::mpsc::{Sender, channel};
use std::sync::{Mutex, OnceLock};

use rustix::process::{Pid, Signal, getppid, set_parent_process_death_signal};

type Request = (Command, Sender<io::Result<Child>>);

static LAUNCHER: OnceLock<Mutex<Sender<Request>>> = OnceLock::new();

/// Spawns `cmd` so that it receives SIGKILL when this process ends, however it ends.
pub fn spawn_tied_to_process(mut cmd: Command) -> io::Result<Child> {
    let parent = rustix::process::getpid();
    // SAFETY: only async-signal-safe syscalls (prctl, getppid) between fork and exec.
    unsafe {
        cmd.pre_exec(move || {
            set_parent_process_death_signal(Some(Signal::KILL))?;
            // The parent may have died between fork and prctl: then nobody will signal us.
            if getppid() != Some(parent) {
                return Err(io::Error::other("parent exited during spawn"));
            }
            Ok(())
        });
    }
    let (reply_tx, reply_rx) = channel();
    launcher()
        .lock()
        .map_err(|_| io::Error::other("sandbox launcher lock poisoned"))?
        .send((cmd, reply_tx))
        .map_err(|_| io::Error::other("sandbox launcher thread is gone"))?;
    reply_rx
        .recv()
        .map_err(|_| io::Error::other("sandbox launcher thread is gone"))?
}

fn launcher() -> &'static Mutex<Sender<Request>> {
    LAUNCHER.get_or_init(|| {
        let (tx, rx) = channel::<Request>();
        std::thread::Builder::new()
            .name("nova-sandbox-launcher".into())
            .spawn(move || {
                for (mut cmd, reply) in rx {
                    let _ = reply.send(cmd.spawn());
                }
            })
            .expect("spawn the sandbox launcher thread");
        Mutex::new(tx)
    })
}

/// Whether `pid` names a live (not zombie) process.
pub fn alive(pid: Pid) -> bool {
    match std::fs::read_to_string(format!("/proc/{}/stat", pid.as_raw_nonzero())) {
        Ok(stat) => stat
            .rsplit_once(") ")
            .is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}
