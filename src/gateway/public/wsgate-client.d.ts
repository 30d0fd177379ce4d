/** How the client reconnects after the connection drops (see `backoffDelay`). */
export interface ReconnectOptions {
    /**
     * First delay cap in ms.
     *
     * @defaultValue `250`
     */
    minDelay?: number;
    /**
     * Largest delay in ms.
     *
     * @defaultValue `10_000`
     */
    maxDelay?: number;
    /**
     * Growth per attempt.
     *
     * @defaultValue `2`
     */
    factor?: number;
    /**
     * Full jitter: each delay is uniform in [0, cap].
     *
     * @defaultValue `true`
     */
    jitter?: boolean;
    /**
     * Give up after this many failed attempts in a row.
     *
     * @defaultValue `Infinity`
     */
    maxAttempts?: number;
}
/** What the client needs of a WebSocket: the browser's, Node 22+'s global one, wsgate's `WebSocket`, ws's... */
export interface WebSocketLike {
    /** 1 when open (`WebSocket.OPEN`). */
    readonly readyState: number;
    /** Set by the client. */
    onopen: ((event: unknown) => void) | null;
    /** Set by the client; `event.data` must be a string (the gateway sends text frames). */
    onmessage: ((event: {
        data: unknown;
    }) => void) | null;
    /** Set by the client. */
    onerror: ((event: unknown) => void) | null;
    /** Set by the client. */
    onclose: ((event: {
        code: number;
        reason: string;
        wasClean: boolean;
    }) => void) | null;
    /** Sends a text message. */
    send(data: string): void;
    /** Starts the close handshake. */
    close(code?: number, reason?: string): void;
}
/** A `WebSocket` class: `new WebSocket(url, protocols)`. */
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;
/** Options of `new WsgateClient(url, options)`; all optional. */
export interface WsgateClientOptions {
    /**
     * Reconnect settings; `false` turns reconnecting off.
     *
     * @defaultValue `{}`: reconnect with the `ReconnectOptions` defaults
     */
    reconnect?: false | ReconnectOptions;
    /**
     * Subprotocols to offer.
     *
     * @defaultValue `undefined`: none
     */
    protocols?: string | string[];
    /**
     * Default request timeout in ms.
     *
     * @defaultValue `10_000`
     */
    timeout?: number;
    /**
     * Messages kept while disconnected.
     *
     * @defaultValue `1_000`
     */
    maxQueue?: number;
    /**
     * Connect in the constructor.
     *
     * @defaultValue `true`
     */
    autoConnect?: boolean;
    /**
     * WebSocket implementation.
     *
     * @defaultValue `globalThis.WebSocket` (on Node 20, which has none, pass one)
     */
    WebSocket?: unknown;
}
/** Where the client stands: `'reconnecting'` waits for the next attempt; `'closed'` after `close()` or giving up. */
export type ClientState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';
/** A message from the gateway: a push, a reply (with the request's `id`) or an error (`type: 'error'`). */
export interface Envelope {
    /** The push or request type; `'error'` for an error. */
    type: string;
    /** The payload (a reply's `data` is the route handler's result). */
    data?: unknown;
    /** The request id a reply or error answers. */
    id?: string | number;
    /** An error's code and message. */
    error?: {
        /** Machine-readable (`'not_found'`, `'rate_limited'`, your `GatewayError` codes...). */
        code: string;
        /** For people. */
        message: string;
    };
}
/** The `open` event. */
export interface OpenEvent {
    /** True when this is a reconnection (redo uid binding and groups: they belonged to the old connection). */
    reconnected: boolean;
}
/** The `close` event. */
export interface CloseEvent {
    /** The close code. */
    code: number;
    /** The close reason. */
    reason: string;
    /** The close handshake completed. */
    wasClean: boolean;
    /** The connection had opened (false: a connection attempt failed). */
    wasOpen: boolean;
}
/** The `reconnecting` event: a reconnection is scheduled. */
export interface ReconnectingEvent {
    /** 1 for the first attempt after a drop. */
    attempt: number;
    /** Milliseconds until it. */
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
/**
 * The gateway's browser client: JSON envelopes, request/reply with timeouts, pushes by type, a send queue while
 * disconnected, and reconnection with jittered backoff (docs/client.md).
 */
export declare class WsgateClient {
    /** The WebSocket URL, resolved (`/ws` becomes `wss://host/ws` on an https page). */
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
     * events: 'open' ({reconnected}), 'close' ({code, reason, wasClean, wasOpen}), 'reconnecting' ({attempt, delay}),
     * 'error' (Error). Returns a function that removes the listener.
     */
    on(event: 'open', fn: (event: OpenEvent) => void): () => void;
    on(event: 'close', fn: (event: CloseEvent) => void): () => void;
    on(event: 'reconnecting', fn: (event: ReconnectingEvent) => void): () => void;
    on(event: 'error', fn: (error: Error) => void): () => void;
    on(event: 'message', fn: (envelope: Envelope) => void): () => void;
    /** A pushed message's `data` is whatever the server sent: `T` is the caller's word for it, not checked. */
    on<T = unknown>(event: string, fn: (data: T, envelope: Envelope) => void): () => void;
    /** Removes a listener added with `on`. */
    off(event: string, fn: (...args: never[]) => void): void;
    /** Like `on`, for one call. */
    once<A extends unknown[]>(event: string, fn: (...args: A) => void): () => void;
    private emit;
    private receive;
    private flush;
    private failPending;
    private failQueue;
    private scheduleReconnect;
}
export default WsgateClient;
