// The HTTP client: one fetch wrapper for the whole app. It adds the CSRF header to unsafe
// requests, turns RFC 9457 problem details into a typed ApiError whose message is meant for
// people, and reports a 401 once to whoever wants to send the user to the sign-in page.

import type { ProblemDetails } from './types';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

const UNSAFE: ReadonlySet<HttpMethod> = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** An API call that did not succeed. `message` is a sentence that can be shown to the user. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  /** HTTP status; 0 when the server could not be reached at all. */
  readonly status: number;
  readonly problem: ProblemDetails;

  constructor(status: number, problem: ProblemDetails) {
    super(describeProblem(status, problem));
    this.status = status;
    this.problem = problem;
  }

  get type(): string {
    return this.problem.type ?? 'about:blank';
  }
  get title(): string | undefined {
    return this.problem.title;
  }
  get detail(): string | undefined {
    return this.problem.detail;
  }
  /** The operation is not possible on this host (e.g. delay/jitter without sch_netem). */
  get isNotSupported(): boolean {
    return this.status === 501 || /not supported/i.test(this.message);
  }
}

function describeProblem(status: number, p: ProblemDetails): string {
  if (p.detail && p.detail.trim() !== '') return p.detail;
  if (p.title && p.title.trim() !== '') return p.title;
  return `The server answered ${status}.`;
}

/** A readable sentence for anything thrown by an API call (or by code around it). */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.message;
  if (err instanceof Error && err.message) return err.message;
  return String(err);
}

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  /** JSON-serialised unless it is a string/Blob/FormData with `contentType`. */
  body?: unknown;
  /** Content-Type for a raw body (string or Blob). */
  contentType?: string;
  query?: Record<string, QueryValue>;
  signal?: AbortSignal;
  /** Do not report a 401 to `onUnauthorized` (the sign-in form and the session probe). */
  quietUnauthorized?: boolean;
}

export interface ApiClientOptions {
  /** Prefix for every path; '' means same origin. */
  baseUrl?: string;
  fetch?: typeof fetch;
  getCsrfToken: () => string | null;
  /** Called for a 401 on any request that is not `quietUnauthorized`. */
  onUnauthorized?: (err: ApiError) => void;
}

export interface ApiClient {
  request<T>(method: HttpMethod, path: string, opts?: RequestOptions): Promise<T>;
  get<T>(path: string, opts?: RequestOptions): Promise<T>;
  post<T>(path: string, body?: unknown, opts?: RequestOptions): Promise<T>;
  put<T>(path: string, body?: unknown, opts?: RequestOptions): Promise<T>;
  patch<T>(path: string, body?: unknown, opts?: RequestOptions): Promise<T>;
  del<T = void>(path: string, opts?: RequestOptions): Promise<T>;
}

/** Builds `path?query`, leaving out undefined and null values. */
export function withQuery(path: string, query?: Record<string, QueryValue>): string {
  if (!query) return path;
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v === undefined || v === null) continue;
    params.append(k, String(v));
  }
  const qs = params.toString();
  return qs ? `${path}${path.includes('?') ? '&' : '?'}${qs}` : path;
}

/** Encodes each segment of a slash-separated path (folder paths contain `/`). */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

async function readProblem(res: Response): Promise<ProblemDetails> {
  const type = res.headers.get('content-type') ?? '';
  let text = '';
  try {
    text = await res.text();
  } catch {
    // body unreadable: fall through to the status line
  }
  if (/json/i.test(type) && text) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) {
        const p = parsed as ProblemDetails;
        return { status: res.status, ...p };
      }
    } catch {
      // not JSON after all
    }
  }
  const snippet = text.trim().slice(0, 300);
  return {
    status: res.status,
    title: res.statusText || undefined,
    // A proxy's plain-text or HTML error page: keep it short, never show markup.
    detail: snippet && !snippet.startsWith('<') ? snippet : undefined,
  };
}

export function createApiClient(options: ApiClientOptions): ApiClient {
  const baseUrl = options.baseUrl ?? '';
  const doFetch = options.fetch ?? ((input, init) => globalThis.fetch(input, init));

  async function request<T>(method: HttpMethod, path: string, opts: RequestOptions = {}) {
    const headers: Record<string, string> = { Accept: 'application/json' };
    let body: BodyInit | undefined;
    if (opts.body !== undefined) {
      if (opts.contentType) {
        headers['Content-Type'] = opts.contentType;
        body = opts.body as BodyInit;
      } else {
        headers['Content-Type'] = 'application/json';
        body = JSON.stringify(opts.body);
      }
    }
    if (UNSAFE.has(method)) {
      const token = options.getCsrfToken();
      if (token) headers['X-CSRF-Token'] = token;
    }
    let res: Response;
    try {
      res = await doFetch(baseUrl + withQuery(path, opts.query), {
        method,
        headers,
        body,
        credentials: 'same-origin',
        signal: opts.signal,
      });
    } catch (err) {
      if (err instanceof DOMException && err.name === 'AbortError') throw err;
      throw new ApiError(0, {
        title: 'Network error',
        detail: 'The server cannot be reached. Check your connection and try again.',
      });
    }
    if (!res.ok) {
      const err = new ApiError(res.status, await readProblem(res));
      if (res.status === 401 && !opts.quietUnauthorized) options.onUnauthorized?.(err);
      throw err;
    }
    if (res.status === 204 || res.status === 205) return undefined as T;
    const text = await res.text();
    if (text === '') return undefined as T;
    const type = res.headers.get('content-type') ?? '';
    if (/json/i.test(type)) {
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new ApiError(res.status, {
          title: 'Bad response',
          detail: 'The server sent a response that is not valid JSON.',
        });
      }
    }
    return text as T;
  }

  return {
    request,
    get: (path, opts) => request('GET', path, opts),
    post: (path, body, opts) => request('POST', path, { ...opts, body }),
    put: (path, body, opts) => request('PUT', path, { ...opts, body }),
    patch: (path, body, opts) => request('PATCH', path, { ...opts, body }),
    del: (path, opts) => request('DELETE', path, opts),
  };
}
