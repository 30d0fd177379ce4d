/**
 * RFC 6455 §5.7 examples, byte for byte, through a `Connection` in the role that receives (or sends) them, plus the
 * three payload length forms at their boundaries.
 */
import { describe, expect, it } from 'vitest';
import { Connection, type ConnectionHandler, type Role } from '../../src/protocol/index.js';
import { decodeFrames, type DecodedFrame } from '../helpers/frames.js';

// ─── helpers ─────────────────────────────────────────────────────────────────────────────────────────────────────

function hex(text: string): Uint8Array {
  return Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));
}

function concat(parts: Uint8Array[]): Uint8Array {
  return new Uint8Array(Buffer.concat(parts));
}

type Event =
  | { type: 'message'; data: Uint8Array; isText: boolean }
  | { type: 'ping'; payload: Uint8Array }
  | { type: 'pong'; payload: Uint8Array }
  | { type: 'close'; code: number; reason: string }
  | { type: 'error'; code: number; message: string };

class Endpoint {
  readonly events: Event[] = [];
  readonly written: Uint8Array[] = [];
  readonly connection: Connection;

  constructor(role: Role) {
    const handler: ConnectionHandler = {
      write: (_c, bytes) => void this.written.push(new Uint8Array(bytes)),
      message: (_c, data, isText) => void this.events.push({ type: 'message', data: new Uint8Array(data), isText }),
      ping: (_c, payload) => void this.events.push({ type: 'ping', payload: new Uint8Array(payload) }),
      pong: (_c, payload) => void this.events.push({ type: 'pong', payload: new Uint8Array(payload) }),
      close: (_c, code, reason) => void this.events.push({ type: 'close', code, reason }),
      error: (_c, error) => void this.events.push({ type: 'error', code: error.closeCode, message: error.message }),
      closeTransport: () => {},
    };
    this.connection = new Connection({ role }, handler);
  }

  /** Feeds `bytes` cut at `splits` (sorted offsets); each piece is a fresh copy, as a transport would hand over. */
  feed(bytes: Uint8Array, splits: number[] = []): this {
    let at = 0;
    for (const split of [...splits, bytes.length]) {
      this.connection.receive(bytes.slice(at, split));
      at = split;
    }
    return this;
  }

  get output(): Uint8Array {
    return concat(this.written);
  }
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const HELLO = text('Hello');

function pattern(length: number, seed = 7): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

/** Every way to cut `length` bytes into two writes, plus byte by byte and (for short inputs) every pair of cuts. */
function splitPlans(length: number, { pairs }: { pairs: boolean }): number[][] {
  const plans: number[][] = [[]];
  for (let i = 1; i < length; i++) plans.push([i]);
  if (pairs) for (let i = 1; i < length; i++) for (let j = i + 1; j < length; j++) plans.push([i, j]);
  plans.push(Array.from({ length: Math.max(0, length - 1) }, (_, i) => i + 1));
  return plans;
}

// ─── §5.7 examples, parsed ───────────────────────────────────────────────────────────────────────────────────────

const BINARY_256 = pattern(256);
const BINARY_64K = pattern(65536, 11);

interface Example {
  name: string;
  /** The role that receives these bytes: unmasked frames come from a server, masked ones from a client. */
  receiver: Role;
  bytes: Uint8Array;
  expected: Event[];
}

const examples: Example[] = [
  {
    name: 'a single-frame unmasked text message ("Hello")',
    receiver: 'client',
    bytes: hex('81 05 48 65 6c 6c 6f'),
    expected: [{ type: 'message', data: HELLO, isText: true }],
  },
  {
    name: 'a single-frame masked text message ("Hello")',
    receiver: 'server',
    bytes: hex('81 85 37 fa 21 3d 7f 9f 4d 51 58'),
    expected: [{ type: 'message', data: HELLO, isText: true }],
  },
  {
    name: 'a fragmented unmasked text message ("Hel" + "lo")',
    receiver: 'client',
    bytes: hex('01 03 48 65 6c  80 02 6c 6f'),
    expected: [{ type: 'message', data: HELLO, isText: true }],
  },
  {
    name: 'an unmasked ping ("Hello")',
    receiver: 'client',
    bytes: hex('89 05 48 65 6c 6c 6f'),
    expected: [{ type: 'ping', payload: HELLO }],
  },
  {
    name: 'a masked pong ("Hello")',
    receiver: 'server',
    bytes: hex('8a 85 37 fa 21 3d 7f 9f 4d 51 58'),
    expected: [{ type: 'pong', payload: HELLO }],
  },
  {
    name: '256 bytes of binary data in a single unmasked frame',
    receiver: 'client',
    bytes: concat([hex('82 7e 0100'), BINARY_256]),
    expected: [{ type: 'message', data: BINARY_256, isText: false }],
  },
  {
    name: '64 KiB of binary data in a single unmasked frame',
    receiver: 'client',
    bytes: concat([hex('82 7f 0000000000010000'), BINARY_64K]),
    expected: [{ type: 'message', data: BINARY_64K, isText: false }],
  },
];

describe('RFC 6455 §5.7 examples, received', () => {
  describe.each(examples)('$name', ({ receiver, bytes, expected }) => {
    it(`is parsed by a ${receiver} connection in one write`, () => {
      const endpoint = new Endpoint(receiver).feed(bytes);
      expect(endpoint.events).toEqual(expected);
      expect(endpoint.connection.readyState).toBe(1);
    });

    it('is parsed the same when split at every point (and byte by byte)', () => {
      if (bytes.length > 1000) {
        // 64 KiB: every one of the 65,545 cuts, with a lean handler. Unmasked input is not modified by the
        // engine, so the two pieces can be views of the same bytes.
        expect(receiver).toBe('client');
        const expectedPayload = Buffer.from(BINARY_64K);
        const wrong: number[] = [];
        let messages = 0;
        const handler: ConnectionHandler = {
          write: () => void wrong.push(-1),
          message: (_c, data, isText) => {
            messages++;
            if (isText || !expectedPayload.equals(data)) wrong.push(messages);
          },
          close: () => void wrong.push(-2),
          closeTransport: () => {},
        };
        for (let split = 1; split < bytes.length; split++) {
          const connection = new Connection({ role: receiver }, handler);
          connection.receive(bytes.subarray(0, split));
          connection.receive(bytes.subarray(split));
          if (messages !== split) throw new Error(`no message when split at ${split}`);
        }
        expect(wrong).toEqual([]);
        expect(bytes).toEqual(concat([hex('82 7f 0000000000010000'), BINARY_64K])); // input untouched
        return;
      }
      for (const plan of splitPlans(bytes.length, { pairs: bytes.length <= 16 })) {
        const endpoint = new Endpoint(receiver).feed(bytes, plan);
        expect(endpoint.events, `split at ${plan.join(',')}`).toEqual(expected);
      }
    });

    it('is rejected with 1002 by the other role (masking rule)', () => {
      const other: Role = receiver === 'server' ? 'client' : 'server';
      const endpoint = new Endpoint(other).feed(bytes);
      expect(endpoint.events.at(-1)).toMatchObject({ type: 'close', code: 1002 });
    });
  });

  it('answers the unmasked ping with a masked pong carrying the same payload (client)', () => {
    const endpoint = new Endpoint('client').feed(hex('89 05 48 65 6c 6c 6f'));
    const [pong] = decodeFrames(endpoint.output);
    expect(pong).toMatchObject({ fin: true, rsv: 0, opcode: 0xa });
    expect(pong.maskKey).not.toBeNull();
    expect(pong.payload).toEqual(HELLO);
  });

  it('answers a masked ping with the unmasked pong of §5.7 (server)', () => {
    const endpoint = new Endpoint('server').feed(hex('89 85 37 fa 21 3d 7f 9f 4d 51 58'));
    expect(endpoint.output).toEqual(hex('8a 05 48 65 6c 6c 6f'));
  });
});

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
        const to = new Endpoint(receiver).feed(bytes, plan.filter((s) => s < bytes.length));
        expect(to.events.length).toBe(1);
        const event = to.events[0];
        expect(event.type).toBe('message');
        if (event.type === 'message') {
          expect(event.isText).toBe(false);
          expect(Buffer.from(event.data).equals(payload)).toBe(true);
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
      expect(event.type === 'message' && event.isText && Buffer.from(event.data).toString() === message).toBe(true);
    });
  });
});
