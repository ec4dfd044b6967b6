// The node console WebSocket (`GET /api/labs/{id}/nodes/{node}/console`): binary frames are
// the terminal both ways (output from the gateway, recent output first; keyboard input from
// here), a text frame `{"type":"resize","cols","rows"}` gives the terminal size on open and on
// every resize. The close code says why a console ended. This module keeps the protocol out of
// the component, so it is tested without a browser.

import type { ConsoleControl } from './api/types';

/** Close codes of the console WebSocket. */
export const CONSOLE_CLOSE = {
  /** The console ended: the node stopped. */
  ended: 1000,
  goingAway: 1001,
  /** Access to the lab was revoked (or the user was signed out). */
  forbidden: 4003,
  /** The lab or the node was deleted. */
  gone: 4004,
  /** The client read too slowly. */
  tooSlow: 4008,
  /** The node is not running. */
  notRunning: 4009,
  /** The gateway did not understand a control frame. */
  badControl: 4400,
} as const;

/** The text frame that tells the far end the terminal size (each clamped to 1..1000). */
export function consoleResizeMessage(cols: number, rows: number): string {
  const clamp = (n: number) => Math.min(1000, Math.max(1, Math.round(n) || 1));
  const msg: ConsoleControl = { type: 'resize', cols: clamp(cols), rows: clamp(rows) };
  return JSON.stringify(msg);
}

const encoder = new TextEncoder();

/** Keyboard input (xterm's `onData`, a JS string) as the UTF-8 bytes to send. */
export function encodeInput(data: string): Uint8Array {
  return encoder.encode(data);
}

/** xterm's binary strings (`onBinary`: one char per byte) as bytes. */
export function toBytes(binary: string): Uint8Array {
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i) & 0xff;
  return out;
}

/** The terminal bytes of a received frame; null for a text frame (not part of the output). */
export function outputBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data))
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return null;
}

/** Why a console ended, in words, from the close code and the server's reason. */
export function describeClose(code: number, reason: string, opened: boolean): string {
  const said = reason.trim();
  switch (code) {
    case CONSOLE_CLOSE.ended:
      return said ? capitalise(said) : 'The console ended (the node stopped).';
    case CONSOLE_CLOSE.goingAway:
      return 'The gateway went away (it may be restarting).';
    case CONSOLE_CLOSE.forbidden:
      return said === 'signed out'
        ? 'You were signed out.'
        : 'Your access to this lab was revoked.';
    case CONSOLE_CLOSE.gone:
      return 'The lab or the node was deleted.';
    case CONSOLE_CLOSE.tooSlow:
      return 'The connection fell behind the console and was closed.';
    case CONSOLE_CLOSE.notRunning:
      return 'The node is not running.';
    case CONSOLE_CLOSE.badControl:
      return `The gateway refused a message from this page${said ? ` (${said})` : ''}.`;
    default:
      if (said) return capitalise(said);
      return opened
        ? `The connection was lost (code ${code}).`
        : 'Could not connect to the console.';
  }
}

function capitalise(s: string): string {
  const t = s.charAt(0).toUpperCase() + s.slice(1);
  return /[.!?]$/.test(t) ? t : `${t}.`;
}

export type ConsoleStatus =
  | { state: 'connecting' }
  | { state: 'connected' }
  | { state: 'ended'; code: number; reason: string };

/** The part of the browser WebSocket a console uses (a fake or the `ws` package in tests). */
export interface ConsoleSocket {
  readonly readyState: number;
  binaryType: string;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
}

const OPEN = 1;

export interface ConsoleOptions {
  url: string;
  onOutput: (bytes: Uint8Array) => void;
  onStatus: (status: ConsoleStatus) => void;
  /**
   * The socket closed without ever opening, which a browser reports without the HTTP answer
   * (e.g. 409, node not running): find out why, in words, or null when it cannot be told.
   */
  diagnose?: () => Promise<string | null>;
  createSocket?: (url: string) => ConsoleSocket;
}

/** One console connection; `connect()` again to reconnect. */
export class ConsoleConnection {
  private socket: ConsoleSocket | null = null;
  private size: { cols: number; rows: number } | null = null;
  private current: ConsoleStatus = { state: 'ended', code: 0, reason: '' };
  private readonly opts: ConsoleOptions;

  constructor(opts: ConsoleOptions) {
    this.opts = opts;
  }

  get status(): ConsoleStatus {
    return this.current;
  }

  connect(): void {
    this.detach()?.close(CONSOLE_CLOSE.ended);
    this.set({ state: 'connecting' });
    const create =
      this.opts.createSocket ?? ((url: string) => new WebSocket(url) as unknown as ConsoleSocket);
    const ws = create(this.opts.url);
    ws.binaryType = 'arraybuffer';
    this.socket = ws;
    let opened = false;
    ws.onopen = () => {
      if (this.socket !== ws) return;
      opened = true;
      this.set({ state: 'connected' });
      if (this.size) ws.send(consoleResizeMessage(this.size.cols, this.size.rows));
    };
    ws.onmessage = (ev) => {
      if (this.socket !== ws) return;
      const bytes = outputBytes(ev.data);
      if (bytes) this.opts.onOutput(bytes);
    };
    ws.onerror = () => {
      // onclose follows with the code
    };
    ws.onclose = (ev) => {
      if (this.socket !== ws) return;
      this.socket = null;
      const reason = describeClose(ev.code, ev.reason, opened);
      if (opened || !this.opts.diagnose || ev.code !== 1006) {
        this.set({ state: 'ended', code: ev.code, reason });
        return;
      }
      this.opts.diagnose().then(
        (why) =>
          this.socket === null &&
          this.set({ state: 'ended', code: ev.code, reason: why ?? reason }),
        () => this.socket === null && this.set({ state: 'ended', code: ev.code, reason }),
      );
    };
  }

  /** Keyboard input (xterm `onData`). Dropped while not connected. */
  input(data: string): void {
    this.sendIfOpen(encodeInput(data));
  }

  /** Binary input (xterm `onBinary`, one char per byte). */
  inputBinary(data: string): void {
    this.sendIfOpen(toBytes(data));
  }

  /** The terminal's size: sent now when connected, and on every (re)connect. */
  resize(cols: number, rows: number): void {
    const same = this.size?.cols === cols && this.size?.rows === rows;
    this.size = { cols, rows };
    if (!same) this.sendIfOpen(consoleResizeMessage(cols, rows));
  }

  /** Closes the console for good (the panel went away). */
  close(): void {
    this.detach()?.close(CONSOLE_CLOSE.ended, 'closed');
  }

  private sendIfOpen(data: string | Uint8Array) {
    if (this.socket?.readyState === OPEN) this.socket.send(data);
  }

  private detach(): ConsoleSocket | null {
    const s = this.socket;
    this.socket = null;
    if (s) s.onopen = s.onmessage = s.onclose = s.onerror = null;
    return s;
  }

  private set(s: ConsoleStatus) {
    this.current = s;
    this.opts.onStatus(s);
  }
}
