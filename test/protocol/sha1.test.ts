// SHA-1 of the accept key against the published vectors; node:crypto only as a cross-check of the
// padding boundaries (the engine itself never imports it). The property test against node:crypto is in
// fuzz/sha1.fuzz.ts.
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeAcceptKey } from '../../src/protocol/handshake.js';
import { sha1 } from '../../src/protocol/sha1.js';
import { toHex } from './kit.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('sha1', () => {
  // FIPS 180-2 Appendix A (A.1, A.2, A.3) and RFC 3174 §7.3 (TEST1–TEST4), plus the empty message.
  it.each([
    ['the empty message', '', 'da39a3ee5e6b4b0d3255bfef95601890afd80709'],
    ['"abc" (FIPS A.1, RFC 3174 TEST1)', 'abc', 'a9993e364706816aba3e25717850c26c9cd0d89d'],
    [
      'the 448-bit message (FIPS A.2, RFC 3174 TEST2)',
      'abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq',
      '84983e441c3bd26ebaae4aa1f95129e5e54670f1',
    ],
    ['one million "a" (FIPS A.3, RFC 3174 TEST3)', 'a'.repeat(1_000_000), '34aa973cd4c4daa4f61eeb2bdbad27316534016f'],
    ['"01234567" × 80 (RFC 3174 TEST4)', '01234567'.repeat(80), 'dea356a2cddd90c7a7ecedc5ebb563934f460452'],
  ])('%s', (_name, message, digest) => {
    expect(toHex(sha1(ascii(message)))).toBe(digest);
  });

  it('pads correctly at every length around the block and length-field boundaries', () => {
    // 55 bytes is the longest tail that fits "1" and the 64-bit length in one block; 56–63 need a second.
    for (const length of [0, 1, 54, 55, 56, 57, 63, 64, 65, 119, 120, 127, 128, 129, 191, 192, 1000]) {
      const message = Uint8Array.from({ length }, (_, i) => (i * 31 + length) & 0xff);
      expect(toHex(sha1(message)), `length ${length}`).toBe(createHash('sha1').update(message).digest('hex'));
    }
  });

  it('hashes a view at its own offset, not from the start of its buffer', () => {
    const backing = ascii('xxabcxx');
    expect(toHex(sha1(backing.subarray(2, 5)))).toBe('a9993e364706816aba3e25717850c26c9cd0d89d');
  });
});

describe('computeAcceptKey', () => {
  it('gives the RFC 6455 §1.3 sample accept value', () => {
    expect(computeAcceptKey('dGhlIHNhbXBsZSBub25jZQ==')).toBe('s3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
  });

  it('hashes a key as UTF-8, as node:crypto hashes a string (lone surrogates as U+FFFD)', () => {
    for (const key of ['é', '\u{1F600}', '\uD800', 'a\uDC00b']) {
      expect(computeAcceptKey(key)).toBe(
        createHash('sha1')
          .update(key + '258EAFA5-E914-47DA-95CA-C5AB0DC85B11')
          .digest('base64'),
      );
    }
  });
});
