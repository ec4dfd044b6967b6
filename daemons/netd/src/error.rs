//! The core error of netd. Mapped to named D-Bus errors in exactly one place
//! (`dbus::to_dbus_error`).

/// What went wrong, in the terms a caller can act on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NetdError {
    /// polkit refused the caller; nothing changed.
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// An argument is not acceptable; nothing changed.
    #[error("invalid argument: {0}")]
    InvalidArgs(String),
    /// The interface exists but netd did not create it; nothing changed.
    #[error("{0} is not owned by nova-ve-netd")]
    NotOwned(String),
    /// No such interface, process or unit.
    #[error("not found: {0}")]
    NotFound(String),
    /// An interface with that name exists already.
    #[error("already exists: {0}")]
    AlreadyExists(String),
    /// The operation does not apply.
    #[error("not supported: {0}")]
    NotSupported(String),
    /// The kernel or systemd refused.
    #[error("{0}")]
    Failed(String),
}

impl NetdError {
    /// Shorthand for [`NetdError::InvalidArgs`].
    pub fn invalid(msg: impl Into<String>) -> Self {
        Self::InvalidArgs(msg.into())
    }

    /// Maps a netlink/ioctl errno to the closest error, with context.
    pub fn from_errno(errno: i32, context: &str) -> Self {
        let io = std::io::Error::from_raw_os_error(errno);
        match errno {
            libc::EEXIST | libc::EBUSY => Self::AlreadyExists(format!("{context}: {io}")),
            libc::ENODEV | libc::ENOENT | libc::ESRCH => Self::NotFound(format!("{context}: {io}")),
            libc::EOPNOTSUPP => Self::NotSupported(format!("{context}: {io}")),
            libc::EINVAL | libc::ERANGE => Self::InvalidArgs(format!("{context}: {io}")),
            _ => Self::Failed(format!("{context}: {io}")),
        }
    }
}

impl From<rtnetlink::Error> for NetdError {
    fn from(e: rtnetlink::Error) -> Self {
        match netlink_errno(&e) {
            Some(errno) => Self::from_errno(errno, "netlink"),
            None => Self::Failed(format!("netlink: {e}")),
        }
    }
}

/// The positive errno of a netlink NACK, if `e` is one.
pub fn netlink_errno(e: &rtnetlink::Error) -> Option<i32> {
    match e {
        rtnetlink::Error::NetlinkError(msg) => msg.code.map(|c| -c.get()),
        _ => None,
    }
}

/// Result alias.
pub type Result<T, E = NetdError> = std::result::Result<T, E>;
