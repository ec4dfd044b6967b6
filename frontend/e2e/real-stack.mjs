// End-to-end: the built web app in headless Chromium against the REAL stack (nova-ve-gateway,
// labd, netd, linux nodes). Run by web-gateway/tests/browser.rs inside a test sandbox, whose
// network namespace holds the gateway (127.0.0.1:8080) and every bridge and veth the lab makes.
//
//   NOVA_E2E_PASSWORD=<admin's> node e2e/real-stack.mjs --base http://127.0.0.1:8080 --out <dir>
//
// (or --password=<admin's>; with '=', since a generated password may start with '-').
//
// Each step is an assertion; a failed step saves FAILED-<step>.png in --out and exits 1.
// Screenshots of the canvas, a console and the admin pages go to --out too, and the canvas
// performance figures to <out>/perf.json.

import { chromium } from 'playwright-core';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { bigLab } from './big-lab.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const { values: opt } = parseArgs({
  options: {
    base: { type: 'string', default: 'http://127.0.0.1:8080' },
    user: { type: 'string', default: 'admin' },
    password: { type: 'string', default: process.env.NOVA_E2E_PASSWORD },
    out: { type: 'string', default: join(tmpdir(), 'nova-e2e') },
    chromium: { type: 'string', default: process.env.CHROMIUM ?? '/usr/bin/chromium' },
  },
});
if (!opt.password) {
  console.error('usage: NOVA_E2E_PASSWORD=… real-stack.mjs [--base URL] [--out DIR]');
  process.exit(2);
}
const base = opt.base.replace(/\/$/, '');
const out = opt.out;
await mkdir(out, { recursive: true });

// The flags this machine kind needs (DESIGN.md): no sandbox (we are root), no GPU, and no
// connection out of the machine. Playwright adds a fresh --user-data-dir under $TMPDIR.
const browser = await chromium.launch({
  executablePath: opt.chromium,
  args: [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
  ],
});

const started = Date.now();
const timings = [];
const pageErrors = [];
let current = null;
let steps = 0;

/** One assertion of the scenario: a failure names the step and leaves a screenshot. */
async function step(name, fn) {
  const t0 = Date.now();
  steps++;
  process.stdout.write(`- ${name} … `);
  try {
    await fn();
  } catch (err) {
    console.log('FAILED');
    const file = join(out, `FAILED-${String(steps).padStart(2, '0')}.png`);
    await current?.screenshot({ path: file }).catch(() => undefined);
    err.message = `step “${name}” failed: ${err.message}\n(screenshot: ${file})`;
    throw err;
  }
  const ms = Date.now() - t0;
  timings.push([name, ms]);
  console.log(`ok (${ms} ms)`);
}

function check(cond, message) {
  if (!cond) throw new Error(message);
}

/** Failed requests a page makes on purpose or by design: [status, URL pattern]. */
const expectedFailures = [
  // The session probe before signing in.
  [401, /\/api\/session$/],
];

/** Console errors that come of a check: the viewer's console WebSocket, refused. */
const expectedConsole = [/\/console' failed: .*Unexpected response code: 403/];

/** A page that records errors: exceptions, console errors, failed requests. */
async function newPage(context) {
  const page = await context.newPage();
  page.setDefaultTimeout(15_000);
  page.on('pageerror', (e) => pageErrors.push(`pageerror: ${e.message}`));
  // Failed requests are listed by URL below; the console's copies of them carry none.
  page.on('console', (m) => {
    const text = m.text();
    const expected =
      /Failed to load resource/.test(text) || expectedConsole.some((re) => re.test(text));
    if (m.type() === 'error' && !expected) {
      pageErrors.push(`console: ${text}`);
    }
  });
  page.on('response', (r) => {
    const expected = expectedFailures.some(
      ([status, re]) => r.status() === status && re.test(r.url()),
    );
    if (r.status() >= 400 && !expected) {
      pageErrors.push(`${r.request().method()} ${r.url()}: ${r.status()}`);
    }
  });
  return page;
}

async function signIn(page, user, password) {
  await page.goto(`${base}/`);
  await page.waitForURL(/\/signin/);
  await page.getByLabel('User name').fill(user);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'All labs' }).waitFor();
}

/** The API with this page's session (cookie and CSRF token), for set-up and checks. */
async function apiOf(page) {
  const session = await page.request.get(`${base}/api/session`);
  check(session.ok(), `GET /api/session: ${session.status()}`);
  const csrf = (await session.json()).csrf_token;
  return async (method, path, body, raw) => {
    const res = await page.request.fetch(`${base}${path}`, {
      method,
      headers: {
        'x-csrf-token': csrf,
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      data: raw ?? (body !== undefined ? JSON.stringify(body) : undefined),
    });
    const text = await res.text();
    let json;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status(), json };
  };
}

const nodeCard = (page, name, state) =>
  page.locator(state ? `[aria-label="Node ${name}, ${state}"]` : `[aria-label^="Node ${name}, "]`);
const flowNode = (page, name) => page.locator('.svelte-flow__node', { has: nodeCard(page, name) });
const edge = (page, label) => page.locator(`.svelte-flow__edge[aria-label="${label}"]`);
/** Waits for a drawn link. (A straight horizontal line has a box of height 0, which
 * Playwright counts as hidden: wait for it in the DOM and check its length instead.) */
async function edgeShown(page, label) {
  await edge(page, label).waitFor({ state: 'attached' });
  await page.waitForFunction((l) => {
    const g = document.querySelector(`.svelte-flow__edge[aria-label="${l}"]`);
    const r = g?.getBoundingClientRect();
    return !!r && r.width + r.height > 0;
  }, label);
}
/** Clicks a drawn link in its middle (on the line, since links are straight). */
async function clickEdge(page, label) {
  await edgeShown(page, label);
  const r = await edge(page, label).evaluate((g) => {
    const b = g.getBoundingClientRect();
    return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
  });
  await page.mouse.click(r.x, r.y);
}

/** Selects a node on the canvas and waits for its panel. */
async function selectNode(page, name) {
  await flowNode(page, name).click();
  await page.getByRole('heading', { name, exact: true }).waitFor();
}

/** Drags from `from`'s connector onto `to` (a canvas element) and creates the link. */
async function drawLink(page, from, to, expectEdge) {
  const source = flowNode(page, from);
  await source.hover();
  const hb = await source.locator('.connector').boundingBox();
  const tb = await to.boundingBox();
  check(hb && tb, 'connector or target not on screen');
  await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height / 2);
  await page.mouse.down();
  await page.mouse.move(tb.x + tb.width / 2, tb.y + tb.height / 2, { steps: 15 });
  await page.mouse.up();
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('heading', { name: 'New link' }).waitFor();
  await dialog.getByRole('button', { name: 'Create link' }).click();
  await dialog.getByRole('heading', { name: 'New link' }).waitFor({ state: 'hidden' });
  await edgeShown(page, expectEdge);
}

/** Fills a node's addresses in its panel and saves them; the stored node must say the same. */
async function setAddresses(page, api, labId, name, addrs, gateway) {
  await selectNode(page, name);
  const form = page.getByRole('form', { name: `Addresses of ${name}` });
  for (const [ifname, value] of Object.entries(addrs)) {
    await form.getByLabel(`Addresses of ${ifname}`).fill(value);
  }
  if (gateway !== undefined) await form.getByLabel('Default gateway').fill(gateway);
  const saved = page.waitForResponse(
    (r) => r.request().method() === 'PATCH' && /\/nodes\/\d+$/.test(r.url()),
  );
  await form.getByRole('button', { name: 'Save addresses' }).click();
  const res = await saved;
  if (res.status() !== 204) throw new Error(`PATCH ${name}: ${res.status()} ${await res.text()}`);
  await form
    .getByRole('button', { name: 'Save addresses' })
    .and(page.locator(':disabled'))
    .waitFor();
  const nodes = (await api('GET', `/api/labs/${labId}/nodes`)).json;
  const stored = nodes.find((n) => n.name === name);
  for (const [ifname, value] of Object.entries(addrs)) {
    const got = stored?.extras?.addresses?.[ifname];
    check(
      JSON.stringify(got) === JSON.stringify(value.split(/[\s,]+/)),
      `${name} ${ifname}: stored ${JSON.stringify(got)}`,
    );
  }
  if (gateway !== undefined) {
    check(stored?.extras?.default_gateway === gateway, `${name}: gateway not stored`);
  }
}

/** The visible text of a console's terminal. */
const terminalText = (page, name) =>
  page
    .getByRole('region', { name: `Console of ${name}` })
    .locator('.xterm-rows')
    .innerText();

let marker = 0;
/**
 * Types `command` into a node's console (clearing the screen first) and waits until it ended:
 * returns what it printed. `$((N+0))` echoes as the digits N only in the output, never in
 * the echoed command line, so the end is found without confusing the two.
 */
async function consoleRun(page, name, command, timeout = 20_000) {
  const n = ++marker;
  const region = page.getByRole('region', { name: `Console of ${name}` });
  await region.locator('.xterm-helper-textarea').focus();
  await page.keyboard.type(`clear; ${command}; echo "rc=$? end-$((${n}+0))"`);
  await page.keyboard.press('Enter');
  const done = new RegExp(`rc=(\\d+) end-${n}\\b`);
  const deadline = Date.now() + timeout;
  for (;;) {
    const text = await terminalText(page, name);
    const m = done.exec(text);
    if (m) return { text, rc: Number(m[1]) };
    if (Date.now() > deadline) {
      throw new Error(`“${command}” did not finish in ${timeout} ms; the console shows:\n${text}`);
    }
    await page.waitForTimeout(150);
  }
}

const shots = [];
async function shot(page, name) {
  const file = join(out, `${name}.png`);
  await page.screenshot({ path: file });
  shots.push(file);
}

// ---------------------------------------------------------------------------------------------

let labId = '';
const perf = {};
try {
  const admin = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  const page = await newPage(admin);
  current = page;
  let api;

  await step('1. sign in as the administrator', async () => {
    await signIn(page, opt.user, opt.password);
    api = await apiOf(page);
    const me = (await api('GET', '/api/session')).json;
    check(me.user.role === 'admin', `signed in as ${JSON.stringify(me.user)}`);
  });

  await step('2a. create a lab', async () => {
    await page.getByRole('button', { name: 'New lab' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Lab name').fill('e2e-routed');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.waitForURL(/\/labs\/[^/]+$/);
    labId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop());
    await page.getByText('Live', { exact: true }).waitFor();
    await page.getByText('This lab is empty.').waitFor();
    // Marks this document: still there at the end means no reload happened.
    await page.evaluate(() => (window.__e2eNoReload = true));
  });

  await step('2b. add two hosts and an FRR router from the catalogue', async () => {
    const templates = (await api('GET', '/api/templates')).json;
    const names = new Map(templates.map((t) => [t.key, t.name]));
    check(names.has('host') && names.has('frr'), `templates: ${[...names.keys()]}`);
    await page.getByRole('button', { name: '+ Add' }).click();
    await page.getByRole('heading', { name: 'Add to the lab' }).waitFor();
    const pane = page.locator('.svelte-flow__pane');
    const box = await pane.boundingBox();
    // Dragged from the catalogue onto the canvas, left to right: host1, frr1, host2.
    const drops = [
      ['host', 'host1', 0.18],
      ['frr', 'frr1', 0.5],
      ['host', 'host2', 0.82],
    ];
    for (const [key, name, fx] of drops) {
      const item = page.getByRole('button', { name: `Add a ${names.get(key)} node` });
      await item.locator('xpath=ancestor::li').dragTo(pane, {
        targetPosition: { x: box.width * fx, y: box.height * 0.35 },
      });
      await nodeCard(page, name, 'stopped').waitFor();
    }
    await page.getByRole('button', { name: 'Close the catalogue' }).click();
    const order = [];
    for (const n of ['host1', 'frr1', 'host2'])
      order.push((await flowNode(page, n).boundingBox()).x);
    check(order[0] < order[1] && order[1] < order[2], `nodes not where dropped: ${order}`);
  });

  await step('2c. give them addresses in the node panel', async () => {
    await setAddresses(page, api, labId, 'host1', { eth0: '10.0.1.10/24' }, '10.0.1.1');
    await setAddresses(page, api, labId, 'host2', { eth0: '10.0.2.10/24' }, '10.0.2.1');
    // (Not eth2, linked later: an addressed interface that is not linked at start holds up the
    // router's start for 10 s: see docs/frontend.md.)
    await setAddresses(page, api, labId, 'frr1', { eth0: '10.0.1.1/24', eth1: '10.0.2.1/24' });
    // A bad address is refused in the form, before the server sees it.
    const form = page.getByRole('form', { name: 'Addresses of frr1' });
    await form.getByLabel('Addresses of eth3').fill('10.0.4.1');
    await form.getByRole('button', { name: 'Save addresses' }).click();
    await form.getByText('eth3: “10.0.4.1” is not an address/prefix').waitFor();
    await form.getByRole('button', { name: 'Revert' }).click();
  });

  await step('2d. draw the links host1–frr1 and frr1–host2', async () => {
    await drawLink(page, 'host1', flowNode(page, 'frr1'), 'Link host1 eth0 – frr1 eth0');
    await drawLink(page, 'frr1', flowNode(page, 'host2'), 'Link frr1 eth1 – host2 eth0');
    const lab = (await api('GET', `/api/labs/${labId}`)).json.lab;
    check(lab.links.length === 4, `the lab has ${lab.links.length} link halves, not 4`);
  });

  await step('2e. start the lab: the nodes turn running without a reload', async () => {
    await page.getByRole('button', { name: '▶ Start all' }).click();
    for (const n of ['host1', 'frr1', 'host2']) {
      await nodeCard(page, n, 'running').waitFor({ timeout: 20_000 });
    }
    await page.getByText('3/3 running').waitFor();
    check(await page.evaluate(() => window.__e2eNoReload === true), 'the page was reloaded');
    // Both cables drawn as up (both ends run).
    await page.waitForFunction(() => document.querySelectorAll('path.link-edge.up').length === 2);
  });

  await step('3. host1’s console pings host2 through the router', async () => {
    await selectNode(page, 'host1');
    await page.getByRole('button', { name: 'Console', exact: true }).click();
    await page.getByText('Connected to host1').waitFor();
    const { text, rc } = await consoleRun(page, 'host1', 'ping -c 3 -W 2 10.0.2.10');
    check(rc === 0 && /3 packets received/.test(text), `ping failed:\n${text}`);
    check(/64 bytes from 10\.0\.2\.10/.test(text), `no echo reply shown:\n${text}`);
    await shot(page, 'console-ping');
    // The running lab as a whole: nothing selected, fitted, the console below.
    await page.locator('.svelte-flow__pane').click({ position: { x: 30, y: 30 } });
    await page.keyboard.press('f');
    await page.getByText('3 node(s), 0 network(s), 3 running.').waitFor();
    await page.waitForTimeout(400);
    await shot(page, 'canvas-running');
  });

  await step('4a. add a network and link the running router to it', async () => {
    await page.locator('.svelte-flow__pane').click({ position: { x: 30, y: 30 } });
    await page.getByRole('button', { name: '+ Add' }).click();
    await page.getByRole('button', { name: '+ Bridge network' }).click();
    await page.getByRole('button', { name: 'Close the catalogue' }).click();
    const net = page.locator('.svelte-flow__node-labNetwork').first();
    await net.waitFor();
    // Move it off the cable it may have landed on, above the router (inside the canvas, or
    // the canvas pans along).
    const nb = await net.boundingBox();
    const rb = await flowNode(page, 'frr1').boundingBox();
    const pane = await page.locator('.svelte-flow__pane').boundingBox();
    await page.mouse.move(nb.x + nb.width / 2, nb.y + nb.height / 2);
    await page.mouse.down();
    await page.mouse.move(rb.x + rb.width / 2, Math.max(pane.y + 50, rb.y - 90), { steps: 10 });
    await page.mouse.up();
    await drawLink(page, 'frr1', net, 'Link frr1 eth2 – net1');
    await nodeCard(page, 'frr1', 'running').waitFor();
    // The router's panel shows eth2 linked, with the MAC it got; its console shows it up.
    await selectNode(page, 'frr1');
    const row = page.getByRole('row', { name: /eth2 net1/ });
    await row.getByText(/^([0-9a-f]{2}:){5}[0-9a-f]{2}$/).waitFor();
    await page.getByRole('button', { name: 'Console', exact: true }).click();
    await page.getByText('Connected to frr1').waitFor();
    const { text, rc } = await consoleRun(page, 'frr1', 'ip -o link show dev eth2');
    check(
      rc === 0 && /eth2@\S+ <[^>]*\bUP,LOWER_UP\b/.test(text),
      `eth2 is not up in frr1:\n${text}`,
    );
    await page.getByRole('tab', { name: /host1/ }).click();
  });

  await step('4b. 100 % loss on host1–frr1 in the impairment editor: the pings fail', async () => {
    await clickEdge(page, 'Link host1 eth0 – frr1 eth0');
    const panel = page.getByRole('form', { name: 'Impairments of the link' });
    await panel.getByLabel('Loss (%)').fill('100');
    await panel.getByRole('button', { name: 'Apply' }).click();
    await page.getByText('impairments: loss 100 %').waitFor();
    await page.waitForFunction(
      () => document.querySelectorAll('path.link-edge.impaired').length === 1,
    );
    const { text, rc } = await consoleRun(page, 'host1', 'ping -c 3 -W 1 10.0.2.10');
    check(rc !== 0 && /100% packet loss/.test(text), `pings passed a 100 % loss link:\n${text}`);
    await shot(page, 'impairment');
  });

  await step('4c. clear the impairment: the pings pass again', async () => {
    await page.getByRole('button', { name: 'Clear impairments' }).click();
    await page.getByText('impairments: none').waitFor();
    const { text, rc } = await consoleRun(page, 'host1', 'ping -c 3 -W 2 10.0.2.10');
    check(rc === 0 && / 0% packet loss/.test(text), `pings still fail:\n${text}`);
  });

  await step('5. stop the lab', async () => {
    await page.getByRole('button', { name: '■ Stop all' }).click();
    for (const n of ['host1', 'frr1', 'host2']) {
      await nodeCard(page, n, 'stopped').waitFor({ timeout: 20_000 });
    }
    await page.getByText('0/3 running').waitFor();
    await page.getByText(/host1: .*(ended|stopped)/).waitFor();
  });

  await step('6. import an EVE-NG .unl and see its topology', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Labs' })
      .click();
    await page.getByRole('heading', { name: 'All labs' }).waitFor();
    await page
      .locator('input[type=file][accept=".unl,.xml"]')
      .setInputFiles(join(here, 'fixtures', 'p2p.unl'));
    const dialog = page.getByRole('dialog');
    await dialog.getByRole('heading', { name: 'Import an EVE-NG lab (.unl)' }).waitFor();
    await dialog.getByLabel('Lab name').fill('imported-p2p');
    await dialog.getByRole('button', { name: 'Import' }).click();
    // The fixture's lab id (all zeros) is not kept: the review says so, then opens the lab.
    const review = page.getByRole('dialog').filter({ hasText: 'Imported: please review' });
    await review.getByText('is not a usable UUID').waitFor();
    await review.getByRole('link', { name: 'Open the lab' }).click();
    await page.waitForURL(/\/labs\/[^/]+$/);
    await nodeCard(page, 'A').waitFor();
    await nodeCard(page, 'B').waitFor();
    await edgeShown(page, 'Link A Gi0/0 – B Gi0/0');
    await shot(page, 'canvas-imported');
  });

  await step('7. a viewer sees the lab, and nothing that changes it', async () => {
    const created = await api('POST', '/api/users', {
      username: 'watcher',
      password: 'watcher-password-1',
      role: 'viewer',
    });
    check(
      created.status === 201,
      `create viewer: ${created.status} ${JSON.stringify(created.json)}`,
    );
    const share = await api('PUT', `/api/labs/${labId}/shares/${created.json.id}`, {
      level: 'viewer',
    });
    check(share.status === 204, `share: ${share.status} ${JSON.stringify(share.json)}`);

    const ctx = await browser.newContext({ viewport: { width: 1400, height: 860 } });
    const vp = await newPage(ctx);
    current = vp;
    await signIn(vp, 'watcher', 'watcher-password-1');
    check(
      !(await vp.getByRole('link', { name: 'Admin', exact: true }).count()),
      'Admin link shown',
    );
    await vp.getByRole('link', { name: 'e2e-routed', exact: true }).click();
    await nodeCard(vp, 'frr1', 'stopped').waitFor();
    await vp.getByText('Live', { exact: true }).waitFor();
    // The toolbar has no editing buttons at all.
    for (const label of ['+ Add', '▶ Start all', '■ Stop all', 'Delete']) {
      check(
        (await vp.getByRole('button', { name: label, exact: true }).count()) === 0,
        `viewer sees “${label}”`,
      );
    }
    // Shortcuts that change the lab do nothing.
    await vp.keyboard.press('a');
    check(!(await vp.getByRole('heading', { name: 'Add to the lab' }).count()), 'catalogue opened');
    // The node panel: every action and field disabled.
    await selectNode(vp, 'frr1');
    for (const label of ['Start', 'Stop', 'Wipe', 'Console']) {
      check(
        await vp.getByRole('button', { name: label, exact: true }).isDisabled(),
        `viewer's “${label}” is enabled`,
      );
    }
    check(await vp.getByLabel('Name').isDisabled(), 'name field enabled');
    check(await vp.getByLabel('Addresses of eth0').isDisabled(), 'address field enabled');
    check(
      await vp.getByRole('button', { name: 'Delete node' }).isDisabled(),
      'Delete node enabled',
    );
    // Nodes cannot be dragged (a drag pans the view instead): the node's place on the canvas
    // (its transform, in lab coordinates) stays, and the page sends no layout.
    const writes = [];
    vp.on('request', (r) => {
      if (r.method() !== 'GET') writes.push(`${r.method()} ${r.url()}`);
    });
    const placeOf = () => flowNode(vp, 'frr1').evaluate((el) => el.style.transform);
    const before = await placeOf();
    const box = await flowNode(vp, 'frr1').boundingBox();
    await vp.mouse.move(box.x + 40, box.y + 30);
    await vp.mouse.down();
    await vp.mouse.move(box.x + 240, box.y + 130, { steps: 8 });
    await vp.mouse.up();
    await vp.waitForTimeout(600);
    check((await placeOf()) === before, `frr1 moved: ${before} → ${await placeOf()}`);
    check(writes.length === 0, `the viewer's page sent ${writes.join(', ')}`);
    // The link panel: read-only.
    await clickEdge(vp, 'Link host1 eth0 – frr1 eth0');
    const form = vp.getByRole('form', { name: 'Impairments of the link' });
    check(await form.getByLabel('Loss (%)').isDisabled(), 'loss field enabled');
    check(
      await form.getByRole('button', { name: 'Delete link' }).isDisabled(),
      'Delete link enabled',
    );
    await shot(vp, 'viewer');
    // And the gateway refuses what the page does not offer.
    const vapi = await apiOf(vp);
    for (const [method, path, body] of [
      ['POST', `/api/labs/${labId}/start`],
      ['POST', `/api/labs/${labId}/nodes`, { name: 'x', template: 'host' }],
      ['PUT', `/api/labs/${labId}/layout`, { nodes: {}, networks: {} }],
      ['DELETE', `/api/labs/${labId}`],
    ]) {
      const r = await vapi(method, path, body);
      check(r.status === 403, `viewer ${method} ${path}: ${r.status}`);
    }
    const ws = await vp.evaluate(
      (url) =>
        new Promise((resolve) => {
          const s = new WebSocket(url);
          s.onopen = () => resolve('open');
          s.onclose = (e) => resolve(`closed ${e.code}`);
        }),
      `${base.replace(/^http/, 'ws')}/api/labs/${labId}/nodes/1/console`,
    );
    check(ws !== 'open', `viewer opened a console (${ws})`);
    await ctx.close();
    current = page;
  });

  await step('8. admin pages', async () => {
    await page
      .getByRole('navigation', { name: 'Main' })
      .getByRole('link', { name: 'Admin' })
      .click();
    await page.getByRole('cell', { name: 'watcher', exact: true }).waitFor();
    await shot(page, 'admin-users');
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('cell', { name: 'link.metrics' }).first().waitFor();
    await shot(page, 'admin-audit');
    await page.getByRole('link', { name: 'System' }).click();
    await page.getByRole('meter', { name: 'Memory' }).waitFor();
    await shot(page, 'admin-system');
  });

  await step('9. a 200-node, 300-link lab: open, select, pan and zoom (figures)', async () => {
    const doc = bigLab({ nodes: 200, cables: 300 });
    const imported = await api('POST', '/api/labs/import', { folder: '', name: 'big', lab: doc });
    check(imported.status === 201, `import: ${imported.status} ${JSON.stringify(imported.json)}`);
    const ctx = await browser.newContext({ viewport: { width: 1400, height: 860 } });
    // From the first script on: long tasks (> 50 ms on the main thread), and when a pointer
    // went down.
    await ctx.addInitScript(() => {
      window.__longtasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          window.__longtasks.push({ start: e.startTime, duration: e.duration });
        }
      }).observe({ type: 'longtask', buffered: true });
      addEventListener('pointerdown', () => (window.__pointerAt = performance.now()), true);
    });
    const bp = await newPage(ctx);
    current = bp;
    await signIn(bp, opt.user, opt.password);
    // All times in the page's clock: 0 is the start of the navigation to the lab.
    await bp.goto(`${base}/labs/${encodeURIComponent(imported.json.id)}`);
    // Drawn: every node and link on the canvas (checked every frame).
    await bp.waitForFunction(
      () => {
        const n = document.querySelectorAll('.svelte-flow__node').length;
        const e = document.querySelectorAll('.svelte-flow__edge').length;
        if (n < 200 || e < 300) return false;
        window.__drawnAt = performance.now();
        return true;
      },
      null,
      { polling: 'raf', timeout: 30_000 },
    );
    // Interactive: the main thread is free for good (no long task ends later, looking 1 s on).
    await bp.waitForTimeout(1000);
    await bp.screenshot({ path: join(out, 'canvas-200-nodes.png') });
    const opening = await bp.evaluate(() => ({
      drawn: window.__drawnAt,
      tasks: window.__longtasks.splice(0),
      fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime ?? null,
    }));
    const busyUntil = Math.max(0, ...opening.tasks.map((t) => t.start + t.duration));
    const interactive = Math.max(opening.drawn, busyUntil);
    // Then a click on a node: from the pointer going down to the frame that shows its panel.
    await flowNode(bp, 'r42').click();
    await bp.waitForFunction(
      () => {
        if (document.getElementById('node-title')?.textContent !== 'r42') return false;
        window.__panelAt = performance.now();
        return true;
      },
      null,
      { polling: 'raf' },
    );
    const clickMs = await bp.evaluate(() => window.__panelAt - window.__pointerAt);

    // Pan (drag the background) and zoom (wheel), counting frames and long tasks.
    await bp.evaluate(() => {
      window.__frames = [];
      const tick = (t) => {
        window.__frames.push(t);
        if (window.__frames.length < 100_000) window.__raf = requestAnimationFrame(tick);
      };
      window.__raf = requestAnimationFrame(tick);
      window.__longtasks.splice(0);
    });
    const pane = await bp.locator('.svelte-flow__pane').boundingBox();
    const cx = pane.x + pane.width / 2;
    const cy = pane.y + 40;
    for (let round = 0; round < 3; round++) {
      await bp.mouse.move(cx, cy);
      await bp.mouse.down();
      await bp.mouse.move(cx - 300, cy + 150, { steps: 20 });
      await bp.mouse.move(cx + 200, cy + 100, { steps: 20 });
      await bp.mouse.up();
      for (let i = 0; i < 6; i++) {
        await bp.mouse.wheel(0, round % 2 ? 120 : -120);
        await bp.waitForTimeout(30);
      }
    }
    await bp.waitForTimeout(300);
    const panning = await bp.evaluate(() => {
      cancelAnimationFrame(window.__raf);
      const f = window.__frames;
      const gaps = f
        .slice(1)
        .map((t, i) => t - f[i])
        .sort((a, b) => a - b);
      return {
        ms: f.at(-1) - f[0],
        frames: f.length,
        p95: gaps[Math.floor(gaps.length * 0.95)] ?? 0,
        worst: gaps.at(-1) ?? 0,
        tasks: window.__longtasks.splice(0),
      };
    });
    await ctx.close();
    current = page;

    const r = Math.round;
    const longest = (ts) => r(Math.max(0, ...ts.map((t) => t.duration)));
    Object.assign(perf, {
      nodes: 200,
      links: 300,
      first_contentful_paint_ms: opening.fcp === null ? null : r(opening.fcp),
      drawn_ms: r(opening.drawn),
      interactive_ms: r(interactive),
      long_tasks_while_opening: opening.tasks.length,
      longest_task_while_opening_ms: longest(opening.tasks),
      click_to_panel_ms: r(clickMs),
      pan_zoom_ms: r(panning.ms),
      pan_zoom_frames: panning.frames,
      frame_interval_p95_ms: r(panning.p95),
      frame_interval_worst_ms: r(panning.worst),
      long_tasks_while_panning: panning.tasks.length,
      longest_task_while_panning_ms: longest(panning.tasks),
      cpus: availableParallelism(),
      load_average_1m: Number(loadavg()[0].toFixed(2)),
    });
    perf.target_1s_met = perf.interactive_ms < 1000;
    perf.target_no_long_tasks_panning_met = perf.long_tasks_while_panning === 0;
    console.log(`\n  perf: ${JSON.stringify(perf)}`);
    await writeFile(join(out, 'perf.json'), `${JSON.stringify(perf, null, 2)}\n`);
    // The targets (interactive < 1 s, no long task while panning) hold on a quiet machine;
    // this one is shared, so the test only guards against gross regressions, unless
    // NOVA_E2E_STRICT_PERF=1 asks for the targets themselves.
    const strict = process.env.NOVA_E2E_STRICT_PERF === '1';
    const [openLimit, clickLimit, taskLimit] = strict ? [1000, 100, 50] : [5000, 1500, 1000];
    check(perf.interactive_ms < openLimit, `interactive after ${perf.interactive_ms} ms`);
    check(perf.click_to_panel_ms < clickLimit, `a click took ${perf.click_to_panel_ms} ms`);
    check(
      strict ? panning.tasks.length === 0 : perf.longest_task_while_panning_ms < taskLimit,
      `long tasks while panning/zooming: ${JSON.stringify(panning.tasks.map((t) => r(t.duration)))}`,
    );
  });

  await step('no errors in the pages', async () => {
    check(pageErrors.length === 0, `\n  ${pageErrors.join('\n  ')}`);
  });
} catch (err) {
  console.log(`\n${err.stack ?? err}`);
  process.exitCode = 1;
} finally {
  await browser.close();
}

const total = ((Date.now() - started) / 1000).toFixed(1);
const summary = { ok: process.exitCode !== 1, seconds: Number(total), steps: timings, shots };
await writeFile(join(out, 'summary.json'), `${JSON.stringify(summary, null, 2)}\n`);
console.log(
  `${process.exitCode === 1 ? 'FAILED' : 'passed'} after ${total} s; screenshots in ${out}`,
);
