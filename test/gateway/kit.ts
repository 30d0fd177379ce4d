/**
 * The gateway core's test kit: a fake clock and fake transports, so dispatch, heartbeat, rate limit, auth deadlines
 * and `LocalNode` run without sockets, servers or real time.
 */
import type { Clock, ClockTimer } from '../../src/gateway/core/clock.js';
import { GatewaySocket } from '../../src/gateway/core/gateway-socket.js';
import { createSession } from '../../src/gateway/core/session.js';
import { createCounters, type Counters } from '../../src/gateway/core/stats.js';
import type { Transport } from '../../src/gateway/core/transport.js';
import type { PreparedMessage } from '../../src/server/prepared.js';
import type { SendResult } from '../../src/server/socket.js';

interface FakeTimer extends ClockTimer {
  at: number;
  every: number;
  run: () => void;
  live: boolean;
}

/** Time that moves only when told; timers fire in due order during `advance`. */
export class FakeClock implements Clock {
  time = 1_000_000;
  private readonly timers: FakeTimer[] = [];

  now = (): number => this.time;

  setTimeout<A, B>(callback: (a: A, b: B) => void, ms: number, a: A, b: B): ClockTimer {
    return this.add(ms, 0, () => callback(a, b));
  }

  setInterval<A>(callback: (a: A) => void, ms: number, a: A): ClockTimer {
    return this.add(ms, ms, () => callback(a));
  }

  clear(timer: ClockTimer): void {
    (timer as FakeTimer).live = false;
  }

  /** Timers still pending. */
  get pending(): number {
    return this.timers.filter((t) => t.live).length;
  }

  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.live && t.at <= end).sort((x, y) => x.at - y.at)[0];
      if (due === undefined) break;
      this.time = due.at;
      if (due.every > 0) due.at += due.every;
      else due.live = false;
      due.run();
    }
    this.time = end;
  }

  private add(ms: number, every: number, run: () => void): FakeTimer {
    const timer: FakeTimer = { at: this.time + ms, every, run, live: true, unref: () => timer };
    this.timers.push(timer);
    return timer;
  }
}

/** A connection that records what the core does to it; its inbound side is set by the test. */
export class FakeTransport implements Transport {
  readyState = 1;
  bufferedAmount = 0;
  bytesReceived = 0;
  remoteAddress = '127.0.0.1';
  /** Every message written, as text (binary as `bin:<hex>`), prepared ones included. */
  readonly sent: string[] = [];
  pings = 0;
  closed: { code: number | undefined; reason: string | undefined } | null = null;
  terminated = false;
  /** What `send` answers (e.g. 'dropped' to simulate backpressure). */
  result: SendResult = 'sent';

  send(data: string | Uint8Array, options?: { binary?: boolean }): SendResult {
    if (this.result !== 'dropped')
      this.sent.push(
        typeof data === 'string' && options?.binary !== true ? data : `bin:${Buffer.from(data).toString('hex')}`,
      );
    return this.result;
  }

  sendPrepared(message: PreparedMessage): SendResult {
    if (this.result !== 'dropped') this.sent.push(`prepared:${preparedText(message)}`);
    return this.result;
  }

  ping(): void {
    this.pings++;
  }

  close(code?: number, reason?: string): void {
    this.closed = { code, reason };
    this.readyState = 2;
  }

  terminate(): void {
    this.terminated = true;
    this.readyState = 3;
  }

  /** The messages sent, parsed as JSON. */
  json(): unknown[] {
    return this.sent.map((text) => JSON.parse(text.replace(/^prepared:/, '')) as unknown);
  }
}

/** The frame's payload as text (unmasked server frame: header of 2, 4 or 10 bytes). */
function preparedText(message: PreparedMessage): string {
  const frame = message.frame;
  const len = frame[1]! & 0x7f;
  const offset = len < 126 ? 2 : len === 126 ? 4 : 10;
  return frame.subarray(offset).toString();
}

let sequence = 0;

/** An open gateway socket on a fake transport, as the gateway builds it at the upgrade and at `open`. */
export function openSocket(options: { uid?: string; counters?: Counters; now?: number; nodeId?: string } = {}): {
  socket: GatewaySocket;
  transport: FakeTransport;
} {
  const socket = new GatewaySocket(
    `${options.nodeId ?? 'n1'}.${++sequence}`,
    null,
    options.uid ?? null,
    createSession(),
    options.now ?? 0,
  );
  const transport = new FakeTransport();
  socket.transport = transport;
  socket.counters = options.counters ?? createCounters();
  return { socket, transport };
}
