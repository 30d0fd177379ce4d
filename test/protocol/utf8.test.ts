import { describe, it, expect } from 'vitest';
import { Utf8Validator, isValidUtf8 } from '../../src/protocol/utf8.js';
import { decoderAccepts } from '../helpers/bytes.js';

const hex = (s: string): Uint8Array =>
  s.trim() === '' ? new Uint8Array(0) : Uint8Array.from(s.trim().split(/\s+/), (b) => parseInt(b, 16));
const hex2 = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);
const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** Index of the byte at which byte-by-byte feeding first returns false, or -1 if it never does. */
function failIndex(bytes: Uint8Array): number {
  const v = new Utf8Validator();
  for (let i = 0; i < bytes.length; i++) if (!v.feed(bytes, i, i + 1)) return i;
  return -1;
}

// "κόσμε", Markus Kuhn's UTF-8 decoder capability and stress test, section 1.
const KOSME = 'ce ba e1 bd b9 cf 83 ce bc ce b5';

const VALID: Array<[string, string]> = [
  ['empty', ''],
  ['ASCII', '48 65 6c 6c 6f'],
  ['κόσμε', KOSME],
  ['U+0000', '00'],
  ['U+007F', '7f'],
  ['U+0080 (first 2-byte)', 'c2 80'],
  ['U+07FF (last 2-byte)', 'df bf'],
  ['U+0800 (first 3-byte)', 'e0 a0 80'],
  ['U+D7FF (below surrogates)', 'ed 9f bf'],
  ['U+E000 (above surrogates)', 'ee 80 80'],
  ['U+FFFD', 'ef bf bd'],
  ['U+FFFE (noncharacter, still valid)', 'ef bf be'],
  ['U+FFFF (last 3-byte)', 'ef bf bf'],
  ['U+10000 (first 4-byte)', 'f0 90 80 80'],
  ['U+10FFFF (last code point)', 'f4 8f bf bf'],
  ['U+1F600 emoji', 'f0 9f 98 80'],
  ['mixed', '61 c3 a9 e2 82 ac f0 9f 98 80 7a'],
];

/** [name, bytes, index of the first byte that makes the sequence invalid] */
const INVALID: Array<[string, string, number]> = [
  // Kuhn 3.1: unexpected continuation bytes
  ['lone 80', '80', 0],
  ['lone bf', 'bf', 0],
  ['80 bf 80', '80 bf 80', 0],
  ['continuation after ASCII', '61 62 80', 2],
  ['continuation after complete 2-byte', 'c3 a9 a9', 2],
  // Kuhn 3.2 / 3.3: lead bytes not followed by continuations
  ['2-byte lead then space', 'c2 20', 1],
  ['3-byte lead then ASCII', 'e1 80 41', 2],
  ['4-byte lead then ASCII', 'f1 80 80 41', 3],
  ['lead then lead', 'c2 c2', 1],
  ['3-byte missing last, then lead', 'e1 80 c2 80', 2],
  // Kuhn 3.5: impossible bytes
  ['fe', 'fe', 0],
  ['ff', 'ff', 0],
  ['fe fe ff ff', 'fe fe ff ff', 0],
  // Kuhn 4.1: overlong "/"
  ['overlong / in 2 bytes', 'c0 af', 0],
  ['overlong / in 3 bytes', 'e0 80 af', 1],
  ['overlong / in 4 bytes', 'f0 80 80 af', 1],
  ['overlong / in 5 bytes', 'f8 80 80 80 af', 0],
  ['overlong / in 6 bytes', 'fc 80 80 80 80 af', 0],
  // Kuhn 4.2: maximum overlongs
  ['overlong U+007F', 'c1 bf', 0],
  ['overlong U+07FF', 'e0 9f bf', 1],
  ['overlong U+FFFF', 'f0 8f bf bf', 1],
  ['overlong U+0000 (modified UTF-8)', 'c0 80', 0],
  // Kuhn 2.x / 3.4: 5- and 6-byte forms, beyond U+10FFFF
  ['5-byte form', 'f8 88 80 80 80', 0],
  ['6-byte form', 'fc 84 80 80 80 80', 0],
  ['U+110000', 'f4 90 80 80', 1],
  ['F4 BF', 'f4 bf bf bf', 1],
  ['F5 lead', 'f5 80 80 80', 0],
  ['F7 BF BF BF (U+1FFFFF)', 'f7 bf bf bf', 0],
  // Kuhn 5.1 / 5.2: UTF-16 surrogates
  ['U+D800', 'ed a0 80', 1],
  ['U+DB7F', 'ed ad bf', 1],
  ['U+DB80', 'ed ae 80', 1],
  ['U+DBFF', 'ed af bf', 1],
  ['U+DC00', 'ed b0 80', 1],
  ['U+DF80', 'ed be 80', 1],
  ['U+DFFF', 'ed bf bf', 1],
  ['surrogate pair U+D800 U+DC00', 'ed a0 80 ed b0 80', 1],
  // Autobahn 6.3.1: "κόσμε" followed by a surrogate then more text
  ['κόσμε + surrogate + "edited"', `${KOSME} ed a0 80 65 64 69 74 65 64`, 12],
  ['invalid after a long ASCII run', `${'61 '.repeat(40)} ff`, 40],
];

/** Sequences cut off by the end of the message: every feed succeeds but the message may not end there. */
const TRUNCATED: Array<[string, string]> = [
  ['2-byte lead', 'c2'],
  ['3-byte, 1 of 3', 'e1'],
  ['3-byte, 2 of 3', 'e1 80'],
  ['E0 A0', 'e0 a0'],
  ['ED 9F', 'ed 9f'],
  ['4-byte, 1 of 4', 'f0'],
  ['4-byte, 3 of 4', 'f0 90 80'],
  ['F4 8F BF', 'f4 8f bf'],
  ['κόσμε cut inside ό', 'ce ba e1 bd'],
  ['ASCII then a lead byte', '48 65 6c 6c 6f e1'],
];

describe('Utf8Validator: valid input', () => {
  it.each(VALID)('%s', (_name, h) => {
    const bytes = hex(h);
    expect(decoderAccepts(bytes)).toBe(true); // the vector itself is right
    expect(isValidUtf8(bytes)).toBe(true);
    const v = new Utf8Validator();
    expect(v.feed(bytes, 0, bytes.length)).toBe(true);
    expect(v.complete).toBe(true);
    expect(failIndex(bytes)).toBe(-1);
  });

  it('accepts every Unicode scalar value U+0000..U+10FFFF', () => {
    const parts: string[] = [];
    for (let cp = 0; cp <= 0x10ffff; cp += 0x1000) {
      const chunk: number[] = [];
      for (let c = cp; c < cp + 0x1000; c++) if (c < 0xd800 || c > 0xdfff) chunk.push(c);
      parts.push(String.fromCodePoint(...chunk));
    }
    const all = utf8(parts.join(''));
    expect(isValidUtf8(all)).toBe(true);
    // And in awkward 7-byte slices, so many code points straddle a feed boundary.
    const v = new Utf8Validator();
    let ok = true;
    for (let i = 0; i < all.length; i += 7) ok &&= v.feed(all, i, Math.min(all.length, i + 7));
    expect(ok).toBe(true);
    expect(v.complete).toBe(true);
  });
});

describe('Utf8Validator: invalid input fails at the first bad byte', () => {
  it.each(INVALID)('%s', (_name, h, at) => {
    const bytes = hex(h);
    expect(decoderAccepts(bytes)).toBe(false); // the vector itself is right
    expect(isValidUtf8(bytes)).toBe(false);
    expect(failIndex(bytes)).toBe(at);
    // Fed whole, it fails too, and the prefix before the bad byte was fine on its own.
    const v = new Utf8Validator();
    expect(v.feed(bytes, 0, bytes.length)).toBe(false);
    expect(new Utf8Validator().feed(bytes, 0, at)).toBe(true);
  });

  it('stays failed until reset, then validates afresh', () => {
    const v = new Utf8Validator();
    const bad = hex('ed a0 80');
    const good = utf8('ok');
    expect(v.feed(bad, 0, bad.length)).toBe(false);
    expect(v.feed(good, 0, good.length)).toBe(false);
    expect(v.feed(good, 0, 0)).toBe(false);
    expect(v.complete).toBe(false);
    v.reset();
    expect(v.feed(good, 0, good.length)).toBe(true);
    expect(v.complete).toBe(true);
  });

  it('finds an invalid byte at every position inside and after an ASCII run (fast-path boundaries)', () => {
    for (let len = 0; len < 40; len++) {
      for (let pos = 0; pos <= len; pos++) {
        const bytes = new Uint8Array(len + 1).fill(0x61);
        bytes[pos] = 0xff;
        expect(failIndex(bytes)).toBe(pos);
        expect(isValidUtf8(bytes)).toBe(false);
        expect(new Utf8Validator().feed(bytes, 0, bytes.length)).toBe(false);
      }
    }
  });

  it('an unfinished sequence followed by ASCII fails at the first ASCII byte, wherever it sits', () => {
    // The ASCII skip must only run on a code point boundary, or it would jump over the byte that ends the sequence.
    // Padding before the sequence moves it across the validator's internal run boundaries.
    const failures: string[] = [];
    for (const pad of [utf8('a'), utf8('é'), utf8('€')]) {
      for (let n = 0; n <= 24; n++) {
        for (const prefix of ['c2', 'e1', 'e1 80', 'e0 a0', 'ed 9f', 'f0 90', 'f4 8f bf']) {
          const head = concat(...Array.from({ length: n }, () => pad), hex(prefix));
          for (let run = 1; run <= 24; run++) {
            const bytes = concat(head, new Uint8Array(run).fill(0x61));
            const name = `${n} x ${hex2(pad)} + ${prefix} + ${run} ASCII`;
            if (new Utf8Validator().feed(bytes, 0, bytes.length)) failures.push(`${name}: feed passed`);
            if (isValidUtf8(bytes)) failures.push(`${name}: isValidUtf8 passed`);
            if (failIndex(bytes) !== head.length) failures.push(`${name}: failIndex ${failIndex(bytes)}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });

  it('accepts a multi-byte character at every position of an ASCII run (fast-path boundaries)', () => {
    const e = utf8('€');
    for (let len = 0; len < 40; len++) {
      for (let pos = 0; pos <= len; pos++) {
        const bytes = concat(new Uint8Array(pos).fill(0x61), e, new Uint8Array(len - pos).fill(0x62));
        expect(isValidUtf8(bytes)).toBe(true);
        // Cut just after the lead byte: incomplete, not invalid.
        const v = new Utf8Validator();
        expect(v.feed(bytes, 0, pos + 1)).toBe(true);
        expect(v.complete).toBe(false);
      }
    }
  });
});

describe('Utf8Validator: truncated sequences', () => {
  it.each(TRUNCATED)('%s: every feed passes, complete is false', (_name, h) => {
    const bytes = hex(h);
    const v = new Utf8Validator();
    expect(v.feed(bytes, 0, bytes.length)).toBe(true);
    expect(v.complete).toBe(false);
    expect(failIndex(bytes)).toBe(-1);
    expect(isValidUtf8(bytes)).toBe(false);
    expect(decoderAccepts(bytes)).toBe(false);
  });

  it('a truncated sequence becomes invalid once a non-continuation byte arrives', () => {
    const v = new Utf8Validator();
    expect(v.feed(hex('e1 80'), 0, 2)).toBe(true);
    expect(v.complete).toBe(false);
    expect(v.feed(hex('41'), 0, 1)).toBe(false);
  });

  it('a truncated sequence completes across feeds', () => {
    const v = new Utf8Validator();
    const bytes = hex('f0 9f 98 80');
    for (let i = 0; i < 4; i++) {
      expect(v.feed(bytes, i, i + 1)).toBe(true);
      expect(v.complete).toBe(i === 3);
    }
  });
});

describe('Utf8Validator: chunking invariance', () => {
  const all: Array<[string, string]> = [...VALID, ...INVALID.map(([n, h]) => [n, h] as [string, string]), ...TRUNCATED];

  it('every split into two or three feeds gives the same answer as one feed', () => {
    for (const [name, h] of all) {
      const bytes = hex(h);
      const once = new Utf8Validator();
      const okOnce = once.feed(bytes, 0, bytes.length);
      for (let a = 0; a <= bytes.length; a++) {
        for (let b = a; b <= bytes.length; b++) {
          const v = new Utf8Validator();
          const ok = v.feed(bytes, 0, a) && v.feed(bytes, a, b) && v.feed(bytes, b, bytes.length);
          expect(ok, `${name} split at ${a}, ${b}`).toBe(okOnce);
          expect(v.complete, `${name} split at ${a}, ${b}`).toBe(once.complete);
        }
      }
    }
  });

  it('respects start/end: bytes outside the slice are not read', () => {
    const bytes = hex('ff 61 c3 a9 ff');
    expect(isValidUtf8(bytes, 1, 4)).toBe(true);
    expect(new Utf8Validator().feed(bytes, 1, 4)).toBe(true);
    expect(isValidUtf8(bytes, 1, 3)).toBe(false); // ends inside é
    expect(isValidUtf8(bytes, 0, 4)).toBe(false);
  });
});

describe('Utf8Validator: exhaustive two-byte prefixes', () => {
  it('is alive after two bytes exactly when some continuation makes them valid UTF-8', () => {
    // A prefix is viable when it decodes after appending nothing, or x, x 80, x 80 80 with x one of 80, 90, A0
    // (that covers every lead byte's allowed second-byte range). Fail-fast means the validator rejects exactly the
    // non-viable prefixes — at the second byte, not later.
    const SUFFIXES = [[], ...[0x80, 0x90, 0xa0].flatMap((x) => [[x], [x, 0x80], [x, 0x80, 0x80]])];
    // Round-tripping through a replacing decoder is the same test as the fatal one, without an exception per miss.
    const lenient = new TextDecoder('utf-8');
    const encoder = new TextEncoder();
    const roundTrips = (bytes: Uint8Array): boolean => {
      const back = encoder.encode(lenient.decode(bytes));
      return back.length === bytes.length && back.every((b, i) => b === bytes[i]);
    };
    const viable = (b0: number, b1: number): boolean =>
      SUFFIXES.some((suffix) => roundTrips(Uint8Array.of(b0, b1, ...suffix)));
    const pair = new Uint8Array(2);
    const v = new Utf8Validator();
    let mismatches = 0;
    for (let b0 = 0; b0 < 256; b0++) {
      for (let b1 = 0; b1 < 256; b1++) {
        pair[0] = b0;
        pair[1] = b1;
        v.reset();
        if (v.feed(pair, 0, 2) !== viable(b0, b1)) mismatches++;
        if (isValidUtf8(pair) !== roundTrips(pair)) mismatches++;
      }
    }
    expect(mismatches).toBe(0);
  });
});
