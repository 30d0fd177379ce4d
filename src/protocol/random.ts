/**
 * Randomness for the client side of RFC 6455: frame masking keys (§5.3) and the handshake nonce (§4.1).
 *
 * Everything comes from `globalThis.crypto.getRandomValues` (Web Crypto, present in Node ≥ 19 and every browser),
 * so this module imports nothing from Node. It is the project's one source of handshake nonces (`generateKey`).
 */
import { encodeBase64 } from './base64.js';

/** Bytes fetched per `getRandomValues` call: 2048 mask keys. Web Crypto allows at most 65,536 per call. */
const POOL_SIZE = 8192;

/**
 * Hands out 4-byte masking keys from a pool of cryptographically strong random bytes, refilled when used up, so the
 * cost of `getRandomValues` is paid once per 2048 frames.
 *
 * RFC 6455 §5.3: the masking key MUST be derived from a strong source of entropy, and MUST NOT be predictable from
 * earlier keys (so a script cannot choose the bytes that appear on the wire). A pool of CSPRNG output keeps both:
 * each key is fresh random bytes that no one outside this process has seen before the frame is sent.
 */
export class MaskKeySource {
  private readonly pool = new Uint8Array(POOL_SIZE);
  /** Next unused byte of `pool`; `POOL_SIZE` means "refill before use". */
  private offset = POOL_SIZE;

  /**
   * The next 4-byte key, as a view into the pool. The view is only valid until the next call to any method of this
   * source (a refill overwrites it), so copy the bytes into the frame header at once.
   */
  next(): Uint8Array {
    if (this.offset === POOL_SIZE) this.refill();
    const start = this.offset;
    this.offset = start + 4;
    return this.pool.subarray(start, start + 4);
  }

  /** Writes the next 4-byte key into `dst[dstOffset..dstOffset+4)` without creating a view. */
  writeTo(dst: Uint8Array, dstOffset: number): void {
    if (this.offset === POOL_SIZE) this.refill();
    const pool = this.pool;
    const i = this.offset;
    dst[dstOffset] = pool[i];
    dst[dstOffset + 1] = pool[i + 1];
    dst[dstOffset + 2] = pool[i + 2];
    dst[dstOffset + 3] = pool[i + 3];
    this.offset = i + 4;
  }

  private refill(): void {
    globalThis.crypto.getRandomValues(this.pool);
    this.offset = 0;
  }
}

const defaultSource = new MaskKeySource();

/** The next masking key from a process-wide pool. Same validity rule as `MaskKeySource.next()`. */
export function nextMaskKey(): Uint8Array {
  return defaultSource.next();
}

/** `n` fresh cryptographically strong random bytes in a new array (e.g. the 16-byte `Sec-WebSocket-Key` nonce). */
export function randomBytes(n: number): Uint8Array {
  const out = new Uint8Array(n);
  // Web Crypto refuses more than 65,536 bytes per call.
  for (let i = 0; i < n; i += 65536) globalThis.crypto.getRandomValues(out.subarray(i, Math.min(n, i + 65536)));
  return out;
}

/**
 * RFC 6455 §4.1 item 7: a `Sec-WebSocket-Key` nonce, "a randomly selected 16-byte value that has been
 * base64-encoded", fresh for each connection.
 */
export function generateKey(): string {
  return encodeBase64(randomBytes(16));
}
