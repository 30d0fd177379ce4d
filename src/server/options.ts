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
};

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

/** Defaults overlaid with the socket options found in `options` (other keys, e.g. a server's, are ignored). */
export function resolveSocketOptions(options: Partial<SocketOptions>): SocketOptions {
  const resolved: SocketOptions = { ...DEFAULT_SOCKET_OPTIONS };
  for (const key of Object.keys(resolved) as (keyof SocketOptions)[]) {
    const value = options[key];
    if (value !== undefined) (resolved as unknown as Record<string, unknown>)[key] = value;
  }
  return resolved;
}
