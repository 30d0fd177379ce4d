import type { IncomingMessage } from 'node:http';
import type { SendResult, WsSocket } from '../../server/socket.js';
import type { Counters } from './stats.js';
import { toPayload, type GroupName, type OutboundMessage, type Session, type SocketId, type Uid } from './types.js';

/** What `groups` returns for a socket that never joined one (never written to). */
const NO_GROUPS: ReadonlySet<GroupName> = new Set<GroupName>();

/**
 * One connection as the gateway sees it: its routable id, bound uid, groups and session. It lives in the server
 * socket's `data` slot (one object per connection, methods on the prototype). Handlers receive it in events and in
 * route contexts; change uid, groups and session through the gateway's methods so that indexes and adapters follow.
 */
export class GatewaySocket {
  /** Routable id: `<nodeId>.<sequence>`. */
  readonly id: SocketId;
  /** When the socket was accepted (epoch ms). */
  readonly connectedAt: number;

  /** @internal The server socket; set when the connection opens. */
  ws: WsSocket<GatewaySocket> | null = null;
  /** @internal The gateway's counters (shared), so that `send` is counted like every other write. */
  counters: Counters | null = null;
  /** @internal Use `uid`. */
  boundUid: Uid | null = null;
  /**
   * @internal Use `groups`. Created at the first join: an idle connection is held per socket, and an empty Set
   * with its table costs ~200 bytes that sockets outside any group never use.
   */
  private joined: Set<GroupName> | null = null;
  /** @internal Use `session`. */
  sessionData: Session;
  /** @internal The upgrade request, kept only until the `connect` event has fired. */
  request: IncomingMessage | null;
  /** @internal Uid from `authenticate`, bound when the socket opens. */
  initialUid: Uid | null;

  /** @internal Heartbeat: inbound traffic since the last sweep. */
  alive = true;
  /** @internal Heartbeat: consecutive sweeps without inbound traffic. */
  missed = 0;
  /** @internal Heartbeat: `bufferedAmount` at the last sweep (a decrease means the peer is reading). */
  lastBuffered = 0;
  /** `ws.bytesReceived` at the last heartbeat sweep: any inbound byte since then counts as alive. */
  lastReceived = 0;
  /** @internal Rate limit: start of the current window (ms) and messages seen in it. */
  windowStart = 0;
  windowCount = 0;
  /** @internal In-band auth deadline timer, while no uid is bound. */
  authTimer: NodeJS.Timeout | null = null;
  /** @internal Why the gateway ended the connection, reported by the `close` event instead of the wire code. */
  closeCause: { code: number; reason: string } | null = null;

  /** @internal Created by the gateway during the upgrade. */
  constructor(id: SocketId, request: IncomingMessage, uid: Uid | null, session: Session) {
    this.id = id;
    this.connectedAt = Date.now();
    this.request = request;
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

  /** @internal Adds a group; false when the socket was already in it. */
  addGroup(group: GroupName): boolean {
    const joined = (this.joined ??= new Set());
    if (joined.has(group)) return false;
    joined.add(group);
    return true;
  }

  /** @internal Removes a group; false when the socket was not in it. */
  removeGroup(group: GroupName): boolean {
    return this.joined !== null && this.joined.delete(group);
  }

  /** The live session object (use `gateway.setSession`/`updateSession` to change it). */
  get session(): Readonly<Session> {
    return this.sessionData;
  }

  get remoteAddress(): string {
    return this.ws?.remoteAddress ?? '';
  }

  /** 1 OPEN, 2 CLOSING, 3 CLOSED (0 before the connection opened). */
  get readyState(): number {
    return this.ws?.readyState ?? 0;
  }

  /** Bytes waiting in user space to be written to this socket. */
  get bufferedAmount(): number {
    return this.ws?.bufferedAmount ?? 0;
  }

  /**
   * Sends a message to this socket only (same rules as the gateway's sends: strings as text, bytes as binary,
   * other values as JSON). Synchronous: the socket is on this node.
   */
  send(message: OutboundMessage): SendResult {
    if (this.ws === null) return 'dropped';
    const payload = toPayload(message);
    const result = this.ws.send(payload.data, { binary: payload.binary });
    if (this.counters !== null) {
      if (result === 'dropped') this.counters.messagesDropped++;
      else this.counters.messagesOut++;
    }
    return result;
  }

  /** Starts the close handshake (default 1000). */
  close(code = 1000, reason = ''): void {
    this.ws?.close(code, reason);
  }
}
