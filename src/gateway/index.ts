/**
 * wsgate gateway: sockets with routable ids, uids, groups, sessions, JSON routing, heartbeat, auth and rate limits
 * on top of wsgate's server, with an adapter seam for scale-out. See docs/gateway.md.
 */
export { createGateway, Gateway } from './gateway.js';
export type { ExcludeOptions, SendToAllOptions, GatewayCloseOptions } from './gateway.js';
export { DEFAULT_GATEWAY_OPTIONS } from './options.js';
export type {
  GatewayOptions,
  HeartbeatOptions,
  RateLimitOptions,
  AuthenticateResult,
  HttpHook,
  ResolvedGatewayOptions,
} from './options.js';
export { GatewaySocket } from './gateway-socket.js';
export { GatewayCloseCode, GatewayCloseReason } from './close-codes.js';
export { GatewayError, ErrorCode, errorBody } from './errors.js';
export { deny } from './auth.js';
export { isSameOrigin } from './origin.js';
export type { OriginsOption } from './origin.js';
export { FALLBACK_ROUTE } from './dispatch.js';
export type { RouteContext, RouteHandler, BinaryHandler } from './dispatch.js';
export type { GatewayEvents, GatewayEventName, GatewayMessage } from './events.js';
export type { Envelope } from './envelope.js';
export { parseEnvelope, encodeReply, encodeError } from './envelope.js';
export type { TimerHandle } from './timers.js';
export type { GatewayStats, Counters } from './stats.js';
export { absentResult, TOO_MANY_GROUPS } from './adapters/adapter.js';
export type {
  Adapter,
  Audience,
  SocketCommand,
  SocketCommandResult,
  SocketCommandResults,
  PresenceChange,
} from './adapters/adapter.js';
export { LocalNode } from './local-node.js';
export type { PresenceListener } from './local-node.js';
export { createNodeId, nodeOfSocketId, SocketIdAllocator } from './socket-id.js';
export { toPayload } from './types.js';
export type { SocketId, Uid, GroupName, NameLike, Session, RequestId, OutboundMessage, Payload } from './types.js';
export { sendJson } from './http-host.js';
export { installDemoRoutes } from './demo-routes.js';
export { GatewayHttp, installHttp, DEFAULT_GATEWAY_HTTP_OPTIONS, HttpError, Router } from './http/index.js';
export type { GatewayHttpOptions, HttpContext, HttpRouteHandler } from './http/index.js';
export type { ChatMessage, ChatTarget } from './demo-routes.js';
export * from './adapters/index.js';
