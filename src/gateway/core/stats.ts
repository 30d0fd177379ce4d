/**
 * Error replies sent, by code: the wire protocol's own codes by name, every code of the application's
 * `GatewayError`s under `other` (a fixed set of fields, so the counters stay bounded whatever codes apps invent).
 */
export interface ErrorCounts {
  /** A frame that was not valid JSON. */
  bad_json: number;
  /** JSON that was not a `{"type": string, ...}` envelope. */
  bad_envelope: number;
  /** An envelope whose `type` has no handler. */
  unknown_type: number;
  /** A handler threw or rejected with something other than a `GatewayError`. */
  handler_error: number;
  /** Messages refused by the rate limit. */
  rate_limited: number;
  /** A built-in command got an argument it refuses (bad group name, wrong types). */
  invalid_argument: number;
  /** A join past `maxGroupsPerSocket`. */
  too_many_groups: number;
  /** Every other code: the application's own `GatewayError` codes, together. */
  other: number;
}

export function createErrorCounts(): ErrorCounts {
  return {
    bad_json: 0,
    bad_envelope: 0,
    unknown_type: 0,
    handler_error: 0,
    rate_limited: 0,
    invalid_argument: 0,
    too_many_groups: 0,
    other: 0,
  };
}

/** Counts one error reply: a plain increment, no allocation. */
export function countError(counts: ErrorCounts, code: string): void {
  if (Object.hasOwn(counts, code)) counts[code as keyof ErrorCounts]++;
  else counts.other++;
}

/** Running totals since the gateway started, kept by the node and the dispatcher (plain increments, no timers). */
export interface Counters {
  /** Connections accepted. */
  connections: number;
  /** Upgrades refused by `authenticate` (401/403/500 before the 101). */
  authRejected: number;
  /** Messages received (text and binary, before rate limiting). */
  messagesIn: number;
  /** Messages written to sockets: a broadcast to N sockets counts N. Replies and errors count too. */
  messagesOut: number;
  /** Messages not written because the socket was closing or its buffer was over `maxBufferedAmount`. */
  messagesDropped: number;
  /** Error envelopes sent (`{"type":"error",...}`). */
  errorsOut: number;
  /** Messages dropped or sockets closed by the rate limit. */
  rateLimited: number;
  /** Sockets terminated by the heartbeat. */
  heartbeatTimeouts: number;
  /** Sockets closed with 4001 (no uid bound within `authTimeout`). */
  authTimeouts: number;
  /** `errorsOut` by code. */
  errorsByCode: ErrorCounts;
}

export function createCounters(): Counters {
  return {
    connections: 0,
    authRejected: 0,
    messagesIn: 0,
    messagesOut: 0,
    messagesDropped: 0,
    errorsOut: 0,
    rateLimited: 0,
    heartbeatTimeouts: 0,
    authTimeouts: 0,
    errorsByCode: createErrorCounts(),
  };
}

/** `gateway.stats()`: this node's numbers, cheap to compute (for `/status` and `/metrics`). */
export interface GatewayStats extends Counters {
  /** This node's id (the prefix of its socket ids). */
  nodeId: string;
  /** Open sockets on this node. */
  sockets: number;
  /** Distinct uids bound on this node. */
  uids: number;
  /** Groups with at least one socket on this node. */
  groups: number;
  /** Seconds since the gateway started. */
  uptime: number;
  /** When the gateway started (epoch ms). */
  startedAt: number;
  /** Registered route types. */
  routes: number;
}

/** Counts one write's outcome: the one place `messagesOut`/`messagesDropped` move. Returns 1 if written, else 0. */
export function countSend(counters: Counters, result: 'sent' | 'buffered' | 'dropped'): number {
  if (result === 'dropped') {
    counters.messagesDropped++;
    return 0;
  }
  counters.messagesOut++;
  return 1;
}
