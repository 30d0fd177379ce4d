/**
 * wsgate gateway: sockets with routable ids, uids, groups, sessions, JSON routing, heartbeat, auth and rate limits
 * on top of wsgate's server, with an adapter seam for scale-out. See docs/gateway.md.
 */
export { createGateway, Gateway } from './core/gateway.js';
export type { ExcludeOptions, SendToAllOptions, GatewayCloseOptions } from './core/gateway.js';
export { DEFAULT_GATEWAY_OPTIONS } from './core/options.js';
export type {
  GatewayOptions,
  HeartbeatOptions,
  RateLimitOptions,
  AuthenticateResult,
  HttpHook,
  ResolvedGatewayOptions,
} from './core/options.js';
export { GatewaySocket } from './core/gateway-socket.js';
export { GatewayCloseCode, GatewayCloseReason } from './core/close-codes.js';
export { GatewayError, ErrorCode, errorBody } from './core/errors.js';
export { deny } from './core/auth.js';
export { isSameOrigin } from './core/origin.js';
export type { OriginsOption } from './core/origin.js';
export { FALLBACK_ROUTE } from './core/dispatch.js';
export type { RouteContext, RouteHandler, BinaryHandler } from './core/dispatch.js';
export type { GatewayEvents, GatewayEventName, GatewayMessage } from './core/events.js';
export type { Envelope } from './core/envelope.js';
export { parseEnvelope, encodeReply, encodeError } from './core/envelope.js';
export type { TimerHandle } from './core/timers.js';
export type { GatewayStats, Counters } from './core/stats.js';
export { MemoryAdapter } from './memory-adapter.js';
export { absentResult, TOO_MANY_GROUPS } from './adapter.js';
export type {
  Adapter,
  Audience,
  SocketCommand,
  SocketCommandResult,
  SocketCommandResults,
  PresenceChange,
} from './adapter.js';
export { LocalNode } from './core/local-node.js';
export type { PresenceListener } from './core/local-node.js';
export { createNodeId, nodeOfSocketId, SocketIdAllocator } from './core/socket-id.js';
export { toPayload } from './core/types.js';
export type { SocketId, Uid, GroupName, NameLike, Session, RequestId, OutboundMessage, Payload } from './core/types.js';
export { sendJson } from './http/host.js';
export { installDemoRoutes } from './demo/chat-routes.js';
export { GatewayHttp, installHttp, DEFAULT_GATEWAY_HTTP_OPTIONS, HttpError, Router } from './http/index.js';
export type { GatewayHttpOptions, HttpContext, HttpRouteHandler } from './http/index.js';
export type { ChatMessage, ChatTarget } from './demo/chat-routes.js';
export * from './adapters/index.js';
export * from './cluster/index.js';
