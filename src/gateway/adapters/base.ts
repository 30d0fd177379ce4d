import {
  absentResult,
  type Adapter,
  type Audience,
  type PresenceChange,
  type SocketCommand,
  type SocketCommandResult,
} from './adapter.js';
import type { LocalNode } from '../core/local-node.js';
import { parseNodeReport, type NodeReport } from '../core/node-report.js';
import type { GroupName, Payload, Session, SocketId, Uid } from '../core/types.js';
import { Emitter } from '../core/emitter.js';
import type { AdapterEventName, AdapterEvents } from './emitter.js';
import { AdapterUnavailableError } from './errors.js';
import { Requests, type Reach, type ReplyMode } from './requests.js';
import { publicationFrame, type StreamName, type StreamPosition } from './history.js';
import type { NodeMessage, NodeReplies, NodeRequest } from './wire.js';
import type { PublicationMessage } from './publication-wire.js';

/** Which nodes a request is for. The transport decides how to reach them. */
export type Target =
  /** One node (a socket-addressed command). */
  | {
      /** Which nodes: one, an audience's, or the holders of a group. */
      readonly kind: 'node';
      /** The node's id. */
      readonly node: string;
    }
  /** The nodes that may hold sockets of this audience (a fan-out send). */
  | {
      /** Which nodes: one, an audience's, or the holders of a group. */
      readonly kind: 'audience';
      /** Who the message is for. */
      readonly audience: Audience;
    }
  /** The nodes holding members of `group`, or every node (ungroup, sessions). */
  | {
      /** Which nodes: one, an audience's, or the holders of a group. */
      readonly kind: 'holders';
      /** The group (absent: every node). */
      readonly group?: GroupName;
    };

/** Options every scale-out adapter shares. */
export interface ScaleOutOptions {
  /**
   * How long to wait for another node's reply or acknowledgement before rejecting, in ms.
   *
   * @defaultValue `5_000`
   */
  requestTimeout?: number;
}

/**
 * The part of scale-out every adapter shares: request/reply correlation, timeouts, "this node first, then the
 * others", delivered counts in results and errors, and the receiving side of every request. A subclass supplies
 * the transport and the presence store:
 *
 *   transport  start(node) / stop()            connect and listen; disconnect
 *              publish(target, request)        send a request; resolve to the nodes it reached (a number or ids)
 *              publishReplies(to, replies)     send replies to node `to`
 *              receive(message)                ← call this with every message that arrives (decoded by wire.ts)
 *              checkAvailable(delivered)       throw AdapterUnavailableError while the transport is down
 *              gone(node)                      ← call this when the transport learns that a node left
 *   storage    presenceChanged(change) and the presence queries (isUidOnline ... uidCount)
 *   history    optionally `openHistory(limits)` (history.ts): memory keeps ring buffers here, the cluster adapter in
 *              the primary, Redis in streams written by one Lua script; `deliverPublication` fans out a message
 *              whose position is assigned, for a transport where the assigning step and the fan-out are separate
 *
 * socket.io-adapter's `ClusterAdapter` (`doPublish` / `doPublishResponse`) is the model.
 */
export abstract class ScaleOutAdapter implements Adapter {
  protected readonly events = new Emitter<AdapterEvents>();
  protected readonly requestTimeout: number;
  private readonly requests = new Requests();
  private node: LocalNode | null = null;
  private closed = false;
  /** Replies not yet sent, by asking node: those of one tick go out together. */
  private readonly replies = new Map<string, [id: number, value: unknown][]>();
  private repliesScheduled = false;
  /** Ids of multi-channel fan-outs already delivered (`origin:id` → when). */
  private readonly seen = new Map<string, number>();

  /** `name` (the subclass's) is used in misuse errors. */
  constructor(
    private readonly name: string,
    options: ScaleOutOptions,
  ) {
    this.requestTimeout = positive('requestTimeout', options.requestTimeout ?? 5_000);
  }

  // ── what a subclass implements ─────────────────────────────────────────────────────────────────────────────────

  protected abstract start(node: LocalNode): Promise<void>;
  protected abstract stop(): Promise<void>;
  /** Sends `request` to `target`; resolves to the nodes that will receive it (this one included if it hears itself). */
  protected abstract publish(target: Target, request: NodeRequest): Promise<Reach>;
  protected abstract publishReplies(to: string, replies: NodeReplies): void;
  /** Throws `AdapterUnavailableError` (with `delivered`) when cross-node work can't be done now. */
  protected checkAvailable(delivered: number): void {
    void delivered;
  }
  /** False for an adapter that is a cluster of one: fan-outs and sessions stay on this node. */
  protected get hasPeers(): boolean {
    return true;
  }

  abstract presenceChanged(change: PresenceChange): void | Promise<void>;
  /** Does `uid` have a socket on any node? */
  abstract isUidOnline(uid: Uid): Promise<boolean>;
  /** The sockets bound to `uid`, on every node. */
  abstract socketsOfUid(uid: Uid): Promise<SocketId[]>;
  abstract sockets(group?: GroupName): Promise<SocketId[]>;
  abstract uids(group?: GroupName): Promise<Uid[]>;
  abstract groups(): Promise<GroupName[]>;
  /** Number of sockets on every node, overall or in `group`. */
  abstract socketCount(group?: GroupName): Promise<number>;
  /** Number of distinct bound uids on every node, overall or in `group`. */
  abstract uidCount(group?: GroupName): Promise<number>;

  // ── lifecycle ──────────────────────────────────────────────────────────────────────────────────────────────────

  /** Listens to `up`, `down`, `resync` or `error`; returns a function that removes the listener. */
  on<K extends AdapterEventName>(event: K, listener: AdapterEvents[K]): () => void {
    return this.events.on(event, listener);
  }

  /** This node's id (once attached). */
  get nodeId(): string {
    return this.local.nodeId;
  }

  async attach(node: LocalNode): Promise<void> {
    if (this.node !== null) throw new Error(`this ${this.name} is already attached to a gateway`);
    this.node = node;
    try {
      await this.start(node);
    } catch (error) {
      this.closed = true;
      throw error;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.stop();
    } finally {
      this.requests.failAll(new AdapterUnavailableError('the adapter is closed'));
    }
  }

  protected get isClosed(): boolean {
    return this.closed;
  }

  protected get local(): LocalNode {
    if (this.node === null) throw new Error(`${this.name} used before attach()`);
    return this.node;
  }

  // ── asking the other nodes ─────────────────────────────────────────────────────────────────────────────────────

  async forward<C extends SocketCommand>(nodeId: string, command: C): Promise<SocketCommandResult<C>> {
    if (!this.hasPeers) return absentResult(command);
    const node = this.local;
    return (await this.ask('first', 0, absentResult(command), { kind: 'node', node: nodeId }, (m) => ({
      k: 'x',
      o: node.nodeId,
      m,
      c: command,
    }))) as SocketCommandResult<C>;
  }

  async broadcast(audience: Audience, payload: Payload, exclude: readonly SocketId[]): Promise<number> {
    const node = this.local;
    const local = node.deliver(audience, payload, exclude);
    if (!this.hasPeers) return local;
    if (
      (audience.kind === 'groups' && audience.groups.length === 0) ||
      (audience.kind === 'uids' && audience.uids.length === 0)
    )
      return local;
    const several = audience.kind === 'groups' && audience.groups.length > 1;
    const remote = await this.ask('sum', local, 0, { kind: 'audience', audience }, (m) => ({
      k: 'b',
      o: node.nodeId,
      m,
      a: audience,
      x: exclude,
      p: payload,
      ...(several ? { d: 1 as const } : {}),
    }));
    return local + (remote as number);
  }

  /**
   * Fans out message `payload` of `stream` at `position`, framed as a publication (`publicationFrame`), like
   * `broadcast`. For `AdapterHistory.publish` implementations whose ordering step already ran (memory: the caller
   * assigned the position synchronously, so publications of one stream leave this node in offset order).
   */
  protected deliverPublication(
    stream: StreamName,
    position: StreamPosition,
    audience: Audience,
    payload: Payload,
    exclude: readonly SocketId[],
  ): Promise<number> {
    return this.broadcast(audience, publicationFrame(stream, position, payload), exclude);
  }

  async ungroup(group: GroupName): Promise<number> {
    const node = this.local;
    const local = await node.ungroup(group);
    if (!this.hasPeers) return local;
    const remote = await this.ask('sum', local, 0, { kind: 'holders', group }, (m) => ({
      k: 'u',
      o: node.nodeId,
      m,
      g: group,
    }));
    return local + (remote as number);
  }

  async sessions(group?: GroupName): Promise<Record<SocketId, Session>> {
    const node = this.local;
    const local = node.sessions(group);
    if (!this.hasPeers) return local;
    const remote = await this.ask('merge', 0, {}, { kind: 'holders', group }, (m) =>
      group === undefined ? { k: 's', o: node.nodeId, m } : { k: 's', o: node.nodeId, m, g: group },
    );
    return { ...(remote as Record<SocketId, Session>), ...local };
  }

  /**
   * Every node's report (this one first), for cluster-wide `/status` and `/metrics`. Nodes that don't answer
   * within `min(requestTimeout, 2 s)` are left out: a dead or stalled node drops out of the view that quickly.
   */
  async nodeReports(): Promise<NodeReport[]> {
    const node = this.local;
    const local = node.statsReport();
    if (!this.hasPeers) return [local];
    const remote = await this.ask(
      'gather',
      0,
      {},
      { kind: 'audience', audience: { kind: 'all', onlyBound: false } },
      (m) => ({ k: 't', o: node.nodeId, m }),
      Math.min(this.requestTimeout, 2_000),
    );
    const reports = [local];
    for (const [id, value] of Object.entries(remote as Record<string, unknown>)) {
      const report = parseNodeReport(value);
      if (report !== null && id !== node.nodeId && report.stats.nodeId === id) reports.push(report);
    }
    return reports;
  }

  /** Publishes a request and waits for its answers; `local` sockets were already written to on this node. */
  private async ask(
    mode: ReplyMode,
    local: number,
    fallback: unknown,
    target: Target,
    build: (id: number) => NodeRequest,
    timeout = this.requestTimeout,
  ): Promise<unknown> {
    this.checkAvailable(local);
    const request = this.requests.create(mode, local, fallback);
    let reach: Reach;
    try {
      reach = await this.publish(target, build(request.id));
    } catch (error) {
      request.cancel();
      if (error instanceof AdapterUnavailableError) throw error.withDelivered(local);
      throw new AdapterUnavailableError('could not publish to the other nodes', { delivered: local, cause: error });
    }
    return request.expect(reach, timeout);
  }

  /**
   * A request answered by one party with a reply message (`send` sends it, with the request id): how a subclass
   * talks to its transport's own server (the cluster primary) through the same correlation table.
   */
  protected awaitReply(send: (id: number) => void): Promise<unknown> {
    const request = this.requests.create('first');
    try {
      send(request.id);
    } catch (error) {
      request.cancel();
      return Promise.reject(
        error instanceof AdapterUnavailableError
          ? error
          : new AdapterUnavailableError('could not send', { cause: error }),
      );
    }
    return request.expect(1, this.requestTimeout);
  }

  /**
   * A fan-out whose sending step the subclass runs itself (a history publication: a Redis script or a call to the
   * cluster primary that assigns the position and publishes): `send(id)` sends it with request id `id` and resolves
   * to the nodes reached; the promise resolves to `local` plus the acknowledgements (`sum`), as `broadcast`'s does.
   */
  protected async gather(local: number, send: (id: number) => Promise<Reach>): Promise<number> {
    const request = this.requests.create('sum', local, 0);
    let reach: Reach;
    try {
      reach = await send(request.id);
    } catch (error) {
      request.cancel();
      if (error instanceof AdapterUnavailableError) throw error.withDelivered(local);
      throw new AdapterUnavailableError('could not publish to the other nodes', { delivered: local, cause: error });
    }
    return local + ((await request.expect(reach, this.requestTimeout)) as number);
  }

  /** The transport learnt that `node` left: stop waiting for its answers. */
  protected gone(node: string): void {
    this.requests.gone(node);
  }

  /** Fails every request still waiting (the transport that carries replies is gone). */
  protected failRequests(reason: string): void {
    this.requests.failAll(new AdapterUnavailableError(reason));
  }

  // ── answering the other nodes ──────────────────────────────────────────────────────────────────────────────────

  /** Handles a message that arrived from the transport. */
  protected receive(message: NodeMessage): void {
    const node = this.node;
    if (node === null) return;
    // Replies settle our own requests (until close() failed them), even while closing: the goodbye is one of them.
    if (message.k === 'r') {
      for (const [id, value] of message.a) this.requests.reply(id, value, message.o);
      return;
    }
    if (this.closed) return;
    // Our own fan-out (the transport echoes it): local delivery is done, count the receipt.
    if (message.o === node.nodeId) return this.requests.reply(message.m, null, node.nodeId, false);
    switch (message.k) {
      case 'x': {
        const command = message.c;
        node.execute(command).then(
          (value) => this.reply(message, value),
          () => this.reply(message, absentResult(command)),
        );
        return;
      }
      case 'b':
        return this.reply(
          message,
          message.d === 1 && !this.firstCopy(message.o, message.m) ? 0 : node.deliver(message.a, message.p, message.x),
        );
      case 'u':
        node.ungroup(message.g).then(
          (n) => this.reply(message, n),
          () => this.reply(message, 0),
        );
        return;
      case 's':
        return this.reply(message, node.sessions(message.g));
      case 't':
        return this.reply(message, { [node.nodeId]: node.statsReport() });
    }
  }

  /**
   * Handles a history publication (publication-wire.ts) that arrived from the transport, this node's own included:
   * writes the frame to the local sockets of its audience and acknowledges with the count.
   */
  protected receivePublication(message: PublicationMessage): void {
    const node = this.node;
    if (node === null || this.closed) return;
    const count = node.deliver(message.a, { data: message.frame, binary: false }, message.x);
    if (message.o === node.nodeId) this.requests.reply(message.m, count, node.nodeId);
    else this.reply(message, count);
  }

  private firstCopy(origin: string, id: number): boolean {
    const key = `${origin}:${id}`;
    if (this.seen.has(key)) return false;
    this.seen.set(key, Date.now());
    // Copies arrive within moments of each other; after twice the request timeout the sender stopped waiting.
    const old = Date.now() - 2 * this.requestTimeout;
    for (const [seenKey, at] of this.seen) {
      if (at >= old) break;
      this.seen.delete(seenKey);
    }
    return true;
  }

  private reply(request: { readonly o: string; readonly m: number }, value: unknown): void {
    let list = this.replies.get(request.o);
    if (list === undefined) this.replies.set(request.o, (list = []));
    list.push([request.m, value]);
    if (!this.repliesScheduled) {
      this.repliesScheduled = true;
      queueMicrotask(this.flushReplies);
    }
  }

  private readonly flushReplies = (): void => {
    this.repliesScheduled = false;
    if (this.node === null || this.closed) return this.replies.clear();
    const o = this.node.nodeId;
    for (const [to, a] of this.replies) {
      try {
        this.publishReplies(to, { k: 'r', o, a });
      } catch (error) {
        // A value the transport can't encode (an application put a cyclic or BigInt value in a session): this runs
        // in a microtask, where a throw would end the process. Report it; those askers get null, the others theirs.
        this.events.emit('error', error);
        try {
          this.publishReplies(to, { k: 'r', o, a: a.map(([id, value]) => [id, encodesAsJson(value) ? value : null]) });
        } catch (again) {
          this.events.emit('error', again);
        }
      }
    }
    this.replies.clear();
  };

  /** Work no caller waits for: a rejection becomes an `error` event, never an unhandled rejection. */
  protected inBackground(work: Promise<unknown>): void {
    work.catch((error: unknown) => this.events.emit('error', error));
  }
}

function encodesAsJson(value: unknown): boolean {
  try {
    JSON.stringify(value);
    return true;
  } catch {
    return false;
  }
}

export function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new TypeError(`${name} must be a positive number, got ${value}`);
  return value;
}
