import type { LeaseStore } from '../adapters/lease.js';
import { systemClock, type Clock, type ClockTimer } from './clock.js';
import { ClusterTimer, DEFAULT_LEASE_TTL, type EveryOptions } from './cluster-timer.js';

import type { TimerHandle } from './timer-handle.js';

export type { TimerHandle } from './timer-handle.js';

type ErrorSink = (error: unknown) => void;

/**
 * Timers tied to the gateway's lifetime: all are cleared by `gateway.close()`. A callback that throws or rejects is
 * reported to the gateway's `error` event; an `every` timer keeps running.
 */
export class GatewayTimers {
  private readonly live = new Set<Timer | ClusterTimer>();
  private closed = false;
  /** Cluster timers created so far (their default lease names). */
  private clusterTimers = 0;

  constructor(
    private readonly onErrorSink: ErrorSink,
    /** The clock the timers run on (a fake one in tests). */
    readonly clock: Clock = systemClock,
    /** The adapter's leader leases, for cluster-scoped timers (null: the adapter has none). */
    readonly leases: LeaseStore | null = null,
  ) {}

  every(ms: number, fn: () => unknown, options?: EveryOptions): TimerHandle {
    if (options?.scope === 'cluster') return this.everyInCluster(ms, fn, options);
    if (options?.scope !== undefined && options.scope !== 'node')
      throw new TypeError(`timer scope must be 'node' or 'cluster', got ${String(options.scope)}`);
    return this.add(ms, fn, true);
  }

  private everyInCluster(ms: number, fn: () => unknown, options: EveryOptions): TimerHandle {
    if (!Number.isFinite(ms) || ms <= 0) throw new TypeError(`timer interval must be a number > 0, got ${ms}`);
    if (typeof fn !== 'function') throw new TypeError('timer callback must be a function');
    if (this.leases === null)
      throw new TypeError("this gateway's adapter has no leases (lease/releaseLease): scope 'cluster' needs them");
    const ttl = options.leaseTtl ?? DEFAULT_LEASE_TTL;
    if (!Number.isSafeInteger(ttl) || ttl <= 0) throw new TypeError(`leaseTtl must be a positive integer, got ${ttl}`);
    const name = options.name ?? `every:${++this.clusterTimers}:${ms}`;
    if (name.length === 0 || name.length > 256) throw new TypeError('timer name must be 1..256 characters');
    const timer = new ClusterTimer(this, fn, ms, name, ttl);
    if (this.closed) {
      timer.cancel();
      return timer;
    }
    this.live.add(timer);
    timer.start();
    return timer;
  }

  /** @internal */ onError(error: unknown): void {
    this.onErrorSink(error);
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

  /** @internal */ forget(timer: Timer | ClusterTimer): void {
    this.live.delete(timer);
  }

  /** @internal */ run(timer: Timer | ClusterTimer): void {
    if (timer instanceof Timer && !timer.repeat) this.live.delete(timer);
    try {
      const result = timer.fn();
      if (result instanceof Promise) result.catch(this.onErrorSink);
    } catch (error) {
      this.onErrorSink(error);
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
