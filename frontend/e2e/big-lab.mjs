// A large lab document for the performance check: `nodes` linux routers on a grid, wired by
// `cables` node↔node cables (each a hidden implicit network with two link halves, as the lab
// format stores them): a ring, then chords from every even node to the node `stride` further.
// Every node needs at most three interfaces, so four are plenty.

export function bigLab({ nodes = 200, cables = 300, stride = 7, columns = 20 } = {}) {
  if (cables < nodes || cables > nodes + nodes / 2) {
    throw new Error(`bigLab: ${cables} cables for ${nodes} nodes: a ring plus at most n/2 chords`);
  }
  const doc = {
    schema: 2,
    id: 'big',
    meta: { name: `big-${nodes}-${cables}`, description: 'Performance check of the canvas.' },
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
  for (let i = 1; i <= nodes; i++) {
    const col = (i - 1) % columns;
    const row = Math.floor((i - 1) / columns);
    doc.nodes[String(i)] = {
      id: i,
      name: `r${i}`,
      type: 'linux',
      template: 'frr',
      image: '',
      console: 'telnet',
      cpu: 1,
      ram: 256,
      ethernet: 4,
      left: 60 + col * 160,
      top: 60 + row * 140,
      icon: 'Router.png',
      interfaces: [],
      extras: {},
    };
  }
  const nextIf = new Map();
  const port = (node) => {
    const i = nextIf.get(node) ?? 0;
    nextIf.set(node, i + 1);
    return i;
  };
  const pairs = [];
  for (let i = 1; i <= nodes; i++) pairs.push([i, (i % nodes) + 1]);
  for (let i = 2; pairs.length < cables; i += 2) pairs.push([i, ((i - 1 + stride) % nodes) + 1]);
  pairs.forEach(([a, b], k) => {
    const net = k + 1;
    doc.networks[String(net)] = {
      id: net,
      name: `p2p_${a}_${b}`,
      type: 'linux_bridge',
      left: 0,
      top: 0,
      icon: '01-Cloud-Default.svg',
      visibility: false,
      implicit: true,
      config: {},
    };
    for (const node of [a, b]) {
      doc.links.push({
        id: `lnk_${String(doc.links.length + 1).padStart(3, '0')}`,
        from: { node_id: node, interface_index: port(node) },
        to: { network_id: net },
        style_override: null,
      });
    }
  });
  const most = Math.max(...nextIf.values());
  if (most > 4) throw new Error(`bigLab: a node needs ${most} interfaces`);
  return doc;
}
