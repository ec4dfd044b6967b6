// Types of the mock gateway, for the tests that start it.
import type { Server } from 'node:http';

export interface MockGateway {
  server: Server;
  /** The in-memory state (users, sessions, tokens, labs, audit). */
  store: unknown;
  /** Starts listening (port 0: any free port); resolves to the base URL. */
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

export function createMockGateway(opts?: { dist?: string }): MockGateway;
