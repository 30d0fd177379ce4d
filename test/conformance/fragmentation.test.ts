// Autobahn section 5 (fragmentation) over real sockets: a raw TCP client against a wsgate echo server.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, Op } from '../helpers/frames.js';
import { RawClient } from '../helpers/raw.js';
import { cleanupAll, startEchoServer } from '../helpers/servers.js';

afterEach(cleanupAll);

describe('5.x fragmentation', () => {
  it('a fragmented text message is echoed whole, as one frame', async () => {
    const { server, events } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.send({ opcode: Op.Text, payload: 'frag', fin: false });
    client.send({ opcode: Op.Continuation, payload: 'ment', fin: false });
    client.send({ opcode: Op.Continuation, payload: 'ed', fin: true });
    const frame = await client.nextFrame();
    expect(frame).toMatchObject({ opcode: Op.Text, fin: true });
    expect(frame.payload.toString()).toBe('fragmented');
    expect(events.messages).toHaveLength(1);
  });

  it('a fragmented binary message with empty fragments is echoed whole', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.write(
      Buffer.concat([
        encodeFrame({ opcode: Op.Binary, payload: Buffer.alloc(0), fin: false }),
        encodeFrame({ opcode: Op.Continuation, payload: Buffer.from([1, 2, 3]), fin: false }),
        encodeFrame({ opcode: Op.Continuation, payload: Buffer.alloc(0), fin: false }),
        encodeFrame({ opcode: Op.Continuation, payload: Buffer.from([4]), fin: true }),
      ]),
    );
    const frame = await client.nextFrame();
    expect(frame.opcode).toBe(Op.Binary);
    expect([...frame.payload]).toEqual([1, 2, 3, 4]);
  });

  it('a message in 100 one-byte fragments, each written one byte at a time', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    const text = 'x'.repeat(99) + 'y';
    const frames = [...text].map((c, i) =>
      encodeFrame({ opcode: i === 0 ? Op.Text : Op.Continuation, payload: c, fin: i === 99 }),
    );
    await client.writeInPieces(Buffer.concat(frames), 7);
    expect((await client.nextFrame()).payload.toString()).toBe(text);
  });

  it('a ping between fragments is answered at once, and the message still arrives whole', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.send({ opcode: Op.Text, payload: 'frag', fin: false });
    client.send({ opcode: Op.Ping, payload: 'in the middle' });
    const pong = await client.nextFrame();
    expect(pong.opcode).toBe(Op.Pong);
    expect(pong.payload.toString()).toBe('in the middle');
    client.send({ opcode: Op.Continuation, payload: 'ment', fin: false });
    client.send({ opcode: Op.Pong, payload: 'unsolicited, ignored' });
    client.send({ opcode: Op.Continuation, payload: 'ed', fin: true });
    const frame = await client.nextFrame();
    expect(frame.opcode).toBe(Op.Text);
    expect(frame.payload.toString()).toBe('fragmented');
  });

  it('pings between one-byte fragments, all written one byte at a time', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    const parts: Buffer[] = [];
    for (let i = 0; i < 5; i++) {
      parts.push(encodeFrame({ opcode: i === 0 ? Op.Text : Op.Continuation, payload: String(i), fin: i === 4 }));
      if (i < 4) parts.push(encodeFrame({ opcode: Op.Ping, payload: `p${i}` }));
    }
    await client.writeInPieces(Buffer.concat(parts), 1);
    for (let i = 0; i < 4; i++) expect((await client.nextFrame()).payload.toString()).toBe(`p${i}`);
    expect((await client.nextFrame()).payload.toString()).toBe('01234');
  });

  const failures: [string, Buffer[]][] = [
    [
      'a continuation frame without a message to continue',
      [encodeFrame({ opcode: Op.Continuation, payload: 'orphan', fin: true })],
    ],
    [
      'a non-final continuation without a start',
      [encodeFrame({ opcode: Op.Continuation, payload: 'orphan', fin: false })],
    ],
    [
      'a fragmented ping',
      [
        encodeFrame({ opcode: Op.Ping, payload: 'a', fin: false }),
        encodeFrame({ opcode: Op.Continuation, payload: 'b' }),
      ],
    ],
    [
      'a fragmented pong',
      [
        encodeFrame({ opcode: Op.Pong, payload: 'a', fin: false }),
        encodeFrame({ opcode: Op.Continuation, payload: 'b' }),
      ],
    ],
    [
      'a fragmented close',
      [
        encodeFrame({ opcode: Op.Close, payload: Buffer.from([3, 232]), fin: false }),
        encodeFrame({ opcode: Op.Continuation, payload: 'b' }),
      ],
    ],
    [
      'a new text message while a fragmented one is open',
      [
        encodeFrame({ opcode: Op.Text, payload: 'a', fin: false }),
        encodeFrame({ opcode: Op.Text, payload: 'b', fin: true }),
      ],
    ],
    [
      'a continuation after a finished message',
      [
        encodeFrame({ opcode: Op.Text, payload: 'done', fin: true }),
        encodeFrame({ opcode: Op.Continuation, payload: 'late', fin: true }),
      ],
    ],
  ];
  for (const [name, frames] of failures) {
    it(`${name} → 1002`, async () => {
      const { server, events } = await startEchoServer();
      const client = await RawClient.connect(server.port);
      client.write(Buffer.concat([...frames, encodeFrame({ opcode: Op.Text, payload: 'never echoed' })]));
      const close = await client.expectClose();
      expect(close.code).toBe(1002);
      expect(close.before.every((f) => f.payload.toString() !== 'never echoed')).toBe(true);
      await client.waitClosed();
      expect(events.messages.every((m) => m.data.toString() !== 'never echoed')).toBe(true);
    });
  }

  it('a continuation without a start fails even when its frame arrives one byte at a time', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    await client.writeInPieces(encodeFrame({ opcode: Op.Continuation, payload: 'orphan' }), 1);
    expect((await client.expectClose()).code).toBe(1002);
  });
});
