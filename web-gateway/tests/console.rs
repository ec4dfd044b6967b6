//! Node consoles in the browser, on the real stack: a `linux` node started through the API,
//! its console opened over the gateway's WebSocket (labd's `Node.OpenConsole` descriptor
//! behind it), a command run and its output read, the window size set, the console still there
//! after labd restarts (with the earlier output replayed), refused to viewers, strangers and
//! anonymous callers, 409 for a stopped node, closed with 1000 when the node stops, 4400 for a
//! bad control frame; the audit record of console opens; `/metrics` local or admin only.
//!
//! The sandbox shares the host's network: the one node has no links, so nothing is made in the
//! host's namespace (netd only creates the node's scope).

#[macro_use]
mod common;

use std::time::{Duration, Instant};

use common::{Db, Gateway, Ws};
use serde_json::json;
use tungstenite::Message;

/// Reads the console until `want` shows up in its output (15 s); everything read.
fn read_until(ws: &mut Ws, want: &str) -> String {
    let mut seen = String::new();
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        match ws.read() {
            Ok(Message::Binary(b)) => seen.push_str(&String::from_utf8_lossy(&b)),
            Ok(Message::Close(f)) => panic!("console closed ({f:?}) before {want:?}: {seen}"),
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("console: {e} before {want:?}: {seen}"),
        }
        if seen.contains(want) {
            return seen;
        }
    }
    panic!("{want:?} not in the console output within 15 s: {seen}");
}

/// The close code the console ends with (binary output before it is skipped).
fn close_code(ws: &mut Ws) -> Option<u16> {
    let deadline = Instant::now() + Duration::from_secs(15);
    while Instant::now() < deadline {
        match ws.read() {
            Ok(Message::Close(f)) => return f.map(|f| f.code.into()),
            Ok(_) => {}
            Err(tungstenite::Error::Io(e))
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(_) => return None,
        }
    }
    panic!("the console did not close within 15 s");
}

fn type_line(ws: &mut Ws, line: &str) {
    ws.send(Message::Binary(format!("{line}\n").into_bytes().into()))
        .expect("console input");
}

fn console(db: Db) {
    let (gw, admin) = Gateway::start(db);
    gw.sb
        .run_ok(&["systemctl", "unmask", "--runtime", "nova-ve-netd.service"])
        .expect("unmask netd: this test runs a node");
    let doc = json!({"schema": 2, "id": "con", "meta": {"name": "con"},
        "nodes": {"1": {"id": 1, "name": "h1", "type": "linux", "template": "host"}}});
    let editor = gw.user(&admin, "ed", "editor");
    let lab = editor
        .post(
            "/api/labs/import",
            &json!({"folder": "", "name": "con", "lab": doc}),
        )
        .expect(201)["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/api/labs/{lab}/nodes/1/console");
    let viewer = gw.user(&admin, "vi", "viewer");
    editor
        .put(
            &format!("/api/labs/{lab}/shares/{}", viewer.id()),
            &json!({"level": "viewer"}),
        )
        .expect(204);
    let stranger = gw.user(&admin, "st", "editor");

    // Who may not: anonymous 401, a viewer of the lab 403, an editor without access 404; a
    // foreign Origin 403 (all before the upgrade). A stopped node: upgraded and closed with
    // 4009 and the reason, which a browser can show (it never sees a refused upgrade's status).
    assert_eq!(gw.anonymous().ws(&path, None).err(), Some(401));
    assert_eq!(viewer.ws(&path, None).err(), Some(403));
    assert_eq!(stranger.ws(&path, None).err(), Some(404));
    assert_eq!(
        editor.ws(&path, Some("http://evil.example")).err(),
        Some(403)
    );
    let mut stopped = editor.ws(&path, None).expect("upgrade for a stopped node");
    assert_eq!(close_code(&mut stopped), Some(4009));

    editor
        .post(&format!("/api/labs/{lab}/nodes/1/start"), &json!({}))
        .expect(204);
    let mut ws = editor.ws(&path, None).expect("console of a running node");
    ws.send(Message::Text(
        json!({"type": "resize", "rows": 33, "cols": 99})
            .to_string()
            .into(),
    ))
    .unwrap();
    // The resize is applied by labd before the shell reads the next line.
    std::thread::sleep(Duration::from_millis(300));
    type_line(&mut ws, "stty size; echo x-$((6*7))");
    let out = read_until(&mut ws, "x-42");
    assert!(out.contains("33 99"), "window size in {out:?}");

    // labd restarts: the open console keeps working (labd is not in its path), and a new one
    // replays what was typed before.
    gw.sb
        .run_ok(&["systemctl", "restart", "nova-ve-labd.service"])
        .unwrap();
    type_line(&mut ws, "echo still-$((5*5))");
    read_until(&mut ws, "still-25");
    let mut second = editor
        .ws(&path, None)
        .expect("console after labd restarted");
    read_until(&mut second, "x-42");
    type_line(&mut second, "echo y-$((7*7))");
    read_until(&mut second, "y-49");
    read_until(&mut ws, "y-49"); // every viewer sees all output

    // A text frame that is not a control message ends that session alone.
    second
        .send(Message::Text("rm -rf /".to_string().into()))
        .unwrap();
    assert_eq!(close_code(&mut second), Some(4400));

    // Audit and metrics.
    let audit = admin.get("/api/audit?action=node.console").expect(200);
    let entries = audit["entries"].as_array().expect("entries");
    assert!(
        entries.iter().filter(|e| e["result"] == "ok").count() >= 2
            && entries.iter().any(|e| e["result"] == "denied"),
        "console opens audited: {audit}"
    );
    let metrics = gw.anonymous().get("/metrics");
    assert_eq!(metrics.status, 200, "local scrape without sign-in");
    let text = metrics.text();
    assert!(
        text.contains("nova_ve_console_sessions 1"),
        "one console open: {text}"
    );
    assert!(text.contains("nova_ve_nodes{kind=\"linux\",state=\"running\"} 1"));
    let proxied = gw.anonymous().with_header("x-forwarded-for", "203.0.113.9");
    assert_eq!(proxied.get("/metrics").status, 401);
    assert_eq!(
        viewer
            .with_header("x-forwarded-for", "203.0.113.9")
            .get("/metrics")
            .status,
        403
    );
    assert_eq!(
        admin
            .with_header("x-forwarded-for", "203.0.113.9")
            .get("/metrics")
            .status,
        200
    );

    // The node stops: the console ends with 1000.
    editor
        .post(&format!("/api/labs/{lab}/nodes/1/stop"), &json!({}))
        .expect(204);
    assert_eq!(close_code(&mut ws), Some(1000));
}

on_both_dbs!(console);
