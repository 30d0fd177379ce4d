import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DeflateParams } from '../../src/protocol/deflate-negotiation.js';
import { WebSocketArgumentError, WebSocketStateError } from '../../src/protocol/errors.js';
import { CodecError, type PerMessageCodec } from '../../src/protocol/extension.js';
import { DEFAULT_DEFLATE_OPTIONS } from '../../src/server/compression-options.js';
import { createDeflateCodec, isSyncZlibAvailable } from '../../src/server/deflate-codec.js';
import { hex } from '../helpers/bytes.js';

// ─── helpers ─────────────────────────────────────────────────────────────────────────────────────────────────────

const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);
const MiB = 1024 * 1024;
/** Our streams never set BFINAL, so zlib's one-shot inflate must not insist on the end of the stream. */
const SYNC: zlib.ZlibOptions = { finishFlush: zlib.constants.Z_SYNC_FLUSH };

const toHex = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.length).toString('hex');
const text = (u: Uint8Array): string => Buffer.from(u.buffer, u.byteOffset, u.length).toString('utf8');
const bytes = (s: string): Uint8Array => Buffer.from(s, 'utf8');

function params(overrides: Partial<DeflateParams> = {}): DeflateParams {
  return {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: 15,
    clientMaxWindowBits: 15,
    ...overrides,
  };
}

function pair(p: DeflateParams = params()): { server: PerMessageCodec; client: PerMessageCodec } {
  return { server: createDeflateCodec(p, 'server'), client: createDeflateCodec(p, 'client') };
}

/** Inflates one message the way the engine does: piece by piece, with the remaining size budget. */
function inflateMessage(
  codec: PerMessageCodec,
  payload: Uint8Array,
  pieceSize = payload.length || 1,
  maxSize = 64 * MiB,
): Uint8Array {
  const outputs: Uint8Array[] = [];
  let total = 0;
  let offset = 0;
  do {
    const piece = payload.subarray(offset, offset + pieceSize);
    offset += piece.length;
    const out = codec.decompress(piece, offset >= payload.length, maxSize - total);
    total += out.length;
    if (out.length > 0) outputs.push(out);
  } while (offset < payload.length);
  return Buffer.concat(outputs, total);
}

function expectCodecError(fn: () => unknown, closeCode: number): CodecError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CodecError);
    expect((error as CodecError).closeCode).toBe(closeCode);
    return error as CodecError;
  }
  throw new Error('expected a CodecError');
}

/** Deterministic pseudo-random integers in [0, n) (mulberry32), so failures reproduce. */
function prng(seed: number): (n: number) => number {
  let state = seed >>> 0;
  return (n) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  };
}

function noise(length: number, random: (n: number) => number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = random(256);
  return out;
}

/** Text-like data with repetition near and far, random bytes, runs: what real messages look like. */
function sampleMessages(count: number, seed: number): Uint8Array[] {
  const random = prng(seed);
  const words = [
    'price',
    'user',
    'online',
    '{"type":"chat"',
    '"id":',
    'hello world',
    'ws',
    'deflate',
    '\u00e9t\u00e9',
    '\u{1f600}',
  ];
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    switch (i % 5) {
      case 0: {
        let s = '';
        const n = random(400);
        for (let j = 0; j < n; j++) s += words[random(words.length)] + (random(3) === 0 ? String(random(1000)) : ' ');
        out.push(bytes(s));
        break;
      }
      case 1:
        out.push(noise(random(3000), random));
        break;
      case 2:
        out.push(new Uint8Array(random(100_000)).fill(random(256)));
        break;
      case 3:
        out.push(new Uint8Array(0));
        break;
      default:
        out.push(bytes(`{"type":"tick","seq":${i},"data":"${'x'.repeat(random(50))}"}`));
    }
  }
  return out;
}

/**
 * A small, independent DEFLATE decoder (RFC 1951 §3.2) for whole sync-flushed streams: returns the output and the
 * farthest back-reference, so tests can check the window the compressor really used.
 */
function inspectDeflate(data: Uint8Array): { output: Uint8Array; maxDistance: number } {
  const LENGTH_BASE = [
    3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
  ];
  const LENGTH_EXTRA = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0];
  const DIST_BASE = [
    1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
    8193, 12289, 16385, 24577,
  ];
  const DIST_EXTRA = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13];
  const CODE_LENGTH_ORDER = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15];
  interface Huffman {
    count: number[];
    symbol: number[];
  }
  let bitPos = 0;
  const out: number[] = [];
  let maxDistance = 0;
  const bits = (n: number): number => {
    let v = 0;
    for (let i = 0; i < n; i++, bitPos++) {
      if (bitPos >>> 3 >= data.length) throw new Error('out of input');
      v |= ((data[bitPos >>> 3] >>> (bitPos & 7)) & 1) << i;
    }
    return v;
  };
  const build = (lengths: number[]): Huffman => {
    const count = new Array<number>(16).fill(0);
    for (const l of lengths) count[l]++;
    count[0] = 0;
    const offs = [0, 0];
    for (let l = 1; l < 15; l++) offs[l + 1] = offs[l] + count[l];
    const symbol: number[] = [];
    lengths.forEach((l, s) => {
      if (l !== 0) symbol[offs[l]++] = s;
    });
    return { count, symbol };
  };
  const decode = (h: Huffman): number => {
    let code = 0;
    let first = 0;
    let index = 0;
    for (let len = 1; len <= 15; len++) {
      code |= bits(1);
      const c = h.count[len];
      if (code - c < first) return h.symbol[index + (code - first)];
      index += c;
      first = (first + c) << 1;
      code <<= 1;
    }
    throw new Error('bad Huffman code');
  };
  const fixedLit = build([
    ...new Array(144).fill(8),
    ...new Array(112).fill(9),
    ...new Array(24).fill(7),
    ...new Array(8).fill(8),
  ]);
  const fixedDist = build(new Array(30).fill(5));
  while (bitPos >>> 3 < data.length) {
    bits(1); // BFINAL: sync-flushed streams never set it
    const type = bits(2);
    if (type === 0) {
      bitPos = (bitPos + 7) & ~7;
      const len = bits(16);
      if ((bits(16) ^ 0xffff) !== len) throw new Error('bad stored length');
      for (let i = 0; i < len; i++) out.push(bits(8));
      continue;
    }
    let lit = fixedLit;
    let dist = fixedDist;
    if (type === 2) {
      const hlit = bits(5) + 257;
      const hdist = bits(5) + 1;
      const hclen = bits(4) + 4;
      const codeLengths = new Array<number>(19).fill(0);
      for (let i = 0; i < hclen; i++) codeLengths[CODE_LENGTH_ORDER[i]] = bits(3);
      const lencode = build(codeLengths);
      const lengths: number[] = [];
      while (lengths.length < hlit + hdist) {
        const sym = decode(lencode);
        if (sym < 16) lengths.push(sym);
        else if (sym === 16) lengths.push(...new Array<number>(3 + bits(2)).fill(lengths[lengths.length - 1]));
        else if (sym === 17) lengths.push(...new Array<number>(3 + bits(3)).fill(0));
        else lengths.push(...new Array<number>(11 + bits(7)).fill(0));
      }
      lit = build(lengths.slice(0, hlit));
      dist = build(lengths.slice(hlit));
    } else if (type !== 1) {
      throw new Error('bad block type');
    }
    for (;;) {
      const sym = decode(lit);
      if (sym < 256) out.push(sym);
      else if (sym === 256) break;
      else {
        const length = LENGTH_BASE[sym - 257] + bits(LENGTH_EXTRA[sym - 257]);
        const d = decode(dist);
        const distance = DIST_BASE[d] + bits(DIST_EXTRA[d]);
        if (distance > out.length) throw new Error('distance too far back');
        if (distance > maxDistance) maxDistance = distance;
        for (let i = 0; i < length; i++) out.push(out[out.length - distance]);
      }
    }
  }
  return { output: Uint8Array.from(out), maxDistance };
}

/** Data that tempts a compressor to reach back `gap` bytes: random blocks, each repeated after `gap` bytes. */
function farRepeats(gap: number, blocks: number): Uint8Array {
  const parts: Buffer[] = [];
  for (let i = 0; i < blocks; i++) {
    const block = randomBytes(gap);
    parts.push(block, block);
  }
  return Buffer.concat(parts);
}

// ─── the platform ────────────────────────────────────────────────────────────────────────────────────────────────

describe('synchronous zlib on this Node', () => {
  it('has the native handle the codec drives (checked once, before any codec is created)', () => {
    expect(isSyncZlibAvailable()).toBe(true);
    const d = zlib.createDeflateRaw() as unknown as { _handle: { writeSync: unknown }; _writeState: unknown };
    expect(typeof d._handle.writeSync).toBe('function');
    expect(d._writeState).toBeInstanceOf(Uint32Array);
    (d as unknown as zlib.DeflateRaw).close();
  });

  it('cannot use _processChunk() for context takeover: it closes the handle after one synchronous call', () => {
    const d = zlib.createDeflateRaw() as zlib.DeflateRaw & { _processChunk(chunk: Buffer, flush: number): Buffer };
    expect(toHex(d._processChunk(Buffer.from('Hello'), zlib.constants.Z_SYNC_FLUSH))).toBe(
      'f248cdc9c90700' + '0000ffff',
    );
    expect(() => d._processChunk(Buffer.from('Hello'), zlib.constants.Z_SYNC_FLUSH)).toThrow();
  });

  it('createDeflateRaw() turns windowBits 8 into 9 (zlib refuses 8 for raw deflate)', () => {
    const options: zlib.ZlibOptions = { windowBits: 8 };
    zlib.createDeflateRaw(options).close();
    expect(options.windowBits).toBe(9);
  });
});

// ─── RFC 7692 §7.2.3 examples ────────────────────────────────────────────────────────────────────────────────────

describe('RFC 7692 §7.2.3 examples', () => {
  for (const role of ['server', 'client'] as const) {
    const peer = role === 'server' ? 'client' : 'server';

    it(`§7.2.3.1: "Hello" compresses to f2 48 cd c9 c9 07 00 and back (${role} → ${peer})`, () => {
      const sender = createDeflateCodec(params(), role);
      const receiver = createDeflateCodec(params(), peer);
      const payload = sender.compress(bytes('Hello'));
      expect(toHex(payload)).toBe('f248cdc9c90700');
      expect(text(receiver.decompress(payload, true, 100))).toBe('Hello');
    });

    it(`§7.2.3.2: with context takeover the second "Hello" is f2 00 11 00 00 (${role})`, () => {
      const sender = createDeflateCodec(params(), role);
      const receiver = createDeflateCodec(params(), peer);
      expect(toHex(sender.compress(bytes('Hello')))).toBe('f248cdc9c90700');
      expect(toHex(sender.compress(bytes('Hello')))).toBe('f200110000');
      expect(text(receiver.decompress(hex('f2 48 cd c9 c9 07 00'), true, 100))).toBe('Hello');
      expect(text(receiver.decompress(hex('f2 00 11 00 00'), true, 100))).toBe('Hello');
    });

    it(`§7.2.3.2: without context takeover both "Hello"s are f2 48 cd c9 c9 07 00 (${role})`, () => {
      const p = params({ serverNoContextTakeover: true, clientNoContextTakeover: true });
      const sender = createDeflateCodec(p, role);
      const receiver = createDeflateCodec(p, peer);
      for (let i = 0; i < 3; i++) {
        const payload = sender.compress(bytes('Hello'));
        expect(toHex(payload)).toBe('f248cdc9c90700');
        expect(text(receiver.decompress(payload, true, 100))).toBe('Hello');
      }
    });
  }

  it('§7.2.3.1: a compressed message split over two frames (f2 48 cd | c9 c9 07 00)', () => {
    const { client } = pair();
    expect(text(client.decompress(hex('f2 48 cd'), false, 100))).toBe('He');
    expect(text(client.decompress(hex('c9 c9 07 00'), true, 98))).toBe('llo');
  });

  it('§7.2.3.3: a stored (uncompressed) DEFLATE block', () => {
    const { server } = pair();
    expect(text(server.decompress(hex('00 05 00 fa ff 48 65 6c 6c 6f 00'), true, 100))).toBe('Hello');
    expect(text(server.decompress(hex('f2 48 cd c9 c9 07 00'), true, 100))).toBe('Hello');
  });

  it('§7.2.3.4: a DEFLATE block with BFINAL set, then the context restarts for the next message', () => {
    const { client } = pair();
    expect(text(client.decompress(hex('f3 48 cd c9 c9 07 00 00'), true, 100))).toBe('Hello');
    expect(text(client.decompress(hex('f2 48 cd c9 c9 07 00'), true, 100))).toBe('Hello');
    // Without the trailing 0x00 of the example the rest of the message is ignored just the same.
    expect(text(client.decompress(hex('f3 48 cd c9 c9 07 00'), true, 100))).toBe('Hello');
    expect(text(client.decompress(hex('f2 48 cd c9 c9 07 00'), true, 100))).toBe('Hello');
  });

  it('§7.2.3.5: two DEFLATE blocks in one message', () => {
    const { client } = pair();
    expect(text(client.decompress(hex('f2 48 05 00 00 00 ff ff ca c9 c9 07 00'), true, 100))).toBe('Hello');
  });

  it('§7.2.3.6: an empty message is sent as a single 0x00, first or later in the stream', () => {
    const { server, client } = pair();
    expect(toHex(server.compress(new Uint8Array(0)))).toBe('00');
    expect(toHex(server.compress(bytes('Hello')))).toBe('f248cdc9c90700');
    expect(toHex(server.compress(new Uint8Array(0)))).toBe('00');
    expect(toHex(server.compress(new Uint8Array(0)))).toBe('00');
    expect(toHex(server.compress(bytes('Hello')))).toBe('f200110000');

    expect(client.decompress(hex('00'), true, 100).length).toBe(0);
    expect(text(client.decompress(hex('f248cdc9c90700'), true, 100))).toBe('Hello');
    expect(client.decompress(hex('00'), true, 100).length).toBe(0);
    expect(client.decompress(hex('00'), true, 100).length).toBe(0);
    expect(text(client.decompress(hex('f200110000'), true, 100))).toBe('Hello');
  });

  it('an empty compressed payload is taken as an empty message and keeps the context intact', () => {
    const { server, client } = pair();
    expect(text(client.decompress(server.compress(bytes('Hello')), true, 100))).toBe('Hello');
    expect(client.decompress(new Uint8Array(0), true, 100).length).toBe(0);
    // An empty final fragment after non-empty ones: the trailer is still appended.
    const payload = server.compress(bytes('Hello again'));
    expect(text(client.decompress(payload, false, 100))).toBe('Hello again');
    expect(client.decompress(new Uint8Array(0), true, 100).length).toBe(0);
    expect(text(client.decompress(server.compress(bytes('Hello')), true, 100))).toBe('Hello');
  });
});

// ─── round trips ─────────────────────────────────────────────────────────────────────────────────────────────────

describe('round trips', () => {
  const messages = sampleMessages(25, 42);

  for (const serverNoContextTakeover of [false, true]) {
    for (const clientNoContextTakeover of [false, true]) {
      for (let bits = 8; bits <= 15; bits++) {
        // Each side gets a different window so that directions cannot be mixed up unnoticed.
        const p = params({
          serverNoContextTakeover,
          clientNoContextTakeover,
          serverMaxWindowBits: bits,
          clientMaxWindowBits: 23 - bits,
        });
        const name =
          `server_max_window_bits=${bits} client_max_window_bits=${23 - bits}` +
          (serverNoContextTakeover ? ' server_no_context_takeover' : '') +
          (clientNoContextTakeover ? ' client_no_context_takeover' : '');
        it(name, () => {
          const { server, client } = pair(p);
          for (const message of messages) {
            expect(Buffer.compare(inflateMessage(client, server.compress(message)), message)).toBe(0);
            expect(Buffer.compare(inflateMessage(server, client.compress(message), 1000), message)).toBe(0);
          }
          server.dispose();
          client.dispose();
        });
      }
    }
  }

  it('any data, any parameters, any fragmentation (property)', () => {
    fc.assert(
      fc.property(
        fc.record({
          serverNoContextTakeover: fc.boolean(),
          clientNoContextTakeover: fc.boolean(),
          serverMaxWindowBits: fc.integer({ min: 8, max: 15 }),
          clientMaxWindowBits: fc.integer({ min: 8, max: 15 }),
        }),
        fc.array(fc.oneof(fc.uint8Array({ maxLength: 2000 }), fc.string({ maxLength: 500 }).map(bytes)), {
          maxLength: 12,
        }),
        fc.integer({ min: 1, max: 300 }),
        (p, list, pieceSize) => {
          const { server, client } = pair(p);
          for (const message of list) {
            expect(Buffer.compare(inflateMessage(client, server.compress(message), pieceSize), message)).toBe(0);
            expect(Buffer.compare(inflateMessage(server, client.compress(message), pieceSize), message)).toBe(0);
          }
          server.dispose();
          client.dispose();
        },
      ),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 100) },
    );
  });

  it('a compressed message fed one byte at a time inflates the same', () => {
    const { server, client } = pair();
    for (const message of sampleMessages(10, 7)) {
      expect(Buffer.compare(inflateMessage(client, server.compress(message), 1), message)).toBe(0);
    }
  });

  it('large and incompressible messages (output buffers grow past 64 KiB)', () => {
    const { server, client } = pair();
    for (const message of [
      randomBytes(300_000),
      Buffer.alloc(5 * MiB, 'websocket '),
      randomBytes(65_536),
      new Uint8Array(65_600),
    ]) {
      expect(Buffer.compare(inflateMessage(client, server.compress(message)), message)).toBe(0);
      expect(Buffer.compare(inflateMessage(client, server.compress(message), 777), message)).toBe(0);
    }
  });

  it('inflates views into larger buffers (byteOffset honoured)', () => {
    const { server, client } = pair();
    const payload = server.compress(bytes('view test'));
    const backing = new Uint8Array(payload.length + 20);
    backing.set(payload, 10);
    expect(text(client.decompress(backing.subarray(10, 10 + payload.length), true, 100))).toBe('view test');
    const input = bytes('xxxxsome text at an offsetxxxx');
    const compressed = client.compress(input.subarray(4, input.length - 4));
    expect(text(server.decompress(compressed, true, 100))).toBe('some text at an offset');
  });

  it('the returned buffers are owned by the caller (no aliasing of shared scratch memory)', () => {
    const { server, client } = pair();
    const a = server.compress(bytes('first message'));
    const aCopy = Uint8Array.from(a);
    const b = server.compress(bytes('second message, different'));
    expect(toHex(a)).toBe(toHex(aCopy));
    const x = client.decompress(a, true, 100);
    const y = client.decompress(b, true, 100);
    expect(text(x)).toBe('first message');
    expect(text(y)).toBe('second message, different');
  });

  it('level and memLevel options', () => {
    const message = Buffer.alloc(100_000, 'the quick brown fox jumps over the lazy dog ');
    const store = createDeflateCodec(params(), 'server', { level: 0 });
    const best = createDeflateCodec(params(), 'server', { level: 9, memLevel: 9 });
    const small = createDeflateCodec(params(), 'server', { level: 1, memLevel: 1 });
    const storedPayload = store.compress(message);
    expect(storedPayload.length).toBeGreaterThan(message.length);
    expect(best.compress(message).length).toBeLessThan(2000);
    const { client } = pair();
    expect(Buffer.compare(inflateMessage(client, storedPayload), message)).toBe(0);
    expect(Buffer.compare(inflateMessage(client, small.compress(message)), message)).toBe(0);
    expect(DEFAULT_DEFLATE_OPTIONS).toEqual({ threshold: 1024, level: 6, memLevel: 8 });
  });
});

// ─── interoperability ────────────────────────────────────────────────────────────────────────────────────────────

describe('interoperability', () => {
  it('our payload + 00 00 ff ff is what zlib.inflateRawSync expects', () => {
    for (const message of sampleMessages(10, 3)) {
      const { server } = pair();
      const payload = server.compress(message);
      expect(Buffer.compare(zlib.inflateRawSync(Buffer.concat([payload, TRAILER]), SYNC), message)).toBe(0);
    }
  });

  it('a whole context-takeover conversation is one DEFLATE stream with sync-flush markers', () => {
    const { server } = pair(params({ serverMaxWindowBits: 11 }));
    const messages = sampleMessages(15, 11);
    const stream = Buffer.concat(messages.flatMap((m) => [server.compress(m), TRAILER]));
    expect(Buffer.compare(zlib.inflateRawSync(stream, { ...SYNC, windowBits: 11 }), Buffer.concat(messages))).toBe(0);
    expect(Buffer.compare(Buffer.from(inspectDeflate(stream).output), Buffer.concat(messages))).toBe(0);
  });

  it('inflates zlib.deflateRawSync output flushed with Z_SYNC_FLUSH', () => {
    const { client } = pair();
    const message = Buffer.from('zlib one-shot output '.repeat(50));
    const compressed = zlib.deflateRawSync(message, { finishFlush: zlib.constants.Z_SYNC_FLUSH });
    expect(toHex(compressed.subarray(-4))).toBe('0000ffff');
    expect(Buffer.compare(inflateMessage(client, compressed.subarray(0, -4)), message)).toBe(0);
    // And a plain Z_FINISH stream (BFINAL set, RFC 7692 §7.2.3.4).
    expect(Buffer.compare(inflateMessage(client, zlib.deflateRawSync(message)), message)).toBe(0);
    expect(Buffer.compare(inflateMessage(client, zlib.deflateRawSync(message)), message)).toBe(0);
  });

  describe('with ws (lib/permessage-deflate.js)', () => {
    interface WsPerMessageDeflate {
      params: Record<string, boolean | number>;
      compress(data: Buffer, fin: boolean, callback: (error: Error | null, result?: Buffer) => void): void;
      decompress(data: Buffer, fin: boolean, callback: (error: Error | null, result?: Buffer) => void): void;
      cleanup(): void;
    }
    const require = createRequire(import.meta.url);
    const WsPerMessageDeflate = require(
      join(dirname(require.resolve('ws')), 'lib/permessage-deflate.js'),
    ) as new (options: { isServer: boolean }) => WsPerMessageDeflate;

    const wsCall = (ws: WsPerMessageDeflate, method: 'compress' | 'decompress', data: Uint8Array): Promise<Buffer> =>
      new Promise((resolve, reject) => {
        ws[method](Buffer.from(data.buffer, data.byteOffset, data.length), true, (error, result) =>
          error ? reject(error) : resolve(result!),
        );
      });

    function wsParams(p: DeflateParams): Record<string, boolean | number> {
      const out: Record<string, boolean | number> = {
        server_max_window_bits: p.serverMaxWindowBits,
        client_max_window_bits: p.clientMaxWindowBits,
      };
      if (p.serverNoContextTakeover) out.server_no_context_takeover = true;
      if (p.clientNoContextTakeover) out.client_no_context_takeover = true;
      return out;
    }

    const cases: DeflateParams[] = [
      params(),
      params({ serverMaxWindowBits: 8, clientMaxWindowBits: 8 }),
      params({ serverMaxWindowBits: 10, clientMaxWindowBits: 12, serverNoContextTakeover: true }),
      params({ clientNoContextTakeover: true, serverNoContextTakeover: true, serverMaxWindowBits: 9 }),
    ];
    for (const p of cases) {
      it(`our server ↔ ws client and ws server ↔ our client, ${JSON.stringify(wsParams(p))}`, async () => {
        const messages = sampleMessages(20, 5);
        const ours = pair(p);
        const wsClient = new WsPerMessageDeflate({ isServer: false });
        const wsServer = new WsPerMessageDeflate({ isServer: true });
        wsClient.params = wsParams(p);
        wsServer.params = wsParams(p);
        for (const message of messages) {
          // Our server → ws client, ws client → our server.
          expect(Buffer.compare(await wsCall(wsClient, 'decompress', ours.server.compress(message)), message)).toBe(0);
          expect(
            Buffer.compare(inflateMessage(ours.server, await wsCall(wsClient, 'compress', message)), message),
          ).toBe(0);
          // ws server → our client, our client → ws server.
          expect(
            Buffer.compare(inflateMessage(ours.client, await wsCall(wsServer, 'compress', message)), message),
          ).toBe(0);
          expect(Buffer.compare(await wsCall(wsServer, 'decompress', ours.client.compress(message)), message)).toBe(0);
        }
        wsClient.cleanup();
        wsServer.cleanup();
      });
    }
  });
});

// ─── window bits ─────────────────────────────────────────────────────────────────────────────────────────────────

describe('window bits', () => {
  it('server_max_window_bits=8: zlib compresses with a 512-byte window but refers at most 250 bytes back (fits a 256-byte window)', () => {
    const server = createDeflateCodec(params({ serverMaxWindowBits: 8 }), 'server');
    const messages = [
      farRepeats(300, 40),
      farRepeats(255, 40),
      farRepeats(200, 40),
      ...sampleMessages(20, 9),
      farRepeats(257, 40),
    ];
    const stream = Buffer.concat(messages.flatMap((m) => [server.compress(m), TRAILER]));
    const { output, maxDistance } = inspectDeflate(stream);
    expect(Buffer.compare(Buffer.from(output), Buffer.concat(messages))).toBe(0);
    expect(maxDistance).toBeGreaterThan(200); // the data did tempt it
    expect(maxDistance).toBeLessThanOrEqual(250); // zlib's MAX_DIST = 512 - 262
    // A 256-byte-window inflater (ours and zlib's with small output buffers, which must use the window) accepts it.
    expect(
      Buffer.compare(zlib.inflateRawSync(stream, { ...SYNC, windowBits: 8, chunkSize: 64 }), Buffer.concat(messages)),
    ).toBe(0);
    const sender = createDeflateCodec(params({ serverMaxWindowBits: 8 }), 'server');
    const receiver = createDeflateCodec(params({ serverMaxWindowBits: 8 }), 'client');
    for (const m of messages) expect(Buffer.compare(inflateMessage(receiver, sender.compress(m), 17), m)).toBe(0);
  });

  for (let bits = 9; bits <= 15; bits++) {
    it(`max_window_bits=${bits}: no back-reference farther than 2^${bits} - 262 (zlib's MAX_DIST)`, () => {
      const client = createDeflateCodec(params({ clientMaxWindowBits: bits }), 'client');
      const size = 1 << bits;
      const messages = [
        farRepeats(size + 10, 4),
        farRepeats(size - 300, 4),
        ...sampleMessages(10, bits),
        farRepeats(size * 2, 2),
      ];
      const stream = Buffer.concat(messages.flatMap((m) => [client.compress(m), TRAILER]));
      const { output, maxDistance } = inspectDeflate(stream);
      expect(Buffer.compare(Buffer.from(output), Buffer.concat(messages))).toBe(0);
      expect(maxDistance).toBeLessThanOrEqual(size - 262);
      expect(maxDistance).toBeGreaterThan((size - 262) / 2);
    });
  }

  it('the inflater honours the negotiated peer window: a farther back-reference is corrupt data (1007)', () => {
    const wide = createDeflateCodec(params({ serverMaxWindowBits: 15 }), 'server');
    const narrow = createDeflateCodec(params({ serverMaxWindowBits: 9 }), 'client');
    const first = randomBytes(2000);
    expect(Buffer.compare(inflateMessage(narrow, wide.compress(first)), first)).toBe(0);
    // The same 2000 bytes again: the 15-bit compressor refers 2000 bytes back, beyond a 512-byte window.
    expectCodecError(() => inflateMessage(narrow, wide.compress(first)), 1007);
  });
});

// ─── context takeover ────────────────────────────────────────────────────────────────────────────────────────────

describe('context takeover', () => {
  const message = bytes(
    JSON.stringify({ type: 'quote', symbol: 'ACME', bid: 101.25, ask: 101.5, depth: [1, 2, 3, 4, 5, 6, 7, 8] }),
  );

  it('with takeover a repeated message compresses smaller the second time', () => {
    const { server, client } = pair();
    const first = server.compress(message);
    const second = server.compress(message);
    expect(second.length).toBeLessThan(first.length / 2);
    expect(Buffer.compare(inflateMessage(client, first), message)).toBe(0);
    expect(Buffer.compare(inflateMessage(client, second), message)).toBe(0);
  });

  it('without takeover each message compresses the same (server_no_context_takeover)', () => {
    const { server, client } = pair(params({ serverNoContextTakeover: true }));
    const first = server.compress(message);
    for (let i = 0; i < 5; i++) {
      const again = server.compress(message);
      expect(toHex(again)).toBe(toHex(first));
      expect(Buffer.compare(inflateMessage(client, again), message)).toBe(0);
    }
    // The client direction still keeps its context.
    const a = client.compress(message);
    const b = client.compress(message);
    expect(b.length).toBeLessThan(a.length / 2);
  });

  it('without takeover each message compresses the same (client_no_context_takeover)', () => {
    const { server, client } = pair(params({ clientNoContextTakeover: true }));
    const first = client.compress(message);
    const again = client.compress(message);
    expect(toHex(again)).toBe(toHex(first));
    expect(Buffer.compare(inflateMessage(server, first), message)).toBe(0);
    expect(Buffer.compare(inflateMessage(server, again), message)).toBe(0);
  });

  it('the inflater resets only when the peer declared no context takeover', () => {
    // A server that keeps its context talking to a client that (wrongly) resets: the second message fails.
    const keeps = createDeflateCodec(params(), 'server');
    const resets = createDeflateCodec(params({ serverNoContextTakeover: true }), 'client');
    expect(Buffer.compare(inflateMessage(resets, keeps.compress(message)), message)).toBe(0);
    expectCodecError(() => inflateMessage(resets, keeps.compress(message)), 1007);
  });
});

// ─── limits and bad data ─────────────────────────────────────────────────────────────────────────────────────────

describe('limits and bad data', () => {
  it('a zip bomb (50 MB of zeros) stops at maxOutput with 1009 and bounded memory', () => {
    const { server, client } = pair();
    const bomb = server.compress(new Uint8Array(50_000_000));
    expect(bomb.length).toBeLessThan(100_000);
    const before = process.memoryUsage().arrayBuffers;
    const error = expectCodecError(() => client.decompress(bomb, true, MiB), 1009);
    expect(error.message).toContain(String(MiB));
    const after = process.memoryUsage().arrayBuffers;
    expect(after - before).toBeLessThan(8 * MiB);
  });

  it('a zip bomb split into frames stops once the message budget is spent', () => {
    const { server, client } = pair();
    const bomb = server.compress(new Uint8Array(20_000_000));
    let produced = 0;
    const error = expectCodecError(() => {
      for (let offset = 0; offset < bomb.length; offset += 1024) {
        const piece = bomb.subarray(offset, offset + 1024);
        produced += client.decompress(piece, offset + 1024 >= bomb.length, MiB - produced).length;
      }
    }, 1009);
    expect(error).toBeInstanceOf(CodecError);
    expect(produced).toBeLessThanOrEqual(MiB);
  });

  it('output of exactly maxOutput bytes is allowed, one more is not', () => {
    const message = Buffer.alloc(100_000, 'ab');
    const { server, client } = pair(params({ serverNoContextTakeover: true, serverMaxWindowBits: 15 }));
    const payload = server.compress(message);
    expect(inflateMessage(client, payload, payload.length, 100_000).length).toBe(100_000);
    const other = pair(params({ serverNoContextTakeover: true }));
    expectCodecError(() => inflateMessage(other.client, payload, payload.length, 99_999), 1009);
    expectCodecError(() => other.server.decompress(hex('f2 48 cd c9 c9 07 00'), true, 0), 1009);
    expect(createDeflateCodec(params(), 'client').decompress(hex('00'), true, 0).length).toBe(0);
  });

  it('corrupt data is 1007 and later calls keep failing without crashing', async () => {
    const { client } = pair();
    const error = expectCodecError(() => client.decompress(hex('ff ff ff ff'), true, 100), 1007);
    expect(error.message).toMatch(/invalid/);
    expectCodecError(() => client.decompress(hex('f2 48 cd c9 c9 07 00'), true, 100), 1007);
    // zlib's 'error' event arrives on the next tick; it must not become an uncaught exception.
    await new Promise((resolve) => setTimeout(resolve, 10));
    client.dispose();
  });

  it('corrupt data in many shapes is 1007 (never another exception)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 200 }), fc.boolean(), (garbage, end) => {
        const { client } = pair();
        try {
          client.decompress(garbage, end, 10_000);
          if (!end) client.decompress(new Uint8Array(0), true, 10_000);
        } catch (error) {
          expect(error).toBeInstanceOf(CodecError);
          expect([1007, 1009]).toContain((error as CodecError).closeCode);
        }
        client.dispose();
      }),
      { numRuns: Number(process.env.FUZZ_RUNS ?? 300) },
    );
  });
});

// ─── lifecycle and options ───────────────────────────────────────────────────────────────────────────────────────

describe('lifecycle and options', () => {
  it('dispose() is idempotent and later use throws WebSocketStateError', () => {
    const { server } = pair();
    server.compress(bytes('x'));
    server.decompress(hex('f2 48 cd c9 c9 07 00'), true, 100);
    server.dispose();
    server.dispose();
    expect(() => server.compress(bytes('x'))).toThrow(WebSocketStateError);
    expect(() => server.decompress(hex('00'), true, 100)).toThrow(WebSocketStateError);
    // A codec that never opened its zlib streams disposes cleanly too.
    pair().client.dispose();
  });

  it('rejects invalid level, memLevel and window bits', () => {
    expect(() => createDeflateCodec(params(), 'server', { level: 10 })).toThrow(WebSocketArgumentError);
    expect(() => createDeflateCodec(params(), 'server', { level: 1.5 })).toThrow(WebSocketArgumentError);
    expect(() => createDeflateCodec(params(), 'server', { memLevel: 0 })).toThrow(WebSocketArgumentError);
    expect(() => createDeflateCodec(params({ serverMaxWindowBits: 7 }), 'server')).toThrow(WebSocketArgumentError);
    expect(() => createDeflateCodec(params({ clientMaxWindowBits: 16 }), 'server')).toThrow(WebSocketArgumentError);
    expect(() => createDeflateCodec(params(), 'server', { level: -1, memLevel: 9 })).not.toThrow();
  });
});
