//! The command-line grammar (clap derive). Kept apart from the code that runs the
//! commands so completions and man pages are generated from exactly this tree.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// nova-ve command line: labs, nodes, links and host networking over the system D-Bus.
///
/// Every command is one or a few D-Bus calls on nova-ve-labd (org.novave.Lab1) or
/// nova-ve-netd (org.novave.Net1); polkit decides what the caller may do.
#[derive(Debug, Parser)]
#[command(name = "novactl", version, propagate_version = true)]
pub struct Cli {
    /// Print machine-readable JSON instead of tables.
    #[arg(long, global = true)]
    pub json: bool,

    /// D-Bus address to use instead of the system bus (e.g. unix:path=/run/dbus/system_bus_socket).
    #[arg(
        long,
        global = true,
        value_name = "ADDRESS",
        env = "NOVACTL_BUS_ADDRESS"
    )]
    pub bus_address: Option<String>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Labs: list, show, create, import, export, delete, rename, start, stop.
    #[command(subcommand)]
    Lab(LabCmd),
    /// Lab folders.
    #[command(subcommand)]
    Folder(FolderCmd),
    /// Nodes of a lab: list, add, delete, start, stop, wipe.
    #[command(subcommand)]
    Node(NodeCmd),
    /// Links of a lab: add, delete, set metrics (netem) live.
    #[command(subcommand)]
    Link(LinkCmd),
    /// Networks (bridges) of a lab.
    #[command(subcommand)]
    Network(NetworkCmd),
    /// Host networking owned by nova-ve-netd: interfaces, capture.
    #[command(subcommand)]
    Net(NetCmd),
    /// List node templates.
    Templates,
    /// List the base images available for a template.
    Images {
        /// Node kind (qemu, docker, iol, dynamips, linux).
        kind: String,
        /// Template key.
        template: String,
    },
    /// Show a node's journal (its console log and boot messages).
    Logs(LogsArgs),
    /// Attach this terminal to a node's console.
    Console(NodeRef),
    /// Run a command (default: a shell) inside a running node's namespaces (root only).
    Exec(ExecArgs),
    /// Stream lab events (topology and runtime changes) as they happen.
    Events(EventsArgs),
    /// Print a shell completion script.
    Completions {
        /// Shell to generate for.
        shell: clap_complete::Shell,
    },
    /// Write man pages (one per subcommand) into a directory.
    Man {
        /// Output directory (created if missing).
        #[arg(long, short, default_value = ".")]
        out_dir: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum LabCmd {
    /// List labs.
    List,
    /// Show one lab: summary and nodes (with --json: the whole lab JSON).
    Show { lab: String },
    /// Create an empty lab.
    Create {
        /// Lab name (letters, digits, '-', '_', '.').
        name: String,
        /// Folder to create it in (relative, e.g. "team/ospf").
        #[arg(long, default_value = "")]
        folder: String,
    },
    /// Import a lab JSON file (schema v2) as a new lab.
    Import {
        /// Lab JSON file, or '-' for standard input.
        file: PathBuf,
        /// Folder to import into.
        #[arg(long, default_value = "")]
        folder: String,
        /// Lab name (default: the file's meta.name).
        #[arg(long)]
        name: Option<String>,
    },
    /// Print a lab's JSON (to standard output or a file).
    Export {
        lab: String,
        /// Write to this file instead of standard output.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Delete a lab (its running nodes are stopped first).
    Delete { lab: String },
    /// Rename a lab.
    Rename { lab: String, new_name: String },
    /// Start every node of a lab.
    Start {
        lab: String,
        /// Return at once instead of waiting until every node is running.
        #[arg(long)]
        no_wait: bool,
    },
    /// Stop every node of a lab.
    Stop {
        lab: String,
        /// Return at once instead of waiting until every node is stopped.
        #[arg(long)]
        no_wait: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum FolderCmd {
    /// List folders.
    List,
    /// Create a folder.
    Create { path: String },
    /// Rename (move) a folder.
    Rename { path: String, new_path: String },
    /// Delete an empty folder.
    Delete { path: String },
}

#[derive(Debug, Subcommand)]
pub enum NodeCmd {
    /// List the nodes of a lab with their live state.
    List { lab: String },
    /// Show one node (properties, interfaces).
    Show(NodeRef),
    /// Add a node to a lab.
    Add(NodeAddArgs),
    /// Delete a node (stopped first; its links go with it).
    Delete(NodeRef),
    /// Start a node.
    Start(NodeRef),
    /// Stop a node (stops its systemd unit, killing everything it left).
    Stop(NodeRef),
    /// Wipe a node's runtime state (disks, per-node files).
    Wipe(NodeRef),
}

#[derive(Debug, Args)]
pub struct NodeRef {
    /// Lab id, name or path.
    pub lab: String,
    /// Node id or name.
    pub node: String,
}

#[derive(Debug, Args)]
pub struct NodeAddArgs {
    /// Lab id, name or path.
    pub lab: String,
    /// Node name.
    pub name: String,
    /// Template key (see `novactl templates`), e.g. `host` or `frr` for linux nodes.
    #[arg(long, short)]
    pub template: String,
    /// Node kind (linux, qemu, docker, iol, dynamips); default: the template's.
    #[arg(long)]
    pub kind: Option<String>,
    /// Number of network interfaces.
    #[arg(long)]
    pub ethernet: Option<u32>,
    /// Node settings as a JSON object merged into the node (e.g. a profile's addresses or
    /// frr.conf); '@FILE' reads it from a file.
    #[arg(long, value_name = "JSON|@FILE")]
    pub set: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum LinkCmd {
    /// List the links of a lab.
    List { lab: String },
    /// Connect a node interface to another node interface or to a network.
    ///
    /// Endpoints are NODE:IFACE (node id or name; interface index or name) or
    /// net:NETWORK (network id or name).
    Add {
        lab: String,
        from: String,
        to: String,
    },
    /// Delete a link (detached live if the nodes run).
    Del { lab: String, link: String },
    /// Set a link's impairments (netem), applied live.
    Metrics(LinkMetricsArgs),
}

#[derive(Debug, Args)]
pub struct LinkMetricsArgs {
    pub lab: String,
    pub link: String,
    /// One-way delay in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub delay_ms: u32,
    /// Delay jitter in milliseconds.
    #[arg(long, default_value_t = 0)]
    pub jitter_ms: u32,
    /// Packet loss in percent (0-100).
    #[arg(long, default_value_t = 0.0)]
    pub loss_pct: f64,
    /// Rate limit in kbit/s (0 = none).
    #[arg(long, default_value_t = 0)]
    pub bandwidth_kbps: u64,
}

#[derive(Debug, Subcommand)]
pub enum NetworkCmd {
    /// List the networks of a lab.
    List { lab: String },
    /// Add a network (a bridge) to a lab.
    Add {
        lab: String,
        name: String,
        /// Network type.
        #[arg(long, default_value = "linux_bridge")]
        r#type: String,
    },
    /// Delete a network (its links go with it).
    Del { lab: String, network: String },
}

#[derive(Debug, Subcommand)]
pub enum NetCmd {
    /// List the interfaces netd owns.
    List,
    /// Capture packets on a netd-owned interface as pcap.
    Capture(CaptureArgs),
    /// Create a bridge.
    Bridge { name: String },
    /// Create a persistent TAP owned by a user (so an unprivileged QEMU can open it).
    Tap {
        name: String,
        /// Owner uid.
        #[arg(long)]
        owner: u32,
    },
    /// Create a veth pair, optionally moving the peer into the network namespace of a PID.
    Veth {
        name: String,
        peer: String,
        /// Move the peer into this process's network namespace (0 = stay here).
        #[arg(long, default_value_t = 0)]
        netns_pid: u32,
        /// Leave the peer down (a peer moved into another namespace is set up by default; one left
        /// here stays down: `novactl net up PEER`).
        #[arg(long)]
        peer_down: bool,
    },
    /// Delete an interface netd owns.
    Delete { name: String },
    /// Attach an interface to a bridge.
    Attach { name: String, bridge: String },
    /// Detach an interface from its bridge.
    Detach { name: String },
    /// Set an interface up.
    Up { name: String },
    /// Set an interface down.
    Down { name: String },
    /// Set the MTU.
    Mtu { name: String, mtu: u32 },
    /// Set the MAC address.
    Mac { name: String, mac: String },
    /// Set netem impairments on an interface (live).
    Netem {
        name: String,
        /// Delay in milliseconds.
        #[arg(long, default_value_t = 0.0)]
        delay_ms: f64,
        /// Jitter in milliseconds.
        #[arg(long, default_value_t = 0.0)]
        jitter_ms: f64,
        /// Loss in percent.
        #[arg(long, default_value_t = 0.0)]
        loss_pct: f64,
        /// Rate limit in kbit/s (0 = none).
        #[arg(long, default_value_t = 0)]
        rate_kbps: u64,
    },
    /// Remove netem impairments.
    NetemClear { name: String },
    /// List node units (transient scopes netd made).
    Units,
}

#[derive(Debug, Args)]
pub struct CaptureArgs {
    /// Interface name (must be owned by netd).
    pub iface: String,
    /// BPF filter expression (tcpdump syntax), compiled by netd.
    #[arg(long, short)]
    pub filter: Option<String>,
    /// Write pcap to this file instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Stop after this many seconds.
    #[arg(long)]
    pub duration: Option<u64>,
}

#[derive(Debug, Args)]
pub struct LogsArgs {
    #[command(flatten)]
    pub node: NodeRef,
    /// Follow the journal.
    #[arg(long, short)]
    pub follow: bool,
    /// Number of lines to show.
    #[arg(long, short = 'n')]
    pub lines: Option<u32>,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only this lab's events.
    pub lab: Option<String>,
    /// Output format for each event.
    #[arg(long, value_enum, default_value_t = EventFormat::Line)]
    pub format: EventFormat,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum EventFormat {
    /// One human-readable line per event.
    Line,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Args)]
pub struct ExecArgs {
    #[command(flatten)]
    pub node: NodeRef,
    /// Command and arguments (after `--`); default /bin/sh.
    #[arg(last = true)]
    pub command: Vec<String>,
}
