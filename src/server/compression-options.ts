import type { PerMessageDeflateOptions } from '../protocol/deflate-negotiation.js';

/**
 * permessage-deflate settings of a server or client endpoint: the RFC 7692 parameters it negotiates plus how the
 * zlib codec runs. Defaults are in `DEFAULT_DEFLATE_OPTIONS`.
 */
export interface PerMessageDeflateServerOptions extends PerMessageDeflateOptions {
  /** Messages smaller than this many bytes are sent uncompressed (RSV1 clear, allowed by RFC 7692 §6). */
  threshold?: number;
  /** zlib compression level, 0 (store) .. 9 (smallest output); lower is faster. */
  level?: number;
  /**
   * zlib memLevel, 1..9. A compressor holds about `2^(windowBits + 2) + 2^(memLevel + 9)` bytes (256 KiB at 15 and 8);
   * lower values save memory per connection at some cost in ratio.
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
