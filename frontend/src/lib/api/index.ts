// The app's one API instance, wired to the session (CSRF token) and the router (401 → sign-in).

import { createApiClient } from './client';
import { createEndpoints } from './endpoints';
import { session } from '../session.svelte';
import { navigate, router } from '../router.svelte';
import { href } from '../routes';

export const client = createApiClient({
  getCsrfToken: () => session.csrfToken,
  onUnauthorized: () => {
    session.clear();
    if (router.route.name !== 'signin') {
      // Keep where the user was, to come back to it after signing in.
      navigate(href.signin(router.current), { replace: true });
    }
  },
});

export const api = createEndpoints(client);
