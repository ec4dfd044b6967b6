//! `nova-ve-gateway`: serve (default), `migrate`, `admin create`.

use std::future::IntoFuture as _;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, bail};
use clap::{Parser, Subcommand};
use nova_gateway_store::{NewUser, Role, Store, now_ms};
use nova_ve_gateway::cache::LabCache;
use nova_ve_gateway::labd::Labd;
use nova_ve_gateway::state::{AppState, Inner, LoginLimiter, Settings};
use tracing_subscriber::prelude::*;

/// The default database: a SQLite file beside the labs.
const DEFAULT_DB: &str = "sqlite:///var/lib/nova-ve-gateway/gateway.db";

#[derive(Debug, Parser)]
#[command(
    name = "nova-ve-gateway",
    version,
    about = "nova-ve web gateway: HTTP and WebSocket API over labd"
)]
struct Cli {
    /// Database URL: sqlite:///path/to/file.db or postgres://user@host/db.
    #[arg(long, env = "NOVA_VE_DATABASE_URL", default_value = DEFAULT_DB, global = true)]
    database_url: String,
    #[command(subcommand)]
    cmd: Option<Cmd>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    /// Address to listen on (put Caddy in front for TLS; see docs/caddy.md).
    #[arg(long, env = "NOVA_VE_LISTEN", default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// The built web app (frontend/dist); not served when absent.
    #[arg(
        long,
        env = "NOVA_VE_FRONTEND_DIR",
        default_value = "/usr/share/nova-ve/web"
    )]
    frontend_dir: PathBuf,
    /// Mark session cookies Secure (set this behind TLS).
    #[arg(long, env = "NOVA_VE_SECURE_COOKIES")]
    secure_cookies: bool,
    /// Session lifetime in hours.
    #[arg(long, env = "NOVA_VE_SESSION_HOURS", default_value_t = 12)]
    session_hours: u64,
    /// Session idle timeout in minutes.
    #[arg(long, env = "NOVA_VE_SESSION_IDLE_MINUTES", default_value_t = 120)]
    session_idle_minutes: u64,
    /// Extra origins allowed to open WebSockets (comma-separated), e.g. https://lab.example.
    #[arg(long, env = "NOVA_VE_ALLOWED_ORIGINS", value_delimiter = ',')]
    allowed_origins: Vec<String>,
}

#[derive(Debug, Subcommand)]
enum Cmd {
    /// Serve the API and the web app (the default).
    Serve,
    /// Apply pending database migrations (an operator step; the server refuses to start
    /// while any is pending).
    Migrate,
    /// Administrators.
    Admin {
        #[command(subcommand)]
        cmd: AdminCmd,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCmd {
    /// Creates an administrator with a random password, shown once.
    Create {
        /// Login name.
        #[arg(long, default_value = "admin")]
        username: String,
    },
}

fn logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("NOVA_VE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let journald = std::env::var_os("JOURNAL_STREAM").and_then(|_| tracing_journald::layer().ok());
    let registry = tracing_subscriber::registry().with(filter);
    match journald {
        Some(j) => registry.with(j).init(),
        None => registry
            .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
            .init(),
    }
}

fn random_password() -> String {
    use base64::Engine as _;
    use rand::TryRng as _;
    let mut b = [0u8; 18];
    rand::rngs::SysRng
        .try_fill_bytes(&mut b)
        .expect("the OS random source works");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    logging();
    let cli = Cli::parse();
    let store = Store::connect(&cli.database_url).await?;
    match cli.cmd.unwrap_or(Cmd::Serve) {
        Cmd::Migrate => {
            let applied = store.migrate().await?;
            if applied.is_empty() {
                println!("database is up to date ({})", store.location());
            } else {
                for m in applied {
                    println!("applied migration {m}");
                }
            }
            Ok(())
        }
        Cmd::Admin {
            cmd: AdminCmd::Create { username },
        } => {
            refuse_pending(&store).await?;
            let password = random_password();
            store
                .create_user(
                    &NewUser {
                        username: &username,
                        display_name: "Administrator",
                        role: Role::Admin,
                        password: &password,
                    },
                    now_ms(),
                )
                .await?;
            println!("created administrator {username}");
            println!("password: {password}");
            println!("(shown only now; change it after signing in)");
            Ok(())
        }
        Cmd::Serve => serve(store, cli.serve).await,
    }
}

async fn refuse_pending(store: &Store) -> anyhow::Result<()> {
    let pending = store.pending_migrations().await?;
    if !pending.is_empty() {
        bail!(
            "the database {} has pending migrations ({}); run `nova-ve-gateway migrate` \
             (with the same --database-url) first",
            store.location(),
            pending.join(", ")
        );
    }
    Ok(())
}

async fn serve(store: Store, args: ServeArgs) -> anyhow::Result<()> {
    refuse_pending(&store).await?;
    let conn = zbus::Connection::system()
        .await
        .context("cannot connect to the system bus")?;
    let labd = Labd::new(conn).await?;
    let cache = LabCache::new(labd)
        .await
        .map_err(|e| anyhow::anyhow!("nova-ve-labd does not answer on the system bus: {e}"))?;
    // The lab copies live on labd's event stream: without it (the bus connection lost) they
    // go stale and every labd call fails, so the gateway exits and systemd restarts it.
    let follow = tokio::spawn(cache.clone().follow());
    let routes = nova_ve_gateway::routes::table()
        .into_iter()
        .map(|r| ((r.method.clone(), r.path), r))
        .collect();
    let state = AppState(Arc::new(Inner {
        store,
        cache,
        settings: Settings {
            session_lifetime: Duration::from_secs(args.session_hours * 3600),
            session_idle: Duration::from_secs(args.session_idle_minutes * 60),
            secure_cookies: args.secure_cookies,
            allowed_origins: args.allowed_origins,
        },
        routes,
        limiter: LoginLimiter::default(),
        metrics: Default::default(),
    }));
    let app = nova_ve_gateway::app(state, Some(&args.frontend_dir));
    let listener = tokio::net::TcpListener::bind(args.listen)
        .await
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    tracing::info!("listening on http://{}", args.listen);
    let _ = sd_notify::notify(&[sd_notify::NotifyState::Ready]);
    let server = axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    });
    tokio::select! {
        served = server.into_future() => served?,
        followed = follow => {
            let why = match followed {
                Ok(Ok(())) => "the system bus connection closed".to_string(),
                Ok(Err(e)) => e.to_string(),
                Err(e) => e.to_string(),
            };
            bail!("lost labd's event stream ({why}); exiting so that systemd restarts the gateway");
        }
    }
    Ok(())
}
