import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import {
  acceptDeflateOffer,
  buildAcceptResponse,
  buildRejectionResponse,
  formatExtensions,
  selectSubprotocol,
  validateUpgradeRequest,
  type HeaderValue,
} from '../protocol/index.js';
import type { PerMessageDeflateSettings } from './compression-options.js';
import { createDeflateCodec } from './deflate-codec.js';
import { reportHandshakeError, type HandshakeErrorHook } from './hooks.js';
import { WsSocket, type SocketHandlers, type SocketOptions } from './socket.js';

/** Refuses an upgrade from `authorize`: the client gets this HTTP status, headers and body before any 101. */
export class UpgradeRejection {
  constructor(
    /** The HTTP status (4xx or 5xx). */
    readonly status: number,
    /** The response body; none by default. */
    readonly body: string = '',
    /** Extra response headers; none by default. */
    readonly headers: Record<string, string> = {},
  ) {}
}

/** Builds the value `authorize` returns to refuse an upgrade. An object body is sent as JSON. */
export function reject(status: number, body?: string | object, headers: Record<string, string> = {}): UpgradeRejection {
  if (body !== undefined && typeof body !== 'string') {
    return new UpgradeRejection(status, JSON.stringify(body), { 'Content-Type': 'application/json', ...headers });
  }
  return new UpgradeRejection(status, body ?? '', headers);
}

/**
 * The decision of an `authorize` hook: `true`/`undefined` accepts, `false` refuses with 401, `reject(...)` refuses
 * with its status, and `{ data }` accepts with the socket's initial `data`.
 */
export type AuthorizeResult<D> =
  | boolean
  | undefined
  | void
  | UpgradeRejection
  | {
      /** The socket's initial `ws.data`. */
      data: D;
    };

export interface UpgradeOptions<D> {
  handlers: SocketHandlers<D>;
  socketOptions: SocketOptions;
  /** Async check before the 101: tokens, cookies, rate limits. */
  authorize?: (req: IncomingMessage) => AuthorizeResult<D> | Promise<AuthorizeResult<D>>;
  /** Allowed `Origin` values (exact match, e.g. 'https://app.example'), or a predicate. Others get 403. */
  origins?: readonly string[] | ((origin: string | undefined, req: IncomingMessage) => boolean);
  /**
   * Supported subprotocols: the first one the client offered that is in this list wins (the client's preference,
   * RFC 6455 §4.1); a function chooses by its own rule. No match → no subprotocol header.
   */
  protocols?: readonly string[] | ((offered: readonly string[], req: IncomingMessage) => string | undefined);
  /** permessage-deflate settings; `false`/undefined disables it (the default on servers). */
  perMessageDeflate?: PerMessageDeflateSettings | false;
  handshakeTimeout: number;
  /** Initial `data` for sockets whose `authorize` gave none. */
  createData?: (req: IncomingMessage) => D;
  /** Called with every accepted socket before `open`. */
  onAccepted?: (ws: WsSocket<D>) => void;
  /** A hook above failed before the 101: the client got a 500, this hook gets the error. */
  handshakeError?: HandshakeErrorHook;
}

/**
 * Runs the server side of the opening handshake (RFC 6455 §4.2) on an HTTP upgrade request and, on success, writes
 * the 101 and returns the open socket. Every refusal is an HTTP response that says what was wrong, then the TCP
 * connection is closed; `null` is returned. Never rejects: a user hook that fails before the 101 gets the client a
 * 500 (and `handshakeError` the error), so callers may drop the promise.
 */
export async function performUpgrade<D>(
  req: IncomingMessage,
  duplex: Duplex,
  head: Buffer,
  options: UpgradeOptions<D>,
): Promise<WsSocket<D> | null> {
  const socket = duplex as Socket;
  socket.on('error', ignoreError);
  const timer = setTimeout(timeOutHandshake, options.handshakeTimeout, socket);
  // Set once the 101 is written: after it, the bytes on the wire are WebSocket frames, not HTTP.
  let accepted = false;
  try {
    const validation = validateUpgradeRequest({
      method: req.method ?? '',
      httpVersion: req.httpVersion,
      url: req.url,
      headers: withRepeatedHost(req),
    });
    if (!validation.ok) {
      const r = validation.rejection;
      return refuse(socket, r.status, r.reason, r.headers);
    }
    const upgrade = validation.value;

    if (options.origins !== undefined && !originAllowed(options.origins, upgrade.origin, req)) {
      return refuse(socket, 403, 'Origin not allowed');
    }

    let data: D | undefined;
    if (options.authorize !== undefined) {
      const decision = await options.authorize(req);
      // Gone, or already refused (handshake timeout, server shutdown) while the hook ran.
      if (socket.destroyed || !socket.writable) return null;
      if (decision === false) return refuse(socket, 401, 'Unauthorized');
      if (decision instanceof UpgradeRejection) return refuse(socket, decision.status, decision.body, decision.headers);
      if (typeof decision === 'object' && decision !== null && 'data' in decision) data = decision.data;
    }
    if (data === undefined && options.createData !== undefined) data = options.createData(req);

    const protocol = chooseProtocol(options.protocols, upgrade.protocols, req) ?? '';

    let extensions = '';
    let codec = null;
    if (options.perMessageDeflate) {
      const accepted = acceptDeflateOffer(upgrade.extensions, options.perMessageDeflate);
      if (accepted !== null) {
        extensions = formatExtensions([accepted.response]);
        const { level, memLevel } = options.perMessageDeflate;
        codec = createDeflateCodec(accepted.params, 'server', { level, memLevel });
      }
    }

    if (socket.destroyed || !socket.writable) {
      codec?.dispose();
      return null;
    }
    clearTimeout(timer);
    socket.removeListener('error', ignoreError);
    accepted = true;
    socket.write(
      buildAcceptResponse({
        key: upgrade.key,
        protocol: protocol === '' ? undefined : protocol,
        extensions: extensions === '' ? undefined : extensions,
      }),
    );
    const ws = new WsSocket<D>(socket, 'server', options.handlers, options.socketOptions, {
      data: data as D,
      protocol,
      extensions,
      codec,
    });
    options.onAccepted?.(ws);
    ws.start(head);
    return ws;
  } catch (error) {
    reportHandshakeError(options.handshakeError, error, req);
    // An HTTP 500 after the 101 would be garbage in the WebSocket stream: just drop the connection.
    if (accepted) socket.destroy();
    else refuse(socket, 500, 'Internal Server Error');
    return null;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Node's parser keeps the first of repeated `Host` headers in `req.headers` and drops the others; the raw list still
 * has them all. RFC 7230 §5.4: "A server MUST respond with a 400 (Bad Request) status code to any HTTP/1.1 request
 * message that lacks a Host header field and to any that contains more than one Host header field" — so hand the
 * handshake check every value (it refuses a repeated Host with 400).
 */
function withRepeatedHost(req: IncomingMessage): Readonly<Record<string, HeaderValue>> {
  const raw = req.rawHeaders;
  let hosts: string[] | null = null;
  let first: string | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i].length !== 4 || raw[i].toLowerCase() !== 'host') continue;
    if (first === undefined) first = raw[i + 1];
    else (hosts ??= [first]).push(raw[i + 1]);
  }
  return hosts === null ? req.headers : { ...req.headers, host: hosts };
}

function originAllowed(
  allowed: NonNullable<UpgradeOptions<unknown>['origins']>,
  origin: string | undefined,
  req: IncomingMessage,
): boolean {
  if (typeof allowed === 'function') return allowed(origin, req);
  return origin !== undefined && allowed.includes(origin);
}

function chooseProtocol(
  supported: UpgradeOptions<unknown>['protocols'],
  offered: readonly string[],
  req: IncomingMessage,
): string | undefined {
  if (supported === undefined || offered.length === 0) return undefined;
  if (typeof supported === 'function') {
    const choice = supported(offered, req);
    // RFC 6455 §4.2.2: the server must pick one of the values the client offered.
    return choice !== undefined && offered.includes(choice) ? choice : undefined;
  }
  // The client lists its subprotocols in order of preference (RFC 6455 §4.1): the engine's rule, in one place.
  return selectSubprotocol(offered, supported);
}

/** Writes an HTTP error response and closes the connection. */
export function refuse(socket: Duplex, status: number, reason: string, headers: Record<string, string> = {}): null {
  if (!socket.destroyed && socket.writable) {
    let response: string;
    try {
      response = buildRejectionResponse(status, reason, headers, reason);
    } catch {
      // A hook gave a status or header we can't send (e.g. 200, or a CR/LF in a value): refuse plainly instead.
      response = buildRejectionResponse(500, 'Invalid rejection from authorize hook');
    }
    socket.end(response);
  }
  setTimeout(destroyDuplex, 1_000, socket).unref();
  return null;
}

function timeOutHandshake(socket: Duplex): void {
  refuse(socket, 408, 'Handshake timed out');
  socket.destroy();
}

function destroyDuplex(socket: Duplex): void {
  socket.destroy();
}

function ignoreError(): void {}
