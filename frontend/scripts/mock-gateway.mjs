// A stand-in for nova-ve-gateway, for developing and screenshotting the app without the Rust
// services: serves dist/ (with the SPA history fallback) and an in-memory version of the HTTP
// API, the lab event WebSocket and an echoing console WebSocket.
//
//   npm run build && node scripts/mock-gateway.mjs [port]     (sign in as admin / admin)
//
// It follows the contract the app is written against; it is not the real gateway and proves
// nothing about it.

import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { randomUUID } from 'node:crypto';
import { WebSocketServer } from 'ws';

const port = Number(process.argv[2] ?? 8080);
const dist = new URL('../dist/', import.meta.url).pathname;

// ----- state ---------------------------------------------------------------------------------

const user = { id: 1, username: 'admin', display_name: 'Admin', role: 'admin' };
const sessions = new Map(); // cookie → csrf
const folders = [
  { path: 'team', owner: 'admin' },
  { path: 'team/ospf', owner: 'admin' },
];

const node = (id, name, template, type, left, top, extra = {}) => ({
  id,
  name,
  type,
  template,
  image: '',
  console: 'telnet',
  delay: 0,
  cpu: 1,
  ram: 256,
  ethernet: 4,
  left,
  top,
  icon: type === 'linux' && template === 'host' ? 'Server.png' : 'Router.png',
  interfaces: [],
  extras: {},
  ...extra,
});
const network = (id, name, type, left, top, extra = {}) => ({
  id,
  name,
  type,
  left,
  top,
  visibility: true,
  implicit: false,
  config: {},
  ...extra,
});

function demoLab() {
  return {
    schema: 2,
    id: 'demo-lab',
    meta: { name: 'OSPF area 0' },
    viewport: { x: 0, y: 0, zoom: 1 },
    nodes: {
      1: node(1, 'r1', 'frr', 'linux', 120, 120),
      2: node(2, 'r2', 'frr', 'linux', 420, 120),
      3: node(3, 'h1', 'host', 'linux', 270, 320),
      4: node(4, 'edge', 'vyos', 'qemu', 600, 320, { ethernet: 3, ram: 1024 }),
    },
    networks: {
      1: network(1, 'lan', 'linux_bridge', 280, 230),
      2: network(2, 'p2p_r1_r2', 'linux_bridge', 0, 0, { visibility: false, implicit: true }),
      3: network(3, 'internet', 'nat_cloud', 620, 40),
    },
    links: [
      {
        id: 'lnk_001',
        from: { node_id: 1, interface_index: 0 },
        to: { network_id: 1 },
        style_override: null,
      },
      {
        id: 'lnk_002',
        from: { node_id: 3, interface_index: 0 },
        to: { network_id: 1 },
        style_override: null,
      },
      {
        id: 'lnk_003',
        from: { node_id: 1, interface_index: 1 },
        to: { network_id: 2 },
        style_override: null,
      },
      {
        id: 'lnk_004',
        from: { node_id: 2, interface_index: 1 },
        to: { network_id: 2 },
        style_override: null,
      },
      {
        id: 'lnk_005',
        from: { node_id: 4, interface_index: 0 },
        to: { network_id: 3 },
        style_override: null,
      },
    ],
    defaults: {},
    textobjects: [],
    lineobjects: [],
    pictures: [],
    tasks: [],
    configsets: {},
  };
}

const labs = new Map(); // id → { id, name, folder, owner, lab, runtime, seq, ring }
function addLab(name, folder, doc) {
  const id = doc?.id && !labs.has(doc.id) ? doc.id : randomUUID();
  const lab = doc ?? {
    schema: 2,
    id,
    meta: { name },
    viewport: { x: 0, y: 0, zoom: 1 },
    nodes: {},
    networks: {},
    links: [],
    defaults: {},
    textobjects: [],
    lineobjects: [],
    pictures: [],
    tasks: [],
    configsets: {},
  };
  lab.id = id;
  const entry = {
    id,
    name,
    folder,
    owner: 'admin',
    lab,
    runtime: {},
    seq: Date.now() * 1000,
    ring: [],
  };
  labs.set(id, entry);
  return entry;
}
const demo = addLab('ospf-area0', 'team/ospf', demoLab());
addLab('empty lab', '', null);
demo.runtime[1] = runtime(1, 'running');

function runtime(nodeId, state) {
  const running = state === 'running';
  return {
    node_id: nodeId,
    state,
    unit: running ? `nova-node-demo-${nodeId}.scope` : '',
    pid: running ? 4000 + nodeId : 0,
    console: running ? `journal:nova-node-demo-${nodeId}.scope` : '',
    interfaces: [],
    problems: [],
  };
}

const item = (e) => {
  const nodes = Object.values(e.lab.nodes);
  return {
    id: e.id,
    name: e.name,
    folder: e.folder,
    owner: e.owner,
    access: 'owner',
    node_count: nodes.length,
    running_count: nodes.filter((n) => e.runtime[n.id]?.state === 'running').length,
  };
};
const snapshot = (e) => ({
  ref: { id: e.id, name: e.name, folder: e.folder },
  lab: e.lab,
  runtime: e.runtime,
  seq: e.seq,
});

const listeners = new Map(); // lab id → Set<ws>
function emit(e, type, payload) {
  e.seq += 1;
  const msg = JSON.stringify({ lab_id: e.id, seq: e.seq, v: 1, type, ...payload });
  e.ring.push({ seq: e.seq, msg });
  if (e.ring.length > 500) e.ring.shift();
  for (const ws of listeners.get(e.id) ?? []) ws.send(msg);
}

const templates = [
  {
    key: 'frr',
    name: 'FRRouting',
    kind: 'linux',
    vendor: 'FRRouting',
    description: 'FRR in a network namespace',
    defaults: { cpu: 1, ram: 256, ethernet: 4, console: 'telnet', icon: 'Router.png' },
    images: [],
    runnable: true,
  },
  {
    key: 'host',
    name: 'Linux host (busybox)',
    kind: 'linux',
    vendor: 'Linux',
    defaults: { cpu: 1, ram: 64, ethernet: 1, console: 'telnet', icon: 'Server.png' },
    images: [],
    runnable: true,
  },
  {
    key: 'vyos',
    name: 'VyOS',
    kind: 'qemu',
    vendor: 'VyOS',
    defaults: { cpu: 2, ram: 1024, ethernet: 3, console: 'telnet', icon: 'Router.png' },
    images: ['vyos-1.4.0', 'vyos-1.3.8'],
    runnable: false,
    why_not: 'QEMU nodes cannot be started by this version yet',
  },
  {
    key: 'csr1000vng',
    name: 'Cisco CSR 1000V',
    kind: 'qemu',
    vendor: 'Cisco',
    defaults: { cpu: 1, ram: 4096, ethernet: 4, console: 'telnet', icon: 'Router.png' },
    images: [],
    runnable: false,
    why_not: 'no image installed',
  },
  {
    key: 'nxosv9k',
    name: 'Cisco Nexus 9000v',
    kind: 'qemu',
    vendor: 'Cisco',
    defaults: { cpu: 2, ram: 8192, ethernet: 8, console: 'telnet', icon: 'Switch.png' },
    images: [],
    runnable: false,
    why_not: 'no image installed',
  },
  {
    key: 'fortinet',
    name: 'FortiGate',
    kind: 'qemu',
    vendor: 'Fortinet',
    defaults: { cpu: 1, ram: 2048, ethernet: 8, console: 'telnet', icon: 'Firewall.png' },
    images: ['fortinet-7.2'],
    runnable: false,
    why_not: 'QEMU nodes cannot be started by this version yet',
  },
];

// ----- HTTP ----------------------------------------------------------------------------------

const problem = (res, status, title, detail) => {
  res.writeHead(status, { 'content-type': 'application/problem+json' });
  res.end(JSON.stringify({ type: 'about:blank', title, status, detail }));
};
const json = (res, status, body) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(body === undefined ? '' : JSON.stringify(body));
};
const cookieOf = (req) => /nova_session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
const body = (req) =>
  new Promise((resolve) => {
    let data = '';
    req.on('data', (c) => (data += c));
    req.on('end', () => resolve(data));
  });

async function api(req, res, url) {
  const method = req.method;
  const path = url.pathname;
  const raw = ['POST', 'PUT', 'PATCH'].includes(method) ? await body(req) : '';
  let b = {};
  if (raw && (req.headers['content-type'] ?? '').includes('json')) {
    try {
      b = JSON.parse(raw);
    } catch {
      return problem(res, 400, 'Bad Request', 'The body is not valid JSON.');
    }
  }
  if (path === '/api/session') {
    if (method === 'POST') {
      if (b.username !== 'admin' || b.password !== 'admin')
        return problem(res, 401, 'Unauthorized', 'Wrong user name or password.');
      const sid = randomUUID();
      const csrf = randomUUID();
      sessions.set(sid, csrf);
      res.setHeader('set-cookie', `nova_session=${sid}; HttpOnly; SameSite=Strict; Path=/`);
      return json(res, 201, {
        user,
        csrf_token: csrf,
        expires_at: new Date(Date.now() + 8 * 3600e3).toISOString(),
      });
    }
    const sid = cookieOf(req);
    if (!sid || !sessions.has(sid)) return problem(res, 401, 'Unauthorized', 'Not signed in.');
    if (method === 'DELETE') {
      sessions.delete(sid);
      return json(res, 204);
    }
    return json(res, 200, {
      user,
      csrf_token: sessions.get(sid),
      expires_at: new Date(Date.now() + 8 * 3600e3).toISOString(),
    });
  }
  const sid = cookieOf(req);
  if (!sid || !sessions.has(sid))
    return problem(res, 401, 'Unauthorized', 'Your session has ended. Sign in again.');
  if (method !== 'GET' && req.headers['x-csrf-token'] !== sessions.get(sid))
    return problem(res, 403, 'Forbidden', 'Missing or wrong CSRF token.');

  let m;
  if (path === '/api/templates') return json(res, 200, templates);
  if (path === '/api/tokens' && method === 'GET') return json(res, 200, []);
  if (path === '/api/folders') {
    if (method === 'GET') return json(res, 200, folders);
    if (folders.some((f) => f.path === b.path))
      return problem(res, 409, 'Conflict', `The folder “${b.path}” exists already.`);
    folders.push({ path: b.path, owner: 'admin' });
    return json(res, 201, { path: b.path, owner: 'admin' });
  }
  if ((m = /^\/api\/folders\/(.+)$/.exec(path))) {
    const p = m[1].split('/').map(decodeURIComponent).join('/');
    const i = folders.findIndex((f) => f.path === p);
    if (i < 0) return problem(res, 404, 'Not Found', `No folder “${p}”.`);
    if (method === 'DELETE') {
      if ([...labs.values()].some((l) => l.folder === p || l.folder.startsWith(p + '/')))
        return problem(res, 409, 'Conflict', `The folder “${p}” is not empty.`);
      folders.splice(i, 1);
      return json(res, 204);
    }
    folders[i].path = b.path;
    for (const l of labs.values()) if (l.folder === p) l.folder = b.path;
    return json(res, 200, folders[i]);
  }
  if (path === '/api/labs') {
    if (method === 'GET') return json(res, 200, [...labs.values()].map(item));
    return json(res, 201, item(addLab(b.name, b.folder ?? '', null)));
  }
  if (path === '/api/labs/import')
    return json(res, 201, item(addLab(b.name, b.folder ?? '', b.lab)));
  if (path === '/api/labs/import-unl') {
    const e = addLab(url.searchParams.get('name'), url.searchParams.get('folder') ?? '', null);
    return json(res, 201, {
      ...item(e),
      notes: [
        'node 3: image “vios-159” is not installed',
        'network “pnet0” kept as a bridge cloud',
      ],
    });
  }
  if (!(m = /^\/api\/labs\/([^/]+)(\/.*)?$/.exec(path)))
    return problem(res, 404, 'Not Found', `No route ${method} ${path}`);
  const e = labs.get(decodeURIComponent(m[1]));
  if (!e) return problem(res, 404, 'Not Found', 'No such lab.');
  const rest = m[2] ?? '';
  const L = e.lab;
  if (rest === '') {
    if (method === 'GET') return json(res, 200, snapshot(e));
    if (method === 'DELETE') {
      labs.delete(e.id);
      emit(e, 'lab_deleted', { lab_id: e.id });
      return json(res, 204);
    }
    if (b.name) e.name = b.name;
    if (b.folder !== undefined) e.folder = b.folder;
    emit(e, 'lab_renamed', { lab: { id: e.id, name: e.name, folder: e.folder } });
    return json(res, 200, item(e));
  }
  if (rest === '/export') {
    res.writeHead(200, {
      'content-type': 'application/json',
      'content-disposition': `attachment; filename="${e.name}.json"`,
    });
    return res.end(JSON.stringify(L, null, 2));
  }
  if (rest === '/start' || rest === '/stop') {
    const failed = [];
    for (const n of Object.values(L.nodes)) {
      if (rest === '/start' && n.type === 'qemu') {
        failed.push({ node_id: n.id, reason: 'qemu nodes cannot be started by this version' });
        continue;
      }
      setState(e, n.id, rest === '/start' ? 'running' : 'stopped');
    }
    return json(res, 200, { failed });
  }
  if (rest === '/layout') {
    for (const [id, p] of Object.entries(b.nodes ?? {}))
      if (L.nodes[id]) Object.assign(L.nodes[id], p);
    for (const [id, p] of Object.entries(b.networks ?? {}))
      if (L.networks[id]) Object.assign(L.networks[id], p);
    if (b.viewport) L.viewport = b.viewport;
    emit(e, 'layout_updated', {
      node_ids: Object.keys(b.nodes ?? {}).map(Number),
      network_ids: Object.keys(b.networks ?? {}).map(Number),
      nodes: b.nodes ?? {},
      networks: b.networks ?? {},
      viewport: b.viewport ?? null,
    });
    return json(res, 204);
  }
  if (rest === '/nodes' && method === 'POST') {
    const t = templates.find((x) => x.key === b.template);
    if (!t) return problem(res, 422, 'Unprocessable Content', `No template “${b.template}”.`);
    if (Object.values(L.nodes).some((n) => n.name.toLowerCase() === String(b.name).toLowerCase()))
      return problem(res, 409, 'Conflict', `A node called “${b.name}” exists already.`);
    const id = Math.max(0, ...Object.keys(L.nodes).map(Number)) + 1;
    const n = node(id, b.name, t.key, t.kind, b.left ?? 0, b.top ?? 0, {
      cpu: t.defaults.cpu,
      ram: t.defaults.ram,
      ethernet: t.defaults.ethernet,
      icon: t.defaults.icon,
      image: b.image ?? '',
    });
    L.nodes[id] = n;
    emit(e, 'node_created', { node: n });
    return json(res, 201, n);
  }
  if ((m = /^\/nodes\/(\d+)(\/\w+)?$/.exec(rest))) {
    const n = L.nodes[m[1]];
    if (!n) return problem(res, 404, 'Not Found', `No node ${m[1]}.`);
    const action = m[2];
    if (action === '/start') {
      if (n.type === 'qemu')
        return problem(
          res,
          501,
          'Not Implemented',
          `${n.name}: qemu nodes cannot be started by this version yet.`,
        );
      setState(e, n.id, 'starting');
      setTimeout(() => setState(e, n.id, 'running'), 600);
      return json(res, 200, {});
    }
    if (action === '/stop') {
      setState(e, n.id, 'stopping');
      setTimeout(() => setState(e, n.id, 'stopped'), 400);
      return json(res, 200, {});
    }
    if (action === '/wipe') {
      emit(e, 'node_wiped', { node_id: n.id });
      return json(res, 200, {});
    }
    if (action === '/logs')
      return json(res, 200, {
        lines: [
          `-- journal of nova-node-demo-${n.id}.scope --`,
          'zebra[12]: FRRouting starting',
          'ospfd[14]: OSPF: neighbour 10.0.0.2 Full',
        ],
      });
    if (method === 'DELETE') {
      for (const l of L.links.filter((l) => [l.from, l.to].some((x) => x.node_id === n.id)))
        deleteLink(e, l.id);
      delete L.nodes[n.id];
      delete e.runtime[n.id];
      emit(e, 'node_deleted', { node_id: n.id });
      return json(res, 204);
    }
    if (method === 'PATCH') {
      if (e.runtime[n.id]?.state === 'running' && (b.cpu !== undefined || b.ram !== undefined))
        return problem(
          res,
          409,
          'Conflict',
          `${n.name} is running: stop it to change CPUs or memory.`,
        );
      Object.assign(n, b);
      emit(e, 'node_updated', { node: n });
      return json(res, 200, n);
    }
  }
  if (rest === '/networks' && method === 'POST') {
    const id = Math.max(0, ...Object.keys(L.networks).map(Number)) + 1;
    const n = network(id, b.name, b.type ?? 'linux_bridge', b.left ?? 0, b.top ?? 0);
    L.networks[id] = n;
    emit(e, 'network_created', { network: n });
    return json(res, 201, n);
  }
  if ((m = /^\/networks\/(\d+)$/.exec(rest))) {
    const n = L.networks[m[1]];
    if (!n) return problem(res, 404, 'Not Found', `No network ${m[1]}.`);
    if (method === 'DELETE') {
      for (const l of L.links.filter((l) => [l.from, l.to].some((x) => x.network_id === n.id)))
        deleteLink(e, l.id);
      delete L.networks[n.id];
      emit(e, 'network_deleted', { network_id: n.id });
      return json(res, 204);
    }
    Object.assign(n, b);
    emit(e, 'network_updated', { network: n });
    return json(res, 200, n);
  }
  if (rest === '/links' && method === 'POST') {
    const used = (end) =>
      L.links.some((l) =>
        [l.from, l.to].some(
          (x) => x.node_id === end.node_id && x.interface_index === end.interface_index,
        ),
      );
    if (used(b.from) || (b.to.node_id !== undefined && used(b.to)))
      return problem(res, 409, 'Conflict', 'That interface is already linked.');
    const nextLink = () =>
      `lnk_${String(Math.max(0, ...L.links.map((l) => Number(l.id.slice(4)) || 0)) + 1).padStart(3, '0')}`;
    if (b.to.network_id !== undefined) {
      const l = { id: nextLink(), from: b.from, to: b.to, style_override: null };
      L.links.push(l);
      emit(e, 'link_created', { link: l });
      return json(res, 201, l);
    }
    const id = Math.max(0, ...Object.keys(L.networks).map(Number)) + 1;
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
    return json(res, 201, [a, c]);
  }
  if ((m = /^\/links\/([^/]+)(\/metrics)?$/.exec(rest))) {
    const l = L.links.find((x) => x.id === decodeURIComponent(m[1]));
    if (!l) return problem(res, 404, 'Not Found', 'No such link.');
    if (m[2])
      return problem(
        res,
        501,
        'Not Implemented',
        'Delay and jitter are not supported on this host (the kernel has no sch_netem).',
      );
    deleteLink(e, l.id);
    return json(res, 204);
  }
  return problem(res, 404, 'Not Found', `No route ${method} ${path}`);
}

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

function setState(e, id, state) {
  e.runtime[id] = runtime(id, state);
  emit(e, 'node_state', e.runtime[id]);
}

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
  res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
  res.end(await readFile(file));
}

const server = createServer((req, res) => {
  const url = new URL(req.url, 'http://x');
  (url.pathname.startsWith('/api/') ? api(req, res, url) : serveStatic(res, url.pathname)).catch(
    (err) => {
      console.error(err);
      problem(res, 500, 'Internal Server Error', String(err));
    },
  );
});

// ----- WebSockets ----------------------------------------------------------------------------

const wss = new WebSocketServer({ noServer: true });
server.on('upgrade', (req, socket, head) => {
  const url = new URL(req.url, 'http://x');
  const sid = cookieOf(req);
  if (!sid || !sessions.has(sid)) {
    socket.end('HTTP/1.1 401 Unauthorized\r\n\r\n');
    return;
  }
  let m;
  if ((m = /^\/api\/labs\/([^/]+)\/events$/.exec(url.pathname))) {
    const e = labs.get(decodeURIComponent(m[1]));
    if (!e) {
      socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(JSON.stringify({ type: 'hello', lab_id: e.id, seq: e.seq }));
      const since = Number(url.searchParams.get('since'));
      if (since && since < e.seq) {
        const missed = e.ring.filter((r) => r.seq > since);
        if (missed.length && missed[0].seq === since + 1) for (const r of missed) ws.send(r.msg);
        else
          ws.send(
            JSON.stringify({ type: 'resnapshot', reason: 'too far behind', snapshot: snapshot(e) }),
          );
      }
      const set = listeners.get(e.id) ?? new Set();
      set.add(ws);
      listeners.set(e.id, set);
      ws.on('close', () => set.delete(ws));
    });
  } else if ((m = /^\/api\/labs\/([^/]+)\/nodes\/(\d+)\/console$/.exec(url.pathname))) {
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.send(Buffer.from(`\r\nnova-ve mock console of node ${m[2]}\r\nr${m[2]}# `));
      ws.on('message', (data, isBinary) => {
        if (!isBinary) {
          const msg = JSON.parse(String(data));
          if (msg.type === 'resize')
            ws.send(Buffer.from(`\r\n[resized to ${msg.rows}x${msg.cols}]\r\nr${m[2]}# `));
          return;
        }
        const text = String(data).replace(/\r/g, `\r\nr${m[2]}# `);
        ws.send(Buffer.from(text));
      });
    });
  } else {
    socket.end('HTTP/1.1 404 Not Found\r\n\r\n');
  }
});

server.listen(port, '127.0.0.1', () =>
  console.log(`mock gateway on http://127.0.0.1:${port} (admin / admin)`),
);
