//! Every shipped template parses with all of its fields.

use nova_lab_model::{ConsoleType, IconType, LinuxProfile, Machine, NodeKind, TemplateSet};
use serde_json::Value;

#[test]
fn all_builtin_templates_parse() {
    let set = TemplateSet::builtin().expect("every shipped template parses");
    let count = |k: NodeKind| set.of_kind(&k).count();
    assert_eq!(count(NodeKind::Qemu), 76);
    assert_eq!(count(NodeKind::Docker), 1);
    assert_eq!(count(NodeKind::Iol), 1);
    assert_eq!(count(NodeKind::Dynamips), 1);
    assert_eq!(count(NodeKind::Linux), 2);
    assert_eq!(
        set.len(),
        81,
        "the 79 reference templates plus 2 linux ones"
    );
}

/// Each top-level key of each shipped file ends up somewhere in the parsed
/// template: a typed field, `extras`, or `extra`.
#[test]
fn no_template_field_is_lost() {
    let set = TemplateSet::builtin().unwrap();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let mut checked = 0;
    for t in set.iter() {
        let path = dir.join(t.kind.as_str()).join(format!("{}.yml", t.key));
        let raw: Value = serde_norway::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let parsed = serde_json::to_value(t).unwrap();
        for (key, value) in raw.as_object().unwrap() {
            let found = if nova_lab_model::EXTRAS_KEYS.contains(&key.as_str()) {
                t.extras.get(key)
            } else {
                parsed.get(key)
            };
            assert_eq!(found, Some(value), "{}/{}: field {key}", t.kind, t.key);
        }
        checked += 1;
    }
    assert_eq!(checked, 81);
}

#[test]
fn paloalto_fields_and_interface_names() {
    let set = TemplateSet::builtin().unwrap();
    let pa = set.get(&NodeKind::Qemu, "paloalto").unwrap();
    assert_eq!(pa.display_name(), "PaloAlto");
    assert_eq!((pa.cpu(), pa.ram(), pa.ethernet()), (4, 8192, 4));
    assert_eq!(pa.console(), ConsoleType::Telnet);
    assert_eq!(pa.icon_type(), IconType::Firewall);
    assert_eq!(pa.extras["qemu_nic"], "e1000");
    assert_eq!(pa.extras["qemu_options"], "-rtc base=utc -cpu host");
    assert_eq!(pa.extras["architecture"], "x86_64");
    let caps = pa.capabilities();
    assert!(caps.hotplug);
    assert_eq!(caps.max_nics, 25);
    assert_eq!(caps.machine, Some(Machine::Q35));
    assert_eq!(
        pa.interface_names(4),
        ["mgmt", "ethernet1/1", "ethernet1/2", "ethernet1/3"]
    );
    assert!(
        pa.description
            .as_deref()
            .unwrap()
            .starts_with("Palo Alto Networks VM-Series")
    );
}

#[test]
fn vmx_and_other_naming_schemes() {
    let set = TemplateSet::builtin().unwrap();
    let names = |key: &str, n: u32| set.get(&NodeKind::Qemu, key).unwrap().interface_names(n);
    assert_eq!(
        names("vmx", 4),
        ["em0 / fxp0", "em1 / Internal use", "ge-0/0/0", "ge-0/0/1"]
    );
    assert_eq!(names("fortinet", 2), ["port1", "port2"]);
    assert_eq!(
        names("asav", 3),
        ["Management0/0", "GigabitEthernet0/0", "GigabitEthernet0/1"]
    );
    assert_eq!(names("huaweice6800", 2), ["10GE1/0/1", "10GE1/0/2"]);
    assert_eq!(names("linux", 2), ["eth0", "eth1"]);
    let vmx = set.get(&NodeKind::Qemu, "vmx").unwrap();
    assert_eq!(vmx.capabilities().machine, Some(Machine::Pc));
    assert!(!vmx.capabilities().hotplug);
    let iol = set.get(&NodeKind::Iol, "iol").unwrap();
    assert_eq!(iol.image_aliases, ["i86bi_linux", "i86bi-linux"]);
    assert!(iol.matches_image("i86bi_linux-adventerprisek9-ms.155-2.T"));
    assert!(!iol.matches_image("vios-15.6"));
    assert_eq!(
        iol.interface_names(2),
        ["eth0", "eth1"],
        "non-qemu fallback naming"
    );
}

#[test]
fn linux_templates_name_a_profile() {
    let set = TemplateSet::builtin().unwrap();
    let host = set.get(&NodeKind::Linux, "host").unwrap();
    assert_eq!(host.profile, Some(LinuxProfile::BusyboxHost));
    let frr = set.get(&NodeKind::Linux, "frr").unwrap();
    assert_eq!(frr.profile, Some(LinuxProfile::FrrRouter));
    let node = frr.new_node(3, "r3");
    assert_eq!(node.kind, NodeKind::Linux);
    assert_eq!(node.template, "frr");
    assert_eq!(node.interfaces.len(), frr.ethernet() as usize);
    assert_eq!(node.interfaces[1].name, "eth1");
    assert_eq!(node.machine_override, None);
    assert_eq!(
        node.linux_profile(),
        Ok(Some(LinuxProfile::FrrRouter)),
        "the node names its program"
    );
    let pa = set
        .get(&NodeKind::Qemu, "paloalto")
        .unwrap()
        .new_node(4, "fw");
    assert_eq!(pa.machine_override.as_deref(), Some("q35"));
    assert_eq!(pa.interfaces[0].name, "mgmt");
    assert_eq!(pa.icon, "Firewall.png");
    assert_eq!(pa.linux_profile(), Ok(None));
}

#[test]
fn template_nodes_validate_in_a_lab() {
    let set = TemplateSet::builtin().unwrap();
    let mut lab = nova_lab_model::Lab::new("x", "x");
    for (i, t) in set.iter().enumerate() {
        let mut node = t.new_node(i as u32 + 1, format!("n{i}"));
        // Templates may ask for more NICs than validation allows per node; clamp like labd would.
        node.ethernet = node.ethernet.min(64);
        node.interfaces.truncate(node.ethernet as usize);
        lab.add_node(node).unwrap();
    }
    assert_eq!(lab.validation_errors(), vec![]);
}

#[test]
fn operator_templates_override_builtins_and_bad_files_are_reported() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("qemu")).unwrap();
    std::fs::write(dir.path().join("qemu/vmx.yml"), "name: My vMX\nram: 4096\n").unwrap();
    std::fs::write(dir.path().join("qemu/broken.yml"), "name: [unclosed\n").unwrap();
    std::fs::write(
        dir.path().join("qemu/mine.json"),
        r#"{"type": "docker", "name": "Mine"}"#,
    )
    .unwrap();
    let mut set = TemplateSet::builtin().unwrap();
    let errors = set.load_dir(dir.path());
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].to_string().contains("broken.yml"),
        "{}",
        errors[0]
    );
    assert_eq!(set.get(&NodeKind::Qemu, "vmx").unwrap().ram(), 4096);
    assert_eq!(
        set.get(&NodeKind::Docker, "mine").unwrap().display_name(),
        "Mine"
    );
    assert!(set.get(&NodeKind::Qemu, "broken").is_none());
}
