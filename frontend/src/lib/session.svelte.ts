// Who is signed in, and the CSRF token every unsafe request carries.

import type { SessionInfo, UserInfo } from './api/types';

class SessionState {
  user = $state<UserInfo | null>(null);
  /** Whether the first `GET /api/session` has answered. */
  checked = $state(false);
  csrfToken: string | null = null;
  /** When the session ends at the latest (unix ms). */
  expiresAt = $state<number | null>(null);

  set(s: SessionInfo) {
    this.user = s.user;
    this.csrfToken = s.csrf_token;
    this.expiresAt = s.expires_at;
    this.checked = true;
  }

  clear() {
    this.user = null;
    this.csrfToken = null;
    this.expiresAt = null;
    this.checked = true;
  }

  get isAdmin(): boolean {
    return this.user?.role === 'admin';
  }
}

export const session = new SessionState();
