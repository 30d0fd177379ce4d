/**
 * Error codes of the wire protocol (`{"type":"error","id","error":{"code","message"}}`) and of the gateway's HTTP
 * error bodies (`{"error":{"code","message"}}`). Route handlers may use their own codes with `GatewayError`.
 */
export const ErrorCode = {
  /** The text message is not valid JSON. */
  BadJson: 'bad_json',
  /** Valid JSON, but not `{"type": non-empty string, "data"?: any, "id"?: string | number}`. */
  BadEnvelope: 'bad_envelope',
  /** No route for this `type` (and no `'*'` route). */
  UnknownType: 'unknown_type',
  /** A route handler threw something other than a `GatewayError`; the details are hidden from the client. */
  HandlerError: 'handler_error',
  /** Over `rateLimit`: the message was dropped unread. */
  RateLimited: 'rate_limited',
  /** A gateway method got an unusable uid, group, session or socket id. */
  InvalidArgument: 'invalid_argument',
  /** `joinGroup` on a socket already in `maxGroupsPerSocket` groups (HTTP 409 from the push API). */
  TooManyGroups: 'too_many_groups',
  /** HTTP 401 before the upgrade: `authenticate` returned false/null. */
  Unauthorized: 'unauthorized',
  /** HTTP 403 before the upgrade (`deny()` default). */
  Forbidden: 'forbidden',
  /** HTTP 500 before the upgrade: `authenticate` threw (details hidden; see the gateway's `error` event). */
  AuthError: 'auth_error',
  /** HTTP 404 for a plain request no `http` hook handled. */
  NotFound: 'not_found',
  /** HTTP 426 for a plain request to the WebSocket path. */
  UpgradeRequired: 'upgrade_required',
  /** HTTP 400: a JSON request body nested deeper than `maxJsonDepth` levels (arrays and objects). */
  JsonTooDeep: 'json_too_deep',
  /** `$recover`: the token is forged, expired, already used, or names another uid; or recovery is off. */
  RecoveryRefused: 'recovery_refused',
  /** `gateway.history` or `GET /api/history` while the gateway has no `history` option (HTTP 409). */
  HistoryOff: 'history_off',
  /** The store behind history or recovery (Redis, the cluster primary) could not be reached (HTTP 503). */
  Unavailable: 'unavailable',
  /** HTTP 500 when an `http` hook threw. */
  InternalError: 'internal_error',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * An error whose code and message are meant for the client. Throw it from a route handler to answer
 * `{"type":"error","id","error":{"code","message"}}`; any other thrown value becomes `handler_error` with a generic
 * message, so internal details never leak.
 */
export class GatewayError extends Error {
  /** `'GatewayError'` */
  override readonly name = 'GatewayError';
  constructor(
    /** Machine-readable, e.g. `not_found` or `invalid_argument`. */
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The JSON body of every error the gateway answers over HTTP. */
export function errorBody(
  code: string,
  message: string,
): {
  /** What went wrong. */
  error: {
    /** Machine-readable, one of `ErrorCode` or your own. */
    code: string;
    /** For people; never holds secrets or stack traces. */
    message: string;
  };
} {
  return { error: { code, message } };
}
