import { describe, expect, it } from 'vitest';
import { href, parseRoute, safeNext } from './routes';

describe('routes', () => {
  it('parses the app paths', () => {
    expect(parseRoute('/', '')).toEqual({ name: 'labs', folder: null });
    expect(parseRoute('/labs', '?folder=a%2Fb')).toEqual({ name: 'labs', folder: 'a/b' });
    expect(parseRoute('/labs', '?folder=')).toEqual({ name: 'labs', folder: '' });
    const top = new URL(href.labs(''), 'http://h');
    expect(parseRoute(top.pathname, top.search)).toEqual({ name: 'labs', folder: '' });
    expect(parseRoute('/labs/4f1c-2', '')).toEqual({ name: 'lab', labId: '4f1c-2' });
    expect(parseRoute('/labs/a%20b/console/3', '')).toEqual({
      name: 'console',
      labId: 'a b',
      nodeId: 3,
    });
    expect(parseRoute('/labs/x/console/abc', '').name).toBe('notfound');
    expect(parseRoute('/signin', '?next=%2Flabs%2Fx')).toEqual({ name: 'signin', next: '/labs/x' });
    expect(parseRoute('/nope', '').name).toBe('notfound');
    expect(parseRoute('/admin', '')).toEqual({ name: 'admin', section: 'users' });
    expect(parseRoute('/admin/audit', '')).toEqual({ name: 'admin', section: 'audit' });
    expect(parseRoute('/admin/other', '').name).toBe('notfound');
  });

  it('only returns to same-app paths after sign-in', () => {
    expect(safeNext('/labs/x?y=1')).toBe('/labs/x?y=1');
    expect(safeNext('//evil.example/')).toBeNull();
    expect(safeNext('https://evil.example/')).toBeNull();
    expect(safeNext('/\\evil')).toBeNull();
    expect(safeNext('/signin?next=/x')).toBeNull();
    expect(safeNext(null)).toBeNull();
  });

  it('builds links that parse back', () => {
    expect(parseRoute(href.lab('a/b'), '')).toEqual({ name: 'lab', labId: 'a/b' });
    const c = href.console('L', 7);
    expect(parseRoute(c, '')).toEqual({ name: 'console', labId: 'L', nodeId: 7 });
    expect(parseRoute(href.admin('system'), '')).toEqual({ name: 'admin', section: 'system' });
    const s = new URL(href.signin('/labs/L?x=1'), 'http://h');
    expect(parseRoute(s.pathname, s.search)).toEqual({ name: 'signin', next: '/labs/L?x=1' });
  });
});
