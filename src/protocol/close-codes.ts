/** RFC 6455 §7.4.1 and the IANA "WebSocket Close Code Number Registry". */
export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  UnsupportedData: 1003,
  /** Reserved: MUST NOT be sent (RFC 6455 §7.4.1). Reported locally when the close frame had no code. */
  NoStatus: 1005,
  /** Reserved: MUST NOT be sent. Reported locally when the connection dropped without a close frame. */
  Abnormal: 1006,
  InvalidPayload: 1007,
  PolicyViolation: 1008,
  MessageTooBig: 1009,
  MandatoryExtension: 1010,
  InternalError: 1011,
  ServiceRestart: 1012,
  TryAgainLater: 1013,
  BadGateway: 1014,
} as const;

export type CloseCode = number;

/**
 * RFC 6455 §7.4.1/§7.4.2: only these codes may appear in a close frame on the wire. 1004, 1005, 1006 and 1015 are
 * reserved for local reporting; 0–999 are unused; 1016–2999 are reserved for future RFCs; 3000–4999 are for
 * libraries, frameworks and applications.
 */
export function isValidWireCloseCode(code: number): boolean {
  if (code >= 3000 && code <= 4999) return true;
  if (code >= 1000 && code <= 1003) return true;
  return code >= 1007 && code <= 1014;
}

/** RFC 6455 §5.5: all control frames MUST have a payload length of 125 bytes or less; 2 of them carry the code. */
export const MAX_CLOSE_REASON_BYTES = 123;
