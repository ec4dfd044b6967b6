//! Running test code *inside* a sandbox: the test binary re-executes itself there.
//!
//! Why: systemd and polkit judge a D-Bus caller by its PID and credentials. The test process runs
//! in the host's PID namespace, which the sandbox's bus cannot see, so calls that matter must come
//! from a process inside, as the user under test. [`Sandbox::call`](crate::Sandbox::call) runs
//! the test binary inside (through `nsenter` and `setpriv`) with [`ENV_CALL`] naming a function;
//! [`inside_fns!`](crate::inside_fns) registers functions and installs a constructor that, when
//! that variable is set, runs the named function *instead of the test harness* and exits.

use std::io::Write;

/// Names the function a re-executed test binary must run.
pub const ENV_CALL: &str = "NOVA_SANDBOX_CALL";

/// What an inside function returns: text for the test (its stdout), or an error (exit 1).
pub type InsideResult = Result<String, Box<dyn std::error::Error>>;

/// An inside function: gets the arguments given to `Sandbox::call`.
pub type InsideFn = fn(&[String]) -> InsideResult;

/// Called from the constructor `inside_fns!` installs. Returns at once unless [`ENV_CALL`] is set;
/// otherwise runs the function and exits the process with 0 (success), 1 (error), 2 (unknown
/// name) or 101 (panic).
pub fn dispatch(fns: &[(&str, InsideFn)]) {
    let Ok(name) = std::env::var(ENV_CALL) else {
        return;
    };
    // SAFETY: constructors run before main, while this is the only thread. Removed so that
    // processes the function starts do not inherit it.
    unsafe { std::env::remove_var(ENV_CALL) };
    let Some((_, f)) = fns.iter().find(|(n, _)| *n == name) else {
        let known: Vec<&str> = fns.iter().map(|(n, _)| *n).collect();
        eprintln!("no inside function {name:?} in this binary (known: {known:?})");
        std::process::exit(2);
    };
    let args = cmdline_args();
    let code = match std::panic::catch_unwind(|| f(&args)) {
        Ok(Ok(out)) => {
            print!("{out}");
            0
        }
        Ok(Err(e)) => {
            eprintln!("{name}: {e}");
            1
        }
        Err(_) => 101,
    };
    let _ = std::io::stdout().flush();
    std::process::exit(code);
}

/// Arguments after argv\[0\], read from /proc: `std::env::args` may not be set up yet when a
/// constructor runs.
fn cmdline_args() -> Vec<String> {
    split_cmdline(&std::fs::read("/proc/self/cmdline").unwrap_or_default())
}

/// `/proc/<pid>/cmdline` is every argument followed by a NUL. Only that one terminator is
/// dropped: an empty argument is a NUL of its own and must survive (`call(.., &["", "x"])`).
fn split_cmdline(raw: &[u8]) -> Vec<String> {
    let Some(raw) = raw.strip_suffix(&[0]) else {
        return Vec::new();
    };
    raw.split(|b| *b == 0)
        .skip(1)
        .map(|a| String::from_utf8_lossy(a).into_owned())
        .collect()
}

/// Runs a future to completion on a fresh current-thread tokio runtime (for zbus calls in
/// inside functions).
pub fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("build a tokio runtime")
        .block_on(fut)
}

/// Registers functions that [`Sandbox::call`](crate::Sandbox::call) can run inside a sandbox.
/// Use once per test binary (integration test file), at top level:
///
/// ```no_run
/// fn my_pid(_args: &[String]) -> nova_test_sandbox::InsideResult {
///     Ok(std::process::id().to_string())
/// }
/// nova_test_sandbox::inside_fns!(my_pid);
///
/// let sb = nova_test_sandbox::Sandbox::boot()?;
/// let pid_inside = sb.call("nobody", "my_pid", &[])?;
/// # Ok::<(), nova_test_sandbox::Error>(())
/// ```
#[macro_export]
macro_rules! inside_fns {
    ($($f:ident),+ $(,)?) => {
        // A constructor (ELF .init_array), so it runs before the test harness parses arguments.
        #[used]
        #[unsafe(link_section = ".init_array")]
        static __NOVA_SANDBOX_INSIDE_FNS: extern "C" fn() = {
            extern "C" fn __nova_sandbox_dispatch() {
                $crate::inside::dispatch(&[
                    $((stringify!($f), $f as $crate::inside::InsideFn)),+
                ]);
            }
            __nova_sandbox_dispatch
        };
    };
}

#[cfg(test)]
mod tests {
    use super::split_cmdline;

    #[test]
    fn cmdline_keeps_empty_arguments() {
        assert_eq!(split_cmdline(b"exe\0a\0\0b\0"), ["a", "", "b"]);
        assert_eq!(split_cmdline(b"exe\0\0"), [""]);
        assert_eq!(split_cmdline(b"exe\0\0\0"), ["", ""]);
        assert!(split_cmdline(b"exe\0").is_empty());
        assert!(split_cmdline(b"").is_empty());
    }
}
