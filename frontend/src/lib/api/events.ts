// The live event stream of one lab (docs/events.md) over a WebSocket.
//
// The caller holds a snapshot of the lab taken at `seq` and applies every later event in order.
// This client guarantees that it only ever hands over the event numbered `seq + 1`: anything
// that would skip an event (a gap, a lower seq, a server `resnapshot`) asks the caller to re-read
// the lab instead, and the events received meanwhile are kept and replayed once the caller says
// which seq its new snapshot has. A dropped connection is reopened with backoff, passing the
// last seq seen so the server can replay what was missed.

import type { LabEvent, LabSnapshot } from './types';

/** The part of the browser WebSocket this client uses (a fake one in unit tests). */
export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(code?: number, reason?: string): void;
}

/** Close codes after which reconnecting is pointless (web-gateway/src/routes/ws.rs). */
export const CLOSE_FORBIDDEN = 4003;
export const CLOSE_GONE = 4004;

export type WebSocketFactory = (url: string) => WebSocketLike;

export type EventsStatus = 'connecting' | 'live' | 'resyncing' | 'reconnecting' | 'closed';

export interface StatusInfo {
  /** Reconnect attempt number (1 for the first retry). */
  attempt?: number;
  /** Delay before the next attempt. */
  delayMs?: number;
  /** Close code of the connection that dropped. */
  closeCode?: number;
}

export interface LabEventsOptions {
  /** URL of the event stream, given the last seq applied. */
  url: (since: number) => string;
  /** Seq of the snapshot the caller holds. */
  seq: number;
  onEvent: (event: LabEvent) => void;
  /**
   * The caller's copy is stale. With a snapshot (the server sent one), take it; without, re-read
   * the lab. Then call `resynced(seq of the new copy)`. Not called again until then.
   */
  onResnapshot: (snapshot: LabSnapshot | null) => void;
  onStatus?: (status: EventsStatus, info: StatusInfo) => void;
  /**
   * The gateway ended the stream for good: 4003 (access revoked, or signed out) or 4004 (the
   * lab was deleted). The client does not reconnect after these.
   */
  onEnded?: (code: number, reason: string) => void;
  createSocket?: WebSocketFactory;
  backoff?: { initialMs?: number; maxMs?: number; factor?: number };
  /** How long to wait for replayed events announced by `hello` before re-reading the lab. */
  replayTimeoutMs?: number;
  random?: () => number;
}

type Incoming =
  | { kind: 'hello'; seq: number }
  | { kind: 'resnapshot'; snapshot: LabSnapshot | null }
  | { kind: 'event'; event: LabEvent }
  | { kind: 'invalid'; reason: string };

/** Accepts both `{lab_id, seq, type, payload:{…}}` (docs/events.md) and the flattened form. */
export function parseMessage(data: unknown): Incoming {
  if (typeof data !== 'string') return { kind: 'invalid', reason: 'binary frame' };
  let raw: unknown;
  try {
    raw = JSON.parse(data);
  } catch {
    return { kind: 'invalid', reason: 'not JSON' };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    return { kind: 'invalid', reason: 'not an object' };
  }
  const msg = raw as Record<string, unknown>;
  if (msg.type === 'hello') {
    return typeof msg.seq === 'number'
      ? { kind: 'hello', seq: msg.seq }
      : { kind: 'invalid', reason: 'hello without seq' };
  }
  if (msg.type === 'resnapshot') {
    const snap = msg.snapshot as LabSnapshot | undefined;
    const usable = snap && typeof snap === 'object' && typeof snap.seq === 'number' && snap.lab;
    return { kind: 'resnapshot', snapshot: usable ? snap : null };
  }
  if (typeof msg.type !== 'string' || typeof msg.seq !== 'number') {
    return { kind: 'invalid', reason: 'event without type or seq' };
  }
  const { payload, ...envelope } = msg;
  const body =
    payload && typeof payload === 'object' && !Array.isArray(payload)
      ? { ...(payload as Record<string, unknown>), ...envelope }
      : msg;
  return { kind: 'event', event: body as unknown as LabEvent };
}

const defaultFactory: WebSocketFactory = (url) => {
  const ws = new WebSocket(url);
  return ws as unknown as WebSocketLike;
};

/** `ws(s)://host/path` for a same-origin path. */
export function wsUrl(path: string, loc: { protocol: string; host: string } = location): string {
  return `${loc.protocol === 'https:' ? 'wss:' : 'ws:'}//${loc.host}${path}`;
}

export class LabEventsClient {
  private lastSeq: number;
  private socket: WebSocketLike | null = null;
  private stopped = true;
  private attempt = 0;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private replayTimer: ReturnType<typeof setTimeout> | null = null;
  private resyncing = false;
  private buffer: LabEvent[] = [];
  private readonly opts: LabEventsOptions;

  constructor(opts: LabEventsOptions) {
    this.opts = opts;
    this.lastSeq = opts.seq;
  }

  /** Seq of the last event applied (or of the snapshot). */
  get seq(): number {
    return this.lastSeq;
  }

  get isResyncing(): boolean {
    return this.resyncing;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    this.clearTimers();
    const s = this.socket;
    this.socket = null;
    if (s) {
      s.onopen = s.onmessage = s.onerror = s.onclose = null;
      s.close(1000, 'client closed');
    }
    this.status('closed', {});
  }

  /** The caller re-read the lab; its snapshot is at `seq`. Buffered newer events follow. */
  resynced(seq: number): void {
    this.lastSeq = seq;
    this.resyncing = false;
    const pending = this.buffer;
    this.buffer = [];
    pending.sort((a, b) => a.seq - b.seq);
    for (const ev of pending) {
      // Already contained in the new snapshot.
      if (ev.seq <= this.lastSeq) continue;
      this.accept(ev);
    }
    if (!this.resyncing && this.socket) this.status('live', {});
  }

  private status(s: EventsStatus, info: StatusInfo) {
    this.opts.onStatus?.(s, info);
  }

  private clearTimers() {
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    if (this.replayTimer !== null) clearTimeout(this.replayTimer);
    this.retryTimer = this.replayTimer = null;
  }

  private connect() {
    this.status(this.attempt === 0 ? 'connecting' : 'reconnecting', { attempt: this.attempt });
    const socket = (this.opts.createSocket ?? defaultFactory)(this.opts.url(this.lastSeq));
    this.socket = socket;
    socket.onmessage = (ev) => {
      if (this.socket === socket) this.handle(parseMessage(ev.data));
    };
    socket.onclose = (ev) => {
      if (this.socket === socket) this.dropped(ev.code, ev.reason);
    };
    socket.onerror = () => {
      // onclose follows and does the work
    };
  }

  private dropped(code: number, reason: string) {
    this.socket = null;
    if (this.replayTimer !== null) clearTimeout(this.replayTimer);
    this.replayTimer = null;
    if (this.stopped) return;
    if (code === CLOSE_FORBIDDEN || code === CLOSE_GONE) {
      this.stopped = true;
      this.status('closed', { closeCode: code });
      this.opts.onEnded?.(code, reason);
      return;
    }
    this.attempt += 1;
    const b = this.opts.backoff ?? {};
    const initial = b.initialMs ?? 500;
    const max = b.maxMs ?? 30_000;
    const factor = b.factor ?? 2;
    const base = Math.min(max, initial * factor ** (this.attempt - 1));
    const rnd = (this.opts.random ?? Math.random)();
    const delayMs = Math.round(Math.min(max, base * (0.75 + 0.5 * rnd)));
    this.status('reconnecting', { attempt: this.attempt, delayMs, closeCode: code });
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.connect();
    }, delayMs);
  }

  private handle(msg: Incoming) {
    switch (msg.kind) {
      case 'hello':
        this.attempt = 0;
        if (msg.seq < this.lastSeq) {
          // The server is behind what we applied: our copy cannot be trusted.
          this.requestResnapshot();
        } else {
          if (!this.resyncing) this.status('live', {});
          if (msg.seq > this.lastSeq) this.expectReplayUpTo(msg.seq);
        }
        return;
      case 'resnapshot':
        this.requestResnapshot(msg.snapshot, true);
        return;
      case 'event':
        this.accept(msg.event);
        return;
      case 'invalid':
        console.warn(`lab events: ignored a message (${msg.reason})`);
        return;
    }
  }

  /** `hello` said the lab is at `seq`; the missed events should be replayed shortly. */
  private expectReplayUpTo(seq: number) {
    if (this.replayTimer !== null) clearTimeout(this.replayTimer);
    this.replayTimer = setTimeout(() => {
      this.replayTimer = null;
      if (!this.resyncing && this.lastSeq < seq) this.requestResnapshot();
    }, this.opts.replayTimeoutMs ?? 2000);
  }

  private accept(ev: LabEvent) {
    if (this.resyncing) {
      if (!this.buffer.some((b) => b.seq === ev.seq)) this.buffer.push(ev);
      return;
    }
    if (ev.seq === this.lastSeq) return; // a replayed duplicate
    if (ev.seq === this.lastSeq + 1) {
      this.lastSeq = ev.seq;
      this.opts.onEvent(ev);
      return;
    }
    // A gap (events missed) or a seq lower than the last one: re-read the lab.
    this.buffer.push(ev);
    this.requestResnapshot();
  }

  /** Re-read the lab now (e.g. positions changed), keeping events in order meanwhile. */
  resync(): void {
    this.requestResnapshot();
  }

  private requestResnapshot(snapshot: LabSnapshot | null = null, fromServer = false) {
    // A snapshot from the server supersedes a re-read already under way.
    if (this.resyncing && !(fromServer && snapshot)) return;
    this.resyncing = true;
    this.status('resyncing', {});
    this.opts.onResnapshot(snapshot);
  }
}
