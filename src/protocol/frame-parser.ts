import { applyMask } from './mask.js';
import { CloseCode } from './close-codes.js';
import { isControlOpcode, isKnownOpcode } from './opcodes.js';
import { MAX_CONTROL_PAYLOAD, MAX_SAFE_FRAME_LENGTH } from './limits.js';

/**
 * Receives what the parser finds, frame by frame. Implemented by `Connection`; one object per connection, so no
 * closure or event object is created per frame. Each method returns `false` to stop parsing (the sink has failed
 * the connection and wants no more input).
 */
export interface FrameSink {
  /** A frame header was read (and passed the RFC's checks); its payload follows. */
  frameStart(opcode: number, fin: boolean, rsv1: boolean, payloadLength: number): boolean;
  /** Unmasked payload bytes `data[start..end)`. Called zero or more times per frame, as bytes arrive. */
  framePayload(data: Uint8Array, start: number, end: number): boolean;
  /** The frame's payload is complete. */
  frameEnd(): boolean;
  /** A header broke RFC 6455 framing rules; parsing has stopped. */
  frameError(closeCode: number, reason: string): void;
}

/** Options of `new FrameParser(sink, options)`, all required: they follow from the role and the negotiation. */
export interface FrameParserOptions {
  /** RFC 6455 §5.1: a server MUST close on an unmasked frame; a client MUST close on a masked one. */
  expectMasked: boolean;
  /** RFC 6455 §5.2: RSV1 only when an extension (permessage-deflate) negotiated it. */
  allowRsv1: boolean;
  /** Largest payload of one frame; above it → 1009 before any payload is read. */
  maxFrameSize: number;
}

const STATE_HEADER = 0;
const STATE_PAYLOAD = 1;
const STATE_STOPPED = 2;

/** 2 fixed bytes, up to 8 extended-length bytes, up to 4 mask-key bytes. */
const MAX_HEADER_BYTES = 14;

/** The masking key as bytes, filled from `FrameParser.maskKey` just before each `applyMask` call (single-threaded). */
const MASK_KEY_SCRATCH = new Uint8Array(4);

/**
 * Incremental RFC 6455 §5.2 frame parser. Any chunking of the same bytes gives the same calls on the sink (payload
 * pieces are split differently, their concatenation is the same). A frame whose header and payload sit inside one
 * chunk is handed over as a view of that chunk: no copy. Payloads are unmasked in place, so `push` takes ownership
 * of the chunk.
 */
export class FrameParser {
  private state = STATE_HEADER;
  /** Scratch space for a header that arrives split across chunks; allocated the first time one does. */
  private headerBytes: Uint8Array | null = null;
  private headerFill = 0;
  /**
   * The current frame's masking key as one 32-bit number (first key byte in the high bits). A number rather than a
   * 4-byte array per parser: a typed array costs ~190 bytes of heap per connection for 4 bytes of data.
   */
  private maskKey = 0;
  private masked = false;
  private maskOffset = 0;
  private payloadRemaining = 0;

  // The options, copied into fields rather than kept as a reference: the caller's options object would otherwise
  // stay alive, one per parser, for the life of the connection.
  private readonly expectMasked: boolean;
  private readonly allowRsv1: boolean;
  private readonly maxFrameSize: number;

  constructor(
    private readonly sink: FrameSink,
    options: FrameParserOptions,
  ) {
    this.expectMasked = options.expectMasked;
    this.allowRsv1 = options.allowRsv1;
    this.maxFrameSize = options.maxFrameSize;
  }

  /** True once a framing error or the sink stopped parsing: further input is ignored. */
  get stopped(): boolean {
    return this.state === STATE_STOPPED;
  }

  /** Stops parsing for good: everything pushed afterwards is ignored. */
  stop(): void {
    this.state = STATE_STOPPED;
  }

  /** Parses `chunk` (any size, any split), calling the sink as frames arrive. */
  push(chunk: Uint8Array): void {
    const length = chunk.length;
    let pos = 0;
    while (pos < length) {
      if (this.state === STATE_PAYLOAD) {
        const available = length - pos;
        const n = available < this.payloadRemaining ? available : this.payloadRemaining;
        if (this.masked) {
          const key = this.maskKey;
          MASK_KEY_SCRATCH[0] = key >>> 24;
          MASK_KEY_SCRATCH[1] = (key >>> 16) & 0xff;
          MASK_KEY_SCRATCH[2] = (key >>> 8) & 0xff;
          MASK_KEY_SCRATCH[3] = key & 0xff;
          applyMask(chunk, pos, pos + n, MASK_KEY_SCRATCH, this.maskOffset);
          this.maskOffset = (this.maskOffset + n) & 3;
        }
        this.payloadRemaining -= n;
        const end = pos + n;
        if (!this.sink.framePayload(chunk, pos, end)) return this.stop();
        pos = end;
        if (this.payloadRemaining === 0) {
          this.state = STATE_HEADER;
          if (!this.sink.frameEnd()) return this.stop();
        }
      } else if (this.state === STATE_HEADER) {
        if (this.headerFill === 0 && length - pos >= 2) {
          // Fast path: the whole header is in this chunk, decode it in place.
          const headerLength = headerLengthOf(chunk[pos + 1]);
          if (length - pos >= headerLength) {
            if (!this.decodeHeader(chunk, pos)) return;
            pos += headerLength;
            continue;
          }
        }
        pos = this.gatherHeader(chunk, pos);
      } else {
        return;
      }
    }
  }

  /** Copies header bytes into scratch until the header is complete, then decodes it. Returns the new position. */
  private gatherHeader(chunk: Uint8Array, pos: number): number {
    const scratch = (this.headerBytes ??= new Uint8Array(MAX_HEADER_BYTES));
    const needed = this.headerFill < 2 ? 2 : headerLengthOf(scratch[1]);
    const take = Math.min(needed - this.headerFill, chunk.length - pos);
    scratch.set(chunk.subarray(pos, pos + take), this.headerFill);
    this.headerFill += take;
    pos += take;
    if (this.headerFill >= 2 && this.headerFill === headerLengthOf(scratch[1])) {
      this.headerFill = 0;
      this.decodeHeader(scratch, 0);
    }
    return pos;
  }

  /** Decodes a complete header at `buf[off..]`, checks it and tells the sink. Returns false when parsing stopped. */
  private decodeHeader(buf: Uint8Array, off: number): boolean {
    const b0 = buf[off];
    const b1 = buf[off + 1];
    const fin = (b0 & 0x80) !== 0;
    const rsv1 = (b0 & 0x40) !== 0;
    const opcode = b0 & 0x0f;
    const masked = (b1 & 0x80) !== 0;
    let length = b1 & 0x7f;
    let pos = off + 2;

    // RFC 6455 §5.2: RSV1-3 MUST be 0 unless an extension is negotiated that defines meanings for them.
    if ((b0 & 0x30) !== 0 || (rsv1 && !this.allowRsv1)) {
      return this.fail(CloseCode.ProtocolError, 'reserved bits set without a negotiated extension');
    }
    // RFC 6455 §5.2: if an unknown opcode is received, the receiving endpoint MUST _Fail the WebSocket Connection_.
    if (!isKnownOpcode(opcode)) return this.fail(CloseCode.ProtocolError, `reserved opcode 0x${opcode.toString(16)}`);
    if (masked !== this.expectMasked) {
      // RFC 6455 §5.1: a server MUST close on an unmasked frame; a client MUST close on a masked frame.
      return this.fail(CloseCode.ProtocolError, masked ? 'masked frame from a server' : 'unmasked frame from a client');
    }

    if (length === 126) {
      length = (buf[pos] << 8) | buf[pos + 1];
      pos += 2;
      // RFC 6455 §5.2: "the minimal number of bytes MUST be used to encode the length".
      if (length < 126) return this.fail(CloseCode.ProtocolError, 'non-minimal 16-bit payload length');
    } else if (length === 127) {
      const high = ((buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]) >>> 0;
      const low = ((buf[pos + 4] << 24) | (buf[pos + 5] << 16) | (buf[pos + 6] << 8) | buf[pos + 7]) >>> 0;
      pos += 8;
      // RFC 6455 §5.2: "the most significant bit MUST be 0".
      if (high >= 0x80000000) return this.fail(CloseCode.ProtocolError, '64-bit payload length has its top bit set');
      if (high > 0x1fffff) return this.fail(CloseCode.MessageTooBig, 'payload length above 2^53-1');
      length = high * 0x100000000 + low;
      if (length > MAX_SAFE_FRAME_LENGTH) return this.fail(CloseCode.MessageTooBig, 'payload length above 2^53-1');
      if (length < 65536) return this.fail(CloseCode.ProtocolError, 'non-minimal 64-bit payload length');
    }

    if (isControlOpcode(opcode)) {
      // RFC 6455 §5.5: control frames MUST have a payload length of 125 bytes or less and MUST NOT be fragmented.
      if (!fin) return this.fail(CloseCode.ProtocolError, 'fragmented control frame');
      if (length > MAX_CONTROL_PAYLOAD)
        return this.fail(CloseCode.ProtocolError, 'control frame payload over 125 bytes');
      // RFC 7692 §6: RSV1 is meaningful only on the first frame of a data message.
      if (rsv1) return this.fail(CloseCode.ProtocolError, 'RSV1 set on a control frame');
    } else if (length > this.maxFrameSize) {
      return this.fail(CloseCode.MessageTooBig, `frame of ${length} bytes exceeds the limit of ${this.maxFrameSize}`);
    }

    this.masked = masked;
    if (masked) {
      this.maskKey = ((buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]) >>> 0;
      this.maskOffset = 0;
    }
    if (!this.sink.frameStart(opcode, fin, rsv1, length)) {
      this.stop();
      return false;
    }
    if (length === 0) {
      if (!this.sink.frameEnd()) {
        this.stop();
        return false;
      }
      return true;
    }
    this.payloadRemaining = length;
    this.state = STATE_PAYLOAD;
    return true;
  }

  private fail(closeCode: number, reason: string): false {
    this.stop();
    this.sink.frameError(closeCode, reason);
    return false;
  }
}

/** Total header size given the second header byte: 2, plus 2 or 8 for extended lengths, plus 4 for a mask key. */
function headerLengthOf(b1: number): number {
  const len7 = b1 & 0x7f;
  return 2 + (len7 === 126 ? 2 : len7 === 127 ? 8 : 0) + ((b1 & 0x80) !== 0 ? 4 : 0);
}
