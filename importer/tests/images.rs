//! Images: dry run, real run, idempotence, corruption, resume, sparse files, delete-source.

mod common;

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use nova_import_eveng::copy::{PartSidecar, part_path, sidecar_path};

#[test]
fn dry_run_changes_nothing() {
    let w = World::new();
    w.build_eveng_tree();
    // An existing destination with content: a dry run must leave it as it is.
    write(
        &w.images().join("qemu/vios/old/keep.qcow2"),
        b"pre-existing",
    );
    let src_before = tree_state(&w.src());
    let dest_before = tree_state(&w.root().join("dest"));
    let out = w.run(&["--dry-run"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        tree_state(&w.root().join("dest")),
        dest_before,
        "dry run wrote to the destination"
    );
    assert_eq!(
        tree_state(&w.src()),
        src_before,
        "dry run touched the source"
    );
    let m = w.manifest();
    assert_eq!(m["dry_run"], true);
    assert!(
        m["summary"]["planned"].as_u64().unwrap() >= 10,
        "{}",
        m["summary"]
    );
    assert_eq!(m["summary"]["copied"], 0);
    assert_eq!(entry(&m, "qemu/vios/vios-15.6")["action"], "planned");
}

#[test]
fn real_run_copies_verifies_and_keeps_sparse_then_second_run_is_a_noop() {
    let w = World::new();
    w.build_eveng_tree();
    let out = w.run(&["--only", "images"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let m = w.manifest();

    // Layout <dest>/<kind>/<image>/<disk> (what labd lists), content identical.
    let pairs = [
        (
            "addons/qemu/vios-15.6/virtioa.qcow2",
            "qemu/vios-15.6/virtioa.qcow2",
        ),
        (
            "addons/qemu/csr1000vng-17.03.08a/virtioa.qcow2",
            "qemu/csr1000vng-17.03.08a/virtioa.qcow2",
        ),
        (
            "addons/qemu/bigip-16.1/virtiob.qcow2",
            "qemu/bigip-16.1/virtiob.qcow2",
        ),
        (
            "addons/qemu/veos-4.29/cdrom.iso",
            "qemu/veos-4.29/cdrom.iso",
        ),
        (
            "addons/qemu/linux-ubuntu-22.04/virtioa.qcow2",
            "qemu/linux-ubuntu-22.04/virtioa.qcow2",
        ),
        (
            "addons/qemu/vmxvcp-18.2R1.9-domestic-VCP/virtioa.qcow2",
            "qemu/vmxvcp-18.2R1.9-domestic-VCP/virtioa.qcow2",
        ),
        (
            "addons/dynamips/c7200-adventerprisek9-mz.152-4.S2.image",
            "dynamips/c7200-adventerprisek9-mz.152-4.S2.image",
        ),
        (
            "addons/iol/bin/i86bi_LinuxL2-AdvEnterpriseK9-M_152_May_2018.bin",
            "iol/i86bi_LinuxL2-AdvEnterpriseK9-M_152_May_2018.bin",
        ),
        ("addons/iol/bin/iourc", "iol/iourc"),
        (
            "addons/docker/eve-gui-server/rootfs/etc/motd",
            "docker/eve-gui-server/rootfs/etc/motd",
        ),
    ];
    for (s, d) in pairs {
        assert_eq!(
            sha256_file(&w.src().join(s)),
            sha256_file(&w.images().join(d)),
            "{d}"
        );
    }
    let e = entry(&m, "qemu/vios/vios-15.6");
    assert_eq!(e["action"], "copied");
    assert_eq!(
        e["sha256"][0].as_str().unwrap(),
        sha256_file(&w.images().join("qemu/vios-15.6/virtioa.qcow2"))
    );

    // Sparse stays sparse: 64 MiB file with 128 KiB of data.
    let disk = w.images().join("qemu/vios-15.6/virtioa.qcow2");
    assert_eq!(fs::metadata(&disk).unwrap().len(), 64 * MIB);
    assert!(
        allocated(&disk) <= 4 * MIB,
        "copy allocates {} bytes",
        allocated(&disk)
    );

    // Modes: iourc private, IOL binary executable.
    assert_eq!(
        fs::metadata(w.images().join("iol/iourc")).unwrap().mode() & 0o777,
        0o600
    );
    assert_eq!(
        fs::metadata(
            w.images()
                .join("iol/i86bi_LinuxL2-AdvEnterpriseK9-M_152_May_2018.bin")
        )
        .unwrap()
        .mode()
            & 0o777,
        0o755
    );

    // Review notes: unexpected file, missing expected disk, docker context; refusal of `nodash`.
    let vmx = entry(&m, "vmxvcp-18.2R1.9");
    let review = vmx["review"].to_string();
    assert!(
        review.contains("notes.txt") && review.contains("virtiob"),
        "{review}"
    );
    let nodash = entry(&m, "addons/qemu/nodash");
    assert_eq!(nodash["action"], "skipped");
    assert!(!w.images().join("qemu/nodash").exists());

    // No partial files left behind.
    assert!(
        tree_state(&w.images())
            .keys()
            .all(|k| !k.ends_with(".part") && !k.ends_with(".part.json"))
    );

    // Second run: nothing copied, the destination unchanged to the nanosecond.
    let before = tree_state(&w.images());
    let out = w.run(&["--only", "images"]);
    assert_eq!(out.status.code(), Some(0));
    let m2 = w.manifest();
    assert_eq!(m2["summary"]["copied"], 0, "{}", m2["summary"]);
    assert_eq!(
        entry(&m2, "qemu/vios/vios-15.6")["action"],
        "already_present"
    );
    assert_eq!(tree_state(&w.images()), before);
}

#[test]
fn corrupted_destination_is_detected_and_force_replaces_it() {
    let w = World::new();
    w.build_eveng_tree();
    assert_eq!(w.run(&["--only", "images"]).status.code(), Some(0));
    let disk = w.images().join("qemu/asav-9.18.1/virtioa.qcow2");
    // Same size, one byte flipped.
    let f = fs::OpenOptions::new().write(true).open(&disk).unwrap();
    std::os::unix::fs::FileExt::write_all_at(&f, b"X", 4 * MIB + 10).unwrap();
    drop(f);
    let corrupted = sha256_file(&disk);

    let out = w.run(&["--only", "images"]);
    assert_eq!(out.status.code(), Some(3), "partial failure exit code");
    let m = w.manifest();
    let e = entry(&m, "asav-9.18.1");
    assert_eq!(e["action"], "failed");
    assert_eq!(m["errors"].as_array().unwrap().len(), 1, "{}", m["errors"]);
    assert!(
        m["errors"][0]["source"]
            .as_str()
            .unwrap()
            .ends_with("asav-9.18.1")
    );
    assert!(
        e["reason"].as_str().unwrap().contains("different content"),
        "{e}"
    );
    assert_eq!(
        sha256_file(&disk),
        corrupted,
        "without --force the destination is left alone"
    );

    let out = w.run(&["--only", "images", "--force"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        sha256_file(&disk),
        sha256_file(&w.src().join("addons/qemu/asav-9.18.1/virtioa.qcow2"))
    );
    let m = w.manifest();
    assert!(
        entry(&m, "asav-9.18.1")["notes"]
            .to_string()
            .contains("replaced")
    );
}

/// A minimal source tree with one QEMU image of `size` bytes of non-zero data.
fn one_image_world(size: usize) -> (World, std::path::PathBuf, std::path::PathBuf) {
    let w = World::new();
    let src = w.src().join("addons/qemu/vios-big/virtioa.qcow2");
    let data: Vec<u8> = (0..size)
        .map(|i| ((i * 7 + i / 4096) % 251) as u8 | 1)
        .collect();
    write(&src, &data);
    let dest = w.images().join("qemu/vios-big/virtioa.qcow2");
    (w, src, dest)
}

#[test]
fn leftover_part_file_is_resumed_and_never_taken_for_complete() {
    let (w, src, dest) = one_image_world(8 * MIB as usize);
    fs::create_dir_all(dest.parent().unwrap()).unwrap();
    // The first 4 MiB were committed; after them, garbage from the interrupted write.
    let data = fs::read(&src).unwrap();
    let mut part = data[..4 * MIB as usize].to_vec();
    part.extend_from_slice(&[0xEE; 100_000]);
    fs::write(part_path(&dest), &part).unwrap();
    let meta = fs::metadata(&src).unwrap();
    let sc = PartSidecar {
        src_size: meta.len(),
        src_mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
        src_ino: meta.ino(),
        committed: 4 * MIB,
    };
    fs::write(sidecar_path(&dest), serde_json::to_vec(&sc).unwrap()).unwrap();

    // A dry run sees the partial copy and does not promote it.
    assert_eq!(
        w.run(&["--dry-run", "--only", "images"]).status.code(),
        Some(0)
    );
    assert!(!dest.exists());
    assert!(w.manifest().to_string().contains("partial copy present"));

    let out = w.run(&["--only", "images"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sha256_file(&dest), sha256_file(&src));
    assert!(!part_path(&dest).exists() && !sidecar_path(&dest).exists());
    let m = w.manifest();
    assert!(
        entry(&m, "vios-big")["notes"]
            .to_string()
            .contains("resumed an interrupted copy at byte 4194304")
    );
}

#[test]
fn part_file_without_valid_sidecar_is_discarded() {
    let (w, src, dest) = one_image_world(3 * MIB as usize);
    fs::create_dir_all(dest.parent().unwrap()).unwrap();
    fs::write(part_path(&dest), vec![0xAB; 3 * MIB as usize]).unwrap();
    fs::write(
        sidecar_path(&dest),
        br#"{"src_size":1,"src_mtime_ns":0,"src_ino":0,"committed":3145728}"#,
    )
    .unwrap();
    assert_eq!(w.run(&["--only", "images"]).status.code(), Some(0));
    assert_eq!(sha256_file(&dest), sha256_file(&src));
    let m = w.manifest();
    assert!(
        !entry(&m, "vios-big")["notes"]
            .to_string()
            .contains("resumed")
    );
}

#[test]
fn run_killed_mid_copy_resumes() {
    let (w, src, dest) = one_image_world(96 * MIB as usize);
    let mut child = w
        .command(&["--only", "images", "--checkpoint-bytes", "1048576"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it as soon as the first checkpoint exists.
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut killed = false;
    while Instant::now() < deadline {
        if sidecar_path(&dest).exists() {
            nix::sys::signal::kill(
                nix::unistd::Pid::from_raw(child.id() as i32),
                nix::sys::signal::Signal::SIGKILL,
            )
            .unwrap();
            killed = true;
            break;
        }
        if child.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    let status = child.wait().unwrap();
    assert!(
        killed,
        "the child finished before a checkpoint was seen ({status:?})"
    );
    assert!(
        !dest.exists(),
        "a killed copy must not leave a complete-looking file"
    );
    assert!(part_path(&dest).exists());

    let out = w.run(&["--only", "images"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(sha256_file(&dest), sha256_file(&src));
    let m = w.manifest();
    assert!(
        entry(&m, "vios-big")["notes"]
            .to_string()
            .contains("resumed an interrupted copy"),
        "{m}"
    );
}

#[test]
fn delete_source_removes_only_verified_sources() {
    let w = World::new();
    w.build_eveng_tree();
    // A symlink from one image folder into another: deleting the first must not
    // delete the second's file.
    std::os::unix::fs::symlink(
        w.src().join("addons/qemu/asav-9.18.1/virtioa.qcow2"),
        w.src().join("addons/qemu/linux-ubuntu-22.04/virtiob.qcow2"),
    )
    .unwrap();
    // One image whose destination conflicts: its source must survive.
    write(
        &w.images().join("qemu/asav-9.18.1/virtioa.qcow2"),
        b"something else",
    );
    let out = w.run(&["--only", "images", "--delete-source"]);
    assert_eq!(out.status.code(), Some(3));
    assert!(
        !w.src().join("addons/qemu/vios-15.6").exists(),
        "verified source folder removed"
    );
    assert!(w.images().join("qemu/vios-15.6/virtioa.qcow2").exists());
    assert!(
        w.src()
            .join("addons/qemu/asav-9.18.1/virtioa.qcow2")
            .exists(),
        "unverified source kept"
    );
    assert!(
        w.src().join("labs/p2p.unl").exists(),
        "labs are never deleted"
    );
}

#[test]
fn ownership_goes_to_the_requested_user_without_following_symlinks() {
    let w = World::new();
    write(&w.src().join("addons/iol/bin/iourc"), b"[license]\n");
    let out = w.run(&["--only", "images", "--owner", "nobody"]);
    let nobody = nix::unistd::User::from_name("nobody")
        .unwrap()
        .expect("nobody user");
    if is_root() {
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let m = fs::metadata(w.images().join("iol/iourc")).unwrap();
        assert_eq!(m.uid(), nobody.uid.as_raw());
        assert_eq!(
            fs::metadata(w.images().join("iol")).unwrap().uid(),
            nobody.uid.as_raw()
        );
        assert_eq!(
            fs::metadata(w.manifest_path()).unwrap().uid(),
            nobody.uid.as_raw()
        );
    } else {
        // Without root the chown is refused, and the run says so instead of pretending.
        assert_ne!(out.status.code(), Some(0));
    }
    let bad = w.run(&["--only", "images", "--owner", "no-such-user-xyz"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("does not exist"));
}

#[test]
fn sparse_copy_throughput_1gib() {
    // A 1 GiB sparse image with 64 MiB of data: measures the copy and proves the hole
    // survives. Prints the figure for the docs.
    let w = World::new();
    let src = w.src().join("addons/qemu/linux-big/virtioa.qcow2");
    let offsets: Vec<u64> = (0..16).map(|i| i * 64 * MIB).collect();
    sparse(&src, 1024 * MIB, &offsets);
    // widen each data extent to 4 MiB
    let f = fs::OpenOptions::new().write(true).open(&src).unwrap();
    for &o in &offsets {
        let block = vec![0x5au8; 4 * MIB as usize];
        std::os::unix::fs::FileExt::write_all_at(&f, &block, o).unwrap();
    }
    drop(f);
    let t = Instant::now();
    let out = w.run(&["--only", "images"]);
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(out.status.code(), Some(0));
    let dest = w.images().join("qemu/linux-big/virtioa.qcow2");
    assert_eq!(fs::metadata(&dest).unwrap().len(), 1024 * MIB);
    assert!(
        allocated(&dest) < 80 * MIB,
        "allocated {}",
        allocated(&dest)
    );
    eprintln!(
        "sparse 1 GiB (64 MiB data) copied+verified in {secs:.2}s ({:.0} MiB/s logical)",
        1024.0 / secs
    );
}
