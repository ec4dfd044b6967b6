// Types of the nova-ve HTTP API.
//
// Every wire type comes from `generated.ts` (generated from the Rust contract, crates/api, by a
// cargo test; never edit it by hand) and is re-exported here. The lab document's types get
// names that do not clash with the canvas library (`Node`, `Network`, `Link`). Below them are
// the few types the contract does not describe: problem details and `GET …/nodes` rows.

export type {
  AuditEntryInfo,
  AuditPage,
  BatchNodesRequest,
  BatchResult,
  ConsoleControl,
  ConsoleType,
  CreateLabRequest,
  Created,
  CreatedToken,
  Endpoint,
  EventMessage,
  FolderInfo,
  FolderRequest,
  ImportLabRequest,
  InterfaceStatus,
  JsonValue,
  LabAccess,
  LabListItem,
  LabPatch,
  LabRef,
  LabSnapshot,
  LayoutSpec,
  LinkMetrics,
  LinkMetricsSpec,
  LinkSpec,
  LoginRequest,
  NetworkEndpoint,
  NetworkPatch,
  NetworkSpec,
  NetworkType,
  NewTokenRequest,
  NewUserRequest,
  NodeEndpoint,
  NodeFailure,
  NodeInterface,
  NodeKind,
  NodePatch,
  NodeRuntime,
  NodeSpec,
  NodeState,
  PasswordChange,
  Position,
  RoleName,
  SessionInfo,
  ShareInfo,
  ShareRequest,
  StreamControl,
  SystemStatus,
  TemplateInfo,
  TokenInfo,
  UnlImportQuery,
  UnlImported,
  UserInfo,
  UserPatch,
  VersionInfo,
  Viewport,
  ViewportSpec,
  Lab as LabDocument,
  Link as LabLink,
  Network as LabNetwork,
  Node as LabNode,
} from './generated';

import type { EventMessage, Node, NodeRuntime } from './generated';

/** One lab event as received: envelope (lab_id, seq, v) and payload in one object. */
export type LabEvent = EventMessage;
export type LabEventType = EventMessage['type'];

/**
 * A row of `GET /api/labs/{id}/nodes` and the reply of `GET …/nodes/{node}`: the node with its
 * runtime flattened in. The gateway defines it (web-gateway/src/routes/topology.rs,
 * `NodeWithRuntime`) outside the generated contract, so it is written here.
 */
export type NodeWithRuntime = Node & { runtime: NodeRuntime | null };

/**
 * RFC 9457 problem details, the body of every error (`application/problem+json`). The gateway
 * writes `type`, `title`, `status` and `detail` (web-gateway/src/error.rs); not generated.
 */
export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}
