// Raw TCP endpoints for the integration tests: a client that writes the opening handshake by hand and then reads
// and writes frames byte for byte, a server that answers with a hand-made 101, and a plain HTTP exchange for
// refused handshakes. Everything is bounded by timeouts.
import { createHash } from 'node:crypto';
import {
  connect as netConnect,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import { closePayload, encodeFrame, FrameReader, Op, parseClosePayload, type Frame, type FrameSpec } from './frames.js';
import { delay } from './wait.js';
import { generateKey } from '../../src/protocol/random.js';

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export function acceptKey(key: string): string {
  return createHash('sha1')
    .update(key + GUID)
    .digest('base64');
}

export interface HttpHead {
  status: number;
  statusText: string;
  /** Lower-cased names; repeated headers joined with ", ". */
  headers: Record<string, string>;
  raw: string;
}

export interface RequestHead {
  method: string;
  path: string;
  headers: Record<string, string>;
  raw: string;
}

const HEAD_END = Buffer.from('\r\n\r\n');

function parseHeaderLines(lines: string[]): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  return headers;
}

export function parseResponseHead(raw: string): HttpHead {
  const lines = raw.split('\r\n');
  const match = /^HTTP\/1\.[01] (\d{3}) ?(.*)$/.exec(lines[0] ?? '');
  if (match === null) throw new Error(`not an HTTP response: ${JSON.stringify(raw.slice(0, 80))}`);
  return { status: Number(match[1]), statusText: match[2], headers: parseHeaderLines(lines.slice(1)), raw };
}

function parseRequestHead(raw: string): RequestHead {
  const lines = raw.split('\r\n');
  const [method = '', path = ''] = (lines[0] ?? '').split(' ');
  return { method, path, headers: parseHeaderLines(lines.slice(1)), raw };
}

export interface UpgradeRequestOptions {
  path?: string;
  host?: string;
  key?: string;
  method?: string;
  /** Extra headers (or overrides of the defaults, matched case-insensitively). `null` removes a default header. */
  headers?: Record<string, string | null>;
}

/** The text of a client opening handshake (RFC 6455 §4.1), with every header under the caller's control. */
export function upgradeRequest(port: number, options: UpgradeRequestOptions = {}): string {
  const defaults: Record<string, string | null> = {
    Host: options.host ?? `127.0.0.1:${port}`,
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Sec-WebSocket-Key': options.key ?? generateKey(),
    'Sec-WebSocket-Version': '13',
  };
  const merged = new Map<string, [string, string | null]>();
  for (const [name, value] of Object.entries(defaults)) merged.set(name.toLowerCase(), [name, value]);
  for (const [name, value] of Object.entries(options.headers ?? {})) merged.set(name.toLowerCase(), [name, value]);
  let text = `${options.method ?? 'GET'} ${options.path ?? '/'} HTTP/1.1\r\n`;
  for (const [name, value] of merged.values()) if (value !== null) text += `${name}: ${value}\r\n`;
  return text + '\r\n';
}

/**
 * Frame I/O over a TCP socket: what arrives is decoded by the naive `FrameReader`; what we send is encoded by the
 * naive `encodeFrame`, masked when we play the client.
 */
export class RawPeer {
  readonly socket: Socket;
  /** The peer half-closed (FIN). */
  ended = false;
  /** The socket is fully closed. */
  closed = false;
  /** Every frame received, in order, including those already returned by `nextFrame`. */
  readonly frames: Frame[] = [];
  /** Every byte received after the handshake, in order. */
  readonly received: Buffer[] = [];
  private readonly reader = new FrameReader();
  private readonly queue: Frame[] = [];
  private wake: (() => void) | null = null;
  private readonly closedPromise: Promise<void>;

  constructor(
    socket: Socket,
    private readonly maskOutgoing: boolean,
    leftover: Buffer = Buffer.alloc(0),
  ) {
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('error', () => undefined);
    socket.on('end', () => {
      this.ended = true;
      this.poke();
    });
    this.closedPromise = new Promise((resolve) =>
      socket.once('close', () => {
        this.closed = true;
        this.poke();
        resolve();
      }),
    );
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    if (leftover.length > 0) this.onData(leftover);
  }

  private onData(chunk: Buffer): void {
    this.received.push(chunk);
    this.reader.push(chunk);
    for (let frame = this.reader.next(); frame !== null; frame = this.reader.next()) {
      this.frames.push(frame);
      this.queue.push(frame);
    }
    this.poke();
  }

  private poke(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }

  /** Sends one frame (masked by default when we are the client). */
  send(spec: FrameSpec): void {
    this.socket.write(this.encode(spec));
  }

  encode(spec: FrameSpec): Buffer {
    return encodeFrame({ mask: this.maskOutgoing, ...spec });
  }

  sendText(text: string | Uint8Array, fin = true): void {
    this.send({ opcode: Op.Text, payload: text, fin });
  }

  sendBinary(data: Uint8Array, fin = true): void {
    this.send({ opcode: Op.Binary, payload: data, fin });
  }

  sendClose(code?: number, reason: string | Uint8Array = ''): void {
    this.send({ opcode: Op.Close, payload: code === undefined ? undefined : closePayload(code, reason) });
  }

  write(bytes: Uint8Array | string): void {
    this.socket.write(bytes);
  }

  /** Writes `bytes` in pieces of `size` bytes, yielding to the event loop between pieces so they arrive apart. */
  async writeInPieces(bytes: Uint8Array, size = 1): Promise<void> {
    for (let i = 0; i < bytes.length; i += size) {
      this.socket.write(bytes.subarray(i, i + size));
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  /** The next frame, or a rejection after `timeout` ms or when the connection ends without one. */
  async nextFrame(timeout = 2_000): Promise<Frame> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const frame = this.queue.shift();
      if (frame !== undefined) return frame;
      if (this.closed || this.ended)
        throw new Error(`connection ended without another frame (${this.reader.pendingBytes} bytes pending)`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no frame within ${timeout} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  /** Resolves with the next frame if one arrives within `ms`, else null. */
  async maybeFrame(ms: number): Promise<Frame | null> {
    try {
      return await this.nextFrame(ms);
    } catch {
      return null;
    }
  }

  /**
   * Reads frames until a Close frame; returns its code and reason and the frames that came before it. Rejects if
   * none arrives within `timeout` ms.
   */
  async expectClose(timeout = 2_000): Promise<{ code: number; reason: string; before: Frame[] }> {
    const before: Frame[] = [];
    const deadline = Date.now() + timeout;
    for (;;) {
      const frame = await this.nextFrame(Math.max(1, deadline - Date.now()));
      if (frame.opcode === Op.Close) return { ...parseClosePayload(frame.payload), before };
      before.push(frame);
    }
  }

  /** Resolves when the TCP connection is fully closed; rejects after `timeout` ms. */
  async waitClosed(timeout = 2_000): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.closedPromise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`TCP connection still open after ${timeout} ms`)), timeout);
      }),
    ]).finally(() => clearTimeout(timer));
  }

  /** Resolves when the peer has half-closed (or closed) the connection; rejects after `timeout` ms. */
  async waitEnded(timeout = 2_000): Promise<void> {
    const deadline = Date.now() + timeout;
    while (!this.ended && !this.closed) {
      if (Date.now() >= deadline) throw new Error(`peer did not end the connection within ${timeout} ms`);
      await delay(5);
    }
  }

  /** Stops reading from the socket (the kernel buffers fill up, then the peer's writes back up). */
  pause(): void {
    this.socket.pause();
  }

  resume(): void {
    this.socket.resume();
  }

  end(): void {
    this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }
}

const openPeers: RawPeer[] = [];
const openServers: RawServer[] = [];
const openSockets: Socket[] = [];

/** Call from afterEach: destroys every raw socket and server the helpers created. */
export async function cleanupRaw(): Promise<void> {
  for (const peer of openPeers.splice(0)) peer.destroy();
  for (const socket of openSockets.splice(0)) socket.destroy();
  await Promise.all(openServers.splice(0).map((s) => s.close()));
}

function openSocket(port: number, host = '127.0.0.1', timeout = 2_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, host);
    openSockets.push(socket);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`could not connect to ${host}:${port} within ${timeout} ms`));
    }, timeout);
    socket.once('connect', () => {
      clearTimeout(timer);
      resolve(socket);
    });
    socket.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

/** Reads from `socket` until the head of an HTTP message is complete; returns it and the bytes after it. */
function readHead(socket: Socket, timeout: number): Promise<{ head: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buffered = Buffer.alloc(0);
    const done = (error: Error | null, value?: { head: string; rest: Buffer }): void => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      if (error !== null) reject(error);
      else resolve(value!);
    };
    const onData = (chunk: Buffer): void => {
      buffered = Buffer.concat([buffered, chunk]);
      const end = buffered.indexOf(HEAD_END);
      if (end === -1) return;
      socket.pause();
      done(null, { head: buffered.subarray(0, end).toString('latin1'), rest: buffered.subarray(end + 4) });
    };
    const onClose = (): void =>
      done(
        new Error(
          `connection closed before a complete HTTP head (${JSON.stringify(buffered.toString('latin1').slice(0, 200))})`,
        ),
      );
    const timer = setTimeout(() => done(new Error(`no complete HTTP head within ${timeout} ms`)), timeout);
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}

/** A raw WebSocket client: hand-written opening handshake, then frame-level I/O. */
export class RawClient extends RawPeer {
  constructor(
    socket: Socket,
    readonly response: HttpHead,
    readonly key: string,
    leftover: Buffer,
  ) {
    super(socket, true, leftover);
    openPeers.push(this);
  }

  /**
   * Connects and performs the opening handshake. Rejects unless the server answers 101 with the right
   * Sec-WebSocket-Accept (use `rawHttp` to look at refusals).
   */
  static async connect(
    port: number,
    options: UpgradeRequestOptions & { timeout?: number; withHead?: Buffer } = {},
  ): Promise<RawClient> {
    const key = options.key ?? generateKey();
    const socket = await openSocket(port);
    // `withHead`: frames written in the same TCP write as the request head (they reach the server as `head`).
    socket.write(
      Buffer.concat([Buffer.from(upgradeRequest(port, { ...options, key })), options.withHead ?? Buffer.alloc(0)]),
    );
    const { head, rest } = await readHead(socket, options.timeout ?? 2_000);
    const response = parseResponseHead(head);
    if (response.status !== 101) throw new Error(`expected 101, got ${response.status}: ${head}`);
    if (response.headers['sec-websocket-accept'] !== acceptKey(key))
      throw new Error(`bad Sec-WebSocket-Accept in ${head}`);
    const client = new RawClient(socket, response, key, rest);
    socket.resume();
    return client;
  }
}

export interface RawHttpResult extends HttpHead {
  body: string;
}

/**
 * Sends `request` (any bytes: a full or partial head) and reads the response until the server closes the connection
 * or `timeout` ms pass. Rejects if nothing that looks like a response head arrived.
 */
export async function rawHttp(port: number, request: string | Buffer, timeout = 2_000): Promise<RawHttpResult> {
  const socket = await openSocket(port);
  socket.on('error', () => undefined);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.write(request);
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, timeout)))]);
  clearTimeout(timer);
  socket.destroy();
  const all = Buffer.concat(chunks);
  const end = all.indexOf(HEAD_END);
  if (end === -1)
    throw new Error(`no HTTP response head within ${timeout} ms: ${JSON.stringify(all.toString('latin1'))}`);
  const head = parseResponseHead(all.subarray(0, end).toString('latin1'));
  return { ...head, body: all.subarray(end + 4).toString('utf8') };
}

/** A TCP connection whose fate the test watches: when it closes and what, if anything, the server wrote. */
export async function openStalled(
  port: number,
  bytes: string | Buffer,
): Promise<{ socket: Socket; received: () => string; closedAt: Promise<number> }> {
  const socket = await openSocket(port);
  socket.on('error', () => undefined);
  const chunks: Buffer[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  const closedAt = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  socket.write(bytes);
  return { socket, received: () => Buffer.concat(chunks).toString('latin1'), closedAt };
}

/** What a `RawServer` answers an upgrade request with: the default is a correct 101. */
export type RawResponder = (request: RequestHead) => string;

export function default101(request: RequestHead, extraHeaders: Record<string, string> = {}): string {
  let text = 'HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n';
  text += `Sec-WebSocket-Accept: ${acceptKey(request.headers['sec-websocket-key'] ?? '')}\r\n`;
  for (const [name, value] of Object.entries(extraHeaders)) text += `${name}: ${value}\r\n`;
  return text + '\r\n';
}

/** The server end of one raw connection, after our hand-made response. */
export class RawServerPeer extends RawPeer {
  constructor(
    socket: Socket,
    readonly request: RequestHead,
    leftover: Buffer,
  ) {
    super(socket, false, leftover);
    openPeers.push(this);
  }
}

/** A TCP server that reads a request head, writes whatever `respond` returns, then speaks raw frames. */
export class RawServer {
  private readonly pending: RawServerPeer[] = [];
  private readonly waiters: ((peer: RawServerPeer) => void)[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(
    readonly server: NetServer,
    private readonly respond: RawResponder,
  ) {}

  static async start(respond: RawResponder = (request) => default101(request)): Promise<RawServer> {
    const server = createNetServer();
    const raw = new RawServer(server, respond);
    server.on('connection', (socket) => raw.onConnection(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    openServers.push(raw);
    return raw;
  }

  get port(): number {
    const address = this.server.address();
    if (address === null || typeof address === 'string') throw new Error('not listening');
    return address.port;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}/`;
  }

  private onConnection(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => undefined);
    readHead(socket, 2_000).then(
      ({ head, rest }) => {
        const request = parseRequestHead(head);
        socket.write(this.respond(request));
        const peer = new RawServerPeer(socket, request, rest);
        socket.resume();
        const waiter = this.waiters.shift();
        if (waiter !== undefined) waiter(peer);
        else this.pending.push(peer);
      },
      () => socket.destroy(),
    );
  }

  /** The next connection whose handshake we answered. */
  nextPeer(timeout = 2_000): Promise<RawServerPeer> {
    const queued = this.pending.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    return new Promise((resolve, reject) => {
      const waiter = (peer: RawServerPeer): void => {
        clearTimeout(timer);
        resolve(peer);
      };
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i !== -1) this.waiters.splice(i, 1);
        reject(new Error(`no connection within ${timeout} ms`));
      }, timeout);
      this.waiters.push(waiter);
    });
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
