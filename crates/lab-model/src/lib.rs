//! The nova-ve lab model: lab JSON schema 2, its validation, the upgrade from
//! schema 1, node templates, and the on-disk lab store.
//!
//! Architecture invariant: this crate knows nothing of D-Bus, HTTP or the
//! runtime. Its only I/O is the [`store`] (lab files) and loading template
//! files; everything else is pure and in memory.
//!
//! Start with [`Lab`]: [`Lab::from_json_upgrading`] reads any lab,
//! [`Lab::validate`] reports every problem, [`Lab::connect_nodes`] and friends
//! edit the topology, [`Lab::to_json`] writes it back.

mod edit;
mod json;
mod lab;
mod names;
mod serde_util;
pub mod store;
mod template;
mod upgrade;
mod validate;

pub use edit::{Connected, EditError, Removed};
pub use json::LabParseError;
pub use lab::*;
pub use names::{
    FolderPath, LabName, LabPath, MAX_FOLDER_DEPTH, MAX_NAME_BYTES, MAX_NAME_CHARS, NameError,
};
pub use store::{LabEntry, LabLock, LabStore, StoreError};
pub use template::{
    Capabilities, EXTRAS_KEYS, IconType, InterfaceNaming, LinuxProfile, Machine, NamingFormat,
    ResolvedCapabilities, Template, TemplateError, TemplateSet, default_interface_names,
    interface_names, interfaces_for, render_interface_name,
};
pub use upgrade::UpgradeReport;
pub use validate::{Element, ValidationError, ValidationErrors, limits};
