import { type CloseCode } from './close-codes.js';

/**
 * A peer broke the protocol. Never thrown out of `Connection.receive()`: the engine turns it into a close frame with
 * `closeCode` and reports it through `onError` before `onClose`.
 */
export class ProtocolError extends Error {
  /** `'ProtocolError'` */
  override readonly name = 'ProtocolError';
  constructor(
    /** The close code sent to the peer: 1002, 1007, 1009 or 1011. */
    readonly closeCode: CloseCode,
    message: string,
  ) {
    super(message);
  }
}

/** The local application misused the engine (e.g. sent after closing). Always thrown synchronously. */
export class WebSocketStateError extends Error {
  /** `'WebSocketStateError'` */
  override readonly name = 'WebSocketStateError';
}

/** The local application passed an argument the protocol cannot carry (bad close code, oversized control payload). */
export class WebSocketArgumentError extends TypeError {
  /** `'WebSocketArgumentError'` */
  override readonly name = 'WebSocketArgumentError';
}
