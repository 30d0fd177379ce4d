// Shared helpers for the gateway tests (not a test file itself): a gateway per test on a free port, a `ws` client
// that queues parsed messages, and a raw TCP client that does the opening handshake by hand.
import { randomBytes } from 'node:crypto';
import { connect as netConnect, type Socket } from 'node:net';
import WebSocket from 'ws';
import { createGateway, type Gateway, type GatewayOptions } from '../../src/gateway/index.js';

const gateways: Gateway[] = [];
const clients: TestClient[] = [];
const rawSockets: Socket[] = [];

/** A gateway on 127.0.0.1 and a free port, closed by `cleanup()`. */
export async function startGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const gateway = await createGateway({ port: 0, host: '127.0.0.1', ...options });
  gateways.push(gateway);
  return gateway;
}

export function wsUrl(gateway: Gateway, path = gateway.options.path): string {
  return `ws://127.0.0.1:${gateway.port}${path}`;
}

export function httpUrl(gateway: Gateway, path = '/'): string {
  return `http://127.0.0.1:${gateway.port}${path}`;
}

/** Call from afterEach: closes every client, raw socket and gateway the test made. */
export async function cleanup(): Promise<void> {
  for (const c of clients.splice(0)) c.ws.terminate();
  for (const s of rawSockets.splice(0)) s.destroy();
  await Promise.all(gateways.splice(0).map((g) => g.close({ timeout: 200 })));
}

/** A text message parsed as JSON, a text message that isn't JSON (string), or a binary one (Buffer). */
export type Received = Record<string, unknown> | Buffer | string;

/** A `ws` client (answers pings by itself) whose incoming messages are queued, JSON-parsed when text. */
export class TestClient {
  readonly ws: WebSocket;
  /** Resolves when the connection is closed, with the code and reason the client saw. */
  readonly closed: Promise<{ code: number; reason: string }>;
  private readonly queue: Received[] = [];
  private readonly waiters: ((m: Received) => void)[] = [];
  private nextId = 1;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() })),
    );
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      const message: Received = isBinary ? Buffer.from(data) : parseText(data.toString());
      const waiter = this.waiters.shift();
      if (waiter !== undefined) waiter(message);
      else this.queue.push(message);
    });
    ws.on('error', () => undefined);
  }

  static open(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, options);
      const client = new TestClient(ws);
      ws.once('open', () => {
        clients.push(client);
        resolve(client);
      });
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
      ws.once('error', reject);
    });
  }

  /** The next message, or a rejection after `timeout` ms. */
  next(timeout = 2_000): Promise<Received> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i !== -1) this.waiters.splice(i, 1);
        reject(new Error(`no message within ${timeout} ms`));
      }, timeout);
      const waiter = (m: Received): void => {
        clearTimeout(timer);
        resolve(m);
      };
      this.waiters.push(waiter);
    });
  }

  /** The next JSON message (fails on binary). */
  async json(timeout = 2_000): Promise<Record<string, unknown>> {
    const m = await this.next(timeout);
    if (Buffer.isBuffer(m) || typeof m === 'string') throw new Error(`expected a JSON message, got ${String(m)}`);
    return m;
  }

  /** Resolves true if nothing arrives within `ms`. */
  async silentFor(ms: number): Promise<boolean> {
    try {
      await this.next(ms);
      return false;
    } catch {
      return true;
    }
  }

  send(value: unknown): void {
    this.ws.send(typeof value === 'string' || Buffer.isBuffer(value) ? value : JSON.stringify(value));
  }

  /** Sends `{type, data, id}` and resolves with the reply or error carrying that id (other messages stay queued). */
  async request(type: string, data?: unknown, timeout = 2_000): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    this.send(data === undefined ? { type, id } : { type, data, id });
    const skipped: Received[] = [];
    try {
      for (;;) {
        const m = await this.next(timeout);
        if (typeof m === 'object' && !Buffer.isBuffer(m) && m.id === id) return m;
        skipped.push(m);
      }
    } finally {
      this.queue.unshift(...skipped);
    }
  }

  /** Drains messages until one matches (the others are discarded). */
  async until(match: (m: Received) => boolean, timeout = 2_000): Promise<Received> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const m = await this.next(Math.max(1, deadline - Date.now()));
      if (match(m)) return m;
    }
  }
}

function parseText(text: string): Received {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : text;
  } catch {
    return text;
  }
}

export function open(gateway: Gateway, options?: WebSocket.ClientOptions): Promise<TestClient> {
  return TestClient.open(wsUrl(gateway), options);
}

/** The socket id of a client: asks a `whoami`-like route (`__id`) registered by `withIdRoute`. */
export async function idOf(client: TestClient): Promise<string> {
  const reply = await client.request('__id');
  return reply.data as string;
}

export function withIdRoute(gateway: Gateway): Gateway {
  gateway.route('__id', ({ socket }) => socket.id);
  return gateway;
}

/**
 * A raw TCP client: sends the opening handshake by hand and resolves once the 101 arrived. It never answers pings
 * unless the test writes pongs itself. Bytes after the 101 are in `socket`'s stream (the handshake remainder is
 * unshifted back).
 */
export async function rawConnect(port: number, path = '/ws'): Promise<Socket> {
  const socket = netConnect(port, '127.0.0.1');
  rawSockets.push(socket);
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const key = randomBytes(16).toString('base64');
  socket.write(
    `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
  );
  let head = Buffer.alloc(0);
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf('\r\n\r\n');
      if (end === -1) return;
      socket.removeListener('data', onData);
      socket.pause();
      const status = head.subarray(0, head.indexOf('\r\n')).toString();
      if (!status.startsWith('HTTP/1.1 101')) return reject(new Error(`handshake refused: ${status}`));
      const rest = head.subarray(end + 4);
      if (rest.length > 0) socket.unshift(rest);
      resolve();
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed during handshake')));
  });
  return socket;
}

/** A masked client frame (RFC 6455 §5.3: clients MUST mask), FIN set. Payloads < 64 KiB. */
export function clientFrame(opcode: number, payload: Buffer | string): Buffer {
  const data = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const mask = randomBytes(4);
  const header =
    data.length < 126
      ? Buffer.from([0x80 | opcode, 0x80 | data.length])
      : Buffer.from([0x80 | opcode, 0x80 | 126, data.length >> 8, data.length & 0xff]);
  const masked = Buffer.alloc(data.length);
  for (let i = 0; i < data.length; i++) masked[i] = data[i]! ^ mask[i & 3]!;
  return Buffer.concat([header, mask, masked]);
}

/** Resolves with the time (ms since `since`) at which the raw socket was closed by the server. */
export function closedAt(socket: Socket, since: number): Promise<number> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve(Date.now() - since);
    socket.once('close', () => resolve(Date.now() - since));
  });
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every 5 ms until it is true or `timeout` ms passed; resolves to the last result. */
export async function waitFor(check: () => boolean | Promise<boolean>, timeout = 2_000): Promise<boolean> {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await check()) return true;
    if (Date.now() >= deadline) return false;
    await delay(5);
  }
}

/** An HTTP reply as the gateway tests read it: `json` is undefined when the body is not JSON (metrics, HTML). */
export interface HttpReply {
  status: number;
  headers: Headers;
  text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read the JSON replies field by field
  json: any;
}

/** One HTTP request; an object `body` is sent as JSON. */
export async function httpCall(
  url: string,
  method: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpReply> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] = 'application/json';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}
