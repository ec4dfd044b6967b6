// Generated from the Rust API contract (crates/api) by ts-rs. Do not edit:
// NOVA_UPDATE_GENERATED=1 cargo test -p nova-api --test typescript
/* eslint-disable */

/**
 * One audit entry.
 */
export type AuditEntryInfo = { 
/**
 * Id (increases).
 */
id: number, 
/**
 * When (unix ms).
 */
at: number, 
/**
 * Who.
 */
username: string, 
/**
 * From where.
 */
remote_addr: string | null, 
/**
 * What (`lab.create`, `node.start`, …).
 */
action: string, 
/**
 * Which lab.
 */
lab_id: string | null, 
/**
 * Which node.
 */
node_id: string | null, 
/**
 * What else.
 */
target: string | null, 
/**
 * `ok`, `denied` or `error`.
 */
result: string, 
/**
 * Details.
 */
detail: string | null, };

/**
 * A page of the audit log, newest first.
 */
export type AuditPage = { 
/**
 * Entries.
 */
entries: Array<AuditEntryInfo>, 
/**
 * Pass as `before` for the next page; absent on the last.
 */
next_before: number | null, };

/**
 * `POST /api/labs/{id}/nodes/batch`.
 */
export type BatchNodesRequest = { 
/**
 * The nodes to add, in order.
 */
nodes: Array<NodeSpec>, };

/**
 * Reply of start/stop of a whole lab.
 */
export type BatchResult = { 
/**
 * The nodes that failed, with why.
 */
failed: Array<NodeFailure>, };

/**
 * A text frame a client sends on a node console WebSocket
 * (`GET /api/labs/{id}/nodes/{node}/console`). Binary frames are the terminal itself:
 * keyboard input from the client, output (recent output first) from the gateway.
 */
export type ConsoleControl = { "type": "resize", 
/**
 * Rows.
 */
rows: number, 
/**
 * Columns.
 */
cols: number, };

export type ConsoleType = "telnet" | "vnc" | "rdp" | "serial" | (string & {});

/**
 * `POST /api/labs`.
 */
export type CreateLabRequest = { 
/**
 * Folder ("" = top).
 */
folder: string, 
/**
 * Name.
 */
name: string, };

/**
 * Ids of created things.
 */
export type Created = { 
/**
 * The id (a number for nodes and networks, a string for labs and links).
 */
id: string, };

/**
 * The created token and its secret, shown this once.
 */
export type CreatedToken = { 
/**
 * The token.
 */
token: TokenInfo, 
/**
 * Send as `Authorization: Bearer <secret>`.
 */
secret: string, };

/**
 * Lab-wide presentation defaults.
 */
export type Defaults = { 
/**
 * Default link style.
 */
link_style?: LinkStyle | null, };

export type Endpoint = NodeEndpoint | NetworkEndpoint;

/**
 * One event as the gateway forwards it over WebSocket: envelope and payload in one object.
 */
export type EventMessage = { 
/**
 * The lab.
 */
lab_id: string, 
/**
 * Per-lab sequence number (+1 per event; a gap means events were missed).
 */
seq: number, 
/**
 * Schema version.
 */
v: number, } & ({ "type": "lab_created", 
/**
 * The new lab.
 */
lab: LabRef, } | { "type": "lab_renamed", 
/**
 * The lab with its new name and folder.
 */
lab: LabRef, } | { "type": "lab_deleted", 
/**
 * The lab's id.
 */
lab_id: string, } | { "type": "node_created", 
/**
 * The node as stored.
 */
node: Node, } | { "type": "node_updated", 
/**
 * The node as stored.
 */
node: Node, } | { "type": "node_deleted", 
/**
 * The node's id.
 */
node_id: number, } | { "type": "node_state" } & NodeRuntime | { "type": "node_warning", 
/**
 * The node.
 */
node_id: number, 
/**
 * What failed.
 */
message: string, } | { "type": "node_wiped", 
/**
 * The node.
 */
node_id: number, } | { "type": "network_created", 
/**
 * The network as stored.
 */
network: Network, } | { "type": "network_updated", 
/**
 * The network as stored.
 */
network: Network, } | { "type": "network_deleted", 
/**
 * The network's id.
 */
network_id: number, } | { "type": "link_created", 
/**
 * The link as stored.
 */
link: Link, } | { "type": "link_updated", 
/**
 * The link as stored.
 */
link: Link, } | { "type": "link_deleted", 
/**
 * The link's id.
 */
link_id: string, 
/**
 * The link as it was.
 */
link: Link, } | { "type": "layout_updated", 
/**
 * Nodes that moved.
 */
node_ids: Array<number>, 
/**
 * Networks that moved.
 */
network_ids: Array<number>, 
/**
 * New node positions by id.
 */
nodes: { [key in number]: Position }, 
/**
 * New network positions by id.
 */
networks: { [key in number]: Position }, 
/**
 * The new view, when it changed.
 */
viewport: ViewportSpec | null, });

/**
 * The `json` argument of the D-Bus `Event` signal: the event and the schema version.
 */
export type EventPayload = { 
/**
 * Schema version ([`EVENT_SCHEMA_VERSION`]).
 */
v: number, } & ({ "type": "lab_created", 
/**
 * The new lab.
 */
lab: LabRef, } | { "type": "lab_renamed", 
/**
 * The lab with its new name and folder.
 */
lab: LabRef, } | { "type": "lab_deleted", 
/**
 * The lab's id.
 */
lab_id: string, } | { "type": "node_created", 
/**
 * The node as stored.
 */
node: Node, } | { "type": "node_updated", 
/**
 * The node as stored.
 */
node: Node, } | { "type": "node_deleted", 
/**
 * The node's id.
 */
node_id: number, } | { "type": "node_state" } & NodeRuntime | { "type": "node_warning", 
/**
 * The node.
 */
node_id: number, 
/**
 * What failed.
 */
message: string, } | { "type": "node_wiped", 
/**
 * The node.
 */
node_id: number, } | { "type": "network_created", 
/**
 * The network as stored.
 */
network: Network, } | { "type": "network_updated", 
/**
 * The network as stored.
 */
network: Network, } | { "type": "network_deleted", 
/**
 * The network's id.
 */
network_id: number, } | { "type": "link_created", 
/**
 * The link as stored.
 */
link: Link, } | { "type": "link_updated", 
/**
 * The link as stored.
 */
link: Link, } | { "type": "link_deleted", 
/**
 * The link's id.
 */
link_id: string, 
/**
 * The link as it was.
 */
link: Link, } | { "type": "layout_updated", 
/**
 * Nodes that moved.
 */
node_ids: Array<number>, 
/**
 * Networks that moved.
 */
network_ids: Array<number>, 
/**
 * New node positions by id.
 */
nodes: { [key in number]: Position }, 
/**
 * New network positions by id.
 */
networks: { [key in number]: Position }, 
/**
 * The new view, when it changed.
 */
viewport: ViewportSpec | null, });

/**
 * A folder.
 */
export type FolderInfo = { 
/**
 * Path.
 */
path: string, 
/**
 * Owner's username, if it has one.
 */
owner: string | null, };

/**
 * `POST /api/folders`, `PATCH /api/folders/{path}`.
 */
export type FolderRequest = { 
/**
 * Folder path (`a/b`).
 */
path: string, };

export type IconType = "router" | "server" | "switch" | "firewall" | "host" | (string & {});

/**
 * Reply of `PUT /api/images/{kind}/{name}`: the stored image.
 */
export type ImageUploaded = { 
/**
 * Node kind (`qemu`, `docker`, …).
 */
kind: string, 
/**
 * File name under the kind's image directory.
 */
name: string, 
/**
 * Bytes stored.
 */
size: number, 
/**
 * SHA-256 of what was stored (hex).
 */
sha256: string, };

/**
 * `POST /api/labs/import`.
 */
export type ImportLabRequest = { 
/**
 * Folder ("" = top).
 */
folder: string, 
/**
 * Name.
 */
name: string, 
/**
 * The lab JSON document (schema 2, or 1 which is upgraded).
 */
lab: JsonValue, };

/**
 * Runtime bookkeeping of an interface.
 */
export type InterfaceRuntime = { 
/**
 * Generation of the current attachment.
 */
current_attach_generation: number, };

/**
 * One interface of a node, planned and live.
 */
export type InterfaceStatus = { 
/**
 * Interface index.
 */
index: number, 
/**
 * Name inside the node (`eth0`, `Gi0/1`, …).
 */
name: string, 
/**
 * MAC planned in the lab file ("" when none).
 */
planned_mac: string, 
/**
 * MAC seen on the running interface ("" when not running).
 */
live_mac: string, 
/**
 * Network the interface is linked to (0 = none).
 */
network_id: number, 
/**
 * Host-side interface while running, else "".
 */
host_ifname: string, };

export type JsonValue = number | string | boolean | Array<JsonValue> | { [key in string]: JsonValue } | null;

/**
 * A whole lab: the topology source of truth.
 */
export type Lab = { 
/**
 * Schema version; always [`SCHEMA_VERSION`] for a parsed lab.
 */
schema: number, 
/**
 * Copy of `schema` that the earlier writer added; kept when present.
 */
schema_version?: number | null, 
/**
 * The lab's identity (a UUID for labs created through the API; any string is accepted).
 */
id: string, 
/**
 * Descriptive fields.
 */
meta: Meta, 
/**
 * Canvas view.
 */
viewport: Viewport, 
/**
 * Nodes by id (the key is the id as a decimal string).
 */
nodes: { [key in string]: Node }, 
/**
 * Networks by id (the key is the id as a decimal string).
 */
networks: { [key in string]: Network }, 
/**
 * Connectivity: authoritative.
 */
links: Array<Link>, 
/**
 * Lab-wide presentation defaults.
 */
defaults: Defaults, 
/**
 * Text annotations.
 */
textobjects: Array<TextObject>, 
/**
 * Line annotations.
 */
lineobjects: Array<LineObject>, 
/**
 * Pictures (background maps).
 */
pictures: Array<Picture>, 
/**
 * Tasks.
 */
tasks: Array<Task>, 
/**
 * Named configuration sets (kept verbatim).
 */
configsets: { [key in string]: JsonValue }, };

/**
 * What a user may do with one lab.
 */
export type LabAccess = "viewer" | "editor" | "owner" | "admin";

/**
 * One change of a lab.
 */
export type LabEvent = { "type": "lab_created", 
/**
 * The new lab.
 */
lab: LabRef, } | { "type": "lab_renamed", 
/**
 * The lab with its new name and folder.
 */
lab: LabRef, } | { "type": "lab_deleted", 
/**
 * The lab's id.
 */
lab_id: string, } | { "type": "node_created", 
/**
 * The node as stored.
 */
node: Node, } | { "type": "node_updated", 
/**
 * The node as stored.
 */
node: Node, } | { "type": "node_deleted", 
/**
 * The node's id.
 */
node_id: number, } | { "type": "node_state" } & NodeRuntime | { "type": "node_warning", 
/**
 * The node.
 */
node_id: number, 
/**
 * What failed.
 */
message: string, } | { "type": "node_wiped", 
/**
 * The node.
 */
node_id: number, } | { "type": "network_created", 
/**
 * The network as stored.
 */
network: Network, } | { "type": "network_updated", 
/**
 * The network as stored.
 */
network: Network, } | { "type": "network_deleted", 
/**
 * The network's id.
 */
network_id: number, } | { "type": "link_created", 
/**
 * The link as stored.
 */
link: Link, } | { "type": "link_updated", 
/**
 * The link as stored.
 */
link: Link, } | { "type": "link_deleted", 
/**
 * The link's id.
 */
link_id: string, 
/**
 * The link as it was.
 */
link: Link, } | { "type": "layout_updated", 
/**
 * Nodes that moved.
 */
node_ids: Array<number>, 
/**
 * Networks that moved.
 */
network_ids: Array<number>, 
/**
 * New node positions by id.
 */
nodes: { [key in number]: Position }, 
/**
 * New network positions by id.
 */
networks: { [key in number]: Position }, 
/**
 * The new view, when it changed.
 */
viewport: ViewportSpec | null, };

/**
 * One lab as listed for a user.
 */
export type LabListItem = { 
/**
 * Lab id.
 */
id: string, 
/**
 * Name.
 */
name: string, 
/**
 * Folder.
 */
folder: string, 
/**
 * Owner's username, if the lab has one.
 */
owner: string | null, 
/**
 * What the user may do with it.
 */
access: LabAccess, };

/**
 * `PATCH /api/labs/{id}`: rename and/or move.
 */
export type LabPatch = { 
/**
 * New name.
 */
name?: string, 
/**
 * New folder.
 */
folder?: string, };

/**
 * A lab's identity and place.
 */
export type LabRef = { 
/**
 * Lab id (the lab JSON `id`).
 */
id: string, 
/**
 * Lab name (its file name without `.json`).
 */
name: string, 
/**
 * Folder ("" = top).
 */
folder: string, };

/**
 * A whole lab at one moment: the document, every node's runtime, and the `seq` of the last
 * event published before it was taken. Events with a higher `seq` may already be reflected in
 * it; every event applies idempotently, so a client applies all events after `seq`.
 */
export type LabSnapshot = { 
/**
 * Where the lab is.
 */
ref: LabRef, 
/**
 * The lab document.
 */
lab: Lab, 
/**
 * Runtime of every node, by node id.
 */
runtime: { [key in number]: NodeRuntime }, 
/**
 * The lab's event sequence number when the snapshot was taken.
 */
seq: number, };

/**
 * Layout changes: positions of nodes and networks by id, and the view.
 */
export type LayoutSpec = { 
/**
 * The view.
 */
viewport?: ViewportSpec, 
/**
 * Node positions by id.
 */
nodes: { [key in number]: Position }, 
/**
 * Network positions by id.
 */
networks: { [key in number]: Position }, };

/**
 * A line annotation on the canvas (kept verbatim).
 */
export type LineObject = { 
/**
 * Id.
 */
id?: JsonValue | null, 
/**
 * Name.
 */
name?: string | null, };

/**
 * A link: one node interface (or network) attached to a network.
 */
export type Link = { 
/**
 * Id, `lnk_NNN`.
 */
id: string, 
/**
 * One end.
 */
from: Endpoint, 
/**
 * The other end.
 */
to: Endpoint, 
/**
 * Per-link style.
 */
style_override: LinkStyle | null, 
/**
 * Manually placed ends.
 */
endpoint_positions?: { [key in string]: JsonValue } | null, 
/**
 * Label.
 */
label?: string | null, 
/**
 * Colour.
 */
color?: string | null, 
/**
 * Width (written as a string by the earlier implementation).
 */
width?: JsonValue | null, 
/**
 * Impairments.
 */
metrics?: LinkMetrics | null, 
/**
 * Runtime bookkeeping.
 */
runtime?: LinkRuntime | null, };

/**
 * Link impairments (netem).
 */
export type LinkMetrics = { 
/**
 * One-way delay in milliseconds.
 */
delay_ms: number, 
/**
 * Packet loss in percent, 0..=100.
 */
loss_pct: number, 
/**
 * Bandwidth cap in kbit/s; 0 means unlimited.
 */
bandwidth_kbps: number, 
/**
 * Delay jitter in milliseconds.
 */
jitter_ms: number, };

/**
 * Impairments of a link, as a client sets them (0 = none).
 */
export type LinkMetricsSpec = { 
/**
 * One-way delay in ms.
 */
delay_ms: number, 
/**
 * Jitter in ms (at most the delay).
 */
jitter_ms: number, 
/**
 * Random loss in percent.
 */
loss_pct: number, 
/**
 * Rate limit in kbit/s.
 */
bandwidth_kbps: number, };

/**
 * A link's runtime bookkeeping.
 */
export type LinkRuntime = { 
/**
 * Generation of the current attachment.
 */
attach_generation: number, };

/**
 * A new link: a node interface to another node interface (a cable) or to a network.
 */
export type LinkSpec = { 
/**
 * One end (a node interface).
 */
from: Endpoint, 
/**
 * The other end: a node interface or a network.
 */
to: Endpoint, 
/**
 * Impairments.
 */
metrics?: LinkMetricsSpec, };

export type LinkStyle = "orthogonal" | "bezier" | "straight" | (string & {});

/**
 * The program a `linux` node runs. A closed set on purpose: a template never
 * carries a free-form command line.
 */
export type LinuxProfile = "busybox-host" | "frr-router";

/**
 * `POST /api/session`.
 */
export type LoginRequest = { 
/**
 * Login name.
 */
username: string, 
/**
 * Password.
 */
password: string, };

export type LooseBool = boolean | number;

/**
 * The lab's descriptive fields (`meta`).
 */
export type Meta = { 
/**
 * Display name.
 */
name: string, 
/**
 * Author.
 */
author?: string | null, 
/**
 * One-line description.
 */
description?: string | null, 
/**
 * Long description (free text).
 */
body?: string | null, 
/**
 * The lab's own version string.
 */
version?: string | null, 
/**
 * Script timeout in seconds (EVE-NG carry-over).
 */
scripttimeout?: number | null, 
/**
 * Start-up countdown (EVE-NG carry-over).
 */
countdown?: number | null, 
/**
 * Default link width.
 */
linkwidth?: string | null, 
/**
 * Snap to grid.
 */
grid?: LooseBool | null, 
/**
 * Lab locked against edits (stored, not enforced here).
 */
lock?: LooseBool | null, 
/**
 * EVE-NG carry-over.
 */
sat?: string | null, };

/**
 * A network (a broadcast domain) that node interfaces attach to.
 */
export type Network = { 
/**
 * Id, equal to the network's key in [`Lab::networks`].
 */
id: number, 
/**
 * Display name, unique in the lab (case-insensitively).
 */
name: string, 
/**
 * What it is.
 */
type: NetworkType, 
/**
 * Canvas x.
 */
left: number, 
/**
 * Canvas y.
 */
top: number, 
/**
 * Icon file name.
 */
icon?: string | null, 
/**
 * Presentation.
 */
width?: JsonValue | null, 
/**
 * Presentation.
 */
style?: string | null, 
/**
 * Presentation.
 */
linkstyle?: string | null, 
/**
 * Presentation.
 */
color?: string | null, 
/**
 * Presentation.
 */
label?: string | null, 
/**
 * Shown on the canvas.
 */
visibility?: LooseBool | null, 
/**
 * EVE-NG carry-over.
 */
smart?: JsonValue | null, 
/**
 * Auto-created for a node↔node link, hidden, removed with the link.
 */
implicit: boolean, 
/**
 * Addressing and host attachment.
 */
config: NetworkConfig, 
/**
 * Runtime bookkeeping.
 */
runtime?: NetworkRuntime | null, };

/**
 * A network's addressing and host attachment (`config`).
 */
export type NetworkConfig = { 
/**
 * Subnet (`10.0.0.0/24`).
 */
cidr?: string | null, 
/**
 * Gateway address.
 */
gateway?: string | null, 
/**
 * Serve DHCP.
 */
dhcp?: boolean | null, 
/**
 * First DHCP address.
 */
dhcp_start?: string | null, 
/**
 * Last DHCP address.
 */
dhcp_end?: string | null, 
/**
 * Host uplink for NAT.
 */
egress_interface?: string | null, 
/**
 * Host bridge for a bridge cloud.
 */
host_bridge?: string | null, 
/**
 * NAT cloud shared with another lab.
 */
shared_cloud_id?: string | null, };

/**
 * A link end on a network.
 */
export type NetworkEndpoint = { 
/**
 * The network.
 */
network_id: number, };

/**
 * Changes to a network.
 */
export type NetworkPatch = { 
/**
 * Display name.
 */
name?: string, 
/**
 * Canvas x.
 */
left?: number, 
/**
 * Canvas y.
 */
top?: number, 
/**
 * Icon.
 */
icon?: string, 
/**
 * Shown on the canvas.
 */
visibility?: boolean, };

/**
 * A network's runtime bookkeeping (`runtime`).
 */
export type NetworkRuntime = { 
/**
 * Host bridge name.
 */
bridge_name?: string | null, 
/**
 * Driver (`linux_bridge`, `nat_cloud`, `bridge_cloud`).
 */
driver?: string | null, 
/**
 * When the bridge was created (ISO 8601).
 */
created_at?: string | null, 
/**
 * Addresses handed out.
 */
used_ips?: Array<JsonValue> | null, 
/**
 * First host offset in the subnet.
 */
first_offset?: number | null, };

/**
 * A new network.
 */
export type NetworkSpec = { 
/**
 * Display name (unique in the lab).
 */
name: string, 
/**
 * Type (`linux_bridge` by default).
 */
type?: NetworkType, 
/**
 * Canvas x.
 */
left?: number, 
/**
 * Canvas y.
 */
top?: number, 
/**
 * Icon.
 */
icon?: string, 
/**
 * Shown on the canvas.
 */
visibility?: boolean, };

export type NetworkType = "linux_bridge" | "nat_cloud" | "bridge_cloud" | (string & {});

/**
 * `POST /api/tokens`.
 */
export type NewTokenRequest = { 
/**
 * A name to recognise it by.
 */
name: string, 
/**
 * When it stops working (unix ms).
 */
expires_at?: number, };

/**
 * `POST /api/users`.
 */
export type NewUserRequest = { 
/**
 * Login name.
 */
username: string, 
/**
 * Password.
 */
password: string, 
/**
 * Global role.
 */
role: RoleName, 
/**
 * Name for people.
 */
display_name?: string, };

/**
 * A node: one router, switch, firewall or host.
 */
export type Node = { 
/**
 * Id, equal to the node's key in [`Lab::nodes`].
 */
id: number, 
/**
 * Display name.
 */
name: string, 
/**
 * What runs it.
 */
type: NodeKind, 
/**
 * Template key (`<paired>__<child>` for paired children).
 */
template: string, 
/**
 * Image directory name (qemu/iol/dynamips) or Docker reference.
 */
image: string, 
/**
 * Console type.
 */
console: ConsoleType, 
/**
 * Last known state (0 stopped, 2 running); derived, kept for compatibility.
 */
status?: number | null, 
/**
 * Start delay in seconds.
 */
delay: number, 
/**
 * Virtual CPUs.
 */
cpu: number, 
/**
 * Memory in MiB.
 */
ram: number, 
/**
 * Number of network interfaces.
 */
ethernet: number, 
/**
 * CPU limit flag (EVE-NG carry-over).
 */
cpulimit?: JsonValue | null, 
/**
 * QEMU `-uuid`.
 */
uuid?: string | null, 
/**
 * First MAC address; NIC *i* gets this plus *i*.
 */
firstmac?: string | null, 
/**
 * Canvas x.
 */
left: number, 
/**
 * Canvas y.
 */
top: number, 
/**
 * Icon file name.
 */
icon: string, 
/**
 * EVE-NG carry-over.
 */
width?: JsonValue | null, 
/**
 * EVE-NG carry-over.
 */
config?: JsonValue | null, 
/**
 * EVE-NG carry-over.
 */
config_list?: Array<JsonValue> | null, 
/**
 * EVE-NG carry-over.
 */
sat?: JsonValue | null, 
/**
 * EVE-NG carry-over.
 */
computed_sat?: JsonValue | null, 
/**
 * Interfaces that have been given names or positions; index < `ethernet`.
 */
interfaces: Array<NodeInterface>, 
/**
 * Per-kind runtime knobs (REFERENCE §4.3).
 */
extras?: { [key in string]: JsonValue }, 
/**
 * Per-node interface naming override (`Gi{port}`, `mgmt0,eth{n}`).
 */
interface_naming_scheme?: string | null, 
/**
 * Pins the QEMU machine type (`pc` or `q35`).
 */
machine_override?: string | null, };

/**
 * A link end on a node interface.
 */
export type NodeEndpoint = { 
/**
 * The node.
 */
node_id: number, 
/**
 * The interface index.
 */
interface_index: number, };

/**
 * A node that failed in a batch operation (StartAll, StopAll).
 */
export type NodeFailure = { 
/**
 * Node id.
 */
node_id: number, 
/**
 * Why.
 */
reason: string, };

/**
 * One network interface of a node.
 */
export type NodeInterface = { 
/**
 * 0-based index, below the node's `ethernet`.
 */
index: number, 
/**
 * Name as the guest sees it (`Gi1`, `eth0`, `ethernet1/1`).
 */
name: string, 
/**
 * MAC address to assign, if pinned.
 */
planned_mac: string | null, 
/**
 * Where the port sits on the node's icon.
 */
port_position: PortPosition | null, 
/**
 * Runtime bookkeeping.
 */
runtime?: InterfaceRuntime | null, 
/**
 * Per-interface knobs (`uplink`).
 */
extras?: { [key in string]: JsonValue } | null, };

export type NodeKind = "qemu" | "docker" | "iol" | "dynamips" | "linux" | (string & {});

/**
 * Changes to a node: any subset of the spec's fields except the kind.
 */
export type NodePatch = { 
/**
 * Display name.
 */
name?: string, 
/**
 * Template key.
 */
template?: string, 
/**
 * Image.
 */
image?: string, 
/**
 * Virtual CPUs.
 */
cpu?: number, 
/**
 * Memory in MiB.
 */
ram?: number, 
/**
 * Number of interfaces.
 */
ethernet?: number, 
/**
 * CPU limit on/off.
 */
cpulimit?: boolean, 
/**
 * Console type.
 */
console?: ConsoleType, 
/**
 * Icon.
 */
icon?: string, 
/**
 * Canvas x.
 */
left?: number, 
/**
 * Canvas y.
 */
top?: number, 
/**
 * Replaces the extras.
 */
extras?: { [key in string]: JsonValue }, };

/**
 * The runtime view of one node (the `node_state` event, `runtime_state` in `GetJson`).
 */
export type NodeRuntime = { 
/**
 * Node id.
 */
node_id: number, 
/**
 * State.
 */
state: NodeState, 
/**
 * The node's systemd unit while it runs, else "".
 */
unit: string, 
/**
 * Main PID while running, else 0.
 */
pid: number, 
/**
 * Console endpoint while running ("" when none).
 */
console: string, 
/**
 * Interfaces.
 */
interfaces: Array<InterfaceStatus>, 
/**
 * Why the node is degraded or failed.
 */
problems: Array<string>, };

/**
 * A new node. Its kind and defaults come from the template (trusted, installed by an
 * administrator), never from the client.
 */
export type NodeSpec = { 
/**
 * Display name.
 */
name: string, 
/**
 * Template key.
 */
template: string, 
/**
 * Kind; defaults to the template's.
 */
type?: NodeKind, 
/**
 * Image (relative to the kind's images directory).
 */
image?: string, 
/**
 * Virtual CPUs.
 */
cpu?: number, 
/**
 * Memory in MiB.
 */
ram?: number, 
/**
 * Number of interfaces.
 */
ethernet?: number, 
/**
 * CPU limit on/off.
 */
cpulimit?: boolean, 
/**
 * Console type.
 */
console?: ConsoleType, 
/**
 * Icon file name.
 */
icon?: string, 
/**
 * Canvas x.
 */
left?: number, 
/**
 * Canvas y.
 */
top?: number, 
/**
 * Per-kind knobs (typed for `linux` nodes; see docs/labd.md).
 */
extras?: { [key in string]: JsonValue }, };

/**
 * A node's runtime state.
 */
export type NodeState = "stopped" | "starting" | "running" | "stopping" | "degraded" | "failed";

/**
 * `PUT /api/users/{id}/password`: users change their own with the current one; admins set
 * anyone's.
 */
export type PasswordChange = { 
/**
 * The current password (required for one's own).
 */
current_password?: string, 
/**
 * The new password.
 */
new_password: string, };

/**
 * A picture (background map) attached to the lab (kept verbatim).
 */
export type Picture = { 
/**
 * Id.
 */
id?: JsonValue | null, 
/**
 * Name.
 */
name?: string | null, 
/**
 * MIME type.
 */
type?: string | null, 
/**
 * Width in pixels.
 */
width?: JsonValue | null, 
/**
 * Height in pixels.
 */
height?: JsonValue | null, 
/**
 * Image map (clickable areas).
 */
map?: string | null, };

/**
 * Where a port sits on its node's icon.
 */
export type PortPosition = { 
/**
 * Which edge.
 */
side: Side, 
/**
 * Position along the edge, 0..=1.
 */
offset: number, };

/**
 * A position on the canvas.
 */
export type Position = { 
/**
 * x.
 */
left: number, 
/**
 * y.
 */
top: number, };

/**
 * A global role: what a user may do anywhere.
 */
export type RoleName = "admin" | "editor" | "viewer";

/**
 * The signed-in session (`POST`/`GET /api/session`).
 */
export type SessionInfo = { 
/**
 * Who.
 */
user: UserInfo, 
/**
 * Send as `X-CSRF-Token` on every POST, PUT, PATCH and DELETE.
 */
csrf_token: string, 
/**
 * When the session ends at the latest (unix ms).
 */
expires_at: number, };

/**
 * Who a lab is shared with.
 */
export type ShareInfo = { 
/**
 * User id.
 */
user_id: number, 
/**
 * Username.
 */
username: string, 
/**
 * `viewer` or `editor` (as an access level).
 */
level: LabAccess, };

/**
 * `PUT /api/labs/{id}/shares/{user_id}`.
 */
export type ShareRequest = { 
/**
 * `viewer` or `editor`.
 */
level: LabAccess, };

export type Side = "top" | "right" | "bottom" | "left" | (string & {});

/**
 * Messages of the event WebSocket besides events.
 */
export type StreamControl = { "type": "hello", 
/**
 * The lab.
 */
lab_id: string, 
/**
 * Current sequence number.
 */
seq: number, } | { "type": "resnapshot", 
/**
 * Why.
 */
reason: string, 
/**
 * The lab now.
 */
snapshot: LabSnapshot, };

/**
 * `GET /api/system/status` (admins).
 */
export type SystemStatus = { 
/**
 * Logical CPUs.
 */
cpus: number, 
/**
 * 1-minute load average.
 */
load1: number, 
/**
 * Memory in bytes.
 */
memory_total: number, 
/**
 * Available memory in bytes.
 */
memory_available: number, 
/**
 * Size of the file system holding the labs, in bytes.
 */
disk_total: number, 
/**
 * Free space there, in bytes.
 */
disk_available: number, 
/**
 * Labs.
 */
labs: number, 
/**
 * Nodes by kind, then by state.
 */
nodes: { [key in string]: { [key in string]: number } }, };

/**
 * A lab task (kept verbatim).
 */
export type Task = { 
/**
 * Id.
 */
id?: JsonValue | null, 
/**
 * Name.
 */
name?: string | null, };

/**
 * What a template's nodes can do.
 */
export type TemplateCapabilities = { 
/**
 * Interfaces can be linked and unlinked while the node runs.
 */
hotplug: boolean, 
/**
 * Most interfaces a node may have.
 */
max_nics: number, };

/**
 * One template, with its resolved defaults.
 */
export type TemplateInfo = { 
/**
 * Template key (what a node spec names).
 */
key: string, 
/**
 * Node kind.
 */
type: NodeKind, 
/**
 * Display name.
 */
name: string, 
/**
 * Description.
 */
description: string | null, 
/**
 * Icon family.
 */
icon_type: IconType, 
/**
 * Default vCPUs.
 */
cpu: number, 
/**
 * Default memory in MiB.
 */
ram: number, 
/**
 * Default interface count.
 */
ethernet: number, 
/**
 * Default console type.
 */
console_type: ConsoleType, 
/**
 * Program of a `linux` node.
 */
profile: LinuxProfile | null, 
/**
 * Capabilities.
 */
capabilities: TemplateCapabilities, 
/**
 * Per-kind extras defaults.
 */
extras: { [key in string]: JsonValue }, 
/**
 * Whether this version can start nodes of this template on this host.
 */
startable: boolean, };

/**
 * A text annotation on the canvas (EVE-NG shape; kept verbatim).
 */
export type TextObject = { 
/**
 * Id.
 */
id?: JsonValue | null, 
/**
 * Name.
 */
name?: string | null, 
/**
 * Kind of annotation (`text`, `square`, `circle`).
 */
type?: string | null, 
/**
 * Rendered content.
 */
data?: string | null, };

/**
 * An API token (its secret is shown once, at creation).
 */
export type TokenInfo = { 
/**
 * Id.
 */
id: number, 
/**
 * Name given at creation.
 */
name: string, 
/**
 * First characters of the secret, to tell tokens apart.
 */
prefix: string, 
/**
 * Created (unix ms).
 */
created_at: number, 
/**
 * Stops working (unix ms), if ever.
 */
expires_at: number | null, 
/**
 * Last used (unix ms).
 */
last_used_at: number | null, };

/**
 * Query of `POST /api/labs/import/unl` (the body is the `.unl` file itself).
 */
export type UnlImportQuery = { 
/**
 * Folder ("" = top).
 */
folder: string, 
/**
 * File name to store the lab under (default: from the lab's own name).
 */
name: string, };

/**
 * Reply of `POST /api/labs/import/unl`: the new lab and what the conversion could not keep
 * exactly (for the user to review).
 */
export type UnlImported = { 
/**
 * The lab.
 */
lab: LabListItem, 
/**
 * Lossy conversions, in words.
 */
review: Array<string>, };

/**
 * A web user.
 */
export type UserInfo = { 
/**
 * Id.
 */
id: number, 
/**
 * Login name.
 */
username: string, 
/**
 * Name for people.
 */
display_name: string, 
/**
 * Global role.
 */
role: RoleName, 
/**
 * Cannot log in.
 */
disabled: boolean, 
/**
 * Created (unix ms).
 */
created_at: number, };

/**
 * `PATCH /api/users/{id}` (admins only).
 */
export type UserPatch = { 
/**
 * Name for people.
 */
display_name?: string, 
/**
 * Global role.
 */
role?: RoleName, 
/**
 * Disable (ends the user's sessions) or enable.
 */
disabled?: boolean, };

/**
 * `GET /api/system/version`.
 */
export type VersionInfo = { 
/**
 * The gateway's version.
 */
gateway: string, 
/**
 * labd's version ("" when not reachable).
 */
labd: string, 
/**
 * The API's event schema version.
 */
event_schema: number, };

/**
 * The canvas view.
 */
export type Viewport = { 
/**
 * Pan x.
 */
x: number, 
/**
 * Pan y.
 */
y: number, 
/**
 * Zoom factor.
 */
zoom: number, };

/**
 * The canvas view.
 */
export type ViewportSpec = { 
/**
 * x.
 */
x: number, 
/**
 * y.
 */
y: number, 
/**
 * Zoom.
 */
zoom: number, };
