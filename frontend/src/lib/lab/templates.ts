// Templates as the catalogue shows them. `GET /api/templates` is specified to return the
// gateway's catalogue entries ({kind, defaults, images, runnable, why_not}); the generated
// contract describes labd's `TemplateInfo` ({type, cpu, …, startable}). Both are read here
// into one shape, so the catalogue works whichever the gateway sends.

import type { CatalogueEntry, TemplateInfo } from '../api/types';

export interface Template {
  key: string;
  name: string;
  kind: string;
  /** Vendor, when the gateway says; the catalogue groups by kind otherwise. */
  vendor: string | null;
  description: string | null;
  icon: string;
  cpu: number;
  ram: number;
  ethernet: number;
  console: string;
  images: string[];
  runnable: boolean;
  whyNot: string | null;
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);
const num = (v: unknown, fallback: number): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback;

export function normalizeTemplate(raw: unknown): Template | null {
  if (!raw || typeof raw !== 'object') return null;
  const r = raw as Partial<CatalogueEntry> & Partial<TemplateInfo> & Record<string, unknown>;
  const key = str(r.key);
  if (!key) return null;
  const d = (r.defaults ?? {}) as Partial<CatalogueEntry['defaults']>;
  const runnable = typeof r.runnable === 'boolean' ? r.runnable : r.startable !== false;
  return {
    key,
    name: str(r.name) ?? key,
    kind: str(r.kind) ?? str(r.type) ?? 'qemu',
    vendor: str(r.vendor),
    description: str(r.description),
    icon: str(d.icon) ?? str(r.icon_type) ?? '',
    cpu: num(d.cpu ?? r.cpu, 1),
    ram: num(d.ram ?? r.ram, 1024),
    ethernet: num(d.ethernet ?? r.ethernet, 1),
    console: str(d.console) ?? str(r.console_type) ?? 'telnet',
    images: Array.isArray(r.images)
      ? r.images.filter((i): i is string => typeof i === 'string')
      : [],
    runnable,
    whyNot: str(r.why_not) ?? (runnable ? null : 'this version cannot start it on this host'),
  };
}

/** Templates grouped by vendor (or kind when no vendor), filtered by a search text. */
export function groupTemplates(templates: Template[], search: string): [string, Template[]][] {
  const q = search.trim().toLowerCase();
  const groups = new Map<string, Template[]>();
  for (const t of templates) {
    const hay = [t.key, t.name, t.kind, t.vendor ?? '', t.description ?? '']
      .join(' ')
      .toLowerCase();
    if (q && !hay.includes(q)) continue;
    const g = t.vendor?.trim() || t.kind;
    const list = groups.get(g) ?? [];
    list.push(t);
    groups.set(g, list);
  }
  for (const list of groups.values()) list.sort((a, b) => a.name.localeCompare(b.name));
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}
