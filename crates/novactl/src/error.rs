//! Errors novactl reports, each with its exit code. D-Bus error replies keep their
//! name and message so the user sees exactly what the daemon said; AccessDenied adds
//! which polkit action was refused and how to obtain it.

use std::fmt;

use zbus::DBusError as _;

/// Exit codes (documented in docs/novactl.md).
pub mod exit {
    /// Any other failure.
    pub const FAILURE: i32 = 1;
    // 2: bad command line (clap's own exit code).
    /// The lab, node, link, interface … does not exist.
    pub const NOT_FOUND: i32 = 3;
    /// polkit refused the call.
    pub const ACCESS_DENIED: i32 = 4;
    /// The daemon refused the arguments (invalid name, JSON, range, state conflict).
    pub const INVALID: i32 = 5;
    /// The daemon is not running / not reachable on the bus.
    pub const UNAVAILABLE: i32 = 6;
    /// A wait (e.g. for a lab to be running) timed out.
    pub const TIMEOUT: i32 = 7;
}

/// Which daemon a call went to; picks the polkit hint for AccessDenied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Service {
    Lab,
    Net,
}

impl Service {
    pub fn bus_name(self) -> &'static str {
        match self {
            Service::Lab => "org.novave.Lab1",
            Service::Net => "org.novave.Net1",
        }
    }
}

/// What the call needed from polkit, for the AccessDenied hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read-only: `org.novave.lab.view` / `org.novave.net.read`.
    View,
    /// Changes: `org.novave.lab.manage` / `org.novave.net.manage`.
    Manage,
    /// Packet capture: `org.novave.net.capture`.
    Capture,
}

pub fn polkit_action(service: Service, access: Access) -> &'static str {
    match (service, access) {
        (Service::Lab, Access::View) => "org.novave.lab.view",
        (Service::Lab, _) => "org.novave.lab.manage",
        (Service::Net, Access::View) => "org.novave.net.read",
        (Service::Net, Access::Manage) => "org.novave.net.manage",
        (Service::Net, Access::Capture) => "org.novave.net.capture",
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CtlError {
    /// A named D-Bus error reply from a daemon.
    #[error("{}", render_remote(.service, .access, .name, .message, .kind))]
    Remote {
        service: Service,
        access: Access,
        name: String,
        message: String,
        kind: Kind,
    },
    /// The bus itself failed (no daemon, no bus, broken reply).
    #[error("{service_name}: {source}", service_name = .service.bus_name())]
    Bus {
        service: Service,
        #[source]
        source: zbus::Error,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Timeout(String),
    #[error("{0}")]
    NotSupported(String),
}

fn render_remote(
    service: &Service,
    access: &Access,
    name: &str,
    message: &str,
    kind: &Kind,
) -> String {
    let mut s = format!("{name}: {message}");
    if *kind == Kind::AccessDenied {
        let action = polkit_action(*service, *access);
        s.push_str(&format!(
            "\nhint: polkit refused action '{action}' on {bus}. Run as root, or ask an \
             administrator to add your user to the 'nova-ve-admin' group (the nova-ve polkit \
             rules grant it), e.g. `sudo usermod -aG nova-ve-admin $USER` and log in again.",
            bus = service.bus_name()
        ));
    }
    s
}

/// What kind of failure a named error is (picks the exit code).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    AccessDenied,
    NotFound,
    Invalid,
    Unavailable,
    Other,
}

/// Classifies an error name by its last component, so `org.novave.Error.NotFound`,
/// `org.novave.Net1.Error.NotFound` and `org.freedesktop.DBus.Error.AccessDenied`
/// are treated alike.
fn classify_name(name: &str) -> Kind {
    let last = name.rsplit('.').next().unwrap_or(name);
    match last {
        "AccessDenied" | "NotAuthorized" | "AuthFailed" | "InteractiveAuthorizationRequired" => {
            Kind::AccessDenied
        }
        "NotFound" | "UnknownObject" | "NoSuchLab" | "NoSuchNode" | "UnknownInterface" => {
            Kind::NotFound
        }
        "InvalidArgs" | "InvalidArgument" | "Invalid" | "NotOwned" | "Conflict" | "Exists"
        | "AlreadyExists" | "Busy" | "InvalidState" | "NotSupported" => Kind::Invalid,
        "ServiceUnknown"
        | "NameHasNoOwner"
        | "NoServer"
        | "NoReply"
        | "Disconnected"
        | "SpawnFailed"
        | "SpawnServiceNotFound" => Kind::Unavailable,
        _ => Kind::Other,
    }
}

impl CtlError {
    /// Wraps a zbus error from a call to `service` that needed `access`.
    pub fn from_zbus(service: Service, access: Access, err: zbus::Error) -> Self {
        match remote_name(&err) {
            Some((name, message)) => CtlError::Remote {
                service,
                access,
                kind: classify_name(&name),
                name,
                message,
            },
            None => CtlError::Bus {
                service,
                source: err,
            },
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self {
            CtlError::Remote { kind, .. } => match kind {
                Kind::AccessDenied => exit::ACCESS_DENIED,
                Kind::NotFound => exit::NOT_FOUND,
                Kind::Invalid => exit::INVALID,
                Kind::Unavailable => exit::UNAVAILABLE,
                Kind::Other => exit::FAILURE,
            },
            CtlError::Bus { .. } => exit::UNAVAILABLE,
            CtlError::NotFound(_) => exit::NOT_FOUND,
            CtlError::Invalid(_) | CtlError::NotSupported(_) => exit::INVALID,
            CtlError::Timeout(_) => exit::TIMEOUT,
        }
    }
}

/// The name and message of a D-Bus error reply, whichever zbus variant carries it.
fn remote_name(err: &zbus::Error) -> Option<(String, String)> {
    match err {
        zbus::Error::MethodError(name, msg, _) => {
            Some((name.to_string(), msg.clone().unwrap_or_default()))
        }
        zbus::Error::FDO(fdo) => Some((
            fdo.name().to_string(),
            fdo.description().unwrap_or_default().to_string(),
        )),
        _ => None,
    }
}

/// Extension to tag zbus results with the service and access they needed.
pub trait ZbusExt<T> {
    fn ctx(self, service: Service, access: Access) -> Result<T, CtlError>;
}

impl<T> ZbusExt<T> for zbus::Result<T> {
    fn ctx(self, service: Service, access: Access) -> Result<T, CtlError> {
        self.map_err(|e| CtlError::from_zbus(service, access, e))
    }
}

/// labd's errors are typed: the variant, not the text of the name, decides the kind.
impl<T> ZbusExt<T> for Result<T, nova_dbus::lab::LabError> {
    fn ctx(self, service: Service, access: Access) -> Result<T, CtlError> {
        use nova_dbus::lab::LabError as E;
        self.map_err(|e| {
            let kind = match &e {
                E::ZBus(z) => return CtlError::from_zbus(service, access, z.clone()),
                E::AccessDenied(_) => Kind::AccessDenied,
                E::NotFound(_) => Kind::NotFound,
                E::InvalidArgs(_) | E::AlreadyExists(_) | E::Conflict(_) | E::NotSupported(_) => {
                    Kind::Invalid
                }
                E::Failed(_) => Kind::Other,
            };
            CtlError::Remote {
                service,
                access,
                name: e.error_name(),
                message: e.message(),
                kind,
            }
        })
    }
}

impl<T> ZbusExt<T> for Result<T, zbus::fdo::Error> {
    fn ctx(self, service: Service, access: Access) -> Result<T, CtlError> {
        self.map_err(|e| CtlError::from_zbus(service, access, zbus::Error::FDO(Box::new(e))))
    }
}

/// The exit code for any error reaching `main`.
pub fn exit_code_of(err: &anyhow::Error) -> i32 {
    err.chain()
        .find_map(|e| e.downcast_ref::<CtlError>())
        .map(CtlError::exit_code)
        .unwrap_or(exit::FAILURE)
}

impl fmt::Display for Service {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.bus_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn remote(name: &str) -> CtlError {
        CtlError::Remote {
            service: Service::Lab,
            access: Access::Manage,
            name: name.into(),
            message: "nope".into(),
            kind: classify_name(name),
        }
    }

    #[test]
    fn exit_codes_follow_error_names() {
        assert_eq!(
            remote("org.novave.Error.AccessDenied").exit_code(),
            exit::ACCESS_DENIED
        );
        assert_eq!(
            remote("org.novave.Net1.Error.NotFound").exit_code(),
            exit::NOT_FOUND
        );
        assert_eq!(
            remote("org.novave.Error.InvalidArgs").exit_code(),
            exit::INVALID
        );
        assert_eq!(
            remote("org.freedesktop.DBus.Error.ServiceUnknown").exit_code(),
            exit::UNAVAILABLE
        );
        assert_eq!(remote("org.novave.Error.Io").exit_code(), exit::FAILURE);
    }

    #[test]
    fn access_denied_names_the_polkit_action() {
        let text = remote("org.novave.Error.AccessDenied").to_string();
        assert!(text.starts_with("org.novave.Error.AccessDenied: nope"));
        assert!(text.contains("'org.novave.lab.manage'"), "{text}");
        let net = CtlError::Remote {
            service: Service::Net,
            access: Access::Capture,
            name: "org.freedesktop.DBus.Error.AccessDenied".into(),
            message: String::new(),
            kind: Kind::AccessDenied,
        };
        assert!(net.to_string().contains("org.novave.net.capture"));
    }

    #[test]
    fn lab_errors_are_classified_by_variant() {
        use nova_dbus::lab::LabError;
        let r: Result<(), LabError> = Err(LabError::NotFound("no lab".into()));
        let e = r.ctx(Service::Lab, Access::View).unwrap_err();
        assert_eq!(e.exit_code(), exit::NOT_FOUND);
        assert!(
            e.to_string()
                .starts_with("org.novave.Lab1.Error.NotFound: no lab")
        );
        let r: Result<(), LabError> = Err(LabError::Conflict("running".into()));
        assert_eq!(
            r.ctx(Service::Lab, Access::Manage).unwrap_err().exit_code(),
            exit::INVALID
        );
    }

    #[test]
    fn fdo_errors_keep_their_name() {
        let e = CtlError::from_zbus(
            Service::Net,
            Access::View,
            zbus::Error::FDO(Box::new(zbus::fdo::Error::ServiceUnknown("gone".into()))),
        );
        assert_eq!(e.exit_code(), exit::UNAVAILABLE);
        assert!(
            e.to_string()
                .contains("org.freedesktop.DBus.Error.ServiceUnknown: gone")
        );
    }
}
