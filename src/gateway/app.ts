/**
 * What an application needs from the gateway: exported by `wsgate` and by `wsgate/gateway`. Internals (indexes,
 * id allocation, wire helpers, Redis keys and scripts, the cluster's presence index) stay out; adapter authors find
 * the adapter seam in `wsgate/gateway` (./index.ts). Changing this list changes api/*.api.md: `npm run api:update`.
 */
export { createGateway, Gateway } from './core/gateway.js';
export type { GatewayCloseOptions } from './core/gateway.js';
export type {
  GatewayApi,
  ExcludeOptions,
  SendToAllOptions,
  ResolvedGatewayOptions,
  RouteContext,
  RouteHandler,
  BinaryHandler,
  HttpHook,
  MessageMiddleware,
} from './core/gateway-api.js';
export type { AuthFailureMode } from './core/auth-refusal.js';
export { ServerRequestError } from './core/server-requests.js';
export { DEFAULT_GATEWAY_OPTIONS } from './core/options.js';
export type { GatewayOptions, HeartbeatOptions, RateLimitOptions, AuthenticateResult } from './core/options.js';
export type { HistoryOptions, RecoveryOptions } from './core/history-options.js';
export type { HistoryRequest } from './core/history.js';
export { RECOVER_TYPE, TOKEN_TYPE } from './core/recovery.js';
export type { StreamRecovery } from './core/recovery.js';
export type { HistoryPage, HistoryEntry, StreamPosition, StreamName } from './adapters/history.js';
export { GatewaySocket } from './core/gateway-socket.js';
export { GatewayCloseCode, GatewayCloseReason } from './core/close-codes.js';
export { GatewayError, ErrorCode, errorBody } from './core/errors.js';
export { deny } from './core/auth.js';
export { isSameOrigin } from './core/origin.js';
export type { OriginsOption } from './core/origin.js';
export { FALLBACK_ROUTE } from './core/dispatch.js';
export type { GatewayEvents, GatewayEventName, GatewayMessage } from './core/events.js';
export type { RequestEnvelope } from './core/envelope.js';
export type { TimerHandle } from './core/timers.js';
export { DEFAULT_LEASE_TTL } from './core/cluster-timer.js';
export type { EveryOptions } from './core/cluster-timer.js';
export type { GatewayStats, ErrorCounts } from './core/stats.js';
export type { ClusterStats, NodeReport, ProcessInfo } from './core/node-report.js';
export type { SocketId, Uid, GroupName, NameLike, Session, RequestId, OutboundMessage } from './core/types.js';

// App modules for `wsgate serve ./app.js` (docs/cli.md): `export default defineApp({ config, events, routes, ... })`.
export { defineApp } from './app-module/define-app.js';
export type { AppDefinition, AppConfig, AppEvents, AppTimer } from './app-module/define-app.js';

// HTTP: the built-in routes and your own (`gateway.web.get(path, fn)`), and a JSON writer for HTTP hooks.
export { DEFAULT_GATEWAY_HTTP_OPTIONS } from './http/gateway-http.js';
export type { GatewayHttp } from './http/gateway-http.js';
export type { GatewayHttpOptions } from './http/options.js';
export type { HttpContext, HttpRouteHandler } from './http/router.js';
export { HttpError, sendJson } from './http/respond.js';
export type { GatewayHttpHandler } from './http/host.js';

// Scale-out adapters.
export { MemoryAdapter } from './adapters/memory/memory-adapter.js';
export { RedisAdapter, DEFAULT_REDIS_ADAPTER_OPTIONS } from './adapters/redis/redis-adapter.js';
export type { RedisAdapterOptions } from './adapters/redis/redis-adapter.js';
export { Health as RedisHealth } from './adapters/redis/health.js';
export { AdapterUnavailableError } from './adapters/errors.js';
export type { AdapterEvents, AdapterEventName } from './adapters/emitter.js';
export type {
  RedisClientLike,
  NodeRedisClientLike,
  IoRedisClientLike,
  RedisArgument,
} from './adapters/redis/client.js';
export { createRedisClientFromUrl, RedisClientMissingError } from './adapters/redis/load-redis.js';
export { ClusterAdapter } from './adapters/cluster/cluster-adapter.js';
export type { ClusterAdapterOptions, IpcChannel } from './adapters/cluster/cluster-adapter.js';
export { createClusterHub } from './adapters/cluster/hub.js';
export type { ClusterHub, ClusterHubOptions, ClusterHubEvents, WorkerExit } from './adapters/cluster/hub.js';
