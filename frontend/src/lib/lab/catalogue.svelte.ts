// The node templates (GET /api/templates), read once per page load.

import { api } from '../api';
import { errorMessage } from '../api/client';
import { normalizeTemplate, type Template } from './templates';

class Catalogue {
  templates = $state<Template[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);
  private loading: Promise<void> | null = null;

  load(force = false): Promise<void> {
    if (this.loading && !force) return this.loading;
    this.loading = (async () => {
      try {
        const raw = await api.catalogue.templates();
        this.templates = (Array.isArray(raw) ? raw : [])
          .map(normalizeTemplate)
          .filter((t): t is Template => t !== null);
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
