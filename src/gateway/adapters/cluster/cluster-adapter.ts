import type { PresenceChange } from '../adapter.js';
import { ScaleOutAdapter, type ScaleOutOptions, type Target } from '../base.js';
import { AdapterUnavailableError } from '../errors.js';
import { checkLease } from '../lease.js';
import type { Reach } from '../requests.js';
import type { AdapterHistory, HistoryLimits } from '../history.js';
import { decodePublicationJson } from '../publication-wire.js';
import { decodeJson, encodeJson, type NodeReplies, type NodeRequest } from '../wire.js';
import { ClusterHistory } from './history.js';
import type { LocalNode } from '../../core/local-node.js';
import type { GroupName, SocketId, Uid } from '../../core/types.js';
import {
  IPC_TAG,
  parseToWorker,
  type HubCall,
  type PresenceQuery,
  type PresenceQueryResult,
  type ToHub,
} from './ipc.js';

/** The IPC side of a cluster worker (`process` in a `node:cluster` worker), structurally. */
export interface IpcChannel {
  /** Sends a message to the primary (absent when the process has no IPC channel). */
  send?: (
    message: unknown,
    sendHandle?: undefined,
    options?: undefined,
    callback?: (error: Error | null) => void,
  ) => boolean;
  /** Listens to messages from the primary, or to the channel's end. */
  on(event: 'message' | 'disconnect', listener: (message: unknown) => void): unknown;
  /** Removes a listener added with `on`. */
  removeListener(event: 'message' | 'disconnect', listener: (message: unknown) => void): unknown;
  /** False once the channel is closed. */
  readonly connected?: boolean;
}

/** Options of `new ClusterAdapter(options)`. */
export interface ClusterAdapterOptions extends ScaleOutOptions {
  /**
   * The IPC channel to the primary.
   *
   * @defaultValue `process` (a `node:cluster` worker's)
   */
  channel?: IpcChannel;
}

/**
 * Scale-out over `node:cluster`, for several processes on one machine sharing one port. The primary runs a
 * `ClusterHub` (`createClusterHub()`), which holds every worker's presence and routes messages; each worker's
 * gateway uses a `ClusterAdapter`:
 *
 * - socket-addressed operations are relayed by the primary to the worker named in the socket id;
 * - presence queries are one IPC round trip to the primary, whatever the number of workers;
 * - fan-out sends are delivered locally, then by the primary to the workers that have recipients (only those);
 * - presence changes are acknowledged by the primary before `bindUid`/`joinGroup`... resolve, so another worker sees
 *   them as soon as the call returns;
 * - when a worker dies, the primary drops its sockets from presence, tells the others (who stop waiting for it) and
 *   forks a replacement.
 */
export class ClusterAdapter extends ScaleOutAdapter {
  private readonly channel: IpcChannel;
  private queue: PresenceChange[] = [];
  private queued: Promise<void> | null = null;

  constructor(options: ClusterAdapterOptions = {}) {
    super('ClusterAdapter', options);
    this.channel = options.channel ?? process;
  }

  protected async start(node: LocalNode): Promise<void> {
    if (typeof this.channel.send !== 'function') {
      throw new Error(
        'ClusterAdapter runs in a node:cluster worker (no IPC channel here); run createClusterHub() in the primary',
      );
    }
    this.channel.on('message', this.onMessage);
    this.channel.on('disconnect', this.onDisconnect);
    try {
      await this.call(node.nodeId, { t: 'hello' });
    } catch (error) {
      this.detach();
      throw new Error(`the cluster primary did not answer: is createClusterHub() running there? (${String(error)})`, {
        cause: error,
      });
    }
  }

  protected async stop(): Promise<void> {
    try {
      await this.call(this.local.nodeId, { t: 'bye' });
    } catch {
      // the primary is gone: nothing to tell it
    }
    this.detach();
  }

  protected override checkAvailable(delivered: number): void {
    if (this.isClosed || this.channel.send === undefined || this.channel.connected === false) {
      throw new AdapterUnavailableError('the cluster primary is unreachable', { delivered });
    }
  }

  protected async publish(target: Target, request: NodeRequest): Promise<Reach> {
    const reached = await this.call(request.o, { t: 'publish', target, msg: encodeJson(request) });
    return Array.isArray(reached) ? reached.filter((n): n is string => typeof n === 'string') : 0;
  }

  protected publishReplies(to: string, replies: NodeReplies): void {
    // JSON serialization throws here, synchronously, for a value it can't encode: the base retries without it.
    this.post({ wsgate: IPC_TAG, from: replies.o, to, msg: encodeJson(replies) });
  }

  presenceChanged(change: PresenceChange): Promise<void> | void {
    if (this.isClosed) return;
    // Changes of one tick go in one message; the primary applies them in order and acknowledges.
    this.queue.push(change);
    if (this.queued === null) {
      this.queued = Promise.resolve().then(() => {
        const changes = this.queue;
        this.queue = [];
        this.queued = null;
        return this.call(this.local.nodeId, { t: 'presence', changes }).then(noop);
      });
    }
    return this.queued;
  }

  /**
   * History in the primary (history-hub.ts): it assigns each message's position, stores it in bounded ring buffers
   * and relays it, to this worker too, in one step; reads and recovery records are one IPC round trip.
   */
  openHistory(limits: HistoryLimits | null): AdapterHistory {
    return new ClusterHistory(
      {
        call: (call) => this.call(this.local.nodeId, call),
        checkAvailable: () => this.checkAvailable(0),
        gather: (send) => this.gather(0, send),
      },
      limits,
    );
  }

  isUidOnline(uid: Uid): Promise<boolean> {
    return this.query({ q: 'isUidOnline', uid });
  }

  socketsOfUid(uid: Uid): Promise<SocketId[]> {
    return this.query({ q: 'socketsOfUid', uid });
  }

  sockets(group?: GroupName): Promise<SocketId[]> {
    return this.query(group === undefined ? { q: 'sockets' } : { q: 'sockets', group });
  }

  uids(group?: GroupName): Promise<Uid[]> {
    return this.query(group === undefined ? { q: 'uids' } : { q: 'uids', group });
  }

  groups(): Promise<GroupName[]> {
    return this.query({ q: 'groups' });
  }

  socketCount(group?: GroupName): Promise<number> {
    return this.query(group === undefined ? { q: 'socketCount' } : { q: 'socketCount', group });
  }

  uidCount(group?: GroupName): Promise<number> {
    return this.query(group === undefined ? { q: 'uidCount' } : { q: 'uidCount', group });
  }

  /** Leases live in the primary (its `LeaseTable`): one IPC round trip. */
  async lease(name: string, ttl: number): Promise<boolean> {
    checkLease(name, ttl);
    this.checkAvailable(0);
    return (await this.call(this.local.nodeId, { t: 'lease', name, ttl })) === true;
  }

  /** Asks the primary to let this node's lease `name` expire `after` ms from now. Never rejects. */
  async releaseLease(name: string, after: number): Promise<void> {
    try {
      await this.call(this.local.nodeId, { t: 'release', name, after: Math.max(0, after) });
    } catch {
      // the primary is gone: the lease went with it
    }
  }

  // ── IPC ────────────────────────────────────────────────────────────────────────────────────────────────────────

  private async query<Q extends PresenceQuery>(query: Q): Promise<PresenceQueryResult<Q>> {
    this.checkAvailable(0);
    // The primary answers from its PresenceIndex, whose `answer` is typed by the query.
    return (await this.call(this.local.nodeId, { t: 'query', query })) as PresenceQueryResult<Q>;
  }

  /** A call to the primary, answered like any request (wire.ts reply, correlated by the base). */
  private call(from: string, call: HubCall): Promise<unknown> {
    return this.awaitReply((id) => this.post({ wsgate: IPC_TAG, from, id, call }));
  }

  private post(message: ToHub): void {
    const send = this.channel.send;
    if (send === undefined || this.channel.connected === false)
      throw new AdapterUnavailableError('the cluster primary is unreachable');
    send.call(this.channel, message, undefined, undefined, (error: Error | null) => {
      if (error !== null)
        this.events.emit('error', new AdapterUnavailableError('could not reach the cluster primary', { cause: error }));
    });
  }

  private readonly onMessage = (value: unknown): void => {
    const message = parseToWorker(value);
    if (message === null || message.to !== this.local.nodeId) return;
    if ('gone' in message) return this.gone(message.gone);
    const decoded = decodeJson(message.msg);
    if (decoded !== null) return this.receive(decoded);
    const publication = decodePublicationJson(message.msg);
    if (publication !== null) this.receivePublication(publication);
  };

  private readonly onDisconnect = (): void => {
    this.failRequests('the cluster primary is gone');
  };

  private detach(): void {
    this.channel.removeListener('message', this.onMessage);
    this.channel.removeListener('disconnect', this.onDisconnect);
  }
}

function noop(): void {}
