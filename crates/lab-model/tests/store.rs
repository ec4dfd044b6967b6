//! The lab store against a real directory tree in a temp dir.

use std::os::unix::fs::symlink;
use std::time::{Duration, Instant};

use nova_lab_model::{FolderPath, Lab, LabPath, LabStore, NetworkType, Node, NodeKind, StoreError};

fn store() -> (tempfile::TempDir, LabStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = LabStore::open(dir.path()).unwrap();
    (dir, store)
}

fn p(s: &str) -> LabPath {
    LabPath::parse(s).unwrap()
}

fn f(s: &str) -> FolderPath {
    FolderPath::new(s).unwrap()
}

fn sample_lab(name: &str) -> Lab {
    let mut lab = Lab::new(format!("id-{name}"), name);
    let mut a = Node::new(1, "a", NodeKind::Linux);
    a.ethernet = 2;
    lab.add_node(a).unwrap();
    lab.add_node(Node::new(2, "b", NodeKind::Linux)).unwrap();
    lab.connect_nodes(1, 0, 2, 0).unwrap();
    lab.add_network(nova_lab_model::Network::new(
        9,
        "lan",
        NetworkType::LinuxBridge,
    ))
    .unwrap();
    lab.connect_node_to_network(1, 1, 9).unwrap();
    lab
}

#[test]
fn write_read_list_delete() {
    let (_d, s) = store();
    let lab = sample_lab("one");
    s.create(&p("one.json"), &lab).unwrap();
    assert_eq!(s.read(&p("one")).unwrap(), lab);
    assert!(matches!(
        s.create(&p("one"), &lab),
        Err(StoreError::AlreadyExists { .. })
    ));
    let mut changed = lab.clone();
    changed.meta.name = "renamed".into();
    s.write(&p("one"), &changed).unwrap();
    assert_eq!(s.read(&p("one")).unwrap().meta.name, "renamed");
    let listed = s.list(&FolderPath::root()).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].path, p("one.json"));
    assert!(listed[0].size > 100);
    s.delete(&p("one")).unwrap();
    assert!(matches!(
        s.read(&p("one")),
        Err(StoreError::NotFound { what: "lab", .. })
    ));
    assert!(matches!(
        s.delete(&p("one")),
        Err(StoreError::NotFound { .. })
    ));
    assert!(s.list(&FolderPath::root()).unwrap().is_empty());
}

#[test]
fn invalid_labs_are_not_written() {
    let (d, s) = store();
    let mut lab = sample_lab("bad");
    lab.node_mut(1).unwrap().cpu = 0;
    let e = s.write(&p("bad"), &lab).unwrap_err();
    assert!(
        e.to_string()
            .contains("node 1: cpu 0 out of range (1..=64)"),
        "{e}"
    );
    assert!(!d.path().join("bad.json").exists());
}

#[test]
fn folders_create_list_rename_delete() {
    let (d, s) = store();
    s.create_folder(&f("team")).unwrap();
    s.create_folder(&f("team/ospf")).unwrap();
    assert!(matches!(
        s.create_folder(&f("team")),
        Err(StoreError::AlreadyExists { .. })
    ));
    assert!(matches!(
        s.create_folder(&f("nope/x")),
        Err(StoreError::NotFound { what: "folder", .. })
    ));
    assert_eq!(
        s.list_folders(&FolderPath::root()).unwrap(),
        vec![f("team")]
    );
    assert_eq!(s.list_folders(&f("team")).unwrap(), vec![f("team/ospf")]);

    s.write(&p("team/ospf/area0.json"), &sample_lab("area0"))
        .unwrap();
    assert!(matches!(
        s.delete_folder(&f("team"), false),
        Err(StoreError::FolderNotEmpty { .. })
    ));
    assert!(matches!(
        s.rename_folder(&f("team"), &f("team/ospf/x")),
        Err(StoreError::IntoItself { .. })
    ));
    s.rename_folder(&f("team"), &f("squad")).unwrap();
    assert_eq!(s.read(&p("squad/ospf/area0")).unwrap().meta.name, "area0");
    s.create_folder(&f("other")).unwrap();
    s.write(&p("top"), &sample_lab("top")).unwrap();
    let all: Vec<String> = s
        .list_recursive(&FolderPath::root())
        .unwrap()
        .iter()
        .map(|e| e.path.to_string())
        .collect();
    assert_eq!(
        all,
        ["top.json", "squad/ospf/area0.json"],
        "by folder, then name"
    );
    s.delete(&p("top")).unwrap();
    assert!(matches!(
        s.rename_folder(&f("squad"), &f("other")),
        Err(StoreError::AlreadyExists { .. })
    ));

    // A folder holding only the store's lock sentinels counts as empty.
    s.delete(&p("squad/ospf/area0")).unwrap();
    s.lock(&p("squad/ospf/ghost")).map(drop).unwrap();
    s.delete_folder(&f("squad/ospf"), false).unwrap();
    s.write(&p("squad/keep"), &sample_lab("keep")).unwrap();
    s.delete_folder(&f("squad"), true).unwrap();
    assert!(!d.path().join("squad").exists());
    assert!(
        s.delete_folder(&FolderPath::root(), true).is_err(),
        "the root cannot be deleted"
    );
}

#[test]
fn rename_and_move_labs() {
    let (_d, s) = store();
    s.create_folder(&f("archive")).unwrap();
    s.write(&p("a"), &sample_lab("a")).unwrap();
    s.write(&p("b"), &sample_lab("b")).unwrap();
    assert!(matches!(
        s.rename(&p("a"), &p("b")),
        Err(StoreError::AlreadyExists { .. })
    ));
    s.rename(&p("a"), &p("archive/a2")).unwrap();
    assert!(!s.exists(&p("a")).unwrap());
    assert_eq!(s.read(&p("archive/a2")).unwrap().meta.name, "a");
    assert!(matches!(
        s.rename(&p("a"), &p("c")),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn update_is_read_modify_write_and_refuses_invalid_results() {
    let (_d, s) = store();
    s.write(&p("u"), &sample_lab("u")).unwrap();
    let id = s
        .update(&p("u"), |lab| -> Result<u32, StoreError> {
            let id = lab.next_node_id();
            lab.add_node(Node::new(id, "c", NodeKind::Docker)).unwrap();
            Ok(id)
        })
        .unwrap();
    assert_eq!(id, 3);
    assert_eq!(s.read(&p("u")).unwrap().nodes.len(), 3);
    let before = std::fs::read(s.full_path(&p("u"))).unwrap();
    let e = s.update(&p("u"), |lab| -> Result<(), StoreError> {
        lab.node_mut(3).unwrap().name.clear();
        Ok(())
    });
    assert!(matches!(e, Err(StoreError::Invalid { .. })));
    assert_eq!(
        std::fs::read(s.full_path(&p("u"))).unwrap(),
        before,
        "nothing changed"
    );
}

#[test]
fn lock_waits_are_bounded() {
    let (d, s) = store();
    let s = s.with_lock_timeout(Duration::from_millis(200));
    s.write(&p("l"), &sample_lab("l")).unwrap();
    let held = s.lock(&p("l")).unwrap();
    // A second store instance (as another process would) cannot get in.
    let other = LabStore::open(d.path())
        .unwrap()
        .with_lock_timeout(Duration::from_millis(200));
    let start = Instant::now();
    let e = other.write(&p("l"), &sample_lab("other")).unwrap_err();
    assert!(matches!(e, StoreError::LockTimeout { .. }), "{e}");
    assert!(e.to_string().contains("locked by another writer"));
    assert!(
        start.elapsed() >= Duration::from_millis(200) && start.elapsed() < Duration::from_secs(3)
    );
    drop(held);
    other.write(&p("l"), &sample_lab("other")).unwrap();
}

#[test]
fn symlinks_are_never_followed() {
    let (d, s) = store();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(
        outside.path().join("secret.json"),
        sample_lab("secret").to_json(),
    )
    .unwrap();
    symlink(outside.path(), d.path().join("escape")).unwrap();
    symlink(
        outside.path().join("secret.json"),
        d.path().join("leak.json"),
    )
    .unwrap();

    assert!(matches!(
        s.read(&p("escape/secret")),
        Err(StoreError::Symlink { .. })
    ));
    assert!(matches!(
        s.write(&p("escape/new"), &sample_lab("x")),
        Err(StoreError::Symlink { .. })
    ));
    assert!(matches!(
        s.list(&f("escape")),
        Err(StoreError::Symlink { .. })
    ));
    assert!(matches!(
        s.read(&p("leak")),
        Err(StoreError::Symlink { .. })
    ));
    assert!(matches!(
        s.delete(&p("leak")),
        Err(StoreError::Symlink { .. })
    ));
    // Writing over the link replaces the link itself, never the file it points to.
    s.write(&p("leak"), &sample_lab("mine")).unwrap();
    assert_eq!(
        Lab::from_json(&std::fs::read_to_string(outside.path().join("secret.json")).unwrap())
            .unwrap()
            .meta
            .name,
        "secret"
    );
    assert!(!outside.path().join("new.json").exists());
    assert!(
        s.list_folders(&FolderPath::root()).unwrap().is_empty(),
        "links are not listed as folders"
    );
    // A recursive delete removes the link, not what it points to.
    s.create_folder(&f("box")).unwrap();
    symlink(outside.path(), d.path().join("box/link")).unwrap();
    s.delete_folder(&f("box"), true).unwrap();
    assert!(outside.path().join("secret.json").exists());
}

#[test]
fn hostile_names_are_refused_before_touching_disk() {
    for bad in [
        "../x",
        "/etc/passwd",
        "a/../../x",
        ".hidden",
        "a//b",
        "x\0y",
    ] {
        assert!(LabPath::parse(bad).is_err(), "{bad:?}");
    }
    assert!(FolderPath::new("..").is_err());
}

#[test]
fn malformed_and_oversize_labs_give_clear_errors() {
    let (d, s) = store();
    std::fs::write(
        d.path().join("broken.json"),
        "{\n  \"schema\": 2,\n  \"id\": \n",
    )
    .unwrap();
    let e = s.read(&p("broken")).unwrap_err();
    assert!(matches!(e, StoreError::Parse { .. }), "{e}");
    assert!(
        e.to_string().contains("broken.json") && e.to_string().contains("line 4"),
        "{e}"
    );
    let big = std::fs::File::create(d.path().join("big.json")).unwrap();
    big.set_len(nova_lab_model::store::MAX_LAB_BYTES + 1)
        .unwrap();
    assert!(matches!(
        s.read(&p("big")),
        Err(StoreError::TooLarge { .. })
    ));
    std::fs::create_dir(d.path().join("dir.json")).unwrap();
    assert!(matches!(
        s.read(&p("dir")),
        Err(StoreError::WrongType { .. })
    ));
}

#[test]
fn v1_labs_are_upgraded_on_read_and_written_as_v2() {
    let (d, s) = store();
    std::fs::write(
        d.path().join("old.json"),
        include_str!("fixtures/pa-fw-ipsec-gre-lab.json"),
    )
    .unwrap();
    let (lab, report) = s.read_upgrading(&p("old")).unwrap();
    assert!(report.is_some());
    s.write(&p("old"), &lab).unwrap();
    let (again, report) = s.read_upgrading(&p("old")).unwrap();
    assert!(report.is_none(), "written back as schema 2");
    assert_eq!(again, lab);
}

#[test]
fn open_removes_stale_temp_files_of_dead_writers_only() {
    let d = tempfile::tempdir().unwrap();
    std::fs::create_dir(d.path().join("f")).unwrap();
    // pid 0 never names a user process, so that writer is certainly gone.
    let stale = d.path().join("f/.lab.json.tmp-0-7");
    std::fs::write(&stale, "partial").unwrap();
    let mine = d
        .path()
        .join(format!(".lab.json.tmp-{}-1", std::process::id()));
    std::fs::write(&mine, "in progress").unwrap();
    let unrelated = d.path().join("f/.notes");
    std::fs::write(&unrelated, "x").unwrap();
    LabStore::open(d.path()).unwrap();
    assert!(!stale.exists());
    assert!(mine.exists(), "a live writer's temp file is left alone");
    assert!(unrelated.exists());
}
