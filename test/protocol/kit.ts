/**
 * The engine's test kit (after python-websockets' `tests/protocol.py`): make a `Connection` of either role with a
 * recording handler, feed it frames as its peer would send them (in one chunk, byte by byte or cut at given
 * offsets), and check what it reported and what it wrote, parsed back with the reference decoder of
 * `helpers/frames.ts` (which shares no code with the engine).
 */
import { isUtf8 } from 'node:buffer';
import { expect } from 'vitest';
import {
  Connection,
  type ConnectionHandler,
  type ConnectionOptions,
  ProtocolError,
  type Role,
} from '../../src/protocol/index.js';
import { decodeFrames, type DecodedFrame } from '../helpers/frames.js';

export { pattern } from '../helpers/bytes.js';
export type { DecodedFrame };

export const encoder = new TextEncoder();
export const bytesOf = (data: Uint8Array | string): Uint8Array =>
  typeof data === 'string' ? encoder.encode(data) : data;
export const concat = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
/** Bytes from hex text; whitespace is ignored (`hex('81 05 48 65')`, `hex('82 7e 0100')`). */
export const hex = (text: string): Uint8Array => Uint8Array.from(Buffer.from(text.replace(/\s+/g, ''), 'hex'));

/** Bytes as lower-case hex, no separators. */
export const toHex = (bytes: Uint8Array): string =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');

export const OP = { cont: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;

export interface FrameSpec {
  fin?: boolean;
  /** RSV bits as a 3-bit number: 4 = RSV1, 2 = RSV2, 1 = RSV3. */
  rsv?: number;
  /** Defaults to the masking the receiving role requires. */
  masked?: boolean;
  /** Force a length form (to build non-minimal encodings). */
  lengthForm?: 7 | 16 | 64;
  /** Announce this length instead of the payload's (header-only frames). */
  length?: bigint;
}

/** Builds a frame as the peer of a `receiver` connection would send it (independent of the engine's serializer). */
export function peerFrame(
  receiver: Role,
  opcode: number,
  payload: Uint8Array | string = '',
  spec: FrameSpec = {},
): Uint8Array {
  const body = bytesOf(payload);
  const masked = spec.masked ?? receiver === 'server';
  const length = spec.length ?? BigInt(body.length);
  const form = spec.lengthForm ?? (length < 126n ? 7 : length < 65536n ? 16 : 64);
  const header: number[] = [((spec.fin ?? true) ? 0x80 : 0) | ((spec.rsv ?? 0) << 4) | opcode];
  const maskBit = masked ? 0x80 : 0;
  if (form === 7) header.push(maskBit | Number(length));
  else if (form === 16) header.push(maskBit | 126, Number(length >> 8n) & 0xff, Number(length) & 0xff);
  else {
    header.push(maskBit | 127);
    for (let shift = 56n; shift >= 0n; shift -= 8n) header.push(Number((length >> shift) & 0xffn));
  }
  const key = [0x9b, 0x17, 0xc4, 0x6e];
  if (masked) header.push(...key);
  const out = new Uint8Array(header.length + body.length);
  out.set(header);
  for (let i = 0; i < body.length; i++) out[header.length + i] = masked ? body[i] ^ key[i & 3] : body[i];
  return out;
}

export function closeBody(code: number, reason: Uint8Array | string = ''): Uint8Array {
  return concat([Uint8Array.of(code >> 8, code & 0xff), bytesOf(reason)]);
}

export type Event =
  | { type: 'message'; data: string; isText: boolean }
  | { type: 'ping'; payload: string }
  | { type: 'pong'; payload: string }
  | { type: 'close'; code: number; reason: string }
  | { type: 'error'; code: number; message: string }
  | { type: 'closeTransport' };

/** A connection with a recording handler. Binary payloads are recorded as hex, text as text. */
export class Endpoint {
  readonly events: Event[] = [];
  readonly writes: { bytes: Uint8Array; fedUpTo: number }[] = [];
  readonly errors: ProtocolError[] = [];
  readonly connection: Connection;
  /** Number of input bytes handed to `receive` so far, counting the chunk being received. */
  private fed = 0;

  constructor(
    readonly role: Role,
    options: Omit<ConnectionOptions, 'role'> = {},
  ) {
    const handler: ConnectionHandler = {
      write: (_c, bytes) => void this.writes.push({ bytes: new Uint8Array(bytes), fedUpTo: this.fed }),
      message: (_c, data, isText) =>
        void this.events.push({ type: 'message', data: Buffer.from(data).toString(isText ? 'utf8' : 'hex'), isText }),
      ping: (_c, payload) => void this.events.push({ type: 'ping', payload: Buffer.from(payload).toString() }),
      pong: (_c, payload) => void this.events.push({ type: 'pong', payload: Buffer.from(payload).toString() }),
      close: (_c, code, reason) => void this.events.push({ type: 'close', code, reason }),
      error: (_c, error) => {
        this.errors.push(error);
        this.events.push({ type: 'error', code: error.closeCode, message: error.message });
      },
      closeTransport: () => void this.events.push({ type: 'closeTransport' }),
    };
    this.connection = new Connection({ role, ...options }, handler);
  }

  /** Feeds bytes as one chunk (a copy, since the engine unmasks in place). */
  feed(...frames: Uint8Array[]): this {
    const bytes = concat(frames);
    this.fed += bytes.length;
    this.connection.receive(bytes);
    return this;
  }

  /** Feeds `bytes` cut at `splits` (sorted offsets); each piece is a fresh copy, as a transport would hand over. */
  feedSplit(bytes: Uint8Array, splits: readonly number[] = []): this {
    let at = 0;
    for (const split of [...splits, bytes.length]) {
      this.fed += split - at;
      this.connection.receive(bytes.slice(at, split));
      at = split;
    }
    return this;
  }

  /** Feeds bytes one at a time. */
  trickle(...frames: Uint8Array[]): this {
    for (const byte of concat(frames)) {
      this.fed++;
      this.connection.receive(Uint8Array.of(byte));
    }
    return this;
  }

  get output(): Uint8Array {
    return concat(this.writes.map((w) => w.bytes));
  }

  get frames(): DecodedFrame[] {
    return decodeFrames(this.output);
  }

  get messages(): Event[] {
    return this.events.filter((e) => e.type === 'message');
  }

  count(type: Event['type']): number {
    return this.events.filter((e) => e.type === type).length;
  }
}

export function closeCodeOf(frame: DecodedFrame): number | undefined {
  return frame.payload.length >= 2 ? (frame.payload[0] << 8) | frame.payload[1] : undefined;
}

/**
 * The connection failed with `code`: exactly one close frame was written (the last frame), with that code and a
 * short UTF-8 reason; `error` then one `close` were reported; the transport is to be closed; state is CLOSED.
 */
export function expectFailed(endpoint: Endpoint, code: number): void {
  const frames = endpoint.frames;
  const closes = frames.filter((f) => f.opcode === OP.close);
  expect(closes).toHaveLength(1);
  expect(frames.at(-1)!.opcode).toBe(OP.close);
  const close = closes[0];
  expect(close.masked).toBe(endpoint.role === 'client');
  expect(closeCodeOf(close)).toBe(code);
  const reason = close.payload.subarray(2);
  expect(reason.length).toBeLessThanOrEqual(123);
  expect(isUtf8(reason)).toBe(true);
  expect(endpoint.count('close')).toBe(1);
  expect(endpoint.count('error')).toBe(1);
  const errorAt = endpoint.events.findIndex((e) => e.type === 'error');
  const closeAt = endpoint.events.findIndex((e) => e.type === 'close');
  expect(errorAt).toBeLessThan(closeAt);
  expect(endpoint.events[closeAt]).toMatchObject({ type: 'close', code });
  expect(endpoint.errors[0]).toBeInstanceOf(ProtocolError);
  expect(endpoint.errors[0].closeCode).toBe(code);
  expect(endpoint.count('closeTransport')).toBe(1);
  expect(endpoint.connection.readyState).toBe(3);
}

/** Writes happened only once `fedUpTo` input bytes had been received; the first write is the failure close. */
export function expectFailedAt(endpoint: Endpoint, code: number, fedUpTo: number): void {
  expectFailed(endpoint, code);
  expect(endpoint.writes[0].fedUpTo).toBe(fedUpTo);
}

/** Every way to cut `length` bytes into two writes, plus byte by byte and (for short inputs) every pair of cuts. */
export function splitPlans(length: number, { pairs }: { pairs: boolean }): number[][] {
  const plans: number[][] = [[]];
  for (let i = 1; i < length; i++) plans.push([i]);
  if (pairs) for (let i = 1; i < length; i++) for (let j = i + 1; j < length; j++) plans.push([i, j]);
  plans.push(Array.from({ length: Math.max(0, length - 1) }, (_, i) => i + 1));
  return plans;
}

/** What a frame written by the connection should be; fields left out are not checked. */
export interface SentFrame {
  opcode: number;
  /** Compared byte for byte (a string as its UTF-8 bytes). */
  payload?: Uint8Array | string;
  fin?: boolean;
  rsv?: number;
}

/**
 * The connection wrote exactly these frames, in order, since the last call (python-websockets' `assertFrameSent`),
 * each masked when (and only when) the connection is a client (RFC 6455 §5.1).
 */
export function expectFramesSent(endpoint: Endpoint, expected: readonly SentFrame[]): void {
  const frames = decodeFrames(concat(endpoint.writes.splice(0).map((w) => w.bytes)));
  expect(frames.map((f) => f.opcode)).toEqual(expected.map((f) => f.opcode));
  frames.forEach((frame, i) => {
    const want = expected[i];
    expect(frame.masked).toBe(endpoint.role === 'client');
    if (want.payload !== undefined) expect(frame.payload).toEqual(bytesOf(want.payload));
    if (want.fin !== undefined) expect(frame.fin).toBe(want.fin);
    if (want.rsv !== undefined) expect(frame.rsv).toBe(want.rsv);
  });
}

/** The connection reported exactly these events since the last call (python-websockets' `assertFrameReceived`). */
export function expectEvents(endpoint: Endpoint, expected: readonly Event[]): void {
  expect(endpoint.events.splice(0)).toEqual(expected);
}

// ─── opening handshake ─────────────────────────────────────────────────────────────────────────────────────────────

/** RFC 6455 §1.3: the sample nonce and its accept value. */
export const SAMPLE_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
export const SAMPLE_ACCEPT = 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=';

/** Minimal HTTP head parser for the tests: status/request line and lower-cased headers. */
export function parseHead(text: string): { startLine: string; headers: Record<string, string[]>; body: string } {
  const end = text.indexOf('\r\n\r\n');
  expect(end).toBeGreaterThan(0);
  const [startLine, ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    expect(colon).toBeGreaterThan(0);
    const name = line.slice(0, colon).toLowerCase();
    (headers[name] ??= []).push(line.slice(colon + 1).trim());
  }
  return { startLine, headers, body: text.slice(end + 4) };
}
