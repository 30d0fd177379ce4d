/**
 * Turns data frames into messages (RFC 6455 §5.4 fragmentation, §8.1 UTF-8, RFC 7692 inflate): keeps the
 * fragmentation state, checks text as it arrives, gathers the pieces of a message into one bounded buffer and
 * reserves what an unfinished message holds from the shared `MessageBudget`.
 *
 * It knows nothing of the connection's state: each step returns `null`, or the `ProtocolError` to fail the
 * connection with (allocated only then). The connection drops the message whenever it fails or closes.
 */
import { CloseCode } from './close-codes.js';
import { ProtocolError } from './errors.js';
import { CodecError, type PerMessageCodec } from './extension.js';
import { DEFAULT_LIMITS } from './limits.js';
import type { MessageBudget } from './message-budget.js';
import { Opcode } from './opcodes.js';
import { UTF8_ACCEPT, UTF8_REJECT, utf8Step } from './utf8.js';

/** Options of `new MessageAssembler(options)`, all required (`Connection` fills them from `ConnectionOptions`). */
export interface MessageAssemblerOptions {
  /** Largest message, after decompression. Above → 1009. */
  maxMessageSize: number;
  /** Most frames per message. Above → 1009. */
  maxFragments: number;
  /** permessage-deflate codec, when negotiated. */
  codec: PerMessageCodec | null;
  /** Native whole-buffer UTF-8 check (see `ConnectionOptions.isUtf8`). */
  isUtf8: ((data: Uint8Array) => boolean) | undefined;
  /** Shared account of bytes held for unfinished messages; none when null. */
  budget: MessageBudget | null;
}

const EMPTY = new Uint8Array(0);
/**
 * Text pieces shorter than this are validated by the JS state machine even when a native check is available: below
 * it, the native call (and the view it needs) costs more than it saves.
 */
const NATIVE_UTF8_MIN = 64;
/** Pieces shorter than this are copied into the message buffer byte by byte: cheaper than a view and `set`. */
const SMALL_PIECE = 32;
/** Below this capacity the message buffer grows fourfold at a time (see `growBuffer`). */
const FAST_GROWTH_BELOW = 256 * 1024;

// What `kind` holds: no message, or the type of the one being received.
const NONE = 0;
const TEXT = 1;
const BINARY = 2;

/**
 * Turns frames into messages (RFC 6455 §5.4): checks the fragmentation order, the size and fragment limits and
 * UTF-8 of text as it arrives, inflates compressed messages, and reserves unfinished bytes in the budget. Used by
 * `Connection`; use it directly only with your own `FrameParser`.
 */
export class MessageAssembler {
  private readonly maxMessageSize: number;
  private readonly maxFragments: number;
  private readonly codec: PerMessageCodec | null;
  private readonly isUtf8: ((data: Uint8Array) => boolean) | undefined;
  private readonly budget: MessageBudget | null;

  /** `NONE`, `TEXT` or `BINARY`: the fragmentation state (RFC 6455 §5.4). */
  private kind = NONE;
  /** The message has RSV1 set on its first frame (RFC 7692 §6): its pieces go through the inflater. */
  private compressed = false;
  private fragments = 0;
  /** Data messages started so far (wraps as a 32-bit count: only compared for change). */
  started = 0;
  /** Bytes of the message so far (after inflation). */
  private length = 0;
  /**
   * The message's first piece, a view of the chunk (or inflater output) it came in. Most messages have only this
   * one, which is then delivered as is: no copy.
   */
  private firstPiece: Uint8Array | null = null;
  /**
   * Where a message of two or more pieces is gathered: `length` bytes used. Copying each piece in, rather than
   * keeping one view per piece, bounds what a message holds by its size: a view keeps its whole received chunk alive
   * and costs ~100 bytes of object itself, so 131,000 one-byte fragments held ~16 MiB.
   */
  private buffer: Uint8Array | null = null;
  /** Bytes of the current message reserved from `budget`. */
  private reserved = 0;
  /** UTF-8 validation state of the current text message (`utf8Step`). */
  private utf8State = UTF8_ACCEPT;

  // The current data frame.
  private frameFin = false;
  /** Payload bytes of the current frame not received yet. */
  private frameRemaining = 0;

  constructor(options: MessageAssemblerOptions) {
    this.maxMessageSize = options.maxMessageSize;
    this.maxFragments = options.maxFragments;
    this.codec = options.codec;
    this.isUtf8 = options.isUtf8;
    this.budget = options.budget;
  }

  /** A data message has started and not ended yet. */
  get active(): boolean {
    return this.kind !== NONE;
  }

  /** The message being received is text (read it before `take`). */
  get isText(): boolean {
    return this.kind === TEXT;
  }

  /** The current frame is the last of its message. */
  get final(): boolean {
    return this.frameFin;
  }

  /** A data frame's header: checks it against the fragmentation state and the limits. */
  frameStart(opcode: number, fin: boolean, rsv1: boolean, payloadLength: number): ProtocolError | null {
    this.frameFin = fin;
    this.frameRemaining = payloadLength;
    if (opcode === Opcode.Continuation) {
      // RFC 6455 §5.4: a continuation frame only continues a message that was started.
      if (this.kind === NONE)
        return new ProtocolError(CloseCode.ProtocolError, 'continuation frame without a message to continue');
      // RFC 7692 §6.1: RSV1 is set on the first frame of a compressed message only.
      if (rsv1) return new ProtocolError(CloseCode.ProtocolError, 'RSV1 set on a continuation frame');
    } else {
      // RFC 6455 §5.4: fragments of one message are not interleaved with another data message.
      if (this.kind !== NONE)
        return new ProtocolError(CloseCode.ProtocolError, 'new data frame while a fragmented message is open');
      this.kind = opcode === Opcode.Text ? TEXT : BINARY;
      this.started = (this.started + 1) | 0;
      this.compressed = rsv1;
      this.fragments = 0;
      this.length = 0;
      if (this.kind === TEXT) this.utf8State = UTF8_ACCEPT;
    }
    if (++this.fragments > this.maxFragments) {
      return new ProtocolError(CloseCode.MessageTooBig, `message has more than ${this.maxFragments} fragments`);
    }
    if (!this.compressed && this.length + payloadLength > this.maxMessageSize) {
      return new ProtocolError(CloseCode.MessageTooBig, `message exceeds ${this.maxMessageSize} bytes`);
    }
    return null;
  }

  /** Payload bytes `data[start..end)` of the current data frame. */
  framePayload(data: Uint8Array, start: number, end: number): ProtocolError | null {
    this.frameRemaining -= end - start;
    if (this.compressed) return this.inflate(data.subarray(start, end), false);
    if (this.kind === TEXT && !this.validateUtf8(data, start, end)) return invalidUtf8();
    this.addPiece(data, start, end);
    return null;
  }

  /**
   * The last frame of the message has ended: flushes the inflater and checks that the text ends on a code point.
   * Then take the message with `take`.
   */
  finish(): ProtocolError | null {
    if (this.compressed) {
      const error = this.inflate(EMPTY, true);
      if (error !== null) return error;
    }
    if (this.kind === TEXT && this.utf8State !== UTF8_ACCEPT) {
      return new ProtocolError(CloseCode.InvalidPayload, 'text message ends inside a UTF-8 sequence');
    }
    return null;
  }

  /** The complete message; the assembler is then ready for the next one. */
  take(): Uint8Array {
    const message = this.message();
    this.drop();
    return message;
  }

  /**
   * Brings the budget reservation up to what the unfinished message holds; 1013 when the budget is spent. Called
   * once per received chunk, not per frame: what an unfinished message holds while the connection waits for the
   * next chunk is what counts (within one chunk a message is bounded by maxMessageSize anyway).
   */
  reserveHeld(): ProtocolError | null {
    const budget = this.budget;
    if (this.kind === NONE || budget === null) return null;
    const held = this.buffer !== null ? this.buffer.length : this.length;
    const more = held - this.reserved;
    if (more <= 0) return null;
    if (!budget.tryReserve(more)) {
      // Not the peer's fault: every connection together holds as much as this process allows. RFC 6455 §7.4.1
      // (IANA registry): 1013 Try Again Later, "a temporary condition".
      return new ProtocolError(CloseCode.TryAgainLater, 'too many unfinished messages: try again later');
    }
    this.reserved = held;
    return null;
  }

  /** Forgets the message in progress (delivered, failed or abandoned) and gives back its reservation. */
  drop(): void {
    this.kind = NONE;
    this.firstPiece = null;
    this.buffer = null;
    this.length = 0;
    if (this.reserved !== 0) {
      this.budget!.release(this.reserved);
      this.reserved = 0;
    }
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

  private inflate(compressed: Uint8Array, end: boolean): ProtocolError | null {
    let output: Uint8Array;
    try {
      output = this.codec!.decompress(compressed, end, this.maxMessageSize - this.length);
    } catch (error) {
      if (error instanceof CodecError) return new ProtocolError(error.closeCode, error.message);
      throw error;
    }
    if (output.length === 0) return null;
    if (this.kind === TEXT && !this.validateUtf8(output, 0, output.length)) return invalidUtf8();
    this.addPiece(output, 0, output.length);
    return null;
  }

  /** Adds `data[start..end)` to the message: kept as a view when it is the first piece, copied in otherwise. */
  private addPiece(data: Uint8Array, start: number, end: number): void {
    const length = this.length;
    if (length === 0) {
      this.firstPiece = data.subarray(start, end);
      this.length = end - start;
      return;
    }
    const needed = length + end - start;
    let buffer = this.buffer;
    if (buffer === null || needed > buffer.length) buffer = this.growBuffer(needed);
    // No view of the piece is made: copying from the chunk directly costs no object per fragment.
    if (end - start < SMALL_PIECE) {
      for (let i = start, j = length; i < end; i++, j++) buffer[j] = data[i];
    } else {
      buffer.set(data.subarray(start, end), length);
    }
    this.length = needed;
  }

  /**
   * A larger gathering buffer holding the message so far. Geometric growth keeps the copies per byte constant
   * however the message is cut; the size never passes the message size limit, nor the message's final size once it
   * is known (the last frame of an uncompressed message), so a message whose frame merely straddles two chunks is
   * copied once into a buffer of its exact size, as a join at the end would have. Announced lengths never make it
   * grow: only bytes that arrived do.
   */
  private growBuffer(needed: number): Uint8Array {
    const old = this.buffer;
    // ×4 while small, so that a message of many small fragments is not copied over and over; ×2 past that, so that
    // a large one never holds more than twice its bytes.
    let capacity =
      old === null ? 2 * needed : Math.max(needed, old.length < FAST_GROWTH_BELOW ? 4 * old.length : 2 * old.length);
    if (capacity < DEFAULT_LIMITS.minMessageBuffer) capacity = DEFAULT_LIMITS.minMessageBuffer;
    let bound = this.maxMessageSize;
    if (!this.compressed && this.frameFin) bound = needed + this.frameRemaining;
    if (capacity > bound) capacity = bound > needed ? bound : needed;
    const buffer = new Uint8Array(capacity);
    if (old === null) {
      buffer.set(this.firstPiece!, 0);
      this.firstPiece = null;
    } else {
      buffer.set(old.subarray(0, this.length), 0);
    }
    this.buffer = buffer;
    return buffer;
  }

  private message(): Uint8Array {
    const buffer = this.buffer;
    if (buffer === null) return this.firstPiece ?? EMPTY;
    const length = this.length;
    // Growth may have left most of the buffer unused: the application may keep the message, so a buffer with
    // more than an eighth to spare is trimmed (one more copy, only for messages that came in several pieces).
    if (buffer.length - length > buffer.length >>> 3) return buffer.slice(0, length);
    return buffer.subarray(0, length);
  }
}

/** RFC 6455 §8.1: fail as soon as the bytes can no longer be valid UTF-8 (not only at the message's end). */
function invalidUtf8(): ProtocolError {
  return new ProtocolError(CloseCode.InvalidPayload, 'invalid UTF-8 in text message');
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
