// Gateway core over real sockets: routable ids, uid binding, groups, sessions, sends, queries, closeSocket, timers
// and events. Clients are `ws` instances on 127.0.0.1; each test gets its own gateway on a free port.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WsSocket } from '../../../src/server/socket.js';
import { GatewayError, type Gateway, type GatewaySocket } from '../../../src/gateway/index.js';
import { nodeOfSocketId } from '../../../src/gateway/core/socket-id.js';
import { cleanup, delay, idOf, open, startGateway, waitFor, withIdRoute, type TestClient } from '../helpers.js';

afterEach(cleanup);

async function gatewayWith(n: number, options = {}): Promise<{ gw: Gateway; clients: TestClient[]; ids: string[] }> {
  const gw = withIdRoute(await startGateway(options));
  const clients: TestClient[] = [];
  for (let i = 0; i < n; i++) clients.push(await open(gw));
  const ids = await Promise.all(clients.map(idOf));
  return { gw, clients, ids };
}

describe('socket ids', () => {
  it('encode the node: every id starts with the nodeId and ids are unique', async () => {
    const { gw, ids } = await gatewayWith(3, { nodeId: 'node-A' });
    expect(gw.nodeId).toBe('node-A');
    for (const id of ids) expect(nodeOfSocketId(id)).toBe('node-A');
    expect(new Set(ids).size).toBe(3);
  });

  it('default node ids are random per gateway', async () => {
    const a = await startGateway();
    const b = await startGateway();
    expect(a.nodeId).toMatch(/^[0-9a-f]{8}$/);
    expect(a.nodeId).not.toBe(b.nodeId);
  });

  it('rejects unusable node ids', async () => {
    await expect(startGateway({ nodeId: 'has.dot' })).rejects.toThrow(TypeError);
  });

  it('ids naming another node or no node are simply absent', async () => {
    const { gw } = await gatewayWith(1);
    expect(await gw.isOnline('elsewhere.1')).toBe(false);
    expect(await gw.isOnline('garbage')).toBe(false);
    expect(await gw.sendToSocket('elsewhere.1', 'x')).toBe(0);
    expect(await gw.bindUid('elsewhere.1', 'u')).toBe(false);
    expect(await gw.getSession('elsewhere.1')).toBeNull();
  });
});

describe('events', () => {
  it('connect (with the upgrade request), message and close', async () => {
    const gw = await startGateway();
    gw.route('x', () => 1);
    const seen: string[] = [];
    let closeInfo: [string, number, string] | null = null;
    gw.on('connect', (socket, req) => seen.push(`connect ${socket.id} ${req.url}`));
    gw.on('message', (socket, m) => seen.push(`message ${socket.id} ${m.raw ? 'raw' : m.type}`));
    gw.on('close', (socket, code, reason) => {
      closeInfo = [socket.id, code, reason];
    });
    const c = await open(gw, { headers: {} });
    await c.request('x');
    const id = seen[0]!.split(' ')[1]!;
    expect(seen).toEqual([`connect ${id} /ws`, `message ${id} x`]);
    c.ws.close(4100, 'bye');
    await waitFor(() => closeInfo !== null);
    expect(closeInfo).toEqual([id, 4100, 'bye']);
  });

  it('a listener that throws is reported on error, and the gateway carries on', async () => {
    const gw = await startGateway();
    gw.route('x', () => 'ok');
    const errors: unknown[] = [];
    gw.on('error', (e) => errors.push(e));
    gw.on('connect', () => {
      throw new Error('listener bug');
    });
    const c = await open(gw);
    expect((await c.request('x')).data).toBe('ok');
    expect(errors).toHaveLength(1);
  });

  it('on() returns an unsubscribe function', async () => {
    const gw = await startGateway();
    let count = 0;
    const off = gw.on('connect', () => count++);
    await open(gw);
    off();
    await open(gw);
    expect(count).toBe(1);
  });
});

describe('uid binding', () => {
  it('binds several sockets to one uid; a socket has one uid; rebinding replaces', async () => {
    const { gw, ids } = await gatewayWith(3);
    const [a, b, c] = ids as [string, string, string];
    expect(await gw.bindUid(a, 'ada')).toBe(true);
    expect(await gw.bindUid(b, 'ada')).toBe(true);
    expect(await gw.bindUid(c, 42)).toBe(true);
    expect((await gw.socketsOfUid('ada')).sort()).toEqual([a, b].sort());
    expect(await gw.uidOfSocket(c)).toBe('42');
    expect(await gw.isUidOnline('ada')).toBe(true);
    expect(await gw.isUidOnline(42)).toBe(true);
    expect((await gw.uids()).sort()).toEqual(['42', 'ada']);
    expect(await gw.uidCount()).toBe(2);

    expect(await gw.bindUid(b, 'bob')).toBe(true);
    expect(await gw.socketsOfUid('ada')).toEqual([a]);
    expect(await gw.uidOfSocket(b)).toBe('bob');
  });

  it('unbindUid, optionally only if bound to a given uid', async () => {
    const { gw, ids } = await gatewayWith(1);
    const [a] = ids as [string];
    await gw.bindUid(a, 'ada');
    expect(await gw.unbindUid(a, 'bob')).toBe(false);
    expect(await gw.uidOfSocket(a)).toBe('ada');
    expect(await gw.unbindUid(a)).toBe(true);
    expect(await gw.unbindUid(a)).toBe(false);
    expect(await gw.isUidOnline('ada')).toBe(false);
    expect(await gw.uidOfSocket(a)).toBeNull();
  });

  it('a closed socket leaves its uid and groups', async () => {
    const { gw, clients, ids } = await gatewayWith(2);
    const [a, b] = ids as [string, string];
    await gw.bindUid(a, 'ada');
    await gw.bindUid(b, 'ada');
    await gw.joinGroup(a, 'room');
    clients[0]!.ws.close();
    await waitFor(async () => !(await gw.isOnline(a)));
    expect(await gw.socketsOfUid('ada')).toEqual([b]);
    expect(await gw.groups()).toEqual([]);
    clients[1]!.ws.close();
    await waitFor(async () => !(await gw.isUidOnline('ada')));
    expect(await gw.uidCount()).toBe(0);
  });

  it('bad uids and groups are GatewayError invalid_argument', async () => {
    const { gw, ids } = await gatewayWith(1);
    await expect(gw.bindUid(ids[0]!, '')).rejects.toBeInstanceOf(GatewayError);
    await expect(gw.bindUid(ids[0]!, 'x'.repeat(257))).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(gw.joinGroup(ids[0]!, {} as unknown as string)).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(gw.sendToUid(Number.NaN, 'x')).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});

describe('groups', () => {
  it('join, leave, members, uids, counts, ungroup', async () => {
    const { gw, ids } = await gatewayWith(3);
    const [a, b, c] = ids as [string, string, string];
    await gw.bindUid(a, 'ada');
    await gw.bindUid(b, 'ada');
    await gw.joinGroup(a, 'room');
    await gw.joinGroup(b, 'room');
    await gw.joinGroup(c, 'room');
    await gw.joinGroup(c, 'other');
    expect(await gw.joinGroup(c, 'other')).toBe(true); // idempotent
    expect((await gw.sockets('room')).sort()).toEqual([a, b, c].sort());
    expect(await gw.socketCount('room')).toBe(3);
    expect(await gw.uids('room')).toEqual(['ada']);
    expect(await gw.uidCount('room')).toBe(1);
    expect((await gw.groups()).sort()).toEqual(['other', 'room']);
    expect((await gw.groupsOfSocket(c)).sort()).toEqual(['other', 'room']);

    expect(await gw.leaveGroup(a, 'room')).toBe(true);
    expect(await gw.leaveGroup(a, 'room')).toBe(false);
    expect(await gw.socketCount('room')).toBe(2);

    expect(await gw.ungroup('room')).toBe(2);
    expect(await gw.socketCount('room')).toBe(0);
    expect(await gw.groups()).toEqual(['other']);
    expect(await gw.groupsOfSocket(b)).toEqual([]);
    expect(await gw.ungroup('nothing')).toBe(0);
  });

  it('the socket object shows its uid and groups read-only', async () => {
    const gw = withIdRoute(await startGateway());
    let socket: GatewaySocket | null = null;
    gw.on('connect', (s) => {
      socket = s;
    });
    const c = await open(gw);
    const id = await idOf(c);
    await gw.bindUid(id, 'ada');
    await gw.joinGroup(id, 'g');
    expect(socket!.uid).toBe('ada');
    expect([...socket!.groups]).toEqual(['g']);
    expect(gw.localSocket(id)).toBe(socket);
  });
});

describe('sessions', () => {
  it('set, update (shallow merge), get (a snapshot), sessions by group', async () => {
    const { gw, ids } = await gatewayWith(2);
    const [a, b] = ids as [string, string];
    expect(await gw.getSession(a)).toEqual({});
    expect(await gw.setSession(a, { name: 'Ada', n: 1 })).toBe(true);
    expect(await gw.updateSession(a, { n: 2, lang: 'en' })).toBe(true);
    const session = await gw.getSession(a);
    expect(session).toEqual({ name: 'Ada', n: 2, lang: 'en' });
    session!.n = 99;
    expect((await gw.getSession(a))!.n).toBe(2);
    await gw.setSession(b, { name: 'Bob' });
    await gw.joinGroup(b, 'g');
    expect(await gw.sessions()).toEqual({ [a]: { name: 'Ada', n: 2, lang: 'en' }, [b]: { name: 'Bob' } });
    expect(await gw.sessions('g')).toEqual({ [b]: { name: 'Bob' } });
    expect(await gw.setSession(a, { replaced: true })).toBe(true);
    expect(await gw.getSession(a)).toEqual({ replaced: true });
    await expect(gw.setSession(a, [] as unknown as Record<string, unknown>)).rejects.toMatchObject({
      code: 'invalid_argument',
    });
  });
});

describe('sends', () => {
  it('sendToAll, with exclusions and onlyBound', async () => {
    const { gw, clients, ids } = await gatewayWith(3);
    const [a, b, c] = clients as [TestClient, TestClient, TestClient];
    expect(await gw.sendToAll({ hello: 1 })).toBe(3);
    for (const client of clients) expect(await client.json()).toEqual({ hello: 1 });

    expect(await gw.sendToAll('text', { exclude: ids[0] })).toBe(2);
    expect(await a.silentFor(50)).toBe(true);
    expect(await b.next()).toBe('text');
    await c.next();

    await gw.bindUid(ids[2]!, 'carol');
    expect(await gw.sendToAll({ bound: true }, { onlyBound: true })).toBe(1);
    expect(await c.json()).toEqual({ bound: true });
    expect(await a.silentFor(30)).toBe(true);
  }, 10_000);

  it('sendToSocket: one id, a list (unknown ids skipped), binary', async () => {
    const { gw, clients, ids } = await gatewayWith(3);
    expect(await gw.sendToSocket(ids[1]!, { to: 'b' })).toBe(1);
    expect(await clients[1]!.json()).toEqual({ to: 'b' });
    expect(await gw.sendToSocket([ids[0]!, ids[2]!, 'nobody.1', ids[0]!], { to: 'ac' })).toBe(2);
    expect(await clients[0]!.json()).toEqual({ to: 'ac' });
    expect(await clients[2]!.json()).toEqual({ to: 'ac' });
    expect(await clients[0]!.silentFor(30)).toBe(true);
    expect(await gw.sendToSocket(ids[0]!, new Uint8Array([1, 2, 3]))).toBe(1);
    expect(await clients[0]!.next()).toEqual(Buffer.from([1, 2, 3]));
  });

  it('sendToUid reaches every socket of the uid(s), with exclusions', async () => {
    const { gw, clients, ids } = await gatewayWith(3);
    await gw.bindUid(ids[0]!, 'ada');
    await gw.bindUid(ids[1]!, 'ada');
    await gw.bindUid(ids[2]!, 'bob');
    expect(await gw.sendToUid('ada', { m: 1 })).toBe(2);
    expect(await clients[0]!.json()).toEqual({ m: 1 });
    expect(await clients[1]!.json()).toEqual({ m: 1 });
    expect(await gw.sendToUid(['ada', 'bob', 'ada'], { m: 2 }, { exclude: [ids[0]!] })).toBe(2);
    expect(await clients[1]!.json()).toEqual({ m: 2 });
    expect(await clients[2]!.json()).toEqual({ m: 2 });
    expect(await clients[0]!.silentFor(30)).toBe(true);
    expect(await gw.sendToUid('nobody', 'x')).toBe(0);
  });

  it('sendToGroup: one group, several (a socket in two gets it once), exclusions', async () => {
    const { gw, clients, ids } = await gatewayWith(3);
    await gw.joinGroup(ids[0]!, 'g1');
    await gw.joinGroup(ids[1]!, 'g1');
    await gw.joinGroup(ids[1]!, 'g2');
    await gw.joinGroup(ids[2]!, 'g2');
    expect(await gw.sendToGroup('g1', { g: 1 }, { exclude: ids[0]! })).toBe(1);
    expect(await clients[1]!.json()).toEqual({ g: 1 });
    expect(await gw.sendToGroup(['g1', 'g2'], { g: 12 })).toBe(3);
    for (const c of clients) expect(await c.json()).toEqual({ g: 12 });
    for (const c of clients) expect(await c.silentFor(20)).toBe(true);
  });

  it('serializes once and frames once per call, whatever the number of recipients', async () => {
    const { gw, clients, ids } = await gatewayWith(4);
    for (const id of ids) await gw.joinGroup(id, 'g');
    let serialized = 0;
    const message = {
      toJSON() {
        serialized++;
        return { once: true };
      },
    };
    const prepared = vi.spyOn(WsSocket.prototype, 'sendPrepared');
    const plain = vi.spyOn(WsSocket.prototype, 'send');
    try {
      expect(await gw.sendToGroup('g', message)).toBe(4);
      expect(serialized).toBe(1);
      expect(plain).not.toHaveBeenCalled();
      expect(prepared).toHaveBeenCalledTimes(4);
      const frames = new Set(prepared.mock.calls.map((call) => call[0]));
      expect(frames.size).toBe(1);
    } finally {
      prepared.mockRestore();
      plain.mockRestore();
    }
    for (const c of clients) expect(await c.json()).toEqual({ once: true });
  });

  it('rejects messages that are not JSON-serializable', async () => {
    const gw = await startGateway();
    await expect(gw.sendToAll(undefined as unknown as object)).rejects.toThrow(TypeError);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    await expect(gw.sendToAll(circular)).rejects.toThrow(TypeError);
  });

  it('GatewaySocket.send writes to that socket only', async () => {
    const gw = await startGateway();
    gw.route('echo', ({ socket, data }) => {
      socket.send({ echoed: data });
    });
    const a = await open(gw);
    const b = await open(gw);
    a.send({ type: 'echo', data: 5 });
    expect(await a.json()).toEqual({ echoed: 5 });
    expect(await b.silentFor(30)).toBe(true);
  });
});

describe('queries and totals', () => {
  it('isOnline, sockets(), socketCount(), stats()', async () => {
    const { gw, clients, ids } = await gatewayWith(2);
    expect(await gw.isOnline(ids[0]!)).toBe(true);
    expect((await gw.sockets()).sort()).toEqual([...ids].sort());
    expect(await gw.socketCount()).toBe(2);
    const stats = gw.stats();
    expect(stats).toMatchObject({ nodeId: gw.nodeId, sockets: 2, uids: 0, groups: 0, connections: 2, routes: 1 });
    expect(stats.messagesIn).toBe(2); // the two __id requests
    expect(stats.messagesOut).toBe(2);
    expect(stats.uptime).toBeGreaterThanOrEqual(0);
    clients[0]!.ws.close();
    await waitFor(async () => (await gw.socketCount()) === 1);
    expect(await gw.isOnline(ids[0]!)).toBe(false);
  });
});

describe('closeSocket', () => {
  it('closes with the given code and reason; false for unknown sockets; bad codes refused', async () => {
    const { gw, clients, ids } = await gatewayWith(2);
    const closes: number[] = [];
    gw.on('close', (_s, code) => closes.push(code));
    expect(await gw.closeSocket(ids[0]!, 4400, 'kicked')).toBe(true);
    expect(await clients[0]!.closed).toEqual({ code: 4400, reason: 'kicked' });
    await waitFor(() => closes.length === 1);
    expect(closes).toEqual([4400]);
    expect(await gw.closeSocket(ids[0]!)).toBe(false);
    await expect(gw.closeSocket(ids[1]!, 1005)).rejects.toMatchObject({ code: 'invalid_argument' });
    expect(await gw.closeSocket(ids[1]!)).toBe(true);
    expect((await clients[1]!.closed).code).toBe(1000);
  });
});

describe('timers', () => {
  it('every and after run, can be cancelled, and are all cleared by close()', async () => {
    const gw = await startGateway();
    let ticks = 0;
    let once = 0;
    let cancelled = 0;
    const every = gw.every(10, () => ticks++);
    gw.after(10, () => once++);
    const never = gw.after(10, () => cancelled++);
    never.cancel();
    expect(never.active).toBe(false);
    await waitFor(() => ticks >= 3 && once === 1);
    expect(once).toBe(1);
    expect(every.active).toBe(true);
    const pending = gw.after(30, () => once++);
    await gw.close();
    expect(every.active).toBe(false);
    expect(pending.active).toBe(false);
    const frozen = ticks;
    await delay(60);
    expect(ticks).toBe(frozen);
    expect(once).toBe(1);
    expect(cancelled).toBe(0);
    expect(gw.every(5, () => ticks++).active).toBe(false);
  });

  it('errors thrown by timer callbacks go to the error event', async () => {
    const gw = await startGateway();
    const errors: unknown[] = [];
    gw.on('error', (e) => errors.push(e));
    gw.after(1, () => {
      throw new Error('sync');
    });
    gw.after(1, async () => {
      throw new Error('async');
    });
    await waitFor(() => errors.length === 2);
    expect(errors.map((e) => (e as Error).message).sort()).toEqual(['async', 'sync']);
  });
});

describe('shutdown', () => {
  it('close() sends 1001 to every socket and is idempotent', async () => {
    const { gw, clients } = await gatewayWith(2);
    const first = gw.close();
    expect(gw.close()).toBe(first);
    await first;
    for (const c of clients) expect((await c.closed).code).toBe(1001);
    expect(gw.closed).toBe(true);
  });
});
