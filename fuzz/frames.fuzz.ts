/**
 * Property tests for the frame engine (fast-check). `FUZZ_RUNS` sets the number of runs per property (200 in
 * `npm test`, 20,000 in `npm run fuzz`).
 *
 *  (a) serialize → parse is the identity, for any frame sequence, under any chunking, from both roles;
 *  (b) arbitrary bytes (random, or mutations of valid streams) never make `receive` throw, and end in events only,
 *      or in exactly one close frame (1002/1007/1009 on failure; the echo of a valid peer Close) and one `close`;
 *  (c) chunking invariance: whole, byte by byte and random chunks give the same handler events and the same output.
 */
import fc from 'fast-check';
import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from 'vitest';
import {
  Connection,
  type ConnectionHandler,
  type ConnectionOptions,
  encodeFrame,
  isValidWireCloseCode,
  type Role,
} from '../src/protocol/index.js';
import { pattern } from '../test/helpers/bytes.js';
import { decodeFrames } from '../test/helpers/frames.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
/** Per-property time budget: vitest's default would cut 20,000 runs short. */
const TIMEOUT = Math.max(20_000, RUNS * 25);

const OP = { cont: 0x0, text: 0x1, binary: 0x2, close: 0x8, ping: 0x9, pong: 0xa } as const;
const encoder = new TextEncoder();
const concat = (parts: Uint8Array[]): Uint8Array => new Uint8Array(Buffer.concat(parts));
const toHex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

// ─── running a connection ────────────────────────────────────────────────────────────────────────────────────────

interface Outcome {
  /** Every handler call in order, normalized: `message:t:<hex>`, `ping:<hex>`, `close:<code>:<reason>`, ... */
  events: string[];
  /** Frames the connection wrote, decoded: `<opcode>:<hex payload>`, plus whether each was masked. */
  frames: { opcode: number; fin: boolean; rsv: number; masked: boolean; payload: Uint8Array }[];
}

/**
 * Feeds `bytes` to a fresh connection cut into chunks of `chunkSizes` (cyclically; empty = one chunk), then EOF.
 * Each chunk is a fresh copy: the engine unmasks in place and may keep views of it.
 */
function run(
  role: Role,
  bytes: Uint8Array,
  chunkSizes: number[],
  options: Omit<ConnectionOptions, 'role'> = {},
): Outcome {
  const events: string[] = [];
  const written: Uint8Array[] = [];
  const handler: ConnectionHandler = {
    write: (_c, data) => void written.push(new Uint8Array(data)),
    message: (_c, data, isText) => void events.push(`message:${isText ? 't' : 'b'}:${toHex(data)}`),
    ping: (_c, payload) => void events.push(`ping:${toHex(payload)}`),
    pong: (_c, payload) => void events.push(`pong:${toHex(payload)}`),
    close: (_c, code, reason) => void events.push(`close:${code}:${reason}`),
    error: (_c, error) => void events.push(`error:${error.closeCode}`),
    closeTransport: () => void events.push('closeTransport'),
  };
  const connection = new Connection({ role, ...options }, handler);
  if (chunkSizes.length === 0) connection.receive(new Uint8Array(bytes));
  else {
    for (let at = 0, i = 0; at < bytes.length; i++) {
      const size = chunkSizes[i % chunkSizes.length];
      connection.receive(bytes.slice(at, at + size));
      at += size;
    }
  }
  connection.receiveEof();
  return { events, frames: decodeFrames(concat(written)) };
}

// ─── generating valid frame sequences ────────────────────────────────────────────────────────────────────────────

/** Valid UTF-8 of exactly `length` bytes, mixing 1- to 4-byte sequences (ASCII fills the end). */
function textOfLength(length: number, seed: number): Uint8Array {
  const units = ['a', 'é', '€', '🎉', 'κ', '漢', ' ', '\u0000'];
  const parts: string[] = [];
  let size = 0;
  let x = seed >>> 0;
  while (size < length) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    let unit = units[x >>> 29];
    if (size + Buffer.byteLength(unit) > length) unit = 'z';
    parts.push(unit);
    size += Buffer.byteLength(unit);
  }
  return encoder.encode(parts.join(''));
}

const boundarySize = fc.constantFrom(125, 126, 127, 65535, 65536, 65537);

/** A payload size: mostly small, sometimes around the length-form boundaries, rarely up to 64 KiB + 1. */
const sizeArb = (allowLarge: boolean): fc.Arbitrary<number> =>
  allowLarge
    ? fc.oneof(
        { weight: 12, arbitrary: fc.integer({ min: 0, max: 130 }) },
        { weight: 4, arbitrary: fc.integer({ min: 120, max: 3000 }) },
        { weight: 1, arbitrary: boundarySize },
      )
    : fc.oneof(
        { weight: 4, arbitrary: fc.integer({ min: 0, max: 130 }) },
        { weight: 1, arbitrary: fc.integer({ min: 0, max: 700 }) },
      );

const textPayloadArb = (allowLarge: boolean): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc.string({ unit: 'binary', maxLength: 40 }).map((s) => encoder.encode(s)),
    fc.tuple(sizeArb(allowLarge), fc.nat()).map(([n, seed]) => textOfLength(n, seed)),
  );

const binaryPayloadArb = (allowLarge: boolean): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    fc.uint8Array({ maxLength: 140 }),
    fc.tuple(sizeArb(allowLarge), fc.nat()).map(([n, seed]) => pattern(n, seed)),
  );

const controlPayloadArb = fc.uint8Array({ maxLength: 125 });

type Op =
  | {
      kind: 'message';
      isText: boolean;
      payload: Uint8Array;
      /** Fragment boundaries (offsets into payload, sorted, may repeat: empty fragments). */
      cuts: number[];
      /** Ping payloads sent after fragment i (null: none). */
      pings: (Uint8Array | null)[];
    }
  | { kind: 'ping' | 'pong'; payload: Uint8Array };

const messageArb = (allowLarge: boolean): fc.Arbitrary<Op> =>
  fc
    .tuple(
      // Built once, outside any `chain`: a 'binary' string arbitrary costs a table of every code point to build.
      fc.oneof(
        textPayloadArb(allowLarge).map((payload) => [true, payload] as const),
        binaryPayloadArb(allowLarge).map((payload) => [false, payload] as const),
      ),
      fc.array(fc.nat(), { maxLength: 5 }),
      fc.array(fc.option(controlPayloadArb, { freq: 3 }), { maxLength: 5 }),
    )
    .map(([[isText, payload], rawCuts, pings]) => ({
      kind: 'message' as const,
      isText,
      // A text payload may be cut anywhere, also inside a code point: fragments need not be valid UTF-8 alone.
      payload,
      cuts: rawCuts.map((c) => (payload.length === 0 ? 0 : c % (payload.length + 1))).sort((a, b) => a - b),
      pings,
    }));

const opArb = (allowLarge: boolean): fc.Arbitrary<Op> =>
  fc.oneof(
    { weight: 5, arbitrary: messageArb(allowLarge) },
    { weight: 1, arbitrary: controlPayloadArb.map((payload) => ({ kind: 'ping' as const, payload })) },
    { weight: 1, arbitrary: controlPayloadArb.map((payload) => ({ kind: 'pong' as const, payload })) },
  );

const opsArb = (allowLarge: boolean): fc.Arbitrary<Op[]> => fc.array(opArb(allowLarge), { maxLength: 8 });

interface RawFrame {
  opcode: number;
  fin: boolean;
  payload: Uint8Array;
}

/** The frames a sender puts on the wire for `ops`, in order. */
function framesOf(ops: Op[]): RawFrame[] {
  const frames: RawFrame[] = [];
  for (const op of ops) {
    if (op.kind !== 'message') {
      frames.push({ opcode: op.kind === 'ping' ? OP.ping : OP.pong, fin: true, payload: op.payload });
      continue;
    }
    const bounds = [0, ...op.cuts, op.payload.length];
    for (let i = 0; i + 1 < bounds.length; i++) {
      const last = i + 2 === bounds.length;
      frames.push({
        opcode: i === 0 ? (op.isText ? OP.text : OP.binary) : OP.cont,
        fin: last,
        payload: op.payload.subarray(bounds[i], bounds[i + 1]),
      });
      const ping = op.pings[i];
      if (!last && ping) frames.push({ opcode: OP.ping, fin: true, payload: ping });
    }
  }
  return frames;
}

/** What the receiving connection reports for `ops`. */
function expectedEvents(ops: Op[]): string[] {
  const events: string[] = [];
  for (const frame of framesOf(ops))
    if (frame.opcode >= OP.ping) events.push(`${frame.opcode === OP.ping ? 'ping' : 'pong'}:${toHex(frame.payload)}`);
  // Data messages complete at their last fragment; interleave them back in wire order.
  const ordered: string[] = [];
  let control = 0;
  for (const op of ops) {
    if (op.kind !== 'message') {
      ordered.push(events[control++]);
      continue;
    }
    const fragments = op.cuts.length + 1;
    for (let i = 0; i + 1 < fragments; i++) if (op.pings[i]) ordered.push(events[control++]);
    ordered.push(`message:${op.isText ? 't' : 'b'}:${toHex(op.payload)}`);
  }
  return ordered;
}

/** Serializes with the engine's encoder; client frames use the given mask keys in turn (RFC 6455 §5.3). */
function serialize(frames: RawFrame[], sender: Role, keys: Uint8Array[]): Uint8Array {
  return concat(
    frames.map((f, i) =>
      encodeFrame(f.opcode, f.payload, f.fin, false, sender === 'client' ? keys[i % keys.length] : null),
    ),
  );
}

/** Serializes through a sender `Connection` (send / sendFragment / ping / pong) instead. */
function serializeViaConnection(ops: Op[], sender: Role): Uint8Array {
  const written: Uint8Array[] = [];
  const connection = new Connection(
    { role: sender },
    {
      write: (_c, bytes) => void written.push(new Uint8Array(bytes)),
      message() {},
      close() {},
      closeTransport() {},
    },
  );
  for (const op of ops) {
    if (op.kind !== 'message') {
      if (op.kind === 'ping') connection.ping(op.payload);
      else connection.pong(op.payload);
    } else if (op.cuts.length === 0) connection.send(op.payload, !op.isText);
    else {
      const bounds = [0, ...op.cuts, op.payload.length];
      for (let i = 0; i + 1 < bounds.length; i++) {
        const last = i + 2 === bounds.length;
        connection.sendFragment(op.payload.subarray(bounds[i], bounds[i + 1]), !op.isText, last);
        const ping = op.pings[i];
        if (!last && ping) connection.ping(ping);
      }
    }
  }
  return concat(written);
}

const roleArb = fc.constantFrom<Role>('server', 'client');
const keysArb = fc.array(fc.uint8Array({ minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 4 });
/** Chunk sizes used cyclically: [] = one chunk; 1-byte chunks are common. */
const chunkingArb = fc.oneof(
  fc.constant<number[]>([]),
  fc.constant<number[]>([1]),
  fc.array(fc.integer({ min: 1, max: 9 }), { minLength: 1, maxLength: 8 }),
  fc.array(fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 70_000 })), {
    minLength: 1,
    maxLength: 8,
  }),
);

const other = (role: Role): Role => (role === 'server' ? 'client' : 'server');

// ─── (a) serialize → parse ───────────────────────────────────────────────────────────────────────────────────────

describe('(a) serialize → parse is the identity', () => {
  it(
    'for any frame sequence, any chunking, both roles (client frames masked with arbitrary keys)',
    () => {
      fc.assert(
        fc.property(
          opsArb(true),
          roleArb,
          keysArb,
          fc.boolean(),
          chunkingArb,
          (ops, sender, keys, viaConnection, chunks) => {
            const bytes = viaConnection ? serializeViaConnection(ops, sender) : serialize(framesOf(ops), sender, keys);
            const outcome = run(other(sender), bytes, chunks, { isUtf8 });
            expect(outcome.events).toEqual([...expectedEvents(ops), 'close:1006:']);
            // The receiver answered every ping with a pong carrying the same payload, masked only as a client.
            const pings = framesOf(ops).filter((f) => f.opcode === OP.ping);
            expect(outcome.frames.map((f) => [f.opcode, f.fin, f.masked, toHex(f.payload)])).toEqual(
              pings.map((p) => [OP.pong, true, sender === 'server', toHex(p.payload)]),
            );
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});

// ─── (b) arbitrary bytes ─────────────────────────────────────────────────────────────────────────────────────────

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'duplicate'; from: number; length: number; to: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'set'; at: number; value: number };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('duplicate' as const),
      from: fc.nat(),
      length: fc.integer({ min: 1, max: 14 }),
      to: fc.nat(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('insert' as const),
      at: fc.nat(),
      bytes: fc.uint8Array({ minLength: 1, maxLength: 14 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('delete' as const),
      at: fc.nat(),
      length: fc.integer({ min: 1, max: 14 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  },
);

function mutate(bytes: Uint8Array, mutations: Mutation[]): Uint8Array {
  let out: Uint8Array = new Uint8Array(bytes);
  for (const m of mutations) {
    if (out.length === 0) break;
    const n = out.length;
    switch (m.kind) {
      case 'flip':
        out[m.at % n] ^= 1 << m.bit;
        break;
      case 'set':
        out[m.at % n] = m.value;
        break;
      case 'truncate':
        out = out.slice(0, m.at % n);
        break;
      case 'duplicate': {
        // Duplicated header-sized runs: the copy lands where a header or payload was expected.
        const from = m.from % n;
        const piece = out.slice(from, from + m.length);
        const to = m.to % (n + 1);
        out = concat([out.subarray(0, to), piece, out.subarray(to)]);
        break;
      }
      case 'insert': {
        const at = m.at % (n + 1);
        out = concat([out.subarray(0, at), m.bytes, out.subarray(at)]);
        break;
      }
      case 'delete': {
        const at = m.at % n;
        out = concat([out.subarray(0, at), out.subarray(at + m.length)]);
        break;
      }
    }
  }
  return out;
}

/** Small limits, sometimes, so that 1009 is reachable from short inputs. */
const limitsArb = fc.oneof(
  fc.constant({}),
  fc.record({
    maxFrameSize: fc.integer({ min: 0, max: 300 }),
    maxMessageSize: fc.integer({ min: 0, max: 600 }),
    maxFragments: fc.integer({ min: 1, max: 6 }),
  }),
);

/** Bytes a peer of `receiver` might send: random, or a valid stream for that receiver, mutated. */
const hostileInputArb = (receiver: Role): fc.Arbitrary<Uint8Array> =>
  fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(
          opsArb(false),
          keysArb,
          fc.array(mutationArb, { minLength: 1, maxLength: 4 }),
          fc.option(fc.uint8Array({ maxLength: 40 })),
        )
        .map(([ops, keys, mutations, trailer]) => {
          const valid = serialize(framesOf(ops), other(receiver), keys);
          return mutate(trailer ? concat([valid, trailer]) : valid, mutations);
        }),
    },
  );

const closeCodeOf = (payload: Uint8Array): number => (payload.length >= 2 ? (payload[0] << 8) | payload[1] : 1005);

/**
 * Checks the rules every outcome obeys, whatever the input: one `close` call, nothing but `closeTransport` after
 * it, only pongs and at most one (final) close frame written, with a code that matches what happened.
 */
function checkOutcome(role: Role, outcome: Outcome, limits: { maxMessageSize?: number }): void {
  const { events, frames } = outcome;
  const closeAt = events.findIndex((e) => e.startsWith('close:'));
  expect(closeAt).toBeGreaterThanOrEqual(0);
  expect(events.filter((e) => e.startsWith('close:'))).toHaveLength(1);
  // Nothing is handled after close (the transport request may follow it).
  expect(events.slice(closeAt + 1).every((e) => e === 'closeTransport')).toBe(true);
  expect(events.filter((e) => e === 'closeTransport').length).toBeLessThanOrEqual(1);
  const closeCode = Number(events[closeAt].split(':')[1]);

  for (const frame of frames) {
    expect(frame.masked).toBe(role === 'client');
    expect(frame.rsv).toBe(0);
    expect(frame.fin).toBe(true);
  }
  const closeFrames = frames.filter((f) => f.opcode === OP.close);
  expect(closeFrames.length).toBeLessThanOrEqual(1);
  const pongs = frames.filter((f) => f.opcode === OP.pong);
  expect(pongs.length + closeFrames.length).toBe(frames.length);
  // Every ping was answered, in order, with its own payload.
  const pings = events.filter((e) => e.startsWith('ping:')).map((e) => e.slice(5));
  expect(pongs.map((f) => toHex(f.payload))).toEqual(pings);

  const errors = events.filter((e) => e.startsWith('error:'));
  expect(errors.length).toBeLessThanOrEqual(1);
  if (errors.length === 1) {
    // Failed: error, then close, with the code written in the (last) close frame.
    const code = Number(errors[0].split(':')[1]);
    expect([1002, 1007, 1009]).toContain(code);
    expect(events.indexOf(errors[0])).toBe(closeAt - 1);
    expect(closeFrames).toHaveLength(1);
    expect(frames.at(-1)!.opcode).toBe(OP.close);
    expect(closeCodeOf(closeFrames[0].payload)).toBe(code);
    expect(closeFrames[0].payload.length).toBeLessThanOrEqual(125);
    expect(isUtf8(closeFrames[0].payload.subarray(2))).toBe(true);
    expect(closeCode).toBe(code);
    expect(events.at(-1)).toBe('closeTransport');
  } else if (closeFrames.length === 1) {
    // The peer sent a valid Close: we echoed its code (an empty body for 1005) and report it.
    const echoed = closeFrames[0].payload;
    expect(echoed.length === 0 || echoed.length === 2).toBe(true);
    expect(closeCodeOf(echoed)).toBe(closeCode);
    expect(closeCode === 1005 || isValidWireCloseCode(closeCode)).toBe(true);
    expect(events.slice(closeAt + 1)).toEqual(role === 'server' ? ['closeTransport'] : []);
  } else {
    // Events only: the input ran out, EOF gave 1006.
    expect(closeCode).toBe(1006);
    expect(closeAt).toBe(events.length - 1);
  }

  for (const e of events.slice(0, closeAt)) {
    if (e.startsWith('message:')) {
      const data = Buffer.from(e.slice(10), 'hex');
      if (e[8] === 't') expect(isUtf8(data)).toBe(true);
      expect(data.length).toBeLessThanOrEqual(limits.maxMessageSize ?? Infinity);
    } else if (e.startsWith('ping:') || e.startsWith('pong:')) {
      expect(e.length - 5).toBeLessThanOrEqual(250);
    }
  }
}

describe('(b) hostile input', () => {
  it(
    'never makes receive() throw and ends in events only or in exactly one close',
    () => {
      fc.assert(
        fc.property(
          roleArb.chain((role) => fc.tuple(fc.constant(role), hostileInputArb(role))),
          chunkingArb,
          limitsArb,
          fc.boolean(),
          ([role, bytes], chunks, limits, native) => {
            const outcome = run(role, bytes, chunks, native ? { ...limits, isUtf8 } : limits);
            checkOutcome(role, outcome, limits);
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});

// ─── (c) chunking invariance ─────────────────────────────────────────────────────────────────────────────────────

describe('(c) chunking invariance', () => {
  it(
    'whole, byte by byte and random chunks give the same events and the same frames written',
    () => {
      fc.assert(
        fc.property(
          roleArb.chain((role) => fc.tuple(fc.constant(role), hostileInputArb(role))),
          chunkingArb,
          limitsArb,
          ([role, bytes], chunks, limits) => {
            // The native validator (over whole code points) whole and in random chunks, the incremental one alone
            // byte by byte: same verdicts, same reasons.
            const whole = run(role, bytes, [], { ...limits, isUtf8 });
            const trickled = run(role, bytes, [1], limits);
            const chunked = run(role, bytes, chunks, { ...limits, isUtf8 });
            const frames = (o: Outcome): string[] => o.frames.map((f) => `${f.opcode}:${toHex(f.payload)}`);
            expect(trickled.events).toEqual(whole.events);
            expect(chunked.events).toEqual(whole.events);
            expect(frames(trickled)).toEqual(frames(whole));
            expect(frames(chunked)).toEqual(frames(whole));
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'valid streams give the same concatenated messages whole and byte by byte',
    () => {
      fc.assert(
        fc.property(opsArb(false), roleArb, keysArb, (ops, sender, keys) => {
          const bytes = serialize(framesOf(ops), sender, keys);
          const whole = run(other(sender), bytes, []);
          const trickled = run(other(sender), bytes, [1]);
          const messages = (o: Outcome): string => o.events.filter((e) => e.startsWith('message:')).join('|');
          expect(messages(trickled)).toBe(messages(whole));
          expect(trickled.events.at(-1)).toBe(whole.events.at(-1));
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});
