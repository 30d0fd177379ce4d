/**
 * In-process frame parser benchmark: wsgate's server `Connection` against ws's `Receiver`, on the same bytes.
 *
 *   npx tsx bench/parser.ts            (BENCH_ROUNDS, BENCH_MB to change the defaults)
 *
 * For profiling, BENCH_ONLY=<regexp> keeps the matching scenarios, e.g.
 *   BENCH_ONLY='^text 16' npx tsx --cpu-prof bench/parser.ts
 *
 * Both parsers unmask payloads in place, so every round refills each parser's own buffer from a pristine masked
 * master copy before the clock starts; the chunk views over those buffers are built once, outside the timed region,
 * and are identical for both. Each parser instance lives across rounds like a long-lived connection (every buffer
 * ends on a frame boundary). Rounds alternate between the two parsers; the table shows the median round.
 *
 * Two ways of feeding the bytes:
 *   - "64K chunks": the buffer cut every 64 KiB, as a socket delivers it (frames straddle chunks);
 *   - "per frame": one chunk per frame, cut on frame boundaries in advance.
 */
import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
// ws exports its Receiver from the package root (`ws/lib/*` is not in its export map), untyped in @types/ws. It is
// a Writable whose `_write` runs the parser synchronously.
import * as wsPackage from 'ws';
import { Connection, type ConnectionHandler } from '../src/protocol/index.js';

interface WsReceiver {
  _write(chunk: Buffer, encoding: string | null, cb: (error?: Error | null) => void): void;
  on(event: 'message', listener: (data: Buffer, isBinary: boolean) => void): this;
  on(event: 'error', listener: (error: Error) => void): this;
}
const Receiver = (wsPackage as unknown as { Receiver: unknown }).Receiver as new (options: {
  isServer: boolean;
  maxPayload: number;
  skipUTF8Validation: boolean;
}) => WsReceiver;

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const WARMUP_ROUNDS = 3;
/** Bytes of frames per round and scenario (roughly). */
const TARGET_BYTES = Number(process.env.BENCH_MB ?? 8) * 1024 * 1024;
const SOCKET_CHUNK = 64 * 1024;
const MAX_PAYLOAD = 64 * 1024 * 1024;

interface Scenario {
  name: string;
  /** Masked frames, back to back. */
  master: Buffer;
  /** Frame boundaries inside `master` (start offsets, plus the end). */
  frameOffsets: number[];
  frames: number;
  messages: number;
  payloadBytes: number;
}

// ─── building the input ──────────────────────────────────────────────────────────────────────────────────────────

function maskedFrame(opcode: number, fin: boolean, payload: Uint8Array): Buffer {
  const length = payload.length;
  const extended = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const frame = Buffer.alloc(2 + extended + 4 + length);
  frame[0] = (fin ? 0x80 : 0) | opcode;
  if (extended === 0) frame[1] = 0x80 | length;
  else if (extended === 2) {
    frame[1] = 0x80 | 126;
    frame.writeUInt16BE(length, 2);
  } else {
    frame[1] = 0x80 | 127;
    frame.writeBigUInt64BE(BigInt(length), 2);
  }
  const keyAt = 2 + extended;
  randomBytes(4).copy(frame, keyAt);
  for (let i = 0; i < length; i++) frame[keyAt + 4 + i] = payload[i] ^ frame[keyAt + (i & 3)];
  return frame;
}

/** Mostly ASCII with some 2-, 3- and 4-byte sequences, cut on a code point boundary to exactly `size` bytes. */
function textPayload(size: number): Uint8Array {
  const unit = 'wsgate frames é ü 漢字 🎉 ';
  let text = '';
  while (Buffer.byteLength(text) < size + 8) text += unit;
  const bytes = Buffer.from(text);
  let end = size;
  while (end > 0 && (bytes[end] & 0xc0) === 0x80) end--;
  const out = Buffer.alloc(size, 0x61);
  bytes.copy(out, 0, 0, end);
  return out;
}

function binaryPayload(size: number): Uint8Array {
  return randomBytes(size);
}

function build(name: string, makeMessage: () => Buffer[]): Scenario {
  const parts: Buffer[] = [];
  const frameOffsets: number[] = [0];
  let bytes = 0;
  let frames = 0;
  let messages = 0;
  let payloadBytes = 0;
  while (bytes < TARGET_BYTES) {
    for (const frame of makeMessage()) {
      parts.push(frame);
      bytes += frame.length;
      frameOffsets.push(bytes);
      frames++;
      const len7 = frame[1] & 0x7f;
      payloadBytes += frame.length - (len7 < 126 ? 6 : len7 === 126 ? 8 : 14);
    }
    messages++;
  }
  return { name, master: Buffer.concat(parts, bytes), frameOffsets, frames, messages, payloadBytes };
}

function singleFrame(opcode: number, size: number): () => Buffer[] {
  const payload = opcode === 1 ? textPayload(size) : binaryPayload(size);
  return () => [maskedFrame(opcode, true, payload)];
}

function fragmentedText(fragments: number, fragmentSize: number): () => Buffer[] {
  // Cut a text payload at byte offsets that also split code points, as a real sender's fragments may.
  const payload = textPayload(fragments * fragmentSize);
  return () => {
    const out: Buffer[] = [];
    for (let i = 0; i < fragments; i++) {
      const piece = payload.subarray(i * fragmentSize, (i + 1) * fragmentSize);
      out.push(maskedFrame(i === 0 ? 1 : 0, i === fragments - 1, piece));
    }
    return out;
  };
}

const only = process.env.BENCH_ONLY === undefined ? null : new RegExp(process.env.BENCH_ONLY);

const allScenarios: Array<() => Scenario> = [
  () => build('binary 16 B', singleFrame(2, 16)),
  () => build('text 16 B', singleFrame(1, 16)),
  () => build('binary 1 KiB', singleFrame(2, 1024)),
  () => build('text 1 KiB', singleFrame(1, 1024)),
  () => build('binary 64 KiB', singleFrame(2, 64 * 1024)),
  () => build('text 64 KiB', singleFrame(1, 64 * 1024)),
  () => build('text 64 × 1 KiB fragments', fragmentedText(64, 1024)),
];
const scenarios = allScenarios.map((make) => make()).filter((s) => only === null || only.test(s.name));

// ─── the two parsers ─────────────────────────────────────────────────────────────────────────────────────────────

/** Counters shared by both parsers' callbacks: module-level, so no closure sits on the hot path of either. */
const counts = { messages: 0, bytes: 0, errors: 0 };

const handler: ConnectionHandler = {
  write() {
    counts.errors++;
  },
  message(_connection, data) {
    counts.messages++;
    counts.bytes += data.length;
  },
  close() {
    counts.errors++;
  },
  closeTransport() {},
};

function onWsMessage(data: Buffer): void {
  counts.messages++;
  counts.bytes += data.length;
}
function onWsError(): void {
  counts.errors++;
}
function noop(): void {}

interface Runner {
  name: string;
  feed(chunks: Buffer[]): void;
}

function wsgateRunner(): Runner {
  const connection = new Connection({ role: 'server', maxMessageSize: MAX_PAYLOAD, isUtf8 }, handler);
  return {
    name: 'wsgate',
    feed(chunks) {
      for (let i = 0; i < chunks.length; i++) connection.receive(chunks[i]);
    },
  };
}

function wsRunner(): Runner {
  const receiver = new Receiver({ isServer: true, maxPayload: MAX_PAYLOAD, skipUTF8Validation: false });
  receiver.on('message', onWsMessage);
  receiver.on('error', onWsError);
  return {
    name: 'ws',
    feed(chunks) {
      // `_write` is what `Writable.write` ends up calling; going straight to it leaves the stream machinery out.
      for (let i = 0; i < chunks.length; i++) receiver._write(chunks[i], null, noop);
    },
  };
}

// ─── timing ──────────────────────────────────────────────────────────────────────────────────────────────────────

interface Lane {
  runner: Runner;
  /** This parser's own copy of the masked bytes, refilled from the master before every round. */
  buffer: Buffer;
  chunks: Buffer[];
  times: number[];
}

function chunksOf(buffer: Buffer, scenario: Scenario, mode: 'socket' | 'frame'): Buffer[] {
  const chunks: Buffer[] = [];
  if (mode === 'socket') {
    for (let at = 0; at < buffer.length; at += SOCKET_CHUNK) chunks.push(buffer.subarray(at, at + SOCKET_CHUNK));
  } else {
    const offsets = scenario.frameOffsets;
    for (let i = 0; i + 1 < offsets.length; i++) chunks.push(buffer.subarray(offsets[i], offsets[i + 1]));
  }
  return chunks;
}

function runRound(lane: Lane, scenario: Scenario, record: boolean): void {
  lane.buffer.set(scenario.master); // fresh masked bytes, outside the timed region
  counts.messages = 0;
  counts.bytes = 0;
  counts.errors = 0;
  const start = process.hrtime.bigint();
  lane.runner.feed(lane.chunks);
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  if (counts.errors !== 0 || counts.messages !== scenario.messages || counts.bytes !== scenario.payloadBytes) {
    throw new Error(
      `${lane.runner.name} / ${scenario.name}: got ${counts.messages} messages, ${counts.bytes} bytes, ` +
        `${counts.errors} errors; expected ${scenario.messages} messages, ${scenario.payloadBytes} bytes`,
    );
  }
  if (record) lane.times.push(elapsed);
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[sorted.length >> 1];
}

interface Row {
  scenario: string;
  wsgateFrames: number;
  wsgateMB: number;
  wsFrames: number;
  wsMB: number;
  ratio: number;
}

function measure(scenario: Scenario, mode: 'socket' | 'frame'): Row {
  const lanes: Lane[] = [wsgateRunner(), wsRunner()].map((runner) => {
    const buffer = Buffer.alloc(scenario.master.length);
    return { runner, buffer, chunks: chunksOf(buffer, scenario, mode), times: [] };
  });
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    // Alternate which parser goes first so GC and frequency drift hit both alike.
    const order = round % 2 === 0 ? lanes : [lanes[1], lanes[0]];
    for (const lane of order) runRound(lane, scenario, round >= WARMUP_ROUNDS);
  }
  const [wsgate, ws] = lanes.map((lane) => median(lane.times));
  const mb = scenario.master.length / (1024 * 1024);
  return {
    scenario: `${scenario.name} (${mode === 'socket' ? '64K chunks' : 'per frame'})`,
    wsgateFrames: scenario.frames / wsgate,
    wsgateMB: mb / wsgate,
    wsFrames: scenario.frames / ws,
    wsMB: mb / ws,
    ratio: ws / wsgate,
  };
}

function formatRate(value: number): string {
  if (value >= 1e6) return `${(value / 1e6).toFixed(2)} M`;
  if (value >= 1e3) return `${(value / 1e3).toFixed(1)} k`;
  return value.toFixed(0);
}

function printTable(rows: Row[]): void {
  const header = ['scenario', 'wsgate frames/s', 'wsgate MB/s', 'ws frames/s', 'ws MB/s', 'ratio'];
  const body = rows.map((row) => [
    row.scenario,
    formatRate(row.wsgateFrames),
    row.wsgateMB.toFixed(0),
    formatRate(row.wsFrames),
    row.wsMB.toFixed(0),
    `${row.ratio.toFixed(2)}×`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w, i) => (i === 0 ? ':' : '') + '-'.repeat(w + 1) + (i === 0 ? '' : ':')).join('|')}|`);
  for (const row of body) console.log(line(row));
}

const rows: Row[] = [];
for (const scenario of scenarios) rows.push(measure(scenario, 'socket'));
for (const scenario of scenarios) rows.push(measure(scenario, 'frame'));
console.log(
  `node ${process.version}, ws 8 Receiver vs wsgate Connection (server role, masked input, UTF-8 checked); ` +
    `~${(TARGET_BYTES / 1048576).toFixed(0)} MiB per round, median of ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up; ` +
    `ratio = wsgate / ws`,
);
printTable(rows);
