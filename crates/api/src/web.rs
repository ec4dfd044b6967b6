//! The web gateway's own request and reply shapes (users, sessions, tokens, sharing, audit,
//! system): the HTTP API besides the lab engine's types. docs/api.md lists the routes.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::runtime::NodeFailure;
use crate::specs::NodeSpec;

/// A global role: what a user may do anywhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum RoleName {
    /// Everything, users and audit included.
    Admin,
    /// Create labs and change labs they own or that are shared with them as editors.
    Editor,
    /// Read labs shared with them; change nothing.
    Viewer,
}

/// What a user may do with one lab.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "snake_case")]
pub enum LabAccess {
    /// Read it.
    Viewer,
    /// Change its topology and run it.
    Editor,
    /// Also rename, move, delete and share it.
    Owner,
    /// An administrator: everything.
    Admin,
}

/// A web user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UserInfo {
    /// Id.
    pub id: i64,
    /// Login name.
    pub username: String,
    /// Name for people.
    pub display_name: String,
    /// Global role.
    pub role: RoleName,
    /// Cannot log in.
    pub disabled: bool,
    /// Created (unix ms).
    pub created_at: i64,
}

/// `POST /api/session`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
}

/// The signed-in session (`POST`/`GET /api/session`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SessionInfo {
    /// Who.
    pub user: UserInfo,
    /// Send as `X-CSRF-Token` on every POST, PUT, PATCH and DELETE.
    pub csrf_token: String,
    /// When the session ends at the latest (unix ms).
    pub expires_at: i64,
}

/// `POST /api/users`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct NewUserRequest {
    /// Login name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Global role.
    pub role: RoleName,
    /// Name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
}

/// `PATCH /api/users/{id}` (admins only).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct UserPatch {
    /// Name for people.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    /// Global role.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<RoleName>,
    /// Disable (ends the user's sessions) or enable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
}

/// `PUT /api/users/{id}/password`: users change their own with the current one; admins set
/// anyone's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct PasswordChange {
    /// The current password (required for one's own).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub current_password: Option<String>,
    /// The new password.
    pub new_password: String,
}

/// An API token (its secret is shown once, at creation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct TokenInfo {
    /// Id.
    pub id: i64,
    /// Name given at creation.
    pub name: String,
    /// First characters of the secret, to tell tokens apart.
    pub prefix: String,
    /// Created (unix ms).
    pub created_at: i64,
    /// Stops working (unix ms), if ever.
    pub expires_at: Option<i64>,
    /// Last used (unix ms).
    pub last_used_at: Option<i64>,
}

/// `POST /api/tokens`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct NewTokenRequest {
    /// A name to recognise it by.
    pub name: String,
    /// When it stops working (unix ms).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<i64>,
}

/// The created token and its secret, shown this once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct CreatedToken {
    /// The token.
    pub token: TokenInfo,
    /// Send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// One lab as listed for a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LabListItem {
    /// Lab id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Folder.
    pub folder: String,
    /// Owner's username, if the lab has one.
    pub owner: Option<String>,
    /// What the user may do with it.
    pub access: LabAccess,
}

/// `POST /api/labs`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateLabRequest {
    /// Folder ("" = top).
    #[serde(default)]
    pub folder: String,
    /// Name.
    pub name: String,
}

/// `POST /api/labs/import`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ImportLabRequest {
    /// Folder ("" = top).
    #[serde(default)]
    pub folder: String,
    /// Name.
    pub name: String,
    /// The lab JSON document (schema 2, or 1 which is upgraded).
    pub lab: serde_json::Value,
}

/// `PATCH /api/labs/{id}`: rename and/or move.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct LabPatch {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New folder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub folder: Option<String>,
}

/// `POST /api/folders`, `PATCH /api/folders/{path}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct FolderRequest {
    /// Folder path (`a/b`).
    pub path: String,
}

/// A folder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct FolderInfo {
    /// Path.
    pub path: String,
    /// Owner's username, if it has one.
    pub owner: Option<String>,
}

/// Who a lab is shared with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ShareInfo {
    /// User id.
    pub user_id: i64,
    /// Username.
    pub username: String,
    /// `viewer` or `editor` (as an access level).
    pub level: LabAccess,
}

/// `PUT /api/labs/{id}/shares/{user_id}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct ShareRequest {
    /// `viewer` or `editor`.
    pub level: LabAccess,
}

/// `POST /api/labs/{id}/nodes/batch`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct BatchNodesRequest {
    /// The nodes to add, in order.
    pub nodes: Vec<NodeSpec>,
}

/// Query of `POST /api/labs/import/unl` (the body is the `.unl` file itself).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(deny_unknown_fields)]
#[ts(optional_fields)]
pub struct UnlImportQuery {
    /// Folder ("" = top).
    #[serde(default)]
    pub folder: String,
    /// File name to store the lab under (default: from the lab's own name).
    #[serde(default)]
    pub name: String,
}

/// Reply of `POST /api/labs/import/unl`: the new lab and what the conversion could not keep
/// exactly (for the user to review).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct UnlImported {
    /// The lab.
    pub lab: LabListItem,
    /// Lossy conversions, in words.
    pub review: Vec<String>,
}

/// Reply of `PUT /api/images/{kind}/{name}`: the stored image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ImageUploaded {
    /// Node kind (`qemu`, `docker`, …).
    pub kind: String,
    /// File name under the kind's image directory.
    pub name: String,
    /// Bytes stored.
    pub size: u64,
    /// SHA-256 of what was stored (hex).
    pub sha256: String,
}

/// Ids of created things.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Created {
    /// The id (a number for nodes and networks, a string for labs and links).
    pub id: String,
}

/// Reply of start/stop of a whole lab.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct BatchResult {
    /// The nodes that failed, with why.
    pub failed: Vec<NodeFailure>,
}

/// One audit entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditEntryInfo {
    /// Id (increases).
    pub id: i64,
    /// When (unix ms).
    pub at: i64,
    /// Who.
    pub username: String,
    /// From where.
    pub remote_addr: Option<String>,
    /// What (`lab.create`, `node.start`, …).
    pub action: String,
    /// Which lab.
    pub lab_id: Option<String>,
    /// Which node.
    pub node_id: Option<String>,
    /// What else.
    pub target: Option<String>,
    /// `ok`, `denied` or `error`.
    pub result: String,
    /// Details.
    pub detail: Option<String>,
}

/// A page of the audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct AuditPage {
    /// Entries.
    pub entries: Vec<AuditEntryInfo>,
    /// Pass as `before` for the next page; absent on the last.
    pub next_before: Option<i64>,
}

/// `GET /api/system/version`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct VersionInfo {
    /// The gateway's version.
    pub gateway: String,
    /// labd's version ("" when not reachable).
    pub labd: String,
    /// The API's event schema version.
    pub event_schema: u32,
}

/// `GET /api/system/status` (admins).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SystemStatus {
    /// Logical CPUs.
    pub cpus: u32,
    /// 1-minute load average.
    pub load1: f64,
    /// Memory in bytes.
    pub memory_total: u64,
    /// Available memory in bytes.
    pub memory_available: u64,
    /// Size of the file system holding the labs, in bytes.
    pub disk_total: u64,
    /// Free space there, in bytes.
    pub disk_available: u64,
    /// Labs.
    pub labs: u32,
    /// Nodes by kind, then by state.
    pub nodes: BTreeMap<String, BTreeMap<String, u32>>,
}

/// A text frame a client sends on a node console WebSocket
/// (`GET /api/labs/{id}/nodes/{node}/console`). Binary frames are the terminal itself:
/// keyboard input from the client, output (recent output first) from the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ConsoleControl {
    /// The terminal's size changed (each 1 to 1000).
    Resize {
        /// Rows.
        rows: u16,
        /// Columns.
        cols: u16,
    },
}
