//! The lab event WebSocket (`/api/labs/{id}/events`, docs/events.md) over the real stack, on
//! SQLite and on PostgreSQL.
//!
//! - `hello_replay_resnapshot`: `hello` carries the lab's current seq and live events follow
//!   it; `since=SEQ` replays exactly the events after SEQ; `since` older than the server's ring
//!   gets a `resnapshot` equal to the lab; a foreign `Origin` is refused, the gateway's own is
//!   not.
//! - `slow_client_is_closed_others_keep_up`: a client that never reads is closed with 4008
//!   once it fell more than the fan-out buffer behind, while another client receives every
//!   event in order; afterwards the ring no longer reaches back to the start (resnapshot).

#[macro_use]
mod common;

use std::thread;

use axum::http::Method;
use common::*;
use serde_json::{Value, json};

on_both_dbs!(
    hello_replay_resnapshot,
    slow_client_is_closed_others_keep_up
);

fn seq(v: &Value) -> u64 {
    v["seq"].as_u64().unwrap_or_else(|| panic!("no seq in {v}"))
}

fn hello_replay_resnapshot(db: Db) {
    let (gw, admin) = Gateway::start(db);
    let owner = gw.user(&admin, "owner", "editor");
    let lab = create_lab(&owner, "events");
    let events = format!("/api/labs/{lab}/events");
    let start = seq(&snapshot(&owner, &lab));

    let mut live = owner.ws(&events, None).expect("events");
    let hello = ws_json(&mut live);
    assert_eq!(
        hello,
        json!({"type": "hello", "lab_id": lab, "seq": start}),
        "hello carries the current seq"
    );
    for name in ["a", "b", "c"] {
        add_network(&owner, &lab, name);
    }
    let got: Vec<Value> = (0..3).map(|_| ws_json(&mut live)).collect();
    for (i, (e, name)) in got.iter().zip(["a", "b", "c"]).enumerate() {
        assert_eq!(e["type"], "network_created", "{e}");
        assert_eq!(e["network"]["name"], name, "{e}");
        assert_eq!(seq(e), start + 1 + i as u64, "{e}");
        assert_eq!(e["lab_id"], json!(lab));
    }
    let now = start + 3;
    assert_eq!(seq(&snapshot(&owner, &lab)), now);

    // Replay: exactly the events after `since`, as they were sent live.
    let mut replay = owner
        .ws(&format!("{events}?since={}", start + 1), None)
        .expect("replay");
    assert_eq!(seq(&ws_json(&mut replay)), now, "hello");
    assert_eq!(ws_json(&mut replay), got[1]);
    assert_eq!(ws_json(&mut replay), got[2]);
    // Up to date: nothing replayed; the next message is the next change.
    let mut current = owner
        .ws(&format!("{events}?since={now}"), None)
        .expect("current");
    assert_eq!(seq(&ws_json(&mut current)), now, "hello");
    add_network(&owner, &lab, "d");
    for ws in [&mut live, &mut replay, &mut current] {
        let e = ws_json(ws);
        assert_eq!((seq(&e), &e["network"]["name"]), (now + 1, &json!("d")));
    }

    // Older than the ring (which starts when the gateway started): the whole lab instead.
    let mut behind = owner
        .ws(&format!("{events}?since=1"), None)
        .expect("behind");
    assert_eq!(seq(&ws_json(&mut behind)), now + 1, "hello");
    let r = ws_json(&mut behind);
    assert_eq!(r["type"], "resnapshot", "{r}");
    assert_eq!(
        r["snapshot"],
        snapshot(&owner, &lab),
        "the resnapshot is the lab"
    );

    // Origin: the gateway's own (the Host it was asked as) or none; nothing else.
    let own = format!("http://{}", gw.addr);
    assert!(owner.ws(&events, Some(&own)).is_ok());
    for foreign in ["http://evil.example", "null", "http://127.0.0.1:1"] {
        assert_eq!(
            owner.ws(&events, Some(foreign)).err(),
            Some(403),
            "{foreign}"
        );
    }
    owner.get(&format!("{events}?since=abc")).refused(400);
}

fn slow_client_is_closed_others_keep_up(db: Db) {
    let (gw, admin) = Gateway::start(db);
    let owner = gw.user(&admin, "owner", "editor");
    let lab = create_lab(&owner, "firehose");
    let router = add_nodes(
        &owner,
        &lab,
        vec![
            json!({"name": "big", "template": "frr", "type": "linux"}),
            qemu_node("wiped", 1),
        ],
    );
    let (big, wiped) = (router[0], router[1]);
    let events = format!("/api/labs/{lab}/events");

    let mut slow = owner.ws_small_buffer(&events);
    let first = seq(&ws_json(&mut slow));
    let mut fast = owner.ws(&events, None).expect("fast");
    assert_eq!(seq(&ws_json(&mut fast)), first);
    let reader = thread::spawn(move || {
        let mut seqs = Vec::new();
        loop {
            match ws_read(&mut fast) {
                WsMsg::Json(e) => {
                    let done = e["type"] == "node_updated" && e["node"]["name"] == "done";
                    seqs.push(seq(&e));
                    if done {
                        return (seqs, None);
                    }
                }
                WsMsg::Closed(code) => return (seqs, Some(code)),
            }
        }
    });

    // Big events fill the slow client's socket buffers (both ends, a few MiB at most); then
    // more small events than the fan-out buffer (1024) keeps for it.
    let conf: String = "! filler line of an frr.conf\n".repeat(7000);
    for _ in 0..24 {
        owner
            .patch(
                &format!("/api/labs/{lab}/nodes/{big}"),
                &json!({"extras": {"frr_conf": conf}}),
            )
            .expect(204);
    }
    let wipes = nova_ve_gateway::cache::FANOUT_BUFFER + 100;
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let c = owner.clone();
            let path = format!("/api/labs/{lab}/nodes/{wiped}/wipe");
            thread::spawn(move || {
                for _ in 0..wipes / 4 {
                    c.send(Method::POST, &path, None).expect(204);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().expect("wipes");
    }
    owner
        .patch(
            &format!("/api/labs/{lab}/nodes/{wiped}"),
            &json!({"name": "done"}),
        )
        .expect(204);
    let last = seq(&snapshot(&owner, &lab));

    // The reader got every event, in order, none missing.
    let (seqs, closed) = reader.join().expect("reader");
    assert_eq!(closed, None, "the fast client was closed");
    let want: Vec<u64> = (first + 1..=last).collect();
    assert_eq!(
        seqs.len(),
        want.len(),
        "every event reached the fast client"
    );
    assert!(seqs == want, "events in order without gaps");

    // The slow one was dropped: it reads what was in its buffers, then the close.
    let mut read = 0;
    let code = loop {
        match ws_read(&mut slow) {
            WsMsg::Json(_) => read += 1,
            WsMsg::Closed(code) => break code,
        }
    };
    assert_eq!(code, Some(4008), "the slow client is closed as too slow");
    assert!(
        read < want.len(),
        "the slow client cannot have got everything"
    );

    // More events than the ring holds went by: `since` the start gets the whole lab.
    let mut late = owner
        .ws(&format!("{events}?since={first}"), None)
        .expect("late");
    assert_eq!(seq(&ws_json(&mut late)), last);
    let r = ws_json(&mut late);
    assert_eq!(r["type"], "resnapshot", "{}", r["type"]);
    assert_eq!(seq(&r["snapshot"]), last);
}
