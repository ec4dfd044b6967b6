//! EVE-NG's image naming rules: the QEMU folder prefix → template key table and the
//! disk file names each vendor image is expected to carry (FORMATS.md §4.3).

/// Known EVE-NG QEMU folder prefixes (= template keys) and the disk files EVE-NG's
/// "QEMU image namings" table expects in such a folder. Where the table allows
/// alternatives (`ise-` hda *or* virtioa) only the first is listed; a missing
/// expected disk is reported for review, never fatal.
pub const QEMU_PREFIXES: &[(&str, &[&str])] = &[
    ("a10", &["hda"]),
    ("acs", &["hda"]),
    ("alteon", &["virtioa"]),
    ("ampcloud", &["hda", "hdb", "hdc"]),
    ("aruba", &["hda", "hdb"]),
    ("arubacx", &["virtioa"]),
    ("asa", &["hda"]),
    ("asav", &["virtioa"]),
    ("barracuda", &["hda"]),
    ("bigip", &["virtioa", "virtiob"]),
    ("brocadevadx", &["virtioa"]),
    ("c8000v", &["virtioa"]),
    ("cat9kv", &["virtioa"]),
    ("cda", &["hda"]),
    ("ceos", &[]),
    ("cips", &["hda", "hdb"]),
    ("clearpass", &["hda", "hdb"]),
    ("coeus", &["virtioa"]),
    ("cpsg", &["hda"]),
    ("csr1000v", &["virtioa"]),
    ("csr1000vng", &["virtioa"]),
    ("cucm", &["virtioa"]),
    ("cumulus", &["virtioa"]),
    ("esxi", &["hda"]),
    ("extremexos", &["sataa"]),
    ("firepower", &["scsia"]),
    ("firepower6", &["sataa"]),
    ("fortinet", &["virtioa"]),
    ("hpvsr", &["hda"]),
    ("huaweiar1k", &["virtioa"]),
    ("huaweiusg6kv", &["hda"]),
    ("infoblox", &["virtioa"]),
    ("ise", &["hda"]),
    ("jspace", &["virtioa"]),
    ("junipervrr", &["virtioa"]),
    ("kerio", &["sataa"]),
    ("linux", &["virtioa"]),
    ("mikrotik", &["hda"]),
    ("nsvpx", &["virtioa"]),
    ("nsx", &["hda"]),
    ("nxosv9k", &["sataa"]),
    ("olive", &["hda"]),
    ("ostinato", &["hda"]),
    ("osx", &["hda", "kernel"]),
    ("paloalto", &["virtioa"]),
    ("panorama", &["virtioa", "virtiob"]),
    ("pfsense", &["virtioa"]),
    ("phoebe", &["virtioa"]),
    ("prime", &["virtioa"]),
    ("pulse", &["virtioa"]),
    ("riverbed", &["virtioa", "virtiob"]),
    ("scrutinizer", &["virtioa"]),
    ("silveredge", &["hda"]),
    ("silverorch", &["hda"]),
    ("sonicwall", &["sataa"]),
    ("sourcefire", &["scsia"]),
    ("srlinux", &[]),
    ("stealth", &["hda"]),
    ("sterra", &["hda"]),
    ("timos", &["hda"]),
    ("timoscpm", &["virtidea"]),
    ("timosiom", &["virtidea"]),
    ("titanium", &["virtioa"]),
    ("vcenter", &["sataa"]),
    ("veloedge", &["virtioa"]),
    ("velogw", &["virtioa"]),
    ("veloorch", &["virtioa", "virtiob", "virtioc"]),
    ("veos", &["hda", "cdrom"]),
    ("versaana", &["virtioa"]),
    ("versadir", &["virtioa"]),
    ("versavnf", &["virtioa"]),
    ("vios", &["virtioa"]),
    ("viosl2", &["virtioa"]),
    ("vjunosevo", &["virtioa"]),
    ("vjunosrouter", &["virtioa"]),
    ("vjunosswitch", &["virtioa"]),
    ("vmx", &["hda"]),
    ("vmxvcp", &["virtioa", "virtiob", "virtioc"]),
    ("vmxvfp", &["virtioa"]),
    ("vnam", &["hda"]),
    ("vqfxpfe", &["hda"]),
    ("vqfxre", &["hda"]),
    ("vsrx", &["virtioa"]),
    ("vsrxng", &["virtioa"]),
    ("vtbond", &["virtioa"]),
    ("vtedge", &["virtioa"]),
    ("vtmgmt", &["virtioa", "virtiob"]),
    ("vtsmart", &["virtioa"]),
    ("vwaas", &["virtioa", "virtiob", "virtioc"]),
    ("vwlc", &["megasasa"]),
    ("vyos", &["virtioa"]),
    ("win", &["hda"]),
    ("winserver", &["hda"]),
    ("xrv", &["hda"]),
    ("xrv9k", &["virtioa"]),
];

/// Disk buses EVE-NG derives from a disk file's name (`hda.qcow2` → IDE, ...).
pub const DISK_BUSES: &[&str] = &["hd", "virtio", "sata", "scsi", "megasas", "lsi", "virtide"];

/// What a file inside a QEMU image folder is, by EVE-NG's naming rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QemuFile {
    /// `<bus><letter>.qcow2`: a disk on that bus, letters order the disks.
    Disk {
        /// `hd`, `virtio`, `sata`, ...
        bus: String,
        /// `a`, `b`, ...
        letter: char,
    },
    /// `cdrom.iso`
    Cdrom,
    /// `kernel.img` (osx) or another vendor extra EVE-NG passes by name.
    Kernel,
    /// Anything else: copied, flagged for review.
    Other,
}

impl QemuFile {
    /// Classifies a file name.
    pub fn classify(name: &str) -> Self {
        if name == "cdrom.iso" {
            return Self::Cdrom;
        }
        if name == "kernel.img" {
            return Self::Kernel;
        }
        let Some(stem) = name.strip_suffix(".qcow2") else {
            return Self::Other;
        };
        // Longest bus first so `virtide` is not read as `virtio`-ish garbage.
        let mut buses: Vec<&str> = DISK_BUSES.to_vec();
        buses.sort_by_key(|b| std::cmp::Reverse(b.len()));
        for bus in buses {
            if let Some(rest) = stem.strip_prefix(bus) {
                let mut chars = rest.chars();
                if let (Some(letter), None) = (chars.next(), chars.next())
                    && letter.is_ascii_lowercase()
                {
                    return Self::Disk {
                        bus: bus.to_owned(),
                        letter,
                    };
                }
            }
        }
        Self::Other
    }

    /// The short name used in the prefix table (`hda`, `virtiob`, `cdrom`, `kernel`).
    pub fn short(&self) -> Option<String> {
        match self {
            Self::Disk { bus, letter } => Some(format!("{bus}{letter}")),
            Self::Cdrom => Some("cdrom".into()),
            Self::Kernel => Some("kernel".into()),
            Self::Other => None,
        }
    }
}

/// Disk names the prefix table expects for `key`, if the key is known.
pub fn expected_disks(key: &str) -> Option<&'static [&'static str]> {
    QEMU_PREFIXES
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, disks)| *disks)
}

/// Derives the template key from a QEMU image folder name. EVE-NG lists folder `F`
/// for template `T` when `F` matches `^T-.+$`, so the longest known key (from the
/// table or from templates found in the source) followed by a dash wins; otherwise
/// the text before the first dash. `None` when the folder has no `<key>-` prefix.
pub fn qemu_template_key(folder: &str, extra_keys: &[String]) -> Option<String> {
    let known = QEMU_PREFIXES
        .iter()
        .map(|(k, _)| *k)
        .chain(extra_keys.iter().map(String::as_str));
    let best = known
        .filter(|k| {
            folder
                .strip_prefix(k)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|rest| !rest.is_empty())
        })
        .max_by_key(|k| k.len());
    if let Some(k) = best {
        return Some(k.to_owned());
    }
    let (head, tail) = folder.split_once('-')?;
    (!head.is_empty() && !tail.is_empty()).then(|| head.to_owned())
}

/// Template key for a Dynamips image file (`c7200-adventerprisek9-mz.152-4.S2.image` →
/// `c7200`): UNetLab required `<template>-*.image`.
pub fn dynamips_template_key(file: &str) -> Option<String> {
    let stem = file.strip_suffix(".image")?;
    let (head, tail) = stem.split_once('-')?;
    (!head.is_empty() && !tail.is_empty()).then(|| head.to_ascii_lowercase())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn longest_prefix_wins() {
        assert_eq!(
            qemu_template_key("csr1000vng-17.03", &[]).unwrap(),
            "csr1000vng"
        );
        assert_eq!(qemu_template_key("csr1000v-16.9", &[]).unwrap(), "csr1000v");
        assert_eq!(
            qemu_template_key("vmxvcp-18.2R1.9-domestic-VCP", &[]).unwrap(),
            "vmxvcp"
        );
        assert_eq!(
            qemu_template_key("linux-ubuntu-22.04", &[]).unwrap(),
            "linux"
        );
        assert_eq!(qemu_template_key("ngips-7.0", &[]).unwrap(), "ngips");
        assert_eq!(
            qemu_template_key("my-tpl-1", &["my-tpl".to_owned()]).unwrap(),
            "my-tpl"
        );
        assert_eq!(qemu_template_key("novendor", &[]), None);
        assert_eq!(qemu_template_key("vios-", &[]), None);
    }

    #[test]
    fn classifies_disks() {
        assert_eq!(
            QemuFile::classify("virtidea.qcow2"),
            QemuFile::Disk {
                bus: "virtide".into(),
                letter: 'a'
            }
        );
        assert_eq!(QemuFile::classify("hdb.qcow2").short().unwrap(), "hdb");
        assert_eq!(
            QemuFile::classify("megasasa.qcow2").short().unwrap(),
            "megasasa"
        );
        assert_eq!(QemuFile::classify("cdrom.iso"), QemuFile::Cdrom);
        assert_eq!(QemuFile::classify("disk.vmdk"), QemuFile::Other);
        assert_eq!(QemuFile::classify("hdaa.qcow2"), QemuFile::Other);
    }

    #[test]
    fn dynamips_keys() {
        assert_eq!(
            dynamips_template_key("c7200-adventerprisek9-mz.152-4.S2.image").unwrap(),
            "c7200"
        );
        assert_eq!(dynamips_template_key("c7200.image"), None);
    }
}
