// Issue 9, item 1: a peer that floods pings and never reads. RFC 6455 §5.5.2 has us answer each one, and control
// frames skip the send buffer cap, so every pong used to be queued: 301 MiB of pings took a server from 54 to
// ~1,340 MiB. Now, once the unsent replies pass `maxControlBacklog`, we stop reading from that peer (TCP
// backpressure) until our buffer drains. Both roles, over real sockets, with the victim in a child process so that
// its RSS is its own. The flood stops by itself once the attacker's writes block.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ChildServer } from '../../helpers/child.js';
import { encodeFrame, Op } from '../../helpers/frames.js';
import { RawClient, RawServer } from '../../helpers/raw.js';
import { cleanupAll, onCleanup, startEchoServer, WsClient } from '../../helpers/servers.js';
import { waitFor } from '../../helpers/wait.js';

afterEach(cleanupAll);

const MiB = 1024 * 1024;
const FLOOD_BYTES = 300 * MiB;
/** The bound the issue sets on the victim's RSS growth. */
const RSS_BOUND_MIB = 64;

/** Figures for the note: `WSGATE_REPORT=1 npx vitest run test/server/memory/control-flood.test.ts`. */
function report(
  what: string,
  accepted: number,
  before: { rss: number },
  after: { rss: number; peakRss: number },
): void {
  if (process.env.WSGATE_REPORT === undefined) return;
  const mib = (n: number): string => n.toFixed(1);
  process.stderr.write(
    `${what}: ${mib(accepted / MiB)} MiB of pings taken; RSS ${mib(before.rss)} → ${mib(after.rss)} MiB (peak ${mib(after.peakRss)})\n`,
  );
}

/** About 1 MiB of back-to-back pings with 125-byte payloads, masked (towards a server) or not. */
function pingBlock(masked: boolean): Buffer {
  const one = encodeFrame({
    opcode: Op.Ping,
    payload: Buffer.alloc(125, 0x70),
    mask: masked ? Uint8Array.of(9, 8, 7, 6) : false,
  });
  return Buffer.concat(new Array<Buffer>(Math.floor(MiB / one.length)).fill(one));
}

/**
 * Writes `block` again and again, up to `limit` bytes, waiting for 'drain' whenever the socket asks to; stops when
 * no 'drain' comes within `stallMs` (the victim stopped reading). Returns the bytes the kernel took.
 */
async function flood(socket: Socket, block: Buffer, limit: number, stallMs = 500): Promise<number> {
  let written = 0;
  while (written < limit && !socket.destroyed) {
    written += block.length;
    if (socket.write(block)) continue;
    const drained = await new Promise<boolean>((resolve) => {
      const onDrain = (): void => {
        clearTimeout(timer);
        resolve(true);
      };
      const timer = setTimeout(() => {
        socket.removeListener('drain', onDrain);
        resolve(false);
      }, stallMs);
      socket.once('drain', onDrain);
    });
    if (!drained) break;
  }
  return written - socket.writableLength;
}

describe('ping flood from a peer that never reads', () => {
  it('server: 300 MiB of pings grow RSS by < 64 MiB, the flood is stopped, and a fresh client is served', async () => {
    // The gateway's settings: no pause on our own backpressure, a 1 MiB buffer cap with the 'close' policy.
    const child = await ChildServer.start({
      pauseOnBackpressure: false,
      maxBufferedAmount: MiB,
      backpressurePolicy: 'close',
    });
    onCleanup(() => child.stop());
    const attacker = await RawClient.connect(child.port);
    attacker.pause();
    const before = await child.memory();
    const accepted = await flood(attacker.socket, pingBlock(true), FLOOD_BYTES);
    const after = await child.memory();
    report('server', accepted, before, after);
    // What the kernels' buffers hold, not 300 MiB: the server stopped reading.
    expect(accepted).toBeLessThan(64 * MiB);
    expect(after.peakRss - before.rss).toBeLessThan(RSS_BOUND_MIB);
    expect(child.child.exitCode).toBeNull();
    const fresh = await WsClient.open(`ws://127.0.0.1:${child.port}/`);
    expect((await fresh.roundTrip('still serving')).data.toString()).toBe('still serving');
    expect((await child.memory()).clients).toBe(2);
  }, 60_000);

  it('client: a wsgate client flooded by a server that never reads grows RSS by < 64 MiB and lives', async () => {
    const raw = await RawServer.start();
    const child = await ChildServer.startScript('./child-client.ts', [raw.url, '{}']);
    onCleanup(() => child.stop());
    const server = await raw.nextPeer();
    server.pause();
    const before = await child.memory();
    const accepted = await flood(server.socket, pingBlock(false), FLOOD_BYTES);
    const after = await child.memory();
    report('client', accepted, before, after);
    expect(accepted).toBeLessThan(64 * MiB);
    expect(after.peakRss - before.rss).toBeLessThan(RSS_BOUND_MIB);
    expect(child.child.exitCode).toBeNull();
    // Still connected: it only stopped reading.
    expect(after.clients).toBe(1);
  }, 60_000);

  it('a flooder that starts reading again is answered and read again (pause, not close)', async () => {
    const { server, events } = await startEchoServer({ pauseOnBackpressure: false });
    const attacker = await RawClient.connect(server.port);
    attacker.pause();
    await waitFor(() => events.opened.length === 1, 2_000, 'open');
    const victim = events.opened[0];
    // Same process as the server: flood until it stops reading us (bounded by the 300 MiB), not until a stall.
    const block = pingBlock(true);
    for (let written = 0; written < FLOOD_BYTES && !victim.isPaused; written += block.length) {
      if (attacker.socket.write(block)) continue;
      let drained = false;
      attacker.socket.once('drain', () => (drained = true));
      await waitFor(() => drained || victim.isPaused, 10_000, 'drain or pause');
    }
    expect(victim.isPaused).toBe(true);
    // Read again, without the naive frame reader (the backlog of pongs is large): only look for our echo.
    attacker.socket.removeAllListeners('data');
    let tail = '';
    attacker.socket.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString('latin1')).slice(-64);
    });
    attacker.resume();
    attacker.sendText('after the flood');
    await waitFor(() => tail.includes('after the flood'), 10_000, 'the echo after the backlog');
    expect(victim.readyState).toBe(1);
  }, 30_000);
});
