//! The command line: help, JSON output, exit codes, scope selection.

mod common;

use std::process::Command;

use common::*;

#[test]
fn help_lists_every_flag() {
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let help = String::from_utf8(out.stdout).unwrap();
    for flag in [
        "--source",
        "--dest",
        "--templates-dir",
        "--labs-dir",
        "--manifest",
        "--dry-run",
        "--force",
        "--copy",
        "--delete-source",
        "--only",
        "--json",
        "--owner",
        "/opt/unetlab",
        "Exit codes",
    ] {
        assert!(help.contains(flag), "help lacks {flag}");
    }
}

#[test]
fn bad_command_lines_exit_2() {
    for args in [
        &["--only", "everything"][..],
        &["--copy", "--delete-source"],
        &["--no-such-flag"],
    ] {
        let out = Command::new(BIN).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
    }
}

#[test]
fn missing_source_exits_1_and_writes_nothing() {
    let w = World::new();
    std::fs::remove_dir(w.src()).unwrap();
    let out = w.run(&[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("source"));
    assert!(!w.manifest_path().exists());
    assert!(!w.images().exists());
}

#[test]
fn json_output_is_the_manifest_and_only_selects_scopes() {
    let w = World::new();
    w.build_eveng_tree();
    let out = w.run(&["--json", "--only", "templates", "--only", "labs"]);
    assert_eq!(out.status.code(), Some(0));
    let printed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("stdout is JSON");
    assert_eq!(printed, w.manifest());
    let cats: std::collections::BTreeSet<&str> = printed["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["category"].as_str().unwrap())
        .collect();
    assert!(!cats.contains("image"), "{cats:?}");
    assert!(cats.contains("template") && cats.contains("lab"));
    assert!(!w.images().exists());
    assert!(
        out.stderr.is_empty(),
        "no progress output with --json: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn summary_is_printed_without_json() {
    let w = World::new();
    w.build_eveng_tree();
    let out = w.run(&["--dry-run"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Dry run (nothing written)"), "{text}");
    assert!(text.contains("planned:"));
    assert!(text.contains("skipped:") && text.contains("nodash"));
    assert!(
        text.contains(&format!("Manifest: {}", w.manifest_path().display())),
        "{text}"
    );
}

#[test]
fn dry_run_needs_no_root_and_no_manifest_path() {
    use std::os::unix::fs::PermissionsExt;
    let w = World::new();
    w.build_eveng_tree();
    std::fs::set_permissions(w.root(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut cmd = if is_root() {
        // Drop to `nobody`, as an operator without root would run it.
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN]);
        c
    } else {
        Command::new(BIN)
    };
    let out = cmd
        .arg("--dry-run")
        .arg("--source")
        .arg(w.src())
        .arg("--dest")
        .arg(w.images())
        .arg("--templates-dir")
        .arg(w.templates())
        .arg("--labs-dir")
        .arg(w.labs())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("No manifest written"), "{text}");
    assert!(text.contains("planned:"));
    assert!(!w.root().join("dest/images").exists());
}

#[test]
fn docs_show_the_current_help() {
    let docs = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/importing-eveng.md"
    ))
    .unwrap();
    let start =
        docs.find("## Flags\n\n```text\n").expect("flags section") + "## Flags\n\n```text\n".len();
    let end = start + docs[start..].find("```").unwrap();
    let out = Command::new(BIN).arg("--help").output().unwrap();
    assert_eq!(
        docs[start..end].trim_end(),
        String::from_utf8(out.stdout).unwrap().trim_end(),
        "docs/importing-eveng.md is out of date: paste `nova-ve-import-eveng --help` into its Flags section"
    );
}
