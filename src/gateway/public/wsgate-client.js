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
// The server may ask too: {"type", "data"?, "request": n} is answered by the handler registered with
// `client.handle(type, fn)` as {"type", "replyTo": n, "data"} or {"type":"error","replyTo": n,"error":{...}}.
// `client.send(bytes)` (an ArrayBuffer or a typed array) sends a binary frame, for the gateway's `onBinary` handler;
// binary frames from the server arrive on the 'binary' event as ArrayBuffers.
//
// Close codes the server means as final stop the client for good (no reconnect): see TERMINAL_CLOSE_CODES. 4401 and
// 4403 (the gateway's in-band auth refusals) also emit 'unauthorized' / 'forbidden' and reject `ready()`. The client
// offers the subprotocols "wsgate" and "wsgate.refused" after yours: a gateway accepts a refused browser with
// "wsgate.refused", so the client knows at `open` (which browsers fire for any 101) that a close is coming, and
// neither reports the connection open nor flushes its queue into it.
// With `urls`, each reconnect attempt goes to the next URL of the list (failover when a node dies).
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
import { parsePublication, PUBLICATION_TYPE, RECOVER_TYPE, StreamTracker, TOKEN_TYPE, } from './wsgate-recovery.js';
const OPEN = 1; // WebSocket.OPEN
/** Offered after the app's subprotocols, first: a server that picks the first offered one picks this, not the next. */
const PLAIN_PROTOCOL = 'wsgate';
/** What a gateway accepts a refused upgrade with (REFUSED_PROTOCOL in src/gateway/core/auth-refusal.ts). */
const REFUSED_PROTOCOL = 'wsgate.refused';
/**
 * Close codes after which reconnecting would only be refused again, so the client stops: 1002 protocol error, 1003
 * unsupported data (e.g. binary to a gateway without an `onBinary` handler), 1007 invalid payload, 1008 policy
 * violation, 1010 missing extension, 4401 unauthorized, 4403 forbidden, and the gateway's other in-band refusals
 * 4400–4499 (4000 + an HTTP 4xx) except 4408 and 4429, which say "later". Everything else (1001 going away, 1006
 * dropped, 1011 server error, 1012/1013 restart/try later, 4001 auth timeout, 4002 heartbeat, 4029 rate limit)
 * reconnects with backoff.
 */
export const TERMINAL_CLOSE_CODES = [
    1002,
    1003,
    1007,
    1008,
    1010,
    ...Array.from({ length: 100 }, (_, i) => 4400 + i).filter((code) => code !== 4408 && code !== 4429),
];
const DEFAULT_RECONNECT = { minDelay: 250, maxDelay: 10000, factor: 2, jitter: true, maxAttempts: Infinity };
/**
 * The error a request (or `ready()`) rejects with: `code` is the server's error code, or "timeout", "disconnected",
 * "closed", "queue_full", or — when the server refused the client for good — "unauthorized", "forbidden", "refused".
 */
export class WsgateError extends Error {
    /**
     * The server's error code, or 'timeout' | 'disconnected' | 'closed' | 'queue_full' | 'bad_json' |
     * 'unauthorized' | 'forbidden' | 'refused'.
     */
    code;
    /** The server's error envelope, when there is one. */
    reply;
    /**
     * @param reply the server's error envelope, when there is one
     */
    constructor(code, message, reply) {
        super(message);
        this.name = 'WsgateError';
        this.code = code;
        this.reply = reply;
    }
}
/**
 * Reconnect delay for attempt `attempt` (0-based): exponential backoff capped at `maxDelay`, with "full jitter"
 * (a uniform pick in [0, cap]) so a fleet of clients does not reconnect in lockstep after a server restart.
 */
export function backoffDelay(attempt, options, random = Math.random) {
    const cap = Math.min(options.maxDelay, options.minDelay * Math.pow(options.factor, attempt));
    return Math.round(options.jitter ? random() * cap : cap);
}
/**
 * The gateway's browser client: JSON envelopes, request/reply with timeouts, pushes by type, a send queue while
 * disconnected, and reconnection with jittered backoff (docs/client.md).
 */
export class WsgateClient {
    /** [url, ...urls], resolved. */
    urls;
    urlIndex;
    terminalCodes;
    /** `handle(type, fn)` handlers of server requests. */
    handlers;
    readyWaiters;
    /** Why the client stopped for good (a terminal close code), for `ready()` calls after it. */
    stopError;
    reconnectOptions;
    protocols;
    timeout;
    maxQueue;
    WebSocketImpl;
    currentState;
    ws;
    attempt;
    reconnectTimer;
    nextId;
    /** id -> entry, for requests sent and not yet answered. */
    pending;
    /** In send order. */
    queue;
    /** id -> entry, for requests still in the queue. */
    waiting;
    listeners;
    openedOnce;
    recovery;
    /** Stream positions, the recovery token, and publications held back while a recovery is in flight. */
    streams = new StreamTracker();
    /**
     * @param url ws:, wss:, http:, https: or a path resolved against the page (`/ws`)
     */
    constructor(url, options = {}) {
        this.urls = [url, ...(options.urls ?? [])].map(resolveUrl);
        this.urlIndex = 0;
        this.terminalCodes = new Set(options.terminalCloseCodes ?? TERMINAL_CLOSE_CODES);
        this.handlers = new Map();
        this.readyWaiters = [];
        this.stopError = null;
        this.reconnectOptions = options.reconnect === false ? null : { ...DEFAULT_RECONNECT, ...options.reconnect };
        this.protocols = options.protocols;
        this.timeout = options.timeout ?? 10000;
        this.maxQueue = options.maxQueue ?? 1000;
        this.WebSocketImpl = (options.WebSocket ??
            globalThis.WebSocket);
        if (typeof this.WebSocketImpl !== 'function')
            throw new TypeError('WsgateClient: no WebSocket implementation');
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
        if (options.autoConnect !== false)
            this.connect();
    }
    /** The URL of the current (or next) connection attempt. */
    get url() {
        return this.urls[this.urlIndex];
    }
    /** 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' */
    get state() {
        return this.currentState;
    }
    /** True while the socket is open. */
    get connected() {
        return this.currentState === 'open';
    }
    /** Opens the connection (again, after `close()`). */
    connect() {
        if (this.currentState === 'connecting' || this.currentState === 'open')
            return;
        clearTimeout(this.reconnectTimer ?? undefined);
        this.reconnectTimer = null;
        this.stopError = null;
        if (this.currentState !== 'reconnecting')
            this.currentState = 'connecting';
        let ws;
        const own = this.protocols === undefined ? [] : typeof this.protocols === 'string' ? [this.protocols] : this.protocols;
        try {
            ws = new this.WebSocketImpl(this.url, [...own, PLAIN_PROTOCOL, REFUSED_PROTOCOL]);
        }
        catch (err) {
            this.emit('error', err instanceof Error ? err : new Error(String(err)));
            this.scheduleReconnect();
            return;
        }
        this.ws = ws;
        ws.binaryType = 'arraybuffer';
        ws.onopen = () => {
            // A refusal (see REFUSED_PROTOCOL): not open for the app; the close that follows says why.
            if (this.ws !== ws || ws.protocol === REFUSED_PROTOCOL)
                return;
            const reconnected = this.openedOnce;
            this.openedOnce = true;
            this.attempt = 0;
            const presented = reconnected && this.recovery ? this.streams.beginRecovery() : null;
            if (presented === null)
                this.opened(reconnected, false);
            else
                this.recover(ws, presented);
        };
        ws.onmessage = (event) => {
            if (this.ws === ws)
                this.receive(event.data, ws);
        };
        ws.onerror = () => {
            // Browsers give no detail here on purpose; the close event that follows says what happened.
            if (this.ws === ws)
                this.emit('error', new Error('WebSocket error'));
        };
        ws.onclose = (event) => {
            if (this.ws !== ws)
                return;
            this.ws = null;
            this.failPending('disconnected', `connection closed (${event.code})`);
            const wasOpen = this.currentState === 'open';
            const stopped = this.currentState === 'closed';
            const terminal = !stopped && this.terminalCodes.has(event.code);
            if (terminal)
                this.currentState = 'closed';
            else if (!stopped)
                this.currentState = 'reconnecting';
            this.emit('close', {
                code: event.code,
                reason: event.reason,
                wasClean: event.wasClean,
                wasOpen,
                terminal,
            });
            if (terminal)
                this.refused(event.code, event.reason);
            else if (!stopped)
                this.scheduleReconnect();
        };
    }
    /** Closes the connection for good (no reconnect). Queued messages and pending requests are rejected. */
    close(code = 1000, reason = '') {
        const ws = this.ws;
        this.currentState = 'closed';
        clearTimeout(this.reconnectTimer ?? undefined);
        this.reconnectTimer = null;
        this.failPending('closed', 'client closed');
        this.failQueue('closed', 'client closed');
        this.settleReady(new WsgateError('closed', 'client closed'));
        if (ws !== null && ws.readyState <= OPEN) {
            ws.close(code, reason);
        }
        else if (ws === null) {
            this.emit('close', { code, reason, wasClean: true, wasOpen: false, terminal: false });
        }
    }
    /**
     * Resolves once the connection is open (at once if it is). Rejects when the client stops for good before that:
     * code "unauthorized" (4401) or "forbidden" (4403) when the server refused it, "refused" for the other terminal
     * close codes, "closed" after `close()` or when reconnecting gave up.
     */
    ready() {
        if (this.currentState === 'open')
            return Promise.resolve();
        if (this.currentState === 'closed') {
            return Promise.reject(this.stopError ?? new WsgateError('closed', 'client closed'));
        }
        return new Promise((resolve, reject) => this.readyWaiters.push({ resolve, reject }));
    }
    /**
     * Answers the server's requests of `type` (`socket.request(type, data)` on the gateway): `fn(data, envelope)`'s
     * return value (or resolved value) is the answer's `data`; a throw answers an error with the thrown value's `code`
     * (when it is a string, else "handler_error") and message. One handler per type (a second call replaces the
     * first); requests of a type without a handler are answered "unknown_type". Returns a function that removes it.
     */
    handle(type, fn) {
        this.handlers.set(type, fn);
        return () => {
            if (this.handlers.get(type) === fn)
                this.handlers.delete(type);
        };
    }
    send(typeOrBytes, data) {
        const text = typeof typeOrBytes === 'string' ? encodeEnvelope({ type: typeOrBytes }, data) : typeOrBytes;
        if (typeof text !== 'string' && !isBytes(text))
            throw new TypeError('send: give a type string or bytes');
        if (this.currentState === 'open') {
            this.ws.send(text);
            return true;
        }
        if (this.currentState === 'closed' || this.queue.length >= this.maxQueue)
            return false;
        this.queue.push({ text, id: undefined });
        return true;
    }
    /**
     * Sends `{type, data, id}` and resolves with the reply's `data`. Rejects with a WsgateError on an error reply (its
     * code and message), on timeout ("timeout"), when the connection drops first ("disconnected") or on `close()`.
     */
    request(type, data, options = {}) {
        if (this.currentState === 'closed')
            return Promise.reject(new WsgateError('closed', 'client closed'));
        const id = this.nextId++;
        const text = encodeEnvelope({ type, id }, data);
        const timeout = options.timeout ?? this.timeout;
        return new Promise((resolve, reject) => {
            const entry = { resolve: resolve, reject, timer: null };
            entry.timer = setTimeout(() => {
                this.pending.delete(id);
                this.waiting.delete(id);
                const queued = this.queue.findIndex((item) => item.id === id);
                if (queued !== -1)
                    this.queue.splice(queued, 1);
                reject(new WsgateError('timeout', `request "${type}" timed out after ${timeout} ms`));
            }, timeout);
            if (this.currentState === 'open') {
                this.pending.set(id, entry);
                this.ws.send(text);
            }
            else if (this.queue.length >= this.maxQueue) {
                clearTimeout(entry.timer);
                reject(new WsgateError('queue_full', 'too many messages queued while disconnected'));
            }
            else {
                this.waiting.set(id, entry);
                this.queue.push({ text, id });
            }
        });
    }
    on(event, fn) {
        let set = this.listeners.get(event);
        if (set === undefined)
            this.listeners.set(event, (set = new Set()));
        set.add(fn);
        return () => this.off(event, fn);
    }
    /** Removes a listener added with `on`. */
    off(event, fn) {
        this.listeners.get(event)?.delete(fn);
    }
    /** Like `on`, for one call. */
    once(event, fn) {
        const off = this.on(event, (...args) => {
            off();
            fn(...args);
        });
        return off;
    }
    // --- internals ---
    emit(event, ...args) {
        const set = this.listeners.get(event);
        if (set === undefined)
            return;
        for (const fn of [...set]) {
            try {
                fn(...args);
            }
            catch (err) {
                // One faulty listener must not stop the others or the client; surface it without throwing.
                setTimeout(() => {
                    throw err;
                });
            }
        }
    }
    /** The socket is usable: 'open' listeners first (re-joins go out before the queue), then the queued messages. */
    opened(reconnected, recovered) {
        this.currentState = 'open';
        this.emit('open', { reconnected, recovered });
        this.flush();
        this.settleReady(null);
    }
    /** Presents the token; sends and requests stay queued until the answer (or its failure) says what came back. */
    recover(ws, presented) {
        const id = this.nextId++;
        const finish = (data, reason) => {
            if (this.ws !== ws) {
                // That connection died first: what it had received still goes to the app, in order.
                for (const publication of this.streams.finishRecovery(null))
                    this.receive(publication.data, ws, true);
                return;
            }
            const reply = (data ?? {});
            const streams = reply.streams ?? {};
            const held = this.streams.finishRecovery(reason === null ? streams : null);
            const failed = Object.values(streams).some((s) => !s.recovered);
            const identity = reason === null ? { socketId: String(reply.socketId), previousId: String(reply.previousId) } : {};
            if (reason === null && !failed)
                this.emit('recovered', { ...identity, streams });
            else
                this.emit('recovery-failed', { reason: reason ?? 'incomplete', ...identity, streams });
            for (const publication of held)
                this.receive(publication.data, ws, true);
            if (ws.readyState === OPEN)
                this.opened(true, reason === null);
        };
        const entry = {
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
    receive(raw, ws, inner = false) {
        if (typeof raw !== 'string') {
            // Binary frames are outside the envelope: handed over as they are.
            if (raw instanceof ArrayBuffer && !inner)
                this.emit('binary', raw);
            return;
        }
        let envelope;
        try {
            envelope = JSON.parse(raw);
        }
        catch {
            this.emit('error', new WsgateError('bad_json', 'server sent invalid JSON'));
            return;
        }
        if (envelope === null || typeof envelope !== 'object')
            return;
        const message = envelope;
        if (typeof message.type === 'string' && isRequestNumber(message.request)) {
            this.answer(ws, message.type, message.request, message);
            return;
        }
        const id = message.id;
        if (id !== undefined && id !== null && this.pending.has(id)) {
            const entry = this.pending.get(id);
            this.pending.delete(id);
            clearTimeout(entry.timer ?? undefined);
            if (message.type === 'error') {
                const error = message.error ?? {};
                entry.reject(new WsgateError(String(error.code ?? 'error'), String(error.message ?? 'request failed'), message));
            }
            else {
                entry.resolve(message.data);
            }
            return;
        }
        if (!inner && message.type === TOKEN_TYPE) {
            const token = message.data?.token;
            if (typeof token === 'string')
                this.streams.token = token;
            return;
        }
        if (!inner && message.type === PUBLICATION_TYPE) {
            const publication = parsePublication(message);
            if (publication !== null)
                for (const p of this.streams.accept(publication))
                    this.receive(p.data, ws, true);
            return;
        }
        if (message.type === 'error') {
            const error = message.error ?? {};
            this.emit('error', new WsgateError(String(error.code ?? 'error'), String(error.message ?? 'server error'), message));
            return;
        }
        this.emit('message', message);
        if (typeof message.type === 'string')
            this.emit(message.type, message.data, message);
    }
    /** Runs the handler of a server request and sends its answer on the connection it came from (if still open). */
    answer(ws, type, request, envelope) {
        const reply = (answer) => {
            if (this.ws === ws && ws.readyState === OPEN)
                ws.send(JSON.stringify(answer));
        };
        const fail = (err) => {
            const code = err?.code;
            const message = err?.message;
            reply({
                type: 'error',
                replyTo: request,
                error: {
                    code: typeof code === 'string' && code !== '' ? code : 'handler_error',
                    message: typeof message === 'string' ? message : String(err),
                },
            });
        };
        const handler = this.handlers.get(type);
        if (handler === undefined) {
            fail(new WsgateError('unknown_type', `no handler for "${type}" on this client`));
            return;
        }
        try {
            Promise.resolve(handler(envelope.data, envelope)).then((data) => {
                try {
                    reply(data === undefined ? { type, replyTo: request } : { type, replyTo: request, data });
                }
                catch (err) {
                    fail(err); // not JSON-serializable
                }
            }, fail);
        }
        catch (err) {
            fail(err);
        }
    }
    /** The server closed with a terminal code: stop for good and say why. */
    refused(code, reason) {
        this.failQueue('closed', `connection refused for good (${code})`);
        const name = code === 4401 ? 'unauthorized' : code === 4403 ? 'forbidden' : 'refused';
        const error = new WsgateError(name, `the server closed the connection with ${code}${reason ? ` ${reason}` : ''}`);
        this.stopError = error;
        this.settleReady(error);
        if (name !== 'refused')
            this.emit(name, { code, reason });
    }
    /** Resolves (error null) or rejects every `ready()` waiting. */
    settleReady(error) {
        const waiters = this.readyWaiters;
        if (waiters.length === 0)
            return;
        this.readyWaiters = [];
        for (const waiter of waiters) {
            if (error === null)
                waiter.resolve();
            else
                waiter.reject(error);
        }
    }
    flush() {
        const queue = this.queue;
        this.queue = [];
        for (const item of queue) {
            if (this.currentState !== 'open') {
                this.queue.push(item);
                continue;
            }
            if (item.id !== undefined) {
                const entry = this.waiting.get(item.id);
                if (entry === undefined)
                    continue; // timed out while queued
                this.waiting.delete(item.id);
                this.pending.set(item.id, entry);
            }
            this.ws.send(item.text);
        }
    }
    failPending(code, message) {
        const pending = this.pending;
        this.pending = new Map();
        for (const entry of pending.values()) {
            clearTimeout(entry.timer ?? undefined);
            entry.reject(new WsgateError(code, message));
        }
    }
    failQueue(code, message) {
        this.queue = [];
        const waiting = this.waiting;
        this.waiting = new Map();
        for (const entry of waiting.values()) {
            clearTimeout(entry.timer ?? undefined);
            entry.reject(new WsgateError(code, message));
        }
    }
    scheduleReconnect() {
        const options = this.reconnectOptions;
        if (options === null || this.attempt >= options.maxAttempts) {
            this.currentState = 'closed';
            this.failQueue('closed', 'connection lost and reconnect is off');
            this.settleReady(new WsgateError('closed', 'connection lost and reconnect is off'));
            return;
        }
        // Failover: the next attempt goes to the next URL (a no-op with one URL).
        this.urlIndex = (this.urlIndex + 1) % this.urls.length;
        this.currentState = 'reconnecting';
        const delay = backoffDelay(this.attempt, options);
        this.attempt++;
        this.emit('reconnecting', { attempt: this.attempt, delay });
        this.reconnectTimer = setTimeout(() => {
            this.reconnectTimer = null;
            if (this.currentState === 'reconnecting')
                this.connect();
        }, delay);
    }
}
/** A JSON envelope; bytes in `data` are refused (JSON would turn a Uint8Array into {"0":…}). */
function encodeEnvelope(head, data) {
    if (data === undefined)
        return JSON.stringify(head);
    if (isBytes(data)) {
        throw new TypeError('binary data cannot go in a JSON envelope: send(bytes) sends it as a binary frame');
    }
    return JSON.stringify({ ...head, data });
}
function isBytes(value) {
    return value instanceof ArrayBuffer || ArrayBuffer.isView(value);
}
function isRequestNumber(value) {
    return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}
function resolveUrl(url) {
    const location = globalThis.location;
    const resolved = new URL(String(url), location === undefined ? undefined : location.href);
    if (resolved.protocol === 'http:')
        resolved.protocol = 'ws:';
    else if (resolved.protocol === 'https:')
        resolved.protocol = 'wss:';
    return resolved.href;
}
export default WsgateClient;
