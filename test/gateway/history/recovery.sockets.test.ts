// Connection-state recovery over real sockets: a token per socket, identity and missed messages back on a new
// socket, per-stream `recovered`, and refusal of forged, expired, replayed and foreign tokens.
import { afterEach, describe, expect, it } from 'vitest';
import {
  absentResult,
  MemoryAdapter,
  type AdapterHistory,
  type Gateway,
  type GatewayOptions,
  type HistoryLimits,
  type LocalNode,
  type SocketCommand,
  type SocketCommandResult,
} from '../../../src/gateway/index.js';
import { RecoveryStore } from '../../../src/gateway/adapters/stream-store.js';
import { cleanup, open, startGateway, type TestClient } from '../helpers.js';

afterEach(cleanup);

interface Tokened {
  client: TestClient;
  token: string;
  socketId: string;
}

async function connect(gateway: Gateway, headers?: Record<string, string>): Promise<Tokened> {
  const client = await open(gateway, headers === undefined ? {} : { headers });
  const push = await client.json();
  expect(push.type).toBe('$recovery');
  const data = push.data as { token: string; socketId: string };
  return { client, token: data.token, socketId: data.socketId };
}

async function waitFor(condition: () => boolean, timeout = 5_000): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Closes the client and waits until the gateway forgot the socket (its record is then saved). */
async function drop(gateway: Gateway, c: Tokened): Promise<void> {
  c.client.ws.terminate();
  await waitFor(() => gateway.localSocket(c.socketId) === null);
  await new Promise((r) => setTimeout(r, 20));
}

const HISTORY: GatewayOptions = { heartbeat: false, history: { size: 100, ttl: 60_000 }, recovery: { window: 60_000 } };

describe('recovery with history', () => {
  it('gives a new socket the old uid, groups and session, and replays what it missed, in order, once', async () => {
    const gateway = await startGateway(HISTORY);
    const recovered: [string, string][] = [];
    gateway.on('recover', (socket, previous) => recovered.push([socket.id, previous]));
    const first = await connect(gateway);
    await gateway.bindUid(first.socketId, 'ada');
    await gateway.joinGroup(first.socketId, 'room');
    await gateway.updateSession(first.socketId, { theme: 'dark' });
    await gateway.sendToGroup('room', 'm1');
    const m1 = await first.client.json();
    expect(m1).toMatchObject({ type: 'publication', stream: 'group:room', offset: 1, data: 'm1' });
    await drop(gateway, first);
    for (let i = 2; i <= 6; i++) await gateway.sendToGroup('room', `m${i}`);
    await gateway.sendToUid('ada', 'private');

    const second = await connect(gateway);
    const reply = await second.client.request('$recover', {
      token: first.token,
      positions: { 'group:room': { epoch: m1.epoch, offset: 1 } },
    });
    expect(reply.type).toBe('$recover');
    const data = reply.data as { socketId: string; previousId: string; streams: Record<string, unknown> };
    expect(data.socketId).toBe(second.socketId);
    expect(data.socketId).not.toBe(first.socketId);
    expect(data.previousId).toBe(first.socketId);
    expect(data.streams['group:room']).toEqual({ recovered: true, epoch: m1.epoch, offset: 6 });
    // The uid stream: the client presented nothing, the server knew where the socket had entered it.
    expect(data.streams['uid:ada']).toMatchObject({ recovered: true, offset: 1 });
    expect(data.streams.all).toMatchObject({ recovered: true, offset: 0 });
    expect(recovered).toEqual([[second.socketId, first.socketId]]);
    expect(await gateway.uidOfSocket(second.socketId)).toBe('ada');
    expect(await gateway.groupsOfSocket(second.socketId)).toEqual(['room']);
    expect(await gateway.getSession(second.socketId)).toEqual({ theme: 'dark' });
    // The replayed publications came before the reply (the request helper kept them queued).
    const replayed = [];
    for (let i = 0; i < 6; i++) replayed.push(await second.client.json());
    expect(replayed.map((m) => `${String(m.stream)}:${String(m.offset)}:${String(m.data)}`).sort()).toEqual(
      [
        'group:room:2:m2',
        'group:room:3:m3',
        'group:room:4:m4',
        'group:room:5:m5',
        'group:room:6:m6',
        'uid:ada:1:private',
      ].sort(),
    );
    const room = replayed.filter((m) => m.stream === 'group:room').map((m) => m.offset);
    expect(room).toEqual([2, 3, 4, 5, 6]);
    // Live delivery goes on in the same stream.
    await gateway.sendToGroup('room', 'm7');
    expect(await second.client.json()).toMatchObject({ stream: 'group:room', offset: 7, data: 'm7' });
  });

  it('says recovered: false when the missed messages are gone (trimmed) or the epoch changed', async () => {
    const gateway = await startGateway({ ...HISTORY, history: { size: 2, ttl: 60_000 } });
    const first = await connect(gateway);
    await gateway.joinGroup(first.socketId, 'room');
    await gateway.sendToGroup('room', 'm1');
    const m1 = await first.client.json();
    await drop(gateway, first);
    for (let i = 2; i <= 5; i++) await gateway.sendToGroup('room', `m${i}`);
    const second = await connect(gateway);
    const reply = await second.client.request('$recover', {
      token: first.token,
      positions: { 'group:room': { epoch: m1.epoch, offset: 1 }, all: { epoch: 'stale-epoch', offset: 3 } },
    });
    const streams = (reply.data as { streams: Record<string, { recovered: boolean; offset: number }> }).streams;
    expect(streams['group:room']).toMatchObject({ recovered: false, offset: 5 });
    expect(streams.all).toMatchObject({ recovered: false });
    expect(await gateway.groupsOfSocket(second.socketId)).toEqual(['room']);
    expect(await second.client.silentFor(100)).toBe(true);
  });

  it('recovers from a socket the gateway still thinks is open (the client noticed the drop first)', async () => {
    const gateway = await startGateway(HISTORY);
    const first = await connect(gateway);
    await gateway.joinGroup(first.socketId, 'room');
    const second = await connect(gateway);
    const reply = await second.client.request('$recover', { token: first.token });
    expect(reply.data).toMatchObject({ previousId: first.socketId });
    await waitFor(() => gateway.localSocket(first.socketId) === null);
    expect(await gateway.groupsOfSocket(second.socketId)).toEqual(['room']);
    // And the token is spent.
    const third = await connect(gateway);
    expect(await third.client.request('$recover', { token: first.token })).toMatchObject({
      type: 'error',
      error: { code: 'recovery_refused' },
    });
  });
});

/** Two memory nodes that share recovery records and forward socket commands to each other (a test-only cluster). */
class PairedAdapter extends MemoryAdapter {
  readonly peers = new Map<string, LocalNode>();
  constructor(private readonly records: RecoveryStore) {
    super();
  }
  override openHistory(limits: HistoryLimits | null): AdapterHistory {
    const own = super.openHistory(limits);
    return {
      ...own,
      saveRecovery: (id, record, ttl) => Promise.resolve(this.records.save(id, record, ttl)),
      takeRecovery: (id) => Promise.resolve(this.records.take(id)),
    };
  }
  override forward<C extends SocketCommand>(nodeId: string, command: C): Promise<SocketCommandResult<C>> {
    const node = this.peers.get(nodeId);
    return node === undefined ? Promise.resolve(absentResult(command)) : node.execute(command);
  }
}

describe('recovery on another node', () => {
  it('takes the state over from the node where the old connection is still open', async () => {
    const records = new RecoveryStore(100);
    const [a, b] = [new PairedAdapter(records), new PairedAdapter(records)];
    const secret = 'shared by both nodes, 16+ bytes';
    const nodeA = await startGateway({
      heartbeat: false,
      nodeId: 'A',
      adapter: a,
      recovery: { window: 60_000, secret },
    });
    const nodeB = await startGateway({
      heartbeat: false,
      nodeId: 'B',
      adapter: b,
      recovery: { window: 60_000, secret },
    });
    a.peers.set('B', nodeB.node);
    b.peers.set('A', nodeA.node);
    const first = await connect(nodeA);
    await nodeA.bindUid(first.socketId, 'ada');
    await nodeA.joinGroup(first.socketId, 'room');
    const second = await connect(nodeB);
    const reply = await second.client.request('$recover', { token: first.token });
    expect(reply.data).toMatchObject({ previousId: first.socketId, socketId: second.socketId });
    expect(second.socketId.startsWith('B.')).toBe(true);
    await waitFor(() => nodeA.localSocket(first.socketId) === null);
    expect(await nodeB.groupsOfSocket(second.socketId)).toEqual(['room']);
    expect(await nodeB.uidOfSocket(second.socketId)).toBe('ada');
    // The taken-over socket saved no record: its token can't be used a second time.
    const third = await connect(nodeB);
    expect(await third.client.request('$recover', { token: first.token })).toMatchObject({
      error: { code: 'recovery_refused' },
    });
  });
});

describe('recovery without history', () => {
  it('restores identity and reports every stream recovered: false', async () => {
    const gateway = await startGateway({ heartbeat: false, recovery: { window: 60_000 } });
    const first = await connect(gateway);
    await gateway.bindUid(first.socketId, 'bo');
    await gateway.joinGroup(first.socketId, 'g');
    await gateway.sendToGroup('g', 'plain');
    expect(await first.client.next()).toBe('plain');
    await drop(gateway, first);
    const second = await connect(gateway);
    const reply = await second.client.request('$recover', { token: first.token });
    expect(reply.data).toMatchObject({
      previousId: first.socketId,
      streams: { 'group:g': { recovered: false }, 'uid:bo': { recovered: false }, all: { recovered: false } },
    });
    expect(await gateway.uidOfSocket(second.socketId)).toBe('bo');
  });
});

describe('refused tokens', () => {
  const refused = { type: 'error', error: { code: 'recovery_refused' } };

  it('refuses a forged token (changed socket id, changed MAC, made-up, oversized)', async () => {
    const gateway = await startGateway({ heartbeat: false, recovery: { window: 60_000 } });
    const victim = await connect(gateway);
    await gateway.bindUid(victim.socketId, 'victim');
    const attacker = await connect(gateway);
    const [id, , mac] = victim.token.split('.') as [string, string, string];
    const otherSid = Buffer.from(attacker.socketId).toString('base64url');
    for (const token of [
      `${id}.${otherSid}.${mac}`,
      `${id}.${victim.token.split('.')[1]!}.${mac.slice(0, -2)}AA`,
      'a.b.c',
      'x'.repeat(10_000),
      42,
    ]) {
      const fresh = await connect(gateway);
      expect(await fresh.client.request('$recover', { token })).toMatchObject(refused);
    }
    expect(await gateway.uidOfSocket(victim.socketId)).toBe('victim');
  });

  it('refuses a replayed token and an expired one', async () => {
    const gateway = await startGateway({ heartbeat: false, recovery: { window: 1_000 } });
    const first = await connect(gateway);
    await drop(gateway, first);
    const second = await connect(gateway);
    expect(await second.client.request('$recover', { token: first.token })).toMatchObject({ type: '$recover' });
    const replay = await connect(gateway);
    expect(await replay.client.request('$recover', { token: first.token })).toMatchObject(refused);
    // second's own token, used after the window
    await drop(gateway, second);
    await new Promise((r) => setTimeout(r, 1_300));
    const late = await connect(gateway);
    expect(await late.client.request('$recover', { token: second.token })).toMatchObject(refused);
  });

  it('refuses a token for another authenticated uid, and a second \$recover on one socket', async () => {
    const gateway = await startGateway({
      heartbeat: false,
      recovery: { window: 60_000 },
      authenticate: (req) => ({ uid: String(req.headers['x-user']) }),
    });
    const ada = await connect(gateway, { 'x-user': 'ada' });
    await drop(gateway, ada);
    const eve = await connect(gateway, { 'x-user': 'eve' });
    expect(await eve.client.request('$recover', { token: ada.token })).toMatchObject(refused);
    expect(await eve.client.request('$recover', { token: ada.token })).toMatchObject(refused);
    expect(await gateway.uidOfSocket(eve.socketId)).toBe('eve');
  });

  it('refuses a flood of positions with invalid_argument, without reading the token', async () => {
    const gateway = await startGateway({ ...HISTORY, maxGroupsPerSocket: 4 });
    const first = await connect(gateway);
    await drop(gateway, first);
    const second = await connect(gateway);
    const positions: Record<string, unknown> = {};
    for (let i = 0; i < 1_000; i++) positions[`group:${i}`] = { epoch: 'e', offset: i };
    expect(await second.client.request('$recover', { token: first.token, positions })).toMatchObject({
      type: 'error',
      error: { code: 'invalid_argument' },
    });
  });
});
