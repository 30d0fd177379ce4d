import { absentResult, type Adapter, type Audience, type PresenceChange, type SocketCommand, type SocketCommandResult } from '../adapter.js';
import type { LocalNode } from '../../local-node.js';
import { nodeOfSocketId } from '../../socket-id.js';
import type { GroupName, Payload, Session, SocketId, Uid } from '../../types.js';
import { AdapterEmitter, type AdapterEventName, type AdapterEvents } from '../emitter.js';
import { AdapterUnavailableError } from '../errors.js';
import { openLink, type RedisArgument, type RedisClientLike, type RedisLink } from './client.js';
import { RedisKeys } from './keys.js';
import { HEARTBEAT_SCRIPT, isNoScript, LuaScript, PRESENCE_SCRIPT, REAP_SCRIPT, ROUTE_UIDS_SCRIPT } from './scripts.js';
import { decodeWire, encodeWire, payloadOf, type BroadcastHeader, type RequestHeader, type WireHeader } from '../wire.js';
import { WaiterTable, type Waiter } from '../requests.js';

export interface RedisAdapterOptions {
  /**
   * A node-redis v4+ client (`createClient({ url })` from `redis`) or an ioredis client (`new Redis(url)`), used as a
   * template: the adapter opens its own two connections with `duplicate()` and closes them when the gateway closes.
   */
  client: RedisClientLike;
  /** Separates wsgate clusters that share one Redis (part of every key and channel). Default `'default'`. */
  namespace?: string;
  /**
   * How long a node's presence outlives its last heartbeat (heartbeats every `presenceTtl / 3`). A node killed
   * without a goodbye leaves presence within `presenceTtl + reapInterval`. Default 20,000 ms.
   */
  presenceTtl?: number;
  /** How often each node looks for expired nodes and removes their sockets. Default `presenceTtl / 10`. */
  reapInterval?: number;
  /** How long to wait for another node's reply or acknowledgement before rejecting. Default 5,000 ms. */
  requestTimeout?: number;
  /** `attach` (gateway start) fails if Redis isn't reachable within this many ms. Default 10,000. */
  connectTimeout?: number;
}

/** Redis adapter defaults, in one place. */
export const DEFAULT_REDIS_ADAPTER_OPTIONS = {
  namespace: 'default',
  presenceTtl: 20_000,
  requestTimeout: 5_000,
  connectTimeout: 10_000,
  /** Sockets removed per reaper script call (bounds how long one call blocks Redis). */
  reapBatch: 500,
  /** Presence changes written per script call. */
  writeBatch: 500,
} as const;


type PresenceOp = [op: string, socketId: string, arg: string];

/**
 * Scale-out over Redis, for gateways on several machines:
 *
 * - presence (uid → sockets, group → sockets, uid counts per group, every socket) is stored in Redis by Lua scripts,
 *   so `isUidOnline`, counts and member lists are one Redis command whatever the number of nodes;
 * - socket-addressed operations are published on the owning node's channel (the socket id names it) and answered
 *   on the caller's; `sendToUid` is routed by a script to the nodes that hold the uid's sockets;
 * - `sendToGroup` is published on the group's channel, which a node subscribes to only while it has local members;
 *   `sendToAll` on a channel every node subscribes to. Every receiving node acknowledges with the number of sockets
 *   it wrote to, so the promise resolves to the real total;
 * - each node refreshes a heartbeat every `presenceTtl / 3`; every node reaps the presence of nodes whose heartbeat
 *   expired, so a node killed with SIGKILL leaves presence within `presenceTtl + reapInterval`;
 * - during a Redis outage local delivery goes on; cross-node sends and queries reject with `AdapterUnavailableError`
 *   (sends after delivering locally); when Redis is back the node subscribes again and rewrites its whole presence.
 */
export class RedisAdapter implements Adapter {
  readonly keys: RedisKeys;
  private readonly client: RedisClientLike;
  private readonly ttl: number;
  private readonly reapEvery: number;
  private readonly timeout: number;
  private readonly connectTimeout: number;
  private readonly events = new AdapterEmitter();
  private readonly waiters = new WaiterTable();
  private readonly scripts = {
    presence: new LuaScript(PRESENCE_SCRIPT),
    heartbeat: new LuaScript(HEARTBEAT_SCRIPT),
    reap: new LuaScript(REAP_SCRIPT),
    routeUids: new LuaScript(ROUTE_UIDS_SCRIPT),
  };

  private node: LocalNode | null = null;
  private pub: RedisLink | null = null;
  private sub: RedisLink | null = null;
  private started = false;
  private closed = false;
  /** Redis holds this node's presence (false from a connection loss until the whole presence is written again). */
  private registered = false;
  /** The subscriber connection is up and every wanted channel is subscribed. */
  private subscribed = false;
  private wasUp = false;
  /** Channels this node wants (own node channel, `all`, groups with local members) and those applied in Redis. */
  private readonly wanted = new Set<string>();
  private readonly applied = new Set<string>();
  private readonly channelOps = new Map<string, Promise<void>>();
  /** Presence changes not yet written, flushed once per tick in one script call. */
  private queue: PresenceOp[] = [];
  private queueWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private flushScheduled = false;
  private resyncing: Promise<void> | null = null;
  /** Ids of multi-group messages already delivered (`origin:id` → when). */
  private readonly seen = new Map<string, number>();
  /** Replies not yet published, by asking node. */
  private readonly replies = new Map<string, [id: number, value: unknown][]>();
  private repliesScheduled = false;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private reapTimer: NodeJS.Timeout | null = null;
  private reaping = false;

  constructor(options: RedisAdapterOptions) {
    const d = DEFAULT_REDIS_ADAPTER_OPTIONS;
    if (options === null || typeof options !== 'object' || options.client == null) throw new TypeError('RedisAdapter needs { client }: a node-redis v4+ or ioredis client');
    this.client = options.client;
    this.keys = new RedisKeys(options.namespace ?? d.namespace);
    this.ttl = positive('presenceTtl', options.presenceTtl ?? d.presenceTtl);
    this.reapEvery = positive('reapInterval', options.reapInterval ?? Math.max(50, Math.round(this.ttl / 10)));
    this.timeout = positive('requestTimeout', options.requestTimeout ?? d.requestTimeout);
    this.connectTimeout = positive('connectTimeout', options.connectTimeout ?? d.connectTimeout);
  }

  /** Listens to `up`, `down`, `resync` or `error`; returns a function that removes the listener. */
  on<K extends AdapterEventName>(event: K, listener: AdapterEvents[K]): () => void {
    return this.events.on(event, listener);
  }

  /** This node's id (once attached). */
  get nodeId(): string {
    return this.local.nodeId;
  }

  /** True while cross-node sends and queries can work (connected, subscribed, presence registered). */
  get available(): boolean {
    return !this.closed && this.pub !== null && this.pub.ready && this.registered && this.subscribed;
  }

  // ── lifecycle ──────────────────────────────────────────────────────────────────────────────────────────────────

  async attach(node: LocalNode): Promise<void> {
    if (this.node !== null) throw new Error('this RedisAdapter is already attached to a gateway');
    this.node = node;
    const pub = openLink(this.client, 'command', {
      up: () => this.pubUp(),
      down: () => this.pubDown(),
      error: (error) => this.events.emit('error', error),
      message: () => undefined,
    });
    const sub = openLink(this.client, 'subscriber', {
      up: () => this.subUp(),
      down: () => this.subDown(),
      error: (error) => this.events.emit('error', error),
      message: (_channel, message) => this.receive(message),
    });
    this.pub = pub;
    this.sub = sub;
    try {
      await withTimeout(Promise.all([pub.connect(), sub.connect()]), this.connectTimeout, `cannot connect to Redis within ${this.connectTimeout} ms`);
      this.wanted.add(this.keys.nodeChannel(node.nodeId));
      this.wanted.add(this.keys.allChannel);
      await this.resubscribe();
      await this.resync();
      if (!this.registered) throw new AdapterUnavailableError('could not register this node\'s presence in Redis');
    } catch (error) {
      this.closed = true;
      await Promise.all([pub.close(), sub.close()]);
      throw error;
    }
    this.started = true;
    this.wasUp = true;
    this.heartbeatTimer = setInterval(() => this.heartbeat(), Math.max(10, Math.floor(this.ttl / 3)));
    this.heartbeatTimer.unref();
    this.scheduleReap();
    this.events.emit('up');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    if (this.reapTimer !== null) clearTimeout(this.reapTimer);
    const pub = this.pub;
    if (pub !== null && pub.ready && this.node !== null) {
      // Leave presence now rather than after the TTL: forget every socket of this node, then the node.
      await withTimeout(
        Promise.all([
          this.scripts.presence.run(pub, [this.keys.nodes], [this.keys.prefix, this.node.nodeId, 'R', '', '']),
          pub.command(['ZREM', this.keys.nodes, this.node.nodeId]),
        ]),
        this.timeout,
        'timeout',
      ).catch(() => undefined);
    }
    this.waiters.failAll(new AdapterUnavailableError('the adapter is closed'));
    for (const w of this.queueWaiters.splice(0)) w.resolve();
    await Promise.all([pub?.close(), this.sub?.close()]);
  }

  private pubUp(): void {
    if (!this.started || this.closed) return;
    // Redis may have lost everything (restart) or reaped us: write the whole presence again.
    this.registered = false;
    this.inBackground(this.resync().then(() => this.maybeUp()));
  }

  private pubDown(): void {
    if (!this.started || this.closed) return;
    this.registered = false;
    this.maybeDown('Redis connection lost');
  }

  private subUp(): void {
    if (!this.started || this.closed) return;
    this.inBackground(this.resubscribe().then(() => this.maybeUp()));
  }

  private subDown(): void {
    if (!this.started || this.closed) return;
    this.subscribed = false;
    // Replies and acknowledgements travel on this connection: nobody waiting will hear back.
    this.waiters.failAll(new AdapterUnavailableError('Redis subscriber connection lost'));
    this.maybeDown('Redis subscriber connection lost');
  }

  private maybeUp(): void {
    if (this.available && !this.wasUp) {
      this.wasUp = true;
      this.events.emit('up');
    }
  }

  private maybeDown(reason: string): void {
    if (this.wasUp) {
      this.wasUp = false;
      this.events.emit('down', reason);
    }
  }

  // ── presence writes ────────────────────────────────────────────────────────────────────────────────────────────

  presenceChanged(change: PresenceChange): Promise<void> | void {
    if (this.node === null || this.closed) return;
    let subscription: Promise<void> | null = null;
    let op: PresenceOp;
    switch (change.type) {
      case 'connect':
        op = ['c', change.socketId, ''];
        break;
      case 'disconnect':
        op = ['d', change.socketId, ''];
        for (const group of change.groups) this.inBackground(this.syncGroupChannel(group));
        break;
      case 'bind':
        op = ['b', change.socketId, change.uid];
        break;
      case 'unbind':
        op = ['u', change.socketId, change.uid];
        break;
      case 'join':
        op = ['j', change.socketId, change.group];
        // A send to the group right after joinGroup resolved must reach this node: wait for the subscription.
        subscription = this.syncGroupChannel(change.group);
        break;
      case 'leave':
        op = ['l', change.socketId, change.group];
        this.inBackground(this.syncGroupChannel(change.group));
        break;
    }
    const write = this.write(op);
    return subscription === null ? write : Promise.all([write, subscription]).then(noop);
  }

  /** Queues a presence change; all changes of one tick go out in one script call, in order. */
  private write(op: PresenceOp): Promise<void> | void {
    // Not registered: the coming re-registration writes the node's current state, this change included.
    if (!this.registered) return;
    this.queue.push(op);
    const done = new Promise<void>((resolve, reject) => this.queueWaiters.push({ resolve, reject }));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
    return done;
  }

  private flush(): void {
    this.flushScheduled = false;
    const ops = this.queue;
    const waiters = this.queueWaiters;
    this.queue = [];
    this.queueWaiters = [];
    if (ops.length === 0) return;
    const pub = this.pub;
    if (pub === null || !this.registered || !pub.ready) {
      this.lostPresence();
      for (const w of waiters) w.resolve();
      return;
    }
    const writes: Promise<unknown>[] = [];
    const batch = DEFAULT_REDIS_ADAPTER_OPTIONS.writeBatch;
    for (let i = 0; i < ops.length; i += batch) writes.push(this.runPresence(pub, ops.slice(i, i + batch)));
    Promise.all(writes).then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (error: unknown) => {
        if (isNoScript(error) || !pub.ready) {
          // Redis restarted or the connection dropped mid-write: the re-registration will carry these changes.
          this.lostPresence();
          for (const w of waiters) w.resolve();
        } else {
          for (const w of waiters) w.reject(error);
        }
      },
    );
  }

  private runPresence(pub: RedisLink, ops: readonly PresenceOp[]): Promise<unknown> {
    const args: RedisArgument[] = [this.keys.prefix, this.local.nodeId];
    for (const [op, id, arg] of ops) args.push(op, id, arg);
    return this.scripts.presence.run(pub, [this.keys.nodes], args);
  }

  /** Redis no longer mirrors this node's presence: write it all again as soon as possible. */
  private lostPresence(): void {
    this.registered = false;
    if (this.pub?.ready === true) this.inBackground(this.resync().then(() => this.maybeUp()));
  }

  /**
   * Writes this node's whole presence: scripts loaded, heartbeat, then "forget every socket of this node" followed
   * by every socket, uid and group — issued in one tick on one connection, so Redis runs them in that order and
   * changes made after this call are written after them.
   */
  private resync(): Promise<void> {
    if (this.resyncing !== null) return this.resyncing;
    const pub = this.pub;
    if (pub === null || !pub.ready || this.closed) return Promise.resolve();
    const node = this.local;
    const ops: PresenceOp[] = [['R', '', '']];
    for (const socket of node.values()) {
      ops.push(['c', socket.id, '']);
      if (socket.boundUid !== null) ops.push(['b', socket.id, socket.boundUid]);
      for (const group of socket.groups) ops.push(['j', socket.id, group]);
    }
    // Changes queued before now are part of this snapshot.
    this.queue = [];
    const earlier = this.queueWaiters.splice(0);
    this.registered = true;
    const writes: Promise<unknown>[] = [];
    for (const script of Object.values(this.scripts)) writes.push(script.load(pub));
    writes.push(this.scripts.heartbeat.run(pub, [this.keys.nodes], [this.keys.prefix, node.nodeId, String(this.ttl)]));
    const batch = DEFAULT_REDIS_ADAPTER_OPTIONS.writeBatch;
    for (let i = 0; i < ops.length; i += batch) writes.push(this.runPresence(pub, ops.slice(i, i + batch)));
    const sockets = node.size;
    // Bounded: a write that never settles must not block every later re-registration.
    const run = withTimeout(Promise.all(writes), this.timeout, 're-registering presence timed out').then(
      () => {
        for (const w of earlier) w.resolve();
        this.events.emit('resync', sockets);
      },
      (error: unknown) => {
        for (const w of earlier) w.resolve();
        this.registered = false;
        this.events.emit('error', error);
      },
    );
    this.resyncing = run.finally(() => {
      this.resyncing = null;
    });
    return this.resyncing;
  }

  private heartbeat(): void {
    const pub = this.pub;
    // Repairs: a re-subscription that failed (connection lost again half-way) is retried here.
    if (!this.closed && !this.subscribed && this.sub?.ready === true) this.inBackground(this.resubscribe().then(() => this.maybeUp()));
    if (this.closed || pub === null || !pub.ready) return;
    if (!this.registered) {
      this.inBackground(this.resync().then(() => this.maybeUp()));
      return;
    }
    this.scripts.heartbeat.run(pub, [this.keys.nodes], [this.keys.prefix, this.local.nodeId, String(this.ttl)]).then(
      (wasAlive) => {
        // Our heartbeat had expired (a long stall, a partition): others may have reaped our presence.
        if (wasAlive !== 1 && !this.closed) this.lostPresence();
      },
      (error: unknown) => {
        if (isNoScript(error)) this.lostPresence();
        else this.events.emit('error', error);
      },
    );
    // Copies of a multi-group message arrive within moments of each other; after twice the request timeout the
    // sender has long stopped waiting.
    const old = Date.now() - 2 * this.timeout;
    for (const [id, at] of this.seen) {
      if (at >= old) break;
      this.seen.delete(id);
    }
  }

  private scheduleReap(): void {
    if (this.closed) return;
    // ±20 % jitter so that nodes don't all reap at the same moment.
    const delay = Math.round(this.reapEvery * (0.8 + Math.random() * 0.4));
    this.reapTimer = setTimeout(() => {
      this.inBackground(this.reap().finally(() => this.scheduleReap()));
    }, delay);
    this.reapTimer.unref();
  }

  /** Removes the presence of nodes whose heartbeat expired, a bounded batch per script call. */
  async reap(): Promise<number> {
    const pub = this.pub;
    if (this.reaping || this.closed || pub === null || !pub.ready) return 0;
    this.reaping = true;
    let removed = 0;
    try {
      for (let i = 0; i < 100; i++) {
        const result = await this.scripts.reap.run(pub, [this.keys.nodes], [this.keys.prefix, String(DEFAULT_REDIS_ADAPTER_OPTIONS.reapBatch)]);
        if (!Array.isArray(result)) break;
        removed += Number(result[1]);
      }
    } catch (error) {
      this.events.emit('error', error);
    } finally {
      this.reaping = false;
    }
    return removed;
  }

  // ── subscriptions ──────────────────────────────────────────────────────────────────────────────────────────────

  /** Subscribes to a group's channel while this node has members in it, unsubscribes after the last one left. */
  private syncGroupChannel(group: GroupName): Promise<void> {
    const channel = this.keys.groupChannel(group);
    if (this.local.socketCount(group) > 0) this.wanted.add(channel);
    else this.wanted.delete(channel);
    return this.syncChannel(channel);
  }

  /** Brings one channel to its wanted state; operations on a channel run one after the other. */
  private syncChannel(channel: string): Promise<void> {
    const previous = this.channelOps.get(channel) ?? Promise.resolve();
    const next = previous.then(() => this.applyChannel(channel));
    this.channelOps.set(channel, next);
    this.inBackground(
      next.finally(() => {
        if (this.channelOps.get(channel) === next) this.channelOps.delete(channel);
      }),
    );
    return next;
  }

  private async applyChannel(channel: string): Promise<void> {
    const sub = this.sub;
    if (sub === null || !sub.ready || this.closed) return; // redone by resubscribe() when the connection is back
    const want = this.wanted.has(channel);
    if (want === this.applied.has(channel)) return;
    try {
      if (want) {
        await withTimeout(sub.subscribe(channel), this.timeout, 'SUBSCRIBE timed out');
        this.applied.add(channel);
      } else {
        this.applied.delete(channel);
        await withTimeout(sub.unsubscribe(channel), this.timeout, 'UNSUBSCRIBE timed out');
      }
    } catch (error) {
      this.events.emit('error', error);
    }
  }

  /** (Re)subscribes every wanted channel and drops the others (after connecting, and after every reconnection). */
  private async resubscribe(): Promise<void> {
    const sub = this.sub;
    if (sub === null || !sub.ready) return;
    const ops: Promise<unknown>[] = [];
    for (const channel of this.wanted) ops.push(sub.subscribe(channel));
    for (const channel of this.applied) if (!this.wanted.has(channel)) ops.push(sub.unsubscribe(channel));
    this.applied.clear();
    for (const channel of this.wanted) this.applied.add(channel);
    try {
      await withTimeout(Promise.all(ops), this.timeout, 're-subscribing timed out');
      this.subscribed = sub.ready;
    } catch (error) {
      this.subscribed = false;
      if (!this.started) throw error;
      this.events.emit('error', error);
    }
  }

  // ── sending ────────────────────────────────────────────────────────────────────────────────────────────────────

  async broadcast(audience: Audience, payload: Payload, exclude: readonly SocketId[]): Promise<number> {
    const node = this.local;
    const local = node.deliver(audience, payload, exclude);
    if (audience.kind === 'groups' && audience.groups.length === 0) return local;
    if (audience.kind === 'uids' && audience.uids.length === 0) return local;
    const pub = this.usable(local);
    const waiter = this.waiters.create('sum', local);
    const header: BroadcastHeader = {
      k: 'b',
      o: node.nodeId,
      m: waiter.id,
      a: audience,
      ...(exclude.length > 0 ? { x: exclude } : {}),
      bin: payload.binary,
      ...(audience.kind === 'groups' && audience.groups.length > 1 ? { d: 1 as const } : {}),
    };
    const message = encodeWire(header, payload);
    let received: number;
    try {
      received = await this.publishAudience(pub, audience, message);
    } catch (error) {
      waiter.cancel();
      throw new AdapterUnavailableError('could not publish to Redis', { delivered: local, cause: error });
    }
    const remote = (await waiter.expect(received, this.timeout)) as number;
    return local + remote;
  }

  private async publishAudience(pub: RedisLink, audience: Audience, message: Buffer): Promise<number> {
    switch (audience.kind) {
      case 'all':
        return Number(await pub.command(['PUBLISH', this.keys.allChannel, message]));
      case 'groups': {
        const counts = await Promise.all(audience.groups.map((g) => pub.command(['PUBLISH', this.keys.groupChannel(g), message])));
        return counts.reduce<number>((sum, n) => sum + Number(n), 0);
      }
      case 'uids': {
        const args: RedisArgument[] = [this.keys.prefix, this.local.nodeId, message, ...new Set(audience.uids)];
        return Number(await this.scripts.routeUids.run(pub, [this.keys.nodes], args));
      }
    }
  }

  async forward<C extends SocketCommand>(nodeId: string, command: C): Promise<SocketCommandResult<C>> {
    const node = this.local;
    const pub = this.usable(0);
    const waiter = this.waiters.create('reply');
    const header: RequestHeader =
      command.op === 'send'
        ? { k: 'q', o: node.nodeId, m: waiter.id, c: { op: 'send', socketIds: command.socketIds, bin: command.payload.binary } }
        : { k: 'q', o: node.nodeId, m: waiter.id, c: command };
    const message = encodeWire(header, command.op === 'send' ? command.payload : null);
    // Nobody listening on that node's channel: the node is gone (or never existed).
    if (!(await this.publishRequest(pub, nodeId, message, waiter))) return absentResult(command);
    return (await waiter.expect(1, this.timeout)) as SocketCommandResult<C>;
  }

  async ungroup(group: GroupName): Promise<number> {
    const node = this.local;
    const local = await node.ungroup(group);
    const pub = this.usable(0);
    const waiter = this.waiters.create('sum', local);
    const message = encodeWire({ k: 'u', o: node.nodeId, m: waiter.id, g: group });
    let received: number;
    try {
      received = Number(await pub.command(['PUBLISH', this.keys.groupChannel(group), message]));
    } catch (error) {
      waiter.cancel();
      throw new AdapterUnavailableError('could not publish to Redis', { delivered: local, cause: error });
    }
    return local + ((await waiter.expect(received, this.timeout)) as number);
  }

  // ── receiving ──────────────────────────────────────────────────────────────────────────────────────────────────

  private receive(message: Buffer): void {
    if (this.node === null || this.closed) return;
    const decoded = decodeWire(message);
    if (decoded === null) return;
    const { header, body } = decoded;
    const self = this.node.nodeId;
    switch (header.k) {
      case 'r':
        this.waiters.reply(header.m, header.v, header.o);
        return;
      case 'R':
        for (const [id, value] of header.a) this.waiters.reply(id, value, header.o);
        return;
      case 'b': {
        // Our own message (we were subscribed when it was published): local delivery is done, count the receipt.
        if (header.o === self) return this.waiters.reply(header.m, 0, self);
        let written = 0;
        if (header.d !== 1 || this.firstCopy(header)) {
          written = this.node.deliver(header.a, payloadOf(body, header.bin), header.x ?? []);
        }
        return this.reply(header.o, header.m, written);
      }
      case 'u':
        if (header.o === self) return this.waiters.reply(header.m, 0, self);
        void this.node.ungroup(header.g).then(
          (n) => this.reply(header.o, header.m, n),
          () => this.reply(header.o, header.m, 0),
        );
        return;
      case 'q':
        this.inBackground(this.execute(header, body));
        return;
      case 's': {
        const sessions = this.node.sessions(header.g);
        return this.reply(header.o, header.m, sessions);
      }
    }
  }

  private firstCopy(header: BroadcastHeader): boolean {
    const key = `${header.o}:${header.m}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, Date.now());
    return true;
  }

  private async execute(header: RequestHeader, body: Buffer): Promise<void> {
    const c = header.c;
    const command: SocketCommand = c.op === 'send' && 'bin' in c ? { op: 'send', socketIds: c.socketIds, payload: payloadOf(body, c.bin) } : (c as SocketCommand);
    let value: unknown;
    try {
      value = await this.local.execute(command);
    } catch {
      value = absentResult(command);
    }
    this.reply(header.o, header.m, value);
  }

  /** Answers node `to`; the answers of one tick to one node go out in one message. */
  private reply(to: string, id: number, value: unknown): void {
    let list = this.replies.get(to);
    if (list === undefined) {
      list = [];
      this.replies.set(to, list);
    }
    list.push([id, value]);
    if (!this.repliesScheduled) {
      this.repliesScheduled = true;
      queueMicrotask(() => this.flushReplies());
    }
  }

  private flushReplies(): void {
    this.repliesScheduled = false;
    const pub = this.pub;
    for (const [to, list] of this.replies) {
      if (pub === null || !pub.ready) break; // the askers time out
      const o = this.local.nodeId;
      let message: Buffer;
      try {
        message = encodeReplies(o, list);
      } catch (error) {
        // A value JSON can't encode (an application put a cyclic or BigInt value in a session): this runs in a
        // microtask, where a throw would end the process. Report it; those askers get null, the others their value.
        this.events.emit('error', error);
        message = encodeReplies(o, list.map(([id, value]) => [id, encodesAsJson(value) ? value : null]));
      }
      pub.command(['PUBLISH', this.keys.nodeChannel(to), message]).catch((error: unknown) => this.events.emit('error', error));
    }
    this.replies.clear();
  }

  // ── presence queries: one Redis command each, whatever the number of nodes ─────────────────────────────────────

  async isUidOnline(uid: Uid): Promise<boolean> {
    return Number(await this.query(['EXISTS', this.keys.uid(uid)])) === 1;
  }

  async socketsOfUid(uid: Uid): Promise<SocketId[]> {
    return strings(await this.query(['SMEMBERS', this.keys.uid(uid)]));
  }

  async sockets(group?: GroupName): Promise<SocketId[]> {
    return strings(await this.query(group === undefined ? ['HKEYS', this.keys.sockets] : ['SMEMBERS', this.keys.group(group)]));
  }

  async uids(group?: GroupName): Promise<Uid[]> {
    return strings(await this.query(group === undefined ? ['SMEMBERS', this.keys.uids] : ['HKEYS', this.keys.groupUids(group)]));
  }

  async groups(): Promise<GroupName[]> {
    return strings(await this.query(['SMEMBERS', this.keys.groups]));
  }

  async socketCount(group?: GroupName): Promise<number> {
    return Number(await this.query(group === undefined ? ['HLEN', this.keys.sockets] : ['SCARD', this.keys.group(group)]));
  }

  async uidCount(group?: GroupName): Promise<number> {
    return Number(await this.query(group === undefined ? ['SCARD', this.keys.uids] : ['HLEN', this.keys.groupUids(group)]));
  }

  /**
   * Sessions live on the nodes that hold the sockets, not in Redis: one presence read names those nodes, then each
   * of them is asked once (in parallel). Bounded by the nodes that hold members, not by the cluster size.
   */
  async sessions(group?: GroupName): Promise<Record<SocketId, Session>> {
    const node = this.local;
    const members = strings(await this.query(group === undefined ? ['HKEYS', this.keys.sockets] : ['SMEMBERS', this.keys.group(group)]));
    const nodes = new Set<string>();
    for (const id of members) {
      const owner = nodeOfSocketId(id);
      if (owner !== null && owner !== node.nodeId) nodes.add(owner);
    }
    const result: Record<SocketId, Session> = node.sessions(group);
    const parts = await Promise.all([...nodes].map((n) => this.askSessions(n, group)));
    for (const part of parts) Object.assign(result, part);
    return result;
  }

  /**
   * Publishes a request on `nodeId`'s channel. False (and the waiter cancelled) when no node listens there; a
   * failed publish cancels the waiter and throws `AdapterUnavailableError`.
   */
  private async publishRequest(pub: RedisLink, nodeId: string, message: Buffer, waiter: Waiter): Promise<boolean> {
    let received: number;
    try {
      received = Number(await pub.command(['PUBLISH', this.keys.nodeChannel(nodeId), message]));
    } catch (error) {
      waiter.cancel();
      throw new AdapterUnavailableError('could not publish to Redis', { cause: error });
    }
    if (received === 0) waiter.cancel();
    return received !== 0;
  }

  private async askSessions(nodeId: string, group: GroupName | undefined): Promise<Record<SocketId, Session>> {
    const pub = this.usable(0);
    const waiter = this.waiters.create('reply');
    const message = encodeWire(group === undefined ? { k: 's', o: this.local.nodeId, m: waiter.id } : { k: 's', o: this.local.nodeId, m: waiter.id, g: group });
    if (!(await this.publishRequest(pub, nodeId, message, waiter))) return {};
    return ((await waiter.expect(1, this.timeout)) as Record<SocketId, Session> | null) ?? {};
  }

  private async query(args: RedisArgument[]): Promise<unknown> {
    const pub = this.pub;
    if (this.closed || pub === null || !pub.ready) throw new AdapterUnavailableError('Redis is unavailable');
    try {
      return await pub.command(args);
    } catch (error) {
      throw new AdapterUnavailableError('Redis query failed', { cause: error });
    }
  }

  /** The command connection when cross-node work can be done, else the error for the caller. */
  private usable(delivered: number): RedisLink {
    const pub = this.pub;
    if (this.closed) throw new AdapterUnavailableError('the adapter is closed', { delivered });
    if (pub === null || !pub.ready || !this.subscribed) throw new AdapterUnavailableError('Redis is unavailable', { delivered });
    return pub;
  }

  /** Work no caller waits for: a rejection becomes an `error` event, never an unhandled rejection. */
  private inBackground(work: Promise<unknown>): void {
    work.catch((error: unknown) => this.events.emit('error', error));
  }

  private get local(): LocalNode {
    if (this.node === null) throw new Error('RedisAdapter used before attach()');
    return this.node;
  }
}

/** One reply message (`r`) or a batch (`R`) from node `o`. */
function encodeReplies(o: string, list: readonly [id: number, value: unknown][]): Buffer {
  const header: WireHeader = list.length === 1 ? { k: 'r', o, m: list[0]![0], v: list[0]![1] } : { k: 'R', o, m: 0, a: [...list] };
  return encodeWire(header);
}

function encodesAsJson(value: unknown): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

/** A node-redis or ioredis reply as a list of strings. */
function strings(reply: unknown): string[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((item: unknown) => (Buffer.isBuffer(item) ? item.toString() : String(item)));
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number, got ${value}`);
  return value;
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AdapterUnavailableError(message)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function noop(): void {}
