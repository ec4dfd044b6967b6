// Who is signed in, and the CSRF token every unsafe request carries.

import type { Session, User } from './api/types';

class SessionState {
  user = $state<User | null>(null);
  /** Whether the first `GET /api/session` has answered. */
  checked = $state(false);
  csrfToken: string | null = null;
  expiresAt = $state<string | null>(null);

  set(s: Session) {
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
