import { ReadyState } from '../protocol/index.js';
import { connect, type ConnectOptions } from './client.js';
import { toError } from './hooks.js';
import type { SocketHandlers, WsSocket } from './socket.js';

/**
 * A WHATWG-shaped `WebSocket` (the browser API) over wsgate's client, so browser code ports to Node unchanged:
 * `addEventListener`, `onopen`/`onmessage`/`onclose`/`onerror`, `binaryType`, `readyState`, `bufferedAmount`,
 * `send` (Blob included), `close`. Where browsers differ from a plain Node `EventTarget`, this follows the browsers:
 * a listener that throws is reported and the others still run; a requested subprotocol the server does not select
 * fails the connection. Node-only extras (headers, TLS, permessage-deflate, an `AbortSignal`) go in the third
 * argument, and `for await (const event of ws)` reads the messages.
 */

/**
 * `for await` over a socket queues the messages the loop has not taken yet. While one loop's queue holds this many
 * messages or bytes, reading from the TCP socket stops (`WsSocket.pause`), so a consumer slower than the peer
 * pushes back on the peer instead of growing memory; reading resumes once every queue is down to half of both.
 */
export const MESSAGE_QUEUE_LIMITS = {
  /** Queued messages that pause reading. */
  messages: 64,
  /** Queued payload bytes (string length for text) that pause reading. */
  bytes: 1024 * 1024,
} as const;

/** How binary messages are delivered: `Blob` (the browsers' default), `ArrayBuffer`, or Node's `Buffer`. */
export type BinaryType = 'blob' | 'arraybuffer' | 'nodebuffer';

/** The `close` event (Node 20 has no global CloseEvent). */
export class CloseEvent extends Event {
  /** The close code (1005 when the peer sent none, 1006 when the connection dropped without a close frame). */
  readonly code: number;
  /** The close reason (UTF-8, at most 123 bytes). */
  readonly reason: string;
  /** True when the close handshake completed. */
  readonly wasClean: boolean;
  constructor(type: string, init: { code?: number; reason?: string; wasClean?: boolean } = {}) {
    super(type);
    this.code = init.code ?? 0;
    this.reason = init.reason ?? '';
    this.wasClean = init.wasClean ?? false;
  }
}

type Listener = ((event: Event) => void) | null;
/** Node's DOM listener types are not global in @types/node 20: take them from EventTarget itself. */
type ListenerArg = Parameters<EventTarget['addEventListener']>[1];
type AddListenerOptions = Parameters<EventTarget['addEventListener']>[2];
type RemoveListenerOptions = Parameters<EventTarget['removeEventListener']>[2];

/**
 * The third argument of `new WebSocket(url, protocols, options)`: `connect`'s options but those the browser API
 * owns (`protocols` is the second argument; events replace `handlers`).
 */
export type WebSocketOptions = Omit<ConnectOptions<WebSocket>, 'handlers' | 'data' | 'protocols'>;

/** What `send` accepts: text, or binary as a Blob, an ArrayBuffer or any view of one. */
export type WebSocketData = string | Blob | ArrayBuffer | ArrayBufferView;

/** A message waiting behind a Blob that is still being read (browsers keep the order of `send` calls). */
interface Outgoing {
  data: string | Uint8Array | Blob;
  /** What it adds to `bufferedAmount` until it is handed to the socket. */
  size: number;
}

/**
 * The browser's `WebSocket` for Node (see the top of this file for how it follows browsers):
 *
 * ```ts
 * const ws = new WebSocket('wss://example.org/ws', ['chat'], { headers: { Authorization: 'Bearer …' } });
 * ws.onmessage = (event) => console.log(event.data);
 * ```
 */
export class WebSocket extends EventTarget {
  /** `readyState`: the handshake is under way. */
  static readonly CONNECTING = 0;
  /** `readyState`: open, messages flow. */
  static readonly OPEN = 1;
  /** `readyState`: the close handshake is under way. */
  static readonly CLOSING = 2;
  /** `readyState`: closed, or the connection failed. */
  static readonly CLOSED = 3;
  /** `readyState`: the handshake is under way. */
  readonly CONNECTING = 0;
  /** `readyState`: open, messages flow. */
  readonly OPEN = 1;
  /** `readyState`: the close handshake is under way. */
  readonly CLOSING = 2;
  /** `readyState`: closed, or the connection failed. */
  readonly CLOSED = 3;

  /** The URL as given, normalized (`new URL(url).href`). */
  readonly url: string;
  /**
   * How binary messages are delivered to `message` listeners.
   *
   * @defaultValue `'blob'` (as in browsers)
   */
  binaryType: BinaryType = 'blob';
  private socket: WsSocket<WebSocket> | null = null;
  private state = 0;
  private negotiatedProtocol = '';
  private negotiatedExtensions = '';
  private pendingClose: { code?: number; reason?: string } | null = null;
  private readonly requestedProtocols: readonly string[];
  /** Sends queued behind a Blob being read, in call order; empty in the common case. */
  private readonly outbox: Outgoing[] = [];
  private outboxBytes = 0;
  /** close() called while the outbox was not empty: the Close frame goes after it. */
  private closeAfterOutbox: { code?: number; reason?: string } | null = null;
  private readonly iterators = new Set<MessageIterator>();
  /** Reading is paused because a `for await` queue is full. */
  private pausedForIterators = false;
  private readonly handlerSlots: Record<'open' | 'message' | 'close' | 'error', Listener> = {
    open: null,
    message: null,
    close: null,
    error: null,
  };

  constructor(url: string | URL, protocols?: string | readonly string[], options: WebSocketOptions = {}) {
    super();
    const parsed = new URL(url);
    if (parsed.protocol === 'http:') parsed.protocol = 'ws:';
    if (parsed.protocol === 'https:') parsed.protocol = 'wss:';
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
      throw new DOMException(
        `The URL's scheme must be either 'ws' or 'wss'. '${parsed.protocol}' is not allowed.`,
        'SyntaxError',
      );
    }
    if (parsed.hash !== '') throw new DOMException('The URL contains a fragment identifier.', 'SyntaxError');
    this.url = parsed.href;
    const list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...protocols];
    if (new Set(list).size !== list.length)
      throw new DOMException('The subprotocol list contains duplicates.', 'SyntaxError');
    this.requestedProtocols = list;
    // The `open` handler (below) runs before any byte that came with the 101 is parsed, so nothing is missed.
    connect<WebSocket>(parsed, { ...options, protocols: list, handlers: facadeHandlers, data: this }).catch(() =>
      this.fail(),
    );
  }

  /** `CONNECTING`, `OPEN`, `CLOSING` or `CLOSED`. */
  get readyState(): number {
    return this.state;
  }

  /** Bytes given to `send` and not yet handed to the kernel, Blobs still being read included. */
  get bufferedAmount(): number {
    return (this.socket?.bufferedAmount ?? 0) + this.outboxBytes;
  }

  /** The subprotocol the server selected, or `''`. */
  get protocol(): string {
    return this.negotiatedProtocol;
  }

  /** The extensions the server accepted, as in its handshake (`permessage-deflate...`), or `''`. */
  get extensions(): string {
    return this.negotiatedExtensions;
  }

  /** The `open` event's handler property (one, besides `addEventListener`'s listeners). */
  get onopen(): Listener {
    return this.handlerSlots.open;
  }
  /** Replaces the `open` handler property (`null` removes it). */
  set onopen(fn: Listener) {
    this.setHandler('open', fn);
  }
  /** The `message` event's handler property: `event.data` is a string, or binary per `binaryType`. */
  get onmessage(): Listener {
    return this.handlerSlots.message;
  }
  /** Replaces the `message` handler property (`null` removes it). */
  set onmessage(fn: Listener) {
    this.setHandler('message', fn);
  }
  /** The `close` event's handler property: the event is a `CloseEvent`. */
  get onclose(): Listener {
    return this.handlerSlots.close;
  }
  /** Replaces the `close` handler property (`null` removes it). */
  set onclose(fn: Listener) {
    this.setHandler('close', fn);
  }
  /** The `error` event's handler property (a failed connection fires `error`, then `close`). */
  get onerror(): Listener {
    return this.handlerSlots.error;
  }
  /** Replaces the `error` handler property (`null` removes it). */
  set onerror(fn: Listener) {
    this.setHandler('error', fn);
  }

  /**
   * Sends text (string) or binary (Blob, ArrayBuffer, typed array, DataView). Throws while CONNECTING.
   *
   * A Blob is read asynchronously; messages sent after it wait (copied) until it has gone out, so the peer receives
   * them in call order, as in browsers. `bufferedAmount` counts them meanwhile. A Blob that cannot be read fails the
   * connection: `error`, then `close` 1006; the peer gets the earlier sends, then a Close frame 1011.
   */
  send(data: WebSocketData): void {
    if (this.state === WebSocket.CONNECTING) throw new DOMException('Still in CONNECTING state.', 'InvalidStateError');
    let payload: string | Uint8Array | Blob;
    if (typeof data === 'string' || data instanceof Blob) payload = data;
    else if (data instanceof ArrayBuffer) payload = new Uint8Array(data);
    else if (ArrayBuffer.isView(data)) payload = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    else throw new TypeError('send() takes a string, a Blob, an ArrayBuffer or an ArrayBufferView');
    if (this.state !== WebSocket.OPEN || this.socket === null) return;
    if (this.outbox.length === 0 && !(payload instanceof Blob)) {
      transmit(this.socket, payload);
      return;
    }
    // Behind a Blob: keep a copy of the bytes (the caller may reuse its buffer once send returns).
    const queued = payload instanceof Uint8Array ? payload.slice() : payload;
    const size =
      typeof queued === 'string' ? Buffer.byteLength(queued) : queued instanceof Blob ? queued.size : queued.length;
    this.outbox.push({ data: queued, size });
    this.outboxBytes += size;
    if (this.outbox.length === 1) this.flushOutbox(this.socket).catch(reportError);
  }

  /** Sends the outbox in order, awaiting each Blob's bytes; one run at a time (started when it becomes non-empty). */
  private async flushOutbox(socket: WsSocket<WebSocket>): Promise<void> {
    while (this.outbox.length > 0) {
      const next = this.outbox[0];
      let bytes: string | Uint8Array;
      if (next.data instanceof Blob) {
        try {
          bytes = new Uint8Array(await next.data.arrayBuffer());
        } catch {
          if (this.outbox[0] !== next) return; // closed meanwhile: already reported
          // The page sees what Chromium shows for a Blob that fails to load (error, close 1006, at once). Chromium
          // then tears the connection down; we send a Close frame (1011) instead, after the earlier sends:
          // destroying the socket would also drop those still held for this tick's single write.
          this.dropOutbox();
          socket.close(1011, 'Blob read failed');
          this.fail();
          return;
        }
      } else bytes = next.data;
      // Closed meanwhile (by the peer, or the connection failed): `closed` dropped the outbox.
      if (this.outbox[0] !== next) return;
      this.outbox.shift();
      this.outboxBytes -= next.size;
      transmit(socket, bytes);
    }
    const close = this.closeAfterOutbox;
    if (close !== null) {
      this.closeAfterOutbox = null;
      socket.close(close.code ?? (close.reason !== undefined ? 1000 : undefined), close.reason);
    }
  }

  private dropOutbox(): void {
    this.outbox.length = 0;
    this.outboxBytes = 0;
    this.closeAfterOutbox = null;
  }

  /**
   * Reads the messages as a loop: `for await (const event of ws) { event.data }`. Each value is the `MessageEvent`
   * listeners get (`data` per `binaryType`). Only messages dispatched after the loop starts are seen: start it
   * right after construction or synchronously in `onopen` (a message that came with the 101 is dispatched in the
   * same tick as `open`, before an `await` on the open event resumes). The loop ends when the socket closes, after
   * the messages already queued: normally after a close handshake (`wasClean`), with an `Error` (the `CloseEvent` as
   * `cause`) when the connection failed or was refused. `break` stops reading but leaves the socket open. A consumer
   * slower than the peer does not grow memory: while a loop's queue holds 64 messages or 1 MiB
   * (`MESSAGE_QUEUE_LIMITS`), reading from the network pauses (the peer's TCP window closes and its sends back up),
   * which also delays the peer's pings and close until the loop catches up.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<MessageEvent> {
    return new MessageIterator(this);
  }

  /**
   * Like `EventTarget.addEventListener`, but a listener that throws (or returns a promise that rejects) is reported
   * with `process.emitWarning` and the other listeners still run — what browsers do, where Node's `EventTarget`
   * would turn the throw into an uncaught exception and end the process.
   */
  override addEventListener(type: string, listener: ListenerArg | null, options?: AddListenerOptions): void {
    // DOM §2.7: a null callback is ignored, silently (Node's EventTarget would print a warning).
    if (listener === null) return;
    super.addEventListener(type, guardListener(listener), options);
  }

  /** Removes a listener added with `addEventListener`. */
  override removeEventListener(type: string, listener: ListenerArg | null, options?: RemoveListenerOptions): void {
    if (listener === null) return;
    super.removeEventListener(type, guardListener(listener), options);
  }

  /** WHATWG close(): code 1000 or 3000–4999, reason ≤ 123 UTF-8 bytes. */
  close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999 || !Number.isInteger(code))) {
      throw new DOMException(
        `The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`,
        'InvalidAccessError',
      );
    }
    if (reason !== undefined && Buffer.byteLength(reason) > 123) {
      throw new DOMException('The close reason must not be greater than 123 UTF-8 bytes.', 'SyntaxError');
    }
    if (this.state === WebSocket.CLOSING || this.state === WebSocket.CLOSED) return;
    if (this.state === WebSocket.CONNECTING) {
      this.pendingClose = { code, reason };
      this.state = WebSocket.CLOSING;
      return;
    }
    this.state = WebSocket.CLOSING;
    // Messages queued behind a Blob go first (browsers queue the Close frame behind pending sends too).
    if (this.outbox.length > 0) this.closeAfterOutbox = { code, reason };
    else this.socket?.close(code ?? (reason !== undefined ? 1000 : undefined), reason);
  }

  private setHandler(type: 'open' | 'message' | 'close' | 'error', fn: Listener): void {
    const previous = this.handlerSlots[type];
    if (previous !== null) this.removeEventListener(type, previous);
    this.handlerSlots[type] = typeof fn === 'function' ? fn : null;
    if (this.handlerSlots[type] !== null) this.addEventListener(type, this.handlerSlots[type]!);
  }

  /** @internal */ onConnected(socket: WsSocket<WebSocket>): void {
    this.socket = socket;
    if (this.requestedProtocols.length > 0 && socket.protocol === '') {
      // WHATWG Fetch "establish a WebSocket connection": with subprotocols requested, a response without
      // Sec-WebSocket-Protocol fails the connection (so do Chromium, Bun and Node 22's WebSocket); RFC 6455 §4.1
      // alone would let the client go on. No frame is sent; `closed` reports error + close 1006, never `open`.
      socket.terminate();
      return;
    }
    this.negotiatedProtocol = socket.protocol;
    this.negotiatedExtensions = socket.extensions;
    if (this.pendingClose !== null) {
      // close() was called while connecting: the WHATWG spec fails the connection; we close it cleanly.
      socket.close(1000);
      return;
    }
    if (socket.readyState === WebSocket.OPEN) {
      this.state = WebSocket.OPEN;
      this.dispatchEvent(new Event('open'));
    }
  }

  /** The connection failed (or was given up): error, then close 1006. `closed` will report nothing more. */
  private fail(): void {
    this.state = WebSocket.CLOSED;
    this.dispatchEvent(new Event('error'));
    this.dispatchEvent(new CloseEvent('close', { code: 1006, reason: '', wasClean: false }));
  }

  /** @internal */ deliver(data: Buffer, isBinary: boolean): void {
    if (this.state !== WebSocket.OPEN) return;
    let payload: string | ArrayBuffer | Buffer | Blob;
    if (!isBinary) payload = data.toString('utf8');
    else if (this.binaryType === 'nodebuffer') payload = data;
    else if (this.binaryType === 'arraybuffer') payload = toArrayBuffer(data);
    else payload = new Blob([toArrayBuffer(data)]);
    this.dispatchEvent(new MessageEvent('message', { data: payload, origin: new URL(this.url).origin }));
  }

  /** @internal */ closed(code: number, reason: string): void {
    const wasOpen = this.state !== WebSocket.CLOSED;
    this.state = WebSocket.CLOSED;
    this.dropOutbox();
    if (!wasOpen) return;
    if (code === 1006) this.dispatchEvent(new Event('error'));
    this.dispatchEvent(new CloseEvent('close', { code, reason, wasClean: code !== 1006 }));
  }

  /** @internal A `for await` loop started or ended. */
  track(iterator: MessageIterator, active: boolean): void {
    if (active) this.iterators.add(iterator);
    else this.iterators.delete(iterator);
    this.updateFlow();
  }

  /** @internal Pauses reading while any loop's queue is full; resumes once every one is down to half. */
  updateFlow(): void {
    const socket = this.socket;
    if (socket === null || socket.readyState !== ReadyState.OPEN) return;
    if (!this.pausedForIterators) {
      for (const iterator of this.iterators) {
        if (iterator.isFull()) {
          this.pausedForIterators = true;
          socket.pause();
          return;
        }
      }
      return;
    }
    for (const iterator of this.iterators) if (!iterator.isDrained()) return;
    this.pausedForIterators = false;
    socket.resume();
  }
}

/** The messages of one `for await` loop: a queue between the `message` events and the loop's `next()` calls. */
class MessageIterator implements AsyncIterableIterator<MessageEvent> {
  private readonly queue: MessageEvent[] = [];
  private queuedBytes = 0;
  private readonly waiters: {
    resolve: (result: IteratorResult<MessageEvent>) => void;
    reject: (error: Error) => void;
  }[] = [];
  private finished = false;
  private failure: Error | null = null;
  private readonly onMessage = (event: Event): void => this.push(event as MessageEvent);
  private readonly onClose = (event: Event): void => this.end(event as CloseEvent);

  constructor(private readonly ws: WebSocket) {
    if (ws.readyState === WebSocket.CLOSED) {
      this.finished = true;
      return;
    }
    ws.addEventListener('message', this.onMessage);
    ws.addEventListener('close', this.onClose);
    ws.track(this, true);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<MessageEvent>> {
    const event = this.queue.shift();
    if (event !== undefined) {
      this.queuedBytes -= payloadSize(event.data);
      this.ws.updateFlow();
      return Promise.resolve({ value: event, done: false });
    }
    if (this.failure !== null) {
      const failure = this.failure;
      this.failure = null;
      return Promise.reject(failure);
    }
    if (this.finished) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  /** `break` (or `return`) in the loop: stop listening and let the socket read again. */
  return(): Promise<IteratorResult<MessageEvent>> {
    this.stop();
    this.queue.length = 0;
    this.queuedBytes = 0;
    this.failure = null;
    this.ws.updateFlow();
    for (const waiter of this.waiters.splice(0)) waiter.resolve({ value: undefined, done: true });
    return Promise.resolve({ value: undefined, done: true });
  }

  isFull(): boolean {
    return this.queue.length >= MESSAGE_QUEUE_LIMITS.messages || this.queuedBytes >= MESSAGE_QUEUE_LIMITS.bytes;
  }

  isDrained(): boolean {
    return this.queue.length <= MESSAGE_QUEUE_LIMITS.messages / 2 && this.queuedBytes <= MESSAGE_QUEUE_LIMITS.bytes / 2;
  }

  private push(event: MessageEvent): void {
    const waiter = this.waiters.shift();
    if (waiter !== undefined) return waiter.resolve({ value: event, done: false });
    this.queue.push(event);
    this.queuedBytes += payloadSize(event.data);
    if (this.isFull()) this.ws.updateFlow();
  }

  private end(event: CloseEvent): void {
    this.stop();
    if (!event.wasClean) {
      this.failure = new Error(`WebSocket connection failed (close code ${event.code})`, { cause: event });
    }
    // Waiters exist only when the queue is empty: they get the end now.
    for (const waiter of this.waiters.splice(0)) {
      if (this.failure === null) waiter.resolve({ value: undefined, done: true });
      else {
        waiter.reject(this.failure);
        this.failure = null;
      }
    }
  }

  private stop(): void {
    if (this.finished) return;
    this.finished = true;
    this.ws.removeEventListener('message', this.onMessage);
    this.ws.removeEventListener('close', this.onClose);
    this.ws.track(this, false);
  }
}

function payloadSize(data: unknown): number {
  if (typeof data === 'string') return data.length;
  if (data instanceof Blob) return data.size;
  if (data instanceof ArrayBuffer || ArrayBuffer.isView(data)) return data.byteLength;
  return 0;
}

function transmit(socket: WsSocket<WebSocket>, data: string | Uint8Array): void {
  socket.send(data, { binary: typeof data !== 'string' });
}

/** One guarded wrapper per listener (so removeEventListener finds it), shared by every facade. */
const guardedListeners = new WeakMap<ListenerArg, ListenerArg>();

/**
 * WHATWG DOM "inner invoke": an exception in a listener is reported and dispatch goes on. Node's EventTarget
 * rethrows it on the next tick instead (an uncaught exception: the process ends). Reported as a process warning,
 * the same path as the server's hook boundary (hooks.ts): printed on stderr, seen by `process.on('warning')`. Not
 * as an `error` event: in this API `error` means the connection failed, and a listener bug is not that.
 */
function guardListener(listener: ListenerArg): ListenerArg {
  let guarded = guardedListeners.get(listener);
  if (guarded === undefined) {
    guarded = function (this: EventTarget, event: Event): void {
      try {
        const result: unknown =
          typeof listener === 'function'
            ? (listener as (this: EventTarget, e: Event) => unknown).call(this, event)
            : listener.handleEvent(event);
        if (
          typeof result === 'object' &&
          result !== null &&
          typeof (result as { then?: unknown }).then === 'function'
        ) {
          (result as PromiseLike<unknown>).then(undefined, reportError);
        }
      } catch (error) {
        reportError(error);
      }
    };
    guardedListeners.set(listener, guarded);
  }
  return guarded;
}

function reportError(error: unknown): void {
  process.emitWarning(toError(error));
}

function toArrayBuffer(data: Buffer): ArrayBuffer {
  const copy = new ArrayBuffer(data.byteLength);
  new Uint8Array(copy).set(data);
  return copy;
}

/** One handler object for every facade; the facade is the socket's `data`. */
const facadeHandlers: SocketHandlers<WebSocket> = {
  open(ws) {
    ws.data.onConnected(ws);
  },
  message(ws, data, isBinary) {
    ws.data.deliver(data, isBinary);
  },
  close(ws, code, reason) {
    ws.data.closed(code, reason);
  },
};
