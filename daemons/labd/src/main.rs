//! nova-ve-labd: loads the labs, re-derives the runtime view (units, interfaces), exports
//! org.novave.Lab1, then tells systemd it is ready.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use clap::Parser;
use nova_lab_model::{LabStore, TemplateSet};
use nova_ve_labd::engine::{EngineConfig, LabEngine};
use nova_ve_labd::events::EventSink;
use nova_ve_labd::store_files::StoreFiles;
use nova_ve_labd::system::{SystemHost, watch_units};
use nova_ve_labd::{dbus, engine};
use tracing_subscriber::prelude::*;

/// The nova-ve lab engine.
#[derive(Debug, Parser)]
#[command(version, about)]
struct Args {
    /// Lab files.
    #[arg(
        long,
        env = "NOVA_VE_LABS_DIR",
        default_value = "/var/lib/nova-ve/labs"
    )]
    labs_dir: PathBuf,
    /// Node work dirs.
    #[arg(long, env = "NOVA_VE_RUN_DIR", default_value = "/var/lib/nova-ve/run")]
    run_dir: PathBuf,
    /// Operator templates (over the built-in ones).
    #[arg(
        long,
        env = "NOVA_VE_TEMPLATES_DIR",
        default_value = "/var/lib/nova-ve/templates"
    )]
    templates_dir: PathBuf,
    /// Base images.
    #[arg(
        long,
        env = "NOVA_VE_IMAGES_DIR",
        default_value = "/var/lib/nova-ve/images"
    )]
    images_dir: PathBuf,
}

fn init_logging() {
    let filter =
        tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into());
    let journald = std::env::var_os("JOURNAL_STREAM")
        .and_then(|_| tracing_journald::layer().ok())
        .map(|l| l.with_field_prefix(None));
    let fmt = journald.is_none().then(tracing_subscriber::fmt::layer);
    tracing_subscriber::registry()
        .with(filter)
        .with(journald)
        .with(fmt)
        .init();
}

fn templates(dir: &std::path::Path) -> anyhow::Result<TemplateSet> {
    let mut set = TemplateSet::builtin().context("built-in templates")?;
    if dir.is_dir() {
        for e in set.load_dir(dir) {
            tracing::warn!("template skipped: {e}");
        }
    }
    Ok(set)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    init_logging();
    let args = Args::parse();
    std::fs::create_dir_all(&args.labs_dir)
        .with_context(|| format!("{}", args.labs_dir.display()))?;
    std::fs::create_dir_all(&args.run_dir)
        .with_context(|| format!("{}", args.run_dir.display()))?;
    let store = LabStore::open(&args.labs_dir).context("opening the labs dir")?;
    let conn = zbus::connection::Builder::system()
        .build()
        .await
        .context("connecting to the system bus")?;
    let (events, rx) = EventSink::channel();
    let host = Arc::new(SystemHost::new(conn.clone(), args.run_dir.clone()));
    let config = EngineConfig {
        run_dir: args.run_dir,
        images_dir: args.images_dir,
    };
    let engine = Arc::new(LabEngine::new(
        Arc::new(StoreFiles(store)),
        host,
        Arc::new(templates(&args.templates_dir)?),
        events,
        config,
    ));
    engine.load().context("loading labs")?;
    tokio::spawn(watch(conn.clone(), engine.clone()));
    let report = engine.reconcile().await;
    log_report(&report);
    let auth = dbus::auth::Auth::new(conn.clone()).await?;
    let registry = dbus::export(&conn, engine.clone(), auth).await?;
    tokio::spawn(dbus::dispatch_events(registry, rx));
    conn.request_name(nova_dbus::lab::BUS_NAME)
        .await
        .context("taking org.novave.Lab1")?;
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    tracing::info!("nova-ve-labd ready: {} labs", engine.list_labs().len());
    wait_for_exit().await;
    // Nodes keep running in their scopes; only labd ends.
    Ok(())
}

async fn watch(conn: zbus::Connection, engine: Arc<LabEngine>) {
    if let Err(e) = watch_units(conn, engine).await {
        tracing::error!("watching systemd units failed: {e}; node stops will not be noticed");
    }
}

fn log_report(r: &engine::ReconcileReport) {
    tracing::info!(
        "reconciled: {} adopted, {} orphan units stopped, {} interfaces re-created, {} orphan interfaces deleted, {} degraded",
        r.adopted.len(),
        r.orphan_units_stopped.len(),
        r.replugged.len(),
        r.orphan_interfaces_deleted.len(),
        r.degraded.len()
    );
    for d in &r.degraded {
        tracing::warn!("degraded: {d}");
    }
    for e in &r.errors {
        tracing::warn!("reconcile: {e}");
    }
}

async fn wait_for_exit() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
