/// <reference types="vitest/config" />
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The gateway serves the API on 127.0.0.1:8080 in development; the dev server proxies to it
// (WebSockets included) so the app runs same-origin, exactly as behind Caddy in production.
const gateway = process.env.NOVA_GATEWAY ?? 'http://127.0.0.1:8080';

// The API docs page, /api-docs/ (public/api-docs/: index.html and init.js): Swagger UI from the
// swagger-ui-dist package, copied into the build (and served by the dev server), so nothing is
// downloaded when the page is built or opened.
function apiDocs(): Plugin {
  const dir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
  const files = ['swagger-ui-bundle.js', 'swagger-ui.css', 'LICENSE', 'NOTICE'];
  return {
    name: 'nova-api-docs',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const path = req.url?.split('?')[0];
        if (path === '/api-docs' || path === '/api-docs/') {
          req.url = '/api-docs/index.html';
        }
        const file = files.find((f) => req.url === `/api-docs/${f}`);
        if (!file) return next();
        res.setHeader('Content-Type', file.endsWith('.css') ? 'text/css' : 'text/javascript');
        res.end(readFileSync(join(dir, file)));
      });
    },
    generateBundle() {
      for (const f of files) {
        this.emitFile({
          type: 'asset',
          fileName: `api-docs/${f}`,
          source: readFileSync(join(dir, f)),
        });
      }
    },
  };
}

export default defineConfig({
  plugins: [svelte(), apiDocs()],
  server: {
    proxy: {
      '/api': { target: gateway, ws: true, changeOrigin: false },
      '/metrics': { target: gateway },
    },
  },
  build: {
    target: 'es2022',
    sourcemap: true,
    chunkSizeWarningLimit: 1500,
  },
  test: {
    include: ['src/**/*.test.ts'],
    environment: 'node',
  },
});
