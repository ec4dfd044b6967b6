//! systemd's `org.freedesktop.systemd1` as nova-ve uses it: the manager (node scopes are
//! started by netd, listed and watched by labd) and a unit's state. One proxy for both daemons,
//! so the wire types of systemd's methods are written once.

use zbus::{OwnedObjectPath, Variant, proxy};

/// One row of `ListUnitsByPatterns`: name, description, load state, active state, sub state,
/// followed unit, object path, queued job id, job type, job path.
pub type UnitRow = (
    String,
    String,
    String,
    String,
    String,
    String,
    OwnedObjectPath,
    u32,
    String,
    OwnedObjectPath,
);

/// `org.freedesktop.systemd1.Manager`, the methods and signals nova-ve uses.
#[proxy(
    interface = "org.freedesktop.systemd1.Manager",
    default_service = "org.freedesktop.systemd1",
    default_path = "/org/freedesktop/systemd1"
)]
pub trait SystemdManager {
    /// Starts a transient unit (netd: node scopes); returns the job path.
    fn start_transient_unit(
        &self,
        name: &str,
        mode: &str,
        properties: &[(&str, Variant<'_>)],
        aux: &[(&str, &[(&str, Variant<'_>)])],
    ) -> zbus::Result<OwnedObjectPath>;
    /// Stops a unit; returns the job path.
    fn stop_unit(&self, name: &str, mode: &str) -> zbus::Result<OwnedObjectPath>;
    /// Units in the given states matching the glob patterns.
    fn list_units_by_patterns(
        &self,
        states: &[&str],
        patterns: &[&str],
    ) -> zbus::Result<Vec<UnitRow>>;
    /// Processes of a unit: (cgroup, pid, cmdline).
    fn get_unit_processes(&self, name: &str) -> zbus::Result<Vec<(String, u32, String)>>;
    /// Object path of a loaded unit.
    fn get_unit(&self, name: &str) -> zbus::Result<OwnedObjectPath>;
    /// Asks systemd to emit unit and job signals to this client.
    fn subscribe(&self) -> zbus::Result<()>;
    /// A unit was unloaded.
    #[zbus(signal)]
    fn unit_removed(&self, id: String, unit: OwnedObjectPath) -> zbus::Result<()>;
    /// A job finished with `result` (done, failed, canceled, ...).
    #[zbus(signal)]
    fn job_removed(
        &self,
        id: u32,
        job: OwnedObjectPath,
        unit: String,
        result: String,
    ) -> zbus::Result<()>;
}

/// `org.freedesktop.systemd1.Unit`, the part nova-ve reads.
#[proxy(
    interface = "org.freedesktop.systemd1.Unit",
    default_service = "org.freedesktop.systemd1"
)]
pub trait SystemdUnit {
    /// ActiveState (active, inactive, failed, ...).
    #[zbus(property)]
    fn active_state(&self) -> zbus::Result<String>;
}
