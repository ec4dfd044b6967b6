// One typed function per HTTP endpoint of the gateway. Paths are built here and nowhere else.

import { encodePath, withQuery, type ApiClient } from './client';
import type {
  ApiToken,
  AuditPage,
  Folder,
  ImportUnlResult,
  LabItem,
  LabLink,
  LabNetwork,
  LabNode,
  LabShare,
  LabSnapshot,
  LayoutSpec,
  LinkMetricsSpec,
  LinkSpec,
  NetworkPatch,
  NetworkSpec,
  NewApiToken,
  NodePatch,
  NodeSpec,
  Role,
  Session,
  ShareLevel,
  SignInRequest,
  StartStopResult,
  User,
} from './types';

const lab = (id: string) => `/api/labs/${encodeURIComponent(id)}`;
const node = (labId: string, nodeId: number) => `${lab(labId)}/nodes/${nodeId}`;

export type NodeAction = 'start' | 'stop' | 'wipe';

export function createEndpoints(c: ApiClient) {
  return {
    session: {
      signIn: (req: SignInRequest) =>
        c.post<Session>('/api/session', req, { quietUnauthorized: true }),
      current: () => c.get<Session>('/api/session', { quietUnauthorized: true }),
      signOut: () => c.del('/api/session', { quietUnauthorized: true }),
      /** Like `current`, but a 401 sends the user to the sign-in page. */
      probe: () => c.get<Session>('/api/session'),
    },
    users: {
      list: () => c.get<User[]>('/api/users'),
      get: (id: number) => c.get<User>(`/api/users/${id}`),
      create: (u: { username: string; password: string; display_name?: string; role: Role }) =>
        c.post<User>('/api/users', u),
      update: (id: number, p: { display_name?: string; role?: Role; disabled?: boolean }) =>
        c.patch<User>(`/api/users/${id}`, p),
      remove: (id: number) => c.del(`/api/users/${id}`),
      setPassword: (id: number, p: { current_password?: string; new_password: string }) =>
        c.put<undefined>(`/api/users/${id}/password`, p),
    },
    tokens: {
      list: () => c.get<ApiToken[]>('/api/tokens'),
      create: (t: { name: string; expires_at?: string }) => c.post<NewApiToken>('/api/tokens', t),
      remove: (id: number) => c.del(`/api/tokens/${id}`),
    },
    folders: {
      list: () => c.get<Folder[]>('/api/folders'),
      create: (path: string) => c.post<Folder>('/api/folders', { path }),
      rename: (path: string, newPath: string) =>
        c.patch<Folder>(`/api/folders/${encodePath(path)}`, { path: newPath }),
      remove: (path: string) => c.del(`/api/folders/${encodePath(path)}`),
    },
    labs: {
      list: () => c.get<LabItem[]>('/api/labs'),
      create: (folder: string, name: string) => c.post<LabItem>('/api/labs', { folder, name }),
      importJson: (folder: string, name: string, doc: unknown) =>
        c.post<LabItem>('/api/labs/import', { folder, name, lab: doc }),
      importUnl: (folder: string, name: string, xml: string | Blob) =>
        c.request<ImportUnlResult>('POST', '/api/labs/import-unl', {
          query: { folder, name },
          body: xml,
          contentType: 'application/xml',
        }),
      get: (id: string) => c.get<LabSnapshot>(lab(id)),
      update: (id: string, p: { name?: string; folder?: string }) => c.patch<LabItem>(lab(id), p),
      remove: (id: string) => c.del(lab(id)),
      /** A URL for a plain download link (the session cookie authorises it). */
      exportUrl: (id: string) => `${lab(id)}/export`,
      start: (id: string) => c.post<StartStopResult>(`${lab(id)}/start`),
      stop: (id: string) => c.post<StartStopResult>(`${lab(id)}/stop`),
      layout: (id: string, l: LayoutSpec) => c.put<undefined>(`${lab(id)}/layout`, l),
      shares: (id: string) => c.get<LabShare[]>(`${lab(id)}/shares`),
      share: (id: string, userId: number, level: ShareLevel) =>
        c.put<undefined>(`${lab(id)}/shares/${userId}`, { level }),
      unshare: (id: string, userId: number) => c.del(`${lab(id)}/shares/${userId}`),
    },
    nodes: {
      list: (labId: string) => c.get<LabNode[]>(`${lab(labId)}/nodes`),
      create: (labId: string, spec: NodeSpec) => c.post<LabNode>(`${lab(labId)}/nodes`, spec),
      createBatch: (labId: string, nodes: NodeSpec[]) =>
        c.post<LabNode[]>(`${lab(labId)}/nodes/batch`, { nodes }),
      update: (labId: string, nodeId: number, p: NodePatch) =>
        c.patch<LabNode>(node(labId, nodeId), p),
      remove: (labId: string, nodeId: number) => c.del(node(labId, nodeId)),
      action: (labId: string, nodeId: number, action: NodeAction) =>
        c.post<unknown>(`${node(labId, nodeId)}/${action}`),
      logs: (labId: string, nodeId: number, lines = 200) =>
        c.get<{ lines: string[] }>(withQuery(`${node(labId, nodeId)}/logs`, { lines })),
      consolePath: (labId: string, nodeId: number) => `${node(labId, nodeId)}/console`,
    },
    networks: {
      list: (labId: string) => c.get<LabNetwork[]>(`${lab(labId)}/networks`),
      create: (labId: string, spec: NetworkSpec) =>
        c.post<LabNetwork>(`${lab(labId)}/networks`, spec),
      update: (labId: string, netId: number, p: NetworkPatch) =>
        c.patch<LabNetwork>(`${lab(labId)}/networks/${netId}`, p),
      remove: (labId: string, netId: number) => c.del(`${lab(labId)}/networks/${netId}`),
    },
    links: {
      list: (labId: string) => c.get<LabLink[]>(`${lab(labId)}/links`),
      create: (labId: string, spec: LinkSpec) => c.post<unknown>(`${lab(labId)}/links`, spec),
      remove: (labId: string, linkId: string) =>
        c.del(`${lab(labId)}/links/${encodeURIComponent(linkId)}`),
      setMetrics: (labId: string, linkId: string, m: LinkMetricsSpec) =>
        c.put<unknown>(`${lab(labId)}/links/${encodeURIComponent(linkId)}/metrics`, m),
    },
    eventsPath: (labId: string) => `${lab(labId)}/events`,
    catalogue: {
      /** Catalogue entries (or TemplateInfo): read with `normalizeTemplate`. */
      templates: () => c.get<unknown[]>('/api/templates'),
      images: (q: { kind?: string; template?: string }) =>
        c.get<unknown>(withQuery('/api/images', q)),
    },
    system: {
      status: () => c.get<Record<string, unknown>>('/api/system/status'),
      version: () => c.get<Record<string, unknown>>('/api/system/version'),
    },
    audit: (q: {
      user?: string;
      lab?: string;
      action?: string;
      since?: string;
      until?: string;
      limit?: number;
      before?: number;
    }) => c.get<AuditPage>(withQuery('/api/audit', q)),
  };
}

export type Endpoints = ReturnType<typeof createEndpoints>;
