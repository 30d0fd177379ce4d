import { DEFAULT_GATEWAY_OPTIONS } from '../gateway/core/options.js';
import { DEFAULT_MAX_STREAMS } from '../gateway/core/history-options.js';
import { DEFAULT_GATEWAY_HTTP_OPTIONS } from '../gateway/http/gateway-http.js';
import { DEFAULT_REDIS_ADAPTER_OPTIONS } from '../gateway/adapters/redis/redis-adapter.js';
import * as v from './values.js';
import type { ValueKind } from './values.js';

/**
 * Every option of `wsgate serve` and `wsgate echo`, once: `--help`, the table in docs/cli.md (`npm run docs:cli`),
 * the flag parser, the environment and the config file are all generated from these entries, so they cannot drift.
 *
 * Adding an option = adding one entry. An entry whose `key` is a `createGateway` option path (`heartbeat.interval`,
 * `web.maxBodySize`, `history.size`...) with `target: 'gateway'` reaches `createGateway` with no other change; the
 * flag is `--<flag>`, the environment variable `WSGATE_<FLAG>` (unless `env` says otherwise) and the config-file key
 * is `key`.
 */
export interface OptionSpec<T = unknown> {
  /** Config-file key, dotted for nested objects (`heartbeat.interval` = `{ heartbeat: { interval } }`). */
  readonly key: string;
  /** The flag without `--`. */
  readonly flag: string;
  /** Other flag names (`--origin` for `--origins`). */
  readonly aliases?: readonly string[];
  /** Environment variable; default `WSGATE_` + the flag in upper snake case; `false`: none. */
  readonly env?: string | false;
  readonly kind: ValueKind<T>;
  /** Applied by the command when no source sets the option (and, for the gateway, the app's `config` doesn't). */
  readonly default?: T;
  /** The default as `--help` and the docs show it. */
  readonly defaultText: string;
  readonly help: string;
  /** `gateway`: a `createGateway` option at `key`; `command`: read by the command itself. */
  readonly target: 'gateway' | 'command';
  readonly group: string;
}

/** Keeps each entry's value type checked against its default while the table holds them all. */
function option<T>(spec: OptionSpec<T>): OptionSpec {
  return spec as OptionSpec;
}

const g = DEFAULT_GATEWAY_OPTIONS;
const web = DEFAULT_GATEWAY_HTTP_OPTIONS;
const redis = DEFAULT_REDIS_ADAPTER_OPTIONS;

/** `wsgate serve` defaults that differ from `createGateway`'s (documented in the table). */
export const DEFAULT_SERVE_OPTIONS = {
  port: 8080,
  host: '0.0.0.0',
  /**
   * Bounds what one socket can make the demo routes write: a `sendToAll` fans one message out to every socket, so
   * without it 2 MiB sent made the gateway write 84 MiB. 20 a second is far above what a person types.
   */
  rateLimit: 20,
  /**
   * `createGateway` needs both `history.size` and `history.ttl`; the command fills in whichever one is missing
   * when the other is set, so `--history-size 100` alone turns history on. 5 minutes covers a phone's network
   * change or a laptop lid closed for a coffee.
   */
  historyTtl: 300_000,
  historySize: 100,
  /** The same for `recovery.window` when only `--recovery-secret` is set: 2 minutes. */
  recoveryWindow: 120_000,
} as const;

export const SERVE_OPTIONS: readonly OptionSpec[] = [
  // ── the command ──
  option({
    key: 'app',
    flag: 'app',
    kind: v.string('FILE'),
    defaultText: 'none (the demo chat)',
    help: 'app module to serve; also the first argument (wsgate serve ./app.js)',
    target: 'command',
    group: 'Command',
  }),
  option({
    key: 'config',
    flag: 'config',
    kind: v.string('FILE'),
    defaultText: './wsgate.config.{js,mjs,json} if present',
    help: 'config file (.js/.mjs default-exporting an object, or .json)',
    target: 'command',
    group: 'Command',
  }),
  option({
    key: 'demo',
    flag: 'demo',
    kind: v.boolean,
    defaultText: 'on without an app, off with one',
    help: 'serve the demo chat page at / and its routes (--no-demo: neither)',
    target: 'command',
    group: 'Command',
  }),
  // ── listening ──
  option({
    key: 'port',
    flag: 'port',
    kind: v.port,
    default: DEFAULT_SERVE_OPTIONS.port,
    defaultText: String(DEFAULT_SERVE_OPTIONS.port),
    help: 'port to listen on (0 = any free port)',
    target: 'command',
    group: 'Listening',
  }),
  option({
    key: 'host',
    flag: 'host',
    kind: v.string('HOST'),
    default: DEFAULT_SERVE_OPTIONS.host,
    defaultText: DEFAULT_SERVE_OPTIONS.host,
    help: 'address to bind',
    target: 'command',
    group: 'Listening',
  }),
  option({
    key: 'path',
    flag: 'path',
    kind: v.urlPath,
    defaultText: g.path,
    help: 'WebSocket path',
    target: 'gateway',
    group: 'Listening',
  }),
  option({
    key: 'tls.cert',
    flag: 'cert',
    env: 'WSGATE_TLS_CERT',
    kind: v.string('FILE'),
    defaultText: 'none (plain ws/http)',
    help: 'PEM certificate (chain) file: serve wss:// and https:// (with --key)',
    target: 'command',
    group: 'Listening',
  }),
  option({
    key: 'tls.key',
    flag: 'key',
    env: 'WSGATE_TLS_KEY',
    kind: v.string('FILE'),
    defaultText: 'none',
    help: 'PEM private key file of --cert',
    target: 'command',
    group: 'Listening',
  }),
  option({
    key: 'nodeId',
    flag: 'node-id',
    kind: v.string('ID', (s) => (/^[A-Za-z0-9_-]{1,64}$/.test(s) ? null : 'must be 1-64 of A-Z a-z 0-9 _ -')),
    defaultText: '8 random hex digits',
    help: "this node's id, the prefix of its socket ids",
    target: 'gateway',
    group: 'Listening',
  }),
  // ── sockets ──
  option({
    key: 'heartbeat.interval',
    flag: 'heartbeat-interval',
    kind: v.duration(0, '; 0 = off'),
    defaultText: String(g.heartbeat.interval),
    help: 'ping every this many ms; 0 turns the heartbeat off',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'heartbeat.maxMissed',
    flag: 'heartbeat-max-missed',
    kind: v.count(1, 1000),
    defaultText: String(g.heartbeat.maxMissed),
    help: 'silent intervals before a socket is closed (4002)',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'authTimeout',
    flag: 'auth-timeout',
    kind: v.duration(0, '; 0 = off'),
    defaultText: `${g.authTimeout} (off)`,
    help: 'close sockets that have not bound a uid within this many ms (4001)',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'rateLimit.messages',
    flag: 'rate-limit',
    kind: v.count(0, 1_000_000, '; 0 = no limit'),
    default: DEFAULT_SERVE_OPTIONS.rateLimit,
    defaultText: `${DEFAULT_SERVE_OPTIONS.rateLimit} (createGateway: none)`,
    help: 'messages each socket may send per --rate-limit-interval; 0 = no limit',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'rateLimit.interval',
    flag: 'rate-limit-interval',
    kind: v.duration(1),
    defaultText: String(g.rateLimitInterval),
    help: 'rate-limit window in ms',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'rateLimit.action',
    flag: 'rate-limit-action',
    kind: v.oneOf(['reject', 'close'] as const),
    defaultText: 'reject',
    help: 'over the limit: drop with a rate_limited error, or close the socket (4029)',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'maxMessageSize',
    flag: 'max-message-size',
    kind: v.bytes,
    defaultText: String(g.maxMessageSize),
    help: 'largest message accepted; larger closes the socket (1009)',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'maxGroupsPerSocket',
    flag: 'max-groups-per-socket',
    kind: v.count(1, 1_000_000),
    defaultText: String(g.maxGroupsPerSocket),
    help: 'most groups one socket may join',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'origins',
    flag: 'origins',
    aliases: ['origin'],
    kind: v.origins,
    defaultText: 'same-origin pages and non-browser clients',
    help: 'also accept upgrades from these page origins (comma-separated or repeated; "*" = any)',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'raw',
    flag: 'raw',
    kind: v.boolean,
    defaultText: 'off (JSON envelopes and routes)',
    help: 'raw mode: no envelope, no routing; every message to the message event as bytes',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'perMessageDeflate',
    flag: 'per-message-deflate',
    kind: v.boolean,
    defaultText: 'off',
    help: 'accept permessage-deflate compression',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'maxBufferedAmount',
    flag: 'max-buffered-amount',
    kind: v.bytes,
    defaultText: String(g.maxBufferedAmount),
    help: 'per-socket cap on bytes waiting to be written',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'backpressurePolicy',
    flag: 'backpressure-policy',
    kind: v.oneOf(['drop', 'close'] as const),
    defaultText: g.backpressurePolicy,
    help: 'over --max-buffered-amount: drop the message, or close the socket (1008)',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'pauseOnBackpressure',
    flag: 'pause-on-backpressure',
    kind: v.boolean,
    defaultText: String(g.pauseOnBackpressure),
    help: 'stop reading from a socket while writes to it are backed up',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'handshakeTimeout',
    flag: 'handshake-timeout',
    kind: v.duration(1),
    defaultText: String(g.handshakeTimeout),
    help: 'opening handshake (and every HTTP request head) deadline in ms',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'closeTimeout',
    flag: 'close-timeout',
    kind: v.duration(1),
    defaultText: String(g.closeTimeout),
    help: 'how long a closing socket may take to answer our close frame',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'authFailure',
    flag: 'auth-failure',
    kind: v.oneOf(['auto', 'close', 'http'] as const),
    defaultText: g.authFailure,
    help: 'answer refused upgrades in-band with a 44xx close (close), with the HTTP status (http), or close for browsers (auto)',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'requestTimeout',
    flag: 'request-timeout',
    kind: v.duration(1),
    defaultText: String(g.requestTimeout),
    help: 'default timeout in ms of server-to-client requests (socket.request)',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'maxPendingRequests',
    flag: 'max-pending-requests',
    kind: v.count(1, 1_000_000),
    defaultText: String(g.maxPendingRequests),
    help: 'unanswered server-to-client requests per socket; more are refused (too_many_requests)',
    target: 'gateway',
    group: 'Sockets',
  }),
  option({
    key: 'shutdownTimeout',
    flag: 'shutdown-timeout',
    kind: v.duration(0),
    defaultText: String(g.shutdownTimeout),
    help: 'on SIGINT/SIGTERM, grace period before remaining sockets are cut',
    target: 'gateway',
    group: 'Sockets',
  }),
  // ── HTTP ──
  option({
    key: 'apiKey',
    flag: 'api-key',
    kind: v.string('KEY'),
    defaultText: 'none (push API off)',
    help: 'bearer token of the push API under /api (a secret: prefer WSGATE_API_KEY, flags show in ps)',
    target: 'gateway',
    group: 'HTTP',
  }),
  option({
    key: 'web.apiPrefix',
    flag: 'api-prefix',
    kind: v.string('PATH', (s) =>
      s.startsWith('/') && !s.endsWith('/') ? null : 'must start with "/" and not end with one',
    ),
    defaultText: web.apiPrefix,
    help: 'where the push API (and an app module’s api routes) live',
    target: 'gateway',
    group: 'HTTP',
  }),
  option({
    key: 'web.maxBodySize',
    flag: 'max-body-size',
    kind: v.bytes,
    defaultText: String(web.maxBodySize),
    help: 'largest HTTP request body read (413 above)',
    target: 'gateway',
    group: 'HTTP',
  }),
  option({
    key: 'web.maxJsonDepth',
    flag: 'max-json-depth',
    kind: v.count(1, 10_000),
    defaultText: String(web.maxJsonDepth),
    help: 'deepest JSON nesting accepted in a request body',
    target: 'gateway',
    group: 'HTTP',
  }),
  option({
    key: 'web.status',
    flag: 'status',
    kind: v.boolean,
    defaultText: 'on',
    help: 'serve GET /status (--no-status: off)',
    target: 'gateway',
    group: 'HTTP',
  }),
  option({
    key: 'web.metrics',
    flag: 'metrics',
    kind: v.boolean,
    defaultText: 'on',
    help: 'serve GET /metrics, Prometheus format (--no-metrics: off)',
    target: 'gateway',
    group: 'HTTP',
  }),
  option({
    key: 'web.client',
    flag: 'client',
    kind: v.boolean,
    defaultText: 'on',
    help: 'serve the browser client at GET /wsgate.js (--no-client: off)',
    target: 'gateway',
    group: 'HTTP',
  }),
  option({
    key: 'web.dashboard',
    flag: 'dashboard',
    kind: v.boolean,
    defaultText: 'off',
    help: 'serve the live dashboard at GET /dashboard (needs --api-key; the page asks for it)',
    target: 'gateway',
    group: 'HTTP',
  }),
  // ── history and recovery ──
  option({
    key: 'history.size',
    flag: 'history-size',
    kind: v.count(1, 1_000_000),
    defaultText: `off; ${DEFAULT_SERVE_OPTIONS.historySize} with another --history-* option`,
    help: 'keep the last N messages of every stream (group, uid, all) so reconnecting clients get what they missed',
    target: 'gateway',
    group: 'History and recovery',
  }),
  option({
    key: 'history.ttl',
    flag: 'history-ttl',
    kind: v.duration(1),
    defaultText: `off; ${DEFAULT_SERVE_OPTIONS.historyTtl} with another --history-* option`,
    help: 'history: messages older than this many ms are dropped',
    target: 'gateway',
    group: 'History and recovery',
  }),
  option({
    key: 'history.maxStreams',
    flag: 'history-max-streams',
    kind: v.count(1, 100_000_000),
    defaultText: String(DEFAULT_MAX_STREAMS),
    help: 'history: most streams kept at once (memory, --workers); the least recently written goes first',
    target: 'gateway',
    group: 'History and recovery',
  }),
  option({
    key: 'recovery.window',
    flag: 'recovery-window',
    kind: v.duration(1),
    defaultText: `off; ${DEFAULT_SERVE_OPTIONS.recoveryWindow} with --recovery-secret`,
    help: 'a client reconnecting within this many ms gets its uid, groups and session back (and, with history, its messages)',
    target: 'gateway',
    group: 'History and recovery',
  }),
  option({
    key: 'recovery.secret',
    flag: 'recovery-secret',
    kind: v.string('SECRET', (s) => (Buffer.byteLength(s) >= 16 ? null : 'must be at least 16 bytes')),
    defaultText: 'random per process (tokens work only on the node that issued them)',
    help: 'HMAC key of recovery tokens, the same on every node (a secret: prefer WSGATE_RECOVERY_SECRET)',
    target: 'gateway',
    group: 'History and recovery',
  }),
  // ── scale-out ──
  option({
    key: 'workers',
    flag: 'workers',
    kind: v.count(1, 1024),
    defaultText: 'none (one process)',
    help: 'run N gateway processes on the port (node:cluster); a crashed worker is restarted',
    target: 'command',
    group: 'Scale-out',
  }),
  option({
    key: 'redis.url',
    flag: 'redis',
    env: 'WSGATE_REDIS_URL',
    kind: v.redisUrl,
    defaultText: 'none',
    help: 'join the gateways sharing this Redis (needs the "redis" or "ioredis" package)',
    target: 'command',
    group: 'Scale-out',
  }),
  option({
    key: 'redis.presenceTtl',
    flag: 'presence-ttl',
    kind: v.duration(100),
    defaultText: String(redis.presenceTtl),
    help: "Redis: a dead node's sockets leave presence within about this many ms",
    target: 'command',
    group: 'Scale-out',
  }),
  option({
    key: 'redis.namespace',
    flag: 'redis-namespace',
    kind: v.string('NAME'),
    defaultText: redis.namespace,
    help: 'Redis: key and channel prefix; deployments with different ones ignore each other',
    target: 'command',
    group: 'Scale-out',
  }),
  option({
    key: 'redis.requestTimeout',
    flag: 'redis-request-timeout',
    kind: v.duration(1),
    defaultText: String(redis.requestTimeout),
    help: 'Redis: how long a cross-node query waits for the other nodes',
    target: 'command',
    group: 'Scale-out',
  }),
];

export const ECHO_OPTIONS: readonly OptionSpec[] = [
  option({
    key: 'port',
    flag: 'port',
    env: false,
    kind: v.port,
    default: 9001,
    defaultText: '9001',
    help: 'port to listen on',
    target: 'command',
    group: 'echo',
  }),
  option({
    key: 'host',
    flag: 'host',
    env: false,
    kind: v.string('HOST'),
    default: '0.0.0.0',
    defaultText: '0.0.0.0',
    help: 'address to bind',
    target: 'command',
    group: 'echo',
  }),
  option({
    key: 'deflate',
    flag: 'deflate',
    env: false,
    kind: v.boolean,
    default: false,
    defaultText: 'off',
    help: 'accept permessage-deflate (any Origin is accepted: a test tool with nothing to protect)',
    target: 'command',
    group: 'echo',
  }),
  option({
    key: 'maxPayload',
    flag: 'max-payload',
    env: false,
    kind: v.bytes,
    defaultText: '16 MiB',
    help: 'largest message accepted (1009 above)',
    target: 'command',
    group: 'echo',
  }),
];

/** The environment variable of an option, or null. */
export function envName(spec: OptionSpec): string | null {
  if (spec.env === false) return null;
  return spec.env ?? `WSGATE_${spec.flag.toUpperCase().replace(/-/g, '_')}`;
}
