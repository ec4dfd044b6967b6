//! The demo lab that `make demo` imports is a valid schema-2 lab whose nodes use the
//! built-in `linux` templates and whose extras are what labd accepts for them.

use std::collections::BTreeSet;
use std::path::PathBuf;

use nova_lab_model::{Lab, NodeKind, TemplateSet};

fn demo_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../demo/demo-lab.json")
}

fn demo() -> Lab {
    let text = std::fs::read_to_string(demo_path()).expect("read demo/demo-lab.json");
    Lab::from_json(&text).expect("demo lab parses as schema 2")
}

#[test]
fn demo_lab_validates() {
    let lab = demo();
    lab.validate().expect("demo lab validates");
    assert_eq!(lab.nodes.len(), 4, "two hosts and two routers");
    assert_eq!(lab.links.len(), 6);
}

#[test]
fn demo_nodes_use_builtin_linux_templates() {
    let lab = demo();
    let templates = TemplateSet::builtin().expect("built-in templates");
    let mut used = BTreeSet::new();
    for node in lab.nodes.values() {
        assert_eq!(node.kind, NodeKind::Linux, "node {}", node.name);
        assert!(
            templates.get(&node.kind, &node.template).is_some(),
            "node {}: no linux template {:?}",
            node.name,
            node.template
        );
        used.insert(node.template.clone());
    }
    assert_eq!(
        used,
        BTreeSet::from(["frr".to_string(), "host".to_string()])
    );
}

#[test]
fn demo_routers_run_ospf_with_short_timers() {
    let lab = demo();
    let routers: Vec<_> = lab.nodes.values().filter(|n| n.template == "frr").collect();
    assert_eq!(routers.len(), 2);
    for r in routers {
        let conf = r.extras["frr_conf"].as_str().expect("frr_conf text");
        assert!(conf.contains("router ospf"), "{}", r.name);
        assert!(conf.contains("ip ospf hello-interval 1"), "{}", r.name);
        assert!(conf.contains("ip ospf dead-interval 3"), "{}", r.name);
        assert_eq!(r.extras["frr_daemons"], serde_json::json!(["ospfd"]));
    }
}
