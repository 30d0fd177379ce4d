import { connect, type ConnectOptions } from './client.js';
import type { SocketHandlers, WsSocket } from './socket.js';

/**
 * A WHATWG-shaped `WebSocket` (the browser API) over wsgate's client, so browser code ports to Node unchanged:
 * `addEventListener`, `onopen`/`onmessage`/`onclose`/`onerror`, `binaryType`, `readyState`, `bufferedAmount`,
 * `send`, `close`. Node-only extras (headers, TLS, permessage-deflate) go in the third argument.
 */

export type BinaryType = 'blob' | 'arraybuffer' | 'nodebuffer';

/** The `close` event (Node 20 has no global CloseEvent). */
export class CloseEvent extends Event {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(type: string, init: { code?: number; reason?: string; wasClean?: boolean } = {}) {
    super(type);
    this.code = init.code ?? 0;
    this.reason = init.reason ?? '';
    this.wasClean = init.wasClean ?? false;
  }
}

type Listener = ((event: Event) => void) | null;

export type WebSocketOptions = Omit<ConnectOptions<WebSocket>, 'handlers' | 'data' | 'protocols'>;

export class WebSocket extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSING = 2;
  static readonly CLOSED = 3;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSING = 2;
  readonly CLOSED = 3;

  readonly url: string;
  binaryType: BinaryType = 'blob';
  private socket: WsSocket<WebSocket> | null = null;
  private state = 0;
  private negotiatedProtocol = '';
  private negotiatedExtensions = '';
  private pendingClose: { code?: number; reason?: string } | null = null;
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
      throw new DOMException(`The URL's scheme must be either 'ws' or 'wss'. '${parsed.protocol}' is not allowed.`, 'SyntaxError');
    }
    if (parsed.hash !== '') throw new DOMException('The URL contains a fragment identifier.', 'SyntaxError');
    this.url = parsed.href;
    const list = protocols === undefined ? [] : typeof protocols === 'string' ? [protocols] : [...protocols];
    if (new Set(list).size !== list.length) throw new DOMException('The subprotocol list contains duplicates.', 'SyntaxError');
    // The `open` handler (below) runs before any byte that came with the 101 is parsed, so nothing is missed.
    connect<WebSocket>(parsed, { ...options, protocols: list, handlers: facadeHandlers, data: this }).catch(() =>
      this.onConnectFailed(),
    );
  }

  get readyState(): number {
    return this.state;
  }

  get bufferedAmount(): number {
    return this.socket?.bufferedAmount ?? 0;
  }

  get protocol(): string {
    return this.negotiatedProtocol;
  }

  get extensions(): string {
    return this.negotiatedExtensions;
  }

  get onopen(): Listener {
    return this.handlerSlots.open;
  }
  set onopen(fn: Listener) {
    this.setHandler('open', fn);
  }
  get onmessage(): Listener {
    return this.handlerSlots.message;
  }
  set onmessage(fn: Listener) {
    this.setHandler('message', fn);
  }
  get onclose(): Listener {
    return this.handlerSlots.close;
  }
  set onclose(fn: Listener) {
    this.setHandler('close', fn);
  }
  get onerror(): Listener {
    return this.handlerSlots.error;
  }
  set onerror(fn: Listener) {
    this.setHandler('error', fn);
  }

  /** Sends text (string) or binary (ArrayBuffer, typed array, DataView). Throws while CONNECTING. */
  send(data: string | ArrayBuffer | ArrayBufferView): void {
    if (this.state === WebSocket.CONNECTING) throw new DOMException('Still in CONNECTING state.', 'InvalidStateError');
    if (this.state !== WebSocket.OPEN || this.socket === null) return;
    if (typeof data === 'string') this.socket.send(data);
    else if (data instanceof ArrayBuffer) this.socket.send(new Uint8Array(data), { binary: true });
    else if (ArrayBuffer.isView(data)) {
      this.socket.send(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), { binary: true });
    } else throw new TypeError('send() takes a string, an ArrayBuffer or an ArrayBufferView');
  }

  /** WHATWG close(): code 1000 or 3000–4999, reason ≤ 123 UTF-8 bytes. */
  close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999 || !Number.isInteger(code))) {
      throw new DOMException(`The close code must be either 1000, or between 3000 and 4999. ${code} is neither.`, 'InvalidAccessError');
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
    this.socket?.close(code ?? (reason !== undefined ? 1000 : undefined), reason);
  }

  private setHandler(type: 'open' | 'message' | 'close' | 'error', fn: Listener): void {
    const previous = this.handlerSlots[type];
    if (previous !== null) this.removeEventListener(type, previous);
    this.handlerSlots[type] = typeof fn === 'function' ? fn : null;
    if (this.handlerSlots[type] !== null) this.addEventListener(type, this.handlerSlots[type]!);
  }

  /** @internal */ onConnected(socket: WsSocket<WebSocket>): void {
    this.socket = socket;
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

  private onConnectFailed(): void {
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
    if (!wasOpen) return;
    if (code === 1006) this.dispatchEvent(new Event('error'));
    this.dispatchEvent(new CloseEvent('close', { code, reason, wasClean: code !== 1006 }));
  }
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
