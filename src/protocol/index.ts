/**
 * wsgate/protocol — a sans-I/O RFC 6455 + RFC 7692 engine: bytes in, events out; commands in, bytes out.
 * No sockets, streams or timers, and nothing from Node (no imports, no `Buffer`): it runs in any JavaScript runtime
 * with `TextEncoder`/`TextDecoder` and Web Crypto's `getRandomValues`.
 */
export { Connection, ReadyState } from './connection.js';
export type { ConnectionHandler, ConnectionOptions, Role, SendOptions, TraceEvent } from './connection.js';
export { encodeClosePayload, parseClosePayload, truncateReason } from './close.js';
export type { ParsedClose } from './close.js';
export { MessageAssembler } from './message-assembler.js';
export type { MessageAssemblerOptions } from './message-assembler.js';
export { CloseCode, isValidWireCloseCode, MAX_CLOSE_REASON_BYTES } from './close-codes.js';
export { ProtocolError, WebSocketStateError, WebSocketArgumentError } from './errors.js';
export { CodecError } from './extension.js';
export type { PerMessageCodec } from './extension.js';
export { FrameParser } from './frame-parser.js';
export type { FrameSink, FrameParserOptions } from './frame-parser.js';
export {
  encodeFrame,
  encodeFrameHeader,
  frameHeaderLength,
  prepareFrame,
  writeFrameHeader,
} from './frame-serializer.js';
export { DEFAULT_LIMITS, MAX_CONTROL_PAYLOAD } from './limits.js';
export { MessageBudget, processMessageBudget } from './message-budget.js';
export { Opcode, isControlOpcode } from './opcodes.js';
export { applyMask } from './mask.js';
export { MaskKeySource, generateKey, randomBytes } from './random.js';
export { Utf8Validator, isValidUtf8, utf8Step, UTF8_ACCEPT, UTF8_REJECT } from './utf8.js';
export { WEBSOCKET_GUID, computeAcceptKey } from './handshake.js';
export type { HeaderValue } from './handshake.js';
export * from './handshake-server.js';
export * from './handshake-client.js';
export * from './header-grammar.js';
export * from './deflate-negotiation.js';
