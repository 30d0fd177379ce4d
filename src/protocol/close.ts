/**
 * The Close frame's payload (RFC 6455 §5.5.1): an optional 2-byte status code followed by a UTF-8 reason. Parsing
 * never throws on peer input (a bad payload is a value carrying the close code to fail with); encoding throws on
 * local misuse.
 */
import { CloseCode, isValidWireCloseCode, MAX_CLOSE_REASON_BYTES } from './close-codes.js';
import { WebSocketArgumentError } from './errors.js';
import { isValidUtf8 } from './utf8.js';

const EMPTY = new Uint8Array(0);
const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder();

/** A Close frame's payload as received: its code (1005 when it had none) and reason, or why it breaks the RFC. */
export type ParsedClose =
  | {
      /** Whether the payload is a valid close body. */
      ok: true;
      /** The close code (1005 when the body was empty). */
      code: number;
      /** The reason, decoded. */
      reason: string;
    }
  | {
      /** Whether the payload is a valid close body. */
      ok: false;
      /** The code to close with (1002 or 1007). */
      closeCode: typeof CloseCode.ProtocolError | typeof CloseCode.InvalidPayload;
      /** Why the payload breaks the RFC. */
      error: string;
    };

/** RFC 6455 §5.5.1 close body as received from the peer. */
export function parseClosePayload(payload: Uint8Array): ParsedClose {
  if (payload.length === 0) return { ok: true, code: CloseCode.NoStatus, reason: '' };
  // RFC 6455 §5.5.1: if there is a body, its first two bytes MUST be a status code.
  if (payload.length === 1)
    return { ok: false, closeCode: CloseCode.ProtocolError, error: 'close frame with a 1-byte payload' };
  const code = (payload[0] << 8) | payload[1];
  // RFC 6455 §7.4.1: 1005, 1006, 1015 and unassigned codes MUST NOT be sent.
  if (!isValidWireCloseCode(code))
    return { ok: false, closeCode: CloseCode.ProtocolError, error: `invalid close code ${code}` };
  // RFC 6455 §5.5.1: the close reason is UTF-8 encoded.
  if (!isValidUtf8(payload, 2, payload.length)) {
    return { ok: false, closeCode: CloseCode.InvalidPayload, error: 'close reason is not valid UTF-8' };
  }
  return { ok: true, code, reason: textDecoder.decode(payload.subarray(2)) };
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
  if (reasonBytes.length > MAX_CLOSE_REASON_BYTES)
    throw new WebSocketArgumentError('close reason must be 123 bytes or less');
  const payload = new Uint8Array(2 + reasonBytes.length);
  payload[0] = code >>> 8;
  payload[1] = code & 0xff;
  payload.set(reasonBytes, 2);
  return payload;
}

/**
 * RFC 6455 §5.5.1: the reply to a peer's Close, "typically echoing the status code it received" — without the
 * reason. A Close without a code (reported as 1005, which may not be sent) is answered with an empty body.
 */
export function echoClosePayload(code: number): Uint8Array {
  return code === CloseCode.NoStatus ? EMPTY : encodeClosePayload(code, '');
}

/**
 * The Close body we send when failing the connection (RFC 6455 §7.1.7): the reason cut to fit, except for 1011,
 * whose reason stays generic (internal details are for the local error handler only).
 */
export function failureClosePayload(code: number, reason: string): Uint8Array {
  return encodeClosePayload(code, code === CloseCode.InternalError ? 'internal error' : truncateReason(reason));
}

/** Keeps an error description within the 123-byte close reason limit, cutting on a code point boundary. */
export function truncateReason(reason: string): string {
  if (reason.length <= MAX_CLOSE_REASON_BYTES / 3) return reason;
  const bytes = textEncoder.encode(reason);
  if (bytes.length <= MAX_CLOSE_REASON_BYTES) return reason;
  let end = MAX_CLOSE_REASON_BYTES;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  return textDecoder.decode(bytes.subarray(0, end));
}
