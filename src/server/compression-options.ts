import type { PerMessageDeflateOptions } from '../protocol/deflate-negotiation.js';

/**
 * The `perMessageDeflate` option of `createServer` and `connect` (when not just `true`): the RFC 7692 parameters
 * the endpoint negotiates plus how its zlib compressor runs. `threshold`, `level` and `memLevel` are local: they
 * are never sent to the peer, and each side picks its own. Defaults are in `DEFAULT_DEFLATE_OPTIONS`.
 */
export interface PerMessageDeflateSettings extends PerMessageDeflateOptions {
  /**
   * Messages smaller than this many bytes are sent uncompressed (RSV1 clear, allowed by RFC 7692 §6).
   * @defaultValue 1024
   */
  threshold?: number;
  /**
   * zlib compression level of our compressor, 0 (store) .. 9 (smallest output), or -1 for zlib's default (6);
   * lower is faster. Only what we send is affected: the peer's compressor is its own.
   * @defaultValue 6
   */
  level?: number;
  /**
   * zlib memLevel of our compressor, 1..9. A compressor holds about `2^(windowBits + 2) + 2^(memLevel + 9)` bytes
   * (256 KiB at 15 and 8); lower values save memory per connection at some cost in ratio and speed.
   * @defaultValue 8
   */
  memLevel?: number;
}

/** The defaults of the codec-side settings, in one place. The negotiated parameters default to the RFC's. */
export const DEFAULT_DEFLATE_OPTIONS = {
  /** Compressing small messages costs more CPU than it saves bytes (ws uses the same cut-off). */
  threshold: 1024,
  /** zlib's own default (Z_DEFAULT_COMPRESSION). */
  level: 6,
  /** zlib's own default. */
  memLevel: 8,
} as const;
