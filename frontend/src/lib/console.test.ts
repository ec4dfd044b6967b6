import { describe, expect, it, vi } from 'vitest';
import {
  CONSOLE_CLOSE,
  ConsoleConnection,
  consoleResizeMessage,
  describeClose,
  encodeInput,
  outputBytes,
  toBytes,
  type ConsoleSocket,
  type ConsoleStatus,
} from './console';

class FakeSocket implements ConsoleSocket {
  readyState = 0;
  binaryType = 'blob';
  onopen: ConsoleSocket['onopen'] = null;
  onmessage: ConsoleSocket['onmessage'] = null;
  onclose: ConsoleSocket['onclose'] = null;
  onerror: ConsoleSocket['onerror'] = null;
  sent: (string | Uint8Array)[] = [];
  closed: { code?: number; reason?: string } | null = null;
  constructor(readonly url: string) {}
  send(data: string | Uint8Array) {
    this.sent.push(data);
  }
  close(code?: number, reason?: string) {
    this.closed = { code, reason };
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  serverClose(code: number, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
}

function setup(diagnose?: () => Promise<string | null>) {
  const sockets: FakeSocket[] = [];
  const output: number[][] = [];
  const statuses: ConsoleStatus[] = [];
  const conn = new ConsoleConnection({
    url: 'ws://h/api/labs/L/nodes/1/console',
    onOutput: (b) => output.push([...b]),
    onStatus: (s) => statuses.push(s),
    diagnose,
    createSocket: (url) => {
      const s = new FakeSocket(url);
      sockets.push(s);
      return s;
    },
  });
  return { conn, sockets, output, statuses, last: () => sockets.at(-1)! };
}

describe('console framing', () => {
  it('writes the resize message with cols and rows, clamped to 1..1000', () => {
    expect(JSON.parse(consoleResizeMessage(80, 24))).toEqual({
      type: 'resize',
      cols: 80,
      rows: 24,
    });
    expect(JSON.parse(consoleResizeMessage(0, 5000))).toEqual({
      type: 'resize',
      cols: 1,
      rows: 1000,
    });
  });
  it('sends keyboard input as UTF-8 and binary strings byte for byte', () => {
    expect([...encodeInput('é\r')]).toEqual([0xc3, 0xa9, 13]);
    expect([...toBytes('\x00\xff\x1b')]).toEqual([0, 255, 27]);
  });
  it('takes output from binary frames only', () => {
    expect([...outputBytes(new Uint8Array([1, 2]).buffer)!]).toEqual([1, 2]);
    expect([...outputBytes(new Uint8Array([0, 7, 8, 9]).subarray(1, 3))!]).toEqual([7, 8]);
    expect(outputBytes('{"type":"x"}')).toBeNull();
  });
  it('says why a console ended', () => {
    expect(describeClose(1000, '', true)).toBe('The console ended (the node stopped).');
    expect(describeClose(1000, 'the console ended (the node stopped)', true)).toBe(
      'The console ended (the node stopped).',
    );
    expect(describeClose(4003, 'access to this lab was revoked', true)).toMatch(/revoked/);
    expect(describeClose(4003, 'signed out', true)).toBe('You were signed out.');
    expect(describeClose(4004, 'node deleted', true)).toMatch(/deleted/);
    expect(describeClose(4009, '', false)).toBe('The node is not running.');
    expect(describeClose(4008, '', true)).toMatch(/fell behind/);
    expect(describeClose(4400, 'unknown field `x`', true)).toMatch(/refused.*unknown field/);
    expect(describeClose(1006, '', true)).toMatch(/lost/);
    expect(describeClose(1006, '', false)).toMatch(/Could not connect/);
  });
});

describe('ConsoleConnection', () => {
  it('connects, sends the size on open and input while open', () => {
    const t = setup();
    t.conn.resize(100, 30);
    t.conn.connect();
    expect(t.statuses).toEqual([{ state: 'connecting' }]);
    expect(t.last().binaryType).toBe('arraybuffer');
    t.conn.input('lost'); // not open yet: dropped
    t.last().open();
    expect(t.conn.status).toEqual({ state: 'connected' });
    t.conn.input('ls\r');
    t.conn.inputBinary('\x80');
    t.conn.resize(100, 30); // unchanged: not sent again
    t.conn.resize(120, 40);
    expect(t.last().sent).toEqual([
      '{"type":"resize","cols":100,"rows":30}',
      new Uint8Array([108, 115, 13]),
      new Uint8Array([0x80]),
      '{"type":"resize","cols":120,"rows":40}',
    ]);
  });

  it('hands binary output over and ignores text frames', () => {
    const t = setup();
    t.conn.connect();
    t.last().open();
    t.last().onmessage?.({ data: new Uint8Array([104, 105]).buffer });
    t.last().onmessage?.({ data: 'not terminal output' });
    expect(t.output).toEqual([[104, 105]]);
  });

  it('ends with the reason of the close code, and reconnects on demand', () => {
    const t = setup();
    t.conn.connect();
    t.last().open();
    t.last().serverClose(CONSOLE_CLOSE.ended, 'the console ended (the node stopped)');
    expect(t.conn.status).toEqual({
      state: 'ended',
      code: 1000,
      reason: 'The console ended (the node stopped).',
    });
    t.conn.resize(80, 24);
    t.conn.connect();
    expect(t.sockets).toHaveLength(2);
    t.last().open();
    expect(t.last().sent).toEqual(['{"type":"resize","cols":80,"rows":24}']);
  });

  it('asks why when the socket never opened (the browser hides the HTTP answer)', async () => {
    const diagnose = vi.fn(() => Promise.resolve('The node is not running (stopped).'));
    const t = setup(diagnose);
    t.conn.connect();
    t.last().serverClose(1006);
    await vi.waitFor(() => expect(t.conn.status.state).toBe('ended'));
    expect(diagnose).toHaveBeenCalledOnce();
    expect(t.conn.status).toMatchObject({ reason: 'The node is not running (stopped).' });
  });

  it('does not diagnose a close code that says why', () => {
    const diagnose = vi.fn(() => Promise.resolve('x'));
    const t = setup(diagnose);
    t.conn.connect();
    t.last().serverClose(4009);
    expect(diagnose).not.toHaveBeenCalled();
    expect(t.conn.status).toMatchObject({ state: 'ended', reason: 'The node is not running.' });
  });

  it('closes quietly: no status after close, a reconnect drops the old socket', () => {
    const t = setup();
    t.conn.connect();
    const first = t.last();
    first.open();
    t.conn.connect();
    expect(first.closed?.code).toBe(1000);
    first.serverClose(1000); // late event of the old socket
    expect(t.conn.status).toEqual({ state: 'connecting' });
    t.conn.close();
    expect(t.last().closed).toEqual({ code: 1000, reason: 'closed' });
    const n = t.statuses.length;
    t.last().serverClose(1000);
    expect(t.statuses).toHaveLength(n);
  });
});
