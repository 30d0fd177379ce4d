import { systemClock, type Clock, type ClockTimer } from './clock.js';

/** A timer from `gateway.every` / `gateway.after`. */
export interface TimerHandle {
  /** Stops the timer (idempotent). */
  cancel(): void;
  /** False once cancelled, after an `after` timer fired, or once the gateway closed. */
  readonly active: boolean;
}

type ErrorSink = (error: unknown) => void;

/**
 * Timers tied to the gateway's lifetime: all are cleared by `gateway.close()`. A callback that throws or rejects is
 * reported to the gateway's `error` event; an `every` timer keeps running.
 */
export class GatewayTimers {
  private readonly live = new Set<Timer>();
  private closed = false;

  constructor(
    private readonly onError: ErrorSink,
    /** The clock the timers run on (a fake one in tests). */
    readonly clock: Clock = systemClock,
  ) {}

  every(ms: number, fn: () => unknown): TimerHandle {
    return this.add(ms, fn, true);
  }

  after(ms: number, fn: () => unknown): TimerHandle {
    return this.add(ms, fn, false);
  }

  /** Cancels every timer; later `every`/`after` calls return inactive handles. */
  clear(): void {
    this.closed = true;
    for (const timer of this.live) timer.cancel();
  }

  get size(): number {
    return this.live.size;
  }

  private add(ms: number, fn: () => unknown, repeat: boolean): TimerHandle {
    if (!Number.isFinite(ms) || ms < 0) throw new TypeError(`timer delay must be a number >= 0, got ${ms}`);
    if (typeof fn !== 'function') throw new TypeError('timer callback must be a function');
    const timer = new Timer(this, fn, repeat);
    if (this.closed) return timer;
    this.live.add(timer);
    timer.start(ms);
    return timer;
  }

  /** @internal */ forget(timer: Timer): void {
    this.live.delete(timer);
  }

  /** @internal */ run(timer: Timer): void {
    if (!timer.repeat) this.live.delete(timer);
    try {
      const result = timer.fn();
      if (result instanceof Promise) result.catch(this.onError);
    } catch (error) {
      this.onError(error);
    }
  }
}

class Timer implements TimerHandle {
  private handle: ClockTimer | null = null;

  constructor(
    private readonly owner: GatewayTimers,
    readonly fn: () => unknown,
    readonly repeat: boolean,
  ) {}

  get active(): boolean {
    return this.handle !== null;
  }

  start(ms: number): void {
    const clock = this.owner.clock;
    this.handle = this.repeat ? clock.setInterval(fire, ms, this) : clock.setTimeout(fire, ms, this, null);
  }

  /** @internal */ fired(): void {
    if (!this.repeat) this.handle = null;
    this.owner.run(this);
  }

  cancel(): void {
    if (this.handle === null) return;
    this.owner.clock.clear(this.handle);
    this.handle = null;
    this.owner.forget(this);
  }
}

function fire(timer: Timer): void {
  timer.fired();
}
