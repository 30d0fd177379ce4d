/**
 * A client `Connection` and a server `Connection` wired to each other: what one writes, the other receives. The
 * "transport" is a queue drained by `flush()` (bytes in order, optionally re-cut into odd chunk sizes), and when
 * an endpoint asks for the transport to be closed the other side sees EOF, as over TCP.
 */
import { describe, expect, it } from 'vitest';
import { isUtf8 } from 'node:buffer';
import { Connection, type ConnectionHandler, type ConnectionOptions, type Role } from '../../src/protocol/index.js';
import { pattern } from '../helpers/bytes.js';

type Event =
  | { type: 'message'; data: Uint8Array; isText: boolean }
  | { type: 'ping'; payload: string }
  | { type: 'pong'; payload: string }
  | { type: 'close'; code: number; reason: string }
  | { type: 'error'; code: number };

class Side {
  readonly events: Event[] = [];
  /** Opcodes of every frame this side wrote (the first byte of each frame header written). */
  framesWritten = 0;
  closeFramesWritten = 0;
  transportClosed = false;
  connection!: Connection;

  constructor(readonly role: Role) {}

  get messages(): { data: Uint8Array; isText: boolean }[] {
    return this.events.flatMap((e) => (e.type === 'message' ? [{ data: e.data, isText: e.isText }] : []));
  }

  get closes(): Event[] {
    return this.events.filter((e) => e.type === 'close');
  }
}

interface PairOptions {
  /** Deliver writes synchronously (re-entrantly) instead of through the queue. */
  direct?: boolean;
  /** Re-cut the byte stream into chunks of these sizes, cyclically. */
  chunkSizes?: number[];
  client?: Omit<ConnectionOptions, 'role'>;
  server?: Omit<ConnectionOptions, 'role'>;
}

class Pair {
  readonly client = new Side('client');
  readonly server = new Side('server');
  private readonly queue: { to: Side; bytes: Uint8Array }[] = [];
  private chunkIndex = 0;

  constructor(private readonly options: PairOptions = {}) {
    for (const side of [this.client, this.server]) {
      const peer = side === this.client ? this.server : this.client;
      const handler: ConnectionHandler = {
        write: (_c, bytes) => {
          side.framesWritten++;
          // Server frames that are large come as header + payload writes; count close frames by header byte.
          if (bytes.length >= 2 && bytes[0] === 0x88) side.closeFramesWritten++;
          const copy = new Uint8Array(bytes);
          if (this.options.direct) peer.connection.receive(copy);
          else this.queue.push({ to: peer, bytes: copy });
        },
        message: (_c, data, isText) => void side.events.push({ type: 'message', data: new Uint8Array(data), isText }),
        ping: (_c, payload) => void side.events.push({ type: 'ping', payload: Buffer.from(payload).toString() }),
        pong: (_c, payload) => void side.events.push({ type: 'pong', payload: Buffer.from(payload).toString() }),
        close: (_c, code, reason) => void side.events.push({ type: 'close', code, reason }),
        error: (_c, error) => void side.events.push({ type: 'error', code: error.closeCode }),
        closeTransport: () => {
          side.transportClosed = true;
          // TCP: the peer reads what was already sent, then EOF.
          if (!this.options.direct) this.flush();
          peer.connection.receiveEof();
        },
      };
      side.connection = new Connection({ role: side.role, isUtf8, ...this.options[side.role] }, handler);
    }
  }

  /** Delivers everything queued, in order, re-cut into the configured chunk sizes. */
  flush(): void {
    while (this.queue.length > 0) {
      const to = this.queue[0].to;
      // Join consecutive writes to the same side, then re-cut them.
      const parts: Uint8Array[] = [];
      while (this.queue.length > 0 && this.queue[0].to === to) parts.push(this.queue.shift()!.bytes);
      const stream = new Uint8Array(Buffer.concat(parts));
      const sizes = this.options.chunkSizes;
      if (!sizes) {
        to.connection.receive(stream);
        continue;
      }
      for (let at = 0; at < stream.length;) {
        const size = sizes[this.chunkIndex++ % sizes.length];
        to.connection.receive(stream.slice(at, at + size));
        at += size;
      }
    }
  }
}

const decode = (data: Uint8Array): string => Buffer.from(data).toString();

const TEXTS = ['', 'hello', 'κόσμε', '🎉 party', 'x'.repeat(125), 'é'.repeat(63), 'y'.repeat(126), '漢'.repeat(30_000)];
const BINARIES = [0, 1, 125, 126, 1024, 65535, 65536, 65537, 1 << 20].map((n, i) => pattern(n, i + 1));

const transports: [string, PairOptions][] = [
  ['whole writes', {}],
  ['re-cut into 1..7-byte chunks', { chunkSizes: [1, 2, 3, 5, 7] }],
  ['re-cut into 4 KiB + 3-byte chunks', { chunkSizes: [4096, 3] }],
  ['direct synchronous wiring', { direct: true }],
];

describe.each(transports)('client ⇄ server over %s', (_name, options) => {
  it('exchange text, binary, empty and large messages both ways', () => {
    const pair = new Pair(options);
    for (const text of TEXTS) {
      pair.client.connection.send(text);
      pair.server.connection.send(text);
    }
    for (const data of BINARIES) {
      pair.client.connection.send(data);
      pair.server.connection.send(data);
    }
    pair.flush();
    for (const side of [pair.client, pair.server]) {
      const got = side.messages;
      expect(got.length).toBe(TEXTS.length + BINARIES.length);
      expect(got.slice(0, TEXTS.length).map((m) => [m.isText, decode(m.data)])).toEqual(TEXTS.map((t) => [true, t]));
      got.slice(TEXTS.length).forEach((m, i) => {
        expect(m.isText).toBe(false);
        expect(Buffer.from(m.data).equals(BINARIES[i])).toBe(true);
      });
      expect(side.events.some((e) => e.type === 'error' || e.type === 'close')).toBe(false);
    }
  });

  it('send bytes as text and strings as binary when asked', () => {
    const pair = new Pair(options);
    pair.client.connection.send(new TextEncoder().encode('as text'), false);
    pair.server.connection.send('as binary', true);
    pair.flush();
    expect(pair.server.messages.map((m) => [m.isText, decode(m.data)])).toEqual([[true, 'as text']]);
    expect(pair.client.messages.map((m) => [m.isText, decode(m.data)])).toEqual([[false, 'as binary']]);
  });

  it('fragmented messages with pings in between', () => {
    const pair = new Pair(options);
    for (const side of [pair.client, pair.server]) {
      side.connection.sendFragment('κό', false, false);
      side.connection.ping('mid');
      side.connection.sendFragment(new TextEncoder().encode('σμε').subarray(0, 3), false, false);
      side.connection.sendFragment(new TextEncoder().encode('σμε').subarray(3), false, true);
    }
    pair.flush();
    for (const side of [pair.client, pair.server]) {
      expect(side.events.filter((e) => e.type !== 'pong')).toEqual([
        { type: 'ping', payload: 'mid' },
        { type: 'message', data: new TextEncoder().encode('κόσμε'), isText: true },
      ]);
      expect(side.events.filter((e) => e.type === 'pong')).toEqual([{ type: 'pong', payload: 'mid' }]);
    }
  });

  it('pings from either side are answered with the same payload', () => {
    const pair = new Pair(options);
    pair.client.connection.ping('from client');
    pair.server.connection.ping(Uint8Array.of(1, 2, 3));
    pair.server.connection.ping();
    pair.flush();
    expect(pair.server.events).toEqual([
      { type: 'ping', payload: 'from client' },
      { type: 'pong', payload: '\u0001\u0002\u0003' },
      { type: 'pong', payload: '' },
    ]);
    const clientPings = [
      { type: 'ping', payload: '\u0001\u0002\u0003' },
      { type: 'ping', payload: '' },
    ];
    const clientPong = { type: 'pong', payload: 'from client' };
    // Queued: the server's pong travels behind its two pings. Direct: it arrives before they are even sent.
    expect(pair.client.events).toEqual(options.direct ? [clientPong, ...clientPings] : [...clientPings, clientPong]);
  });

  it.each(['client', 'server'] as const)('closes cleanly when the %s starts', (initiator) => {
    const pair = new Pair(options);
    const first = pair[initiator];
    const second = initiator === 'client' ? pair.server : pair.client;
    first.connection.send('last words');
    first.connection.close(4000, 'bye');
    expect(first.connection.readyState).toBe(options.direct ? 3 : 2);
    pair.flush();
    expect(second.messages.map((m) => decode(m.data))).toEqual(['last words']);
    expect(second.closes).toEqual([{ type: 'close', code: 4000, reason: 'bye' }]);
    expect(first.closes).toEqual([{ type: 'close', code: 4000, reason: '' }]);
    for (const side of [first, second]) {
      expect(side.connection.readyState).toBe(3);
      expect(side.closeFramesWritten).toBe(1);
      expect(side.events.some((e) => e.type === 'error')).toBe(false);
    }
    // RFC 6455 §7.1.1: the server closes the TCP connection; the client only expects it.
    expect(pair.server.transportClosed).toBe(true);
    expect(pair.client.transportClosed).toBe(false);
    expect(pair.client.connection.closeExpected).toBe(true);
  });

  it('closes cleanly when both sides close at the same time', () => {
    const pair = new Pair(options);
    pair.client.connection.close(1000, 'client');
    pair.server.connection.close(1001, 'server');
    pair.flush();
    for (const side of [pair.client, pair.server]) {
      expect(side.connection.readyState).toBe(3);
      expect(side.closes).toHaveLength(1);
      expect(side.closeFramesWritten).toBe(1);
    }
    if (!options.direct) {
      expect(pair.client.closes).toEqual([{ type: 'close', code: 1001, reason: 'server' }]);
      expect(pair.server.closes).toEqual([{ type: 'close', code: 1000, reason: 'client' }]);
    }
  });

  it('a close without a code is reported as 1005 on both sides', () => {
    const pair = new Pair(options);
    pair.client.connection.close();
    pair.flush();
    expect(pair.server.closes).toEqual([{ type: 'close', code: 1005, reason: '' }]);
    expect(pair.client.closes).toEqual([{ type: 'close', code: 1005, reason: '' }]);
  });

  it('a message over the server’s limit fails the connection with 1009 and the client sees it', () => {
    const pair = new Pair({ ...options, server: { maxMessageSize: 1000 } });
    pair.client.connection.send(new Uint8Array(1001));
    pair.flush();
    expect(pair.server.events).toEqual([
      { type: 'error', code: 1009 },
      { type: 'close', code: 1009, reason: expect.any(String) },
    ]);
    expect(pair.client.closes).toEqual([{ type: 'close', code: 1009, reason: expect.stringMatching(/1000/) }]);
    expect(pair.client.connection.readyState).toBe(3);
  });

  it('a client failing the connection (invalid UTF-8 from the server) reports error then close, once, with 1007', () => {
    const pair = new Pair(options);
    pair.server.connection.send(Uint8Array.of(0x61, 0xff), false); // the engine does not validate outgoing text
    pair.flush();
    expect(pair.client.events).toEqual([
      { type: 'error', code: 1007 },
      { type: 'close', code: 1007, reason: expect.any(String) },
    ]);
    expect(pair.server.closes).toEqual([{ type: 'close', code: 1007, reason: expect.any(String) }]);
    expect(pair.client.closeFramesWritten).toBe(1);
    expect(pair.server.closeFramesWritten).toBe(1);
    expect(pair.server.transportClosed).toBe(true);
  });

  it('the transport dropping mid-conversation is 1006 on the side that sees EOF', () => {
    const pair = new Pair(options);
    pair.client.connection.send('hi');
    pair.flush();
    pair.server.connection.receiveEof();
    expect(pair.server.closes).toEqual([{ type: 'close', code: 1006, reason: '' }]);
    expect(pair.server.messages.map((m) => decode(m.data))).toEqual(['hi']);
  });
});

it('a long conversation of random messages in random chunks arrives intact and in order', () => {
  const pair = new Pair({ chunkSizes: [1, 13, 127, 4096, 65536, 2, 999] });
  const sent: { fromClient: boolean; data: Uint8Array | string }[] = [];
  for (let i = 0; i < 400; i++) {
    const fromClient = i % 3 !== 0;
    const size = [0, 5, 125, 126, 127, 1000, 65535, 65536, 70000][i % 9];
    const data = i % 2 === 0 ? pattern(size, i) : 'ü'.repeat(size >> 1);
    sent.push({ fromClient, data });
    (fromClient ? pair.client : pair.server).connection.send(data);
    if (i % 7 === 0) (fromClient ? pair.server : pair.client).connection.ping(String(i));
    if (i % 11 === 0) pair.flush();
  }
  pair.flush();
  const expected = (fromClient: boolean): string[] =>
    sent
      .filter((s) => s.fromClient === fromClient)
      .map((s) => (typeof s.data === 'string' ? `t:${s.data}` : `b:${Buffer.from(s.data).toString('hex')}`));
  const got = (side: Side): string[] =>
    side.messages.map((m) => (m.isText ? `t:${decode(m.data)}` : `b:${Buffer.from(m.data).toString('hex')}`));
  expect(got(pair.server)).toEqual(expected(true));
  expect(got(pair.client)).toEqual(expected(false));
});

describe('re-entrant receive (direct synchronous wiring)', () => {
  it('keeps byte order when an echo answers from inside the message handler', () => {
    // client.receive → message handler → client.send → server.receive → server handler → server.send →
    // client.receive again, while the client is still inside its first receive.
    let server!: Connection;
    let client!: Connection;
    const received: string[] = [];
    const base = { ping() {}, pong() {}, error() {}, close() {}, closeTransport() {} };
    server = new Connection(
      { role: 'server' },
      {
        ...base,
        write: (_c, bytes) => client.receive(new Uint8Array(bytes)),
        message: (c, data) => c.send(Buffer.from(data).toString()), // echo
      },
    );
    client = new Connection(
      { role: 'client' },
      {
        ...base,
        write: (_c, bytes) => server.receive(new Uint8Array(bytes)),
        message: (c, data) => {
          const text = Buffer.from(data).toString();
          received.push(text);
          const n = Number(text);
          if (n < 5) {
            c.send(String(n + 1)); // its echo re-enters client.receive
            c.send(String(n + 10));
          }
        },
      },
    );
    client.send('0');
    // Breadth-first by arrival: every echo is delivered in the order the server wrote it.
    expect(received).toEqual(['0', '1', '10', '2', '11', '3', '12', '4', '13', '5', '14']);
  });
});
