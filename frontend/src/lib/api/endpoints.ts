// One typed function per route of the gateway (web-gateway/src/routes/mod.rs). Paths, bodies
// and replies are exactly the gateway's; paths are built here and nowhere else.

import { encodePath, withQuery, type ApiClient } from './client';
import type {
  AuditPage,
  BatchResult,
  Created,
  CreatedToken,
  FolderInfo,
  LabAccess,
  LabLink,
  LabListItem,
  LabNetwork,
  LabPatch,
  LabSnapshot,
  LayoutSpec,
  LinkMetricsSpec,
  LinkSpec,
  LoginRequest,
  NetworkPatch,
  NetworkSpec,
  NewTokenRequest,
  NewUserRequest,
  NodePatch,
  NodeSpec,
  NodeWithRuntime,
  PasswordChange,
  SessionInfo,
  ShareInfo,
  SystemStatus,
  TemplateInfo,
  TokenInfo,
  UnlImportQuery,
  UnlImported,
  UserInfo,
  UserPatch,
  VersionInfo,
} from './types';

const lab = (id: string) => `/api/labs/${encodeURIComponent(id)}`;
const node = (labId: string, nodeId: number) => `${lab(labId)}/nodes/${nodeId}`;
const link = (labId: string, linkId: string) => `${lab(labId)}/links/${encodeURIComponent(linkId)}`;

export type NodeAction = 'start' | 'stop' | 'wipe';

/** `GET /api/audit` filters. Times are unix ms; `until` is exclusive; `action` is a prefix. */
export interface AuditQuery {
  user?: number;
  lab?: string;
  action?: string;
  result?: 'ok' | 'denied' | 'error';
  since?: number;
  until?: number;
  limit?: number;
  before?: number;
}

export function createEndpoints(c: ApiClient) {
  return {
    session: {
      /** `POST /api/session` → 201 SessionInfo (and the session cookie). */
      signIn: (req: LoginRequest) =>
        c.post<SessionInfo>('/api/session', req, { quietUnauthorized: true }),
      current: () => c.get<SessionInfo>('/api/session', { quietUnauthorized: true }),
      /** `DELETE /api/session` → 204. */
      signOut: () => c.del('/api/session', { quietUnauthorized: true }),
      /** Like `current`, but a 401 sends the user to the sign-in page. */
      probe: () => c.get<SessionInfo>('/api/session'),
    },
    users: {
      list: () => c.get<UserInfo[]>('/api/users'),
      get: (id: number) => c.get<UserInfo>(`/api/users/${id}`),
      /** → 201 UserInfo. */
      create: (u: NewUserRequest) => c.post<UserInfo>('/api/users', u),
      update: (id: number, p: UserPatch) => c.patch<UserInfo>(`/api/users/${id}`, p),
      /** → 204. */
      remove: (id: number) => c.del(`/api/users/${id}`),
      /** → 204. */
      setPassword: (id: number, p: PasswordChange) =>
        c.put<undefined>(`/api/users/${id}/password`, p),
    },
    tokens: {
      /** The caller's active tokens (there is no route for other users' tokens). */
      list: () => c.get<TokenInfo[]>('/api/tokens'),
      /** → 201 CreatedToken: the secret is in this reply only. */
      create: (t: NewTokenRequest) => c.post<CreatedToken>('/api/tokens', t),
      /** → 204. */
      revoke: (id: number) => c.del(`/api/tokens/${id}`),
    },
    folders: {
      list: () => c.get<FolderInfo[]>('/api/folders'),
      /** → 201 without a body. */
      create: (path: string) => c.post<undefined>('/api/folders', { path }),
      /** → 204. */
      rename: (path: string, newPath: string) =>
        c.patch<undefined>(`/api/folders/${encodePath(path)}`, { path: newPath }),
      /** An empty folder → 204. */
      remove: (path: string) => c.del(`/api/folders/${encodePath(path)}`),
    },
    labs: {
      list: () => c.get<LabListItem[]>('/api/labs'),
      /** → 201 LabListItem. */
      create: (folder: string, name: string) => c.post<LabListItem>('/api/labs', { folder, name }),
      /** A lab JSON document (schema 2, or 1) → 201 LabListItem. */
      importJson: (folder: string, name: string, doc: unknown) =>
        c.post<LabListItem>('/api/labs/import', { folder, name, lab: doc }),
      /** An EVE-NG `.unl` file as the raw body; name '' = the lab's own → 201 UnlImported. */
      importUnl: (folder: string, name: string, unl: Blob | string) => {
        const query: UnlImportQuery = { folder, name };
        return c.request<UnlImported>('POST', '/api/labs/import/unl', {
          query: { ...query },
          body: unl,
          contentType: 'application/xml',
        });
      },
      get: (id: string) => c.get<LabSnapshot>(lab(id)),
      update: (id: string, p: LabPatch) => c.patch<LabListItem>(lab(id), p),
      /** → 204. */
      remove: (id: string) => c.del(lab(id)),
      /** A URL for a plain download link (the session cookie authorises it). */
      exportUrl: (id: string) => `${lab(id)}/export`,
      start: (id: string) => c.post<BatchResult>(`${lab(id)}/start`),
      stop: (id: string) => c.post<BatchResult>(`${lab(id)}/stop`),
      /** → 204. */
      layout: (id: string, l: LayoutSpec) => c.put<undefined>(`${lab(id)}/layout`, l),
      shares: (id: string) => c.get<ShareInfo[]>(`${lab(id)}/shares`),
      /** `viewer` or `editor` → 204. */
      share: (id: string, userId: number, level: Extract<LabAccess, 'viewer' | 'editor'>) =>
        c.put<undefined>(`${lab(id)}/shares/${userId}`, { level }),
      /** → 204. */
      unshare: (id: string, userId: number) => c.del(`${lab(id)}/shares/${userId}`),
    },
    nodes: {
      list: (labId: string) => c.get<NodeWithRuntime[]>(`${lab(labId)}/nodes`),
      get: (labId: string, nodeId: number) => c.get<NodeWithRuntime>(node(labId, nodeId)),
      /** → 201 `{id}` (the node id as a string). */
      create: (labId: string, spec: NodeSpec) => c.post<Created>(`${lab(labId)}/nodes`, spec),
      createBatch: (labId: string, nodes: NodeSpec[]) =>
        c.post<Created[]>(`${lab(labId)}/nodes/batch`, { nodes }),
      /** → 204; the change arrives as a `node_updated` event. */
      update: (labId: string, nodeId: number, p: NodePatch) =>
        c.patch<undefined>(node(labId, nodeId), p),
      /** → 204. */
      remove: (labId: string, nodeId: number) => c.del(node(labId, nodeId)),
      /** → 204. */
      action: (labId: string, nodeId: number, action: NodeAction) =>
        c.post<undefined>(`${node(labId, nodeId)}/${action}`),
      /** The console WebSocket's path (open it with `wsUrl`). */
      consolePath: (labId: string, nodeId: number) => `${node(labId, nodeId)}/console`,
      /** A URL for a plain download link: a pcap of interface `index` for `seconds`. */
      captureUrl: (labId: string, nodeId: number, index: number, seconds: number) =>
        withQuery(`${node(labId, nodeId)}/interfaces/${index}/capture`, { seconds }),
    },
    networks: {
      list: (labId: string) => c.get<LabNetwork[]>(`${lab(labId)}/networks`),
      /** → 201 `{id}`. */
      create: (labId: string, spec: NetworkSpec) => c.post<Created>(`${lab(labId)}/networks`, spec),
      /** → 204. */
      update: (labId: string, netId: number, p: NetworkPatch) =>
        c.patch<undefined>(`${lab(labId)}/networks/${netId}`, p),
      /** → 204. */
      remove: (labId: string, netId: number) => c.del(`${lab(labId)}/networks/${netId}`),
    },
    links: {
      list: (labId: string) => c.get<LabLink[]>(`${lab(labId)}/links`),
      /** → 201 `{id}`. */
      create: (labId: string, spec: LinkSpec) => c.post<Created>(`${lab(labId)}/links`, spec),
      /** → 204. */
      remove: (labId: string, linkId: string) => c.del(link(labId, linkId)),
      /** → 204. */
      setMetrics: (labId: string, linkId: string, m: LinkMetricsSpec) =>
        c.put<undefined>(`${link(labId, linkId)}/metrics`, m),
      /** A URL for a plain download link: a pcap of the link's node end for `seconds`. */
      captureUrl: (labId: string, linkId: string, seconds: number) =>
        withQuery(`${link(labId, linkId)}/capture`, { seconds }),
    },
    /** The event WebSocket's path (add `?since=SEQ`). */
    eventsPath: (labId: string) => `${lab(labId)}/events`,
    catalogue: {
      templates: () => c.get<TemplateInfo[]>('/api/templates'),
      /** Installed images for a template (both are required). */
      images: (kind: string, template: string) =>
        c.get<string[]>('/api/images', { query: { kind, template } }),
    },
    system: {
      /** 200 `ok` (plain text) when the gateway and labd answer; 503 otherwise. */
      health: () => c.get<string>('/api/system/health', { quietUnauthorized: true }),
      version: () => c.get<VersionInfo>('/api/system/version', { quietUnauthorized: true }),
      /** Admins only. */
      status: () => c.get<SystemStatus>('/api/system/status'),
    },
    /** Admins only; newest first, paged with `before` = the previous page's `next_before`. */
    audit: (q: AuditQuery = {}) => c.get<AuditPage>('/api/audit', { query: { ...q } }),
  };
}

export type Endpoints = ReturnType<typeof createEndpoints>;
