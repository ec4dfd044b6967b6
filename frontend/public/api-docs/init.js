// The API docs page: Swagger UI over the document the gateway generates from its route table
// (GET /api/openapi.json). In its own file: the gateway's CSP allows no inline script.
/* global SwaggerUIBundle */

const ui = SwaggerUIBundle({
  url: '/api/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  // Nothing leaves this origin (the CSP would refuse it anyway).
  validatorUrl: null,
  onComplete: () => {
    // Signed in (the session cookie is sent by the browser)? Then "Try it out" can send the
    // session's CSRF token with changes; API token users press "Authorize" instead.
    fetch('/api/session', { credentials: 'same-origin' })
      .then((r) => (r.ok ? r.json() : null))
      .then((s) => {
        if (s && s.csrf_token) ui.preauthorizeApiKey('csrf', s.csrf_token);
      })
      .catch(() => {});
  },
});
