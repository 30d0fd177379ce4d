import { describe, it, expect } from 'vitest';
import { applyMask } from '../../src/protocol/mask.js';
import { hex } from './kit.js';

function naiveMask(data: Uint8Array, start: number, end: number, key: Uint8Array, maskOffset: number): void {
  for (let i = start; i < end; i++) data[i] ^= key[(maskOffset + i - start) & 3];
}

/** Deterministic pseudo-random bytes (xorshift), so failures reproduce. */
function bytes(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Index of the first differing byte, or -1. Cheaper than a deep `toEqual` on megabyte arrays. */
function firstDiff(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/** A copy of `src` placed at `byteOffset` inside a larger buffer, so the view is not 4-byte aligned. */
function at(src: Uint8Array, byteOffset: number): Uint8Array {
  const view = new Uint8Array(new ArrayBuffer(src.length + byteOffset + 8), byteOffset, src.length);
  view.set(src);
  return view;
}

// RFC 6455 §5.7: "A single-frame masked text message" 0x81 0x85 0x37 0xfa 0x21 0x3d 0x7f 0x9f 0x4d 0x51 0x58
// contains "Hello".
const RFC_KEY = hex('37 fa 21 3d');
const HELLO = new TextEncoder().encode('Hello');
const HELLO_MASKED = hex('7f 9f 4d 51 58');

describe('applyMask', () => {
  it('unmasks the RFC 6455 §5.7 "Hello" example', () => {
    const data = HELLO_MASKED.slice();
    applyMask(data, 0, data.length, RFC_KEY, 0);
    expect(new TextDecoder().decode(data)).toBe('Hello');
  });

  it('masks "Hello" into the RFC 6455 §5.7 bytes', () => {
    const data = HELLO.slice();
    applyMask(data, 0, data.length, RFC_KEY, 0);
    expect(data).toEqual(HELLO_MASKED);
  });

  it('resumes mid-payload at every split point of the RFC example', () => {
    for (let split = 0; split <= 5; split++) {
      const data = HELLO_MASKED.slice();
      applyMask(data, 0, split, RFC_KEY, 0);
      applyMask(data, split, 5, RFC_KEY, split & 3);
      expect(data, `split at ${split}`).toEqual(HELLO);
    }
  });

  it('reads the key from a view at any offset of a larger buffer', () => {
    for (let keyOffset = 0; keyOffset < 8; keyOffset++) {
      const frame = new Uint8Array(16);
      frame.set(RFC_KEY, keyOffset);
      const key = frame.subarray(keyOffset, keyOffset + 4);
      const data = HELLO_MASKED.slice();
      applyMask(data, 0, 5, key, 0);
      expect(data).toEqual(HELLO);
    }
  });

  it('leaves bytes outside [start, end) alone', () => {
    const src = bytes(600, 7);
    for (const [start, end] of [
      [0, 0],
      [3, 3],
      [1, 17],
      [5, 599],
      [13, 300],
    ] as const) {
      const data = src.slice();
      applyMask(data, start, end, RFC_KEY, 2);
      expect(data.subarray(0, start)).toEqual(src.subarray(0, start));
      expect(data.subarray(end)).toEqual(src.subarray(end));
    }
  });

  it('matches a naive byte loop for lengths 0..70 at every byte offset and mask offset', () => {
    const failures: string[] = [];
    for (let len = 0; len <= 70; len++) {
      const src = bytes(len, len + 1);
      for (let byteOffset = 0; byteOffset < 8; byteOffset++) {
        for (let maskOffset = 0; maskOffset < 4; maskOffset++) {
          const fast = at(src, byteOffset);
          const slow = src.slice();
          applyMask(fast, 0, len, RFC_KEY, maskOffset);
          naiveMask(slow, 0, len, RFC_KEY, maskOffset);
          if (firstDiff(fast, slow) !== -1) failures.push(`len ${len} at ${byteOffset} maskOffset ${maskOffset}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('matches a naive byte loop on long runs (word path) at every byte offset and mask offset', () => {
    const failures: string[] = [];
    for (const len of [255, 256, 257, 258, 259, 260, 1000, 4096, 65_536, 65_539, 1_000_003]) {
      const src = bytes(len, len);
      for (let byteOffset = 0; byteOffset < 4; byteOffset++) {
        for (let maskOffset = 0; maskOffset < 4; maskOffset++) {
          const fast = at(src, byteOffset);
          const slow = src.slice();
          applyMask(fast, 0, len, RFC_KEY, maskOffset);
          naiveMask(slow, 0, len, RFC_KEY, maskOffset);
          const diff = firstDiff(fast, slow);
          if (diff !== -1) failures.push(`len ${len} byteOffset ${byteOffset} maskOffset ${maskOffset}: byte ${diff}`);
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('gives the same bytes when a long payload is unmasked in pieces of any size', () => {
    const src = bytes(3000, 99);
    const whole = src.slice();
    applyMask(whole, 0, whole.length, RFC_KEY, 0);
    for (const piece of [1, 2, 3, 5, 7, 31, 64, 255, 257, 1023]) {
      const data = at(src, 3);
      for (let start = 0; start < data.length; start += piece) {
        applyMask(data, start, Math.min(data.length, start + piece), RFC_KEY, start & 3);
      }
      expect(firstDiff(data, whole), `pieces of ${piece}`).toBe(-1);
    }
  });

  it('is its own inverse', () => {
    for (const len of [0, 1, 4, 33, 300, 70_000]) {
      const src = bytes(len, 5);
      const data = at(src, 1);
      applyMask(data, 0, len, RFC_KEY, 1);
      if (len > 8) expect(firstDiff(data, src)).not.toBe(-1);
      applyMask(data, 0, len, RFC_KEY, 1);
      expect(firstDiff(data, src)).toBe(-1);
    }
  });

  it('treats maskOffset modulo 4', () => {
    const a = HELLO_MASKED.slice();
    const b = HELLO_MASKED.slice();
    applyMask(a, 0, 5, RFC_KEY, 1);
    applyMask(b, 0, 5, RFC_KEY, 5);
    expect(a).toEqual(b);
  });

  it('works on a Node Buffer (a Uint8Array over the shared pool)', () => {
    const buf = Buffer.from('0123456789'.repeat(50));
    const expected = Uint8Array.from(buf);
    naiveMask(expected, 0, expected.length, RFC_KEY, 3);
    applyMask(buf, 0, buf.length, RFC_KEY, 3);
    expect(firstDiff(buf, expected)).toBe(-1);
  });
});
