// Interoperability with `ws`, both ways: wsgate server ⇄ ws client, and ws server ⇄ wsgate client. Text, binary,
// large, fragmented, compressed messages; close codes and reasons in both directions; subprotocols.
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { connect, type ConnectOptions } from '../../src/server/client.js';
import type { WsSocket } from '../../src/server/socket.js';
import {
  cleanupAll,
  onCleanup,
  Recorder,
  startEchoServer,
  startServer,
  startWsServer,
  WsClient,
} from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

afterEach(cleanupAll);

const LARGE = 8 * 1024 * 1024;

describe('wsgate server ⇄ ws client', () => {
  it('text, binary and empty messages', async () => {
    const { url } = await startEchoServer();
    const client = await WsClient.open(url);
    expect(await client.roundTrip('héllo wörld 🌍')).toMatchObject({ isBinary: false });
    expect((await client.roundTrip('héllo wörld 🌍')).data.toString()).toBe('héllo wörld 🌍');
    const binary = randomBytes(1000);
    const echoed = await client.roundTrip(binary);
    expect(echoed.isBinary).toBe(true);
    expect(echoed.data.equals(binary)).toBe(true);
    expect((await client.roundTrip('')).data.length).toBe(0);
    expect((await client.roundTrip(Buffer.alloc(0))).isBinary).toBe(true);
  });

  it(`a large message (${LARGE / 1024 / 1024} MiB) both ways`, async () => {
    const { url } = await startEchoServer();
    const client = await WsClient.open(url);
    const data = randomBytes(LARGE);
    const echoed = await client.roundTrip(data);
    expect(echoed.data.equals(data)).toBe(true);
  });

  it('a fragmented message streamed with send(..., { fin: false })', async () => {
    const { url, events } = await startEchoServer();
    const client = await WsClient.open(url);
    client.ws.send('first ', { fin: false });
    client.ws.send('second ', { fin: false });
    client.ws.send('third', { fin: true });
    expect((await client.next()).data.toString()).toBe('first second third');
    const parts = [randomBytes(100_000), randomBytes(5), randomBytes(70_000)];
    parts.forEach((part, i) => client.ws.send(part, { binary: true, fin: i === parts.length - 1 }));
    expect((await client.next()).data.equals(Buffer.concat(parts))).toBe(true);
    expect(events.messages).toHaveLength(2);
  });

  it('compressed messages (permessage-deflate on both sides)', async () => {
    const { url } = await startEchoServer({ perMessageDeflate: { threshold: 0 } }, true);
    const client = await WsClient.open(url, [], { perMessageDeflate: { threshold: 0 } });
    expect(client.ws.extensions).toBe('permessage-deflate');
    const text = 'compress me '.repeat(10_000);
    for (let i = 0; i < 3; i++) expect((await client.roundTrip(text, { compress: true })).data.toString()).toBe(text);
    const binary = randomBytes(200_000);
    expect((await client.roundTrip(binary, { compress: true })).data.equals(binary)).toBe(true);
    const big = Buffer.alloc(LARGE, 'abc');
    expect((await client.roundTrip(big, { compress: true })).data.equals(big)).toBe(true);
    // Compressed and fragmented.
    client.ws.send('frag ', { fin: false, compress: true });
    client.ws.send('mented', { fin: true, compress: true });
    expect((await client.next()).data.toString()).toBe('frag mented');
  });

  it('server closes with a code and reason; the ws client sees them', async () => {
    const events = new Recorder();
    const server = await startServer({ handlers: events.handlers() });
    const client = await WsClient.open(`ws://127.0.0.1:${server.port}/`);
    await waitFor(() => events.opened.length === 1, 1_000, 'open');
    events.opened[0].close(4001, 'server says bye ✓');
    expect(await client.closed).toEqual({ code: 4001, reason: 'server says bye ✓' });
    await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
    expect(events.closes[0]).toMatchObject({ code: 4001, reason: 'server says bye ✓' });
  });

  it('the ws client closes with a code and reason; the server sees them', async () => {
    const events = new Recorder();
    const server = await startServer({ handlers: events.handlers() });
    const client = await WsClient.open(`ws://127.0.0.1:${server.port}/`);
    client.ws.close(3001, 'client says bye');
    // The server echoes the code (RFC 6455 §5.5.1), without the reason.
    expect((await client.closed).code).toBe(3001);
    await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
    expect(events.closes[0]).toMatchObject({ code: 3001, reason: 'client says bye' });
  });

  it('a close without a code is 1005 on both sides; terminate is 1006', async () => {
    const events = new Recorder();
    const server = await startServer({ handlers: events.handlers() });
    const a = await WsClient.open(`ws://127.0.0.1:${server.port}/`);
    a.ws.close();
    expect((await a.closed).code).toBe(1005);
    await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
    expect(events.closes[0].code).toBe(1005);
    const b = await WsClient.open(`ws://127.0.0.1:${server.port}/`);
    await waitFor(() => events.opened.length === 2, 1_000, 'open');
    b.ws.terminate();
    await waitFor(() => events.closes.length === 2, 1_000, 'close handler');
    expect(events.closes[1].code).toBe(1006);
  });

  it('subprotocol negotiation', async () => {
    const { server } = await startEchoServer({ protocols: ['graphql-ws', 'chat.v2'] });
    const client = await WsClient.open(`ws://127.0.0.1:${server.port}/`, ['chat.v1', 'chat.v2']);
    expect(client.ws.protocol).toBe('chat.v2');
    // No match: no Sec-WebSocket-Protocol in the 101, which ws (strictly) refuses as a client.
    await expect(WsClient.open(`ws://127.0.0.1:${server.port}/`, ['other'])).rejects.toThrow(/no subprotocol/);
    const plain = await WsClient.open(`ws://127.0.0.1:${server.port}/`);
    expect(plain.ws.protocol).toBe('');
  });

  it('pings from ws are answered; pings from the server are answered by ws', async () => {
    const events = new Recorder();
    const server = await startServer({ handlers: events.handlers() });
    const client = await WsClient.open(`ws://127.0.0.1:${server.port}/`);
    const pong = new Promise<Buffer>((resolve) => client.ws.once('pong', resolve));
    client.ws.ping('from ws');
    expect((await pong).toString()).toBe('from ws');
    await waitFor(() => events.opened.length === 1, 1_000, 'open');
    events.opened[0].ping('from wsgate');
    await waitFor(() => events.pongs.length === 1, 1_000, 'pong');
    expect(events.pongs[0].toString()).toBe('from wsgate');
  });
});

/** A ws echo server, and a wsgate client connected to it recording what it gets. */
async function wsServerSession(
  serverOptions: WebSocket.ServerOptions = {},
  clientOptions: ConnectOptions = {},
): Promise<{ ws: WsSocket; events: Recorder; peer: () => WebSocket; serverSide: Promise<WebSocket> }> {
  const { server, url } = await startWsServer(serverOptions);
  const serverSide = new Promise<WebSocket>((resolve) => server.once('connection', resolve));
  server.on('connection', (socket) => {
    socket.on('message', (data, isBinary) => socket.send(data as Buffer, { binary: isBinary }));
  });
  const events = new Recorder();
  const ws = await connect(url, { closeTimeout: 500, ...clientOptions, handlers: events.handlers() });
  onCleanup(() => ws.terminate());
  const peer = await serverSide;
  return { ws, events, peer: () => peer, serverSide };
}

describe('ws server ⇄ wsgate client', () => {
  it('text, binary and empty messages', async () => {
    const { ws, events } = await wsServerSession();
    expect(ws.send('héllo 🌍')).toBe('sent');
    ws.send(Buffer.from([0, 1, 2, 255]));
    ws.send('');
    await waitFor(() => events.messages.length === 3, 2_000, 'echoes');
    expect(events.messages.map((m) => [m.data.toString('hex'), m.isBinary])).toEqual([
      [Buffer.from('héllo 🌍').toString('hex'), false],
      ['000102ff', true],
      ['', false],
    ]);
  });

  it(`a large message (${LARGE / 1024 / 1024} MiB) both ways`, async () => {
    const { ws, events } = await wsServerSession();
    const data = randomBytes(LARGE);
    ws.send(data);
    await waitFor(() => events.messages.length === 1, 5_000, 'echo');
    expect(events.messages[0].data.equals(data)).toBe(true);
  });

  it('a fragmented message from the ws server arrives whole', async () => {
    const { events, peer } = await wsServerSession();
    peer().send('one ', { fin: false });
    peer().send('two ', { fin: false });
    peer().send('three', { fin: true });
    await waitFor(() => events.messages.length === 1, 2_000, 'message');
    expect(events.messages[0].data.toString()).toBe('one two three');
  });

  it('compressed messages (permessage-deflate on both sides)', async () => {
    const { ws, events, peer } = await wsServerSession(
      { perMessageDeflate: { threshold: 0 } },
      { perMessageDeflate: { threshold: 0 } },
    );
    expect(ws.extensions).toMatch(/^permessage-deflate/);
    const text = 'squeeze '.repeat(20_000);
    for (let i = 0; i < 3; i++) ws.send(text, { compress: true });
    const big = Buffer.alloc(LARGE, 'xyz');
    ws.send(big, { compress: true });
    await waitFor(() => events.messages.length === 4, 5_000, 'echoes');
    expect(events.messages.slice(0, 3).every((m) => m.data.toString() === text)).toBe(true);
    expect(events.messages[3].data.equals(big)).toBe(true);
    peer().send('frag ', { fin: false, compress: true });
    peer().send('mented', { fin: true, compress: true });
    await waitFor(() => events.messages.length === 5, 2_000, 'fragmented compressed');
    expect(events.messages[4].data.toString()).toBe('frag mented');
  });

  it('compression with no context takeover and small windows', async () => {
    const { ws, events } = await wsServerSession(
      {
        perMessageDeflate: {
          threshold: 0,
          serverNoContextTakeover: true,
          clientNoContextTakeover: true,
          serverMaxWindowBits: 9,
          clientMaxWindowBits: 9,
        },
      },
      { perMessageDeflate: { threshold: 0, clientMaxWindowBits: 9 } },
    );
    const text = randomBytes(3000).toString('base64');
    for (let i = 0; i < 3; i++) ws.send(text + text, { compress: true });
    await waitFor(() => events.messages.length === 3, 2_000, 'echoes');
    expect(events.messages.every((m) => m.data.toString() === text + text)).toBe(true);
  });

  it('the wsgate client closes with a code and reason; ws sees them', async () => {
    const { ws, events, peer } = await wsServerSession();
    const closed = new Promise<[number, string]>((resolve) =>
      peer().once('close', (code, reason) => resolve([code, reason.toString()])),
    );
    ws.close(4002, 'client leaving');
    expect(await closed).toEqual([4002, 'client leaving']);
    await waitFor(() => events.closes.length === 1, 2_000, 'close handler');
    expect(events.closes[0]).toMatchObject({ code: 4002, reason: 'client leaving' });
  });

  it('the ws server closes with a code and reason; the wsgate client sees them', async () => {
    const { events, peer } = await wsServerSession();
    peer().close(1001, 'server restarting');
    await waitFor(() => events.closes.length === 1, 2_000, 'close handler');
    expect(events.closes[0]).toMatchObject({ code: 1001, reason: 'server restarting' });
  });

  it('the ws server terminates: 1006', async () => {
    const { events, peer } = await wsServerSession();
    peer().terminate();
    await waitFor(() => events.closes.length === 1, 2_000, 'close handler');
    expect(events.closes[0].code).toBe(1006);
  });

  it('subprotocol negotiation', async () => {
    const { ws } = await wsServerSession(
      { handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : false) },
      { protocols: ['wamp', 'mqtt'] },
    );
    expect(ws.protocol).toBe('mqtt');
  });

  it('pings both ways', async () => {
    const { ws, events, peer } = await wsServerSession();
    const pong = new Promise<Buffer>((resolve) => peer().once('pong', resolve));
    peer().ping('from ws server');
    expect((await pong).toString()).toBe('from ws server');
    expect(events.pings.map(String)).toEqual(['from ws server']);
    ws.ping('from wsgate client');
    await waitFor(() => events.pongs.length === 1, 1_000, 'pong');
    expect(events.pongs[0].toString()).toBe('from wsgate client');
  });
});
