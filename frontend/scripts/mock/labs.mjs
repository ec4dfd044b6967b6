// Lab documents, templates and images of the mock gateway, in the shapes of the generated
// contract (src/lib/api/generated.ts: Lab, Node, Network, TemplateInfo).

export const node = (id, name, template, type, left, top, extra = {}) => ({
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
  icon: template === 'host' ? 'Server.png' : 'Router.png',
  interfaces: [],
  extras: {},
  ...extra,
});

export const network = (id, name, type, left, top, extra = {}) => ({
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

const link = (id, from, to) => ({ id, from, to, style_override: null });

export function emptyLab(id, name) {
  return {
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
}

export function demoLab() {
  return {
    ...emptyLab('demo-lab', 'OSPF area 0'),
    nodes: {
      1: node(1, 'r1', 'frr', 'linux', 120, 120),
      2: node(2, 'r2', 'frr', 'linux', 420, 120),
      3: node(3, 'h1', 'host', 'linux', 270, 320),
      4: node(4, 'edge', 'vyos', 'qemu', 600, 320, { ethernet: 3, ram: 1024, image: 'vyos-1.4.0' }),
    },
    networks: {
      1: network(1, 'lan', 'linux_bridge', 280, 230),
      2: network(2, 'p2p_r1_r2', 'linux_bridge', 0, 0, { visibility: false, implicit: true }),
      3: network(3, 'internet', 'nat_cloud', 620, 40),
    },
    links: [
      link('lnk_001', { node_id: 1, interface_index: 0 }, { network_id: 1 }),
      link('lnk_002', { node_id: 3, interface_index: 0 }, { network_id: 1 }),
      link('lnk_003', { node_id: 1, interface_index: 1 }, { network_id: 2 }),
      link('lnk_004', { node_id: 2, interface_index: 1 }, { network_id: 2 }),
      link('lnk_005', { node_id: 4, interface_index: 0 }, { network_id: 3 }),
    ],
  };
}

const template = (key, name, type, icon_type, extra = {}) => ({
  key,
  type,
  name,
  description: null,
  icon_type,
  cpu: 1,
  ram: 256,
  ethernet: 4,
  console_type: 'telnet',
  profile: null,
  capabilities: { hotplug: type === 'linux', max_nics: type === 'linux' ? 64 : 16 },
  extras: {},
  startable: type === 'linux',
  ...extra,
});

export const templates = [
  template('frr', 'FRRouting', 'linux', 'router', {
    description: 'FRR in a network namespace',
    profile: 'frr-router',
  }),
  template('host', 'Linux host (busybox)', 'linux', 'host', {
    ram: 64,
    ethernet: 1,
    profile: 'busybox-host',
  }),
  template('vyos', 'VyOS', 'qemu', 'router', { cpu: 2, ram: 1024, ethernet: 3 }),
  template('csr1000vng', 'Cisco CSR 1000V', 'qemu', 'router', { ram: 4096 }),
  template('nxosv9k', 'Cisco Nexus 9000v', 'qemu', 'switch', { cpu: 2, ram: 8192, ethernet: 8 }),
  template('fortinet', 'FortiGate', 'qemu', 'firewall', { ram: 2048, ethernet: 8 }),
];

/** Installed images by template key (`GET /api/images`). */
export const images = {
  vyos: ['vyos-1.4.0', 'vyos-1.3.8'],
  fortinet: ['fortinet-7.2'],
};

export const iconFile = (iconType) => `${iconType.charAt(0).toUpperCase()}${iconType.slice(1)}.png`;

/**
 * A rough EVE-NG `.unl` reader for the mock (the gateway uses the importer's library): the lab
 * name, nodes and networks; `review` says what was not kept exactly. Throws a 422-like error.
 */
export function convertUnl(xml) {
  const attrs = (tag) =>
    Object.fromEntries([...tag.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
  const labTag = /<lab\b[^>]*>/.exec(xml);
  if (!labTag) {
    throw Object.assign(new Error('not an EVE-NG lab we can import: no <lab> element'), {
      status: 422,
    });
  }
  const lab = emptyLab('', attrs(labTag[0]).name || 'imported');
  const review = [];
  for (const m of xml.matchAll(/<node\b[^>]*>/g)) {
    const a = attrs(m[0]);
    const id = Number(a.id);
    const type =
      a.type === 'qemu' || a.type === 'iol' || a.type === 'dynamips' || a.type === 'docker'
        ? a.type
        : 'qemu';
    lab.nodes[id] = node(
      id,
      a.name || `node${id}`,
      a.template || 'unknown',
      type,
      Number(a.left) || 0,
      Number(a.top) || 0,
      {
        image: a.image ?? '',
      },
    );
    if (a.image)
      review.push(`node ${id} (${a.name}): image “${a.image}” must be installed on the host`);
  }
  for (const m of xml.matchAll(/<network\b[^>]*>/g)) {
    const a = attrs(m[0]);
    const id = Number(a.id);
    const kept = a.type === 'bridge' ? 'linux_bridge' : 'bridge_cloud';
    lab.networks[id] = network(
      id,
      a.name || `net${id}`,
      kept,
      Number(a.left) || 0,
      Number(a.top) || 0,
    );
    if (a.type !== 'bridge')
      review.push(`network ${id} (${a.name}): ${a.type} kept as a bridge cloud`);
  }
  return { lab, review };
}
