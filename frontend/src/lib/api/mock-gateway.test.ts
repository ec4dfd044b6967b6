// The app's API client and console connection against the mock gateway (scripts/mock): the
// mock follows the gateway's contract (routes, rules, CSRF, unknown fields refused, replies),
// so this checks the client's requests are the ones the contract accepts, and the console
// protocol end to end. It says nothing about the real gateway itself.

import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createMockGateway, type MockGateway } from '../../../scripts/mock/server.mjs';
import { ConsoleConnection, type ConsoleSocket, type ConsoleStatus } from '../console';
import { ApiError, createApiClient } from './client';
import { createEndpoints } from './endpoints';

let gw: MockGateway;
let base = '';

beforeAll(async () => {
  gw = createMockGateway({ dist: '/nonexistent/' });
  base = await gw.listen(0);
});
afterAll(() => gw.close());

/** A signed-in API client with its own cookie jar. */
async function signIn(username: string, password: string) {
  let cookie = '';
  let csrf: string | null = null;
  const client = createApiClient({
    baseUrl: base,
    getCsrfToken: () => csrf,
    fetch: async (input, init) => {
      const headers = { ...(init?.headers as Record<string, string>), cookie };
      const res = await fetch(input, { ...init, headers });
      const set = res.headers.get('set-cookie');
      if (set) cookie = set.split(';')[0] ?? '';
      return res;
    },
  });
  const api = createEndpoints(client);
  const s = await api.session.signIn({ username, password });
  csrf = s.csrf_token;
  return { api, session: s, cookie: () => cookie };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => e as ApiError,
  );

describe('mock gateway: session, users, tokens, audit', () => {
  it('signs in with a session and refuses changes without the CSRF token', async () => {
    const { session, cookie } = await signIn('admin', 'admin');
    expect(session.user).toMatchObject({ username: 'admin', role: 'admin', disabled: false });
    expect(typeof session.expires_at).toBe('number');
    const res = await fetch(`${base}/api/folders`, {
      method: 'POST',
      headers: { cookie: cookie(), 'content-type': 'application/json' },
      body: JSON.stringify({ path: 'nope' }),
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(((await res.json()) as { detail: string }).detail).toMatch(/CSRF/);
  });

  it('lets an admin manage users, and not their own role', async () => {
    const { api, session } = await signIn('admin', 'admin');
    const bob = await api.users.create({ username: 'bob', password: 'secret-pw', role: 'viewer' });
    expect(bob).toMatchObject({ username: 'bob', role: 'viewer', display_name: '' });
    expect(await api.users.update(bob.id, { role: 'editor' })).toMatchObject({ role: 'editor' });
    const own = await failure(api.users.update(session.user.id, { role: 'viewer' }));
    expect(own.status).toBe(403);
    expect(own.message).toMatch(/your own role/);
    const dup = await failure(
      api.users.create({ username: 'bob', password: 'x'.repeat(8), role: 'viewer' }),
    );
    expect(dup.status).toBe(409);
    await api.users.remove(bob.id);
    expect((await api.users.list()).some((u) => u.id === bob.id)).toBe(false);
  });

  it('refuses the admin pages to a viewer', async () => {
    const { api } = await signIn('viewer', 'viewer');
    for (const call of [api.users.list(), api.audit(), api.system.status()]) {
      const e = await failure(call);
      expect(e.status).toBe(403);
      expect(e.message).toBe('only administrators may do this');
    }
  });

  it('shows a token secret once, takes it as a bearer token and revokes it', async () => {
    const { api } = await signIn('viewer', 'viewer');
    const made = await api.tokens.create({ name: 'ci' });
    expect(made.secret).toMatch(/^nvt_/);
    expect(made.token).toMatchObject({ name: 'ci', prefix: made.secret.slice(0, 12) });
    const listed = await api.tokens.list();
    expect(listed).toEqual([made.token]);
    expect(JSON.stringify(listed)).not.toContain(made.secret);
    const bearer = { authorization: `Bearer ${made.secret}` };
    expect((await fetch(`${base}/api/labs`, { headers: bearer })).status).toBe(200);
    await api.tokens.revoke(made.token.id);
    expect((await fetch(`${base}/api/labs`, { headers: bearer })).status).toBe(401);
    expect(await api.tokens.list()).toEqual([]);
  });

  it('filters and pages the audit log', async () => {
    const { api } = await signIn('admin', 'admin');
    for (const p of ['audit-a', 'audit-b', 'audit-c']) {
      await api.folders.create(p);
      await api.folders.rename(p, `${p}-2`);
    }
    const first = await api.audit({ action: 'folder.ren', limit: 2 });
    expect(first.entries.map((e) => e.target)).toEqual(['audit-c', 'audit-b']);
    expect(first.next_before).toBe(first.entries[1]!.id);
    const next = await api.audit({ action: 'folder.ren', limit: 2, before: first.next_before! });
    expect(next.entries.map((e) => e.target)).toEqual(['audit-a']);
    expect(next.next_before).toBeNull();
    const denied = await api.audit({ result: 'denied' });
    expect(denied.entries.every((e) => e.result === 'denied')).toBe(true);
    const none = await api.audit({ since: Date.now() + 60_000 });
    expect(none).toEqual({ entries: [], next_before: null });
  });

  it('imports an EVE-NG .unl file sent as the raw body, with what to review', async () => {
    const { api } = await signIn('admin', 'admin');
    const unl =
      '<lab name="Old lab"><topology><nodes><node id="1" name="R1" type="qemu" template="vyos" image="vyos-1.4"/></nodes>' +
      '<networks><network id="1" name="Net" type="pnet0"/></networks></topology></lab>';
    const r = await api.labs.importUnl('', '', new Blob([unl]));
    expect(r.lab).toMatchObject({ name: 'Old lab', folder: '', access: 'owner' });
    expect(r.review).toHaveLength(2);
    expect((await api.labs.get(r.lab.id)).lab.nodes['1']?.name).toBe('R1');
    const bad = await failure(api.labs.importUnl('', 'x', 'not xml'));
    expect(bad.status).toBe(422);
  });

  it('reports the host and nodes by kind and state', async () => {
    const { api } = await signIn('admin', 'admin');
    const s = await api.system.status();
    expect(s.cpus).toBeGreaterThan(0);
    expect(s.memory_total).toBeGreaterThan(0);
    expect(s.nodes.linux?.running).toBeGreaterThanOrEqual(1);
    expect(await api.system.health()).toBe('ok');
  });
});

const ROUTES_RS = new URL('../../../../web-gateway/src/routes/mod.rs', import.meta.url);

describe.runIf(existsSync(ROUTES_RS))('mock gateway covers the route table', () => {
  it('answers every route of web-gateway/src/routes/mod.rs', async () => {
    const text = readFileSync(ROUTES_RS, 'utf8');
    const routes = [...text.matchAll(/^\s*(GET|POST|PUT|PATCH|DELETE)\s+"(\/api[^"]+)"/gm)];
    expect(routes.length).toBeGreaterThan(40);
    const { cookie } = await signIn('admin', 'admin');
    const missing: string[] = [];
    for (const [, method, path] of routes) {
      const url = path!.replace(/\{\*?(\w+)\}/g, (_, name: string) => `zz-${name}`);
      const res = await fetch(base + url, { method, headers: { cookie: cookie() } });
      const body = await res.text();
      if (res.status === 405 || /no route/.test(body)) missing.push(`${method} ${path}`);
    }
    expect(missing).toEqual([]);
  });
});

describe('mock gateway: node console', () => {
  function open(
    cookie: string,
    labId: string,
    nodeId: number,
    diagnose?: () => Promise<string | null>,
  ) {
    let out = '';
    const statuses: ConsoleStatus[] = [];
    const decoder = new TextDecoder();
    const conn = new ConsoleConnection({
      url: `${base.replace('http', 'ws')}/api/labs/${labId}/nodes/${nodeId}/console`,
      onOutput: (b) => (out += decoder.decode(b)),
      onStatus: (s) => statuses.push(s),
      diagnose,
      createSocket: (url) =>
        new WebSocket(url, { headers: { cookie } }) as unknown as ConsoleSocket,
    });
    return { conn, statuses, output: () => out };
  }

  it('replays, echoes, resizes, and ends when the node powers off', async () => {
    const { api, cookie } = await signIn('admin', 'admin');
    await api.nodes.action('demo-lab', 3, 'start');
    await expect
      .poll(async () => (await api.nodes.get('demo-lab', 3)).runtime?.state)
      .toBe('running');

    const a = open(cookie(), 'demo-lab', 3);
    a.conn.resize(120, 40);
    a.conn.connect();
    await expect.poll(() => a.conn.status.state).toBe('connected');
    await expect.poll(a.output).toContain('h1# ');
    a.conn.input('echo hello there\r');
    await expect.poll(a.output).toContain('hello there\r\nh1# ');
    a.conn.input('stty size\r');
    await expect.poll(a.output).toContain('40 120');

    const b = open(cookie(), 'demo-lab', 3);
    b.conn.connect();
    await expect.poll(b.output).toContain('hello there'); // recent output replayed

    a.conn.input('exit\r');
    await expect.poll(() => a.conn.status.state).toBe('ended');
    expect(a.conn.status).toMatchObject({
      code: 1000,
      reason: 'The console ended (the node stopped).',
    });
    await expect.poll(() => b.conn.status.state).toBe('ended');
  });

  it('is refused before the upgrade when the node is not running', async () => {
    const { api, cookie } = await signIn('admin', 'admin');
    const ws = new WebSocket(`${base.replace('http', 'ws')}/api/labs/demo-lab/nodes/2/console`, {
      headers: { cookie: cookie() },
    });
    const answer = await new Promise<{ status?: number; type?: string }>((resolve) => {
      ws.on('unexpected-response', (_req, res) =>
        resolve({ status: res.statusCode, type: res.headers['content-type'] }),
      );
      ws.on('open', () => resolve({}));
    });
    expect(answer).toEqual({ status: 409, type: 'application/problem+json' });
    const diagnose = async () => {
      const n = await api.nodes.get('demo-lab', 2);
      return `The node is not running (${n.runtime?.state ?? 'stopped'}).`;
    };
    const c = open(cookie(), 'demo-lab', 2, diagnose);
    c.conn.connect();
    await expect.poll(() => c.conn.status.state).toBe('ended');
    expect(c.conn.status).toMatchObject({ reason: 'The node is not running (stopped).' });
  });

  it('closes 4400 on a control frame it does not understand, 4004 when the node goes', async () => {
    const { api, cookie } = await signIn('admin', 'admin');
    const bad = new WebSocket(`${base.replace('http', 'ws')}/api/labs/demo-lab/nodes/1/console`, {
      headers: { cookie: cookie() },
    });
    await new Promise((r) => bad.once('open', r));
    bad.send(JSON.stringify({ type: 'resize', rows: 24, cols: 80, extra: 1 }));
    const [code] = await new Promise<[number, string]>((r) =>
      bad.once('close', (c: number, why: Buffer) => r([c, String(why)])),
    );
    expect(code).toBe(4400);

    const c = open(cookie(), 'demo-lab', 1);
    c.conn.connect();
    await expect.poll(() => c.conn.status.state).toBe('connected');
    await api.nodes.remove('demo-lab', 1);
    await expect.poll(() => c.conn.status.state).toBe('ended');
    expect(c.conn.status).toMatchObject({ code: 4004, reason: 'The lab or the node was deleted.' });
  });
});
