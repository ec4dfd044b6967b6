import { describe, expect, it } from 'vitest';
import { consoleResizeMessage, toBytes } from './console';

describe('console protocol', () => {
  it('writes the resize message', () => {
    expect(JSON.parse(consoleResizeMessage(24, 80))).toEqual({
      type: 'resize',
      rows: 24,
      cols: 80,
    });
  });
  it('turns binary strings into bytes', () => {
    expect([...toBytes('\x00\xff\x1b')]).toEqual([0, 255, 27]);
  });
});
