import type { LocalNode } from '../../core/local-node.js';
import type { GroupName, SocketId, Uid } from '../../core/types.js';
import { ScaleOutAdapter } from '../base.js';
import { checkLease } from '../lease.js';

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

  releaseLease(): Promise<void> {
    return Promise.resolve();
  }
}
