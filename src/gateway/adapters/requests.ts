import { AdapterUnavailableError } from './errors.js';

/*
 * Correlation of replies with the messages that wait for them — the only such table in the scale-out layer. A
 * message to one node waits for one reply (`first`); a fan-out waits for one acknowledgement per node it reached and
 * adds them up (`sum`: sockets written or removed) or merges them (`merge`: session snapshots).
 *
 * How many nodes a message reached is known only once the transport returns (Redis tells the sender when PUBLISH
 * returns, possibly after the first acknowledgements), hence `expect()`. A transport that knows *which* nodes it
 * reached passes their ids, so that a node that disappears (`nodeGone`) stops being waited for at once instead of
 * at the timeout.
 */

/** `gather`: like `merge`, but a timeout resolves to what arrived instead of rejecting (reports of live nodes). */
export type ReplyMode = 'first' | 'sum' | 'merge' | 'gather';

/** How far a message went: a number of nodes, or their ids. */
export type Reach = number | readonly string[];

export class Request {
  readonly promise: Promise<unknown>;
  private expected: number | null = null;
  /** Nodes still owing an answer, when the transport named them. */
  private owing: Set<string> | null = null;
  private received = 0;
  private value: unknown;
  /** Who answered so far (named in the timeout error). */
  private readonly from: string[] = [];
  private timer: NodeJS.Timeout | null = null;
  private done = false;
  private resolveFn!: (value: unknown) => void;
  private rejectFn!: (error: AdapterUnavailableError) => void;

  constructor(
    private readonly table: Requests,
    readonly id: number,
    private readonly mode: ReplyMode,
    /** Sockets already written to on this node, reported in errors. */
    private readonly local: number,
    /** The value when nobody answers (`first`: the absent result). */
    private readonly fallback: unknown,
  ) {
    this.value = mode === 'sum' ? 0 : mode === 'merge' || mode === 'gather' ? {} : fallback;
    this.promise = new Promise((resolve, reject) => {
      this.resolveFn = resolve;
      this.rejectFn = reject;
    });
    // The caller may not await it yet (it awaits the transport first): never an unhandled rejection.
    this.promise.catch(() => undefined);
  }

  /** How many (or which) nodes to wait for, then at most `timeout` ms. */
  expect(reach: Reach, timeout: number): Promise<unknown> {
    if (this.done) return this.promise;
    if (typeof reach === 'number') {
      this.expected = reach;
    } else {
      this.owing = new Set(reach);
      for (const node of this.from) this.owing.delete(node);
      this.expected = reach.length;
    }
    if (this.received >= this.expected) {
      this.finish();
    } else {
      this.timer = setTimeout(() => {
        if (this.mode === 'gather') return this.finish();
        const what =
          this.mode === 'first'
            ? 'no reply'
            : `${this.received} of ${this.expected} acknowledgements (from ${this.from.join(', ') || 'none'})`;
        this.fail(new AdapterUnavailableError(`${what} within ${timeout} ms`));
      }, timeout);
      this.timer.unref();
    }
    return this.promise;
  }

  /** A reply (or acknowledgement) from `node`; `counted` false for this node's own copy of a fan-out. */
  reply(value: unknown, node: string, counted = true): void {
    if (this.done) return;
    this.received++;
    this.from.push(node);
    this.owing?.delete(node);
    if (counted) {
      if (this.mode === 'sum') this.value = (this.value as number) + (typeof value === 'number' ? value : 0);
      else if (this.mode === 'merge' || this.mode === 'gather')
        Object.assign(this.value as object, typeof value === 'object' && value !== null ? value : {});
      else if (this.received === 1) this.value = value;
    }
    if (this.expected !== null && this.received >= this.expected) this.finish();
  }

  /** `node` is gone: if it still owed an answer, stop waiting for it (it counts as absent). */
  gone(node: string): void {
    if (this.owing?.has(node) === true) this.reply(this.fallback, node, false);
  }

  /** Gives up: the error carries the sockets known to be written to (local + acknowledged). */
  fail(error: AdapterUnavailableError): void {
    if (this.done) return;
    this.settle();
    this.rejectFn(error.withDelivered(this.local + (this.mode === 'sum' ? (this.value as number) : 0)));
  }

  /** Forgets it, resolving to what was gathered (nobody was reached, or the caller handles the failure itself). */
  cancel(): void {
    if (this.done) return;
    this.finish();
  }

  private finish(): void {
    this.settle();
    this.resolveFn(this.value);
  }

  private settle(): void {
    this.done = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.table.delete(this.id);
  }
}

export class Requests {
  private readonly open = new Map<number, Request>();
  private sequence = 0;

  create(mode: ReplyMode, local = 0, fallback: unknown = null): Request {
    const id = ++this.sequence;
    const request = new Request(this, id, mode, local, fallback);
    this.open.set(id, request);
    return request;
  }

  /** The next message id (for messages nobody waits for). */
  nextId(): number {
    return ++this.sequence;
  }

  reply(id: number, value: unknown, node: string, counted = true): void {
    this.open.get(id)?.reply(value, node, counted);
  }

  /** A node left: nobody waits for its answers any more. */
  gone(node: string): void {
    for (const request of [...this.open.values()]) request.gone(node);
  }

  delete(id: number): void {
    this.open.delete(id);
  }

  /** Fails every open request (the connection that carries replies is gone). */
  failAll(error: AdapterUnavailableError): void {
    for (const request of [...this.open.values()]) request.fail(error);
  }

  get size(): number {
    return this.open.size;
  }
}
