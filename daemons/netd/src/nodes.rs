//! Node scopes: wrap a caller-owned process into `nova-node-<lab>-<node>.scope` in
//! `nova.slice` through systemd's StartTransientUnit. netd does this (not labd) because systemd
//! gives polkit no unit name for StartTransientUnit, so whoever may call it may start anything.
//!
//! Rules (each refused with InvalidArgs unless noted):
//! - lab/node are `[a-z0-9_]{1,64}`; only the allow-listed properties with the right types;
//! - the PID belongs to the caller (real and effective uid == the caller's uid);
//! - the PID is still in the *caller's own cgroup*, i.e. a fork of the caller that nothing has
//!   moved: a process already in another node scope or in a foreign unit is refused;
//! - a pidfd pins the process across the checks; if it exited or the PID was reused, NotFound.

use std::collections::HashMap;
use std::time::Duration;

use futures_util::StreamExt;
use nova_dbus::systemd::{JobRemovedStream, SystemdManagerProxy};
use zbus::{Connection, OwnedObjectPath, OwnedVariant, Variant};

use crate::error::{NetdError, Result};
use crate::procfs;
use crate::validate::{NodeUnitName, UnitComponent};

/// How long to wait for systemd's job.
const JOB_TIMEOUT: Duration = Duration::from_secs(30);

/// Validated scope properties, in systemd's names and types.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ScopeProps {
    description: Option<String>,
    memory_max: Option<u64>,
    tasks_max: Option<u64>,
    cpu_quota_per_sec_usec: Option<u64>,
}

impl ScopeProps {
    /// Accepts only the allow-list (Description s, MemoryMax t, TasksMax t, CPUQuotaPerSecUSec t).
    pub fn parse(props: &HashMap<String, OwnedVariant>) -> Result<Self> {
        let mut out = Self::default();
        for (k, v) in props {
            let bad_type =
                |t: &str| NetdError::invalid(format!("property {k} must be of type {t}"));
            match k.as_str() {
                "Description" => {
                    let s: String = v
                        .try_clone()
                        .ok()
                        .and_then(|v| String::try_from(v).ok())
                        .ok_or_else(|| bad_type("s"))?;
                    if s.len() > 256 || s.chars().any(char::is_control) {
                        return Err(NetdError::invalid(
                            "Description must be at most 256 printable characters",
                        ));
                    }
                    out.description = Some(s);
                }
                "MemoryMax" => out.memory_max = Some(u64_of(v).ok_or_else(|| bad_type("t"))?),
                "TasksMax" => out.tasks_max = Some(u64_of(v).ok_or_else(|| bad_type("t"))?),
                "CPUQuotaPerSecUSec" => {
                    let q = u64_of(v).ok_or_else(|| bad_type("t"))?;
                    if q == 0 {
                        return Err(NetdError::invalid("CPUQuotaPerSecUSec must be > 0"));
                    }
                    out.cpu_quota_per_sec_usec = Some(q);
                }
                other => {
                    return Err(NetdError::invalid(format!(
                        "property {other:?} is not allowed (allowed: {:?})",
                        nova_dbus::nodes::ALLOWED_PROPERTIES
                    )));
                }
            }
        }
        Ok(out)
    }

    fn to_systemd(&self) -> Vec<(&'static str, Variant<'static>)> {
        let mut v = Vec::new();
        if let Some(d) = &self.description {
            v.push(("Description", Variant::from(d.clone())));
        }
        if let Some(m) = self.memory_max {
            v.push(("MemoryMax", Variant::from(m)));
        }
        if let Some(t) = self.tasks_max {
            v.push(("TasksMax", Variant::from(t)));
        }
        if let Some(q) = self.cpu_quota_per_sec_usec {
            v.push(("CPUQuotaPerSecUSec", Variant::from(q)));
        }
        v
    }
}

fn u64_of(v: &OwnedVariant) -> Option<u64> {
    v.try_clone().ok().and_then(|v| u64::try_from(v).ok())
}

/// The node-scope manager.
#[derive(Debug, Clone)]
pub struct NodeScopes {
    systemd: SystemdManagerProxy<'static>,
}

impl NodeScopes {
    /// Connects to systemd on `conn`.
    pub async fn new(conn: &Connection) -> Result<Self> {
        let systemd = SystemdManagerProxy::new(conn)
            .await
            .map_err(|e| NetdError::Failed(format!("systemd proxy: {e}")))?;
        // Without a subscription systemd may not emit JobRemoved to us.
        systemd
            .subscribe()
            .await
            .map_err(|e| NetdError::Failed(format!("systemd Subscribe: {e}")))?;
        Ok(Self { systemd })
    }

    /// Starts the scope for `pid` on behalf of a caller with `caller_uid` whose own process is
    /// `caller_pid`. Returns the unit name once the job finished.
    pub async fn start(
        &self,
        lab: &str,
        node: &str,
        pid: u32,
        props: &HashMap<String, OwnedVariant>,
        caller_uid: u32,
        caller_pid: u32,
    ) -> Result<String> {
        let lab = UnitComponent::parse("lab", lab)?;
        let node = UnitComponent::parse("node", node)?;
        let props = ScopeProps::parse(props)?;
        let unit = NodeUnitName::new(&lab, &node);
        let pidfd = procfs::pidfd_open(pid)?;
        check_pid_may_be_wrapped(pid, caller_uid, caller_pid)?;
        if !procfs::pidfd_alive(&pidfd) {
            return Err(NetdError::NotFound(format!("process {pid} exited")));
        }
        let mut sys_props = vec![
            ("PIDs", Variant::from(vec![pid])),
            ("Slice", Variant::from(nova_dbus::nodes::NODE_SLICE)),
        ];
        sys_props.extend(props.to_systemd());
        let jobs = self.jobs().await?;
        let job = self
            .systemd
            .start_transient_unit(unit.as_str(), "fail", &sys_props, &[])
            .await
            .map_err(systemd_error)?;
        wait_job(jobs, &job).await?;
        tracing::info!(
            UNIT = unit.as_str(),
            CALLER_UID = caller_uid,
            ACTION = "start-node-scope",
            pid,
            "started {}",
            unit.as_str()
        );
        Ok(unit.as_str().to_owned())
    }

    /// Stops a node unit and waits for the job.
    pub async fn stop(&self, unit: &str, caller_uid: u32) -> Result<()> {
        let unit = NodeUnitName::parse(unit)?;
        let jobs = self.jobs().await?;
        let job = self
            .systemd
            .stop_unit(unit.as_str(), "replace")
            .await
            .map_err(systemd_error)?;
        wait_job(jobs, &job).await?;
        tracing::info!(
            UNIT = unit.as_str(),
            CALLER_UID = caller_uid,
            ACTION = "stop-node-scope",
            "stopped {}",
            unit.as_str()
        );
        Ok(())
    }

    /// Loaded node units.
    pub async fn list(&self) -> Result<Vec<nova_dbus::nodes::NodeScopeInfo>> {
        let rows = self
            .systemd
            .list_units_by_patterns(&[], &["nova-node-*.scope"])
            .await
            .map_err(systemd_error)?;
        Ok(rows
            .into_iter()
            .map(|r| nova_dbus::nodes::NodeScopeInfo {
                unit: r.0,
                active_state: r.3,
                sub_state: r.4,
            })
            .collect())
    }

    async fn jobs(&self) -> Result<JobRemovedStream> {
        self.systemd
            .receive_job_removed()
            .await
            .map_err(|e| NetdError::Failed(format!("JobRemoved: {e}")))
    }
}

/// The cgroup rule (see the module docs).
pub fn check_pid_may_be_wrapped(pid: u32, caller_uid: u32, caller_pid: u32) -> Result<()> {
    procfs::check_owned_by(pid, caller_uid)?;
    let target = procfs::cgroup(pid)?;
    let own = procfs::cgroup(caller_pid)?;
    if target != own {
        return Err(NetdError::invalid(format!(
            "process {pid} is in cgroup {target}, not in the caller's cgroup {own}: \
             only a fork of the caller that no unit has claimed can become a node"
        )));
    }
    Ok(())
}

async fn wait_job(mut jobs: JobRemovedStream, job: &OwnedObjectPath) -> Result<()> {
    let wait = async {
        while let Some(sig) = jobs.next().await {
            let Ok(args) = sig.args() else { continue };
            if args.job() == job {
                return if args.result() == "done" {
                    Ok(())
                } else {
                    Err(NetdError::Failed(format!(
                        "systemd job for {} ended with {}",
                        args.unit(),
                        args.result()
                    )))
                };
            }
        }
        Err(NetdError::Failed("lost systemd's JobRemoved stream".into()))
    };
    tokio::time::timeout(JOB_TIMEOUT, wait)
        .await
        .map_err(|_| NetdError::Failed("timed out waiting for systemd's job".into()))?
}

fn systemd_error(e: zbus::Error) -> NetdError {
    match &e {
        zbus::Error::MethodError(name, msg, _) => {
            let msg = msg.clone().unwrap_or_default();
            match name.as_str() {
                "org.freedesktop.systemd1.UnitExists" => NetdError::AlreadyExists(msg),
                "org.freedesktop.systemd1.NoSuchUnit" => NetdError::NotFound(msg),
                "org.freedesktop.DBus.Error.InvalidArgs" => NetdError::InvalidArgs(msg),
                _ => NetdError::Failed(format!("{name}: {msg}")),
            }
        }
        _ => NetdError::Failed(format!("systemd: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn props(pairs: Vec<(&str, OwnedVariant)>) -> HashMap<String, OwnedVariant> {
        pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
    }

    fn ov(v: Variant<'_>) -> OwnedVariant {
        v.try_into().unwrap()
    }

    #[test]
    fn allow_listed_properties_only() {
        let ok = props(vec![
            ("Description", ov(Variant::from("router r1"))),
            ("MemoryMax", ov(Variant::from(256u64 << 20))),
            ("TasksMax", ov(Variant::from(64u64))),
            ("CPUQuotaPerSecUSec", ov(Variant::from(500_000u64))),
        ]);
        let p = ScopeProps::parse(&ok).unwrap();
        assert_eq!(p.memory_max, Some(256 << 20));
        assert_eq!(p.to_systemd().len(), 4);
        for bad in [
            props(vec![("ExecStart", ov(Variant::from("/bin/sh")))]),
            props(vec![("User", ov(Variant::from("root")))]),
            props(vec![("Slice", ov(Variant::from("system.slice")))]),
            props(vec![("PIDs", ov(Variant::from(vec![1u32])))]),
            props(vec![("MemoryMax", ov(Variant::from("1G")))]),
            props(vec![("TasksMax", ov(Variant::from(5u32)))]),
            props(vec![("CPUQuotaPerSecUSec", ov(Variant::from(0u64)))]),
            props(vec![("Description", ov(Variant::from("a\nb")))]),
            props(vec![("description", ov(Variant::from("x")))]),
        ] {
            assert!(ScopeProps::parse(&bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn cgroup_rule_for_own_child() {
        // A child we forked is in our cgroup and ours: accepted.
        let mut child = std::process::Command::new("sleep")
            .arg("5")
            .spawn()
            .unwrap();
        let me = std::process::id();
        // SAFETY: getuid has no preconditions.
        let uid = unsafe { libc::getuid() };
        let r = check_pid_may_be_wrapped(child.id(), uid, me);
        // Foreign uid: refused.
        let foreign = check_pid_may_be_wrapped(child.id(), uid + 1, me);
        let _ = child.kill();
        let _ = child.wait();
        r.unwrap();
        assert!(matches!(foreign, Err(NetdError::InvalidArgs(_))));
        // A process in another cgroup (another unit) is refused: covered in the sandbox test,
        // where real units exist (here every process may share the root cgroup).
    }
}
