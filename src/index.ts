/**
 * wsgate — WebSocket server, client and gateway for Node.js with zero runtime dependencies.
 * The sans-I/O engine is also available on its own as `wsgate/protocol`.
 */
export { createServer, WsServer } from './server/server.js';
export type { ServerOptions } from './server/server.js';
export { connect, ConnectError } from './server/client.js';
export type { ConnectOptions } from './server/client.js';
export { WsSocket, CLOSE_CODE_BACKPRESSURE } from './server/socket.js';
export type {
  SendResult,
  SendOptions as SocketSendOptions,
  SocketHandlers,
  BackpressurePolicy,
} from './server/socket.js';
export { WebSocket, CloseEvent } from './server/whatwg.js';
export type { BinaryType, WebSocketData, WebSocketOptions } from './server/whatwg.js';
export type { PerMessageDeflateSettings } from './server/compression-options.js';
export { PreparedMessage, prepareMessage } from './server/prepared.js';
export { reject, UpgradeRejection } from './server/upgrade.js';
export type { AuthorizeResult } from './server/upgrade.js';
export { DEFAULT_SOCKET_OPTIONS, DEFAULT_SERVER_OPTIONS } from './server/options.js';
export type { MessageBudgetOption } from './server/options.js';
export { MessageBudget, processMessageBudget } from './protocol/message-budget.js';
export { CloseCode, ReadyState, ProtocolError, WebSocketStateError, WebSocketArgumentError } from './protocol/index.js';
// The gateway, as an application uses it (`wsgate/gateway` adds the adapter seam and the demo routes).
export * from './gateway/app.js';
