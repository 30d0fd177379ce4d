import { absentResult, type Adapter, type Audience, type SocketCommand, type SocketCommandResult } from '../adapter.js';
import type { LocalNode } from '../../local-node.js';
import type { GroupName, Payload, Session, SocketId, Uid } from '../../types.js';

/**
 * The default adapter: a cluster of exactly one node, answered from that node's indexes. Socket ids naming any
 * other node are simply absent. One instance per gateway.
 */
export class MemoryAdapter implements Adapter {
  private node: LocalNode | null = null;

  attach(node: LocalNode): void {
    if (this.node !== null) throw new Error('this MemoryAdapter is already attached to a gateway');
    this.node = node;
  }

  presenceChanged(): void {
    // The node's own indexes are the presence store.
  }

  forward<C extends SocketCommand>(_nodeId: string, command: C): Promise<SocketCommandResult<C>> {
    return Promise.resolve(absentResult(command));
  }

  broadcast(audience: Audience, payload: Payload, exclude: readonly SocketId[]): Promise<number> {
    return Promise.resolve(this.local.deliver(audience, payload, exclude));
  }

  ungroup(group: GroupName): Promise<number> {
    return this.local.ungroup(group);
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

  sessions(group?: GroupName): Promise<Record<SocketId, Session>> {
    return Promise.resolve(this.local.sessions(group));
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  private get local(): LocalNode {
    if (this.node === null) throw new Error('MemoryAdapter used before attach()');
    return this.node;
  }
}
