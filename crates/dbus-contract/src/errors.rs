//! Named D-Bus errors. Each daemon maps its core error to these in exactly one place.

/// Errors of `org.novave.Net1` and `org.novave.Nodes1` (`org.novave.Net1.Error.*`).
#[derive(Debug, zbus::DBusError)]
#[zbus(prefix = "org.novave.Net1.Error")]
pub enum NetError {
    /// A transport-level zbus error.
    #[zbus(error)]
    ZBus(zbus::Error),
    /// polkit refused the caller; nothing changed.
    AccessDenied(String),
    /// An argument is not acceptable (name, MAC, MTU, netem range, uid, pid, property); nothing changed.
    InvalidArgs(String),
    /// The interface exists but nova-ve-netd did not create it; nothing changed.
    NotOwned(String),
    /// No such interface, process or unit.
    NotFound(String),
    /// An interface with that name exists already.
    AlreadyExists(String),
    /// The operation does not apply to that object.
    NotSupported(String),
    /// The kernel or systemd refused; the message says why.
    Failed(String),
}

/// Full D-Bus error names, for clients that match on them.
pub mod names {
    /// `org.novave.Net1.Error.AccessDenied`
    pub const ACCESS_DENIED: &str = "org.novave.Net1.Error.AccessDenied";
    /// `org.novave.Net1.Error.InvalidArgs`
    pub const INVALID_ARGS: &str = "org.novave.Net1.Error.InvalidArgs";
    /// `org.novave.Net1.Error.NotOwned`
    pub const NOT_OWNED: &str = "org.novave.Net1.Error.NotOwned";
    /// `org.novave.Net1.Error.NotFound`
    pub const NOT_FOUND: &str = "org.novave.Net1.Error.NotFound";
    /// `org.novave.Net1.Error.AlreadyExists`
    pub const ALREADY_EXISTS: &str = "org.novave.Net1.Error.AlreadyExists";
    /// `org.novave.Net1.Error.NotSupported`
    pub const NOT_SUPPORTED: &str = "org.novave.Net1.Error.NotSupported";
    /// `org.novave.Net1.Error.Failed`
    pub const FAILED: &str = "org.novave.Net1.Error.Failed";
}

/// The D-Bus error name of a failed method call, if it was one (for tests and clients).
pub fn error_name(err: &zbus::Error) -> Option<String> {
    match err {
        zbus::Error::MethodError(name, _, _) => Some(name.to_string()),
        _ => None,
    }
}
