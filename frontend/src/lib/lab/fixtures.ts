// A small lab for unit tests: r1 —(cable)— r2, r1 and h1 on the visible network "lan".

import type {
  Endpoint,
  LabDocument,
  LabLink,
  LabNetwork,
  LabNode,
  NodeRuntime,
} from '../api/types';

export function testNode(id: number, name: string, extra: Partial<LabNode> = {}): LabNode {
  return {
    id,
    name,
    type: 'linux',
    template: 'frr',
    image: '',
    console: 'telnet',
    delay: 0,
    cpu: 1,
    ram: 256,
    ethernet: 4,
    left: id * 100,
    top: 50,
    icon: 'Router.png',
    extras: {},
    interfaces: [],
    ...extra,
  };
}

export function testNetwork(id: number, name: string, extra: Partial<LabNetwork> = {}): LabNetwork {
  return {
    id,
    name,
    type: 'linux_bridge',
    left: 300,
    top: 80,
    visibility: true,
    implicit: false,
    config: {},
    ...extra,
  };
}

export function testLink(id: string, from: Endpoint, to: Endpoint): LabLink {
  return { id, from, to, style_override: null };
}

export function testRuntime(nodeId: number, extra: Partial<NodeRuntime> = {}): NodeRuntime {
  return {
    node_id: nodeId,
    state: 'running',
    unit: `nova-node-l1-${nodeId}.scope`,
    pid: 1000 + nodeId,
    console: '',
    interfaces: [],
    problems: [],
    ...extra,
  };
}

export function testLab(): LabDocument {
  return {
    schema: 2,
    id: 'L1',
    meta: { name: 'ospf' },
    viewport: { x: 0, y: 0, zoom: 1 },
    nodes: {
      '1': testNode(1, 'r1', {
        interfaces: [{ index: 0, name: 'lan0', planned_mac: null, port_position: null }],
      }),
      '2': testNode(2, 'r2', { type: 'qemu', template: 'vyos' }),
      '3': testNode(3, 'h1', { template: 'host', icon: 'Server.png', ethernet: 1 }),
    },
    networks: {
      '1': testNetwork(1, 'lan'),
      '2': testNetwork(2, 'p2p_r1_r2', { left: 0, top: 0, visibility: false, implicit: true }),
    },
    links: [
      testLink('lnk_001', { node_id: 1, interface_index: 0 }, { network_id: 1 }),
      testLink('lnk_002', { node_id: 3, interface_index: 0 }, { network_id: 1 }),
      testLink('lnk_003', { node_id: 1, interface_index: 1 }, { network_id: 2 }),
      testLink('lnk_004', { node_id: 2, interface_index: 2 }, { network_id: 2 }),
    ],
    defaults: {},
    textobjects: [],
    lineobjects: [],
    pictures: [],
    tasks: [],
    configsets: {},
  };
}
