//! The route table: every route with its authorization rule and audit action, and the router
//! built from it (so no route exists without a rule). docs/api.md describes each route.

pub mod capture;
pub mod console;
pub mod events;
pub mod images;
pub mod labs;
pub mod openapi;
pub mod session;
pub mod system;
pub mod tokens;
pub mod topology;
pub mod ws;

use axum::Router;
use axum::http::Method;
use axum::routing::{MethodRouter, delete, get, patch, post, put};

use crate::authz::{Route, Rule};
use crate::state::AppState;

/// Each route: its summary as a doc comment (the operation's summary in `/api/openapi.json`),
/// then method, path, rule, audit action ("" for reads) and handler.
macro_rules! table {
    ($( $(#[doc = $doc:literal])* $method:ident $path:literal $rule:ident $action:literal => $mk:ident($handler:path) ),* $(,)?) => {
        /// Every route: (table entry, handler).
        pub fn all() -> Vec<(Route, MethodRouter<AppState>)> {
            vec![$(
                (
                    Route { method: Method::$method, path: $path, rule: Rule::$rule, action: $action },
                    $mk($handler),
                ),
            )*]
        }

        /// Every route with its doc comment and its handler's types, for the OpenAPI document.
        pub fn documented() -> Vec<openapi::Documented> {
            vec![$(
                openapi::Documented {
                    route: Route { method: Method::$method, path: $path, rule: Rule::$rule, action: $action },
                    doc: &[$($doc),*],
                    handler: stringify!($handler),
                    draft: openapi::drafter($handler),
                },
            )*]
        }
    };
}

table! {
    /// Sign in: sets the session cookie and returns the CSRF token for changes.
    POST   "/api/session"                             Public   "user.login"     => post(session::login),
    /// The current session: who is signed in, and its CSRF token.
    GET    "/api/session"                             SignedIn ""               => get(session::current),
    /// Sign out: ends the session and clears its cookie.
    DELETE "/api/session"                             Public   "user.logout"    => delete(session::logout),
    /// All users.
    GET    "/api/users"                               Admin    ""               => get(session::list_users),
    /// Create a user.
    POST   "/api/users"                               Admin    "user.create"    => post(session::create_user),
    /// One user (oneself; administrators: anyone).
    GET    "/api/users/{user}"                        SignedIn ""               => get(session::get_user),
    /// Change a user's name, role or disabled flag (never one's own role).
    PATCH  "/api/users/{user}"                        Admin    "user.update"    => patch(session::update_user),
    /// Delete a user (not oneself, not the last administrator).
    DELETE "/api/users/{user}"                        Admin    "user.delete"    => delete(session::delete_user),
    /// Set a password: one's own with the current one; administrators: anyone's.
    PUT    "/api/users/{user}/password"               SignedIn "user.password"  => put(session::set_password),
    /// The caller's API tokens (without their secrets).
    GET    "/api/tokens"                              SignedIn ""               => get(tokens::list),
    /// Create an API token; its secret is in this reply only.
    POST   "/api/tokens"                              SignedIn "token.create"   => post(tokens::create),
    /// Revoke one of the caller's API tokens.
    DELETE "/api/tokens/{token}"                      SignedIn "token.revoke"   => delete(tokens::revoke),
    /// All lab folders, with their owners.
    GET    "/api/folders"                             SignedIn ""               => get(labs::folders),
    /// Create a folder (the caller owns it).
    POST   "/api/folders"                             Editor   "folder.create"  => post(labs::create_folder),
    /// Rename or move a folder (its owner or an administrator).
    PATCH  "/api/folders/{*path}"                     Editor   "folder.rename"  => patch(labs::rename_folder),
    /// Delete an empty folder (its owner or an administrator).
    DELETE "/api/folders/{*path}"                     Editor   "folder.delete"  => delete(labs::delete_folder),
    /// The labs the caller may see, with the caller's access to each.
    GET    "/api/labs"                                SignedIn ""               => get(labs::list),
    /// Create an empty lab (the caller owns it).
    POST   "/api/labs"                                Editor   "lab.create"     => post(labs::create),
    /// Import a lab JSON document (schema 2, or 1 which is upgraded).
    POST   "/api/labs/import"                         Editor   "lab.import"     => post(labs::import),
    /// Import an EVE-NG `.unl` file (the raw request body).
    POST   "/api/labs/import/unl"                     Editor   "lab.import"     => post(labs::import_unl),
    /// The lab, every node's runtime and the event `seq`, from memory.
    GET    "/api/labs/{id}"                           LabView  ""               => get(labs::get),
    /// Rename and/or move a lab.
    PATCH  "/api/labs/{id}"                           LabOwner "lab.rename"     => patch(labs::rename),
    /// Delete a lab (its nodes are stopped first).
    DELETE "/api/labs/{id}"                           LabOwner "lab.delete"     => delete(labs::delete),
    /// The lab JSON document, as a file.
    GET    "/api/labs/{id}/export"                    LabView  ""               => get(labs::export),
    /// The lab's event stream (WebSocket): `hello`, replay or `resnapshot`, then events.
    GET    "/api/labs/{id}/events"                    LabView  ""               => get(events::events),
    /// Start every node of the lab.
    POST   "/api/labs/{id}/start"                     LabEdit  "lab.start"      => post(labs::start),
    /// Stop every node of the lab.
    POST   "/api/labs/{id}/stop"                      LabEdit  "lab.stop"       => post(labs::stop),
    /// Who the lab is shared with.
    GET    "/api/labs/{id}/shares"                    LabOwner ""               => get(labs::shares),
    /// Share the lab with a user, as viewer or editor.
    PUT    "/api/labs/{id}/shares/{user}"             LabOwner "lab.share"      => put(labs::share),
    /// Stop sharing the lab with a user.
    DELETE "/api/labs/{id}/shares/{user}"             LabOwner "lab.unshare"    => delete(labs::unshare),
    /// The lab's nodes, each with its runtime.
    GET    "/api/labs/{id}/nodes"                     LabView  ""               => get(topology::nodes),
    /// Add a node from a template.
    POST   "/api/labs/{id}/nodes"                     LabEdit  "node.create"    => post(topology::add_node),
    /// Add several nodes: all of them or none.
    POST   "/api/labs/{id}/nodes/batch"               LabEdit  "node.create"    => post(topology::add_nodes),
    /// One node with its runtime.
    GET    "/api/labs/{id}/nodes/{node}"              LabView  ""               => get(topology::node),
    /// Change a node (what runs only while it is stopped).
    PATCH  "/api/labs/{id}/nodes/{node}"              LabEdit  "node.update"    => patch(topology::update_node),
    /// Delete a node and its links.
    DELETE "/api/labs/{id}/nodes/{node}"              LabEdit  "node.delete"    => delete(topology::delete_node),
    /// Start a node.
    POST   "/api/labs/{id}/nodes/{node}/start"        LabEdit  "node.start"     => post(topology::start_node),
    /// Stop a node.
    POST   "/api/labs/{id}/nodes/{node}/stop"         LabEdit  "node.stop"      => post(topology::stop_node),
    /// Wipe a stopped node's runtime files (its disks and state).
    POST   "/api/labs/{id}/nodes/{node}/wipe"         LabEdit  "node.wipe"      => post(topology::wipe_node),
    /// A running node's console (WebSocket): binary frames both ways, resize as text.
    GET    "/api/labs/{id}/nodes/{node}/console"      LabEdit  "node.console"   => get(console::console),
    /// The lab's networks.
    GET    "/api/labs/{id}/networks"                  LabView  ""               => get(topology::networks),
    /// Add a network.
    POST   "/api/labs/{id}/networks"                  LabEdit  "network.create" => post(topology::add_network),
    /// Change a network.
    PATCH  "/api/labs/{id}/networks/{net}"            LabEdit  "network.update" => patch(topology::update_network),
    /// Delete a network and its links.
    DELETE "/api/labs/{id}/networks/{net}"            LabEdit  "network.delete" => delete(topology::delete_network),
    /// The lab's links.
    GET    "/api/labs/{id}/links"                     LabView  ""               => get(topology::links),
    /// Link a node interface to another one (a cable) or to a network.
    POST   "/api/labs/{id}/links"                     LabEdit  "link.create"    => post(topology::add_link),
    /// Delete a link.
    DELETE "/api/labs/{id}/links/{link}"              LabEdit  "link.delete"    => delete(topology::delete_link),
    /// Set a link's impairments (delay, jitter, loss, bandwidth).
    PUT    "/api/labs/{id}/links/{link}/metrics"      LabEdit  "link.metrics"   => put(topology::set_metrics),
    /// A live packet capture of a link: a pcap stream until the client leaves or `?seconds=N` pass.
    GET    "/api/labs/{id}/links/{link}/capture"      LabView  "link.capture"   => get(capture::link),
    /// A live packet capture of a node interface: a pcap stream until the client leaves or `?seconds=N` pass.
    GET    "/api/labs/{id}/nodes/{node}/interfaces/{index}/capture" LabView "node.capture" => get(capture::interface),
    /// Move nodes and networks on the canvas, and set the view.
    PUT    "/api/labs/{id}/layout"                    LabEdit  "lab.layout"     => put(topology::layout),
    /// The node templates, with their resolved defaults.
    GET    "/api/templates"                           SignedIn ""               => get(system::templates),
    /// The images installed for a node kind and template.
    GET    "/api/images"                              SignedIn ""               => get(system::images),
    /// Upload an image (administrators): the raw body, streamed to labd, size and SHA-256 checked.
    PUT    "/api/images/{kind}/{name}"                Admin    "image.upload"   => put(images::upload),
    /// The audit log, newest first (keyset paging with `before`).
    GET    "/api/audit"                               Admin    ""               => get(system::audit),
    /// Liveness: `ok` when labd answers.
    GET    "/api/system/health"                       Public   ""               => get(system::health),
    /// Versions of the gateway, labd and the event schema.
    GET    "/api/system/version"                      Public   ""               => get(system::version),
    /// Host CPU, memory and disk; nodes by kind and state.
    GET    "/api/system/status"                       Admin    ""               => get(system::status),
    /// Prometheus metrics (text exposition format).
    GET    "/metrics"                                 LocalOrAdmin ""           => get(system::metrics),
    /// This document: the API as OpenAPI 3.1, generated from the route table.
    GET    "/api/openapi.json"                        Public   ""               => get(openapi::serve),
}

/// The table without handlers (for the guard and for tests).
pub fn table() -> Vec<Route> {
    all().into_iter().map(|(r, _)| r).collect()
}

/// The API router (without state): one `route` per table entry.
pub fn router() -> Router<AppState> {
    all()
        .into_iter()
        .fold(Router::new(), |r, (route, handler)| {
            r.route(route.path, handler)
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_unique_and_changes_are_audited() {
        let t = table();
        let mut seen = std::collections::HashSet::new();
        for r in &t {
            assert!(
                seen.insert((r.method.clone(), r.path)),
                "{} {} twice",
                r.method,
                r.path
            );
            // Changes are audited, and so are consoles (a shell in a node) and captures.
            let audited = !matches!(r.method, Method::GET | Method::HEAD)
                || r.path.ends_with("/console")
                || r.path.ends_with("/capture");
            assert_eq!(
                audited,
                !r.action.is_empty(),
                "{} {}: audit action",
                r.method,
                r.path
            );
            if r.path.contains("{id}") && r.path.starts_with("/api/labs/") {
                assert!(
                    r.rule.is_lab_scoped(),
                    "{} {} must check lab access",
                    r.method,
                    r.path
                );
            }
        }
    }
}
