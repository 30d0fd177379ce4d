import type { Adapter, Audience, PresenceChange } from '../adapters/adapter.js';
import {
  ALL_STREAM,
  audienceOfStream,
  streamOfGroup,
  streamOfUid,
  type AdapterHistory,
  type HistoryLimits,
  type HistoryPage,
  type StreamName,
  type StreamPosition,
} from '../adapters/history.js';
import { AdapterUnavailableError } from '../adapters/errors.js';
import { ErrorCode, GatewayError } from './errors.js';
import type { LocalNode } from './local-node.js';
import type { GroupName, Payload, SocketId, Uid } from './types.js';

/** `gateway.history(stream, query)`. */
export interface HistoryRequest {
  /** Entries after this position (same epoch); omitted: from the oldest kept. */
  since?: StreamPosition;
  /** Most entries (default and maximum: `history.size`). */
  limit?: number;
}

/** Longest stream name accepted by queries (`group:` + a 256-character name, with room). */
const MAX_STREAM_LENGTH = 300;

/**
 * The gateway's side of history: routes fan-out sends through `AdapterHistory.publish` (one stream per group, per
 * uid, or `all`), answers `gateway.history`, and remembers per local socket where it entered each stream.
 */
export class GatewayHistory {
  constructor(
    readonly store: AdapterHistory,
    /** null: recovery only (no streams are kept). */
    readonly limits: HistoryLimits | null,
    private readonly node: LocalNode,
    private readonly report: (error: unknown) => void,
  ) {}

  get enabled(): boolean {
    return this.limits !== null;
  }

  /** Validates a stream name from an application or a client; throws `GatewayError('invalid_argument')`. */
  static checkStream(stream: unknown): StreamName {
    if (typeof stream !== 'string' || stream.length > MAX_STREAM_LENGTH || audienceOfStream(stream) === null)
      throw new GatewayError(ErrorCode.InvalidArgument, 'stream must be "all", "group:<name>" or "uid:<uid>"');
    return stream;
  }

  // ── sending ────────────────────────────────────────────────────────────────────────────────────────────────────

  sendToAll(audience: Audience, payload: Payload, exclude: readonly SocketId[]): Promise<number> {
    return this.store.publish(ALL_STREAM, audience, payload, exclude).then(delivered);
  }

  /** One publication per uid (a socket has one uid: nobody gets two). */
  sendToUids(uids: readonly Uid[], payload: Payload, exclude: readonly SocketId[]): Promise<number> {
    if (uids.length === 1) {
      const uid = uids[0]!;
      return this.store.publish(streamOfUid(uid), { kind: 'uids', uids: [uid] }, payload, exclude).then(delivered);
    }
    const sends = [...new Set(uids)].map((uid) =>
      this.store.publish(streamOfUid(uid), { kind: 'uids', uids: [uid] }, payload, exclude).then(delivered),
    );
    return Promise.all(sends).then(sum);
  }

  /** One publication per group: a socket in two of the groups gets the message once per group (each has its order). */
  sendToGroups(groups: readonly GroupName[], payload: Payload, exclude: readonly SocketId[]): Promise<number> {
    if (groups.length === 1) {
      const group = groups[0]!;
      return this.store
        .publish(streamOfGroup(group), { kind: 'groups', groups: [group] }, payload, exclude)
        .then(delivered);
    }
    const sends = [...new Set(groups)].map((group) =>
      this.store.publish(streamOfGroup(group), { kind: 'groups', groups: [group] }, payload, exclude).then(delivered),
    );
    return Promise.all(sends).then(sum);
  }

  // ── queries ────────────────────────────────────────────────────────────────────────────────────────────────────

  read(stream: unknown, request: HistoryRequest = {}): Promise<HistoryPage> {
    const limits = this.limits;
    if (limits === null) return Promise.reject(new GatewayError(ErrorCode.HistoryOff, 'history is off'));
    const name = GatewayHistory.checkStream(stream);
    const limit = request.limit ?? limits.size;
    if (!Number.isSafeInteger(limit) || limit < 0)
      throw new GatewayError(ErrorCode.InvalidArgument, 'limit must be an integer >= 0');
    const since = request.since;
    if (since !== undefined && !isPosition(since))
      throw new GatewayError(ErrorCode.InvalidArgument, 'since must be { epoch: string, offset: integer >= 0 }');
    return this.store
      .read(name, {
        limit: Math.min(limit, limits.size),
        ...(since === undefined ? {} : { since: { epoch: since.epoch, offset: since.offset } }),
      })
      .catch(unavailable);
  }

  // ── where each local socket entered its streams ────────────────────────────────────────────────────────────────

  /** Called with every presence change of this node (before the adapter hears it). */
  track(change: PresenceChange): void {
    if (this.limits === null) return;
    switch (change.type) {
      case 'connect':
        return this.enter(change.socketId, ALL_STREAM);
      case 'bind':
        return this.enter(change.socketId, streamOfUid(change.uid));
      case 'join':
        return this.enter(change.socketId, streamOfGroup(change.group));
      case 'unbind':
        return this.leave(change.socketId, streamOfUid(change.uid));
      case 'leave':
        return this.leave(change.socketId, streamOfGroup(change.group));
      case 'disconnect':
        return;
    }
  }

  /**
   * Reads the stream's top as the socket enters it: the socket is owed everything after it. With the memory adapter
   * the read happens before any later publication; elsewhere a message published during the read's round trip is
   * delivered live but not owed on recovery.
   */
  private enter(socketId: SocketId, stream: StreamName): void {
    this.store.read(stream, { limit: 0 }).then((page) => {
      const socket = this.node.get(socketId);
      if (socket === undefined) return;
      (socket.streamStarts ??= new Map()).set(stream, { epoch: page.epoch, offset: page.top });
    }, this.report);
  }

  private leave(socketId: SocketId, stream: StreamName): void {
    this.node.get(socketId)?.streamStarts?.delete(stream);
  }
}

/** The store could not be reached (Redis, the cluster primary): `unavailable` for the client (HTTP 503). */
export function unavailable(error: unknown): never {
  if (error instanceof AdapterUnavailableError) throw new GatewayError(ErrorCode.Unavailable, error.message);
  throw error;
}

export function isPosition(value: unknown): value is StreamPosition {
  if (typeof value !== 'object' || value === null) return false;
  const { epoch, offset } = value as { epoch?: unknown; offset?: unknown };
  return (
    typeof epoch === 'string' &&
    epoch.length > 0 &&
    epoch.length <= 64 &&
    typeof offset === 'number' &&
    Number.isSafeInteger(offset) &&
    offset >= 0
  );
}

/** The adapter's history store, or a clear error naming the adapter that has none. */
export function openAdapterHistory(adapter: Adapter, limits: HistoryLimits | null): AdapterHistory {
  if (typeof adapter.openHistory !== 'function') {
    const name = (adapter as { constructor?: { name?: string } }).constructor?.name ?? 'this adapter';
    throw new TypeError(`${name} does not implement history (Adapter.openHistory): history and recovery need it`);
  }
  return adapter.openHistory(limits);
}

function delivered(publication: { delivered: number }): number {
  return publication.delivered;
}

function sum(values: readonly number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
