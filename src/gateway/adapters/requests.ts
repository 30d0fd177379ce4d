import { AdapterUnavailableError } from './errors.js';

/*
 * Correlation of replies with the requests and fan-out sends that wait for them. A request waits for one reply; a
 * fan-out send waits for one acknowledgement per node that received it — a number Redis tells the sender only when
 * PUBLISH returns, which may be after the first acknowledgements arrived, hence `expect()`.
 */

export class Waiter {
  private expected: number | null = null;
  private received = 0;
  private sum = 0;
  private value: unknown = undefined;
  /** Who answered so far (named in the timeout error). */
  private readonly from: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private done = false;
  private resolveFn!: (value: unknown) => void;
  private rejectFn!: (error: AdapterUnavailableError) => void;
  readonly promise: Promise<unknown>;

  constructor(
    private readonly table: WaiterTable,
    readonly id: number,
    /** Acknowledgements are summed (fan-out) or the first reply is the value (request). */
    private readonly mode: 'sum' | 'reply',
    /** Sockets already written to locally, reported in errors. */
    private readonly local: number,
  ) {
    this.promise = new Promise((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    // The caller may not await it yet (it awaits the PUBLISH first): never an unhandled rejection.
    this.promise.catch(() => undefined);
  }

  /** How many replies to wait for (what PUBLISH returned), then at most `timeout` ms. */
  expect(count: number, timeout: number): Promise<unknown> {
    if (this.done) return this.promise;
    this.expected = count;
    if (this.received >= count) {
      this.finish();
    } else {
      this.timer = setTimeout(() => {
        const what = this.mode === 'sum' ? `${this.received} of ${count} acknowledgements (from ${this.from.join(', ') || 'none'})` : 'no reply';
        this.fail(new AdapterUnavailableError(`${what} within ${timeout} ms`));
      }, timeout);
      this.timer.unref();
    }
    return this.promise;
  }

  /** A reply or acknowledgement arrived. */
  reply(value: unknown, from: string): void {
    if (this.done) return;
    this.received++;
    this.from.push(from);
    if (this.mode === 'sum') this.sum += typeof value === 'number' ? value : 0;
    else if (this.received === 1) this.value = value;
    if (this.expected !== null && this.received >= this.expected) this.finish();
  }

  /** Gives up: the error carries the sockets known to be written to (local + acknowledged). */
  fail(error: AdapterUnavailableError): void {
    if (this.done) return;
    this.settle();
    this.rejectFn(error.withDelivered(this.local + this.sum));
  }

  /** Forget it without settling (the caller handles the failure itself). */
  cancel(): void {
    if (this.done) return;
    this.settle();
    this.resolveFn(undefined);
  }

  private finish(): void {
    this.settle();
    this.resolveFn(this.mode === 'sum' ? this.sum : this.value);
  }

  private settle(): void {
    this.done = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.table.delete(this.id);
  }
}

export class WaiterTable {
  private readonly waiters = new Map<number, Waiter>();
  private sequence = 0;

  create(mode: 'sum' | 'reply', local = 0): Waiter {
    const id = ++this.sequence;
    const waiter = new Waiter(this, id, mode, local);
    this.waiters.set(id, waiter);
    return waiter;
  }

  /** The next message id (for messages nobody waits for). */
  nextId(): number {
    return ++this.sequence;
  }

  reply(id: number, value: unknown, from: string): void {
    this.waiters.get(id)?.reply(value, from);
  }

  delete(id: number): void {
    this.waiters.delete(id);
  }

  /** Fails every waiter (the connection that carries replies is gone). */
  failAll(error: AdapterUnavailableError): void {
    for (const waiter of [...this.waiters.values()]) waiter.fail(error);
  }

  get size(): number {
    return this.waiters.size;
  }
}
