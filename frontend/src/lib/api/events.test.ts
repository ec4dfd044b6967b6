import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LabEventsClient, parseMessage, wsUrl, type WebSocketLike } from './events';
import type { LabEvent } from './types';

class FakeSocket implements WebSocketLike {
  readyState = 0;
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: unknown }) => void) | null = null;
  onclose: ((ev: { code: number; reason: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  closed: { code?: number; reason?: string } | null = null;
  constructor(readonly url: string) {}
  close(code?: number, reason?: string) {
    this.closed = { code, reason };
    this.readyState = 3;
  }
  // test helpers
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  receive(msg: unknown) {
    this.onmessage?.({ data: typeof msg === 'string' ? msg : JSON.stringify(msg) });
  }
  drop(code = 1006, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

const ev = (seq: number, type = 'node_wiped', extra: Record<string, unknown> = { node_id: 1 }) => ({
  lab_id: 'L',
  seq,
  type,
  ...extra,
});

function setup(seq = 100) {
  const sockets: FakeSocket[] = [];
  const events: LabEvent[] = [];
  const statuses: string[] = [];
  const onResnapshot = vi.fn();
  const client = new LabEventsClient({
    seq,
    url: (since) => `ws://h/api/labs/L/events?since=${since}`,
    onEvent: (e) => events.push(e),
    onResnapshot,
    onStatus: (s) => statuses.push(s),
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
    backoff: { initialMs: 100, maxMs: 1000 },
    random: () => 0.5, // no jitter: delay = base
    replayTimeoutMs: 500,
  });
  const last = () => {
    const s = sockets.at(-1);
    if (!s) throw new Error('no socket');
    return s;
  };
  return { client, sockets, events, statuses, onResnapshot, last };
}

beforeEach(() => vi.useFakeTimers());
afterEach(() => vi.useRealTimers());

describe('parseMessage', () => {
  it('reads hello, resnapshot and both event shapes', () => {
    expect(parseMessage('{"type":"hello","seq":5}')).toEqual({ kind: 'hello', seq: 5 });
    expect(parseMessage('{"type":"resnapshot","reason":"x"}')).toEqual({
      kind: 'resnapshot',
      snapshot: null,
    });
    const snapshot = {
      ref: { id: 'L', name: 'n', folder: '' },
      lab: { id: 'L' },
      runtime: {},
      seq: 9,
    };
    expect(
      parseMessage(JSON.stringify({ type: 'resnapshot', reason: 'behind', snapshot })),
    ).toEqual({
      kind: 'resnapshot',
      snapshot,
    });
    const nested = parseMessage(
      JSON.stringify({ lab_id: 'L', seq: 7, type: 'node_deleted', payload: { v: 1, node_id: 3 } }),
    );
    expect(nested).toEqual({
      kind: 'event',
      event: { lab_id: 'L', seq: 7, type: 'node_deleted', v: 1, node_id: 3 },
    });
    const flat = parseMessage(
      JSON.stringify({ lab_id: 'L', seq: 7, type: 'node_deleted', node_id: 3 }),
    );
    expect(flat).toEqual({
      kind: 'event',
      event: { lab_id: 'L', seq: 7, type: 'node_deleted', node_id: 3 },
    });
  });
  it('rejects garbage without throwing', () => {
    expect(parseMessage('nope').kind).toBe('invalid');
    expect(parseMessage('[1]').kind).toBe('invalid');
    expect(parseMessage('{"type":"x"}').kind).toBe('invalid');
    expect(parseMessage(new ArrayBuffer(2)).kind).toBe('invalid');
  });
  it('builds ws URLs from the page location', () => {
    expect(wsUrl('/api/x', { protocol: 'https:', host: 'a:1' })).toBe('wss://a:1/api/x');
    expect(wsUrl('/api/x', { protocol: 'http:', host: 'a' })).toBe('ws://a/api/x');
  });
});

describe('LabEventsClient', () => {
  it('connects with since=<seq> and applies consecutive events', () => {
    const t = setup(100);
    t.client.start();
    expect(t.last().url).toBe('ws://h/api/labs/L/events?since=100');
    t.last().open();
    t.last().receive({ type: 'hello', seq: 100 });
    t.last().receive(ev(101));
    t.last().receive(ev(102));
    expect(t.events.map((e) => e.seq)).toEqual([101, 102]);
    expect(t.client.seq).toBe(102);
    expect(t.statuses).toEqual(['connecting', 'live']);
    expect(t.onResnapshot).not.toHaveBeenCalled();
  });

  it('ignores a duplicate of the last event', () => {
    const t = setup(100);
    t.client.start();
    t.last().receive(ev(101));
    t.last().receive(ev(101));
    expect(t.events).toHaveLength(1);
  });

  it('asks for a resnapshot on a gap, buffers, and replays what follows the new snapshot', () => {
    const t = setup(100);
    t.client.start();
    t.last().receive({ type: 'hello', seq: 100 });
    t.last().receive(ev(101));
    t.last().receive(ev(104)); // 102, 103 missed
    expect(t.onResnapshot).toHaveBeenCalledTimes(1);
    expect(t.client.isResyncing).toBe(true);
    t.last().receive(ev(105));
    t.last().receive(ev(106));
    expect(t.onResnapshot).toHaveBeenCalledTimes(1);
    expect(t.events.map((e) => e.seq)).toEqual([101]);
    // The re-read lab already contains 104 and 105.
    t.client.resynced(105);
    expect(t.events.map((e) => e.seq)).toEqual([101, 106]);
    expect(t.client.seq).toBe(106);
    expect(t.client.isResyncing).toBe(false);
  });

  it('treats a lower seq as missed events', () => {
    const t = setup(100);
    t.client.start();
    t.last().receive(ev(90));
    expect(t.onResnapshot).toHaveBeenCalledTimes(1);
    t.client.resynced(120);
    expect(t.events).toHaveLength(0);
    t.last().receive(ev(121));
    expect(t.events.map((e) => e.seq)).toEqual([121]);
  });

  it('re-reads on a server resnapshot message', () => {
    const t = setup(100);
    t.client.start();
    t.last().receive({ type: 'hello', seq: 250 });
    t.last().receive({ type: 'resnapshot', reason: 'too far behind' });
    expect(t.onResnapshot).toHaveBeenCalledTimes(1);
    expect(t.onResnapshot).toHaveBeenCalledWith(null);
    t.client.resynced(250);
    t.last().receive(ev(251));
    expect(t.events.map((e) => e.seq)).toEqual([251]);
  });

  it('hands over the snapshot a resnapshot carries, even during a re-read', () => {
    const t = setup(100);
    t.client.start();
    t.last().receive(ev(105)); // gap: the client starts a re-read
    expect(t.onResnapshot).toHaveBeenLastCalledWith(null);
    const snapshot = {
      ref: { id: 'L', name: 'n', folder: '' },
      lab: { id: 'L' },
      runtime: {},
      seq: 110,
    };
    t.last().receive({ type: 'resnapshot', reason: 'behind', snapshot });
    expect(t.onResnapshot).toHaveBeenCalledTimes(2);
    expect(t.onResnapshot).toHaveBeenLastCalledWith(snapshot);
    t.client.resynced(110);
    t.last().receive(ev(111));
    expect(t.events.map((e) => e.seq)).toEqual([111]);
  });

  it('re-reads when hello announces events that are never replayed', () => {
    const t = setup(100);
    t.client.start();
    t.last().receive({ type: 'hello', seq: 103 });
    t.last().receive(ev(101));
    vi.advanceTimersByTime(499);
    expect(t.onResnapshot).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(t.onResnapshot).toHaveBeenCalledTimes(1);
  });

  it('does not re-read when the announced events are replayed', () => {
    const t = setup(100);
    t.client.start();
    t.last().receive({ type: 'hello', seq: 102 });
    t.last().receive(ev(101));
    t.last().receive(ev(102));
    vi.advanceTimersByTime(5000);
    expect(t.onResnapshot).not.toHaveBeenCalled();
  });

  it('re-reads when hello is behind what was applied', () => {
    const t = setup(100);
    t.client.start();
    t.last().receive({ type: 'hello', seq: 50 });
    expect(t.onResnapshot).toHaveBeenCalledTimes(1);
  });

  it('reconnects with exponential backoff, passing the last seq, and resets after hello', () => {
    const t = setup(100);
    t.client.start();
    t.last().receive({ type: 'hello', seq: 100 });
    t.last().receive(ev(101));
    t.last().drop();
    expect(t.statuses.at(-1)).toBe('reconnecting');
    vi.advanceTimersByTime(99);
    expect(t.sockets).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(t.sockets).toHaveLength(2);
    expect(t.last().url).toBe('ws://h/api/labs/L/events?since=101');
    t.last().drop();
    vi.advanceTimersByTime(199);
    expect(t.sockets).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(t.sockets).toHaveLength(3);
    t.last().drop();
    vi.advanceTimersByTime(400);
    expect(t.sockets).toHaveLength(4);
    for (let i = 0; i < 5; i++) {
      t.last().drop();
      vi.advanceTimersByTime(1000); // capped at maxMs
    }
    expect(t.sockets).toHaveLength(9);
    t.last().receive({ type: 'hello', seq: 101 });
    t.last().drop();
    vi.advanceTimersByTime(100); // back to the initial delay
    expect(t.sockets).toHaveLength(10);
  });

  it('stops cleanly: closes the socket and never reconnects', () => {
    const t = setup(100);
    t.client.start();
    const s = t.last();
    t.client.stop();
    expect(s.closed?.code).toBe(1000);
    s.drop();
    vi.advanceTimersByTime(60_000);
    expect(t.sockets).toHaveLength(1);
    expect(t.statuses.at(-1)).toBe('closed');
  });

  it('does not reconnect after access was revoked (4003) or the lab deleted (4004)', () => {
    for (const code of [4003, 4004]) {
      const ended: [number, string][] = [];
      const sockets: FakeSocket[] = [];
      const client = new LabEventsClient({
        seq: 1,
        url: () => 'ws://h/e',
        onEvent: () => undefined,
        onResnapshot: () => undefined,
        onEnded: (c, r) => ended.push([c, r]),
        createSocket: (url) => {
          const s = new FakeSocket(url);
          sockets.push(s);
          return s;
        },
      });
      client.start();
      sockets[0]!.drop(code, 'access to this lab was revoked');
      vi.advanceTimersByTime(60_000);
      expect(sockets).toHaveLength(1);
      expect(ended).toEqual([[code, 'access to this lab was revoked']]);
    }
  });

  it('ignores messages from a socket it already replaced', () => {
    const t = setup(100);
    t.client.start();
    const first = t.last();
    first.drop();
    vi.advanceTimersByTime(100);
    first.receive(ev(101));
    expect(t.events).toHaveLength(0);
    t.last().receive(ev(101));
    expect(t.events).toHaveLength(1);
  });
});
