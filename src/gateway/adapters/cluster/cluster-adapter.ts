import { absentResult, type Adapter, type Audience, type PresenceChange, type SocketCommand, type SocketCommandResult } from '../adapter.js';
import type { LocalNode } from '../../local-node.js';
import type { GroupName, Payload, Session, SocketId, Uid } from '../../types.js';
import { AdapterUnavailableError } from '../errors.js';
import {
  decodeCommand,
  decodePayload,
  encodeCommand,
  encodePayload,
  IPC_TAG,
  isIpcMessage,
  type IpcMessage,
  type PresenceQuery,
  type PrimaryRequest,
  type WorkerRequest,
} from './ipc.js';

/** The IPC side of a cluster worker (`process` in a `node:cluster` worker), structurally. */
export interface IpcChannel {
  send?: (message: unknown, sendHandle?: undefined, options?: undefined, callback?: (error: Error | null) => void) => boolean;
  on(event: 'message' | 'disconnect', listener: (message: unknown) => void): unknown;
  removeListener(event: 'message' | 'disconnect', listener: (message: unknown) => void): unknown;
  readonly connected?: boolean;
}

export interface ClusterAdapterOptions {
  /** How long to wait for the primary's answer. Default 5,000 ms. */
  requestTimeout?: number;
  /** The IPC channel to the primary. Default: `process` (a `node:cluster` worker's). */
  channel?: IpcChannel;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout;
}

type RequestBody = WorkerRequest extends infer T ? (T extends unknown ? Omit<T, 'wsgate' | 'node' | 'id'> : never) : never;

/**
 * Scale-out over `node:cluster`, for several processes on one machine sharing one port. The primary runs a
 * `ClusterHub` (`createClusterHub()`), which holds every worker's presence; each worker's gateway uses a
 * `ClusterAdapter`:
 *
 * - socket-addressed operations are relayed by the primary to the worker named in the socket id;
 * - presence queries are one IPC round trip to the primary, whatever the number of workers;
 * - fan-out sends are delivered locally, then by the primary to the workers that have recipients (only those);
 * - presence changes are acknowledged by the primary before `bindUid`/`joinGroup`... resolve, so another worker sees
 *   them as soon as the call returns;
 * - when a worker dies, the primary drops its sockets from presence and forks a replacement.
 */
export class ClusterAdapter implements Adapter {
  private readonly timeout: number;
  private readonly channel: IpcChannel;
  private node: LocalNode | null = null;
  private readonly pending = new Map<number, Pending>();
  private sequence = 0;
  private closed = false;
  private queue: PresenceChange[] = [];
  private queued: Promise<void> | null = null;

  constructor(options: ClusterAdapterOptions = {}) {
    this.timeout = options.requestTimeout ?? 5_000;
    this.channel = options.channel ?? (process as unknown as IpcChannel);
  }

  async attach(node: LocalNode): Promise<void> {
    if (this.node !== null) throw new Error('this ClusterAdapter is already attached to a gateway');
    if (typeof this.channel.send !== 'function') {
      throw new Error('ClusterAdapter runs in a node:cluster worker (no IPC channel here); run createClusterHub() in the primary');
    }
    this.node = node;
    this.channel.on('message', this.onMessage);
    this.channel.on('disconnect', this.onDisconnect);
    try {
      await this.request({ t: 'hello' });
    } catch (error) {
      this.detach();
      throw new Error(`the cluster primary did not answer: is createClusterHub() running there? (${(error as Error).message})`, { cause: error });
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    try {
      await this.request({ t: 'bye' });
    } catch {
      // the primary is gone: nothing to tell it
    }
    this.closed = true;
    this.detach();
    for (const [id, p] of this.pending) {
      this.pending.delete(id);
      clearTimeout(p.timer);
      p.reject(new AdapterUnavailableError('the adapter is closed'));
    }
  }

  presenceChanged(change: PresenceChange): Promise<void> | void {
    if (this.closed || this.node === null) return;
    // Changes of one tick go in one message; the primary applies them in order and acknowledges.
    this.queue.push(change);
    if (this.queued === null) {
      this.queued = Promise.resolve().then(() => {
        const changes = this.queue;
        this.queue = [];
        this.queued = null;
        return this.request({ t: 'presence', changes }).then(noop);
      });
    }
    return this.queued;
  }

  async forward<C extends SocketCommand>(nodeId: string, command: C): Promise<SocketCommandResult<C>> {
    return (await this.request({ t: 'forward', to: nodeId, cmd: encodeCommand(command) })) as SocketCommandResult<C>;
  }

  async broadcast(audience: Audience, payload: Payload, exclude: readonly SocketId[]): Promise<number> {
    const local = this.local.deliver(audience, payload, exclude);
    try {
      return local + Number(await this.request({ t: 'broadcast', audience, payload: encodePayload(payload), exclude }));
    } catch (error) {
      throw error instanceof AdapterUnavailableError ? error.withDelivered(local) : error;
    }
  }

  async ungroup(group: GroupName): Promise<number> {
    const local = await this.local.ungroup(group);
    return local + Number(await this.request({ t: 'ungroup', group }));
  }

  isUidOnline(uid: Uid): Promise<boolean> {
    return this.query({ q: 'isUidOnline', uid }) as Promise<boolean>;
  }

  socketsOfUid(uid: Uid): Promise<SocketId[]> {
    return this.query({ q: 'socketsOfUid', uid }) as Promise<SocketId[]>;
  }

  sockets(group?: GroupName): Promise<SocketId[]> {
    return this.query(group === undefined ? { q: 'sockets' } : { q: 'sockets', group }) as Promise<SocketId[]>;
  }

  uids(group?: GroupName): Promise<Uid[]> {
    return this.query(group === undefined ? { q: 'uids' } : { q: 'uids', group }) as Promise<Uid[]>;
  }

  groups(): Promise<GroupName[]> {
    return this.query({ q: 'groups' }) as Promise<GroupName[]>;
  }

  socketCount(group?: GroupName): Promise<number> {
    return this.query(group === undefined ? { q: 'socketCount' } : { q: 'socketCount', group }) as Promise<number>;
  }

  uidCount(group?: GroupName): Promise<number> {
    return this.query(group === undefined ? { q: 'uidCount' } : { q: 'uidCount', group }) as Promise<number>;
  }

  async sessions(group?: GroupName): Promise<Record<SocketId, Session>> {
    const local = this.local.sessions(group);
    const remote = (await this.request(group === undefined ? { t: 'sessions' } : { t: 'sessions', group })) as Record<SocketId, Session>;
    return { ...remote, ...local };
  }

  private query(query: PresenceQuery): Promise<unknown> {
    return this.request({ t: 'query', query });
  }

  // ── IPC ────────────────────────────────────────────────────────────────────────────────────────────────────────

  private request(body: RequestBody): Promise<unknown> {
    const send = this.channel.send;
    if (this.closed || send === undefined || this.channel.connected === false) {
      return Promise.reject(new AdapterUnavailableError('the cluster primary is unreachable'));
    }
    const id = ++this.sequence;
    const message = { wsgate: IPC_TAG, node: this.local.nodeId, id, ...body } as WorkerRequest;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.fail(id, new AdapterUnavailableError(`no answer from the cluster primary within ${this.timeout} ms`)), this.timeout);
      timer.unref();
      this.pending.set(id, { resolve, reject, timer });
      send.call(this.channel, message, undefined, undefined, (error: Error | null) => {
        if (error !== null) this.fail(id, new AdapterUnavailableError('could not reach the cluster primary', { cause: error }));
      });
    });
  }

  private fail(id: number, error: Error): void {
    const p = this.pending.get(id);
    if (p === undefined) return;
    this.pending.delete(id);
    clearTimeout(p.timer);
    p.reject(error);
  }

  private readonly onMessage = (message: unknown): void => {
    if (!isIpcMessage(message) || this.node === null || message.node !== this.node.nodeId) return;
    switch (message.t) {
      case 'res':
      case 'err': {
        const p = this.pending.get(message.id);
        if (p === undefined) return;
        this.pending.delete(message.id);
        clearTimeout(p.timer);
        if (message.t === 'res') p.resolve(message.v);
        else p.reject(new Error(`cluster primary: ${message.e}`));
        return;
      }
      default:
        void this.serve(message as PrimaryRequest).then(
          (value) => this.answer(message, value),
          () => this.answer(message, null),
        );
    }
  };

  /** Runs what the primary asks of this node. */
  private async serve(m: PrimaryRequest): Promise<unknown> {
    const node = this.local;
    switch (m.t) {
      case 'exec': {
        const command = decodeCommand(m.cmd);
        return node.execute(command).catch(() => absentResult(command));
      }
      case 'deliver':
        return node.deliver(m.audience, decodePayload(m.payload), m.exclude);
      case 'ungroupLocal':
        return node.ungroup(m.group);
      case 'sessionsLocal':
        return node.sessions(m.group);
    }
  }

  private answer(request: IpcMessage, value: unknown): void {
    if (this.channel.connected === false || this.channel.send === undefined) return;
    const reply = (v: unknown): void => void this.channel.send?.({ wsgate: IPC_TAG, node: request.node, id: request.id, t: 'res', v }, undefined, undefined, noop);
    try {
      reply(value);
    } catch {
      // Not serializable (an application put a cyclic or BigInt value in a session): a throw here would be an
      // unhandled rejection. The asker gets null ("no such socket") rather than waiting for its timeout.
      reply(null);
    }
  }

  private readonly onDisconnect = (): void => {
    for (const id of [...this.pending.keys()]) this.fail(id, new AdapterUnavailableError('the cluster primary is gone'));
  };

  private detach(): void {
    this.channel.removeListener('message', this.onMessage);
    this.channel.removeListener('disconnect', this.onDisconnect);
  }

  private get local(): LocalNode {
    if (this.node === null) throw new Error('ClusterAdapter used before attach()');
    return this.node;
  }
}

function noop(): void {}
