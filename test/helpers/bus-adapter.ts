// An adapter over an in-process "bus", for tests (not a test file itself): what it takes to put wsgate on another
// transport with the ScaleOutAdapter base — publish bytes, hand what arrives to receive(), answer presence queries.
// Messages cross as bytes (encodeBytes/decodeBytes), as a real transport copies them; delivery is asynchronous.
// `bus.cut(node)` makes a node disappear without a goodbye (the others are told, as the cluster primary does).
import type { LocalNode } from '../../src/gateway/core/local-node.js';
import {
  decodeBytes,
  encodeBytes,
  ScaleOutAdapter,
  type NodeReplies,
  type NodeRequest,
  type PresenceChange,
  type Target,
} from '../../src/gateway/index.js';

export class Bus {
  readonly members = new Map<string, BusAdapter>();

  /** The node `id` disappears: it hears nothing more, and the others stop waiting for it. */
  cut(id: string): void {
    this.members.delete(id);
    for (const member of this.members.values()) member.left(id);
  }

  send(to: BusAdapter, bytes: Buffer): void {
    const copy = Buffer.from(bytes);
    setImmediate(() => to.arrived(copy));
  }
}

export class BusAdapter extends ScaleOutAdapter {
  constructor(private readonly bus: Bus) {
    super('BusAdapter', { requestTimeout: 2_000 });
  }

  protected start(node: LocalNode): Promise<void> {
    this.bus.members.set(node.nodeId, this);
    return Promise.resolve();
  }

  protected stop(): Promise<void> {
    if (this.bus.members.get(this.nodeId) === this) this.bus.cut(this.nodeId);
    return Promise.resolve();
  }

  protected publish(target: Target, request: NodeRequest): Promise<string[]> {
    const bytes = encodeBytes(request);
    const reached: string[] = [];
    for (const [id, member] of this.bus.members) {
      if (id === this.nodeId || !member.holds(target)) continue;
      reached.push(id);
      this.bus.send(member, bytes);
    }
    return Promise.resolve(reached);
  }

  protected publishReplies(to: string, replies: NodeReplies): void {
    const member = this.bus.members.get(to);
    if (member !== undefined) this.bus.send(member, encodeBytes(replies));
  }

  arrived(bytes: Buffer): void {
    const message = decodeBytes(bytes);
    if (message !== null) this.receive(message);
  }

  left(id: string): void {
    this.gone(id);
  }

  /** Whether this node is one of `target`'s (a real transport would know from its routing or subscriptions). */
  holds(target: Target): boolean {
    switch (target.kind) {
      case 'node':
        return target.node === this.nodeId;
      case 'holders':
        return target.group === undefined || this.local.socketCount(target.group) > 0;
      case 'audience':
        return true;
    }
  }

  // Storage: the bus's members' own indexes.
  presenceChanged(_change: PresenceChange): void {}

  private nodes(): LocalNode[] {
    return [...this.bus.members.values()].map((m) => m.local);
  }

  isUidOnline(uid: string): Promise<boolean> {
    return Promise.resolve(this.nodes().some((n) => n.isUidOnline(uid)));
  }

  socketsOfUid(uid: string): Promise<string[]> {
    return Promise.resolve(this.nodes().flatMap((n) => n.socketsOfUid(uid)));
  }

  sockets(group?: string): Promise<string[]> {
    return Promise.resolve(this.nodes().flatMap((n) => n.sockets(group)));
  }

  uids(group?: string): Promise<string[]> {
    return Promise.resolve([...new Set(this.nodes().flatMap((n) => n.uids(group)))]);
  }

  groups(): Promise<string[]> {
    return Promise.resolve([...new Set(this.nodes().flatMap((n) => n.groups()))]);
  }

  socketCount(group?: string): Promise<number> {
    return Promise.resolve(this.nodes().reduce((sum, n) => sum + n.socketCount(group), 0));
  }

  async uidCount(group?: string): Promise<number> {
    return (await this.uids(group)).length;
  }
}
