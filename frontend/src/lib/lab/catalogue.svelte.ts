// The node templates (GET /api/templates), read once per page load, and their installed
// images (GET /api/images), read when first asked for.

import { api } from '../api';
import { errorMessage } from '../api/client';
import type { TemplateInfo } from '../api/types';

class Catalogue {
  templates = $state<TemplateInfo[]>([]);
  loaded = $state(false);
  error = $state<string | null>(null);
  /** Installed images by template key, once read. */
  images = $state<Record<string, string[]>>({});
  private loading: Promise<void> | null = null;
  private imageReads = new Map<string, Promise<string[]>>();

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

  byKey(key: string): TemplateInfo | undefined {
    return this.templates.find((t) => t.key === key);
  }

  /** The images installed for a template (an empty list when they cannot be read). */
  loadImages(t: Pick<TemplateInfo, 'key' | 'type'>): Promise<string[]> {
    const known = this.imageReads.get(t.key);
    if (known) return known;
    const read = api.catalogue.images(t.type, t.key).then(
      (list) => {
        this.images[t.key] = list;
        return list;
      },
      () => {
        this.imageReads.delete(t.key);
        return [];
      },
    );
    this.imageReads.set(t.key, read);
    return read;
  }
}

export const catalogue = new Catalogue();
