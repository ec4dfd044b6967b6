// Types of the nova-ve HTTP API.
//
// The lab document, runtime view, request specs, events and templates come from `generated.ts`
// (generated from the Rust contract, crates/api, by a cargo test; never edit it by hand) and are
// re-exported here under the names the app uses. Below them are the gateway's own types that
// the generated file does not describe yet (session, users, folders, lab list, sharing, audit,
// problem details): hand-written, to be replaced by re-exports when they are generated too.

export type {
  ConsoleType,
  Endpoint,
  EventMessage,
  InterfaceStatus,
  LabRef,
  LabSnapshot,
  LayoutSpec,
  LinkMetrics,
  LinkMetricsSpec,
  LinkSpec,
  NetworkEndpoint,
  NetworkPatch,
  NetworkSpec,
  NetworkType,
  NodeEndpoint,
  NodeFailure,
  NodeInterface,
  NodeKind,
  NodePatch,
  NodeRuntime,
  NodeSpec,
  NodeState,
  Position,
  StreamControl,
  TemplateInfo,
  Viewport,
  ViewportSpec,
  Lab as LabDocument,
  Link as LabLink,
  Network as LabNetwork,
  Node as LabNode,
} from './generated';

import type { EventMessage, NodeFailure } from './generated';

/** One lab event as received: envelope (lab_id, seq, v) and payload in one object. */
export type LabEvent = EventMessage;
export type LabEventType = EventMessage['type'];

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

// ----- lab actions -------------------------------------------------------------------------------

/** `POST /api/labs/{id}/start|stop`. */
export interface StartStopResult {
  failed: NodeFailure[];
}

// ----- catalogue (HTTP shape of GET /api/templates per the gateway contract) -------------------

export interface TemplateDefaults {
  cpu: number;
  ram: number;
  ethernet: number;
  console: string;
  icon: string;
  [unknown: string]: unknown;
}

/** The gateway's catalogue entry; `TemplateInfo` (generated) is accepted as well. */
export interface CatalogueEntry {
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
