/**
 * RFC 6455 §5.2 framing as read: the §5.7 examples, byte for byte and cut at every point, through a `Connection` in
 * the role that receives them; and the `FrameParser` on its own, with a recording `FrameSink`. (What a connection
 * writes is in `frame-serializer.test.ts`; every framing rule from both roles is in `connection.test.ts`.)
 */
import { describe, expect, it } from 'vitest';
import {
  Connection,
  type ConnectionHandler,
  FrameParser,
  type FrameSink,
  type Role,
} from '../../src/protocol/index.js';
import { decodeFrames } from '../helpers/frames.js';
import { Endpoint, type Event, concat, expectFailed, hex, pattern, splitPlans, toHex } from './kit.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);
const HELLO = text('Hello');

// ─── §5.7 examples, parsed ───────────────────────────────────────────────────────────────────────────────────────

const BINARY_256 = pattern(256, 7);
const BINARY_64K = pattern(65536, 11);

interface Example {
  name: string;
  /** The role that receives these bytes: unmasked frames come from a server, masked ones from a client. */
  receiver: Role;
  bytes: Uint8Array;
  expected: Event[];
}

const examples: Example[] = [
  {
    name: 'a single-frame unmasked text message ("Hello")',
    receiver: 'client',
    bytes: hex('81 05 48 65 6c 6c 6f'),
    expected: [{ type: 'message', data: 'Hello', isText: true }],
  },
  {
    name: 'a single-frame masked text message ("Hello")',
    receiver: 'server',
    bytes: hex('81 85 37 fa 21 3d 7f 9f 4d 51 58'),
    expected: [{ type: 'message', data: 'Hello', isText: true }],
  },
  {
    name: 'a fragmented unmasked text message ("Hel" + "lo")',
    receiver: 'client',
    bytes: hex('01 03 48 65 6c  80 02 6c 6f'),
    expected: [{ type: 'message', data: 'Hello', isText: true }],
  },
  {
    name: 'an unmasked ping ("Hello")',
    receiver: 'client',
    bytes: hex('89 05 48 65 6c 6c 6f'),
    expected: [{ type: 'ping', payload: 'Hello' }],
  },
  {
    name: 'a masked pong ("Hello")',
    receiver: 'server',
    bytes: hex('8a 85 37 fa 21 3d 7f 9f 4d 51 58'),
    expected: [{ type: 'pong', payload: 'Hello' }],
  },
  {
    name: '256 bytes of binary data in a single unmasked frame',
    receiver: 'client',
    bytes: concat([hex('82 7e 0100'), BINARY_256]),
    expected: [{ type: 'message', data: toHex(BINARY_256), isText: false }],
  },
  {
    name: '64 KiB of binary data in a single unmasked frame',
    receiver: 'client',
    bytes: concat([hex('82 7f 0000000000010000'), BINARY_64K]),
    expected: [{ type: 'message', data: toHex(BINARY_64K), isText: false }],
  },
];

describe('RFC 6455 §5.7 examples, received', () => {
  describe.each(examples)('$name', ({ receiver, bytes, expected }) => {
    it(`is parsed by a ${receiver} connection in one write`, () => {
      const endpoint = new Endpoint(receiver).feed(bytes);
      expect(endpoint.events).toEqual(expected);
      expect(endpoint.connection.readyState).toBe(1);
    });

    it('is parsed the same when split at every point (and byte by byte)', () => {
      if (bytes.length > 1000) {
        // 64 KiB: every one of the 65,545 cuts, with a lean handler. Unmasked input is not modified by the
        // engine, so the two pieces can be views of the same bytes.
        expect(receiver).toBe('client');
        const expectedPayload = Buffer.from(BINARY_64K);
        const wrong: number[] = [];
        let messages = 0;
        const handler: ConnectionHandler = {
          write: () => void wrong.push(-1),
          message: (_c, data, isText) => {
            messages++;
            if (isText || !expectedPayload.equals(data)) wrong.push(messages);
          },
          close: () => void wrong.push(-2),
          closeTransport: () => {},
        };
        for (let split = 1; split < bytes.length; split++) {
          const connection = new Connection({ role: receiver }, handler);
          connection.receive(bytes.subarray(0, split));
          connection.receive(bytes.subarray(split));
          if (messages !== split) throw new Error(`no message when split at ${split}`);
        }
        expect(wrong).toEqual([]);
        expect(bytes).toEqual(concat([hex('82 7f 0000000000010000'), BINARY_64K])); // input untouched
        return;
      }
      for (const plan of splitPlans(bytes.length, { pairs: bytes.length <= 16 })) {
        const endpoint = new Endpoint(receiver).feedSplit(bytes, plan);
        expect(endpoint.events, `split at ${plan.join(',')}`).toEqual(expected);
      }
    });

    it('is rejected with 1002 by the other role (masking rule)', () => {
      const other: Role = receiver === 'server' ? 'client' : 'server';
      expectFailed(new Endpoint(other).feed(bytes), 1002);
    });
  });

  it('answers the unmasked ping with a masked pong carrying the same payload (client)', () => {
    const endpoint = new Endpoint('client').feed(hex('89 05 48 65 6c 6c 6f'));
    const [pong] = decodeFrames(endpoint.output);
    expect(pong).toMatchObject({ fin: true, rsv: 0, opcode: 0xa });
    expect(pong.maskKey).not.toBeNull();
    expect(pong.payload).toEqual(HELLO);
  });

  it('answers a masked ping with the unmasked pong of §5.7 (server)', () => {
    const endpoint = new Endpoint('server').feed(hex('89 85 37 fa 21 3d 7f 9f 4d 51 58'));
    expect(endpoint.output).toEqual(hex('8a 05 48 65 6c 6c 6f'));
  });
});

// ─── FrameParser alone ───────────────────────────────────────────────────────────────────────────────────────────

/** A `FrameSink` that writes down every call, payload pieces joined per frame. */
class RecordingSink implements FrameSink {
  readonly calls: string[] = [];
  private payload: number[] = [];
  frameStart(opcode: number, fin: boolean, rsv1: boolean, length: number): boolean {
    this.calls.push(`start ${opcode} fin=${fin} rsv1=${rsv1} length=${length}`);
    this.payload = [];
    return true;
  }
  framePayload(data: Uint8Array, start: number, end: number): boolean {
    for (let i = start; i < end; i++) this.payload.push(data[i]);
    return true;
  }
  frameEnd(): boolean {
    this.calls.push(`end ${toHex(Uint8Array.from(this.payload))}`);
    return true;
  }
  frameError(closeCode: number, reason: string): void {
    this.calls.push(`error ${closeCode} ${reason}`);
  }
}

function parse(bytes: Uint8Array, splits: readonly number[], expectMasked: boolean, maxFrameSize = 1 << 20): string[] {
  const sink = new RecordingSink();
  const parser = new FrameParser(sink, { expectMasked, allowRsv1: false, maxFrameSize });
  let at = 0;
  for (const split of [...splits, bytes.length]) {
    parser.push(bytes.slice(at, split));
    at = split;
  }
  return sink.calls;
}

describe('FrameParser', () => {
  it('reports the §5.7 masked "Hello" as start, unmasked payload, end', () => {
    expect(parse(hex('81 85 37 fa 21 3d 7f 9f 4d 51 58'), [], true)).toEqual([
      'start 1 fin=true rsv1=false length=5',
      `end ${toHex(HELLO)}`,
    ]);
  });

  it('makes the same calls however the bytes are cut', () => {
    const bytes = hex('01 03 48 65 6c  89 00  80 02 6c 6f');
    const whole = parse(bytes, [], false);
    expect(whole).toEqual([
      'start 1 fin=false rsv1=false length=3',
      'end 48656c',
      'start 9 fin=true rsv1=false length=0',
      'end ',
      'start 0 fin=true rsv1=false length=2',
      'end 6c6f',
    ]);
    for (const plan of splitPlans(bytes.length, { pairs: true }))
      expect(parse(bytes, plan, false), plan.join(',')).toEqual(whole);
  });

  it('refuses a non-minimal length (RFC 6455 §5.2) and stops: nothing after the error is reported', () => {
    const calls = parse(hex('82 7e 0005 0102030405  82 00'), [], false);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(/^error 1002 /);
  });

  it('refuses a frame above maxFrameSize with 1009 before any payload arrives', () => {
    const calls = parse(hex('82 7e 0100'), [], false, 255);
    expect(calls).toHaveLength(1);
    expect(calls[0]).toMatch(/^error 1009 /);
  });

  it('refuses a masked frame when unmasked ones are expected, and the reverse (RFC 6455 §5.1)', () => {
    expect(parse(hex('81 85 37 fa 21 3d 7f 9f 4d 51 58'), [], false)[0]).toMatch(/^error 1002 /);
    expect(parse(hex('81 05 48 65 6c 6c 6f'), [], true)[0]).toMatch(/^error 1002 /);
  });
});
