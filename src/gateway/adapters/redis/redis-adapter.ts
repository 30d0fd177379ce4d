import type { PresenceChange } from '../adapter.js';
import { positive, ScaleOutAdapter, type Target } from '../base.js';
import { AdapterUnavailableError } from '../errors.js';
import type { AdapterHistory, HistoryLimits } from '../history.js';
import { decodePublicationBytes, isPublicationBytes } from '../publication-wire.js';
import { decodeBytes, encodeBytes, type NodeReplies, type NodeRequest } from '../wire.js';
import type { LocalNode } from '../../core/local-node.js';
import type { GroupName, SocketId, Uid } from '../../core/types.js';
import { openLink, type RedisArgument, type RedisClientLike, type RedisLink } from './client.js';
import { RedisHistory } from './history.js';
import { Health, isRegistered, isSubscribed, transition, type HealthEvent } from './health.js';
import { RedisKeys } from './keys.js';
import { RedisLeases } from './lease.js';
import { checkLease } from '../lease.js';
import { PresenceWriter } from './presence.js';
import { Reaper } from './reaper.js';
import { Subscriptions } from './subscriptions.js';
import { withTimeout } from './timeout.js';

/** Options of `new RedisAdapter(options)`; only `client` is required. */
export interface RedisAdapterOptions {
  /**
   * A node-redis v4+ client (`createClient({ url })` from `redis`) or an ioredis client (`new Redis(url)`), used as a
   * template: the adapter opens its own two connections with `duplicate()` and closes them when the gateway closes.
   */
  client: RedisClientLike;
  /**
   * Separates wsgate clusters that share one Redis (part of every key and channel).
   *
   * @defaultValue `'default'`
   */
  namespace?: string;
  /**
   * How long a node's presence outlives its last heartbeat (heartbeats every `presenceTtl / 3`). A node killed
   * without a goodbye leaves presence within `presenceTtl + reapInterval`. In ms.
   *
   * @defaultValue `20_000`
   */
  presenceTtl?: number;
  /**
   * How often each node looks for expired nodes and removes their sockets, in ms.
   *
   * @defaultValue `presenceTtl / 10`
   */
  reapInterval?: number;
  /**
   * How long to wait for another node's reply or acknowledgement before rejecting, in ms.
   *
   * @defaultValue `5_000`
   */
  requestTimeout?: number;
  /**
   * `attach` (gateway start) fails if Redis isn't reachable within this many ms.
   *
   * @defaultValue `10_000`
   */
  connectTimeout?: number;
}

/** Redis adapter defaults, in one place. */
export const DEFAULT_REDIS_ADAPTER_OPTIONS = {
  /** {@link RedisAdapterOptions.namespace} */
  namespace: 'default',
  /** {@link RedisAdapterOptions.presenceTtl} */
  presenceTtl: 20_000,
  /** {@link RedisAdapterOptions.requestTimeout} */
  requestTimeout: 5_000,
  /** {@link RedisAdapterOptions.connectTimeout} */
  connectTimeout: 10_000,
} as const;

/**
 * Scale-out over Redis, for gateways on several machines:
 *
 * - presence (uid → sockets, group → sockets, uid counts per group, every socket) is stored in Redis by Lua scripts
 *   (presence.ts), so `isUidOnline`, counts and member lists are one Redis command whatever the number of nodes;
 * - socket-addressed operations are published on the owning node's channel (the socket id names it) and answered
 *   on the caller's; `sendToUid` is routed by a script to the nodes that hold the uid's sockets;
 * - `sendToGroup` is published on the group's channel, which a node subscribes to only while it has local members
 *   (subscriptions.ts); `sendToAll` on a channel every node subscribes to. Every receiving node acknowledges with
 *   the number of sockets it wrote to, so the promise resolves to the real total (base.ts);
 * - each node refreshes a heartbeat every `presenceTtl / 3`; every node reaps the presence of nodes whose heartbeat
 *   expired (reaper.ts), so a node killed with SIGKILL leaves presence within `presenceTtl + reapInterval`;
 * - during a Redis outage local delivery goes on; cross-node sends and queries reject with `AdapterUnavailableError`
 *   (sends after delivering locally); when Redis is back the node subscribes again and rewrites its whole presence
 *   (health.ts has the states).
 */
export class RedisAdapter extends ScaleOutAdapter {
  /** @internal The Redis keys and channels of this adapter's namespace. */
  readonly keys: RedisKeys;
  private readonly client: RedisClientLike;
  private readonly ttl: number;
  private readonly reapEvery: number;
  private readonly connectTimeout: number;
  private state = Health.Starting;
  private pub: RedisLink | null = null;
  private sub: RedisLink | null = null;
  private readonly subscriptions: Subscriptions;
  private presence: PresenceWriter | null = null;
  private reaper: Reaper | null = null;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private readonly leases: RedisLeases;
  private history: RedisHistory | null = null;

  constructor(options: RedisAdapterOptions) {
    if (options === null || typeof options !== 'object' || options.client == null)
      throw new TypeError('RedisAdapter needs { client }: a node-redis v4+ or ioredis client');
    const d = DEFAULT_REDIS_ADAPTER_OPTIONS;
    super('RedisAdapter', { requestTimeout: options.requestTimeout ?? d.requestTimeout });
    this.client = options.client;
    this.keys = new RedisKeys(options.namespace ?? d.namespace);
    this.ttl = positive('presenceTtl', options.presenceTtl ?? d.presenceTtl);
    this.reapEvery = positive('reapInterval', options.reapInterval ?? Math.max(50, Math.round(this.ttl / 10)));
    this.connectTimeout = positive('connectTimeout', options.connectTimeout ?? d.connectTimeout);
    this.leases = new RedisLeases(this.keys, () => this.nodeId);
    this.subscriptions = new Subscriptions(() => this.sub, this.requestTimeout, this.reportError);
  }

  /** True while cross-node sends and queries can work (connected, subscribed, presence registered). */
  get available(): boolean {
    return this.state === Health.Up && this.pub?.ready === true;
  }

  /** Where the adapter stands (see health.ts). */
  get health(): Health {
    return this.state;
  }

  // ── health: every change goes through here ─────────────────────────────────────────────────────────────────────

  private move(event: HealthEvent, reason = ''): void {
    const before = this.state;
    this.state = transition(before, event);
    if (before !== Health.Up && this.state === Health.Up) this.events.emit('up');
    if (before === Health.Up && this.state !== Health.Up && this.state !== Health.Closed)
      this.events.emit('down', reason);
  }

  private readonly reportError = (error: unknown): void => this.events.emit('error', error);

  // ── lifecycle ──────────────────────────────────────────────────────────────────────────────────────────────────

  protected async start(node: LocalNode): Promise<void> {
    const presence = new PresenceWriter(node, this.keys, this.ttl, this.requestTimeout, {
      link: () => this.pub,
      registered: () => isRegistered(this.state),
      lost: () => this.presenceLost('presence lost'),
      error: this.reportError,
    });
    this.presence = presence;
    const pub = openLink(this.client, 'command', {
      up: () => {
        this.history?.connectionChanged();
        this.presenceLost('Redis connection back');
      },
      down: () => {
        this.history?.connectionChanged();
        this.presenceLost('Redis connection lost');
      },
      error: this.reportError,
      message: () => undefined,
    });
    const sub = openLink(this.client, 'subscriber', {
      up: () => this.resubscribe(),
      down: () => this.subscriberLost(),
      error: this.reportError,
      message: (_channel, bytes) => {
        if (isPublicationBytes(bytes)) {
          const publication = decodePublicationBytes(bytes);
          if (publication !== null) this.receivePublication(publication);
          return;
        }
        const message = decodeBytes(bytes);
        if (message !== null) this.receive(message);
      },
    });
    this.pub = pub;
    this.sub = sub;
    try {
      await withTimeout(
        Promise.all([pub.connect(), sub.connect()]),
        this.connectTimeout,
        `cannot connect to Redis within ${this.connectTimeout} ms`,
      );
      this.subscriptions.add(this.keys.nodeChannel(node.nodeId));
      this.subscriptions.add(this.keys.allChannel);
      if (!(await this.subscriptions.resubscribe())) throw new AdapterUnavailableError('could not subscribe in Redis');
      if (!(await presence.resync()))
        throw new AdapterUnavailableError("could not register this node's presence in Redis");
    } catch (error) {
      this.move('closed');
      await Promise.all([pub.close(), sub.close()]);
      throw error;
    }
    this.heartbeatTimer = setInterval(() => this.heartbeat(), Math.max(10, Math.floor(this.ttl / 3)));
    this.heartbeatTimer.unref();
    this.reaper = new Reaper(() => this.pub, presence.scripts.reap, this.keys, this.reapEvery, this.reportError);
    this.reaper.start();
    this.events.emit('resync', node.size);
    this.move('started');
  }

  protected async stop(): Promise<void> {
    this.move('closed');
    if (this.heartbeatTimer !== null) clearInterval(this.heartbeatTimer);
    this.reaper?.stop();
    await this.presence?.leave();
    await Promise.all([this.pub?.close(), this.sub?.close()]);
  }

  /** The command connection was lost or is back, or Redis no longer holds our presence: write it all again. */
  private presenceLost(reason: string): void {
    if (this.state === Health.Starting || this.state === Health.Closed) return;
    this.move('presenceLost', reason);
    this.inBackground(this.reregister());
  }

  private async reregister(): Promise<void> {
    if (this.pub?.ready !== true || this.presence === null) return;
    const ok = await this.presence.resync();
    if (this.state === Health.Closed) return;
    if (ok) {
      this.events.emit('resync', this.local.size);
      this.move('registered');
    }
  }

  private subscriberLost(): void {
    if (this.state === Health.Starting || this.state === Health.Closed) return;
    this.move('unsubscribed', 'Redis subscriber connection lost');
    // Replies and acknowledgements travel on this connection: nobody waiting will hear back.
    this.failRequests('Redis subscriber connection lost');
  }

  private resubscribe(): void {
    if (this.state === Health.Starting || this.state === Health.Closed) return;
    this.subscriptions.resubscribe().then(
      (ok) => this.move(ok ? 'subscribed' : 'unsubscribed'),
      (error: unknown) => {
        this.move('unsubscribed');
        this.reportError(error);
      },
    );
  }

  /** Keeps our presence alive, and repairs what a failed attempt left (subscriptions, presence). */
  private heartbeat(): void {
    if (this.state === Health.Closed) return;
    if (!isSubscribed(this.state) && this.sub?.ready === true) this.resubscribe();
    if (this.pub?.ready !== true || this.presence === null) return;
    if (!isRegistered(this.state)) {
      this.inBackground(this.reregister());
      return;
    }
    this.presence.heartbeat().then((alive) => {
      // Our heartbeat had expired (a long stall, a partition): others may have reaped our presence.
      if (!alive) this.presenceLost('presence expired');
    }, this.reportError);
  }

  /** Removes the presence of nodes whose heartbeat expired; resolves to the sockets removed. */
  reap(): Promise<number> {
    return this.reaper?.reap() ?? Promise.resolve(0);
  }

  // ── history (history.ts, history-scripts.ts) ─────────────────────────────────────────────────────────────────────

  /**
   * History in Redis: per stream a hash (epoch, top offset) and a Redis Stream (MAXLEN `size`, entries older than
   * `ttl` dropped), written by one Lua script that also publishes the message, so every node delivers a stream's
   * messages in offset order; recovery records as keys with a TTL, taken with GET+DEL in one script.
   */
  openHistory(limits: HistoryLimits | null): AdapterHistory {
    if (this.history !== null) throw new Error('RedisAdapter history is already open');
    this.history = new RedisHistory(
      {
        prefix: this.keys.prefix,
        requestTimeout: this.requestTimeout,
        nodeId: () => this.local.nodeId,
        link: () => {
          const pub = this.pub;
          if (this.state === Health.Closed || pub === null || !pub.ready)
            throw new AdapterUnavailableError('Redis is unavailable');
          return pub;
        },
        // Even this node's own sockets get a publication through the subscription (that is what orders them).
        checkPublish: () => this.checkAvailable(0),
        gather: (send) => this.gather(0, send),
      },
      limits,
    );
    return this.history;
  }

  // ── presence writes ────────────────────────────────────────────────────────────────────────────────────────────

  presenceChanged(change: PresenceChange): Promise<void> | void {
    if (this.presence === null || this.state === Health.Closed) return;
    const write = this.presence.write(change);
    switch (change.type) {
      case 'disconnect':
        for (const group of change.groups) this.inBackground(this.syncGroupChannel(group));
        return write;
      case 'leave':
        this.inBackground(this.syncGroupChannel(change.group));
        return write;
      case 'join':
        // A send to the group right after joinGroup resolved must reach this node: wait for the subscription.
        return Promise.all([write, this.syncGroupChannel(change.group)]).then(noop);
      default:
        return write;
    }
  }

  /** Subscribes to a group's channel while this node has members in it, unsubscribes after the last one left. */
  private syncGroupChannel(group: GroupName): Promise<void> {
    return this.subscriptions.want(this.keys.groupChannel(group), this.local.socketCount(group) > 0);
  }

  // ── transport for the base ─────────────────────────────────────────────────────────────────────────────────────

  protected override checkAvailable(delivered: number): void {
    if (this.state === Health.Closed) throw new AdapterUnavailableError('the adapter is closed', { delivered });
    if (this.pub?.ready !== true || !isSubscribed(this.state))
      throw new AdapterUnavailableError('Redis is unavailable', { delivered });
  }

  protected async publish(target: Target, request: NodeRequest): Promise<number> {
    const pub = this.pub!;
    const message = encodeBytes(request);
    switch (target.kind) {
      case 'node':
        return Number(await pub.command(['PUBLISH', this.keys.nodeChannel(target.node), message]));
      case 'holders':
        // A node listens on a group's channel exactly while it holds members: the channel names the holders.
        return Number(
          await pub.command([
            'PUBLISH',
            target.group === undefined ? this.keys.allChannel : this.keys.groupChannel(target.group),
            message,
          ]),
        );
    }
    const audience = target.audience;
    switch (audience.kind) {
      case 'all':
        return Number(await pub.command(['PUBLISH', this.keys.allChannel, message]));
      case 'groups': {
        const counts = await Promise.all(
          audience.groups.map((g) => pub.command(['PUBLISH', this.keys.groupChannel(g), message])),
        );
        return counts.reduce<number>((sum, n) => sum + Number(n), 0);
      }
      case 'uids': {
        const args: RedisArgument[] = [this.keys.prefix, this.local.nodeId, message, ...new Set(audience.uids)];
        return Number(await this.presence!.scripts.routeUids.run(pub, [this.keys.nodes], args));
      }
    }
  }

  protected publishReplies(to: string, replies: NodeReplies): void {
    const pub = this.pub;
    if (pub === null || !pub.ready) return; // the askers time out
    // encodeBytes throws, synchronously, for a value JSON can't encode: the base retries without it.
    pub.command(['PUBLISH', this.keys.nodeChannel(to), encodeBytes(replies)]).catch(this.reportError);
  }

  // ── presence queries: one Redis command each, whatever the number of nodes ─────────────────────────────────────

  async isUidOnline(uid: Uid): Promise<boolean> {
    return Number(await this.query(['EXISTS', this.keys.uid(uid)])) === 1;
  }

  async socketsOfUid(uid: Uid): Promise<SocketId[]> {
    return strings(await this.query(['SMEMBERS', this.keys.uid(uid)]));
  }

  async sockets(group?: GroupName): Promise<SocketId[]> {
    return strings(
      await this.query(group === undefined ? ['HKEYS', this.keys.sockets] : ['SMEMBERS', this.keys.group(group)]),
    );
  }

  async uids(group?: GroupName): Promise<Uid[]> {
    return strings(
      await this.query(group === undefined ? ['SMEMBERS', this.keys.uids] : ['HKEYS', this.keys.groupUids(group)]),
    );
  }

  async groups(): Promise<GroupName[]> {
    return strings(await this.query(['SMEMBERS', this.keys.groups]));
  }

  async socketCount(group?: GroupName): Promise<number> {
    return Number(
      await this.query(group === undefined ? ['HLEN', this.keys.sockets] : ['SCARD', this.keys.group(group)]),
    );
  }

  async uidCount(group?: GroupName): Promise<number> {
    return Number(
      await this.query(group === undefined ? ['SCARD', this.keys.uids] : ['HLEN', this.keys.groupUids(group)]),
    );
  }

  // ── leader leases (lease.ts) ───────────────────────────────────────────────────────────────────────────────────

  /**
   * Takes or renews lease `name` for `ttl` ms: a key with a PX expiry (`SET NX`, renewed by a compare-and-renew
   * script). Rejects with `AdapterUnavailableError` while Redis is unreachable.
   */
  async lease(name: string, ttl: number): Promise<boolean> {
    checkLease(name, ttl);
    const pub = this.pub;
    if (this.state === Health.Closed || pub === null || !pub.ready)
      throw new AdapterUnavailableError('Redis is unavailable');
    return this.leases.lease(pub, name, ttl);
  }

  /** Shortens this node's lease `name` to `after` ms from now (0: deletes it). Never rejects; errors are reported. */
  async releaseLease(name: string, after: number): Promise<void> {
    const pub = this.pub;
    if (pub === null || !pub.ready) return; // it expires by itself
    await this.leases.releaseLease(pub, name, after).catch(this.reportError);
  }

  private async query(args: RedisArgument[]): Promise<unknown> {
    const pub = this.pub;
    if (this.state === Health.Closed || pub === null || !pub.ready)
      throw new AdapterUnavailableError('Redis is unavailable');
    try {
      return await pub.command(args);
    } catch (error) {
      throw new AdapterUnavailableError('Redis query failed', { cause: error });
    }
  }
}

/** A node-redis or ioredis reply as a list of strings. */
function strings(reply: unknown): string[] {
  if (!Array.isArray(reply)) return [];
  return reply.map((item: unknown) => (Buffer.isBuffer(item) ? item.toString() : String(item)));
}

function noop(): void {}
