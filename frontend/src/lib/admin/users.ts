// The rules of the users page, as the gateway applies them (crates/gateway-store validate.rs,
// web-gateway/src/routes/session.rs), so a form says what is wrong before it is sent.

import type { NewUserRequest, RoleName, UserInfo } from '../api/types';

export const ROLES: { value: RoleName; label: string; what: string }[] = [
  { value: 'admin', label: 'Administrator', what: 'everything, including users and the audit log' },
  { value: 'editor', label: 'Editor', what: 'creates labs and folders; changes what they own' },
  { value: 'viewer', label: 'Viewer', what: 'reads what was shared with them' },
];

export const PASSWORD_MIN_BYTES = 8;
export const PASSWORD_MAX_BYTES = 1024;

const bytes = (s: string) => new TextEncoder().encode(s).length;

/** Why the gateway would refuse this username, or null. */
export function usernameProblem(name: string): string | null {
  if (name === '') return 'A username is needed.';
  if ([...name].length > 64) return 'At most 64 characters.';
  const bad = [...name].find((c) => !/[A-Za-z0-9._-]/.test(c));
  if (bad !== undefined) return `“${bad}” is not allowed: use letters, digits, “.”, “_” or “-”.`;
  if (name.startsWith('.') || name.startsWith('-')) return 'It cannot start with “.” or “-”.';
  return null;
}

/** Why the gateway would refuse this new password, or null. */
export function passwordProblem(pw: string): string | null {
  const n = bytes(pw);
  if (n < PASSWORD_MIN_BYTES) return `At least ${PASSWORD_MIN_BYTES} characters.`;
  if (n > PASSWORD_MAX_BYTES) return `At most ${PASSWORD_MAX_BYTES} bytes.`;
  return null;
}

/** Why the gateway would refuse this display name, or null. */
export function displayNameProblem(name: string): string | null {
  if ([...name].length > 128) return 'At most 128 characters.';
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f-\u009f]/.test(name)) return 'No control characters.';
  return null;
}

export interface NewUserForm {
  username: string;
  displayName: string;
  password: string;
  repeat: string;
  role: RoleName;
}

export type FormResult<T> =
  { ok: true; request: T } | { ok: false; problems: Partial<Record<string, string>> };

/** The `POST /api/users` body for a form, or what is wrong with it, field by field. */
export function newUserRequest(
  form: NewUserForm,
  existing: Pick<UserInfo, 'username'>[],
): FormResult<NewUserRequest> {
  const problems: Partial<Record<keyof NewUserForm, string>> = {};
  const username = form.username.trim();
  const taken = existing.some((u) => u.username.toLowerCase() === username.toLowerCase());
  const u = usernameProblem(username) ?? (taken ? `“${username}” exists already.` : null);
  if (u) problems.username = u;
  const d = displayNameProblem(form.displayName.trim());
  if (d) problems.displayName = d;
  const p = passwordProblem(form.password);
  if (p) problems.password = p;
  else if (form.repeat !== form.password) problems.repeat = 'The passwords differ.';
  if (Object.keys(problems).length > 0) return { ok: false, problems };
  const request: NewUserRequest = { username, password: form.password, role: form.role };
  const display = form.displayName.trim();
  if (display) request.display_name = display;
  return { ok: true, request };
}

const enabledAdmins = (users: UserInfo[]) =>
  users.filter((u) => u.role === 'admin' && !u.disabled).length;

/** Why `me` cannot change `user`'s role or disable them, or null when they can. */
export function roleChangeBlocked(me: UserInfo | null, user: UserInfo): string | null {
  if (me && me.id === user.id) return 'You cannot change your own role or disable yourself.';
  return null;
}

/** Why this change would leave no administrator, or null. */
export function lastAdminProblem(
  users: UserInfo[],
  user: UserInfo,
  change: { role?: RoleName; disabled?: boolean; remove?: boolean },
): string | null {
  if (user.role !== 'admin' || user.disabled) return null;
  const loses =
    change.remove === true ||
    change.disabled === true ||
    (change.role !== undefined && change.role !== 'admin');
  return loses && enabledAdmins(users) <= 1
    ? `${user.username} is the last administrator; make someone else one first.`
    : null;
}

/** Why `me` cannot delete `user`, or null. */
export function deleteBlocked(me: UserInfo | null, users: UserInfo[], user: UserInfo) {
  if (me && me.id === user.id) return 'You cannot delete yourself.';
  return lastAdminProblem(users, user, { remove: true });
}
