// connect()'s `timeout` is an absolute deadline for the whole opening handshake: a server that trickles its response
// head, or refuses with a body that never ends, cannot keep the promise pending (Node's request `timeout` is an
// idle timer that every byte restarts). A refusal still reports its status and a bounded body.
import { createServer as createNetServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connect, ConnectError, type ConnectOptions } from '../../src/server/client.js';
import { withTimeout } from '../helpers/wait.js';

const servers: Server[] = [];
const sockets = new Set<Socket>();
const timers = new Set<NodeJS.Timeout>();

afterEach(async () => {
  for (const timer of timers) clearInterval(timer);
  timers.clear();
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
});

/** A TCP server that, once a request arrives, writes `head` at once and then `next()` every `every` ms, forever. */
async function slowServer(head: string, next: () => string | Buffer, every: number): Promise<string> {
  const server = createNetServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('data', () => {
      if (head !== '') socket.write(head);
      const timer = setInterval(() => socket.write(next()), every);
      timers.add(timer);
      socket.once('close', () => clearInterval(timer));
    });
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return `ws://127.0.0.1:${address.port}/`;
}

/** connect() with `timeout`, bounded by the test itself so the old (hanging) behaviour fails instead of hanging. */
async function connectFails(url: string, timeout: number): Promise<{ error: ConnectError; elapsed: number }> {
  const started = Date.now();
  const error = await withTimeout(
    connect(url, { timeout }).then(
      (ws) => {
        ws.terminate();
        throw new Error('connect should have failed');
      },
      (e: unknown) => e,
    ),
    timeout + 3_000,
    'connect() to settle',
  );
  expect(error).toBeInstanceOf(ConnectError);
  return { error: error as ConnectError, elapsed: Date.now() - started };
}

describe('connect() deadline', () => {
  it('a response head trickled one byte every 100 ms fails at the deadline', async () => {
    const text =
      'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Slow: ' + 'a'.repeat(10_000);
    let i = 0;
    const url = await slowServer('', () => text[i++ % text.length], 100);
    const { error, elapsed } = await connectFails(url, 500);
    expect(error.message).toMatch(/timed out/);
    expect(error.status).toBe(0);
    expect(elapsed).toBeGreaterThanOrEqual(450);
    expect(elapsed).toBeLessThan(1_500);
  });

  it('a 503 whose chunked body never ends fails at the deadline, with the status and the body so far', async () => {
    const head = 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\n\r\n';
    const url = await slowServer(head, () => '5\r\nbusy\n\r\n', 100);
    const { error, elapsed } = await connectFails(url, 500);
    expect(error.status).toBe(503);
    expect(error.message).toMatch(/503/);
    expect(error.body).toMatch(/^(busy\n)+$/);
    expect(elapsed).toBeLessThan(1_500);
  });

  it('a 503 with an endless fast body is reported once a bounded part of the body arrived', async () => {
    const head = 'HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n';
    const url = await slowServer(head, () => Buffer.alloc(64 * 1024, 'x'), 5);
    const { error, elapsed } = await connectFails(url, 5_000);
    expect(error.status).toBe(503);
    expect(error.body.length).toBe(4096);
    // Well before the deadline: the refusal is known, its body is only an explanation.
    expect(elapsed).toBeLessThan(2_000);
  });
});

describe('connect() builds its request with the engine (buildClientRequest)', () => {
  it('refuses headers the handshake writes itself, and a subprotocol that is not a token, before connecting', async () => {
    let connections = 0;
    const server = createNetServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `ws://127.0.0.1:${(server.address() as { port: number }).port}/`;
    try {
      const refused: ConnectOptions[] = [
        { headers: { 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==' } },
        { headers: { Upgrade: 'h2c' } },
        { protocols: ['not a token'] },
      ];
      for (const options of refused) {
        const error = await connect(url, options).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(ConnectError);
        expect((error as ConnectError).message).toMatch(/^invalid handshake request: /);
        expect((error as ConnectError).cause).toBeInstanceOf(Error);
      }
      expect(connections).toBe(0);
    } finally {
      server.close();
    }
  });
});
