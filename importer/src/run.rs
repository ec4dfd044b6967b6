//! One import run: discovery, then images, templates and labs, then the manifest.
//!
//! Every item is handled on its own: a failure becomes a manifest entry and the run
//! goes on. Only problems with the run as a whole (unreadable source, manifest not
//! writable) stop it.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use crate::copy::{self, CopyOptions, CopyOutcome};
use crate::discover::{self, FileJob, ImageItem, ImageKind, Inventory, LabSource, Scope};
use crate::fsutil::{self, Owner};
use crate::manifest::{Action, Category, Entry, MANIFEST_VERSION, Manifest};
use crate::xmltree::Limits;
use crate::{convert, templates};

/// What to do.
#[derive(Debug, Clone)]
pub struct Options {
    /// EVE-NG root (`/opt/unetlab`)
    pub source: PathBuf,
    /// images destination
    pub images_dir: PathBuf,
    /// templates destination
    pub templates_dir: PathBuf,
    /// labs destination
    pub labs_dir: PathBuf,
    /// manifest path (`None`: not written, e.g. an unprivileged dry run)
    pub manifest: Option<PathBuf>,
    /// plan only
    pub dry_run: bool,
    /// replace differing destinations
    pub force: bool,
    /// delete each source image file after its copy was verified
    pub delete_source: bool,
    /// categories
    pub scope: Scope,
    /// owner for what is written
    pub owner: Option<Owner>,
    /// resume checkpoint interval
    pub checkpoint_bytes: u64,
    /// XML limits for `.unl` files
    pub xml_limits: Limits,
}

/// Progress reporting (a terminal bar in the binary; nothing in tests).
pub trait Progress {
    /// Total bytes to read for images.
    fn start(&self, total_bytes: u64);
    /// Current item.
    fn item(&self, name: &str);
    /// Bytes read.
    fn advance(&self, bytes: u64);
    /// Done.
    fn finish(&self);
}

/// No progress output.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoProgress;

impl Progress for NoProgress {
    fn start(&self, _: u64) {}
    fn item(&self, _: &str) {}
    fn advance(&self, _: u64) {}
    fn finish(&self) {}
}

/// A failure of the run as a whole.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The source tree is unusable.
    #[error(transparent)]
    Discover(#[from] discover::DiscoverError),
    /// The manifest could not be written.
    #[error("writing the manifest: {0}")]
    Manifest(#[source] fsutil::FsError),
    /// Destinations overlap the source.
    #[error("destination {0} is inside the source tree {1}; choose a destination outside it")]
    DestInSource(PathBuf, PathBuf),
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Runs the import and writes the manifest (also in a dry run: it is the plan).
pub fn run(opts: &Options, progress: &dyn Progress) -> Result<Manifest, RunError> {
    check_destinations(opts)?;
    let inv = discover::discover(&opts.source, opts.scope)?;
    let mut m = Manifest {
        manifest_version: MANIFEST_VERSION,
        tool: format!("nova-ve-import-eveng {}", env!("CARGO_PKG_VERSION")),
        dry_run: opts.dry_run,
        started_at: now(),
        finished_at: 0,
        source: opts.source.display().to_string(),
        images_dir: opts.images_dir.display().to_string(),
        templates_dir: opts.templates_dir.display().to_string(),
        labs_dir: opts.labs_dir.display().to_string(),
        summary: Default::default(),
        entries: Vec::new(),
        needs_review: Vec::new(),
        errors: Vec::new(),
    };
    problems(&inv, &mut m.entries);
    images(opts, &inv.images, progress, &mut m.entries);
    m.entries
        .extend(templates::import_all(opts, &inv.templates));
    let mut lab_ids = std::collections::HashSet::new();
    for lab in &inv.labs {
        m.entries.push(import_lab(opts, lab, &mut lab_ids));
    }
    m.finished_at = now();
    m.summarize();
    if let Some(path) = &opts.manifest {
        m.write(path, opts.owner).map_err(RunError::Manifest)?;
    }
    Ok(m)
}

/// Refuses destinations inside the source tree (the importer would then read its own
/// output, and `--delete-source` could remove what it just wrote).
fn check_destinations(opts: &Options) -> Result<(), RunError> {
    let Ok(src) = fs::canonicalize(&opts.source) else {
        return Ok(());
    };
    for d in [&opts.images_dir, &opts.templates_dir, &opts.labs_dir] {
        let resolved = fs::canonicalize(d).unwrap_or_else(|_| d.clone());
        if resolved.starts_with(&src) {
            return Err(RunError::DestInSource(d.clone(), src));
        }
    }
    Ok(())
}

fn problems(inv: &Inventory, out: &mut Vec<Entry>) {
    for p in &inv.problems {
        let category = match p.category {
            "template" => Category::Template,
            "lab" => Category::Lab,
            _ => Category::Image,
        };
        let mut e = Entry::new(category, Action::Skipped, &p.source);
        e.reason = Some(p.reason.clone());
        out.push(e);
    }
}

fn dest_of(opts: &Options, job: &FileJob) -> PathBuf {
    job.dest_rel
        .iter()
        .fold(opts.images_dir.clone(), |p, c| p.join(c))
}

fn images(opts: &Options, items: &[ImageItem], progress: &dyn Progress, out: &mut Vec<Entry>) {
    let total: u64 = items.iter().flat_map(|i| &i.files).map(|f| f.size).sum();
    if !opts.dry_run {
        progress.start(total);
    }
    for item in items {
        out.push(if opts.dry_run {
            plan_image(opts, item)
        } else {
            import_image(opts, item, progress)
        });
    }
    progress.finish();
}

fn image_entry(opts: &Options, item: &ImageItem, action: Action) -> Entry {
    let category = if item.key == "iourc" {
        Category::Iourc
    } else {
        Category::Image
    };
    let mut e = Entry::new(category, action, &item.source);
    e.name = Some(format!("{}/{}/{}", item.kind.as_str(), item.key, item.name));
    e.review = item.review.clone();
    e.bytes = Some(item.files.iter().map(|f| f.size).sum());
    let dest = match item.kind {
        // A folder image: `<dest>/<kind>/<image>/`.
        ImageKind::Qemu | ImageKind::Docker => item.files.first().map(|f| {
            f.dest_rel[..2]
                .iter()
                .fold(opts.images_dir.clone(), |p, c| p.join(c))
        }),
        _ => item.files.first().map(|f| dest_of(opts, f)),
    };
    e.dest = dest.map(|d| d.display().to_string());
    e
}

fn plan_image(opts: &Options, item: &ImageItem) -> Entry {
    let mut e = image_entry(opts, item, Action::Planned);
    for f in &item.files {
        let d = dest_of(opts, f);
        match fs::symlink_metadata(&d) {
            Ok(m) if m.len() == f.size => e.notes.push(format!(
                "{}: exists with the same size; will be verified",
                d.display()
            )),
            Ok(_) => e.notes.push(format!(
                "{}: exists with different content; needs --force",
                d.display()
            )),
            Err(_) if copy::part_path(&d).exists() => e.notes.push(format!(
                "{}: partial copy present; will resume",
                d.display()
            )),
            Err(_) => {}
        }
    }
    e
}

fn import_image(opts: &Options, item: &ImageItem, progress: &dyn Progress) -> Entry {
    progress.item(&item.name);
    let copy_opts = CopyOptions {
        force: opts.force,
        owner: opts.owner,
        mode: 0o644,
        checkpoint_bytes: opts.checkpoint_bytes,
    };
    let mut e = image_entry(opts, item, Action::AlreadyPresent);
    let mut any_copied = false;
    for f in &item.files {
        let dest = dest_of(opts, f);
        let (parent, name) = f.dest_rel.split_at(f.dest_rel.len() - 1);
        let dir = match fsutil::DestDir::open(&opts.images_dir, parent, opts.owner) {
            Ok(d) => d,
            Err(err) => return failed(e, err.to_string()),
        };
        let per_file = CopyOptions {
            mode: f.mode,
            ..copy_opts.clone()
        };
        match copy::copy_file(&f.src, &dir, &name[0], &per_file, &|n| progress.advance(n)) {
            Ok(outcome) => {
                e.sha256.push(outcome.sha256().to_owned());
                if let CopyOutcome::Copied {
                    resumed_from,
                    replaced,
                    ..
                } = outcome
                {
                    any_copied = true;
                    if resumed_from > 0 {
                        e.notes.push(format!(
                            "{}: resumed an interrupted copy at byte {resumed_from}",
                            dest.display()
                        ));
                    }
                    if replaced {
                        e.notes.push(format!(
                            "{}: differing destination replaced (--force)",
                            dest.display()
                        ));
                    }
                }
            }
            Err(err) => return failed(e, err.to_string()),
        }
    }
    if any_copied {
        e.action = Action::Copied;
    }
    if opts.delete_source {
        delete_sources(item, &mut e);
    }
    e
}

fn failed(mut e: Entry, reason: String) -> Entry {
    e.action = Action::Failed;
    e.reason = Some(reason);
    e
}

/// Removes the source files of an item whose every file was verified (the caller
/// only gets here after that), then its folder when it became empty.
fn delete_sources(item: &ImageItem, e: &mut Entry) {
    for f in &item.files {
        // A symlinked source: remove the link; its target is an item of its own.
        let victim = f.link.as_ref().unwrap_or(&f.src);
        if let Err(err) = fs::remove_file(victim) {
            e.notes
                .push(format!("{}: source not deleted: {err}", victim.display()));
        }
    }
    if matches!(item.kind, ImageKind::Qemu | ImageKind::Docker) {
        remove_empty_dirs(&item.source);
    }
    e.notes.push("source deleted after verified copy".into());
}

fn remove_empty_dirs(dir: &Path) {
    if let Ok(rd) = fs::read_dir(dir) {
        for de in rd.flatten() {
            if de.file_type().is_ok_and(|t| t.is_dir()) {
                remove_empty_dirs(&de.path());
            }
        }
    }
    let _ = fs::remove_dir(dir);
}

/// Converts and writes one lab.
fn import_lab(
    opts: &Options,
    src: &LabSource,
    ids: &mut std::collections::HashSet<String>,
) -> Entry {
    let mut e = Entry::new(Category::Lab, Action::Converted, &src.path);
    let folder = src.folder.join("/");
    e.name = Some(if folder.is_empty() {
        src.stem.clone()
    } else {
        format!("{folder}/{}", src.stem)
    });
    let lab_path = match lab_path_of(&folder, &src.stem) {
        Ok(p) => p,
        Err(reason) => return skipped(e, reason),
    };
    let dest = lab_path
        .folder
        .components()
        .fold(opts.labs_dir.clone(), |p, c| p.join(c))
        .join(lab_path.name.file_name());
    e.dest = Some(dest.display().to_string());
    let mut converted = match convert_file(opts, &src.path, lab_path.name.as_str()) {
        Ok(c) => c,
        Err((action, reason)) => {
            e.action = action;
            e.reason = Some(reason);
            return e;
        }
    };
    e.review = converted.review;
    e.review.extend(missing_images(opts, &converted.lab));
    // Copied EVE-NG labs often share a UUID; labd refuses two labs with one id.
    if !ids.insert(converted.lab.id.clone()) {
        let old = std::mem::take(&mut converted.lab.id);
        converted.lab.id =
            convert::uuid_from_hash(&fsutil::sha256_hex(format!("{old}:{lab_path}").as_bytes()));
        e.review.push(format!(
            "lab id {old} is used by another imported lab; this one got {}",
            converted.lab.id
        ));
        ids.insert(converted.lab.id.clone());
    }
    let json = converted.lab.to_json();
    e.sha256.push(fsutil::sha256_hex(json.as_bytes()));
    if opts.dry_run {
        e.action = Action::Planned;
        return e;
    }
    match compare_document(opts, &dest, json.as_bytes()) {
        Ok(Some(action)) => e.action = action,
        Ok(None) => {
            if let Err(reason) = store_lab(opts, &lab_path, &converted.lab) {
                return failed(e, reason);
            }
        }
        Err(reason) => return failed(e, reason),
    }
    e
}

/// Review notes for nodes whose image is neither imported (or already in the
/// images destination) nor in the source tree; Docker images live in a Docker
/// daemon, so those are only reminded of.
fn missing_images(opts: &Options, lab: &nova_lab_model::Lab) -> Vec<String> {
    use nova_lab_model::NodeKind;
    let mut out = Vec::new();
    for node in lab.nodes.values() {
        let (kind, addons) = match node.kind {
            NodeKind::Qemu => ("qemu", "addons/qemu"),
            NodeKind::Iol => ("iol", "addons/iol/bin"),
            NodeKind::Dynamips => ("dynamips", "addons/dynamips"),
            NodeKind::Docker => {
                out.push(format!(
                    "node {} ({}): Docker image {:?} must exist in this host's Docker (docker save on EVE-NG, docker load here)",
                    node.id, node.name, node.image
                ));
                continue;
            }
            _ => continue,
        };
        let image = std::ffi::OsStr::new(&node.image);
        let present = crate::safety::check_component(image).is_ok()
            && (opts.images_dir.join(kind).join(image).exists()
                || opts.source.join(addons).join(image).exists());
        if !present {
            out.push(format!(
                "node {} ({}): image {:?} not found in the source or the images destination",
                node.id, node.name, node.image
            ));
        }
    }
    out
}

/// The nova-ve path for an EVE-NG lab, checked by the model's name rules.
fn lab_path_of(folder: &str, stem: &str) -> Result<nova_lab_model::LabPath, String> {
    let name = convert::lab_name(stem).map_err(|e| format!("name not usable in nova-ve: {e}"))?;
    let folder = nova_lab_model::FolderPath::new(folder)
        .map_err(|e| format!("name not usable in nova-ve: {e}"))?;
    Ok(nova_lab_model::LabPath::new(folder, name))
}

/// Reads (size-capped), parses and converts a `.unl`. Unreadable or refused input
/// is `Skipped`; a conversion that does not validate is `Failed`.
fn convert_file(
    opts: &Options,
    path: &Path,
    name: &str,
) -> Result<convert::Converted, (Action, String)> {
    let bytes = read_capped(path, opts.xml_limits.max_bytes).map_err(|r| (Action::Skipped, r))?;
    convert::convert_unl(&bytes, name, opts.xml_limits).map_err(|e| match e {
        convert::UnlConvertError::Parse(e) => (Action::Skipped, e.to_string()),
        convert::UnlConvertError::Convert(e) => (Action::Failed, e.to_string()),
    })
}

/// What an existing destination means for a document about to be written:
/// `Some(Unchanged)` when identical, `None` when it may be written, `Err` when it
/// differs and `--force` was not given. Never follows a symlink.
fn compare_document(opts: &Options, dest: &Path, bytes: &[u8]) -> Result<Option<Action>, String> {
    use std::io::Read;
    let Ok(f) = fsutil::open_nofollow(dest) else {
        return Ok(None);
    };
    let mut existing = Vec::new();
    f.take(bytes.len() as u64 + 1)
        .read_to_end(&mut existing)
        .map_err(|e| format!("{}: {e}", dest.display()))?;
    if existing == bytes {
        Ok(Some(Action::Unchanged))
    } else if opts.force {
        Ok(None)
    } else {
        Err(format!(
            "{} exists with different content; use --force to replace",
            dest.display()
        ))
    }
}

/// Writes a lab through the model's [`nova_lab_model::LabStore`] (validated, atomic,
/// under the lab's lock, no symlink followed below the root), then gives the lab, its
/// lock sentinel and its folders to the service user so labd can use them.
fn store_lab(
    opts: &Options,
    path: &nova_lab_model::LabPath,
    lab: &nova_lab_model::Lab,
) -> Result<(), String> {
    use nova_lab_model::{LabStore, StoreError};
    fsutil::DestDir::open(&opts.labs_dir, &[], opts.owner).map_err(|e| e.to_string())?;
    let store = LabStore::open(&opts.labs_dir).map_err(|e| e.to_string())?;
    let mut folder = nova_lab_model::FolderPath::root();
    let mut created = Vec::new();
    for comp in path.folder.components() {
        folder = folder.join(comp).map_err(|e| e.to_string())?;
        match store.create_folder(&folder) {
            Ok(()) => created.push(folder.clone()),
            Err(StoreError::AlreadyExists { .. }) => {}
            Err(e) => return Err(e.to_string()),
        }
    }
    store.write(path, lab).map_err(|e| e.to_string())?;
    let Some(owner) = opts.owner else {
        return Ok(());
    };
    let full = store.full_path(path);
    let lock = full.with_file_name(format!(".{}.json.lock", path.name.as_str()));
    let dirs = created.iter().map(|f| {
        f.components()
            .fold(store.root().to_path_buf(), |p, c| p.join(c))
    });
    for p in dirs.chain([full, lock]) {
        // lchown: fchownat(AT_SYMLINK_NOFOLLOW); the store refused symlinks already.
        if let Err(err) = std::os::unix::fs::lchown(&p, Some(owner.uid), Some(owner.gid))
            && err.kind() != std::io::ErrorKind::NotFound
        {
            return Err(format!("{}: {err}", p.display()));
        }
    }
    Ok(())
}

/// Writes a converted document (a template) below `root` unless an identical one
/// is there; a different one needs `--force`.
pub(crate) fn write_document(
    opts: &Options,
    root: &Path,
    comps: &[String],
    dest: &Path,
    bytes: &[u8],
    mut e: Entry,
) -> Entry {
    match compare_document(opts, dest, bytes) {
        Ok(Some(action)) => {
            e.action = action;
            return e;
        }
        Ok(None) => {}
        Err(reason) => return failed(e, reason),
    }
    let name = dest
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or_default();
    let written = fsutil::DestDir::open(root, comps, opts.owner)
        .and_then(|d| d.write_atomic(name, bytes, opts.owner, 0o644));
    match written {
        Ok(()) => e,
        Err(err) => failed(e, err.to_string()),
    }
}

fn skipped(mut e: Entry, reason: String) -> Entry {
    e.action = Action::Skipped;
    e.reason = Some(reason);
    e
}

/// Reads a file, refusing it (without reading it all) when over `max` bytes.
pub fn read_capped(path: &Path, max: usize) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let f = fsutil::open_nofollow(path).map_err(|e| e.to_string())?;
    let mut buf = Vec::new();
    f.take(max as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if buf.len() > max {
        return Err(format!("file is larger than the {max}-byte limit"));
    }
    Ok(buf)
}
