// Autobahn section 7 (closing handshake) over real sockets: a raw TCP client against a wsgate echo server.
import { afterEach, describe, expect, it } from 'vitest';
import { closePayload, encodeFrame, Op } from '../helpers/frames.js';
import { RawClient } from '../helpers/raw.js';
import { cleanupAll, startEchoServer } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

afterEach(cleanupAll);

// RFC 6455 §7.4: codes an endpoint may send (Autobahn 7.7.x plus the IANA registry's 1012–1014).
const VALID_CODES = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
// Autobahn 7.9.x plus a few more: reserved, never-on-the-wire and out-of-range codes.
const INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535];

describe('7.x closing', () => {
  for (const code of VALID_CODES) {
    it(`close ${code} is echoed with the same code, and the server closes TCP`, async () => {
      const { server, events } = await startEchoServer();
      const client = await RawClient.connect(server.port);
      client.sendClose(code, 'a reason');
      const close = await client.expectClose();
      expect(close.code).toBe(code);
      await client.waitClosed();
      await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
      expect(events.closes[0]).toMatchObject({ code, reason: 'a reason' });
      expect(events.errors).toHaveLength(0);
    });
  }

  for (const code of INVALID_CODES) {
    it(`close ${code} → 1002`, async () => {
      const { server, events } = await startEchoServer();
      const client = await RawClient.connect(server.port);
      client.sendClose(code);
      expect((await client.expectClose()).code).toBe(1002);
      await client.waitClosed();
      await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
      expect(events.closes[0].code).toBe(1002);
    });
  }

  it('an empty close is echoed empty and reported as 1005', async () => {
    const { server, events } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.sendClose();
    const frame = await client.nextFrame();
    expect(frame.opcode).toBe(Op.Close);
    expect(frame.payload.length).toBe(0);
    await client.waitClosed();
    await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
    expect(events.closes[0].code).toBe(1005);
  });

  it('a close with a 1-byte payload → 1002', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.send({ opcode: Op.Close, payload: Buffer.from([0x03]) });
    expect((await client.expectClose()).code).toBe(1002);
    await client.waitClosed();
  });

  it('a close reason of 123 bytes is accepted', async () => {
    const { server, events } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    const reason = 'r'.repeat(123);
    client.sendClose(1000, reason);
    expect((await client.expectClose()).code).toBe(1000);
    await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
    expect(events.closes[0].reason).toBe(reason);
  });

  it('a close reason that is not UTF-8 → 1007', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.sendClose(
      1000,
      Buffer.from([0x48, 0x69, 0xce, 0xba, 0xe1, 0xbd, 0xb9, 0xcf, 0x83, 0xce, 0xbc, 0xce, 0xb5, 0xed, 0xa0, 0x80]),
    );
    expect((await client.expectClose()).code).toBe(1007);
    await client.waitClosed();
  });

  it('data and pings after the close are ignored', async () => {
    const { server, events } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.write(
      Buffer.concat([
        encodeFrame({ opcode: Op.Text, payload: 'before' }),
        encodeFrame({ opcode: Op.Close, payload: closePayload(1000) }),
        encodeFrame({ opcode: Op.Text, payload: 'after' }),
        encodeFrame({ opcode: Op.Ping, payload: 'after' }),
      ]),
    );
    const close = await client.expectClose();
    expect(close.code).toBe(1000);
    expect(close.before.map((f) => f.payload.toString())).toEqual(['before']);
    await client.waitClosed();
    expect(client.frames).toHaveLength(2);
    expect(events.messages.map((m) => m.data.toString())).toEqual(['before']);
  });

  it('a close in the middle of a fragmented message ends the connection normally', async () => {
    const { server, events } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.send({ opcode: Op.Text, payload: 'frag', fin: false });
    client.sendClose(1000);
    client.send({ opcode: Op.Continuation, payload: 'ment', fin: true });
    expect((await client.expectClose()).code).toBe(1000);
    await client.waitClosed();
    expect(events.messages).toHaveLength(0);
  });

  it('a close frame written one byte at a time', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    await client.writeInPieces(encodeFrame({ opcode: Op.Close, payload: closePayload(1001, 'going') }), 1);
    expect((await client.expectClose()).code).toBe(1001);
  });

  it('a large message then a close: the echo goes out before the close (7.1.6)', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    const big = 'B'.repeat(256 * 1024);
    client.write(
      Buffer.concat([
        encodeFrame({ opcode: Op.Text, payload: big }),
        encodeFrame({ opcode: Op.Close, payload: closePayload(1000) }),
      ]),
    );
    const close = await client.expectClose();
    expect(close.before).toHaveLength(1);
    expect(close.before[0].payload.toString()).toBe(big);
    await client.waitClosed();
  });

  it('the server closes the TCP connection first once the handshake is done (client keeps its side open)', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.sendClose(1000);
    await client.expectClose();
    // We never end our side; the server must.
    await client.waitEnded(1_000);
  });

  it('a server-initiated close: the client answers, the server reports the code and closes TCP', async () => {
    const { server, events } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    await waitFor(() => events.opened.length === 1, 1_000, 'open');
    events.opened[0].close(4000, 'app says bye');
    const close = await client.expectClose();
    expect(close).toMatchObject({ code: 4000, reason: 'app says bye' });
    expect(events.opened[0].readyState).toBe(2);
    client.sendClose(4000);
    await client.waitEnded(1_000);
    await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
    expect(events.closes[0].code).toBe(4000);
    expect(events.opened[0].readyState).toBe(3);
  });

  it('a client that drops TCP without a close frame is reported as 1006', async () => {
    const { server, events } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    await waitFor(() => events.opened.length === 1, 1_000, 'open');
    client.destroy();
    await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
    expect(events.closes[0].code).toBe(1006);
  });
});
