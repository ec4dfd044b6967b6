import { describe, expect, it } from 'vitest';
import type { UserInfo } from '../api/types';
import { newTokenRequest, tokenNameProblem } from '../account/tokens';
import { formatBytes, percent } from '../format';
import {
  AuditPaging,
  EMPTY_FILTERS,
  auditQuery,
  filtersProblem,
  localInputToMs,
  msToLocalInput,
} from './audit';
import { nodeCounts, usedFraction } from './system';
import {
  deleteBlocked,
  displayNameProblem,
  lastAdminProblem,
  newUserRequest,
  passwordProblem,
  roleChangeBlocked,
  usernameProblem,
} from './users';

const user = (
  id: number,
  username: string,
  role: UserInfo['role'],
  disabled = false,
): UserInfo => ({
  id,
  username,
  display_name: '',
  role,
  disabled,
  created_at: 0,
});

describe('new user form', () => {
  it('checks usernames as the gateway does', () => {
    for (const good of ['a', 'alice', 'Bob.Smith', 'x_y-z', '0', 'a'.repeat(64)]) {
      expect(usernameProblem(good)).toBeNull();
    }
    for (const bad of ['', '.hidden', '-rf', 'a/b', 'a b', 'ünï', 'a'.repeat(65)]) {
      expect(usernameProblem(bad)).not.toBeNull();
    }
  });
  it('counts password bytes and display name characters', () => {
    expect(passwordProblem('1234567')).toMatch(/At least 8/);
    expect(passwordProblem('12345678')).toBeNull();
    expect(passwordProblem('é'.repeat(512))).toBeNull();
    expect(passwordProblem('é'.repeat(513))).toMatch(/At most/);
    expect(displayNameProblem('Ada Lovelace')).toBeNull();
    expect(displayNameProblem('a\nb')).toMatch(/control/);
  });
  it('builds the request, or says what is wrong field by field', () => {
    const form = {
      username: ' bob ',
      displayName: '',
      password: 'longenough',
      repeat: 'longenough',
      role: 'editor' as const,
    };
    expect(newUserRequest(form, [])).toEqual({
      ok: true,
      request: { username: 'bob', password: 'longenough', role: 'editor' },
    });
    expect(newUserRequest({ ...form, displayName: ' Bob ' }, [])).toMatchObject({
      request: { display_name: 'Bob' },
    });
    const bad = newUserRequest({ ...form, repeat: 'other' }, [{ username: 'BOB' }]);
    expect(bad).toEqual({
      ok: false,
      problems: { username: '“bob” exists already.', repeat: 'The passwords differ.' },
    });
  });
});

describe('user changes', () => {
  const me = user(1, 'admin', 'admin');
  const other = user(2, 'root2', 'admin');
  it('never lets you change or delete yourself', () => {
    expect(roleChangeBlocked(me, me)).toMatch(/own role/);
    expect(roleChangeBlocked(me, other)).toBeNull();
    expect(deleteBlocked(me, [me, other], me)).toMatch(/yourself/);
    expect(deleteBlocked(me, [me, other], other)).toBeNull();
  });
  it('keeps one enabled administrator', () => {
    const users = [me, user(3, 'ed', 'editor'), user(4, 'old', 'admin', true)];
    expect(lastAdminProblem(users, me, { role: 'editor' })).toMatch(/last administrator/);
    expect(lastAdminProblem(users, me, { disabled: true })).toMatch(/last/);
    expect(lastAdminProblem(users, me, { role: 'admin' })).toBeNull();
    expect(lastAdminProblem([...users, other], me, { remove: true })).toBeNull();
    expect(lastAdminProblem(users, users[1]!, { remove: true })).toBeNull();
  });
});

describe('audit filters and paging', () => {
  it('sends only the filters that are set, times as unix ms', () => {
    expect(auditQuery(EMPTY_FILTERS)).toEqual({ limit: 100 });
    const since = '2026-03-01T10:00';
    const q = auditQuery(
      {
        ...EMPTY_FILTERS,
        user: '7',
        action: ' node. ',
        lab: 'L1',
        result: 'denied',
        since,
        pageSize: 50,
      },
      1234,
    );
    expect(q).toEqual({
      limit: 50,
      user: 7,
      action: 'node.',
      lab: 'L1',
      result: 'denied',
      since: new Date(since).getTime(),
      before: 1234,
    });
  });
  it('reads and writes datetime-local values', () => {
    expect(localInputToMs('')).toBeUndefined();
    expect(localInputToMs('nonsense')).toBeUndefined();
    const ms = new Date(2026, 2, 1, 9, 5).getTime();
    expect(msToLocalInput(ms)).toBe('2026-03-01T09:05');
    expect(localInputToMs(msToLocalInput(ms))).toBe(ms);
  });
  it('refuses a bad action or an empty time range', () => {
    expect(filtersProblem(EMPTY_FILTERS)).toBeNull();
    expect(filtersProblem({ ...EMPTY_FILTERS, action: 'lab create' })).toMatch(/action/);
    const f = { ...EMPTY_FILTERS, since: '2026-03-02T00:00', until: '2026-03-01T00:00' };
    expect(filtersProblem(f)).toMatch(/before/);
  });
  it('pages older and back newer', () => {
    const p = new AuditPaging();
    expect([p.page, p.cursor, p.hasNewer]).toEqual([1, undefined, false]);
    p.older(90);
    p.older(40);
    expect([p.page, p.cursor, p.hasNewer]).toEqual([3, 40, true]);
    p.newer();
    expect(p.cursor).toBe(90);
    p.reset();
    expect([p.page, p.cursor]).toEqual([1, undefined]);
    p.newer();
    expect(p.page).toBe(1);
  });
});

describe('system status', () => {
  it('tabulates nodes by kind and state, states in a fixed order', () => {
    const t = nodeCounts({
      qemu: { stopped: 2, failed: 1 },
      linux: { running: 3, stopped: 1, weird: 1 },
    });
    expect(t.states).toEqual(['running', 'failed', 'stopped', 'weird']);
    expect(t.rows.map((r) => [r.kind, r.total])).toEqual([
      ['linux', 5],
      ['qemu', 3],
    ]);
    expect(t.rows[1]!.counts).toEqual({ running: 0, failed: 1, stopped: 2, weird: 0 });
    expect(t.totals).toEqual({ running: 3, failed: 1, stopped: 3, weird: 1 });
    expect(t.total).toBe(8);
    expect(nodeCounts({})).toEqual({ states: [], rows: [], totals: {}, total: 0 });
  });
  it('formats resources', () => {
    expect(usedFraction(100, 25)).toBe(0.75);
    expect(usedFraction(0, 0)).toBe(0);
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(25275990016)).toBe('23.5 GiB');
    expect(percent(0.755)).toBe('76 %');
  });
});

describe('API token form', () => {
  it('checks the name and computes the expiry', () => {
    expect(tokenNameProblem('  ')).toMatch(/needed/);
    expect(tokenNameProblem('x'.repeat(65))).toMatch(/64/);
    expect(tokenNameProblem('ci runner')).toBeNull();
    expect(newTokenRequest(' ci ', 'never', 1000)).toEqual({ name: 'ci' });
    expect(newTokenRequest('ci', '7', 1000)).toEqual({
      name: 'ci',
      expires_at: 1000 + 7 * 86_400_000,
    });
  });
});
