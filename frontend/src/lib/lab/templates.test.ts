import { describe, expect, it } from 'vitest';
import { groupTemplates, normalizeTemplate } from './templates';

describe('normalizeTemplate', () => {
  it('reads the gateway catalogue entry', () => {
    const t = normalizeTemplate({
      key: 'vyos',
      name: 'VyOS',
      kind: 'qemu',
      vendor: 'VyOS',
      defaults: { cpu: 2, ram: 2048, ethernet: 8, console: 'telnet', icon: 'Router.png' },
      images: ['vyos-1.4'],
      runnable: false,
      why_not: 'qemu nodes cannot start yet',
    });
    expect(t).toMatchObject({
      key: 'vyos',
      kind: 'qemu',
      vendor: 'VyOS',
      cpu: 2,
      ram: 2048,
      ethernet: 8,
      icon: 'Router.png',
      images: ['vyos-1.4'],
      runnable: false,
      whyNot: 'qemu nodes cannot start yet',
    });
  });
  it('reads the generated TemplateInfo', () => {
    const t = normalizeTemplate({
      key: 'frr',
      type: 'linux',
      name: 'FRRouting',
      description: null,
      icon_type: 'router',
      cpu: 1,
      ram: 256,
      ethernet: 4,
      console_type: 'telnet',
      profile: 'frr-router',
      capabilities: { hotplug: true, max_nics: 64 },
      extras: {},
      startable: true,
    });
    expect(t).toMatchObject({
      key: 'frr',
      kind: 'linux',
      vendor: null,
      icon: 'router',
      ram: 256,
      console: 'telnet',
      images: [],
      runnable: true,
      whyNot: null,
    });
    expect(normalizeTemplate({ key: 'x', type: 'qemu', startable: false })?.whyNot).toMatch(
      /cannot start/,
    );
  });
  it('refuses what is not a template', () => {
    expect(normalizeTemplate(null)).toBeNull();
    expect(normalizeTemplate({ name: 'no key' })).toBeNull();
  });
  it('groups by vendor, else kind, and filters', () => {
    const ts = [
      normalizeTemplate({ key: 'a', name: 'Alpha', kind: 'qemu', vendor: 'Cisco' }),
      normalizeTemplate({ key: 'b', name: 'Beta', type: 'linux' }),
      normalizeTemplate({ key: 'c', name: 'Csr', kind: 'qemu', vendor: 'Cisco' }),
    ].filter((t) => t !== null);
    expect(groupTemplates(ts, '').map(([g, l]) => [g, l.length])).toEqual([
      ['Cisco', 2],
      ['linux', 1],
    ]);
    expect(groupTemplates(ts, 'csr').map(([g]) => g)).toEqual(['Cisco']);
  });
});
