import type { IncomingMessage } from 'node:http';
import type { RequestEnvelope } from './envelope.js';
import { GatewaySocket } from './gateway-socket.js';

/** A message as the `message` event sees it: a validated envelope (JSON mode) or the raw bytes (raw mode). */
export type GatewayMessage =
  (RequestEnvelope & { readonly raw: false }) | { readonly raw: true; readonly data: Buffer; readonly binary: boolean };

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

export type GatewayEventName = keyof GatewayEvents;

/** A small typed event emitter: listener errors are reported on `error`, never thrown into the gateway. */
export class GatewayEmitter {
  private readonly listeners: { [K in GatewayEventName]: GatewayEvents[K][] } = {
    connect: [],
    message: [],
    close: [],
    recover: [],
    error: [],
  };

  on<K extends GatewayEventName>(event: K, listener: GatewayEvents[K]): () => void {
    const list = this.listeners[event] as GatewayEvents[K][];
    list.push(listener);
    return () => {
      const i = list.indexOf(listener);
      if (i !== -1) list.splice(i, 1);
    };
  }

  has(event: GatewayEventName): boolean {
    return this.listeners[event].length > 0;
  }

  emit<K extends GatewayEventName>(event: K, ...args: Parameters<GatewayEvents[K]>): void {
    const list = this.listeners[event];
    if (list.length === 0) return;
    for (const listener of list.slice()) {
      try {
        (listener as (...a: Parameters<GatewayEvents[K]>) => void)(...args);
      } catch (error) {
        if (event !== 'error') this.emit('error', error, socketArg(args));
      }
    }
  }
}

function socketArg(args: readonly unknown[]): GatewaySocket | null {
  return args[0] instanceof GatewaySocket ? args[0] : null;
}
