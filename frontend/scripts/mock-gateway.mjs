// A stand-in for nova-ve-gateway, for developing and screenshotting the app without the Rust
// services (scripts/mock/server.mjs has the details):
//
//   npm run build && node scripts/mock-gateway.mjs [port]
//
// Users: admin / admin (administrator), viewer / viewer (viewer).

import { createMockGateway } from './mock/server.mjs';

const port = Number(process.argv[2] ?? 8080);
const url = await createMockGateway().listen(port);
console.log(`mock gateway on ${url} (admin / admin, viewer / viewer)`);
