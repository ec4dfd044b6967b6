//! Many clients changing one lab at once, over the real stack, on SQLite and on PostgreSQL.
//!
//! - `fifty_clients_add_links`: 50 clients, each on its own connection, link one interface each
//!   of a node to one network at the same time. Every link is there exactly once (none lost,
//!   none duplicated, each interface used once), and the event stream one WebSocket received —
//!   its resnapshot, then every event applied in seq order, without a gap — is exactly the
//!   final lab.

#[macro_use]
mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Barrier};
use std::thread;

use common::*;
use nova_api::{EventMessage, LabSnapshot};
use serde_json::{Value, json};

on_both_dbs!(fifty_clients_add_links);

const CLIENTS: u32 = 50;

fn fifty_clients_add_links(db: Db) {
    let (gw, admin) = Gateway::start(db);
    let owner = gw.user(&admin, "owner", "editor");
    let lab = create_lab(&owner, "busy");
    let node = add_nodes(&owner, &lab, vec![qemu_node("hub", CLIENTS)])[0];
    let net = add_network(&owner, &lab, "core");

    // One watcher from the start: since=0 gives a resnapshot, then every event.
    let mut ws = owner
        .ws(&format!("/api/labs/{lab}/events?since=0"), None)
        .expect("events");
    assert_eq!(ws_json(&mut ws)["type"], "hello");
    let first = ws_json(&mut ws);
    assert_eq!(first["type"], "resnapshot", "{first}");
    let mut copy: LabSnapshot =
        serde_json::from_value(first["snapshot"].clone()).expect("a LabSnapshot");

    let go = Arc::new(Barrier::new(CLIENTS as usize));
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (c, go, lab) = (owner.clone(), go.clone(), lab.clone());
            thread::spawn(move || {
                go.wait();
                add_link(&c, &lab, node, i, net)
            })
        })
        .collect();
    let ids: Vec<String> = clients
        .into_iter()
        .map(|t| t.join().expect("a client"))
        .collect();
    let unique: BTreeSet<&String> = ids.iter().collect();
    assert_eq!(unique.len(), ids.len(), "link ids are distinct: {ids:?}");

    let links = owner.get(&format!("/api/labs/{lab}/links")).expect(200);
    let links = links.as_array().expect("links");
    let stored: BTreeSet<&str> = links.iter().filter_map(|l| l["id"].as_str()).collect();
    assert_eq!(
        stored,
        ids.iter().map(String::as_str).collect(),
        "exactly the links the clients were told were made"
    );
    let interfaces: BTreeSet<u64> = links
        .iter()
        .map(|l| {
            assert_eq!(l["to"], json!({"network_id": net}), "{l}");
            assert_eq!(l["from"]["node_id"], json!(node), "{l}");
            l["from"]["interface_index"].as_u64().expect("interface")
        })
        .collect();
    assert_eq!(
        interfaces,
        (0..u64::from(CLIENTS)).collect(),
        "each interface once"
    );

    // The stream replays to exactly the final lab.
    let last = snapshot(&owner, &lab);
    let last_seq = last["seq"].as_u64().expect("seq");
    while copy.seq < last_seq {
        let msg = ws_json(&mut ws);
        let e: EventMessage = serde_json::from_value(msg.clone())
            .unwrap_or_else(|e| panic!("not an event ({e}): {msg}"));
        assert!(copy.apply(e.seq, &e.event), "gap before seq {}", e.seq);
    }
    let replayed = serde_json::to_value(&copy).expect("JSON");
    assert_eq!(
        lab_of(&replayed),
        lab_of(&last),
        "the stream rebuilds the lab"
    );
    assert_eq!(replayed["seq"], last["seq"]);
}

fn lab_of(snapshot: &Value) -> &Value {
    &snapshot["lab"]
}
