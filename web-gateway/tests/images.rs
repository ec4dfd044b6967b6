//! Image uploads on the real stack: `PUT /api/images/{kind}/{name}` streams the body through
//! the gateway into labd, which stores it whole or not at all; the checksum is computed and
//! checked; refusals (non-admins, bad names, a wrong checksum, no length, an existing name)
//! leave nothing behind; the image is then listed for its template.

#[macro_use]
mod common;

use common::{Db, Gateway};

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn uploads(db: Db) {
    let (gw, admin) = Gateway::start(db);
    // 5 MiB: more than the 4 MiB JSON body limit, so it really streams.
    let image: Vec<u8> = (0..5 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    let sum = sha256_hex(&image);
    let put = |c: &common::Client, name: &str, bytes: &[u8], check: Option<&str>| {
        let c = match check {
            Some(s) => c.with_header("x-checksum-sha256", s),
            None => c.clone(),
        };
        c.raw(
            axum::http::Method::PUT,
            &format!("/api/images/qemu/{name}"),
            Some("application/octet-stream"),
            bytes.to_vec(),
        )
    };
    let r = put(&admin, "vyos-1.4.qcow2", &image, Some(&sum));
    assert_eq!(r.status, 201, "{}", r.text());
    let stored = r.json();
    assert_eq!(stored["sha256"], sum.as_str());
    assert_eq!(stored["size"], image.len() as u64);
    let on_disk = gw
        .sb
        .run_ok(&["sha256sum", "/var/lib/nova-ve/images/qemu/vyos-1.4.qcow2"])
        .unwrap();
    assert!(on_disk.starts_with(&sum), "{on_disk}");
    let listed = admin.get("/api/images?kind=qemu&template=vyos").expect(200);
    assert!(
        listed
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n == "vyos-1.4.qcow2"),
        "{listed}"
    );

    let editor = gw.user(&admin, "ed", "editor");
    let wrong = "0".repeat(64);
    // Refusals with a small body: a refused upload may be answered before it was read, and a
    // client still sending then sees the connection closed (as HTTP allows).
    let small = &image[..4096];
    for (who, name, check, status) in [
        (&editor, "vyos-ed.qcow2", None, 403),
        (&gw.anonymous(), "vyos-anon.qcow2", None, 401),
        (&admin, "vyos-1.4.qcow2", None, 409),
        (&admin, "vyos-bad.qcow2", Some(wrong.as_str()), 400),
        (&admin, ".hidden", None, 400),
        (&admin, "a%2F..%2Fescape", None, 400),
        (&admin, "sp%20ace", None, 400),
    ] {
        let r = put(who, name, small, check);
        assert_eq!(r.status, status, "{name}: {}", r.text());
        assert!(r.is_problem(), "{name}: problem details");
    }
    let r = admin.raw(
        axum::http::Method::PUT,
        "/api/images/spaceship/x.img",
        Some("application/octet-stream"),
        vec![1; 10],
    );
    assert_eq!(r.status, 400, "{}", r.text());
    let left = gw
        .sb
        .run_ok(&["ls", "-A", "/var/lib/nova-ve/images/qemu"])
        .unwrap();
    assert_eq!(
        left.trim(),
        "vyos-1.4.qcow2",
        "nothing else, no temporaries"
    );
    let audit = admin.get("/api/audit?action=image.upload").expect(200);
    assert!(
        audit["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["result"] == "ok"
                && e["username"] == "admin"
                && e["target"] == "vyos-1.4.qcow2"),
        "{audit}"
    );
}

on_both_dbs!(uploads);
