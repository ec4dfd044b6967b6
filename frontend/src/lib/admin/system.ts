// `GET /api/system/status` read for the system page.

import type { NodeState, SystemStatus } from '../api/types';

const STATE_ORDER: NodeState[] = [
  'running',
  'degraded',
  'starting',
  'stopping',
  'failed',
  'stopped',
];

export interface NodeCounts {
  /** Columns: the states that occur, in a fixed order (unknown ones last). */
  states: string[];
  /** Rows: one per kind, sorted, with a count per state and its total. */
  rows: { kind: string; counts: Record<string, number>; total: number }[];
  /** Totals per state, and of everything. */
  totals: Record<string, number>;
  total: number;
}

export function nodeCounts(nodes: SystemStatus['nodes']): NodeCounts {
  const seen = new Set<string>();
  for (const byState of Object.values(nodes)) for (const s of Object.keys(byState)) seen.add(s);
  const known = STATE_ORDER.filter((s) => seen.has(s));
  const other = [...seen].filter((s) => !(STATE_ORDER as string[]).includes(s)).sort();
  const states = [...known, ...other];
  const totals: Record<string, number> = {};
  let total = 0;
  const rows = Object.keys(nodes)
    .sort()
    .map((kind) => {
      const counts: Record<string, number> = {};
      let sum = 0;
      for (const s of states) {
        const n = nodes[kind]?.[s] ?? 0;
        counts[s] = n;
        sum += n;
        totals[s] = (totals[s] ?? 0) + n;
      }
      total += sum;
      return { kind, counts, total: sum };
    });
  return { states, rows, totals, total };
}

/** Used share of a resource given total and available, 0..1 (0 when the total is unknown). */
export function usedFraction(total: number, available: number): number {
  if (!(total > 0)) return 0;
  return Math.min(1, Math.max(0, (total - available) / total));
}
