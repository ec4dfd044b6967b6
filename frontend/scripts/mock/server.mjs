// A stand-in for nova-ve-gateway, written to its contract (docs/api.md and the route table in
// web-gateway/src/routes/mod.rs): the same routes with the same rules (public, signed in,
// editor, admin, lab viewer/editor/owner), CSRF on changes made with a session, API tokens,
// problem details, bodies with unknown fields refused, audit of every change, the lab event
// WebSocket and node console WebSockets. It serves dist/ with the history fallback. It proves
// nothing about the real gateway.

import { createServer, STATUS_CODES } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { statfsSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { extname, join, normalize } from 'node:path';
import { WebSocketServer } from 'ws';
import { accessRank, ancestors, createStore } from './store.mjs';
import { convertUnl, iconFile, images, network, node, templates } from './labs.mjs';
import { CLOSE, createConsoles } from './console.mjs';

class HttpError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}
const fail = (status, detail) => {
  throw new HttpError(status, detail);
};
const problemBody = (status, detail) =>
  JSON.stringify({ type: 'about:blank', title: STATUS_CODES[status] ?? 'Error', status, detail });

/** Checks a JSON body's fields like serde's `deny_unknown_fields`. */
function fields(b, required, optional = []) {
  if (!b || typeof b !== 'object' || Array.isArray(b)) fail(422, 'the body must be a JSON object');
  for (const k of Object.keys(b)) {
    if (!required.includes(k) && !optional.includes(k)) {
      fail(422, `Failed to deserialize the JSON body into the target type: unknown field \`${k}\``);
    }
  }
  for (const k of required) {
    if (b[k] === undefined) {
      fail(422, `Failed to deserialize the JSON body into the target type: missing field \`${k}\``);
    }
  }
  return b;
}

const USERNAME = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$/;
const ROLES = ['admin', 'editor', 'viewer'];
const int = (v, what) => {
  if (v === null) return undefined;
  if (!/^-?\d+$/.test(v)) fail(400, `Failed to deserialize query string: ${what}: invalid digit`);
  return Number(v);
};

export function createMockGateway({
  dist = new URL('../../dist/', import.meta.url).pathname,
} = {}) {
  const store = createStore();
  const { users, sessions, tokens, folders, labs } = store;
  const listeners = new Map(); // lab id → Set<ws>

  // ----- lab changes and events ------------------------------------------------------------

  function emit(e, type, payload) {
    e.seq += 1;
    const msg = JSON.stringify({ lab_id: e.id, seq: e.seq, v: 1, type, ...payload });
    e.ring.push({ seq: e.seq, msg });
    if (e.ring.length > 1024) e.ring.shift();
    for (const ws of listeners.get(e.id) ?? []) ws.send(msg);
  }

  function runtime(e, nodeId, state) {
    const on = ['running', 'degraded', 'starting', 'stopping'].includes(state);
    return {
      node_id: nodeId,
      state,
      unit: on ? `nova-node-${e.id}-${nodeId}.scope` : '',
      pid: on ? 4000 + nodeId : 0,
      console: on ? `pty:nova-node-${e.id}-${nodeId}` : '',
      interfaces: [],
      problems: [],
    };
  }

  function setState(e, id, state) {
    e.runtime[id] = runtime(e, id, state);
    emit(e, 'node_state', e.runtime[id]);
    if (state === 'stopped' || state === 'stopping') {
      consoles.end(e.id, id, CLOSE.ENDED, 'the console ended (the node stopped)');
    }
  }

  const isUp = (e, id) => ['running', 'degraded'].includes(e.runtime[id]?.state);

  // The demo lab starts with r1 running.
  store.demo.runtime[1] = runtime(store.demo, 1, 'running');

  const consoles = createConsoles({
    onExit: (labId, nodeId) => {
      const e = labs.get(labId);
      if (e) setTimeout(() => setState(e, nodeId, 'stopped'), 50);
    },
  });

  function deleteLink(e, id) {
    const L = e.lab;
    const l = L.links.find((x) => x.id === id);
    if (!l) return;
    const net = L.networks[l.to.network_id];
    const group = net?.implicit ? L.links.filter((x) => x.to.network_id === net.id) : [l];
    for (const g of group) {
      L.links = L.links.filter((x) => x.id !== g.id);
      emit(e, 'link_deleted', { link_id: g.id, link: g });
    }
    if (net?.implicit) {
      delete L.networks[net.id];
      emit(e, 'network_deleted', { network_id: net.id });
    }
  }

  const nextId = (obj) => Math.max(0, ...Object.keys(obj).map(Number)) + 1;
  const snapshot = (e) => ({
    ref: { id: e.id, name: e.name, folder: e.folder },
    lab: e.lab,
    runtime: e.runtime,
    seq: e.seq,
  });
  const nodeOf = (e, p) => e.lab.nodes[p.node] ?? fail(404, `no node ${p.node} in lab "${e.id}"`);
  const netOf = (e, p) =>
    e.lab.networks[p.net] ?? fail(404, `no network ${p.net} in lab "${e.id}"`);
  const userOf = (id) => users.get(Number(id)) ?? fail(404, `no user ${id}`);
  const admins = () => [...users.values()].filter((u) => u.role === 'admin' && !u.disabled);

  function checkPassword(pw) {
    const n = Buffer.byteLength(pw ?? '');
    if (n < 8) fail(400, `the password is too short (${n} bytes); use at least 8`);
    if (n > 1024) fail(400, `the password is too long (${n} bytes); use at most 1024`);
  }

  // ----- the route table (as web-gateway/src/routes/mod.rs) --------------------------------

  const routes = [];
  const route = (method, path, rule, action, handler) => {
    const names = [];
    const re = path
      .split('/')
      .map((seg) => {
        const m = /^\{(\*?)(\w+)\}$/.exec(seg);
        if (!m) return seg.replace(/\./g, '\\.');
        names.push(m[2]);
        return m[1] ? '(.+)' : '([^/]+)';
      })
      .join('/');
    routes.push({ method, path, rule, action, handler, re: new RegExp(`^${re}$`), names });
  };
  const ok = (body, status = 200) => ({ status, body });
  const none = (status = 204) => ({ status });

  // session and users
  route('POST', '/api/session', 'Public', 'user.login', ({ body, req }) => {
    const b = fields(body, ['username', 'password']);
    const u = [...users.values()].find((x) => x.username === b.username);
    // A sign-in names its user (or the name tried) in the audit record.
    req.auditUser = { name: String(b.username).slice(0, 128), id: u?.id ?? null };
    if (!u || u.password !== b.password || u.disabled) fail(401, 'wrong username or password');
    const { secret, session } = store.newSession(u);
    req.setCookie = `nova_session=${secret}; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800`;
    return ok(
      { user: store.userInfo(u), csrf_token: session.csrf, expires_at: session.expires_at },
      201,
    );
  });
  route('GET', '/api/session', 'SignedIn', '', ({ me }) => {
    if (!me.session) fail(400, 'this request used an API token, not a session');
    return ok({
      user: store.userInfo(me.user),
      csrf_token: me.session.csrf,
      expires_at: me.session.expires_at,
    });
  });
  route('DELETE', '/api/session', 'Public', 'user.logout', ({ req }) => {
    const secret = cookieOf(req);
    if (secret) sessions.delete(secret);
    req.setCookie = 'nova_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0';
    return none();
  });
  route('GET', '/api/users', 'Admin', '', () => ok([...users.values()].map(store.userInfo)));
  route('POST', '/api/users', 'Admin', 'user.create', ({ body }) => {
    const b = fields(body, ['username', 'password', 'role'], ['display_name']);
    if (!USERNAME.test(b.username)) {
      fail(
        400,
        `username "${b.username}" is invalid; use 1 to 64 letters, digits, '.', '_' or '-', not starting with '.' or '-'`,
      );
    }
    if (!ROLES.includes(b.role)) fail(422, `unknown variant \`${b.role}\``);
    checkPassword(b.password);
    if ([...users.values()].some((u) => u.username.toLowerCase() === b.username.toLowerCase())) {
      fail(409, `user "${b.username}" already exists`);
    }
    return ok(
      store.userInfo(store.addUser(b.username, b.password, b.role, b.display_name ?? '')),
      201,
    );
  });
  route('GET', '/api/users/{user}', 'SignedIn', '', ({ me, params }) => {
    if (me.user.role !== 'admin' && me.user.id !== Number(params.user)) {
      fail(403, 'only administrators may read other users');
    }
    return ok(store.userInfo(userOf(params.user)));
  });
  route('PATCH', '/api/users/{user}', 'Admin', 'user.update', ({ me, params, body }) => {
    const b = fields(body, [], ['display_name', 'role', 'disabled']);
    const u = userOf(params.user);
    if (u.id === me.user.id && (b.role !== undefined || b.disabled !== undefined)) {
      fail(403, 'you cannot change your own role or disable yourself; ask another administrator');
    }
    if (b.role !== undefined && !ROLES.includes(b.role)) fail(422, `unknown variant \`${b.role}\``);
    const demotes = u.role === 'admin' && ((b.role && b.role !== 'admin') || b.disabled === true);
    if (demotes && admins().length <= 1) fail(409, `user ${u.id} is the last administrator`);
    if (b.display_name !== undefined) u.display_name = b.display_name;
    if (b.role !== undefined) u.role = b.role;
    if (b.disabled !== undefined) {
      u.disabled = b.disabled;
      if (u.disabled) for (const [k, s] of sessions) if (s.userId === u.id) sessions.delete(k);
    }
    return ok(store.userInfo(u));
  });
  route('DELETE', '/api/users/{user}', 'Admin', 'user.delete', ({ me, params }) => {
    const u = userOf(params.user);
    if (u.id === me.user.id) fail(403, 'you cannot delete yourself');
    if (u.role === 'admin' && admins().length <= 1)
      fail(409, `user ${u.id} is the last administrator`);
    users.delete(u.id);
    for (const [k, s] of sessions) if (s.userId === u.id) sessions.delete(k);
    for (const [k, t] of tokens) if (t.userId === u.id) tokens.delete(k);
    // As the database: owned labs and folders lose their owner, shares go.
    for (const e of labs.values()) {
      if (e.owner === u.id) e.owner = null;
      e.shares.delete(u.id);
    }
    for (const [p, owner] of folders) if (owner === u.id) folders.set(p, null);
    return none();
  });
  route(
    'PUT',
    '/api/users/{user}/password',
    'SignedIn',
    'user.password',
    ({ me, params, body }) => {
      const b = fields(body, ['new_password'], ['current_password']);
      const own = me.user.id === Number(params.user);
      if (!own && me.user.role !== 'admin') {
        fail(403, "only administrators may set other users' passwords");
      }
      const u = userOf(params.user);
      if (own) {
        if (b.current_password === undefined) fail(400, 'current_password is required');
        if (b.current_password !== u.password) fail(403, 'current_password is wrong');
      }
      checkPassword(b.new_password);
      u.password = b.new_password;
      return none();
    },
  );

  // API tokens (each user their own)
  route('GET', '/api/tokens', 'SignedIn', '', ({ me }) =>
    ok(
      [...tokens.values()]
        .filter((t) => t.userId === me.user.id && store.tokenActive(t))
        .map(store.tokenInfo),
    ),
  );
  route('POST', '/api/tokens', 'SignedIn', 'token.create', ({ me, body }) => {
    const b = fields(body, ['name'], ['expires_at']);
    const n = [...String(b.name)].length;
    if (n === 0) fail(400, 'the API token name is empty');
    if (n > 64) fail(400, `the API token name is too long (${n} characters); use at most 64`);
    if (b.expires_at !== undefined && !Number.isInteger(b.expires_at)) {
      fail(422, 'expires_at: invalid type, expected i64');
    }
    const t = store.newToken(me.user, b.name, b.expires_at);
    return ok({ token: store.tokenInfo(t), secret: t.secret }, 201);
  });
  route('DELETE', '/api/tokens/{token}', 'SignedIn', 'token.revoke', ({ me, params }) => {
    const t = tokens.get(Number(params.token));
    if (!t || t.userId !== me.user.id || t.revoked_at) {
      fail(404, `API token ${params.token} of user ${me.user.id}`);
    }
    t.revoked_at = Date.now();
    return none();
  });

  // folders
  route('GET', '/api/folders', 'SignedIn', '', () =>
    ok([...folders].map(([path, owner]) => ({ path, owner: store.userName(owner) }))),
  );
  route('POST', '/api/folders', 'Editor', 'folder.create', ({ me, body }) => {
    const { path } = fields(body, ['path']);
    if (folders.has(path)) fail(409, `folder "${path}" already exists`);
    for (const a of ancestors(path)) if (!folders.has(a)) folders.set(a, me.user.id);
    return none(201);
  });
  const folderGuard = (me, path) => {
    if (!folders.has(path)) fail(404, `no folder "${path}"`);
    if (me.user.role !== 'admin' && folders.get(path) !== me.user.id) {
      fail(403, `only the owner of folder "${path}" or an administrator may change it`);
    }
  };
  route('PATCH', '/api/folders/{*path}', 'Editor', 'folder.rename', ({ me, params, body }) => {
    const to = fields(body, ['path']).path;
    const from = params.path;
    folderGuard(me, from);
    if (folders.has(to)) fail(409, `folder "${to}" already exists`);
    const move = (p) =>
      p === from ? to : p.startsWith(`${from}/`) ? to + p.slice(from.length) : p;
    for (const [p, owner] of [...folders]) {
      folders.delete(p);
      folders.set(move(p), owner);
    }
    for (const e of labs.values()) {
      const f = move(e.folder);
      if (f !== e.folder) {
        e.folder = f;
        emit(e, 'lab_renamed', { lab: { id: e.id, name: e.name, folder: f } });
      }
    }
    return none();
  });
  route('DELETE', '/api/folders/{*path}', 'Editor', 'folder.delete', ({ me, params }) => {
    const p = params.path;
    folderGuard(me, p);
    const inside = (f) => f === p || f.startsWith(`${p}/`);
    if (
      [...labs.values()].some((l) => inside(l.folder)) ||
      [...folders.keys()].some((f) => f !== p && inside(f))
    ) {
      fail(409, `folder "${p}" is not empty`);
    }
    folders.delete(p);
    return none();
  });

  // labs
  route('GET', '/api/labs', 'SignedIn', '', ({ me }) => {
    const out = [];
    for (const e of labs.values()) {
      const a = store.labAccess(me.user, e);
      if (a) out.push(store.labItem(e, a));
    }
    return ok(out);
  });
  function newLab(me, name, folder, doc) {
    if ([...labs.values()].some((l) => l.folder === folder && l.name === name)) {
      fail(409, `a lab "${name}" exists in folder "${folder}"`);
    }
    for (const a of ancestors(folder)) if (!folders.has(a)) folders.set(a, me.user.id);
    const e = store.addLab(name, folder, doc, me.user.id);
    emit(e, 'lab_created', { lab: { id: e.id, name, folder } });
    return { ...ok(store.labItem(e, 'owner'), 201), labId: e.id };
  }
  route('POST', '/api/labs', 'Editor', 'lab.create', ({ me, body }) => {
    const b = fields(body, ['folder', 'name']);
    return newLab(me, b.name, b.folder, null);
  });
  route('POST', '/api/labs/import', 'Editor', 'lab.import', ({ me, body }) => {
    const b = fields(body, ['folder', 'name', 'lab']);
    if (!b.lab || typeof b.lab !== 'object' || ![1, 2].includes(b.lab.schema)) {
      fail(400, 'not a lab document: schema must be 1 or 2');
    }
    return newLab(me, b.name, b.folder, structuredClone(b.lab));
  });
  route('POST', '/api/labs/import/unl', 'Editor', 'lab.import', ({ me, url, raw }) => {
    const q = url.searchParams;
    for (const k of q.keys()) {
      if (!['folder', 'name'].includes(k))
        fail(400, `Failed to deserialize query string: unknown field \`${k}\``);
    }
    if (!raw) fail(400, 'send the .unl file as the request body (curl --data-binary @lab.unl)');
    const { lab, review } = convertUnl(raw);
    const name = q.get('name') || lab.meta.name;
    const out = newLab(me, name, q.get('folder') ?? '', lab);
    return { ...out, body: { lab: out.body, review } };
  });
  route('GET', '/api/labs/{id}', 'LabView', '', ({ e }) => ok(snapshot(e)));
  route('PATCH', '/api/labs/{id}', 'LabOwner', 'lab.rename', ({ e, body }) => {
    const b = fields(body, [], ['name', 'folder']);
    if (b.name !== undefined) e.name = b.name;
    if (b.folder !== undefined) e.folder = b.folder;
    emit(e, 'lab_renamed', { lab: { id: e.id, name: e.name, folder: e.folder } });
    // The gateway answers `owner` whoever renamed it.
    return ok(store.labItem(e, 'owner'));
  });
  route('DELETE', '/api/labs/{id}', 'LabOwner', 'lab.delete', ({ e }) => {
    labs.delete(e.id);
    emit(e, 'lab_deleted', { lab_id: e.id });
    consoles.endLab(e.id, CLOSE.GONE, 'lab deleted');
    for (const ws of listeners.get(e.id) ?? []) ws.close(CLOSE.GONE, 'lab deleted');
    return none();
  });
  route('GET', '/api/labs/{id}/export', 'LabView', '', ({ e }) => ({
    status: 200,
    raw: JSON.stringify(e.lab, null, 2),
    headers: {
      'content-type': 'application/json',
      'content-disposition': `attachment; filename="${e.name.replace(/[^A-Za-z0-9_-]/g, '_')}.json"`,
    },
  }));
  route('GET', '/api/labs/{id}/events', 'LabView', '', () =>
    fail(400, 'WebSocket upgrade expected'),
  );
  const startOne = (e, n) => {
    if (n.type !== 'linux')
      return `not supported: ${n.type} nodes cannot be started by this version yet`;
    if (!isUp(e, n.id)) setState(e, n.id, 'running');
    return null;
  };
  route('POST', '/api/labs/{id}/start', 'LabEdit', 'lab.start', ({ e }) => {
    const failed = [];
    for (const n of Object.values(e.lab.nodes)) {
      const why = startOne(e, n);
      if (why) failed.push({ node_id: n.id, reason: why });
    }
    return ok({ failed });
  });
  route('POST', '/api/labs/{id}/stop', 'LabEdit', 'lab.stop', ({ e }) => {
    for (const n of Object.values(e.lab.nodes)) {
      if ((e.runtime[n.id]?.state ?? 'stopped') !== 'stopped') setState(e, n.id, 'stopped');
    }
    return ok({ failed: [] });
  });
  route('GET', '/api/labs/{id}/shares', 'LabOwner', '', ({ e }) =>
    ok([...e.shares].map(([id, level]) => ({ user_id: id, username: store.userName(id), level }))),
  );
  route('PUT', '/api/labs/{id}/shares/{user}', 'LabOwner', 'lab.share', ({ e, params, body }) => {
    const { level } = fields(body, ['level']);
    if (!['viewer', 'editor'].includes(level)) {
      fail(400, `a lab can be shared as viewer or editor, not ${level}`);
    }
    const u = userOf(params.user);
    e.shares.set(u.id, level);
    return none();
  });
  route('DELETE', '/api/labs/{id}/shares/{user}', 'LabOwner', 'lab.unshare', ({ e, params }) => {
    const id = Number(params.user);
    e.shares.delete(id);
    consoles.endLab(e.id, CLOSE.FORBIDDEN, 'access to this lab was revoked', id);
    for (const ws of listeners.get(e.id) ?? []) {
      if (ws.userId === id) ws.close(CLOSE.FORBIDDEN, 'access to this lab was revoked');
    }
    return none();
  });

  // nodes
  const withRuntime = (e, n) => ({ ...n, runtime: e.runtime[n.id] ?? null });
  const NODE_SPEC = [
    'name',
    'template',
    'type',
    'image',
    'cpu',
    'ram',
    'ethernet',
    'cpulimit',
    'console',
    'icon',
    'left',
    'top',
    'extras',
  ];
  function addNode(e, spec) {
    const b = fields(spec, ['name', 'template'], NODE_SPEC);
    const t =
      templates.find((x) => x.key === b.template) ?? fail(400, `unknown template "${b.template}"`);
    const L = e.lab;
    if (Object.values(L.nodes).some((n) => n.name.toLowerCase() === String(b.name).toLowerCase())) {
      fail(409, `a node named "${b.name}" exists in this lab`);
    }
    const id = nextId(L.nodes);
    const n = node(id, b.name, t.key, t.type, b.left ?? 0, b.top ?? 0, {
      cpu: b.cpu ?? t.cpu,
      ram: b.ram ?? t.ram,
      ethernet: b.ethernet ?? t.ethernet,
      console: b.console ?? t.console_type,
      icon: b.icon ?? iconFile(t.icon_type),
      image: b.image ?? '',
      extras: b.extras ?? {},
    });
    L.nodes[id] = n;
    emit(e, 'node_created', { node: n });
    return { id: String(id) };
  }
  route('GET', '/api/labs/{id}/nodes', 'LabView', '', ({ e }) =>
    ok(Object.values(e.lab.nodes).map((n) => withRuntime(e, n))),
  );
  route('POST', '/api/labs/{id}/nodes', 'LabEdit', 'node.create', ({ e, body }) =>
    ok(addNode(e, body), 201),
  );
  route('POST', '/api/labs/{id}/nodes/batch', 'LabEdit', 'node.create', ({ e, body }) => {
    const { nodes } = fields(body, ['nodes']);
    if (!Array.isArray(nodes)) fail(422, 'nodes: invalid type, expected a sequence');
    if (nodes.length > 256) fail(400, 'at most 256 nodes per batch');
    const out = [];
    nodes.forEach((spec, i) => {
      try {
        out.push(addNode(e, spec));
      } catch (err) {
        fail(
          err.status ?? 500,
          `node ${i} ("${spec?.name}"): ${err.message} (${out.length} added before it)`,
        );
      }
    });
    return ok(out, 201);
  });
  route('GET', '/api/labs/{id}/nodes/{node}', 'LabView', '', ({ e, params }) =>
    ok(withRuntime(e, nodeOf(e, params))),
  );
  route('PATCH', '/api/labs/{id}/nodes/{node}', 'LabEdit', 'node.update', ({ e, params, body }) => {
    const n = nodeOf(e, params);
    const b = fields(
      body,
      [],
      NODE_SPEC.filter((k) => k !== 'type'),
    );
    if (
      isUp(e, n.id) &&
      ['cpu', 'ram', 'ethernet', 'image'].some((k) => b[k] !== undefined && b[k] !== n[k])
    ) {
      fail(409, `node ${n.id} is running; stop it to change its CPUs, memory, interfaces or image`);
    }
    Object.assign(n, b);
    emit(e, 'node_updated', { node: n });
    return none();
  });
  route('DELETE', '/api/labs/{id}/nodes/{node}', 'LabEdit', 'node.delete', ({ e, params }) => {
    const n = nodeOf(e, params);
    const L = e.lab;
    for (const l of L.links.filter((l) => [l.from, l.to].some((x) => x.node_id === n.id)))
      deleteLink(e, l.id);
    delete L.nodes[n.id];
    delete e.runtime[n.id];
    consoles.end(e.id, n.id, CLOSE.GONE, 'node deleted');
    emit(e, 'node_deleted', { node_id: n.id });
    return none();
  });
  route('POST', '/api/labs/{id}/nodes/{node}/start', 'LabEdit', 'node.start', ({ e, params }) => {
    const n = nodeOf(e, params);
    if (n.type !== 'linux')
      fail(422, `not supported: ${n.type} nodes cannot be started by this version yet`);
    if (isUp(e, n.id)) fail(409, `node ${n.id} is already running`);
    setState(e, n.id, 'starting');
    setTimeout(() => labs.has(e.id) && e.lab.nodes[n.id] && setState(e, n.id, 'running'), 300);
    return none();
  });
  route('POST', '/api/labs/{id}/nodes/{node}/stop', 'LabEdit', 'node.stop', ({ e, params }) => {
    const n = nodeOf(e, params);
    setState(e, n.id, 'stopping');
    setTimeout(() => labs.has(e.id) && e.lab.nodes[n.id] && setState(e, n.id, 'stopped'), 200);
    return none();
  });
  route('POST', '/api/labs/{id}/nodes/{node}/wipe', 'LabEdit', 'node.wipe', ({ e, params }) => {
    const n = nodeOf(e, params);
    if (isUp(e, n.id)) fail(409, `node ${n.id} is running; stop it before wiping it`);
    emit(e, 'node_wiped', { node_id: n.id });
    return none();
  });
  route('GET', '/api/labs/{id}/nodes/{node}/console', 'LabEdit', 'node.console', () =>
    fail(400, 'WebSocket upgrade expected'),
  );

  // networks and links
  route('GET', '/api/labs/{id}/networks', 'LabView', '', ({ e }) =>
    ok(Object.values(e.lab.networks)),
  );
  route('POST', '/api/labs/{id}/networks', 'LabEdit', 'network.create', ({ e, body }) => {
    const b = fields(body, ['name'], ['type', 'left', 'top', 'icon', 'visibility']);
    const id = nextId(e.lab.networks);
    const n = network(id, b.name, b.type ?? 'linux_bridge', b.left ?? 0, b.top ?? 0);
    if (b.visibility !== undefined) n.visibility = b.visibility;
    e.lab.networks[id] = n;
    emit(e, 'network_created', { network: n });
    return ok({ id: String(id) }, 201);
  });
  route(
    'PATCH',
    '/api/labs/{id}/networks/{net}',
    'LabEdit',
    'network.update',
    ({ e, params, body }) => {
      const n = netOf(e, params);
      Object.assign(n, fields(body, [], ['name', 'left', 'top', 'icon', 'visibility']));
      emit(e, 'network_updated', { network: n });
      return none();
    },
  );
  route('DELETE', '/api/labs/{id}/networks/{net}', 'LabEdit', 'network.delete', ({ e, params }) => {
    const n = netOf(e, params);
    for (const l of e.lab.links.filter((l) => [l.from, l.to].some((x) => x.network_id === n.id)))
      deleteLink(e, l.id);
    delete e.lab.networks[n.id];
    emit(e, 'network_deleted', { network_id: n.id });
    return none();
  });
  route('GET', '/api/labs/{id}/links', 'LabView', '', ({ e }) => ok(e.lab.links));
  route('POST', '/api/labs/{id}/links', 'LabEdit', 'link.create', ({ e, body }) => {
    const b = fields(body, ['from', 'to'], ['metrics']);
    const L = e.lab;
    const used = (end) =>
      L.links.some((l) =>
        [l.from, l.to].some(
          (x) => x.node_id === end.node_id && x.interface_index === end.interface_index,
        ),
      );
    if (used(b.from) || (b.to.node_id !== undefined && used(b.to)))
      fail(409, 'that interface is already linked');
    const nextLink = () =>
      `lnk_${String(Math.max(0, ...L.links.map((l) => Number(l.id.slice(4)) || 0)) + 1).padStart(3, '0')}`;
    if (b.to.network_id !== undefined) {
      netOf(e, { net: b.to.network_id });
      const l = { id: nextLink(), from: b.from, to: b.to, style_override: null };
      L.links.push(l);
      emit(e, 'link_created', { link: l });
      return ok({ id: l.id }, 201);
    }
    const id = nextId(L.networks);
    const net = network(id, `p2p_${id}`, 'linux_bridge', 0, 0, {
      visibility: false,
      implicit: true,
    });
    L.networks[id] = net;
    emit(e, 'network_created', { network: net });
    const a = { id: nextLink(), from: b.from, to: { network_id: id }, style_override: null };
    L.links.push(a);
    emit(e, 'link_created', { link: a });
    const c = { id: nextLink(), from: b.to, to: { network_id: id }, style_override: null };
    L.links.push(c);
    emit(e, 'link_created', { link: c });
    return ok({ id: a.id }, 201);
  });
  const linkOf = (e, p) =>
    e.lab.links.find((x) => x.id === p.link) ?? fail(404, `no link "${p.link}"`);
  route('DELETE', '/api/labs/{id}/links/{link}', 'LabEdit', 'link.delete', ({ e, params }) => {
    deleteLink(e, linkOf(e, params).id);
    return none();
  });
  route(
    'PUT',
    '/api/labs/{id}/links/{link}/metrics',
    'LabEdit',
    'link.metrics',
    ({ e, params, body }) => {
      const l = linkOf(e, params);
      const m = fields(body, ['delay_ms', 'jitter_ms', 'loss_pct', 'bandwidth_kbps']);
      if (m.jitter_ms > m.delay_ms) fail(400, 'jitter must not exceed the delay');
      if (m.loss_pct < 0 || m.loss_pct > 100) fail(400, 'loss must be 0 to 100 percent');
      if (m.delay_ms > 0 || m.jitter_ms > 0) {
        fail(422, 'not supported: delay and jitter need sch_netem, which this kernel lacks');
      }
      l.metrics = m;
      emit(e, 'link_updated', { link: l });
      return none();
    },
  );
  // Captures: a pcap file with the global header only (the mock carries no packets).
  const pcap = (e, nodeId, index, url) => {
    const seconds = url.searchParams.get('seconds');
    if (seconds !== null && !/^[1-9]\d{0,4}$/.test(seconds))
      fail(400, `seconds=${seconds}: a capture lasts 1 to 86400 seconds`);
    if (!isUp(e, nodeId)) fail(409, `node ${nodeId} is not running`);
    const n = e.lab.nodes[nodeId];
    if (
      !e.lab.links.some((l) =>
        [l.from, l.to].some((x) => x.node_id === n.id && x.interface_index === index),
      )
    )
      fail(409, `interface ${index} of ${n.name} is not linked`);
    const header = Buffer.alloc(24);
    header.writeUInt32LE(0xa1b2c3d4, 0);
    header.writeUInt16LE(2, 4);
    header.writeUInt16LE(4, 6);
    header.writeUInt32LE(262144, 16);
    header.writeUInt32LE(1, 20);
    return {
      status: 200,
      raw: header,
      headers: {
        'content-type': 'application/vnd.tcpdump.pcap',
        'content-disposition': `attachment; filename="${e.id}-${n.name}-${index}.pcap"`,
      },
    };
  };
  route(
    'GET',
    '/api/labs/{id}/links/{link}/capture',
    'LabView',
    'link.capture',
    ({ e, params, url }) => {
      const l = linkOf(e, params);
      const end = [l.from, l.to].find((x) => x.node_id !== undefined);
      if (!end) fail(409, `link ${l.id} has no node end`);
      return pcap(e, end.node_id, end.interface_index, url);
    },
  );
  route(
    'GET',
    '/api/labs/{id}/nodes/{node}/interfaces/{index}/capture',
    'LabView',
    'node.capture',
    ({ e, params, url }) => {
      const n = nodeOf(e, params);
      const index = Number(params.index);
      if (!Number.isInteger(index) || index < 0 || index >= n.ethernet)
        fail(404, `no interface ${params.index} on ${n.name}`);
      return pcap(e, n.id, index, url);
    },
  );
  route('PUT', '/api/labs/{id}/layout', 'LabEdit', 'lab.layout', ({ e, body }) => {
    const b = fields(body, ['nodes', 'networks'], ['viewport']);
    const L = e.lab;
    for (const [id, p] of Object.entries(b.nodes)) if (L.nodes[id]) Object.assign(L.nodes[id], p);
    for (const [id, p] of Object.entries(b.networks))
      if (L.networks[id]) Object.assign(L.networks[id], p);
    if (b.viewport) L.viewport = b.viewport;
    emit(e, 'layout_updated', {
      node_ids: Object.keys(b.nodes).map(Number),
      network_ids: Object.keys(b.networks).map(Number),
      nodes: b.nodes,
      networks: b.networks,
      viewport: b.viewport ?? null,
    });
    return none();
  });

  // catalogue, audit, system
  route('GET', '/api/templates', 'SignedIn', '', () => ok(templates));
  route('GET', '/api/images', 'SignedIn', '', ({ url }) => {
    const q = url.searchParams;
    for (const k of q.keys()) {
      if (!['kind', 'template'].includes(k))
        fail(400, `Failed to deserialize query string: unknown field \`${k}\``);
    }
    for (const k of ['kind', 'template']) {
      if (!q.has(k)) fail(400, `Failed to deserialize query string: missing field \`${k}\``);
    }
    return ok(images[q.get('template')] ?? []);
  });
  // An image upload: the raw body (a stand-in checksum; the gateway computes the real SHA-256).
  route('PUT', '/api/images/{kind}/{name}', 'Admin', 'image.upload', ({ params, raw }) => {
    if (!/^[A-Za-z0-9][A-Za-z0-9._+-]{0,127}$/.test(params.name)) {
      fail(400, `image ${JSON.stringify(params.name)}: letters, digits and . _ - + only`);
    }
    const size = Buffer.byteLength(raw ?? '');
    return ok({ kind: params.kind, name: params.name, size, sha256: '0'.repeat(64) }, 201);
  });
  route('GET', '/api/audit', 'Admin', '', ({ url }) => {
    const q = url.searchParams;
    const known = ['user', 'lab', 'action', 'result', 'since', 'until', 'limit', 'before'];
    for (const k of q.keys()) {
      if (!known.includes(k))
        fail(400, `Failed to deserialize query string: unknown field \`${k}\``);
    }
    const user = int(q.get('user'), 'user');
    const since = int(q.get('since'), 'since');
    const until = int(q.get('until'), 'until');
    const before = int(q.get('before'), 'before');
    const limit = Math.min(1000, Math.max(1, int(q.get('limit'), 'limit') ?? 100));
    const result = q.get('result');
    if (result !== null && !['ok', 'denied', 'error'].includes(result)) {
      fail(400, `unknown audit result "${result}"`);
    }
    const action = q.get('action');
    const lab = q.get('lab');
    const entries = store.audit
      .filter(
        (a) =>
          (user === undefined || a.user_id === user) &&
          (lab === null || a.lab_id === lab) &&
          (action === null || a.action.startsWith(action)) &&
          (result === null || a.result === result) &&
          (since === undefined || a.at >= since) &&
          (until === undefined || a.at < until) &&
          (before === undefined || a.id < before),
      )
      .sort((a, b) => b.id - a.id)
      .slice(0, limit)
      .map(({ user_id: _, ...rest }) => rest);
    const last = entries.at(-1);
    return ok({ entries, next_before: entries.length >= limit && last ? last.id : null });
  });
  route('GET', '/api/system/health', 'Public', '', () => ({
    status: 200,
    raw: 'ok',
    headers: { 'content-type': 'text/plain; charset=utf-8' },
  }));
  route('GET', '/api/system/version', 'Public', '', () =>
    ok({ gateway: '0.0.0-mock', labd: 'mock', event_schema: 1 }),
  );
  // The gateway generates its document from its route table and types; the mock lists its own
  // routes, so the API docs page (/api-docs/) has something to show.
  route('GET', '/api/openapi.json', 'Public', '', () => {
    const paths = {};
    for (const r of routes) {
      (paths[r.path.replace('{*', '{')] ??= {})[r.method.toLowerCase()] = {
        summary: `${r.method} ${r.path} (mock gateway)`,
        'x-nova-rule': r.rule,
        responses: { default: { description: 'see GET /api/openapi.json of the real gateway' } },
      };
    }
    return ok({
      openapi: '3.1.0',
      info: { title: 'nova-ve HTTP API (mock gateway)', version: '0.0.0-mock' },
      paths,
    });
  });
  route('GET', '/api/system/status', 'Admin', '', () => {
    let disk = { total: 0, available: 0 };
    try {
      const s = statfsSync('/');
      disk = { total: s.blocks * s.bsize, available: s.bavail * s.bsize };
    } catch {
      // not available here
    }
    const nodes = {};
    for (const e of labs.values()) {
      for (const n of Object.values(e.lab.nodes)) {
        const state = e.runtime[n.id]?.state ?? 'stopped';
        nodes[n.type] ??= {};
        nodes[n.type][state] = (nodes[n.type][state] ?? 0) + 1;
      }
    }
    return ok({
      cpus: cpus().length,
      load1: loadavg()[0],
      memory_total: totalmem(),
      memory_available: freemem(),
      disk_total: disk.total,
      disk_available: disk.available,
      labs: labs.size,
      nodes,
    });
  });

  // ----- the guard (web-gateway/src/guard.rs) ----------------------------------------------

  function cookieOf(req) {
    return /(?:^|;\s*)nova_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
  }

  function identify(req) {
    const auth = req.headers.authorization;
    if (auth) {
      const secret = /^Bearer (.+)$/.exec(auth)?.[1]?.trim();
      if (!secret) fail(401, 'Authorization must be `Bearer <token>`');
      const t = [...tokens.values()].find((x) => x.secret === secret && store.tokenActive(x));
      const u = t && users.get(t.userId);
      if (!u || u.disabled) fail(401, 'the API token is unknown, revoked or expired');
      t.last_used_at = Date.now();
      return { user: u, session: null };
    }
    const secret = cookieOf(req);
    const s = secret && sessions.get(secret);
    if (!s || s.expires_at < Date.now()) return null;
    const u = users.get(s.userId);
    return u && !u.disabled ? { user: u, session: s } : null;
  }

  const isChange = (m) => !['GET', 'HEAD', 'OPTIONS'].includes(m);

  /** Who may do what: the identity, and the lab entry and access for lab routes. */
  function authorize(req, r, params) {
    const me = identify(req);
    // Who called is kept for the audit record, also when they are refused.
    req.who = me?.user;
    if (isChange(req.method) && me?.session && req.headers['x-csrf-token'] !== me.session.csrf) {
      fail(403, 'missing or wrong X-CSRF-Token header (take it from GET /api/session)');
    }
    if (r.rule === 'Public') return { me };
    if (!me) {
      fail(401, 'sign in first (POST /api/session) or send an API token as Authorization: Bearer');
    }
    const role = me.user.role;
    if (r.rule === 'Editor' && role === 'viewer') {
      fail(403, `your role is ${role}; creating labs and folders needs editor or admin`);
    }
    if (r.rule === 'Admin' && role !== 'admin') fail(403, 'only administrators may do this');
    if (!r.rule.startsWith('Lab')) return { me };
    const e = labs.get(params.id);
    const access = store.labAccess(me.user, e);
    if (!access) fail(404, `no lab "${params.id}"`);
    const need = { LabView: 'viewer', LabEdit: 'editor', LabOwner: 'owner' }[r.rule];
    if (accessRank(access) < accessRank(need)) {
      fail(403, `you are ${access} of lab "${params.id}"; this needs ${need}`);
    }
    return { me, e, access };
  }

  function find(method, path) {
    let pathMatched = false;
    for (const r of routes) {
      const m = r.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (r.method !== (method === 'HEAD' ? 'GET' : method)) continue;
      const params = {};
      r.names.forEach((n, i) => {
        params[n] = decodeURIComponent(m[i + 1]);
      });
      return { r, params };
    }
    if (pathMatched) fail(405, `${method} is not allowed here`);
    fail(404, `no route ${method} ${path}`);
  }

  const readBody = (req) =>
    new Promise((resolve, reject) => {
      const chunks = [];
      let size = 0;
      req.on('data', (c) => {
        size += c.length;
        if (size > 4 * 1024 * 1024 + 64 * 1024) reject(new HttpError(413, 'the body is too large'));
        chunks.push(c);
      });
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });

  async function handleApi(req, res, url) {
    let found = null;
    let out;
    try {
      found = find(req.method, url.pathname);
      const { r, params } = found;
      const ctx = { req, url, params, ...authorize(req, r, params) };
      if (['POST', 'PUT', 'PATCH'].includes(req.method)) {
        const raw = await readBody(req);
        if (r.path.endsWith('/unl') || r.path.startsWith('/api/images/')) ctx.raw = raw;
        else if (raw !== '') {
          if (!/application\/json/i.test(req.headers['content-type'] ?? '')) {
            fail(415, 'Expected request with `Content-Type: application/json`');
          }
          try {
            ctx.body = JSON.parse(raw);
          } catch (err) {
            fail(400, `Failed to parse the request body as JSON: ${err.message}`);
          }
        }
      }
      out = r.handler(ctx);
    } catch (err) {
      if (!(err instanceof HttpError) && !err.status) console.error(err);
      out = { status: err.status ?? 500, problem: err.message };
    }
    const headers = {};
    if (req.setCookie) headers['set-cookie'] = req.setCookie;
    if (out.problem !== undefined) {
      headers['content-type'] = 'application/problem+json';
      if (out.status === 401) headers['www-authenticate'] = 'Bearer realm="nova-ve"';
      res.writeHead(out.status, headers);
      res.end(problemBody(out.status, out.problem));
    } else if (out.raw !== undefined) {
      res.writeHead(out.status, { ...headers, ...out.headers });
      res.end(req.method === 'HEAD' ? undefined : out.raw);
    } else if (out.body !== undefined) {
      res.writeHead(out.status, { ...headers, 'content-type': 'application/json' });
      res.end(req.method === 'HEAD' ? undefined : JSON.stringify(out.body));
    } else {
      res.writeHead(out.status, headers);
      res.end();
    }
    const r = found?.r;
    if (r?.action) {
      const st = out.status;
      const p = found.params;
      store.record({
        user_id: req.who?.id ?? req.auditUser?.id ?? null,
        username: req.who?.username ?? req.auditUser?.name ?? '-',
        action: r.action,
        lab_id: p.id ?? out.labId ?? null,
        node_id: p.node ?? null,
        target: p.net ?? p.link ?? p.user ?? p.path ?? p.token ?? null,
        result: st < 400 ? 'ok' : st === 401 || st === 403 ? 'denied' : 'error',
        detail: st < 400 ? null : `${st} ${STATUS_CODES[st]}`,
      });
    }
  }

  // ----- static files ------------------------------------------------------------------------

  const TYPES = {
    '.html': 'text/html',
    '.js': 'text/javascript',
    '.css': 'text/css',
    '.svg': 'image/svg+xml',
    '.map': 'application/json',
    '.woff2': 'font/woff2',
  };
  async function serveStatic(res, pathname) {
    let file = normalize(join(dist, decodeURIComponent(pathname)));
    if (!file.startsWith(dist)) file = join(dist, 'index.html');
    try {
      if (!(await stat(file)).isFile()) throw new Error('dir');
    } catch {
      file = join(dist, 'index.html'); // history fallback
    }
    try {
      const data = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
      res.end(data);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('no dist/: run npm run build first\n');
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const work = url.pathname.startsWith('/api/')
      ? handleApi(req, res, url)
      : serveStatic(res, url.pathname);
    work.catch((err) => {
      console.error(err);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/problem+json' });
      res.end(problemBody(500, String(err)));
    });
  });

  // ----- WebSockets ----------------------------------------------------------------------------

  const wss = new WebSocketServer({ noServer: true });

  function refuse(socket, status, detail) {
    const body = problemBody(status, detail);
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\ncontent-type: application/problem+json\r\n` +
        `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
    );
  }

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://x');
    let ctx;
    try {
      const { r, params } = find('GET', url.pathname);
      if (!r.path.endsWith('/events') && !r.path.endsWith('/console'))
        fail(400, 'not a WebSocket route');
      const origin = req.headers.origin;
      if (origin && origin.split('://')[1] !== req.headers.host) {
        fail(403, `origin "${origin}" may not open this WebSocket`);
      }
      ctx = { r, params, ...authorize(req, r, params) };
      if (r.path.endsWith('/console')) {
        const n = nodeOf(ctx.e, params);
        if (!isUp(ctx.e, n.id)) fail(409, `node ${n.id} is not running`);
        ctx.node = n;
      }
    } catch (err) {
      refuse(socket, err.status ?? 500, err.message);
      return;
    }
    const { e, me } = ctx;
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.userId = me.user.id;
      if (ctx.node) {
        store.record({
          user_id: me.user.id,
          username: me.user.username,
          action: 'node.console',
          lab_id: e.id,
          node_id: String(ctx.node.id),
          result: 'ok',
        });
        consoles.attach(e.id, ctx.node.id, ctx.node.name, ws);
        return;
      }
      ws.send(JSON.stringify({ type: 'hello', lab_id: e.id, seq: e.seq }));
      const since = Number(url.searchParams.get('since'));
      if (since && since < e.seq) {
        const missed = e.ring.filter((x) => x.seq > since);
        if (missed.length && missed[0].seq === since + 1) for (const x of missed) ws.send(x.msg);
        else {
          const reason = "the requested seq is no longer in the server's replay buffer";
          ws.send(JSON.stringify({ type: 'resnapshot', reason, snapshot: snapshot(e) }));
        }
      }
      const set = listeners.get(e.id) ?? new Set();
      set.add(ws);
      listeners.set(e.id, set);
      ws.on('close', () => set.delete(ws));
    });
  });

  return {
    server,
    store,
    /** Starts listening; resolves to the base URL. */
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve) => {
        server.listen(port, host, () => resolve(`http://${host}:${server.address().port}`));
      });
    },
    close() {
      for (const ws of wss.clients) ws.terminate();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
