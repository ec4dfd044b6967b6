//! Discovery: walks an EVE-NG tree (`/opt/unetlab`) and lists what can be imported.
//!
//! Layout (FORMATS.md §4.3): `addons/qemu/<key>-<version>/<disk>.qcow2`,
//! `addons/dynamips/<key>-*.image`, `addons/iol/bin/*.bin` + `iourc`,
//! `addons/docker/<name>/` build contexts, `html/templates/{intel,amd,}/*.yml|*.php`,
//! `labs/<folders>/<name>.unl`. Nothing here writes; hostile names and symlinks
//! leaving the tree become [`Problem`]s instead of items.

use std::fs;
use std::path::{Path, PathBuf};

use crate::prefixes::{self, QemuFile};
use crate::safety;

/// Image kinds, also the first directory level below the images destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ImageKind {
    /// QEMU disk folders
    Qemu,
    /// Dynamips IOS images
    Dynamips,
    /// IOL binaries
    Iol,
    /// Docker build contexts
    Docker,
}

impl ImageKind {
    /// Directory name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Qemu => "qemu",
            Self::Dynamips => "dynamips",
            Self::Iol => "iol",
            Self::Docker => "docker",
        }
    }
}

/// One file to copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileJob {
    /// resolved source path (inside the source tree)
    pub src: PathBuf,
    /// the symlink in the source that led to `src`, if any (`--delete-source`
    /// removes the link, never the file it points at: that file is its own item)
    pub link: Option<PathBuf>,
    /// path below the images destination, as checked components:
    /// `<kind>/<image folder>/<file>` or `<kind>/<file>` — the layout labd lists
    /// (`<images>/<kind>/<image>`, image names carry the template key as prefix)
    pub dest_rel: Vec<String>,
    /// size in bytes
    pub size: u64,
    /// mode to give the copy
    pub mode: u32,
}

/// An image (a QEMU folder, a Dynamips or IOL file, a Docker context, the iourc).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageItem {
    /// kind
    pub kind: ImageKind,
    /// template key it belongs to
    pub key: String,
    /// image name as nodes reference it (folder or file name)
    pub name: String,
    /// source path shown to the operator
    pub source: PathBuf,
    /// files to copy
    pub files: Vec<FileJob>,
    /// things the operator should look at (unexpected disk names, ...)
    pub review: Vec<String>,
}

/// A template file found in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateSource {
    /// template key (file stem)
    pub key: String,
    /// resolved path
    pub path: PathBuf,
    /// `yml` or `php`
    pub php: bool,
}

/// A `.unl` lab found in the source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabSource {
    /// resolved path
    pub path: PathBuf,
    /// folder components below `labs/`
    pub folder: Vec<String>,
    /// file stem
    pub stem: String,
}

/// Something found that cannot be imported, with the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// `image`, `template` or `lab`
    pub category: &'static str,
    /// the path concerned
    pub source: PathBuf,
    /// why it was refused
    pub reason: String,
}

/// Everything discovery found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Inventory {
    /// images (iourc included, as an IOL item named `iourc`)
    pub images: Vec<ImageItem>,
    /// templates
    pub templates: Vec<TemplateSource>,
    /// labs
    pub labs: Vec<LabSource>,
    /// refused entries
    pub problems: Vec<Problem>,
}

/// Discovery failure that stops the whole run.
#[derive(Debug, thiserror::Error)]
pub enum DiscoverError {
    /// The source tree itself is unusable.
    #[error("source {0}: {1}")]
    Source(PathBuf, #[source] std::io::Error),
}

/// Which categories to look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scope {
    /// images
    pub images: bool,
    /// templates
    pub templates: bool,
    /// labs
    pub labs: bool,
}

/// A directory entry that passed the name and symlink checks.
struct Entry {
    name: String,
    /// resolved path (inside the tree)
    path: PathBuf,
    /// the symlink itself, when the entry is one
    link: Option<PathBuf>,
    meta: fs::Metadata,
}

struct Walker {
    root: PathBuf,
    problems: Vec<Problem>,
}

impl Walker {
    fn refuse(&mut self, category: &'static str, source: &Path, reason: impl ToString) {
        self.problems.push(Problem {
            category,
            source: source.to_owned(),
            reason: reason.to_string(),
        });
    }

    /// Lists a directory: names checked, symlinks resolved and kept only when they
    /// stay inside the source tree (and point at regular files).
    fn list(&mut self, category: &'static str, dir: &Path) -> Vec<Entry> {
        let Ok(rd) = fs::read_dir(dir) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for de in rd.flatten() {
            let raw = de.path();
            let name = match safety::check_component(&de.file_name()) {
                Ok(n) => n.to_owned(),
                Err(e) => {
                    self.refuse(category, &raw, format!("unsafe name: {e}"));
                    continue;
                }
            };
            let Ok(lmeta) = fs::symlink_metadata(&raw) else {
                continue;
            };
            let (path, link, meta) = if lmeta.file_type().is_symlink() {
                match safety::resolve_within(&raw, &self.root) {
                    Ok(p) => match fs::metadata(&p) {
                        Ok(m) if m.is_file() => (p, Some(raw), m),
                        Ok(_) => {
                            self.refuse(category, &raw, "symlink to a directory; not followed");
                            continue;
                        }
                        Err(e) => {
                            self.refuse(category, &raw, e);
                            continue;
                        }
                    },
                    Err(e) => {
                        self.refuse(category, &raw, format!("refused: {e}"));
                        continue;
                    }
                }
            } else {
                (raw, None, lmeta)
            };
            out.push(Entry {
                name,
                path,
                link,
                meta,
            });
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        out
    }
}

/// Walks `source` and returns what is there.
pub fn discover(source: &Path, scope: Scope) -> Result<Inventory, DiscoverError> {
    let root = fs::canonicalize(source).map_err(|e| DiscoverError::Source(source.into(), e))?;
    if !root.is_dir() {
        return Err(DiscoverError::Source(
            source.into(),
            std::io::Error::new(std::io::ErrorKind::NotADirectory, "not a directory"),
        ));
    }
    let mut w = Walker {
        root: root.clone(),
        problems: Vec::new(),
    };
    let mut inv = Inventory::default();
    // Templates first: their keys refine the QEMU folder-prefix match.
    let templates = find_templates(&mut w, &root);
    let keys: Vec<String> = templates.iter().map(|t| t.key.clone()).collect();
    if scope.templates {
        inv.templates = templates;
    }
    if scope.images {
        let addons = root.join("addons");
        qemu_images(&mut w, &addons.join("qemu"), &keys, &mut inv.images);
        dynamips_images(&mut w, &addons.join("dynamips"), &mut inv.images);
        iol_images(&mut w, &addons.join("iol").join("bin"), &mut inv.images);
        docker_contexts(&mut w, &addons.join("docker"), &mut inv.images);
    }
    if scope.labs {
        find_labs(
            &mut w,
            &root.join("labs"),
            &mut Vec::new(),
            &mut inv.labs,
            0,
        );
    }
    inv.problems = w.problems;
    Ok(inv)
}

fn qemu_images(w: &mut Walker, dir: &Path, keys: &[String], out: &mut Vec<ImageItem>) {
    for folder in w.list("image", dir) {
        if !folder.meta.is_dir() {
            w.refuse(
                "image",
                &folder.path,
                "not a folder; QEMU images live in addons/qemu/<template>-<version>/",
            );
            continue;
        }
        let Some(key) = prefixes::qemu_template_key(&folder.name, keys) else {
            w.refuse(
                "image",
                &folder.path,
                "folder name has no `<template>-` prefix, so no template can use it",
            );
            continue;
        };
        let mut item = ImageItem {
            kind: ImageKind::Qemu,
            key: key.clone(),
            name: folder.name.clone(),
            source: folder.path.clone(),
            files: Vec::new(),
            review: Vec::new(),
        };
        let mut found = Vec::new();
        for f in w.list("image", &folder.path) {
            if !f.meta.is_file() {
                item.review
                    .push(format!("{}: sub-folder not imported", f.name));
                continue;
            }
            let class = QemuFile::classify(&f.name);
            match class.short() {
                Some(s) => found.push(s),
                None => item.review.push(format!("{}: not an EVE-NG disk name (hdX/virtioX/sataX/scsiX/megasasX/lsiX/virtideX.qcow2, cdrom.iso); copied as is", f.name)),
            }
            item.files.push(FileJob {
                src: f.path,
                link: f.link,
                dest_rel: vec!["qemu".into(), folder.name.clone(), f.name],
                size: f.meta.len(),
                mode: 0o644,
            });
        }
        if item.files.is_empty() {
            w.refuse("image", &folder.path, "empty image folder");
            continue;
        }
        if let Some(expected) = prefixes::expected_disks(&key) {
            for disk in expected.iter().filter(|d| !found.iter().any(|f| f == *d)) {
                item.review.push(format!(
                    "expected disk `{disk}` for `{key}-` images is missing"
                ));
            }
        }
        out.push(item);
    }
}

fn single_file_item(kind: ImageKind, key: &str, f: Entry, mode: u32) -> ImageItem {
    ImageItem {
        kind,
        key: key.to_owned(),
        name: f.name.clone(),
        source: f.path.clone(),
        files: vec![FileJob {
            src: f.path,
            link: f.link,
            dest_rel: vec![kind.as_str().into(), f.name],
            size: f.meta.len(),
            mode,
        }],
        review: Vec::new(),
    }
}

fn dynamips_images(w: &mut Walker, dir: &Path, out: &mut Vec<ImageItem>) {
    for f in w.list("image", dir) {
        if !f.meta.is_file() || !f.name.ends_with(".image") {
            continue;
        }
        match prefixes::dynamips_template_key(&f.name) {
            Some(key) => out.push(single_file_item(ImageKind::Dynamips, &key, f, 0o644)),
            None => w.refuse(
                "image",
                &f.path,
                "Dynamips image name must be `<platform>-*.image`",
            ),
        }
    }
}

fn iol_images(w: &mut Walker, dir: &Path, out: &mut Vec<ImageItem>) {
    for f in w.list("image", dir) {
        if !f.meta.is_file() {
            continue;
        }
        if f.name == "iourc" {
            // The licence: readable by the service user only.
            out.push(ImageItem {
                kind: ImageKind::Iol,
                key: "iourc".into(),
                name: "iourc".into(),
                source: f.path.clone(),
                files: vec![FileJob {
                    src: f.path,
                    link: f.link,
                    dest_rel: vec!["iol".into(), "iourc".into()],
                    size: f.meta.len(),
                    mode: 0o600,
                }],
                review: Vec::new(),
            });
        } else if f.name.ends_with(".bin") {
            out.push(single_file_item(ImageKind::Iol, "iol", f, 0o755));
        }
    }
}

fn docker_contexts(w: &mut Walker, dir: &Path, out: &mut Vec<ImageItem>) {
    for ctx in w.list("image", dir) {
        if !ctx.meta.is_dir() {
            continue;
        }
        let mut item = ImageItem {
            kind: ImageKind::Docker,
            key: ctx.name.clone(),
            name: ctx.name.clone(),
            source: ctx.path.clone(),
            files: Vec::new(),
            review: vec![
                "Docker build context copied; build or `docker load` the image on this host".into(),
            ],
        };
        let base = vec!["docker".to_owned(), ctx.name.clone()];
        walk_context(w, &ctx.path, &base, &mut item.files, 0);
        out.push(item);
    }
}

/// Copies a build context tree (bounded depth; symlinks handled by [`Walker::list`]).
fn walk_context(
    w: &mut Walker,
    dir: &Path,
    rel: &[String],
    files: &mut Vec<FileJob>,
    depth: usize,
) {
    if depth > 16 {
        w.refuse("image", dir, "docker context nested deeper than 16 levels");
        return;
    }
    for e in w.list("image", dir) {
        let mut r = rel.to_vec();
        r.push(e.name.clone());
        if e.meta.is_dir() {
            walk_context(w, &e.path, &r, files, depth + 1);
        } else if e.meta.is_file() {
            let mode =
                if std::os::unix::fs::PermissionsExt::mode(&e.meta.permissions()) & 0o111 != 0 {
                    0o755
                } else {
                    0o644
                };
            files.push(FileJob {
                src: e.path,
                link: e.link,
                dest_rel: r,
                size: e.meta.len(),
                mode,
            });
        }
    }
}

/// The CPU vendor's template set first (EVE-NG picks intel/ or amd/ by CPU since
/// CE 2.0.3-107), then the other set, then the flat pre-2.0 directory.
fn template_dirs(root: &Path) -> Vec<PathBuf> {
    let base = root.join("html").join("templates");
    let amd = fs::read_to_string("/proc/cpuinfo").is_ok_and(|s| s.contains("AuthenticAMD"));
    let (first, second) = if amd {
        ("amd", "intel")
    } else {
        ("intel", "amd")
    };
    vec![base.join(first), base.join(second), base]
}

fn find_templates(w: &mut Walker, root: &Path) -> Vec<TemplateSource> {
    let mut out: Vec<TemplateSource> = Vec::new();
    for dir in template_dirs(root) {
        for f in w.list("template", &dir) {
            if !f.meta.is_file() {
                continue;
            }
            let (stem, php) = if let Some(s) = f.name.strip_suffix(".yml") {
                (s, false)
            } else if let Some(s) = f.name.strip_suffix(".php") {
                (s, true)
            } else {
                continue;
            };
            if stem.is_empty() || out.iter().any(|t| t.key == stem) {
                continue;
            }
            out.push(TemplateSource {
                key: stem.to_owned(),
                path: f.path,
                php,
            });
        }
    }
    out
}

fn find_labs(
    w: &mut Walker,
    dir: &Path,
    folder: &mut Vec<String>,
    out: &mut Vec<LabSource>,
    depth: usize,
) {
    if depth > 16 {
        w.refuse("lab", dir, "lab folders nested deeper than 16 levels");
        return;
    }
    for e in w.list("lab", dir) {
        if e.meta.is_dir() {
            folder.push(e.name.clone());
            find_labs(w, &e.path, folder, out, depth + 1);
            folder.pop();
        } else if let Some(stem) = e.name.strip_suffix(".unl")
            && e.meta.is_file()
        {
            out.push(LabSource {
                path: e.path,
                folder: folder.clone(),
                stem: stem.to_owned(),
            });
        }
    }
}
