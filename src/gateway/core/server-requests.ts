import { systemClock, type Clock, type ClockTimer } from './clock.js';
import { ErrorCode, GatewayError } from './errors.js';
import { countSend, type Counters } from './stats.js';
import { OPEN, type Transport } from './transport.js';

/*
 * Server → client requests (`socket.request(type, data, { timeout })`), the mirror of the client's requests:
 *   gateway → client   {"type": string, "data"?: any, "request": n}          (n: a positive integer, per socket)
 *   client → gateway   {"type": <same type>, "replyTo": n, "data"?: any}      (the handler's answer)
 *                      {"type": "error", "replyTo": n, "error": {"code", "message"}}
 * A message carrying "replyTo" is an answer, never routed. Each socket may have at most `maxPendingRequests`
 * unanswered requests; the rest reject at once, so a client that never answers costs a bounded number of timers.
 */

/** Settings of server → client requests (gateway options `requestTimeout` and `maxPendingRequests`). */
export interface ServerRequestSettings {
  /** Default timeout of `socket.request` in ms. */
  readonly timeout: number;
  /** Unanswered requests allowed per socket. */
  readonly maxPending: number;
}

/** Error codes `socket.request` rejects with (as `GatewayError`), besides the client's own error codes. */
export const ServerRequestError = {
  /** No answer within the timeout. */
  Timeout: 'timeout',
  /** The socket closed before it answered (or was not open). */
  Disconnected: 'disconnected',
  /** The socket already has `maxPendingRequests` unanswered requests. */
  TooManyRequests: 'too_many_requests',
} as const;

/** One unanswered request. */
interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: GatewayError) => void;
  readonly timer: ClockTimer;
  readonly type: string;
}

/** What this module needs of a socket (a `RequestTarget`; structural so that the socket can import this file). */
export interface RequestTarget {
  readonly transport: Transport | null;
  /** Owned by this module. */
  pendingRequests: PendingRequests | null;
}

/** The per-socket table: the next request number and what is unanswered. Created at a socket's first request. */
export class PendingRequests {
  next = 1;
  readonly entries = new Map<number, Pending>();
}

/**
 * Sends requests to a gateway's sockets and matches their answers: one per gateway, shared by its sockets (each
 * socket holds only its own `PendingRequests`, created at its first request).
 */
export class ServerRequests {
  constructor(
    private readonly settings: ServerRequestSettings,
    private readonly counters: Counters,
    private readonly clock: Clock = systemClock,
  ) {}

  /** `requestTimeout`: the timeout of requests that name none. */
  get defaultTimeout(): number {
    return this.settings.timeout;
  }

  /** Sends `{"type","data","request"}` to `socket` and resolves with the `data` of its answer. */
  ask(socket: RequestTarget, type: string, data: unknown, timeout = this.settings.timeout): Promise<unknown> {
    if (typeof type !== 'string' || type.length === 0) {
      return Promise.reject(new TypeError('request type must be a non-empty string'));
    }
    if (!Number.isFinite(timeout) || timeout <= 0) {
      return Promise.reject(new TypeError(`request timeout must be a positive number, got ${timeout}`));
    }
    const transport = socket.transport;
    if (transport === null || transport.readyState !== OPEN) {
      return Promise.reject(new GatewayError(ServerRequestError.Disconnected, 'the socket is not open'));
    }
    const table = (socket.pendingRequests ??= new PendingRequests());
    if (table.entries.size >= this.settings.maxPending) {
      return Promise.reject(
        new GatewayError(
          ServerRequestError.TooManyRequests,
          `the socket already has ${this.settings.maxPending} unanswered requests (maxPendingRequests)`,
        ),
      );
    }
    let text: string;
    const id = table.next++;
    try {
      text = JSON.stringify(data === undefined ? { type, request: id } : { type, data, request: id });
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new TypeError('request data is not JSON-serializable'));
    }
    return new Promise((resolve, reject) => {
      const timer = this.clock.setTimeout(expire, timeout, socket, id);
      timer.unref?.();
      table.entries.set(id, { resolve, reject, timer, type });
      countSend(this.counters, transport.send(text));
    });
  }

  /**
   * An answer from the client (a message with `replyTo`): settles the request it names. Answers to unknown or
   * expired requests are ignored. `message` is the parsed JSON object.
   */
  answer(socket: RequestTarget, replyTo: number, message: { type?: unknown; data?: unknown; error?: unknown }): void {
    const entry = socket.pendingRequests?.entries.get(replyTo);
    if (entry === undefined) return;
    socket.pendingRequests!.entries.delete(replyTo);
    this.clock.clear(entry.timer);
    if (message.type === 'error') {
      const error = (typeof message.error === 'object' && message.error !== null ? message.error : {}) as {
        code?: unknown;
        message?: unknown;
      };
      const code = typeof error.code === 'string' && error.code !== '' ? error.code : ErrorCode.HandlerError;
      const text = typeof error.message === 'string' ? error.message : 'the client failed to answer';
      entry.reject(new GatewayError(code, text));
    } else {
      entry.resolve(message.data);
    }
  }

  /** The socket closed: every unanswered request rejects with `disconnected`. */
  closed(socket: RequestTarget): void {
    const table = socket.pendingRequests;
    if (table === null) return;
    socket.pendingRequests = null;
    for (const entry of table.entries.values()) {
      this.clock.clear(entry.timer);
      entry.reject(
        new GatewayError(ServerRequestError.Disconnected, `the socket closed before answering "${entry.type}"`),
      );
    }
  }
}

/** The shared timer callback (no closure per request). */
function expire(socket: RequestTarget, id: number): void {
  const table = socket.pendingRequests;
  const entry = table?.entries.get(id);
  if (entry === undefined) return;
  table!.entries.delete(id);
  entry.reject(new GatewayError(ServerRequestError.Timeout, `no answer to "${entry.type}" in time`));
}

/** Checks the gateway options of server → client requests; throws a TypeError naming a bad one. */
export function checkServerRequestSettings(timeout: number, maxPending: number): ServerRequestSettings {
  if (!Number.isFinite(timeout) || timeout <= 0)
    throw new TypeError(`requestTimeout must be a positive number, got ${timeout}`);
  if (!Number.isSafeInteger(maxPending) || maxPending <= 0)
    throw new TypeError(`maxPendingRequests must be a positive integer, got ${maxPending}`);
  return { timeout, maxPending };
}
