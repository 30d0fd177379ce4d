import { MessageBudget, processMessageBudget } from '../protocol/message-budget.js';
import type { BackpressurePolicy, SocketOptions } from './socket.js';

/** Defaults shared by `createServer` and `connect`, in one place (documented in docs/server.md). */
export const DEFAULT_SOCKET_OPTIONS: SocketOptions = {
  /** Largest message accepted (after decompression): 16 MiB. Larger → close 1009. */
  maxPayload: 16 * 1024 * 1024,
  /** Most fragments per message. */
  maxFragments: 131_072,
  /** How long we wait for the peer to finish the close handshake before destroying the TCP connection. */
  closeTimeout: 5_000,
  /** Close sockets with no traffic in either direction for this long (ms); 0 = off. */
  idleTimeout: 0,
  /** Cap on bytes queued in user space per socket. */
  maxBufferedAmount: 16 * 1024 * 1024,
  backpressurePolicy: 'drop' satisfies BackpressurePolicy,
  /** Stop reading from a peer while our writes to it are backed up. */
  pauseOnBackpressure: true,
  compressionThreshold: 1024,
  /**
   * Pongs queued since the send buffer was last empty, past which a peer that pings without reading stops being read
   * until it does: 64 KiB, some 500 replies to 125-byte pings, far more than any heartbeat needs.
   */
  maxControlBacklog: 64 * 1024,
  /** A message must arrive whole within 60 s of its first chunk (16 MiB at 2.2 Mbit/s); 0 = no limit. → 1008. */
  messageTimeout: 60_000,
  /** Shared by every socket of the process: 128 MiB of unfinished messages (`DEFAULT_LIMITS.messageBudget`). → 1013. */
  messageBudget: processMessageBudget(),
};

/** Defaults of the options only `createServer` has, in one place (documented in docs/server.md). */
export const DEFAULT_SERVER_OPTIONS = {
  /** Whole opening handshake (headers + authorize hook) must finish within this many ms, else 408 and close. */
  handshakeTimeout: 10_000,
  /** Largest request head accepted by the standalone HTTP server (Node answers 431 above it). */
  maxHeaderSize: 16 * 1024,
  /** Grace period of `server.close()` before remaining sockets are terminated. */
  shutdownTimeout: 5_000,
} as const;

export const DEFAULT_CLIENT_OPTIONS = {
  /**
   * `connect()`: the whole opening handshake (TCP, TLS, request, response head and, for a refusal, its body) must
   * finish within this many ms — an absolute deadline, not an idle timer, so a server trickling bytes cannot
   * stretch it.
   */
  timeout: 10_000,
  /** Characters of a refused upgrade's body kept for `ConnectError.body`; the refusal is reported once this many arrived. */
  refusalBodyLimit: 4096,
} as const;

/**
 * How `createServer` and `connect` take the message budget: a `MessageBudget` to share (e.g. between a server and
 * its clients), or a number of bytes for a budget of this server's (or this client's) own.
 */
export type MessageBudgetOption = MessageBudget | number;

/** Defaults overlaid with the socket options found in `options` (other keys, e.g. a server's, are ignored). */
export function resolveSocketOptions(
  options: Partial<Omit<SocketOptions, 'messageBudget'>> & { messageBudget?: MessageBudgetOption },
): SocketOptions {
  const resolved: SocketOptions = { ...DEFAULT_SOCKET_OPTIONS };
  for (const key of Object.keys(resolved) as (keyof SocketOptions)[]) {
    const value = options[key];
    if (value !== undefined) (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  const budget = options.messageBudget;
  if (typeof budget === 'number') resolved.messageBudget = new MessageBudget(budget);
  return resolved;
}
