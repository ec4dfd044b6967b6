// Node consoles of the mock gateway: one shared console per running node (every viewer sees
// the same output, as on a serial line), with recent output replayed to a new viewer and a tiny
// echoing shell behind it. Protocol as the gateway's (web-gateway/src/routes/console.rs):
// binary frames both ways are the terminal; a text frame {"type":"resize","rows","cols"} sets
// the size; close 1000 when the console ends, 4004 when the node or lab is gone, 4003 when
// access is revoked, 4008 for a viewer that does not read, 4400 for a bad control frame.

const HISTORY_BYTES = 64 * 1024;
const TOO_SLOW_BYTES = 4 * 1024 * 1024;

export const CLOSE = { ENDED: 1000, FORBIDDEN: 4003, GONE: 4004, TOO_SLOW: 4008, BAD: 4400 };

/** Reads a console control frame; a reason string when it is not one. */
export function parseControl(text) {
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    return 'not JSON';
  }
  if (!msg || typeof msg !== 'object' || msg.type !== 'resize') return 'unknown type';
  const extra = Object.keys(msg).filter((k) => !['type', 'rows', 'cols'].includes(k));
  if (extra.length) return `unknown field \`${extra[0]}\``;
  const ok = (n) => Number.isInteger(n) && n >= 1 && n <= 1000;
  if (!ok(msg.rows) || !ok(msg.cols)) return 'rows and cols must be 1 to 1000';
  return { rows: msg.rows, cols: msg.cols };
}

/** `onExit(labId, nodeId)`: the shell was told to power off (the node stops). */
export function createConsoles({ onExit }) {
  const consoles = new Map(); // "lab/node" → console

  const keyOf = (labId, nodeId) => `${labId}/${nodeId}`;

  function send(c, ws, bytes) {
    if (ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > TOO_SLOW_BYTES) {
      c.viewers.delete(ws);
      ws.close(CLOSE.TOO_SLOW, 'too slow: the console went on without you');
      return;
    }
    ws.send(bytes, { binary: true });
  }

  function output(c, text) {
    const bytes = Buffer.from(text, 'utf8');
    c.history.push(bytes);
    c.historyBytes += bytes.length;
    while (c.historyBytes > HISTORY_BYTES && c.history.length > 1) {
      c.historyBytes -= c.history.shift().length;
    }
    for (const ws of c.viewers) send(c, ws, bytes);
  }

  const prompt = (c) => `${c.name}# `;

  function run(c, line) {
    const [cmd = '', ...args] = line.trim().split(/\s+/);
    switch (cmd) {
      case '':
        break;
      case 'help':
        output(c, 'commands: help, hostname, uname, echo, seq N, stty size, exit\r\n');
        break;
      case 'hostname':
        output(c, `${c.name}\r\n`);
        break;
      case 'uname':
        output(c, 'Linux\r\n');
        break;
      case 'echo':
        output(c, `${args.join(' ')}\r\n`);
        break;
      case 'seq': {
        const n = Math.min(10_000, Math.max(0, Number(args[0]) || 0));
        let out = '';
        for (let i = 1; i <= n; i++) out += `${i}\r\n`;
        output(c, out);
        break;
      }
      case 'stty':
        if (args[0] === 'size') output(c, `${c.rows} ${c.cols}\r\n`);
        else output(c, 'stty: only "stty size" here\r\n');
        break;
      case 'exit':
      case 'poweroff':
        output(c, 'Powering off.\r\n');
        onExit(c.labId, c.nodeId);
        return;
      default:
        output(c, `sh: ${cmd}: not found\r\n`);
    }
    output(c, prompt(c));
  }

  function input(c, data) {
    // Arrow keys and other escape sequences do nothing in this shell.
    // eslint-disable-next-line no-control-regex
    const text = data.toString('utf8').replace(/\x1b\[[0-9;]*[A-Za-z~]/g, '');
    for (const ch of text) {
      if (ch === '\r' || ch === '\n') {
        output(c, '\r\n');
        const line = c.line;
        c.line = '';
        run(c, line);
        if (!consoles.has(keyOf(c.labId, c.nodeId))) return; // powered off
      } else if (ch === '\x7f' || ch === '\b') {
        if (c.line) {
          c.line = [...c.line].slice(0, -1).join('');
          output(c, '\b \b');
        }
      } else if (ch === '\x03') {
        c.line = '';
        output(c, `^C\r\n${prompt(c)}`);
      } else if (ch >= ' ') {
        c.line += ch;
        output(c, ch);
      }
    }
  }

  return {
    /** A viewer joins the console of a running node. */
    attach(labId, nodeId, name, ws) {
      const key = keyOf(labId, nodeId);
      let c = consoles.get(key);
      const fresh = !c;
      if (!c) {
        c = { labId, nodeId, name, history: [], historyBytes: 0, viewers: new Set(), line: '' };
        c.rows = 24;
        c.cols = 80;
        consoles.set(key, c);
      }
      for (const bytes of c.history) send(c, ws, bytes); // the replay
      c.viewers.add(ws);
      if (fresh) {
        output(
          c,
          `\r\nnova-ve mock console of ${name} (node ${nodeId}); type help\r\n${prompt(c)}`,
        );
      }
      ws.on('message', (data, isBinary) => {
        if (isBinary) return input(c, data);
        const ctl = parseControl(String(data));
        if (typeof ctl === 'string') {
          c.viewers.delete(ws);
          ws.close(CLOSE.BAD, `not a console control message: ${ctl}`.slice(0, 120));
          return;
        }
        c.rows = ctl.rows;
        c.cols = ctl.cols;
      });
      ws.on('close', () => c.viewers.delete(ws));
    },

    /** Ends a node's console: every viewer is closed with `code`. */
    end(labId, nodeId, code, reason) {
      const key = keyOf(labId, nodeId);
      const c = consoles.get(key);
      if (!c) return;
      consoles.delete(key);
      for (const ws of c.viewers) ws.close(code, reason);
    },

    /** Ends every console of a lab (deleted), or only one user's viewers (access revoked). */
    endLab(labId, code, reason, onlyUser = null) {
      for (const c of [...consoles.values()]) {
        if (c.labId !== labId) continue;
        for (const ws of c.viewers) {
          if (onlyUser === null || ws.userId === onlyUser) {
            c.viewers.delete(ws);
            ws.close(code, reason);
          }
        }
        if (onlyUser === null) consoles.delete(keyOf(c.labId, c.nodeId));
      }
    },
  };
}
