// Autobahn sections 12–13 (permessage-deflate, RFC 7692) over real sockets. Every combination of the four
// parameters is offered by a raw client — the response header is checked, then messages are round-tripped with a
// zlib peer that enforces the agreed window and context rules — and again by a `ws` client configured the same way.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type { PerMessageDeflateOptions } from '../../src/protocol/index.js';
import { MessageDeflater, MessageInflater, parseExtensionHeader } from '../helpers/deflate.js';
import { encodeFrame, Op } from '../helpers/frames.js';
import { rawHttp, RawClient, upgradeRequest } from '../helpers/raw.js';
import { cleanupAll, startEchoServer, WsClient } from '../helpers/servers.js';

afterEach(cleanupAll);

interface Offer {
  serverNoContextTakeover?: boolean;
  clientNoContextTakeover?: boolean;
  serverMaxWindowBits?: number;
  /** true: the parameter without a value (support only). */
  clientMaxWindowBits?: number | true;
}

function offerHeader(o: Offer): string {
  let text = 'permessage-deflate';
  if (o.serverNoContextTakeover) text += '; server_no_context_takeover';
  if (o.clientNoContextTakeover) text += '; client_no_context_takeover';
  if (o.serverMaxWindowBits !== undefined) text += `; server_max_window_bits=${o.serverMaxWindowBits}`;
  if (o.clientMaxWindowBits === true) text += '; client_max_window_bits';
  else if (o.clientMaxWindowBits !== undefined) text += `; client_max_window_bits=${o.clientMaxWindowBits}`;
  return text;
}

/** The response an RFC 7692 server with default settings gives to `o` (what wsgate must answer). */
function expectedResponse(o: Offer): Record<string, string | true> {
  const params: Record<string, string | true> = {};
  if (o.serverNoContextTakeover) params.server_no_context_takeover = true;
  if (o.clientNoContextTakeover) params.client_no_context_takeover = true;
  if (o.serverMaxWindowBits !== undefined) params.server_max_window_bits = String(o.serverMaxWindowBits);
  return params;
}

function paramsOf(header: string | undefined): Record<string, string | true> | null {
  const elements = parseExtensionHeader(header);
  if (elements.length === 0) return null;
  expect(elements).toHaveLength(1);
  const out: Record<string, string | true> = {};
  for (const [name, value] of elements[0]) if (name !== '') out[name] = value;
  expect(elements[0].get('')).toBe('permessage-deflate');
  return out;
}

/** 700 random printable bytes twice: the second copy is a match 700 bytes back, beyond a 512-byte window. */
function farRepeat(): Buffer {
  const block = Buffer.from(randomBytes(700).map((b) => 0x21 + (b % 90)));
  return Buffer.concat([block, block]);
}

interface Agreed {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

/** What a bare `permessage-deflate` agrees to (RFC 7692 §7.1): context takeover both ways, 15-bit windows. */
const DEFAULT_AGREEMENT: Agreed = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

/**
 * Three identical messages each way, compressed. The raw side inflates the server's messages with the agreed server
 * window (zlib refuses a distance beyond it) and, when the server promised no context takeover, with a fresh inflater
 * per message; it compresses its own with the agreed client window and context.
 */
async function roundTripRaw(client: RawClient, agreed: Agreed): Promise<void> {
  const deflater = new MessageDeflater(Math.max(9, agreed.clientMaxWindowBits), agreed.clientNoContextTakeover);
  const inflater = new MessageInflater(agreed.serverMaxWindowBits, agreed.serverNoContextTakeover);
  const message = farRepeat();
  const sizes: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      client.send({ opcode: Op.Text, payload: await deflater.compress(message), rsv1: true });
      const frame = await client.nextFrame();
      expect(frame).toMatchObject({ opcode: Op.Text, rsv1: true, fin: true });
      expect((await inflater.decompress(frame.payload)).equals(message)).toBe(true);
      sizes.push(frame.payload.length);
    }
  } finally {
    deflater.close();
    inflater.close();
  }
  if (agreed.serverNoContextTakeover) {
    expect(sizes[1]).toBe(sizes[0]);
  } else if (agreed.serverMaxWindowBits >= 11) {
    // The server kept its window: the repeat is a back-reference to the previous message, 1400 bytes back (within
    // zlib's reach of 2^11 - 262 bytes; smaller windows cannot see it).
    expect(sizes[1]).toBeLessThan(sizes[0] / 4);
  }
}

const OFFERS: Offer[] = [];
for (const serverNoContextTakeover of [false, true]) {
  for (const clientNoContextTakeover of [false, true]) {
    for (const serverMaxWindowBits of [undefined, 8, 11]) {
      for (const clientMaxWindowBits of [undefined, true, 9] as const) {
        OFFERS.push({ serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits });
      }
    }
  }
}

describe('12.x/13.x permessage-deflate parameter combinations, server default settings', () => {
  for (const offer of OFFERS) {
    const header = offerHeader(offer);
    it(`raw offer "${header}"`, async () => {
      const { server } = await startEchoServer({ perMessageDeflate: { threshold: 0 } }, true);
      const client = await RawClient.connect(server.port, { headers: { 'Sec-WebSocket-Extensions': header } });
      expect(paramsOf(client.response.headers['sec-websocket-extensions'])).toEqual(expectedResponse(offer));
      await roundTripRaw(client, {
        serverNoContextTakeover: offer.serverNoContextTakeover === true,
        clientNoContextTakeover: offer.clientNoContextTakeover === true,
        serverMaxWindowBits: offer.serverMaxWindowBits ?? 15,
        clientMaxWindowBits: typeof offer.clientMaxWindowBits === 'number' ? offer.clientMaxWindowBits : 15,
      });
    });

    it(`ws client offering "${header}"`, async () => {
      const { server } = await startEchoServer({ perMessageDeflate: { threshold: 0 } }, true);
      const client = await WsClient.open(`ws://127.0.0.1:${server.port}/`, [], {
        perMessageDeflate: {
          serverNoContextTakeover: offer.serverNoContextTakeover,
          clientNoContextTakeover: offer.clientNoContextTakeover,
          serverMaxWindowBits: offer.serverMaxWindowBits,
          clientMaxWindowBits: offer.clientMaxWindowBits ?? false,
          threshold: 0,
        } as never,
      });
      expect(client.ws.extensions).toBe('permessage-deflate');
      const response = paramsOf(client.responseHeaders['sec-websocket-extensions'] as string | undefined);
      expect(response).toEqual(expectedResponse(offer));
      const message = farRepeat().toString();
      for (let i = 0; i < 3; i++)
        expect((await client.roundTrip(message, { compress: true })).data.toString()).toBe(message);
      const binary = randomBytes(3000);
      const echoed = await client.roundTrip(binary, { compress: true });
      expect(echoed.isBinary).toBe(true);
      expect(echoed.data.equals(binary)).toBe(true);
      expect((await client.roundTrip('', { compress: true })).data.length).toBe(0);
    });
  }
});

describe('12.x/13.x server-side permessage-deflate settings', () => {
  const cases: {
    name: string;
    server: PerMessageDeflateOptions;
    offer: string;
    response: Record<string, string | true> | null;
    agreed?: Agreed;
  }[] = [
    {
      name: 'server demands its own no-context-takeover',
      server: { serverNoContextTakeover: true },
      offer: 'permessage-deflate',
      response: { server_no_context_takeover: true },
      agreed: { ...DEFAULT_AGREEMENT, serverNoContextTakeover: true },
    },
    {
      name: 'server demands client no-context-takeover',
      server: { clientNoContextTakeover: true },
      offer: 'permessage-deflate',
      response: { client_no_context_takeover: true },
      agreed: { ...DEFAULT_AGREEMENT, clientNoContextTakeover: true },
    },
    {
      name: 'server limits its own window without being asked',
      server: { serverMaxWindowBits: 10 },
      offer: 'permessage-deflate',
      response: { server_max_window_bits: '10' },
      agreed: { ...DEFAULT_AGREEMENT, serverMaxWindowBits: 10 },
    },
    {
      name: 'server window limit below the offered one',
      server: { serverMaxWindowBits: 10 },
      offer: 'permessage-deflate; server_max_window_bits=12',
      response: { server_max_window_bits: '10' },
      agreed: { ...DEFAULT_AGREEMENT, serverMaxWindowBits: 10 },
    },
    {
      name: 'offered window below the server limit',
      server: { serverMaxWindowBits: 10 },
      offer: 'permessage-deflate; server_max_window_bits=9',
      response: { server_max_window_bits: '9' },
      agreed: { ...DEFAULT_AGREEMENT, serverMaxWindowBits: 9 },
    },
    {
      name: 'server limits the client window when the client supports it',
      server: { clientMaxWindowBits: 10 },
      offer: 'permessage-deflate; client_max_window_bits',
      response: { client_max_window_bits: '10' },
      agreed: { ...DEFAULT_AGREEMENT, clientMaxWindowBits: 10 },
    },
    {
      name: 'server needing a small client window declines a client that cannot be told',
      server: { clientMaxWindowBits: 10 },
      offer: 'permessage-deflate',
      response: null,
    },
    {
      name: 'an offer with an unknown parameter is declined and the next one accepted',
      server: {},
      offer: 'permessage-deflate; foo=1, permessage-deflate; client_no_context_takeover',
      response: { client_no_context_takeover: true },
      agreed: { ...DEFAULT_AGREEMENT, clientNoContextTakeover: true },
    },
    {
      name: 'a window of 7 is declined',
      server: {},
      offer: 'permessage-deflate; server_max_window_bits=7',
      response: null,
    },
    {
      name: 'a window with a leading zero is declined',
      server: {},
      offer: 'permessage-deflate; client_max_window_bits=09',
      response: null,
    },
    {
      name: 'a value on a no-value parameter is declined',
      server: {},
      offer: 'permessage-deflate; server_no_context_takeover=1',
      response: null,
    },
    { name: 'other extensions are ignored', server: {}, offer: 'x-webkit-deflate-frame', response: null },
  ];
  for (const c of cases) {
    it(`${c.name}: "${c.offer}"`, async () => {
      const { server } = await startEchoServer({ perMessageDeflate: { ...c.server, threshold: 0 } }, true);
      const client = await RawClient.connect(server.port, { headers: { 'Sec-WebSocket-Extensions': c.offer } });
      expect(paramsOf(client.response.headers['sec-websocket-extensions'])).toEqual(c.response);
      if (c.agreed !== undefined) {
        await roundTripRaw(client, c.agreed);
      } else {
        // Declined: the connection works uncompressed, and RSV1 is a protocol error.
        client.sendText('plain');
        expect(await client.nextFrame()).toMatchObject({ opcode: Op.Text, rsv1: false });
        client.send({ opcode: Op.Text, payload: 'x', rsv1: true });
        expect((await client.expectClose()).code).toBe(1002);
      }
    });
  }

  it('an offer with a repeated parameter is declined, and the connection opens without compression (RFC 7692 §7)', async () => {
    const { server } = await startEchoServer({ perMessageDeflate: { threshold: 0 } }, true);
    const request = upgradeRequest(server.port, {
      headers: {
        'Sec-WebSocket-Extensions': 'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
      },
    });
    const response = await rawHttp(server.port, request, 500);
    expect(response.status).toBe(101);
    expect(response.headers['sec-websocket-extensions']).toBeUndefined();
  });

  it('permessage-deflate is off by default: the offer is ignored', async () => {
    const { server } = await startEchoServer({}, true);
    const client = await RawClient.connect(server.port, {
      headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' },
    });
    expect(client.response.headers['sec-websocket-extensions']).toBeUndefined();
    client.sendText('hello');
    expect(await client.nextFrame()).toMatchObject({ opcode: Op.Text, rsv1: false });
  });
});

describe('12.x/13.x compressed framing rules', () => {
  async function deflateConnection(): Promise<RawClient> {
    const { server } = await startEchoServer({ perMessageDeflate: { threshold: 0 } }, true);
    return RawClient.connect(server.port, { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } });
  }

  it('RSV1 on a connection without permessage-deflate → 1002', async () => {
    const { server } = await startEchoServer({});
    const client = await RawClient.connect(server.port);
    client.send({ opcode: Op.Binary, payload: Buffer.from([0x02, 0x00]), rsv1: true });
    expect((await client.expectClose()).code).toBe(1002);
  });

  it('an uncompressed message on a deflate connection is fine', async () => {
    const client = await deflateConnection();
    client.sendText('not compressed');
    const frame = await client.nextFrame();
    expect(frame.rsv1).toBe(true);
    expect((await new MessageInflater().decompress(frame.payload)).toString()).toBe('not compressed');
  });

  it('a compressed message split over fragments (RSV1 on the first only) echoes whole', async () => {
    const client = await deflateConnection();
    const compressed = await new MessageDeflater().compress(Buffer.from('fragmented and compressed '.repeat(20)));
    const cut = Math.floor(compressed.length / 3);
    client.send({ opcode: Op.Text, payload: compressed.subarray(0, cut), rsv1: true, fin: false });
    client.send({ opcode: Op.Ping, payload: 'mid' });
    client.send({ opcode: Op.Continuation, payload: compressed.subarray(cut, 2 * cut), fin: false });
    client.send({ opcode: Op.Continuation, payload: compressed.subarray(2 * cut), fin: true });
    expect((await client.nextFrame()).opcode).toBe(Op.Pong);
    const frame = await client.nextFrame();
    expect((await new MessageInflater().decompress(frame.payload)).toString()).toBe(
      'fragmented and compressed '.repeat(20),
    );
  });

  it('RSV1 on a continuation frame → 1002', async () => {
    const client = await deflateConnection();
    const compressed = await new MessageDeflater().compress(Buffer.from('abcabcabc'));
    client.send({ opcode: Op.Text, payload: compressed.subarray(0, 2), rsv1: true, fin: false });
    client.send({ opcode: Op.Continuation, payload: compressed.subarray(2), rsv1: true, fin: true });
    expect((await client.expectClose()).code).toBe(1002);
  });

  it('RSV1 on a ping → 1002', async () => {
    const client = await deflateConnection();
    client.send({ opcode: Op.Ping, payload: 'x', rsv1: true });
    expect((await client.expectClose()).code).toBe(1002);
  });

  it('corrupt compressed data → 1007', async () => {
    const client = await deflateConnection();
    client.send({ opcode: Op.Binary, payload: Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff]), rsv1: true });
    expect((await client.expectClose()).code).toBe(1007);
  });

  it('compressed text that inflates to invalid UTF-8 → 1007', async () => {
    const client = await deflateConnection();
    client.send({
      opcode: Op.Text,
      payload: await new MessageDeflater().compress(Buffer.from([0x41, 0xed, 0xa0, 0x80])),
      rsv1: true,
    });
    expect((await client.expectClose()).code).toBe(1007);
  });

  it('an empty compressed message (a single 0x00 octet, RFC 7692 §7.2.3.6) echoes empty', async () => {
    const client = await deflateConnection();
    client.write(encodeFrame({ opcode: Op.Text, payload: Buffer.from([0x00]), rsv1: true }));
    const frame = await client.nextFrame();
    expect((await new MessageInflater().decompress(frame.payload)).length).toBe(0);
  });

  it('a compressed message over maxPayload after inflation → 1009', async () => {
    const { server } = await startEchoServer({ perMessageDeflate: true, maxPayload: 1000 }, true);
    const client = await RawClient.connect(server.port, {
      headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' },
    });
    client.send({ opcode: Op.Binary, payload: await new MessageDeflater().compress(Buffer.alloc(1001)), rsv1: true });
    expect((await client.expectClose()).code).toBe(1009);
  });
});
