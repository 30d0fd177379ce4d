import type { IncomingMessage } from 'node:http';
import { UpgradeRejection, type AuthorizeResult } from '../../server/upgrade.js';
import { GatewayCloseCode, GatewayCloseReason } from './close-codes.js';
import { GatewaySocket } from './gateway-socket.js';
import { createSession } from './session.js';

/*
 * Why a refused upgrade is sometimes accepted: a browser's WebSocket API hides the HTTP status of a failed upgrade
 * (the page sees only close code 1006, exactly as for a server that is down), so a browser client can't tell "you
 * are not allowed" from "try again later" and retries for ever. Accepting the upgrade and closing at once with
 * 4401/4403 gives the page a code it can read and act on. Only `authenticate` refusals are answered this way:
 * origin refusals stay HTTP 403, so a foreign page never gets a socket at all.
 */

/**
 * How refusals from `authenticate` are answered:
 * - `'auto'` (default): in-band (accept, then close 4401/4403/...) when the request carries `Origin` (a browser),
 *   HTTP 401/403/... otherwise;
 * - `'close'`: always in-band;
 * - `'http'`: always the HTTP status (the only answer before this option existed).
 */
export type AuthFailureMode = 'auto' | 'close' | 'http';

/** Longest close reason the RFC allows (RFC 6455 §5.5: control frame payload ≤ 125 bytes, 2 of them the code). */
const MAX_REASON_BYTES = 123;
/** Rejection bodies longer than this are not parsed for a reason (the app's body, but no reason to parse a lot). */
const MAX_BODY_TO_PARSE = 4096;

/**
 * The socket data of an upgrade refused in-band: it never reaches the node (no id, no presence, no `connect` or
 * `close` event, no message handled); the gateway closes it as soon as it opens.
 */
export class RefusedSocket extends GatewaySocket {
  constructor(
    /** The close code sent: 4000 + the HTTP status for 4xx (4401, 4403, ...), 1011 for 5xx. */
    readonly refusalCode: number,
    /** The close reason sent: the refusal body's error code (`unauthorized`, `forbidden`, your `deny` code). */
    readonly refusalReason: string,
  ) {
    super('', null, null, createSession(), 0);
  }
}

/** The close code and reason an HTTP refusal becomes when answered in-band. */
export function refusalClose(rejection: UpgradeRejection): { code: number; reason: string } {
  const status = rejection.status;
  const fallback =
    status === 401
      ? GatewayCloseReason.Unauthorized
      : status === 403
        ? GatewayCloseReason.Forbidden
        : status >= 500
          ? GatewayCloseReason.AuthError
          : 'refused';
  const reason = bodyErrorCode(rejection.body) ?? fallback;
  // 4xx keeps its status in the code so a page can tell 401 from 403 (or your 429); a 5xx is a server fault, which
  // is what 1011 says (and clients retry it).
  const code =
    status >= 400 && status <= 499 ? GatewayCloseCode.Unauthorized - 401 + status : GatewayCloseCode.InternalError;
  return { code, reason };
}

/** Checks the `authFailure` option; throws a TypeError naming it for anything but the three modes. */
export function checkAuthFailure(mode: AuthFailureMode): AuthFailureMode {
  if (mode !== 'auto' && mode !== 'close' && mode !== 'http')
    throw new TypeError(`authFailure must be 'auto', 'close' or 'http', got ${JSON.stringify(mode)}`);
  return mode;
}

/** True when a refusal to this request should be answered in-band under `mode`. */
export function answersInBand(mode: AuthFailureMode, req: IncomingMessage): boolean {
  if (mode === 'close') return true;
  if (mode === 'http') return false;
  return req.headers.origin !== undefined;
}

/**
 * The subprotocol a refused upgrade is accepted with, when the client offered it (the browser client does). Browsers
 * fire `open` for any 101, before the close frame that follows is read; this is how a client knows, at `open`, that
 * the connection is a refusal and not the start of a session (so it neither reports it open nor flushes its queue).
 */
export const REFUSED_PROTOCOL = 'wsgate.refused';
/**
 * The subprotocol every other upgrade is accepted with, when offered: the browser client offers both, and strict
 * clients (Node's `ws`) fail a handshake that picked none of the subprotocols they offered.
 */
export const GATEWAY_PROTOCOL = 'wsgate';

/**
 * The gateway's in-band refusals: wraps its `authorize` hook so that refusals become `RefusedSocket`s where `mode`
 * says so, and picks the subprotocol of each upgrade: `REFUSED_PROTOCOL` for those, `GATEWAY_PROTOCOL` for the
 * others (each only when offered; none otherwise).
 */
export class InBandRefusals {
  /** Upgrade requests refused in-band, until their subprotocol is chosen (weak: nothing to clean up). */
  private readonly refused = new WeakSet<IncomingMessage>();

  constructor(private readonly mode: AuthFailureMode) {}

  wrap(
    authorize: (req: IncomingMessage) => Promise<AuthorizeResult<GatewaySocket>>,
  ): (req: IncomingMessage) => Promise<AuthorizeResult<GatewaySocket>> {
    if (this.mode === 'http') return authorize;
    return async (req) => {
      const decision = await authorize(req);
      if (!(decision instanceof UpgradeRejection) || !answersInBand(this.mode, req)) return decision;
      const { code, reason } = refusalClose(decision);
      this.refused.add(req);
      return { data: new RefusedSocket(code, reason) };
    };
  }

  /** The server's `protocols` hook. */
  readonly protocol = (offered: readonly string[], req: IncomingMessage): string | undefined => {
    if (this.refused.has(req) && offered.includes(REFUSED_PROTOCOL)) return REFUSED_PROTOCOL;
    return offered.includes(GATEWAY_PROTOCOL) ? GATEWAY_PROTOCOL : undefined;
  };
}

/** The refusal's `{"error":{"code"}}` when it has one that fits in a close reason. */
function bodyErrorCode(body: string): string | null {
  if (body.length === 0 || body.length > MAX_BODY_TO_PARSE) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return null;
  }
  const code = (parsed as { error?: { code?: unknown } } | null)?.error?.code;
  if (typeof code !== 'string' || code.length === 0 || Buffer.byteLength(code) > MAX_REASON_BYTES) return null;
  return code;
}
