//! Hostile callers over the real stack, on SQLite and on PostgreSQL. Every refusal must change
//! nothing: the world (users, folders, every lab with its shares) is read again after.
//!
//! - `old_holes_stay_closed`: the earlier Python implementation's holes, replayed — raising
//!   one's own role, sharing above one's access or a lab one does not own, reading another
//!   user's lab events (also after a share is revoked), smuggling QEMU options, Docker
//!   arguments, a privileged flag or host paths into a node through `extras`, `image` or a
//!   PATCH.
//! - `bad_input_changes_nothing`: malformed JSON, unknown fields, wrong content type, oversize
//!   bodies, path traversal (`../`, `%2e%2e`), NUL, absurd lengths, unknown ids: the right 4xx
//!   with `application/problem+json`, and the gateway still talks to labd afterwards.

#[macro_use]
mod common;

use std::time::{Duration, Instant};

use axum::http::Method;
use common::*;
use serde_json::json;

on_both_dbs!(old_holes_stay_closed, bad_input_changes_nothing);

fn old_holes_stay_closed(db: Db) {
    let (gw, admin) = Gateway::start(db);
    let owner = gw.user(&admin, "owner", "editor");
    let editor = gw.user(&admin, "editor", "editor");
    let viewer = gw.user(&admin, "viewer", "viewer");
    let outsider = gw.user(&admin, "outsider", "editor");
    let lab = create_lab(&owner, "guarded");
    for (c, level) in [(&editor, "editor"), (&viewer, "editor")] {
        owner
            .put(
                &format!("/api/labs/{lab}/shares/{}", c.id()),
                &json!({"level": level}),
            )
            .expect(204);
    }
    let node = add_nodes(&owner, &lab, vec![qemu_node("r1", 2)])[0];
    let before = world(&admin);

    // Raising one's own role (REFERENCE §10.1.1), or disabling oneself.
    for c in [&viewer, &editor, &owner] {
        let me = format!("/api/users/{}", c.id());
        c.patch(&me, &json!({"role": "admin"})).refused(403);
        assert_eq!(c.get(&me).expect(200)["role"], json!(c.user["role"]));
    }
    let me = format!("/api/users/{}", admin.id());
    admin.patch(&me, &json!({"role": "viewer"})).refused(403);
    admin.patch(&me, &json!({"disabled": true})).refused(403);
    viewer
        .put(
            &format!("/api/users/{}/password", editor.id()),
            &json!({"new_password": "pw-taken-over-0123456789"}),
        )
        .refused(403);

    // Sharing: an editor of the lab cannot share it (not even at their own level), an outsider
    // cannot see it, and an owner shares as viewer or editor only.
    let share = |c: &Client, user: i64, level: &str| {
        c.put(
            &format!("/api/labs/{lab}/shares/{user}"),
            &json!({"level": level}),
        )
    };
    share(&editor, outsider.id(), "editor").refused(403);
    share(&editor, editor.id(), "owner").refused(403);
    share(&outsider, outsider.id(), "viewer").refused(404);
    share(&owner, outsider.id(), "owner").refused(400);
    share(&owner, outsider.id(), "admin").refused(400);
    editor
        .delete(&format!("/api/labs/{lab}/shares/{}", viewer.id()))
        .refused(403);
    // A viewer shared as editor stays a viewer: their role caps what a share gives.
    let mine = viewer.get("/api/labs").expect(200);
    assert_eq!(mine[0]["access"], "viewer", "{mine}");
    viewer
        .post(&format!("/api/labs/{lab}/networks"), &json!({"name": "x"}))
        .refused(403);

    // Smuggling runtime options, host paths or privileges into a node.
    let nodes = format!("/api/labs/{lab}/nodes");
    let smuggled = [
        json!({"qemu_options": "-netdev tap,id=x,script=/tmp/pwn"}),
        json!({"qemu_options": "-chardev socket,id=c,path=/run/dbus/system_bus_socket"}),
        json!({"extra_args": "-v /:/host --pid=host"}),
        json!({"command": ["sh", "-c", "id"]}),
        json!({"privileged": true}),
        json!({"cap_add": ["NET_ADMIN"]}),
        json!({"qemu_nic": "e1000\n-device evil"}),
    ];
    // Refused by the typed spec itself (nova-api, also labd's D-Bus adaptor): 422 here.
    for extras in &smuggled {
        let mut spec = qemu_node("smuggler", 1);
        spec["extras"] = extras.clone();
        let why = owner.post(&nodes, &spec).refused(422);
        assert!(why.contains("extras."), "{why}");
        let docker = json!({"name": "d", "template": "docker", "extras": extras});
        owner.post(&nodes, &docker).refused(422);
        owner
            .patch(&format!("{nodes}/{node}"), &json!({"extras": extras}))
            .refused(422);
        owner
            .post(
                &format!("{nodes}/batch"),
                &json!({"nodes": [qemu_node("ok", 1), spec]}),
            )
            .refused(422);
    }
    for (field, value) in [
        ("image", "/etc/shadow"),
        ("image", "../../../../etc/passwd"),
        ("icon", "../../../etc/passwd"),
    ] {
        let mut spec = qemu_node("paths", 1);
        spec[field] = json!(value);
        owner.post(&nodes, &spec).refused(400);
        owner
            .patch(&format!("{nodes}/{node}"), &json!({ field: value }))
            .refused(400);
    }
    owner
        .post(
            &nodes,
            &json!({"name": "k", "template": "linux", "type": "qemu", "kvm_path": "/dev/kvm"}),
        )
        .refused(422);
    assert_eq!(world(&admin), before, "refused requests changed something");

    // Another user's lab events: never opened, not even with an API token or a same-origin
    // header; and a stream ends when the share that allowed it is revoked.
    let events = format!("/api/labs/{lab}/events");
    let origin = format!("http://{}", gw.addr);
    assert_eq!(outsider.ws(&events, Some(&origin)).err(), Some(404));
    let token = outsider
        .post("/api/tokens", &json!({"name": "t"}))
        .expect(201)["secret"]
        .as_str()
        .expect("secret")
        .to_string();
    assert_eq!(
        outsider.with_token(&token).ws(&events, None).err(),
        Some(404)
    );
    let mut ws = editor.ws(&events, Some(&origin)).expect("shared editor");
    assert_eq!(ws_json(&mut ws)["type"], "hello");
    owner
        .delete(&format!("/api/labs/{lab}/shares/{}", editor.id()))
        .expect(204);
    let start = Instant::now();
    let end = loop {
        match ws_read(&mut ws) {
            WsMsg::Json(_) => continue,
            WsMsg::Closed(code) => break code,
        }
    };
    assert_eq!(end, Some(4003), "a revoked viewer's stream is closed");
    assert!(start.elapsed() < Duration::from_secs(15));
    assert_eq!(editor.ws(&events, None).err(), Some(404));
}

/// `n` times `c`.
fn long(c: char, n: usize) -> String {
    std::iter::repeat_n(c, n).collect()
}

fn bad_input_changes_nothing(db: Db) {
    let (gw, admin) = Gateway::start(db);
    let owner = gw.user(&admin, "owner", "editor");
    let lab = create_lab(&owner, "target");
    let node = add_nodes(&owner, &lab, vec![qemu_node("r1", 2)])[0];
    let net = add_network(&owner, &lab, "lan");
    let link = add_link(&owner, &lab, node, 0, net);
    owner
        .post("/api/folders", &json!({"path": "mine"}))
        .expect(201);
    let before = world(&admin);
    let lab_path = format!("/api/labs/{lab}");

    // Bodies that are not what the route takes.
    let json_ct = Some("application/json");
    let raw =
        |c: &Client, m: Method, p: &str, ct: Option<&str>, b: &[u8]| c.raw(m, p, ct, b.to_vec());
    raw(&owner, Method::POST, "/api/labs", json_ct, b"{\"name\": ").refused(400);
    raw(&owner, Method::POST, "/api/labs", json_ct, b"[1, 2").refused(400);
    raw(&owner, Method::POST, "/api/labs", json_ct, b"").refused(400);
    raw(&owner, Method::POST, "/api/labs", Some("text/plain"), b"{}").refused(415);
    raw(&owner, Method::POST, "/api/labs", None, b"{}").refused(415);
    // Well-formed JSON of the wrong shape: 422.
    for body in [
        json!({"folder": "", "name": "x", "owner": "admin"}),
        json!({"folder": "", "name": 7}),
        json!({"folder": ""}),
    ] {
        owner.post("/api/labs", &body).refused(422);
    }
    owner
        .post(
            &format!("{lab_path}/nodes"),
            &json!({"name": "n", "template": "linux", "type": "qemu", "runtime": {"pid": 1}}),
        )
        .refused(422);
    owner
        .patch(
            &format!("{lab_path}/nodes/{node}"),
            &json!({"type": "docker"}),
        )
        .refused(422);
    owner
        .put(
            &format!("{lab_path}/links/{link}/metrics"),
            &json!({"loss_pct": 101.0}),
        )
        .refused(400);
    admin
        .patch(
            &format!("/api/users/{}", owner.id()),
            &json!({"role": "root"}),
        )
        .refused(422);

    // A batch is all or nothing: the node labd refuses takes the ones before it back out.
    owner
        .post(
            &format!("{lab_path}/nodes/batch"),
            &json!({"nodes": [qemu_node("first", 1), {"name": "second", "template": "no-such"}]}),
        )
        .refused(400);

    // Oversize: beyond the body limit (4 MiB + 64 KiB), and a spec beyond 256 KiB.
    let huge = format!(
        "{{\"folder\":\"\",\"name\":\"{}\"}}",
        long('a', nova_ve_gateway::MAX_BODY_BYTES)
    );
    raw(&owner, Method::POST, "/api/labs", json_ct, huge.as_bytes()).refused(413);
    let big_name = long('n', nova_api::limits::MAX_SPEC_BYTES + 1);
    owner
        .post(&format!("{lab_path}/nodes"), &qemu_node(&big_name, 1))
        .refused(400);

    // Traversal and odd names, in bodies and in paths.
    for (folder, name) in [
        ("../../etc", "x"),
        ("", "../x"),
        ("", "x/../../y"),
        ("..", "x"),
        ("a/./b", "x"),
        ("", ".hidden"),
        ("", "a\u{0}b"),
        ("a\u{0}b", "x"),
        ("", "a\nb"),
        (&long('f', 5000), "x"),
        ("", &long('l', 5000)),
    ] {
        owner
            .post("/api/labs", &json!({"folder": folder, "name": name}))
            .refused(400);
    }
    for path in [
        "../up",
        "a/../../up",
        "..",
        "/abs",
        "x\u{0}y",
        &long('p', 10_000),
    ] {
        owner
            .post("/api/folders", &json!({"path": path}))
            .refused(400);
    }
    owner
        .patch("/api/folders/mine", &json!({"path": "../../escaped"}))
        .refused(400);
    owner
        .patch(&lab_path, &json!({"folder": "../.."}))
        .refused(400);
    owner
        .patch(
            &format!("{lab_path}/nodes/{node}"),
            &json!({"name": "a\u{0}"}),
        )
        .refused(400);
    owner
        .post(
            &format!("{lab_path}/networks"),
            &json!({"name": long('w', 500)}),
        )
        .refused(400);
    for path in [
        "/api/folders/%2e%2e",
        "/api/folders/..%2f..%2fetc",
        "/api/folders/a%00b",
    ] {
        admin.patch(path, &json!({"path": "stolen"})).refused(400);
        admin.delete(path).refused(400);
    }
    for path in [
        "/api/labs/%2e%2e".to_string(),
        "/api/labs/..%2f..%2fetc%2fpasswd".to_string(),
        format!("/api/labs/{}", long('i', 8000)),
    ] {
        owner.get(&path).refused(404);
        owner.delete(&path).refused(404);
    }
    owner.get("/api/labs/a%00b").refused(400);
    owner.delete("/api/labs/a%00b").refused(400);
    owner
        .delete(&format!("{lab_path}/links/a%00b"))
        .refused(400);
    // A method the route does not have.
    owner
        .send(Method::PUT, &format!("{lab_path}/links"), None)
        .refused(405);
    owner
        .get("/api/images?kind=qemu%00&template=linux")
        .refused(400);

    // Unknown ids.
    owner.get("/api/labs/no-such-lab").refused(404);
    owner.get(&format!("{lab_path}/nodes/999999")).refused(404);
    owner.get(&format!("{lab_path}/nodes/r1")).refused(400);
    owner
        .patch(&format!("{lab_path}/nodes/999999"), &json!({"name": "x"}))
        .refused(404);
    owner
        .delete(&format!("{lab_path}/nodes/999999"))
        .refused(404);
    owner
        .send(
            Method::POST,
            &format!("{lab_path}/nodes/999999/start"),
            None,
        )
        .refused(404);
    owner
        .patch(
            &format!("{lab_path}/networks/999999"),
            &json!({"name": "x"}),
        )
        .refused(404);
    owner
        .delete(&format!("{lab_path}/links/no-such-link"))
        .refused(404);
    owner
        .put(
            &format!("{lab_path}/links/no-such-link/metrics"),
            &json!({"loss_pct": 1.0}),
        )
        .refused(404);
    owner
        .post(
            &format!("{lab_path}/links"),
            &json!({"from": {"node_id": 999999, "interface_index": 0}, "to": {"network_id": net}}),
        )
        .refused(404);
    owner
        .put(
            &format!("{lab_path}/shares/999999"),
            &json!({"level": "viewer"}),
        )
        .refused(404);
    owner.delete("/api/tokens/999999").refused(404);
    admin.delete("/api/users/999999").refused(404);
    admin.get("/api/users/999999").refused(404);
    owner.get("/api/no/such/route").refused(404);

    assert_eq!(world(&admin), before, "refused requests changed something");
    // labd still answers through the gateway (no request broke its bus connection).
    gw.anonymous().get("/api/system/health").expect(200);
    add_network(&owner, &lab, "after");
}
