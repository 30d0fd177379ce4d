// wsgate browser client — zero dependencies, plain ES module. Served by the gateway at /wsgate.js.
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
// Server-side state (uid binding, groups) belongs to the connection: redo it in an 'open' handler.

const OPEN = 1; // WebSocket.OPEN

const DEFAULT_RECONNECT = { minDelay: 250, maxDelay: 10000, factor: 2, jitter: true, maxAttempts: Infinity };

/** The error a request rejects with: `code` is the server's error code, or "timeout", "disconnected", "closed", "queue_full". */
export class WsgateError extends Error {
  /**
   * @param {string} code
   * @param {string} message
   * @param {unknown} [reply] the server's error envelope, when there is one
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
 * @param {number} attempt
 * @param {{minDelay: number, maxDelay: number, factor: number, jitter: boolean}} options
 * @param {() => number} [random]
 */
export function backoffDelay(attempt, options, random = Math.random) {
  const cap = Math.min(options.maxDelay, options.minDelay * Math.pow(options.factor, attempt));
  return Math.round(options.jitter ? random() * cap : cap);
}

export class WsgateClient {
  /**
   * @param {string | URL} url ws:, wss:, http:, https: or a path resolved against the page (`/ws`)
   * @param {object} [options]
   * @param {false | {minDelay?: number, maxDelay?: number, factor?: number, jitter?: boolean, maxAttempts?: number}} [options.reconnect]
   * @param {string | string[]} [options.protocols]
   * @param {number} [options.timeout] default request timeout in ms (10000)
   * @param {number} [options.maxQueue] messages kept while disconnected (1000)
   * @param {boolean} [options.autoConnect] connect in the constructor (true)
   * @param {any} [options.WebSocket] WebSocket constructor (default: globalThis.WebSocket)
   */
  constructor(url, options = {}) {
    this.url = resolveUrl(url);
    this.reconnectOptions = options.reconnect === false ? null : { ...DEFAULT_RECONNECT, ...options.reconnect };
    this.protocols = options.protocols;
    this.timeout = options.timeout ?? 10000;
    this.maxQueue = options.maxQueue ?? 1000;
    this.WebSocketImpl = options.WebSocket ?? globalThis.WebSocket;
    if (typeof this.WebSocketImpl !== 'function') throw new TypeError('WsgateClient: no WebSocket implementation');
    /** 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed' */
    this.state = 'idle';
    this.ws = null;
    this.attempt = 0;
    this.reconnectTimer = null;
    this.nextId = 1;
    this.pending = new Map(); // id -> { resolve, reject, timer }
    this.queue = []; // { text, id? } in send order
    this.waiting = new Map(); // id -> entry, for requests still in the queue
    this.listeners = new Map(); // event -> Set<fn>
    this.openedOnce = false;
    if (options.autoConnect !== false) this.connect();
  }

  /** True while the socket is open. */
  get connected() {
    return this.state === 'open';
  }

  /** Opens the connection (again, after `close()`). */
  connect() {
    if (this.state === 'connecting' || this.state === 'open') return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    if (this.state !== 'reconnecting') this.state = 'connecting';
    let ws;
    try {
      ws = this.protocols === undefined ? new this.WebSocketImpl(this.url) : new this.WebSocketImpl(this.url, this.protocols);
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
      this.state = 'open';
      this.flush();
      this.emit('open', { reconnected });
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
      const wasOpen = this.state === 'open';
      const stopped = this.state === 'closed';
      if (!stopped) this.state = 'reconnecting';
      this.emit('close', { code: event.code, reason: event.reason, wasClean: event.wasClean, wasOpen });
      if (!stopped) this.scheduleReconnect();
    };
  }

  /**
   * Closes the connection for good (no reconnect). Queued messages and pending requests are rejected.
   * @param {number} [code]
   * @param {string} [reason]
   */
  close(code = 1000, reason = '') {
    const ws = this.ws;
    this.state = 'closed';
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
    this.failPending('closed', 'client closed');
    this.failQueue('closed', 'client closed');
    if (ws !== null && ws.readyState <= OPEN) {
      ws.close(code, reason);
    } else if (ws === null) {
      this.emit('close', { code, reason, wasClean: true, wasOpen: false });
    }
  }

  /**
   * Fire and forget. Returns true when the message was sent or queued, false when the queue is full or the client
   * is closed.
   * @param {string} type
   * @param {unknown} [data]
   */
  send(type, data) {
    const text = JSON.stringify(data === undefined ? { type } : { type, data });
    if (this.state === 'open') {
      this.ws.send(text);
      return true;
    }
    if (this.state === 'closed' || this.queue.length >= this.maxQueue) return false;
    this.queue.push({ text, id: undefined });
    return true;
  }

  /**
   * Sends `{type, data, id}` and resolves with the reply's `data`. Rejects with a WsgateError on an error reply (its
   * code and message), on timeout ("timeout"), when the connection drops first ("disconnected") or on `close()`.
   * @param {string} type
   * @param {unknown} [data]
   * @param {{timeout?: number}} [options]
   * @returns {Promise<any>}
   */
  request(type, data, options = {}) {
    if (this.state === 'closed') return Promise.reject(new WsgateError('closed', 'client closed'));
    const id = this.nextId++;
    const envelope = data === undefined ? { type, id } : { type, data, id };
    const text = JSON.stringify(envelope);
    const timeout = options.timeout ?? this.timeout;
    return new Promise((resolve, reject) => {
      const entry = { resolve, reject, timer: null };
      entry.timer = setTimeout(() => {
        this.pending.delete(id);
        this.waiting.delete(id);
        const queued = this.queue.findIndex((item) => item.id === id);
        if (queued !== -1) this.queue.splice(queued, 1);
        reject(new WsgateError('timeout', `request "${type}" timed out after ${timeout} ms`));
      }, timeout);
      if (this.state === 'open') {
        this.pending.set(id, entry);
        this.ws.send(text);
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
   * events: 'open' ({reconnected}), 'close' ({code, reason, wasClean, wasOpen}), 'reconnecting' ({attempt, delay}),
   * 'error' (Error). Returns a function that removes the listener.
   * @param {string} event
   * @param {(...args: any[]) => void} fn
   */
  on(event, fn) {
    let set = this.listeners.get(event);
    if (set === undefined) this.listeners.set(event, (set = new Set()));
    set.add(fn);
    return () => this.off(event, fn);
  }

  /**
   * @param {string} event
   * @param {(...args: any[]) => void} fn
   */
  off(event, fn) {
    this.listeners.get(event)?.delete(fn);
  }

  /**
   * Like `on`, for one call.
   * @param {string} event
   * @param {(...args: any[]) => void} fn
   */
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

  receive(raw) {
    if (typeof raw !== 'string') return; // the envelope is text-only; binary frames are not part of it
    let envelope;
    try {
      envelope = JSON.parse(raw);
    } catch {
      this.emit('error', new WsgateError('bad_json', 'server sent invalid JSON'));
      return;
    }
    if (envelope === null || typeof envelope !== 'object') return;
    const id = envelope.id;
    if (id !== undefined && id !== null && this.pending.has(id)) {
      const entry = this.pending.get(id);
      this.pending.delete(id);
      clearTimeout(entry.timer);
      if (envelope.type === 'error') {
        const error = envelope.error ?? {};
        entry.reject(new WsgateError(String(error.code ?? 'error'), String(error.message ?? 'request failed'), envelope));
      } else {
        entry.resolve(envelope.data);
      }
      return;
    }
    if (envelope.type === 'error') {
      const error = envelope.error ?? {};
      this.emit('error', new WsgateError(String(error.code ?? 'error'), String(error.message ?? 'server error'), envelope));
      return;
    }
    this.emit('message', envelope);
    if (typeof envelope.type === 'string') this.emit(envelope.type, envelope.data, envelope);
  }

  flush() {
    const queue = this.queue;
    this.queue = [];
    for (const item of queue) {
      if (this.state !== 'open') {
        this.queue.push(item);
        continue;
      }
      if (item.id !== undefined) {
        const entry = this.waiting.get(item.id);
        if (entry === undefined) continue; // timed out while queued
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
      clearTimeout(entry.timer);
      entry.reject(new WsgateError(code, message));
    }
  }

  failQueue(code, message) {
    this.queue = [];
    const waiting = this.waiting;
    this.waiting = new Map();
    for (const entry of waiting.values()) {
      clearTimeout(entry.timer);
      entry.reject(new WsgateError(code, message));
    }
  }

  scheduleReconnect() {
    const options = this.reconnectOptions;
    if (options === null || this.attempt >= options.maxAttempts) {
      this.state = 'closed';
      this.failQueue('closed', 'connection lost and reconnect is off');
      return;
    }
    this.state = 'reconnecting';
    const delay = backoffDelay(this.attempt, options);
    this.attempt++;
    this.emit('reconnecting', { attempt: this.attempt, delay });
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.state === 'reconnecting') this.connect();
    }, delay);
  }
}

function resolveUrl(url) {
  const location = globalThis.location;
  const resolved = new URL(String(url), location === undefined ? undefined : location.href);
  if (resolved.protocol === 'http:') resolved.protocol = 'ws:';
  else if (resolved.protocol === 'https:') resolved.protocol = 'wss:';
  return resolved.href;
}

export default WsgateClient;
