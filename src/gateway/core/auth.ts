import type { IncomingMessage } from 'node:http';
import { reject, UpgradeRejection, type AuthorizeResult } from '../../server/upgrade.js';
import { ErrorCode, errorBody } from './errors.js';
import { GatewaySocket } from './gateway-socket.js';
import type { AuthenticateResult } from './options.js';
import { createSession } from './session.js';
import type { Counters } from './stats.js';
import type { SocketId } from './types.js';
import { toName, toSession } from './validate.js';

/**
 * Refuses an upgrade from `authenticate` with `status` and the JSON body `{"error":{"code","message"}}`, before
 * any 101. Default: 403 `forbidden`.
 */
export function deny(status = 403, code: string = ErrorCode.Forbidden, message = 'forbidden'): UpgradeRejection {
  return reject(status, errorBody(code, message));
}

type Authenticate = (req: IncomingMessage) => AuthenticateResult | Promise<AuthenticateResult>;

/**
 * Builds the server's `authorize` hook: runs `authenticate` (if any), turns refusals into JSON HTTP errors and
 * acceptances into the socket's `GatewaySocket` (its `ws.data`), with the uid and session it gave.
 */
export function createAuthorize(
  authenticate: Authenticate | undefined,
  nextId: () => SocketId,
  counters: Counters,
  onError: (error: unknown) => void,
  now: () => number = Date.now,
): (req: IncomingMessage) => Promise<AuthorizeResult<GatewaySocket>> {
  return async (req) => {
    let decision: AuthenticateResult = true;
    if (authenticate !== undefined) {
      try {
        decision = await authenticate(req);
      } catch (error) {
        onError(error);
        counters.authRejected++;
        return deny(500, ErrorCode.AuthError, 'authentication failed');
      }
    }
    if (decision instanceof UpgradeRejection) {
      counters.authRejected++;
      return decision;
    }
    if (decision === false || decision === null) {
      counters.authRejected++;
      return deny(401, ErrorCode.Unauthorized, 'authentication required');
    }
    let uid: string | null = null;
    let session = createSession();
    if (typeof decision === 'object') {
      try {
        if (decision.uid !== undefined && decision.uid !== null) uid = toName('uid', decision.uid);
        if (decision.session !== undefined) session = toSession(decision.session);
      } catch (error) {
        onError(error);
        counters.authRejected++;
        return deny(500, ErrorCode.AuthError, 'authentication failed');
      }
    }
    return { data: new GatewaySocket(nextId(), req, uid, session, now()) };
  };
}
