// Interface names and which interfaces are free, derived from the lab document and runtime.

import type {
  Endpoint,
  LabDocument,
  LabLink,
  LabNode,
  NetworkEndpoint,
  NodeEndpoint,
  NodeRuntime,
} from '../api/types';

export function isNodeEnd(e: Endpoint): e is NodeEndpoint {
  return 'node_id' in e;
}

export function isNetworkEnd(e: Endpoint): e is NetworkEndpoint {
  return 'network_id' in e;
}

/**
 * The name of interface `index`: the running node's name for it, else the lab's, else the
 * default naming of the kind (lab-format.md: qemu `Gi1, Gi2, …`, the others `eth0, eth1, …`).
 */
export function interfaceName(node: LabNode, index: number, runtime?: NodeRuntime | null): string {
  const live = runtime?.interfaces?.find((i) => i.index === index)?.name;
  if (live) return live;
  const named = node.interfaces?.find((i) => i.index === index)?.name;
  if (named) return named;
  return node.type === 'qemu' ? `Gi${index + 1}` : `eth${index}`;
}

/** Interface indices of `node` that are the end of a link, mapped to that link. */
export function usedInterfaces(lab: LabDocument, nodeId: number): Map<number, LabLink> {
  const used = new Map<number, LabLink>();
  for (const link of lab.links) {
    for (const end of [link.from, link.to]) {
      if (isNodeEnd(end) && end.node_id === nodeId) used.set(end.interface_index, link);
    }
  }
  return used;
}

export interface InterfaceChoice {
  index: number;
  name: string;
  free: boolean;
}

/** Every interface of `node` with its name and whether a link may still use it. */
export function interfaceChoices(
  lab: LabDocument,
  node: LabNode,
  runtime?: NodeRuntime | null,
): InterfaceChoice[] {
  const used = usedInterfaces(lab, node.id);
  const out: InterfaceChoice[] = [];
  for (let i = 0; i < node.ethernet; i++) {
    out.push({ index: i, name: interfaceName(node, i, runtime), free: !used.has(i) });
  }
  return out;
}

/** A name `base<N>` not yet used by any of `taken` (case-insensitive), N from 1. */
export function uniqueName(base: string, taken: Iterable<string>): string {
  const lower = new Set([...taken].map((t) => t.toLowerCase()));
  const stem = base.replace(/\d+$/, '') || 'node';
  for (let n = 1; ; n++) {
    const candidate = `${stem}${n}`;
    if (!lower.has(candidate.toLowerCase())) return candidate;
  }
}
