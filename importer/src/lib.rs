//! nova-ve-import-eveng: import EVE-NG / UNetLab / PNETLab images, templates and labs
//! into nova-ve. See docs/importing-eveng.md.
//!
//! Architecture Invariant: the importer writes only below the destination
//! directories the operator names (images, templates, labs, manifest); names taken
//! from the source tree are checked by [`safety`] before they become paths.

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
