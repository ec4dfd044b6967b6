import { describe, expect, it } from 'vitest';
import type { TemplateInfo } from '../api/types';
import { groupTemplates, kindLabel, whyNotStartable } from './templates';

function template(key: string, name: string, type: string, extra: Partial<TemplateInfo> = {}) {
  const t: TemplateInfo = {
    key,
    type,
    name,
    description: null,
    icon_type: 'router',
    cpu: 1,
    ram: 256,
    ethernet: 4,
    console_type: 'telnet',
    profile: null,
    capabilities: { hotplug: false, max_nics: 8 },
    extras: {},
    startable: true,
    ...extra,
  };
  return t;
}

describe('templates', () => {
  it('groups by kind and filters by key, name, kind or description', () => {
    const ts = [
      template('csr', 'Csr', 'qemu'),
      template('frr', 'FRRouting', 'linux', { description: 'routing suite' }),
      template('alpha', 'Alpha', 'qemu'),
    ];
    expect(groupTemplates(ts, '').map(([g, l]) => [g, l.map((t) => t.key)])).toEqual([
      ['Linux', ['frr']],
      ['QEMU', ['alpha', 'csr']],
    ]);
    expect(groupTemplates(ts, 'ROUTING').map(([g]) => g)).toEqual(['Linux']);
    expect(groupTemplates(ts, 'qemu').flatMap(([, l]) => l.map((t) => t.key))).toEqual([
      'alpha',
      'csr',
    ]);
    expect(groupTemplates(ts, 'nothing')).toEqual([]);
  });
  it('names kinds and says why a template cannot start', () => {
    expect(kindLabel('iol')).toBe('IOL');
    expect(kindLabel('something')).toBe('something');
    expect(whyNotStartable({ startable: true })).toBeNull();
    expect(whyNotStartable({ startable: false })).toMatch(/cannot start/);
  });
});
