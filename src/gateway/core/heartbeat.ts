import { systemClock, type Clock, type ClockTimer } from './clock.js';
import type { GatewaySocket } from './gateway-socket.js';
import { OPEN } from './transport.js';

/** `liveness` bit 0: a sign of life since the last sweep. The missed-sweep count sits above it. */
const ALIVE = 1;
const MISSED_STEP = 2;

/**
 * A sign of life from `socket` (a message, ping, pong or drain). The only other writer of liveness is `sweep`.
 */
export function markAlive(socket: GatewaySocket): void {
  socket.liveness |= ALIVE;
}

/** Consecutive sweeps `socket` stayed silent (for tests and diagnostics). */
export function missedSweeps(socket: GatewaySocket): number {
  return socket.liveness >>> 1;
}

/** The sockets a heartbeat watches (a `LocalNode`, or a list in tests). */
export interface SocketSource {
  values(): Iterable<GatewaySocket>;
}

/**
 * Liveness for every socket of a node from one timer (not one per socket). Owns the sockets' `liveness`,
 * `lastBuffered` and `lastReceived` fields: nothing else writes them (`markAlive` sets the alive bit).
 *
 * Each sweep, a socket that showed a sign of life since the previous sweep starts over; one that didn't counts a
 * miss, and at `maxMissed` misses it is handed to `onDead`. Every socket that stays gets a protocol ping, which
 * browsers answer on their own. Signs of life: any inbound byte (`bytesReceived` moved, even mid-message), any
 * message, ping or pong (`markAlive`), a `drain` (the peer is reading), or a smaller `bufferedAmount` than at the
 * last sweep (same reason).
 *
 * Timing: a socket silent since time t is given up at the (maxMissed + 1)-th sweep after t, so within
 * interval × (maxMissed + 1) of its last sign of life.
 *
 * A full send buffer changes nothing: pings are control frames that the server never drops (they queue behind the
 * data), a peer that still talks to us is alive whatever its buffer holds, and `terminate()` destroys the TCP
 * connection without waiting for the buffer (workerman#21: a heartbeat that only writes can't kill a stuck peer).
 */
export class Heartbeat {
  private timer: ClockTimer | null = null;

  constructor(
    private readonly sockets: SocketSource,
    private readonly interval: number,
    private readonly maxMissed: number,
    private readonly onDead: (socket: GatewaySocket) => void,
    private readonly clock: Clock = systemClock,
  ) {}

  start(): void {
    if (this.timer !== null) return;
    this.timer = this.clock.setInterval(sweepNow, this.interval, this);
    // The server keeps the process alive; the heartbeat shouldn't on its own.
    this.timer.unref?.();
  }

  stop(): void {
    if (this.timer === null) return;
    this.clock.clear(this.timer);
    this.timer = null;
  }

  /** One pass over every socket (exposed for tests and for callers that want to sweep now). */
  sweep(): void {
    for (const socket of this.sockets.values()) {
      const transport = socket.transport;
      if (transport === null || transport.readyState !== OPEN) continue; // closing: the server's close timer owns it
      const buffered = transport.bufferedAmount;
      const received = transport.bytesReceived;
      if ((socket.liveness & ALIVE) !== 0 || received !== socket.lastReceived || buffered < socket.lastBuffered) {
        socket.liveness = 0;
      } else {
        socket.liveness += MISSED_STEP;
        if (socket.liveness >>> 1 >= this.maxMissed) {
          this.onDead(socket);
          continue;
        }
      }
      socket.lastBuffered = buffered;
      socket.lastReceived = received;
      transport.ping();
    }
  }
}

function sweepNow(heartbeat: Heartbeat): void {
  heartbeat.sweep();
}
