// History-API routing: the current location as reactive state, and `navigate`.

import { parseRoute, type Route } from './routes';

class Router {
  location = $state({ pathname: location.pathname, search: location.search });
  route: Route = $derived(parseRoute(this.location.pathname, this.location.search));

  constructor() {
    window.addEventListener('popstate', () => this.sync());
  }

  /** The current path with its query, e.g. to come back to after sign-in. */
  get current(): string {
    return this.location.pathname + this.location.search;
  }

  navigate(to: string, opts: { replace?: boolean } = {}) {
    if (to === this.current) return;
    if (opts.replace) history.replaceState(null, '', to);
    else history.pushState(null, '', to);
    this.sync();
  }

  private sync() {
    this.location = { pathname: location.pathname, search: location.search };
  }
}

export const router = new Router();

export function navigate(to: string, opts?: { replace?: boolean }) {
  router.navigate(to, opts);
}

/** Same-app links (`<a href="/labs/…">`) navigate without reloading the page. */
export function interceptLinks(ev: MouseEvent) {
  if (ev.defaultPrevented || ev.button !== 0 || ev.metaKey || ev.ctrlKey || ev.shiftKey) return;
  if (ev.altKey) return;
  const a = (ev.target as Element | null)?.closest?.('a');
  if (!a || a.target || a.hasAttribute('download')) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  ev.preventDefault();
  navigate(url.pathname + url.search);
}
