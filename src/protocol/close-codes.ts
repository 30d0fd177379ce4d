/** RFC 6455 §7.4.1 and the IANA "WebSocket Close Code Number Registry". */
export const CloseCode = {
  /** 1000: the purpose of the connection was fulfilled. */
  Normal: 1000,
  /** 1001: the endpoint is going away (server shutdown, page navigation). */
  GoingAway: 1001,
  /** 1002: the peer broke the protocol. */
  ProtocolError: 1002,
  /** 1003: a message of a type the endpoint cannot accept (e.g. binary where only text is). */
  UnsupportedData: 1003,
  /** Reserved: MUST NOT be sent (RFC 6455 §7.4.1). Reported locally when the close frame had no code. */
  NoStatus: 1005,
  /** Reserved: MUST NOT be sent. Reported locally when the connection dropped without a close frame. */
  Abnormal: 1006,
  /** 1007: message data inconsistent with its type (text that is not UTF-8). */
  InvalidPayload: 1007,
  /** 1008: a message that violates the endpoint's policy (generic refusal). */
  PolicyViolation: 1008,
  /** 1009: a message too big to process. */
  MessageTooBig: 1009,
  /** 1010 (client): the server did not negotiate an extension the client requires. */
  MandatoryExtension: 1010,
  /** 1011 (server): an unexpected condition prevented the server from fulfilling the request. */
  InternalError: 1011,
  /** 1012: the service is restarting. */
  ServiceRestart: 1012,
  /** 1013: temporary condition (overload); try again later. */
  TryAgainLater: 1013,
  /** 1014: a gateway or proxy got an invalid response upstream. */
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
