import type { LocalNode } from '../../core/local-node.js';
import type { GroupName, SocketId, Uid } from '../../core/types.js';
import { ScaleOutAdapter } from '../base.js';
import { checkLease } from '../lease.js';
import type { Audience } from '../commands.js';
import { newEpoch, type AdapterHistory, type HistoryLimits, type StreamName } from '../history.js';
import { RecoveryStore, StreamStore } from '../stream-store.js';
import type { Payload } from '../../core/types.js';

/** Most recovery records kept (one per socket closed within the recovery window); past it the oldest go. */
export const MEMORY_MAX_RECOVERY_RECORDS = 100_000;

/**
 * The default adapter: a cluster of exactly one node, answered from that node's indexes. Socket ids naming any
 * other node are simply absent. One instance per gateway.
 */
export class MemoryAdapter extends ScaleOutAdapter {
  constructor() {
    super('MemoryAdapter', {});
  }

  protected override get hasPeers(): boolean {
    return false;
  }

  protected start(_node: LocalNode): Promise<void> {
    return Promise.resolve();
  }

  protected stop(): Promise<void> {
    return Promise.resolve();
  }

  protected publish(): Promise<number> {
    return Promise.resolve(0);
  }

  protected publishReplies(): void {
    // nobody asks
  }

  /** Ring buffers per stream in this process (`StreamStore`); a restart loses them, and new epochs say so. */
  openHistory(limits: HistoryLimits | null): AdapterHistory {
    const streams = limits === null ? null : new StreamStore(limits);
    const records = new RecoveryStore(MEMORY_MAX_RECOVERY_RECORDS);
    const lostEpoch = newEpoch();
    return {
      maxRecoveryRecords: records.maxRecords,
      publish: async (stream: StreamName, audience: Audience, payload: Payload, exclude) => {
        if (streams === null) throw new Error('history is off: publish is not available');
        // Assign and deliver in one synchronous step: publications of a stream leave in offset order.
        const position = streams.append(stream, payload);
        const delivered = await this.deliverPublication(stream, position, audience, payload, exclude);
        return { position, delivered };
      },
      read: (stream, query) =>
        Promise.resolve(
          streams === null ? { epoch: lostEpoch, top: 0, entries: [], complete: false } : streams.read(stream, query),
        ),
      saveRecovery: (id, record, ttlMs) => {
        records.save(id, record, ttlMs);
        return Promise.resolve();
      },
      takeRecovery: (id) => Promise.resolve(records.take(id)),
    };
  }

  presenceChanged(): void {
    // The node's own indexes are the presence store.
  }

  isUidOnline(uid: Uid): Promise<boolean> {
    return Promise.resolve(this.local.isUidOnline(uid));
  }

  socketsOfUid(uid: Uid): Promise<SocketId[]> {
    return Promise.resolve(this.local.socketsOfUid(uid));
  }

  sockets(group?: GroupName): Promise<SocketId[]> {
    return Promise.resolve(this.local.sockets(group));
  }

  uids(group?: GroupName): Promise<Uid[]> {
    return Promise.resolve(this.local.uids(group));
  }

  groups(): Promise<GroupName[]> {
    return Promise.resolve(this.local.groups());
  }

  socketCount(group?: GroupName): Promise<number> {
    return Promise.resolve(this.local.socketCount(group));
  }

  uidCount(group?: GroupName): Promise<number> {
    return Promise.resolve(this.local.uidCount(group));
  }

  /** A cluster of one: this node always leads. */
  lease(name: string, ttl: number): Promise<boolean> {
    checkLease(name, ttl);
    return Promise.resolve(true);
  }

  /** Nothing to give up: with one node there is nobody to take over. */
  releaseLease(): Promise<void> {
    return Promise.resolve();
  }
}
