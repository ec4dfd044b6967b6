// The node templates (GET /api/templates), read once per page load.

import { api } from '../api';
import { errorMessage } from '../api/client';
import type { Template } from '../api/types';

class Catalogue {
  templates = $state<Template[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);
  private loading: Promise<void> | null = null;

  load(force = false): Promise<void> {
    if (this.loading && !force) return this.loading;
    this.loading = (async () => {
      try {
        this.templates = await api.catalogue.templates();
        this.error = null;
      } catch (err) {
        this.error = errorMessage(err);
        this.loading = null;
      } finally {
        this.loaded = true;
      }
    })();
    return this.loading;
  }

  byKey(key: string): Template | undefined {
    return this.templates.find((t) => t.key === key);
  }
}

export const catalogue = new Catalogue();

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
