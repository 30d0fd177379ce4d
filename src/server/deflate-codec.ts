import { Buffer } from 'node:buffer';
import { constants, createDeflateRaw, createInflateRaw, type DeflateRaw, type InflateRaw } from 'node:zlib';
import type { DeflateParams } from '../protocol/deflate-negotiation.js';
import { WebSocketArgumentError, WebSocketStateError } from '../protocol/errors.js';
import { CodecError, type PerMessageCodec } from '../protocol/extension.js';
import { DEFAULT_DEFLATE_OPTIONS } from './compression-options.js';

/*
 * Why this file talks to zlib's native handle
 * -------------------------------------------
 * The engine calls the codec synchronously, but a context-keeping zlib stream (`createDeflateRaw()`) only has an
 * asynchronous public API, and the synchronous one-shot functions (`deflateRawSync`) start from an empty window every
 * time. The legacy `stream._processChunk(chunk, flag)` without a callback is synchronous, but Node closes the handle
 * when it returns (processChunkSync ends with `_close(self)`, checked on Node 20), so it serves one call only.
 *
 * So we do what processChunkSync does, minus the close: call `stream._handle.writeSync(flush, in, inOff, inLen, out,
 * outOff, outLen)`, which runs zlib on the calling thread and leaves `[availOutAfter, availInAfter]` in
 * `stream._writeState`. On a zlib error the handle calls back into the stream synchronously, which destroys it
 * (`stream.destroyed` turns true, `stream.errored` holds zlib's message); the 'error' event follows on the next tick
 * and is swallowed by a listener so that it never becomes an uncaught exception. Whether these internals exist is
 * checked once, at the first codec creation (`isSyncZlibAvailable`).
 */

interface NativeZlibHandle {
  writeSync(
    flush: number,
    input: Uint8Array,
    inOff: number,
    inLen: number,
    output: Uint8Array,
    outOff: number,
    outLen: number,
  ): void;
  reset(): void;
}

interface ZlibStreamInternals {
  _handle?: NativeZlibHandle | null;
  _writeState?: Uint32Array;
}

type ZlibStream = DeflateRaw | InflateRaw;

const Z_SYNC_FLUSH = constants.Z_SYNC_FLUSH;

/** RFC 7692 §7.2.2: the receiver appends these 4 octets, which the sender removed (§7.2.1), before inflating. */
const TRAILER = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

const EMPTY = new Uint8Array(0);

/**
 * Output of every codec goes here first (calls are synchronous, so one buffer serves all connections) and is then
 * copied out at its exact size: a connection holds no output buffer between messages.
 */
const SCRATCH_SIZE = 64 * 1024;
let scratch: Buffer | null = null;

/** Small final pieces are copied here with the trailer after them, so zlib runs once instead of twice. */
const TAIL_ROOM = 1024;
const tail = Buffer.allocUnsafe(TAIL_ROOM + TRAILER.length);

/** Largest output buffer we may allocate. */
const MAX_OUTPUT = 2 ** 31 - 1;

/** Node's zlib streams allocate a `chunkSize` output buffer each; we never use it, so ask for the minimum. */
const UNUSED_CHUNK_SIZE = constants.Z_MIN_CHUNK;

function ignoreError(): void {
  // Errors are detected synchronously through `stream.destroyed`; see the comment at the top of the file.
}

function getScratch(): Buffer {
  if (scratch === null) scratch = Buffer.allocUnsafeSlow(SCRATCH_SIZE);
  return scratch;
}

function handleOf(stream: ZlibStream): NativeZlibHandle {
  const handle = (stream as unknown as ZlibStreamInternals)._handle;
  if (handle === null || handle === undefined) throw new Error('zlib handle is closed');
  return handle;
}

function writeStateOf(stream: ZlibStream): Uint32Array {
  return (stream as unknown as ZlibStreamInternals)._writeState!;
}

/** A larger output buffer holding the first `used` bytes of `out`; never larger than `limit`. */
function grow(out: Buffer, used: number, limit: number): Buffer {
  let size = out.length * 2;
  if (size > limit) size = limit;
  const next = Buffer.allocUnsafe(size);
  out.copy(next, 0, 0, used);
  return next;
}

/** The first `length` bytes of `out` in a buffer the caller may keep. */
function takeBytes(out: Buffer, length: number): Uint8Array {
  if (length === 0) return EMPTY;
  // A private buffer that is (nearly) full is handed over as is; the shared scratch and mostly empty buffers are copied.
  if (out !== scratch && length >= out.length - (out.length >>> 3)) return out.subarray(0, length);
  const result = Buffer.allocUnsafe(length);
  out.copy(result, 0, 0, length);
  return result;
}

let syncZlibProblem: string | null | undefined;

/**
 * Whether this Node exposes the zlib internals the codec needs (see the top of this file). Checked once by running a
 * stored DEFLATE block through a raw inflater; the answer is cached.
 */
export function isSyncZlibAvailable(): boolean {
  return findSyncZlibProblem() === null;
}

function findSyncZlibProblem(): string | null {
  if (syncZlibProblem !== undefined) return syncZlibProblem;
  let problem: string | null = null;
  let probe: InflateRaw | null = null;
  try {
    probe = createInflateRaw({ chunkSize: UNUSED_CHUNK_SIZE });
    probe.on('error', ignoreError);
    const internals = probe as unknown as ZlibStreamInternals;
    const handle = internals._handle;
    const state = internals._writeState;
    if (
      handle === null ||
      handle === undefined ||
      typeof handle.writeSync !== 'function' ||
      typeof handle.reset !== 'function'
    ) {
      problem = 'zlib stream has no native handle with writeSync()';
    } else if (!(state instanceof Uint32Array) || state.length < 2) {
      problem = 'zlib stream has no _writeState';
    } else {
      // RFC 7692 §7.2.3.3: "Hello" in a stored block, then the appended empty stored block.
      const input = new Uint8Array([
        0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00, 0x00, 0x00, 0xff, 0xff,
      ]);
      const output = new Uint8Array(16);
      handle.writeSync(Z_SYNC_FLUSH, input, 0, input.length, output, 0, output.length);
      const produced = output.length - state[0];
      if (
        probe.destroyed ||
        state[1] !== 0 ||
        produced !== 5 ||
        Buffer.from(output.buffer, 0, 5).toString('latin1') !== 'Hello'
      ) {
        problem = 'zlib native handle writeSync() did not behave as expected';
      }
    }
  } catch (error) {
    problem = `zlib probe failed: ${(error as Error).message}`;
  } finally {
    probe?.close();
  }
  syncZlibProblem = problem;
  return problem;
}

function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new WebSocketArgumentError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/**
 * permessage-deflate (RFC 7692) over `node:zlib`, synchronous, with or without context takeover. Create it with
 * `createDeflateCodec`. The zlib streams are created on first use, so a connection that never sends (or never
 * receives) a compressed message never pays for that direction's compressor (about 256 KiB) or inflater.
 */
export class DeflateCodec implements PerMessageCodec {
  private deflater: DeflateRaw | null = null;
  private inflater: InflateRaw | null = null;
  private disposed = false;
  /** The inflater failed on corrupt data and was destroyed; the connection is closing. */
  private inflaterBroken = false;
  /** Compressed bytes were fed for the message being inflated. */
  private inflateFed = false;
  /** The peer's DEFLATE stream ended (a block with BFINAL set) inside the current message. */
  private inflateEnded = false;
  /** Output of the `decompress()` call in progress. */
  private out: Buffer | null = null;
  private outUsed = 0;

  /**
   * @param compressWindowBits our compressor's window, 9..15 (see `createDeflateCodec` about 8)
   * @param decompressWindowBits the peer's window, 8..15
   * @param compressNoContextTakeover reset our compressor after each message
   * @param decompressNoContextTakeover the peer resets its compressor after each message, so we reset our inflater
   */
  constructor(
    private readonly compressWindowBits: number,
    private readonly decompressWindowBits: number,
    private readonly compressNoContextTakeover: boolean,
    private readonly decompressNoContextTakeover: boolean,
    private readonly level: number,
    private readonly memLevel: number,
  ) {}

  // ─── compression ─────────────────────────────────────────────────────────────────────────────────────────────

  compress(data: Uint8Array): Uint8Array {
    const deflater = this.deflater ?? this.openDeflater();
    const handle = handleOf(deflater);
    const state = writeStateOf(deflater);
    const length = data.length;
    // Upper bound of deflate's output plus the flush marker; only a sizing hint (the loop grows the buffer if needed).
    const bound = length + (length >>> 3) + (length >>> 6) + 64;
    let out = bound <= SCRATCH_SIZE ? getScratch() : Buffer.allocUnsafe(Math.min(bound, MAX_OUTPUT));
    let used = 0;
    let inOff = 0;
    let inLen = length;
    for (;;) {
      const room = out.length - used;
      // RFC 7692 §7.2.1: compress "using the DEFLATE algorithm" and flush with an empty stored block (Z_SYNC_FLUSH)
      // so that the message ends on a byte boundary.
      handle.writeSync(Z_SYNC_FLUSH, data, inOff, inLen, out, used, room);
      // Not expected from deflate; the destroyed stream stays in place so later calls fail too instead of silently
      // restarting with an empty window the peer does not know about.
      if (deflater.destroyed) throw new Error(`zlib deflate failed: ${deflater.errored?.message ?? 'unknown error'}`);
      const availOut = state[0];
      const availIn = state[1];
      used += room - availOut;
      inOff += inLen - availIn;
      inLen = availIn;
      if (availOut !== 0) break;
      out = grow(out, used, MAX_OUTPUT);
    }
    // RFC 7692 §7.1.1.1/§7.1.1.2: without context takeover the next message starts from an empty window.
    if (this.compressNoContextTakeover) handle.reset();

    // zlib emits nothing for an empty message when no input arrived since the last flush. RFC 7692 §7.2.3.6: an
    // empty compressed payload is sent as a single 0x00 octet (the header of an empty stored block; the receiver's
    // appended 0x00 0x00 0xff 0xff completes it). It is also exactly what zlib produces for an empty first message.
    if (used === 0) return new Uint8Array(1);
    // RFC 7692 §7.2.1: "Remove 4 octets (that are 0x00 0x00 0xff 0xff) from the tail end."
    if (
      used < 4 ||
      out[used - 4] !== 0x00 ||
      out[used - 3] !== 0x00 ||
      out[used - 2] !== 0xff ||
      out[used - 1] !== 0xff
    ) {
      throw new Error('zlib sync flush did not end with 00 00 ff ff');
    }
    return takeBytes(out, used - 4);
  }

  // ─── decompression ───────────────────────────────────────────────────────────────────────────────────────────

  decompress(data: Uint8Array, end: boolean, maxOutput: number): Uint8Array {
    if (this.inflaterBroken) throw CodecError.corrupt();
    const limit = (maxOutput > 0 ? Math.min(maxOutput, MAX_OUTPUT - 1) : 0) + 1;
    this.out = getScratch();
    this.outUsed = 0;
    let tailFed = false;
    if (data.length > 0 && !this.inflateEnded) {
      this.inflateFed = true;
      if (end && data.length <= TAIL_ROOM) {
        tail.set(data, 0);
        tail.set(TRAILER, data.length);
        this.inflate(tail, data.length + TRAILER.length, limit, maxOutput);
        tailFed = true;
      } else {
        this.inflate(data, data.length, limit, maxOutput);
      }
    }
    if (end) {
      // RFC 7692 §7.2.2: "Append 4 octets of 0x00 0x00 0xff 0xff to the tail end of the payload of the message."
      // A message with no compressed byte at all is taken as empty: appending the tail to nothing would leave the
      // inflater inside an unfinished stored block and corrupt the next message (RFC 7692 §7.2.3.6 sends 0x00).
      if (!tailFed && this.inflateFed && !this.inflateEnded) this.inflate(TRAILER, TRAILER.length, limit, maxOutput);
      // RFC 7692 §7.2.3.4 allows ending a message with BFINAL set: zlib then ignores the rest and needs a reset,
      // which also drops the window (as ws does). Without context takeover the peer starts each message afresh.
      if (this.inflater !== null && (this.inflateEnded || (this.decompressNoContextTakeover && this.inflateFed))) {
        handleOf(this.inflater).reset();
      }
      this.inflateEnded = false;
      this.inflateFed = false;
    }
    const out = this.out;
    this.out = null;
    return takeBytes(out, this.outUsed);
  }

  /** Runs `input[0, inLen)` through the inflater, appending to `this.out`; stops at `limit` output bytes. */
  private inflate(input: Uint8Array, inLen: number, limit: number, maxOutput: number): void {
    const inflater = this.inflater ?? this.openInflater();
    const handle = handleOf(inflater);
    const state = writeStateOf(inflater);
    let out = this.out!;
    let used = this.outUsed;
    let inOff = 0;
    for (;;) {
      let room = out.length - used;
      if (room === 0) {
        out = grow(out, used, limit);
        room = out.length - used;
      }
      // Never produce more than one byte past the limit: a zip bomb costs at most `maxOutput` bytes of memory.
      if (room > limit - used) room = limit - used;
      handle.writeSync(Z_SYNC_FLUSH, input, inOff, inLen, out, used, room);
      if (inflater.destroyed) {
        this.inflater = null;
        this.inflaterBroken = true;
        this.out = null;
        const reason = inflater.errored?.message;
        throw CodecError.corrupt(reason === undefined ? undefined : `invalid compressed data: ${reason}`);
      }
      const availOut = state[0];
      const availIn = state[1];
      used += room - availOut;
      inOff += inLen - availIn;
      inLen = availIn;
      if (used >= limit) {
        this.out = null;
        throw CodecError.tooBig(maxOutput);
      }
      if (availOut !== 0) {
        // Output space left and input left: zlib reached the end of the DEFLATE stream (BFINAL). What follows in
        // this message is ignored (RFC 7692 §7.2.3.4 puts a 0x00 octet there).
        if (availIn !== 0) this.inflateEnded = true;
        break;
      }
    }
    this.out = out;
    this.outUsed = used;
  }

  // ─── lifecycle ───────────────────────────────────────────────────────────────────────────────────────────────

  private openDeflater(): DeflateRaw {
    if (this.disposed) throw new WebSocketStateError('deflate codec used after dispose()');
    const deflater = createDeflateRaw({
      windowBits: this.compressWindowBits,
      level: this.level,
      memLevel: this.memLevel,
      chunkSize: UNUSED_CHUNK_SIZE,
    });
    deflater.on('error', ignoreError);
    this.deflater = deflater;
    return deflater;
  }

  private openInflater(): InflateRaw {
    if (this.disposed) throw new WebSocketStateError('deflate codec used after dispose()');
    const inflater = createInflateRaw({ windowBits: this.decompressWindowBits, chunkSize: UNUSED_CHUNK_SIZE });
    inflater.on('error', ignoreError);
    this.inflater = inflater;
    return inflater;
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.deflater?.close();
    this.deflater = null;
    this.inflater?.close();
    this.inflater = null;
    this.out = null;
  }
}

export interface DeflateCodecOptions {
  /** zlib compression level 0..9 (or -1 for zlib's default). Default `DEFAULT_DEFLATE_OPTIONS.level`. */
  level?: number;
  /** zlib memLevel 1..9. Default `DEFAULT_DEFLATE_OPTIONS.memLevel`. */
  memLevel?: number;
}

/**
 * Checks `level` and `memLevel` up front (`createServer`, `connect`), so a bad value throws
 * `WebSocketArgumentError` where it was written rather than at the first handshake that negotiates compression.
 */
export function checkDeflateCodecOptions(options: DeflateCodecOptions): void {
  if (options.level !== undefined) checkInteger('level', options.level, -1, 9);
  if (options.memLevel !== undefined) checkInteger('memLevel', options.memLevel, 1, 9);
}

/**
 * The permessage-deflate codec for one connection, for the parameters agreed at the handshake. The server compresses
 * within the server_* parameters and inflates what the client_* parameters allow; the client the other way round.
 *
 * Window bits 8: zlib cannot compress raw DEFLATE with a 256-byte window (deflateInit2 refuses it; Node's
 * `createDeflateRaw` silently turns 8 into 9), so our compressor runs with a 512-byte window. That still honours a
 * negotiated `*_max_window_bits=8`: zlib never emits a match farther back than `w_size - MIN_LOOKAHEAD` (512 - 262 =
 * 250 bytes, zlib's deflate.h MAX_DIST), within the peer's 256-byte window. The inflater uses the peer's window as
 * negotiated, 8 included.
 *
 * Throws `WebSocketArgumentError` for a bad level or memLevel, and `Error` when this Node lacks the zlib internals
 * the synchronous codec relies on (see `isSyncZlibAvailable`).
 */
export function createDeflateCodec(
  params: DeflateParams,
  role: 'server' | 'client',
  options?: DeflateCodecOptions,
): DeflateCodec {
  const problem = findSyncZlibProblem();
  if (problem !== null) {
    throw new Error(
      `permessage-deflate needs synchronous zlib, which this Node (${process.version}) lacks: ${problem}`,
    );
  }
  const level = checkInteger('level', options?.level ?? DEFAULT_DEFLATE_OPTIONS.level, -1, 9);
  const memLevel = checkInteger('memLevel', options?.memLevel ?? DEFAULT_DEFLATE_OPTIONS.memLevel, 1, 9);
  const server = role === 'server';
  const serverBits = checkInteger('serverMaxWindowBits', params.serverMaxWindowBits, 8, 15);
  const clientBits = checkInteger('clientMaxWindowBits', params.clientMaxWindowBits, 8, 15);
  const ownBits = server ? serverBits : clientBits;
  const peerBits = server ? clientBits : serverBits;
  return new DeflateCodec(
    ownBits === 8 ? 9 : ownBits,
    peerBits,
    server ? params.serverNoContextTakeover : params.clientNoContextTakeover,
    server ? params.clientNoContextTakeover : params.serverNoContextTakeover,
    level,
    memLevel,
  );
}
