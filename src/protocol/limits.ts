/**
 * Default limits of the engine, in one place. Each can be changed per connection through `ConnectionOptions`.
 *
 * They exist so that a peer cannot make us hold unbounded memory: a frame header can announce up to 2^63 bytes, a
 * message can have any number of fragments, and a compressed message can inflate a thousandfold.
 */
export const DEFAULT_LIMITS = {
  /** Largest message (after decompression) delivered to the application: 16 MiB. Larger → close 1009. */
  maxMessageSize: 16 * 1024 * 1024,
  /** Largest single frame payload: 16 MiB. Larger → close 1009. */
  maxFrameSize: 16 * 1024 * 1024,
  /** Most frames one message may be split into: 131,072 (a 4 MiB message in 64-byte fragments fits: Autobahn 9.3.1). More → 1009. */
  maxFragments: 131_072,
  /**
   * Bytes of unfinished messages (received or inflated, not yet delivered) all the connections sharing one
   * `MessageBudget` may hold together: 128 MiB, eight messages at the 16 MiB size limit. More → close 1013.
   */
  messageBudget: 128 * 1024 * 1024,
  /**
   * Smallest buffer a message arriving in several pieces is gathered into: 16 KiB. It grows fourfold up to 256 KiB,
   * then twofold, never past the message size limit: a message holds at most max(2 × its bytes, 256 KiB), and never
   * more than maxMessageSize.
   */
  minMessageBuffer: 16 * 1024,
} as const;

/** RFC 6455 §5.2: the most significant bit of a 64-bit length MUST be 0; we also refuse what a JS number can't hold. */
export const MAX_SAFE_FRAME_LENGTH = Number.MAX_SAFE_INTEGER; // 2^53 − 1

/** RFC 6455 §5.5: all control frames MUST have a payload length of 125 bytes or less. */
export const MAX_CONTROL_PAYLOAD = 125;
