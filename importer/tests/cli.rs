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
    assert!(text.contains(&format!("Manifest: {}", w.manifest_path().display())));
}
