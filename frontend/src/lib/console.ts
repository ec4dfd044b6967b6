// The console WebSocket protocol (besides raw bytes): see docs of the gateway.

/** The text frame that tells the far end the terminal size. */
export function consoleResizeMessage(rows: number, cols: number): string {
  return JSON.stringify({ type: 'resize', rows, cols });
}

/** xterm's binary strings (one char per byte) as bytes. */
export function toBytes(binary: string): Uint8Array {
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i) & 0xff;
  return out;
}
