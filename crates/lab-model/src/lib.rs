//! The nova-ve lab model: lab JSON schema 2, its validation, the upgrade from
//! schema 1, node templates, and the on-disk lab store. The format is
//! described for people in `docs/lab-format.md`.
//!
//! Architecture invariant: this crate knows nothing of D-Bus, HTTP or the
//! runtime. Its only I/O is the [`store`] (lab files) and loading operator
//! template files; everything else is pure and in memory.
//!
//! # Map
//!
//! - **Types** — [`Lab`] with [`Meta`], [`Viewport`], [`Defaults`], [`Node`]
//!   ([`NodeKind`], [`ConsoleType`], [`NodeInterface`], [`PortPosition`]),
//!   [`Network`] ([`NetworkType`], [`NetworkConfig`], [`NetworkRuntime`]),
//!   [`Link`] ([`Endpoint`], [`LinkMetrics`]) and the annotations. Every struct
//!   keeps unknown fields in `extra`.
//! - **Text** — [`Lab::from_json`] (schema 2 only), [`Lab::from_json_upgrading`]
//!   (schema 1 too, with an [`UpgradeReport`]), [`Lab::to_json`].
//! - **Validation** — [`Lab::validate`] / [`Lab::validation_errors`] return every
//!   [`ValidationError`]; the numbers are in [`limits`].
//! - **Edits** — [`Lab::next_node_id`], [`Lab::next_network_id`],
//!   [`Lab::next_link_id`], [`Lab::add_node`], [`Lab::add_network`],
//!   [`Lab::connect_node_to_network`], [`Lab::connect_nodes`] (implicit network),
//!   [`Lab::remove_link`], [`Lab::remove_node`], [`Lab::remove_network`]; they
//!   fail with [`EditError`] and change nothing on failure.
//! - **Names** — [`LabName`], [`FolderPath`], [`LabPath`]: validated strings
//!   that are safe as path components.
//! - **Templates** — [`TemplateSet::builtin`] (embedded), [`TemplateSet::load_dir`],
//!   [`Template`] with resolved defaults, [`Template::new_node`],
//!   [`Template::interface_names`], [`interfaces_for`].
//! - **Store** — [`LabStore`]: `open`, `list`, `list_folders`, `create_folder`,
//!   `rename_folder`, `delete_folder`, `read`, `write`, `create`, `update`,
//!   `delete`, `rename`, `lock`; errors are [`StoreError`].
//!
//! ```
//! use nova_lab_model::{Lab, TemplateSet, NodeKind};
//!
//! let templates = TemplateSet::builtin().unwrap();
//! let frr = templates.get(&NodeKind::Linux, "frr").unwrap();
//! let mut lab = Lab::new("demo", "Demo");
//! lab.add_node(frr.new_node(lab.next_node_id(), "r1")).unwrap();
//! lab.add_node(frr.new_node(lab.next_node_id(), "r2")).unwrap();
//! let wire = lab.connect_nodes(1, 0, 2, 0).unwrap();
//! assert_eq!(wire.links.len(), 2);
//! lab.validate().unwrap();
//! let back = Lab::from_json(&lab.to_json()).unwrap();
//! assert_eq!(back, lab);
//! ```

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
pub use validate::{Element, ValidationError, ValidationErrors, lab_id_problem, limits};
