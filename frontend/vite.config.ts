/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The gateway serves the API on 127.0.0.1:8080 in development; the dev server proxies to it
// (WebSockets included) so the app runs same-origin, exactly as behind Caddy in production.
const gateway = process.env.NOVA_GATEWAY ?? 'http://127.0.0.1:8080';

export default defineConfig({
  plugins: [svelte()],
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
