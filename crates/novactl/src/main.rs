//! novactl: the nova-ve command line. Every command is one or a few D-Bus calls on
//! nova-ve-labd (org.novave.Lab1) or nova-ve-netd (org.novave.Net1).

mod bus;
mod cli;
mod console;
mod error;
mod events;
mod generate;
mod lab;
mod logs;
mod net;
mod output;
mod resolve;

use std::io::Write as _;
use std::process::ExitCode;

use clap::Parser as _;

use crate::cli::{Cli, Command};
use crate::error::CtlError;
use crate::output::Report;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let json = cli.json;
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => return fail(&anyhow::anyhow!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(run(cli)) {
        Ok(report) => {
            if let Some(text) = report.render(json) {
                let mut out = std::io::stdout().lock();
                // A closed pipe (`novactl … | head`) is not an error worth reporting.
                let _ = writeln!(out, "{text}");
            }
            ExitCode::SUCCESS
        }
        Err(e) => fail(&e),
    }
}

fn fail(err: &anyhow::Error) -> ExitCode {
    eprintln!("novactl: {err:#}");
    let code = error::exit_code_of(err);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// `--json` of `novactl man`: the files written.
#[derive(Debug, serde::Serialize)]
struct ManPages {
    files: Vec<String>,
}

async fn run(cli: Cli) -> anyhow::Result<Report> {
    match cli.command {
        Command::Completions { shell } => {
            generate::completions(shell, &mut std::io::stdout());
            Ok(Report::Nothing)
        }
        Command::Man { out_dir } => {
            let files = generate::man_pages(&out_dir)?;
            let reply = ManPages {
                files: files.iter().map(|p| p.display().to_string()).collect(),
            };
            Report::message(
                format!("wrote {} man pages to {}", files.len(), out_dir.display()),
                &reply,
            )
        }
        command => {
            let conn = bus::connect(cli.bus_address.as_deref()).await?;
            dispatch(&conn, command).await
        }
    }
}

async fn dispatch(conn: &zbus::Connection, command: Command) -> anyhow::Result<Report> {
    if let Command::Net(cmd) = command {
        return net::run(conn, cmd).await;
    }
    let d = lab::Labd::new(conn).await?;
    match command {
        Command::Lab(cmd) => lab::lab(&d, cmd).await,
        Command::Folder(cmd) => lab::folder(&d, cmd).await,
        Command::Node(cmd) => lab::node(&d, cmd).await,
        Command::Link(cmd) => lab::link(&d, cmd).await,
        Command::Network(cmd) => lab::network(&d, cmd).await,
        Command::Templates => lab::templates(&d).await,
        Command::Images { kind, template } => lab::images(&d, &kind, &template).await,
        Command::Events(args) => events::stream(&d, args.lab.as_deref(), args.format).await,
        Command::Logs(args) => {
            let unit = node_unit(&d, &args.node).await?;
            Err(logs::exec_journalctl(&unit, args.follow, args.lines).into())
        }
        Command::Console(r) => {
            let found = d.find_node(&r).await?;
            let node = d.node_proxy(&found.lab.id, found.node.id).await?;
            console::attach(&node).await?;
            Ok(Report::Nothing)
        }
        Command::Exec(args) => {
            let live = d.find_node(&args.node).await?.live;
            Err(console::exec_in_node(live.main_pid, &args.command))
        }
        Command::Net(_) | Command::Completions { .. } | Command::Man { .. } => {
            Err(CtlError::NotSupported("internal: command routed to labd by mistake".into()).into())
        }
    }
}

/// The node's unit: the live one, else the name labd gives it (journal keeps the
/// history of stopped units under that name).
async fn node_unit(d: &lab::Labd<'_>, r: &cli::NodeRef) -> anyhow::Result<String> {
    let lab::FoundNode { lab, node, live } = d.find_node(r).await?;
    if !live.unit.is_empty() {
        return Ok(live.unit);
    }
    Ok(logs::unit_name(&lab.id, node.id))
}
