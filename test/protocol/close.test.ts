/**
 * The Close frame's payload (RFC 6455 §5.5.1, §7.4), on its own: `close.ts`. How a connection answers and fails
 * with these, from both roles, is in `connection.test.ts`.
 */
import { describe, expect, it } from 'vitest';
import { CloseCode, WebSocketArgumentError } from '../../src/protocol/index.js';
import {
  echoClosePayload,
  encodeClosePayload,
  failureClosePayload,
  parseClosePayload,
  truncateReason,
} from '../../src/protocol/close.js';
import { bytesOf, closeBody, hex } from './kit.js';

describe('parseClosePayload', () => {
  it('reads no body as 1005 and an empty reason', () => {
    expect(parseClosePayload(new Uint8Array(0))).toEqual({ ok: true, code: CloseCode.NoStatus, reason: '' });
  });

  it('reads the code and the UTF-8 reason', () => {
    expect(parseClosePayload(closeBody(1000, 'bye'))).toEqual({ ok: true, code: 1000, reason: 'bye' });
    expect(parseClosePayload(closeBody(4999, 'κόσμε'))).toEqual({ ok: true, code: 4999, reason: 'κόσμε' });
  });

  it('refuses a 1-byte body with 1002 (the code takes two)', () => {
    expect(parseClosePayload(hex('03'))).toEqual({
      ok: false,
      closeCode: 1002,
      error: 'close frame with a 1-byte payload',
    });
  });

  it.each([0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535])(
    'refuses code %i with 1002 (RFC 6455 §7.4.1)',
    (code) => {
      expect(parseClosePayload(closeBody(code))).toEqual({
        ok: false,
        closeCode: 1002,
        error: `invalid close code ${code}`,
      });
    },
  );

  it('refuses a reason that is not UTF-8 with 1007', () => {
    expect(parseClosePayload(closeBody(1000, hex('ce')))).toEqual({
      ok: false,
      closeCode: 1007,
      error: 'close reason is not valid UTF-8',
    });
  });
});

describe('encodeClosePayload', () => {
  it('writes the code big-endian then the reason', () => {
    expect(encodeClosePayload(1001, 'away')).toEqual(closeBody(1001, 'away'));
    expect(encodeClosePayload(undefined, '')).toEqual(new Uint8Array(0));
  });

  it('throws on local misuse: reserved codes, a reason without a code, a reason over 123 bytes', () => {
    for (const code of [1005, 1006, 1015, 999, 1000.5])
      expect(() => encodeClosePayload(code, '')).toThrow(WebSocketArgumentError);
    expect(() => encodeClosePayload(undefined, 'x')).toThrow(WebSocketArgumentError);
    expect(() => encodeClosePayload(1000, 'x'.repeat(124))).toThrow(WebSocketArgumentError);
    expect(encodeClosePayload(1000, 'x'.repeat(123))).toHaveLength(125);
  });

  it('round-trips through parseClosePayload', () => {
    for (const [code, reason] of [
      [1000, ''],
      [1011, 'oops'],
      [3000, 'é'.repeat(61)],
    ] as const) {
      expect(parseClosePayload(encodeClosePayload(code, reason))).toEqual({ ok: true, code, reason });
    }
  });
});

describe('replies', () => {
  it('echoes the code without the reason, and answers 1005 with an empty body (RFC 6455 §5.5.1)', () => {
    expect(echoClosePayload(1000)).toEqual(closeBody(1000));
    expect(echoClosePayload(4001)).toEqual(closeBody(4001));
    expect(echoClosePayload(CloseCode.NoStatus)).toEqual(new Uint8Array(0));
  });

  it('fails with the reason cut to fit, and a generic reason for 1011', () => {
    expect(failureClosePayload(1002, 'bad')).toEqual(closeBody(1002, 'bad'));
    expect(failureClosePayload(1011, 'internal error: secret detail')).toEqual(closeBody(1011, 'internal error'));
    expect(failureClosePayload(1009, 'x'.repeat(300))).toEqual(closeBody(1009, 'x'.repeat(123)));
  });
});

describe('truncateReason', () => {
  it('keeps a reason of at most 123 bytes as it is', () => {
    expect(truncateReason('short')).toBe('short');
    expect(truncateReason('é'.repeat(61) + 'x')).toBe('é'.repeat(61) + 'x');
  });

  it('cuts on a code point boundary', () => {
    const cut = truncateReason('é'.repeat(100));
    expect(cut).toBe('é'.repeat(61));
    expect(bytesOf(cut).length).toBeLessThanOrEqual(123);
    expect(bytesOf(truncateReason('x' + '🎉'.repeat(40))).length).toBe(121);
  });
});
