// Autobahn section 9 style (limits and large messages) over real sockets: messages up to the limit echo, messages
// over `maxPayload` (whole, fragmented, announced by a frame header) fail with 1009 before they are buffered.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, Op } from '../helpers/frames.js';
import { RawClient } from '../helpers/raw.js';
import { cleanupAll, startEchoServer } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

afterEach(cleanupAll);

describe('9.x-style limits', () => {
  it('a message of exactly maxPayload bytes is echoed; one byte more → 1009', async () => {
    const { server, events } = await startEchoServer({ maxPayload: 1000 });
    const client = await RawClient.connect(server.port);
    client.sendBinary(Buffer.alloc(1000, 7));
    expect((await client.nextFrame()).payload.length).toBe(1000);
    client.sendBinary(Buffer.alloc(1001, 7));
    const close = await client.expectClose();
    expect(close.code).toBe(1009);
    await client.waitClosed();
    await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
    expect(events.closes[0].code).toBe(1009);
    expect(events.messages).toHaveLength(1);
  });

  it('a fragmented message whose fragments add up to more than maxPayload → 1009', async () => {
    const { server, events } = await startEchoServer({ maxPayload: 1000 });
    const client = await RawClient.connect(server.port);
    client.send({ opcode: Op.Text, payload: 'a'.repeat(600), fin: false });
    client.send({ opcode: Op.Continuation, payload: 'a'.repeat(401), fin: true });
    expect((await client.expectClose()).code).toBe(1009);
    expect(events.messages).toHaveLength(0);
  });

  it('a frame header announcing 1 TiB → 1009 at once, without waiting for the payload', async () => {
    const { server } = await startEchoServer({ maxPayload: 1024 * 1024 });
    const client = await RawClient.connect(server.port);
    const header = Buffer.from([0x82, 0xff, 0, 0, 0x01, 0, 0, 0, 0, 0, 1, 2, 3, 4]);
    client.write(header);
    expect((await client.expectClose(1_000)).code).toBe(1009);
    await client.waitClosed();
  });

  it('more fragments than maxFragments → 1009', async () => {
    const { server } = await startEchoServer({ maxFragments: 10 });
    const client = await RawClient.connect(server.port);
    const frames = Array.from({ length: 11 }, (_, i) =>
      encodeFrame({ opcode: i === 0 ? Op.Text : Op.Continuation, payload: 'x', fin: i === 10 }),
    );
    client.write(Buffer.concat(frames));
    expect((await client.expectClose()).code).toBe(1009);
  });

  it('a 4 MiB binary message echoes intact (9.2.x)', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    const data = Buffer.allocUnsafe(4 * 1024 * 1024);
    for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 0xff;
    client.sendBinary(data);
    const frame = await client.nextFrame(5_000);
    expect(frame.payload.equals(data)).toBe(true);
  });

  it('a 1 MiB text message in 64-byte fragments echoes intact (9.3.x, refused by ws)', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    const text = 'abcdefgh'.repeat(128 * 1024);
    const frames: Buffer[] = [];
    for (let i = 0; i < text.length; i += 64) {
      frames.push(
        encodeFrame({
          opcode: i === 0 ? Op.Text : Op.Continuation,
          payload: text.slice(i, i + 64),
          fin: i + 64 >= text.length,
        }),
      );
    }
    client.write(Buffer.concat(frames));
    const frame = await client.nextFrame(5_000);
    expect(frame.payload.toString()).toBe(text);
  });

  it('1000 small messages in one burst all echo in order (9.7.x)', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.write(
      Buffer.concat(Array.from({ length: 1000 }, (_, i) => encodeFrame({ opcode: Op.Text, payload: `m${i}` }))),
    );
    for (let i = 0; i < 1000; i++) expect((await client.nextFrame()).payload.toString()).toBe(`m${i}`);
  });
});
