/**
 * RFC 6455 §5.7 examples as a `Connection` writes them, byte for byte (a server's) or parsed back (a client's, masked
 * with fresh keys), and the three payload length forms at their boundaries, sent by one role and received by the
 * other.
 */
import { describe, expect, it } from 'vitest';
import { type Connection, type Role } from '../../src/protocol/index.js';
import { decodeFrames, type DecodedFrame } from '../helpers/frames.js';
import { Endpoint, concat, hex, pattern, toHex } from './kit.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const HELLO = text('Hello');
const BINARY_256 = pattern(256, 7);
const BINARY_64K = pattern(65536, 11);

// ─── §5.7 examples, serialized ───────────────────────────────────────────────────────────────────────────────────

describe('RFC 6455 §5.7 examples, written by a server connection', () => {
  it('send("Hello") writes 81 05 48 65 6c 6c 6f', () => {
    const endpoint = new Endpoint('server');
    endpoint.connection.send('Hello');
    expect(endpoint.output).toEqual(hex('81 05 48 65 6c 6c 6f'));
    const bytes = new Endpoint('server');
    bytes.connection.send(HELLO, false);
    expect(bytes.output).toEqual(hex('81 05 48 65 6c 6c 6f'));
  });

  it('sendFragment("Hel") + sendFragment("lo") writes 01 03 48 65 6c, 80 02 6c 6f', () => {
    const endpoint = new Endpoint('server');
    endpoint.connection.sendFragment('Hel', false, false);
    endpoint.connection.sendFragment('lo', false, true);
    expect(endpoint.output).toEqual(hex('01 03 48 65 6c  80 02 6c 6f'));
  });

  it('ping("Hello") writes 89 05 48 65 6c 6c 6f; pong("Hello") writes 8a 05 ...', () => {
    const endpoint = new Endpoint('server');
    endpoint.connection.ping('Hello');
    endpoint.connection.pong(HELLO);
    expect(endpoint.output).toEqual(hex('89 05 48 65 6c 6c 6f  8a 05 48 65 6c 6c 6f'));
  });

  it('send(256 bytes) writes 82 7e 01 00 + payload', () => {
    const endpoint = new Endpoint('server');
    endpoint.connection.send(BINARY_256);
    expect(endpoint.output).toEqual(concat([hex('82 7e 0100'), BINARY_256]));
  });

  it('send(64 KiB) writes 82 7f 00 00 00 00 00 01 00 00 + payload', () => {
    const endpoint = new Endpoint('server');
    endpoint.connection.send(BINARY_64K);
    expect(Buffer.from(endpoint.output).equals(concat([hex('82 7f 0000000000010000'), BINARY_64K]))).toBe(true);
  });
});

describe('RFC 6455 §5.7 examples, written by a client connection (masked with fresh keys)', () => {
  function written(act: (connection: Connection) => void): DecodedFrame[] {
    const endpoint = new Endpoint('client');
    act(endpoint.connection);
    return decodeFrames(endpoint.output);
  }

  it('send("Hello") writes 81 85 <key> <masked Hello>', () => {
    const endpoint = new Endpoint('client');
    endpoint.connection.send('Hello');
    const bytes = endpoint.output;
    expect(bytes.length).toBe(11);
    expect([...bytes.subarray(0, 2)]).toEqual([0x81, 0x85]);
    const key = bytes.subarray(2, 6);
    expect([...bytes.subarray(6)].map((b, i) => b ^ key[i & 3])).toEqual([...HELLO]);
  });

  it('does not mask the caller’s buffer', () => {
    const payload = HELLO.slice();
    written((c) => c.send(payload, false));
    expect(payload).toEqual(HELLO);
  });

  it('uses a different mask key for each frame', () => {
    const frames = written((c) => {
      for (let i = 0; i < 8; i++) c.send('Hello');
    });
    const keys = new Set(frames.map((f) => Buffer.from(f.maskKey!).toString('hex')));
    expect(keys.size).toBeGreaterThan(1);
  });

  it('sendFragment("Hel") + sendFragment("lo") writes 01 83 <key> ..., 80 82 <key> ...', () => {
    const frames = written((c) => {
      c.sendFragment('Hel', false, false);
      c.sendFragment('lo', false, true);
    });
    expect(frames.map((f) => [f.fin, f.opcode, f.headerLength, Buffer.from(f.payload).toString()])).toEqual([
      [false, 0x1, 6, 'Hel'],
      [true, 0x0, 6, 'lo'],
    ]);
  });

  it('ping("Hello") / pong("Hello") write 89 85 / 8a 85 with masked payloads', () => {
    const frames = written((c) => {
      c.ping('Hello');
      c.pong('Hello');
    });
    expect(frames.map((f) => [f.fin, f.opcode, f.maskKey?.length, f.payload])).toEqual([
      [true, 0x9, 4, HELLO],
      [true, 0xa, 4, HELLO],
    ]);
  });

  it('send(256 bytes) writes 82 fe 01 00 <key> <masked payload>', () => {
    const endpoint = new Endpoint('client');
    endpoint.connection.send(BINARY_256);
    expect([...endpoint.output.subarray(0, 4)]).toEqual([0x82, 0xfe, 0x01, 0x00]);
    const [frame] = decodeFrames(endpoint.output);
    expect(frame.headerLength).toBe(8);
    expect(frame.payload).toEqual(BINARY_256);
  });

  it('send(64 KiB) writes 82 ff 00 00 00 00 00 01 00 00 <key> <masked payload>', () => {
    const endpoint = new Endpoint('client');
    endpoint.connection.send(BINARY_64K);
    expect([...endpoint.output.subarray(0, 10)]).toEqual([0x82, 0xff, 0, 0, 0, 0, 0, 1, 0, 0]);
    const [frame] = decodeFrames(endpoint.output);
    expect(frame.headerLength).toBe(14);
    expect(Buffer.from(frame.payload).equals(BINARY_64K)).toBe(true);
  });
});

// ─── length boundaries ───────────────────────────────────────────────────────────────────────────────────────────

describe('payload length boundaries (7-bit, 16-bit and 64-bit forms) round-trip', () => {
  const lengths = [0, 1, 124, 125, 126, 127, 65534, 65535, 65536, 65537];
  const headerFor = (length: number): number => (length < 126 ? 2 : length < 65536 ? 4 : 10);

  describe.each(['server', 'client'] as const)('sent by a %s', (sender) => {
    const receiver: Role = sender === 'server' ? 'client' : 'server';

    it.each(lengths)('binary of %i bytes uses the minimal length form and arrives intact', (length) => {
      const payload = pattern(length, length);
      const from = new Endpoint(sender);
      from.connection.send(payload);
      const bytes = from.output;
      const [frame] = decodeFrames(bytes);
      expect(frame.headerLength).toBe(headerFor(length) + (sender === 'client' ? 4 : 0));
      expect(frame).toMatchObject({ fin: true, rsv: 0, opcode: 2 });

      // Whole, then header and payload split at the header boundary, then in 3 pieces.
      for (const plan of [[], [frame.headerLength], [1, frame.headerLength + (length >> 1)]]) {
        const to = new Endpoint(receiver).feedSplit(
          bytes,
          plan.filter((s) => s < bytes.length),
        );
        expect(to.events.length).toBe(1);
        const event = to.events[0];
        expect(event.type).toBe('message');
        if (event.type === 'message') {
          expect(event.isText).toBe(false);
          expect(event.data).toBe(toHex(payload));
        }
      }
    });

    it.each(lengths)('text of %i bytes arrives intact', (length) => {
      const message = 'é'.repeat(length >> 1) + (length & 1 ? 'x' : '');
      const from = new Endpoint(sender);
      from.connection.send(message);
      const to = new Endpoint(receiver).feed(from.output);
      expect(to.events).toHaveLength(1);
      const event = to.events[0];
      expect(event.type === 'message' && event.isText && event.data === message).toBe(true);
    });
  });
});
