// The Redis adapter against a real redis-server (started on a free port; the test fails, not skips, without one):
// three gateway nodes — two on node-redis, one on ioredis — exercising every send and query across nodes; group
// channels subscribed only while a node has members; presence queries that cost one Redis command whatever the
// number of nodes; two nodes racing bind/unbind of the same uid; presence left at once on close.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { AdapterUnavailableError, RedisAdapter, type Gateway } from '../../../../src/gateway/index.js';
import { redisClientKind } from '../../../../src/gateway/adapters/redis/client.js';
import { cleanup, idOf, open, type TestClient } from '../../helpers.js';
import { RedisServer } from '../../../helpers/redis-server.js';
import {
  adminClient,
  redisClient,
  redisNode,
  storedPresence,
  strayKeys,
  truthOf,
} from '../../../helpers/redis-nodes.js';

let redis: RedisServer;
let admin: Awaited<ReturnType<typeof adminClient>>;

beforeAll(async () => {
  redis = await RedisServer.start();
  admin = await adminClient(redis);
});

afterEach(async () => {
  await cleanup();
  await admin.flushAll();
});

afterAll(async () => {
  await admin?.close();
  await redis?.destroy();
});

const sorted = (list: readonly string[]): string[] => [...list].sort();

async function threeNodes(): Promise<{
  A: Gateway;
  B: Gateway;
  C: Gateway;
  a: TestClient;
  b: TestClient;
  c: TestClient;
  ids: Record<'a' | 'b' | 'c', string>;
}> {
  const A = await redisNode(redis, 'A', 'node-redis');
  const B = await redisNode(redis, 'B', 'ioredis');
  const C = await redisNode(redis, 'C', 'node-redis');
  const [a, b, c] = await Promise.all([open(A), open(B), open(C)]);
  const ids = { a: await idOf(a!), b: await idOf(b!), c: await idOf(c!) };
  await expect.poll(() => A.socketCount()).toBe(3);
  return { A, B, C, a: a!, b: b!, c: c!, ids };
}

describe('Redis adapter: three nodes', () => {
  it('every send and query API works across nodes (node-redis and ioredis side by side)', async () => {
    const { A, B, C, a, b, c, ids } = await threeNodes();

    // Socket-addressed operations go to the owning node's channel.
    expect(await A.sendToSocket(ids.b, { direct: 'A→B' })).toBe(1);
    expect(await b.json()).toEqual({ direct: 'A→B' });
    expect(await B.sendToSocket([ids.a, ids.b, ids.c], 'each')).toBe(3);
    for (const x of [a, b, c]) expect(await x.next()).toBe('each');
    expect(await A.sendToSocket(ids.c, new Uint8Array([0, 1, 2, 255]))).toBe(1);
    expect(await c.next()).toEqual(Buffer.from([0, 1, 2, 255]));
    expect(await A.bindUid(ids.b, 'bob')).toBe(true);
    expect(await C.bindUid(ids.c, 'carol')).toBe(true);
    expect(await B.bindUid(ids.a, 'ada')).toBe(true);
    expect(await C.uidOfSocket(ids.b)).toBe('bob');
    expect(await A.joinGroup(ids.b, 'room')).toBe(true);
    expect(await B.joinGroup(ids.c, 'room')).toBe(true);
    expect(await C.joinGroup(ids.c, 'other')).toBe(true);
    expect(sorted(await A.groupsOfSocket(ids.c))).toEqual(['other', 'room']);
    expect(await C.isOnline(ids.a)).toBe(true);
    expect(await C.isOnline('gone.1')).toBe(false);
    expect(await C.bindUid('gone.1', 'x')).toBe(false);

    // Presence queries, answered by Redis.
    for (const G of [A, B, C]) {
      expect(await G.isUidOnline('bob')).toBe(true);
      expect(await G.isUidOnline('nobody')).toBe(false);
      expect(await G.socketsOfUid('carol')).toEqual([ids.c]);
      expect(sorted(await G.sockets())).toEqual(sorted([ids.a, ids.b, ids.c]));
      expect(sorted(await G.sockets('room'))).toEqual(sorted([ids.b, ids.c]));
      expect(sorted(await G.uids())).toEqual(['ada', 'bob', 'carol']);
      expect(sorted(await G.uids('room'))).toEqual(['bob', 'carol']);
      expect(sorted(await G.groups())).toEqual(['other', 'room']);
      expect(await G.socketCount()).toBe(3);
      expect(await G.socketCount('room')).toBe(2);
      expect(await G.uidCount()).toBe(3);
      expect(await G.uidCount('room')).toBe(2);
      expect(await G.uidCount('other')).toBe(1);
    }

    // Fan-out: every node delivers to its own sockets and says how many, so counts are exact.
    expect(await A.sendToGroup('room', { to: 'room' })).toBe(2);
    expect(await b.json()).toEqual({ to: 'room' });
    expect(await c.json()).toEqual({ to: 'room' });
    expect(await A.sendToGroup(['room', 'other'], 'once each')).toBe(2); // c is in both: once
    expect(await b.next()).toBe('once each');
    expect(await c.next()).toBe('once each');
    expect(await c.silentFor(100)).toBe(true);
    expect(await C.sendToGroup('room', 'not c', { exclude: ids.c })).toBe(1);
    expect(await b.next()).toBe('not c');
    expect(await C.sendToUid('bob', 'to bob')).toBe(1);
    expect(await b.next()).toBe('to bob');
    expect(await A.sendToUid(['bob', 'carol', 'ada'], 'to three', { exclude: ids.a })).toBe(2);
    expect(await b.next()).toBe('to three');
    expect(await c.next()).toBe('to three');
    expect(await B.sendToAll('everyone')).toBe(3);
    for (const x of [a, b, c]) expect(await x.next()).toBe('everyone');
    expect(await B.sendToAll(new Uint8Array([7]), { exclude: [ids.a, ids.b] })).toBe(1);
    expect(await c.next()).toEqual(Buffer.from([7]));
    expect(await a.silentFor(100)).toBe(true);

    // Sessions live with their sockets.
    expect(await A.setSession(ids.b, { n: 1 })).toBe(true);
    expect(await C.updateSession(ids.b, { m: 2 })).toBe(true);
    expect(await C.getSession(ids.b)).toEqual({ n: 1, m: 2 });
    expect(await A.sessions('room')).toEqual({ [ids.b]: { n: 1, m: 2 }, [ids.c]: {} });
    expect(Object.keys(await B.sessions()).sort()).toEqual(sorted([ids.a, ids.b, ids.c]));

    // Leaving, emptying, unbinding, closing.
    expect(await A.leaveGroup(ids.c, 'other')).toBe(true);
    expect(await A.leaveGroup(ids.c, 'other')).toBe(false);
    expect(await B.ungroup('room')).toBe(2);
    expect(await C.groups()).toEqual([]);
    expect(await A.groupsOfSocket(ids.c)).toEqual([]);
    expect(await C.unbindUid(ids.b, 'not-bob')).toBe(false);
    expect(await C.unbindUid(ids.b)).toBe(true);
    expect(await A.isUidOnline('bob')).toBe(false);
    expect(await A.closeSocket(ids.c, 4000, 'bye')).toBe(true);
    expect(await c.closed).toEqual({ code: 4000, reason: 'bye' });
    await expect.poll(() => B.socketCount()).toBe(2);
    expect(await B.isUidOnline('carol')).toBe(false);
    expect(await strayKeys(admin, truthOf([A, B, C]))).toEqual([]);
  });

  it('a node subscribes to a group channel only while it has local members', async () => {
    const { A, B, ids } = await threeNodes();
    const channels = async (): Promise<string[]> =>
      sorted((await admin.sendCommand(['PUBSUB', 'CHANNELS', 'wsgate:{default}:ch:g:*'])) as string[]);
    const subscribers = async (group: string): Promise<number> => {
      const reply = (await admin.sendCommand(['PUBSUB', 'NUMSUB', `wsgate:{default}:ch:g:${group}`])) as [
        string,
        number,
      ];
      return Number(reply[1]);
    };
    expect(await channels()).toEqual([]);
    await A.joinGroup(ids.b, 'g1');
    expect(await channels()).toEqual(['wsgate:{default}:ch:g:g1']);
    expect(await subscribers('g1')).toBe(1); // only B, which holds b
    await A.joinGroup(ids.a, 'g1');
    expect(await subscribers('g1')).toBe(2);
    await B.joinGroup(ids.b, 'g2');
    expect(await subscribers('g2')).toBe(1);
    await A.leaveGroup(ids.b, 'g1');
    await expect.poll(() => subscribers('g1')).toBe(1);
    await B.ungroup('g1');
    await expect.poll(channels).toEqual(['wsgate:{default}:ch:g:g2']);
    await A.closeSocket(ids.b);
    await expect.poll(channels).toEqual([]);
  });

  it('presence queries are one Redis command each, whatever the number of nodes', async () => {
    // Long TTL: no heartbeat or reaper runs while we count commands.
    const quiet = { presenceTtl: 60_000, reapInterval: 60_000 };
    const nodes: Gateway[] = [];
    for (const [i, kind] of (
      ['node-redis', 'ioredis', 'node-redis', 'ioredis', 'node-redis', 'ioredis'] as const
    ).entries()) {
      nodes.push(await redisNode(redis, `N${i}`, kind, quiet));
    }
    const clients = await Promise.all(nodes.map((n) => open(n)));
    for (const [i, client] of clients.entries()) {
      const id = await idOf(client);
      await nodes[i]!.bindUid(id, `u${i % 3}`);
      await nodes[i]!.joinGroup(id, 'g');
    }
    const calls = async (): Promise<number> => {
      const info = (await admin.sendCommand(['INFO', 'commandstats'])) as string;
      let total = 0;
      for (const m of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)) if (m[1] !== 'info') total += Number(m[2]);
      return total;
    };
    const G = nodes[0]!;
    const queries: [string, () => Promise<unknown>][] = [
      ['isUidOnline', () => G.isUidOnline('u1')],
      ['socketsOfUid', () => G.socketsOfUid('u1')],
      ['sockets', () => G.sockets()],
      ['sockets(group)', () => G.sockets('g')],
      ['uids', () => G.uids()],
      ['uids(group)', () => G.uids('g')],
      ['groups', () => G.groups()],
      ['socketCount', () => G.socketCount()],
      ['socketCount(group)', () => G.socketCount('g')],
      ['uidCount', () => G.uidCount()],
      ['uidCount(group)', () => G.uidCount('g')],
    ];
    const costs: Record<string, number> = {};
    for (const [name, query] of queries) {
      const before = await calls();
      await query();
      costs[name] = (await calls()) - before;
    }
    expect(costs).toEqual(Object.fromEntries(queries.map(([name]) => [name, 1])));
    expect(await G.uidCount('g')).toBe(3);
    expect(await G.socketCount('g')).toBe(6);
  });

  it('two nodes racing bind/unbind/join/leave on the same uids and groups leave exact presence', async () => {
    const A = await redisNode(redis, 'A', 'node-redis');
    const B = await redisNode(redis, 'B', 'ioredis');
    const clients = await Promise.all([open(A), open(A), open(B), open(B)]);
    const ids = await Promise.all(clients.map((c) => idOf(c)));
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pick = <T>(list: readonly T[]): T => list[random(list.length)]!;
    for (let round = 0; round < 20; round++) {
      // 30 operations in flight at once, half issued on each node, all on the same two uids and groups.
      const ops: Promise<unknown>[] = [];
      for (let i = 0; i < 30; i++) {
        const G = i % 2 === 0 ? A : B;
        const id = pick(ids);
        switch (random(5)) {
          case 0:
          case 1:
            ops.push(G.bindUid(id, pick(['u', 'v'])));
            break;
          case 2:
            ops.push(random(2) === 0 ? G.unbindUid(id) : G.unbindUid(id, 'u'));
            break;
          case 3:
            ops.push(G.joinGroup(id, pick(['g', 'h'])));
            break;
          case 4:
            ops.push(G.leaveGroup(id, pick(['g', 'h'])));
            break;
        }
      }
      await Promise.all(ops);
      const truth = truthOf([A, B]);
      expect(await storedPresence(admin)).toEqual(truth);
      for (const G of [A, B]) {
        expect(await G.isUidOnline('u')).toBe('u' in truth.uids);
        expect(await G.uidCount('g')).toBe(Object.keys(truth.groupUids.g ?? {}).length);
      }
    }
    // Sockets going away clean up after themselves too.
    for (const c of clients.slice(0, 3)) c.ws.close();
    await expect.poll(() => A.socketCount()).toBe(1);
    const truth = truthOf([A, B]);
    expect(await storedPresence(admin)).toEqual(truth);
    expect(await strayKeys(admin, truth)).toEqual([]);
  });

  it('closing a node removes its presence at once; its sockets are then absent to the others', async () => {
    const A = await redisNode(redis, 'A', 'node-redis');
    const B = await redisNode(redis, 'B', 'ioredis');
    const a = await open(A);
    const b = await open(B);
    const [ida, idb] = [await idOf(a), await idOf(b)];
    await A.bindUid(idb, 'bob');
    await A.joinGroup(idb, 'g');
    await B.close({ timeout: 200 });
    expect(await A.isUidOnline('bob')).toBe(false);
    expect(await A.sockets()).toEqual([ida]);
    expect(await A.groups()).toEqual([]);
    // Nobody listens on B's channel any more: absent at once, no timeout.
    const started = Date.now();
    expect(await A.sendToSocket(idb, 'x')).toBe(0);
    expect(await A.getSession(idb)).toBeNull();
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(await admin.zRange('wsgate:{default}:nodes', 0, -1)).toEqual(['A']);
  });

  it('namespaces keep clusters apart on one Redis', async () => {
    const A = await redisNode(redis, 'A', 'node-redis', { namespace: 'one' });
    const B = await redisNode(redis, 'B', 'ioredis', { namespace: 'two' });
    const a = await open(A);
    await open(B);
    await A.bindUid(await idOf(a), 'ada');
    expect(await A.socketCount()).toBe(1);
    expect(await B.socketCount()).toBe(1);
    expect(await B.isUidOnline('ada')).toBe(false);
    expect(await B.sendToAll('two only')).toBe(1);
    expect(await a.silentFor(100)).toBe(true);
  });

  it('accepts node-redis and ioredis clients, and says what else it wants', async () => {
    expect(redisClientKind(redisClient(redis, 'node-redis'))).toBe('node-redis');
    const io = redisClient(redis, 'ioredis');
    expect(redisClientKind(io)).toBe('ioredis');
    expect(redisClientKind({})).toBeNull();
    expect(() => new RedisAdapter({ client: undefined as never })).toThrow(/needs \{ client \}/);
    expect(() => new RedisAdapter({ client: io, presenceTtl: 0 })).toThrow(/presenceTtl must be a positive number/);
    expect(() => new RedisAdapter({ client: io, namespace: 'a{b' })).toThrow(/invalid Redis namespace/);
    const adapter = new RedisAdapter({ client: {} as never });
    await expect(redisNodeWith(adapter)).rejects.toThrow(/node-redis v4\+ client .* or an ioredis client/);
    // No Redis there: the gateway fails to start, with a clear error.
    const nowhere = new RedisAdapter({
      client: redisClient({ url: 'redis://127.0.0.1:1' } as RedisServer, 'ioredis'),
      connectTimeout: 500,
    });
    await expect(redisNodeWith(nowhere)).rejects.toThrow();
    expect(new AdapterUnavailableError('x', { delivered: 2 }).delivered).toBe(2);
  });
});

async function redisNodeWith(adapter: RedisAdapter): Promise<Gateway> {
  const { startGateway } = await import('../../helpers.js');
  return startGateway({ adapter, heartbeat: false });
}

describe('Redis adapter: the per-socket limits and checks of issue 9 hold across nodes', () => {
  /** The GatewayError code a call rejected with. */
  async function codeOf(promise: Promise<unknown>): Promise<string> {
    try {
      await promise;
    } catch (error) {
      return (error as { code?: string }).code ?? String(error);
    }
    return 'resolved';
  }

  it('maxGroupsPerSocket is enforced by the owning node: joins from another node get too_many_groups, Redis holds no more', async () => {
    const A = await redisNode(redis, 'A', 'node-redis', {}, { maxGroupsPerSocket: 3 });
    const B = await redisNode(redis, 'B', 'ioredis', {}, { maxGroupsPerSocket: 3 });
    const b = await open(B);
    const idb = await idOf(b);
    for (const g of ['g1', 'g2', 'g3']) expect(await A.joinGroup(idb, g)).toBe(true);
    expect(await codeOf(A.joinGroup(idb, 'g4'))).toBe('too_many_groups');
    expect(await codeOf(B.joinGroup(idb, 'g5'))).toBe('too_many_groups');
    expect(await A.joinGroup(idb, 'g1')).toBe(true); // already a member: no growth
    expect(sorted(await A.groupsOfSocket(idb))).toEqual(['g1', 'g2', 'g3']);
    expect(sorted(await A.groups())).toEqual(['g1', 'g2', 'g3']);
    expect((await admin.keys('wsgate:{default}:g:*')).length).toBe(3);
    expect(((await admin.sendCommand(['PUBSUB', 'CHANNELS', 'wsgate:{default}:ch:g:*'])) as string[]).length).toBe(3);
    expect(await strayKeys(admin, truthOf([A, B]))).toEqual([]);
  });

  it('lone surrogates are refused with invalid_argument, so "\\ud800room" can no longer merge with "\\ufffdroom" in Redis', async () => {
    const A = await redisNode(redis, 'A', 'node-redis');
    const B = await redisNode(redis, 'B', 'ioredis');
    const [a, b] = await Promise.all([open(A), open(B)]);
    const [ida, idb] = [await idOf(a!), await idOf(b!)];
    expect(await codeOf(B.joinGroup(ida, '\ud800room'))).toBe('invalid_argument');
    expect(await codeOf(A.bindUid(idb, 'user\udc00'))).toBe('invalid_argument');
    expect(await codeOf(A.sendToGroup('\ud800room', 'x'))).toBe('invalid_argument');
    expect(await codeOf(A.isUidOnline('\udc00'))).toBe('invalid_argument');
    expect(await A.joinGroup(idb, '\ufffdroom')).toBe(true);
    expect(await B.sendToGroup('\ufffdroom', 'only b')).toBe(1);
    expect(await b!.next()).toBe('only b');
    expect(await a!.silentFor(100)).toBe(true);
    expect(await A.groups()).toEqual(['\ufffdroom']);
    expect(await strayKeys(admin, truthOf([A, B]))).toEqual([]);
  });

  it('a "__proto__" key in a session patch sent to another node does not reach the session\'s prototype', async () => {
    const A = await redisNode(redis, 'A', 'node-redis');
    const B = await redisNode(redis, 'B', 'ioredis');
    const idb = await idOf(await open(B));
    const patch = JSON.parse('{"name":"eve","__proto__":{"role":"admin"},"constructor":{"x":1}}') as Record<
      string,
      unknown
    >;
    expect(await A.updateSession(idb, patch)).toBe(true);
    const session = B.localSocket(idb)!.session as Record<string, unknown>;
    expect(session.role).toBeUndefined();
    expect(Object.getPrototypeOf(session)).toBeNull();
    expect({ ...(await A.getSession(idb)) }).toEqual({ name: 'eve' });
    expect(await A.setSession(idb, JSON.parse('{"__proto__":{"role":"admin"}}') as Record<string, unknown>)).toBe(true);
    expect((B.localSocket(idb)!.session as Record<string, unknown>).role).toBeUndefined();
    // The receiving node cleans what arrives too (a patch from a node that did not): straight through the adapter.
    expect(await A.adapter.forward('B', { op: 'updateSession', socketId: idb, patch })).toBe(true);
    expect((B.localSocket(idb)!.session as Record<string, unknown>).role).toBeUndefined();
    expect(Object.keys(B.localSocket(idb)!.session)).toEqual(['name']);
  });

  it('sessions that JSON would choke on: deep or cyclic ones are refused, and an unencodable reply is an error event, not a crash', async () => {
    const A = await redisNode(redis, 'A', 'node-redis');
    const B = await redisNode(redis, 'B', 'ioredis');
    const idb = await idOf(await open(B));
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 100_000; i++) deep = { d: deep };
    expect(await codeOf(A.setSession(idb, deep))).toBe('invalid_argument');
    expect(await codeOf(B.updateSession(idb, { x: deep }))).toBe('invalid_argument');
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(await codeOf(B.setSession(idb, { c: cyclic }))).toBe('invalid_argument');
    // A value JSON can't encode at all: B must report it and answer, not throw in a microtask.
    const errors: unknown[] = [];
    B.adapter.on('error', (error) => void errors.push(error));
    expect(await B.setSession(idb, { big: 1n })).toBe(true);
    expect(await A.getSession(idb)).toBeNull();
    expect(errors).toHaveLength(1);
    expect(await A.setSession(idb, { fine: true })).toBe(true);
    expect(await A.getSession(idb)).toEqual({ fine: true });
  });
});
