import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { BackpressurePolicy } from '../../server/socket.js';
import type { UpgradeRejection } from '../../server/upgrade.js';
import type { PerMessageDeflateOptions } from '../../protocol/index.js';
import type { Adapter } from '../adapters/adapter.js';
import type { HttpHook, ResolvedGatewayOptions } from './gateway-api.js';
import type { GatewayHttpOptions } from '../http/options.js';
import type { OriginsOption } from './origin.js';
import type { AuthFailureMode } from './auth-refusal.js';
import type { NameLike, Session } from './types.js';
import type { HistoryOptions, RecoveryOptions } from './history-options.js';

/** Liveness: protocol pings from one sweep timer; any inbound message, ping or pong counts as alive. */
export interface HeartbeatOptions {
  /**
   * Sweep (and ping) period in ms.
   *
   * @defaultValue `15_000`
   */
  interval?: number;
  /**
   * Consecutive silent sweeps after which the socket is terminated (close event code 4002).
   *
   * @defaultValue `3`
   */
  maxMissed?: number;
}

/** Per-socket message rate limit (fixed window). */
export interface RateLimitOptions {
  /** Messages allowed per window (required: there is no sensible default). */
  messages: number;
  /**
   * Window length in ms.
   *
   * @defaultValue `1_000`
   */
  interval?: number;
  /**
   * Over the limit: `'reject'` drops the message unread and sends one `rate_limited` error per window (JSON mode);
   * `'close'` closes the socket with 4029.
   *
   * @defaultValue `'reject'`
   */
  action?: 'reject' | 'close';
}

/**
 * What `authenticate` decides before the 101:
 * - `true`, `undefined` or `{}`: accept, anonymous;
 * - `{ uid, session }`: accept, bound to `uid` (and/or with that initial session) before the `connect` event;
 * - `false` or `null`: refuse with 401 and `{"error":{"code":"unauthorized",...}}`;
 * - `deny(status, code, message)` (or the server's `reject(...)`): refuse with that status and body.
 * A thrown error refuses with 500 `auth_error` (details on the gateway's `error` event, not sent to the client).
 */
export type AuthenticateResult =
  | {
      /** Bind the socket to this uid before the `connect` event (`null`/absent: anonymous). */
      uid?: NameLike | null;
      /** The socket's initial session. */
      session?: Session;
    }
  | boolean
  | null
  | undefined
  | void
  | UpgradeRejection;

/**
 * Options of `createGateway`: standalone (`port`) or attached to your server (`server`); every field is optional.
 * The numeric defaults are also in `DEFAULT_GATEWAY_OPTIONS`.
 */
export interface GatewayOptions {
  /**
   * Standalone: listen on this port (0 = any free port), on the server layer's own HTTP server (`createServer({ port
   * })`), which enforces `handshakeTimeout` on request heads and bodies.
   *
   * @defaultValue `0` when `server` is not given
   */
  port?: number;
  /**
   * Standalone: interface to listen on.
   *
   * @defaultValue `undefined`: all interfaces (Node's default)
   */
  host?: string;
  /**
   * Attach: serve WebSocket upgrades (and `http` hooks, if given) on your existing HTTP(S) server. With a framework
   * on that server, route its requests to the gateway with `gateway.httpHandler()`.
   *
   * @defaultValue `undefined`: standalone
   */
  server?: HttpServer | HttpsServer;
  /**
   * WebSocket path (query ignored).
   *
   * @defaultValue `'/ws'`
   */
  path?: string;
  /**
   * This node's id, the prefix of its socket ids (`[A-Za-z0-9_-]{1,64}`).
   *
   * @defaultValue 8 random hex digits
   */
  nodeId?: string;
  /**
   * Heartbeat settings, or `false` to turn it off.
   *
   * @defaultValue `{ interval: 15_000, maxMissed: 3 }`
   */
  heartbeat?: HeartbeatOptions | false;
  /**
   * In-band auth: close sockets (4001) that have not bound a uid this many ms after connecting. 0 = off.
   *
   * @defaultValue `0`
   */
  authTimeout?: number;
  /**
   * Upgrade-time auth; see `AuthenticateResult`.
   *
   * @defaultValue `undefined`: everyone is accepted, anonymous
   */
  authenticate?: (req: IncomingMessage) => AuthenticateResult | Promise<AuthenticateResult>;
  /**
   * How `authenticate` refusals are answered. `'auto'`: a request with an `Origin` header (a browser, which can't
   * read a failed upgrade's status) is accepted and closed at once with 4000 + the status (4401, 4403, ...; 1011 for
   * 5xx) and the refusal's error code as reason; a request without `Origin` gets the HTTP status. `'close'`: always
   * in-band; `'http'`: always HTTP. Origin refusals are always HTTP 403. See close-codes.ts.
   *
   * @defaultValue `'auto'`
   */
  authFailure?: AuthFailureMode;
  /**
   * Default timeout of server → client requests (`socket.request`), in ms.
   *
   * @defaultValue `10_000`
   */
  requestTimeout?: number;
  /**
   * Unanswered server → client requests allowed per socket; more reject with `too_many_requests`.
   *
   * @defaultValue `32`
   */
  maxPendingRequests?: number;
  /**
   * Per-socket rate limit.
   *
   * @defaultValue `false`: none
   */
  rateLimit?: RateLimitOptions | false;
  /**
   * Most groups one socket may be in; `joinGroup` beyond it rejects with `GatewayError('too_many_groups')` (HTTP 409
   * from the push API). Enforced by the node that holds the socket, so alike in memory, cluster and Redis mode.
   * Default 128 (Centrifugo's channel limit per connection): it bounds what one socket costs in memory, presence
   * keys and subscriptions, and what a `whoami`-style reply listing its groups can weigh.
   *
   * @defaultValue `128`
   */
  maxGroupsPerSocket?: number;
  /**
   * Largest message accepted, in bytes; larger → close 1009.
   *
   * @defaultValue `1_048_576` (1 MiB)
   */
  maxMessageSize?: number;
  /**
   * Raw mode: no envelope, no routing, no error replies; the `message` event gets every message as bytes.
   *
   * @defaultValue `false`
   */
  raw?: boolean;
  /**
   * Bearer token for the HTTP push API (read by the HTTP layer as `gateway.options.apiKey`).
   *
   * @defaultValue `undefined`: the push API is off
   */
  apiKey?: string;
  /**
   * Keep the last messages of every stream (each group, each uid, and one for `sendToAll`) so reconnecting clients
   * can get what they missed; messages to clients then carry their stream and offset (docs/gateway.md, "History
   * and recovery"). Needs an adapter with history (memory, cluster, Redis) and JSON mode.
   *
   * @defaultValue `false`: off
   */
  history?: HistoryOptions | false;
  /**
   * Connection-state recovery: a client that reconnects within `window` ms with its token gets a new socket id
   * with the previous one's uid, groups and session, and (with `history`) the messages it missed.
   *
   * @defaultValue `false`: off
   */
  recovery?: RecoveryOptions | false;
  /**
   * Scale-out adapter.
   *
   * @defaultValue a new `MemoryAdapter` (one node)
   */
  adapter?: Adapter;
  /**
   * First HTTP hook for plain requests (more with `gateway.addHttpHandler`). Unhandled requests get a 404 JSON.
   *
   * @defaultValue `undefined`
   */
  http?: HttpHook;
  /**
   * The built-in HTTP routes on the gateway's port: `GET /status`, `GET /metrics`, `GET /wsgate.js`, the push API
   * under `/api` (only with `apiKey`) and, with `demo: true`, the demo page at `/`. `false` turns them all off; in
   * attach mode (`server`) they are off unless given. Add your own routes with `gateway.web.get(...)` /
   * `.post(...)`.
   *
   * @defaultValue `{}` (on, demo off) standalone; `false` in attach mode
   */
  web?: GatewayHttpOptions | false;
  /**
   * Which browser pages may open sockets (others get 403 at the upgrade, before `authenticate` runs). Default:
   * same-origin — a request whose `Origin` names another host:port than its `Host` header is refused; requests
   * without `Origin` (non-browser clients) are accepted. A list adds exact origins to the same-origin ones
   * (`['https://app.example']`); `'*'` accepts any origin; a predicate decides alone. Behind a proxy, keep the
   * `Host` header or list the public origin (docs/gateway.md, "Origins and proxies").
   *
   * @defaultValue `undefined`: same-origin
   */
  origins?: OriginsOption;
  /**
   * permessage-deflate (as in the server layer).
   *
   * @defaultValue `false`
   */
  perMessageDeflate?:
    | boolean
    | (PerMessageDeflateOptions & {
        /** Messages smaller than this many bytes are sent uncompressed. */
        threshold?: number;
      });
  /**
   * Per-socket cap on bytes buffered for writing; over it, sends to that socket are dropped.
   *
   * @defaultValue `4_194_304` (4 MiB)
   */
  maxBufferedAmount?: number;
  /**
   * What happens to a socket over `maxBufferedAmount`: `'drop'` drops the message, not the socket.
   *
   * @defaultValue `'drop'`
   */
  backpressurePolicy?: BackpressurePolicy;
  /**
   * Stop reading from a socket while writes to it are backed up. Off here: a slow reader that still talks to us must
   * keep proving it is alive (and the rate limit, not TCP, bounds what it can make us do).
   *
   * @defaultValue `false`
   */
  pauseOnBackpressure?: boolean;
  /**
   * Opening handshake (with `authenticate`) must finish within this many ms. Standalone, also every request head's
   * deadline, and (at least 1 s) every whole request's: the server layer's anti-slowloris settings.
   *
   * @defaultValue `10_000`
   */
  handshakeTimeout?: number;
  /**
   * How long a closing socket may take to answer our close frame, in ms.
   *
   * @defaultValue `5_000`
   */
  closeTimeout?: number;
  /**
   * `gateway.close()` grace period before remaining sockets are terminated, in ms.
   *
   * @defaultValue `5_000`
   */
  shutdownTimeout?: number;
}

/** Gateway defaults, in one place (documented in docs/gateway.md). */
export const DEFAULT_GATEWAY_OPTIONS = {
  /** {@link GatewayOptions.path} */
  path: '/ws',
  /** {@link GatewayOptions.heartbeat} */
  heartbeat: {
    /** {@link HeartbeatOptions.interval} */
    interval: 15_000,
    /** {@link HeartbeatOptions.maxMissed} */
    maxMissed: 3,
  },
  /** {@link GatewayOptions.authTimeout} */
  authTimeout: 0,
  /** {@link GatewayOptions.authFailure} */
  authFailure: 'auto' satisfies AuthFailureMode,
  /** {@link GatewayOptions.requestTimeout} */
  requestTimeout: 10_000,
  /** {@link GatewayOptions.maxPendingRequests} */
  maxPendingRequests: 32,
  /** {@link GatewayOptions.maxMessageSize} */
  maxMessageSize: 1024 * 1024,
  /** {@link GatewayOptions.maxGroupsPerSocket} */
  maxGroupsPerSocket: 128,
  /** {@link RateLimitOptions.interval} */
  rateLimitInterval: 1_000,
  /** {@link GatewayOptions.maxBufferedAmount} */
  maxBufferedAmount: 4 * 1024 * 1024,
  /** {@link GatewayOptions.backpressurePolicy} */
  backpressurePolicy: 'drop' satisfies BackpressurePolicy,
  /** {@link GatewayOptions.pauseOnBackpressure} */
  pauseOnBackpressure: false,
  /** {@link GatewayOptions.handshakeTimeout} */
  handshakeTimeout: 10_000,
  /** {@link GatewayOptions.closeTimeout} */
  closeTimeout: 5_000,
  /** {@link GatewayOptions.shutdownTimeout} */
  shutdownTimeout: 5_000,
} as const;

export function resolveGatewayOptions(options: GatewayOptions, nodeId: string): ResolvedGatewayOptions {
  const d = DEFAULT_GATEWAY_OPTIONS;
  const heartbeat =
    options.heartbeat === false
      ? null
      : {
          interval: positive('heartbeat.interval', options.heartbeat?.interval ?? d.heartbeat.interval),
          maxMissed: positive('heartbeat.maxMissed', options.heartbeat?.maxMissed ?? d.heartbeat.maxMissed),
        };
  const limit = options.rateLimit;
  const rateLimit =
    limit === undefined || limit === false
      ? null
      : {
          messages: positive('rateLimit.messages', limit.messages),
          interval: positive('rateLimit.interval', limit.interval ?? d.rateLimitInterval),
          action: limit.action ?? 'reject',
        };
  const path = options.path ?? d.path;
  if (!path.startsWith('/')) throw new TypeError(`path must start with "/": ${JSON.stringify(path)}`);
  return {
    path,
    nodeId,
    heartbeat,
    authTimeout: nonNegative('authTimeout', options.authTimeout ?? d.authTimeout),
    rateLimit,
    maxMessageSize: positive('maxMessageSize', options.maxMessageSize ?? d.maxMessageSize),
    maxGroupsPerSocket: positiveInteger('maxGroupsPerSocket', options.maxGroupsPerSocket ?? d.maxGroupsPerSocket),
    raw: options.raw ?? false,
    apiKey: options.apiKey === '' ? undefined : options.apiKey,
  };
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number, got ${value}`);
  return value;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new TypeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) throw new TypeError(`${name} must be a number >= 0, got ${value}`);
  return value;
}
