// The mock gateway's in-memory state: users, sessions, API tokens, folders, labs with their
// owners and shares, and the audit log. One `createStore()` per server, so tests start fresh.

import { randomBytes, randomUUID } from 'node:crypto';
import { demoLab, emptyLab } from './labs.mjs';

const ACCESS = ['viewer', 'editor', 'owner', 'admin'];
export const accessRank = (a) => (a ? ACCESS.indexOf(a) : -1);
const minAccess = (a, b) => (accessRank(a) <= accessRank(b) ? a : b);
const ROLE_CAP = { admin: 'admin', editor: 'owner', viewer: 'viewer' };

/** `a/b/c` → `a`, `a/b`, `a/b/c`. */
export function ancestors(folder) {
  const out = [];
  let cur = '';
  for (const part of folder.split('/').filter(Boolean)) {
    cur = cur ? `${cur}/${part}` : part;
    out.push(cur);
  }
  return out;
}

export function createStore() {
  const now = () => Date.now();
  let nextUser = 1;
  let nextToken = 1;
  let nextAudit = 1;
  const users = new Map(); // id → user (with password)
  const sessions = new Map(); // secret → { userId, csrf, expires_at }
  const tokens = new Map(); // id → token (with secret, userId, revoked_at)
  const folders = new Map(); // path → owner user id | null
  const labs = new Map(); // id → lab entry
  const audit = [];

  function addUser(username, password, role, display_name = '') {
    const u = {
      id: nextUser++,
      username,
      display_name,
      role,
      disabled: false,
      created_at: now(),
      password,
    };
    users.set(u.id, u);
    return u;
  }
  const admin = addUser('admin', 'admin', 'admin', 'Administrator');
  addUser('viewer', 'viewer', 'viewer', 'Vera Viewer');

  function addLab(name, folder, doc, ownerId) {
    const id = doc?.id && !labs.has(doc.id) ? doc.id : randomUUID();
    const lab = doc ?? emptyLab(id, name);
    lab.id = id;
    const entry = {
      id,
      name,
      folder,
      owner: ownerId ?? null,
      shares: new Map(), // user id → 'viewer' | 'editor'
      lab,
      runtime: {},
      seq: now() * 1000,
      ring: [],
    };
    labs.set(id, entry);
    return entry;
  }
  folders.set('team', admin.id);
  folders.set('team/ospf', admin.id);
  const demo = addLab('ospf-area0', 'team/ospf', demoLab(), admin.id);
  addLab('empty lab', '', null, admin.id);

  const userName = (id) => (id == null ? null : (users.get(id)?.username ?? null));

  return {
    users,
    sessions,
    tokens,
    folders,
    labs,
    audit,
    demo,
    addUser,
    addLab,
    userName,

    userInfo(u) {
      const { id, username, display_name, role, disabled, created_at } = u;
      return { id, username, display_name, role, disabled, created_at };
    },

    /** What user `u` may do with lab `e` (state.rs `lab_access`), or null. */
    labAccess(u, e) {
      if (!e) return null;
      const cap = ROLE_CAP[u.role];
      if (cap === 'admin') return 'admin';
      let best = null;
      if (e.owner === u.id) best = 'owner';
      const above = ancestors(e.folder);
      if (above.some((f) => folders.get(f) === u.id)) best = 'owner';
      if (!best && e.shares.has(u.id)) best = e.shares.get(u.id);
      return best ? minAccess(best, cap) : null;
    },

    labItem(e, access) {
      return { id: e.id, name: e.name, folder: e.folder, owner: userName(e.owner), access };
    },

    newSession(u) {
      const secret = randomBytes(24).toString('base64url');
      const s = { userId: u.id, csrf: randomUUID(), expires_at: now() + 8 * 3600e3 };
      sessions.set(secret, s);
      return { secret, session: s };
    },

    newToken(u, name, expires_at) {
      const secret = `nvt_${randomBytes(24).toString('base64url')}`;
      const t = {
        id: nextToken++,
        userId: u.id,
        name,
        prefix: secret.slice(0, 12),
        created_at: now(),
        expires_at: expires_at ?? null,
        last_used_at: null,
        revoked_at: null,
        secret,
      };
      tokens.set(t.id, t);
      return t;
    },

    tokenInfo(t) {
      const { id, name, prefix, created_at, expires_at, last_used_at } = t;
      return { id, name, prefix, created_at, expires_at, last_used_at };
    },

    tokenActive: (t) => !t.revoked_at && (t.expires_at == null || t.expires_at > now()),

    record(entry) {
      audit.push({
        id: nextAudit++,
        at: now(),
        user_id: entry.user_id ?? null,
        username: entry.username ?? '',
        remote_addr: entry.remote_addr ?? '127.0.0.1',
        action: entry.action,
        lab_id: entry.lab_id ?? null,
        node_id: entry.node_id ?? null,
        target: entry.target ?? null,
        result: entry.result,
        detail: entry.detail ?? null,
      });
    },
  };
}
