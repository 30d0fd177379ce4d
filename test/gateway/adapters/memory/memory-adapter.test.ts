// The Adapter seam. A test-only adapter joins several gateways in one process over an in-memory "bus" (commands are
// structured-cloned, as a real transport would copy them), which is what a node:cluster or Redis adapter has to do:
// socket-addressed operations go to the node named in the socket id, fan-out reaches every node, presence queries
// merge all nodes. Also: the presence changes a node reports, and the MemoryAdapter's one-node behaviour.
import { afterEach, describe, expect, it } from 'vitest';
import {
  absentResult,
  MemoryAdapter,
  type Adapter,
  type Audience,
  type Gateway,
  type LocalNode,
  type Payload,
  type PresenceChange,
  type Session,
  type SocketCommand,
  type SocketCommandResult,
} from '../../../../src/gateway/index.js';
import { cleanup, idOf, open, startGateway, waitFor, withIdRoute, type TestClient } from '../../helpers.js';

afterEach(cleanup);

/** The "network": every node attached so far. */
class Bus {
  readonly nodes = new Map<string, LocalNode>();
  readonly forwarded: { from: string; to: string; op: string }[] = [];
}

class BusAdapter implements Adapter {
  private node!: LocalNode;
  readonly changes: PresenceChange[] = [];
  constructor(private readonly bus: Bus) {}

  attach(node: LocalNode): void {
    this.node = node;
    this.bus.nodes.set(node.nodeId, node);
  }
  presenceChanged(change: PresenceChange): void {
    this.changes.push(change);
  }
  async forward<C extends SocketCommand>(nodeId: string, command: C): Promise<SocketCommandResult<C>> {
    this.bus.forwarded.push({ from: this.node.nodeId, to: nodeId, op: command.op });
    const target = this.bus.nodes.get(nodeId);
    if (target === undefined) return absentResult(command);
    return structuredClone(await target.execute(structuredClone(command)));
  }
  private all(): LocalNode[] {
    return [...this.bus.nodes.values()];
  }
  async broadcast(audience: Audience, payload: Payload, exclude: readonly string[]): Promise<number> {
    let n = 0;
    for (const node of this.all()) n += node.deliver(structuredClone(audience), payload, exclude);
    return n;
  }
  async ungroup(group: string): Promise<number> {
    let n = 0;
    for (const node of this.all()) n += await node.ungroup(group);
    return n;
  }
  async isUidOnline(uid: string): Promise<boolean> {
    return this.all().some((n) => n.isUidOnline(uid));
  }
  async socketsOfUid(uid: string): Promise<string[]> {
    return this.all().flatMap((n) => n.socketsOfUid(uid));
  }
  async sockets(group?: string): Promise<string[]> {
    return this.all().flatMap((n) => n.sockets(group));
  }
  async uids(group?: string): Promise<string[]> {
    return [...new Set(this.all().flatMap((n) => n.uids(group)))];
  }
  async groups(): Promise<string[]> {
    return [...new Set(this.all().flatMap((n) => n.groups()))];
  }
  async socketCount(group?: string): Promise<number> {
    return this.all().reduce((sum, n) => sum + n.socketCount(group), 0);
  }
  async uidCount(group?: string): Promise<number> {
    return (await this.uids(group)).length;
  }
  async sessions(group?: string): Promise<Record<string, Session>> {
    return Object.assign({}, ...this.all().map((n) => n.sessions(group))) as Record<string, Session>;
  }
  async close(): Promise<void> {
    this.bus.nodes.delete(this.node.nodeId);
  }
}

async function cluster(): Promise<{
  bus: Bus;
  A: Gateway;
  B: Gateway;
  a: TestClient;
  b: TestClient;
  b2: TestClient;
  ids: { a: string; b: string; b2: string };
}> {
  const bus = new Bus();
  const A = withIdRoute(await startGateway({ nodeId: 'A', adapter: new BusAdapter(bus) }));
  const B = withIdRoute(await startGateway({ nodeId: 'B', adapter: new BusAdapter(bus) }));
  const a = await open(A);
  const b = await open(B);
  const b2 = await open(B);
  return { bus, A, B, a, b, b2, ids: { a: await idOf(a), b: await idOf(b), b2: await idOf(b2) } };
}

describe('a two-node cluster through the Adapter interface', () => {
  it('socket-addressed operations go straight to the node in the id', async () => {
    const { bus, A, b, ids } = await cluster();
    expect(ids.a.startsWith('A.')).toBe(true);
    expect(ids.b.startsWith('B.')).toBe(true);

    expect(await A.sendToSocket(ids.b, { hi: 'from A' })).toBe(1);
    expect(await b.json()).toEqual({ hi: 'from A' });
    expect(await A.bindUid(ids.b, 'bob')).toBe(true);
    expect(await A.uidOfSocket(ids.b)).toBe('bob');
    expect(await A.joinGroup(ids.b, 'g')).toBe(true);
    expect(await A.groupsOfSocket(ids.b)).toEqual(['g']);
    expect(await A.setSession(ids.b, { n: 1 })).toBe(true);
    expect(await A.updateSession(ids.b, { m: 2 })).toBe(true);
    expect(await A.getSession(ids.b)).toEqual({ n: 1, m: 2 });
    expect(await A.isOnline(ids.b)).toBe(true);
    expect(bus.forwarded.every((f) => f.from === 'A' && f.to === 'B')).toBe(true);
    expect(bus.forwarded.map((f) => f.op)).toEqual([
      'send',
      'bindUid',
      'uidOf',
      'joinGroup',
      'groupsOf',
      'setSession',
      'updateSession',
      'getSession',
      'isOnline',
    ]);

    // Local ids never go through the adapter; unknown nodes are absent.
    bus.forwarded.length = 0;
    expect(await A.bindUid(ids.a, 'ada')).toBe(true);
    expect(await A.isOnline('C.1')).toBe(false);
    expect(bus.forwarded).toEqual([{ from: 'A', to: 'C', op: 'isOnline' }]);
  });

  it('sendToSocket with ids on both nodes: one command per node', async () => {
    const { bus, A, a, b, b2, ids } = await cluster();
    expect(await A.sendToSocket([ids.a, ids.b, ids.b2], 'x')).toBe(3);
    for (const c of [a, b, b2]) expect(await c.next()).toBe('x');
    expect(bus.forwarded).toEqual([{ from: 'A', to: 'B', op: 'send' }]);
  });

  it('fan-out and presence span the nodes', async () => {
    const { A, B, a, b, b2, ids } = await cluster();
    await A.bindUid(ids.a, 'ada');
    await B.bindUid(ids.b, 'ada');
    await B.bindUid(ids.b2, 'bob');
    await A.joinGroup(ids.a, 'room');
    await A.joinGroup(ids.b2, 'room');

    expect(await A.isUidOnline('bob')).toBe(true);
    expect((await A.socketsOfUid('ada')).sort()).toEqual([ids.a, ids.b].sort());
    expect(await A.uidCount()).toBe(2);
    expect(await B.socketCount()).toBe(3);
    expect((await B.sockets('room')).sort()).toEqual([ids.a, ids.b2].sort());

    expect(await B.sendToUid('ada', 'to ada')).toBe(2);
    expect(await a.next()).toBe('to ada');
    expect(await b.next()).toBe('to ada');
    expect(await B.sendToGroup('room', 'to room', { exclude: ids.a })).toBe(1);
    expect(await b2.next()).toBe('to room');
    expect(await A.sendToAll('to all')).toBe(3);
    for (const c of [a, b, b2]) expect(await c.next()).toBe('to all');

    expect(await B.ungroup('room')).toBe(2);
    expect(await A.groups()).toEqual([]);

    expect(await A.closeSocket(ids.b2, 4000, 'moved')).toBe(true);
    expect((await b2.closed).code).toBe(4000);
    await waitFor(async () => !(await A.isUidOnline('bob')));
  });
});

describe('presence changes', () => {
  it('the owning node reports connect, bind, join, leave, unbind, disconnect in order', async () => {
    const bus = new Bus();
    const adapter = new BusAdapter(bus);
    const gw = withIdRoute(await startGateway({ adapter, authenticate: () => ({ uid: 'first' }) }));
    const c = await open(gw);
    const id = await idOf(c);
    await gw.bindUid(id, 'second');
    await gw.joinGroup(id, 'g');
    await gw.joinGroup(id, 'h');
    await gw.leaveGroup(id, 'g');
    await gw.unbindUid(id);
    c.ws.close();
    await waitFor(() => adapter.changes.some((ch) => ch.type === 'disconnect'));
    expect(adapter.changes).toEqual([
      { type: 'connect', socketId: id },
      { type: 'bind', socketId: id, uid: 'first' },
      { type: 'unbind', socketId: id, uid: 'first' },
      { type: 'bind', socketId: id, uid: 'second' },
      { type: 'join', socketId: id, group: 'g' },
      { type: 'join', socketId: id, group: 'h' },
      { type: 'leave', socketId: id, group: 'g' },
      { type: 'unbind', socketId: id, uid: 'second' },
      { type: 'disconnect', socketId: id, uid: null, groups: ['h'] },
    ]);
  });

  it('operations wait for an asynchronous presence store; failures reject the operation or reach the error event', async () => {
    const bus = new Bus();
    const adapter = new BusAdapter(bus);
    let stored = 0;
    adapter.presenceChanged = async (change) => {
      await new Promise((r) => setTimeout(r, 5));
      if (change.type === 'join' && change.group === 'broken') throw new Error('store down (join)');
      if (change.type === 'disconnect') throw new Error('store down (disconnect)');
      stored++;
    };
    const gw = withIdRoute(await startGateway({ adapter }));
    const errors: unknown[] = [];
    gw.on('error', (e) => errors.push(e));
    const c = await open(gw);
    const id = await idOf(c);
    await waitFor(() => stored === 1); // the connect
    await gw.bindUid(id, 'u');
    expect(stored).toBe(2);
    await expect(gw.joinGroup(id, 'broken')).rejects.toThrow('store down (join)');
    c.ws.close();
    // Nobody awaits a disconnect: its failure is reported on the error event.
    await waitFor(() => errors.length === 1);
    expect((errors[0] as Error).message).toBe('store down (disconnect)');
  });
});

describe('MemoryAdapter', () => {
  it('belongs to one gateway', async () => {
    const adapter = new MemoryAdapter();
    await startGateway({ adapter });
    await expect(startGateway({ adapter })).rejects.toThrow(/already attached/);
  });

  it('absentResult gives the "no such socket" answer of every command', () => {
    const payload = { data: 'x', binary: false };
    expect(absentResult({ op: 'send', socketIds: ['a.1'], payload })).toBe(0);
    expect(absentResult({ op: 'isOnline', socketId: 'a.1' })).toBe(false);
    expect(absentResult({ op: 'uidOf', socketId: 'a.1' })).toBeNull();
    expect(absentResult({ op: 'groupsOf', socketId: 'a.1' })).toBeNull();
    expect(absentResult({ op: 'getSession', socketId: 'a.1' })).toBeNull();
    expect(absentResult({ op: 'close', socketId: 'a.1', code: 1000, reason: '' })).toBe(false);
  });
});
