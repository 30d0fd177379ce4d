// An independent, deliberately naive RFC 6455 frame codec for the integration tests. It shares no code with
// src/protocol, so a bug there cannot hide itself here.
import { randomBytes } from 'node:crypto';

export const Op = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

export interface FrameSpec {
  opcode: number;
  payload?: Uint8Array | string;
  /** Default true. */
  fin?: boolean;
  rsv1?: boolean;
  rsv2?: boolean;
  rsv3?: boolean;
  /** true: a random key (default for clients); a 4-byte key; false: unmasked. */
  mask?: boolean | Uint8Array;
}

export interface Frame {
  fin: boolean;
  rsv1: boolean;
  rsv2: boolean;
  rsv3: boolean;
  opcode: number;
  masked: boolean;
  payload: Buffer;
}

function toBuffer(data: Uint8Array | string | undefined): Buffer {
  if (data === undefined) return Buffer.alloc(0);
  return typeof data === 'string'
    ? Buffer.from(data, 'utf8')
    : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
}

/** Encodes one frame with the minimal length form. The payload is copied (masking never touches the caller's bytes). */
export function encodeFrame(spec: FrameSpec): Buffer {
  const payload = toBuffer(spec.payload);
  const length = payload.length;
  const key =
    spec.mask === false
      ? null
      : spec.mask === true || spec.mask === undefined
        ? randomBytes(4)
        : Buffer.from(spec.mask);
  const extended = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const header = Buffer.alloc(2 + extended + (key === null ? 0 : 4));
  header[0] =
    ((spec.fin ?? true) ? 0x80 : 0) |
    (spec.rsv1 === true ? 0x40 : 0) |
    (spec.rsv2 === true ? 0x20 : 0) |
    (spec.rsv3 === true ? 0x10 : 0) |
    (spec.opcode & 0x0f);
  header[1] = (key === null ? 0 : 0x80) | (extended === 0 ? length : extended === 2 ? 126 : 127);
  if (extended === 2) header.writeUInt16BE(length, 2);
  if (extended === 8) header.writeBigUInt64BE(BigInt(length), 2);
  const body = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) body[i] = key === null ? payload[i] : payload[i] ^ key[i & 3];
  if (key !== null) key.copy(header, 2 + extended);
  return Buffer.concat([header, body]);
}

/** A Close frame body: 2-byte code and UTF-8 reason (or raw bytes, to send invalid ones). */
export function closePayload(code: number, reason: string | Uint8Array = ''): Buffer {
  const head = Buffer.alloc(2);
  head.writeUInt16BE(code, 0);
  return Buffer.concat([head, toBuffer(reason)]);
}

export function parseClosePayload(payload: Buffer): { code: number; reason: string } {
  if (payload.length < 2) return { code: 1005, reason: '' };
  return { code: payload.readUInt16BE(0), reason: payload.subarray(2).toString('utf8') };
}

/** Incremental frame decoder: `push` bytes in any chunking, take complete frames with `next`. Unmasks. */
export class FrameReader {
  private chunks: Buffer[] = [];
  private total = 0;

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.total += chunk.length;
  }

  get pendingBytes(): number {
    return this.total;
  }

  /** The first `n` buffered bytes as one buffer (joins chunks only as far as needed). */
  private peek(n: number): Buffer {
    if (this.chunks[0].length < n) {
      const joined = Buffer.concat(this.chunks);
      this.chunks = [joined];
    }
    return this.chunks[0];
  }

  next(): Frame | null {
    if (this.total < 2) return null;
    let b = this.peek(Math.min(this.total, 14));
    const masked = (b[1] & 0x80) !== 0;
    let length = b[1] & 0x7f;
    let pos = 2;
    if (length === 126) {
      if (b.length < 4) return null;
      length = b.readUInt16BE(2);
      pos = 4;
    } else if (length === 127) {
      if (b.length < 10) return null;
      length = Number(b.readBigUInt64BE(2));
      pos = 10;
    }
    const keyAt = pos;
    if (masked) pos += 4;
    if (this.total < pos + length) return null;
    b = this.peek(pos + length);
    const payload = Buffer.from(b.subarray(pos, pos + length));
    if (masked) for (let i = 0; i < length; i++) payload[i] ^= b[keyAt + (i & 3)];
    const rest = b.subarray(pos + length);
    this.chunks[0] = rest;
    if (rest.length === 0) this.chunks.shift();
    this.total -= pos + length;
    return {
      fin: (b[0] & 0x80) !== 0,
      rsv1: (b[0] & 0x40) !== 0,
      rsv2: (b[0] & 0x20) !== 0,
      rsv3: (b[0] & 0x10) !== 0,
      opcode: b[0] & 0x0f,
      masked,
      payload,
    };
  }
}

/** A frame as `decodeFrames` found it: header fields, the masking key (null when unmasked) and unmasked payload. */
export interface DecodedFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  maskKey: Uint8Array | null;
  /** Header bytes as written (shows which length form was used). */
  headerLength: number;
  payload: Uint8Array;
}

/**
 * Reference decoder for whole frames an endpoint wrote, written straight from the RFC 6455 §5.2 diagram and
 * independent of the engine's parser. Throws on a truncated frame.
 */
export function decodeFrames(bytes: Uint8Array): DecodedFrame[] {
  const frames: DecodedFrame[] = [];
  let at = 0;
  while (at < bytes.length) {
    const start = at;
    const b0 = bytes[at++];
    const b1 = bytes[at++];
    let length = b1 & 0x7f;
    if (length === 126) {
      length = (bytes[at] << 8) | bytes[at + 1];
      at += 2;
    } else if (length === 127) {
      length = Number(Buffer.from(bytes.subarray(at, at + 8)).readBigUInt64BE());
      at += 8;
    }
    const masked = (b1 & 0x80) !== 0;
    const maskKey = masked ? bytes.slice(at, at + 4) : null;
    if (masked) at += 4;
    const headerLength = at - start;
    const payload = bytes.slice(at, at + length);
    if (payload.length !== length) throw new Error('truncated frame');
    if (maskKey !== null) for (let i = 0; i < payload.length; i++) payload[i] ^= maskKey[i & 3];
    at += length;
    frames.push({
      fin: (b0 & 0x80) !== 0,
      rsv: (b0 >> 4) & 7,
      opcode: b0 & 0x0f,
      masked,
      maskKey,
      headerLength,
      payload,
    });
  }
  return frames;
}
