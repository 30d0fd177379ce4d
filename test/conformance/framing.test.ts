// Autobahn sections 1–4 over real sockets, without wstest: a raw TCP client (test/helpers) against a wsgate echo
// server. 1.x framing, 2.x pings and pongs, 3.x reserved bits, 4.x reserved opcodes.
import { afterEach, describe, expect, it } from 'vitest';
import { pattern } from '../helpers/bytes.js';
import { encodeFrame, Op } from '../helpers/frames.js';
import { RawClient } from '../helpers/raw.js';
import { cleanupAll, startEchoServer } from '../helpers/servers.js';

afterEach(cleanupAll);

const LENGTHS = [0, 125, 126, 127, 128, 65535, 65536];

function asciiText(length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += String.fromCharCode(0x20 + ((i * 7) % 95));
  return text;
}

describe('1.x framing: text and binary messages echo exactly', () => {
  for (const length of LENGTHS) {
    it(`text of ${length} bytes`, async () => {
      const { server } = await startEchoServer();
      const client = await RawClient.connect(server.port);
      const text = asciiText(length);
      client.sendText(text);
      const frame = await client.nextFrame();
      expect(frame).toMatchObject({ opcode: Op.Text, fin: true, rsv1: false, masked: false });
      expect(frame.payload.toString('utf8')).toBe(text);
    });

    it(`binary of ${length} bytes`, async () => {
      const { server } = await startEchoServer();
      const client = await RawClient.connect(server.port);
      const data = pattern(length, length);
      client.sendBinary(data);
      const frame = await client.nextFrame();
      expect(frame).toMatchObject({ opcode: Op.Binary, fin: true, masked: false });
      expect(frame.payload.equals(data)).toBe(true);
    });
  }

  it('every length, written one byte at a time (the larger ones in 997-byte pieces)', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    for (const length of LENGTHS) {
      const data = pattern(length, 3);
      await client.writeInPieces(encodeFrame({ opcode: Op.Binary, payload: data }), length <= 128 ? 1 : 997);
      const frame = await client.nextFrame();
      expect(frame.opcode).toBe(Op.Binary);
      expect(frame.payload.equals(data)).toBe(true);
    }
  });

  it('many frames in one TCP write are all echoed, in order', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    const frames = LENGTHS.map((length, i) =>
      encodeFrame({ opcode: i % 2 === 0 ? Op.Text : Op.Binary, payload: asciiText(length) }),
    );
    client.write(Buffer.concat(frames));
    for (const [i, length] of LENGTHS.entries()) {
      const frame = await client.nextFrame();
      expect(frame.opcode).toBe(i % 2 === 0 ? Op.Text : Op.Binary);
      expect(frame.payload.toString()).toBe(asciiText(length));
    }
  });

  it('an unmasked frame from a client fails the connection with 1002', async () => {
    const { server, events } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.send({ opcode: Op.Text, payload: 'hello', mask: false });
    expect((await client.expectClose()).code).toBe(1002);
    await client.waitClosed();
    expect(events.messages).toHaveLength(0);
  });
});

describe('2.x pings and pongs', () => {
  it('a ping with a payload is answered by a pong with the same payload', async () => {
    const { server, events } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.send({ opcode: Op.Ping, payload: 'Hello, world!' });
    const pong = await client.nextFrame();
    expect(pong).toMatchObject({ opcode: Op.Pong, fin: true });
    expect(pong.payload.toString()).toBe('Hello, world!');
    expect(events.pings.map(String)).toEqual(['Hello, world!']);
  });

  it('an empty ping and a binary 125-byte ping are answered', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.send({ opcode: Op.Ping });
    expect(await client.nextFrame()).toMatchObject({ opcode: Op.Pong, payload: Buffer.alloc(0) });
    const payload = pattern(125, 9);
    client.send({ opcode: Op.Ping, payload });
    const pong = await client.nextFrame();
    expect(pong.opcode).toBe(Op.Pong);
    expect(pong.payload.equals(payload)).toBe(true);
  });

  it('a 125-byte ping written one byte at a time is answered', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    const payload = pattern(125, 1);
    await client.writeInPieces(encodeFrame({ opcode: Op.Ping, payload }), 1);
    const pong = await client.nextFrame();
    expect(pong.opcode).toBe(Op.Pong);
    expect(pong.payload.equals(payload)).toBe(true);
  });

  it('a 126-byte ping fails the connection with 1002 and is not answered', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.send({ opcode: Op.Ping, payload: pattern(126, 0) });
    const close = await client.expectClose();
    expect(close.code).toBe(1002);
    expect(close.before).toHaveLength(0);
    await client.waitClosed();
  });

  it('an unsolicited pong is ignored', async () => {
    const { server, events } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.send({ opcode: Op.Pong, payload: 'unsolicited' });
    client.sendText('after the pong');
    const frame = await client.nextFrame();
    expect(frame.opcode).toBe(Op.Text);
    expect(frame.payload.toString()).toBe('after the pong');
    expect(events.pongs.map(String)).toEqual(['unsolicited']);
    expect(await client.maybeFrame(50)).toBeNull();
  });

  it('ten pings in a row get ten pongs, in order', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.write(
      Buffer.concat(Array.from({ length: 10 }, (_, i) => encodeFrame({ opcode: Op.Ping, payload: `ping ${i}` }))),
    );
    for (let i = 0; i < 10; i++) {
      const pong = await client.nextFrame();
      expect(pong.opcode).toBe(Op.Pong);
      expect(pong.payload.toString()).toBe(`ping ${i}`);
    }
  });

  it('a ping after our close is not answered with a pong', async () => {
    const { server, events } = await startEchoServer({ closeTimeout: 300 });
    const client = await RawClient.connect(server.port);
    await waitOpened(events);
    events.opened[0].close(1000, 'bye');
    expect((await client.expectClose()).code).toBe(1000);
    client.send({ opcode: Op.Ping, payload: 'late' });
    expect(await client.maybeFrame(50)).toBeNull();
  });
});

async function waitOpened(events: { opened: unknown[] }): Promise<void> {
  const deadline = Date.now() + 2_000;
  while (events.opened.length === 0) {
    if (Date.now() > deadline) throw new Error('server never opened the socket');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe('3.x reserved bits', () => {
  const cases: [string, { rsv1?: boolean; rsv2?: boolean; rsv3?: boolean }, number][] = [
    ['RSV1', { rsv1: true }, Op.Text],
    ['RSV2', { rsv2: true }, Op.Text],
    ['RSV3', { rsv3: true }, Op.Text],
    ['RSV1+RSV2', { rsv1: true, rsv2: true }, Op.Binary],
    ['RSV1+RSV2+RSV3 on a ping', { rsv1: true, rsv2: true, rsv3: true }, Op.Ping],
    ['RSV2 on a close', { rsv2: true }, Op.Close],
  ];
  for (const [name, bits, opcode] of cases) {
    it(`${name} → 1002, and nothing after it is echoed`, async () => {
      const { server, events } = await startEchoServer();
      const client = await RawClient.connect(server.port);
      client.write(
        Buffer.concat([
          encodeFrame({ opcode: Op.Text, payload: 'before' }),
          encodeFrame({ opcode, payload: opcode === Op.Close ? Buffer.from([0x03, 0xe8]) : 'reserved', ...bits }),
          encodeFrame({ opcode: Op.Text, payload: 'after' }),
          encodeFrame({ opcode: Op.Ping, payload: 'after' }),
        ]),
      );
      const close = await client.expectClose();
      expect(close.code).toBe(1002);
      expect(close.before.map((f) => f.payload.toString())).toEqual(['before']);
      await client.waitClosed();
      expect(client.frames.at(-1)?.opcode).toBe(Op.Close);
      expect(events.messages.map((m) => m.data.toString())).toEqual(['before']);
      expect(events.closes[0]?.code).toBe(1002);
    });
  }
});

describe('4.x reserved opcodes', () => {
  for (const opcode of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
    it(`opcode 0x${opcode.toString(16)} → 1002`, async () => {
      const { server, events } = await startEchoServer();
      const client = await RawClient.connect(server.port);
      client.write(
        Buffer.concat([
          encodeFrame({ opcode: Op.Text, payload: 'before' }),
          encodeFrame({ opcode, payload: opcode < 8 ? 'data' : '' }),
          encodeFrame({ opcode: Op.Ping, payload: 'after' }),
        ]),
      );
      const close = await client.expectClose();
      expect(close.code).toBe(1002);
      expect(close.before.map((f) => f.opcode)).toEqual([Op.Text]);
      await client.waitClosed();
      expect(events.errors).toHaveLength(1);
    });
  }
});
