// Autobahn section 6 (UTF-8 handling) over real sockets, including the strict "fail fast" behaviour of 6.4.x: the
// server must close with 1007 as soon as the bytes can no longer be valid UTF-8, before the frame is complete.
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, Op } from '../helpers/frames.js';
import { RawClient } from '../helpers/raw.js';
import { cleanupAll, startEchoServer } from '../helpers/servers.js';

afterEach(cleanupAll);

const VALID: [string, string][] = [
  ['ASCII', 'Hello-µ@ßöäüàá-UTF-8!!'],
  ['two-byte sequences', 'κόσμε ñ ß é'],
  ['three-byte sequences', '日本語 ✓ €'],
  ['four-byte sequences', '𝄞 😀 🌍 \u{10FFFF}'],
  ['boundary code points', '\u0000\u007f\u0080\u07ff\u0800\uffff\u{10000}'],
];

const INVALID: [string, number[]][] = [
  ['a lone continuation byte', [0x80]],
  ['an overlong two-byte encoding', [0xc0, 0xaf]],
  ['an overlong three-byte encoding', [0xe0, 0x80, 0xaf]],
  ['a UTF-16 surrogate (U+D800)', [0xed, 0xa0, 0x80]],
  ['a code point above U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
  ['byte 0xFF', [0xff]],
  ['byte 0xF8 (5-byte form)', [0xf8, 0x88, 0x80, 0x80, 0x80]],
  ['a truncated sequence followed by ASCII', [0xe2, 0x82, 0x41]],
];

describe('6.x UTF-8', () => {
  for (const [name, text] of VALID) {
    it(`valid ${name} echo exactly (single frame, one-byte fragments, byte-at-a-time)`, async () => {
      const { server } = await startEchoServer();
      const client = await RawClient.connect(server.port);
      client.sendText(text);
      expect((await client.nextFrame()).payload.toString('utf8')).toBe(text);

      // One fragment per byte: code points split across frames are valid as a message.
      const bytes = Buffer.from(text, 'utf8');
      const fragments = [...bytes].map((b, i) =>
        encodeFrame({
          opcode: i === 0 ? Op.Text : Op.Continuation,
          payload: Buffer.from([b]),
          fin: i === bytes.length - 1,
        }),
      );
      client.write(Buffer.concat(fragments));
      const frame = await client.nextFrame();
      expect(frame.opcode).toBe(Op.Text);
      expect(frame.payload.equals(bytes)).toBe(true);

      await client.writeInPieces(encodeFrame({ opcode: Op.Text, payload: bytes }), 1);
      expect((await client.nextFrame()).payload.equals(bytes)).toBe(true);
    });
  }

  for (const [name, bytes] of INVALID) {
    it(`${name} → 1007 (single frame)`, async () => {
      const { server, events } = await startEchoServer();
      const client = await RawClient.connect(server.port);
      client.sendText(Buffer.concat([Buffer.from('ok '), Buffer.from(bytes), Buffer.from(' tail')]));
      const close = await client.expectClose();
      expect(close.code).toBe(1007);
      expect(close.before).toHaveLength(0);
      await client.waitClosed();
      expect(events.messages).toHaveLength(0);
    });
  }

  it('a text message ending inside a code point → 1007', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.sendText(Buffer.from([0x41, 0xf0, 0x9f, 0x98]));
    expect((await client.expectClose()).code).toBe(1007);
  });

  it('a fragmented message ending inside a code point → 1007', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.send({ opcode: Op.Text, payload: Buffer.from([0x41, 0xf0]), fin: false });
    client.send({ opcode: Op.Continuation, payload: Buffer.from([0x9f, 0x98]), fin: true });
    expect((await client.expectClose()).code).toBe(1007);
  });

  it('binary messages are not checked for UTF-8', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    const bytes = Buffer.from([0xff, 0xfe, 0xed, 0xa0, 0x80, 0xc0]);
    client.sendBinary(bytes);
    expect((await client.nextFrame()).payload.equals(bytes)).toBe(true);
  });
});

describe('6.4.x fail fast: 1007 arrives before the rest of the message is sent', () => {
  it('invalid bytes in the middle of one frame, sent in pieces', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    const valid = Buffer.from('κόσμε', 'utf8');
    const invalid = Buffer.from([0xf4, 0x90, 0x80, 0x80]);
    const rest = Buffer.from('edited', 'utf8');
    const frame = encodeFrame({ opcode: Op.Text, payload: Buffer.concat([valid, invalid, rest]) });
    const header = frame.length - valid.length - invalid.length - rest.length;
    // Header and the valid prefix: no verdict yet.
    client.write(frame.subarray(0, header + valid.length));
    expect(await client.maybeFrame(50)).toBeNull();
    // The first byte after which no valid continuation exists (0xF4 0x90 is already beyond U+10FFFF).
    client.write(frame.subarray(header + valid.length, header + valid.length + 2));
    const close = await client.expectClose(1_000);
    expect(close.code).toBe(1007);
    // Only now does the rest of the frame go out.
    client.write(frame.subarray(header + valid.length + 2));
    await client.waitClosed();
  });

  it('invalid bytes in the second of three fragments (Autobahn 6.4.1)', async () => {
    const { server, events } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    client.send({ opcode: Op.Text, payload: 'κόσμε', fin: false });
    expect(await client.maybeFrame(50)).toBeNull();
    client.send({ opcode: Op.Continuation, payload: Buffer.from([0xf4, 0x90, 0x80, 0x80]), fin: false });
    const close = await client.expectClose(1_000);
    expect(close.code).toBe(1007);
    client.send({ opcode: Op.Continuation, payload: 'edited', fin: true });
    await client.waitClosed();
    expect(events.messages).toHaveLength(0);
  });

  it('invalid byte arriving alone, one byte at a time, inside a long frame', async () => {
    const { server } = await startEchoServer();
    const client = await RawClient.connect(server.port);
    const payload = Buffer.concat([Buffer.from('a'.repeat(200)), Buffer.from([0xc0]), Buffer.from('b'.repeat(1000))]);
    const frame = encodeFrame({ opcode: Op.Text, payload });
    const badAt = frame.length - 1000 - 1;
    await client.writeInPieces(frame.subarray(0, badAt), 50);
    expect(await client.maybeFrame(30)).toBeNull();
    client.write(frame.subarray(badAt, badAt + 1));
    expect((await client.expectClose(1_000)).code).toBe(1007);
  });
});
