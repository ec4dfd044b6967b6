// The app's routes: a path is parsed into one of these, and links are built with `href`.

export type Route =
  | { name: 'signin'; next: string | null }
  | { name: 'labs'; folder: string | null }
  | { name: 'lab'; labId: string }
  | { name: 'console'; labId: string; nodeId: number }
  | { name: 'account' }
  | { name: 'admin'; section: AdminSection }
  | { name: 'notfound'; path: string };

/** The administrators' pages. */
export const ADMIN_SECTIONS = ['users', 'audit', 'system'] as const;
export type AdminSection = (typeof ADMIN_SECTIONS)[number];
const isAdminSection = (s: string | undefined): s is AdminSection =>
  (ADMIN_SECTIONS as readonly string[]).includes(s ?? '');

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

export function parseRoute(pathname: string, search: string): Route {
  const params = new URLSearchParams(search);
  const parts = pathname.split('/').filter((p) => p !== '');
  const [first, second, third, fourth, ...rest] = parts;
  if (parts.length === 0) return { name: 'labs', folder: null };
  if (first === 'signin' && parts.length === 1) {
    return { name: 'signin', next: safeNext(params.get('next')) };
  }
  if (first === 'account' && parts.length === 1) return { name: 'account' };
  if (first === 'admin' && parts.length <= 2) {
    if (second === undefined) return { name: 'admin', section: 'users' };
    if (isAdminSection(second)) return { name: 'admin', section: second };
  }
  if (first === 'labs') {
    if (second === undefined) return { name: 'labs', folder: params.get('folder') };
    const labId = decode(second);
    if (labId !== null && third === undefined) return { name: 'lab', labId };
    if (labId !== null && third === 'console' && fourth !== undefined && rest.length === 0) {
      const nodeId = Number(fourth);
      if (Number.isInteger(nodeId) && nodeId >= 0) return { name: 'console', labId, nodeId };
    }
  }
  return { name: 'notfound', path: pathname };
}

/** Only same-app paths are acceptable after sign-in (never another origin). */
export function safeNext(next: string | null): string | null {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) {
    return null;
  }
  if (next.startsWith('/signin')) return null;
  return next;
}

export const href = {
  /** null: every lab; '' : the top-level folder. */
  labs: (folder: string | null = null) =>
    folder === null ? '/labs' : `/labs?folder=${encodeURIComponent(folder)}`,
  lab: (labId: string) => `/labs/${encodeURIComponent(labId)}`,
  console: (labId: string, nodeId: number) =>
    `/labs/${encodeURIComponent(labId)}/console/${nodeId}`,
  signin: (next?: string | null) => (next ? `/signin?next=${encodeURIComponent(next)}` : '/signin'),
  account: () => '/account',
  admin: (section: AdminSection = 'users') => `/admin/${section}`,
};
