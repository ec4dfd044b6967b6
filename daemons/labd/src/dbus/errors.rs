//! The one place where engine errors become D-Bus error names.

use nova_dbus::lab::LabError;

use crate::error::EngineError;

/// Maps an engine error to its `org.novave.Lab1.Error.*` name.
pub fn to_dbus(e: EngineError) -> LabError {
    match e {
        EngineError::InvalidArgs(m) => LabError::InvalidArgs(m),
        EngineError::NotFound(m) => LabError::NotFound(m),
        EngineError::AlreadyExists(m) => LabError::AlreadyExists(m),
        EngineError::Conflict(m) => LabError::Conflict(m),
        EngineError::NotSupported(m) => LabError::NotSupported(m),
        EngineError::Failed(m) => LabError::Failed(m),
    }
}

/// Result of a D-Bus method.
pub type DbusResult<T> = Result<T, LabError>;

/// Engine result → D-Bus result.
pub fn map<T>(r: crate::error::Result<T>) -> DbusResult<T> {
    r.map_err(to_dbus)
}
