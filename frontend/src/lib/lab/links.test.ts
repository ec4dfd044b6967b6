import { describe, expect, it } from 'vitest';
import { testLab, testRuntime } from './fixtures';
import { buildCanvas } from './graph';
import {
  NO_IMPAIRMENT,
  describeMetrics,
  isImpaired,
  linkEndNames,
  linksOf,
  metricsOf,
  metricsProblem,
} from './links';

describe('links', () => {
  it('names the ends of a cable by its nodes and of a network link by the network', () => {
    const lab = testLab();
    const cable = linksOf(lab, ['lnk_003', 'lnk_004', 'gone']);
    expect(cable.map((l) => l.id)).toEqual(['lnk_003', 'lnk_004']);
    expect(linkEndNames(lab, cable, {})).toEqual(['r1 eth1', 'r2 Gi3']);
    expect(linkEndNames(lab, linksOf(lab, ['lnk_001']), {})).toEqual(['r1 lan0', 'network lan']);
  });

  it('reads, checks and describes impairments', () => {
    const lab = testLab();
    const link = lab.links[0]!;
    expect(metricsOf(link)).toEqual(NO_IMPAIRMENT);
    link.metrics = { delay_ms: 10, jitter_ms: 2, loss_pct: 5, bandwidth_kbps: 1000 };
    expect(metricsOf(link)).toEqual(link.metrics);
    expect(isImpaired(metricsOf(link))).toBe(true);
    expect(describeMetrics(metricsOf(link))).toBe('loss 5 % · 10 ms ± 2 · 1000 kbit/s');
    expect(describeMetrics(NO_IMPAIRMENT)).toBe('none');
    expect(metricsProblem({ ...NO_IMPAIRMENT, loss_pct: 100 })).toBeNull();
    expect(metricsProblem({ ...NO_IMPAIRMENT, loss_pct: 101 })).toMatch(/0 to 100/);
    expect(metricsProblem({ ...NO_IMPAIRMENT, loss_pct: NaN })).toMatch(/0 to 100/);
    expect(metricsProblem({ ...NO_IMPAIRMENT, delay_ms: 1.5 })).toMatch(/Delay/);
    expect(metricsProblem({ ...NO_IMPAIRMENT, delay_ms: 1, jitter_ms: 2 })).toMatch(/Jitter/);
    expect(metricsProblem({ ...NO_IMPAIRMENT, bandwidth_kbps: -1 })).toMatch(/Bandwidth/);
  });

  it('gives every drawn link a name and marks impaired ones', () => {
    const lab = testLab();
    lab.links[3]!.metrics = { delay_ms: 0, jitter_ms: 0, loss_pct: 100, bandwidth_kbps: 0 };
    const { edges } = buildCanvas(lab, { 1: testRuntime(1) });
    const cable = edges.find((x) => x.id === 'cable-2');
    expect(cable?.ariaLabel).toBe('Link r1 eth1 – r2 Gi3');
    expect(cable?.data.impaired).toBe(true);
    const lan = edges.find((x) => x.id === 'link-lnk_001');
    expect(lan?.ariaLabel).toBe('Link r1 lan0 – lan');
    expect(lan?.data.impaired).toBe(false);
  });
});
