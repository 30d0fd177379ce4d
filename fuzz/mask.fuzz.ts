import { describe, it } from 'vitest';
import fc from 'fast-check';
import { applyMask } from '../src/protocol/mask.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
/** Generous: the machine running `npm run fuzz` may be busy; a property at 20,000 runs takes ~5-15 s. */
const TIMEOUT = Math.max(20_000, RUNS * 5);

/** The definition in RFC 6455 §5.3, one byte at a time. */
function naiveMask(data: Uint8Array, start: number, end: number, key: Uint8Array, maskOffset: number): void {
  for (let i = start; i < end; i++) data[i] ^= key[(maskOffset + i - start) & 3];
}

const SENTINEL = 0xa5;

/** Lengths around the byte-loop/word-loop threshold (256) matter most; also tiny and multi-KiB runs. */
const length = fc.oneof(
  fc.integer({ min: 0, max: 40 }),
  fc.integer({ min: 240, max: 300 }),
  fc.integer({ min: 0, max: 5000 }),
);

const scenario = length.chain((len) =>
  fc.record({
    data: fc.uint8Array({ minLength: len, maxLength: len }),
    byteOffset: fc.integer({ min: 0, max: 7 }),
    key: fc.uint8Array({ minLength: 4, maxLength: 4 }),
    keyOffset: fc.integer({ min: 0, max: 7 }),
    maskOffset: fc.integer({ min: 0, max: 3 }),
    // start <= split <= end, all within [0, len]
    cuts: fc
      .tuple(fc.integer({ min: 0, max: len }), fc.integer({ min: 0, max: len }), fc.integer({ min: 0, max: len }))
      .map(([a, b, c]) => [a, b, c].sort((x, y) => x - y) as [number, number, number]),
  }),
);

describe('fuzz: applyMask', () => {
  it(
    'fast word-at-a-time masking, split into two resumed calls, equals the naive byte loop',
    () => {
      fc.assert(
        fc.property(scenario, ({ data, byteOffset, key, keyOffset, maskOffset, cuts: [start, split, end] }) => {
          // The data sits at `byteOffset` inside a larger buffer whose other bytes must not be touched.
          const backing = new Uint8Array(data.length + 16).fill(SENTINEL);
          const fast = backing.subarray(byteOffset, byteOffset + data.length);
          fast.set(data);
          const keyBacking = new Uint8Array(12).fill(0xff);
          keyBacking.set(key, keyOffset);
          const keyView = keyBacking.subarray(keyOffset, keyOffset + 4);

          applyMask(fast, start, split, keyView, maskOffset);
          applyMask(fast, split, end, keyView, (maskOffset + split - start) & 3);

          const slow = data.slice();
          naiveMask(slow, start, end, key, maskOffset);
          for (let i = 0; i < slow.length; i++) if (fast[i] !== slow[i]) return false;
          for (let i = 0; i < byteOffset; i++) if (backing[i] !== SENTINEL) return false;
          for (let i = byteOffset + data.length; i < backing.length; i++) if (backing[i] !== SENTINEL) return false;
          return true;
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'masking twice with the same key and offset restores the data',
    () => {
      fc.assert(
        fc.property(scenario, ({ data, byteOffset, key, maskOffset, cuts: [start, , end] }) => {
          const view = new Uint8Array(data.length + 8).subarray(byteOffset, byteOffset + data.length);
          view.set(data);
          applyMask(view, start, end, key, maskOffset);
          applyMask(view, start, end, key, maskOffset);
          for (let i = 0; i < data.length; i++) if (view[i] !== data[i]) return false;
          return true;
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});
