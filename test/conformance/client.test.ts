// The Autobahn families from the client side: a raw TCP server that answers the opening handshake with a hand-made
// 101 and then writes frames byte for byte, against wsgate's `connect` client echoing every message.
import { afterEach, describe, expect, it } from 'vitest';
import { connect, ConnectError } from '../../src/server/client.js';
import type { ConnectOptions } from '../../src/server/client.js';
import type { WsSocket } from '../../src/server/socket.js';
import { pattern } from '../helpers/bytes.js';
import { MessageDeflater, MessageInflater } from '../helpers/deflate.js';
import { closePayload, encodeFrame, Op } from '../helpers/frames.js';
import { acceptKey, default101, RawServer, type RawResponder, type RawServerPeer } from '../helpers/raw.js';
import { cleanupAll, echoHandlers, onCleanup, Recorder } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

afterEach(cleanupAll);

interface Session {
  ws: WsSocket;
  peer: RawServerPeer;
  events: Recorder;
}

/** A raw server and a wsgate client connected to it that echoes what it receives (compressed when `compress`). */
async function session(options: ConnectOptions = {}, respond?: RawResponder, compress = false): Promise<Session> {
  const server = await RawServer.start(respond);
  const events = new Recorder();
  const ws = await connect(server.url, {
    closeTimeout: 300,
    ...options,
    handlers: events.handlers(echoHandlers(compress)),
  });
  onCleanup(() => ws.terminate());
  const peer = await server.nextPeer();
  return { ws, peer, events };
}

describe('client 1.x framing', () => {
  for (const length of [0, 125, 126, 127, 128, 65535, 65536]) {
    it(`binary and text of ${length} bytes echo exactly, masked`, async () => {
      const { peer } = await session();
      const data = pattern(length, length);
      peer.sendBinary(data);
      const binary = await peer.nextFrame();
      expect(binary).toMatchObject({ opcode: Op.Binary, fin: true, masked: true });
      expect(binary.payload.equals(data)).toBe(true);
      const text = 'x'.repeat(length);
      peer.sendText(text);
      const echoed = await peer.nextFrame();
      expect(echoed).toMatchObject({ opcode: Op.Text, masked: true });
      expect(echoed.payload.toString()).toBe(text);
    });
  }

  it('frames written one byte at a time echo exactly', async () => {
    const { peer } = await session();
    for (const length of [0, 1, 125, 126]) {
      const data = pattern(length, length);
      await peer.writeInPieces(encodeFrame({ opcode: Op.Binary, payload: data, mask: false }), 1);
      expect((await peer.nextFrame()).payload.equals(data)).toBe(true);
    }
  });

  it('every client frame has a fresh mask key', async () => {
    const { peer } = await session();
    for (let i = 0; i < 20; i++) peer.sendBinary(Buffer.alloc(8));
    for (let i = 0; i < 20; i++) expect((await peer.nextFrame()).masked).toBe(true);
    // Each echo is 2 header bytes, a 4-byte key, 8 payload bytes.
    const wire = Buffer.concat(peer.received);
    expect(wire.length).toBe(20 * 14);
    const keys = new Set<string>();
    for (let i = 0; i < 20; i++) keys.add(wire.subarray(i * 14 + 2, i * 14 + 6).toString('hex'));
    expect(keys.size).toBe(20);
  });

  it('a masked frame from the server → 1002', async () => {
    const { peer, events } = await session();
    peer.send({ opcode: Op.Text, payload: 'masked', mask: true });
    expect((await peer.expectClose()).code).toBe(1002);
    await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
    expect(events.closes[0].code).toBe(1002);
  });
});

describe('client 2.x pings', () => {
  it('a ping is answered with a masked pong carrying the same payload', async () => {
    const { peer, events } = await session();
    peer.send({ opcode: Op.Ping, payload: 'are you there' });
    const pong = await peer.nextFrame();
    expect(pong).toMatchObject({ opcode: Op.Pong, masked: true });
    expect(pong.payload.toString()).toBe('are you there');
    expect(events.pings.map(String)).toEqual(['are you there']);
  });

  it('ten pings get ten pongs; an unsolicited pong is ignored', async () => {
    const { peer } = await session();
    peer.send({ opcode: Op.Pong, payload: 'unsolicited' });
    peer.write(
      Buffer.concat(
        Array.from({ length: 10 }, (_, i) => encodeFrame({ opcode: Op.Ping, payload: `${i}`, mask: false })),
      ),
    );
    for (let i = 0; i < 10; i++) expect((await peer.nextFrame()).payload.toString()).toBe(`${i}`);
    expect(await peer.maybeFrame(50)).toBeNull();
  });

  it('a 126-byte ping → 1002', async () => {
    const { peer } = await session();
    peer.send({ opcode: Op.Ping, payload: Buffer.alloc(126) });
    expect((await peer.expectClose()).code).toBe(1002);
  });
});

describe('client 3.x/4.x reserved bits and opcodes', () => {
  for (const [name, spec] of [
    ['RSV1', { rsv1: true }],
    ['RSV2', { rsv2: true }],
    ['RSV3', { rsv3: true }],
    ['opcode 3', { opcode: 3 }],
    ['opcode 0xB', { opcode: 0xb }],
    ['opcode 0xF', { opcode: 0xf }],
  ] as const) {
    it(`${name} → 1002 and nothing after it is echoed`, async () => {
      const { peer } = await session();
      peer.write(
        Buffer.concat([
          encodeFrame({ opcode: Op.Text, payload: 'before', mask: false }),
          encodeFrame({ opcode: Op.Text, payload: 'bad', mask: false, ...spec }),
          encodeFrame({ opcode: Op.Text, payload: 'after', mask: false }),
        ]),
      );
      const close = await peer.expectClose();
      expect(close.code).toBe(1002);
      expect(close.before.map((f) => f.payload.toString())).toEqual(['before']);
    });
  }
});

describe('client 5.x fragmentation', () => {
  it('a fragmented message with a ping in the middle echoes whole', async () => {
    const { peer } = await session();
    peer.send({ opcode: Op.Text, payload: 'frag', fin: false });
    peer.send({ opcode: Op.Ping, payload: 'mid' });
    peer.send({ opcode: Op.Continuation, payload: 'mented', fin: true });
    expect((await peer.nextFrame()).opcode).toBe(Op.Pong);
    expect((await peer.nextFrame()).payload.toString()).toBe('fragmented');
  });

  it('a continuation without a start → 1002; a fragmented ping → 1002', async () => {
    const a = await session();
    a.peer.send({ opcode: Op.Continuation, payload: 'x' });
    expect((await a.peer.expectClose()).code).toBe(1002);
    const b = await session();
    b.peer.send({ opcode: Op.Ping, payload: 'x', fin: false });
    expect((await b.peer.expectClose()).code).toBe(1002);
  });
});

describe('client 6.x UTF-8', () => {
  it('valid multi-byte text in one-byte fragments echoes', async () => {
    const { peer } = await session();
    const bytes = Buffer.from('κόσμε 𝄞 日本', 'utf8');
    peer.write(
      Buffer.concat(
        [...bytes].map((b, i) =>
          encodeFrame({
            opcode: i === 0 ? Op.Text : Op.Continuation,
            payload: Buffer.from([b]),
            fin: i === bytes.length - 1,
            mask: false,
          }),
        ),
      ),
    );
    expect((await peer.nextFrame()).payload.equals(bytes)).toBe(true);
  });

  it('invalid UTF-8 → 1007 before the rest of the frame is sent', async () => {
    const { peer } = await session();
    const frame = encodeFrame({
      opcode: Op.Text,
      payload: Buffer.concat([Buffer.from('κόσμε'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('edited')]),
      mask: false,
    });
    const badEnd = frame.length - 'edited'.length - 1;
    peer.write(frame.subarray(0, badEnd));
    expect((await peer.expectClose(1_000)).code).toBe(1007);
    peer.write(frame.subarray(badEnd));
  });
});

describe('client 7.x closing', () => {
  it('the server closes with 1000: the client echoes it and waits for the server to close TCP', async () => {
    const { peer, events, ws } = await session();
    peer.sendClose(1000, 'done');
    expect((await peer.expectClose()).code).toBe(1000);
    await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
    expect(events.closes[0]).toMatchObject({ code: 1000, reason: 'done' });
    expect(ws.readyState).toBe(3);
    // RFC 6455 §7.1.1: the client does not close TCP first while the server is about to.
    expect(peer.ended).toBe(false);
    peer.end();
    await peer.waitClosed();
  });

  it('a server that never closes TCP after the handshake is dropped after closeTimeout', async () => {
    const { peer } = await session({ closeTimeout: 200 });
    const started = Date.now();
    peer.sendClose(1000);
    await peer.expectClose();
    await peer.waitEnded(1_000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('client-initiated close: the server answers and closes TCP; the client reports the code', async () => {
    const { peer, events, ws } = await session();
    ws.close(4001, 'client done');
    expect(await peer.expectClose()).toMatchObject({ code: 4001, reason: 'client done' });
    peer.sendClose(4001);
    peer.end();
    await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
    expect(events.closes[0].code).toBe(4001);
  });

  it('invalid close codes → 1002; a 1-byte close → 1002; a non-UTF-8 reason → 1007', async () => {
    for (const [payload, expected] of [
      [closePayload(1005), 1002],
      [closePayload(999), 1002],
      [Buffer.from([0x03]), 1002],
      [closePayload(1000, Buffer.from([0xff])), 1007],
    ] as const) {
      const { peer } = await session();
      peer.send({ opcode: Op.Close, payload });
      expect((await peer.expectClose()).code).toBe(expected);
    }
  });
});

describe('client 9.x limits', () => {
  it('a message over the client maxPayload → 1009', async () => {
    const { peer } = await session({ maxPayload: 100 });
    peer.sendBinary(Buffer.alloc(100));
    expect((await peer.nextFrame()).payload.length).toBe(100);
    peer.sendBinary(Buffer.alloc(101));
    expect((await peer.expectClose()).code).toBe(1009);
  });
});

describe('client opening handshake checks', () => {
  async function refused(respond: RawResponder, options: ConnectOptions = {}): Promise<ConnectError> {
    const server = await RawServer.start(respond);
    const error = await connect(server.url, { timeout: 1_000, ...options }).then(
      (ws) => {
        ws.terminate();
        throw new Error('connect should have failed');
      },
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ConnectError);
    return error as ConnectError;
  }

  it('a wrong Sec-WebSocket-Accept fails', async () => {
    const error = await refused(
      () =>
        `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey('wrong')}\r\n\r\n`,
    );
    expect(error.message).toMatch(/accept/i);
  });

  it('a non-101 answer fails with its status and body', async () => {
    const body = '{"error":"nope"}';
    const error = await refused(
      () =>
        `HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
    );
    expect(error.status).toBe(403);
    expect(error.body).toBe(body);
  });

  it('a subprotocol that was not offered fails', async () => {
    const error = await refused((req) => default101(req, { 'Sec-WebSocket-Protocol': 'other' }), {
      protocols: ['chat'],
    });
    expect(error.message).toMatch(/protocol/i);
  });

  it('an extension that was not offered fails', async () => {
    const error = await refused((req) => default101(req, { 'Sec-WebSocket-Extensions': 'permessage-deflate' }));
    expect(error.message).toMatch(/extension|deflate/i);
  });

  it('a server that never answers fails after the timeout', async () => {
    const server = await RawServer.start(() => '');
    const started = Date.now();
    await expect(connect(server.url, { timeout: 200 })).rejects.toThrow(/timed out/);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('the chosen subprotocol is exposed', async () => {
    const { ws, peer } = await session({ protocols: ['v1', 'v2'] }, (req) =>
      default101(req, { 'Sec-WebSocket-Protocol': 'v2' }),
    );
    expect(peer.request.headers['sec-websocket-protocol']).toBe('v1, v2');
    expect(ws.protocol).toBe('v2');
  });
});

describe('client 12.x/13.x permessage-deflate', () => {
  const responses: {
    name: string;
    offer: ConnectOptions['perMessageDeflate'];
    response: string;
    serverBits: number;
    clientBits: number;
    serverReset: boolean;
    clientReset: boolean;
  }[] = [
    {
      name: 'defaults',
      offer: true,
      response: 'permessage-deflate',
      serverBits: 15,
      clientBits: 15,
      serverReset: false,
      clientReset: false,
    },
    {
      name: 'server resets',
      offer: { serverNoContextTakeover: true },
      response: 'permessage-deflate; server_no_context_takeover',
      serverBits: 15,
      clientBits: 15,
      serverReset: true,
      clientReset: false,
    },
    {
      name: 'client told to reset',
      offer: true,
      response: 'permessage-deflate; client_no_context_takeover',
      serverBits: 15,
      clientBits: 15,
      serverReset: false,
      clientReset: true,
    },
    {
      name: 'server window 9',
      offer: { serverMaxWindowBits: 9 },
      response: 'permessage-deflate; server_max_window_bits=9',
      serverBits: 9,
      clientBits: 15,
      serverReset: false,
      clientReset: false,
    },
    {
      name: 'client window limited to 9 by the server',
      offer: true,
      response: 'permessage-deflate; client_max_window_bits=9',
      serverBits: 15,
      clientBits: 9,
      serverReset: false,
      clientReset: false,
    },
    {
      name: 'client window 8',
      offer: { clientMaxWindowBits: 8 },
      response: 'permessage-deflate; client_max_window_bits=8',
      serverBits: 15,
      clientBits: 8,
      serverReset: false,
      clientReset: false,
    },
  ];
  for (const r of responses) {
    it(`${r.name}: "${r.response}" round-trips`, async () => {
      const offer = typeof r.offer === 'object' ? { ...r.offer, threshold: 0 } : { threshold: 0 };
      const { peer, ws } = await session(
        { perMessageDeflate: offer },
        (req) => default101(req, { 'Sec-WebSocket-Extensions': r.response }),
        true,
      );
      expect(peer.request.headers['sec-websocket-extensions']).toMatch(/^permessage-deflate/);
      expect(ws.extensions).toBe(r.response);
      const deflater = new MessageDeflater(Math.max(9, r.serverBits), r.serverReset);
      // The client must compress within the agreed window (zlib refuses farther distances) and reset when told.
      const inflater = new MessageInflater(r.clientBits, r.clientReset);
      // Printable bytes that repeat every 256: matches within even the smallest window (2^9).
      const block = Buffer.from(Array.from({ length: 700 }, (_, i) => 0x21 + (((i * 13 + 5) & 0xff) % 90)));
      const message = Buffer.concat([block, block]);
      try {
        for (let i = 0; i < 3; i++) {
          peer.send({ opcode: Op.Binary, payload: await deflater.compress(message), rsv1: true });
          const frame = await peer.nextFrame();
          expect(frame.rsv1).toBe(true);
          expect((await inflater.decompress(frame.payload)).equals(message)).toBe(true);
        }
      } finally {
        deflater.close();
        inflater.close();
      }
    });
  }

  for (const [name, offer, response] of [
    ['a value-less client_max_window_bits in the response', true, 'permessage-deflate; client_max_window_bits'],
    ['server_no_context_takeover offered but not accepted', { serverNoContextTakeover: true }, 'permessage-deflate'],
    [
      'server_max_window_bits above the offered one',
      { serverMaxWindowBits: 10 },
      'permessage-deflate; server_max_window_bits=12',
    ],
    ['an unknown parameter', true, 'permessage-deflate; foo'],
  ] as const) {
    it(`${name} fails the connection`, async () => {
      const server = await RawServer.start((req) => default101(req, { 'Sec-WebSocket-Extensions': response }));
      await expect(connect(server.url, { perMessageDeflate: offer, timeout: 1_000 })).rejects.toBeInstanceOf(
        ConnectError,
      );
    });
  }
});
