//! Authorization over the real stack, on SQLite and on PostgreSQL.
//!
//! - `authz_matrix`: every route of the gateway's route table (`routes::table()`, so a route
//!   is in the matrix by existing) called by every kind of caller — anonymous, a viewer, an
//!   editor, the lab's owner, an editor who is not the owner of the lab (and has no share), an
//!   administrator — with real ids in the path and a valid body. Refused: 401 anonymous, 403
//!   signed in but not allowed, 404 for a lab the caller cannot see, each with problem details;
//!   allowed: anything but 401/403/404 and no server error. Then the event WebSocket of the lab,
//!   opened by one who may see it and one who may not.
//! - `audit_shows_changes_to_admins`: a change and a refused change appear in `/api/audit`
//!   with who, what, which lab and the result; only administrators read it.

#[macro_use]
mod common;

use std::collections::BTreeSet;

use axum::http::Method;
use common::*;
use nova_ve_gateway::authz::{Route, Rule};
use serde_json::{Value, json};

on_both_dbs!(authz_matrix, audit_shows_changes_to_admins);

/// The kinds of caller, refused ones first for each route (so a caller who may delete
/// something does so after the others tried).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Anonymous,
    Viewer,
    Outsider,
    Editor,
    Owner,
    Admin,
}

const EVERYONE: [Who; 6] = [
    Who::Anonymous,
    Who::Viewer,
    Who::Outsider,
    Who::Editor,
    Who::Owner,
    Who::Admin,
];

impl Who {
    fn tag(self) -> &'static str {
        match self {
            Who::Anonymous => "anonymous",
            Who::Viewer => "viewer",
            Who::Outsider => "outsider",
            Who::Editor => "editor",
            Who::Owner => "owner",
            Who::Admin => "admin",
        }
    }
}

/// What the route's rule lets `who` do with the matrix's lab (viewer: shared as viewer;
/// editor: shared as editor; outsider: nothing shared). `None`: allowed.
fn refusal(rule: Rule, who: Who) -> Option<u16> {
    use Who::*;
    match (rule, who) {
        (Rule::Public, _) => None,
        // The test calls from loopback without forwarding headers: a local caller.
        (Rule::LocalOrAdmin, _) => None,
        (_, Anonymous) => Some(401),
        (Rule::SignedIn, _) => None,
        (Rule::Editor, Viewer) => Some(403),
        (Rule::Editor, _) => None,
        (Rule::Admin, Admin) => None,
        (Rule::Admin, _) => Some(403),
        (Rule::LabView | Rule::LabEdit | Rule::LabOwner, Outsider) => Some(404),
        (Rule::LabView | Rule::LabEdit | Rule::LabOwner, Owner | Admin) => None,
        (Rule::LabView, Viewer | Editor) => None,
        (Rule::LabEdit, Editor) => None,
        (Rule::LabEdit | Rule::LabOwner, Viewer) | (Rule::LabOwner, Editor) => Some(403),
    }
}

/// One caller's objects: where a request changes or removes something, each caller has its
/// own, so every allowed request finds what it names.
#[derive(Debug)]
struct Kit {
    node: u32,
    node_del: u32,
    net: u32,
    net_del: u32,
    link: String,
    token: i64,
    folder: String,
    folder_del: String,
    lab_del: String,
    sharee: i64,
}

struct Matrix {
    lab: String,
    /// A user administrators change and delete.
    victim: i64,
    /// A user who signs in (`POST /api/session`).
    sharee: String,
    /// A lab document to import.
    export: Value,
    admin_password: String,
}

/// Sets up the matrix's world: users, the lab (owned by `owner`, shared with `viewer` as
/// viewer and `editor` as editor) with every caller's kit, and each caller's lab to delete.
fn setup(gw: &Gateway, admin: &Client) -> (Matrix, Vec<(Who, Client, Kit)>) {
    let viewer = gw.user(admin, "viewer", "viewer");
    let editor = gw.user(admin, "editor", "editor");
    let owner = gw.user(admin, "owner", "editor");
    let outsider = gw.user(admin, "outsider", "editor");
    let victim = gw.user(admin, "victim", "viewer").id();
    // Users owners share the lab with and unshare it from: one for administrators, one for the
    // others (the owner unshares before the administrator tries).
    let sharees = [
        gw.user(admin, "sharee", "viewer").id(),
        gw.user(admin, "sharee-admin", "viewer").id(),
    ];
    let share = |lab: &str| {
        for (c, level) in [(&viewer, "viewer"), (&editor, "editor")] {
            owner
                .put(
                    &format!("/api/labs/{lab}/shares/{}", c.id()),
                    &json!({"level": level}),
                )
                .expect(204);
        }
    };
    let lab = create_lab(&owner, "matrix");
    share(&lab);
    let empty = create_lab(&owner, "to-export");
    let mut export = owner.get(&format!("/api/labs/{empty}/export")).expect(200);
    export["id"] = json!("");

    let callers = [
        (Who::Anonymous, gw.anonymous()),
        (Who::Viewer, viewer.clone()),
        (Who::Outsider, outsider),
        (Who::Editor, editor.clone()),
        (Who::Owner, owner.clone()),
        (Who::Admin, admin.clone()),
    ];
    let specs = EVERYONE
        .iter()
        .flat_map(|w| {
            [
                qemu_node(&format!("n-{}", w.tag()), 2),
                qemu_node(&format!("del-{}", w.tag()), 1),
            ]
        })
        .collect();
    let nodes = add_nodes(&owner, &lab, specs);
    let mut out = Vec::new();
    for (i, (who, client)) in callers.into_iter().enumerate() {
        let tag = who.tag();
        let (node, node_del) = (nodes[2 * i], nodes[2 * i + 1]);
        let net = add_network(&owner, &lab, &format!("net-{tag}"));
        let net_del = add_network(&owner, &lab, &format!("del-{tag}"));
        let link = add_link(&owner, &lab, node, 0, net);
        let lab_del = create_lab(&owner, &format!("del-{tag}"));
        share(&lab_del);
        let (folder, folder_del) = (format!("f-{tag}"), format!("fdel-{tag}"));
        let token = if who == Who::Anonymous {
            1
        } else {
            client
                .post("/api/tokens", &json!({"name": format!("kit-{tag}")}))
                .expect(201)["token"]["id"]
                .as_i64()
                .expect("token id")
        };
        if matches!(who, Who::Editor | Who::Owner | Who::Outsider | Who::Admin) {
            for f in [&folder, &folder_del] {
                client.post("/api/folders", &json!({"path": f})).expect(201);
            }
        }
        let kit = Kit {
            node,
            node_del,
            net,
            net_del,
            link,
            token,
            folder,
            folder_del,
            lab_del,
            sharee: sharees[usize::from(who == Who::Admin)],
        };
        out.push((who, client, kit));
    }
    let m = Matrix {
        lab,
        victim,
        sharee: "sharee".into(),
        export,
        admin_password: gw.admin_password.clone(),
    };
    (m, out)
}

/// The path with its parameters filled from the caller's kit: a DELETE removes the kit's
/// throwaway object; `{user}` is the caller for self-service routes, the victim for admin
/// routes, the sharee for shares.
fn fill(r: &Route, who: Who, client: &Client, m: &Matrix, k: &Kit) -> String {
    let delete = r.method == Method::DELETE;
    let mut out = Vec::new();
    for seg in r.path.split('/') {
        let v = match seg {
            "{id}" if delete && r.path == "/api/labs/{id}" => k.lab_del.clone(),
            "{id}" => m.lab.clone(),
            "{node}" if delete => k.node_del.to_string(),
            "{node}" => k.node.to_string(),
            "{net}" if delete => k.net_del.to_string(),
            "{net}" => k.net.to_string(),
            "{link}" => k.link.clone(),
            "{index}" => "0".to_string(),
            "{kind}" => "qemu".to_string(),
            "{name}" => format!("matrix-{}.qcow2", who.tag()),
            "{token}" => k.token.to_string(),
            "{*path}" if delete => k.folder_del.clone(),
            "{*path}" => k.folder.clone(),
            "{user}" if r.path.starts_with("/api/labs/") => k.sharee.to_string(),
            "{user}" if r.rule == Rule::SignedIn => {
                client.user["id"].as_i64().unwrap_or(m.victim).to_string()
            }
            "{user}" => m.victim.to_string(),
            p if p.starts_with('{') => panic!(
                "{} {}: the authorization matrix cannot fill {p}; teach `fill` about it",
                r.method, r.path
            ),
            p => p.to_string(),
        };
        out.push(v);
    }
    let path = out.join("/");
    match r.path {
        "/api/images" => format!("{path}?kind=qemu&template=linux"),
        "/api/labs/import/unl" => format!("{path}?name=unl-{}", who.tag()),
        _ => path,
    }
}

/// A small EVE-NG lab (two nodes on one network), with an id of the caller's own.
fn unl(who: Who) -> Vec<u8> {
    let id = format!("00000000-0000-4000-8000-{:012}", who as u8);
    format!(
        r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<lab name="unl" id="{id}" version="1" author="matrix">
  <topology>
    <nodes>
      <node id="1" name="A" type="qemu" template="vios" image="vios-15.6" ethernet="1" left="10" top="10"><interface id="0" name="Gi0/0" type="ethernet" network_id="1"/></node>
      <node id="2" name="B" type="qemu" template="vios" image="vios-15.6" ethernet="1" left="90" top="10"><interface id="0" name="Gi0/0" type="ethernet" network_id="1"/></node>
    </nodes>
    <networks><network id="1" type="bridge" name="Net" left="50" top="10" visibility="0"/></networks>
  </topology>
</lab>"#
    )
    .into_bytes()
}

/// A valid body (content type, bytes) for each route that takes one. A route that changes
/// something and is not here fails the test: the matrix must know how to call it.
fn body(r: &Route, who: Who, m: &Matrix, k: &Kit) -> Option<(&'static str, Vec<u8>)> {
    if r.method == Method::GET || r.method == Method::DELETE {
        return None;
    }
    if r.path == "/api/labs/import/unl" {
        return Some(("application/xml", unl(who)));
    }
    if r.path == "/api/images/{kind}/{name}" {
        return Some(("application/octet-stream", vec![0x51; 4096]));
    }
    let json = json_body(r, who, m, k)?;
    Some(("application/json", serde_json::to_vec(&json).expect("JSON")))
}

fn json_body(r: &Route, who: Who, m: &Matrix, k: &Kit) -> Option<Value> {
    let tag = who.tag();
    let pw = if who == Who::Admin {
        m.admin_password.clone()
    } else {
        password_of(tag)
    };
    Some(match (r.method.as_str(), r.path) {
        ("POST", "/api/session") => {
            json!({"username": m.sharee, "password": password_of(&m.sharee)})
        }
        ("POST", "/api/users") => {
            json!({"username": format!("new-{tag}"), "password": pw, "role": "viewer"})
        }
        ("PATCH", "/api/users/{user}") => json!({"display_name": format!("changed by {tag}")}),
        ("PUT", "/api/users/{user}/password") => {
            json!({"current_password": pw, "new_password": pw})
        }
        ("POST", "/api/tokens") => json!({"name": format!("new-{tag}")}),
        ("POST", "/api/folders") => json!({"path": format!("new-{tag}")}),
        ("PATCH", "/api/folders/{*path}") => json!({"path": format!("renamed-{tag}")}),
        ("POST", "/api/labs") => json!({"folder": "", "name": format!("new-{tag}")}),
        ("POST", "/api/labs/import") => {
            json!({"folder": "", "name": format!("imported-{tag}"), "lab": m.export})
        }
        ("PATCH", "/api/labs/{id}") => json!({"name": format!("renamed by {tag}")}),
        ("PUT", "/api/labs/{id}/shares/{user}") => json!({"level": "viewer"}),
        ("POST", "/api/labs/{id}/nodes") => qemu_node(&format!("added-{tag}"), 1),
        ("POST", "/api/labs/{id}/nodes/batch") => {
            json!({"nodes": [qemu_node(&format!("batch-{tag}"), 1)]})
        }
        ("PATCH", "/api/labs/{id}/nodes/{node}") => json!({"name": format!("patched-{tag}")}),
        ("POST", "/api/labs/{id}/networks") => json!({"name": format!("added-{tag}")}),
        ("PATCH", "/api/labs/{id}/networks/{net}") => json!({"name": format!("patched-{tag}")}),
        ("POST", "/api/labs/{id}/links") => json!({
            "from": {"node_id": k.node, "interface_index": 1},
            "to": {"network_id": k.net},
        }),
        ("PUT", "/api/labs/{id}/links/{link}/metrics") => json!({"bandwidth_kbps": 1000}),
        ("PUT", "/api/labs/{id}/layout") => json!({"viewport": {"x": 1.0, "y": 2.0, "zoom": 1.5}}),
        (
            "POST",
            "/api/labs/{id}/start"
            | "/api/labs/{id}/stop"
            | "/api/labs/{id}/nodes/{node}/start"
            | "/api/labs/{id}/nodes/{node}/stop"
            | "/api/labs/{id}/nodes/{node}/wipe",
        ) => return None,
        (method, path) => panic!(
            "{method} {path}: the authorization matrix has no request body for this route; \
             add one to `body`"
        ),
    })
}

/// Changes first, removals after, signing out last: every request finds what it names.
fn order(r: &Route) -> u8 {
    match (r.method.clone(), r.path) {
        (Method::DELETE, "/api/session") => 2,
        (Method::DELETE, _) => 1,
        _ => 0,
    }
}

fn authz_matrix(db: Db) {
    let (gw, admin) = Gateway::start(db);
    let (m, callers) = setup(&gw, &admin);
    let mut routes = nova_ve_gateway::routes::table();
    routes.sort_by_key(order);

    let mut failures = Vec::new();
    let mut checked = BTreeSet::new();
    for r in &routes {
        for (who, client, kit) in &callers {
            let path = fill(r, *who, client, &m, kit);
            let resp = match body(r, *who, &m, kit) {
                Some((ct, bytes)) => client.raw(r.method.clone(), &path, Some(ct), bytes),
                None => client.send(r.method.clone(), &path, None),
            };
            let what = format!(
                "{} {} ({:?}) as {}: {} {}",
                r.method,
                r.path,
                r.rule,
                who.tag(),
                resp.status,
                resp.text().chars().take(200).collect::<String>()
            );
            match refusal(r.rule, *who) {
                Some(want) if resp.status != want => failures.push(format!("want {want}: {what}")),
                Some(_) if !resp.is_problem() => failures.push(format!("no problem body: {what}")),
                None if matches!(resp.status, 401 | 403 | 404) || resp.status >= 500 => {
                    failures.push(format!("want allowed: {what}"))
                }
                _ => {}
            }
            checked.insert((r.method.to_string(), r.path));
        }
    }
    let table: BTreeSet<_> = nova_ve_gateway::routes::table()
        .iter()
        .map(|r| (r.method.to_string(), r.path))
        .collect();
    assert_eq!(checked, table, "every route of the table is in the matrix");
    assert!(
        failures.is_empty(),
        "{} of {} calls answered against the rules:\n{}",
        failures.len(),
        routes.len() * callers.len(),
        failures.join("\n")
    );

    // The event WebSocket: the editor (shared) gets its hello; the outsider never learns the
    // lab exists; without signing in, 401.
    let events = format!("/api/labs/{}/events", m.lab);
    let fresh = |name: &str| gw.login(name, &password_of(name));
    let mut ws = fresh("editor")
        .ws(&events, None)
        .expect("editor opens the events");
    assert_eq!(ws_json(&mut ws)["type"], "hello");
    assert_eq!(fresh("outsider").ws(&events, None).err(), Some(404));
    assert_eq!(gw.anonymous().ws(&events, None).err(), Some(401));
}

fn audit_shows_changes_to_admins(db: Db) {
    let (gw, admin) = Gateway::start(db);
    let owner = gw.user(&admin, "owner", "editor");
    let viewer = gw.user(&admin, "viewer", "viewer");
    let lab = create_lab(&owner, "audited");
    owner
        .put(
            &format!("/api/labs/{lab}/shares/{}", viewer.id()),
            &json!({"level": "viewer"}),
        )
        .expect(204);
    add_network(&owner, &lab, "lan");
    viewer
        .post(
            &format!("/api/labs/{lab}/networks"),
            &json!({"name": "sneaky"}),
        )
        .refused(403);

    let page = admin
        .get(&format!("/api/audit?action=network.create&lab={lab}"))
        .expect(200);
    let entries = page["entries"].as_array().expect("entries");
    let seen: Vec<(&str, &str, &str)> = entries
        .iter()
        .map(|e| {
            assert_eq!(e["lab_id"], json!(lab), "{e}");
            (
                e["username"].as_str().unwrap_or(""),
                e["action"].as_str().unwrap_or(""),
                e["result"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("viewer", "network.create", "denied"),
            ("owner", "network.create", "ok")
        ],
        "newest first: {page}"
    );
    let created = admin
        .get("/api/audit?action=lab.create")
        .expect(200)
        .to_string();
    assert!(
        created.contains(&lab) && created.contains("\"owner\""),
        "{created}"
    );
    for c in [&owner, &viewer] {
        c.get("/api/audit").refused(403);
    }
    gw.anonymous().get("/api/audit").refused(401);
}
