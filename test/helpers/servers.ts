// wsgate servers and `ws` clients for the integration tests, each tracked so that `cleanupAll()` (from afterEach)
// tears down whatever a test left open, even when it failed half-way.
import WebSocket, { WebSocketServer } from 'ws';
import { createServer, type ServerOptions, type WsServer } from '../../src/server/server.js';
import type { SocketHandlers, WsSocket } from '../../src/server/socket.js';
import { cleanupRaw } from './raw.js';

const servers: WsServer<unknown>[] = [];
const wsClients: WsClient[] = [];
const wsServers: WebSocketServer[] = [];
const cleanups: (() => void | Promise<void>)[] = [];

/** Registers extra teardown work (http servers, wsgate client sockets...). */
export function onCleanup(fn: () => void | Promise<void>): void {
  cleanups.push(fn);
}

/** Tears down everything the helpers created. Call from afterEach. */
export async function cleanupAll(): Promise<void> {
  for (const client of wsClients.splice(0)) client.ws.terminate();
  for (const fn of cleanups.splice(0).reverse()) await fn();
  await cleanupRaw();
  await Promise.all(servers.splice(0).map((s) => s.close({ timeout: 100 })));
  await Promise.all(
    wsServers.splice(0).map(
      (s) =>
        new Promise<void>((resolve) => {
          for (const c of s.clients) c.terminate();
          s.close(() => resolve());
        }),
    ),
  );
}

/** A standalone wsgate server on 127.0.0.1 and a free port. */
export async function startServer<D = unknown>(options: ServerOptions<D> = {}): Promise<WsServer<D>> {
  const server = await createServer<D>({ port: 0, host: '127.0.0.1', ...options });
  servers.push(server as WsServer<unknown>);
  return server;
}

/** Everything a server's handlers saw, in order. */
export class Recorder<D = unknown> {
  readonly opened: WsSocket<D>[] = [];
  readonly messages: { ws: WsSocket<D>; data: Buffer; isBinary: boolean }[] = [];
  readonly closes: { ws: WsSocket<D>; code: number; reason: string; at: number }[] = [];
  readonly errors: { ws: WsSocket<D>; error: Error }[] = [];
  readonly pings: Buffer[] = [];
  readonly pongs: Buffer[] = [];
  readonly drains: WsSocket<D>[] = [];
  /** Event names in order: 'open', 'message', 'close', 'error', 'ping', 'pong', 'drain'. */
  readonly log: string[] = [];

  /** Handlers that record, then call `extra`'s handler of the same name. */
  handlers(extra: SocketHandlers<D> = {}): SocketHandlers<D> {
    return {
      open: (ws) => {
        this.opened.push(ws);
        this.log.push('open');
        extra.open?.(ws);
      },
      message: (ws, data, isBinary) => {
        this.messages.push({ ws, data: Buffer.from(data), isBinary });
        this.log.push('message');
        extra.message?.(ws, data, isBinary);
      },
      close: (ws, code, reason) => {
        this.closes.push({ ws, code, reason, at: Date.now() });
        this.log.push('close');
        extra.close?.(ws, code, reason);
      },
      error: (ws, error) => {
        this.errors.push({ ws, error });
        this.log.push('error');
        extra.error?.(ws, error);
      },
      ping: (ws, data) => {
        this.pings.push(Buffer.from(data));
        this.log.push('ping');
        extra.ping?.(ws, data);
      },
      pong: (ws, data) => {
        this.pongs.push(Buffer.from(data));
        this.log.push('pong');
        extra.pong?.(ws, data);
      },
      drain: (ws) => {
        this.drains.push(ws);
        this.log.push('drain');
        extra.drain?.(ws);
      },
    };
  }
}

/** Echoes every message back with the same type (compressed when `compress`). */
export function echoHandlers<D>(compress = false): SocketHandlers<D> {
  return {
    message(ws, data, isBinary) {
      ws.send(data, { binary: isBinary, compress });
    },
  };
}

/** A wsgate echo server that records what its handlers saw. */
export async function startEchoServer<D = unknown>(
  options: ServerOptions<D> = {},
  compress = false,
): Promise<{ server: WsServer<D>; events: Recorder<D>; url: string }> {
  const events = new Recorder<D>();
  const server = await startServer<D>({ ...options, handlers: events.handlers(echoHandlers<D>(compress)) });
  return { server, events, url: `ws://127.0.0.1:${server.port}/` };
}

/** A `ws` WebSocketServer on a free port, closed by `cleanupAll`. */
export async function startWsServer(
  options: WebSocket.ServerOptions = {},
): Promise<{ server: WebSocketServer; url: string }> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1', ...options });
  wsServers.push(server);
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('ws server has no TCP address');
  return { server, url: `ws://127.0.0.1:${address.port}/` };
}

export interface Received {
  data: Buffer;
  isBinary: boolean;
}

/** A `ws` client whose incoming messages are queued; `closed` resolves with what the client saw. */
export class WsClient {
  readonly closed: Promise<{ code: number; reason: string }>;
  /** Headers of the server's 101 response (lower-cased names). */
  responseHeaders: Record<string, string | string[] | undefined> = {};
  private readonly queue: Received[] = [];
  private readonly waiters: ((m: Received) => void)[] = [];

  private constructor(readonly ws: WebSocket) {
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      const buffer = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer);
      const message = { data: buffer, isBinary };
      const waiter = this.waiters.shift();
      if (waiter !== undefined) waiter(message);
      else this.queue.push(message);
    });
    ws.on('error', () => undefined);
  }

  static open(url: string, protocols: string[] = [], options: WebSocket.ClientOptions = {}): Promise<WsClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, protocols, options);
      const client = new WsClient(ws);
      wsClients.push(client);
      ws.once('upgrade', (res) => {
        client.responseHeaders = res.headers;
      });
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  next(timeout = 2_000): Promise<Received> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const waiter = (m: Received): void => {
        clearTimeout(timer);
        resolve(m);
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i !== -1) this.waiters.splice(i, 1);
        reject(new Error(`no message within ${timeout} ms`));
      }, timeout);
      this.waiters.push(waiter);
    });
  }

  /** Sends and waits for the echo. */
  async roundTrip(data: string | Buffer, options: { binary?: boolean; compress?: boolean } = {}): Promise<Received> {
    this.ws.send(data, { binary: options.binary ?? typeof data !== 'string', compress: options.compress });
    return this.next(5_000);
  }
}
