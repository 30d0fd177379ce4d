import { prepareFrame } from '../protocol/index.js';

/**
 * A message framed once and written as-is to many sockets (`ws.sendPrepared`, the gateway's broadcasts): the
 * header is built and the text encoded a single time, whatever the number of recipients.
 *
 * Prepared messages are sent uncompressed, which RFC 7692 allows on any connection (RSV1 clear): a frame
 * compressed once cannot be shared by connections whose deflate contexts differ.
 */
export class PreparedMessage {
  /** The whole unmasked frame, header included, as written to each socket. */
  readonly frame: Buffer;
  /** Sent as a binary frame (else text). */
  readonly isBinary: boolean;

  constructor(data: string | Uint8Array, isBinary = typeof data !== 'string') {
    const frame = prepareFrame(typeof data === 'string' ? Buffer.from(data) : data, isBinary);
    this.frame = Buffer.from(frame.buffer, frame.byteOffset, frame.byteLength);
    this.isBinary = isBinary;
  }
}

/** Frames `data` once for sending to many server sockets with `ws.sendPrepared`. */
export function prepareMessage(data: string | Uint8Array, options?: { binary?: boolean }): PreparedMessage {
  return new PreparedMessage(data, options?.binary ?? typeof data !== 'string');
}
