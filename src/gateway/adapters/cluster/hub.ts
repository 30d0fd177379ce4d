import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import type { Target } from '../base.js';
import { Emitter } from '../../core/emitter.js';
import { LeaseTable } from '../lease.js';
import type { JsonMessage } from '../wire.js';
import { HUB, IPC_TAG, parseToHub, type HubCall, type ToWorker } from './ipc.js';
import { PresenceIndex } from './presence-index.js';
import { HubHistory } from './history-hub.js';

/** Options of `createClusterHub`. */
export interface ClusterHubOptions {
  /**
   * Workers to fork now. 0 forks none (call `fork()` yourself).
   *
   * @defaultValue `os.availableParallelism()`
   */
  workers?: number;
  /**
   * Fork a replacement when a worker dies (except during `close()`).
   *
   * @defaultValue `true`
   */
  restart?: boolean;
  /**
   * Extra environment variables for forked workers.
   *
   * @defaultValue `undefined`: the primary's environment only
   */
  env?: NodeJS.ProcessEnv;
}

/** What the hub's `exit` event says about a dead worker. */
export interface WorkerExit {
  /** The worker's exit code (null when a signal killed it). */
  readonly code: number | null;
  /** The signal that killed it, or null. */
  readonly signal: string | null;
  /** Sockets of the worker's gateways that left presence with it. */
  readonly sockets: number;
  /** A replacement will be forked. */
  readonly restarting: boolean;
}

/** The events of `hub.on(event, listener)`. */
export interface ClusterHubEvents {
  /** A worker was forked (at start or as a replacement). */
  fork: (worker: Worker) => void;
  /** A gateway in a worker attached its `ClusterAdapter`. */
  node: (nodeId: string, worker: Worker) => void;
  /** A worker died; its sockets already left presence. */
  exit: (worker: Worker, info: WorkerExit) => void;
}

/**
 * The `node:cluster` primary's half of the cluster adapter: it forks the workers (which share the listening port),
 * keeps the presence of every worker's gateway, answers presence queries from it (one IPC round trip for the asking
 * worker, no fan-out), routes requests to the worker named in the socket id or to the workers that have recipients
 * (only those), relays the replies, and when a worker dies drops its sockets from presence, tells the others, and
 * forks a replacement. It waits for nobody: correlation and timeouts live in the workers' adapters.
 *
 * Run it in the primary; run gateways with `new ClusterAdapter()` in the workers.
 */
export class ClusterHub {
  /** @internal Every worker gateway's presence, as the hub routes and answers queries by it. */
  readonly presence = new PresenceIndex();
  /** @internal Leader leases of cluster-scoped timers (`every(..., { scope: 'cluster' })`): the primary decides. */
  readonly leases = new LeaseTable();
  /** @internal History and recovery records of every worker (history-hub.ts), bounded like the memory adapter's. */
  readonly history = new HubHistory();
  private readonly restart: boolean;
  private readonly env: NodeJS.ProcessEnv | undefined;
  private readonly nodeWorkers = new Map<string, Worker>();
  private readonly workerNodes = new Map<number, Set<string>>();
  private readonly events = new Emitter<ClusterHubEvents>();
  private readonly forkedAt = new Map<number, number>();
  private closing = false;
  private restartDelay = 0;

  constructor(options: ClusterHubOptions = {}) {
    if (!cluster.isPrimary) throw new Error('ClusterHub runs in the cluster primary; use ClusterAdapter in workers');
    this.restart = options.restart ?? true;
    this.env = options.env;
    cluster.on('message', this.onMessage);
    cluster.on('exit', this.onExit);
    const workers = options.workers ?? availableParallelism();
    if (!Number.isInteger(workers) || workers < 0)
      throw new TypeError(`workers must be an integer >= 0, got ${workers}`);
    for (let i = 0; i < workers; i++) this.fork();
  }

  /** Listens to `fork`, `node` or `exit`; returns a function that removes the listener. */
  on<K extends keyof ClusterHubEvents>(event: K, listener: ClusterHubEvents[K]): () => void {
    return this.events.on(event, listener);
  }

  /** Forks one worker. */
  fork(): Worker {
    const worker = cluster.fork(this.env);
    this.forkedAt.set(worker.id, Date.now());
    this.events.emit('fork', worker);
    return worker;
  }

  /** Live workers. */
  get workers(): Worker[] {
    return Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
  }

  /** Registered gateway nodes and the pid of the worker each runs in. */
  nodes(): {
    /** The gateway's node id. */
    nodeId: string;
    /** The pid of the worker it runs in. */
    pid: number | undefined;
  }[] {
    return [...this.nodeWorkers].map(([nodeId, worker]) => ({ nodeId, pid: worker.process.pid }));
  }

  /**
   * Stops restarting, asks every worker to stop (SIGTERM: the `wsgate` CLI shuts its gateway down gracefully) and
   * waits for them up to `timeout` ms, then kills the rest.
   */
  async close(timeout = 5_000): Promise<void> {
    this.closing = true;
    const workers = this.workers;
    const exited = workers.map((w) =>
      w.isDead() ? Promise.resolve() : new Promise<void>((resolve) => w.once('exit', () => resolve())),
    );
    for (const w of workers) w.process.kill('SIGTERM');
    const timer = setTimeout(() => {
      for (const w of workers) if (!w.isDead()) w.process.kill('SIGKILL');
    }, timeout);
    await Promise.all(exited);
    clearTimeout(timer);
    cluster.removeListener('message', this.onMessage);
    cluster.removeListener('exit', this.onExit);
  }

  // ── workers' messages ──────────────────────────────────────────────────────────────────────────────────────────

  private readonly onMessage = (worker: Worker, value: unknown): void => {
    const message = parseToHub(value);
    if (message === null) return;
    if ('call' in message) {
      const answer = this.handle(worker, message.from, message.call);
      this.send(worker, {
        wsgate: IPC_TAG,
        to: message.from,
        msg: { h: { k: 'r', o: HUB, a: [[message.id, answer]] } },
      });
    } else {
      this.relay(message.to, message.msg);
    }
  };

  private handle(worker: Worker, from: string, call: HubCall): unknown {
    switch (call.t) {
      case 'hello': {
        this.nodeWorkers.set(from, worker);
        let nodes = this.workerNodes.get(worker.id);
        if (nodes === undefined) this.workerNodes.set(worker.id, (nodes = new Set()));
        nodes.add(from);
        this.events.emit('node', from, worker);
        return true;
      }
      case 'presence':
        // A node's changes only count while it is registered (not after its worker died or said bye).
        if (this.nodeWorkers.get(from) === worker) for (const change of call.changes) this.presence.apply(from, change);
        return true;
      case 'publish': {
        const reached = this.targets(call.target, from).filter((node) => this.relay(node, call.msg));
        return reached;
      }
      case 'query':
        return this.presence.answer(call.query);
      case 'bye':
        this.forget(from);
        return true;
      case 'lease':
        // Only a registered node may lead (not one whose worker died or said bye). A dead leader's lease is left
        // to expire: its successor waits for that, so two nodes never tick within one interval.
        return this.nodeWorkers.get(from) === worker && this.leases.lease(call.name, from, call.ttl);
      case 'release':
        this.leases.release(call.name, from, call.after);
        return true;
      case 'hpub':
      case 'hread':
      case 'hsave':
      case 'htake':
        return this.history.handle(
          from,
          call,
          (pub) => this.targets({ kind: 'audience', audience: pub.a }, from),
          (node, msg) => this.relay(node, msg),
        );
    }
  }

  /** The registered nodes (other than `from`) that `target` names. */
  private targets(target: Target, from: string): string[] {
    switch (target.kind) {
      case 'node':
        return this.nodeWorkers.has(target.node) ? [target.node] : [];
      case 'audience':
        // `all` goes to every registered node: a socket that just connected may not be in presence yet.
        if (target.audience.kind !== 'all') return [...this.presence.nodesFor(target.audience, from)];
        return [...this.nodeWorkers.keys()].filter((n) => n !== from);
      case 'holders':
        return [...this.presence.nodesHolding(target.group, from)];
    }
  }

  /** Sends `msg` to node `to`; false if that node is unknown or its worker unreachable. */
  private relay(to: string, msg: JsonMessage): boolean {
    const worker = this.nodeWorkers.get(to);
    if (worker === undefined || !worker.isConnected()) return false;
    return this.send(worker, { wsgate: IPC_TAG, to, msg });
  }

  private send(worker: Worker, message: ToWorker): boolean {
    if (!worker.isConnected()) return false;
    try {
      worker.send(message, undefined, (error: Error | null) => void error);
      return true;
    } catch {
      return false;
    }
  }

  // ── worker deaths ──────────────────────────────────────────────────────────────────────────────────────────────

  private readonly onExit = (worker: Worker, code: number | null, signal: string | null): void => {
    let sockets = 0;
    for (const nodeId of this.workerNodes.get(worker.id) ?? []) sockets += this.forget(nodeId);
    this.workerNodes.delete(worker.id);
    const restarting = this.restart && !this.closing;
    this.events.emit('exit', worker, { code, signal, sockets, restarting });
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

  /** Drops a node: its presence; the other nodes stop waiting for its answers. Returns its socket count. */
  private forget(nodeId: string): number {
    const worker = this.nodeWorkers.get(nodeId);
    if (worker !== undefined) {
      this.nodeWorkers.delete(nodeId);
      this.workerNodes.get(worker.id)?.delete(nodeId);
    }
    for (const [other, w] of this.nodeWorkers) this.send(w, { wsgate: IPC_TAG, to: other, gone: nodeId });
    return this.presence.dropNode(nodeId);
  }
}

/** Starts the cluster primary's hub and forks the workers. See `ClusterHub`. */
export function createClusterHub(options: ClusterHubOptions = {}): ClusterHub {
  return new ClusterHub(options);
}
