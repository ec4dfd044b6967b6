//! The web app's TypeScript types are generated from the Rust contract; this fails when the
//! committed file is stale. `NOVA_UPDATE_GENERATED=1` rewrites it instead.

use std::path::PathBuf;

use nova_api::typescript::{GENERATED_PATH, declarations};

#[test]
fn generated_typescript_is_current() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let path = root.join(GENERATED_PATH);
    let want = declarations();
    if std::env::var_os("NOVA_UPDATE_GENERATED").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &want).unwrap();
        return;
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "{GENERATED_PATH} is stale: run `NOVA_UPDATE_GENERATED=1 cargo test -p nova-api --test typescript` and commit it"
    );
}

#[test]
fn declarations_cover_the_contract() {
    let ts = declarations();
    for name in [
        "export type NodeSpec",
        "export type LabEvent",
        "export type EventMessage",
        "export type LabSnapshot",
        "export type Lab ",
        "export type Node ",
        "export type NodeKind",
        "export type Endpoint",
        "export type StreamControl",
        "export type TemplateInfo",
    ] {
        assert!(ts.contains(name), "missing {name}");
    }
    // Unknown-field maps are not part of the declared shape, and nothing refers to a type
    // that is not declared.
    assert!(!ts.contains("extra:"), "extra maps leaked into TypeScript");
}
