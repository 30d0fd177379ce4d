import type { IncomingMessage } from 'node:http';
import type { RequestEnvelope } from './envelope.js';
import { Emitter } from './emitter.js';
import { GatewaySocket } from './gateway-socket.js';

/** A message as the `message` event sees it: a validated envelope (JSON mode) or the raw bytes (raw mode). */
export type GatewayMessage =
  | (RequestEnvelope & {
      /** JSON mode: a validated envelope. */
      readonly raw: false;
    })
  | {
      /** Raw mode: the message as received. */
      readonly raw: true;
      /** The message's bytes. */
      readonly data: Buffer;
      /** True for a binary message, false for text. */
      readonly binary: boolean;
    };

/** Gateway events and their listener signatures. */
export interface GatewayEvents {
  /** A socket opened (after `authenticate` and any uid it gave were applied). `req` is the upgrade request. */
  connect: (socket: GatewaySocket, req: IncomingMessage) => void;
  /**
   * JSON mode: every valid envelope, before it is routed (observe or log here; answer with `route`). Raw mode: every
   * message, as bytes.
   */
  message: (socket: GatewaySocket, message: GatewayMessage) => void;
  /**
   * A socket is gone (it has already left its uid and groups). `code` is the wire close code (1006 when the TCP
   * connection dropped) or, when the gateway ended it, the gateway's code (4001, 4002, 4029; see close-codes.ts).
   */
  close: (socket: GatewaySocket, code: number, reason: string) => void;
  /**
   * Recovery: a reconnecting client presented a valid token, and `socket` (a new id) got the uid, groups and session
   * of `previousId` back; missed messages are being replayed. Runs after `connect` for the same socket.
   */
  recover: (socket: GatewaySocket, previousId: string) => void;
  /**
   * Something failed that no client should see: a route handler threw a non-`GatewayError`, a listener or timer
   * threw, `authenticate` threw, an adapter rejected. Errors are dropped when nobody listens — listen to this one.
   */
  error: (error: unknown, socket: GatewaySocket | null) => void;
}

/** `'connect' | 'message' | 'close' | 'error'`: the events of `gateway.on`. */
export type GatewayEventName = keyof GatewayEvents;

/**
 * The gateway's emitter: a listener that throws is reported on `error` (with the socket the event was about, if
 * any), never thrown into the gateway; an `error` listener that throws is dropped.
 */
export class GatewayEmitter extends Emitter<GatewayEvents> {
  constructor() {
    super((error, event, args) => {
      if (event !== 'error') this.emit('error', error, args[0] instanceof GatewaySocket ? args[0] : null);
    });
  }
}
