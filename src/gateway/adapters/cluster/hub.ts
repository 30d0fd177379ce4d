import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { absentResult, type SocketCommand } from '../adapter.js';
import type { Session, SocketId } from '../../types.js';
import { IPC_TAG, isIpcMessage, type Answer, type IpcMessage, type PrimaryRequest, type WorkerRequest } from './ipc.js';
import { PresenceIndex } from './presence-index.js';

export interface ClusterHubOptions {
  /** Workers to fork now. Default: `os.availableParallelism()`. 0 forks none (call `fork()` yourself). */
  workers?: number;
  /** Fork a replacement when a worker dies (except during `close()`). Default true. */
  restart?: boolean;
  /** How long the primary waits for a worker's answer before counting it absent. Default 5,000 ms. */
  requestTimeout?: number;
  /** Extra environment variables for forked workers. */
  env?: NodeJS.ProcessEnv;
}

export interface WorkerExit {
  readonly code: number | null;
  readonly signal: string | null;
  /** Sockets of the worker's gateways that left presence with it. */
  readonly sockets: number;
  /** A replacement will be forked. */
  readonly restarting: boolean;
}

export interface ClusterHubEvents {
  /** A worker was forked (at start or as a replacement). */
  fork: (worker: Worker) => void;
  /** A gateway in a worker attached its `ClusterAdapter`. */
  node: (nodeId: string, worker: Worker) => void;
  /** A worker died; its sockets already left presence. */
  exit: (worker: Worker, info: WorkerExit) => void;
}

type EventName = keyof ClusterHubEvents;

interface Pending {
  readonly nodeId: string;
  readonly fallback: unknown;
  readonly resolve: (value: unknown) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * The `node:cluster` primary's half of the cluster adapter: it forks the workers (which share the listening port),
 * keeps the presence of every worker's gateway, answers presence queries from it (one IPC round trip for the asking
 * worker, no fan-out), relays socket commands to the worker named in the socket id, forwards fan-out sends only to
 * the workers that have recipients, and when a worker dies drops its sockets from presence and forks a replacement.
 *
 * Run it in the primary; run gateways with `new ClusterAdapter()` in the workers.
 */
export class ClusterHub {
  readonly presence = new PresenceIndex();
  private readonly restart: boolean;
  private readonly timeout: number;
  private readonly env: NodeJS.ProcessEnv | undefined;
  private readonly nodeWorkers = new Map<string, Worker>();
  private readonly workerNodes = new Map<number, Set<string>>();
  private readonly pending = new Map<number, Pending>();
  private readonly listeners: { [K in EventName]: ClusterHubEvents[K][] } = { fork: [], node: [], exit: [] };
  private readonly forkedAt = new Map<number, number>();
  private sequence = 0;
  private closing = false;
  private restartDelay = 0;

  constructor(options: ClusterHubOptions = {}) {
    if (!cluster.isPrimary) throw new Error('ClusterHub runs in the cluster primary; use ClusterAdapter in workers');
    this.restart = options.restart ?? true;
    this.timeout = options.requestTimeout ?? 5_000;
    this.env = options.env;
    cluster.on('message', this.onMessage);
    cluster.on('exit', this.onExit);
    const workers = options.workers ?? availableParallelism();
    if (!Number.isInteger(workers) || workers < 0) throw new TypeError(`workers must be an integer >= 0, got ${workers}`);
    for (let i = 0; i < workers; i++) this.fork();
  }

  on<K extends EventName>(event: K, listener: ClusterHubEvents[K]): () => void {
    const list = this.listeners[event] as ClusterHubEvents[K][];
    list.push(listener);
    return () => {
      const i = list.indexOf(listener);
      if (i !== -1) list.splice(i, 1);
    };
  }

  /** Forks one worker. */
  fork(): Worker {
    const worker = cluster.fork(this.env);
    this.forkedAt.set(worker.id, Date.now());
    this.emit('fork', worker);
    return worker;
  }

  /** Live workers. */
  get workers(): Worker[] {
    return Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
  }

  /** Registered gateway nodes and the pid of the worker each runs in. */
  nodes(): { nodeId: string; pid: number | undefined }[] {
    return [...this.nodeWorkers].map(([nodeId, worker]) => ({ nodeId, pid: worker.process.pid }));
  }

  /**
   * Stops restarting, asks every worker to stop (SIGTERM: the `wsgate` CLI shuts its gateway down gracefully) and
   * waits for them up to `timeout` ms, then kills the rest.
   */
  async close(timeout = 5_000): Promise<void> {
    this.closing = true;
    const workers = this.workers;
    const exited = workers.map((w) => (w.isDead() ? Promise.resolve() : new Promise<void>((resolve) => w.once('exit', () => resolve()))));
    for (const w of workers) w.process.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
    }, timeout);
    await Promise.all(exited);
    clearTimeout(timer);
    cluster.removeListener('message', this.onMessage);
    cluster.removeListener('exit', this.onExit);
  }

  // ── workers' requests ──────────────────────────────────────────────────────────────────────────────────────────

  private readonly onMessage = (worker: Worker, message: unknown): void => {
    if (!isIpcMessage(message)) return;
    if (message.t === 'res' || message.t === 'err') return this.settle(message);
    void this.handle(worker, message as WorkerRequest).then(
      (value) => this.answer(worker, message, { t: 'res', v: value }),
      (error: unknown) => this.answer(worker, message, { t: 'err', e: error instanceof Error ? error.message : String(error) }),
    );
  };

  private async handle(worker: Worker, m: WorkerRequest): Promise<unknown> {
    switch (m.t) {
      case 'hello': {
        this.nodeWorkers.set(m.node, worker);
        let nodes = this.workerNodes.get(worker.id);
        if (nodes === undefined) this.workerNodes.set(worker.id, (nodes = new Set()));
        nodes.add(m.node);
        this.emit('node', m.node, worker);
        return true;
      }
      case 'presence':
        // A node's changes only count while it is registered (not after its worker died or said bye).
        if (this.nodeWorkers.get(m.node) === worker) for (const change of m.changes) this.presence.apply(m.node, change);
        return true;
      case 'forward': {
        const fallback = absentResult(m.cmd as SocketCommand);
        return this.ask(m.to, { t: 'exec', cmd: m.cmd }, fallback);
      }
      case 'broadcast': {
        // `all` goes to every registered node: a socket that just connected may not be in presence yet.
        const targets = m.audience.kind === 'all' ? [...this.nodeWorkers.keys()].filter((n) => n !== m.node) : this.presence.nodesFor(m.audience, m.node);
        const counts = await Promise.all(
          [...targets].map((n) => this.ask(n, { t: 'deliver', audience: m.audience, payload: m.payload, exclude: m.exclude }, 0)),
        );
        return counts.reduce<number>((sum, n) => sum + Number(n), 0);
      }
      case 'ungroup': {
        const targets = this.presence.nodesHolding(m.group, m.node);
        const counts = await Promise.all([...targets].map((n) => this.ask(n, { t: 'ungroupLocal', group: m.group }, 0)));
        return counts.reduce<number>((sum, n) => sum + Number(n), 0);
      }
      case 'query':
        return this.presence.answer(m.query);
      case 'sessions': {
        const targets = this.presence.nodesHolding(m.group, m.node);
        const parts = await Promise.all(
          [...targets].map((n) => this.ask(n, m.group === undefined ? { t: 'sessionsLocal' } : { t: 'sessionsLocal', group: m.group }, {})),
        );
        return Object.assign({}, ...parts) as Record<SocketId, Session>;
      }
      case 'bye':
        this.forget(m.node);
        return true;
    }
  }

  private answer(worker: Worker, request: IpcMessage, body: { t: 'res'; v: unknown } | { t: 'err'; e: string }): void {
    if (!worker.isConnected()) return;
    const message = { wsgate: IPC_TAG, node: request.node, id: request.id, ...body } as Answer;
    worker.send(message, undefined, (error: Error | null) => void error);
  }

  // ── the primary's requests to workers ──────────────────────────────────────────────────────────────────────────

  /** Asks node `nodeId`; resolves `fallback` if it is unknown, dies, or doesn't answer within the timeout. */
  private ask(nodeId: string, body: DistributiveOmit<PrimaryRequest, 'wsgate' | 'node' | 'id'>, fallback: unknown): Promise<unknown> {
    const worker = this.nodeWorkers.get(nodeId);
    if (worker === undefined || !worker.isConnected()) return Promise.resolve(fallback);
    const id = ++this.sequence;
    return new Promise((resolve) => {
      const timer = setTimeout(() => this.resolvePending(id, undefined, true), this.timeout);
      timer.unref();
      this.pending.set(id, { nodeId, fallback, resolve, timer });
      const message = { wsgate: IPC_TAG, node: nodeId, id, ...body } as PrimaryRequest;
      worker.send(message, undefined, (error: Error | null) => {
        if (error !== null) this.resolvePending(id, undefined, true);
      });
    });
  }

  private settle(answer: Answer): void {
    if (answer.t === 'res') this.resolvePending(answer.id, answer.v, false);
    else this.resolvePending(answer.id, undefined, true);
  }

  private resolvePending(id: number, value: unknown, failed: boolean): void {
    const pending = this.pending.get(id);
    if (pending === undefined) return;
    this.pending.delete(id);
    clearTimeout(pending.timer);
    pending.resolve(failed ? pending.fallback : value);
  }

  // ── worker deaths ──────────────────────────────────────────────────────────────────────────────────────────────

  private readonly onExit = (worker: Worker, code: number | null, signal: string | null): void => {
    let sockets = 0;
    for (const nodeId of this.workerNodes.get(worker.id) ?? []) sockets += this.forget(nodeId);
    this.workerNodes.delete(worker.id);
    const restarting = this.restart && !this.closing;
    this.emit('exit', worker, { code, signal, sockets, restarting });
    if (!restarting) return;
    // A worker that dies right after starting would fork-loop: back off up to 5 s while that goes on.
    const lived = Date.now() - (this.forkedAt.get(worker.id) ?? 0);
    this.forkedAt.delete(worker.id);
    this.restartDelay = lived < 1_000 ? Math.min(Math.max(this.restartDelay * 2, 100), 5_000) : 0;
    const timer = setTimeout(() => {
      if (!this.closing) this.fork();
    }, this.restartDelay);
    timer.unref();
  };

  /** Drops a node: its presence, and the answers it still owed (they get their fallback). */
  private forget(nodeId: string): number {
    const worker = this.nodeWorkers.get(nodeId);
    if (worker !== undefined) {
      this.nodeWorkers.delete(nodeId);
      this.workerNodes.get(worker.id)?.delete(nodeId);
    }
    for (const [id, pending] of this.pending) if (pending.nodeId === nodeId) this.resolvePending(id, undefined, true);
    return this.presence.dropNode(nodeId);
  }

  private emit<K extends EventName>(event: K, ...args: Parameters<ClusterHubEvents[K]>): void {
    for (const listener of [...this.listeners[event]]) {
      try {
        (listener as (...a: Parameters<ClusterHubEvents[K]>) => void)(...args);
      } catch {
        // a listener's bug must not break the hub
      }
    }
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/** Starts the cluster primary's hub and forks the workers. See `ClusterHub`. */
export function createClusterHub(options: ClusterHubOptions = {}): ClusterHub {
  return new ClusterHub(options);
}
