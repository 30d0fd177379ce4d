// The one vocabulary nodes speak (src/gateway/adapters/wire.ts): every message survives both encodings, payload
// bytes are never in the JSON, and anything else decodes to null instead of throwing.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeBytes,
  decodeJson,
  encodeBytes,
  encodeJson,
  type NodeMessage,
} from '../../../src/gateway/adapters/wire.js';

const text = { data: 'héllo\nworld', binary: false };
const bytes = { data: Buffer.from([0, 10, 255, 10]), binary: true };

const messages: [string, NodeMessage][] = [
  ['a socket command', { k: 'x', o: 'A', m: 1, c: { op: 'joinGroup', socketId: 'B.1', group: 'room' } }],
  ['a send command (text)', { k: 'x', o: 'A', m: 2, c: { op: 'send', socketIds: ['B.1', 'B.2'], payload: text } }],
  ['a send command (bytes)', { k: 'x', o: 'A', m: 3, c: { op: 'send', socketIds: ['B.1'], payload: bytes } }],
  ['a close command', { k: 'x', o: 'A', m: 4, c: { op: 'close', socketId: 'B.1', code: 4000, reason: 'bye' } }],
  ['a session patch', { k: 'x', o: 'A', m: 5, c: { op: 'updateSession', socketId: 'B.1', patch: { n: 1 } } }],
  ['a recovery take-over', { k: 'x', o: 'A', m: 5, c: { op: 'takeOver', socketId: 'B.1', tokenId: 'tok' } }],
  [
    'a fan-out to several groups',
    { k: 'b', o: 'A', m: 6, a: { kind: 'groups', groups: ['g', 'h'] }, x: ['A.1'], p: bytes, d: 1 },
  ],
  ['a fan-out to uids', { k: 'b', o: 'A', m: 7, a: { kind: 'uids', uids: ['u'] }, x: [], p: text }],
  ['an ungroup', { k: 'u', o: 'A', m: 8, g: 'room' }],
  ['a sessions request', { k: 's', o: 'A', m: 9 }],
  ['a stats request', { k: 't', o: 'A', m: 10 }],
  [
    'a server → client request command',
    { k: 'x', o: 'A', m: 10, c: { op: 'request', socketId: 'B.1', type: 'confirm', data: { q: 1 }, timeout: 500 } },
  ],
  [
    'replies',
    {
      k: 'r',
      o: 'B',
      a: [
        [1, true],
        [2, { 'B.1': { n: 1 } }],
        [3, null],
      ],
    },
  ],
];

/** Payload data as bytes, for comparing a decoded message (text arrives as its UTF-8 bytes) with the original. */
function normalize(message: NodeMessage | null): unknown {
  return JSON.parse(
    JSON.stringify(message, (_key, value: unknown) =>
      typeof value === 'object' && value !== null && 'data' in value && 'binary' in value
        ? { ...value, data: Buffer.from((value as { data: string | Uint8Array }).data as string).toString('hex') }
        : value,
    ),
  );
}

describe('wire', () => {
  it.each(messages)('%s survives the byte and the JSON encoding', (_name, message) => {
    expect(normalize(decodeBytes(encodeBytes(message)))).toEqual(normalize(message));
    expect(normalize(decodeJson(JSON.parse(JSON.stringify(encodeJson(message)))))).toEqual(normalize(message));
  });

  it('keeps payload bytes out of the JSON header', () => {
    const encoded = encodeBytes({
      k: 'b',
      o: 'A',
      m: 1,
      a: { kind: 'all' },
      x: [],
      p: { data: Buffer.alloc(1_000, 1), binary: true },
    });
    expect(encoded.indexOf(0x0a)).toBeLessThan(100);
  });

  it('decodes anything else to null, never throwing', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (data) => {
        const decoded = decodeBytes(Buffer.from(data));
        expect(decoded === null || typeof decoded.k === 'string').toBe(true);
      }),
    );
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(() => decodeJson({ h: value })).not.toThrow();
      }),
    );
    for (const h of [
      { k: 'x', o: 'A', m: 1, c: { op: 'nope', socketId: 'B.1' } },
      { k: 'b', o: 'A', m: 1, a: { kind: 'uids' }, x: [] },
      { k: 'u', o: 1, m: 1, g: 'g' },
      { k: 'q', o: 'A', m: 1 },
    ]) {
      expect(decodeJson({ h })).toBe(null);
    }
  });
});
