//! The route table: every route with its authorization rule and audit action, and the router
//! built from it (so no route exists without a rule). docs/api.md describes each route.

pub mod console;
pub mod events;
pub mod labs;
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

macro_rules! table {
    ($( $method:ident $path:literal $rule:ident $action:literal => $mk:ident($handler:path) ),* $(,)?) => {
        /// Every route: (table entry, handler).
        pub fn all() -> Vec<(Route, MethodRouter<AppState>)> {
            vec![$(
                (
                    Route { method: Method::$method, path: $path, rule: Rule::$rule, action: $action },
                    $mk($handler),
                ),
            )*]
        }
    };
}

table! {
    POST   "/api/session"                             Public   "user.login"     => post(session::login),
    GET    "/api/session"                             SignedIn ""               => get(session::current),
    DELETE "/api/session"                             Public   "user.logout"    => delete(session::logout),
    GET    "/api/users"                               Admin    ""               => get(session::list_users),
    POST   "/api/users"                               Admin    "user.create"    => post(session::create_user),
    GET    "/api/users/{user}"                        SignedIn ""               => get(session::get_user),
    PATCH  "/api/users/{user}"                        Admin    "user.update"    => patch(session::update_user),
    DELETE "/api/users/{user}"                        Admin    "user.delete"    => delete(session::delete_user),
    PUT    "/api/users/{user}/password"               SignedIn "user.password"  => put(session::set_password),
    GET    "/api/tokens"                              SignedIn ""               => get(tokens::list),
    POST   "/api/tokens"                              SignedIn "token.create"   => post(tokens::create),
    DELETE "/api/tokens/{token}"                      SignedIn "token.revoke"   => delete(tokens::revoke),
    GET    "/api/folders"                             SignedIn ""               => get(labs::folders),
    POST   "/api/folders"                             Editor   "folder.create"  => post(labs::create_folder),
    PATCH  "/api/folders/{*path}"                     Editor   "folder.rename"  => patch(labs::rename_folder),
    DELETE "/api/folders/{*path}"                     Editor   "folder.delete"  => delete(labs::delete_folder),
    GET    "/api/labs"                                SignedIn ""               => get(labs::list),
    POST   "/api/labs"                                Editor   "lab.create"     => post(labs::create),
    POST   "/api/labs/import"                         Editor   "lab.import"     => post(labs::import),
    POST   "/api/labs/import/unl"                     Editor   "lab.import"     => post(labs::import_unl),
    GET    "/api/labs/{id}"                           LabView  ""               => get(labs::get),
    PATCH  "/api/labs/{id}"                           LabOwner "lab.rename"     => patch(labs::rename),
    DELETE "/api/labs/{id}"                           LabOwner "lab.delete"     => delete(labs::delete),
    GET    "/api/labs/{id}/export"                    LabView  ""               => get(labs::export),
    GET    "/api/labs/{id}/events"                    LabView  ""               => get(events::events),
    POST   "/api/labs/{id}/start"                     LabEdit  "lab.start"      => post(labs::start),
    POST   "/api/labs/{id}/stop"                      LabEdit  "lab.stop"       => post(labs::stop),
    GET    "/api/labs/{id}/shares"                    LabOwner ""               => get(labs::shares),
    PUT    "/api/labs/{id}/shares/{user}"             LabOwner "lab.share"      => put(labs::share),
    DELETE "/api/labs/{id}/shares/{user}"             LabOwner "lab.unshare"    => delete(labs::unshare),
    GET    "/api/labs/{id}/nodes"                     LabView  ""               => get(topology::nodes),
    POST   "/api/labs/{id}/nodes"                     LabEdit  "node.create"    => post(topology::add_node),
    POST   "/api/labs/{id}/nodes/batch"               LabEdit  "node.create"    => post(topology::add_nodes),
    GET    "/api/labs/{id}/nodes/{node}"              LabView  ""               => get(topology::node),
    PATCH  "/api/labs/{id}/nodes/{node}"              LabEdit  "node.update"    => patch(topology::update_node),
    DELETE "/api/labs/{id}/nodes/{node}"              LabEdit  "node.delete"    => delete(topology::delete_node),
    POST   "/api/labs/{id}/nodes/{node}/start"        LabEdit  "node.start"     => post(topology::start_node),
    POST   "/api/labs/{id}/nodes/{node}/stop"         LabEdit  "node.stop"      => post(topology::stop_node),
    POST   "/api/labs/{id}/nodes/{node}/wipe"         LabEdit  "node.wipe"      => post(topology::wipe_node),
    GET    "/api/labs/{id}/nodes/{node}/console"      LabEdit  "node.console"   => get(console::console),
    GET    "/api/labs/{id}/networks"                  LabView  ""               => get(topology::networks),
    POST   "/api/labs/{id}/networks"                  LabEdit  "network.create" => post(topology::add_network),
    PATCH  "/api/labs/{id}/networks/{net}"            LabEdit  "network.update" => patch(topology::update_network),
    DELETE "/api/labs/{id}/networks/{net}"            LabEdit  "network.delete" => delete(topology::delete_network),
    GET    "/api/labs/{id}/links"                     LabView  ""               => get(topology::links),
    POST   "/api/labs/{id}/links"                     LabEdit  "link.create"    => post(topology::add_link),
    DELETE "/api/labs/{id}/links/{link}"              LabEdit  "link.delete"    => delete(topology::delete_link),
    PUT    "/api/labs/{id}/links/{link}/metrics"      LabEdit  "link.metrics"   => put(topology::set_metrics),
    PUT    "/api/labs/{id}/layout"                    LabEdit  "lab.layout"     => put(topology::layout),
    GET    "/api/templates"                           SignedIn ""               => get(system::templates),
    GET    "/api/images"                              SignedIn ""               => get(system::images),
    GET    "/api/audit"                               Admin    ""               => get(system::audit),
    GET    "/api/system/health"                       Public   ""               => get(system::health),
    GET    "/api/system/version"                      Public   ""               => get(system::version),
    GET    "/api/system/status"                       Admin    ""               => get(system::status),
    GET    "/metrics"                                 LocalOrAdmin "" => get(system::metrics),
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
            // Changes are audited, and so is opening a console (a shell in a node).
            let audited =
                !matches!(r.method, Method::GET | Method::HEAD) || r.path.ends_with("/console");
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
