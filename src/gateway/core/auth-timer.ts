import { systemClock, type Clock } from './clock.js';
import type { GatewaySocket } from './gateway-socket.js';
import { OPEN } from './transport.js';

/**
 * In-band auth: a socket that has not bound a uid within `timeout` ms of opening is handed to `onExpired` (the
 * gateway closes it with 4001). The only writer of the sockets' `authTimer`; one shared callback, no closure per
 * socket, and no timer at all for sockets bound at the upgrade or when the timeout is 0.
 */
export class AuthTimer {
  constructor(
    private readonly timeout: number,
    private readonly onExpired: (socket: GatewaySocket) => void,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Starts the deadline of a socket that just opened without a uid. */
  start(socket: GatewaySocket): void {
    if (this.timeout <= 0 || socket.boundUid !== null || socket.authTimer !== null) return;
    const timer = this.clock.setTimeout(expire, this.timeout, this, socket);
    timer.unref?.();
    socket.authTimer = timer;
  }

  /** Stops the deadline (the socket bound a uid, closed, or the gateway shuts down). */
  clear(socket: GatewaySocket): void {
    if (socket.authTimer === null) return;
    this.clock.clear(socket.authTimer);
    socket.authTimer = null;
  }

  /** @internal */ fired(socket: GatewaySocket): void {
    socket.authTimer = null;
    if (socket.boundUid !== null || socket.transport === null || socket.transport.readyState !== OPEN) return;
    this.onExpired(socket);
  }
}

function expire(timers: AuthTimer, socket: GatewaySocket): void {
  timers.fired(socket);
}
