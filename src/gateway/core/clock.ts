/** A timer from a `Clock`; `unref` (when present) lets the process exit while it is pending. */
export interface ClockTimer {
  unref?(): unknown;
}

/**
 * Time as the gateway core sees it. Every timer of the core (heartbeat sweep, auth deadline, rate-limit windows,
 * `gateway.every`/`after`) goes through one, so tests drive them with a fake clock instead of waiting. Callbacks take
 * their arguments explicitly so that callers pass shared functions, not a closure per socket.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  setTimeout<A, B>(callback: (a: A, b: B) => void, ms: number, a: A, b: B): ClockTimer;
  setInterval<A>(callback: (a: A) => void, ms: number, a: A): ClockTimer;
  /** Cancels a timer of this clock (either kind); idempotent. */
  clear(timer: ClockTimer): void;
}

/** Node's timers and `Date.now()`. */
export const systemClock: Clock = {
  now: Date.now,
  setTimeout: (callback, ms, a, b) => setTimeout(callback, ms, a, b),
  setInterval: (callback, ms, a) => setInterval(callback, ms, a),
  clear: (timer) => clearTimeout(timer as NodeJS.Timeout),
};
