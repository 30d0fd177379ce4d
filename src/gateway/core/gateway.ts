import type { IncomingMessage, Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createServer, type WsServer } from '../../server/server.js';
import type { SocketHandlers, WsSocket } from '../../server/socket.js';
import type { Adapter, RequestOutcome, SocketCommand, SocketCommandResult } from '../adapters/adapter.js';
import { absentResult, TOO_MANY_GROUPS } from '../adapters/adapter.js';
import { createAuthorize } from './auth.js';
import { AuthTimer } from './auth-timer.js';
import { checkAuthFailure, InBandRefusals, RefusedSocket } from './auth-refusal.js';
import { systemClock, type Clock } from './clock.js';
import { GatewayCloseCode, GatewayCloseReason, gatewayCloseReason } from './close-codes.js';
import { Dispatcher } from './dispatch.js';
import { ErrorCode, GatewayError } from './errors.js';
import { GatewayEmitter, type GatewayEventName, type GatewayEvents } from './events.js';
import type {
  BinaryHandler,
  ExcludeOptions,
  GatewayApi,
  HttpHook,
  MessageMiddleware,
  ResolvedGatewayOptions,
  RouteHandler,
  SendToAllOptions,
} from './gateway-api.js';
import { endWith, type GatewaySocket } from './gateway-socket.js';
import { Heartbeat, markAlive } from './heartbeat.js';
import { HttpHost, type GatewayHttpHandler } from '../http/host.js';
import { installHttp, type GatewayHttp } from '../http/gateway-http.js';
import { LocalNode } from './local-node.js';
import { processInfo, type ClusterStats } from './node-report.js';
import { checkServerRequestSettings, ServerRequests } from './server-requests.js';
import { MemoryAdapter } from '../adapters/memory/memory-adapter.js';
import { originPolicy } from './origin.js';
import { DEFAULT_GATEWAY_OPTIONS, resolveGatewayOptions, type GatewayOptions } from './options.js';
import { createNodeId, nodeOfSocketId, SocketIdAllocator } from './socket-id.js';
import { createCounters, type Counters, type GatewayStats } from './stats.js';
import { GatewayTimers, type TimerHandle } from './timers.js';
import type { EveryOptions } from './cluster-timer.js';
import type { LeaseStore } from '../adapters/lease.js';
import {
  toPayload,
  type GroupName,
  type NameLike,
  type OutboundMessage,
  type Session,
  type SocketId,
  type Uid,
} from './types.js';
import { GatewayHistory, openAdapterHistory, type HistoryRequest } from './history.js';
import { resolveHistory, resolveRecovery } from './history-options.js';
import { Recovery } from './recovery.js';
import type { HistoryPage } from '../adapters/history.js';
import { isSocketIdLike, toCloseCode, toName, toNames, toSession } from './validate.js';

/** How long one gathering of `clusterStats()` is reused. */
const CLUSTER_STATS_REUSE_MS = 500;

/** Options of `gateway.close()`. */
export interface GatewayCloseOptions {
  /**
   * Close code sent to every socket.
   *
   * @defaultValue `1001` (going away)
   */
  code?: number;
  /**
   * Close reason sent with `code` (at most 123 bytes of UTF-8).
   *
   * @defaultValue `'gateway shutting down'`
   */
  reason?: string;
  /**
   * Grace period in ms before remaining sockets are terminated.
   *
   * @defaultValue the gateway's `shutdownTimeout` (5,000 ms)
   */
  timeout?: number;
}

/**
 * A WebSocket gateway node: sockets with routable ids, uid binding, groups, sessions, fan-out sends, JSON routing,
 * heartbeat, auth and rate limits, over wsgate's server. Create with `createGateway`.
 *
 * Every operation that may concern another node returns a promise and goes through the adapter (in memory by
 * default); socket-addressed ones go straight to the node named in the socket id.
 */
export class Gateway implements GatewayApi {
  /** Resolved options (defaults applied); the HTTP layer reads `apiKey` here. */
  readonly options: ResolvedGatewayOptions;
  /** This node's id: the prefix of its socket ids. */
  readonly nodeId: string;
  /** This node's sockets and indexes (what adapters call into). */
  readonly node: LocalNode;
  /** The scale-out adapter (`options.adapter`, or the `MemoryAdapter` made for you). */
  readonly adapter: Adapter;
  /** When the gateway started (epoch ms). */
  readonly startedAt: number;
  /** The built-in HTTP routes (status, metrics, client, push API, demo) and your own: `gateway.web.get(path, fn)`. */
  web: GatewayHttp | null = null;

  private readonly counters: Counters = createCounters();
  private readonly events = new GatewayEmitter();
  private readonly timers: GatewayTimers;
  private readonly dispatcher: Dispatcher;
  private readonly requests: ServerRequests;
  private readonly httpHost: HttpHost;
  private readonly heartbeat: Heartbeat | null;
  private readonly authDeadlines: AuthTimer;
  private readonly clock: Clock;
  private readonly ids: SocketIdAllocator;
  private readonly userOptions: GatewayOptions;
  private readonly refusals: InBandRefusals;
  private http: HttpServer | HttpsServer | null = null;
  private ownsHttp = false;
  private listeningForRequests = false;
  /** `httpHandler()` was taken: a framework routes requests to us, so we never listen to the server ourselves. */
  private servedByFramework = false;
  private wss: WsServer<GatewaySocket> | null = null;
  private closing: Promise<void> | null = null;
  private clusterView: { at: number; pending: boolean; promise: Promise<ClusterStats> } | null = null;
  /** History and/or recovery on: the adapter's store and the gateway's use of it. */
  private readonly streams: GatewayHistory | null = null;
  private readonly recovery: Recovery | null = null;

  /** @internal Use `createGateway` (`clock`: tests only). */
  constructor(options: GatewayOptions, clock: Clock = systemClock) {
    this.clock = clock;
    this.startedAt = clock.now();
    if (options.port !== undefined && options.server !== undefined)
      throw new TypeError('give either port or server, not both');
    this.userOptions = options;
    this.nodeId = options.nodeId ?? createNodeId();
    this.ids = new SocketIdAllocator(this.nodeId);
    this.options = resolveGatewayOptions(options, this.nodeId);
    this.refusals = new InBandRefusals(checkAuthFailure(options.authFailure ?? DEFAULT_GATEWAY_OPTIONS.authFailure));
    this.adapter = options.adapter ?? new MemoryAdapter();
    const adapter = this.adapter;
    const limits = resolveHistory(options.history);
    const recovery = resolveRecovery(options.recovery);
    if ((limits !== null || recovery !== null) && this.options.raw)
      throw new TypeError('history and recovery need JSON mode (raw: false): their frames are JSON envelopes');
    let streams: GatewayHistory | null = null;
    this.authDeadlines = new AuthTimer(this.options.authTimeout, (socket) => this.authExpired(socket), clock);
    this.node = new LocalNode(
      this.nodeId,
      this.counters,
      (change) => {
        streams?.track(change);
        return adapter.presenceChanged(change);
      },
      this.options.maxGroupsPerSocket,
      this.authDeadlines,
    );
    if (limits !== null || recovery !== null) {
      const report = (error: unknown): void => this.events.emit('error', error, null);
      streams = this.streams = new GatewayHistory(openAdapterHistory(adapter, limits), limits, this.node, report);
      if (recovery !== null)
        this.recovery = new Recovery(
          recovery,
          streams,
          this.node,
          this.events,
          this.counters,
          this.options.maxGroupsPerSocket,
          (nodeId, socketId, tokenId) => adapter.forward(nodeId, { op: 'takeOver', socketId, tokenId }),
        );
    }
    this.node.reporter = () => ({ stats: this.stats(), process: processInfo() });
    this.timers = new GatewayTimers((error) => this.events.emit('error', error, null), clock, leasesOf(adapter));
    this.dispatcher = new Dispatcher(this, this.options, this.events, this.counters, clock);
    this.requests = new ServerRequests(
      checkServerRequestSettings(
        options.requestTimeout ?? DEFAULT_GATEWAY_OPTIONS.requestTimeout,
        options.maxPendingRequests ?? DEFAULT_GATEWAY_OPTIONS.maxPendingRequests,
      ),
      this.counters,
      clock,
    );
    this.dispatcher.answers = this.requests;
    const recovering = this.recovery;
    if (recovering !== null) this.dispatcher.recoverHandler = (ctx) => recovering.recover(ctx.socket, ctx.data);
    this.httpHost = new HttpHost(this, this.options.path, (error) => this.events.emit('error', error, null));
    if (options.http !== undefined) this.httpHost.hooks.push(options.http);
    const hb = this.options.heartbeat;
    this.heartbeat =
      hb === null
        ? null
        : new Heartbeat(this.node, hb.interval, hb.maxMissed, (socket) => this.heartbeatTimeout(socket), clock);
  }

  /** @internal Attaches the adapter, creates the servers and starts listening (standalone) and the heartbeat. */
  async start(): Promise<void> {
    const o = this.userOptions;
    const d = DEFAULT_GATEWAY_OPTIONS;
    await this.adapter.attach(this.node);
    const attachTo = o.server;
    const standalone = attachTo === undefined;
    if (attachTo !== undefined) {
      this.http = attachTo;
      if (this.httpHost.hooks.length > 0) this.listenForRequests();
    }
    // Standalone: the server layer's own HTTP server, so the gateway's port gets its anti-slowloris settings (head
    // and whole-request deadlines from `handshakeTimeout`, swept often) instead of Node's 30 s sweep and 300 s
    // request timeout. Plain requests come to our hooks through its `request` option.
    this.wss = await createServer<GatewaySocket>({
      ...(standalone ? { port: o.port ?? 0, host: o.host, request: this.httpHost.listener } : { server: attachTo }),
      path: this.options.path,
      handlers: this.socketHandlers(),
      authorize: this.refusals.wrap(
        createAuthorize(
          o.authenticate,
          () => this.ids.next(),
          this.counters,
          (error) => this.events.emit('error', error, null),
          this.clock.now,
        ),
      ),
      protocols: this.refusals.protocol,
      origins: originPolicy(o.origins),
      // A user hook (an `origins` predicate...) failed before the 101: the client got a 500, the app the error.
      handshakeError: (error) => this.events.emit('error', error, null),
      perMessageDeflate: o.perMessageDeflate,
      maxPayload: this.options.maxMessageSize,
      maxBufferedAmount: o.maxBufferedAmount ?? d.maxBufferedAmount,
      backpressurePolicy: o.backpressurePolicy ?? d.backpressurePolicy,
      pauseOnBackpressure: o.pauseOnBackpressure ?? d.pauseOnBackpressure,
      handshakeTimeout: o.handshakeTimeout ?? d.handshakeTimeout,
      closeTimeout: o.closeTimeout ?? d.closeTimeout,
    });
    if (standalone) {
      this.http = this.wss.httpServer!;
      this.ownsHttp = true;
      this.listeningForRequests = true;
    }
    this.heartbeat?.start();
  }

  // ── the HTTP side ──────────────────────────────────────────────────────────────────────────────────────────────

  /** The HTTP server: the gateway's own (standalone `port`) or yours (`server`). */
  get httpServer(): HttpServer | HttpsServer {
    return this.http!;
  }

  /** The WebSocket server underneath (for `handleUpgrade` or its `clients`). */
  get server(): WsServer<GatewaySocket> {
    return this.wss!;
  }

  /** The bound address of the HTTP server. */
  address(): AddressInfo {
    const address = this.http?.address();
    if (address === null || address === undefined || typeof address === 'string')
      throw new Error('gateway is not listening on TCP');
    return address;
  }

  /** The bound port of the HTTP server (throws when it is not listening on TCP). */
  get port(): number {
    return this.address().port;
  }

  /**
   * Adds a plain-HTTP hook, tried after `options.http` and earlier hooks; returns a function that removes it. In
   * attach mode the gateway listens to your server's requests only once it has a hook (this or `options.http`).
   */
  addHttpHandler(hook: HttpHook): () => void {
    const hooks = this.httpHost.hooks;
    this.listenForRequests();
    hooks.push(hook);
    return () => {
      const i = hooks.indexOf(hook);
      if (i !== -1) hooks.splice(i, 1);
    };
  }

  /**
   * The gateway's HTTP routes (`web`: /status, /metrics, the push API, /wsgate.js, your `gateway.web` routes) and
   * `addHttpHandler` hooks as a middleware, for a framework that owns the HTTP server the gateway is attached to:
   * `app.use(gateway.httpHandler())` in Express, or from a Fastify `onRequest` hook or a Koa middleware
   * (docs/gateway.md, "Express, Fastify and Koa"). Requests no route answers go to `next()`; without `next` they are
   * left unanswered for the caller (the promise resolves false). From the first call on, the gateway stops listening
   * to the server's `request` event in attach mode, so a request is never answered twice.
   *
   * @returns The same function on every call.
   */
  httpHandler(): GatewayHttpHandler {
    this.servedByFramework = true;
    if (this.listeningForRequests && !this.ownsHttp && this.http !== null) {
      this.http.removeListener('request', this.httpHost.listener);
      this.listeningForRequests = false;
    }
    return this.httpHost.middleware;
  }

  private listenForRequests(): void {
    if (this.listeningForRequests || this.servedByFramework || this.http === null) return;
    this.listeningForRequests = true;
    this.http.on('request', this.httpHost.listener);
  }

  // ── events, routes, timers ─────────────────────────────────────────────────────────────────────────────────────

  /** Listens to `connect`, `message`, `close` or `error`; returns a function that removes the listener. */
  on<K extends GatewayEventName>(event: K, listener: GatewayEvents[K]): () => void {
    return this.events.on(event, listener);
  }

  /**
   * Handles request envelopes of `type` (`'*'`: every type without its own route). The handler's result is the
   * reply's `data`. Throws if `type` already has a handler.
   */
  route<D = unknown>(type: string, handler: RouteHandler<D>): this {
    if (typeof type !== 'string' || type.length === 0) throw new TypeError('route type must be a non-empty string');
    if (this.dispatcher.routes.has(type)) throw new Error(`route ${JSON.stringify(type)} is already registered`);
    this.dispatcher.routes.set(type, handler as RouteHandler);
    return this;
  }

  /** Removes the handler of `type`; true if there was one. */
  unroute(type: string): boolean {
    return this.dispatcher.routes.delete(type);
  }

  /** Route types registered. */
  routes(): string[] {
    return [...this.dispatcher.routes.keys()];
  }

  /**
   * Adds a message middleware: it runs before the route of every JSON message, after the ones added before it, and
   * may stop the message by throwing (see `MessageMiddleware`). Returns a function that removes it.
   */
  use(middleware: MessageMiddleware): () => void {
    if (typeof middleware !== 'function') throw new TypeError('middleware must be a function');
    const chain = this.dispatcher.middleware;
    chain.push(middleware);
    return () => {
      const i = chain.indexOf(middleware);
      if (i !== -1) chain.splice(i, 1);
    };
  }

  /** Handles binary messages in JSON mode (`null`: refuse them with close 1003, the default). */
  onBinary(handler: BinaryHandler | null): this {
    this.dispatcher.binaryHandler = handler;
    return this;
  }

  /**
   * Runs `fn` every `ms` ms until cancelled or the gateway closes. Errors go to the `error` event. With
   * `{ scope: 'cluster' }` it runs on one node of the cluster at a time (see `EveryOptions`).
   */
  every(ms: number, fn: () => unknown, options?: EveryOptions): TimerHandle {
    return this.timers.every(ms, fn, options);
  }

  /** Runs `fn` once after `ms` ms unless cancelled or the gateway closed first. */
  after(ms: number, fn: () => unknown): TimerHandle {
    return this.timers.after(ms, fn);
  }

  // ── sending ────────────────────────────────────────────────────────────────────────────────────────────────────

  /** Sends to every socket (GatewayWorker `sendToAll`), framed once. Resolves to the number of sockets written to. */
  async sendToAll(message: OutboundMessage, options?: SendToAllOptions): Promise<number> {
    const audience =
      options?.onlyBound === true ? ({ kind: 'all', onlyBound: true } as const) : ({ kind: 'all' } as const);
    if (this.streams?.enabled === true)
      return this.streams.sendToAll(audience, toPayload(message), excludeList(options));
    return this.adapter.broadcast(audience, toPayload(message), excludeList(options));
  }

  /** Sends to one socket or a list of sockets, wherever they are; each node frames once. */
  async sendToSocket(socketIds: SocketId | readonly SocketId[], message: OutboundMessage): Promise<number> {
    const payload = toPayload(message);
    if (typeof socketIds === 'string') {
      return this.command({ op: 'send', socketIds: [socketIds], payload }, socketIds);
    }
    const byNode = new Map<string, SocketId[]>();
    for (const id of socketIds) {
      const node = nodeOfSocketId(id);
      if (node === null) continue;
      const list = byNode.get(node);
      if (list === undefined) byNode.set(node, [id]);
      else list.push(id);
    }
    const counts: (number | Promise<number>)[] = [];
    for (const [node, ids] of byNode) {
      counts.push(
        node === this.nodeId
          ? this.node.sendTo(ids, payload)
          : this.adapter.forward(node, { op: 'send', socketIds: ids, payload }),
      );
    }
    return Promise.all(counts).then(sum);
  }

  /** Sends to every socket of one uid or several uids. */
  async sendToUid(
    uids: NameLike | readonly NameLike[],
    message: OutboundMessage,
    options?: ExcludeOptions,
  ): Promise<number> {
    const names = toNames('uid', uids);
    if (this.streams?.enabled === true) return this.streams.sendToUids(names, toPayload(message), excludeList(options));
    return this.adapter.broadcast({ kind: 'uids', uids: names }, toPayload(message), excludeList(options));
  }

  /** Sends to every socket in one group or several groups (a socket in two of them gets it once). */
  async sendToGroup(
    groups: NameLike | readonly NameLike[],
    message: OutboundMessage,
    options?: ExcludeOptions,
  ): Promise<number> {
    const names = toNames('group', groups);
    if (this.streams?.enabled === true)
      return this.streams.sendToGroups(names, toPayload(message), excludeList(options));
    return this.adapter.broadcast({ kind: 'groups', groups: names }, toPayload(message), excludeList(options));
  }

  /**
   * History on: the stored messages of `stream` (`all`, `group:<name>`, `uid:<uid>`) after `since` (same epoch), at
   * most `limit` (default and cap: `history.size`). Rejects with `GatewayError('history_off')` when history is off,
   * `invalid_argument` for a bad stream, limit or position.
   */
  async history(stream: string, request?: HistoryRequest): Promise<HistoryPage> {
    if (this.streams === null) throw new GatewayError(ErrorCode.HistoryOff, 'history is off');
    return this.streams.read(stream, request);
  }

  // ── uids and groups ────────────────────────────────────────────────────────────────────────────────────────────

  /**
   * Binds a socket to a uid (a uid may have many sockets; a socket has at most one uid — binding another replaces
   * it). Clears the socket's `authTimeout`. Resolves false if the socket doesn't exist.
   */
  async bindUid(socketId: SocketId, uid: NameLike): Promise<boolean> {
    return this.command({ op: 'bindUid', socketId, uid: toName('uid', uid) });
  }

  /** Unbinds the socket's uid (only if it is `uid`, when given). Resolves true if a uid was unbound. */
  async unbindUid(socketId: SocketId, uid?: NameLike): Promise<boolean> {
    return this.command(
      uid === undefined ? { op: 'unbindUid', socketId } : { op: 'unbindUid', socketId, uid: toName('uid', uid) },
    );
  }

  /**
   * Adds a socket to a group. Resolves false if the socket doesn't exist; rejects with `GatewayError`
   * `too_many_groups` if it is already in `maxGroupsPerSocket` other groups.
   */
  async joinGroup(socketId: SocketId, group: NameLike): Promise<boolean> {
    const result = await this.command({ op: 'joinGroup', socketId, group: toName('group', group) });
    if (result === TOO_MANY_GROUPS) {
      throw new GatewayError(
        ErrorCode.TooManyGroups,
        'the socket is in as many groups as allowed (maxGroupsPerSocket): leave one first',
      );
    }
    return result;
  }

  /** Removes a socket from a group. Resolves true if it was a member. */
  async leaveGroup(socketId: SocketId, group: NameLike): Promise<boolean> {
    return this.command({ op: 'leaveGroup', socketId, group: toName('group', group) });
  }

  /** Empties a group on every node. Resolves to the number of sockets removed. */
  async ungroup(group: NameLike): Promise<number> {
    return this.adapter.ungroup(toName('group', group));
  }

  // ── queries ────────────────────────────────────────────────────────────────────────────────────────────────────

  /** Is this socket connected (anywhere)? */
  async isOnline(socketId: SocketId): Promise<boolean> {
    return this.command({ op: 'isOnline', socketId });
  }

  /** Does this uid have at least one socket? */
  async isUidOnline(uid: NameLike): Promise<boolean> {
    return this.adapter.isUidOnline(toName('uid', uid));
  }

  /** The sockets bound to a uid. */
  async socketsOfUid(uid: NameLike): Promise<SocketId[]> {
    return this.adapter.socketsOfUid(toName('uid', uid));
  }

  /** The uid a socket is bound to, or null (unbound or no such socket). */
  async uidOfSocket(socketId: SocketId): Promise<Uid | null> {
    return this.command({ op: 'uidOf', socketId });
  }

  /** The groups a socket is in ([] for no such socket). */
  async groupsOfSocket(socketId: SocketId): Promise<GroupName[]> {
    return this.command({ op: 'groupsOf', socketId }).then((groups) => groups ?? []);
  }

  /** Every socket id, or the members of `group`. */
  async sockets(group?: NameLike): Promise<SocketId[]> {
    return this.adapter.sockets(optionalGroup(group));
  }

  /** Every bound uid, or the uids with a socket in `group`. */
  async uids(group?: NameLike): Promise<Uid[]> {
    return this.adapter.uids(optionalGroup(group));
  }

  /** Every non-empty group. */
  async groups(): Promise<GroupName[]> {
    return this.adapter.groups();
  }

  /** Number of sockets, overall or in `group`. */
  async socketCount(group?: NameLike): Promise<number> {
    return this.adapter.socketCount(optionalGroup(group));
  }

  /** Number of distinct bound uids, overall or in `group`. */
  async uidCount(group?: NameLike): Promise<number> {
    return this.adapter.uidCount(optionalGroup(group));
  }

  /** Session snapshots by socket id, of every socket or of the members of `group`. */
  async sessions(group?: NameLike): Promise<Record<SocketId, Session>> {
    return this.adapter.sessions(optionalGroup(group));
  }

  // ── sessions ───────────────────────────────────────────────────────────────────────────────────────────────────

  /** A snapshot (shallow copy) of a socket's session, or null if there is no such socket. */
  async getSession(socketId: SocketId): Promise<Session | null> {
    return this.command({ op: 'getSession', socketId });
  }

  /** Replaces a socket's session. Resolves false if there is no such socket. */
  async setSession(socketId: SocketId, session: Session): Promise<boolean> {
    return this.command({ op: 'setSession', socketId, session: toSession(session) });
  }

  /** Merges `patch` into a socket's session (shallow). Resolves false if there is no such socket. */
  async updateSession(socketId: SocketId, patch: Session): Promise<boolean> {
    return this.command({ op: 'updateSession', socketId, patch: toSession(patch) });
  }

  // ── control ────────────────────────────────────────────────────────────────────────────────────────────────────

  /** Closes a socket with a close handshake (default 1000). Resolves true if it was open. */
  async closeSocket(socketId: SocketId, code = 1000, reason = ''): Promise<boolean> {
    toCloseCode(code, reason);
    return this.command({ op: 'close', socketId, code, reason });
  }

  /**
   * Asks the socket `socketId`, wherever it is, and resolves with its answer's `data` — `socket.request` for a socket
   * id (see there for the wire and the error codes: the client's own, `timeout`, `disconnected`,
   * `too_many_requests`). A socket on another node is asked through the adapter (`data` must survive JSON), whose
   * `requestTimeout` (5 s by default) then also bounds the wait: past it, this rejects with `AdapterUnavailableError`.
   */
  async requestSocket<T = unknown>(
    socketId: SocketId,
    type: string,
    data?: unknown,
    options?: { timeout?: number },
  ): Promise<T> {
    if (typeof type !== 'string' || type.length === 0) throw new TypeError('request type must be a non-empty string');
    const timeout = options?.timeout ?? this.requests.defaultTimeout;
    if (!Number.isFinite(timeout) || timeout <= 0)
      throw new TypeError(`request timeout must be a positive number, got ${timeout}`);
    const command: SocketCommand =
      data === undefined
        ? { op: 'request', socketId, type, timeout }
        : { op: 'request', socketId, type, data, timeout };
    const outcome = (await this.command(command)) as RequestOutcome;
    if (outcome.ok) return outcome.data as T;
    throw new GatewayError(outcome.code, outcome.message);
  }

  /** The socket object if this node holds `socketId` (synchronous; null elsewhere). */
  localSocket(socketId: SocketId): GatewaySocket | null {
    return this.node.get(socketId) ?? null;
  }

  /** This node's numbers, cheap and synchronous (for `/status` and `/metrics`). */
  stats(): GatewayStats {
    const now = this.clock.now();
    return {
      ...this.counters,
      errorsByCode: { ...this.counters.errorsByCode },
      nodeId: this.nodeId,
      sockets: this.node.size,
      uids: this.node.uidIndexSize,
      groups: this.node.groupIndexSize,
      uptime: Math.floor((now - this.startedAt) / 1000),
      startedAt: this.startedAt,
      routes: this.dispatcher.routes.size,
    };
  }

  /**
   * The whole deployment: every node's stats and process numbers (this one first) and the presence store's counts,
   * gathered through the adapter. With peers, gathered at most twice a second (concurrent and repeated calls share
   * one gathering), so that polling `/status` can't make the nodes flood each other. Never rejects: with the adapter
   * down it answers this node's numbers and says why in `partial`.
   */
  clusterStats(): Promise<ClusterStats> {
    const now = this.clock.now();
    // A cluster of one asks nobody: always fresh.
    if (this.adapter instanceof MemoryAdapter) return this.gatherClusterStats(now);
    const view = this.clusterView;
    if (view !== null && (view.pending || now - view.at < CLUSTER_STATS_REUSE_MS)) return view.promise;
    const fresh = { at: now, pending: true, promise: this.gatherClusterStats(now) };
    fresh.promise.finally(() => (fresh.pending = false)).catch(() => undefined);
    this.clusterView = fresh;
    return fresh.promise;
  }

  private async gatherClusterStats(at: number): Promise<ClusterStats> {
    const adapter = this.adapter;
    const local = this.node.statsReport();
    try {
      const [nodes, sockets, uids, groups] = await Promise.all([
        adapter.nodeReports === undefined ? [local] : adapter.nodeReports(),
        adapter.socketCount(),
        adapter.uidCount(),
        adapter.groups(),
      ]);
      const [self, ...others] = nodes;
      others.sort((a, b) => (a.stats.nodeId < b.stats.nodeId ? -1 : 1));
      return { nodes: [self ?? local, ...others], presence: { sockets, uids, groups: groups.length }, at };
    } catch (error) {
      const { sockets, uids, groups } = local.stats;
      return { nodes: [local], presence: { sockets, uids, groups }, partial: String(error), at };
    }
  }

  /** True once `close()` was called. */
  get closed(): boolean {
    return this.closing !== null;
  }

  /**
   * Shuts down: stops the heartbeat and timers, closes every socket (1001 by default) and waits for them up to
   * `timeout` ms, closes the HTTP server if the gateway created it, then the adapter. Idempotent.
   */
  close(options?: GatewayCloseOptions): Promise<void> {
    if (this.closing === null) this.closing = this.shutdown(options);
    return this.closing;
  }

  private async shutdown(options: GatewayCloseOptions | undefined): Promise<void> {
    this.heartbeat?.stop();
    this.timers.clear();
    for (const socket of this.node.values()) this.authDeadlines.clear(socket);
    await this.wss?.close({
      code: options?.code ?? GatewayCloseCode.GoingAway,
      reason: options?.reason ?? GatewayCloseReason.GoingAway,
      timeout: options?.timeout ?? this.userOptions.shutdownTimeout ?? DEFAULT_GATEWAY_OPTIONS.shutdownTimeout,
    });
    const http = this.http;
    if (http !== null) {
      if (this.ownsHttp) {
        await new Promise<void>((resolve) => {
          if (!http.listening) return resolve();
          http.close(() => resolve());
          http.closeAllConnections();
        });
      } else {
        http.removeListener('request', this.httpHost.listener);
      }
    }
    try {
      await this.adapter.close();
    } catch (error) {
      this.events.emit('error', error, null);
    }
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────────────────────────────

  /** Runs a socket-addressed command where the socket lives: here, or on the node its id names (via the adapter). */
  private command<C extends SocketCommand>(command: C, socketId?: SocketId): Promise<SocketCommandResult<C>> {
    const id = socketId ?? (command as { socketId?: unknown }).socketId;
    if (!isSocketIdLike(id)) return Promise.resolve(absentResult(command));
    const node = nodeOfSocketId(id);
    if (node === this.nodeId) return this.node.execute(command);
    if (node === null) return Promise.resolve(absentResult(command));
    return this.adapter.forward(node, command);
  }

  private heartbeatTimeout(socket: GatewaySocket): void {
    this.counters.heartbeatTimeouts++;
    endWith(socket, GatewayCloseCode.HeartbeatTimeout, true);
  }

  private authExpired(socket: GatewaySocket): void {
    this.counters.authTimeouts++;
    endWith(socket, GatewayCloseCode.AuthTimeout);
  }

  private reportAsync(result: Promise<void> | void, socket: GatewaySocket): void {
    if (result !== undefined) result.catch((error: unknown) => this.events.emit('error', error, socket));
  }

  /** One handler object for all sockets of this gateway (the server's model: no closure per connection). */
  private socketHandlers(): SocketHandlers<GatewaySocket> {
    const gateway = this;
    const counters = this.counters;
    const authDeadlines = this.authDeadlines;
    return {
      open(ws: WsSocket<GatewaySocket>) {
        const socket = ws.data;
        // Refused by `authenticate`, answered in-band: closed before anything else sees it (auth-refusal.ts).
        if (socket instanceof RefusedSocket) return ws.close(socket.refusalCode, socket.refusalReason);
        socket.transport = ws;
        socket.counters = counters;
        socket.requester = gateway.requests;
        counters.connections++;
        gateway.reportAsync(gateway.node.add(socket), socket);
        authDeadlines.start(socket);
        gateway.recovery?.opened(socket);
        const req = socket.upgradeRequest as IncomingMessage;
        socket.upgradeRequest = null;
        gateway.events.emit('connect', socket, req);
      },
      message(ws, data, isBinary) {
        if (ws.data instanceof RefusedSocket) return;
        gateway.dispatcher.receive(ws.data, data, isBinary);
      },
      ping(ws) {
        markAlive(ws.data);
      },
      pong(ws) {
        markAlive(ws.data);
      },
      drain(ws) {
        // The peer is reading what we send: alive.
        markAlive(ws.data);
      },
      close(ws, code, reason) {
        const socket = ws.data;
        if (socket instanceof RefusedSocket) return;
        gateway.requests.closed(socket);
        gateway.reportAsync(gateway.node.remove(socket), socket);
        gateway.recovery?.closed(socket);
        const cause = socket.closeCode;
        if (cause === 0) gateway.events.emit('close', socket, code, reason);
        else gateway.events.emit('close', socket, cause, gatewayCloseReason(cause));
      },
    };
  }
}

/** The adapter's leases, if it implements both methods. */
function leasesOf(adapter: Adapter): LeaseStore | null {
  const { lease, releaseLease } = adapter;
  if (typeof lease !== 'function' || typeof releaseLease !== 'function') return null;
  return { lease: lease.bind(adapter), releaseLease: releaseLease.bind(adapter) };
}

function excludeList(options: ExcludeOptions | undefined): readonly SocketId[] {
  const exclude = options?.exclude;
  if (exclude === undefined) return [];
  return typeof exclude === 'string' ? [exclude] : exclude;
}

function optionalGroup(group: NameLike | undefined): GroupName | undefined {
  return group === undefined ? undefined : toName('group', group);
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}

/**
 * Creates a gateway and resolves once it is listening (standalone `port`, the default being any free port) or
 * attached to your `server`. See `GatewayOptions` for every option and its default.
 */
export async function createGateway(options: GatewayOptions = {}): Promise<Gateway> {
  const gateway = new Gateway(options);
  // In attach mode the HTTP server is yours: the built-in routes are opt-in there (`web: {}`).
  const web = options.web ?? (options.server === undefined ? {} : false);
  if (web !== false) gateway.web = installHttp(gateway, web);
  try {
    await gateway.start();
  } catch (error) {
    await gateway.close({ timeout: 0 }).catch(() => undefined);
    throw error;
  }
  return gateway;
}
