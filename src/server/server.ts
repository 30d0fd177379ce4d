import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server as HttpServer,
  type ServerResponse,
} from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { ReadyState } from '../protocol/index.js';
import type { PerMessageDeflateSettings } from './compression-options.js';
import { checkDeflateCodecOptions } from './deflate-codec.js';
import { guardHandlers, toError, type HandshakeErrorHook } from './hooks.js';
import { DEFAULT_SERVER_OPTIONS, resolveSocketOptions, type MessageBudgetOption } from './options.js';
import { PreparedMessage } from './prepared.js';
import { type WsSocket, type BackpressurePolicy, type SendResult, type SocketHandlers } from './socket.js';
import { performUpgrade, refuse, type AuthorizeResult } from './upgrade.js';

/**
 * Options of `createServer`: standalone (`port`), attached to your server (`server`) or without a server
 * (`noServer`). Every field is optional; the numeric defaults are also in `DEFAULT_SOCKET_OPTIONS` and
 * `DEFAULT_SERVER_OPTIONS`.
 */
export interface ServerOptions<D = unknown> {
  /**
   * Standalone mode: listen on this port (0 = any free port).
   *
   * @defaultValue `undefined`: not standalone
   */
  port?: number;
  /**
   * Standalone mode: the interface to listen on.
   *
   * @defaultValue `undefined`: all interfaces (Node's default)
   */
  host?: string;
  /**
   * Attach mode: handle upgrades of this existing `http`/`https` server (its other requests stay yours).
   *
   * @defaultValue `undefined`
   */
  server?: HttpServer | HttpsServer;
  /**
   * No-server mode: call `handleUpgrade` yourself (Express, Fastify, Koa...).
   *
   * @defaultValue `false`
   */
  noServer?: boolean;
  /**
   * Only upgrade requests for this pathname (query ignored).
   *
   * @defaultValue `undefined`: any path
   */
  path?: string;
  /**
   * The socket callbacks (`open`, `message`, `close`, `drain`, `ping`, `pong`, `error`), one object for every socket.
   * A handler that throws is contained: see docs/server.md, "Errors in your hooks".
   *
   * @defaultValue `{}`
   */
  handlers?: SocketHandlers<D>;
  /**
   * Decides on each upgrade before the 101: `true`/`undefined` accepts, `false` refuses with 401, `reject(status,
   * body, headers)` refuses with that response, `{ data }` accepts with that `ws.data`. May be async; a throw or
   * rejection answers 500 (see `handshakeError`).
   *
   * @defaultValue `undefined`: every upgrade is accepted
   */
  authorize?: (req: IncomingMessage) => AuthorizeResult<D> | Promise<AuthorizeResult<D>>;
  /**
   * Allowed `Origin` values (exact strings) or a predicate; other origins get 403 before `authorize` runs. Browsers
   * send `Origin`, so a server that relies on cookies should set this (docs/server.md, "Origin checks").
   *
   * @defaultValue `undefined`: any origin
   */
  origins?: readonly string[] | ((origin: string | undefined, req: IncomingMessage) => boolean);
  /**
   * Supported subprotocols, in preference order (the client's first offer that is supported wins), or a chooser that
   * returns the one to select (`undefined`: none).
   *
   * @defaultValue `undefined`: no subprotocol is selected
   */
  protocols?: readonly string[] | ((offered: readonly string[], req: IncomingMessage) => string | undefined);
  /**
   * permessage-deflate: `true` or settings to enable it; Besides the negotiated parameters:
   * `threshold` (smallest message compressed), `level` and `memLevel` (our zlib compressor's).
   *
   * @defaultValue `false`
   */
  perMessageDeflate?: boolean | PerMessageDeflateSettings;
  /**
   * Initial `ws.data` for each socket (when `authorize` gives none).
   *
   * @defaultValue `undefined`: `ws.data` is `undefined`
   */
  createData?: (req: IncomingMessage) => D;
  /**
   * A hook that runs before the 101 (`authorize`, `origins`, `protocols`, `createData`) threw or rejected: the client
   * got a 500, this gets the error (there is no socket yet for the `error` handler).
   *
   * @defaultValue a process warning
   */
  handshakeError?: HandshakeErrorHook;
  /**
   * Plain HTTP requests in standalone mode.
   *
   * @defaultValue `undefined`: 426 Upgrade Required
   */
  request?: (req: IncomingMessage, res: ServerResponse) => void;
  /**
   * Largest message accepted, in bytes, after decompression; larger → close 1009.
   *
   * @defaultValue `16_777_216` (16 MiB)
   */
  maxPayload?: number;
  /**
   * Most fragments one message may arrive in; more → close 1009.
   *
   * @defaultValue `131_072`
   */
  maxFragments?: number;
  /**
   * The opening handshake (request head and `authorize`) must finish within this many ms; otherwise 408 and the
   * connection is closed (slowloris).
   *
   * @defaultValue `10_000`
   */
  handshakeTimeout?: number;
  /**
   * Standalone mode: largest request head, in bytes; Node answers 431 above it.
   *
   * @defaultValue `16_384` (16 KiB)
   */
  maxHeaderSize?: number;
  /**
   * How long, in ms, the peer may take to finish the close handshake before the TCP connection is destroyed (the
   * `close` handler then reports 1006). A client waits as long again, after the handshake, for the server to close
   * TCP (RFC 6455 §7.1.1).
   *
   * @defaultValue `5_000`
   */
  closeTimeout?: number;
  /**
   * Close (1001) a socket with no traffic in either direction for this many ms; 0 = never.
   *
   * @defaultValue `0`
   */
  idleTimeout?: number;
  /**
   * Per-socket cap, in bytes, on what is queued for writing; past it `backpressurePolicy` applies (an empty buffer
   * accepts any single message).
   *
   * @defaultValue `16_777_216` (16 MiB)
   */
  maxBufferedAmount?: number;
  /**
   * What a send over `maxBufferedAmount` does: `'drop'` drops that message (`send` returns `'dropped'`), `'close'`
   * closes the socket with 4000 (`CLOSE_CODE_BACKPRESSURE`).
   *
   * @defaultValue `'drop'`
   */
  backpressurePolicy?: BackpressurePolicy;
  /**
   * Stop reading from a peer while our writes to it are backed up (resume on `drain`), so a peer that does not read
   * cannot make us buffer without bound.
   *
   * @defaultValue `true`
   */
  pauseOnBackpressure?: boolean;
  /**
   * Bytes of pongs queued since the send buffer was last empty, past which a peer that pings without reading stops
   * being read until it does (whatever `pauseOnBackpressure` says).
   *
   * @defaultValue `65_536` (64 KiB)
   */
  maxControlBacklog?: number;
  /**
   * A message must be complete within this many ms of its first chunk, else close 1008; 0 = no limit.
   *
   * @defaultValue `60_000`
   */
  messageTimeout?: number;
  /**
   * Bytes of unfinished messages (inflated bytes included) that all sockets sharing the budget may hold; the socket
   * whose message does not fit is closed 1013. A number gives this server (or client) a budget of its own; a
   * `MessageBudget` can be shared.
   *
   * @defaultValue the process-wide budget of 128 MiB (`processMessageBudget()`)
   */
  messageBudget?: MessageBudgetOption;
}

/**
 * Accepts WebSocket connections. Create with `createServer`. `clients` holds every open socket; `publish`-style
 * fan-out is `broadcast`, which frames the message once.
 */
export class WsServer<D = unknown> {
  /** The open sockets (removed when they close). */
  readonly clients = new Set<WsSocket<D>>();
  /** The HTTP server: ours in standalone mode, yours in attach mode, null in no-server mode. */
  readonly httpServer: HttpServer | HttpsServer | null;
  private readonly ownsHttpServer: boolean;
  private readonly options: ServerOptions<D>;
  private readonly handlers: SocketHandlers<D>;
  private readonly upgradeOptions: Parameters<typeof performUpgrade<D>>[3];
  private closing = false;
  /** Sockets between the upgrade request and the 101 (e.g. waiting for `authorize`): refused by `close()`. */
  private readonly handshakes = new Set<Duplex>();
  private readonly closeCallbacks: (() => void)[] = [];

  /** @internal Use `createServer`. */
  constructor(options: ServerOptions<D>, httpServer: HttpServer | HttpsServer | null, ownsHttpServer: boolean) {
    this.options = options;
    this.httpServer = httpServer;
    this.ownsHttpServer = ownsHttpServer;
    // Every user hook goes through the one error boundary (hooks.ts), wrapped once here for all sockets.
    const userHandlers = guardHandlers(options.handlers ?? {});
    const clients = this.clients;
    // The server keeps `clients` in step with the user's handlers; still one handler object for all sockets.
    this.handlers = {
      ...userHandlers,
      close(ws, code, reason) {
        clients.delete(ws);
        userHandlers.close?.(ws, code, reason);
      },
    };
    const deflate = options.perMessageDeflate;
    const deflateOptions = deflate === true ? {} : deflate === false || deflate === undefined ? false : deflate;
    if (deflateOptions !== false) checkDeflateCodecOptions(deflateOptions);
    this.upgradeOptions = {
      handlers: this.handlers,
      socketOptions: resolveSocketOptions({
        ...options,
        compressionThreshold: deflateOptions === false ? undefined : deflateOptions.threshold,
      }),
      authorize: options.authorize,
      origins: options.origins,
      protocols: options.protocols,
      perMessageDeflate: deflateOptions,
      handshakeTimeout: options.handshakeTimeout ?? DEFAULT_SERVER_OPTIONS.handshakeTimeout,
      createData: options.createData,
      onAccepted: (ws) => {
        clients.add(ws);
      },
      handshakeError: options.handshakeError,
    };
  }

  /** @internal Runs `callback` when `close()` starts. */
  onClose(callback: () => void): void {
    this.closeCallbacks.push(callback);
  }

  /** The bound address in standalone/attach mode. */
  address(): AddressInfo {
    const address = this.httpServer?.address();
    if (address === null || address === undefined || typeof address === 'string')
      throw new Error('server is not listening on TCP');
    return address;
  }

  /** The bound port (throws when the server does not listen on TCP). */
  get port(): number {
    return this.address().port;
  }

  /** Does this server take the upgrade of `req`? (path filter) */
  shouldHandle(req: IncomingMessage): boolean {
    if (this.options.path === undefined) return true;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    return (q === -1 ? url : url.slice(0, q)) === this.options.path;
  }

  /**
   * Completes a WebSocket upgrade for a request from your HTTP server's `upgrade` event. Resolves to the open
   * socket, or null when the handshake was refused (the client already got the HTTP error). Never rejects: a
   * failing hook is a 500 for the client and a call of `handshakeError`.
   */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): Promise<WsSocket<D> | null> {
    if (this.closing) {
      refuse(socket, 503, 'Server is shutting down');
      return Promise.resolve(null);
    }
    const handshakes = this.handshakes;
    handshakes.add(socket);
    return performUpgrade(req, socket, head, this.upgradeOptions).finally(() => handshakes.delete(socket));
  }

  /** Sends one message to every open socket (or those passing `filter`), framed once. */
  broadcast(data: string | Uint8Array, options?: { binary?: boolean; filter?: (ws: WsSocket<D>) => boolean }): number {
    const message = new PreparedMessage(data, options?.binary ?? typeof data !== 'string');
    let sent = 0;
    for (const ws of this.clients) {
      if (options?.filter !== undefined && !options.filter(ws)) continue;
      const result: SendResult = ws.sendPrepared(message);
      if (result !== 'dropped') sent++;
    }
    return sent;
  }

  /**
   * Graceful shutdown: stop accepting, send Close (1001 by default) to every socket, wait for them to finish the
   * handshake, then terminate what is left after `timeout` ms. Closes the HTTP server when it is ours.
   */
  async close(options?: { code?: number; reason?: string; timeout?: number }): Promise<void> {
    this.closing = true;
    for (const callback of this.closeCallbacks.splice(0)) callback();
    const code = options?.code ?? 1001;
    const reason = options?.reason ?? 'server shutting down';
    const timeout = options?.timeout ?? DEFAULT_SERVER_OPTIONS.shutdownTimeout;
    const httpClosed =
      this.ownsHttpServer && this.httpServer !== null ? closeHttpServer(this.httpServer) : Promise.resolve();
    // A pending handshake would otherwise open a socket after shutdown (and keep our HTTP server from closing).
    for (const socket of this.handshakes) refuse(socket, 503, 'Server is shutting down');
    this.handshakes.clear();
    for (const ws of this.clients) ws.close(code, reason);
    const deadline = Date.now() + timeout;
    while (this.clients.size > 0 && Date.now() < deadline) await delay(20);
    for (const ws of this.clients) ws.terminate();
    while (this.clients.size > 0) await delay(5);
    if (this.ownsHttpServer && this.httpServer !== null) this.httpServer.closeAllConnections?.();
    await httpClosed;
  }
}

/**
 * Creates a WebSocket server: standalone (`port`), attached to an existing HTTP(S) server (`server`), or without
 * a server (`noServer`, then call `handleUpgrade`). Resolves once listening.
 */
export async function createServer<D = unknown>(options: ServerOptions<D>): Promise<WsServer<D>> {
  if (options.noServer) return new WsServer<D>(options, null, false);
  if (options.server !== undefined) {
    const wss = new WsServer<D>(options, options.server, false);
    const http = options.server;
    const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
      if (wss.shouldHandle(req)) wss.handleUpgrade(req, socket, head).catch(warnUnexpected);
      else if (http.listenerCount('upgrade') === 1) refuse(socket, 404, 'Not Found');
    };
    http.on('upgrade', onUpgrade);
    // The HTTP server outlives us: take our listener off it when we close, so a later server can attach.
    wss.onClose(() => http.removeListener('upgrade', onUpgrade));
    return wss;
  }
  const handshakeTimeout = options.handshakeTimeout ?? DEFAULT_SERVER_OPTIONS.handshakeTimeout;
  const http = createHttpServer({
    maxHeaderSize: options.maxHeaderSize ?? DEFAULT_SERVER_OPTIONS.maxHeaderSize,
    // Node enforces headersTimeout only when it sweeps its connections, every 30 s by default: a stalled head would
    // live up to 30 s past the handshake timeout. Sweep often enough to close it within about a quarter more.
    connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(handshakeTimeout / 4))),
  });
  // Slowloris: a request head must arrive within the handshake timeout.
  http.headersTimeout = handshakeTimeout;
  http.requestTimeout = Math.max(handshakeTimeout, 1000);
  const wss = new WsServer<D>(options, http, true);
  http.on('request', options.request ?? upgradeRequired);
  http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (wss.shouldHandle(req)) wss.handleUpgrade(req, socket, head).catch(warnUnexpected);
    else refuse(socket, 404, 'Not Found');
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, options.host, () => {
      http.removeListener('error', reject);
      resolve();
    });
  });
  return wss;
}

/**
 * `handleUpgrade` never rejects (performUpgrade turns every failure into an HTTP answer); the promise is still never
 * left floating, so a future bug there is a warning, not an unhandled rejection that ends the process.
 */
function warnUnexpected(error: unknown): void {
  process.emitWarning(toError(error));
}

function upgradeRequired(_req: IncomingMessage, res: ServerResponse): void {
  const body = 'This is a WebSocket endpoint: connect with a WebSocket client.\n';
  res.writeHead(426, {
    'Content-Type': 'text/plain; charset=utf-8',
    Upgrade: 'websocket',
    Connection: 'Upgrade',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function closeHttpServer(server: HttpServer | HttpsServer): Promise<void> {
  return new Promise((resolve) => {
    if (!server.listening) return resolve();
    server.close(() => resolve());
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export { ReadyState };
