/**
 * SHA-1 (FIPS 180-4 §6.1, RFC 3174) for `Sec-WebSocket-Accept` (RFC 6455 §4.2.2), so the engine needs neither
 * `node:crypto` nor Web Crypto (whose `digest` is asynchronous, and the handshake functions are not).
 *
 * SHA-1 is broken for collision resistance; RFC 6455 uses it only to prove that the server read the key (§1.3), not
 * for security, so that does not matter here. The accept key hashes 60 bytes (two blocks), but the function is
 * correct for any input length: it is checked against the FIPS/RFC vectors and against `node:crypto`.
 */

/** FIPS 180-4 §5.3.1: the initial hash value H(0). */
const H0 = 0x67452301;
const H1 = 0xefcdab89 | 0;
const H2 = 0x98badcfe | 0;
const H3 = 0x10325476;
const H4 = 0xc3d2e1f0 | 0;

/** FIPS 180-4 §4.2.1: one constant per group of 20 rounds. */
const K0 = 0x5a827999;
const K1 = 0x6ed9eba1;
const K2 = 0x8f1bbcdc | 0;
const K3 = 0xca62c1d6 | 0;

/** The message schedule W(0..79), reused by every call (the function is synchronous, so nothing else can hold it). */
const schedule = new Int32Array(80);
/** The running hash value H(i), as signed 32-bit words. */
const state = new Int32Array(5);

/** SHA-1 of `message`: a new 20-byte digest. */
export function sha1(message: Uint8Array): Uint8Array {
  state[0] = H0;
  state[1] = H1;
  state[2] = H2;
  state[3] = H3;
  state[4] = H4;

  const length = message.length;
  const whole = length - (length % 64);
  for (let offset = 0; offset < whole; offset += 64) processBlock(message, offset);

  // FIPS 180-4 §5.1.1: append the bit "1", then k zero bits so that the length is 448 mod 512, then the message
  // length in bits as a 64-bit big-endian integer. The tail needs a second block when fewer than 9 bytes are left.
  const rest = length - whole;
  const tail = new Uint8Array(rest < 56 ? 64 : 128);
  tail.set(message.subarray(whole));
  tail[rest] = 0x80;
  // length * 8 can pass 2^32 (and 2^31, where `<<` would wrap), so split it with arithmetic that stays exact.
  const bitsHigh = Math.floor(length / 0x20000000);
  const bitsLow = (length * 8) >>> 0;
  const end = tail.length;
  writeUint32(tail, end - 8, bitsHigh);
  writeUint32(tail, end - 4, bitsLow);
  processBlock(tail, 0);
  if (end === 128) processBlock(tail, 64);

  const digest = new Uint8Array(20);
  for (let i = 0; i < 5; i++) writeUint32(digest, i * 4, state[i]);
  return digest;
}

/** FIPS 180-4 §6.1.2: one 512-bit block of `bytes` starting at `offset` folded into `state`. */
function processBlock(bytes: Uint8Array, offset: number): void {
  const w = schedule;
  // Step 1: W(t) is word t of the block (big-endian) for t < 16, then ROTL1(W(t-3) ^ W(t-8) ^ W(t-14) ^ W(t-16)).
  for (let t = 0; t < 16; t++) {
    const i = offset + t * 4;
    w[t] = (bytes[i] << 24) | (bytes[i + 1] << 16) | (bytes[i + 2] << 8) | bytes[i + 3];
  }
  for (let t = 16; t < 80; t++) {
    const x = w[t - 3] ^ w[t - 8] ^ w[t - 14] ^ w[t - 16];
    w[t] = (x << 1) | (x >>> 31);
  }

  let a = state[0];
  let b = state[1];
  let c = state[2];
  let d = state[3];
  let e = state[4];
  // Steps 3–4: 80 rounds in four groups of 20, each with its function f(t) and constant K(t) (FIPS 180-4 §4.1.1,
  // §4.2.1); T = ROTL5(a) + f(b, c, d) + e + K(t) + W(t), then the registers shift by one.
  let t = 0;
  for (; t < 20; t++) {
    const temp = (((a << 5) | (a >>> 27)) + ((b & c) | (~b & d)) + e + K0 + w[t]) | 0; // Ch
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  for (; t < 40; t++) {
    const temp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K1 + w[t]) | 0; // Parity
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  for (; t < 60; t++) {
    const temp = (((a << 5) | (a >>> 27)) + ((b & c) | (b & d) | (c & d)) + e + K2 + w[t]) | 0; // Maj
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  for (; t < 80; t++) {
    const temp = (((a << 5) | (a >>> 27)) + (b ^ c ^ d) + e + K3 + w[t]) | 0; // Parity
    e = d;
    d = c;
    c = (b << 30) | (b >>> 2);
    b = a;
    a = temp;
  }
  state[0] = (state[0] + a) | 0;
  state[1] = (state[1] + b) | 0;
  state[2] = (state[2] + c) | 0;
  state[3] = (state[3] + d) | 0;
  state[4] = (state[4] + e) | 0;
}

function writeUint32(bytes: Uint8Array, offset: number, value: number): void {
  bytes[offset] = value >>> 24;
  bytes[offset + 1] = (value >>> 16) & 0xff;
  bytes[offset + 2] = (value >>> 8) & 0xff;
  bytes[offset + 3] = value & 0xff;
}
