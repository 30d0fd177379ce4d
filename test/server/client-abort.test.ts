// connect()'s `signal` (an AbortSignal, as fetch takes one) and the `cause` of every ConnectError that has a lower
// layer to blame: aborting before the 101 rejects at once with the signal's reason as `cause` and closes the TCP
// connection; ECONNREFUSED, TLS failures and bad URLs keep the original error as `cause`.
import { readFileSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, ConnectError } from '../../src/server/client.js';
import { CloseEvent, WebSocket as FacadeWebSocket } from '../../src/server/whatwg.js';
import { cleanupAll, onCleanup, startEchoServer } from '../helpers/servers.js';
import { freePort, waitFor, withTimeout } from '../helpers/wait.js';

afterEach(cleanupAll);

/** A TCP server that reads the request and never answers; records each connection and when it closed. */
async function silentServer(): Promise<{ url: string; connections: { socket: Socket; closed: boolean }[] }> {
  const connections: { socket: Socket; closed: boolean }[] = [];
  const server: Server = createNetServer((socket) => {
    const entry = { socket, closed: false };
    connections.push(entry);
    socket.on('error', () => undefined);
    socket.on('close', () => (entry.closed = true));
    socket.resume(); // read (and drop) the request, so the client's FIN is seen
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onCleanup(async () => {
    for (const { socket } of connections) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`, connections };
}

/** The rejection of `promise` (bounded: a promise that stays pending fails the test instead of hanging it). */
async function rejection(promise: Promise<unknown>, timeout = 2_000): Promise<ConnectError> {
  const error = await withTimeout(
    promise.then(
      () => new Error('connect resolved'),
      (e: unknown) => e,
    ),
    timeout,
    'connect to reject',
  );
  expect(error).toBeInstanceOf(ConnectError);
  return error as ConnectError;
}

describe('connect({ signal })', () => {
  it('aborting while waiting for the 101 rejects with the reason as cause and closes the TCP connection', async () => {
    const { url, connections } = await silentServer();
    const controller = new AbortController();
    const pending = connect(url, { signal: controller.signal, timeout: 10_000 });
    await waitFor(() => connections.length === 1, 2_000, 'the TCP connection');
    const reason = new Error('user navigated away');
    controller.abort(reason);
    const error = await rejection(pending, 500);
    expect(error.message).toMatch(/aborted/);
    expect(error.status).toBe(0);
    expect(error.cause).toBe(reason);
    await waitFor(() => connections[0].closed, 1_000, 'the server to see the connection closed');
  });

  it('an already aborted signal rejects without connecting; the default reason is an AbortError', async () => {
    const { url, connections } = await silentServer();
    const error = await rejection(connect(url, { signal: AbortSignal.abort() }), 500);
    expect((error.cause as DOMException).name).toBe('AbortError');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(connections).toHaveLength(0);
  });

  it('AbortSignal.timeout works as a per-call deadline', async () => {
    const { url } = await silentServer();
    const error = await rejection(connect(url, { signal: AbortSignal.timeout(50), timeout: 10_000 }), 1_000);
    expect((error.cause as DOMException).name).toBe('TimeoutError');
  });

  it('after the 101 the signal no longer matters', async () => {
    const { url } = await startEchoServer();
    const controller = new AbortController();
    const ws = await connect(url, { signal: controller.signal });
    onCleanup(() => ws.terminate());
    controller.abort();
    expect(ws.readyState).toBe(1);
  });

  it('the WHATWG facade takes it too: aborting before open is error + close 1006', async () => {
    const { url } = await silentServer();
    const controller = new AbortController();
    const ws = new FacadeWebSocket(url, [], { signal: controller.signal });
    const order: string[] = [];
    ws.onerror = () => order.push('error');
    ws.onclose = (e) => order.push(`close ${(e as CloseEvent).code}`);
    controller.abort();
    await waitFor(() => order.length === 2, 1_000, 'error and close');
    expect(order).toEqual(['error', 'close 1006']);
  });
});

describe('ConnectError keeps the underlying error as cause', () => {
  it('ECONNREFUSED', async () => {
    const port = await freePort();
    const error = await rejection(connect(`ws://127.0.0.1:${port}/`));
    expect(error.message).toMatch(/ECONNREFUSED/);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ECONNREFUSED');
  });

  it('a TLS failure (a self-signed certificate that is not trusted)', async () => {
    const fixtures = new URL('../fixtures/', import.meta.url);
    const https = createHttpsServer({
      key: readFileSync(new URL('key.pem', fixtures)),
      cert: readFileSync(new URL('cert.pem', fixtures)),
    });
    await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
    onCleanup(() => new Promise<void>((resolve) => https.close(() => resolve())));
    const error = await rejection(connect(`wss://localhost:${(https.address() as AddressInfo).port}/`));
    expect((error.cause as NodeJS.ErrnoException).code).toMatch(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/);
  });

  it('an invalid URL', async () => {
    const error = await rejection(connect('not a url'));
    expect(error.cause).toBeInstanceOf(TypeError);
    expect((error.cause as NodeJS.ErrnoException).code).toBe('ERR_INVALID_URL');
  });
});
