import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayEventName, GatewayEvents } from './events.js';
import type { GatewaySocket } from './gateway-socket.js';
import type { GatewayStats } from './stats.js';
import type { TimerHandle } from './timers.js';
import type { HistoryPage } from '../adapters/history.js';
import type { HistoryRequest } from './history.js';
import type { GroupName, NameLike, OutboundMessage, RequestId, Session, SocketId, Uid } from './types.js';

/*
 * What code built on a gateway sees of it: route handlers, HTTP hooks and routes, the demo routes. They depend on
 * this interface, not on the `Gateway` class, so no file the gateway imports has to import it back.
 */

/** `exclude` of the fan-out sends: one socket id or several. */
export interface ExcludeOptions {
  exclude?: SocketId | readonly SocketId[];
}

export interface SendToAllOptions extends ExcludeOptions {
  /** Only sockets bound to a uid (GMWebSockets' `send_to_all_clients`). */
  onlyBound?: boolean;
}

/** The options a running gateway uses (`gateway.options`), defaults applied. */
export interface ResolvedGatewayOptions {
  readonly path: string;
  readonly nodeId: string;
  /** `null` when the heartbeat is off. */
  readonly heartbeat: { readonly interval: number; readonly maxMissed: number } | null;
  readonly authTimeout: number;
  /** `null` when there is no rate limit. */
  readonly rateLimit: {
    readonly messages: number;
    readonly interval: number;
    readonly action: 'reject' | 'close';
  } | null;
  readonly maxMessageSize: number;
  readonly maxGroupsPerSocket: number;
  readonly raw: boolean;
  readonly apiKey: string | undefined;
}

/** What a route handler gets for one request envelope. */
export interface RouteContext<D = unknown> {
  readonly gateway: GatewayApi;
  /** The socket that sent the request (on this node). */
  readonly socket: GatewaySocket;
  readonly type: string;
  /** The request id, when the client wants a reply. */
  readonly id: RequestId | undefined;
  /** The envelope's `data`, unvalidated (`unknown` unless you say otherwise — check it). */
  readonly data: D;
}

/**
 * Handles one request type. The resolved value is the reply's `data` (sent only if the request had an `id`); throw a
 * `GatewayError` to answer with its code and message, anything else answers `handler_error`.
 */
export type RouteHandler<D = unknown> = (ctx: RouteContext<D>) => unknown;

/** Handles binary messages in JSON mode (without one, binary messages close the socket with 1003). */
export type BinaryHandler = (socket: GatewaySocket, data: Buffer) => unknown;

/** HTTP hook: return true when you answered the request; false lets the next hook (or the 404) have it. */
export type HttpHook = (req: IncomingMessage, res: ServerResponse, gateway: GatewayApi) => boolean | Promise<boolean>;

/** A gateway as routes, HTTP hooks and HTTP routes see it (`Gateway` implements it; see its docs per method). */
export interface GatewayApi {
  readonly nodeId: string;
  readonly options: ResolvedGatewayOptions;
  readonly closed: boolean;

  on<K extends GatewayEventName>(event: K, listener: GatewayEvents[K]): () => void;
  route<D = unknown>(type: string, handler: RouteHandler<D>): this;
  unroute(type: string): boolean;
  routes(): string[];
  onBinary(handler: BinaryHandler | null): this;
  every(ms: number, fn: () => unknown): TimerHandle;
  after(ms: number, fn: () => unknown): TimerHandle;
  addHttpHandler(hook: HttpHook): () => void;

  sendToAll(message: OutboundMessage, options?: SendToAllOptions): Promise<number>;
  sendToSocket(socketIds: SocketId | readonly SocketId[], message: OutboundMessage): Promise<number>;
  sendToUid(uids: NameLike | readonly NameLike[], message: OutboundMessage, options?: ExcludeOptions): Promise<number>;
  sendToGroup(
    groups: NameLike | readonly NameLike[],
    message: OutboundMessage,
    options?: ExcludeOptions,
  ): Promise<number>;

  history(stream: string, request?: HistoryRequest): Promise<HistoryPage>;

  bindUid(socketId: SocketId, uid: NameLike): Promise<boolean>;
  unbindUid(socketId: SocketId, uid?: NameLike): Promise<boolean>;
  joinGroup(socketId: SocketId, group: NameLike): Promise<boolean>;
  leaveGroup(socketId: SocketId, group: NameLike): Promise<boolean>;
  ungroup(group: NameLike): Promise<number>;

  isOnline(socketId: SocketId): Promise<boolean>;
  isUidOnline(uid: NameLike): Promise<boolean>;
  socketsOfUid(uid: NameLike): Promise<SocketId[]>;
  uidOfSocket(socketId: SocketId): Promise<Uid | null>;
  groupsOfSocket(socketId: SocketId): Promise<GroupName[]>;
  sockets(group?: NameLike): Promise<SocketId[]>;
  uids(group?: NameLike): Promise<Uid[]>;
  groups(): Promise<GroupName[]>;
  socketCount(group?: NameLike): Promise<number>;
  uidCount(group?: NameLike): Promise<number>;
  sessions(group?: NameLike): Promise<Record<SocketId, Session>>;

  getSession(socketId: SocketId): Promise<Session | null>;
  setSession(socketId: SocketId, session: Session): Promise<boolean>;
  updateSession(socketId: SocketId, patch: Session): Promise<boolean>;

  closeSocket(socketId: SocketId, code?: number, reason?: string): Promise<boolean>;
  localSocket(socketId: SocketId): GatewaySocket | null;
  stats(): GatewayStats;
}
