/**
 * RFC 6455 §5.2 / §11.8: the opcodes defined by the protocol. 0x3–0x7 and 0xB–0xF are reserved; a peer that sends
 * one is failed with 1002.
 */
export const Opcode = {
  /** A continuation frame of a fragmented message. */
  Continuation: 0x0,
  /** A text message (UTF-8). */
  Text: 0x1,
  /** A binary message. */
  Binary: 0x2,
  /** A close frame. */
  Close: 0x8,
  /** A ping. */
  Ping: 0x9,
  /** A pong. */
  Pong: 0xa,
} as const;

export type Opcode = (typeof Opcode)[keyof typeof Opcode];

/** RFC 6455 §5.5: control frames are identified by opcodes where the most significant bit of the opcode is 1. */
export function isControlOpcode(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

export function isKnownOpcode(opcode: number): boolean {
  return opcode <= 0x2 || (opcode >= 0x8 && opcode <= 0xa);
}
