import { ReadyState } from '../../protocol/index.js';
import type { GatewaySocket } from './gateway-socket.js';
import type { LocalNode } from './local-node.js';

/**
 * Liveness for every socket of a node from one timer (not one per socket).
 *
 * Each sweep, a socket that showed a sign of life since the previous sweep starts over; one that didn't counts a
 * miss, and at `maxMissed` misses it is terminated. Every socket that stays gets a protocol ping, which browsers
 * answer on their own. Signs of life: any inbound byte (`ws.bytesReceived` moved, even mid-message), any message,
 * ping or pong (the gateway sets `socket.alive`), a `drain`
 * (the peer is reading), or a smaller `bufferedAmount` than at the last sweep (same reason).
 *
 * Timing: a socket silent since time t is terminated at the (maxMissed + 1)-th sweep after t, so within
 * interval × (maxMissed + 1) of its last sign of life.
 *
 * A full send buffer changes nothing: pings are control frames that the server never drops (they queue behind the
 * data), a peer that still talks to us is alive whatever its buffer holds, and `terminate()` destroys the TCP
 * connection without waiting for the buffer (workerman#21: a heartbeat that only writes can't kill a stuck peer).
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly node: LocalNode,
    private readonly interval: number,
    private readonly maxMissed: number,
    private readonly onDead: (socket: GatewaySocket) => void,
  ) {}

  start(): void {
    if (this.timer !== null) return;
    this.timer = setInterval(sweepNow, this.interval, this);
    // The server keeps the process alive; the heartbeat shouldn't on its own.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
  }

  /** One pass over every socket (exposed for tests and for callers that want to sweep now). */
  sweep(): void {
    for (const socket of this.node.values()) {
      const ws = socket.ws;
      if (ws === null || ws.readyState !== ReadyState.OPEN) continue; // closing: the server's close timer owns it
      const buffered = ws.bufferedAmount;
      const received = ws.bytesReceived;
      if (socket.alive || received !== socket.lastReceived || buffered < socket.lastBuffered) {
        socket.alive = false;
        socket.missed = 0;
      } else if (++socket.missed >= this.maxMissed) {
        this.onDead(socket);
        continue;
      }
      socket.lastBuffered = buffered;
      socket.lastReceived = received;
      ws.ping();
    }
  }
}

function sweepNow(heartbeat: Heartbeat): void {
  heartbeat.sweep();
}
