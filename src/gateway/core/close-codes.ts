/**
 * Every close code the gateway uses, in one place. Codes 1000–1015 are RFC 6455 §7.4.1 codes; 4000–4999 are
 * reserved by the RFC for applications, and these are wsgate's.
 *
 * | code | when | close frame sent? |
 * |------|------|-------------------|
 * | 1000 | `closeSocket(id)` without a code | yes |
 * | 1001 | the gateway shuts down (`gateway.close()`) | yes |
 * | 1003 | a binary message arrived and no binary handler is set (JSON mode) | yes |
 * | 1009 | a message over `maxMessageSize` (the server layer closes) | yes |
 * | 1011 | `authenticate` threw (or refused with a 5xx) and the refusal is answered in-band (`authFailure`) | yes |
 * | 4001 | in-band auth: no uid bound within `authTimeout` | yes |
 * | 4002 | heartbeat: no sign of life for `maxMissed` intervals | no — the TCP connection is destroyed; only the gateway's `close` event reports 4002 |
 * | 4029 | `rateLimit` exceeded with `action: 'close'` | yes |
 * | 4401 | `authenticate` refused with 401 (returned false/null) and the refusal is answered in-band | yes, right after the 101 |
 * | 4403 | `authenticate` refused with 403 (`deny()`) and the refusal is answered in-band | yes, right after the 101 |
 * | 4400–4499 | any other 4xx refusal from `authenticate`, answered in-band: 4000 + the HTTP status | yes, right after the 101 |
 *
 * In-band refusals (4401, 4403, 1011 above) carry the refusal body's error code as their reason (`unauthorized`,
 * `forbidden`, `auth_error` or your `deny()` code); see `authFailure` in the gateway options.
 */
export const GatewayCloseCode = {
  /** `closeSocket` default. */
  Normal: 1000,
  /** Gateway shutdown. */
  GoingAway: 1001,
  /** Binary message with no binary handler (JSON mode). */
  UnsupportedData: 1003,
  /** Message larger than `maxMessageSize`. */
  MessageTooBig: 1009,
  /** In-band auth refusal: `authenticate` threw or refused with a 5xx. */
  InternalError: 1011,
  /** No uid bound within `authTimeout` ms of connecting. */
  AuthTimeout: 4001,
  /**
   * No inbound traffic (messages, pings, pongs) for `heartbeat.maxMissed` sweeps: the socket is terminated without
   * a close frame (a dead peer would not read one). The peer, if it still exists, sees 1006; the gateway's `close`
   * event reports this code so applications can tell a heartbeat timeout from other drops.
   */
  HeartbeatTimeout: 4002,
  /** More than `rateLimit.messages` messages in one `rateLimit.interval` with `action: 'close'` (like HTTP 429). */
  RateLimited: 4029,
  /** In-band auth refusal: `authenticate` refused with 401 (false/null). A browser client stops reconnecting. */
  Unauthorized: 4401,
  /** In-band auth refusal: `authenticate` refused with 403 (`deny()`). A browser client stops reconnecting. */
  Forbidden: 4403,
} as const;

export type GatewayCloseCode = (typeof GatewayCloseCode)[keyof typeof GatewayCloseCode];

/** Close reasons sent with the codes above (all ≤ 123 bytes, RFC 6455 §5.5). */
export const GatewayCloseReason = {
  /** With {@link GatewayCloseCode.GoingAway}. */
  GoingAway: 'gateway shutting down',
  /** With {@link GatewayCloseCode.UnsupportedData}. */
  UnsupportedData: 'binary messages are not accepted',
  /** With {@link GatewayCloseCode.AuthTimeout}. */
  AuthTimeout: 'authentication timeout',
  /** With {@link GatewayCloseCode.HeartbeatTimeout}. */
  HeartbeatTimeout: 'heartbeat timeout',
  /** With {@link GatewayCloseCode.RateLimited}. */
  RateLimited: 'rate limit exceeded',
  /**
   * With {@link GatewayCloseCode.Unauthorized}. The default reasons of in-band auth refusals: the refusal's error
   * code replaces them when it has one.
   */
  Unauthorized: 'unauthorized',
  /** With {@link GatewayCloseCode.Forbidden}. */
  Forbidden: 'forbidden',
  /** With {@link GatewayCloseCode.InternalError} when `authenticate` threw. */
  AuthError: 'auth_error',
} as const;

/** The reason sent (or reported) with one of the gateway's own close codes; '' for the others. */
export function gatewayCloseReason(code: number): string {
  switch (code) {
    case GatewayCloseCode.GoingAway:
      return GatewayCloseReason.GoingAway;
    case GatewayCloseCode.UnsupportedData:
      return GatewayCloseReason.UnsupportedData;
    case GatewayCloseCode.AuthTimeout:
      return GatewayCloseReason.AuthTimeout;
    case GatewayCloseCode.HeartbeatTimeout:
      return GatewayCloseReason.HeartbeatTimeout;
    case GatewayCloseCode.RateLimited:
      return GatewayCloseReason.RateLimited;
    default:
      return '';
  }
}
