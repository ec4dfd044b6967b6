//! Labs: every .unl element parsed, converted to schema 2, validated by the model,
//! folders preserved; broken and hostile files reported and skipped.

mod common;

use std::fs;

use common::*;
use nova_import_eveng::unl;
use nova_import_eveng::xmltree::Limits;
use nova_lab_model::{ConsoleType, Lab, NetworkType, NodeKind};
use serde_json::json;

#[test]
fn every_unl_element_is_parsed() {
    let bytes = fs::read(fixtures().join("labs/full.unl")).unwrap();
    let lab = unl::parse(&bytes, Limits::default()).unwrap();
    assert_eq!(lab.name, "Full Lab");
    assert_eq!(
        lab.id.as_deref(),
        Some("3f0c9a52-1b2d-4c5e-8f70-a1b2c3d4e5f6")
    );
    assert_eq!(lab.version.as_deref(), Some("3"));
    assert_eq!(lab.author.as_deref(), Some("rschmied & co"));
    assert_eq!((lab.scripttimeout, lab.countdown), (Some(600), Some(60)));
    assert_eq!((lab.lock, lab.grid), (Some(true), Some(true)));
    assert_eq!(lab.linkwidth.as_deref(), Some("2"));
    assert_eq!(lab.sat.as_deref(), Some("-1"));
    assert_eq!(lab.description, "Every element of the .unl format");
    assert!(lab.body.contains("Configure <everything>."));
    assert_eq!(lab.nodes.len(), 7);
    let r1 = &lab.nodes[1];
    assert_eq!(
        (r1.cpu, r1.ram, r1.ethernet, r1.cpulimit, r1.delay),
        (Some(2), Some(1024), Some(4), Some(1), Some(5))
    );
    assert_eq!(
        r1.uuid.as_deref(),
        Some("5a1e5d2e-6a5b-4f1c-9c8e-0a1b2c3d4e5f")
    );
    assert_eq!(r1.firstmac.as_deref(), Some("50:00:00:02:00:00"));
    assert_eq!(r1.qemu_nic.as_deref(), Some("e1000-82545em"));
    assert_eq!(
        (r1.qemu_arch.as_deref(), r1.qemu_version.as_deref()),
        (Some("x86_64"), Some("2.12.0"))
    );
    assert!(r1.config);
    assert_eq!(r1.e0dhcp.as_deref(), Some("1"));
    assert_eq!(r1.interfaces.len(), 4);
    let iol = &lab.nodes[2];
    assert_eq!(
        (iol.left, iol.top),
        (320, 300),
        "percent positions on an 800x600 canvas"
    );
    assert!(iol.config, "legacy config=\"Exported\"");
    assert_eq!(
        (iol.serial, iol.nvram, iol.keepalive),
        (Some(1), Some(1024), Some(0))
    );
    let serial = iol.interfaces.iter().find(|i| i.serial).unwrap();
    assert_eq!((serial.remote_id, serial.remote_if), (Some(4), Some(32)));
    let dynamips = &lab.nodes[3];
    assert_eq!(dynamips.idlepc.as_deref(), Some("0x62f21000"));
    assert_eq!(
        dynamips.slots.get(&1).map(String::as_str),
        Some("PA-2FE-TX")
    );
    assert_eq!(lab.networks.len(), 8);
    assert!(!lab.networks[0].visible && lab.networks[1].visible);
    assert!(lab.networks[3].visible, "missing visibility = visible");
    assert_eq!(lab.textobjects.len(), 2);
    assert!(
        lab.textobjects[0].data.contains("Core &amp; edge"),
        "{}",
        lab.textobjects[0].data
    );
    assert_eq!(lab.textobjects[1].kind, "circle");
    assert_eq!(lab.pictures[0].mime, "image/png");
    assert!(lab.pictures[0].map.contains("<area"));
    assert!(lab.configs[&2].starts_with("hostname R1\n"));
    assert_eq!(
        lab.configs[&3], "hostname IOL1\n!\nend",
        "raw config kept when not base64"
    );
    assert_eq!(lab.configsets[0].name, "Solved");
    assert_eq!(lab.configsets[0].configs[&2], "hostname R1-solved\n");
    assert_eq!(lab.tasks[0].data, "# Task 1\nConfigure OSPF area 0.\n");
}

fn load(path: &std::path::Path) -> Lab {
    let lab = Lab::from_json(&fs::read_to_string(path).unwrap()).unwrap();
    lab.validate().unwrap();
    lab
}

#[test]
fn labs_convert_to_valid_schema_2_with_folders() {
    let w = World::new();
    w.build_eveng_tree();
    let p2p = fs::read_to_string(fixtures().join("labs/p2p.unl")).unwrap();
    write(
        &w.src().join("labs/missing-image.unl"),
        p2p.replace("vios-15.6", "vios-99").as_bytes(),
    );
    write(
        &w.src().join("labs/Full Lab copy.unl"),
        &fs::read(fixtures().join("labs/full.unl")).unwrap(),
    );
    let out = w.run(&["--only", "labs"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lab = load(&w.labs().join("Folder A/Sub Folder/Full Lab.json"));

    assert_eq!(lab.id, "3f0c9a52-1b2d-4c5e-8f70-a1b2c3d4e5f6");
    assert_eq!(lab.meta.name, "Full Lab");
    assert_eq!(lab.meta.author.as_deref(), Some("rschmied & co"));
    assert_eq!(
        lab.meta.description.as_deref(),
        Some("Every element of the .unl format")
    );
    assert!(lab.meta.body.as_deref().unwrap().contains("Workbook"));
    assert_eq!(lab.meta.scripttimeout, Some(600));

    // Nodes: the unknown type is dropped, the rest keep their ids.
    assert_eq!(lab.nodes.len(), 6);
    let vpc = lab.node(1).unwrap();
    assert_eq!(vpc.kind, NodeKind::Linux);
    // Only extras labd accepts on a linux node (it refuses unknown ones).
    assert_eq!(vpc.template, "vpcs");
    assert_eq!(
        vpc.extras.keys().collect::<Vec<_>>(),
        ["profile"],
        "{:?}",
        vpc.extras
    );
    assert_eq!(
        vpc.linux_profile(),
        Ok(Some(nova_lab_model::LinuxProfile::BusyboxHost))
    );
    let r1 = lab.node(2).unwrap();
    assert_eq!(
        (r1.kind.clone(), r1.template.as_str(), r1.image.as_str()),
        (NodeKind::Qemu, "vios", "vios-15.6")
    );
    assert_eq!((r1.cpu, r1.ram, r1.ethernet, r1.delay), (2, 1024, 4, 5));
    assert_eq!(
        (r1.left, r1.top, r1.icon.as_str()),
        (100, 100, "Router.png")
    );
    assert_eq!(r1.console, ConsoleType::Telnet);
    assert_eq!(r1.machine_override.as_deref(), Some("pc"));
    assert_eq!(r1.extras["qemu_nic"], "e1000");
    assert_eq!(r1.extras["architecture"], "x86_64");
    assert_eq!(r1.extras["cpu_model"], "host");
    assert!(
        r1.extras["startup_config"]
            .as_str()
            .unwrap()
            .starts_with("hostname R1")
    );
    assert_eq!(r1.config, Some(json!(true)));
    assert_eq!(
        r1.uuid.as_deref(),
        Some("5a1e5d2e-6a5b-4f1c-9c8e-0a1b2c3d4e5f")
    );
    assert!(
        !fs::read_to_string(w.labs().join("Folder A/Sub Folder/Full Lab.json"))
            .unwrap()
            .contains("script=/tmp/evil")
    );
    assert_eq!(r1.interface(1).unwrap().name, "Gi0/1");

    // IOL: index = module*4 + port, ethernet = 4 × (ethernet + serial groups).
    let iol = lab.node(3).unwrap();
    assert_eq!(iol.ethernet, 12);
    assert_eq!(iol.interface(5).unwrap().name, "e1/1");
    assert_eq!(
        iol.interface(5).unwrap().extras.as_ref().unwrap()["eveng_id"],
        17
    );
    assert_eq!(iol.extras["serial"], 1);
    assert_eq!(iol.extras["startup_config"], "hostname IOL1\n!\nend");
    let dynamips = lab.node(4).unwrap();
    assert_eq!(dynamips.extras["idlepc"], "0x62f21000");
    assert_eq!(dynamips.extras["slot2"], "PA-4T+");
    let docker = lab.node(5).unwrap();
    assert_eq!(
        (docker.console.clone(), docker.ram),
        (ConsoleType::Rdp, 256)
    );
    let fw = lab.node(6).unwrap();
    assert_eq!(
        (fw.console.clone(), fw.cpu, fw.ram),
        (ConsoleType::Vnc, 1, 1024),
        "rdp→vnc for qemu, cpu/ram 0 clamped"
    );

    // Networks.
    let p2p = lab.network(1).unwrap();
    assert!(
        p2p.implicit && !p2p.is_visible(),
        "hidden 2-member bridge → implicit network"
    );
    assert_eq!(lab.links_of_network(1).count(), 2);
    let lan = lab.network(2).unwrap();
    assert_eq!(
        (lan.kind.clone(), lan.name.as_str()),
        (NetworkType::LinuxBridge, "LAN")
    );
    let cloud = lab.network(3).unwrap();
    assert_eq!(cloud.kind, NetworkType::BridgeCloud);
    assert_eq!(cloud.config.host_bridge.as_deref(), Some("pnet0"));
    assert_eq!(
        lab.network(4).unwrap().name,
        "LAN-4",
        "duplicate names made unique"
    );
    assert_eq!(lab.network(5).unwrap().kind, NetworkType::NatCloud);
    assert!(lab.network(6).unwrap().implicit);
    assert!(lab.network(7).is_none(), "hidden unused network dropped");
    assert_eq!(lab.network(8).unwrap().kind, NetworkType::LinuxBridge);
    // Links: every connected Ethernet interface is on its network.
    assert_eq!(
        lab.link_on_interface(3, 5).unwrap().to.as_network(),
        Some(4)
    );
    assert_eq!(
        lab.link_on_interface(5, 1).unwrap().to.as_network(),
        Some(6)
    );
    assert!(
        lab.link_on_interface(6, 1).is_none(),
        "interface on a missing network left unconnected"
    );
    // Serial link IOL s2/0 ↔ 7200 s2/0 kept through an implicit network.
    let a = lab
        .link_on_interface(3, 8)
        .unwrap()
        .to
        .as_network()
        .unwrap();
    let b = lab
        .link_on_interface(4, 16)
        .unwrap()
        .to
        .as_network()
        .unwrap();
    assert_eq!(a, b);

    // Objects.
    assert_eq!(lab.textobjects.len(), 2);
    assert!(
        lab.textobjects[0]
            .data
            .as_deref()
            .unwrap()
            .contains("customText1")
    );
    assert_eq!(lab.pictures.len(), 1, "the gif picture is dropped");
    assert_eq!(lab.pictures[0].kind.as_deref(), Some("image/png"));
    assert!(
        lab.pictures[0].extra["data"]
            .as_str()
            .unwrap()
            .starts_with("iVBOR")
    );
    assert_eq!(
        lab.tasks[0].extra["data"],
        "# Task 1\nConfigure OSPF area 0.\n"
    );
    assert_eq!(
        lab.configsets["Solved"]["configs"]["2"],
        "hostname R1-solved\n"
    );

    let m = w.manifest();
    let e = entry(&m, "Full Lab.unl");
    assert_eq!(e["action"], "converted");
    let review = e["review"].to_string();
    for expect in [
        "unknownkind",
        "VPCS",
        "pnet0",
        "Open vSwitch",
        "NAT cloud",
        "network 99",
        "serial link",
        "-netdev",
        "missing node 42",
        "image/gif",
    ] {
        assert!(review.contains(expect), "review lacks {expect}: {review}");
    }
    let notes: Vec<&str> = e["review"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("Docker image \"alpine:3.19\"")),
        "{notes:?}"
    );
    assert!(
        !notes.iter().any(|n| n.contains("not found in the source")),
        "all images exist: {notes:?}"
    );
    assert!(
        m["needs_review"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["source"] == e["source"] && f["what"] == e["review"])
    );
    // A copy of a lab keeps its EVE-NG UUID; the importer gives it a new one.
    let copy = load(&w.labs().join("Full Lab copy.json"));
    assert_ne!(copy.id, lab.id);
    assert!(
        entry(&m, "Full Lab copy.unl")["review"]
            .to_string()
            .contains("used by another imported lab")
    );
    let missing = entry(&m, "missing-image.unl");
    assert!(
        missing["review"].to_string().contains("vios-99"),
        "{missing}"
    );

    // The p2p lab: all-zero UUID replaced by a stable one derived from the file.
    let p2p_lab = load(&w.labs().join("p2p.json"));
    assert_ne!(p2p_lab.id, "00000000-0000-0000-0000-000000000000");
    assert_eq!(p2p_lab.networks.len(), 1);
    assert!(p2p_lab.network(1).unwrap().implicit);

    // Open every imported lab the way labd builds its index at start-up: the store's
    // recursive listing, each lab read (and upgraded if needed), ids unique.
    let store = nova_lab_model::LabStore::open(w.labs()).unwrap();
    let listed = store
        .list_recursive(&nova_lab_model::FolderPath::root())
        .unwrap();
    let converted = m["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["category"] == "lab" && e["action"] == "converted")
        .count();
    assert_eq!(listed.len(), converted, "{listed:?}");
    let mut ids = std::collections::HashSet::new();
    for entry in &listed {
        let (lab, upgrade) = store
            .read_upgrading(&entry.path)
            .unwrap_or_else(|e| panic!("{}: {e}", entry.path));
        assert!(upgrade.is_none(), "{} needed an upgrade", entry.path);
        lab.validate().unwrap();
        assert!(ids.insert(lab.id.clone()), "duplicate lab id {}", lab.id);
    }

    // Second run: identical output, nothing rewritten.
    let before = tree_state(&w.labs());
    assert_eq!(w.run(&["--only", "labs"]).status.code(), Some(0));
    assert_eq!(tree_state(&w.labs()), before);
    assert_eq!(entry(&w.manifest(), "p2p.unl")["action"], "unchanged");
}

#[test]
fn broken_and_hostile_lab_files_are_skipped_with_reasons() {
    let w = World::new();
    w.build_eveng_tree();
    let out = w.run(&["--only", "labs", "--max-lab-bytes", "100000"]);
    assert_eq!(out.status.code(), Some(0));
    let m = w.manifest();
    for (name, reason) in [
        ("bad/encrypted.unl", "encrypted"),
        ("bad/malformed.unl", "malformed"),
        ("bad/bomb.unl", "DOCTYPE"),
        ("bad/deep.unl", "deeper"),
        ("bad/dup-ids.unl", "appears twice"),
    ] {
        let e = entry(&m, name);
        assert_eq!(e["action"], "skipped", "{e}");
        assert!(
            e["reason"].as_str().unwrap().contains(reason),
            "{name}: {e}"
        );
    }
    assert!(
        !w.labs().join("bad").exists() || fs::read_dir(w.labs().join("bad")).unwrap().count() == 0
    );

    // A lab over the size cap is refused without being read whole.
    let huge = format!(
        "<?xml version=\"1.0\"?><lab name=\"huge\"><body>{}</body></lab>",
        "x".repeat(200_000)
    );
    write(&w.src().join("labs/huge.unl"), huge.as_bytes());
    assert_eq!(
        w.run(&["--only", "labs", "--max-lab-bytes", "100000"])
            .status
            .code(),
        Some(0)
    );
    let e = entry(&w.manifest(), "huge.unl").clone();
    assert_eq!(e["action"], "skipped");
    assert!(e["reason"].as_str().unwrap().contains("limit"), "{e}");
    assert!(!w.labs().join("huge.json").exists());
}

#[test]
fn existing_different_lab_needs_force() {
    let w = World::new();
    w.build_eveng_tree();
    write(&w.labs().join("p2p.json"), b"{\"operator\": \"lab\"}\n");
    assert_eq!(w.run(&["--only", "labs"]).status.code(), Some(3));
    assert_eq!(
        fs::read_to_string(w.labs().join("p2p.json")).unwrap(),
        "{\"operator\": \"lab\"}\n"
    );
    assert_eq!(w.run(&["--only", "labs", "--force"]).status.code(), Some(0));
    load(&w.labs().join("p2p.json"));
}

#[test]
fn labs_go_through_the_store_owned_by_the_service_user() {
    use std::os::unix::fs::MetadataExt;
    let w = World::new();
    w.build_eveng_tree();
    let out = w.run(&["--only", "labs", "--owner", "nobody"]);
    if !is_root() {
        assert_ne!(out.status.code(), Some(0), "chown to nobody needs root");
        return;
    }
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let nobody = nix::unistd::User::from_name("nobody")
        .unwrap()
        .unwrap()
        .uid
        .as_raw();
    let dir = w.labs().join("Folder A/Sub Folder");
    for p in [
        w.labs().join("Folder A"),
        dir.clone(),
        dir.join("Full Lab.json"),
        dir.join(".Full Lab.json.lock"),
    ] {
        assert_eq!(
            fs::symlink_metadata(&p)
                .unwrap_or_else(|e| panic!("{}: {e}", p.display()))
                .uid(),
            nobody,
            "{}",
            p.display()
        );
    }
    // The store (what labd uses) lists and reads it.
    let store = nova_lab_model::LabStore::open(w.labs()).unwrap();
    let path = nova_lab_model::LabPath::parse("Folder A/Sub Folder/Full Lab").unwrap();
    assert_eq!(store.read(&path).unwrap().meta.name, "Full Lab");
}

#[test]
fn planted_symlink_in_the_labs_dir_is_refused() {
    let w = World::new();
    w.build_eveng_tree();
    let elsewhere = w.root().join("elsewhere");
    fs::create_dir_all(&elsewhere).unwrap();
    fs::create_dir_all(w.labs()).unwrap();
    std::os::unix::fs::symlink(&elsewhere, w.labs().join("Folder A")).unwrap();
    let out = w.run(&["--only", "labs"]);
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(fs::read_dir(&elsewhere).unwrap().count(), 0);
    let e = entry(&w.manifest(), "Full Lab.unl").clone();
    assert_eq!(e["action"], "failed");
    assert!(
        e["reason"].as_str().unwrap().contains("symlink")
            || e["reason"].as_str().unwrap().contains("link"),
        "{e}"
    );
    assert!(w.labs().join("p2p.json").exists());
}

/// The library entry point (used by labd's import test): parse + convert of bytes in memory,
/// stable ids for labs without a UUID, refused input as `Parse`.
#[test]
fn convert_unl_is_the_per_file_conversion() {
    use nova_import_eveng::convert::{UnlConvertError, convert_unl};
    let full = fs::read(fixtures().join("labs/full.unl")).unwrap();
    let c = convert_unl(&full, "fallback", Limits::default()).unwrap();
    assert_eq!(c.lab.id, "3f0c9a52-1b2d-4c5e-8f70-a1b2c3d4e5f6");
    assert_eq!(c.lab.meta.name, "Full Lab");
    c.lab.validate().unwrap();
    let p2p = fs::read(fixtures().join("labs/p2p.unl")).unwrap();
    let (a, b) = (
        convert_unl(&p2p, "p2p", Limits::default()).unwrap(),
        convert_unl(&p2p, "p2p", Limits::default()).unwrap(),
    );
    assert_eq!(a.lab, b.lab, "same bytes, same lab");
    for bad in ["encrypted.unl", "malformed.unl", "bomb.unl", "deep.unl"] {
        let bytes = fs::read(fixtures().join("labs").join(bad)).unwrap();
        assert!(
            matches!(
                convert_unl(&bytes, "x", Limits::default()),
                Err(UnlConvertError::Parse(_))
            ),
            "{bad}"
        );
    }
}
