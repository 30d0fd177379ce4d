import { CloseCode } from './close-codes.js';

/**
 * A per-message compression codec (RFC 7692), negotiated at the handshake and handed to `Connection`. The engine
 * stays free of zlib: `src/server` supplies a codec over `node:zlib`, another runtime can supply its own.
 *
 * Calls are synchronous and in message order. One codec instance serves one connection.
 */
export interface PerMessageCodec {
  /**
   * Inflates the next piece of a compressed message. `end` marks the end of the message: the codec appends the
   * 0x00 0x00 0xff 0xff tail removed by the sender (RFC 7692 §7.2.2) and, without context takeover, resets.
   * Returns the bytes inflated so far (possibly empty). Throws `CodecError` when the data is corrupt (→ 1007) or
   * when the output would exceed `maxOutput` bytes (→ 1009, zip bombs).
   */
  decompress(data: Uint8Array, end: boolean, maxOutput: number): Uint8Array;
  /** Deflates a whole message and returns the payload without the trailing 0x00 0x00 0xff 0xff (RFC 7692 §7.2.1). */
  compress(data: Uint8Array): Uint8Array;
  /** Frees native resources; the codec is not used afterwards. */
  dispose(): void;
}

/** Thrown by a codec for bad peer data; the engine closes with `closeCode`. */
export class CodecError extends Error {
  /** `'CodecError'` */
  override readonly name = 'CodecError';
  constructor(
    /** The close code the connection closes with (1007 corrupt data, 1009 too big). */
    readonly closeCode: number,
    message: string,
  ) {
    super(message);
  }

  /** Corrupt compressed data from the peer: close 1007. */
  static corrupt(message = 'invalid compressed data'): CodecError {
    return new CodecError(CloseCode.InvalidPayload, message);
  }

  /** A message that inflates past the size limit: close 1009. */
  static tooBig(limit: number): CodecError {
    return new CodecError(CloseCode.MessageTooBig, `decompressed message exceeds ${limit} bytes`);
  }
}
