/**
 * wsgate/gateway: sockets with routable ids, uids, groups, sessions, JSON routing, heartbeat, auth and rate limits
 * on top of wsgate's server, with an adapter seam for scale-out. See docs/gateway.md.
 *
 * Everything an application needs (also exported by `wsgate`), plus the adapter seam for writing an adapter and the
 * demo chat routes. Changing this list changes api/gateway.api.md: `npm run api:update`.
 */
export * from './app.js';

// The adapter seam (docs/scale-out.md): what an adapter implements and the node it is attached to.
export { absentResult, TOO_MANY_GROUPS } from './adapters/adapter.js';
export type {
  Adapter,
  Audience,
  SocketCommand,
  SocketCommandResult,
  SocketCommandResults,
  RequestOutcome,
  PresenceChange,
} from './adapters/adapter.js';
export type { LeaseStore } from './adapters/lease.js';
// History and recovery at the seam (an adapter implements `openHistory`; contracts in adapters/history.ts).
export {
  ALL_STREAM,
  streamOfGroup,
  streamOfUid,
  audienceOfStream,
  newEpoch,
  publicationFrame,
  publicationParts,
} from './adapters/history.js';
export type {
  AdapterHistory,
  HistoryEntry,
  HistoryLimits,
  HistoryPage,
  HistoryQuery,
  Publication,
  RecoveryRecord,
  StreamName,
  StreamPosition,
} from './adapters/history.js';
export type { LocalNode, PresenceListener } from './core/local-node.js';
export type { Payload } from './core/types.js';
// Writing an adapter over another transport: extend the base and carry wire.ts messages (docs/scale-out.md).
export { ScaleOutAdapter } from './adapters/base.js';
export type { Target, ScaleOutOptions } from './adapters/base.js';
export type { Reach } from './adapters/requests.js';
export { encodeBytes, decodeBytes, encodeJson, decodeJson } from './adapters/wire.js';
export type { NodeMessage, NodeRequest, NodeReplies, JsonMessage } from './adapters/wire.js';

// The demo chat's routes (the page at `/` with `web: { demo: true }` talks to them).
export { installDemoRoutes } from './demo/chat-routes.js';
export type { ChatMessage, ChatTarget } from './demo/chat-routes.js';
