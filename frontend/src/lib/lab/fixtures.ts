// A small lab for unit tests: r1 —(cable)— r2, r1 and h1 on the visible network "lan".

import type { LabDocument, LabNode } from '../api/types';

export function testNode(id: number, name: string, extra: Partial<LabNode> = {}): LabNode {
  return {
    id,
    name,
    type: 'linux',
    template: 'frr',
    image: '',
    console: 'telnet',
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

export function testLab(): LabDocument {
  return {
    schema: 2,
    id: 'L1',
    meta: { name: 'ospf' },
    viewport: { x: 0, y: 0, zoom: 1 },
    nodes: {
      '1': testNode(1, 'r1', { interfaces: [{ index: 0, name: 'lan0' }] }),
      '2': testNode(2, 'r2', { type: 'qemu', template: 'vyos' }),
      '3': testNode(3, 'h1', { template: 'host', icon: 'Server.png', ethernet: 1 }),
    },
    networks: {
      '1': {
        id: 1,
        name: 'lan',
        type: 'linux_bridge',
        left: 300,
        top: 80,
        visibility: true,
        implicit: false,
      },
      '2': {
        id: 2,
        name: 'p2p_r1_r2',
        type: 'linux_bridge',
        left: 0,
        top: 0,
        visibility: false,
        implicit: true,
      },
    },
    links: [
      { id: 'lnk_001', from: { node_id: 1, interface_index: 0 }, to: { network_id: 1 } },
      { id: 'lnk_002', from: { node_id: 3, interface_index: 0 }, to: { network_id: 1 } },
      { id: 'lnk_003', from: { node_id: 1, interface_index: 1 }, to: { network_id: 2 } },
      { id: 'lnk_004', from: { node_id: 2, interface_index: 2 }, to: { network_id: 2 } },
    ],
  };
}
