// The browser client's delivery across reconnects, run in Node with `ws` against a real gateway: offsets tracked,
// recovery on reconnect, each message once and in order, and queued sends only after groups are back.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket } from 'ws';
import { createGateway, GatewayError, type Gateway, type GatewayOptions } from '../../src/gateway/index.js';
import { WsgateClient, type RecoveredEvent } from '../../src/gateway/public/wsgate-client.js';
import { StreamTracker } from '../../src/gateway/public/wsgate-recovery.js';

const gateways: Gateway[] = [];
const clients: WsgateClient[] = [];

afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(gateways.splice(0).map((g) => g.close({ timeout: 200 })));
});

/** A gateway with `join` and `say` (members only) routes. */
async function chat(options: GatewayOptions): Promise<Gateway> {
  const gateway = await createGateway({ port: 0, host: '127.0.0.1', heartbeat: false, ...options });
  gateways.push(gateway);
  gateway.route('join', async ({ gateway: g, socket, data }) => g.joinGroup(socket.id, String(data)));
  gateway.route('say', async ({ gateway: g, socket, data }) => {
    if (!socket.groups.has('room')) throw new GatewayError('not_member', 'join first');
    await g.sendToGroup('room', { type: 'chat', data });
    return true;
  });
  return gateway;
}

function client(gateway: Gateway): WsgateClient {
  const c = new WsgateClient(`ws://127.0.0.1:${gateway.port}/ws`, {
    WebSocket: NodeWebSocket,
    reconnect: { minDelay: 20, maxDelay: 50, jitter: false },
  });
  clients.push(c);
  return c;
}

async function waitFor(condition: () => boolean, timeout = 5_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

function next<T>(c: WsgateClient, event: string): Promise<T> {
  return new Promise((resolve) => c.once(event, (value: T) => resolve(value)));
}

describe('WsgateClient with history and recovery', () => {
  it('recovers after a cut: every message once, in order; queued sends go out after the groups are back', async () => {
    const gateway = await chat({ history: { size: 1_000, ttl: 60_000 }, recovery: { window: 60_000 } });
    const c = client(gateway);
    const received: number[] = [];
    c.on<number>('chat', (n) => received.push(n));
    await next(c, 'open');
    await c.request('join', 'room');
    for (let i = 1; i <= 10; i++) await gateway.sendToGroup('room', { type: 'chat', data: i });
    await waitFor(() => received.length === 10);
    // The server cuts the TCP connection (no close frame); messages keep coming while the client is away.
    const recovered = next<RecoveredEvent>(c, 'recovered');
    const reopened = next<{ reconnected: boolean; recovered: boolean }>(c, 'open');
    const [socket] = gateway.node.values();
    socket!.transport!.terminate();
    await waitFor(() => !c.connected);
    const said = c.request('say', 1000); // queued: must not reach the server before the group is restored
    for (let i = 11; i <= 60; i++) await gateway.sendToGroup('room', { type: 'chat', data: i });
    const event = await recovered;
    expect(event.previousId).toBe(socket!.id);
    expect(event.streams['group:room']).toMatchObject({ recovered: true, offset: 60 });
    expect(await reopened).toEqual({ reconnected: true, recovered: true });
    await expect(said).resolves.toBe(true);
    for (let i = 61; i <= 70; i++) await gateway.sendToGroup('room', { type: 'chat', data: i });
    await waitFor(() => received.length >= 71);
    const expected = [...Array.from({ length: 70 }, (_, i) => i + 1)];
    expected.splice(60, 0, 1000);
    // 1000 (from `say`) lands after 60 and before 61: it was sent once the replay was done.
    expect(received.filter((n) => n !== 1000)).toEqual(expected.filter((n) => n !== 1000));
    expect(received.filter((n) => n === 1000)).toHaveLength(1);
    expect(new Set(received).size).toBe(received.length);
  });

  it('reports recovery-failed when the server lost the messages (new epoch), and the app re-joins in open', async () => {
    const gateway = await chat({ history: { size: 2, ttl: 60_000 }, recovery: { window: 60_000 } });
    const c = client(gateway);
    await next(c, 'open');
    await c.request('join', 'room');
    const got: number[] = [];
    c.on<number>('chat', (n) => got.push(n));
    await gateway.sendToGroup('room', { type: 'chat', data: 1 });
    await waitFor(() => got.length === 1);
    const failed = next<{ reason: string; streams: Record<string, { recovered: boolean }> }>(c, 'recovery-failed');
    const [socket] = gateway.node.values();
    socket!.transport!.terminate();
    await waitFor(() => !c.connected);
    for (let i = 2; i <= 6; i++) await gateway.sendToGroup('room', { type: 'chat', data: i });
    const event = await failed;
    expect(event.reason).toBe('incomplete');
    expect(event.streams['group:room']).toMatchObject({ recovered: false });
    await gateway.sendToGroup('room', { type: 'chat', data: 7 });
    await waitFor(() => got.includes(7));
    expect(got).toEqual([1, 7]);
  });
});

describe('WsgateClient without recovery on the server', () => {
  it("runs the app's open listeners before flushing queued sends, so a re-join precedes them", async () => {
    const gateway = await chat({});
    const c = client(gateway);
    c.on('open', () => void c.request('join', 'room'));
    await next(c, 'open');
    await waitFor(() => [...gateway.node.values()].some((s) => s.groups.has('room')));
    const [socket] = gateway.node.values();
    socket!.transport!.terminate();
    await waitFor(() => !c.connected);
    await expect(c.request('say', 'queued')).resolves.toBe(true);
  });
});

describe('StreamTracker', () => {
  const pub = (stream: string, offset: number, epoch = 'e') => ({ stream, epoch, offset, data: `${stream}${offset}` });

  it('drops duplicates and orders what arrived during a recovery', () => {
    const t = new StreamTracker();
    expect(t.accept(pub('a', 1))).toHaveLength(1);
    expect(t.accept(pub('a', 1))).toHaveLength(0);
    t.token = 'tok';
    expect(t.beginRecovery()).toEqual({ token: 'tok', positions: { a: { epoch: 'e', offset: 1 } } });
    for (const p of [pub('a', 4), pub('b', 1), pub('a', 2), pub('a', 3), pub('a', 4), pub('a', 1)]) t.accept(p);
    const out = t.finishRecovery({ a: { recovered: true, epoch: 'e', offset: 4 } });
    expect(out.map((p) => p.data)).toEqual(['a2', 'a3', 'a4', 'b1']);
    // A stream the server could not recover jumps to its position; older buffered messages are not delivered.
    t.token = 'tok2';
    t.beginRecovery();
    t.accept(pub('a', 2, 'e2'));
    t.accept(pub('a', 3, 'e2'));
    expect(t.finishRecovery({ a: { recovered: false, epoch: 'e2', offset: 2 } }).map((p) => p.data)).toEqual(['a3']);
  });
});
