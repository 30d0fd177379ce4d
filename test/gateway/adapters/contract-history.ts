// The history part of the adapter contract (not a test file itself): what every adapter's `openHistory` must do,
// written once and run against memory, node:cluster and Redis by contract-history.test.ts. Nodes run with
// history { size: HISTORY_SIZE } and recovery on; test/helpers/history-rpc.ts routes (`h.publish`, `h.read`,
// `h.save`, `h.take`) call the node's AdapterHistory directly, so each call below runs on the client's node.
import { expect, it } from 'vitest';
import type { Client } from './contract.js';
import { call } from './contract.js';
import type { WireEntry } from '../../helpers/history-rpc.js';

export interface HistoryHarness {
  readonly nodes: number;
  /** `history.size` of every node. */
  readonly size: number;
  connect(index: number): Promise<Client>;
  /** Makes the store lose everything while the nodes run (Redis: FLUSHALL); absent where only a restart can. */
  flush?(): Promise<void>;
  stop(): Promise<void>;
}

interface Position {
  epoch: string;
  offset: number;
}

interface Page {
  epoch: string;
  top: number;
  complete: boolean;
  entries: WireEntry[];
}

async function rpc<T>(client: Client, type: string, data: unknown): Promise<T> {
  const reply = await client.ws.request(type, data, 10_000);
  if (reply.type === 'error') throw new Error(`${type} failed on ${client.node}: ${JSON.stringify(reply)}`);
  return reply.data as T;
}

const publish = (client: Client, stream: string, audience: unknown, text: string, exclude: string[] = []) =>
  rpc<{ position: Position; delivered: number }>(client, 'h.publish', { stream, audience, text, exclude });

const read = (client: Client, stream: string, limit: number, since?: Position) =>
  rpc<Page>(client, 'h.read', since === undefined ? { stream, limit } : { stream, since, limit });

interface Frame {
  type: string;
  stream: string;
  epoch: string;
  offset: number;
  data: unknown;
}

/** The next `count` publication frames of `stream` a client receives (other messages are left aside). */
async function publications(client: Client, stream: string, count: number): Promise<Frame[]> {
  const out: Frame[] = [];
  while (out.length < count) {
    const m = (await client.ws.next(15_000)) as unknown as Frame;
    if (m.type === 'publication' && m.stream === stream) out.push(m);
  }
  return out;
}

export function historyContract(harness: () => HistoryHarness): void {
  /** One client per node (all on the one node of a cluster of one). */
  async function spread(count = 3): Promise<Client[]> {
    const h = harness();
    const out: Client[] = [];
    for (let i = 0; i < count; i++) out.push(await h.connect(i % h.nodes));
    return out;
  }

  const close = (clients: Client[]): void => {
    for (const c of clients) c.ws.ws.terminate();
  };

  it('publishes a stream in one order everywhere: offsets +1, the same sequence on every node', async () => {
    const members = await spread();
    const producers = await spread();
    const stream = 'group:order';
    for (const m of members) await call(m, 'joinGroup', m.id, 'order');
    const perProducer = 10;
    const results = await Promise.all(
      producers.map(async (p, n) => {
        const got: { position: Position; delivered: number; text: string }[] = [];
        for (let i = 0; i < perProducer; i++) {
          const text = `p${n}-${i}`;
          got.push({ ...(await publish(p, stream, { kind: 'groups', groups: ['order'] }, text)), text });
        }
        return got;
      }),
    );
    const all = results.flat();
    const total = producers.length * perProducer;
    expect(all.map((r) => r.position.offset).sort((x, y) => x - y)).toEqual(
      Array.from({ length: total }, (_, i) => i + 1),
    );
    expect(new Set(all.map((r) => r.position.epoch)).size).toBe(1);
    expect(all.every((r) => r.delivered === members.length)).toBe(true);
    // Each producer's own messages keep their order.
    for (const list of results)
      expect(list.map((r) => r.position.offset)).toEqual([...list.map((r) => r.position.offset)].sort((x, y) => x - y));
    const textAt = new Map(all.map((r) => [r.position.offset, r.text]));
    for (const m of members) {
      const frames = await publications(m, stream, total);
      expect(frames.map((f) => f.offset)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
      expect(frames.map((f) => f.data)).toEqual(frames.map((f) => textAt.get(f.offset)));
      expect(frames[0]!.epoch).toBe(all[0]!.position.epoch);
    }
    close([...members, ...producers]);
  }, 60_000);

  it('gives a burst of concurrent publishes from one node distinct consecutive offsets, delivered in that order', async () => {
    const [member, producer] = await spread(2);
    const stream = 'group:burst';
    await call(member!, 'joinGroup', member!.id, 'burst');
    const count = 20;
    // All sent before any reply: the node runs them concurrently against the one store.
    for (let i = 0; i < count; i++) {
      const data = { stream, audience: { kind: 'groups', groups: ['burst'] }, text: `b${i}`, exclude: [] };
      producer!.ws.send({ type: 'h.publish', id: `burst-${i}`, data });
    }
    const published: { position: Position }[] = [];
    const textAt = new Map<number, string>();
    while (published.length < count) {
      const reply = (await producer!.ws.next(15_000)) as { id?: unknown; data?: { position: Position } };
      if (typeof reply.id !== 'string' || !reply.id.startsWith('burst-')) continue;
      if (reply.data === undefined) throw new Error(`h.publish failed: ${JSON.stringify(reply)}`);
      published.push(reply.data);
      textAt.set(reply.data.position.offset, `b${reply.id.slice(6)}`);
    }
    const offsets = published.map((p) => p.position.offset).sort((x, y) => x - y);
    expect(offsets).toEqual(Array.from({ length: count }, (_, i) => i + 1));
    expect(new Set(published.map((p) => p.position.epoch)).size).toBe(1);
    const frames = await publications(member!, stream, count);
    expect(frames.map((f) => f.offset)).toEqual(offsets);
    expect(frames.map((f) => f.data)).toEqual(frames.map((f) => textAt.get(f.offset)));
    close([member!, producer!]);
  }, 30_000);

  it('skips the excluded sockets and reaches uids and everyone on any node', async () => {
    const [a, b, c] = await spread();
    await call(b!, 'bindUid', b!.id, 'hu');
    await call(c!, 'bindUid', c!.id, 'hu');
    const toUid = await publish(a!, 'uid:hu', { kind: 'uids', uids: ['hu'] }, 'for hu', [c!.id]);
    expect(toUid.delivered).toBe(1);
    expect((await publications(b!, 'uid:hu', 1))[0]).toMatchObject({ offset: toUid.position.offset, data: 'for hu' });
    const toAll = await publish(b!, 'all', { kind: 'all' }, 'for all');
    expect(toAll.delivered).toBeGreaterThanOrEqual(3);
    for (const x of [a!, b!, c!]) expect((await publications(x, 'all', 1))[0]!.offset).toBe(toAll.position.offset);
    close([a!, b!, c!]);
  }, 30_000);

  it('reads since / limit with complete, from any node; trims to size; a stream never written', async () => {
    const [a, b] = await spread(2);
    const size = harness().size;
    const stream = 'group:reads';
    const audience = { kind: 'groups', groups: ['reads'] };
    const fresh = await read(b!, 'group:never', 5);
    expect(fresh).toMatchObject({ top: 0, entries: [], complete: true });
    expect((await read(a!, 'group:never', 5)).epoch).toBe(fresh.epoch);
    expect(await read(a!, 'group:never', 0)).toMatchObject({ epoch: fresh.epoch, top: 0, entries: [] });
    let epoch = '';
    const total = size + 3;
    for (let i = 1; i <= total; i++) epoch = (await publish(i % 2 ? a! : b!, stream, audience, `m${i}`)).position.epoch;
    const start = { epoch, offset: 0 };
    const trimmed = await read(b!, stream, 1_000, start);
    expect(trimmed).toMatchObject({ epoch, top: total, complete: false });
    expect(trimmed.entries.map((e) => e.offset)).toEqual(Array.from({ length: size }, (_, i) => i + 4));
    const page = await read(a!, stream, 2, { epoch, offset: 5 });
    expect(page.entries).toEqual([
      { offset: 6, text: 'm6' },
      { offset: 7, text: 'm7' },
    ]);
    expect(page.complete).toBe(true);
    expect(await read(a!, stream, 5, { epoch, offset: total })).toMatchObject({ entries: [], complete: true });
    expect(await read(b!, stream, 5, { epoch: 'not-this-one', offset: 1 })).toMatchObject({
      entries: [],
      complete: false,
    });
    expect(await read(b!, stream, 5, { epoch, offset: total + 1 })).toMatchObject({ entries: [], complete: false });
    close([a!, b!]);
  }, 30_000);

  it('keeps recovery records for their ttl, and gives each to exactly one taker on any node', async () => {
    const [a, b, c] = await spread();
    const record = {
      socketId: 'N.1',
      uid: 'u',
      groups: ['x'],
      session: { k: 1 },
      closedAt: 5,
      positions: { 'group:x': { epoch: 'e', offset: 3 } },
    };
    await rpc(a!, 'h.save', { id: 'r1', record, ttl: 30_000 });
    const takes = await Promise.all([b!, c!, a!].map((x) => rpc<unknown>(x, 'h.take', { id: 'r1' })));
    expect(takes.filter((t) => t !== null)).toEqual([record]);
    expect(await rpc(b!, 'h.take', { id: 'r1' })).toBeNull();
    await rpc(b!, 'h.save', { id: 'r2', record, ttl: 150 });
    await new Promise((r) => setTimeout(r, 400));
    expect(await rpc(c!, 'h.take', { id: 'r2' })).toBeNull();
    expect(await rpc(a!, 'h.take', { id: 'never-saved' })).toBeNull();
    close([a!, b!, c!]);
  }, 30_000);

  it('hands over a socket still open on another node (takeOver) to the client presenting its token, once', async () => {
    const [old, fresh, late] = await spread();
    const pushed = (await old!.ws.until(
      (m) => typeof m === 'object' && !Buffer.isBuffer(m) && m.type === '$recovery',
      10_000,
    )) as { data: { token: string; socketId: string } };
    expect(pushed.data.socketId).toBe(old!.id);
    await call(old!, 'bindUid', old!.id, 'taker');
    await call(old!, 'joinGroup', old!.id, 'taken');
    // The old connection was never closed: its node still holds it, and no record was saved for it.
    const reply = await fresh!.ws.request('$recover', { token: pushed.data.token }, 10_000);
    expect(reply.data).toMatchObject({ previousId: old!.id, socketId: fresh!.id });
    await expect(old!.ws.closed).resolves.toMatchObject({ code: 1006 });
    expect(await call(fresh!, 'groupsOfSocket', fresh!.id)).toEqual(['taken']);
    expect(await call(late!, 'uidOfSocket', fresh!.id)).toBe('taker');
    // The taken-over socket saved no record: the token can't be used again, on any node.
    expect(await late!.ws.request('$recover', { token: pushed.data.token }, 10_000)).toMatchObject({
      error: { code: 'recovery_refused' },
    });
    close([fresh!, late!]);
  }, 30_000);

  it('changes the epoch when the store loses the history (where the test can make it)', async () => {
    const h = harness();
    const [a, b] = await spread(2);
    const stream = 'group:lost';
    const audience = { kind: 'groups', groups: ['lost'] };
    const before = (await publish(a!, stream, audience, 'before')).position;
    if (h.flush === undefined) {
      // The memory and cluster stores only lose history with their process (tested by the fault tests); here the
      // epoch must at least stay put while nothing is lost.
      expect((await publish(b!, stream, audience, 'after')).position).toEqual({ epoch: before.epoch, offset: 2 });
    } else {
      await h.flush();
      const after = (await publish(b!, stream, audience, 'after')).position;
      expect(after.offset).toBe(1);
      expect(after.epoch).not.toBe(before.epoch);
      expect(await read(a!, stream, 5, before)).toMatchObject({ entries: [], complete: false });
    }
    close([a!, b!]);
  }, 30_000);
}
