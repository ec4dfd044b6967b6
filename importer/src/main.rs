//! `nova-ve-import-eveng`: the operator's command line over [`nova_import_eveng::run`].

// The flag docs are clap's --help text, where `<dest>/<kind>` placeholders read well.
#![allow(rustdoc::invalid_html_tags)]

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::{Parser, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use nova_import_eveng::discover::Scope;
use nova_import_eveng::fsutil::Owner;
use nova_import_eveng::manifest::{Action, Manifest};
use nova_import_eveng::run::{self, Options, Progress};
use nova_import_eveng::xmltree::Limits;

/// Where a real run writes its manifest unless told otherwise.
const DEFAULT_MANIFEST: &str = "/var/lib/nova-ve/import-eveng-manifest.json";

/// Exit code: everything done (items needing review included).
const EXIT_OK: u8 = 0;
/// Exit code: the run could not be carried out (bad source, manifest not writable, ...).
const EXIT_FATAL: u8 = 1;
/// Exit code: the run finished, but some items failed (see the manifest's entries).
const EXIT_PARTIAL: u8 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Only {
    /// QEMU, Dynamips, IOL (+ iourc) images and Docker build contexts
    Images,
    /// EVE-NG templates (YAML and PHP)
    Templates,
    /// .unl labs
    Labs,
}

/// Import images, templates and labs from EVE-NG / UNetLab / PNETLab into nova-ve.
///
/// Images are copied (streaming, sha256-verified, sparse files kept sparse,
/// resumable), templates and labs are converted. A manifest records every item.
///
/// Exit codes: 0 done (review notes may exist), 1 the run could not be carried out,
/// 2 bad command line, 3 finished but some items failed (see the manifest).
#[derive(Debug, Parser)]
#[command(name = "nova-ve-import-eveng", version)]
struct Cli {
    /// EVE-NG root directory
    #[arg(long, default_value = "/opt/unetlab")]
    source: PathBuf,
    /// Images destination (<dest>/<kind>/<image>[/<file>])
    #[arg(long, default_value = "/var/lib/nova-ve/images")]
    dest: PathBuf,
    /// Templates destination (<dir>/<type>/<key>.json)
    #[arg(long, default_value = "/var/lib/nova-ve/templates")]
    templates_dir: PathBuf,
    /// Labs destination (<dir>/<folder>/<lab>.json)
    #[arg(long, default_value = "/var/lib/nova-ve/labs")]
    labs_dir: PathBuf,
    /// Manifest file (JSON, written atomically) [default for a real run:
    /// /var/lib/nova-ve/import-eveng-manifest.json; a dry run writes one (the plan)
    /// only when this is given]
    #[arg(long)]
    manifest: Option<PathBuf>,
    /// Plan only: read the source, write nothing but the manifest. Needs no root.
    #[arg(long)]
    dry_run: bool,
    /// Replace destination images and labs whose content differs (operator-edited
    /// templates are kept even then)
    #[arg(long)]
    force: bool,
    /// Keep the source files (the default)
    #[arg(long, conflicts_with = "delete_source")]
    copy: bool,
    /// Delete each source image after its copy was verified
    #[arg(long)]
    delete_source: bool,
    /// Import only these categories (repeatable)
    #[arg(long, value_enum)]
    only: Vec<Only>,
    /// Print the manifest as JSON on stdout instead of a summary (no progress bar)
    #[arg(long)]
    json: bool,
    /// Owner of what is written [default: nova-ve when that user exists]
    #[arg(long)]
    owner: Option<String>,
    /// Bytes between resume checkpoints of a copy
    #[arg(long, default_value_t = 256 << 20, hide = true)]
    checkpoint_bytes: u64,
    /// Largest .unl file read, in bytes
    #[arg(long, default_value_t = 64 << 20)]
    max_lab_bytes: usize,
}

/// The service user, by name: `Ok(None)` when the default user does not exist.
fn resolve_owner(name: Option<&str>) -> anyhow::Result<Option<Owner>> {
    let (name, explicit) = match name {
        Some(n) => (n, true),
        None => ("nova-ve", false),
    };
    let user =
        nix::unistd::User::from_name(name).with_context(|| format!("looking up user {name}"))?;
    match user {
        Some(u) => Ok(Some(Owner {
            uid: u.uid.as_raw(),
            gid: u.gid.as_raw(),
        })),
        None if explicit => bail!("user {name:?} does not exist"),
        None => Ok(None),
    }
}

/// indicatif bar: bytes, rate and ETA; hidden when stderr is not a terminal.
#[derive(Debug)]
struct Bar(ProgressBar);

impl Bar {
    fn new(visible: bool) -> Self {
        let pb = if visible {
            ProgressBar::new(0)
        } else {
            ProgressBar::hidden()
        };
        pb.set_style(
            ProgressStyle::with_template(
                "{msg:24!} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} ETA {eta}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        Bar(pb)
    }
}

impl Progress for Bar {
    fn start(&self, total: u64) {
        self.0.set_length(total);
    }
    fn item(&self, name: &str) {
        self.0.set_message(name.to_owned());
    }
    fn advance(&self, bytes: u64) {
        self.0.inc(bytes);
    }
    fn finish(&self) {
        self.0.finish_and_clear();
    }
}

fn print_summary(m: &Manifest, manifest: Option<&std::path::Path>) {
    let s = &m.summary;
    let mode = if m.dry_run {
        "Dry run (nothing written)"
    } else {
        "Import"
    };
    println!("{mode} from {}", m.source);
    println!(
        "  copied images:        {} ({} bytes)",
        s.copied, s.bytes_copied
    );
    println!("  already present:      {}", s.already_present);
    println!("  converted:            {}", s.converted);
    println!("  unchanged:            {}", s.unchanged);
    println!("  kept operator edits:  {}", s.kept_operator_edits);
    if m.dry_run {
        println!("  planned:              {}", s.planned);
    }
    println!("  skipped:              {}", s.skipped);
    println!("  failed:               {}", s.failed);
    println!("  needing review:       {}", s.needs_review);
    for e in &m.entries {
        let tag = match e.action {
            Action::Failed => "FAILED",
            Action::Skipped => "skipped",
            Action::KeptOperatorEdit => "kept",
            _ => continue,
        };
        println!(
            "  {tag}: {} — {}",
            e.source,
            e.reason.as_deref().unwrap_or("")
        );
    }
    match manifest {
        Some(p) => println!("Manifest: {}", p.display()),
        None => {
            println!("No manifest written (dry run without --manifest; use --json to see the plan)")
        }
    }
}

fn options(cli: &Cli) -> anyhow::Result<Options> {
    let scope = if cli.only.is_empty() {
        Scope {
            images: true,
            templates: true,
            labs: true,
        }
    } else {
        Scope {
            images: cli.only.contains(&Only::Images),
            templates: cli.only.contains(&Only::Templates),
            labs: cli.only.contains(&Only::Labs),
        }
    };
    let owner = if cli.dry_run {
        None
    } else {
        resolve_owner(cli.owner.as_deref())?
    };
    Ok(Options {
        source: cli.source.clone(),
        images_dir: cli.dest.clone(),
        templates_dir: cli.templates_dir.clone(),
        labs_dir: cli.labs_dir.clone(),
        manifest: match (&cli.manifest, cli.dry_run) {
            (Some(p), _) => Some(p.clone()),
            (None, true) => None,
            (None, false) => Some(PathBuf::from(DEFAULT_MANIFEST)),
        },
        dry_run: cli.dry_run,
        force: cli.force,
        delete_source: cli.delete_source,
        scope,
        owner,
        checkpoint_bytes: cli.checkpoint_bytes.max(1 << 20),
        xml_limits: Limits {
            max_bytes: cli.max_lab_bytes,
            ..Limits::default()
        },
    })
}

fn real_main() -> anyhow::Result<u8> {
    let cli = Cli::parse();
    let opts = options(&cli)?;
    let bar = Bar::new(!cli.json && std::io::stderr().is_terminal());
    let manifest = run::run(&opts, &bar)?;
    if cli.json {
        print!("{}", manifest.to_json());
    } else {
        print_summary(&manifest, opts.manifest.as_deref());
    }
    Ok(if manifest.summary.failed > 0 {
        EXIT_PARTIAL
    } else {
        EXIT_OK
    })
}

fn main() -> ExitCode {
    match real_main() {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("nova-ve-import-eveng: {e:#}");
            ExitCode::from(EXIT_FATAL)
        }
    }
}
