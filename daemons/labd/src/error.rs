//! The engine's error: what went wrong, in terms a D-Bus client can act on. The D-Bus layer maps
//! each variant to one named error in exactly one place (`dbus::errors`).

/// Why an engine operation failed. Every variant except `Failed` guarantees nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// An argument (name, JSON, id, range) is not acceptable; nothing changed.
    #[error("{0}")]
    InvalidArgs(String),
    /// No such lab, folder, node, network or link.
    #[error("{0}")]
    NotFound(String),
    /// Something with that name or id exists already.
    #[error("{0}")]
    AlreadyExists(String),
    /// The request conflicts with the current state (node running, folder not empty, busy).
    #[error("{0}")]
    Conflict(String),
    /// Not supported in this version.
    #[error("{0}")]
    NotSupported(String),
    /// A lower layer (netd, systemd, launcher, file system) failed.
    #[error("{0}")]
    Failed(String),
}

/// Short alias.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

impl EngineError {
    /// `InvalidArgs` from anything printable.
    pub fn invalid(msg: impl std::fmt::Display) -> Self {
        EngineError::InvalidArgs(msg.to_string())
    }
    /// `NotFound` from anything printable.
    pub fn not_found(msg: impl std::fmt::Display) -> Self {
        EngineError::NotFound(msg.to_string())
    }
    /// `Failed` from anything printable.
    pub fn failed(msg: impl std::fmt::Display) -> Self {
        EngineError::Failed(msg.to_string())
    }
    /// `Conflict` from anything printable.
    pub fn conflict(msg: impl std::fmt::Display) -> Self {
        EngineError::Conflict(msg.to_string())
    }
}

impl From<nova_lab_model::EditError> for EngineError {
    fn from(e: nova_lab_model::EditError) -> Self {
        use nova_lab_model::EditError as E;
        match e {
            E::UnknownNode(_) | E::UnknownNetwork(_) | E::UnknownLink(_) => {
                EngineError::NotFound(e.to_string())
            }
            E::InterfaceInUse { .. } => EngineError::Conflict(e.to_string()),
            E::DuplicateId { .. } => EngineError::AlreadyExists(e.to_string()),
            _ => EngineError::InvalidArgs(e.to_string()),
        }
    }
}

impl From<nova_lab_model::NameError> for EngineError {
    fn from(e: nova_lab_model::NameError) -> Self {
        EngineError::InvalidArgs(e.to_string())
    }
}

impl From<nova_lab_model::ValidationErrors> for EngineError {
    fn from(e: nova_lab_model::ValidationErrors) -> Self {
        EngineError::InvalidArgs(format!("lab is not valid: {e}"))
    }
}

impl From<nova_lab_model::LabParseError> for EngineError {
    fn from(e: nova_lab_model::LabParseError) -> Self {
        EngineError::InvalidArgs(format!("lab JSON: {e}"))
    }
}

impl From<nova_api::SpecError> for EngineError {
    fn from(e: nova_api::SpecError) -> Self {
        match e {
            nova_api::SpecError::Invalid(m) => EngineError::InvalidArgs(m),
        }
    }
}
