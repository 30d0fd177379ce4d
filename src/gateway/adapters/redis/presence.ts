import type { PresenceChange } from '../adapter.js';
import type { LocalNode } from '../../core/local-node.js';
import type { RedisArgument, RedisLink } from './client.js';
import type { RedisKeys } from './keys.js';
import { HEARTBEAT_SCRIPT, isNoScript, LuaScript, PRESENCE_SCRIPT, REAP_SCRIPT, ROUTE_UIDS_SCRIPT } from './scripts.js';
import { withTimeout } from './timeout.js';

/** One presence change as the presence script takes it: op letter, socket id, uid or group. */
type PresenceOp = [op: string, socketId: string, arg: string];

/** Presence changes written per script call. */
const WRITE_BATCH = 500;

/** What the presence writer needs from its adapter. */
export interface PresenceHost {
  readonly link: () => RedisLink | null;
  /** Redis holds this node's presence (or a rewrite of it is under way). */
  readonly registered: () => boolean;
  /** Redis stopped mirroring this node's presence: the adapter records it and calls `resync()` when it can. */
  readonly lost: () => void;
  readonly error: (error: unknown) => void;
}

/**
 * This node's presence in Redis: its changes, written in order, all those of one tick in one script call; the
 * whole presence written again after a loss (`resync`); the heartbeat that keeps it alive. The scripts live here too.
 */
export class PresenceWriter {
  readonly scripts = {
    presence: new LuaScript(PRESENCE_SCRIPT),
    heartbeat: new LuaScript(HEARTBEAT_SCRIPT),
    reap: new LuaScript(REAP_SCRIPT),
    routeUids: new LuaScript(ROUTE_UIDS_SCRIPT),
  };
  private queue: PresenceOp[] = [];
  private queueWaiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private flushScheduled = false;
  private resyncing: Promise<boolean> | null = null;

  constructor(
    private readonly node: LocalNode,
    private readonly keys: RedisKeys,
    private readonly ttl: number,
    private readonly timeout: number,
    private readonly host: PresenceHost,
  ) {}

  /** A rewrite of the whole presence is under way (changes queued now are written after it). */
  get rewriting(): boolean {
    return this.resyncing !== null;
  }

  /** Queues a change; resolves once Redis has it (or once it is known that a rewrite will carry it). */
  write(change: PresenceChange): Promise<void> | void {
    // Not registered: the coming rewrite writes the node's current state, this change included.
    if (!this.host.registered() && this.resyncing === null) return;
    this.queue.push(toOp(change));
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
    const pub = this.host.link();
    if (pub === null || !pub.ready || (!this.host.registered() && this.resyncing === null)) {
      this.host.lost();
      for (const w of waiters) w.resolve();
      return;
    }
    const writes: Promise<unknown>[] = [];
    for (let i = 0; i < ops.length; i += WRITE_BATCH) writes.push(this.run(pub, ops.slice(i, i + WRITE_BATCH)));
    Promise.all(writes).then(
      () => {
        for (const w of waiters) w.resolve();
      },
      (error: unknown) => {
        if (isNoScript(error) || !pub.ready) {
          // Redis restarted or the connection dropped mid-write: the rewrite will carry these changes.
          this.host.lost();
          for (const w of waiters) w.resolve();
        } else {
          for (const w of waiters) w.reject(error);
        }
      },
    );
  }

  private run(pub: RedisLink, ops: readonly PresenceOp[]): Promise<unknown> {
    const args: RedisArgument[] = [this.keys.prefix, this.node.nodeId];
    for (const [op, id, arg] of ops) args.push(op, id, arg);
    return this.scripts.presence.run(pub, [this.keys.nodes], args);
  }

  /**
   * Writes this node's whole presence: scripts loaded, heartbeat, then "forget every socket of this node" followed
   * by every socket, uid and group — issued in one tick on one connection, so Redis runs them in that order and
   * changes made after this call are written after them. Resolves to whether it worked (failures are reported).
   */
  resync(): Promise<boolean> {
    if (this.resyncing !== null) return this.resyncing;
    const pub = this.host.link();
    if (pub === null || !pub.ready) return Promise.resolve(false);
    const ops: PresenceOp[] = [['R', '', '']];
    for (const socket of this.node.values()) {
      ops.push(['c', socket.id, '']);
      if (socket.boundUid !== null) ops.push(['b', socket.id, socket.boundUid]);
      for (const group of socket.groups) ops.push(['j', socket.id, group]);
    }
    // Changes queued before now are part of this snapshot.
    this.queue = [];
    const earlier = this.queueWaiters.splice(0);
    const writes: Promise<unknown>[] = [];
    for (const script of Object.values(this.scripts)) writes.push(script.load(pub));
    writes.push(this.beat(pub));
    for (let i = 0; i < ops.length; i += WRITE_BATCH) writes.push(this.run(pub, ops.slice(i, i + WRITE_BATCH)));
    // Bounded: a write that never settles must not block every later rewrite.
    const run = withTimeout(Promise.all(writes), this.timeout, 're-registering presence timed out').then(
      () => true,
      (error: unknown) => {
        this.host.error(error);
        return false;
      },
    );
    this.resyncing = run.finally(() => {
      for (const w of earlier) w.resolve();
      this.resyncing = null;
    });
    return this.resyncing;
  }

  /** Refreshes this node's heartbeat; false when it had expired (others may have reaped our presence). */
  async heartbeat(): Promise<boolean> {
    const pub = this.host.link();
    if (pub === null || !pub.ready) return true;
    try {
      return (await this.beat(pub)) === 1;
    } catch (error) {
      if (isNoScript(error)) return false;
      this.host.error(error);
      return true;
    }
  }

  private beat(pub: RedisLink): Promise<unknown> {
    return this.scripts.heartbeat.run(pub, [this.keys.nodes], [this.keys.prefix, this.node.nodeId, String(this.ttl)]);
  }

  /** Leaves presence now rather than after the TTL: forgets every socket of this node, then the node. */
  async leave(): Promise<void> {
    const pub = this.host.link();
    for (const w of this.queueWaiters.splice(0)) w.resolve();
    if (pub === null || !pub.ready) return;
    await withTimeout(
      Promise.all([
        this.scripts.presence.run(pub, [this.keys.nodes], [this.keys.prefix, this.node.nodeId, 'R', '', '']),
        pub.command(['ZREM', this.keys.nodes, this.node.nodeId]),
      ]),
      this.timeout,
      'timeout',
    ).catch(() => undefined);
  }
}

function toOp(change: PresenceChange): PresenceOp {
  switch (change.type) {
    case 'connect':
      return ['c', change.socketId, ''];
    case 'disconnect':
      return ['d', change.socketId, ''];
    case 'bind':
      return ['b', change.socketId, change.uid];
    case 'unbind':
      return ['u', change.socketId, change.uid];
    case 'join':
      return ['j', change.socketId, change.group];
    case 'leave':
      return ['l', change.socketId, change.group];
  }
}
