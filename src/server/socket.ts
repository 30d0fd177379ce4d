import { isUtf8 } from 'node:buffer';
import type { Socket } from 'node:net';
import {
  CloseCode,
  Connection,
  ReadyState,
  type ConnectionHandler,
  type MessageBudget,
  type PerMessageCodec,
  type ProtocolError,
  type Role,
} from '../protocol/index.js';
import { SMALL_FRAME_COPY_LIMIT } from '../protocol/frame-serializer.js';
import { startMessageClock, stopMessageClock } from './message-timeouts.js';
import type { PreparedMessage } from './prepared.js';

/**
 * What `send` did with a message:
 * - `sent`: handed to the kernel (or at least below the socket's high-water mark);
 * - `buffered`: accepted but queued in user space — wait for the `drain` handler before sending much more;
 * - `dropped`: not sent, because the socket is not open or this message would take its non-empty buffer over
 *   `maxBufferedAmount` (an empty buffer takes a message of any size).
 */
export type SendResult = 'sent' | 'buffered' | 'dropped';

/** What to do when a send would take a socket's buffered bytes over `maxBufferedAmount`. */
export type BackpressurePolicy = 'drop' | 'close';

/** Close code used when the `close` backpressure policy closes a socket whose peer does not read. */
export const CLOSE_CODE_BACKPRESSURE = 1008;

/**
 * Handlers defined once per server (or client) and shared by all its sockets — the uWebSockets/Bun model: no
 * closure per connection. Per-socket state lives in `ws.data`.
 */
export interface SocketHandlers<D = unknown> {
  /** The socket is open (server: after the 101 was written; client: before `connect` resolves). */
  open?(ws: WsSocket<D>): void;
  /** `data` is a Buffer; text messages are validated UTF-8 (`data.toString()` gives the string). */
  message?(ws: WsSocket<D>, data: Buffer, isBinary: boolean): void;
  /** Once per socket, when the connection is over. `code` 1005: no code given; 1006: no close frame. */
  close?(ws: WsSocket<D>, code: number, reason: string): void;
  /** The socket's buffer drained below the high-water mark after a send returned `buffered`. */
  drain?(ws: WsSocket<D>): void;
  /** A ping arrived (the pong is sent for you). */
  ping?(ws: WsSocket<D>, data: Buffer): void;
  /** A pong arrived. */
  pong?(ws: WsSocket<D>, data: Buffer): void;
  /** A protocol error from the peer (the socket is being closed with the matching code) or a transport error. */
  error?(ws: WsSocket<D>, error: Error): void;
}

export interface SocketOptions {
  maxPayload: number;
  maxFragments: number;
  closeTimeout: number;
  idleTimeout: number;
  maxBufferedAmount: number;
  backpressurePolicy: BackpressurePolicy;
  pauseOnBackpressure: boolean;
  /** Messages smaller than this are sent uncompressed even when `compress` is asked for. */
  compressionThreshold: number;
  /**
   * Bytes of automatic control replies (pongs) queued since our send buffer was last empty, past which we stop
   * reading from the peer until it drains.
   */
  maxControlBacklog: number;
  /** Most ms a message may take from its first chunk to its last; 0 = no limit. Past it → close 1008. */
  messageTimeout: number;
  /** Account of unfinished-message bytes shared with other sockets; past it → close 1013. */
  messageBudget: MessageBudget;
}

/** Options of `ws.send(data, options)` (exported as `SocketSendOptions`). */
export interface SendOptions {
  /**
   * Send as a binary frame.
   *
   * @defaultValue `false` for strings, `true` for bytes
   */
  binary?: boolean;
  /**
   * Compress with permessage-deflate, when negotiated and the message is at least `threshold` bytes.
   *
   * @defaultValue `false`
   */
  compress?: boolean;
}

const kSocket = Symbol('wsgate.socket');

// Bits of `WsSocket.flags`: one WsSocket is held per open connection and every field costs 8 bytes, so its
// booleans share one number (read through the private accessors at the end of the class).
const LAST_WRITE_OK = 1;
const CORKED = 2;
const AWAITING_DRAIN = 4;
const PAUSED_BY_USER = 8;
const PAUSED_BY_BACKPRESSURE = 16;
const CLOSED_REPORTED = 32;
const LISTENING_FOR_DRAIN = 64;
const PAUSED_BY_CONTROL = 128;
const MESSAGE_CLOCK_WATCHED = 256;
type TaggedSocket = Socket & { [kSocket]?: WsSocket<unknown> };

/**
 * One WebSocket connection over a Node socket: the `src/protocol` engine plus I/O, timers and backpressure. The
 * same class serves accepted (server) and connected (client) sockets.
 */
export class WsSocket<D = unknown> {
  /** Your per-socket state. */
  data: D;
  /** The negotiated subprotocol, or '' when none. */
  readonly protocol: string;
  /** The negotiated extensions as sent in the handshake, or ''. */
  readonly extensions: string;
  /** The peer's IP address (`''` if the socket had none); behind a proxy, the proxy's. */
  readonly remoteAddress: string;
  /** The peer's port (0 if unknown). */
  readonly remotePort: number;

  /** @internal */ readonly connection: Connection;
  private readonly socket: TaggedSocket;
  private readonly handlers: SocketHandlers<D>;
  private readonly options: SocketOptions;
  private received = 0;
  /** Bytes of pongs written since the send buffer was last seen empty (see `noteControlReply`). */
  private controlBacklog = 0;
  /** Packed booleans (see the bit constants above and the accessors at the end of the class). */
  private flags = LAST_WRITE_OK;
  /** @internal `Date.now()` when the message in progress started, 0 when none (`message-timeouts.ts`). */
  messageStartedAt = 0;
  /** `connection.messagesStarted` when the message being timed started. */
  private timedMessage = 0;
  private closeTimer: NodeJS.Timeout | null = null;

  /** @internal Use `createServer` or `connect`. */
  constructor(
    socket: Socket,
    role: Role,
    handlers: SocketHandlers<D>,
    options: SocketOptions,
    init: { data: D; protocol: string; extensions: string; codec: PerMessageCodec | null },
  ) {
    this.socket = socket as TaggedSocket;
    this.handlers = handlers;
    this.options = options;
    this.data = init.data;
    this.protocol = init.protocol;
    this.extensions = init.extensions;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    this.connection = new Connection(
      {
        role,
        maxMessageSize: options.maxPayload,
        maxFrameSize: options.maxPayload,
        maxFragments: options.maxFragments,
        codec: init.codec,
        isUtf8,
        budget: options.messageBudget,
      },
      engineHandler,
    );
    this.connection.context = this;
    this.socket[kSocket] = this as WsSocket<unknown>;
  }

  /** @internal Wires the transport and delivers bytes that arrived with the handshake. */
  start(head: Buffer | null): void {
    const socket = this.socket;
    socket.setNoDelay(true);
    // Only the listeners every connection needs: each one is kept per socket for its whole life ('drain' is added
    // the first time a send is buffered, 'timeout' only with an idle timeout).
    // The peer's FIN: let Node end our side too, instead of a listener of ours on 'end' (sockets from an HTTP
    // server allow half-open connections). 'close' then reports the end to the engine (1006 unless the close
    // handshake is done).
    socket.allowHalfOpen = false;
    if (this.options.idleTimeout > 0) {
      socket.setTimeout(this.options.idleTimeout);
      socket.on('timeout', onSocketTimeout);
    } else if (socket.timeout !== undefined) {
      // A timeout left over from the HTTP server (`server.setTimeout`): its listener went with the upgrade.
      socket.setTimeout(0);
    }
    socket.on('data', onSocketData);
    socket.on('close', onSocketClose);
    socket.on('error', onSocketError);
    this.handlers.open?.(this);
    if (head !== null && head.length > 0 && this.connection.readyState !== ReadyState.CLOSED) {
      this.receive(head);
    }
  }

  /** 1 OPEN, 2 CLOSING, 3 CLOSED (as in the WHATWG API). */
  get readyState(): ReadyState {
    return this.connection.readyState;
  }

  /**
   * Bytes received from the peer so far (frames in progress included). A cheap liveness signal: it moves even
   * while a large message is still arriving, before any handler runs.
   */
  get bytesReceived(): number {
    return this.received;
  }

  /** Bytes accepted by `send` but not yet handed to the kernel. */
  get bufferedAmount(): number {
    return this.socket.writableLength;
  }

  /** True while we are not reading from the peer: `pause()`, or backpressure. */
  get isPaused(): boolean {
    return this.pausedByUser || this.pausedByBackpressure || this.pausedByControl;
  }

  /**
   * Sends a message: a string as text, bytes as binary (override with `binary`). Never throws for a closed socket:
   * it returns `dropped` instead, so broadcasts need no try/catch.
   */
  send(data: string | Uint8Array, options?: SendOptions): SendResult {
    if (this.connection.readyState !== ReadyState.OPEN) return 'dropped';
    const size = typeof data === 'string' ? data.length : data.length;
    if (!this.admit(size)) return 'dropped';
    const isBinary = options?.binary ?? typeof data !== 'string';
    const compress =
      options?.compress === true && this.connection.compressionEnabled && size >= this.options.compressionThreshold;
    this.lastWriteOk = true;
    if (size > SMALL_FRAME_COPY_LIMIT) {
      // Header and payload go out in one writev.
      this.socket.cork();
      this.connection.send(typeof data === 'string' ? Buffer.from(data) : data, isBinary, { compress });
      this.socket.uncork();
    } else {
      this.connection.send(data, isBinary, { compress });
    }
    return this.afterWrite();
  }

  /** Writes a message framed once by `prepareMessage` — the broadcast path. */
  sendPrepared(message: PreparedMessage): SendResult {
    if (this.connection.readyState !== ReadyState.OPEN) return 'dropped';
    if (!this.admit(message.frame.length)) return 'dropped';
    this.lastWriteOk = true;
    this.connection.sendPrepared(message.frame);
    return this.afterWrite();
  }

  /** Sends a ping (≤ 125 bytes). Control frames ignore the buffer cap: they are never dropped. */
  ping(data: string | Uint8Array = ''): void {
    if (this.connection.readyState !== ReadyState.OPEN) return;
    this.connection.ping(data);
  }

  /** Sends an unsolicited pong (≤ 125 bytes), e.g. as a one-way heartbeat; pings are answered for you. */
  pong(data: string | Uint8Array = ''): void {
    if (this.connection.readyState !== ReadyState.OPEN) return;
    this.connection.pong(data);
  }

  /**
   * Starts the close handshake. If the peer has not completed it within `closeTimeout` ms the TCP connection is
   * destroyed. Throws `WebSocketArgumentError` for a code that may not be sent or a reason over 123 bytes.
   */
  close(code?: number, reason?: string): void {
    if (this.connection.readyState !== ReadyState.OPEN) return;
    this.connection.close(code, reason);
    // The peer's answer is timed from our Close: it leaves now, not when whatever else this tick runs is done.
    if (this.corked) this.uncork();
    this.armCloseTimer();
  }

  /** Destroys the TCP connection at once, without a close handshake. `close` reports 1006. */
  terminate(): void {
    this.socket.destroy();
  }

  /** Stops reading from the peer (TCP backpressure) until `resume`. */
  pause(): void {
    this.pausedByUser = true;
    this.socket.pause();
  }

  /** Reads from the peer again after `pause()` (backpressure, if any, still holds it until `drain`). */
  resume(): void {
    this.pausedByUser = false;
    if (!this.pausedByBackpressure && !this.pausedByControl) this.socket.resume();
  }

  /** Checks the buffer cap; applies the backpressure policy when a message does not fit. */
  private admit(size: number): boolean {
    const buffered = this.socket.writableLength;
    // An empty buffer takes any message: a message larger than the cap is not backpressure, and refusing it (or,
    // with the 'close' policy, closing the socket) would make it unsendable on an idle connection.
    if (buffered === 0 || buffered + size <= this.options.maxBufferedAmount) return true;
    if (this.options.backpressurePolicy === 'close') {
      this.close(CLOSE_CODE_BACKPRESSURE, 'send buffer limit exceeded');
    }
    return false;
  }

  private afterWrite(): SendResult {
    // `write()` returns false for any chunk of highWaterMark bytes or more, even when the kernel took all of it at
    // once; what is still queued after the write is what counts.
    if (this.lastWriteOk || this.socket.writableLength < this.socket.writableHighWaterMark) return 'sent';
    this.awaitingDrain = true;
    this.listenForDrain();
    if (this.options.pauseOnBackpressure && !this.pausedByBackpressure) {
      this.pausedByBackpressure = true;
      this.socket.pause();
    }
    return 'buffered';
  }

  private listenForDrain(): void {
    if (this.listeningForDrain) return;
    this.listeningForDrain = true;
    this.socket.on('drain', onSocketDrain);
  }

  /**
   * RFC 6455 §5.5.2 makes us answer every ping, and control frames skip the buffer cap, so a peer that pings and
   * never reads would have us queue its pongs without end (301 MiB of pings took a server from 54 to ~1,340 MiB).
   * Once more than `maxControlBacklog` bytes of replies were queued since the buffer was last empty, and the buffer
   * is backed up (so a 'drain' is sure to come), we stop reading from the peer — TCP backpressure — until it drains.
   * Independent of `pauseOnBackpressure`, which only concerns our own sends. A peer that reads is never paused.
   * (Pausing rather than closing 1008: a peer that is only slow for a moment keeps its connection.)
   */
  private noteControlReply(bytes: number): void {
    this.controlBacklog += bytes;
    if (this.controlBacklog <= this.options.maxControlBacklog || this.pausedByControl) return;
    if (!this.socket.writableNeedDrain) return;
    this.pausedByControl = true;
    this.listenForDrain();
    this.socket.pause();
  }

  private armCloseTimer(): void {
    if (this.closeTimer !== null || this.socket.destroyed) return;
    this.closeTimer = setTimeout(destroySocket, this.options.closeTimeout, this.socket);
    this.closeTimer.unref();
  }

  private clearCloseTimer(): void {
    if (this.closeTimer === null) return;
    clearTimeout(this.closeTimer);
    this.closeTimer = null;
  }

  // Called by the module-level engine handler and socket listeners below.

  /** @internal */ writeBytes(bytes: Uint8Array): void {
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return;
    if (!this.corked) {
      // Everything written to this socket in the current tick (the replies to a chunk of pipelined messages, a burst
      // of broadcasts) leaves in one writev when the tick ends, instead of one syscall per frame: uWS's cork.
      this.corked = true;
      socket.cork();
      process.nextTick(uncorkSocket, this);
    }
    if (!socket.write(bytes)) this.lastWriteOk = false;
    // Like uWS's cork buffer, flush once a high-water mark's worth is gathered: held bytes would otherwise count as
    // backpressure (`bufferedAmount`, `maxBufferedAmount`) though the kernel may take them at once.
    if (this.corked && socket.writableLength >= socket.writableHighWaterMark) this.uncork();
  }

  /** @internal End of the tick: hand what was written during it to the kernel. */
  uncork(): void {
    this.corked = false;
    this.socket.uncork();
    // The kernel took everything: the replies queued so far are sent.
    if (this.controlBacklog !== 0 && this.socket.writableLength === 0) this.controlBacklog = 0;
  }

  /** @internal */ deliverMessage(data: Uint8Array, isText: boolean): void {
    this.handlers.message?.(this, asBuffer(data), !isText);
  }

  /** @internal */ deliverPing(data: Uint8Array): void {
    // Still OPEN: the engine has just queued the pong (it sends none once a Close went out).
    if (this.connection.readyState === ReadyState.OPEN) {
      this.noteControlReply(
        data.length + (this.connection.role === 'client' ? CLIENT_CONTROL_HEADER : SERVER_CONTROL_HEADER),
      );
    }
    this.handlers.ping?.(this, asBuffer(data));
  }

  /** @internal */ deliverPong(data: Uint8Array): void {
    this.handlers.pong?.(this, asBuffer(data));
  }

  /** @internal */ deliverError(error: Error): void {
    this.handlers.error?.(this, error);
  }

  /** @internal The engine reached CLOSED: report once, then make sure the transport goes away. */
  reportClosed(code: number, reason: string): void {
    if (this.closedReported) return;
    this.closedReported = true;
    if (this.messageStartedAt !== 0) stopMessageClock(this);
    // The engine has just written our last frame (the answer to the peer's Close, or a failure's Close). It leaves
    // now, before the `close` handler and whatever else this tick runs: the peer times the close handshake from its
    // own Close (Autobahn aborts after 1 s and calls the close unclean), and a slow handler or a busy loop must not
    // eat into that.
    if (this.corked) this.uncork();
    if (!this.socket.destroyed) {
      // Nothing more is parsed (RFC 6455 §5.5.1: input after a Close is discarded), but the socket keeps reading,
      // even when paused: the peer's FIN must be seen, and unread bytes in the receive buffer would turn our
      // eventual close into an RST, which can discard our Close if it is not yet acknowledged.
      this.pausedByUser = false;
      this.pausedByBackpressure = false;
      this.pausedByControl = false;
      this.socket.resume();
    }
    if (this.connection.closeExpected) {
      // A client waits for the server to close TCP (RFC 6455 §7.1.1), for closeTimeout from the end of the
      // handshake: a timer left from our own close() would leave a server that answered late no time to close first.
      this.clearCloseTimer();
    }
    this.armCloseTimer();
    this.handlers.close?.(this, code, reason);
  }

  /** @internal */ closeTransport(): void {
    // Half-close so our Close frame is flushed, and destroy if the peer doesn't finish within closeTimeout.
    endSocket(this.socket);
    this.armCloseTimer();
  }

  /** @internal */ onTransportGone(): void {
    this.clearCloseTimer();
    this.connection.receiveEof();
  }

  /** @internal */ onDrain(): void {
    // 'drain' comes when the buffer is empty: every reply queued so far is sent.
    this.controlBacklog = 0;
    if (this.pausedByBackpressure || this.pausedByControl) {
      this.pausedByBackpressure = false;
      this.pausedByControl = false;
      if (!this.pausedByUser) this.socket.resume();
    }
    if (!this.awaitingDrain) return;
    this.awaitingDrain = false;
    this.handlers.drain?.(this);
  }

  /** @internal */ onIdle(): void {
    if (this.connection.readyState === ReadyState.OPEN) this.close(1001, 'idle timeout');
    else this.socket.destroy();
  }

  /** @internal */ receive(chunk: Buffer): void {
    this.received += chunk.length;
    const connection = this.connection;
    connection.receive(chunk);
    // Once per chunk: a message that started (or ended) in it starts (or stops) its clock.
    if (connection.messageInProgress) {
      if (this.messageStartedAt === 0 || connection.messagesStarted !== this.timedMessage) this.startTiming();
    } else if (this.messageStartedAt !== 0) {
      stopMessageClock(this);
    }
  }

  /**
   * The message in progress is not the one being timed (if any): time it from now. A peer whose every read ends
   * inside a message (a steady stream of messages larger than a read) finishes each one in time; timing the first
   * until the stream pauses would close it after `messageTimeout` of healthy traffic.
   */
  private startTiming(): void {
    if (this.options.messageTimeout <= 0 || this.closedReported) return;
    this.timedMessage = this.connection.messagesStarted;
    startMessageClock(this);
  }

  /** @internal The limit the message clock holds this socket to. */
  get messageTimeout(): number {
    return this.options.messageTimeout;
  }

  /** @internal Called by the message clock sweep (which has already stopped the clock). */
  onMessageTimeout(): void {
    this.connection.failConnection(
      CloseCode.PolicyViolation,
      `message not completed within ${this.options.messageTimeout} ms`,
    );
  }

  // ─── packed booleans ──────────────────────────────────────────────────────────────────────────────────────────

  /** No `write` since the last send returned false (the socket's buffer is over its high-water mark). */
  private get lastWriteOk(): boolean {
    return (this.flags & LAST_WRITE_OK) !== 0;
  }
  private set lastWriteOk(on: boolean) {
    this.flags = on ? this.flags | LAST_WRITE_OK : this.flags & ~LAST_WRITE_OK;
  }
  /** Writes are being gathered until the end of the tick (`writeBytes`). */
  private get corked(): boolean {
    return (this.flags & CORKED) !== 0;
  }
  private set corked(on: boolean) {
    this.flags = on ? this.flags | CORKED : this.flags & ~CORKED;
  }
  /** A send returned `buffered`: the next 'drain' is reported to the `drain` handler. */
  private get awaitingDrain(): boolean {
    return (this.flags & AWAITING_DRAIN) !== 0;
  }
  private set awaitingDrain(on: boolean) {
    this.flags = on ? this.flags | AWAITING_DRAIN : this.flags & ~AWAITING_DRAIN;
  }
  private get pausedByUser(): boolean {
    return (this.flags & PAUSED_BY_USER) !== 0;
  }
  private set pausedByUser(on: boolean) {
    this.flags = on ? this.flags | PAUSED_BY_USER : this.flags & ~PAUSED_BY_USER;
  }
  private get pausedByBackpressure(): boolean {
    return (this.flags & PAUSED_BY_BACKPRESSURE) !== 0;
  }
  private set pausedByBackpressure(on: boolean) {
    this.flags = on ? this.flags | PAUSED_BY_BACKPRESSURE : this.flags & ~PAUSED_BY_BACKPRESSURE;
  }
  private get closedReported(): boolean {
    return (this.flags & CLOSED_REPORTED) !== 0;
  }
  private set closedReported(on: boolean) {
    this.flags = on ? this.flags | CLOSED_REPORTED : this.flags & ~CLOSED_REPORTED;
  }
  /** Reading stopped because our pongs back up (`noteControlReply`), until 'drain'. */
  private get pausedByControl(): boolean {
    return (this.flags & PAUSED_BY_CONTROL) !== 0;
  }
  private set pausedByControl(on: boolean) {
    this.flags = on ? this.flags | PAUSED_BY_CONTROL : this.flags & ~PAUSED_BY_CONTROL;
  }
  /** @internal The socket is in the message clock's watched set (written only by `message-timeouts.ts`). */
  get messageClockWatched(): boolean {
    return (this.flags & MESSAGE_CLOCK_WATCHED) !== 0;
  }
  /** @internal */
  set messageClockWatched(on: boolean) {
    this.flags = on ? this.flags | MESSAGE_CLOCK_WATCHED : this.flags & ~MESSAGE_CLOCK_WATCHED;
  }
  private get listeningForDrain(): boolean {
    return (this.flags & LISTENING_FOR_DRAIN) !== 0;
  }
  private set listeningForDrain(on: boolean) {
    this.flags = on ? this.flags | LISTENING_FOR_DRAIN : this.flags & ~LISTENING_FOR_DRAIN;
  }
}

/** Bytes of a control frame's header: 2, plus the 4-byte masking key a client adds (RFC 6455 §5.2). */
const SERVER_CONTROL_HEADER = 2;
const CLIENT_CONTROL_HEADER = 6;

function asBuffer(data: Uint8Array): Buffer {
  return Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * Ends our side once. A second `end()` on a finished stream builds an ERR_STREAM_ALREADY_FINISHED error (with its
 * stack trace) for nobody: a measurable cost per connection when the peer's FIN follows our Close.
 */
function endSocket(socket: Socket): void {
  if (!socket.destroyed && !socket.writableEnded) socket.end();
}

function uncorkSocket(ws: WsSocket<unknown>): void {
  ws.uncork();
}

function destroySocket(socket: Socket): void {
  socket.destroy();
}

function socketOf(connection: Connection): WsSocket<unknown> {
  return connection.context as WsSocket<unknown>;
}

/** One engine handler for every socket: the socket is found through `connection.context`. */
const engineHandler: ConnectionHandler = {
  write(connection, bytes) {
    socketOf(connection).writeBytes(bytes);
  },
  message(connection, data, isText) {
    socketOf(connection).deliverMessage(data, isText);
  },
  ping(connection, payload) {
    socketOf(connection).deliverPing(payload);
  },
  pong(connection, payload) {
    socketOf(connection).deliverPong(payload);
  },
  close(connection, code, reason) {
    socketOf(connection).reportClosed(code, reason);
  },
  error(connection, error: ProtocolError) {
    socketOf(connection).deliverError(error);
  },
  closeTransport(connection) {
    socketOf(connection).closeTransport();
  },
};

// Module-level socket listeners (`this` is the net.Socket): no closure per connection.
function onSocketData(this: TaggedSocket, chunk: Buffer): void {
  this[kSocket]?.receive(chunk);
}
function onSocketClose(this: TaggedSocket): void {
  this[kSocket]?.onTransportGone();
}
function onSocketError(this: TaggedSocket, error: Error): void {
  this[kSocket]?.deliverError(error);
  this.destroy();
}
function onSocketDrain(this: TaggedSocket): void {
  this[kSocket]?.onDrain();
}
function onSocketTimeout(this: TaggedSocket): void {
  this[kSocket]?.onIdle();
}
