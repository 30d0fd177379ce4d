/**
 * Property tests for the incremental UTF-8 validator, with the platform's fatal TextDecoder as the oracle.
 *
 *  (d) for any bytes fed in any slices: TextDecoder accepts ⇔ every feed returned true and `complete` is true,
 *      and the first feed to fail is the one holding the byte where byte-by-byte feeding fails; fail-fast: the
 *      validator rejects at the first byte after which no continuation could make the input valid, never earlier
 *      (the prefix before it is completable) and never later (if it is still alive, some completion exists).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Utf8Validator, isValidUtf8 } from '../src/protocol/utf8.js';
import { decoderAccepts } from '../test/helpers/bytes.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
/** Generous: the machine running `npm run fuzz` may be busy; a property at 20,000 runs takes ~5-15 s. */
const TIMEOUT = Math.max(20_000, RUNS * 5);

/**
 * Continuations that complete any viable prefix: after a lead byte, the second byte must be in 80..8F, 80..9F,
 * 90..BF, A0..BF or 80..BF depending on the lead, and 80, 90 or A0 lands in each of those ranges; later bytes are
 * any of 80..BF.
 */
const COMPLETIONS: Uint8Array[] = [
  new Uint8Array(0),
  ...[0x80, 0x90, 0xa0].flatMap((x) => [Uint8Array.of(x), Uint8Array.of(x, 0x80), Uint8Array.of(x, 0x80, 0x80)]),
];

function completable(prefix: Uint8Array): boolean {
  return COMPLETIONS.some((tail) => {
    const whole = new Uint8Array(prefix.length + tail.length);
    whole.set(prefix);
    whole.set(tail, prefix.length);
    return decoderAccepts(whole);
  });
}

/** Index of the byte at which byte-by-byte feeding first returns false (-1 if none), and the final `complete`. */
function byteByByte(bytes: Uint8Array): { failAt: number; complete: boolean } {
  const v = new Utf8Validator();
  for (let i = 0; i < bytes.length; i++) if (!v.feed(bytes, i, i + 1)) return { failAt: i, complete: v.complete };
  return { failAt: -1, complete: v.complete };
}

/** Bytes that sit on the edges of the DFA's byte classes. */
const INTERESTING = [
  0x00, 0x41, 0x7f, 0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xec, 0xed, 0xee, 0xef,
  0xf0, 0xf1, 0xf3, 0xf4, 0xf5, 0xf8, 0xfc, 0xfe, 0xff,
];
const byteValue = fc.oneof(fc.integer({ min: 0, max: 255 }), fc.constantFrom(...INTERESTING));

type Mutation =
  | { kind: 'xor'; at: number; value: number }
  | { kind: 'set'; at: number; value: number }
  | { kind: 'insert'; at: number; value: number }
  | { kind: 'delete'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('xor' as const), at: fc.nat(), value: fc.integer({ min: 1, max: 255 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: byteValue }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), value: byteValue }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat() }),
);

function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  const bytes = Array.from(input);
  for (const m of mutations) {
    if (m.kind === 'insert') {
      bytes.splice(m.at % (bytes.length + 1), 0, m.value);
    } else if (bytes.length > 0) {
      const at = m.at % bytes.length;
      if (m.kind === 'xor') bytes[at] ^= m.value;
      else if (m.kind === 'set') bytes[at] = m.value;
      else bytes.splice(at, 1);
    }
  }
  return Uint8Array.from(bytes);
}

const encoder = new TextEncoder();
const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  // Long ASCII runs exercise the 8-at-a-time fast path.
  fc
    .tuple(
      fc.string({ unit: 'binary-ascii', minLength: 8, maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 8 }),
    )
    .map(([a, b]) => a + b),
);

/**
 * Sequences built from a lead byte and as many continuation bytes as that lead asks for, both taken from the edges
 * of their ranges: whole inputs that are valid except, often, for one overlong, surrogate or out-of-range form —
 * the cases random bytes almost never reach with everything else valid.
 */
const LEADS = [0x00, 0x7f, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xe1, 0xed, 0xef, 0xf0, 0xf3, 0xf4, 0xf5, 0xff];
const CONTINUATIONS = [0x80, 0x8f, 0x90, 0x9f, 0xa0, 0xbf];
const expectedLength = (lead: number): number => (lead < 0x80 ? 1 : lead < 0xe0 ? 2 : lead < 0xf0 ? 3 : 4);
const edgeSequence = fc
  .tuple(fc.constantFrom(...LEADS), fc.array(fc.constantFrom(...CONTINUATIONS), { minLength: 3, maxLength: 3 }))
  .map(([lead, conts]) => [lead, ...conts.slice(0, expectedLength(lead) - 1)]);
/** ASCII runs between them, long enough for the 8-at-a-time skip to engage mid-sequence if it wrongly could. */
const asciiRun = fc
  .oneof(fc.integer({ min: 1, max: 24 }), fc.constantFrom(8, 16, 24))
  .chain((n) => fc.array(fc.integer({ min: 0x00, max: 0x7f }), { minLength: n, maxLength: n }));
const edgeSequences = fc
  .array(fc.oneof(edgeSequence, asciiRun), { maxLength: 8 })
  .map((seqs) => Uint8Array.from(seqs.flat()));

/**
 * Valid text, then a multi-byte character cut short, then more valid text (often a pure ASCII run): the sequence is
 * broken in the middle of otherwise valid input, at any offset, so every internal run boundary gets hit.
 */
const cutShort = fc
  .tuple(
    text,
    fc.integer({ min: 0x80, max: 0x10ffff }).filter((cp) => cp < 0xd800 || cp > 0xdfff),
    fc.integer({ min: 1, max: 3 }),
    fc.oneof(text, fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 24 })),
  )
  .map(([before, cp, cut, after]) => {
    const head = encoder.encode(before);
    const char = encoder.encode(String.fromCodePoint(cp));
    const partial = char.subarray(0, Math.max(1, char.length - cut)); // lead byte kept, 1..3 continuations dropped
    const tail = encoder.encode(after);
    const out = new Uint8Array(head.length + partial.length + tail.length);
    out.set(head);
    out.set(partial, head.length);
    out.set(tail, head.length + partial.length);
    return out;
  });

/** Mostly-valid UTF-8 with a few mutations, or valid as is, or plain random bytes. */
const inputBytes = fc.oneof(
  fc.uint8Array({ maxLength: 64 }),
  fc.array(byteValue, { maxLength: 16 }).map((a) => Uint8Array.from(a)),
  edgeSequences,
  cutShort,
  text.map((s) => encoder.encode(s)),
  fc.tuple(text, fc.array(mutation, { minLength: 1, maxLength: 3 })).map(([s, ms]) => mutate(encoder.encode(s), ms)),
);

/** Input plus sorted cut points that slice it into feeds. */
const slicedInput = inputBytes.chain((bytes) =>
  fc.tuple(
    fc.constant(bytes),
    fc.array(fc.integer({ min: 0, max: bytes.length }), { maxLength: 6 }).map((cuts) => cuts.sort((a, b) => a - b)),
  ),
);

describe('fuzz: Utf8Validator against TextDecoder', () => {
  it(
    '(d) TextDecoder accepts ⇔ all feeds pass and the end is complete; slicing never moves the failure',
    () => {
      fc.assert(
        fc.property(slicedInput, ([bytes, cuts]) => {
          const v = new Utf8Validator();
          let allFed = true;
          let prev = 0;
          let failedSlice: [number, number] | null = null;
          for (const cut of [...cuts, bytes.length]) {
            if (!v.feed(bytes, prev, cut) && allFed) {
              allFed = false;
              failedSlice = [prev, cut];
            }
            prev = cut;
          }
          const expected = decoderAccepts(bytes);
          expect(allFed && v.complete).toBe(expected);
          // Slicing does not move the failure: the first feed to fail is the one holding the byte at which
          // byte-by-byte feeding fails.
          const { failAt, complete } = byteByByte(bytes);
          if (failAt === -1) {
            expect(allFed).toBe(true);
            expect(v.complete).toBe(complete);
          } else {
            const [from, to] = failedSlice ?? [-1, -1];
            expect(failAt).toBeGreaterThanOrEqual(from);
            expect(failAt).toBeLessThan(to);
          }
          expect(isValidUtf8(bytes)).toBe(expected);
          // The subarray form sees the same bytes at a different offset.
          const padded = new Uint8Array(bytes.length + 2);
          padded.set(bytes, 1);
          expect(isValidUtf8(padded, 1, bytes.length + 1)).toBe(expected);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    '(d) byte-by-byte: fails exactly at the first byte that no continuation can rescue',
    () => {
      fc.assert(
        fc.property(inputBytes, (bytes) => {
          const { failAt, complete } = byteByByte(bytes);
          if (decoderAccepts(bytes)) {
            expect(failAt).toBe(-1);
            expect(complete).toBe(true);
            return;
          }
          expect(failAt).toBeLessThanOrEqual(bytes.length);
          if (failAt === -1) {
            // Every feed passed, so the input must end inside a sequence — and that sequence must be completable.
            expect(complete).toBe(false);
            expect(completable(bytes)).toBe(true);
          } else {
            expect(complete).toBe(false);
            // Not too early: everything before the rejected byte could still have become valid UTF-8.
            expect(completable(bytes.subarray(0, failAt))).toBe(true);
            // Not too late: with the rejected byte, nothing can.
            expect(completable(bytes.subarray(0, failAt + 1))).toBe(false);
          }
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'a failed validator stays failed for any further input until reset',
    () => {
      fc.assert(
        fc.property(inputBytes, inputBytes, (bad, more) => {
          const v = new Utf8Validator();
          if (v.feed(bad, 0, bad.length)) return; // only interested in failures
          expect(v.feed(more, 0, more.length)).toBe(false);
          expect(v.complete).toBe(false);
          v.reset();
          expect(v.feed(more, 0, more.length) && v.complete).toBe(decoderAccepts(more));
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});
