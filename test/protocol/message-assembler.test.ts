/**
 * How the engine holds a message while it arrives (issue 9, items 2 and 3), from both roles: one piece is delivered
 * as a view of the chunk it came in; several pieces are gathered into one buffer that never holds more than twice
 * the message or the size limit, however the message is cut; the bytes held are reserved from a `MessageBudget`
 * that comes back to 0 on every path (delivered, failed, closed, transport gone, failed from outside).
 */
import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CloseCode,
  Connection,
  MessageAssembler,
  MessageBudget,
  Opcode,
  type ConnectionHandler,
  type Role,
} from '../../src/protocol/index.js';
import { decodeFrames, encodeFrame, Op } from '../helpers/frames.js';

const KiB = 1024;
const MiB = 1024 * KiB;

interface Recorded {
  messages: Uint8Array[];
  closes: { code: number; reason: string }[];
  written: Uint8Array[];
  transportClosed: number;
}

const handler: ConnectionHandler = {
  write(connection, bytes) {
    (connection.context as Recorded).written.push(bytes.slice());
  },
  message(connection, data) {
    (connection.context as Recorded).messages.push(data);
  },
  close(connection, code, reason) {
    (connection.context as Recorded).closes.push({ code, reason });
  },
  closeTransport(connection) {
    (connection.context as Recorded).transportClosed++;
  },
};

function open(
  role: Role,
  options: { maxMessageSize?: number; budget?: MessageBudget } = {},
): { c: Connection; r: Recorded } {
  const c = new Connection({ role, isUtf8, maxFragments: 1_000_000, ...options }, handler);
  const r: Recorded = { messages: [], closes: [], written: [], transportClosed: 0 };
  c.context = r;
  return { c, r };
}

/** A frame as the peer of a `role` endpoint sends it: masked towards a server. */
function frame(role: Role, opcode: number, payload: Uint8Array | string, fin = true): Buffer {
  return encodeFrame({ opcode, payload, fin, mask: role === 'server' ? Uint8Array.of(1, 2, 3, 4) : false });
}

/** Frames of `message` cut into fragments of `size` bytes (the last may be shorter), as one buffer. */
function fragmented(role: Role, message: Uint8Array, size: number, finish = true): Buffer {
  const frames: Buffer[] = [];
  for (let at = 0; at < message.length || at === 0; at += size) {
    const last = at + size >= message.length;
    frames.push(frame(role, at === 0 ? Op.Binary : Op.Continuation, message.subarray(at, at + size), last && finish));
    if (message.length === 0) break;
  }
  return Buffer.concat(frames);
}

function pattern(n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * 31 + 7) & 0xff;
  return out;
}

/** The close code of the Close frame the connection wrote, if any. */
function closeCodeWritten(role: Role, r: Recorded): number | null {
  const frames = decodeFrames(Buffer.concat(r.written));
  const close = frames.find((f) => f.opcode === Op.Close);
  return close === undefined ? null : (close.payload[0] << 8) | close.payload[1];
}

describe.each<Role>(['server', 'client'])('message assembly, %s role', (role) => {
  it('a message in one frame and one chunk is delivered as a view of that chunk (no copy)', () => {
    const { c, r } = open(role);
    const chunk = frame(role, Op.Binary, pattern(1000));
    c.receive(chunk);
    expect(r.messages).toHaveLength(1);
    expect(r.messages[0].buffer).toBe(chunk.buffer);
    expect(Buffer.from(r.messages[0])).toEqual(Buffer.from(pattern(1000)));
  });

  it('131,000 one-byte fragments of an unfinished message hold about what they carry, and reserve it', () => {
    const budget = new MessageBudget(64 * MiB);
    const { c, r } = open(role, { maxMessageSize: MiB, budget });
    const message = pattern(131_000);
    const bytes = fragmented(role, message, 1, false);
    // Fed as a socket would, in 64 KiB chunks.
    for (let at = 0; at < bytes.length; at += 64 * KiB) c.receive(bytes.subarray(at, at + 64 * KiB));
    expect(c.messageInProgress).toBe(true);
    // Growth: at most twice the bytes received (or 256 KiB while small), and never more than the size limit.
    expect(budget.reserved).toBeGreaterThanOrEqual(131_000);
    expect(budget.reserved).toBeLessThanOrEqual(Math.min(Math.max(2 * 131_000, 256 * KiB), MiB));
    c.receive(frame(role, Op.Continuation, 'xyz', true));
    expect(r.messages).toHaveLength(1);
    expect(Buffer.from(r.messages[0])).toEqual(Buffer.concat([message, Buffer.from('xyz')]));
    expect(budget.reserved).toBe(0);
    expect(c.messageInProgress).toBe(false);
  });

  it('the buffer never passes the size limit, even when doubling would', () => {
    const budget = new MessageBudget(64 * MiB);
    const limit = 100_000;
    const { c } = open(role, { maxMessageSize: limit, budget });
    c.receive(fragmented(role, pattern(99_000), 1000, false));
    expect(budget.reserved).toBeLessThanOrEqual(limit);
    expect(budget.reserved).toBeGreaterThanOrEqual(99_000);
  });

  it('a frame straddling two chunks is gathered into a buffer of its exact size', () => {
    const budget = new MessageBudget(64 * MiB);
    const { c, r } = open(role, { budget });
    const bytes = frame(role, Op.Binary, pattern(100_000));
    c.receive(bytes.subarray(0, 60_000));
    const held = budget.reserved;
    expect(held).toBe(60_000 - (role === 'server' ? 14 : 10));
    c.receive(bytes.subarray(60_000));
    expect(r.messages[0].length).toBe(100_000);
    expect(r.messages[0].buffer.byteLength).toBe(100_000);
    expect(budget.reserved).toBe(0);
  });

  it('a reservation that does not fit closes with 1013, and gives back what it held', () => {
    const budget = new MessageBudget(100_000);
    const other = open(role, { budget });
    other.c.receive(fragmented(role, pattern(40_000), 10_000, false));
    const before = budget.reserved;
    expect(before).toBeGreaterThan(0);
    const { c, r } = open(role, { budget });
    c.receive(fragmented(role, pattern(90_000), 10_000, false));
    expect(r.closes).toEqual([{ code: 1013, reason: 'too many unfinished messages: try again later' }]);
    expect(closeCodeWritten(role, r)).toBe(1013);
    expect(r.transportClosed).toBe(1);
    expect(budget.reserved).toBe(before);
    other.c.receiveEof();
    expect(budget.reserved).toBe(0);
  });

  describe('the reservation comes back on every path', () => {
    const start = (): { c: Connection; r: Recorded; budget: MessageBudget } => {
      const budget = new MessageBudget(64 * MiB);
      const { c, r } = open(role, { budget });
      c.receive(fragmented(role, pattern(5000), 100, false));
      expect(budget.reserved).toBeGreaterThan(0);
      return { c, r, budget };
    };
    it('message delivered', () => {
      const { c, r, budget } = start();
      c.receive(frame(role, Op.Continuation, 'end'));
      expect(r.messages).toHaveLength(1);
      expect(budget.reserved).toBe(0);
    });
    it('peer breaks a rule mid-message (1002)', () => {
      const { c, r, budget } = start();
      c.receive(frame(role, Op.Text, 'interleaved'));
      expect(r.closes[0].code).toBe(1002);
      expect(budget.reserved).toBe(0);
    });
    it("peer's Close mid-message", () => {
      const { c, r, budget } = start();
      c.receive(frame(role, Op.Close, Uint8Array.of(0x03, 0xe8)));
      expect(r.closes[0].code).toBe(1000);
      expect(budget.reserved).toBe(0);
    });
    it('transport ends mid-message (1006)', () => {
      const { c, r, budget } = start();
      c.receiveEof();
      expect(r.closes[0].code).toBe(1006);
      expect(budget.reserved).toBe(0);
    });
    it('failed from outside (failConnection, e.g. a message deadline)', () => {
      const { c, r, budget } = start();
      c.failConnection(1008, 'message not completed in time');
      expect(r.closes[0]).toEqual({ code: 1008, reason: 'message not completed in time' });
      expect(closeCodeWritten(role, r)).toBe(1008);
      expect(budget.reserved).toBe(0);
      expect(c.messageInProgress).toBe(false);
    });
    it('local close() then the peer ends the message and closes', () => {
      const { c, r, budget } = start();
      c.close(1000);
      c.receive(frame(role, Op.Continuation, 'end'));
      expect(r.messages).toHaveLength(1);
      c.receive(frame(role, Op.Close, Uint8Array.of(0x03, 0xe8)));
      expect(budget.reserved).toBe(0);
    });
  });

  it('property: however a message is fragmented and chunked, it arrives whole and the budget returns to 0', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.integer({ min: 1, max: 700 }),
        fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 1, maxLength: 20 }),
        (length, fragmentSize, cuts) => {
          const budget = new MessageBudget(64 * MiB);
          const { c, r } = open(role, { budget });
          const message = pattern(length);
          const bytes = fragmented(role, message, fragmentSize);
          let at = 0;
          for (let i = 0; at < bytes.length; i++) {
            const end = Math.min(bytes.length, at + cuts[i % cuts.length]);
            c.receive(bytes.subarray(at, end));
            // What is reserved is what a message in progress holds: at most twice its bytes (or the minimum buffer).
            expect(budget.reserved).toBeLessThanOrEqual(Math.max(2 * length, 16 * KiB));
            at = end;
          }
          expect(r.messages).toHaveLength(1);
          expect(Buffer.from(r.messages[0])).toEqual(Buffer.from(message));
          expect(budget.reserved).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });
});

// ─── MessageAssembler alone (no connection, no framing) ──────────────────────────────────────────────────────────

function assembler(options: Partial<ConstructorParameters<typeof MessageAssembler>[0]> = {}): MessageAssembler {
  return new MessageAssembler({
    maxMessageSize: 1 * MiB,
    maxFragments: 8,
    codec: null,
    isUtf8,
    budget: null,
    ...options,
  });
}

/** Feeds a data frame's header and payload; the first error, or null. */
function piece(a: MessageAssembler, opcode: number, payload: Uint8Array | string, fin: boolean): string | null {
  const bytes = typeof payload === 'string' ? new TextEncoder().encode(payload) : payload;
  const error = a.frameStart(opcode, fin, false, bytes.length) ?? a.framePayload(bytes, 0, bytes.length);
  return error === null ? null : `${error.closeCode} ${error.message}`;
}

describe('MessageAssembler', () => {
  it('delivers a one-piece message as the very view it was given', () => {
    const a = assembler();
    const chunk = pattern(100);
    expect(a.frameStart(Opcode.Binary, true, false, 40)).toBeNull();
    expect(a.framePayload(chunk, 10, 50)).toBeNull();
    expect(a.final).toBe(true);
    expect(a.finish()).toBeNull();
    expect(a.isText).toBe(false);
    const message = a.take();
    expect(message.buffer).toBe(chunk.buffer);
    expect([message.byteOffset, message.length]).toEqual([10, 40]);
    expect(a.active).toBe(false);
  });

  it('joins fragments (RFC 6455 §5.4) and is ready for the next message', () => {
    const a = assembler();
    expect(piece(a, Opcode.Text, 'Hel', false)).toBeNull();
    expect(a.active).toBe(true);
    expect(a.final).toBe(false);
    expect(piece(a, Opcode.Continuation, 'lo', true)).toBeNull();
    expect(a.finish()).toBeNull();
    expect(a.isText).toBe(true);
    expect(Buffer.from(a.take()).toString()).toBe('Hello');
    expect(piece(a, Opcode.Binary, 'x', true)).toBeNull();
  });

  it('returns the fragmentation errors with 1002 instead of throwing', () => {
    expect(piece(assembler(), Opcode.Continuation, 'x', true)).toBe(
      `${CloseCode.ProtocolError} continuation frame without a message to continue`,
    );
    const open = assembler();
    piece(open, Opcode.Text, 'a', false);
    expect(piece(open, Opcode.Binary, 'b', true)).toBe(
      `${CloseCode.ProtocolError} new data frame while a fragmented message is open`,
    );
    const rsv1 = assembler();
    piece(rsv1, Opcode.Text, 'a', false);
    expect(rsv1.frameStart(Opcode.Continuation, true, true, 1)?.message).toBe('RSV1 set on a continuation frame');
  });

  it('returns 1009 past maxFragments and past maxMessageSize (announced length)', () => {
    const few = assembler({ maxFragments: 2 });
    piece(few, Opcode.Binary, 'a', false);
    piece(few, Opcode.Continuation, 'b', false);
    expect(piece(few, Opcode.Continuation, 'c', true)).toBe(
      `${CloseCode.MessageTooBig} message has more than 2 fragments`,
    );
    const small = assembler({ maxMessageSize: 4 });
    piece(small, Opcode.Binary, 'abc', false);
    expect(small.frameStart(Opcode.Continuation, true, false, 2)?.closeCode).toBe(CloseCode.MessageTooBig);
  });

  it('fails text at the first invalid byte, and at the end inside a sequence (RFC 6455 §8.1), with 1007', () => {
    expect(piece(assembler(), Opcode.Text, Uint8Array.of(0x61, 0xff), false)).toBe(
      `${CloseCode.InvalidPayload} invalid UTF-8 in text message`,
    );
    const cut = assembler();
    expect(piece(cut, Opcode.Text, Uint8Array.of(0xce), true)).toBeNull();
    expect(cut.finish()?.message).toBe('text message ends inside a UTF-8 sequence');
  });

  it('reserves what an unfinished message holds from the budget, and gives it back on drop; 1013 when spent', () => {
    const budget = new MessageBudget(64 * KiB);
    const a = assembler({ budget });
    piece(a, Opcode.Binary, pattern(100), false);
    piece(a, Opcode.Continuation, pattern(100), false);
    expect(a.reserveHeld()).toBeNull();
    expect(budget.reserved).toBeGreaterThanOrEqual(200);
    a.drop();
    expect(budget.reserved).toBe(0);
    expect(a.active).toBe(false);
    const tight = assembler({ budget: new MessageBudget(10) });
    piece(tight, Opcode.Binary, pattern(100), false);
    expect(tight.reserveHeld()?.closeCode).toBe(CloseCode.TryAgainLater);
  });
});
