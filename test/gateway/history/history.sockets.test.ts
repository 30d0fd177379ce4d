// History over real sockets: publication frames only when history is on (byte-identical frames when off), offsets
// per stream, gateway.history and POST /api/history, and a clear failure for adapters without history.
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  AdapterUnavailableError,
  ScaleOutAdapter,
  type AdapterHistory,
  type Gateway,
  type HistoryLimits,
} from '../../../src/gateway/index.js';
import { MemoryAdapter } from '../../../src/gateway/adapters/memory/memory-adapter.js';
import { cleanup, httpUrl, idOf, open, startGateway, withIdRoute, wsUrl } from '../helpers.js';

afterEach(cleanup);

/** Every frame a plain `ws` client receives, as raw bytes with its binary flag. */
function rawFrames(url: string): Promise<{ ws: WebSocket; frames: { data: Buffer; binary: boolean }[] }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    const frames: { data: Buffer; binary: boolean }[] = [];
    ws.on('message', (data: Buffer, binary: boolean) => frames.push({ data: Buffer.from(data), binary }));
    ws.once('open', () => resolve({ ws, frames }));
    ws.once('error', reject);
  });
}

async function waitFor(condition: () => boolean, timeout = 5_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function joined(
  gateway: Gateway,
  group: string,
): Promise<{ ws: WebSocket; frames: { data: Buffer; binary: boolean }[] }> {
  const client = await rawFrames(wsUrl(gateway));
  await waitFor(() => gateway.node.size > 0 && [...gateway.node.values()].some((s) => s.groups.size === 0));
  const socket = [...gateway.node.values()].find((s) => s.groups.size === 0)!;
  await gateway.joinGroup(socket.id, group);
  return client;
}

describe('history off', () => {
  it('frames are exactly what the application sent (text, JSON, binary)', async () => {
    const gateway = await startGateway({ heartbeat: false });
    const { ws, frames } = await joined(gateway, 'g');
    await gateway.sendToGroup('g', 'plain text');
    await gateway.sendToGroup('g', { a: 1, b: [true] });
    await gateway.sendToGroup('g', new Uint8Array([0, 1, 2, 255]));
    await gateway.sendToAll('to all');
    await waitFor(() => frames.length === 4);
    expect(frames.map((f) => [f.binary, f.data.toString('hex')])).toEqual([
      [false, Buffer.from('plain text').toString('hex')],
      [false, Buffer.from('{"a":1,"b":[true]}').toString('hex')],
      [true, '000102ff'],
      [false, Buffer.from('to all').toString('hex')],
    ]);
    ws.close();
    await expect(gateway.history('group:g')).rejects.toMatchObject({ code: 'history_off' });
  });
});

describe('history on', () => {
  it('wraps each message as a publication with its stream, epoch and consecutive offset', async () => {
    const gateway = await startGateway({ heartbeat: false, history: { size: 10, ttl: 60_000 } });
    const { frames } = await joined(gateway, 'g');
    await gateway.sendToGroup('g', 'one');
    await gateway.sendToGroup('g', { two: 2 });
    await gateway.sendToGroup('g', new Uint8Array([1, 2, 3]));
    await waitFor(() => frames.length === 3);
    const parsed = frames.map((f) => {
      expect(f.binary).toBe(false);
      return JSON.parse(f.data.toString()) as Record<string, unknown>;
    });
    expect(parsed.map((p) => [p.type, p.stream, p.offset, p.data, p.binary])).toEqual([
      ['publication', 'group:g', 1, 'one', undefined],
      ['publication', 'group:g', 2, '{"two":2}', undefined],
      ['publication', 'group:g', 3, Buffer.from([1, 2, 3]).toString('base64'), true],
    ]);
    expect(new Set(parsed.map((p) => p.epoch)).size).toBe(1);
    const page = await gateway.history('group:g', { since: { epoch: parsed[0]!.epoch as string, offset: 1 } });
    expect(page).toMatchObject({ epoch: parsed[0]!.epoch, top: 3, complete: true });
    expect(page.entries.map((e) => e.offset)).toEqual([2, 3]);
    expect((await gateway.history('group:g', { limit: 1 })).entries.map((e) => e.offset)).toEqual([1]);
  });

  it('keeps uid and all streams; a multi-group send is one publication per group', async () => {
    const gateway = withIdRoute(await startGateway({ heartbeat: false, history: { size: 10, ttl: 60_000 } }));
    const client = await open(gateway);
    const id = await idOf(client);
    await gateway.bindUid(id, 'ada');
    await gateway.joinGroup(id, 'a');
    await gateway.joinGroup(id, 'b');
    await gateway.sendToUid('ada', 'u');
    await gateway.sendToAll('all');
    await gateway.sendToGroup(['a', 'b'], 'ab');
    const got = [];
    for (let i = 0; i < 4; i++) got.push(await client.json());
    expect(got.filter((m) => m.type === 'publication').map((m) => [m.stream, m.offset, m.data])).toEqual([
      ['uid:ada', 1, 'u'],
      ['all', 1, 'all'],
      ['group:a', 1, 'ab'],
      ['group:b', 1, 'ab'],
    ]);
  });

  it('refuses bad queries with invalid_argument', async () => {
    const gateway = await startGateway({ heartbeat: false, history: { size: 10, ttl: 60_000 } });
    await expect(gateway.history('nope')).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(gateway.history('group:' + 'x'.repeat(400))).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(gateway.history('all', { limit: -1 })).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(
      gateway.history('all', { since: { epoch: 5, offset: 1 } as unknown as { epoch: string; offset: number } }),
    ).rejects.toMatchObject({ code: 'invalid_argument' });
  });

  it('POST /api/history answers the page; 409 when history is off; 400 for a bad stream', async () => {
    const gateway = await startGateway({ heartbeat: false, apiKey: 'k', history: { size: 2, ttl: 60_000 } });
    for (const m of ['a', 'b', 'c']) await gateway.sendToGroup('room', m);
    const post = (g: Gateway, body: unknown) =>
      fetch(httpUrl(g, '/api/history'), {
        method: 'POST',
        headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const res = await post(gateway, { stream: 'group:room' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { epoch: string; top: number; complete: boolean; entries: unknown[] };
    expect(body).toMatchObject({
      top: 3,
      complete: false,
      entries: [
        { offset: 2, message: 'b' },
        { offset: 3, message: 'c' },
      ],
    });
    const since = await post(gateway, { stream: 'group:room', since: { epoch: body.epoch, offset: 2 }, limit: 5 });
    expect(await since.json()).toMatchObject({ complete: true, entries: [{ offset: 3, message: 'c' }] });
    expect((await post(gateway, { stream: 'bogus' })).status).toBe(400);
    const off = await startGateway({ heartbeat: false, apiKey: 'k' });
    const refused = await post(off, { stream: 'all' });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toMatchObject({ error: { code: 'history_off' } });
  });
});

describe('a store that is down', () => {
  it('answers unavailable: HTTP 503 from the push API, an error reply to $recover', async () => {
    class DownStore extends MemoryAdapter {
      override openHistory(limits: HistoryLimits | null): AdapterHistory {
        const store = super.openHistory(limits);
        const down = (): Promise<never> => Promise.reject(new AdapterUnavailableError('the store is down'));
        return { ...store, read: down, takeRecovery: down };
      }
    }
    const gateway = await startGateway({
      heartbeat: false,
      apiKey: 'k',
      adapter: new DownStore(),
      history: { size: 10, ttl: 60_000 },
      recovery: { window: 60_000 },
    });
    gateway.on('error', () => undefined);
    const res = await fetch(httpUrl(gateway, '/api/history'), {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify({ stream: 'all' }),
    });
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ error: { code: 'unavailable' } });
    const client = await open(gateway);
    const token = ((await client.json()).data as { token: string }).token;
    expect(await client.request('$recover', { token })).toMatchObject({
      type: 'error',
      error: { code: 'unavailable' },
    });
  });
});

describe('configuration', () => {
  it('an adapter without history fails at createGateway when history or recovery is on', async () => {
    class NoHistory extends MemoryAdapter {}
    Object.defineProperty(NoHistory.prototype, 'openHistory', { value: undefined });
    await expect(startGateway({ adapter: new NoHistory(), history: { size: 1, ttl: 1 } })).rejects.toThrow(
      /does not implement history/,
    );
    await expect(startGateway({ adapter: new NoHistory(), recovery: { window: 1_000 } })).rejects.toThrow(
      /does not implement history/,
    );
    expect(ScaleOutAdapter.prototype).not.toHaveProperty('openHistory');
  });

  it('refuses raw mode, bad sizes and short secrets', async () => {
    await expect(startGateway({ raw: true, history: { size: 1, ttl: 1 } })).rejects.toThrow(/JSON mode/);
    await expect(startGateway({ history: { size: 0, ttl: 1 } })).rejects.toThrow(/history.size/);
    await expect(startGateway({ recovery: { window: 1, secret: 'short' } })).rejects.toThrow(/16 bytes/);
  });
});
