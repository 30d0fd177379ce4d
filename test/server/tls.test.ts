// wss: a wsgate server attached to an `https` server with the self-signed fixture certificate, and wsgate's client
// connecting with that certificate as its CA.
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, ConnectError } from '../../src/server/client.js';
import { createServer } from '../../src/server/server.js';
import type { WsSocket } from '../../src/server/socket.js';
import { cleanupAll, echoHandlers, onCleanup, Recorder, WsClient } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

afterEach(cleanupAll);

const fixtures = new URL('../fixtures/', import.meta.url);
const key = readFileSync(new URL('key.pem', fixtures));
const cert = readFileSync(new URL('cert.pem', fixtures));

async function startTls(
  options: Parameters<typeof createServer>[0] = {},
): Promise<{ https: HttpsServer; port: number }> {
  const https = createHttpsServer({ key, cert });
  const wss = await createServer({ ...options, server: https, handlers: options.handlers ?? echoHandlers() });
  await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
  onCleanup(async () => {
    await wss.close({ timeout: 100 });
    https.closeAllConnections();
    await new Promise<void>((resolve) => https.close(() => resolve()));
  });
  return { https, port: (https.address() as AddressInfo).port };
}

async function tracked<D>(promise: Promise<WsSocket<D>>): Promise<WsSocket<D>> {
  const ws = await promise;
  onCleanup(() => ws.terminate());
  return ws;
}

describe('TLS (wss)', () => {
  it('wsgate client ⇄ wsgate server over wss://localhost with the fixture CA', async () => {
    const { port } = await startTls({ perMessageDeflate: true });
    const events = new Recorder();
    const ws = await tracked(
      connect(`wss://localhost:${port}/`, {
        tls: { ca: cert },
        perMessageDeflate: { threshold: 0 },
        handlers: events.handlers(),
      }),
    );
    expect(ws.extensions).toMatch(/^permessage-deflate/);
    ws.send('over tls', { compress: true });
    const big = Buffer.alloc(300_000, 0x42);
    ws.send(big);
    await waitFor(() => events.messages.length === 2, 3_000, 'echoes');
    expect(events.messages[0].data.toString()).toBe('over tls');
    expect(events.messages[1].data.equals(big)).toBe(true);
    ws.close(1000, 'done');
    await waitFor(() => events.closes.length === 1, 2_000, 'close');
    expect(events.closes[0].code).toBe(1000);
  });

  it('also by IP address (the certificate lists 127.0.0.1)', async () => {
    const { port } = await startTls();
    const events = new Recorder();
    const ws = await tracked(connect(`wss://127.0.0.1:${port}/`, { tls: { ca: cert }, handlers: events.handlers() }));
    ws.send('by ip');
    await waitFor(() => events.messages.length === 1, 2_000, 'echo');
  });

  it('an untrusted certificate is refused by default', async () => {
    const { port } = await startTls();
    const error = await connect(`wss://localhost:${port}/`, { timeout: 2_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConnectError);
    expect((error as Error).message).toMatch(/certificate/i);
  });

  it('a ws client talks to the wss server', async () => {
    const { port } = await startTls();
    const client = await WsClient.open(`wss://localhost:${port}/`, [], { ca: cert });
    expect((await client.roundTrip('from ws')).data.toString()).toBe('from ws');
  });

  it('the wsgate client connects to a ws server over TLS', async () => {
    const https = createHttpsServer({ key, cert });
    const { WebSocketServer } = await import('ws');
    const wss = new WebSocketServer({ server: https });
    wss.on('connection', (socket) => socket.on('message', (data, isBinary) => socket.send(data, { binary: isBinary })));
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    onCleanup(async () => {
      for (const c of wss.clients) c.terminate();
      wss.close();
      https.closeAllConnections();
      await new Promise<void>((resolve) => https.close(() => resolve()));
    });
    const events = new Recorder();
    const ws = await tracked(
      connect(`wss://localhost:${(https.address() as AddressInfo).port}/`, {
        tls: { ca: cert },
        handlers: events.handlers(),
      }),
    );
    ws.send(Buffer.from([9, 8, 7]));
    await waitFor(() => events.messages.length === 1, 2_000, 'echo');
    expect(events.messages[0]).toMatchObject({ isBinary: true, data: Buffer.from([9, 8, 7]) });
    ws.close();
    await waitFor(() => events.closes.length === 1, 2_000, 'close');
  });
});
