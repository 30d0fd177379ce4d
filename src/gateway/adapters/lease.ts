/*
 * Leader leases: how `gateway.every(ms, fn, { scope: 'cluster' })` runs on one node at a time. A lease is a named
 * slot held by one node until its TTL runs out; the holder renews it before then. The store that keeps it is the
 * adapter's: a Redis key with a TTL (`SET NX PX`, renewed by a compare-and-renew script), the cluster primary's
 * table, or nothing at all for the one-node memory adapter (always the holder).
 */

/** What an adapter implements to elect a leader per name (optional in `Adapter`). */
export interface LeaseStore {
  /**
   * Takes lease `name` for `ttl` ms if nobody holds it (or it expired), or renews it if this node holds it.
   * Resolves true when this node holds it now. Rejects when the store can't be reached (not the holder, then).
   */
  lease(name: string, ttl: number): Promise<boolean>;
  /**
   * Gives lease `name` up if this node holds it: it expires `after` ms from now (0: at once), so that another node
   * takes over no sooner than that. Never rejects.
   */
  releaseLease(name: string, after: number): Promise<void>;
}

/** Longest lease name (it becomes part of a Redis key or an IPC message). */
export const MAX_LEASE_NAME_LENGTH = 256;

/** Throws a TypeError for a name or TTL a store must not get. */
export function checkLease(name: string, ttl: number): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_LEASE_NAME_LENGTH)
    throw new TypeError(`lease name must be a string of 1..${MAX_LEASE_NAME_LENGTH} characters`);
  if (!Number.isSafeInteger(ttl) || ttl <= 0) throw new TypeError(`lease ttl must be a positive integer, got ${ttl}`);
}

/**
 * Leases held in this process: the cluster primary's table (one per cluster). Expiry by the table's own clock;
 * `now` is injectable for tests.
 */
export class LeaseTable {
  private readonly held = new Map<string, { holder: string; expires: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Takes or renews `name` for `holder`; true when `holder` holds it now. */
  lease(name: string, holder: string, ttl: number): boolean {
    const now = this.now();
    const current = this.held.get(name);
    if (current !== undefined && current.holder !== holder && current.expires > now) return false;
    this.held.set(name, { holder, expires: now + ttl });
    this.sweep(now);
    return true;
  }

  /** `holder` gives `name` up: it expires `after` ms from now (if that is sooner). */
  release(name: string, holder: string, after: number): void {
    const current = this.held.get(name);
    if (current === undefined || current.holder !== holder) return;
    const expires = this.now() + Math.max(0, after);
    if (expires <= this.now()) this.held.delete(name);
    else current.expires = Math.min(current.expires, expires);
  }

  /** Who holds `name` now (null: nobody). */
  holder(name: string): string | null {
    const current = this.held.get(name);
    return current !== undefined && current.expires > this.now() ? current.holder : null;
  }

  get size(): number {
    return this.held.size;
  }

  /** Drops expired leases, so that the table holds at most the names in use (one per cluster timer). */
  private sweep(now: number): void {
    if (this.held.size < 64) return;
    for (const [name, lease] of this.held) if (lease.expires <= now) this.held.delete(name);
  }
}
