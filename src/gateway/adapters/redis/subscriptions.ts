import { withTimeout } from './timeout.js';
import type { RedisLink } from './client.js';

/**
 * The channels this node listens on (its own node channel, `all`, and each group's channel while it has members
 * there), kept in step with Redis on the subscriber connection: operations on one channel run one after the other;
 * after a reconnection every wanted channel is subscribed again.
 */
export class Subscriptions {
  private readonly wanted = new Set<string>();
  private readonly applied = new Set<string>();
  private readonly ops = new Map<string, Promise<void>>();

  constructor(
    private readonly link: () => RedisLink | null,
    private readonly timeout: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Wants `channel` from the next `resubscribe()` on (before the first one: nothing to apply yet). */
  add(channel: string): void {
    this.wanted.add(channel);
  }

  /** Wants `channel` (or not); resolves once Redis agrees (or the attempt failed and was reported). */
  want(channel: string, wanted: boolean): Promise<void> {
    if (wanted) this.wanted.add(channel);
    else this.wanted.delete(channel);
    const previous = this.ops.get(channel) ?? Promise.resolve();
    const next = previous.then(() => this.apply(channel));
    this.ops.set(channel, next);
    const forget = (): void => {
      if (this.ops.get(channel) === next) this.ops.delete(channel);
    };
    next.then(forget, forget);
    return next;
  }

  private async apply(channel: string): Promise<void> {
    const sub = this.link();
    if (sub === null || !sub.ready) return; // redone by resubscribe() when the connection is back
    const want = this.wanted.has(channel);
    if (want === this.applied.has(channel)) return;
    try {
      if (want) {
        await withTimeout(sub.subscribe(channel), this.timeout, 'SUBSCRIBE timed out');
        this.applied.add(channel);
      } else {
        this.applied.delete(channel);
        await withTimeout(sub.unsubscribe(channel), this.timeout, 'UNSUBSCRIBE timed out');
      }
    } catch (error) {
      this.onError(error);
    }
  }

  /** (Re)subscribes every wanted channel and drops the others. Resolves to true when all are subscribed. */
  async resubscribe(): Promise<boolean> {
    const sub = this.link();
    if (sub === null || !sub.ready) return false;
    const ops: Promise<unknown>[] = [];
    for (const channel of this.wanted) ops.push(sub.subscribe(channel));
    for (const channel of this.applied) if (!this.wanted.has(channel)) ops.push(sub.unsubscribe(channel));
    this.applied.clear();
    for (const channel of this.wanted) this.applied.add(channel);
    await withTimeout(Promise.all(ops), this.timeout, 're-subscribing timed out');
    return sub.ready;
  }
}
