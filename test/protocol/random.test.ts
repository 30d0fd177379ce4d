import { describe, it, expect } from 'vitest';
import { MaskKeySource, generateKey, nextMaskKey, randomBytes } from '../../src/protocol/random.js';
import { toHex } from './kit.js';

describe('MaskKeySource', () => {
  it('hands out 4-byte keys', () => {
    const source = new MaskKeySource();
    const key = source.next();
    expect(key).toBeInstanceOf(Uint8Array);
    expect(key.length).toBe(4);
  });

  it('refills its pool: 5000 keys (more than two pools of 2048) are all 4 bytes and mostly distinct', () => {
    const source = new MaskKeySource();
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) {
      const key = source.next();
      expect(key.length).toBe(4);
      seen.add(toHex(key));
    }
    // 5000 draws from 2^32 values: a collision is very unlikely, many would mean a broken source.
    expect(seen.size).toBeGreaterThan(4990);
  });

  it('keys are not all equal and not all zero', () => {
    const source = new MaskKeySource();
    const keys = Array.from({ length: 64 }, () => toHex(source.next()));
    expect(new Set(keys).size).toBeGreaterThan(1);
    expect(keys.every((k) => k === '00000000')).toBe(false);
  });

  it('writeTo copies the next key into a frame header, across refills', () => {
    const source = new MaskKeySource();
    const header = new Uint8Array(14);
    const seen = new Set<string>();
    for (let i = 0; i < 4100; i++) {
      header.fill(0);
      source.writeTo(header, 10);
      expect(header.subarray(0, 10).every((b) => b === 0)).toBe(true);
      seen.add(toHex(header.subarray(10, 14)));
    }
    expect(seen.size).toBeGreaterThan(4090);
  });

  it('the shared source behind nextMaskKey works too', () => {
    const a = toHex(nextMaskKey());
    const b = toHex(nextMaskKey());
    expect(a).toHaveLength(8);
    expect(b).toHaveLength(8);
  });
});

describe('randomBytes', () => {
  it('returns a fresh array of the requested length', () => {
    const a = randomBytes(16);
    const b = randomBytes(16);
    expect(a.length).toBe(16);
    expect(a).not.toBe(b);
    expect(toHex(a)).not.toBe(toHex(b));
    expect(randomBytes(0).length).toBe(0);
  });

  it('fills more than the 65,536 bytes Web Crypto allows in one call', () => {
    const big = randomBytes(100_000);
    expect(big.length).toBe(100_000);
    // The last chunk is filled too: 34,464 zero bytes from a CSPRNG would be absurd.
    expect(big.subarray(65_536).some((b) => b !== 0)).toBe(true);
  });
});

describe('generateKey (RFC 6455 §4.1 item 7)', () => {
  it('is base64 of 16 fresh random bytes', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 100; i++) {
      const key = generateKey();
      expect(key).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(Buffer.from(key, 'base64')).toHaveLength(16);
      keys.add(key);
    }
    expect(keys.size).toBe(100);
  });
});
