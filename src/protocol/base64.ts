/**
 * Base64 (RFC 4648 §4, the standard alphabet with "=" padding) without `Buffer` or `btoa`, for the handshake: the
 * client's nonce (RFC 6455 §4.1 item 7) and the accept key (§4.2.2 step 5.4: the base64-encoded SHA-1 digest).
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** `bytes` as base64 text with padding. */
export function encodeBase64(bytes: Uint8Array): string {
  let out = '';
  const length = bytes.length;
  const whole = length - (length % 3);
  for (let i = 0; i < whole; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63] + ALPHABET[(n >>> 6) & 63] + ALPHABET[n & 63];
  }
  // RFC 4648 §4: a final group of 8 or 16 bits gives two or three characters and is padded with "=" to four.
  if (length - whole === 1) {
    const n = bytes[whole] << 16;
    out += ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63] + '==';
  } else if (length - whole === 2) {
    const n = (bytes[whole] << 16) | (bytes[whole + 1] << 8);
    out += ALPHABET[n >>> 18] + ALPHABET[(n >>> 12) & 63] + ALPHABET[(n >>> 6) & 63] + '=';
  }
  return out;
}
