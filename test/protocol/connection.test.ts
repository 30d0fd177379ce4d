/**
 * Every RFC 6455 rule the engine enforces, checked from the server role and from the client role: what the peer
 * sends is masked when it goes to a server and unmasked when it goes to a client, and what the connection writes is
 * parsed back with a small reference decoder.
 */
import { describe, expect, it } from 'vitest';
import { isUtf8 } from 'node:buffer';
import {
  CodecError,
  Connection,
  type ConnectionOptions,
  type PerMessageCodec,
  ProtocolError,
  type Role,
  WebSocketArgumentError,
  WebSocketStateError,
  prepareFrame,
} from '../../src/protocol/index.js';
import { decodeFrames } from '../helpers/frames.js';
import {
  Endpoint,
  type FrameSpec,
  OP,
  bytesOf,
  closeBody,
  closeCodeOf,
  concat,
  expectFailed,
  expectEvents,
  expectFailedAt,
  expectFramesSent,
  hex,
  peerFrame,
} from './kit.js';

const KAPPA = hex('ce ba'); // κ
/** κόσμε as in Markus Kuhn's UTF-8 test file (with U+1F79, a 3-byte sequence). */
const KOSME = hex('ce ba e1 bd b9 cf 83 ce bc ce b5');
const KOSME_TEXT = Buffer.from(KOSME).toString();

// ─── the rules, from both roles ──────────────────────────────────────────────────────────────────────────────────

describe.each(['server', 'client'] as const)('%s role', (role) => {
  const frame = (opcode: number, payload?: Uint8Array | string, spec?: FrameSpec): Uint8Array =>
    peerFrame(role, opcode, payload, spec);
  const endpoint = (options: Omit<ConnectionOptions, 'role'> = {}): Endpoint => new Endpoint(role, options);
  const maskBytes = role === 'server' ? 4 : 0;

  describe('masking (RFC 6455 §5.1, §5.3)', () => {
    it(`rejects a ${role === 'server' ? 'unmasked' : 'masked'} frame with 1002`, () => {
      const e = endpoint().feed(frame(OP.text, 'hi', { masked: role !== 'server' }));
      expectFailed(e, 1002);
      expect(e.messages).toEqual([]);
    });

    it('rejects wrongly masked control frames too', () => {
      expectFailed(endpoint().feed(frame(OP.ping, 'x', { masked: role !== 'server' })), 1002);
      expectFailed(endpoint().feed(frame(OP.close, closeBody(1000), { masked: role !== 'server' })), 1002);
    });

    it('accepts correctly masked input and masks its own output only as a client', () => {
      const e = endpoint().feed(frame(OP.text, 'hi'));
      expect(e.messages).toEqual([{ type: 'message', data: 'hi', isText: true }]);
      e.connection.send('yo');
      expect(e.frames[0].masked).toBe(role === 'client');
    });
  });

  describe('reserved bits and opcodes (RFC 6455 §5.2)', () => {
    it.each([
      ['RSV1', 4],
      ['RSV2', 2],
      ['RSV3', 1],
    ])('%s without a negotiated extension → 1002', (_name, rsv) => {
      expectFailed(endpoint().feed(frame(OP.text, 'hi', { rsv })), 1002);
    });

    it.each([3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf])('reserved opcode 0x%s → 1002', (opcode) => {
      const e = endpoint().feed(frame(opcode, 'x'));
      expectFailed(e, 1002);
    });

    it('fails a reserved opcode as soon as its header is complete, before the payload', () => {
      const bytes = frame(0x3, 'payload');
      const e = endpoint().trickle(bytes.subarray(0, 2 + maskBytes));
      expectFailedAt(e, 1002, 2 + maskBytes);
    });
  });

  describe('payload lengths (RFC 6455 §5.2)', () => {
    it.each([0n, 1n, 125n])('non-minimal 16-bit length %s → 1002', (length) => {
      const payload = new Uint8Array(Number(length));
      expectFailed(endpoint().feed(frame(OP.binary, payload, { lengthForm: 16 })), 1002);
    });

    it.each([0n, 125n, 126n, 65535n])('non-minimal 64-bit length %s → 1002', (length) => {
      const payload = new Uint8Array(Number(length));
      expectFailed(endpoint().feed(frame(OP.binary, payload, { lengthForm: 64 })), 1002);
    });

    it('minimal 16-bit (126) and 64-bit (65536) lengths are accepted', () => {
      const e = endpoint().feed(
        frame(OP.binary, new Uint8Array(126), { lengthForm: 16 }),
        frame(OP.binary, new Uint8Array(65536), { lengthForm: 64 }),
      );
      expect(e.messages.map((m) => (m.type === 'message' ? m.data.length / 2 : -1))).toEqual([126, 65536]);
    });

    it.each([0x8000000000000000n, 0xffffffffffffffffn, 0x8000000000010000n])(
      '64-bit length with the most significant bit set (%s) → 1002',
      (length) => {
        expectFailed(endpoint().feed(frame(OP.binary, '', { lengthForm: 64, length })), 1002);
      },
    );

    it('a 64-bit length above 2^53 − 1 (top bit clear) → 1009', () => {
      expectFailed(endpoint().feed(frame(OP.binary, '', { lengthForm: 64, length: 1n << 60n })), 1009);
    });
  });

  describe('limits', () => {
    it('a frame over maxFrameSize → 1009 as soon as its header is read, before the payload', () => {
      const bytes = frame(OP.binary, new Uint8Array(1001));
      const e = endpoint({ maxFrameSize: 1000 }).trickle(bytes.subarray(0, 4 + maskBytes));
      expectFailedAt(e, 1009, 4 + maskBytes);
    });

    it('a frame of exactly maxFrameSize is accepted', () => {
      const e = endpoint({ maxFrameSize: 1000 }).feed(frame(OP.binary, new Uint8Array(1000)));
      expect(e.messages).toHaveLength(1);
      expect(e.count('close')).toBe(0);
    });

    it('a message over maxMessageSize across fragments → 1009 at the header of the fragment that crosses it', () => {
      const first = frame(OP.text, 'a'.repeat(60), { fin: false });
      const second = frame(OP.cont, 'b'.repeat(60));
      const e = endpoint({ maxMessageSize: 100, maxFrameSize: 100 })
        .feed(first)
        .trickle(second.subarray(0, 2 + maskBytes));
      expectFailedAt(e, 1009, first.length + 2 + maskBytes);
      expect(e.messages).toEqual([]);
    });

    it('a message of exactly maxMessageSize across fragments is accepted', () => {
      const e = endpoint({ maxMessageSize: 100 }).feed(
        frame(OP.text, 'a'.repeat(60), { fin: false }),
        frame(OP.cont, 'b'.repeat(40)),
      );
      expect(e.messages).toEqual([{ type: 'message', data: 'a'.repeat(60) + 'b'.repeat(40), isText: true }]);
    });

    it('maxMessageSize alone also bounds a single frame', () => {
      expectFailed(endpoint({ maxMessageSize: 100 }).feed(frame(OP.binary, new Uint8Array(101))), 1009);
    });

    it('more than maxFragments fragments → 1009; control frames in between do not count', () => {
      const fragments = (n: number): Uint8Array[] =>
        Array.from({ length: n }, (_, i) => [
          frame(i === 0 ? OP.binary : OP.cont, Uint8Array.of(i), { fin: i === n - 1 }),
          frame(OP.ping, 'p'),
        ]).flat();
      const ok = endpoint({ maxFragments: 4 }).feed(...fragments(4));
      expect(ok.messages).toEqual([{ type: 'message', data: '00010203', isText: false }]);
      expectFailed(endpoint({ maxFragments: 4 }).feed(...fragments(5)), 1009);
    });
  });

  describe('control frames (RFC 6455 §5.5)', () => {
    it.each([OP.ping, OP.pong, OP.close])(
      'opcode 0x%s with a 126-byte payload → 1002, before the payload',
      (opcode) => {
        const bytes = frame(opcode, new Uint8Array(126));
        const e = endpoint().trickle(bytes.subarray(0, 4 + maskBytes));
        expectFailedAt(e, 1002, 4 + maskBytes);
      },
    );

    it.each([OP.ping, OP.pong, OP.close])('opcode 0x%s without FIN (fragmented) → 1002', (opcode) => {
      expectFailed(endpoint().feed(frame(opcode, '', { fin: false })), 1002);
    });

    it('a 125-byte ping is answered with a 125-byte pong', () => {
      const payload = 'p'.repeat(125);
      const e = endpoint().feed(frame(OP.ping, payload));
      expect(e.frames).toMatchObject([{ opcode: OP.pong, fin: true, payload: bytesOf(payload) }]);
    });

    it('RSV1 on a control frame → 1002 even with an extension', () => {
      expectFailed(endpoint({ codec: passThroughCodec() }).feed(frame(OP.ping, 'x', { rsv: 4 })), 1002);
    });

    it('auto-pong echoes the payload (also empty and split across chunks) and reports the ping', () => {
      const e = endpoint().feed(frame(OP.ping, 'abc'), frame(OP.ping));
      e.trickle(frame(OP.ping, 'split ping'));
      expect(e.frames.map((f) => [f.opcode, f.fin, Buffer.from(f.payload).toString()])).toEqual([
        [OP.pong, true, 'abc'],
        [OP.pong, true, ''],
        [OP.pong, true, 'split ping'],
      ]);
      expect(e.events).toEqual([
        { type: 'ping', payload: 'abc' },
        { type: 'ping', payload: '' },
        { type: 'ping', payload: 'split ping' },
      ]);
    });

    it('a pong is reported and not answered', () => {
      const e = endpoint().feed(frame(OP.pong, 'late'));
      expect(e.events).toEqual([{ type: 'pong', payload: 'late' }]);
      expect(e.writes).toEqual([]);
    });
  });

  describe('fragmentation (RFC 6455 §5.4)', () => {
    it('reassembles fragments, whatever the chunking', () => {
      const bytes = concat([
        frame(OP.text, 'Hel', { fin: false }),
        frame(OP.cont, '', { fin: false }),
        frame(OP.cont, 'lo'),
      ]);
      expect(endpoint().feed(bytes).messages).toEqual([{ type: 'message', data: 'Hello', isText: true }]);
      expect(endpoint().trickle(bytes).messages).toEqual([{ type: 'message', data: 'Hello', isText: true }]);
    });

    it('a continuation frame without a message to continue → 1002', () => {
      expectFailed(endpoint().feed(frame(OP.cont, 'x')), 1002);
      expectFailed(endpoint().feed(frame(OP.text, 'done'), frame(OP.cont, 'x', { fin: false })), 1002);
    });

    it.each([OP.text, OP.binary])('a new data frame (0x%s) while a message is fragmented → 1002', (opcode) => {
      const e = endpoint().feed(frame(OP.text, 'a', { fin: false }), frame(opcode, 'b'));
      expectFailed(e, 1002);
      expect(e.messages).toEqual([]);
    });

    it('a ping between fragments is answered and the message stays intact', () => {
      const e = endpoint().feed(
        frame(OP.text, 'Hel', { fin: false }),
        frame(OP.ping, 'mid'),
        frame(OP.cont, 'l', { fin: false }),
        frame(OP.pong, 'pp'),
        frame(OP.cont, 'o'),
      );
      expect(e.events).toEqual([
        { type: 'ping', payload: 'mid' },
        { type: 'pong', payload: 'pp' },
        { type: 'message', data: 'Hello', isText: true },
      ]);
      expect(e.frames).toMatchObject([{ opcode: OP.pong, payload: bytesOf('mid') }]);
    });

    it('a close between fragments ends the connection without delivering the partial message', () => {
      const e = endpoint().feed(
        frame(OP.text, 'Hel', { fin: false }),
        frame(OP.close, closeBody(1001)),
        frame(OP.cont, 'lo'),
      );
      expect(e.messages).toEqual([]);
      expect(e.events.find((ev) => ev.type === 'close')).toEqual({ type: 'close', code: 1001, reason: '' });
    });

    it('RSV1 on a continuation frame → 1002 even with an extension', () => {
      const e = endpoint({ codec: passThroughCodec() }).feed(
        frame(OP.text, 'a', { fin: false, rsv: 4 }),
        frame(OP.cont, 'b', { rsv: 4 }),
      );
      expectFailed(e, 1002);
    });
  });

  describe('UTF-8 (RFC 6455 §8.1), failing fast', () => {
    // [name, payload, index of the first byte that makes the payload invalid]
    const invalid: [string, Uint8Array, number][] = [
      ['0xff', concat([bytesOf('a'), hex('ff')]), 1],
      ['overlong 2-byte (c0 80)', concat([bytesOf('hello'), hex('c0 80')]), 5],
      ['overlong 2-byte (c1 bf)', hex('c1 bf'), 0],
      ['overlong 3-byte (e0 80 80)', hex('e0 80 80'), 1],
      ['overlong 4-byte (f0 8f bf bf)', hex('f0 8f bf bf'), 1],
      ['surrogate (ed a0 80)', concat([bytesOf('ab'), hex('ed a0 80')]), 3],
      ['above U+10FFFF (f4 90 80 80)', hex('f4 90 80 80'), 1],
      ['f5 lead byte', hex('f5 80 80 80'), 0],
      ['lone continuation byte', concat([KAPPA, hex('80')]), 2],
      ['truncated 2-byte sequence followed by ASCII', concat([hex('ce'), bytesOf('a')]), 1],
      ['truncated 3-byte sequence followed by ASCII', concat([KAPPA, hex('e2 82'), bytesOf('x')]), 4],
      ['truncated 4-byte sequence followed by a lead byte', concat([hex('f0 9f 98'), KAPPA]), 3],
    ];
    const tail = bytesOf(' and then many more perfectly valid bytes');

    it.each(invalid)('%s in one frame fed byte by byte → 1007 written at that byte', (_name, bad, index) => {
      const bytes = frame(OP.text, concat([bad, tail]));
      const e = endpoint().trickle(bytes);
      expectFailedAt(e, 1007, 2 + maskBytes + index + 1);
      expect(e.messages).toEqual([]);
    });

    it.each(invalid)('%s in one frame fed whole → 1007 (incremental and native validators)', (_name, bad) => {
      expectFailed(endpoint().feed(frame(OP.text, concat([bad, tail]))), 1007);
      expectFailed(endpoint({ isUtf8 }).feed(frame(OP.text, concat([bad, tail]))), 1007);
    });

    it.each(invalid)(
      '%s with the native validator, in 64-byte chunks → 1007 with the chunk holding it',
      (_name, bad, index) => {
        // Long enough for the native path: the bad bytes sit after 100 valid bytes (some multi-byte).
        const lead = concat([bytesOf('x'.repeat(90)), KOSME]);
        const bytes = frame(OP.text, concat([lead, bad, tail, tail]));
        const e = endpoint({ isUtf8 });
        for (let at = 0; at < bytes.length; at += 64) e.feed(bytes.subarray(at, at + 64));
        const badAt = 2 + maskBytes + lead.length + index;
        expectFailedAt(e, 1007, Math.min(bytes.length, (Math.floor(badAt / 64) + 1) * 64));
      },
    );

    it('a long valid text message split anywhere passes the native validator, code points cut or not', () => {
      const payload = bytesOf('κόσμε 🎉 漢字 '.repeat(12));
      const bytes = frame(OP.text, payload);
      for (let split = 1; split < bytes.length; split++) {
        const e = endpoint({ isUtf8 }).feed(bytes.subarray(0, split)).feed(bytes.subarray(split));
        expect(e.messages, `split at ${split}`).toEqual([
          { type: 'message', data: Buffer.from(payload).toString(), isText: true },
        ]);
      }
    });

    it('a frame ending inside a code point fails the same with and without the native validator (fuzz find)', () => {
      // (c) chunking invariance found the reason differing: "invalid UTF-8" natively, "ends inside" incrementally.
      const payload = concat([bytesOf('κόσμε 🎉 '.repeat(8)), hex('f0 9f')]);
      const reasons = [
        endpoint({ isUtf8 }).feed(frame(OP.text, payload)),
        endpoint().trickle(frame(OP.text, payload)),
      ].map((e) => Buffer.from(e.frames.at(-1)!.payload.subarray(2)).toString());
      expect(reasons[0]).toBe(reasons[1]);
    });

    it('a code point split across fragments at any point is valid (with pings in between)', () => {
      for (let cut = 0; cut <= KOSME.length; cut++) {
        for (const withPing of [false, true]) {
          const e = endpoint({ isUtf8 }).feed(
            frame(OP.text, KOSME.subarray(0, cut), { fin: false }),
            ...(withPing ? [frame(OP.ping, 'p')] : []),
            frame(OP.cont, KOSME.subarray(cut)),
          );
          expect(e.messages, `cut at ${cut}`).toEqual([{ type: 'message', data: KOSME_TEXT, isText: true }]);
        }
      }
    });

    it('every 3-way cut of a multi-byte message is valid, fed byte by byte', () => {
      for (let i = 0; i <= KOSME.length; i++) {
        for (let j = i; j <= KOSME.length; j++) {
          const e = endpoint().trickle(
            frame(OP.text, KOSME.subarray(0, i), { fin: false }),
            frame(OP.cont, KOSME.subarray(i, j), { fin: false }),
            frame(OP.cont, KOSME.subarray(j)),
          );
          expect(e.messages).toEqual([{ type: 'message', data: KOSME_TEXT, isText: true }]);
        }
      }
    });

    it.each([
      ['surrogate ed | a0', hex('61 ed'), hex('a0 80 62'), 0],
      ['above U+10FFFF f4 | 90', hex('f4'), hex('90 80 80'), 0],
      ['truncated e2 82 | x', hex('e2 82'), bytesOf('xyz'), 0],
      ['overlong e0 | 80', hex('e0'), hex('80 80'), 0],
      ['invalid after a valid split: ce | ba ff', hex('ce'), hex('ba ff'), 1],
    ])('invalid across a fragment boundary (%s) → 1007 at the first bad byte', (_name, first, second, badIndex) => {
      const firstFrame = frame(OP.text, first, { fin: false });
      const secondFrame = frame(OP.cont, concat([second, tail]));
      const e = endpoint().trickle(firstFrame, secondFrame);
      expectFailedAt(e, 1007, firstFrame.length + 2 + maskBytes + badIndex + 1);
    });

    it('a message ending inside a code point → 1007 (single frame and fragmented)', () => {
      expectFailed(endpoint().feed(frame(OP.text, hex('61 ce'))), 1007);
      expectFailed(endpoint({ isUtf8 }).feed(frame(OP.text, hex('61 ce'))), 1007);
      expectFailed(endpoint().trickle(frame(OP.text, hex('61 ce'))), 1007);
      expectFailed(endpoint().feed(frame(OP.text, 'a', { fin: false }), frame(OP.cont, hex('62 e2 82'))), 1007);
      expectFailed(endpoint().feed(frame(OP.text, hex('f0 9f'), { fin: false }), frame(OP.cont, '')), 1007);
    });

    it('binary messages are not checked', () => {
      const e = endpoint().feed(frame(OP.binary, hex('ff fe c0')));
      expect(e.messages).toEqual([{ type: 'message', data: 'fffec0', isText: false }]);
    });

    it('the validator is reset between messages', () => {
      const e = endpoint().feed(frame(OP.text, KAPPA), frame(OP.text, 'ok'), frame(OP.text, ''));
      expect(e.messages.map((m) => (m.type === 'message' ? m.data : ''))).toEqual(['κ', 'ok', '']);
    });
  });

  describe('close frames (RFC 6455 §5.5.1, §7.4)', () => {
    it('an empty close body is reported as 1005 and echoed with an empty body', () => {
      const e = endpoint().feed(frame(OP.close));
      expect(e.events.filter((ev) => ev.type === 'close')).toEqual([{ type: 'close', code: 1005, reason: '' }]);
      expect(e.frames).toMatchObject([{ opcode: OP.close, fin: true, payload: new Uint8Array(0) }]);
      expect(e.count('error')).toBe(0);
    });

    it('a 1-byte close body → 1002', () => {
      expectFailed(endpoint().feed(frame(OP.close, Uint8Array.of(0x03))), 1002);
    });

    it.each([0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535])('close code %i → 1002', (code) => {
      expectFailed(endpoint().feed(frame(OP.close, closeBody(code))), 1002);
    });

    it.each([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999])(
      'close code %i is accepted, reported and echoed',
      (code) => {
        const e = endpoint().feed(frame(OP.close, closeBody(code, 'bye')));
        expect(e.events.filter((ev) => ev.type !== 'closeTransport')).toEqual([{ type: 'close', code, reason: 'bye' }]);
        const [echo] = e.frames;
        expect(echo.opcode).toBe(OP.close);
        expect(closeCodeOf(echo)).toBe(code);
        expect(e.frames).toHaveLength(1);
      },
    );

    it('a close reason that is not UTF-8 → 1007', () => {
      expectFailed(endpoint().feed(frame(OP.close, closeBody(1000, hex('ce')))), 1007);
      expectFailed(endpoint().feed(frame(OP.close, closeBody(1000, hex('ed a0 80')))), 1007);
    });

    it('a 123-byte reason (the most that fits) is accepted, whole or split', () => {
      const reason = 'é'.repeat(61) + 'x';
      expect(Buffer.byteLength(reason)).toBe(123);
      for (const e of [
        endpoint().feed(frame(OP.close, closeBody(4000, reason))),
        endpoint().trickle(frame(OP.close, closeBody(4000, reason))),
      ]) {
        expect(e.events.find((ev) => ev.type === 'close')).toEqual({ type: 'close', code: 4000, reason });
      }
    });
  });

  describe('close handshake (RFC 6455 §7)', () => {
    it('local close → CLOSING → peer close → CLOSED, reported once', () => {
      const e = endpoint();
      e.connection.close(1000, 'done');
      expect(e.connection.readyState).toBe(2);
      expect(e.frames).toMatchObject([{ opcode: OP.close, payload: closeBody(1000, 'done') }]);
      expect(e.count('close')).toBe(0);
      expect(e.connection.closeExpected).toBe(false);

      e.feed(frame(OP.close, closeBody(1000, 'ok')));
      expect(e.connection.readyState).toBe(3);
      expect(e.events.filter((ev) => ev.type === 'close')).toEqual([{ type: 'close', code: 1000, reason: 'ok' }]);
      expect(e.frames).toHaveLength(1); // no second close frame
      // RFC 6455 §7.1.1: the server closes the TCP connection first; the client waits for it to.
      expect(e.count('closeTransport')).toBe(role === 'server' ? 1 : 0);
      expect(e.connection.closeExpected).toBe(role === 'client');

      e.connection.receiveEof();
      e.connection.close(1000);
      expect(e.count('close')).toBe(1);
      expect(e.frames).toHaveLength(1);
    });

    it('messages still arrive while CLOSING; pings are no longer answered', () => {
      const e = endpoint();
      e.connection.close();
      e.feed(frame(OP.text, 'late'), frame(OP.ping, 'p'));
      expect(e.events).toEqual([
        { type: 'message', data: 'late', isText: true },
        { type: 'ping', payload: 'p' },
      ]);
      expect(e.frames).toHaveLength(1);
    });

    it('an invalid Close in reply to ours → 1002 reported, no second close frame', () => {
      const e = endpoint();
      e.connection.close(1000);
      e.feed(frame(OP.close, closeBody(1005)));
      expect(e.frames.map((f) => [f.opcode, closeCodeOf(f)])).toEqual([[OP.close, 1000]]);
      expect(e.events).toEqual([
        { type: 'error', code: 1002, message: expect.any(String) },
        { type: 'close', code: 1002, reason: expect.any(String) },
        { type: 'closeTransport' },
      ]);
    });

    it('a close() without a code sends an empty body', () => {
      const e = endpoint();
      e.connection.close();
      expect(e.frames).toMatchObject([{ opcode: OP.close, payload: new Uint8Array(0) }]);
    });

    it('peer close → echo → CLOSED', () => {
      const e = endpoint().feed(frame(OP.close, closeBody(1001, 'away')));
      expect(e.connection.readyState).toBe(3);
      expect(e.frames).toMatchObject([{ opcode: OP.close, payload: closeBody(1001) }]);
      expect(e.events.filter((ev) => ev.type === 'close')).toEqual([{ type: 'close', code: 1001, reason: 'away' }]);
      expect(e.count('closeTransport')).toBe(role === 'server' ? 1 : 0);
      expect(e.connection.closeExpected).toBe(role === 'client');
      e.connection.close(1000); // no-op after the handshake
      expect(e.frames).toHaveLength(1);
    });

    it('input after the peer’s close is discarded', () => {
      const e = endpoint().feed(frame(OP.close, closeBody(1000)), frame(OP.text, 'ignored'), frame(OP.ping, 'ignored'));
      e.feed(frame(OP.text, 'still ignored'), frame(OP.close, closeBody(1000)));
      expect(e.events.filter((ev) => ev.type !== 'closeTransport')).toEqual([
        { type: 'close', code: 1000, reason: '' },
      ]);
      expect(e.frames).toHaveLength(1);
    });

    it('a close() from the error handler does not replace the failure close', () => {
      const written: Uint8Array[] = [];
      const codes: number[] = [];
      const connection = new Connection(
        { role },
        {
          write: (_c, bytes) => void written.push(new Uint8Array(bytes)),
          message() {},
          error: (c) => c.close(1000, 'from the error handler'),
          close: (_c, code) => void codes.push(code),
          closeTransport() {},
        },
      );
      connection.receive(frame(0x3, 'x'));
      const frames = decodeFrames(concat(written));
      expect(frames.map((f) => [f.opcode, closeCodeOf(f)])).toEqual([[OP.close, 1002]]);
      expect(codes).toEqual([1002]);
    });

    it('input after a failure is discarded', () => {
      const e = endpoint().feed(frame(OP.cont, 'x'), frame(OP.text, 'ignored'), frame(OP.ping, 'ignored'));
      e.feed(frame(OP.text, 'still ignored'));
      e.connection.receiveEof();
      expectFailed(e, 1002);
      expect(e.messages).toEqual([]);
    });

    it('receiveEof before any close → 1006, nothing written', () => {
      const e = endpoint().feed(frame(OP.text, 'partial', { fin: false }));
      e.connection.receiveEof();
      expect(e.events).toEqual([{ type: 'close', code: 1006, reason: '' }]);
      expect(e.writes).toEqual([]);
      expect(e.connection.readyState).toBe(3);
      e.connection.receiveEof();
      e.feed(frame(OP.text, 'after eof'));
      expect(e.count('close')).toBe(1);
    });

    it('receiveEof while CLOSING (the peer never answered) → 1006', () => {
      const e = endpoint();
      e.connection.close(1000);
      e.connection.receiveEof();
      expect(e.events).toEqual([{ type: 'close', code: 1006, reason: '' }]);
    });

    it('receiveEof in the middle of a frame → 1006', () => {
      const e = endpoint().feed(frame(OP.binary, new Uint8Array(10)).subarray(0, 5));
      e.connection.receiveEof();
      expect(e.events).toEqual([{ type: 'close', code: 1006, reason: '' }]);
    });

    it('a close() from inside the message handler is honoured and later frames still parse', () => {
      const events: string[] = [];
      const written: Uint8Array[] = [];
      const connection = new Connection(
        { role },
        {
          write: (_c, bytes) => void written.push(new Uint8Array(bytes)),
          message: (c, data) => {
            events.push(`message ${Buffer.from(data)}`);
            c.close(1000);
          },
          close: (_c, code) => void events.push(`close ${code}`),
          closeTransport: () => {},
        },
      );
      connection.receive(concat([frame(OP.text, 'one'), frame(OP.text, 'two'), frame(OP.close, closeBody(1000))]));
      expect(events).toEqual(['message one', 'message two', 'close 1000']);
      expect(decodeFrames(concat(written)).map((f) => f.opcode)).toEqual([OP.close]);
    });
  });

  describe('local misuse throws', () => {
    it('send / sendFragment / ping / pong after close() → WebSocketStateError', () => {
      const e = endpoint();
      e.connection.close(1000);
      expect(() => e.connection.send('x')).toThrow(WebSocketStateError);
      expect(() => e.connection.send(new Uint8Array(1))).toThrow(WebSocketStateError);
      expect(() => e.connection.sendFragment('x', false, true)).toThrow(WebSocketStateError);
      expect(() => e.connection.ping()).toThrow(WebSocketStateError);
      expect(() => e.connection.pong()).toThrow(WebSocketStateError);
      expect(e.frames).toHaveLength(1);
    });

    it('send / ping after the peer closed or the transport ended → WebSocketStateError', () => {
      const closed = endpoint().feed(frame(OP.close));
      expect(() => closed.connection.send('x')).toThrow(WebSocketStateError);
      expect(() => closed.connection.ping('x')).toThrow(WebSocketStateError);
      const dropped = endpoint();
      dropped.connection.receiveEof();
      expect(() => dropped.connection.send('x')).toThrow(WebSocketStateError);
      expect(() => dropped.connection.ping()).toThrow(WebSocketStateError);
    });

    it.each([1005, 1006, 1015, 999, 0, 1004, 2999, 5000, 1000.5])('close(%s) → WebSocketArgumentError', (code) => {
      const e = endpoint();
      expect(() => e.connection.close(code)).toThrow(WebSocketArgumentError);
      expect(e.writes).toEqual([]);
      expect(e.connection.readyState).toBe(1);
    });

    it('a close reason over 123 bytes, or a reason without a code → WebSocketArgumentError', () => {
      const e = endpoint();
      expect(() => e.connection.close(1000, 'x'.repeat(124))).toThrow(WebSocketArgumentError);
      expect(() => e.connection.close(1000, 'é'.repeat(62))).toThrow(WebSocketArgumentError);
      expect(() => e.connection.close(undefined, 'why')).toThrow(WebSocketArgumentError);
      expect(e.writes).toEqual([]);
      e.connection.close(1000, 'x'.repeat(123));
      expect(e.frames[0].payload.length).toBe(125);
    });

    it('a ping or pong payload over 125 bytes → WebSocketArgumentError', () => {
      const e = endpoint();
      expect(() => e.connection.ping(new Uint8Array(126))).toThrow(WebSocketArgumentError);
      expect(() => e.connection.pong('x'.repeat(126))).toThrow(WebSocketArgumentError);
      expect(e.writes).toEqual([]);
      e.connection.ping(new Uint8Array(125));
      expect(e.frames[0].payload.length).toBe(125);
    });

    it('send() while a fragmented message is being sent → WebSocketStateError', () => {
      const e = endpoint();
      e.connection.sendFragment('a', false, false);
      expect(() => e.connection.send('b')).toThrow(WebSocketStateError);
    });
  });

  describe('internal errors (1011)', () => {
    it('a codec whose decompress throws a plain Error → 1011 with a generic reason on the wire', () => {
      const codec: PerMessageCodec = {
        decompress() {
          throw new Error('zlib state secret 0xdeadbeef');
        },
        compress: (data) => data,
        dispose() {},
      };
      const e = endpoint({ codec }).feed(frame(OP.text, 'compressed?', { rsv: 4 }));
      expectFailed(e, 1011);
      const reason = Buffer.from(e.frames[0].payload.subarray(2)).toString();
      expect(reason).not.toMatch(/secret|deadbeef/);
      expect(reason.length).toBeGreaterThan(0);
      expect(e.errors[0].message).toMatch(/secret/); // the details stay local
    });

    it('a CodecError maps to its own close code (1007 corrupt, 1009 too big)', () => {
      const failing = (error: CodecError): PerMessageCodec => ({
        decompress() {
          throw error;
        },
        compress: (data) => data,
        dispose() {},
      });
      expectFailed(endpoint({ codec: failing(CodecError.corrupt()) }).feed(frame(OP.text, 'x', { rsv: 4 })), 1007);
      expectFailed(endpoint({ codec: failing(CodecError.tooBig(10)) }).feed(frame(OP.binary, 'x', { rsv: 4 })), 1009);
    });

    it('a compressed text message is validated after inflating', () => {
      const e = endpoint({ codec: passThroughCodec() }).feed(frame(OP.text, hex('61 ff'), { rsv: 4 }));
      expectFailed(e, 1007);
      const ok = endpoint({ codec: passThroughCodec() }).feed(
        frame(OP.text, 'κ', { rsv: 4, fin: false }),
        frame(OP.cont, 'ό'),
      );
      expect(ok.messages).toEqual([{ type: 'message', data: 'κό', isText: true }]);
    });
  });

  describe('sending', () => {
    const other: Role = role === 'server' ? 'client' : 'server';

    it('sendFragment produces a fragmented message the peer reassembles', () => {
      const e = endpoint();
      e.connection.sendFragment('Hel', false, false);
      e.connection.ping('between');
      e.connection.sendFragment(bytesOf(''), false, false);
      e.connection.sendFragment('lo', false, true);
      e.connection.sendFragment(Uint8Array.of(1, 2), true, false);
      e.connection.sendFragment(Uint8Array.of(3), true, true);
      e.connection.send('after');
      expect(e.frames.map((f) => [f.opcode, f.fin])).toEqual([
        [OP.text, false],
        [OP.ping, true],
        [OP.cont, false],
        [OP.cont, true],
        [OP.binary, false],
        [OP.cont, true],
        [OP.text, true],
      ]);
      const peer = new Endpoint(other).feed(e.output);
      expect(peer.events).toEqual([
        { type: 'ping', payload: 'between' },
        { type: 'message', data: 'Hello', isText: true },
        { type: 'message', data: '010203', isText: false },
        { type: 'message', data: 'after', isText: true },
      ]);
    });

    it('every failure reason the engine writes fits in 123 bytes', () => {
      const huge = Number.MAX_SAFE_INTEGER;
      const e = endpoint({ maxFrameSize: huge - 1, maxMessageSize: huge }).feed(
        frame(OP.binary, '', { lengthForm: 64, length: BigInt(huge) }),
      );
      expectFailed(e, 1009);
      // (expectFailed checks the ≤ 123-byte reason for every failure in this file.)
    });
  });
});

// ─── trace hook ──────────────────────────────────────────────────────────────────────────────────────────────────

describe.each(['server', 'client'] as const)('trace (%s role)', (role) => {
  it('sees each frame in and out and each state change, in order, with the connection', () => {
    const seen: string[] = [];
    const e = new Endpoint(role, {
      trace: (event, connection) => {
        expect(connection).toBe(e.connection);
        if (event.type === 'state') seen.push(`state ${event.from}→${event.to}`);
        else seen.push(`${event.type} ${event.opcode} fin=${event.fin} rsv1=${event.rsv1} ${event.length}`);
      },
    });
    e.feed(
      peerFrame(role, OP.text, 'Hel', { fin: false }),
      peerFrame(role, OP.ping, 'p'),
      peerFrame(role, OP.cont, 'lo'),
    );
    e.connection.send('x'.repeat(2000), false);
    e.connection.send('hi');
    e.connection.close(1000);
    e.feed(peerFrame(role, OP.close, closeBody(1000)));
    expect(seen).toEqual([
      'frame-in 1 fin=false rsv1=false 3',
      'frame-in 9 fin=true rsv1=false 1',
      'frame-out 10 fin=true rsv1=false 1',
      'frame-in 0 fin=true rsv1=false 2',
      'frame-out 1 fin=true rsv1=false 2000',
      'frame-out 1 fin=true rsv1=false 2',
      'state 1→2',
      'frame-out 8 fin=true rsv1=false 2',
      'frame-in 8 fin=true rsv1=false 2',
      'state 2→3',
    ]);
    expectFramesSent(e, [
      { opcode: OP.pong, payload: 'p' },
      { opcode: OP.text, payload: 'x'.repeat(2000) },
      { opcode: OP.text, payload: 'hi' },
      { opcode: OP.close, payload: closeBody(1000) },
    ]);
    expectEvents(e, [
      { type: 'ping', payload: 'p' },
      { type: 'message', data: 'Hello', isText: true },
      { type: 'close', code: 1000, reason: '' },
      ...(role === 'server' ? [{ type: 'closeTransport' } as const] : []),
    ]);
  });

  it('sees a failure as the Close sent and the move to CLOSED', () => {
    const seen: string[] = [];
    const e = new Endpoint(role, {
      trace: (event) => void seen.push(event.type === 'state' ? `state ${event.to}` : `${event.type} ${event.opcode}`),
    });
    e.feed(peerFrame(role, OP.cont, 'x'));
    expect(seen).toEqual(['frame-in 0', 'frame-out 8', 'state 3']);
    expectFailed(e, 1002);
  });
});

// Prepared frames are unmasked: only a server may send them (a client's throws, tested with sendPrepared).
describe('trace (server role)', () => {
  it('reads a prepared frame back from its header', () => {
    const seen: string[] = [];
    const e = new Endpoint('server', {
      trace: (event) => void (event.type === 'frame-out' && seen.push(`${event.opcode} ${event.rsv1} ${event.length}`)),
    });
    for (const size of [5, 300, 70_000])
      e.connection.sendPrepared(prepareFrame(new Uint8Array(size), true, size === 300));
    expect(seen).toEqual(['2 false 5', '2 true 300', '2 false 70000']);
  });
});

function passThroughCodec(): PerMessageCodec {
  return {
    decompress: (data) => new Uint8Array(data),
    compress: (data) => data,
    dispose() {},
  };
}
