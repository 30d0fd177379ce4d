import type { PreparedMessage } from '../../server/prepared.js';
import type { SendResult } from '../../server/socket.js';

/**
 * What the gateway needs from one connection, and nothing more: the server's `WsSocket` is one, a test's fake is
 * another. Keeping the core on this seam is what lets dispatch, heartbeat, rate limit and `LocalNode` be tested
 * without sockets.
 */
export interface Transport {
  /** 0 CONNECTING, 1 OPEN, 2 CLOSING, 3 CLOSED. */
  readonly readyState: number;
  /** Bytes waiting in user space to be written. */
  readonly bufferedAmount: number;
  /** Bytes read from the peer so far (any inbound byte is a sign of life, even mid-message). */
  readonly bytesReceived: number;
  readonly remoteAddress: string;
  send(data: string | Uint8Array, options?: { binary?: boolean }): SendResult;
  /** Writes a message framed once for many sockets. */
  sendPrepared(message: PreparedMessage): SendResult;
  /** A protocol ping (the heartbeat's). */
  ping(): void;
  /** Starts the close handshake. */
  close(code?: number, reason?: string): void;
  /** Destroys the connection without a handshake (a peer that stopped answering). */
  terminate(): void;
}

/** `readyState` of an open transport. */
export const OPEN = 1;
