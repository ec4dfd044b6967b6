// A drawn link (one lab link to a network, or the two halves of a node↔node cable) as the link
// panel shows it, and its impairments as the panel edits them.

import type { LabDocument, LabLink, LinkMetricsSpec } from '../api/types';
import { interfaceName, isNetworkEnd, isNodeEnd } from './interfaces';
import type { RuntimeMap } from './apply';

export const NO_IMPAIRMENT: LinkMetricsSpec = {
  delay_ms: 0,
  jitter_ms: 0,
  loss_pct: 0,
  bandwidth_kbps: 0,
};

/** The lab links of a drawn link that still exist. */
export function linksOf(lab: LabDocument, ids: string[]): LabLink[] {
  return ids
    .map((id) => lab.links.find((l) => l.id === id))
    .filter((l): l is LabLink => l !== undefined);
}

/** Its two ends in words: `r1 eth0`, `network lan1`. A cable names the nodes, not its hidden
 * network. */
export function linkEndNames(lab: LabDocument, links: LabLink[], runtime: RuntimeMap): string[] {
  const names: string[] = [];
  for (const link of links) {
    for (const end of [link.from, link.to]) {
      if (isNodeEnd(end)) {
        const n = lab.nodes[String(end.node_id)];
        names.push(
          n
            ? `${n.name} ${interfaceName(n, end.interface_index, runtime[n.id])}`
            : `node ${end.node_id}`,
        );
      } else if (isNetworkEnd(end)) {
        const net = lab.networks[String(end.network_id)];
        if (!net?.implicit) names.push(net ? `network ${net.name}` : `network ${end.network_id}`);
      }
    }
  }
  return names;
}

/** The impairments a link has now (none when it never had any). */
export function metricsOf(link: LabLink | undefined): LinkMetricsSpec {
  const m = link?.metrics;
  if (!m) return { ...NO_IMPAIRMENT };
  return {
    delay_ms: m.delay_ms,
    jitter_ms: m.jitter_ms,
    loss_pct: m.loss_pct,
    bandwidth_kbps: m.bandwidth_kbps,
  };
}

export function sameMetrics(a: LinkMetricsSpec, b: LinkMetricsSpec): boolean {
  return (
    a.delay_ms === b.delay_ms &&
    a.jitter_ms === b.jitter_ms &&
    a.loss_pct === b.loss_pct &&
    a.bandwidth_kbps === b.bandwidth_kbps
  );
}

export function isImpaired(m: LinkMetricsSpec): boolean {
  return !sameMetrics(m, NO_IMPAIRMENT);
}

/** What is wrong with a metrics form, or null. */
export function metricsProblem(m: LinkMetricsSpec): string | null {
  const whole = (v: number) => Number.isInteger(v) && v >= 0;
  if (!Number.isFinite(m.loss_pct) || m.loss_pct < 0 || m.loss_pct > 100)
    return 'Loss is a percentage from 0 to 100.';
  if (!whole(m.delay_ms)) return 'Delay is a whole number of milliseconds.';
  if (!whole(m.jitter_ms)) return 'Jitter is a whole number of milliseconds.';
  if (m.jitter_ms > m.delay_ms) return 'Jitter cannot be more than the delay.';
  if (!whole(m.bandwidth_kbps)) return 'Bandwidth is a whole number of kbit/s (0: unlimited).';
  return null;
}

/** A short summary for the canvas and panels: `loss 5 % · 10 ms ± 2 · 1000 kbit/s`. */
export function describeMetrics(m: LinkMetricsSpec): string {
  const parts: string[] = [];
  if (m.loss_pct > 0) parts.push(`loss ${m.loss_pct} %`);
  if (m.delay_ms > 0)
    parts.push(m.jitter_ms > 0 ? `${m.delay_ms} ms ± ${m.jitter_ms}` : `${m.delay_ms} ms`);
  if (m.bandwidth_kbps > 0) parts.push(`${m.bandwidth_kbps} kbit/s`);
  return parts.join(' · ') || 'none';
}
