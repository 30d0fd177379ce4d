// Issue 9, item 3: a process-wide budget for the bytes of unfinished messages (inflated bytes included), and a time
// limit on an unfinished message. Before, N peers could each hold a message just under the size limit, for as long
// as they liked (20 × 15 MiB = +303 MiB; with permessage-deflate 299 KiB on the wire pinned +321 MiB). Over real
// sockets, both roles: the budget is never exceeded, the connection that does not fit is closed 1013, an unfinished
// message is closed 1008 after `messageTimeout`, and the budget comes back to 0 on every path.
import { constants, deflateRawSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { MessageBudget, processMessageBudget } from '../../src/protocol/index.js';
import { connect } from '../../src/server/client.js';
import { messageClockCount } from '../../src/server/message-timeouts.js';
import { DEFAULT_SOCKET_OPTIONS } from '../../src/server/options.js';
import type { WsSocket } from '../../src/server/socket.js';
import { Op } from '../helpers/frames.js';
import { RawClient, RawServer } from '../helpers/raw.js';
import { cleanupAll, onCleanup, startEchoServer } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

afterEach(cleanupAll);

const KiB = 1024;
const MiB = 1024 * KiB;

/**
 * Sends a ping and returns 'held' if its pong comes back and no Close follows, or the close code. (The budget is
 * checked once the server has consumed a chunk, so when the ping shares a chunk with the message its pong is written
 * before the Close.)
 */
async function probe(attacker: RawClient): Promise<'held' | number> {
  attacker.send({ opcode: Op.Ping, payload: 'still there?' });
  for (;;) {
    const frame = await attacker.nextFrame(5_000);
    if (frame.opcode === Op.Close) return frame.payload.readUInt16BE(0);
    if (frame.opcode !== Op.Pong) continue;
    const next = await attacker.maybeFrame(100);
    return next?.opcode === Op.Close ? next.payload.readUInt16BE(0) : 'held';
  }
}

/** Raw deflate of `n` zero bytes, cut at a sync flush: a few KiB on the wire. */
function deflatedZeros(n: number): Buffer {
  return deflateRawSync(Buffer.alloc(n), { finishFlush: constants.Z_SYNC_FLUSH });
}

describe('message budget', () => {
  it('N connections with unfinished messages never hold more than the budget; those that do not fit get 1013', async () => {
    const budget = new MessageBudget(4 * MiB);
    const { server } = await startEchoServer({ maxPayload: MiB, messageBudget: budget });
    const outcomes: ('held' | number)[] = [];
    let highest = 0;
    const attackers: RawClient[] = [];
    for (let i = 0; i < 10; i++) {
      const attacker = await RawClient.connect(server.port);
      attackers.push(attacker);
      attacker.send({ opcode: Op.Binary, payload: Buffer.alloc(900 * KiB, i), fin: false });
      outcomes.push(await probe(attacker));
      highest = Math.max(highest, budget.reserved);
    }
    expect(highest).toBeLessThanOrEqual(budget.limit);
    const held = outcomes.filter((o) => o === 'held').length;
    expect(held).toBeGreaterThanOrEqual(2);
    expect(held).toBeLessThanOrEqual(4);
    expect(outcomes.filter((o) => o === 1013).length).toBe(10 - held);
    // The ones that fit finish their messages normally.
    for (let i = 0; i < attackers.length; i++) {
      if (outcomes[i] !== 'held') continue;
      attackers[i].send({ opcode: Op.Continuation, payload: '!', fin: true });
      const echo = await attackers[i].nextFrame(5_000);
      expect(echo.payload.length).toBe(900 * KiB + 1);
      expect(echo.payload[0]).toBe(i);
    }
    expect(budget.reserved).toBe(0);
  });

  it('with permessage-deflate, inflated bytes count: a few KiB on the wire cannot pin more than the budget', async () => {
    const budget = new MessageBudget(4 * MiB);
    const { server } = await startEchoServer({ perMessageDeflate: true, messageBudget: budget });
    const bomb = deflatedZeros(3 * MiB);
    expect(bomb.length).toBeLessThan(8 * KiB);
    const outcomes: ('held' | number)[] = [];
    for (let i = 0; i < 6; i++) {
      const attacker = await RawClient.connect(server.port, {
        headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' },
      });
      attacker.send({ opcode: Op.Binary, payload: bomb, rsv1: true, fin: false });
      outcomes.push(await probe(attacker));
      expect(budget.reserved).toBeLessThanOrEqual(budget.limit);
    }
    expect(outcomes).toEqual(['held', 1013, 1013, 1013, 1013, 1013]);
    expect(budget.reserved).toBe(3 * MiB);
    await cleanupAll();
    await waitFor(() => budget.reserved === 0, 2_000, 'the budget to come back to 0');
  });

  it('comes back to 0 on every path: delivered, 1002 mid-message, Close mid-message, TCP gone mid-message', async () => {
    const budget = new MessageBudget(64 * MiB);
    const { server, events } = await startEchoServer({ messageBudget: budget });
    const paths: [string, (attacker: RawClient) => void][] = [
      ['delivered', (a) => a.send({ opcode: Op.Continuation, payload: 'end', fin: true })],
      ['1002', (a) => a.sendText('a new message inside the first')],
      ['close', (a) => a.sendClose(1000)],
      ['eof', (a) => a.destroy()],
    ];
    for (const [name, finish] of paths) {
      const attacker = await RawClient.connect(server.port);
      attacker.send({ opcode: Op.Binary, payload: Buffer.alloc(200 * KiB), fin: false });
      expect(await probe(attacker), name).toBe('held');
      expect(budget.reserved, name).toBeGreaterThan(0);
      finish(attacker);
      await waitFor(() => budget.reserved === 0, 2_000, `the budget back to 0 after ${name}`);
    }
    expect(events.closes.map((c) => c.code)).toEqual([1002, 1000, 1006]);
  });

  it('is shared by every socket of the process by default: 128 MiB', async () => {
    expect(DEFAULT_SOCKET_OPTIONS.messageBudget).toBe(processMessageBudget());
    expect(processMessageBudget().limit).toBe(128 * MiB);
    const { server: a } = await startEchoServer();
    const { server: b } = await startEchoServer();
    const base = processMessageBudget().reserved;
    for (const server of [a, b]) {
      const attacker = await RawClient.connect(server.port);
      attacker.send({ opcode: Op.Binary, payload: Buffer.alloc(100 * KiB), fin: false });
      expect(await probe(attacker)).toBe('held');
    }
    expect(processMessageBudget().reserved - base).toBeGreaterThanOrEqual(200 * KiB);
    await cleanupAll();
    await waitFor(() => processMessageBudget().reserved === base, 2_000, 'the shared budget back');
  });

  it('client role: a server whose unfinished messages do not fit the client budget gets 1013', async () => {
    const raw = await RawServer.start();
    const closes: number[] = [];
    const ws = await connect(raw.url, {
      messageBudget: 100 * KiB,
      handlers: { close: (_ws, code) => closes.push(code) },
    });
    onCleanup(() => ws.terminate());
    const server = await raw.nextPeer();
    server.send({ opcode: Op.Binary, payload: Buffer.alloc(200 * KiB), fin: false, mask: false });
    const close = await server.expectClose(3_000);
    expect(close.code).toBe(1013);
    await waitFor(() => closes.length === 1, 2_000, 'client close handler');
    expect(closes).toEqual([1013]);
  });
});

describe('messageTimeout', () => {
  it('an unfinished message is closed 1008 once the limit passes; its bytes and clock are released', async () => {
    const budget = new MessageBudget(64 * MiB);
    const { server, events } = await startEchoServer({ messageTimeout: 200, messageBudget: budget });
    const attacker = await RawClient.connect(server.port);
    const started = Date.now();
    attacker.send({ opcode: Op.Text, payload: 'never finished', fin: false });
    const close = await attacker.expectClose(3_000);
    const elapsed = Date.now() - started;
    expect(close.code).toBe(1008);
    expect(close.reason).toBe('message not completed within 200 ms');
    expect(elapsed).toBeGreaterThanOrEqual(190);
    // Swept at a quarter of the limit.
    expect(elapsed).toBeLessThan(1_000);
    await attacker.waitClosed(2_000);
    expect(budget.reserved).toBe(0);
    expect(events.closes[0].code).toBe(1008);
    expect(messageClockCount()).toBe(0);
  });

  it('messages that finish in time are untouched, even across many chunks', async () => {
    const { server, events } = await startEchoServer({ messageTimeout: 300 });
    const attacker = await RawClient.connect(server.port);
    for (let round = 0; round < 3; round++) {
      attacker.send({ opcode: Op.Text, payload: 'part one, ', fin: false });
      await new Promise((resolve) => setTimeout(resolve, 150));
      attacker.send({ opcode: Op.Continuation, payload: 'part two', fin: true });
      expect((await attacker.nextFrame(2_000)).payload.toString()).toBe('part one, part two');
    }
    expect(events.closes).toHaveLength(0);
    expect(messageClockCount()).toBe(0);
  });

  it('a steady stream whose every read ends inside a message is timed per message, not closed', async () => {
    // Each write ends halfway through a message and begins the next one: the engine always has a message in
    // progress after a read, but each one completes within milliseconds. Timing the first message until the stream
    // paused closed such a peer 1008 after `messageTimeout` of healthy traffic.
    const { server, events } = await startEchoServer({ messageTimeout: 200 });
    const attacker = await RawClient.connect(server.port);
    const frame = (i: number) => attacker.encode({ opcode: Op.Text, payload: `message ${i}`.padEnd(64, '.') });
    let pending = frame(0);
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < 1_000) {
      const next = frame(++sent);
      const half = next.length >> 1;
      attacker.write(Buffer.concat([pending, next.subarray(0, half)]));
      pending = next.subarray(half);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    attacker.write(pending);
    for (let i = 0; i <= sent; i++) {
      const echoed = await attacker.nextFrame(2_000);
      expect(echoed.opcode).toBe(Op.Text);
      expect(echoed.payload.toString().trimEnd().replace(/\.+$/, '')).toBe(`message ${i}`);
    }
    expect(events.closes).toHaveLength(0);
    await waitFor(() => messageClockCount() === 0);
  });

  it('client role: a server that never finishes its message gets 1008 from connect()', async () => {
    const raw = await RawServer.start();
    let client: WsSocket | null = null;
    client = await connect(raw.url, { messageTimeout: 150 });
    onCleanup(() => client?.terminate());
    const server = await raw.nextPeer();
    server.send({ opcode: Op.Binary, payload: Buffer.alloc(10), fin: false, mask: false });
    const close = await server.expectClose(3_000);
    expect(close.code).toBe(1008);
  });

  it('default: 60 s', () => {
    expect(DEFAULT_SOCKET_OPTIONS.messageTimeout).toBe(60_000);
  });
});
