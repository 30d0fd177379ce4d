/**
 * RFC 6455 §5.2 / §11.8: the opcodes defined by the protocol. 0x3–0x7 and 0xB–0xF are reserved; a peer that sends
 * one is failed with 1002.
 */
export const Opcode = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
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
