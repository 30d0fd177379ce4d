import type { LocalNode } from '../core/local-node.js';
import type { NodeReport } from '../core/node-report.js';
import type { Audience, PresenceChange, SocketCommand, SocketCommandResult } from './commands.js';
import type { LeaseStore } from './lease.js';
import type { AdapterHistory, HistoryLimits } from './history.js';
import type { GroupName, Payload, Session, SocketId, Uid } from '../core/types.js';

// The data an adapter carries (commands, audiences, presence changes) lives in commands.ts, which the node imports
// too; this file adds the interface, which names the node: splitting them keeps the two free of an import cycle.
export * from './commands.js';
export * from './history.js';

/**
 * How a gateway talks to the rest of the cluster. `MemoryAdapter` (the default) is a cluster of one node. All
 * methods but `attach` and `presenceChanged` are only called after `attach` resolved, and not after `close`.
 * `lease`/`releaseLease` (lease.ts) are optional: without them `every(..., { scope: 'cluster' })` is refused.
 */
export interface Adapter extends Partial<LeaseStore> {
  /**
   * Optional (see `LeaseStore.lease`): takes or renews the leader lease `name` for `ttl` ms; resolves true when this
   * node holds it now. Needed by `every(..., { scope: 'cluster' })`.
   */
  lease?(name: string, ttl: number): Promise<boolean>;
  /**
   * Optional (see `LeaseStore.releaseLease`): gives lease `name` up, letting it expire `after` ms from now. Never
   * rejects.
   */
  releaseLease?(name: string, after: number): Promise<void>;
  /** Called once by the gateway with its node, before any other method. Throw to refuse a second gateway. */
  attach(node: LocalNode): void | Promise<void>;
  /**
   * The attached node changed the presence of one of its sockets. Called in order; an adapter that stores presence
   * should apply changes in that order. A rejection is reported on the gateway's `error` event.
   */
  presenceChanged(change: PresenceChange): void | Promise<void>;
  /**
   * Runs `command` on node `nodeId` (never the attached node: the gateway runs those itself). Resolves with
   * `absentResult(command)` when that node is unknown or gone.
   */
  forward<C extends SocketCommand>(nodeId: string, command: C): Promise<SocketCommandResult<C>>;
  /** Delivers `payload` to `audience` on every node, skipping `exclude`. Resolves to the number of sockets written to. */
  broadcast(audience: Audience, payload: Payload, exclude: readonly SocketId[]): Promise<number>;
  /** Removes every socket, on every node, from `group`. Resolves to the number of sockets removed. */
  ungroup(group: GroupName): Promise<number>;
  /** Does `uid` have a socket on any node? */
  isUidOnline(uid: Uid): Promise<boolean>;
  /** The sockets bound to `uid`, on every node. */
  socketsOfUid(uid: Uid): Promise<SocketId[]>;
  /** All socket ids, or those in `group`. */
  sockets(group?: GroupName): Promise<SocketId[]>;
  /** All bound uids, or those with a socket in `group`. Each uid once. */
  uids(group?: GroupName): Promise<Uid[]>;
  /** Every group with at least one socket. */
  groups(): Promise<GroupName[]>;
  /** Number of sockets on every node, overall or in `group`. */
  socketCount(group?: GroupName): Promise<number>;
  /** Number of distinct bound uids on every node, overall or in `group`. */
  uidCount(group?: GroupName): Promise<number>;
  /** Session snapshots of all sockets, or of those in `group`, by socket id. */
  sessions(group?: GroupName): Promise<Record<SocketId, Session>>;
  /**
   * Every node's report, this one first (cluster-wide `/status` and `/metrics`). Optional: without it they show
   * this node only.
   */
  nodeReports?(): Promise<NodeReport[]>;
  /**
   * Optional: turns on history and recovery storage and returns it (see `AdapterHistory` in history.ts for every
   * method's contract). Called at most once, synchronously, by the gateway's constructor, before `attach`, when the
   * gateway has `history` (then `limits` is given) or only `recovery` (then `limits` is null: only
   * `saveRecovery` / `takeRecovery` will be used, and `read` answers every stream as lost). An adapter without it
   * makes `createGateway` throw when either option is on. Throw to refuse (e.g. limits the store can't honour).
   */
  openHistory?(limits: HistoryLimits | null): AdapterHistory;
  /** The gateway is shutting down (its sockets are already closed). Release connections, timers, subscriptions. */
  close(): Promise<void>;
}
