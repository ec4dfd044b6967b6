//! Booting, using and tearing down one sandbox.

use std::collections::HashMap;
use std::ffi::OsStr;
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use rustix::process::{Pid, Signal, kill_process};

use crate::stage::{ExtraFile, StagePlan};
use crate::{Error, inside, launcher, paths, stage};

/// The init script run as PID 1 before it execs systemd (see its comments).
const INIT_SH: &str = include_str!("init.sh");
/// Marks a directory as a sandbox state dir, so teardown never removes anything else.
const MARKER: &str = "nova-sandbox-state";
/// Default bound on booting (systemd + dbus + polkit); the boot takes well under a second idle.
const DEFAULT_BOOT_TIMEOUT: Duration = Duration::from_secs(30);
/// Environment passed to every command run inside.
const PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

static COUNTER: AtomicU32 = AtomicU32::new(0);
static OUTPUT_COUNTER: AtomicU32 = AtomicU32::new(0);
static SHARED: OnceLock<Sandbox> = OnceLock::new();

/// How to boot a sandbox. `Sandbox::boot()` is `Builder::new().boot()`.
#[derive(Debug, Clone)]
pub struct Builder {
    host_network: bool,
    plan: StagePlan,
    boot_timeout: Duration,
}

impl Default for Builder {
    fn default() -> Self {
        Self::new()
    }
}

impl Builder {
    /// Private network namespace, the repository's project files, the built binaries.
    pub fn new() -> Self {
        Builder {
            host_network: false,
            plan: StagePlan {
                repo_root: paths::repo_root(),
                bin_dir: paths::bin_dir(),
                ..StagePlan::default()
            },
            boot_timeout: DEFAULT_BOOT_TIMEOUT,
        }
    }

    /// Share the host's network namespace instead of a private one (for `make demo`). Then links
    /// made inside are the host's and outlive the sandbox: whoever makes them removes them.
    pub fn host_network(mut self, yes: bool) -> Self {
        self.host_network = yes;
        self
    }

    /// Put `src` at absolute path `dest` inside (below /etc, /usr or /var/lib), before boot.
    pub fn file(mut self, src: impl Into<PathBuf>, dest: impl Into<PathBuf>) -> Self {
        self.plan.extra_files.push(ExtraFile {
            src: src.into(),
            dest: dest.into(),
        });
        self
    }

    /// Install a polkit action file (`*.policy`) inside, e.g. a test-only action.
    pub fn polkit_policy(self, src: impl Into<PathBuf>) -> Self {
        let src = src.into();
        let name = src.file_name().unwrap_or_default().to_owned();
        self.file(src, Path::new("/usr/share/polkit-1/actions").join(name))
    }

    /// Install a polkit rules file (`*.rules`) inside.
    pub fn polkit_rules(self, src: impl Into<PathBuf>) -> Self {
        let src = src.into();
        let name = src.file_name().unwrap_or_default().to_owned();
        self.file(src, Path::new("/etc/polkit-1/rules.d").join(name))
    }

    /// Add a unit file to the sandbox's unit dir (the repository's units/ are there already).
    pub fn unit(mut self, src: impl Into<PathBuf>) -> Self {
        self.plan.extra_units.push(src.into());
        self
    }

    /// Create the users and groups of a sysusers.d file inside (besides the repository's).
    pub fn sysusers(mut self, src: impl Into<PathBuf>) -> Self {
        self.plan.extra_sysusers.push(src.into());
        self
    }

    /// Add a tmpfiles.d file, applied (like the repository's) only by `apply_tmpfiles`.
    pub fn tmpfiles(mut self, src: impl Into<PathBuf>) -> Self {
        self.plan.extra_tmpfiles.push(src.into());
        self
    }

    /// Start `unit` as part of the boot (the boot then waits for it too).
    pub fn wants(mut self, unit: impl Into<String>) -> Self {
        self.plan.wants.push(unit.into());
        self
    }

    /// Take the project's files from another repository root.
    pub fn repo_root(mut self, root: impl Into<PathBuf>) -> Self {
        self.plan.repo_root = root.into();
        self
    }

    /// Take the binaries for /usr/libexec/nova-ve from `dir` (default: this build's profile dir).
    pub fn bin_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.plan.bin_dir = Some(dir.into());
        self
    }

    /// Bound on the whole boot.
    pub fn boot_timeout(mut self, t: Duration) -> Self {
        self.boot_timeout = t;
        self
    }

    /// Boots the sandbox and waits until systemd, dbus and polkit (and `wants`) are active.
    pub fn boot(self) -> Result<Sandbox, Error> {
        let started = Instant::now();
        let base = paths::state_base()?;
        fs::create_dir_all(&base).map_err(|e| Error::io(&base, e))?;
        crate::gc::collect_stale(&base);
        let id = format!(
            "{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let state = base.join(&id);
        fs::create_dir(&state).map_err(|e| Error::io(&state, e))?;
        let mut sb = Sandbox {
            cgroup: cgroup_name(&id),
            id,
            state,
            host_network: self.host_network,
            launcher: Mutex::new(None),
            pid1: None,
            users: Mutex::new(HashMap::new()),
            exe_copy: Mutex::new(None),
            boot_time: Duration::ZERO,
        };
        // From here on, Drop cleans up whatever the boot got to.
        sb.prepare(&self.plan)?;
        sb.launch()?;
        sb.wait_booted(&self.plan.wants, self.boot_timeout)?;
        sb.boot_time = started.elapsed();
        Ok(sb)
    }
}

/// A running sandbox: systemd as PID 1 of its own PID, mount, UTS and (by default) network
/// namespaces, with journald, dbus and polkit up. Dropping it kills everything inside (SIGKILL to
/// its PID 1) and removes its cgroups and state dir; if the test process dies instead, the kernel
/// kills it (parent-death signal) and the next boot removes the state dir.
#[derive(Debug)]
pub struct Sandbox {
    id: String,
    state: PathBuf,
    cgroup: String,
    host_network: bool,
    launcher: Mutex<Option<Child>>,
    pid1: Option<Pid>,
    users: Mutex<HashMap<String, UserInfo>>,
    exe_copy: Mutex<Option<PathBuf>>,
    boot_time: Duration,
}

#[derive(Debug, Clone)]
struct UserInfo {
    uid: u32,
    gid: u32,
    home: String,
}

impl Sandbox {
    /// Boots a sandbox with the defaults (see [`Builder`]).
    pub fn boot() -> Result<Sandbox, Error> {
        Builder::new().boot()
    }

    /// Options for booting.
    pub fn builder() -> Builder {
        Builder::new()
    }

    /// One sandbox for the whole test process, booted on first use, torn down at process exit.
    /// Under `cargo nextest` every test is its own process, so this is one sandbox per test; under
    /// `cargo test` the tests of one binary share it (they must then not disturb each other).
    /// Panics if the boot fails (with the boot error).
    pub fn shared() -> &'static Sandbox {
        SHARED.get_or_init(|| {
            let sb = Sandbox::boot().unwrap_or_else(|e| panic!("{e}"));
            // SAFETY: registering a plain extern "C" fn without captured state.
            unsafe { libc::atexit(teardown_shared) };
            sb
        })
    }

    /// The host PID of the sandbox's systemd (PID 1 inside).
    pub fn pid1(&self) -> u32 {
        self.pid1.map_or(0, |p| p.as_raw_nonzero().get() as u32)
    }

    /// Unique id of this sandbox (also names its state dir and cgroup).
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The state dir on the host (removed at teardown).
    pub fn state_dir(&self) -> &Path {
        &self.state
    }

    /// The name of this sandbox's cgroup in every hierarchy.
    pub fn cgroup_name(&self) -> &str {
        &self.cgroup
    }

    /// Host PIDs of the processes systemd manages in this sandbox (PID 1, services, scopes);
    /// commands run through `run`/`call` are not among them.
    pub fn host_pids(&self) -> Vec<u32> {
        crate::gc::cgroup_pids(&self.cgroup)
    }

    /// Whether the sandbox shares the host's network namespace.
    pub fn host_network(&self) -> bool {
        self.host_network
    }

    /// How long the boot took (state dir, namespaces, systemd, dbus, polkit).
    pub fn boot_time(&self) -> Duration {
        self.boot_time
    }

    /// A command that runs `argv` inside as root (clean environment, cwd `/`).
    pub fn command<S: AsRef<OsStr>>(&self, argv: &[S]) -> Command {
        let mut cmd = self.nsenter();
        cmd.env("HOME", "/root")
            .env("USER", "root")
            .env("LOGNAME", "root")
            .arg("--")
            .args(argv);
        cmd
    }

    /// A command that runs `argv` inside as `user` (uid, gid and supplementary groups of that
    /// user as the sandbox's /etc/passwd and /etc/group define them).
    pub fn command_as<S: AsRef<OsStr>>(&self, user: &str, argv: &[S]) -> Result<Command, Error> {
        if user == "root" {
            return Ok(self.command(argv));
        }
        let info = self.user(user)?;
        let mut cmd = self.nsenter();
        cmd.env("HOME", &info.home)
            .env("USER", user)
            .env("LOGNAME", user)
            .arg("--")
            .arg("setpriv")
            .arg(format!("--reuid={}", info.uid))
            .arg(format!("--regid={}", info.gid))
            .arg("--init-groups")
            .arg("--")
            .args(argv);
        Ok(cmd)
    }

    /// Runs `argv` inside as root and returns its output, whatever its exit status.
    pub fn run<S: AsRef<OsStr>>(&self, argv: &[S]) -> Result<Output, Error> {
        self.output(self.command(argv), argv)
    }

    /// Runs `argv` inside as root; its stdout if it succeeded, else an error with both outputs.
    pub fn run_ok<S: AsRef<OsStr>>(&self, argv: &[S]) -> Result<String, Error> {
        ok(self.output(self.command(argv), argv)?, argv)
    }

    /// Runs `argv` inside as `user` and returns its output, whatever its exit status.
    pub fn run_as<S: AsRef<OsStr>>(&self, user: &str, argv: &[S]) -> Result<Output, Error> {
        self.output(self.command_as(user, argv)?, argv)
    }

    /// Runs `argv` inside as `user`; its stdout if it succeeded, else an error with both outputs.
    pub fn run_as_ok<S: AsRef<OsStr>>(&self, user: &str, argv: &[S]) -> Result<String, Error> {
        ok(self.output(self.command_as(user, argv)?, argv)?, argv)
    }

    /// Runs the function `name` registered with [`inside_fns!`](crate::inside_fns) in this test
    /// binary, re-executed inside the sandbox as `user`, and returns what it printed on stdout.
    /// D-Bus calls made there come from a process inside, with that user's credentials.
    pub fn call(&self, user: &str, name: &str, args: &[&str]) -> Result<String, Error> {
        let exe = std::env::current_exe().map_err(|e| Error::io(Path::new("current_exe"), e))?;
        let exe = if user == "root" || others_can_execute(&exe) {
            exe
        } else {
            self.private_copy_of(&exe)?
        };
        let mut argv: Vec<&OsStr> = vec![exe.as_os_str()];
        argv.extend(args.iter().map(OsStr::new));
        let mut cmd = self.command_as(user, &argv)?;
        cmd.env(inside::ENV_CALL, name);
        ok(self.output(cmd, &argv)?, &argv)
    }

    /// Polls `cond` every 20 ms until it holds; on timeout the error has the journal tail.
    pub fn wait_for(
        &self,
        what: &str,
        timeout: Duration,
        mut cond: impl FnMut() -> bool,
    ) -> Result<(), Error> {
        let deadline = Instant::now() + timeout;
        loop {
            if cond() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(Error::Timeout {
                    what: what.to_string(),
                    after: timeout,
                    journal: self.journal_tail(40),
                });
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Waits until `unit` is active (`systemctl is-active`); on timeout the error has the journal.
    pub fn wait_active(&self, unit: &str, timeout: Duration) -> Result<(), Error> {
        self.wait_for(&format!("{unit} to be active"), timeout, || {
            self.run(&["systemctl", "is-active", "--quiet", unit])
                .is_ok_and(|o| o.status.success())
        })
    }

    /// The messages `unit` logged (`journalctl -u UNIT -o cat`).
    pub fn journal(&self, unit: &str) -> Result<String, Error> {
        self.run_ok(&["journalctl", "--no-pager", "-o", "cat", "-u", unit])
    }

    /// The last `lines` lines of the whole journal; a note instead if it cannot be read.
    pub fn journal_tail(&self, lines: u32) -> String {
        let n = lines.to_string();
        match self.run(&[
            "journalctl",
            "--no-pager",
            "-o",
            "short-monotonic",
            "-n",
            &n,
        ]) {
            Ok(out) => String::from_utf8_lossy(&out.stdout).into_owned(),
            Err(e) => format!("(journal unavailable: {e})"),
        }
    }

    /// Applies the repository's units/tmpfiles.d/*.conf (and `Builder::tmpfiles` files) inside
    /// (`systemd-tmpfiles --create`); what they create lands in the sandbox's overlays.
    pub fn apply_tmpfiles(&self) -> Result<(), Error> {
        let dir = self.state.join("tmpfiles.d");
        let mut argv = vec!["systemd-tmpfiles".to_string(), "--create".to_string()];
        let mut files: Vec<String> = fs::read_dir(&dir)
            .map_err(|e| Error::io(&dir, e))?
            .flatten()
            .map(|e| e.path().display().to_string())
            .collect();
        if files.is_empty() {
            return Ok(());
        }
        files.sort();
        argv.extend(files);
        self.run_ok(&argv).map(drop)
    }

    /// Copies a host file to `dest` inside, after boot (written through the sandbox's overlay).
    pub fn install_file(&self, src: &Path, dest: &str, mode: u32) -> Result<(), Error> {
        let mode = format!("{mode:o}");
        let src = src.display().to_string();
        self.run_ok(&["install", "-D", "-m", &mode, &src, dest])
            .map(drop)
    }

    /// `systemctl daemon-reload` inside (after installing unit files).
    pub fn daemon_reload(&self) -> Result<(), Error> {
        self.run_ok(&["systemctl", "daemon-reload"]).map(drop)
    }

    /// Kills everything inside and removes the sandbox's cgroups and state dir. Idempotent;
    /// every step is tried and every failure reported. Also done by Drop.
    pub fn teardown(&self) -> Result<(), Error> {
        let mut failures = Vec::new();
        // SIGTERM would make systemd re-execute; SIGKILL of PID 1 kills the whole PID ns.
        if let Some(pid1) = self.pid1.filter(|p| launcher::alive(*p))
            && let Err(e) = kill_process(pid1, Signal::KILL)
        {
            failures.push(format!("kill PID 1 ({pid1:?}): {e}"));
        }
        self.reap_launcher(&mut failures);
        crate::gc::remove_cgroups(&self.cgroup, &mut failures);
        crate::gc::remove_state_dir(&self.state, &mut failures);
        if failures.is_empty() {
            Ok(())
        } else {
            Err(Error::Teardown(failures))
        }
    }

    fn reap_launcher(&self, failures: &mut Vec<String>) {
        let Ok(mut guard) = self.launcher.lock() else {
            failures.push("launcher lock poisoned".into());
            return;
        };
        let Some(mut child) = guard.take() else {
            return;
        };
        if self.pid1.is_none() {
            // The boot failed before PID 1 was known: killing the launcher kills it (--kill-child).
            let _ = child.kill();
        }
        // unshare exits once it has reaped PID 1, i.e. once the whole PID namespace is gone.
        // Killing it first would leave PID 1 a zombie for someone else to reap.
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match child.try_wait() {
                Ok(Some(_)) => break,
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(2));
                }
                Ok(None) => {
                    failures.push(format!("launcher {} did not exit", child.id()));
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                Err(e) => {
                    failures.push(format!("wait for launcher: {e}"));
                    break;
                }
            }
        }
        // PID 1 is reaped by the launcher only after every process of the namespace is gone.
        if let Some(pid1) = self.pid1 {
            let deadline = Instant::now() + Duration::from_secs(10);
            while launcher::alive(pid1) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(5));
            }
            if launcher::alive(pid1) {
                failures.push(format!("PID 1 {pid1:?} still alive"));
            }
        }
    }

    fn prepare(&self, plan: &StagePlan) -> Result<(), Error> {
        write_file(&self.state.join(MARKER), &self.id)?;
        write_file(
            &self.state.join("owner"),
            &crate::gc::process_identity(std::process::id()),
        )?;
        stage::stage(&self.state, plan)?;
        write_file(&self.state.join("init.sh"), INIT_SH)
    }

    fn launch(&mut self) -> Result<(), Error> {
        let console_path = self.state.join("console.log");
        let console = fs::File::create(&console_path).map_err(|e| Error::io(&console_path, e))?;
        let console2 = console
            .try_clone()
            .map_err(|e| Error::io(&console_path, e))?;
        let mut cmd = Command::new("unshare");
        cmd.args(["--pid", "--fork", "--mount-proc", "--mount", "--uts"]);
        if !self.host_network {
            cmd.arg("--net");
        }
        cmd.arg("--kill-child")
            .arg("--")
            .arg("/bin/bash")
            .arg(self.state.join("init.sh"))
            .env_clear()
            .env("PATH", PATH)
            .env("NOVA_SB_STATE", &self.state)
            .env("NOVA_SB_CGROUP", &self.cgroup)
            .env("NOVA_SB_HOSTNET", if self.host_network { "1" } else { "0" })
            .stdin(Stdio::null())
            .stdout(console)
            .stderr(console2);
        let child = launcher::spawn_tied_to_process(cmd).map_err(|e| Error::Spawn {
            cmd: "unshare".into(),
            source: e,
        })?;
        let unshare_pid = child.id();
        *self.launcher.lock().expect("fresh lock") = Some(child);
        let pid1 = self.find_pid1(unshare_pid)?;
        self.pid1 = Some(pid1);
        write_file(
            &self.state.join("pid1"),
            &crate::gc::process_identity(pid1.as_raw_nonzero().get() as u32),
        )
    }

    /// The launcher's only child is the namespace's PID 1.
    fn find_pid1(&self, unshare_pid: u32) -> Result<Pid, Error> {
        let children = format!("/proc/{unshare_pid}/task/{unshare_pid}/children");
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            let found = fs::read_to_string(&children)
                .ok()
                .and_then(|s| s.split_whitespace().next()?.parse::<i32>().ok())
                .and_then(Pid::from_raw);
            if let Some(pid) = found {
                return Ok(pid);
            }
            if Instant::now() >= deadline || self.launcher_exited() {
                return Err(self.boot_error("the namespace's PID 1 never appeared"));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    fn wait_booted(&self, wants: &[String], timeout: Duration) -> Result<(), Error> {
        let mut argv = vec!["systemctl", "is-active", "dbus.service", "polkit.service"];
        argv.extend(wants.iter().map(String::as_str));
        let units = argv.len() - 2;
        let deadline = Instant::now() + timeout;
        loop {
            if self.launcher_exited() {
                return Err(self.boot_error("systemd exited"));
            }
            // `is-active` exits 0 when *any* unit is active: every line must say so.
            let all_active = self.run(&argv).is_ok_and(|o| {
                let out = String::from_utf8_lossy(&o.stdout);
                out.lines().filter(|l| *l == "active").count() == units
            });
            if all_active {
                return Ok(());
            }
            if Instant::now() >= deadline {
                return Err(self.boot_error(&format!(
                    "{} not all active after {timeout:?}",
                    argv[2..].join(", ")
                )));
            }
            std::thread::sleep(Duration::from_millis(15));
        }
    }

    fn launcher_exited(&self) -> bool {
        let mut guard = self.launcher.lock().expect("launcher lock");
        guard
            .as_mut()
            .is_none_or(|c| !matches!(c.try_wait(), Ok(None)))
    }

    fn boot_error(&self, reason: &str) -> Error {
        let console = fs::read_to_string(self.state.join("console.log")).unwrap_or_default();
        let journal = if self.pid1.is_some() && !self.launcher_exited() {
            self.journal_tail(60)
        } else {
            "(sandbox not running)".into()
        };
        Error::Boot {
            reason: reason.to_string(),
            console,
            journal,
        }
    }

    fn nsenter(&self) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.arg(format!("--target={}", self.pid1()))
            .args(["--mount", "--pid", "--uts", "--net", "--wd=/"])
            .env_clear()
            .env("PATH", PATH)
            .env("LANG", "C.UTF-8")
            .env("SYSTEMD_PAGER", "")
            .env("SYSTEMD_COLORS", "0")
            .env("TERM", "dumb")
            .stdin(Stdio::null());
        for var in ["RUST_BACKTRACE", "RUST_LOG"] {
            if let Some(v) = std::env::var_os(var) {
                cmd.env(var, v);
            }
        }
        cmd
    }

    /// A copy of `exe` in the sandbox's private /run (cached), for users who cannot reach the
    /// original (e.g. a checkout below /root, which is mode 0700).
    fn private_copy_of(&self, exe: &Path) -> Result<PathBuf, Error> {
        let mut cache = self.exe_copy.lock().expect("exe copy lock");
        if let Some(p) = cache.as_ref() {
            return Ok(p.clone());
        }
        let name = exe.file_name().unwrap_or_default();
        let inside = Path::new("/run/nova-sandbox/exe").join(name);
        // The sandbox's mount namespace, seen from the host through its PID 1's root.
        let host_view = PathBuf::from(format!("/proc/{}/root", self.pid1()))
            .join(inside.strip_prefix("/").unwrap_or(&inside));
        let parent = host_view.parent().unwrap_or(&host_view);
        fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        fs::copy(exe, &host_view).map_err(|e| Error::io(&host_view, e))?;
        fs::set_permissions(&host_view, fs::Permissions::from_mode(0o755))
            .map_err(|e| Error::io(&host_view, e))?;
        *cache = Some(inside.clone());
        Ok(inside)
    }

    /// Runs `cmd` to its exit with stdout and stderr going to files in the state dir, then reads
    /// them. Pipes would make the caller wait until every process that inherited them is gone,
    /// including daemons and background children started inside, which may live for minutes.
    fn output<S: AsRef<OsStr>>(&self, mut cmd: Command, argv: &[S]) -> Result<Output, Error> {
        let spawn_err = |e| Error::Spawn {
            cmd: describe(argv),
            source: e,
        };
        let n = OUTPUT_COUNTER.fetch_add(1, Ordering::Relaxed);
        let dir = self.state.join("output");
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let out_path = dir.join(format!("{n}.out"));
        let err_path = dir.join(format!("{n}.err"));
        let out = fs::File::create(&out_path).map_err(|e| Error::io(&out_path, e))?;
        let err = fs::File::create(&err_path).map_err(|e| Error::io(&err_path, e))?;
        let status = cmd.stdout(out).stderr(err).status().map_err(spawn_err);
        let stdout = fs::read(&out_path).unwrap_or_default();
        let stderr = fs::read(&err_path).unwrap_or_default();
        let _ = fs::remove_file(&out_path);
        let _ = fs::remove_file(&err_path);
        Ok(Output {
            status: status?,
            stdout,
            stderr,
        })
    }

    fn user(&self, user: &str) -> Result<UserInfo, Error> {
        if let Some(info) = self.users.lock().expect("users lock").get(user) {
            return Ok(info.clone());
        }
        let out = self.run(&["getent", "passwd", user])?;
        let line = String::from_utf8_lossy(&out.stdout);
        let info = parse_passwd(line.trim()).ok_or_else(|| Error::UnknownUser(user.into()))?;
        self.users
            .lock()
            .expect("users lock")
            .insert(user.into(), info.clone());
        Ok(info)
    }
}

impl Drop for Sandbox {
    fn drop(&mut self) {
        if let Err(e) = self.teardown() {
            eprintln!("nova-test-sandbox {}: {e}", self.id);
        }
    }
}

extern "C" fn teardown_shared() {
    if let Some(sb) = SHARED.get() {
        let _ = sb.teardown();
    }
}

/// Whether a user who is neither owner nor in the group can reach and execute `path`.
fn others_can_execute(path: &Path) -> bool {
    let ok =
        |p: &Path, bits: u32| fs::metadata(p).is_ok_and(|m| m.permissions().mode() & bits == bits);
    ok(path, 0o005) && path.ancestors().skip(1).all(|dir| ok(dir, 0o001))
}

fn cgroup_name(id: &str) -> String {
    format!("nova-sandbox-{id}")
}

fn parse_passwd(line: &str) -> Option<UserInfo> {
    let f: Vec<&str> = line.split(':').collect();
    if f.len() < 7 {
        return None;
    }
    Some(UserInfo {
        uid: f[2].parse().ok()?,
        gid: f[3].parse().ok()?,
        home: f[5].to_string(),
    })
}

fn write_file(p: &Path, content: &str) -> Result<(), Error> {
    fs::write(p, content).map_err(|e| Error::io(p, e))
}

fn describe<S: AsRef<OsStr>>(argv: &[S]) -> String {
    argv.iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ")
}

fn ok<S: AsRef<OsStr>>(out: Output, argv: &[S]) -> Result<String, Error> {
    if out.status.success() {
        return Ok(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    Err(Error::CommandFailed {
        cmd: describe(argv),
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwd_lines_parse() {
        let u = parse_passwd("nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin").unwrap();
        assert_eq!(
            (u.uid, u.gid, u.home.as_str()),
            (65534, 65534, "/nonexistent")
        );
        assert!(parse_passwd("").is_none());
        assert!(parse_passwd("a:x:notanumber:1:::").is_none());
    }
}
