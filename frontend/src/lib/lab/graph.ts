// The lab document as canvas elements: nodes, visible networks, and links.
//
// A node↔node connection is stored as two links through a hidden implicit network
// (lab-format.md); on the canvas it is one cable between the two nodes. Every other link joins
// a node (or network) to a visible network.

import type { Endpoint, LabDocument, LabLink, LabNetwork, LabNode, NodeState } from '../api/types';
import type { RuntimeMap } from './apply';
import { interfaceName, isNetworkEnd, isNodeEnd } from './interfaces';

/** Below this zoom the canvas leaves out the interface labels of links (unreadable there). */
export const LABEL_MIN_ZOOM = 0.55;
/** Context key of the canvas's level of detail (`CanvasDetail`), set by LabCanvas. */
export const CANVAS_DETAIL = Symbol('canvas detail');
export interface CanvasDetail {
  readonly labels: boolean;
}

export const nodeKey = (id: number) => `node-${id}`;
export const networkKey = (id: number) => `net-${id}`;

export type CanvasElementRef = { kind: 'node'; id: number } | { kind: 'network'; id: number };

export function parseKey(key: string): CanvasElementRef | null {
  const m = /^(node|net)-(\d+)$/.exec(key);
  if (!m) return null;
  return { kind: m[1] === 'node' ? 'node' : 'network', id: Number(m[2]) };
}

export interface NodeCardData extends Record<string, unknown> {
  node: LabNode;
  state: NodeState;
  problems: string[];
}

export interface NetworkCardData extends Record<string, unknown> {
  network: LabNetwork;
  members: number;
}

export interface CanvasNode {
  id: string;
  type: 'labNode' | 'labNetwork';
  position: { x: number; y: number };
  data: NodeCardData | NetworkCardData;
}

export interface LinkEdgeData extends Record<string, unknown> {
  /** The lab links this edge stands for (two for a node↔node cable). */
  linkIds: string[];
  /** Interface names at the source and target ends ('' at a network). */
  sourceLabel: string;
  targetLabel: string;
  /** Whether both node ends are running (the cable is live). */
  up: boolean;
  /** The implicit network of a node↔node cable. */
  implicitNetworkId: number | null;
  /** Whether the link has impairments (loss, delay, rate). */
  impaired: boolean;
  /** Links between the same two elements are drawn side by side: this one's place among them. */
  parallelIndex: number;
  parallelCount: number;
}

export interface CanvasEdge {
  id: string;
  type: 'link';
  source: string;
  target: string;
  /** What screen readers (and tests) call it: `Link r1 eth0 – h1 eth0`. */
  ariaLabel: string;
  data: LinkEdgeData;
}

export function isVisible(net: LabNetwork): boolean {
  if (net.implicit) return false;
  const v = net.visibility;
  return v === undefined || v === null || v === true || (typeof v === 'number' && v !== 0);
}

function endKey(lab: LabDocument, end: Endpoint): string | null {
  if (isNodeEnd(end)) return lab.nodes[String(end.node_id)] ? nodeKey(end.node_id) : null;
  return lab.networks[String(end.network_id)] ? networkKey(end.network_id) : null;
}

export function buildCanvas(
  lab: LabDocument,
  runtime: RuntimeMap,
): { nodes: CanvasNode[]; edges: CanvasEdge[] } {
  const nodes: CanvasNode[] = [];
  const edges: CanvasEdge[] = [];
  const running = (id: number) => {
    const s = runtime[id]?.state;
    return s === 'running' || s === 'degraded';
  };
  const label = (end: Endpoint) => {
    if (!isNodeEnd(end)) return '';
    const n = lab.nodes[String(end.node_id)];
    return n ? interfaceName(n, end.interface_index, runtime[n.id]) : '';
  };
  const endName = (end: Endpoint) => {
    if (isNodeEnd(end)) {
      const n = lab.nodes[String(end.node_id)];
      return `${n?.name ?? `node ${end.node_id}`} ${label(end)}`;
    }
    return lab.networks[String(end.network_id)]?.name ?? `network ${end.network_id}`;
  };
  const impaired = (links: LabLink[]) =>
    links.some((l) => {
      const m = l.metrics;
      return !!m && (m.loss_pct > 0 || m.delay_ms > 0 || m.jitter_ms > 0 || m.bandwidth_kbps > 0);
    });

  for (const node of Object.values(lab.nodes)) {
    const rt = runtime[node.id];
    nodes.push({
      id: nodeKey(node.id),
      type: 'labNode',
      position: { x: node.left, y: node.top },
      data: { node, state: rt?.state ?? 'stopped', problems: rt?.problems ?? [] },
    });
  }

  // Links grouped by the hidden network they go through.
  const viaHidden = new Map<number, LabLink[]>();
  const memberCount = new Map<number, number>();
  for (const link of lab.links) {
    for (const end of [link.from, link.to]) {
      if (isNetworkEnd(end))
        memberCount.set(end.network_id, (memberCount.get(end.network_id) ?? 0) + 1);
    }
    const netEnd = isNetworkEnd(link.to) ? link.to : isNetworkEnd(link.from) ? link.from : null;
    const net = netEnd ? lab.networks[String(netEnd.network_id)] : undefined;
    if (net && !isVisible(net) && netEnd) {
      const group = viaHidden.get(net.id) ?? [];
      group.push(link);
      viaHidden.set(net.id, group);
    }
  }

  for (const net of Object.values(lab.networks)) {
    if (!isVisible(net)) continue;
    nodes.push({
      id: networkKey(net.id),
      type: 'labNetwork',
      position: { x: net.left, y: net.top },
      data: { network: net, members: memberCount.get(net.id) ?? 0 },
    });
  }

  const hiddenHandled = new Set<string>();
  for (const [netId, group] of viaHidden) {
    const ends = group.map((l) => (isNodeEnd(l.from) ? l.from : isNodeEnd(l.to) ? l.to : null));
    const [a, b] = ends;
    if (
      group.length === 2 &&
      a &&
      b &&
      lab.nodes[String(a.node_id)] &&
      lab.nodes[String(b.node_id)]
    ) {
      edges.push({
        id: `cable-${netId}`,
        type: 'link',
        source: nodeKey(a.node_id),
        target: nodeKey(b.node_id),
        ariaLabel: `Link ${endName(a)} – ${endName(b)}`,
        data: {
          linkIds: group.map((l) => l.id),
          sourceLabel: label(a),
          targetLabel: label(b),
          up: running(a.node_id) && running(b.node_id),
          impaired: impaired(group),
          implicitNetworkId: netId,
          parallelIndex: 0,
          parallelCount: 1,
        },
      });
      for (const l of group) hiddenHandled.add(l.id);
    }
    // One half only (the other is on its way) or a hidden network with more members: nothing
    // to draw between two nodes; the members show their interfaces as used in the panels.
    else for (const l of group) hiddenHandled.add(l.id);
  }

  for (const link of lab.links) {
    if (hiddenHandled.has(link.id)) continue;
    const source = endKey(lab, link.from);
    const target = endKey(lab, link.to);
    if (!source || !target) continue;
    const nodeEnds = [link.from, link.to].filter(isNodeEnd);
    edges.push({
      id: `link-${link.id}`,
      type: 'link',
      source,
      target,
      ariaLabel: `Link ${endName(link.from)} – ${endName(link.to)}`,
      data: {
        linkIds: [link.id],
        sourceLabel: label(link.from),
        targetLabel: label(link.to),
        up: nodeEnds.length > 0 && nodeEnds.every((e) => running(e.node_id)),
        impaired: impaired([link]),
        implicitNetworkId: null,
        parallelIndex: 0,
        parallelCount: 1,
      },
    });
  }
  // Number the links that join the same pair, whichever way round they were drawn.
  const pairs = new Map<string, CanvasEdge[]>();
  for (const e of edges) {
    const key = [e.source, e.target].sort().join('|');
    const group = pairs.get(key) ?? [];
    group.push(e);
    pairs.set(key, group);
  }
  for (const group of pairs.values()) {
    group.forEach((e, i) => {
      e.data.parallelIndex = i;
      e.data.parallelCount = group.length;
    });
  }
  return { nodes, edges };
}
