import type { IncomingMessage } from 'node:http';
import type { SendResult } from '../../server/socket.js';
import type { ClockTimer } from './clock.js';
import { gatewayCloseReason } from './close-codes.js';
import { GatewayError } from './errors.js';
import type { PendingRequests, ServerRequests } from './server-requests.js';
import { countSend, type Counters } from './stats.js';
import type { Transport } from './transport.js';
import { toPayload, type GroupName, type OutboundMessage, type Session, type SocketId, type Uid } from './types.js';

/** What `groups` returns for a socket that never joined one (never written to). */
const NO_GROUPS: ReadonlySet<GroupName> = new Set<GroupName>();

/**
 * One connection as the gateway sees it: its routable id, bound uid, groups and session. It lives in the server
 * socket's `data` slot (one object per connection, methods on the prototype). Handlers receive it in events and in
 * route contexts; change uid, groups and session through the gateway's methods so that indexes and adapters follow.
 *
 * Its state is a flat record of numbers and references (one object per idle socket, no per-socket closure); each
 * concern owns its own fields and is the only code that writes them:
 *
 * | fields | owner |
 * |---|---|
 * | `transport`, `counters`, `upgradeRequest` | `gateway.ts` (open/close) |
 * | `boundUid`, `joined`, `sessionData`, `initialUid` | `local-node.ts` |
 * | `liveness`, `lastBuffered`, `lastReceived` | `heartbeat.ts` |
 * | `windowStart`, `windowCount` | `rate-limit.ts` |
 * | `authTimer` | `auth-timer.ts` |
 * | `closeCode` | `endWith` below |
 * | `requester` | `gateway.ts` (open) |
 * | `pendingRequests` | `server-requests.ts` |
 * | `recoveryTokenId`, `streamStarts`, `recovery` | `recovery.ts` |
 */
export class GatewaySocket {
  /** Routable id: `<nodeId>.<sequence>`. */
  readonly id: SocketId;
  /** When the socket was accepted (epoch ms). */
  readonly connectedAt: number;

  /** @internal The connection; set when it opens. */
  transport: Transport | null = null;
  /** @internal The gateway's counters (shared), so that `send` is counted like every other write. */
  counters: Counters | null = null;
  /** @internal The upgrade request, kept only until the `connect` event has fired. */
  upgradeRequest: IncomingMessage | null;

  /** @internal Use `uid`. */
  boundUid: Uid | null = null;
  /**
   * @internal Use `groups`. Created at the first join: an idle connection is held per socket, and an empty Set
   * with its table costs ~200 bytes that sockets outside any group never use.
   */
  joined: Set<GroupName> | null = null;
  /** @internal Use `session`. */
  sessionData: Session;
  /** @internal Uid from `authenticate`, bound when the socket opens. */
  initialUid: Uid | null;

  /** @internal Heartbeat: bit 0 = a sign of life since the last sweep, bits 1+ = consecutive silent sweeps. */
  liveness = 0;
  /** @internal Heartbeat: `bufferedAmount` at the last sweep (a decrease means the peer is reading). */
  lastBuffered = 0;
  /** @internal Heartbeat: `bytesReceived` at the last sweep (any inbound byte since counts as alive). */
  lastReceived = 0;
  /** @internal Rate limit: start of the current window (ms) and messages seen in it. */
  windowStart = 0;
  /** @internal */
  windowCount = 0;
  /** @internal In-band auth deadline, while no uid is bound. */
  authTimer: ClockTimer | null = null;
  /** @internal Why the gateway ended the connection (one of its close codes; 0: it didn't), reported by `close`. */
  closeCode = 0;
  /** @internal The gateway's server → client requests (shared); set when the socket opens. */
  requester: ServerRequests | null = null;
  /** @internal This socket's unanswered server → client requests, created at its first `request`. */
  pendingRequests: PendingRequests | null = null;

  /** @internal Recovery on: the id of the token this socket's client holds (its record is saved at close). */
  recoveryTokenId: string | null = null;
  /**
   * @internal History on: per stream the socket is in, a position it has everything after (where it joined, or
   * what recovery replayed up to); saved with the recovery record for streams the client presents no position for.
   */
  streamStarts: Map<string, { epoch: string; offset: number }> | null = null;
  /** @internal 0: no `$recover` yet; 1: one was tried (only one per socket); 2: its identity moved to a new socket. */
  recovery = 0;

  /** @internal Created by the gateway during the upgrade. */
  constructor(id: SocketId, request: IncomingMessage | null, uid: Uid | null, session: Session, connectedAt: number) {
    this.id = id;
    this.connectedAt = connectedAt;
    this.upgradeRequest = request;
    this.initialUid = uid;
    this.sessionData = session;
  }

  /** The bound uid, or null. */
  get uid(): Uid | null {
    return this.boundUid;
  }

  /** The groups this socket is in (read-only view; use `gateway.joinGroup`/`leaveGroup`). */
  get groups(): ReadonlySet<GroupName> {
    return this.joined ?? NO_GROUPS;
  }

  /** The live session object (use `gateway.setSession`/`updateSession` to change it). */
  get session(): Readonly<Session> {
    return this.sessionData;
  }

  /** The peer's IP address as the TCP socket sees it (`''` once it is gone); behind a proxy, the proxy's. */
  get remoteAddress(): string {
    return this.transport?.remoteAddress ?? '';
  }

  /** 1 OPEN, 2 CLOSING, 3 CLOSED (0 before the connection opened). */
  get readyState(): number {
    return this.transport?.readyState ?? 0;
  }

  /** Bytes waiting in user space to be written to this socket. */
  get bufferedAmount(): number {
    return this.transport?.bufferedAmount ?? 0;
  }

  /**
   * Sends a message to this socket only (same rules as the gateway's sends: strings as text, bytes as binary,
   * other values as JSON). Synchronous: the socket is on this node.
   */
  send(message: OutboundMessage): SendResult {
    if (this.transport === null) return 'dropped';
    const payload = toPayload(message);
    const result = this.transport.send(payload.data, { binary: payload.binary });
    if (this.counters !== null) countSend(this.counters, result);
    return result;
  }

  /**
   * Asks the client and resolves with its answer's `data` (the browser client answers with `client.handle(type,
   * fn)`): sends `{"type","data","request":n}` and waits for `{"type","replyTo":n,"data"}`. Rejects with a
   * `GatewayError`: the client's error code and message, `timeout` (default `requestTimeout`, 10 s), `disconnected`
   * (the socket closed first or is not open) or `too_many_requests` (over `maxPendingRequests` unanswered, 32).
   * For sockets of this node only (see docs/gateway.md, "Server → client requests").
   */
  request<T = unknown>(type: string, data?: unknown, options?: { timeout?: number }): Promise<T> {
    const requester = this.requester;
    if (requester === null) return Promise.reject(new GatewayError('disconnected', 'the socket is not open'));
    return requester.ask(this, type, data, options?.timeout) as Promise<T>;
  }

  /** Starts the close handshake (default 1000). */
  close(code = 1000, reason = ''): void {
    this.transport?.close(code, reason);
  }
}

/**
 * The gateway ends a connection for one of its own reasons (auth timeout, heartbeat, rate limit, unsupported data):
 * the first such code is what the `close` event reports. `terminate` destroys the connection without a close frame.
 */
export function endWith(socket: GatewaySocket, code: number, terminate = false): void {
  if (socket.closeCode === 0) socket.closeCode = code;
  const transport = socket.transport;
  if (transport === null) return;
  if (terminate) transport.terminate();
  else transport.close(code, gatewayCloseReason(code));
}
