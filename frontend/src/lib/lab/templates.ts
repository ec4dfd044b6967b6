// Templates as the catalogue shows them (`GET /api/templates` gives `TemplateInfo`s; their
// images come from `GET /api/images?kind=&template=`).

import type { TemplateInfo } from '../api/types';

const KIND_LABELS: Record<string, string> = {
  linux: 'Linux',
  qemu: 'QEMU',
  docker: 'Docker',
  iol: 'IOL',
  dynamips: 'Dynamips',
};

/** A node kind as people read it. */
export function kindLabel(kind: string): string {
  return KIND_LABELS[kind] ?? kind;
}

/** Why nodes of this template cannot start here, or null when they can. */
export function whyNotStartable(t: Pick<TemplateInfo, 'startable'>): string | null {
  return t.startable ? null : 'this version cannot start nodes of this template on this host';
}

/** Templates grouped by kind, filtered by a search text, groups and members sorted by name. */
export function groupTemplates(
  templates: TemplateInfo[],
  search: string,
): [string, TemplateInfo[]][] {
  const q = search.trim().toLowerCase();
  const groups = new Map<string, TemplateInfo[]>();
  for (const t of templates) {
    const hay = [t.key, t.name, t.type, kindLabel(t.type), t.description ?? '']
      .join(' ')
      .toLowerCase();
    if (q && !hay.includes(q)) continue;
    const g = kindLabel(t.type);
    const list = groups.get(g) ?? [];
    list.push(t);
    groups.set(g, list);
  }
  for (const list of groups.values()) list.sort((a, b) => a.name.localeCompare(b.name));
  return [...groups.entries()].sort(([a], [b]) => a.localeCompare(b));
}
