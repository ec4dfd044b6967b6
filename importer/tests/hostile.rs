//! Hostile inputs: traversal in names, symlinks out of the tree, planted symlinks in
//! the destination, destination inside the source. Refused, nothing written outside
//! the destination.

mod common;

use std::ffi::OsStr;
use std::fs;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::symlink;

use common::*;

#[test]
fn hostile_source_entries_are_refused_and_nothing_escapes() {
    let w = World::new();
    w.build_eveng_tree();
    let outside = w.root().join("outside");
    write(&outside.join("secret.qcow2"), b"secret outside the tree");
    let src = w.src();
    let q = src.join("addons/qemu");
    // Symlinks leaving the tree: an image file, a whole image folder, a lab, a template.
    fs::create_dir_all(q.join("vios-evil")).unwrap();
    symlink(
        outside.join("secret.qcow2"),
        q.join("vios-evil/virtioa.qcow2"),
    )
    .unwrap();
    symlink(&outside, q.join("linux-escape")).unwrap();
    symlink("/etc/passwd", src.join("labs/passwd.unl")).unwrap();
    symlink("/etc/hostname", src.join("html/templates/intel/evil.yml")).unwrap();
    // A symlink inside the tree is followed (content copied, not the link).
    symlink(q.join("veos-4.29/hda.qcow2"), q.join("veos-4.29/hdb.qcow2")).unwrap();
    // Names with control characters or backslashes.
    let nl = q.join(OsStr::from_bytes(b"vios-a\nb"));
    write(&nl.join("virtioa.qcow2"), b"x");
    write(&q.join("vios-a\\..\\..\\x").join("virtioa.qcow2"), b"x");
    write(
        &src.join("labs").join(OsStr::from_bytes(b"bad\x07name.unl")),
        b"<lab/>",
    );
    // A lab whose name is fine for EVE-NG but not for nova-ve.
    write(
        &src.join("labs/.hidden.unl"),
        &fs::read(fixtures().join("labs/p2p.unl")).unwrap(),
    );
    // Non-UTF-8 name.
    write(
        &q.join(OsStr::from_bytes(b"vios-\xff\xfe"))
            .join("virtioa.qcow2"),
        b"x",
    );

    let outside_before = tree_state(&outside);
    let src_before = tree_state(&src);
    let out = w.run(&[]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Nothing outside dest/ and out/ changed; the source is untouched.
    assert_eq!(tree_state(&outside), outside_before);
    assert_eq!(tree_state(&src), src_before);
    let top: Vec<String> = fs::read_dir(w.root())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    let mut top_sorted = top.clone();
    top_sorted.sort();
    assert_eq!(top_sorted, ["dest", "out", "outside", "src"]);

    let m = w.manifest();
    let text = m.to_string();
    assert!(
        !text.contains("secret outside"),
        "no content from outside the tree"
    );
    let evil = entry(&m, "vios-evil/virtioa.qcow2");
    assert_eq!(evil["action"], "skipped");
    assert!(
        evil["reason"]
            .as_str()
            .unwrap()
            .contains("resolves outside"),
        "{evil}"
    );
    assert_eq!(entry(&m, "linux-escape")["action"], "skipped");
    assert_eq!(entry(&m, "passwd.unl")["action"], "skipped");
    assert_eq!(entry(&m, "evil.yml")["action"], "skipped");
    assert!(!w.templates().join("qemu/evil.json").exists());
    assert!(!w.labs().join("passwd.json").exists());
    assert!(entry(&m, "vios-a\\..").get("reason").is_some());
    let unsafe_names = m["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["reason"]
                .as_str()
                .is_some_and(|r| r.contains("unsafe name"))
        })
        .count();
    assert!(
        unsafe_names >= 3,
        "newline, backslash, BEL and non-UTF-8 names refused: {unsafe_names}"
    );
    let hidden = entry(&m, ".hidden.unl");
    assert_eq!(hidden["action"], "skipped");
    assert!(
        hidden["reason"]
            .as_str()
            .unwrap()
            .contains("not usable in nova-ve")
    );
    // Internal symlink followed: hdb has hda's content, as a regular file.
    let hdb = w.images().join("qemu/veos-4.29/hdb.qcow2");
    assert!(fs::symlink_metadata(&hdb).unwrap().is_file());
    assert_eq!(
        sha256_file(&hdb),
        sha256_file(&q.join("veos-4.29/hda.qcow2"))
    );
    // vios-evil had only the refused file: nothing written for it.
    assert!(!w.images().join("qemu/vios-evil").exists());
    // Every written path is below dest/.
    for path in tree_state(&w.root().join("dest")).keys() {
        assert!(!path.contains(".."), "{path}");
    }
}

#[test]
fn planted_symlinks_in_the_destination_are_not_written_through() {
    let w = World::new();
    w.build_eveng_tree();
    let elsewhere = w.root().join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    fs::create_dir_all(w.images()).unwrap();
    // dest/images/qemu → elsewhere, and a final-name symlink for the iourc.
    symlink(&elsewhere, w.images().join("qemu")).unwrap();
    fs::create_dir_all(w.images().join("iol")).unwrap();
    symlink(elsewhere.join("stolen-iourc"), w.images().join("iol/iourc")).unwrap();
    let out = w.run(&["--only", "images"]);
    assert_eq!(
        out.status.code(),
        Some(3),
        "items behind planted links fail"
    );
    assert_eq!(
        fs::read_dir(&elsewhere).unwrap().count(),
        0,
        "nothing written through the links"
    );
    let m = w.manifest();
    let e = entry(&m, "qemu/vios/vios-15.6");
    assert_eq!(e["action"], "failed");
    assert!(e["reason"].as_str().unwrap().contains("symlink"), "{e}");
    assert_eq!(entry(&m, "addons/iol/bin/iourc")["action"], "failed");
    // Items not behind a link were imported.
    assert!(
        w.images()
            .join("dynamips/c7200-adventerprisek9-mz.152-4.S2.image")
            .exists()
    );
}

#[test]
fn destination_inside_the_source_is_refused() {
    let w = World::new();
    w.build_eveng_tree();
    let before = tree_state(&w.src());
    let out = std::process::Command::new(BIN)
        .arg("--source")
        .arg(w.src())
        .arg("--dest")
        .arg(w.src().join("addons/nova"))
        .arg("--templates-dir")
        .arg(w.templates())
        .arg("--labs-dir")
        .arg(w.labs())
        .arg("--manifest")
        .arg(w.manifest_path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("inside the source tree"));
    assert_eq!(tree_state(&w.src()), before);
    assert!(!w.manifest_path().exists());
}
