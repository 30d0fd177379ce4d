import { type RecoveredEvent, type RecoveryFailedEvent } from './wsgate-recovery.js';
export type { RecoveredEvent, RecoveryFailedEvent, StreamRecoveryResult } from './wsgate-recovery.js';
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
    /** The subprotocol the server chose ('' for none). */
    readonly protocol?: string;
    /** Set to 'arraybuffer' by the client, so binary frames arrive as ArrayBuffers. */
    binaryType?: string;
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
    /** Sends a text message, or a binary one (an ArrayBuffer or a view). */
    send(data: string | ArrayBuffer | ArrayBufferView): void;
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
    /**
     * More URLs of the same service (other nodes): after a failed connection or a drop, the next attempt goes to the
     * next URL of [url, ...urls], round-robin, with the usual backoff.
     *
     * @defaultValue `[]`: only `url`
     */
    urls?: readonly (string | URL)[];
    /**
     * Close codes after which the client stops instead of reconnecting.
     *
     * @defaultValue `TERMINAL_CLOSE_CODES`
     */
    terminalCloseCodes?: readonly number[];
    /**
     * Present the recovery token after reconnecting, when the server gave one.
     *
     * @defaultValue `true`
     */
    recovery?: boolean;
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
    /** The server gave this connection the previous one's uid, groups and session back (see 'recovered'). */
    recovered: boolean;
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
    /** True when the code is terminal (see TERMINAL_CLOSE_CODES): the client stopped and will not reconnect. */
    terminal: boolean;
}
/** The 'unauthorized' (4401) and 'forbidden' (4403) events: the server refused this client; it stopped. */
export interface RefusedEvent {
    /** 4401 or 4403. */
    code: number;
    /** The refusal's error code (`unauthorized`, `forbidden`, or the one `authenticate` gave). */
    reason: string;
}
/** What a `handle(type, fn)` handler returns (or resolves to): the answer's `data`. Throw to answer an error. */
export type RequestHandler = (data: unknown, envelope: Envelope) => unknown;
/** The `reconnecting` event: a reconnection is scheduled. */
export interface ReconnectingEvent {
    /** 1 for the first attempt after a drop. */
    attempt: number;
    /** Milliseconds until it. */
    delay: number;
}
/**
 * Close codes after which reconnecting would only be refused again, so the client stops: 1002 protocol error, 1003
 * unsupported data (e.g. binary to a gateway without an `onBinary` handler), 1007 invalid payload, 1008 policy
 * violation, 1010 missing extension, 4401 unauthorized, 4403 forbidden, and the gateway's other in-band refusals
 * 4400–4499 (4000 + an HTTP 4xx) except 4408 and 4429, which say "later". Everything else (1001 going away, 1006
 * dropped, 1011 server error, 1012/1013 restart/try later, 4001 auth timeout, 4002 heartbeat, 4029 rate limit)
 * reconnects with backoff.
 */
export declare const TERMINAL_CLOSE_CODES: readonly number[];
/**
 * The error a request (or `ready()`) rejects with: `code` is the server's error code, or "timeout", "disconnected",
 * "closed", "queue_full", or — when the server refused the client for good — "unauthorized", "forbidden", "refused".
 */
export declare class WsgateError extends Error {
    /**
     * The server's error code, or 'timeout' | 'disconnected' | 'closed' | 'queue_full' | 'bad_json' |
     * 'unauthorized' | 'forbidden' | 'refused'.
     */
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
    /** [url, ...urls], resolved. */
    readonly urls: readonly string[];
    private urlIndex;
    private readonly terminalCodes;
    /** `handle(type, fn)` handlers of server requests. */
    private readonly handlers;
    private readyWaiters;
    /** Why the client stopped for good (a terminal close code), for `ready()` calls after it. */
    private stopError;
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
    /** The URL of the current (or next) connection attempt. */
    get url(): string;
    /** 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' */
    get state(): ClientState;
    /** True while the socket is open. */
    get connected(): boolean;
    /** Opens the connection (again, after `close()`). */
    connect(): void;
    /** Closes the connection for good (no reconnect). Queued messages and pending requests are rejected. */
    close(code?: number, reason?: string): void;
    /**
     * Resolves once the connection is open (at once if it is). Rejects when the client stops for good before that:
     * code "unauthorized" (4401) or "forbidden" (4403) when the server refused it, "refused" for the other terminal
     * close codes, "closed" after `close()` or when reconnecting gave up.
     */
    ready(): Promise<void>;
    /**
     * Answers the server's requests of `type` (`socket.request(type, data)` on the gateway): `fn(data, envelope)`'s
     * return value (or resolved value) is the answer's `data`; a throw answers an error with the thrown value's `code`
     * (when it is a string, else "handler_error") and message. One handler per type (a second call replaces the
     * first); requests of a type without a handler are answered "unknown_type". Returns a function that removes it.
     */
    handle(type: string, fn: RequestHandler): () => void;
    /**
     * Fire and forget: `send(type, data)` sends a JSON envelope; `send(bytes)` (an ArrayBuffer or a typed array /
     * DataView) sends one binary frame, for the gateway's `onBinary` handler. Returns true when the message was sent or
     * queued, false when the queue is full or the client is closed. Throws a TypeError for bytes as `data` (JSON would
     * turn them into {"0":…}).
     */
    send(bytes: ArrayBuffer | ArrayBufferView): boolean;
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
     * events: 'open' ({reconnected, recovered}), 'close' ({code, reason, wasClean, wasOpen, terminal}), 'reconnecting'
     * ({attempt, delay}), 'error' (Error), 'unauthorized' / 'forbidden' ({code, reason}: refused by the server,
     * stopped), 'binary' (ArrayBuffer), 'recovered' / 'recovery-failed' (after a reconnect, before 'open'). Returns a
     * function that removes the listener.
     */
    on(event: 'open', fn: (event: OpenEvent) => void): () => void;
    on(event: 'recovered', fn: (event: RecoveredEvent) => void): () => void;
    on(event: 'recovery-failed', fn: (event: RecoveryFailedEvent) => void): () => void;
    on(event: 'close', fn: (event: CloseEvent) => void): () => void;
    on(event: 'reconnecting', fn: (event: ReconnectingEvent) => void): () => void;
    on(event: 'error', fn: (error: Error) => void): () => void;
    on(event: 'unauthorized' | 'forbidden', fn: (event: RefusedEvent) => void): () => void;
    on(event: 'binary', fn: (data: ArrayBuffer) => void): () => void;
    on(event: 'message', fn: (envelope: Envelope) => void): () => void;
    /** A pushed message's `data` is whatever the server sent: `T` is the caller's word for it, not checked. */
    on<T = unknown>(event: string, fn: (data: T, envelope: Envelope) => void): () => void;
    /** Removes a listener added with `on`. */
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
    /** Runs the handler of a server request and sends its answer on the connection it came from (if still open). */
    private answer;
    /** The server closed with a terminal code: stop for good and say why. */
    private refused;
    /** Resolves (error null) or rejects every `ready()` waiting. */
    private settleReady;
    private flush;
    private failPending;
    private failQueue;
    private scheduleReconnect;
}
export default WsgateClient;
