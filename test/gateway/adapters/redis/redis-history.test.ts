// History in Redis against a real redis-server, gateways in this process: one order per stream across nodes
// publishing at once, offsets +1, MAXLEN and ttl trimming, read since/limit/complete, what changes the epoch
// (FLUSHALL, another Redis run_id, the stream key evicted alone), recovery records single-use and expiring, and
// publishing while Redis is down. (The cross-process contract is contract-history.test.ts; faults with real
// processes are redis-history-faults.test.ts.)
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  AdapterUnavailableError,
  RedisAdapter,
  type AdapterHistory,
  type Gateway,
  type RecoveryRecord,
} from '../../../../src/gateway/index.js';
import { cleanup, idOf, open, startGateway, withIdRoute, type TestClient } from '../../helpers.js';
import { captureHistory } from '../../../helpers/history-rpc.js';
import { RedisServer } from '../../../helpers/redis-server.js';
import { adminClient, redisClient, type ClientKind } from '../../../helpers/redis-nodes.js';

let redis: RedisServer;
let admin: Awaited<ReturnType<typeof adminClient>>;

beforeAll(async () => {
  redis = await RedisServer.start();
  admin = await adminClient(redis);
});

afterEach(async () => {
  await cleanup();
  if (!redis.running) await redis.start();
  await admin.flushAll().catch(() => undefined);
});

afterAll(async () => {
  await admin?.close();
  await redis?.destroy();
});

const P = 'wsgate:{default}:';

async function node(
  nodeId: string,
  kind: ClientKind,
  history = { size: 100, ttl: 60_000 },
): Promise<{ gateway: Gateway; store: AdapterHistory }> {
  const adapter = new RedisAdapter({ client: redisClient(redis, kind), requestTimeout: 3_000 });
  const captured = captureHistory(adapter);
  const gateway = withIdRoute(
    await startGateway({
      heartbeat: false,
      nodeId,
      adapter,
      history,
      recovery: { window: 60_000, secret: 'a secret shared by the test nodes' },
    }),
  );
  return { gateway, store: captured.get() };
}

interface Frame {
  type: string;
  stream: string;
  epoch: string;
  offset: number;
  data: string;
}

/** Publication frames a client received so far (waits until `count` arrived). */
async function frames(client: TestClient, count: number): Promise<Frame[]> {
  const out: Frame[] = [];
  while (out.length < count) {
    // Other frames (the recovery token sent on connect) are not ours to check here.
    const frame = (await client.next(10_000)) as unknown as Frame;
    if (frame.type === 'publication') out.push(frame);
  }
  return out;
}

async function member(gateway: Gateway, group: string): Promise<TestClient> {
  const client = await open(gateway);
  await gateway.joinGroup(await idOf(client), group);
  return client;
}

const text = (data: string) => ({ data, binary: false });

describe('Redis history', () => {
  it('one order per stream: two nodes publishing at once, offsets +1, every member sees the same sequence', async () => {
    const A = await node('A', 'node-redis');
    const B = await node('B', 'ioredis');
    const a = await member(A.gateway, 'room');
    const b = await member(B.gateway, 'room');
    const N = 60;
    const sends = [];
    for (let i = 0; i < N; i++) {
      const from = i % 2 === 0 ? A.gateway : B.gateway;
      sends.push(from.sendToGroup('room', `m${i}`));
    }
    const delivered = await Promise.all(sends);
    expect(delivered).toEqual(Array(N).fill(2));
    const [fa, fb] = await Promise.all([frames(a, N), frames(b, N)]);
    expect(fa.map((f) => f.offset)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(fb).toEqual(fa);
    expect(new Set(fa.map((f) => f.epoch)).size).toBe(1);
    expect(fa[0]).toMatchObject({ type: 'publication', stream: 'group:room' });
    // What is stored is what was delivered, offset for offset.
    const page = await B.store.read('group:room', { limit: 1_000 });
    expect(page).toMatchObject({ epoch: fa[0]!.epoch, top: N, complete: true });
    expect(page.entries.map((e) => [e.offset, e.payload.data])).toEqual(fa.map((f) => [f.offset, f.data]));
  }, 30_000);

  it('read: since / limit / complete, MAXLEN trimming, binary payloads, a stream never written', async () => {
    const A = await node('A', 'node-redis', { size: 5, ttl: 60_000 });
    const B = await node('B', 'ioredis', { size: 5, ttl: 60_000 });
    const fresh = await A.store.read('group:nobody', { limit: 10 });
    expect(fresh).toMatchObject({ top: 0, entries: [], complete: true });
    // The first read assigned an epoch, and every node sees it.
    expect((await B.store.read('group:nobody', { limit: 10 })).epoch).toBe(fresh.epoch);
    let epoch = '';
    for (let i = 1; i <= 8; i++) {
      const { position } = await (i % 2 ? A : B).store.publish(
        'group:g',
        { kind: 'groups', groups: ['g'] },
        text(`m${i}`),
        [],
      );
      expect(position.offset).toBe(i);
      epoch = position.epoch;
    }
    const all = await B.store.read('group:g', { since: { epoch, offset: 0 }, limit: 100 });
    expect(all.entries.map((e) => e.offset)).toEqual([4, 5, 6, 7, 8]);
    expect(all).toMatchObject({ epoch, top: 8, complete: false });
    const some = await A.store.read('group:g', { since: { epoch, offset: 4 }, limit: 2 });
    expect(some.entries.map((e) => [e.offset, e.payload.data])).toEqual([
      [5, 'm5'],
      [6, 'm6'],
    ]);
    expect(some.complete).toBe(true);
    expect(await A.store.read('group:g', { since: { epoch, offset: 8 }, limit: 9 })).toMatchObject({
      entries: [],
      complete: true,
    });
    expect(await A.store.read('group:g', { since: { epoch: 'other', offset: 5 }, limit: 9 })).toMatchObject({
      entries: [],
      complete: false,
    });
    expect(await A.store.read('group:g', { since: { epoch, offset: 9 }, limit: 9 })).toMatchObject({ complete: false });
    expect(await A.store.read('group:g', { limit: 9 })).toMatchObject({ complete: false, top: 8 });
    expect((await A.store.read('group:g', { since: { epoch, offset: 2 }, limit: 0 })).entries).toEqual([]);
    // Bytes come back as bytes.
    const bytes = new Uint8Array([0, 10, 255, 13]);
    const { position } = await A.store.publish(
      'uid:u1',
      { kind: 'uids', uids: ['u1'] },
      { data: bytes, binary: true },
      [],
    );
    const page = await B.store.read('uid:u1', { limit: 5 });
    expect(page.entries).toHaveLength(1);
    expect(page.entries[0]!.offset).toBe(position.offset);
    expect(page.entries[0]!.payload.binary).toBe(true);
    expect([...(page.entries[0]!.payload.data as Uint8Array)]).toEqual([...bytes]);
    expect(await admin.xLen(`${P}hs:group:g`)).toBe(5);
  }, 30_000);

  it('messages older than ttl are dropped; a stream idle for ttl starts a new epoch', async () => {
    const A = await node('A', 'node-redis', { size: 100, ttl: 1_500 });
    const first = await A.store.publish('all', { kind: 'all' }, text('old'), []);
    await new Promise((r) => setTimeout(r, 800));
    await A.store.publish('all', { kind: 'all' }, text('young'), []);
    // Between 1.5 s after the first and 1.5 s after the second message: only the second is kept.
    let page = await A.store.read('all', { since: { epoch: first.position.epoch, offset: 0 }, limit: 10 });
    const deadline = Date.now() + 3_000;
    while (page.entries.length === 2 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 25));
      page = await A.store.read('all', { since: { epoch: first.position.epoch, offset: 0 }, limit: 10 });
    }
    expect(page.epoch).toBe(first.position.epoch);
    expect(page.entries.map((e) => e.payload.data)).toEqual(['young']);
    expect(page.complete).toBe(false);
    // Idle past ttl: both keys expire, the next read or write is a new epoch.
    await expect
      .poll(async () => (await A.store.read('all', { limit: 10 })).epoch, { timeout: 5_000, interval: 100 })
      .not.toBe(first.position.epoch);
  }, 30_000);

  it('the epoch changes when the history may have been lost: FLUSHALL, another Redis run_id, the stream evicted', async () => {
    const A = await node('A', 'node-redis');
    const B = await node('B', 'ioredis');
    const stream = 'group:e';
    const audience = { kind: 'groups', groups: ['e'] } as const;
    const e1 = (await A.store.publish(stream, audience, text('1'), [])).position;
    expect(e1.offset).toBe(1);
    await admin.flushAll();
    const e2 = (await B.store.publish(stream, audience, text('2'), [])).position;
    expect(e2.offset).toBe(1);
    expect(e2.epoch).not.toBe(e1.epoch);
    expect(await A.store.read(stream, { since: e1, limit: 10 })).toMatchObject({ complete: false, entries: [] });
    // A snapshot from another server run (restart with persistence, failover): its offsets could be reused.
    await admin.hSet(`${P}h:${stream}`, 'r', 'an-older-run');
    const e3 = (await A.store.publish(stream, audience, text('3'), [])).position;
    expect(e3).not.toMatchObject({ epoch: e2.epoch });
    expect(e3.offset).toBe(1);
    // The stream key evicted on its own (maxmemory policies pick keys one by one).
    await admin.del(`${P}hs:${stream}`);
    const page = await B.store.read(stream, { since: e3, limit: 10 });
    expect(page.epoch).not.toBe(e3.epoch);
    expect(page).toMatchObject({ top: 0, complete: false });
    // Two nodes finding a lost stream at once agree on one new epoch.
    await admin.flushAll();
    const [x, y] = await Promise.all([
      A.store.publish(stream, audience, text('x'), []),
      B.store.publish(stream, audience, text('y'), []),
    ]);
    expect(x.position.epoch).toBe(y.position.epoch);
    expect([x.position.offset, y.position.offset].sort()).toEqual([1, 2]);
  }, 30_000);

  it('recovery records: any node takes one, exactly once; expired ones are gone', async () => {
    const A = await node('A', 'node-redis');
    const B = await node('B', 'ioredis');
    const record: RecoveryRecord = {
      socketId: 'A.x',
      uid: 'alice',
      groups: ['g1', 'g2'],
      session: { role: 'admin' },
      closedAt: 1,
      positions: { 'group:g1': { epoch: 'e', offset: 3 } },
    };
    await A.store.saveRecovery('t1', record, 10_000);
    expect(await admin.pTTL(`${P}rec:t1`)).toBeGreaterThan(5_000);
    expect(await B.store.takeRecovery('t1')).toEqual(record);
    expect(await A.store.takeRecovery('t1')).toBeNull();
    expect(await B.store.takeRecovery('never')).toBeNull();
    // Concurrent takes on two nodes: one winner.
    for (let i = 0; i < 20; i++) {
      await B.store.saveRecovery(`race${i}`, record, 10_000);
      const got = await Promise.all([A.store.takeRecovery(`race${i}`), B.store.takeRecovery(`race${i}`)]);
      expect(got.filter((r) => r !== null)).toHaveLength(1);
    }
    await A.store.saveRecovery('short', record, 100);
    await new Promise((r) => setTimeout(r, 250));
    expect(await B.store.takeRecovery('short')).toBeNull();
  }, 30_000);

  it('Redis down: a publication is refused (nothing delivered, no offset), and works again once Redis is back', async () => {
    const A = await node('A', 'node-redis');
    const a = await member(A.gateway, 'd');
    const before = (await A.store.publish('group:d', { kind: 'groups', groups: ['d'] }, text('1'), [])).position;
    expect((await frames(a, 1))[0]!.offset).toBe(1);
    await redis.stop();
    await expect(A.store.publish('group:d', { kind: 'groups', groups: ['d'] }, text('2'), [])).rejects.toBeInstanceOf(
      AdapterUnavailableError,
    );
    await expect(A.store.read('group:d', { limit: 1 })).rejects.toBeInstanceOf(AdapterUnavailableError);
    await redis.start();
    // Redis came back empty (no persistence): a new epoch, which the client can tell from its last position.
    let after: typeof before | null = null;
    const deadline = Date.now() + 15_000;
    while (after === null && Date.now() < deadline) {
      try {
        after = (await A.store.publish('group:d', { kind: 'groups', groups: ['d'] }, text('3'), [])).position;
      } catch {
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    expect(after).not.toBeNull();
    expect(after!.epoch).not.toBe(before.epoch);
    expect(after!.offset).toBe(1);
  }, 40_000);
});
