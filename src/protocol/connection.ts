import { CloseCode } from './close-codes.js';
import { encodeClosePayload, echoClosePayload, failureClosePayload, parseClosePayload } from './close.js';
import { ProtocolError, WebSocketArgumentError, WebSocketStateError } from './errors.js';
import type { PerMessageCodec } from './extension.js';
import { FrameParser, type FrameSink } from './frame-parser.js';
import { encodeFrame, frameHeaderLength, SMALL_FRAME_COPY_LIMIT, writeFrameHeader } from './frame-serializer.js';
import { DEFAULT_LIMITS, MAX_CONTROL_PAYLOAD } from './limits.js';
import { MessageAssembler } from './message-assembler.js';
import type { MessageBudget } from './message-budget.js';
import { Opcode } from './opcodes.js';
import { MaskKeySource } from './random.js';

/*
 * The connection state machine, in one place. Only the methods in the "state transitions" section below change
 * `readyState`, `CLOSE_SENT` or `CLOSE_RECEIVED`. Frames become messages in `MessageAssembler`; Close payloads are
 * read and written by `close.ts`.
 *
 *              close() ─────────────► CLOSING ── peer's Close ──► CLOSED   (we initiated; peer answered)
 *    OPEN ─┤   peer's Close ── we echo it ───────────────────────► CLOSED   (peer initiated)
 *              peer breaks a rule ── we send 1002/1007/1009 ─────► CLOSED   (failed; transport closed now)
 *              transport ends (receiveEof) ──────────────────────► CLOSED   (1006 unless a Close was exchanged)
 *
 * RFC 6455 §7.1.1: the server closes the TCP connection first once the close handshake is done; a client waits
 * for the server to do so (the I/O layer bounds that wait with a timer, since the engine has none).
 */

/** A connection's state, with the values of the browser API's `WebSocket.readyState`. */
export const ReadyState = {
  /** The handshake is under way. */
  CONNECTING: 0,
  /** Open: messages flow. */
  OPEN: 1,
  /** A close frame was sent or received; waiting for the other. */
  CLOSING: 2,
  /** Closed. */
  CLOSED: 3,
} as const;
/** One of the `ReadyState` values. */
export type ReadyState = (typeof ReadyState)[keyof typeof ReadyState];

/** Which end a `Connection` is: clients mask what they send, servers require masked input (RFC 6455 §5.3). */
export type Role = 'server' | 'client';

/**
 * Callbacks from the engine. One handler object can serve every connection (the connection is passed in, and
 * `connection.context` holds the caller's per-connection state), so nothing is allocated per connection or per frame.
 */
export interface ConnectionHandler {
  /** Bytes to put on the transport, in order. The engine never touches a buffer again once handed over. */
  write(connection: Connection, bytes: Uint8Array): void;
  /** A complete message. Text messages are valid UTF-8. `data` may be a view into a received chunk. */
  message(connection: Connection, data: Uint8Array, isText: boolean): void;
  /** A ping arrived; the engine has already queued the pong (RFC 6455 §5.5.2). */
  ping?(connection: Connection, payload: Uint8Array): void;
  /** A pong arrived. */
  pong?(connection: Connection, payload: Uint8Array): void;
  /** Called exactly once, when the connection reaches CLOSED. `code` is 1005 when the Close had no code, 1006 when none came. */
  close(connection: Connection, code: number, reason: string): void;
  /** The peer broke the protocol (or the engine hit an internal error); `close` follows. */
  error?(connection: Connection, error: ProtocolError): void;
  /** The engine wants the transport closed now (server after the close handshake; either role after a failure). */
  closeTransport(connection: Connection): void;
}

/** Options of `new Connection(handler, options)`; only `role` is required. */
export interface ConnectionOptions {
  /** Which end this connection is. */
  role: Role;
  /**
   * Largest message delivered, after decompression. Above → 1009.
   *
   * @defaultValue `16_777_216` (16 MiB)
   */
  maxMessageSize?: number;
  /**
   * Largest frame payload. Above → 1009.
   *
   * @defaultValue `16_777_216` (16 MiB)
   */
  maxFrameSize?: number;
  /**
   * Most frames per message. Above → 1009.
   *
   * @defaultValue `65_536`
   */
  maxFragments?: number;
  /**
   * permessage-deflate codec, when negotiated. Allows RSV1 on the first frame of a message.
   *
   * @defaultValue `null`: no compression
   */
  codec?: PerMessageCodec | null;
  /**
   * Optional native whole-buffer UTF-8 check (Node: `buffer.isUtf8`), used on runs of whole code points of at least
   * `NATIVE_UTF8_MIN` bytes as they arrive. Short pieces, and code points split across pieces, go through the
   * incremental validator.
   *
   * @defaultValue `undefined`: the incremental validator alone
   */
  isUtf8?: (data: Uint8Array) => boolean;
  /**
   * Shared account of the bytes held for unfinished messages (see `MessageBudget`). When a reservation does not fit,
   * the connection closes with 1013.
   *
   * @defaultValue `null`
   */
  budget?: MessageBudget | null;
  /**
   * Called with each frame received (once its header is read) and sent, and each `readyState` change, for logging
   * and debugging.
   *
   * @defaultValue `null`
   */
  trace?: ((event: TraceEvent, connection: Connection) => void) | null;
}

/** What `ConnectionOptions.trace` sees. `length` is the frame's payload length as on the wire. */
export type TraceEvent =
  | {
      /** A frame received, a frame sent, or a `readyState` change. */
      type: 'frame-in';
      /** The frame's opcode. */
      opcode: number;
      /** The FIN bit: last frame of its message. */
      fin: boolean;
      /** The RSV1 bit: compressed (permessage-deflate). */
      rsv1: boolean;
      /** The payload length as on the wire. */
      length: number;
    }
  | {
      /** A frame received, a frame sent, or a `readyState` change. */
      type: 'frame-out';
      /** The frame's opcode. */
      opcode: number;
      /** The FIN bit: last frame of its message. */
      fin: boolean;
      /** The RSV1 bit: compressed (permessage-deflate). */
      rsv1: boolean;
      /** The payload length as on the wire. */
      length: number;
    }
  | {
      /** A frame received, a frame sent, or a `readyState` change. */
      type: 'state';
      /** The state before. */
      from: ReadyState;
      /** The state after. */
      to: ReadyState;
    };

/** Options of `connection.send`. */
export interface SendOptions {
  /**
   * Compress with the negotiated permessage-deflate codec (ignored when none was negotiated).
   *
   * @defaultValue `false`
   */
  compress?: boolean;
}

const EMPTY = new Uint8Array(0);

// Bits of `Connection.flags`. One Connection is held per open socket, and every field of it costs 8 bytes, so its
// booleans share one number, read with `has` and changed with `set`/`clear`.
/** We sent a Close frame (RFC 6455 §5.5.1: no data frame may follow). */
const CLOSE_SENT = 1;
/** We received a Close frame: input after it is discarded. */
const CLOSE_RECEIVED = 2;
/** `receive` is running: chunks passed in meanwhile wait in `pendingInput`. */
const RECEIVING = 4;
const textEncoder = new TextEncoder();

/**
 * A sans-I/O RFC 6455 endpoint after the opening handshake: feed it received bytes with `receive`, ask it to send
 * with `send`/`ping`/`close`, and it calls back its handler with messages and with bytes to write.
 *
 * `receive` never throws because of what the peer sent: every peer error becomes a close frame with 1002, 1007 or
 * 1009 (1011 for internal errors, details not sent). Local misuse (sending after close) throws.
 */
export class Connection implements FrameSink {
  /** Free slot for the I/O layer's per-connection object. */
  context: unknown = undefined;

  private state: ReadyState = ReadyState.OPEN;
  /** `CLOSE_SENT`, `CLOSE_RECEIVED`, `RECEIVING`. */
  private flags = 0;

  /** Which end this connection is. */
  readonly role: Role;
  private readonly parser: FrameParser;
  /**
   * Created with the first data frame: an idle connection holds only the four settings it needs (about 70 bytes
   * less per connection than an assembler of its own).
   */
  private assembler: MessageAssembler | null = null;
  private readonly maxMessageSize: number;
  private readonly maxFragments: number;
  private readonly isUtf8: ((data: Uint8Array) => boolean) | undefined;
  private readonly budget: MessageBudget | null;
  private readonly handler: ConnectionHandler;
  private readonly codec: PerMessageCodec | null;
  private readonly maskKeys: MaskKeySource | null;
  private readonly trace: ((event: TraceEvent, connection: Connection) => void) | null;

  /** Opcode of the frame being received. */
  private frameOpcode = 0;

  // Current control frame payload (≤ 125 bytes), gathered when split across chunks.
  private controlLength = 0;
  // Allocated the first time a control frame is split across chunks (rare): idle connections never pay for it.
  private controlBytes: Uint8Array | null = null;
  private controlFill = 0;
  private controlView: Uint8Array | null = null;

  /** Chunks passed to `receive` while it is running (`RECEIVING`). */
  private pendingInput: Uint8Array[] | null = null;

  // Outgoing fragmented message (sendFragment).
  private outgoingFragmentOpcode = -1;

  /** Code and reason reported on close (what the peer sent, or what we failed with). */
  private closeCode: number = CloseCode.Abnormal;
  private closeReason = '';

  constructor(options: ConnectionOptions, handler: ConnectionHandler) {
    this.role = options.role;
    this.handler = handler;
    this.codec = options.codec ?? null;
    const maxMessageSize = options.maxMessageSize ?? DEFAULT_LIMITS.maxMessageSize;
    this.maskKeys = options.role === 'client' ? new MaskKeySource() : null;
    this.trace = options.trace ?? null;
    this.maxMessageSize = maxMessageSize;
    this.maxFragments = options.maxFragments ?? DEFAULT_LIMITS.maxFragments;
    this.isUtf8 = options.isUtf8;
    this.budget = options.budget ?? null;
    this.parser = new FrameParser(this, {
      expectMasked: options.role === 'server',
      allowRsv1: this.codec !== null,
      maxFrameSize: options.maxFrameSize ?? Math.min(DEFAULT_LIMITS.maxFrameSize, maxMessageSize),
    });
  }

  /** `CONNECTING`, `OPEN`, `CLOSING` or `CLOSED`. */
  get readyState(): ReadyState {
    return this.state;
  }

  /** True when the peer is expected to close the transport (a client after the close handshake). */
  get closeExpected(): boolean {
    // RFC 6455 §7.1.1: after the handshake the server closes the TCP connection itself; only a client waits for it.
    return this.role === 'client' && this.has(CLOSE_SENT | CLOSE_RECEIVED);
  }

  /** True when a permessage-deflate codec was negotiated (and `send` may compress). */
  get compressionEnabled(): boolean {
    return this.codec !== null;
  }

  /**
   * A data message has started and not ended yet. The I/O layer reads it after `receive` to enforce a time limit on
   * unfinished messages (the engine has no clock).
   */
  get messageInProgress(): boolean {
    return this.assembler !== null && this.assembler.active;
  }

  /**
   * Data messages started so far (a 32-bit count that wraps; compare it for change). With `messageInProgress` it
   * tells the I/O layer whether the message in progress after a `receive` is the one it was timing or a new one.
   */
  get messagesStarted(): number {
    return this.assembler === null ? 0 : this.assembler.started;
  }

  // ─── input ────────────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Feeds received bytes. Takes ownership of `chunk` (payloads are unmasked in place and may be delivered as views
   * of it). Input after the connection failed or received a Close is discarded (RFC 6455 §5.5.1).
   */
  receive(chunk: Uint8Array): void {
    if (this.has(CLOSE_RECEIVED) || this.parser.stopped) return;
    if (this.has(RECEIVING)) {
      // Re-entered from one of our own callbacks (e.g. an in-process peer answering synchronously): finish the
      // current chunk first, so bytes are parsed in the order they arrived.
      (this.pendingInput ??= []).push(chunk);
      return;
    }
    this.set(RECEIVING);
    try {
      this.parser.push(chunk);
      while (
        this.pendingInput !== null &&
        this.pendingInput.length > 0 &&
        !this.has(CLOSE_RECEIVED) &&
        !this.parser.stopped
      ) {
        this.parser.push(this.pendingInput.shift()!);
      }
      // Once per chunk: what an unfinished message holds while we wait for the next chunk counts against the budget.
      const error = this.assembler === null ? null : this.assembler.reserveHeld();
      if (error !== null) this.failWith(error);
    } catch (error) {
      this.internalError(error);
    } finally {
      this.clear(RECEIVING);
      this.pendingInput = null;
    }
  }

  /** The transport ended (TCP FIN or error). Reports 1006 unless the close handshake already completed. */
  receiveEof(): void {
    // A stopped parser without a received Close means we failed the connection: its code stands, not 1006.
    const failed = this.parser.stopped && !this.has(CLOSE_RECEIVED);
    this.parser.stop();
    if (!this.has(CLOSE_RECEIVED) && !failed && this.state !== ReadyState.CLOSED) {
      // RFC 6455 §7.1.5: no Close frame was received, so the close code is 1006.
      this.closeCode = CloseCode.Abnormal;
      this.closeReason = '';
    }
    this.toClosed();
  }

  // FrameSink — called by the parser only.

  frameStart(opcode: number, fin: boolean, rsv1: boolean, payloadLength: number): boolean {
    if (this.trace !== null) this.trace({ type: 'frame-in', opcode, fin, rsv1, length: payloadLength }, this);
    this.frameOpcode = opcode;
    if (opcode >= Opcode.Close) {
      this.controlLength = payloadLength;
      this.controlFill = 0;
      this.controlView = null;
      return true;
    }
    const assembler = (this.assembler ??= new MessageAssembler({
      maxMessageSize: this.maxMessageSize,
      maxFragments: this.maxFragments,
      codec: this.codec,
      isUtf8: this.isUtf8,
      budget: this.budget,
    }));
    const error = assembler.frameStart(opcode, fin, rsv1, payloadLength);
    return error === null || this.failWith(error);
  }

  framePayload(data: Uint8Array, start: number, end: number): boolean {
    if (this.frameOpcode < Opcode.Close) {
      // Data frames only reach here after frameStart, which created the assembler.
      const error = this.assembler!.framePayload(data, start, end);
      return error === null || this.failWith(error);
    }
    // Control frames are at most 125 bytes (the parser checked): kept as a view when whole in one chunk.
    if (this.controlFill === 0 && this.controlView === null && end - start === this.controlLength) {
      this.controlView = data.subarray(start, end);
    } else {
      (this.controlBytes ??= new Uint8Array(MAX_CONTROL_PAYLOAD)).set(data.subarray(start, end), this.controlFill);
      this.controlFill += end - start;
    }
    return true;
  }

  frameEnd(): boolean {
    const opcode = this.frameOpcode;
    if (opcode >= Opcode.Close) {
      const payload =
        this.controlView ?? (this.controlFill === 0 ? EMPTY : this.controlBytes!.slice(0, this.controlFill));
      this.controlView = null;
      return this.handleControlFrame(opcode, payload);
    }
    const assembler = this.assembler!;
    if (!assembler.final) return true;
    const error = assembler.finish();
    if (error !== null) return this.failWith(error);
    const isText = assembler.isText;
    this.handler.message(this, assembler.take(), isText);
    return !this.parser.stopped && !this.has(CLOSE_RECEIVED);
  }

  frameError(closeCode: number, reason: string): void {
    this.fail(closeCode, reason);
  }

  private handleControlFrame(opcode: number, payload: Uint8Array): boolean {
    if (opcode === Opcode.Ping) {
      // RFC 6455 §5.5.2: upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response, unless it
      // already received a Close frame. Once we sent a Close we send nothing more (§5.5.1).
      if (!this.has(CLOSE_SENT)) this.writeFrame(Opcode.Pong, payload, true, false);
      this.handler.ping?.(this, payload);
      return !this.parser.stopped;
    }
    if (opcode === Opcode.Pong) {
      this.handler.pong?.(this, payload);
      return !this.parser.stopped;
    }
    const close = parseClosePayload(payload);
    if (!close.ok) return this.fail(close.closeCode, close.error);
    this.onCloseFrameReceived(close.code, close.reason);
    return false;
  }

  // ─── output ───────────────────────────────────────────────────────────────────────────────────────────────────

  /** Sends a whole message: text when `data` is a string (or `isBinary` is false), binary otherwise. */
  send(data: Uint8Array | string, isBinary = typeof data !== 'string', options?: SendOptions): void {
    this.assertCanSendData();
    if (this.outgoingFragmentOpcode !== -1)
      throw new WebSocketStateError('a fragmented message is being sent; finish it first');
    const opcode = isBinary ? Opcode.Binary : Opcode.Text;
    if (options?.compress === true && this.codec !== null) {
      const bytes = typeof data === 'string' ? textEncoder.encode(data) : data;
      this.writeFrame(opcode, this.codec.compress(bytes), true, true);
      return;
    }
    if (typeof data === 'string') this.writeText(opcode, data);
    else this.writeFrame(opcode, data, true, false);
  }

  /**
   * Sends one fragment of a message (RFC 6455 §5.4). The first call fixes the message type; `fin` ends the
   * message. Fragmented messages are sent uncompressed.
   */
  sendFragment(data: Uint8Array | string, isBinary: boolean, fin: boolean): void {
    this.assertCanSendData();
    let opcode: number = Opcode.Continuation;
    if (this.outgoingFragmentOpcode === -1) {
      opcode = isBinary ? Opcode.Binary : Opcode.Text;
      this.outgoingFragmentOpcode = opcode;
    }
    if (fin) this.outgoingFragmentOpcode = -1;
    this.writeFrame(opcode, typeof data === 'string' ? textEncoder.encode(data) : data, fin, false);
  }

  /**
   * Writes a frame prepared with `prepareFrame` (frame once, write to many connections). Server role only, since
   * client frames need a fresh mask each. A compressed prepared frame is only valid on a connection that
   * negotiated permessage-deflate without server context takeover; the caller checks that.
   */
  sendPrepared(frame: Uint8Array): void {
    this.assertCanSendData();
    if (this.role !== 'server') throw new WebSocketStateError('prepared frames are unmasked: server role only');
    if (this.outgoingFragmentOpcode !== -1)
      throw new WebSocketStateError('a fragmented message is being sent; finish it first');
    if (this.trace !== null) this.traceFrameOut(frame);
    this.handler.write(this, frame);
  }

  /** Sends a ping (payload at most 125 bytes; empty by default). */
  ping(payload: Uint8Array | string = EMPTY): void {
    this.sendControl(Opcode.Ping, payload);
  }

  /** Sends an unsolicited pong (payload at most 125 bytes; empty by default); pings are answered for you. */
  pong(payload: Uint8Array | string = EMPTY): void {
    this.sendControl(Opcode.Pong, payload);
  }

  /**
   * Starts the close handshake (RFC 6455 §5.5.1, §7.1.2). Without a code, the Close frame has no body (the peer
   * sees 1005). Calling it again, or after the peer's Close, does nothing.
   */
  close(code?: number, reason = ''): void {
    if (this.has(CLOSE_SENT) || this.state === ReadyState.CLOSED) return;
    const payload = encodeClosePayload(code, reason);
    // State before the write: an in-process transport may deliver the peer's answer back into `receive` from
    // inside `write`, and that Close must be seen as the reply to ours, not echoed.
    this.onCloseFrameSent();
    this.writeFrame(Opcode.Close, payload, true, false);
  }

  /**
   * RFC 6455 §7.1.7 _Fail the WebSocket Connection_ for a rule the I/O layer enforces (the engine has no clock: a
   * time limit on unfinished messages, say): drops the message in progress, reports `error` then `close` with
   * `code`, sends a Close unless one was sent, and asks for the transport to be closed. Does nothing once CLOSED.
   */
  failConnection(code: number, reason: string): void {
    // Checked before any state changes: the Close frame is only built once the connection is already failed.
    failureClosePayload(code, reason);
    if (this.state === ReadyState.CLOSED) return;
    this.fail(code, reason);
  }

  private sendControl(opcode: number, payload: Uint8Array | string): void {
    if (this.has(CLOSE_SENT) || this.state === ReadyState.CLOSED)
      throw new WebSocketStateError('the connection is closing or closed');
    const bytes = typeof payload === 'string' ? textEncoder.encode(payload) : payload;
    // RFC 6455 §5.5: all control frames MUST have a payload length of 125 bytes or less.
    if (bytes.length > MAX_CONTROL_PAYLOAD)
      throw new WebSocketArgumentError('control frame payload must be 125 bytes or less');
    this.writeFrame(opcode, bytes, true, false);
  }

  private assertCanSendData(): void {
    // RFC 6455 §5.5.1: after sending a Close frame, the endpoint MUST NOT send any more data frames.
    if (this.has(CLOSE_SENT) || this.state !== ReadyState.OPEN)
      throw new WebSocketStateError('the connection is closing or closed');
  }

  /** Text from a string: short strings are encoded straight into the frame buffer (one allocation). */
  private writeText(opcode: number, text: string): void {
    if (text.length <= 41 && this.maskKeys === null) {
      const frame = new Uint8Array(2 + text.length * 3);
      const written = textEncoder.encodeInto(text, frame.subarray(2)).written;
      frame[0] = 0x80 | opcode;
      frame[1] = written;
      if (this.trace !== null) this.trace({ type: 'frame-out', opcode, fin: true, rsv1: false, length: written }, this);
      this.handler.write(this, frame.subarray(0, 2 + written));
      return;
    }
    this.writeFrame(opcode, textEncoder.encode(text), true, false);
  }

  private writeFrame(opcode: number, payload: Uint8Array, fin: boolean, rsv1: boolean): void {
    if (this.trace !== null) this.trace({ type: 'frame-out', opcode, fin, rsv1, length: payload.length }, this);
    if (this.maskKeys !== null) {
      // RFC 6455 §5.3: a client masks every frame with a fresh, unpredictable key.
      this.handler.write(this, encodeFrame(opcode, payload, fin, rsv1, this.maskKeys.next()));
      return;
    }
    if (payload.length <= SMALL_FRAME_COPY_LIMIT) {
      this.handler.write(this, encodeFrame(opcode, payload, fin, rsv1, null));
      return;
    }
    const header = new Uint8Array(frameHeaderLength(payload.length, false));
    writeFrameHeader(header, 0, fin, rsv1, opcode, payload.length, null);
    this.handler.write(this, header);
    this.handler.write(this, payload);
  }

  // ─── state transitions (the only code that changes readyState / CLOSE_SENT / CLOSE_RECEIVED) ───────────────────

  private onCloseFrameSent(): void {
    this.set(CLOSE_SENT);
    if (this.has(CLOSE_RECEIVED)) return this.toClosed();
    this.setState(ReadyState.CLOSING);
  }

  private onCloseFrameReceived(code: number, reason: string): void {
    this.set(CLOSE_RECEIVED);
    this.parser.stop();
    this.closeCode = code;
    this.closeReason = reason;
    if (!this.has(CLOSE_SENT)) {
      // RFC 6455 §5.5.1: reply with a Close frame, typically echoing the status code received.
      this.set(CLOSE_SENT);
      this.writeFrame(Opcode.Close, echoClosePayload(code), true, false);
    }
    this.toClosed();
    // RFC 6455 §7.1.1: the server closes the TCP connection first; the client waits for it.
    if (this.role === 'server') this.handler.closeTransport(this);
  }

  /** RFC 6455 §7.1.7 _Fail the WebSocket Connection_: send a Close with the reason's code, then drop the transport. */
  private fail(closeCode: number, reason: string): false {
    return this.failWith(new ProtocolError(closeCode, reason));
  }

  private failWith(error: ProtocolError): false {
    this.parser.stop();
    if (this.state === ReadyState.CLOSED) return false;
    this.assembler?.drop();
    // State and the error report before the write: the write may re-enter (an in-process peer answering, or
    // dropping the transport, at once), and `error` must still come before `close`. With CLOSE_SENT already set,
    // a `close()` from the error handler cannot replace the failure's code.
    this.closeCode = error.closeCode;
    this.closeReason = error.message;
    const mustSend = !this.has(CLOSE_SENT);
    this.set(CLOSE_SENT);
    this.handler.error?.(this, error);
    if (mustSend) this.writeFrame(Opcode.Close, failureClosePayload(error.closeCode, error.message), true, false);
    this.toClosed();
    this.handler.closeTransport(this);
    return false;
  }

  private internalError(error: unknown): void {
    const detail = error instanceof Error ? error.message : String(error);
    this.fail(CloseCode.InternalError, `internal error: ${detail}`);
  }

  private toClosed(): void {
    // A message cut short by the peer's Close or by the end of the transport is never delivered.
    this.assembler?.drop();
    if (this.state === ReadyState.CLOSED) return;
    this.setState(ReadyState.CLOSED);
    this.codec?.dispose();
    this.handler.close(this, this.closeCode, this.closeReason);
  }

  /** Traces a frame that arrives already encoded (`sendPrepared`): its fields are read back from its header. */
  private traceFrameOut(frame: Uint8Array): void {
    const b1 = frame[1] & 0x7f;
    const length = b1 < 126 ? b1 : b1 === 126 ? (frame[2] << 8) | frame[3] : frame.length - 10;
    this.trace!(
      {
        type: 'frame-out',
        opcode: frame[0] & 0x0f,
        fin: (frame[0] & 0x80) !== 0,
        rsv1: (frame[0] & 0x40) !== 0,
        length,
      },
      this,
    );
  }

  private setState(to: ReadyState): void {
    if (this.trace !== null) this.trace({ type: 'state', from: this.state, to }, this);
    this.state = to;
  }

  // ─── flags ────────────────────────────────────────────────────────────────────────────────────────────────────

  /** Every bit of `mask` is set. */
  private has(mask: number): boolean {
    return (this.flags & mask) === mask;
  }
  private set(flag: number): void {
    this.flags |= flag;
  }
  private clear(flag: number): void {
    this.flags &= ~flag;
  }
}

// Kept for imports from this module's old home.
export { encodeClosePayload } from './close.js';
export { prepareFrame } from './frame-serializer.js';
