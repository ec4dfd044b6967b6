// The audit log page's filters and paging (`GET /api/audit`: filters by user id, lab id,
// action prefix, result and time; newest first; keyset paging with `before`).

import type { AuditQuery } from '../api/endpoints';

export interface AuditFilters {
  /** A user id as text; '' for anyone. */
  user: string;
  /** An action prefix (`lab.`, `node.start`); '' for any. */
  action: string;
  /** A lab id; '' for any. */
  lab: string;
  result: '' | 'ok' | 'denied' | 'error';
  /** `datetime-local` values (local time); '' for no bound. */
  since: string;
  until: string;
  pageSize: number;
}

export const EMPTY_FILTERS: AuditFilters = {
  user: '',
  action: '',
  lab: '',
  result: '',
  since: '',
  until: '',
  pageSize: 100,
};

/** Every action the gateway records (web-gateway/src/routes/mod.rs), for suggestions. */
export const AUDIT_ACTIONS = [
  'user.login',
  'user.logout',
  'user.create',
  'user.update',
  'user.delete',
  'user.password',
  'token.create',
  'token.revoke',
  'folder.create',
  'folder.rename',
  'folder.delete',
  'lab.create',
  'lab.import',
  'lab.rename',
  'lab.delete',
  'lab.start',
  'lab.stop',
  'lab.share',
  'lab.unshare',
  'lab.layout',
  'node.create',
  'node.update',
  'node.delete',
  'node.start',
  'node.stop',
  'node.wipe',
  'node.console',
  'network.create',
  'network.update',
  'network.delete',
  'link.create',
  'link.delete',
  'link.metrics',
];

/** A `datetime-local` value as unix ms, or undefined when empty or not a time. */
export function localInputToMs(value: string): number | undefined {
  if (!value) return undefined;
  const ms = new Date(value).getTime();
  return Number.isFinite(ms) ? ms : undefined;
}

/** Unix ms as a `datetime-local` value (local time, minutes). */
export function msToLocalInput(ms: number): string {
  const d = new Date(ms);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
}

/** What is wrong with the filters, or null. */
export function filtersProblem(f: AuditFilters): string | null {
  if (f.action && !/^[A-Za-z0-9._:-]+$/.test(f.action.trim())) {
    return 'An action is letters, digits and “.”, e.g. lab. or node.start.';
  }
  const since = localInputToMs(f.since);
  const until = localInputToMs(f.until);
  if (since !== undefined && until !== undefined && since >= until) {
    return '“From” must be before “until”.';
  }
  return null;
}

/** The query for one page: `before` is the cursor of that page (undefined: the newest). */
export function auditQuery(f: AuditFilters, before?: number): AuditQuery {
  const q: AuditQuery = { limit: f.pageSize };
  const user = Number(f.user);
  if (f.user !== '' && Number.isInteger(user)) q.user = user;
  if (f.action.trim()) q.action = f.action.trim();
  if (f.lab) q.lab = f.lab;
  if (f.result) q.result = f.result;
  const since = localInputToMs(f.since);
  if (since !== undefined) q.since = since;
  const until = localInputToMs(f.until);
  if (until !== undefined) q.until = until;
  if (before !== undefined) q.before = before;
  return q;
}

/**
 * Keyset paging, both ways: the cursors of the pages seen so far (undefined for the first),
 * so "newer" goes back to the previous cursor.
 */
export class AuditPaging {
  private cursors: (number | undefined)[] = [undefined];

  /** The `before` of the page shown. */
  get cursor(): number | undefined {
    return this.cursors.at(-1);
  }
  /** 1 for the newest page. */
  get page(): number {
    return this.cursors.length;
  }
  get hasNewer(): boolean {
    return this.cursors.length > 1;
  }
  older(nextBefore: number): void {
    this.cursors.push(nextBefore);
  }
  newer(): void {
    if (this.cursors.length > 1) this.cursors.pop();
  }
  reset(): void {
    this.cursors = [undefined];
  }
}
