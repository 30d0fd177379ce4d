import type { LeaseStore } from '../adapters/lease.js';
import type { Clock, ClockTimer } from './clock.js';
import type { TimerHandle } from './timer-handle.js';

/** Default `leaseTtl` of cluster-scoped timers: a dead leader's ticks resume elsewhere within this + one interval. */
export const DEFAULT_LEASE_TTL = 10_000;

/** `gateway.every(ms, fn, options)`. */
export interface EveryOptions {
  /**
   * `'node'` (default): runs on every node. `'cluster'`: runs on one node of the cluster at a time, the holder of a
   * lease in the adapter (a Redis key, the cluster primary); when that node dies another takes over within
   * `leaseTtl` + one interval, and never two nodes within one interval.
   *
   * @defaultValue `'node'`
   */
  scope?: 'node' | 'cluster';
  /**
   * The lease's name: the same on every node for the same timer. Default `every:<n>:<ms>`, n counting this
   * gateway's cluster timers in creation order (so give a name when nodes create them in different orders).
   *
   * @defaultValue `every:<n>:<ms>`
   */
  name?: string;
  /**
   * How long a leader's lease outlives its last renewal, in ms.
   *
   * @defaultValue `10_000` (`DEFAULT_LEASE_TTL`)
   */
  leaseTtl?: number;
}

/** What a cluster timer needs from the gateway. */
export interface ClusterTimerHost {
  readonly clock: Clock;
  /** The adapter's leases (null when the adapter has none). */
  readonly leases: LeaseStore | null;
  run(timer: ClusterTimer): void;
  forget(timer: ClusterTimer): void;
  /** Reports a lease error (once per outage, not per attempt). */
  onError(error: unknown): void;
}

/*
 * One cluster-scoped `every` timer. Every node tries to take or renew the lease every `renewEvery` ms (a fifth of
 * the TTL, at most one interval, at least 50 ms); only the holder ticks. Why no two nodes tick within one interval:
 *
 * - the holder ticks only while its last successful renewal was *sent* less than TTL / 2 ago, so its last tick
 *   comes at least TTL / 2 before the lease expires in the store (whose clock started later);
 * - a node that takes the lease over waits max(0, interval − TTL / 2) before its first tick.
 *
 * And the bound after a leader dies: its lease expires within TTL of its last renewal (at most renewEvery before
 * the death), a follower takes it within renewEvery after that, and ticks after the wait above: at most
 * TTL + renewEvery when interval ≤ TTL / 2, else interval + TTL / 2 + renewEvery — TTL + one interval either way.
 * Leading for TTL / 2 after a renewal also rides out event-loop stalls shorter than that without a handover.
 */
export class ClusterTimer implements TimerHandle {
  readonly renewEvery: number;
  private leaseTimer: ClockTimer | null = null;
  private tickTimer: ClockTimer | null = null;
  /** Until when this node may tick (local clock); 0 when it does not hold the lease. */
  private leadUntil = 0;
  private lastTick = 0;
  private cancelled = false;
  private failing = false;

  constructor(
    private readonly host: ClusterTimerHost,
    readonly fn: () => unknown,
    readonly interval: number,
    readonly name: string,
    readonly ttl: number,
  ) {
    this.renewEvery = Math.max(50, Math.min(Math.floor(ttl / 5), interval));
  }

  get active(): boolean {
    return !this.cancelled;
  }

  /** True while this node holds the lease and ticks. */
  get leading(): boolean {
    return this.leadUntil > this.host.clock.now();
  }

  start(): void {
    this.leaseTimer = this.host.clock.setTimeout(attempt, 0, this, null);
  }

  /** @internal One take-or-renew attempt; schedules the next. */
  attempt(): void {
    this.leaseTimer = null;
    if (this.cancelled) return;
    const leases = this.host.leases;
    const clock = this.host.clock;
    const sentAt = clock.now();
    const next = (): void => {
      if (this.cancelled) return;
      const wait = Math.max(0, sentAt + this.renewEvery - clock.now());
      this.leaseTimer = clock.setTimeout(attempt, wait, this, null);
    };
    if (leases === null) return;
    leases.lease(this.name, this.ttl).then(
      (held) => {
        this.failing = false;
        this.settled(held, sentAt);
        next();
      },
      (error: unknown) => {
        if (!this.failing) this.host.onError(error);
        this.failing = true;
        this.settled(false, sentAt);
        next();
      },
    );
  }

  private settled(held: boolean, sentAt: number): void {
    if (this.cancelled) {
      // Cancelled while the store granted it: give it back (after one interval: we never ticked, another may have).
      const leases = this.host.leases;
      if (held && leases !== null) leases.releaseLease(this.name, this.interval).catch(() => undefined);
      return;
    }
    const clock = this.host.clock;
    if (!held) {
      this.stopTicking();
      return;
    }
    const was = this.tickTimer !== null;
    this.leadUntil = sentAt + this.ttl / 2;
    if (was) return;
    // Taking over: the previous holder's last tick was at least TTL / 2 ago.
    const wait = Math.max(0, this.interval - this.ttl / 2);
    this.tickTimer = clock.setTimeout(firstTick, wait, this, null);
  }

  /** @internal */ tick(first: boolean): void {
    if (this.cancelled) return;
    const clock = this.host.clock;
    if (clock.now() >= this.leadUntil) {
      // No renewal for TTL / 2 (the store is unreachable, the event loop stalled): someone else may lead soon.
      this.stopTicking();
      return;
    }
    if (first) this.tickTimer = clock.setInterval(nextTick, this.interval, this);
    this.lastTick = clock.now();
    this.host.run(this);
  }

  private stopTicking(): void {
    this.leadUntil = 0;
    if (this.tickTimer !== null) this.host.clock.clear(this.tickTimer);
    this.tickTimer = null;
  }

  cancel(): void {
    if (this.cancelled) return;
    this.cancelled = true;
    const clock = this.host.clock;
    if (this.leaseTimer !== null) clock.clear(this.leaseTimer);
    this.leaseTimer = null;
    const leading = this.tickTimer !== null;
    this.stopTicking();
    this.host.forget(this);
    // Hand over: the lease frees when our next tick would have been due, not before (one tick per interval).
    if (leading && this.host.leases !== null) {
      const after = this.lastTick === 0 ? this.interval : this.lastTick + this.interval - clock.now();
      this.host.leases.releaseLease(this.name, Math.max(0, after)).catch(() => undefined);
    }
  }
}

function attempt(timer: ClusterTimer): void {
  timer.attempt();
}

function firstTick(timer: ClusterTimer): void {
  timer.tick(true);
}

function nextTick(timer: ClusterTimer): void {
  timer.tick(false);
}
