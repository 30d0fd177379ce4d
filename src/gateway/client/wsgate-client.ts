// wsgate browser client — zero dependencies, plain ES module. Served by the gateway at /wsgate.js and exported as
// `wsgate/client`. The source is src/gateway/client/wsgate-client.ts; src/gateway/public/wsgate-client.js and .d.ts
// are compiled from it by `npm run build:client` (tsc -p src/gateway/client): edit the source, never the output.
//
//   import { WsgateClient } from '/wsgate.js';
//   const client = new WsgateClient('/ws');
//   client.on('chat', (data) => console.log(data));
//   client.on('open', () => client.request('bind', { uid: 'ada' }));
//   const reply = await client.request('whoami');
//
// Wire envelope (text frames, JSON): we send {"type", "data"?, "id"?}; a reply carries the same "id" and either
// "data" or, for a failure, {"type":"error","error":{"code","message"}}. Anything without a pending "id" is a push.
//
// While the socket is not open, `send` and `request` are QUEUED (up to `maxQueue` messages) and flushed in order on
// the next open; a queued request's timeout keeps running. Requests already sent when the connection drops are
// REJECTED (code "disconnected"): the server may or may not have handled them, so only the app can decide to retry.
// Server-side state (uid binding, groups) belongs to the connection: redo it in an 'open' handler — unless the
// gateway has `recovery` on: then the client presents its token on reconnect, gets its uid, groups, session and
// (with `history`) missed messages back, and 'open' says `recovered: true` (wsgate-recovery.ts). Either way the
// 'open' listeners run before queued messages are flushed, so a re-join goes out before what was queued.
//
// The exported types describe the WebSocket structurally, so using the client needs no DOM types.

import {
  parsePublication,
  PUBLICATION_TYPE,
  RECOVER_TYPE,
  StreamTracker,
  TOKEN_TYPE,
  type RecoveredEvent,
  type RecoveryFailedEvent,
  type StreamRecoveryResult,
} from './wsgate-recovery.js';
export type { RecoveredEvent, RecoveryFailedEvent, StreamRecoveryResult } from './wsgate-recovery.js';

const OPEN = 1; // WebSocket.OPEN

export interface ReconnectOptions {
  /** First delay cap in ms. Default 250. */
  minDelay?: number;
  /** Largest delay in ms. Default 10,000. */
  maxDelay?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Full jitter: each delay is uniform in [0, cap]. Default true. */
  jitter?: boolean;
  /** Give up after this many failed attempts in a row. Default Infinity. */
  maxAttempts?: number;
}

export interface WebSocketLike {
  readonly readyState: number;
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: unknown) => void) | null;
  onclose: ((event: { code: number; reason: string; wasClean: boolean }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface WsgateClientOptions {
  /** `false` turns reconnecting off. */
  reconnect?: false | ReconnectOptions;
  protocols?: string | string[];
  /** Default request timeout in ms. Default 10,000. */
  timeout?: number;
  /** Messages kept while disconnected. Default 1,000. */
  maxQueue?: number;
  /** Connect in the constructor. Default true. */
  autoConnect?: boolean;
  /** WebSocket implementation. Default `globalThis.WebSocket`. */
  WebSocket?: unknown;
  /** Present the recovery token after reconnecting, when the server gave one. Default true. */
  recovery?: boolean;
}

export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface Envelope {
  type: string;
  data?: unknown;
  id?: string | number;
  error?: { code: string; message: string };
}

export interface OpenEvent {
  reconnected: boolean;
  /** The server gave this connection the previous one's uid, groups and session back (see 'recovered'). */
  recovered: boolean;
}
export interface CloseEvent {
  code: number;
  reason: string;
  wasClean: boolean;
  wasOpen: boolean;
}
export interface ReconnectingEvent {
  attempt: number;
  delay: number;
}

type Backoff = Required<ReconnectOptions>;
type Listener = (...args: unknown[]) => void;
interface Entry {
  resolve: (value: unknown) => void;
  reject: (error: WsgateError) => void;
  timer: ReturnType<typeof setTimeout> | null;
}
interface Queued {
  text: string;
  id: number | undefined;
}

const DEFAULT_RECONNECT: Backoff = { minDelay: 250, maxDelay: 10000, factor: 2, jitter: true, maxAttempts: Infinity };

/** The error a request rejects with: `code` is the server's error code, or "timeout", "disconnected", "closed", "queue_full". */
export class WsgateError extends Error {
  /** The server's error code, or 'timeout' | 'disconnected' | 'closed' | 'queue_full' | 'bad_json'. */
  readonly code: string;
  /** The server's error envelope, when there is one. */
  readonly reply: Envelope | undefined;

  /**
   * @param reply the server's error envelope, when there is one
   */
  constructor(code: string, message: string, reply?: unknown) {
    super(message);
    this.name = 'WsgateError';
    this.code = code;
    this.reply = reply as Envelope | undefined;
  }
}

/**
 * Reconnect delay for attempt `attempt` (0-based): exponential backoff capped at `maxDelay`, with "full jitter"
 * (a uniform pick in [0, cap]) so a fleet of clients does not reconnect in lockstep after a server restart.
 */
export function backoffDelay(
  attempt: number,
  options: { minDelay: number; maxDelay: number; factor: number; jitter: boolean },
  random: () => number = Math.random,
): number {
  const cap = Math.min(options.maxDelay, options.minDelay * Math.pow(options.factor, attempt));
  return Math.round(options.jitter ? random() * cap : cap);
}

export class WsgateClient {
  readonly url: string;
  private readonly reconnectOptions: Backoff | null;
  private readonly protocols: string | string[] | undefined;
  private readonly timeout: number;
  private readonly maxQueue: number;
  private readonly WebSocketImpl: WebSocketConstructor;
  private currentState: ClientState;
  private ws: WebSocketLike | null;
  private attempt: number;
  private reconnectTimer: ReturnType<typeof setTimeout> | null;
  private nextId: number;
  /** id -> entry, for requests sent and not yet answered. */
  private pending: Map<string | number, Entry>;
  /** In send order. */
  private queue: Queued[];
  /** id -> entry, for requests still in the queue. */
  private waiting: Map<number, Entry>;
  private readonly listeners: Map<string, Set<Listener>>;
  private openedOnce: boolean;
  private readonly recovery: boolean;
  /** Stream positions, the recovery token, and publications held back while a recovery is in flight. */
  private readonly streams = new StreamTracker();

  /**
   * @param url ws:, wss:, http:, https: or a path resolved against the page (`/ws`)
   */
  constructor(url: string | URL, options: WsgateClientOptions = {}) {
    this.url = resolveUrl(url);
    this.reconnectOptions = options.reconnect === false ? null : { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.protocols = options.protocols;
    this.timeout = options.timeout ?? 10000;
    this.maxQueue = options.maxQueue ?? 1000;
    this.WebSocketImpl = (options.WebSocket ??
      (globalThis as { WebSocket?: unknown }).WebSocket) as WebSocketConstructor;
    if (typeof this.WebSocketImpl !== 'function') throw new TypeError('WsgateClient: no WebSocket implementation');
    this.currentState = 'idle';
    this.ws = null;
    this.attempt = 0;
    this.reconnectTimer = null;
    this.nextId = 1;
    this.pending = new Map();
    this.queue = [];
    this.waiting = new Map();
    this.listeners = new Map();
    this.openedOnce = false;
    this.recovery = options.recovery !== false;
    if (options.autoConnect !== false) this.connect();
  }

  /** 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' */
  get state(): ClientState {
    return this.currentState;
  }

  /** True while the socket is open. */
  get connected(): boolean {
    return this.currentState === 'open';
  }

  /** Opens the connection (again, after `close()`). */
  connect(): void {
    if (this.currentState === 'connecting' || this.currentState === 'open') return;
    clearTimeout(this.reconnectTimer ?? undefined);
    this.reconnectTimer = null;
    if (this.currentState !== 'reconnecting') this.currentState = 'connecting';
    let ws: WebSocketLike;
    try {
      ws =
        this.protocols === undefined
          ? new this.WebSocketImpl(this.url)
          : new this.WebSocketImpl(this.url, this.protocols);
    } catch (err) {
      this.emit('error', err instanceof Error ? err : new Error(String(err)));
      this.scheduleReconnect();
      return;
    }
    this.ws = ws;
    ws.onopen = () => {
      if (this.ws !== ws) return;
      const reconnected = this.openedOnce;
      this.openedOnce = true;
      this.attempt = 0;
      const presented = reconnected && this.recovery ? this.streams.beginRecovery() : null;
      if (presented === null) this.opened(reconnected, false);
      else this.recover(ws, presented);
    };
    ws.onmessage = (event) => {
      if (this.ws === ws) this.receive(event.data);
    };
    ws.onerror = () => {
      // Browsers give no detail here on purpose; the close event that follows says what happened.
      if (this.ws === ws) this.emit('error', new Error('WebSocket error'));
    };
    ws.onclose = (event) => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.failPending('disconnected', `connection closed (${event.code})`);
      const wasOpen = this.currentState === 'open';
      const stopped = this.currentState === 'closed';
      if (!stopped) this.currentState = 'reconnecting';
      this.emit('close', {
        code: event.code,
        reason: event.reason,
        wasClean: event.wasClean,
        wasOpen,
      } satisfies CloseEvent);
      if (!stopped) this.scheduleReconnect();
    };
  }

  /** Closes the connection for good (no reconnect). Queued messages and pending requests are rejected. */
  close(code = 1000, reason = ''): void {
    const ws = this.ws;
    this.currentState = 'closed';
    clearTimeout(this.reconnectTimer ?? undefined);
    this.reconnectTimer = null;
    this.failPending('closed', 'client closed');
    this.failQueue('closed', 'client closed');
    if (ws !== null && ws.readyState <= OPEN) {
      ws.close(code, reason);
    } else if (ws === null) {
      this.emit('close', { code, reason, wasClean: true, wasOpen: false } satisfies CloseEvent);
    }
  }

  /**
   * Fire and forget. Returns true when the message was sent or queued, false when the queue is full or the client
   * is closed.
   */
  send(type: string, data?: unknown): boolean {
    const text = JSON.stringify(data === undefined ? { type } : { type, data });
    if (this.currentState === 'open') {
      this.ws!.send(text);
      return true;
    }
    if (this.currentState === 'closed' || this.queue.length >= this.maxQueue) return false;
    this.queue.push({ text, id: undefined });
    return true;
  }

  /**
   * Sends `{type, data, id}` and resolves with the reply's `data`. Rejects with a WsgateError on an error reply (its
   * code and message), on timeout ("timeout"), when the connection drops first ("disconnected") or on `close()`.
   */
  request<T = unknown>(type: string, data?: unknown, options: { timeout?: number } = {}): Promise<T> {
    if (this.currentState === 'closed') return Promise.reject(new WsgateError('closed', 'client closed'));
    const id = this.nextId++;
    const envelope = data === undefined ? { type, id } : { type, data, id };
    const text = JSON.stringify(envelope);
    const timeout = options.timeout ?? this.timeout;
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = { resolve: resolve as (value: unknown) => void, reject, timer: null };
      entry.timer = setTimeout(() => {
        this.pending.delete(id);
        this.waiting.delete(id);
        const queued = this.queue.findIndex((item) => item.id === id);
        if (queued !== -1) this.queue.splice(queued, 1);
        reject(new WsgateError('timeout', `request "${type}" timed out after ${timeout} ms`));
      }, timeout);
      if (this.currentState === 'open') {
        this.pending.set(id, entry);
        this.ws!.send(text);
      } else if (this.queue.length >= this.maxQueue) {
        clearTimeout(entry.timer);
        reject(new WsgateError('queue_full', 'too many messages queued while disconnected'));
      } else {
        this.waiting.set(id, entry);
        this.queue.push({ text, id });
      }
    });
  }

  /**
   * Listens for pushed messages of `type` (fn(data, envelope)), every pushed envelope ('message'), or lifecycle
   * events: 'open' ({reconnected, recovered}), 'close' ({code, reason, wasClean, wasOpen}), 'reconnecting'
   * ({attempt, delay}), 'error' (Error), 'recovered' / 'recovery-failed' (after a reconnect, before 'open').
   * Returns a function that removes the listener.
   */
  on(event: 'open', fn: (event: OpenEvent) => void): () => void;
  on(event: 'recovered', fn: (event: RecoveredEvent) => void): () => void;
  on(event: 'recovery-failed', fn: (event: RecoveryFailedEvent) => void): () => void;
  on(event: 'close', fn: (event: CloseEvent) => void): () => void;
  on(event: 'reconnecting', fn: (event: ReconnectingEvent) => void): () => void;
  on(event: 'error', fn: (error: Error) => void): () => void;
  on(event: 'message', fn: (envelope: Envelope) => void): () => void;
  /** A pushed message's `data` is whatever the server sent: `T` is the caller's word for it, not checked. */
  on<T = unknown>(event: string, fn: (data: T, envelope: Envelope) => void): () => void;
  on(event: string, fn: (...args: never[]) => void): () => void {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(fn as Listener);
    return () => this.off(event, fn);
  }

  off(event: string, fn: (...args: never[]) => void): void {
    this.listeners.get(event)?.delete(fn as Listener);
  }

  /** Like `on`, for one call. */
  once<A extends unknown[]>(event: string, fn: (...args: A) => void): () => void {
    const off = this.on(event, (...args: unknown[]) => {
      off();
      fn(...(args as A));
    });
    return off;
  }

  // --- internals ---

  private emit(event: string, ...args: unknown[]): void {
    const set = this.listeners.get(event);
    if (set === undefined) return;
    for (const fn of [...set]) {
      try {
        fn(...args);
      } catch (err) {
        // One faulty listener must not stop the others or the client; surface it without throwing.
        setTimeout(() => {
          throw err;
        });
      }
    }
  }

  /** The socket is usable: 'open' listeners first (re-joins go out before the queue), then the queued messages. */
  private opened(reconnected: boolean, recovered: boolean): void {
    this.currentState = 'open';
    this.emit('open', { reconnected, recovered } satisfies OpenEvent);
    this.flush();
  }

  /** Presents the token; sends and requests stay queued until the answer (or its failure) says what came back. */
  private recover(ws: WebSocketLike, presented: object): void {
    const id = this.nextId++;
    const finish = (data: unknown, reason: string | null): void => {
      if (this.ws !== ws) {
        // That connection died first: what it had received still goes to the app, in order.
        for (const publication of this.streams.finishRecovery(null)) this.receive(publication.data, true);
        return;
      }
      const reply = (data ?? {}) as Partial<RecoveredEvent>;
      const streams: Record<string, StreamRecoveryResult> = reply.streams ?? {};
      const held = this.streams.finishRecovery(reason === null ? streams : null);
      const failed = Object.values(streams).some((s) => !s.recovered);
      const identity =
        reason === null ? { socketId: String(reply.socketId), previousId: String(reply.previousId) } : {};
      if (reason === null && !failed) this.emit('recovered', { ...identity, streams } as RecoveredEvent);
      else
        this.emit('recovery-failed', { reason: reason ?? 'incomplete', ...identity, streams } as RecoveryFailedEvent);
      for (const publication of held) this.receive(publication.data, true);
      if (ws.readyState === OPEN) this.opened(true, reason === null);
    };
    const entry: Entry = {
      resolve: (data) => finish(data, null),
      reject: (error) => finish(null, error.code),
      timer: setTimeout(() => {
        this.pending.delete(id);
        finish(null, 'timeout');
      }, this.timeout),
    };
    this.pending.set(id, entry);
    ws.send(JSON.stringify({ type: RECOVER_TYPE, id, data: presented }));
  }

  /** `inner`: the data of a publication, handled as the frame it would have been without history. */
  private receive(raw: unknown, inner = false): void {
    if (typeof raw !== 'string') return; // the envelope is text-only; binary frames are not part of it
    let envelope: unknown;
    try {
      envelope = JSON.parse(raw);
    } catch {
      this.emit('error', new WsgateError('bad_json', 'server sent invalid JSON'));
      return;
    }
    if (envelope === null || typeof envelope !== 'object') return;
    const message = envelope as {
      type?: unknown;
      data?: unknown;
      id?: unknown;
      error?: { code?: unknown; message?: unknown } | null;
    };
    const id = message.id as string | number | null | undefined;
    if (id !== undefined && id !== null && this.pending.has(id)) {
      const entry = this.pending.get(id)!;
      this.pending.delete(id);
      clearTimeout(entry.timer ?? undefined);
      if (message.type === 'error') {
        const error = message.error ?? {};
        entry.reject(
          new WsgateError(String(error.code ?? 'error'), String(error.message ?? 'request failed'), message),
        );
      } else {
        entry.resolve(message.data);
      }
      return;
    }
    if (!inner && message.type === TOKEN_TYPE) {
      const token = (message.data as { token?: unknown } | undefined)?.token;
      if (typeof token === 'string') this.streams.token = token;
      return;
    }
    if (!inner && message.type === PUBLICATION_TYPE) {
      const publication = parsePublication(message as Record<string, unknown>);
      if (publication !== null) for (const p of this.streams.accept(publication)) this.receive(p.data, true);
      return;
    }
    if (message.type === 'error') {
      const error = message.error ?? {};
      this.emit(
        'error',
        new WsgateError(String(error.code ?? 'error'), String(error.message ?? 'server error'), message),
      );
      return;
    }
    this.emit('message', message);
    if (typeof message.type === 'string') this.emit(message.type, message.data, message);
  }

  private flush(): void {
    const queue = this.queue;
    this.queue = [];
    for (const item of queue) {
      if (this.currentState !== 'open') {
        this.queue.push(item);
        continue;
      }
      if (item.id !== undefined) {
        const entry = this.waiting.get(item.id);
        if (entry === undefined) continue; // timed out while queued
        this.waiting.delete(item.id);
        this.pending.set(item.id, entry);
      }
      this.ws!.send(item.text);
    }
  }

  private failPending(code: string, message: string): void {
    const pending = this.pending;
    this.pending = new Map();
    for (const entry of pending.values()) {
      clearTimeout(entry.timer ?? undefined);
      entry.reject(new WsgateError(code, message));
    }
  }

  private failQueue(code: string, message: string): void {
    this.queue = [];
    const waiting = this.waiting;
    this.waiting = new Map();
    for (const entry of waiting.values()) {
      clearTimeout(entry.timer ?? undefined);
      entry.reject(new WsgateError(code, message));
    }
  }

  private scheduleReconnect(): void {
    const options = this.reconnectOptions;
    if (options === null || this.attempt >= options.maxAttempts) {
      this.currentState = 'closed';
      this.failQueue('closed', 'connection lost and reconnect is off');
      return;
    }
    this.currentState = 'reconnecting';
    const delay = backoffDelay(this.attempt, options);
    this.attempt++;
    this.emit('reconnecting', { attempt: this.attempt, delay } satisfies ReconnectingEvent);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.currentState === 'reconnecting') this.connect();
    }, delay);
  }
}

function resolveUrl(url: string | URL): string {
  const location = (globalThis as { location?: { href: string } }).location;
  const resolved = new URL(String(url), location === undefined ? undefined : location.href);
  if (resolved.protocol === 'http:') resolved.protocol = 'ws:';
  else if (resolved.protocol === 'https:') resolved.protocol = 'wss:';
  return resolved.href;
}

export default WsgateClient;
