//! nova-ve-netd entry point: logging, start-up reconciliation, D-Bus service, READY=1.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use nova_ve_netd::dbus::{self, Gate};
use nova_ve_netd::engine::{NetEngine, netlink_handle};
use nova_ve_netd::nodes::NodeScopes;
use nova_ve_netd::polkit::Polkit;

/// Default state directory (RuntimeDirectory=nova-ve-netd): interfaces do not survive a
/// reboot, and neither should the record of them.
const DEFAULT_STATE_DIR: &str = "/run/nova-ve-netd";

fn init_logging() {
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::EnvFilter::try_from_env("NOVA_VE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let under_systemd =
        std::env::var_os("JOURNAL_STREAM").is_some() || std::env::var_os("INVOCATION_ID").is_some();
    if under_systemd && let Ok(journald) = tracing_journald::layer() {
        tracing_subscriber::registry()
            .with(filter)
            .with(journald.with_syslog_identifier("nova-ve-netd".into()))
            .init();
        return;
    }
    tracing_subscriber::registry()
        .with(filter)
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .init();
}

fn state_dir() -> anyhow::Result<PathBuf> {
    let mut args = std::env::args().skip(1);
    let mut dir = std::env::var_os("NOVA_VE_NETD_STATE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_STATE_DIR));
    while let Some(a) = args.next() {
        match a.as_str() {
            "--state-dir" => dir = args.next().context("--state-dir needs a value")?.into(),
            "--help" | "-h" => {
                println!(
                    "usage: nova-ve-netd [--state-dir DIR]   (serves org.novave.Net1 on the system bus)"
                );
                std::process::exit(0);
            }
            other => anyhow::bail!("unknown argument {other:?}"),
        }
    }
    Ok(dir)
}

async fn run() -> anyhow::Result<()> {
    let dir = state_dir()?;
    let handle = netlink_handle().context("netlink")?;
    let (engine, report) = NetEngine::open(handle, Some(&dir))
        .await
        .context("start-up reconciliation")?;
    tracing::info!(
        kept = report.kept.len(),
        dropped = ?report.dropped,
        unrecorded_marked = ?report.unrecorded_marked,
        "reconciled ownership"
    );
    let conn = zbus::Connection::system()
        .await
        .context("connect to the system bus")?;
    let polkit = Polkit::new(&conn).await.context("polkit")?;
    let scopes = match NodeScopes::new(&conn).await {
        Ok(s) => Some(s),
        Err(e) => {
            tracing::warn!("node scopes unavailable: {e}");
            None
        }
    };
    let engine = Arc::new(engine);
    engine.watch_links().context("link monitor")?;
    dbus::serve(&conn, engine, Gate::Polkit(polkit), scopes)
        .await
        .context("export objects")?;
    conn.request_name(nova_dbus::net::BUS_NAME)
        .await
        .context("own org.novave.Net1")?;
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    tracing::info!("nova-ve-netd ready");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Stopping]);
    tracing::info!("nova-ve-netd stopping");
    Ok(())
}

fn main() -> anyhow::Result<()> {
    init_logging();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    rt.block_on(run()).inspect_err(|e| tracing::error!("{e:#}"))
}
