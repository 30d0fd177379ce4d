// Zip bombs: a client sends a message that inflates to 50 MB to a server with maxPayload 1 MiB. The server must
// close with 1009 having inflated at most about 1 MiB of it (memory stays bounded), and other connections must not
// notice. The bomb is built from 1 MiB of zeros fed 50 times to a streaming deflater, so the test itself never
// holds 50 MB. The memory check runs the server in a child process (test/helpers/child-server.ts).
import { constants, createDeflateRaw } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { Op } from '../../helpers/frames.js';
import { RawClient } from '../../helpers/raw.js';
import { ChildServer } from '../../helpers/child.js';
import { cleanupAll, onCleanup, startEchoServer, WsClient } from '../../helpers/servers.js';
import { waitFor } from '../../helpers/wait.js';

afterEach(cleanupAll);

const MiB = 1024 * 1024;

/** `megabytes` MiB of zeros, deflated (raw, sync-flushed, trailing 00 00 ff ff removed: RFC 7692 §7.2.1). */
async function bomb(megabytes: number): Promise<Buffer> {
  const deflater = createDeflateRaw({ level: 9 });
  const chunks: Buffer[] = [];
  deflater.on('data', (chunk: Buffer) => chunks.push(chunk));
  const zeros = Buffer.alloc(MiB);
  for (let i = 0; i < megabytes; i++) deflater.write(zeros);
  await new Promise<void>((resolve) => deflater.flush(constants.Z_SYNC_FLUSH, () => resolve()));
  deflater.close();
  const out = Buffer.concat(chunks);
  expect(out.subarray(-4)).toEqual(Buffer.from([0, 0, 0xff, 0xff]));
  return out.subarray(0, -4);
}

describe('zip bomb', () => {
  it('a 50 MB message compressed into one frame → 1009; server memory stays bounded; other connections unaffected', async () => {
    const payload = await bomb(50);
    expect(payload.length).toBeLessThan(100 * 1024);
    // The server runs in its own process so that its peak RSS is its own.
    const child = await ChildServer.start({ perMessageDeflate: true, maxPayload: MiB });
    onCleanup(() => child.stop());
    const bystander = await WsClient.open(`ws://127.0.0.1:${child.port}/`, [], { perMessageDeflate: true });
    const attacker = await RawClient.connect(child.port, {
      headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' },
    });
    expect(attacker.response.headers['sec-websocket-extensions']).toBe('permessage-deflate');
    // Warm up the inflate path so the measurement below sees only the bomb.
    expect((await bystander.roundTrip('x'.repeat(5000), { compress: true })).data.length).toBe(5000);

    const before = await child.memory();
    attacker.send({ opcode: Op.Binary, payload, rsv1: true });
    const close = await attacker.expectClose(3_000);
    expect(close.code).toBe(1009);
    await attacker.waitClosed(1_000);
    const after = await child.memory();
    // Inflating all of it would cost 50 MB or more at the peak; the codec stops one byte past 1 MiB.
    expect(after.peakRss - before.rss).toBeLessThan(20);

    // The bystander still works, compressed both ways.
    expect((await bystander.roundTrip('still fine', { compress: true })).data.toString()).toBe('still fine');
    expect((await child.memory()).clients).toBe(1);
  });

  it('the same bomb spread over many small frames → 1009 before the last frame', async () => {
    const payload = await bomb(50);
    const { server, events } = await startEchoServer({ perMessageDeflate: true, maxPayload: MiB });
    const attacker = await RawClient.connect(server.port, {
      headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' },
    });
    const pieceSize = 1024;
    const frames: Buffer[] = [];
    for (let at = 0; at < payload.length; at += pieceSize) {
      const first = at === 0;
      frames.push(
        attacker.encode({
          opcode: first ? Op.Text : Op.Continuation,
          payload: payload.subarray(at, at + pieceSize),
          rsv1: first,
          fin: at + pieceSize >= payload.length,
        }),
      );
    }
    // Send the first half; 50 KB of compressed zeros inflate to ~25 MB, far past the limit.
    const half = frames.length >> 1;
    attacker.write(Buffer.concat(frames.slice(0, half)));
    expect((await attacker.expectClose(3_000)).code).toBe(1009);
    attacker.write(Buffer.concat(frames.slice(half)));
    await attacker.waitClosed(1_000);
    expect(events.messages).toHaveLength(0);
  });

  it('several bombs at once: each attacker gets 1009, a plain client keeps working', async () => {
    const payload = await bomb(20);
    const { server } = await startEchoServer({ perMessageDeflate: true, maxPayload: MiB });
    const bystander = await WsClient.open(`ws://127.0.0.1:${server.port}/`);
    const attackers = await Promise.all(
      [1, 2, 3, 4].map(() =>
        RawClient.connect(server.port, { headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' } }),
      ),
    );
    for (const a of attackers) a.send({ opcode: Op.Binary, payload, rsv1: true });
    const closes = await Promise.all(attackers.map((a) => a.expectClose(3_000)));
    expect(closes.map((c) => c.code)).toEqual([1009, 1009, 1009, 1009]);
    expect((await bystander.roundTrip('ok')).data.toString()).toBe('ok');
  });

  it('a message just under the limit after inflation is accepted', async () => {
    const { server } = await startEchoServer({ perMessageDeflate: true, maxPayload: MiB });
    const client = await RawClient.connect(server.port, {
      headers: { 'Sec-WebSocket-Extensions': 'permessage-deflate' },
    });
    client.send({ opcode: Op.Binary, payload: await bomb(1), rsv1: true });
    const frame = await client.nextFrame(3_000);
    expect(frame.payload.length).toBe(MiB);
  });
});
