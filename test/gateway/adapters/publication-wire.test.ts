// History publications between nodes (publication-wire.ts): round trip over bytes (Redis) and JSON (IPC), and
// anything else — other wire messages, truncated or hostile headers — decodes to null without throwing.
import { describe, expect, it } from 'vitest';
import {
  decodePublicationBytes,
  decodePublicationJson,
  encodePublicationJson,
  isPublicationBytes,
  publicationHeader,
} from '../../../src/gateway/adapters/publication-wire.js';
import { decodeBytes, encodeBytes } from '../../../src/gateway/adapters/wire.js';

const frame = '{"type":"publication","stream":"group:a","epoch":"e","offset":3,"data":"line1\\nline2 ✓"}';

describe('publication wire', () => {
  it('round-trips over bytes and JSON; other decoders ignore it', () => {
    const bytes = Buffer.concat([
      Buffer.from(`${publicationHeader('N1', 7, { kind: 'groups', groups: ['a'] }, ['N1.x'])}\n`),
      Buffer.from(frame),
    ]);
    expect(isPublicationBytes(bytes)).toBe(true);
    expect(decodePublicationBytes(bytes)).toEqual({
      o: 'N1',
      m: 7,
      a: { kind: 'groups', groups: ['a'] },
      x: ['N1.x'],
      frame,
    });
    expect(decodeBytes(bytes)).toBeNull();
    const json = encodePublicationJson('N2', 8, { kind: 'uids', uids: ['u'] }, [], frame);
    expect(decodePublicationJson(json)).toEqual({ o: 'N2', m: 8, a: { kind: 'uids', uids: ['u'] }, x: [], frame });
  });

  it('decodes anything else to null, never throwing', () => {
    const broadcast = encodeBytes({ k: 'b', o: 'N', m: 1, a: { kind: 'all' }, x: [], p: { data: 'x', binary: false } });
    const hostile = [
      broadcast,
      Buffer.from('{"k":"p",'),
      Buffer.from('{"k":"p","o":"N"}\nframe'),
      Buffer.from('{"k":"p","o":"N","m":1,"a":{"kind":"nope"},"x":[]}\nframe'),
      Buffer.from('{"k":"p","o":"N","m":1,"a":{"kind":"all"},"x":[1]}\nframe'),
      Buffer.from('{"k":"p","o":"N","m":"1","a":{"kind":"all"},"x":[]}\nframe'),
      Buffer.from('{"k":"p",garbage\nframe'),
      Buffer.from('{"k":"p","o":"N","m":1,"a":{"kind":"all"},"x":[]}'),
      Buffer.alloc(0),
    ];
    for (const bytes of hostile) expect(decodePublicationBytes(bytes)).toBeNull();
    expect(decodePublicationJson({ h: { k: 'p', o: 'N', m: 1, a: { kind: 'all' }, x: [] } })).toBeNull();
    expect(decodePublicationJson({ h: { k: 'b', o: 'N', m: 1 }, s: 'x' })).toBeNull();
    expect(decodePublicationJson({ h: { k: 'p', o: 'N', m: 1, a: null, x: [] }, s: 'x' })).toBeNull();
  });
});
