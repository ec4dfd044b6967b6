import { describe, expect, it } from 'vitest';
import { applyEvent, type LabCopy } from './apply';
import { buildCanvas, parseKey } from './graph';
import { interfaceChoices, interfaceName, uniqueName } from './interfaces';
import { nodeIcon, networkIcon } from './icons';
import { testLab, testLink, testNetwork, testNode, testRuntime } from './fixtures';
import type { LabEvent } from '../api/types';

const copy = (): LabCopy => ({ lab: testLab(), runtime: {} });
const e = (x: Record<string, unknown>) => ({ lab_id: 'L1', seq: 1, v: 1, ...x }) as LabEvent;

describe('interfaces', () => {
  it('names interfaces from runtime, then the lab, then the kind default', () => {
    const lab = testLab();
    const r1 = lab.nodes['1']!;
    const r2 = lab.nodes['2']!;
    expect(interfaceName(r1, 0)).toBe('lan0');
    expect(interfaceName(r1, 1)).toBe('eth1');
    expect(interfaceName(r2, 0)).toBe('Gi1');
    const rt = testRuntime(1, {
      interfaces: [
        { index: 1, name: 'ens4', planned_mac: '', live_mac: '', network_id: 2, host_ifname: '' },
      ],
    });
    expect(interfaceName(r1, 1, rt)).toBe('ens4');
  });
  it('marks used interfaces', () => {
    const lab = testLab();
    const choices = interfaceChoices(lab, lab.nodes['1']!);
    expect(choices.map((c) => c.free)).toEqual([false, false, true, true]);
  });
  it('makes unique names', () => {
    expect(uniqueName('frr', ['frr1', 'FRR2'])).toBe('frr3');
    expect(uniqueName('r7', [])).toBe('r1');
  });
});

describe('buildCanvas', () => {
  it('draws nodes, visible networks, and one cable per implicit network', () => {
    const lab = testLab();
    const { nodes, edges } = buildCanvas(lab, { 1: testRuntime(1) });
    expect(nodes.map((n) => n.id).sort()).toEqual(['net-1', 'node-1', 'node-2', 'node-3']);
    const cable = edges.find((x) => x.id === 'cable-2');
    expect(cable).toMatchObject({ source: 'node-1', target: 'node-2' });
    expect(cable?.data).toMatchObject({
      linkIds: ['lnk_003', 'lnk_004'],
      sourceLabel: 'eth1',
      targetLabel: 'Gi3',
      up: false,
    });
    const lan = edges.find((x) => x.id === 'link-lnk_001');
    expect(lan).toMatchObject({ source: 'node-1', target: 'net-1' });
    expect(lan?.data).toMatchObject({ sourceLabel: 'lan0', targetLabel: '', up: true });
    expect(edges).toHaveLength(3);
    const net = nodes.find((n) => n.id === 'net-1');
    expect(net?.data).toMatchObject({ members: 2 });
    const r1 = nodes.find((n) => n.id === 'node-1');
    expect(r1?.data).toMatchObject({ state: 'running' });
    expect(nodes.find((n) => n.id === 'node-2')?.data).toMatchObject({ state: 'stopped' });
  });
  it('numbers parallel links between the same two elements', () => {
    const lab = testLab();
    lab.links.push(testLink('lnk_009', { node_id: 1, interface_index: 2 }, { network_id: 1 }));
    const { edges } = buildCanvas(lab, {});
    const toLan = edges.filter((x) => x.source === 'node-1' && x.target === 'net-1');
    expect(toLan.map((x) => [x.data.parallelIndex, x.data.parallelCount])).toEqual([
      [0, 2],
      [1, 2],
    ]);
    expect(edges.find((x) => x.id === 'link-lnk_002')?.data.parallelCount).toBe(1);
  });
  it('does not draw half a cable', () => {
    const lab = testLab();
    lab.links = lab.links.filter((l) => l.id !== 'lnk_004');
    const { edges } = buildCanvas(lab, {});
    expect(edges.map((x) => x.id).sort()).toEqual(['link-lnk_001', 'link-lnk_002']);
  });
  it('treats EVE-NG visibility 0 as hidden', () => {
    const lab = testLab();
    lab.networks['1'] = testNetwork(1, 'lan', { visibility: 0 });
    const { nodes } = buildCanvas(lab, {});
    expect(nodes.some((n) => n.id === 'net-1')).toBe(false);
  });
  it('parses element keys', () => {
    expect(parseKey('node-12')).toEqual({ kind: 'node', id: 12 });
    expect(parseKey('net-3')).toEqual({ kind: 'network', id: 3 });
    expect(parseKey('cable-3')).toBeNull();
  });
});

describe('applyEvent', () => {
  it('adds, updates and deletes nodes with their runtime and links', () => {
    const c = copy();
    expect(applyEvent(c, e({ type: 'node_created', node: testNode(4, 'r4') }))).toBe('applied');
    expect(c.lab.nodes['4']?.name).toBe('r4');
    applyEvent(c, e({ type: 'node_updated', node: testNode(4, 'r4b') }));
    expect(c.lab.nodes['4']?.name).toBe('r4b');
    applyEvent(c, e({ type: 'node_state', ...testRuntime(1, { pid: 9 }) }));
    expect(c.runtime[1]).toMatchObject({ state: 'running', pid: 9, node_id: 1 });
    applyEvent(c, e({ type: 'node_deleted', node_id: 1 }));
    expect(c.lab.nodes['1']).toBeUndefined();
    expect(c.runtime[1]).toBeUndefined();
    expect(c.lab.links.map((l) => l.id)).toEqual(['lnk_002', 'lnk_004']);
  });
  it('handles networks and links', () => {
    const c = copy();
    applyEvent(
      c,
      e({ type: 'network_created', network: testNetwork(3, 'wan', { type: 'nat_cloud' }) }),
    );
    expect(c.lab.networks['3']?.name).toBe('wan');
    const link = testLink('lnk_005', { node_id: 2, interface_index: 0 }, { network_id: 3 });
    applyEvent(c, e({ type: 'link_created', link }));
    expect(c.lab.links).toHaveLength(5);
    applyEvent(c, e({ type: 'link_created', link })); // applied twice: still one
    expect(c.lab.links).toHaveLength(5);
    const metrics = { delay_ms: 0, jitter_ms: 0, loss_pct: 5, bandwidth_kbps: 0 };
    applyEvent(c, e({ type: 'link_updated', link: { ...link, metrics } }));
    expect(c.lab.links.at(-1)?.metrics?.loss_pct).toBe(5);
    applyEvent(c, e({ type: 'network_deleted', network_id: 3 }));
    expect(c.lab.networks['3']).toBeUndefined();
    expect(c.lab.links).toHaveLength(4);
    applyEvent(c, e({ type: 'link_deleted', link_id: 'lnk_001', link }));
    expect(c.lab.links.map((l) => l.id)).toEqual(['lnk_002', 'lnk_003', 'lnk_004']);
  });
  it('moves nodes and networks from layout_updated', () => {
    const c = copy();
    const r = applyEvent(
      c,
      e({
        type: 'layout_updated',
        node_ids: [1],
        network_ids: [1],
        nodes: { 1: { left: 11, top: 12 } },
        networks: { 1: { left: 21, top: 22 } },
        viewport: { x: 5, y: 6, zoom: 0.5 },
      }),
    );
    expect(r).toBe('applied');
    expect(c.lab.nodes['1']).toMatchObject({ left: 11, top: 12 });
    expect(c.lab.networks['1']).toMatchObject({ left: 21, top: 22 });
    expect(c.lab.viewport).toEqual({ x: 5, y: 6, zoom: 0.5 });
    // The older shape without positions: re-read.
    expect(applyEvent(c, e({ type: 'layout_updated', node_ids: [1], network_ids: [] }))).toBe(
      'reload',
    );
  });
  it('keeps warnings, reports renames, reloads for unknown types, leaves on delete', () => {
    const c = copy();
    applyEvent(c, e({ type: 'node_warning', node_id: 2, message: 'eth0: no bridge' }));
    expect(c.warnings?.[2]).toEqual(['eth0: no bridge']);
    applyEvent(c, e({ type: 'lab_renamed', lab: { id: 'L1', name: 'n2', folder: 'f' } }));
    expect([c.name, c.folder]).toEqual(['n2', 'f']);
    expect(applyEvent(c, e({ type: 'something_new' }))).toBe('reload');
    expect(applyEvent(c, e({ type: 'lab_deleted' }))).toBe('deleted');
    expect(applyEvent(c, { ...e({ type: 'node_deleted', node_id: 2 }), lab_id: 'other' })).toBe(
      'ignored',
    );
  });
});

describe('icons', () => {
  it('picks icons from icon file, template, then kind', () => {
    expect(nodeIcon({ icon: 'Switch.png', template: 'frr', type: 'linux' })).toBe('switch');
    expect(nodeIcon({ icon: '', template: 'fortigate', type: 'qemu' })).toBe('firewall');
    expect(nodeIcon({ icon: '', template: 'x', type: 'docker' })).toBe('container');
    expect(networkIcon({ type: 'nat_cloud' })).toBe('cloud');
    expect(networkIcon({ type: 'linux_bridge' })).toBe('bridge');
  });
});
