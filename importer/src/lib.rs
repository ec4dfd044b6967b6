//! nova-ve-import-eveng: import EVE-NG / UNetLab / PNETLab images, templates and labs
//! into nova-ve. See docs/importing-eveng.md.
//!
//! Code map, in the order a run uses it:
//! - [`discover`] walks the EVE-NG tree into an inventory (names checked by
//!   [`safety`], QEMU folders keyed by [`prefixes`]); it writes nothing.
//! - [`copy`] copies image files: streaming, sha256-verified, sparse, resumable,
//!   every destination operation relative to a [`fsutil::DestDir`] descriptor.
//! - [`templates`] converts EVE-NG YAML/PHP templates to
//!   [`nova_lab_model::Template`]s; [`qemu_opts`] maps `qemu_options` onto typed
//!   settings and an allow-list.
//! - [`unl`] parses `.unl` files (through the bounded [`xmltree`], base64 via
//!   [`b64`]) into a typed intermediate form; [`convert`] turns that into a
//!   [`nova_lab_model::Lab`].
//! - [`run`] drives one import and records every item in a [`manifest`].
//!
//! Architecture Invariant: the importer writes only below the destination
//! directories the operator names (images, templates, labs) and the manifest;
//! names taken from the source tree are checked before they become paths, and no
//! symlink is followed in a destination.
//!
//! Architecture Invariant: the lab and template types are the model's
//! (`nova-lab-model`); this crate has no copy of them. QEMU/Docker options from
//! EVE-NG are never passed on verbatim.

pub mod b64;
pub mod convert;
pub mod copy;
pub mod discover;
pub mod fsutil;
pub mod manifest;
pub mod prefixes;
pub mod qemu_opts;
pub mod run;
pub mod safety;
pub mod templates;
pub mod unl;
pub mod xmltree;
