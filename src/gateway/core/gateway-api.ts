import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayEventName, GatewayEvents } from './events.js';
import type { GatewaySocket } from './gateway-socket.js';
import type { GatewayStats } from './stats.js';
import type { ClusterStats } from './node-report.js';
import type { TimerHandle } from './timers.js';
import type { EveryOptions } from './cluster-timer.js';
import type { HistoryPage } from '../adapters/history.js';
import type { HistoryRequest } from './history.js';
import type { GroupName, NameLike, OutboundMessage, RequestId, Session, SocketId, Uid } from './types.js';

/*
 * What code built on a gateway sees of it: route handlers, HTTP hooks and routes, the demo routes. They depend on
 * this interface, not on the `Gateway` class, so no file the gateway imports has to import it back.
 */

/** `exclude` of the fan-out sends: one socket id or several. */
export interface ExcludeOptions {
  /**
   * Sockets that must not get the message (the sender, typically).
   *
   * @defaultValue `undefined`: nobody is excluded
   */
  exclude?: SocketId | readonly SocketId[];
}

/** Options of `sendToAll`. */
export interface SendToAllOptions extends ExcludeOptions {
  /**
   * Only sockets bound to a uid (GMWebSockets' `send_to_all_clients`).
   *
   * @defaultValue `false`
   */
  onlyBound?: boolean;
}

/** The options a running gateway uses (`gateway.options`), defaults applied. */
export interface ResolvedGatewayOptions {
  /** The WebSocket path (`GatewayOptions.path`). */
  readonly path: string;
  /** This node's id, the prefix of its socket ids. */
  readonly nodeId: string;
  /** `null` when the heartbeat is off. */
  readonly heartbeat: {
    /** Milliseconds between pings. */
    readonly interval: number;
    /** Pings in a row without a pong before the socket is closed. */
    readonly maxMissed: number;
  } | null;
  /** Milliseconds an authenticated-later socket has to bind a uid (0: no deadline). */
  readonly authTimeout: number;
  /** `null` when there is no rate limit. */
  readonly rateLimit: {
    /** Messages allowed per `interval`. */
    readonly messages: number;
    /** The window, in milliseconds. */
    readonly interval: number;
    /** What happens over the limit: an error reply, or closing the socket. */
    readonly action: 'reject' | 'close';
  } | null;
  /** Largest message accepted from a client, in bytes. */
  readonly maxMessageSize: number;
  /** Groups one socket may be in at once. */
  readonly maxGroupsPerSocket: number;
  /** Raw mode: no envelope, no routing. */
  readonly raw: boolean;
  /** The push API's bearer token (`undefined`: API off). */
  readonly apiKey: string | undefined;
}

/** What a route handler gets for one request envelope. */
export interface RouteContext<D = unknown> {
  /** The gateway the route is registered on. */
  readonly gateway: GatewayApi;
  /** The socket that sent the request (on this node). */
  readonly socket: GatewaySocket;
  /** The envelope's `type` (the route's name, or what the `'*'` route caught). */
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

/**
 * Runs before the route of every JSON message (`gateway.use(fn)`), in the order added. Return (or resolve) to let
 * the message through; throw (or reject) to stop it: a `GatewayError` answers the client with its code and message,
 * anything else answers `handler_error` and goes to the gateway's `error` event, like a failing route.
 */
export type MessageMiddleware = (ctx: RouteContext) => unknown;

/** Handles binary messages in JSON mode (without one, binary messages close the socket with 1003). */
export type BinaryHandler = (socket: GatewaySocket, data: Buffer) => unknown;

/** HTTP hook: return true when you answered the request; false lets the next hook (or the 404) have it. */
export type HttpHook = (req: IncomingMessage, res: ServerResponse, gateway: GatewayApi) => boolean | Promise<boolean>;

/** A gateway as routes, HTTP hooks and HTTP routes see it (`Gateway` implements it; see its docs per method). */
export interface GatewayApi {
  /** This node's id: the prefix of its socket ids. */
  readonly nodeId: string;
  /** Resolved options (defaults applied). */
  readonly options: ResolvedGatewayOptions;
  /** True once `close()` was called. */
  readonly closed: boolean;

  /** Listens to `connect`, `message`, `close` or `error`; returns a function that removes the listener. */
  on<K extends GatewayEventName>(event: K, listener: GatewayEvents[K]): () => void;
  /**
   * Handles request envelopes of `type` (`'*'`: every type without its own route). The handler's result is the
   * reply's `data`. Throws if `type` already has a handler.
   */
  route<D = unknown>(type: string, handler: RouteHandler<D>): this;
  /** Removes the handler of `type`; true if there was one. */
  unroute(type: string): boolean;
  /** Route types registered. */
  routes(): string[];
  /** Handles binary messages in JSON mode (`null`: refuse them with close 1003, the default). */
  onBinary(handler: BinaryHandler | null): this;
  /**
   * Adds a middleware that sees every request envelope before its route, in the order added; it can reject the
   * message with an error reply. Returns a function that removes it.
   */
  use(middleware: MessageMiddleware): () => void;
  /**
   * Runs `fn` every `ms` ms until cancelled or the gateway closes. Errors go to the `error` event. With
   * `{ scope: 'cluster' }` it runs on one node of the cluster at a time (the holder of a lease in the adapter).
   */
  every(ms: number, fn: () => unknown, options?: EveryOptions): TimerHandle;
  /** Runs `fn` once after `ms` ms unless cancelled or the gateway closed first. */
  after(ms: number, fn: () => unknown): TimerHandle;
  /**
   * Adds a plain-HTTP hook, tried after `options.http` and earlier hooks; returns a function that removes it. In
   * attach mode the gateway listens to your server's requests only once it has a hook (this or `options.http`).
   */
  addHttpHandler(hook: HttpHook): () => void;

  /** Sends to every socket (GatewayWorker `sendToAll`), framed once. Resolves to the number of sockets written to. */
  sendToAll(message: OutboundMessage, options?: SendToAllOptions): Promise<number>;
  /** Sends to one socket or a list of sockets, wherever they are; each node frames once. */
  sendToSocket(socketIds: SocketId | readonly SocketId[], message: OutboundMessage): Promise<number>;
  /** Sends to every socket of one uid or several uids. */
  sendToUid(uids: NameLike | readonly NameLike[], message: OutboundMessage, options?: ExcludeOptions): Promise<number>;
  /** Sends to every socket in one group or several groups (a socket in two of them gets it once). */
  sendToGroup(
    groups: NameLike | readonly NameLike[],
    message: OutboundMessage,
    options?: ExcludeOptions,
  ): Promise<number>;

  /** The stored history of a stream (`group:<g>`, `uid:<u>` or `all`) since a position; needs `history`. */
  history(stream: string, request?: HistoryRequest): Promise<HistoryPage>;

  /**
   * Binds a socket to a uid (a uid may have many sockets; a socket has at most one uid — binding another replaces
   * it). Clears the socket's `authTimeout`. Resolves false if the socket doesn't exist.
   */
  bindUid(socketId: SocketId, uid: NameLike): Promise<boolean>;
  /** Unbinds the socket's uid (only if it is `uid`, when given). Resolves true if a uid was unbound. */
  unbindUid(socketId: SocketId, uid?: NameLike): Promise<boolean>;
  /**
   * Adds a socket to a group. Resolves false if the socket doesn't exist; rejects with `GatewayError`
   * `too_many_groups` if it is already in `maxGroupsPerSocket` other groups.
   */
  joinGroup(socketId: SocketId, group: NameLike): Promise<boolean>;
  /** Removes a socket from a group. Resolves true if it was a member. */
  leaveGroup(socketId: SocketId, group: NameLike): Promise<boolean>;
  /** Empties a group on every node. Resolves to the number of sockets removed. */
  ungroup(group: NameLike): Promise<number>;

  /** Is this socket connected (anywhere)? */
  isOnline(socketId: SocketId): Promise<boolean>;
  /** Does this uid have at least one socket? */
  isUidOnline(uid: NameLike): Promise<boolean>;
  /** The sockets bound to a uid. */
  socketsOfUid(uid: NameLike): Promise<SocketId[]>;
  /** The uid a socket is bound to, or null (unbound or no such socket). */
  uidOfSocket(socketId: SocketId): Promise<Uid | null>;
  /** The groups a socket is in ([] for no such socket). */
  groupsOfSocket(socketId: SocketId): Promise<GroupName[]>;
  /** Every socket id, or the members of `group`. */
  sockets(group?: NameLike): Promise<SocketId[]>;
  /** Every bound uid, or the uids with a socket in `group`. */
  uids(group?: NameLike): Promise<Uid[]>;
  /** Every non-empty group. */
  groups(): Promise<GroupName[]>;
  /** Number of sockets, overall or in `group`. */
  socketCount(group?: NameLike): Promise<number>;
  /** Number of distinct bound uids, overall or in `group`. */
  uidCount(group?: NameLike): Promise<number>;
  /** Session snapshots by socket id, of every socket or of the members of `group`. */
  sessions(group?: NameLike): Promise<Record<SocketId, Session>>;

  /** A snapshot (shallow copy) of a socket's session, or null if there is no such socket. */
  getSession(socketId: SocketId): Promise<Session | null>;
  /** Replaces a socket's session. Resolves false if there is no such socket. */
  setSession(socketId: SocketId, session: Session): Promise<boolean>;
  /** Merges `patch` into a socket's session (shallow). Resolves false if there is no such socket. */
  updateSession(socketId: SocketId, patch: Session): Promise<boolean>;

  /** Closes a socket with a close handshake (default 1000). Resolves true if it was open. */
  closeSocket(socketId: SocketId, code?: number, reason?: string): Promise<boolean>;
  /**
   * Sends a server → client request to a socket on any node and resolves with the client's answer; rejects with a
   * `GatewayError` (`timeout`, `disconnected`, `too_many_requests`, or the client's own code).
   */
  requestSocket<T = unknown>(
    socketId: SocketId,
    type: string,
    data?: unknown,
    options?: {
      /**
       * How long to wait for the answer, in ms.
       *
       * @defaultValue the gateway's `requestTimeout` (10,000 ms)
       */
      timeout?: number;
    },
  ): Promise<T>;
  /** The socket object if this node holds `socketId` (synchronous; null elsewhere). */
  localSocket(socketId: SocketId): GatewaySocket | null;
  /** This node's numbers, cheap and synchronous (for `/status` and `/metrics`). */
  stats(): GatewayStats;
  /**
   * Every node's numbers and process figures, gathered through the adapter (for `/status`, `/metrics` and the
   * dashboard), plus the presence store's counts. Never rejects: when the adapter is down it resolves with this
   * node only and `partial` set.
   */
  clusterStats(): Promise<ClusterStats>;
}
