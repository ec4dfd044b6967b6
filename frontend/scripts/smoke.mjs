// Drives the built app in headless Chromium against a gateway (the mock by default) and saves
// screenshots: sign-in with return to a deep link, labs browser, lab canvas, add node, link,
// start, consoles (docked, side by side, own tab), dark theme, admin pages, API tokens. Not part of `npm test` (needs /usr/bin/chromium). Playwright
// gives the browser a fresh temporary profile itself.
//
//   node scripts/mock-gateway.mjs 8090 &  node scripts/smoke.mjs http://127.0.0.1:8090 /tmp/shots
//
// Expects a fresh mock (its demo lab as it starts).

import { chromium } from 'playwright-core';
import { mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const base = process.argv[2] ?? 'http://127.0.0.1:8090';
const out = process.argv[3] ?? join(tmpdir(), 'nova-shots');
await mkdir(out, { recursive: true });

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
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
const errors = [];
const step = async (name, fn) => {
  process.stdout.write(`- ${name} … `);
  await fn();
  console.log('ok');
};
try {
  const context = await browser.newContext({ viewport: { width: 1400, height: 860 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  // 401s are expected: the session probe before sign-in and the wrong password on purpose.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/status of 401/.test(m.text()))
      errors.push(`console: ${m.text()}`);
  });
  const shot = (n) => page.screenshot({ path: join(out, `${n}.png`) });

  await step('deep link while signed out goes to sign-in, keeping the route', async () => {
    await page.goto(`${base}/labs/demo-lab`);
    await page.waitForURL(/\/signin\?next=%2Flabs%2Fdemo-lab/);
    await shot('01-signin');
  });
  await step('wrong password shows the server detail', async () => {
    await page.getByLabel('User name').fill('admin');
    await page.getByLabel('Password').fill('nope');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('wrong username or password').waitFor();
  });
  await step('sign-in returns to the lab', async () => {
    await page.getByLabel('Password').fill('admin');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/labs\/demo-lab$/);
    await page.locator('.svelte-flow__node').first().waitFor();
    await page.getByText('Live', { exact: true }).waitFor();
    await page.waitForTimeout(400);
    await shot('02-lab');
  });
  await step('selecting a node shows its panel', async () => {
    await page.locator('[data-id="node-2"]').click();
    await page.getByRole('heading', { name: 'r2' }).waitFor();
    await shot('03-node-panel');
  });
  await step('start r2 (S): state goes to running through events', async () => {
    await page.keyboard.press('s');
    await page.locator('.state', { hasText: 'running' }).waitFor({ timeout: 5000 });
  });
  await step('catalogue: add a FRRouting node', async () => {
    await page.keyboard.press('a');
    await page.getByRole('heading', { name: 'Add to the lab' }).waitFor();
    await shot('04-catalogue');
    await page.getByRole('button', { name: 'Add a FRRouting node' }).click();
    await page.locator('.svelte-flow__node', { hasText: 'frr1' }).waitFor();
  });
  await step('drag from frr1 to r2 opens the link dialog; create the link', async () => {
    await page.keyboard.press('a');
    const from = page.locator('.svelte-flow__node', { hasText: 'frr1' });
    await from.hover();
    const handle = from.locator('.connector');
    const hb = await handle.boundingBox();
    const target = await page.locator('[data-id="node-2"]').boundingBox();
    await page.mouse.move(hb.x + hb.width / 2, hb.y + hb.height / 2);
    await page.mouse.down();
    await page.mouse.move(target.x + target.width / 2, target.y + 20, { steps: 12 });
    await page.mouse.up();
    await page.getByRole('heading', { name: 'New link' }).waitFor();
    await shot('05-link-dialog');
    await page.getByRole('button', { name: 'Create link' }).click();
    await page.getByRole('heading', { name: 'New link' }).waitFor({ state: 'hidden' });
    await page.waitForTimeout(300);
    await shot('06-linked');
  });
  await step('start all reports the node that failed', async () => {
    await page.getByRole('button', { name: '▶ Start all' }).click();
    await page.getByText(/edge did not start/).waitFor();
  });
  await step('console opens docked and echoes typed input', async () => {
    await page.locator('[data-id="node-1"]').click();
    await page.getByRole('button', { name: 'Console', exact: true }).click();
    await page.getByText('Connected to r1').waitFor();
    await page.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('show ip ospf neighbor');
    await page.keyboard.press('Enter');
    await page.getByText('show ip ospf neighbor').first().waitFor();
    await shot('07-console');
  });
  await step('a second console, side by side; typing goes to the focused one', async () => {
    await page.locator('[data-id="node-2"]').click();
    await page.getByRole('button', { name: 'Console', exact: true }).click();
    await page.getByText('Connected to r2').waitFor();
    await page.getByLabel('Side by side').check();
    await page.getByRole('region', { name: 'Console of r1' }).waitFor();
    await page
      .getByRole('region', { name: 'Console of r2' })
      .locator('.xterm-helper-textarea')
      .focus();
    await page.keyboard.type('hostname');
    await page.keyboard.press('Enter');
    await page.getByRole('region', { name: 'Console of r2' }).getByText('r2# hostname').waitFor();
    await shot('07b-consoles-side-by-side');
  });
  await step('dark theme', async () => {
    await page.locator('.svelte-flow__pane').click({ position: { x: 20, y: 20 } });
    await page.getByRole('button', { name: /Change theme/ }).click();
    await page.getByRole('button', { name: /Change theme/ }).click();
    await page.waitForTimeout(300);
    await shot('08-dark');
  });
  await step('labs browser', async () => {
    await page.getByRole('link', { name: 'Labs', exact: true }).click();
    await page.getByRole('heading', { name: 'All labs' }).waitFor();
    await shot('09-labs');
  });
  await step('admin: create a user, change the role, delete', async () => {
    await page.getByRole('link', { name: 'Admin', exact: true }).click();
    await page.getByRole('heading', { name: 'New user' }).waitFor();
    await page.getByLabel('Username').fill('carol');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByText('At least 8 characters.').waitFor();
    await page.getByLabel('Password', { exact: true }).fill('long enough');
    await page.getByLabel('Password again').fill('long enough');
    await page.getByLabel('Role', { exact: true }).selectOption('editor');
    await page.getByRole('button', { name: 'Create user' }).click();
    await page.getByText('Created carol (editor).').waitFor();
    await page.getByLabel('Role of carol').selectOption('viewer');
    await page.getByText(/change the role of carol to viewer done/).waitFor();
    await shot('11-admin-users');
    await page.getByRole('button', { name: 'Delete carol' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
    await page.getByText('Deleted carol.').waitFor();
  });
  await step('admin: audit log filtered by action', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('table').waitFor();
    await page.getByLabel('Action (prefix)').fill('user.');
    await page.getByRole('button', { name: 'Apply' }).click();
    await page.getByRole('cell', { name: 'user.create' }).waitFor();
    await page.getByRole('cell', { name: 'user.delete' }).waitFor();
    await shot('12-admin-audit');
  });
  await step('admin: system status', async () => {
    await page.getByRole('link', { name: 'System' }).click();
    await page.getByRole('meter', { name: 'Memory' }).waitFor();
    await page.getByRole('heading', { name: /Nodes in \d+ labs?/ }).waitFor();
    await shot('13-admin-system');
  });
  await step('account: a token is shown once, then revoked', async () => {
    await page.getByRole('link', { name: 'Account' }).click();
    await page.getByLabel('Name', { exact: true }).fill('ci-runner');
    await page.getByRole('button', { name: 'Create token' }).click();
    await page.getByText(/Copy the token “ci-runner” now/).waitFor();
    await shot('14-token-secret');
    await page.getByRole('button', { name: 'I have copied it' }).click();
    await page.getByRole('button', { name: 'Revoke ci-runner' }).click();
    await page.getByRole('dialog').getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('No active tokens.').waitFor();
  });
  await step('console in its own tab', async () => {
    const tab = await context.newPage();
    await tab.goto(`${base}/labs/demo-lab/console/1`);
    await tab.getByRole('heading', { name: 'r1' }).waitFor();
    await tab.locator('.xterm').waitFor();
    await tab.waitForTimeout(400);
    await tab.screenshot({ path: join(out, '10-console-tab.png') });
  });
} finally {
  await browser.close();
}
if (errors.length) {
  console.log(`page errors:\n  ${errors.join('\n  ')}`);
  process.exitCode = 1;
}
console.log(`screenshots in ${out}`);
