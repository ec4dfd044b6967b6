import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApiClient, encodePath, errorMessage, withQuery } from './client';

type Call = { url: string; init: RequestInit };

function fakeFetch(respond: (call: Call) => Response | Promise<Response>) {
  const calls: Call[] = [];
  const fn = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const call = { url: String(input), init: init ?? {} };
    calls.push(call);
    return respond(call);
  });
  return { fn: fn as unknown as typeof fetch, calls };
}

const json = (body: unknown, status = 200, type = 'application/json') =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': type } });

function header(call: Call | undefined, name: string): string | undefined {
  const h = (call?.init.headers ?? {}) as Record<string, string>;
  return h[name];
}

describe('api client', () => {
  it('parses JSON and sends no CSRF header on GET', async () => {
    const f = fakeFetch(() => json([{ id: 'a' }]));
    const c = createApiClient({ fetch: f.fn, getCsrfToken: () => 'tok' });
    await expect(c.get('/api/labs')).resolves.toEqual([{ id: 'a' }]);
    expect(f.calls[0]?.url).toBe('/api/labs');
    expect(header(f.calls[0], 'X-CSRF-Token')).toBeUndefined();
    expect(f.calls[0]?.init.credentials).toBe('same-origin');
  });

  it('adds the CSRF header and a JSON body to unsafe requests', async () => {
    const f = fakeFetch(() => new Response(null, { status: 204 }));
    const c = createApiClient({ fetch: f.fn, getCsrfToken: () => 'tok-1' });
    for (const m of ['POST', 'PUT', 'PATCH', 'DELETE'] as const) {
      await c.request(m, '/api/x', { body: { a: 1 } });
    }
    expect(f.calls).toHaveLength(4);
    for (const call of f.calls) {
      expect(header(call, 'X-CSRF-Token')).toBe('tok-1');
      expect(header(call, 'Content-Type')).toBe('application/json');
      expect(call.init.body).toBe('{"a":1}');
    }
  });

  it('sends a raw body with its content type', async () => {
    const f = fakeFetch(() => json({ id: 'l', notes: [] }, 201));
    const c = createApiClient({ fetch: f.fn, getCsrfToken: () => 't' });
    await c.request('POST', '/api/raw', {
      body: '<lab/>',
      contentType: 'application/xml',
      query: { folder: 'a b', name: 'n', skip: undefined },
    });
    expect(f.calls[0]?.url).toBe('/api/raw?folder=a+b&name=n');
    expect(f.calls[0]?.init.body).toBe('<lab/>');
    expect(header(f.calls[0], 'Content-Type')).toBe('application/xml');
  });

  it('turns problem details into an ApiError whose message is the detail', async () => {
    const problem = {
      type: 'https://nova-ve/problems/conflict',
      title: 'Conflict',
      status: 409,
      detail: 'node 3 is running; stop it first',
    };
    const f = fakeFetch(() => json(problem, 409, 'application/problem+json'));
    const c = createApiClient({ fetch: f.fn, getCsrfToken: () => null });
    const err = await c.del('/api/labs/x/nodes/3').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    const e = err as ApiError;
    expect(e.status).toBe(409);
    expect(e.message).toBe('node 3 is running; stop it first');
    expect(e.type).toBe(problem.type);
    expect(e.title).toBe('Conflict');
    expect(errorMessage(e)).toBe(problem.detail);
  });

  it('falls back to the title, then to a sentence with the status', async () => {
    const c1 = createApiClient({
      fetch: fakeFetch(() => json({ title: 'Not Found', status: 404 }, 404)).fn,
      getCsrfToken: () => null,
    });
    await expect(c1.get('/x')).rejects.toThrow('Not Found');
    const c2 = createApiClient({
      fetch: fakeFetch(() => new Response('<html>bad gateway</html>', { status: 502 })).fn,
      getCsrfToken: () => null,
    });
    await expect(c2.get('/x')).rejects.toThrow('The server answered 502.');
    const c3 = createApiClient({
      fetch: fakeFetch(() => new Response('upstream timed out', { status: 504 })).fn,
      getCsrfToken: () => null,
    });
    await expect(c3.get('/x')).rejects.toThrow('upstream timed out');
  });

  it('reports network failures as status 0 with a readable message', async () => {
    const c = createApiClient({
      fetch: (() => Promise.reject(new TypeError('Failed to fetch'))) as typeof fetch,
      getCsrfToken: () => null,
    });
    const e = (await c.get('/x').catch((x: unknown) => x)) as ApiError;
    expect(e.status).toBe(0);
    expect(e.message).toMatch(/cannot be reached/);
  });

  it('calls onUnauthorized on 401 unless the request is quiet', async () => {
    const onUnauthorized = vi.fn();
    const c = createApiClient({
      fetch: fakeFetch(() => json({ title: 'Unauthorized', status: 401 }, 401)).fn,
      getCsrfToken: () => null,
      onUnauthorized,
    });
    await expect(c.get('/api/labs')).rejects.toBeInstanceOf(ApiError);
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    await expect(c.get('/api/session', { quietUnauthorized: true })).rejects.toThrow();
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('marks 501 and "not supported" answers', async () => {
    const c = createApiClient({
      fetch: fakeFetch(() =>
        json({ status: 422, detail: 'delay is not supported on this host (no sch_netem)' }, 422),
      ).fn,
      getCsrfToken: () => null,
    });
    const e = (await c.put('/m', {}).catch((x: unknown) => x)) as ApiError;
    expect(e.isNotSupported).toBe(true);
  });
});

describe('url helpers', () => {
  it('encodes each folder segment but keeps the slashes', () => {
    expect(encodePath('team a/ospf#1')).toBe('team%20a/ospf%231');
  });
  it('appends a query, leaving out empty values', () => {
    expect(withQuery('/a', { x: 1, y: null, z: 'q r' })).toBe('/a?x=1&z=q+r');
    expect(withQuery('/a?b=1', { c: true })).toBe('/a?b=1&c=true');
    expect(withQuery('/a', {})).toBe('/a');
  });
});
