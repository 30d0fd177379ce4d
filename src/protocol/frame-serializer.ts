import { applyMask } from './mask.js';
import { WebSocketArgumentError } from './errors.js';
import { Opcode } from './opcodes.js';

/**
 * RFC 6455 §5.2 frame encoding. Server frames are unmasked; client frames carry a fresh mask key (§5.3) and a
 * masked copy of the payload, because the caller's buffer must not change under it.
 */

/** Payloads up to this size are copied next to their header so the transport sees one buffer (one write). */
export const SMALL_FRAME_COPY_LIMIT = 1024;

export interface FrameBits {
  fin: boolean;
  rsv1: boolean;
  opcode: number;
}

/** Header length for a payload of `length` bytes, with or without a mask key. */
export function frameHeaderLength(length: number, masked: boolean): number {
  return (length < 126 ? 2 : length < 65536 ? 4 : 10) + (masked ? 4 : 0);
}

/**
 * Writes a header into `target` at `offset` using the minimal length encoding (RFC 6455 §5.2) and returns the
 * number of bytes written. `maskKey` (4 bytes) is written after the length when given.
 */
export function writeFrameHeader(
  target: Uint8Array,
  offset: number,
  fin: boolean,
  rsv1: boolean,
  opcode: number,
  length: number,
  maskKey: Uint8Array | null,
): number {
  if (length > Number.MAX_SAFE_INTEGER || length < 0) throw new WebSocketArgumentError('payload length out of range');
  target[offset] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = maskKey === null ? 0 : 0x80;
  let pos = offset + 2;
  if (length < 126) {
    target[offset + 1] = maskBit | length;
  } else if (length < 65536) {
    target[offset + 1] = maskBit | 126;
    target[pos] = length >>> 8;
    target[pos + 1] = length & 0xff;
    pos += 2;
  } else {
    target[offset + 1] = maskBit | 127;
    const high = Math.floor(length / 0x100000000);
    const low = length >>> 0;
    target[pos] = high >>> 24;
    target[pos + 1] = (high >>> 16) & 0xff;
    target[pos + 2] = (high >>> 8) & 0xff;
    target[pos + 3] = high & 0xff;
    target[pos + 4] = low >>> 24;
    target[pos + 5] = (low >>> 16) & 0xff;
    target[pos + 6] = (low >>> 8) & 0xff;
    target[pos + 7] = low & 0xff;
    pos += 8;
  }
  if (maskKey !== null) {
    target[pos] = maskKey[0];
    target[pos + 1] = maskKey[1];
    target[pos + 2] = maskKey[2];
    target[pos + 3] = maskKey[3];
    pos += 4;
  }
  return pos - offset;
}

/**
 * Encodes one whole frame into a single new buffer. With `maskKey` the payload is copied masked. Used for client
 * frames, small server frames and prepared (broadcast) messages.
 */
export function encodeFrame(
  opcode: number,
  payload: Uint8Array,
  fin: boolean,
  rsv1: boolean,
  maskKey: Uint8Array | null,
): Uint8Array {
  const headerLength = frameHeaderLength(payload.length, maskKey !== null);
  const frame = new Uint8Array(headerLength + payload.length);
  writeFrameHeader(frame, 0, fin, rsv1, opcode, payload.length, maskKey);
  frame.set(payload, headerLength);
  if (maskKey !== null) applyMask(frame, headerLength, frame.length, maskKey, 0);
  return frame;
}

/** Encodes just the header (unmasked) into a new buffer; the payload is written after it, uncopied. */
export function encodeFrameHeader(opcode: number, length: number, fin: boolean, rsv1: boolean): Uint8Array {
  const header = new Uint8Array(frameHeaderLength(length, false));
  writeFrameHeader(header, 0, fin, rsv1, opcode, length, null);
  return header;
}

const textEncoder = new TextEncoder();

/**
 * Frames a message once for writing to many server connections with `Connection.sendPrepared` (broadcast).
 * `compressed` marks a payload already deflated by the caller (RSV1 set).
 */
export function prepareFrame(data: Uint8Array | string, isBinary: boolean, compressed = false): Uint8Array {
  const payload = typeof data === 'string' ? textEncoder.encode(data) : data;
  return encodeFrame(isBinary ? Opcode.Binary : Opcode.Text, payload, true, compressed, null);
}
