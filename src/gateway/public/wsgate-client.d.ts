import { type RecoveredEvent, type RecoveryFailedEvent } from './wsgate-recovery.js';
export type { RecoveredEvent, RecoveryFailedEvent, StreamRecoveryResult } from './wsgate-recovery.js';
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
    onmessage: ((event: {
        data: unknown;
    }) => void) | null;
    onerror: ((event: unknown) => void) | null;
    onclose: ((event: {
        code: number;
        reason: string;
        wasClean: boolean;
    }) => void) | null;
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
    error?: {
        code: string;
        message: string;
    };
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
/** The error a request rejects with: `code` is the server's error code, or "timeout", "disconnected", "closed", "queue_full". */
export declare class WsgateError extends Error {
    /** The server's error code, or 'timeout' | 'disconnected' | 'closed' | 'queue_full' | 'bad_json'. */
    readonly code: string;
    /** The server's error envelope, when there is one. */
    readonly reply: Envelope | undefined;
    /**
     * @param reply the server's error envelope, when there is one
     */
    constructor(code: string, message: string, reply?: unknown);
}
/**
 * Reconnect delay for attempt `attempt` (0-based): exponential backoff capped at `maxDelay`, with "full jitter"
 * (a uniform pick in [0, cap]) so a fleet of clients does not reconnect in lockstep after a server restart.
 */
export declare function backoffDelay(attempt: number, options: {
    minDelay: number;
    maxDelay: number;
    factor: number;
    jitter: boolean;
}, random?: () => number): number;
export declare class WsgateClient {
    readonly url: string;
    private readonly reconnectOptions;
    private readonly protocols;
    private readonly timeout;
    private readonly maxQueue;
    private readonly WebSocketImpl;
    private currentState;
    private ws;
    private attempt;
    private reconnectTimer;
    private nextId;
    /** id -> entry, for requests sent and not yet answered. */
    private pending;
    /** In send order. */
    private queue;
    /** id -> entry, for requests still in the queue. */
    private waiting;
    private readonly listeners;
    private openedOnce;
    private readonly recovery;
    /** Stream positions, the recovery token, and publications held back while a recovery is in flight. */
    private readonly streams;
    /**
     * @param url ws:, wss:, http:, https: or a path resolved against the page (`/ws`)
     */
    constructor(url: string | URL, options?: WsgateClientOptions);
    /** 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' */
    get state(): ClientState;
    /** True while the socket is open. */
    get connected(): boolean;
    /** Opens the connection (again, after `close()`). */
    connect(): void;
    /** Closes the connection for good (no reconnect). Queued messages and pending requests are rejected. */
    close(code?: number, reason?: string): void;
    /**
     * Fire and forget. Returns true when the message was sent or queued, false when the queue is full or the client
     * is closed.
     */
    send(type: string, data?: unknown): boolean;
    /**
     * Sends `{type, data, id}` and resolves with the reply's `data`. Rejects with a WsgateError on an error reply (its
     * code and message), on timeout ("timeout"), when the connection drops first ("disconnected") or on `close()`.
     */
    request<T = unknown>(type: string, data?: unknown, options?: {
        timeout?: number;
    }): Promise<T>;
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
    off(event: string, fn: (...args: never[]) => void): void;
    /** Like `on`, for one call. */
    once<A extends unknown[]>(event: string, fn: (...args: A) => void): () => void;
    private emit;
    /** The socket is usable: 'open' listeners first (re-joins go out before the queue), then the queued messages. */
    private opened;
    /** Presents the token; sends and requests stay queued until the answer (or its failure) says what came back. */
    private recover;
    /** `inner`: the data of a publication, handled as the frame it would have been without history. */
    private receive;
    private flush;
    private failPending;
    private failQueue;
    private scheduleReconnect;
}
export default WsgateClient;
