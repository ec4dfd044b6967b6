// Types of the nova-ve HTTP API and lab document.
//
// TEMPORARY: these are hand-written stand-ins until `generated.ts` (generated from the Rust API
// types by a cargo test) lands. Then this module re-exports from it and the duplicates below go;
// only types the Rust side does not describe (none expected) may stay here.

// ----- session and users -----------------------------------------------------------------------

export type Role = 'admin' | 'editor' | 'viewer';

export interface User {
  id: number;
  username: string;
  display_name: string;
  role: Role;
  disabled?: boolean;
}

export interface Session {
  user: User;
  csrf_token: string;
  expires_at: string;
}

export interface SignInRequest {
  username: string;
  password: string;
}

export interface ApiToken {
  id: number;
  name: string;
  prefix: string;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

export interface NewApiToken {
  token: ApiToken;
  secret: string;
}

// ----- problem details (RFC 9457) --------------------------------------------------------------

export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

// ----- folders and labs -------------------------------------------------------------------------

export interface Folder {
  path: string;
  owner: string | null;
}

export type LabAccess = 'admin' | 'owner' | 'editor' | 'viewer';

export interface LabItem {
  id: string;
  name: string;
  folder: string;
  owner: string | null;
  access: LabAccess;
  node_count: number;
  running_count: number;
}

export interface ImportUnlResult extends LabItem {
  notes: string[];
}

export type ShareLevel = 'viewer' | 'editor';

export interface LabShare {
  user_id: number;
  username: string;
  level: ShareLevel;
}

// ----- the lab document (docs/lab-format.md, schema 2) -------------------------------------------

export type NodeKind = 'qemu' | 'docker' | 'iol' | 'dynamips' | 'linux';
export type ConsoleType = 'telnet' | 'vnc' | 'rdp' | 'serial';

export interface PortPosition {
  side: 'top' | 'right' | 'bottom' | 'left';
  offset: number;
}

export interface NodeInterface {
  index: number;
  name: string;
  planned_mac?: string | null;
  port_position?: PortPosition | null;
}

export interface LabNode {
  id: number;
  name: string;
  /** NodeKind; other strings are kept by the lab model. */
  type: string;
  template: string;
  image: string;
  console: string;
  cpu: number;
  ram: number;
  ethernet: number;
  delay?: number;
  cpulimit?: unknown;
  left: number;
  top: number;
  icon: string;
  extras?: Record<string, unknown>;
  interfaces?: NodeInterface[];
  [unknown: string]: unknown;
}

export interface LabNetwork {
  id: number;
  name: string;
  /** linux_bridge, nat_cloud, bridge_cloud (others are kept). */
  type: string;
  left: number;
  top: number;
  icon?: string | null;
  /** true/false, or EVE-NG's 0/1. */
  visibility?: boolean | number | null;
  implicit?: boolean;
  config?: Record<string, unknown>;
  [unknown: string]: unknown;
}

export interface NodeEndpoint {
  node_id: number;
  interface_index: number;
}

export interface NetworkEndpoint {
  network_id: number;
}

export type Endpoint = NodeEndpoint | NetworkEndpoint;

export interface LinkMetrics {
  delay_ms: number;
  jitter_ms: number;
  loss_pct: number;
  bandwidth_kbps: number;
}

export interface LabLink {
  id: string;
  from: Endpoint;
  to: Endpoint;
  style_override?: string | null;
  label?: string | null;
  color?: string | null;
  metrics?: LinkMetrics | null;
  [unknown: string]: unknown;
}

export interface Viewport {
  x: number;
  y: number;
  zoom: number;
}

export interface LabMeta {
  name: string;
  author?: string | null;
  description?: string | null;
  version?: string | null;
  [unknown: string]: unknown;
}

export interface LabDocument {
  schema: number;
  id: string;
  meta: LabMeta;
  viewport?: Viewport;
  nodes: Record<string, LabNode>;
  networks: Record<string, LabNetwork>;
  links: LabLink[];
  defaults?: { link_style?: string | null; [unknown: string]: unknown };
  [unknown: string]: unknown;
}

// ----- runtime ----------------------------------------------------------------------------------

export type NodeState = 'stopped' | 'starting' | 'running' | 'stopping' | 'degraded' | 'failed';

export interface RuntimeInterface {
  index: number;
  name: string;
  planned_mac: string;
  live_mac: string;
  /** 0 = not linked. */
  network_id: number;
  host_ifname: string;
}

export interface NodeRuntime {
  state: NodeState;
  unit: string;
  pid: number;
  console: string;
  interfaces: RuntimeInterface[];
  problems: string[];
}

export interface LabView {
  lab: LabDocument;
  runtime: Record<string, NodeRuntime>;
  seq: number;
}

// ----- requests ---------------------------------------------------------------------------------

export interface NodeSpec {
  name: string;
  template: string;
  type?: string;
  image?: string;
  cpu?: number;
  ram?: number;
  ethernet?: number;
  cpulimit?: unknown;
  console?: string;
  icon?: string;
  left?: number;
  top?: number;
  extras?: Record<string, unknown>;
}

export type NodePatch = Partial<Omit<NodeSpec, 'type'>>;

export interface NetworkSpec {
  name: string;
  type?: string;
  left?: number;
  top?: number;
  icon?: string;
  visibility?: boolean;
}

export type NetworkPatch = Partial<NetworkSpec>;

export interface LinkSpec {
  from: NodeEndpoint;
  to: NodeEndpoint | NetworkEndpoint;
  metrics?: LinkMetrics;
}

export interface LayoutUpdate {
  viewport?: Viewport;
  nodes?: Record<string, { left: number; top: number }>;
  networks?: Record<string, { left: number; top: number }>;
}

export interface NodeFailure {
  node_id: number;
  reason: string;
}

export interface StartStopResult {
  failed: NodeFailure[];
}

// ----- catalogue --------------------------------------------------------------------------------

export interface TemplateDefaults {
  cpu: number;
  ram: number;
  ethernet: number;
  console: string;
  icon: string;
  [unknown: string]: unknown;
}

export interface Template {
  key: string;
  name: string;
  kind: string;
  vendor?: string | null;
  description?: string | null;
  defaults: TemplateDefaults;
  images: string[];
  runnable: boolean;
  why_not?: string | null;
}

// ----- system and audit -------------------------------------------------------------------------

export interface AuditEntry {
  id: number;
  at: string;
  username: string | null;
  remote_addr: string | null;
  action: string;
  lab_id: string | null;
  node_id: number | null;
  target: string | null;
  result: string;
  detail: string | null;
}

export interface AuditPage {
  entries: AuditEntry[];
  next_before: number | null;
}

// ----- live events (docs/events.md) --------------------------------------------------------------

interface EventBase {
  lab_id: string;
  seq: number;
}

export type NodeStatePayload = NodeRuntime & { node_id: number };

export type LabEvent = EventBase &
  (
    | { type: 'lab_created'; lab: { id: string; name: string; folder: string } }
    | { type: 'lab_renamed'; lab: { id: string; name: string; folder: string } }
    | { type: 'lab_deleted'; lab_id: string }
    | { type: 'node_created'; node: LabNode }
    | { type: 'node_updated'; node: LabNode }
    | { type: 'node_deleted'; node_id: number }
    | ({ type: 'node_state' } & NodeStatePayload)
    | { type: 'node_warning'; node_id: number; message: string }
    | { type: 'node_wiped'; node_id: number }
    | { type: 'network_created'; network: LabNetwork }
    | { type: 'network_updated'; network: LabNetwork }
    | { type: 'network_deleted'; network_id: number }
    | { type: 'link_created'; link: LabLink }
    | { type: 'link_updated'; link: LabLink }
    | { type: 'link_deleted'; link_id: string; link?: LabLink }
    | { type: 'layout_updated'; node_ids: number[]; network_ids: number[] }
  );

export type LabEventType = LabEvent['type'];
