import type { IncomingMessage, Server as HttpServer, ServerResponse } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { BackpressurePolicy } from '../../server/socket.js';
import type { UpgradeRejection } from '../../server/upgrade.js';
import type { PerMessageDeflateOptions } from '../../protocol/index.js';
import type { Adapter } from '../adapters/adapter.js';
import type { HttpHook, ResolvedGatewayOptions } from './gateway-api.js';
import type { GatewayHttpOptions } from '../http/options.js';
import type { OriginsOption } from './origin.js';
import type { NameLike, Session } from './types.js';
import type { HistoryOptions, RecoveryOptions } from './history-options.js';

/** Liveness: protocol pings from one sweep timer; any inbound message, ping or pong counts as alive. */
export interface HeartbeatOptions {
  /** Sweep (and ping) period in ms. Default 15,000. */
  interval?: number;
  /** Consecutive silent sweeps after which the socket is terminated (close event code 4002). Default 3. */
  maxMissed?: number;
}

/** Per-socket message rate limit (fixed window). */
export interface RateLimitOptions {
  /** Messages allowed per window. */
  messages: number;
  /** Window length in ms. Default 1,000. */
  interval?: number;
  /**
   * Over the limit: `'reject'` (default) drops the message unread and sends one `rate_limited` error per window
   * (JSON mode); `'close'` closes the socket with 4029.
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
  { uid?: NameLike | null; session?: Session } | boolean | null | undefined | void | UpgradeRejection;

export interface GatewayOptions {
  /**
   * Standalone: listen on this port (0 = any free port), on the server layer's own HTTP server (`createServer({ port
   * })`), which enforces `handshakeTimeout` on request heads and bodies.
   */
  port?: number;
  /** Standalone: interface to listen on. Default: all (Node's default). */
  host?: string;
  /** Attach: serve WebSocket upgrades (and `http` hooks, if given) on your existing HTTP(S) server. */
  server?: HttpServer | HttpsServer;
  /** WebSocket path (query ignored). Default `/ws`. */
  path?: string;
  /** This node's id, the prefix of its socket ids (`[A-Za-z0-9_-]{1,64}`). Default: 8 random hex digits. */
  nodeId?: string;
  /** Heartbeat settings, or `false` to turn it off. Default 15,000 ms × 3. */
  heartbeat?: HeartbeatOptions | false;
  /** In-band auth: close sockets (4001) that have not bound a uid this many ms after connecting. 0 (default) = off. */
  authTimeout?: number;
  /** Upgrade-time auth; see `AuthenticateResult`. Default: everyone is accepted, anonymous. */
  authenticate?: (req: IncomingMessage) => AuthenticateResult | Promise<AuthenticateResult>;
  /** Per-socket rate limit. Default: none. */
  rateLimit?: RateLimitOptions | false;
  /**
   * Most groups one socket may be in; `joinGroup` beyond it rejects with `GatewayError('too_many_groups')` (HTTP 409
   * from the push API). Enforced by the node that holds the socket, so alike in memory, cluster and Redis mode.
   * Default 128 (Centrifugo's channel limit per connection): it bounds what one socket costs in memory, presence
   * keys and subscriptions, and what a `whoami`-style reply listing its groups can weigh.
   */
  maxGroupsPerSocket?: number;
  /** Largest message accepted, in bytes; larger → close 1009. Default 1 MiB. */
  maxMessageSize?: number;
  /** Raw mode: no envelope, no routing, no error replies; the `message` event gets every message as bytes. */
  raw?: boolean;
  /** Bearer token for the HTTP push API (read by the HTTP layer as `gateway.options.apiKey`). Default: API off. */
  apiKey?: string;
  /**
   * Keep the last messages of every stream (each group, each uid, and one for `sendToAll`) so reconnecting clients
   * can get what they missed; messages to clients then carry their stream and offset (docs/gateway.md, "History
   * and recovery"). Needs an adapter with history (memory, cluster, Redis) and JSON mode. Default: off.
   */
  history?: HistoryOptions | false;
  /**
   * Connection-state recovery: a client that reconnects within `window` ms with its token gets a new socket id
   * with the previous one's uid, groups and session, and (with `history`) the messages it missed. Default: off.
   */
  recovery?: RecoveryOptions | false;
  /** Scale-out adapter. Default: a new `MemoryAdapter` (one node). */
  adapter?: Adapter;
  /** First HTTP hook for plain requests (more with `gateway.addHttpHandler`). Unhandled requests get a 404 JSON. */
  http?: HttpHook;
  /**
   * The built-in HTTP routes on the gateway's port: `GET /status`, `GET /metrics`, `GET /wsgate.js`, the push API
   * under `/api` (only with `apiKey`) and, with `demo: true`, the demo page at `/`. Default: on, demo off.
   * `false` turns them all off; in attach mode (`server`) they are off unless given. Add your own routes with
   * `gateway.web.get(...)` / `.post(...)`.
   */
  web?: GatewayHttpOptions | false;
  /**
   * Which browser pages may open sockets (others get 403 at the upgrade, before `authenticate` runs). Default:
   * same-origin — a request whose `Origin` names another host:port than its `Host` header is refused; requests
   * without `Origin` (non-browser clients) are accepted. A list adds exact origins to the same-origin ones
   * (`['https://app.example']`); `'*'` accepts any origin; a predicate decides alone. Behind a proxy, keep the
   * `Host` header or list the public origin (docs/gateway.md, "Origins and proxies").
   */
  origins?: OriginsOption;
  /** permessage-deflate (off by default, as in the server layer). */
  perMessageDeflate?: boolean | (PerMessageDeflateOptions & { threshold?: number });
  /** Per-socket cap on bytes buffered for writing. Default 4 MiB; over it, sends to that socket are dropped. */
  maxBufferedAmount?: number;
  /** What happens to a socket over `maxBufferedAmount`. Default `'drop'` (the message, not the socket). */
  backpressurePolicy?: BackpressurePolicy;
  /**
   * Stop reading from a socket while writes to it are backed up. Default false here: a slow reader that still
   * talks to us must keep proving it is alive (and the rate limit, not TCP, bounds what it can make us do).
   */
  pauseOnBackpressure?: boolean;
  /**
   * Opening handshake (with `authenticate`) must finish within this many ms. Default 10,000. Standalone, also every
   * request head's deadline, and (at least 1 s) every whole request's: the server layer's anti-slowloris settings.
   */
  handshakeTimeout?: number;
  /** How long a closing socket may take to answer our close frame. Default 5,000 ms. */
  closeTimeout?: number;
  /** `gateway.close()` grace period before remaining sockets are terminated. Default 5,000 ms. */
  shutdownTimeout?: number;
}

/** Gateway defaults, in one place (documented in docs/gateway.md). */
export const DEFAULT_GATEWAY_OPTIONS = {
  path: '/ws',
  heartbeat: { interval: 15_000, maxMissed: 3 },
  authTimeout: 0,
  maxMessageSize: 1024 * 1024,
  maxGroupsPerSocket: 128,
  rateLimitInterval: 1_000,
  maxBufferedAmount: 4 * 1024 * 1024,
  backpressurePolicy: 'drop' satisfies BackpressurePolicy,
  pauseOnBackpressure: false,
  handshakeTimeout: 10_000,
  closeTimeout: 5_000,
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
