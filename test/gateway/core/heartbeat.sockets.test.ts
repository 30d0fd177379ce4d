// Heartbeat over real TCP: one sweep timer pings every socket; any inbound message, ping or pong counts as alive;
// a socket silent for maxMissed sweeps is terminated (close event 4002) — within interval × (maxMissed + 1) of its
// last sign of life, even when its send buffer is full.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GatewayCloseCode, type Gateway } from '../../../src/gateway/index.js';
import { cleanup, clientFrame, closedAt, delay, open, rawConnect, startGateway, waitFor } from '../helpers.js';

afterEach(cleanup);

const INTERVAL = 60;
const MAX_MISSED = 2;
const BOUND = INTERVAL * (MAX_MISSED + 1);
/** Timer and scheduling slack on a busy machine (the whole suite runs in parallel). */
const SLACK = 60;

/** Records when each socket connected and closed, on the server side. */
function track(gw: Gateway): Map<string, { connectedAt: number; closedAt?: number; code?: number; reason?: string }> {
  const log = new Map<string, { connectedAt: number; closedAt?: number; code?: number; reason?: string }>();
  gw.on('connect', (socket) => log.set(socket.id, { connectedAt: Date.now() }));
  gw.on('close', (socket, code, reason) => Object.assign(log.get(socket.id)!, { closedAt: Date.now(), code, reason }));
  return log;
}

/** Counts ping frames (0x89) in what the server sends; the server's frames are unmasked. */
function countPings(socket: Socket): { readonly pings: number } {
  const state = { pings: 0 };
  let buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (buffer.length < 2) return;
      let length = buffer[1]! & 0x7f;
      let offset = 2;
      if (length === 126) {
        if (buffer.length < 4) return;
        length = buffer.readUInt16BE(2);
        offset = 4;
      } else if (length === 127) {
        if (buffer.length < 10) return;
        length = Number(buffer.readBigUInt64BE(2));
        offset = 10;
      }
      if (buffer.length < offset + length) return;
      if ((buffer[0]! & 0x0f) === 0x9) state.pings++;
      buffer = buffer.subarray(offset + length);
    }
  });
  socket.resume();
  return state;
}

describe('heartbeat', () => {
  it('terminates a raw TCP client that never answers pings within interval × (maxMissed + 1)', async () => {
    const gw = await startGateway({ heartbeat: { interval: INTERVAL, maxMissed: MAX_MISSED } });
    const log = track(gw);
    const raw = await rawConnect(gw.port);
    const reader = countPings(raw);
    const clientGone = closedAt(raw, Date.now());
    await waitFor(() => [...log.values()].some((e) => e.closedAt !== undefined), BOUND * 4);
    const [entry] = [...log.values()];
    const lifetime = entry!.closedAt! - entry!.connectedAt;
    expect(lifetime).toBeGreaterThan(INTERVAL * MAX_MISSED - SLACK);
    expect(lifetime).toBeLessThanOrEqual(BOUND + SLACK);
    expect(entry).toMatchObject({ code: GatewayCloseCode.HeartbeatTimeout, reason: 'heartbeat timeout' });
    expect(await clientGone).toBeLessThanOrEqual(BOUND + SLACK);
    expect(reader.pings).toBeGreaterThanOrEqual(MAX_MISSED - 1);
    expect(gw.stats().heartbeatTimeouts).toBe(1);
    expect(await gw.socketCount()).toBe(0);
  });

  it('keeps a well-behaved client (it answers pings) that sends nothing else', async () => {
    const gw = await startGateway({ heartbeat: { interval: INTERVAL, maxMissed: MAX_MISSED } });
    const log = track(gw);
    const c = await open(gw);
    let pings = 0;
    c.ws.on('ping', () => pings++);
    await delay(BOUND * 3);
    expect(c.ws.readyState).toBe(c.ws.OPEN);
    expect([...log.values()][0]!.closedAt).toBeUndefined();
    expect(pings).toBeGreaterThanOrEqual(4);
  });

  it('any inbound message counts as alive: a raw client that sends data but never pongs stays', async () => {
    const gw = await startGateway({ heartbeat: { interval: INTERVAL, maxMissed: MAX_MISSED } });
    gw.route('beat', () => undefined);
    const log = track(gw);
    const raw = await rawConnect(gw.port);
    countPings(raw);
    const timer = setInterval(() => raw.write(clientFrame(0x1, '{"type":"beat"}')), INTERVAL / 2);
    try {
      await delay(BOUND * 3);
      expect([...log.values()][0]!.closedAt).toBeUndefined();
    } finally {
      clearInterval(timer);
    }
    // Once it falls silent, the usual bound applies from its last message.
    const silentSince = Date.now();
    await waitFor(() => [...log.values()][0]!.closedAt !== undefined, BOUND * 4);
    expect([...log.values()][0]!.closedAt! - silentSince).toBeLessThanOrEqual(BOUND + SLACK);
  });

  it('a client whose send buffer is full stays while it talks to us, and is terminated once it stops', async () => {
    const gw = await startGateway({
      heartbeat: { interval: INTERVAL, maxMissed: MAX_MISSED },
      maxBufferedAmount: 2 * 1024 * 1024,
    });
    gw.route('beat', () => undefined);
    const log = track(gw);
    const raw = await rawConnect(gw.port); // never reads: stays paused
    await waitFor(() => log.size === 1);
    const [id] = [...log.keys()];
    const socket = gw.localSocket(id!)!;

    // Fill the kernel buffers and then ours, until sends are dropped.
    const chunk = 'x'.repeat(256 * 1024);
    let dropped = false;
    for (let i = 0; i < 400 && !dropped; i++) {
      dropped = (await gw.sendToSocket(id!, chunk)) === 0;
      if (i % 8 === 7) await delay(1);
    }
    expect(dropped).toBe(true);
    expect(socket.bufferedAmount).toBeGreaterThan(1024 * 1024);

    // Still talking (but not reading): alive, whatever its buffer.
    const timer = setInterval(() => raw.write(clientFrame(0x1, '{"type":"beat"}')), INTERVAL / 2);
    try {
      await delay(BOUND * 3);
      expect(log.get(id!)!.closedAt).toBeUndefined();
      expect(socket.bufferedAmount).toBeGreaterThan(1024 * 1024);
    } finally {
      clearInterval(timer);
    }

    // Silent with a full buffer: pings can't get through, terminate() still ends it in time.
    const silentSince = Date.now();
    await waitFor(() => log.get(id!)!.closedAt !== undefined, BOUND * 4);
    expect(log.get(id!)!.closedAt! - silentSince).toBeLessThanOrEqual(BOUND + SLACK);
    expect(log.get(id!)!.code).toBe(GatewayCloseCode.HeartbeatTimeout);
    expect(await gw.isOnline(id!)).toBe(false);
  }, 15_000);

  it('heartbeat: false turns it off', async () => {
    const gw = await startGateway({ heartbeat: false });
    const log = track(gw);
    const raw = await rawConnect(gw.port);
    countPings(raw);
    await delay(150);
    expect([...log.values()][0]!.closedAt).toBeUndefined();
  });

  it('keeps a client whose one large message trickles in for longer than the timeout (bytes count, not frames)', async () => {
    const gw = await startGateway({ heartbeat: { interval: INTERVAL, maxMissed: MAX_MISSED } });
    const log = track(gw);
    const raw = await rawConnect(gw.port);
    countPings(raw); // read what the server sends, but never answer its pings
    const frame = clientFrame(0x1, JSON.stringify({ type: 'noop', data: 'x'.repeat(2000) }));
    // Dribble the single frame over about 4 × the heartbeat bound: no message completes until the last byte.
    const pieces = 40;
    const step = Math.ceil(frame.length / pieces);
    for (let i = 0; i < frame.length; i += step) {
      raw.write(frame.subarray(i, i + step));
      await delay((BOUND * 4) / pieces);
    }
    expect([...log.values()][0]!.closedAt).toBeUndefined();
    // Then it goes silent, and the heartbeat ends it.
    await waitFor(() => [...log.values()][0]!.closedAt !== undefined, BOUND * 4);
    expect([...log.values()][0]!.code).toBe(GatewayCloseCode.HeartbeatTimeout);
  });

  it('rejects nonsense settings', async () => {
    await expect(startGateway({ heartbeat: { interval: 0 } })).rejects.toThrow(TypeError);
    await expect(startGateway({ heartbeat: { maxMissed: -1 } })).rejects.toThrow(TypeError);
  });
});
