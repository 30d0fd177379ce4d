import { CloseCode, isValidWireCloseCode, MAX_CLOSE_REASON_BYTES } from './close-codes.js';
import { ProtocolError, WebSocketArgumentError, WebSocketStateError } from './errors.js';
import { CodecError, type PerMessageCodec } from './extension.js';
import { FrameParser, type FrameSink } from './frame-parser.js';
import {
  encodeFrame,
  frameHeaderLength,
  SMALL_FRAME_COPY_LIMIT,
  writeFrameHeader,
} from './frame-serializer.js';
import { DEFAULT_LIMITS, MAX_CONTROL_PAYLOAD } from './limits.js';
import type { MessageBudget } from './message-budget.js';
import { Opcode } from './opcodes.js';
import { MaskKeySource } from './random.js';
import { UTF8_ACCEPT, UTF8_REJECT, isValidUtf8, utf8Step } from './utf8.js';

/*
 * The connection state machine, in one place. Only the methods in the "state transitions" section below change
 * `readyState`, `closeSent` or `closeReceived`.
 *
 *              close() ─────────────► CLOSING ── peer's Close ──► CLOSED   (we initiated; peer answered)
 *    OPEN ─┤   peer's Close ── we echo it ───────────────────────► CLOSED   (peer initiated)
 *              peer breaks a rule ── we send 1002/1007/1009 ─────► CLOSED   (failed; transport closed now)
 *              transport ends (receiveEof) ──────────────────────► CLOSED   (1006 unless a Close was exchanged)
 *
 * RFC 6455 §7.1.1: the server closes the TCP connection first once the close handshake is done; a client waits
 * for the server to do so (the I/O layer bounds that wait with a timer, since the engine has none).
 */

export const ReadyState = {
  CONNECTING: 0,
  OPEN: 1,
  CLOSING: 2,
  CLOSED: 3,
} as const;
export type ReadyState = (typeof ReadyState)[keyof typeof ReadyState];

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
  pong?(connection: Connection, payload: Uint8Array): void;
  /** Called exactly once, when the connection reaches CLOSED. `code` is 1005 when the Close had no code, 1006 when none came. */
  close(connection: Connection, code: number, reason: string): void;
  /** The peer broke the protocol (or the engine hit an internal error); `close` follows. */
  error?(connection: Connection, error: ProtocolError): void;
  /** The engine wants the transport closed now (server after the close handshake; either role after a failure). */
  closeTransport(connection: Connection): void;
}

export interface ConnectionOptions {
  role: Role;
  /** Largest message delivered, after decompression. Default 16 MiB. Above → 1009. */
  maxMessageSize?: number;
  /** Largest frame payload. Default 16 MiB. Above → 1009. */
  maxFrameSize?: number;
  /** Most frames per message. Default 65,536. Above → 1009. */
  maxFragments?: number;
  /** permessage-deflate codec, when negotiated. Allows RSV1 on the first frame of a message. */
  codec?: PerMessageCodec | null;
  /**
   * Optional native whole-buffer UTF-8 check (Node: `buffer.isUtf8`), used on runs of whole code points of at least
   * `NATIVE_UTF8_MIN` bytes as they arrive. Short pieces, and code points split across pieces, go through the
   * incremental validator.
   */
  isUtf8?: (data: Uint8Array) => boolean;
  /**
   * Shared account of the bytes held for unfinished messages (see `MessageBudget`). When a reservation does not fit,
   * the connection closes with 1013. Default: none (the engine alone does not know which connections belong
   * together; the Node server and client pass the process-wide budget).
   */
  budget?: MessageBudget | null;
}

export interface SendOptions {
  /** Compress with the negotiated permessage-deflate codec (ignored when none was negotiated). */
  compress?: boolean;
}

const EMPTY = new Uint8Array(0);

// Bits of `Connection.flags`. One Connection is held per open socket, and every field of it costs 8 bytes, so its
// booleans share one number; the private accessors below keep the code reading as plain booleans.
const CLOSE_SENT = 1;
const CLOSE_RECEIVED = 2;
const CLOSE_REPORTED = 4;
const FRAME_FIN = 8;
const MESSAGE_ACTIVE = 16;
const MESSAGE_IS_TEXT = 32;
const MESSAGE_COMPRESSED = 64;
const RECEIVING = 128;
/**
 * Text pieces shorter than this are validated by the JS state machine even when a native check is available: below
 * it, the native call (and the view it needs) costs more than it saves.
 */
const NATIVE_UTF8_MIN = 64;
/** Pieces shorter than this are copied into the message buffer byte by byte: cheaper than a view and `set`. */
const SMALL_PIECE = 32;
/** Below this capacity the message buffer grows fourfold at a time (see `growMessageBuffer`). */
const FAST_GROWTH_BELOW = 256 * 1024;
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

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
  /** Packed booleans (see the bit constants above and the accessors at the end of the class). */
  private flags = 0;

  readonly role: Role;
  private readonly parser: FrameParser;
  private readonly handler: ConnectionHandler;
  private readonly codec: PerMessageCodec | null;
  private readonly maxMessageSize: number;
  private readonly maxFragments: number;
  private readonly isUtf8: ((data: Uint8Array) => boolean) | undefined;
  private readonly maskKeys: MaskKeySource | null;
  private readonly budget: MessageBudget | null;

  // Current frame.
  private frameOpcode = 0;
  private frameLength = 0;
  private frameReceived = 0;

  // Current data message (fragmentation state, RFC 6455 §5.4).
  private messageFragments = 0;
  private messageLength = 0;
  /**
   * The message's first piece, a view of the chunk (or inflater output) it came in. Most messages have only this
   * one, which is then delivered as is: no copy.
   */
  private messageFirstPiece: Uint8Array | null = null;
  /**
   * Where a message of two or more pieces is gathered: `messageLength` bytes used. Copying each piece in, rather
   * than keeping one view per piece, bounds what a message holds by its size: a view keeps its whole received chunk
   * alive and costs ~100 bytes of object itself, so 131,000 one-byte fragments held ~16 MiB.
   */
  private messageBuffer: Uint8Array | null = null;
  /** Bytes of the current message reserved from `budget`. */
  private messageReserved = 0;
  /** UTF-8 validation state of the current text message (`utf8Step`). */
  private utf8State = UTF8_ACCEPT;

  // Current control frame payload (≤ 125 bytes), gathered when split across chunks.
  // Allocated the first time a control frame is split across chunks (rare): idle connections never pay for it.
  private controlBytes: Uint8Array | null = null;
  private controlFill = 0;
  private controlView: Uint8Array | null = null;

  /** Chunks passed to `receive` while it is running (`receiving`). */
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
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_LIMITS.maxMessageSize;
    this.maxFragments = options.maxFragments ?? DEFAULT_LIMITS.maxFragments;
    this.isUtf8 = options.isUtf8;
    this.maskKeys = options.role === 'client' ? new MaskKeySource() : null;
    this.budget = options.budget ?? null;
    this.parser = new FrameParser(this, {
      expectMasked: options.role === 'server',
      allowRsv1: this.codec !== null,
      maxFrameSize: options.maxFrameSize ?? Math.min(DEFAULT_LIMITS.maxFrameSize, this.maxMessageSize),
    });
  }

  get readyState(): ReadyState {
    return this.state;
  }

  /** True when the peer is expected to close the transport (a client after the close handshake). */
  get closeExpected(): boolean {
    // RFC 6455 §7.1.1: after the handshake the server closes the TCP connection itself; only a client waits for it.
    return this.role === 'client' && this.closeSent && this.closeReceived;
  }

  get compressionEnabled(): boolean {
    return this.codec !== null;
  }

  /**
   * A data message has started and not ended yet. The I/O layer reads it after `receive` to enforce a time limit on
   * unfinished messages (the engine has no clock).
   */
  get messageInProgress(): boolean {
    return this.messageActive;
  }

  // ─── input ────────────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Feeds received bytes. Takes ownership of `chunk` (payloads are unmasked in place and may be delivered as views
   * of it). Input after the connection failed or received a Close is discarded (RFC 6455 §5.5.1).
   */
  receive(chunk: Uint8Array): void {
    if (this.closeReceived || this.parser.stopped) return;
    if (this.receiving) {
      // Re-entered from one of our own callbacks (e.g. an in-process peer answering synchronously): finish the
      // current chunk first, so bytes are parsed in the order they arrived.
      (this.pendingInput ??= []).push(chunk);
      return;
    }
    this.receiving = true;
    try {
      this.parser.push(chunk);
      while (this.pendingInput !== null && this.pendingInput.length > 0 && !this.closeReceived && !this.parser.stopped) {
        this.parser.push(this.pendingInput.shift()!);
      }
      // Once per chunk, not per frame: what an unfinished message holds while we wait for the next chunk is what
      // counts against the shared budget (within one chunk a message is bounded by maxMessageSize anyway).
      if (this.messageActive && this.budget !== null) this.reserveHeldMessage(this.budget);
    } catch (error) {
      this.internalError(error);
    } finally {
      this.receiving = false;
      this.pendingInput = null;
    }
  }

  /** The transport ended (TCP FIN or error). Reports 1006 unless the close handshake already completed. */
  receiveEof(): void {
    // A stopped parser without a received Close means we failed the connection: its code stands, not 1006.
    const failed = this.parser.stopped && !this.closeReceived;
    this.parser.stop();
    if (!this.closeReceived && !failed && !this.closeReported) {
      // RFC 6455 §7.1.5: no Close frame was received, so the close code is 1006.
      this.closeCode = CloseCode.Abnormal;
      this.closeReason = '';
    }
    this.toClosed();
  }

  // FrameSink — called by the parser only.

  frameStart(opcode: number, fin: boolean, rsv1: boolean, payloadLength: number): boolean {
    this.frameOpcode = opcode;
    this.frameFin = fin;
    this.frameLength = payloadLength;
    this.frameReceived = 0;
    if (opcode >= Opcode.Close) {
      this.controlFill = 0;
      this.controlView = null;
      return true;
    }
    if (opcode === Opcode.Continuation) {
      // RFC 6455 §5.4: a continuation frame only continues a message that was started.
      if (!this.messageActive) return this.fail(CloseCode.ProtocolError, 'continuation frame without a message to continue');
      // RFC 7692 §6.1: RSV1 is set on the first frame of a compressed message only.
      if (rsv1) return this.fail(CloseCode.ProtocolError, 'RSV1 set on a continuation frame');
    } else {
      // RFC 6455 §5.4: fragments of one message are not interleaved with another data message.
      if (this.messageActive) return this.fail(CloseCode.ProtocolError, 'new data frame while a fragmented message is open');
      this.messageActive = true;
      this.messageIsText = opcode === Opcode.Text;
      this.messageCompressed = rsv1;
      this.messageFragments = 0;
      this.messageLength = 0;
      if (this.messageIsText) this.utf8State = UTF8_ACCEPT;
    }
    if (++this.messageFragments > this.maxFragments) {
      return this.fail(CloseCode.MessageTooBig, `message has more than ${this.maxFragments} fragments`);
    }
    if (!this.messageCompressed && this.messageLength + payloadLength > this.maxMessageSize) {
      return this.fail(CloseCode.MessageTooBig, `message exceeds ${this.maxMessageSize} bytes`);
    }
    return true;
  }

  framePayload(data: Uint8Array, start: number, end: number): boolean {
    const opcode = this.frameOpcode;
    const isFirstPiece = this.frameReceived === 0;
    this.frameReceived += end - start;
    if (opcode >= Opcode.Close) {
      if (isFirstPiece && end - start === this.frameLength) {
        this.controlView = data.subarray(start, end);
      } else {
        (this.controlBytes ??= new Uint8Array(MAX_CONTROL_PAYLOAD)).set(data.subarray(start, end), this.controlFill);
        this.controlFill += end - start;
      }
      return true;
    }
    if (this.messageCompressed) return this.inflate(data.subarray(start, end), false);
    if (this.messageIsText && !this.validateUtf8(data, start, end)) {
      // RFC 6455 §8.1: fail as soon as the bytes can no longer be valid UTF-8 (not only at the message's end).
      return this.fail(CloseCode.InvalidPayload, 'invalid UTF-8 in text message');
    }
    this.addPiece(data, start, end);
    return true;
  }

  /**
   * Checks text bytes as they arrive, so that the failure comes with the chunk holding the first invalid byte.
   * With a native validator, the whole code points of a long piece are checked natively in one pass; a code point
   * left open by the previous piece, and one cut off by the end of this piece, go through the incremental
   * validator, which carries the open sequence over to the next piece.
   */
  private validateUtf8(data: Uint8Array, start: number, end: number): boolean {
    const isUtf8 = this.isUtf8;
    if (isUtf8 === undefined || end - start < NATIVE_UTF8_MIN) return this.feedUtf8(data, start, end);
    let pos = start;
    // Finishing an open code point takes at most 3 bytes.
    while (this.utf8State !== UTF8_ACCEPT && pos < end) {
      if (!this.feedUtf8(data, pos, pos + 1)) return false;
      pos++;
    }
    const boundary = wholeCodePointsEnd(data, pos, end);
    if (!isUtf8(data.subarray(pos, boundary))) return false;
    return boundary === end || this.feedUtf8(data, boundary, end);
  }

  private feedUtf8(data: Uint8Array, start: number, end: number): boolean {
    this.utf8State = utf8Step(this.utf8State, data, start, end);
    return this.utf8State !== UTF8_REJECT;
  }

  /** Adds `data[start..end)` to the message: kept as a view when it is the first piece, copied in otherwise. */
  private addPiece(data: Uint8Array, start: number, end: number): void {
    const length = this.messageLength;
    if (length === 0) {
      this.messageFirstPiece = data.subarray(start, end);
      this.messageLength = end - start;
      return;
    }
    const needed = length + end - start;
    let buffer = this.messageBuffer;
    if (buffer === null || needed > buffer.length) buffer = this.growMessageBuffer(needed);
    // No view of the piece is made: copying from the chunk directly costs no object per fragment.
    if (end - start < SMALL_PIECE) {
      for (let i = start, j = length; i < end; i++, j++) buffer[j] = data[i];
    } else {
      buffer.set(data.subarray(start, end), length);
    }
    this.messageLength = needed;
  }

  /**
   * A larger gathering buffer holding the message so far. Geometric growth keeps the copies per byte constant
   * however the message is cut; the size never passes the message size limit, nor the message's final size once it
   * is known (the last frame of an uncompressed message), so a message whose frame merely straddles two chunks is
   * copied once into a buffer of its exact size, as a join at the end would have. Announced lengths never make it
   * grow: only bytes that arrived do.
   */
  private growMessageBuffer(needed: number): Uint8Array {
    const old = this.messageBuffer;
    // ×4 while small, so that a message of many small fragments is not copied over and over; ×2 past that, so that
    // a large one never holds more than twice its bytes.
    let capacity = old === null ? 2 * needed : Math.max(needed, old.length < FAST_GROWTH_BELOW ? 4 * old.length : 2 * old.length);
    if (capacity < DEFAULT_LIMITS.minMessageBuffer) capacity = DEFAULT_LIMITS.minMessageBuffer;
    let bound = this.maxMessageSize;
    if (!this.messageCompressed && this.frameFin) bound = needed + (this.frameLength - this.frameReceived);
    if (capacity > bound) capacity = bound > needed ? bound : needed;
    const buffer = new Uint8Array(capacity);
    if (old === null) {
      buffer.set(this.messageFirstPiece!, 0);
      this.messageFirstPiece = null;
    } else {
      buffer.set(old.subarray(0, this.messageLength), 0);
    }
    this.messageBuffer = buffer;
    return buffer;
  }

  /** Brings the budget reservation up to what the unfinished message holds; 1013 when the budget is spent. */
  private reserveHeldMessage(budget: MessageBudget): void {
    const held = this.messageBuffer !== null ? this.messageBuffer.length : this.messageLength;
    const more = held - this.messageReserved;
    if (more <= 0) return;
    if (!budget.tryReserve(more)) {
      // Not the peer's fault: every connection together holds as much as this process allows. RFC 6455 §7.4.1
      // (IANA registry): 1013 Try Again Later, "a temporary condition".
      this.fail(CloseCode.TryAgainLater, 'too many unfinished messages: try again later');
      return;
    }
    this.messageReserved = held;
  }

  /** Forgets the message in progress (delivered, failed or abandoned) and gives back its reservation. */
  private dropMessage(): void {
    this.messageActive = false;
    this.messageFirstPiece = null;
    this.messageBuffer = null;
    this.messageLength = 0;
    if (this.messageReserved !== 0) {
      this.budget!.release(this.messageReserved);
      this.messageReserved = 0;
    }
  }

  frameEnd(): boolean {
    const opcode = this.frameOpcode;
    if (opcode >= Opcode.Close) {
      const payload = this.controlView ?? (this.controlFill === 0 ? EMPTY : this.controlBytes!.slice(0, this.controlFill));
      this.controlView = null;
      return this.handleControlFrame(opcode, payload);
    }
    if (!this.frameFin) return true;
    if (this.messageCompressed && !this.inflate(EMPTY, true)) return false;
    if (this.messageIsText && this.utf8State !== UTF8_ACCEPT) {
      return this.fail(CloseCode.InvalidPayload, 'text message ends inside a UTF-8 sequence');
    }
    const message = this.takeMessage();
    const isText = this.messageIsText;
    this.dropMessage();
    this.handler.message(this, message, isText);
    return !this.parser.stopped && !this.closeReceived;
  }

  frameError(closeCode: number, reason: string): void {
    this.fail(closeCode, reason);
  }

  private takeMessage(): Uint8Array {
    const buffer = this.messageBuffer;
    if (buffer === null) return this.messageFirstPiece ?? EMPTY;
    const length = this.messageLength;
    // Growth may have left most of the buffer unused: the application may keep the message, so a buffer with
    // more than an eighth to spare is trimmed (one more copy, only for messages that came in several pieces).
    if (buffer.length - length > buffer.length >>> 3) return buffer.slice(0, length);
    return buffer.subarray(0, length);
  }

  private inflate(compressed: Uint8Array, end: boolean): boolean {
    let output: Uint8Array;
    try {
      output = this.codec!.decompress(compressed, end, this.maxMessageSize - this.messageLength);
    } catch (error) {
      if (error instanceof CodecError) return this.fail(error.closeCode, error.message);
      throw error;
    }
    if (output.length === 0) return true;
    if (this.messageIsText && !this.validateUtf8(output, 0, output.length)) {
      return this.fail(CloseCode.InvalidPayload, 'invalid UTF-8 in text message');
    }
    this.addPiece(output, 0, output.length);
    return true;
  }

  private handleControlFrame(opcode: number, payload: Uint8Array): boolean {
    if (opcode === Opcode.Ping) {
      // RFC 6455 §5.5.2: upon receipt of a Ping frame, an endpoint MUST send a Pong frame in response, unless it
      // already received a Close frame. Once we sent a Close we send nothing more (§5.5.1).
      if (!this.closeSent) this.writeFrame(Opcode.Pong, payload, true, false);
      this.handler.ping?.(this, payload);
      return !this.parser.stopped;
    }
    if (opcode === Opcode.Pong) {
      this.handler.pong?.(this, payload);
      return !this.parser.stopped;
    }
    return this.handleCloseFrame(payload);
  }

  private handleCloseFrame(payload: Uint8Array): boolean {
    let code: number = CloseCode.NoStatus;
    let reason = '';
    if (payload.length === 1) {
      // RFC 6455 §5.5.1: if there is a body, its first two bytes MUST be a status code.
      return this.fail(CloseCode.ProtocolError, 'close frame with a 1-byte payload');
    }
    if (payload.length >= 2) {
      code = (payload[0] << 8) | payload[1];
      // RFC 6455 §7.4.1: 1005, 1006, 1015 and unassigned codes MUST NOT be sent.
      if (!isValidWireCloseCode(code)) return this.fail(CloseCode.ProtocolError, `invalid close code ${code}`);
      // RFC 6455 §5.5.1: the close reason is UTF-8 encoded.
      if (!isValidUtf8(payload, 2, payload.length)) return this.fail(CloseCode.InvalidPayload, 'close reason is not valid UTF-8');
      reason = textDecoder.decode(payload.subarray(2));
    }
    this.onCloseFrameReceived(code, reason);
    return false;
  }

  // ─── output ───────────────────────────────────────────────────────────────────────────────────────────────────

  /** Sends a whole message: text when `data` is a string (or `isBinary` is false), binary otherwise. */
  send(data: Uint8Array | string, isBinary = typeof data !== 'string', options?: SendOptions): void {
    this.assertCanSendData();
    if (this.outgoingFragmentOpcode !== -1) throw new WebSocketStateError('a fragmented message is being sent; finish it first');
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
    if (this.outgoingFragmentOpcode !== -1) throw new WebSocketStateError('a fragmented message is being sent; finish it first');
    this.handler.write(this, frame);
  }

  ping(payload: Uint8Array | string = EMPTY): void {
    this.sendControl(Opcode.Ping, payload);
  }

  pong(payload: Uint8Array | string = EMPTY): void {
    this.sendControl(Opcode.Pong, payload);
  }

  /**
   * Starts the close handshake (RFC 6455 §5.5.1, §7.1.2). Without a code, the Close frame has no body (the peer
   * sees 1005). Calling it again, or after the peer's Close, does nothing.
   */
  close(code?: number, reason = ''): void {
    if (this.closeSent || this.state === ReadyState.CLOSED) return;
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
    encodeClosePayload(code, truncateReason(reason));
    if (this.state === ReadyState.CLOSED) return;
    this.fail(code, reason);
  }

  private sendControl(opcode: number, payload: Uint8Array | string): void {
    if (this.closeSent || this.state === ReadyState.CLOSED) throw new WebSocketStateError('the connection is closing or closed');
    const bytes = typeof payload === 'string' ? textEncoder.encode(payload) : payload;
    // RFC 6455 §5.5: all control frames MUST have a payload length of 125 bytes or less.
    if (bytes.length > MAX_CONTROL_PAYLOAD) throw new WebSocketArgumentError('control frame payload must be 125 bytes or less');
    this.writeFrame(opcode, bytes, true, false);
  }

  private assertCanSendData(): void {
    // RFC 6455 §5.5.1: after sending a Close frame, the endpoint MUST NOT send any more data frames.
    if (this.closeSent || this.state !== ReadyState.OPEN) throw new WebSocketStateError('the connection is closing or closed');
  }

  /** Text from a string: short strings are encoded straight into the frame buffer (one allocation). */
  private writeText(opcode: number, text: string): void {
    if (text.length <= 41 && this.maskKeys === null) {
      const frame = new Uint8Array(2 + text.length * 3);
      const written = textEncoder.encodeInto(text, frame.subarray(2)).written;
      frame[0] = 0x80 | opcode;
      frame[1] = written;
      this.handler.write(this, frame.subarray(0, 2 + written));
      return;
    }
    this.writeFrame(opcode, textEncoder.encode(text), true, false);
  }

  private writeFrame(opcode: number, payload: Uint8Array, fin: boolean, rsv1: boolean): void {
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

  // ─── state transitions (the only code that changes readyState / closeSent / closeReceived) ─────────────────────

  private onCloseFrameSent(): void {
    this.closeSent = true;
    if (this.closeReceived) return this.toClosed();
    this.state = ReadyState.CLOSING;
  }

  private onCloseFrameReceived(code: number, reason: string): void {
    this.closeReceived = true;
    this.parser.stop();
    this.closeCode = code;
    this.closeReason = reason;
    if (!this.closeSent) {
      // RFC 6455 §5.5.1: reply with a Close frame, typically echoing the status code received.
      this.closeSent = true;
      this.writeFrame(Opcode.Close, code === CloseCode.NoStatus ? EMPTY : encodeClosePayload(code, ''), true, false);
    }
    this.toClosed();
    // RFC 6455 §7.1.1: the server closes the TCP connection first; the client waits for it.
    if (this.role === 'server') this.handler.closeTransport(this);
  }

  /** RFC 6455 §7.1.7 _Fail the WebSocket Connection_: send a Close with the reason's code, then drop the transport. */
  private fail(closeCode: number, reason: string): false {
    this.parser.stop();
    if (this.state === ReadyState.CLOSED) return false;
    this.dropMessage();
    const error = new ProtocolError(closeCode, reason);
    // State and the error report before the write: the write may re-enter (an in-process peer answering, or
    // dropping the transport, at once), and `error` must still come before `close`. With `closeSent` already set,
    // a `close()` from the error handler cannot replace the failure's code.
    this.closeCode = closeCode;
    this.closeReason = reason;
    const mustSend = !this.closeSent;
    this.closeSent = true;
    this.handler.error?.(this, error);
    if (mustSend) {
      // The 1011 reason stays generic: internal details are for the local error handler only.
      const wireReason = closeCode === CloseCode.InternalError ? 'internal error' : truncateReason(reason);
      this.writeFrame(Opcode.Close, encodeClosePayload(closeCode, wireReason), true, false);
    }
    this.toClosed();
    this.handler.closeTransport(this);
    return false;
  }

  private internalError(error: unknown): void {
    const detail = error instanceof Error ? error.message : String(error);
    this.fail(CloseCode.InternalError, `internal error: ${detail}`);
  }

  private toClosed(): void {
    this.state = ReadyState.CLOSED;
    // A message cut short by the peer's Close or by the end of the transport is never delivered.
    this.dropMessage();
    if (this.closeReported) return;
    this.closeReported = true;
    this.codec?.dispose();
    this.handler.close(this, this.closeCode, this.closeReason);
  }

  // ─── packed booleans ──────────────────────────────────────────────────────────────────────────────────────────

  private get closeSent(): boolean {
    return (this.flags & CLOSE_SENT) !== 0;
  }
  private set closeSent(on: boolean) {
    this.flags = on ? this.flags | CLOSE_SENT : this.flags & ~CLOSE_SENT;
  }
  private get closeReceived(): boolean {
    return (this.flags & CLOSE_RECEIVED) !== 0;
  }
  private set closeReceived(on: boolean) {
    this.flags = on ? this.flags | CLOSE_RECEIVED : this.flags & ~CLOSE_RECEIVED;
  }
  private get closeReported(): boolean {
    return (this.flags & CLOSE_REPORTED) !== 0;
  }
  private set closeReported(on: boolean) {
    this.flags = on ? this.flags | CLOSE_REPORTED : this.flags & ~CLOSE_REPORTED;
  }
  private get frameFin(): boolean {
    return (this.flags & FRAME_FIN) !== 0;
  }
  private set frameFin(on: boolean) {
    this.flags = on ? this.flags | FRAME_FIN : this.flags & ~FRAME_FIN;
  }
  /** A data message is being received (fragmentation state, RFC 6455 §5.4). */
  private get messageActive(): boolean {
    return (this.flags & MESSAGE_ACTIVE) !== 0;
  }
  private set messageActive(on: boolean) {
    this.flags = on ? this.flags | MESSAGE_ACTIVE : this.flags & ~MESSAGE_ACTIVE;
  }
  private get messageIsText(): boolean {
    return (this.flags & MESSAGE_IS_TEXT) !== 0;
  }
  private set messageIsText(on: boolean) {
    this.flags = on ? this.flags | MESSAGE_IS_TEXT : this.flags & ~MESSAGE_IS_TEXT;
  }
  private get messageCompressed(): boolean {
    return (this.flags & MESSAGE_COMPRESSED) !== 0;
  }
  private set messageCompressed(on: boolean) {
    this.flags = on ? this.flags | MESSAGE_COMPRESSED : this.flags & ~MESSAGE_COMPRESSED;
  }
  /** `receive` is running: chunks passed in meanwhile wait in `pendingInput`. */
  private get receiving(): boolean {
    return (this.flags & RECEIVING) !== 0;
  }
  private set receiving(on: boolean) {
    this.flags = on ? this.flags | RECEIVING : this.flags & ~RECEIVING;
  }
}

/** RFC 6455 §5.5.1 close body: 2-byte code then a UTF-8 reason of at most 123 bytes. Throws on local misuse. */
export function encodeClosePayload(code: number | undefined, reason: string): Uint8Array {
  if (code === undefined) {
    if (reason !== '') throw new WebSocketArgumentError('a close reason needs a close code');
    return EMPTY;
  }
  if (!Number.isInteger(code) || !isValidWireCloseCode(code)) {
    throw new WebSocketArgumentError(`close code ${code} may not be sent (RFC 6455 §7.4)`);
  }
  const reasonBytes = textEncoder.encode(reason);
  if (reasonBytes.length > MAX_CLOSE_REASON_BYTES) throw new WebSocketArgumentError('close reason must be 123 bytes or less');
  const payload = new Uint8Array(2 + reasonBytes.length);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(reasonBytes, 2);
  return payload;
}

/**
 * The end of the last whole code point in data[start..end), where `start` is on a code point boundary: a sequence
 * cut off by `end` is left out (the incremental validator takes it). Bytes that cannot be valid are left in, for
 * the check to reject.
 */
function wholeCodePointsEnd(data: Uint8Array, start: number, end: number): number {
  const stop = end - 4 > start ? end - 4 : start;
  let lead = end - 1;
  while (lead >= stop && (data[lead] & 0xc0) === 0x80) lead--;
  // Four continuation bytes in a row (or only continuation bytes): invalid whatever follows.
  if (lead < stop) return end;
  const b = data[lead];
  const length = b < 0xc0 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
  return end - lead < length ? lead : end;
}

/** Keeps an error description within the 123-byte close reason limit, cutting on a code point boundary. */
function truncateReason(reason: string): string {
  if (reason.length <= MAX_CLOSE_REASON_BYTES / 3) return reason;
  const bytes = textEncoder.encode(reason);
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return reason;
  let end = MAX_CLOSE_REASON_BYTES;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return textDecoder.decode(bytes.subarray(0, end));
}

/**
 * Frames a message once for writing to many server connections with `Connection.sendPrepared` (broadcast).
 * `compressed` marks a payload already deflated by the caller (RSV1 set).
 */
export function prepareFrame(data: Uint8Array | string, isBinary: boolean, compressed = false): Uint8Array {
  const payload = typeof data === 'string' ? textEncoder.encode(data) : data;
  return encodeFrame(isBinary ? Opcode.Binary : Opcode.Text, payload, true, compressed, null);
}
