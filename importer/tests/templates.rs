//! Templates: field-by-field mapping, the model's loader accepts the output, operator
//! edits are kept.

mod common;

use std::fs;

use common::*;
use nova_lab_model::{NodeKind, TemplateSet};
use serde_json::{Value, json};

fn read(w: &World, rel: &str) -> Value {
    serde_json::from_slice(
        &fs::read(w.templates().join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}")),
    )
    .unwrap()
}

#[test]
fn templates_map_field_by_field() {
    let w = World::new();
    w.build_eveng_tree();
    let out = w.run(&["--only", "templates"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let vios = read(&w, "qemu/vios.json");
    assert_eq!(vios["type"], "qemu");
    assert_eq!(vios["name"], "Cisco vIOS Router");
    assert_eq!(vios["extras"]["node_name_prefix"], "vIOS");
    assert_eq!(vios["description"], "Cisco vIOS Router");
    assert_eq!(vios["cpu"], 1);
    assert_eq!(vios["ram"], 1024);
    assert_eq!(vios["ethernet"], 4);
    assert_eq!(vios["cpulimit"], 1);
    assert_eq!(vios["console_type"], "telnet");
    assert_eq!(vios["icon_type"], "router");
    assert_eq!(
        vios["capabilities"],
        json!({"hotplug": false, "max_nics": 8, "machine": "pc"})
    );
    assert_eq!(vios["interface_naming"]["format"], json!(["Gi0/{n}"]));
    assert_eq!(vios["extras"]["architecture"], "x86_64");
    assert_eq!(vios["extras"]["qemu_nic"], "e1000");
    assert_eq!(vios["extras"]["qemu_version"], "2.12.0");
    assert_eq!(vios["extras"]["cpu_model"], "host");
    assert_eq!(vios["extras"]["rtc_utc"], true);
    assert_eq!(
        vios["extras"]["qemu_options"],
        "-machine type=pc -cpu host -rtc base=utc"
    );
    assert_eq!(vios["image_aliases"], json!(["vios"]));

    // eth_name + eth_format, and an ancient machine version replaced.
    let vmx = read(&w, "qemu/vmxvcp.json");
    assert_eq!(
        vmx["interface_naming"]["format"],
        json!(["em0 / fxp0", "em1 / int", "ge-0/0/{n}"])
    );
    assert_eq!(vmx["capabilities"]["machine"], "pc");
    assert!(
        !vmx["extras"]["qemu_options"]
            .as_str()
            .unwrap()
            .contains("pc-1.0")
    );

    // q35 + hot-plug, two-level naming rendered, dangerous flags never carried over.
    let cat = read(&w, "qemu/cat9kv.json");
    assert_eq!(
        cat["capabilities"],
        json!({"hotplug": true, "max_nics": 9, "machine": "q35"})
    );
    let names = cat["interface_naming"]["explicit"].as_array().unwrap();
    assert_eq!(names[0], "GigabitEthernet0/0");
    assert_eq!(names[1], "Gi1/0");
    assert_eq!(names[8], "Gi1/7");
    assert_eq!(cat["icon_type"], "switch");
    assert_eq!(cat["extras"]["vga"], "std");
    assert_eq!(cat["extras"]["usb_tablet"], true);
    assert_eq!(cat["extras"]["boot_order"], "c");
    assert_eq!(cat["extras"]["cpu_features"], json!(["+vmx"]));
    let text = fs::read_to_string(w.templates().join("qemu/cat9kv.json")).unwrap();
    assert!(
        !text.contains("script=") && !text.contains("/etc/shadow") && !text.contains("-netdev")
    );

    // rdp on qemu → vnc; unknown NIC model dropped.
    let win = read(&w, "qemu/win.json");
    assert_eq!(win["console_type"], "vnc");
    assert!(win["extras"].get("qemu_nic").is_none());
    assert_eq!(win["icon_type"], "server");

    let iol = read(&w, "iol/iol.json");
    assert_eq!(iol["type"], "iol");
    assert_eq!(iol["ethernet"], 12);
    assert_eq!(iol["extras"]["serial"], 1);
    assert_eq!(iol["extras"]["ethernet_groups"], 2);
    assert_eq!(iol["extras"]["nvram"], 1024);

    let dyn7200 = read(&w, "dynamips/c7200.json");
    assert_eq!(dyn7200["extras"]["platform"], "c7200");
    assert_eq!(dyn7200["extras"]["npe"], "npe-400");
    assert_eq!(dyn7200["extras"]["disk0"], 128);
    assert_eq!(dyn7200["extras"]["idlepc"], "0x62f21000");
    assert_eq!(dyn7200["extras"]["slot1"], "PA-FE-TX");
    assert_eq!(dyn7200["ram"], 512);

    let docker = read(&w, "docker/docker.json");
    assert!(
        !fs::read_to_string(w.templates().join("docker/docker.json"))
            .unwrap()
            .contains("privileged")
    );
    assert_eq!(docker["icon_type"], "server");

    let vpcs = read(&w, "linux/vpcs.json");
    assert_eq!(vpcs["type"], "linux");
    assert_eq!(vpcs["profile"], "busybox-host");

    // Old PHP template: parsed without evaluating anything.
    let xrv = read(&w, "qemu/xrv.json");
    assert_eq!(xrv["ram"], 3072);
    assert_eq!(
        xrv["interface_naming"]["format"],
        json!(["MgmtEth0/0/CPU0/0", "Gi0/0/0/{n}"])
    );

    let m = w.manifest();
    assert_eq!(entry(&m, "broken.yml")["action"], "skipped");
    // A YAML alias bomb is refused by the parser's repetition limit, quickly.
    let bomb = entry(&m, "bomb.yml");
    assert_eq!(bomb["action"], "skipped");
    assert!(
        bomb["reason"]
            .as_str()
            .unwrap()
            .contains("repetition limit"),
        "{bomb}"
    );
    let cat_review = entry(&m, "cat9kv.yml")["review"].to_string();
    assert!(
        cat_review.contains("-netdev") && cat_review.contains("-drive"),
        "{cat_review}"
    );
    assert!(
        entry(&m, "docker.yml")["review"]
            .to_string()
            .contains("--privileged")
    );

    // The model's own loader (what labd uses) accepts every file written.
    let mut set = TemplateSet::default();
    let errors = set.load_dir(&w.templates());
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(set.get(&NodeKind::Qemu, "vios").unwrap().ram(), 1024);
    assert_eq!(
        set.get(&NodeKind::Qemu, "vmxvcp")
            .unwrap()
            .interface_names(4),
        vec!["em0 / fxp0", "em1 / int", "ge-0/0/0", "ge-0/0/1"]
    );
    assert_eq!(set.len(), 10, "every converted template loads");
    // custom_templates.yml's listname stands in for a missing description.
    assert_eq!(read(&w, "qemu/linux.json")["name"], "Linux Cloud");
    assert_eq!(read(&w, "qemu/linux.json")["console_type"], "vnc");
}

#[test]
fn operator_edited_templates_are_never_overwritten() {
    let w = World::new();
    w.build_eveng_tree();
    assert_eq!(w.run(&["--only", "templates"]).status.code(), Some(0));
    let vios = w.templates().join("qemu/vios.json");
    let edited = fs::read_to_string(&vios)
        .unwrap()
        .replace("\"ram\": 1024", "\"ram\": 2048");
    fs::write(&vios, &edited).unwrap();
    // A template the importer never wrote sits where it would write another.
    fs::write(
        w.templates().join("iol/iol.json"),
        "{\"type\": \"iol\", \"ram\": 4096}\n",
    )
    .unwrap();

    let out = w.run(&["--only", "templates", "--force"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(fs::read_to_string(&vios).unwrap(), edited);
    let m = w.manifest();
    for name in ["vios.yml", "iol.yml"] {
        let e = entry(&m, name);
        assert_eq!(e["action"], "kept_operator_edit", "{e}");
        assert_eq!(e["reason"], "modified by operator, kept");
    }
    assert_eq!(entry(&m, "c7200.yml")["action"], "unchanged");
    assert!(String::from_utf8_lossy(&out.stdout).contains("kept"));
}

#[test]
fn an_unedited_import_is_updated_when_the_source_changes() {
    let w = World::new();
    w.build_eveng_tree();
    assert_eq!(w.run(&["--only", "templates"]).status.code(), Some(0));
    let src = w.src().join("html/templates/intel/vios.yml");
    fs::write(
        &src,
        fs::read_to_string(&src)
            .unwrap()
            .replace("ram: 1024", "ram: 1536"),
    )
    .unwrap();
    assert_eq!(w.run(&["--only", "templates"]).status.code(), Some(0));
    assert_eq!(read(&w, "qemu/vios.json")["ram"], 1536);
    assert_eq!(entry(&w.manifest(), "vios.yml")["action"], "converted");
}

#[test]
fn imported_templates_list_the_imported_images_the_way_labd_does() {
    // labd lists `<images>/<kind>/<entry>` and keeps entries the template matches.
    let w = World::new();
    w.build_eveng_tree();
    assert_eq!(w.run(&[]).status.code(), Some(0));
    let mut set = TemplateSet::default();
    assert!(set.load_dir(&w.templates()).is_empty());
    let listed = |kind: &NodeKind, key: &str| -> Vec<String> {
        let t = set.get(kind, key).unwrap();
        let mut v: Vec<String> = fs::read_dir(w.images().join(kind.as_str()))
            .unwrap()
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| !n.starts_with('.') && t.matches_image(n))
            .collect();
        v.sort();
        v
    };
    assert_eq!(listed(&NodeKind::Qemu, "vios"), vec!["vios-15.6"]);
    assert_eq!(
        listed(&NodeKind::Qemu, "vmxvcp"),
        vec!["vmxvcp-18.2R1.9-domestic-VCP"]
    );
    assert_eq!(
        listed(&NodeKind::Dynamips, "c7200"),
        vec!["c7200-adventerprisek9-mz.152-4.S2.image"]
    );
    // EVE-NG's short node-name prefixes (`R` for IOL) must not match every image.
    assert_eq!(
        set.get(&NodeKind::Iol, "iol").unwrap().display_name(),
        "Cisco IOL"
    );
    assert!(
        !set.get(&NodeKind::Qemu, "win")
            .unwrap()
            .matches_image("vios-15.6")
    );
}
