import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import type { SecureContextOptions } from 'node:tls';
import {
  acceptDeflateResponse,
  buildDeflateOffer,
  formatExtensions,
  PERMESSAGE_DEFLATE,
  buildClientRequest,
  type ClientRequest,
  validateServerResponse,
  type PerMessageCodec,
} from '../protocol/index.js';
import type { PerMessageDeflateSettings } from './compression-options.js';
import { checkDeflateCodecOptions, createDeflateCodec } from './deflate-codec.js';
import { guardHandlers } from './hooks.js';
import { DEFAULT_CLIENT_OPTIONS, resolveSocketOptions, type MessageBudgetOption } from './options.js';
import { WsSocket, type BackpressurePolicy, type SocketHandlers } from './socket.js';

/** Options of `connect(url, options)`. Every field is optional; the socket limits default as a server's do. */
export interface ConnectOptions<D = unknown> {
  /**
   * Subprotocols to offer, in preference order.
   *
   * @defaultValue `[]`: none
   */
  protocols?: readonly string[];
  /**
   * Extra request headers (Authorization, Cookie, Origin...).
   *
   * @defaultValue `{}`
   */
  headers?: Record<string, string>;
  /**
   * Offer permessage-deflate (`true` or settings: the parameters to offer, plus `threshold`, `level` and
   * `memLevel` of our compressor).
   *
   * @defaultValue `false`
   */
  perMessageDeflate?: boolean | PerMessageDeflateSettings;
  /**
   * The whole opening handshake must finish within this many ms, however slowly the server sends (an absolute
   * deadline, not an idle timer).
   *
   * @defaultValue `10_000`
   */
  timeout?: number;
  /**
   * Aborts the opening handshake: until the 101 arrives, aborting rejects with a `ConnectError` whose `cause` is
   * `signal.reason` and destroys the request. Once `connect` has resolved the signal has no effect (close the
   * socket instead).
   *
   * @defaultValue `undefined`
   */
  signal?: AbortSignal;
  /**
   * The socket callbacks (`open`, `message`, `close`, `drain`, `ping`, `pong`, `error`), one object for every socket.
   * A handler that throws is contained: see docs/server.md, "Errors in your hooks".
   *
   * @defaultValue `{}`
   */
  handlers?: SocketHandlers<D>;
  /**
   * Initial `ws.data`.
   *
   * @defaultValue `undefined`
   */
  data?: D;
  /**
   * TLS options for wss: (ca, cert, key, rejectUnauthorized, servername...).
   *
   * @defaultValue `{}`
   */
  tls?: SecureContextOptions & {
    /** Refuse a server whose certificate does not verify (Node: `true` unless said otherwise). */
    rejectUnauthorized?: boolean;
    /** SNI server name (default: the URL's host name). */
    servername?: string;
  };
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
 * Why `connect` failed: the HTTP status (0 when the server never answered) and, for refusals, the body. When a lower
 * layer failed — the TCP connection (`ECONNREFUSED`...), TLS, the URL parser — or the handshake was aborted, `cause`
 * is that error (or the `AbortSignal`'s reason).
 */
export class ConnectError extends Error {
  /** `'ConnectError'` */
  override readonly name = 'ConnectError';
  constructor(
    message: string,
    /** The HTTP status of a refused upgrade; 0 when no response came (network error, timeout, abort). */
    readonly status = 0,
    /** The start of a refused upgrade's response body (at most 4,096 characters); `''` otherwise. */
    readonly body = '',
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

/**
 * Opens a WebSocket client connection over `ws:` or `wss:` (RFC 6455 §4.1). Resolves with an open socket — the
 * same `WsSocket` type servers hand out — or rejects with a `ConnectError` saying why.
 */
export function connect<D = unknown>(url: string | URL, options: ConnectOptions<D> = {}): Promise<WsSocket<D>> {
  return new Promise((resolve, rejectPromise) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch (error) {
      return rejectPromise(new ConnectError(`invalid URL: ${String(url)}`, 0, '', { cause: error }));
    }
    if (target.protocol === 'http:') target.protocol = 'ws:';
    if (target.protocol === 'https:') target.protocol = 'wss:';
    if (target.protocol !== 'ws:' && target.protocol !== 'wss:') {
      return rejectPromise(new ConnectError(`unsupported URL scheme ${target.protocol} (use ws: or wss:)`));
    }
    if (target.hash !== '') return rejectPromise(new ConnectError('a WebSocket URL must not have a fragment'));

    const protocols = options.protocols ?? [];
    const deflate = options.perMessageDeflate;
    const deflateOptions: PerMessageDeflateSettings | null =
      deflate === true ? {} : deflate === false || deflate === undefined ? null : deflate;
    if (deflateOptions !== null) checkDeflateCodecOptions(deflateOptions);
    const signal = options.signal;
    if (signal?.aborted === true) return rejectPromise(abortError(signal));
    // The engine's client handshake builds the request (RFC 6455 §4.1), as it does for any other transport: the
    // nonce, the Host header (URL.host: brackets kept, the scheme's default port left out) and the header checks.
    let handshake: ClientRequest;
    try {
      handshake = buildClientRequest({
        host: target.host,
        path: target.pathname + target.search,
        protocols,
        extensions: deflateOptions === null ? undefined : formatExtensions([buildDeflateOffer(deflateOptions)]),
        headers: options.headers,
      });
    } catch (error) {
      return rejectPromise(
        new ConnectError(`invalid handshake request: ${(error as Error).message}`, 0, '', { cause: error }),
      );
    }
    const { key, headers } = handshake;

    const secure = target.protocol === 'wss:';
    const request = (secure ? httpsRequest : httpRequest)({
      host: target.hostname.replace(/^\[|\]$/g, ''),
      port: target.port === '' ? (secure ? 443 : 80) : Number(target.port),
      path: target.pathname + target.search,
      method: 'GET',
      headers,
      ...(secure ? options.tls : {}),
    });
    let settled = false;
    // A refusal (any status but 101) seen so far: reported with the deadline if its body never ends.
    let refusal: { status: number; body: string } | null = null;
    const fail = (error: ConnectError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      signal?.removeEventListener('abort', onAbort);
      request.destroy();
      rejectPromise(error);
    };
    const onAbort = (): void => fail(abortError(signal!));
    signal?.addEventListener('abort', onAbort, { once: true });
    const timeout = options.timeout ?? DEFAULT_CLIENT_OPTIONS.timeout;
    // Node's request `timeout` is an idle timer, restarted by every byte: a server trickling its response head, or
    // a refusal with an endless body, would keep the promise pending forever. One deadline for the whole handshake.
    const deadline = setTimeout(() => {
      if (refusal === null)
        return fail(new ConnectError(`opening handshake timed out: no complete response within ${timeout} ms`));
      const { status, body } = refusal;
      fail(
        new ConnectError(
          `server refused the upgrade with HTTP ${status} (body still arriving after ${timeout} ms)`,
          status,
          body,
        ),
      );
    }, timeout);
    request.on('error', (error) =>
      fail(new ConnectError(`connection failed: ${error.message}`, 0, '', { cause: error })),
    );
    request.on('response', (res: IncomingMessage) => {
      // Any answer but 101 refuses the upgrade; keep a bounded part of the body for the error.
      const current = { status: res.statusCode ?? 0, body: '' };
      refusal = current;
      const refused = (error?: Error): void =>
        fail(
          new ConnectError(`server refused the upgrade with HTTP ${current.status}`, current.status, current.body, {
            cause: error,
          }),
        );
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        current.body += chunk.slice(0, DEFAULT_CLIENT_OPTIONS.refusalBodyLimit - current.body.length);
        // Enough to say why: no need to wait for the rest (which may never end).
        if (current.body.length >= DEFAULT_CLIENT_OPTIONS.refusalBodyLimit) refused();
      });
      res.on('end', () => refused());
      res.on('error', refused);
    });
    request.on('upgrade', (res: IncomingMessage, socket: Socket, head: Buffer) => {
      if (settled) return socket.destroy();
      clearTimeout(deadline);
      signal?.removeEventListener('abort', onAbort);
      const check = validateServerResponse(
        { status: res.statusCode ?? 0, headers: res.headers },
        { key, protocols, extensionsOffered: deflateOptions !== null ? [PERMESSAGE_DEFLATE] : [] },
      );
      if (!check.ok) {
        socket.destroy();
        return fail(new ConnectError(`invalid handshake response: ${check.error}`, res.statusCode ?? 0));
      }
      let codec: PerMessageCodec | null = null;
      const accepted = check.value.extensions.find((e) => e.name === PERMESSAGE_DEFLATE);
      if (accepted !== undefined && deflateOptions !== null) {
        const params = acceptDeflateResponse(accepted, deflateOptions);
        if (!params.ok) {
          socket.destroy();
          return fail(new ConnectError(`invalid permessage-deflate response: ${params.error}`, 101));
        }
        codec = createDeflateCodec(params.value, 'client', {
          level: deflateOptions.level,
          memLevel: deflateOptions.memLevel,
        });
      }
      settled = true;
      const ws = new WsSocket<D>(
        socket,
        'client',
        // The same error boundary as the server's (hooks.ts), cached per handlers object.
        guardHandlers(options.handlers ?? {}),
        resolveSocketOptions({ ...options, compressionThreshold: deflateOptions?.threshold }),
        {
          data: options.data as D,
          protocol: check.value.protocol ?? '',
          extensions:
            typeof res.headers['sec-websocket-extensions'] === 'string' ? res.headers['sec-websocket-extensions'] : '',
          codec,
        },
      );
      resolve(ws);
      ws.start(head);
    });
    request.end();
  });
}

function abortError(signal: AbortSignal): ConnectError {
  return new ConnectError('opening handshake aborted', 0, '', { cause: signal.reason });
}
