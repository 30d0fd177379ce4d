/** base64 of the accept key and the nonce (`base64.ts`), on the RFC 4648 vectors. */
import { describe, expect, it } from 'vitest';
import { encodeBase64 } from '../../src/protocol/base64.js';

const ascii = (text: string): Uint8Array => new TextEncoder().encode(text);

describe('encodeBase64', () => {
  // RFC 4648 §10.
  it.each([
    ['', ''],
    ['f', 'Zg=='],
    ['fo', 'Zm8='],
    ['foo', 'Zm9v'],
    ['foob', 'Zm9vYg=='],
    ['fooba', 'Zm9vYmE='],
    ['foobar', 'Zm9vYmFy'],
  ])('%j → %j', (input, output) => {
    expect(encodeBase64(ascii(input))).toBe(output);
  });

  it('uses the whole alphabet, including "+" and "/"', () => {
    const bytes = Uint8Array.from(
      { length: 48 },
      (_, i) => [0x00, 0x10, 0x83, 0x10, 0x51, 0x87, 0x20, 0x92, 0x8b][i % 9] ^ (i * 7),
    );
    expect(encodeBase64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    expect(encodeBase64(Uint8Array.of(0xfb, 0xff, 0xbf))).toBe('+/+/');
  });
});
