//! Every limit of the API in one place: the lab model's (names, ids, ranges) and the sizes of
//! requests. labd, novactl, the gateway and the web app all read them from here.

pub use nova_lab_model::limits::*;
pub use nova_lab_model::{MAX_FOLDER_DEPTH, MAX_NAME_BYTES, MAX_NAME_CHARS};

/// Largest lab JSON document accepted from a client (an import).
pub const MAX_LAB_JSON_BYTES: usize = 4 * 1024 * 1024;
/// Largest spec or patch (node, network, link, layout).
pub const MAX_SPEC_BYTES: usize = 256 * 1024;
/// Most nodes in one batch add.
pub const MAX_BATCH_NODES: usize = 500;
/// Largest image an administrator may upload (`PUT /api/images/{kind}/{name}`): 64 GiB.
pub const MAX_IMAGE_BYTES: u64 = 64 * 1024 * 1024 * 1024;
/// Longest image file name, in bytes.
pub const MAX_IMAGE_NAME_BYTES: usize = 128;
