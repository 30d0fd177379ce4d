import { WebSocketArgumentError } from './errors.js';
import { DEFAULT_LIMITS } from './limits.js';

/**
 * Bytes held for unfinished incoming messages (received or inflated, not yet delivered), counted across every
 * connection that shares the budget. Without it the worst case is `maxMessageSize` × connections: 20 peers each
 * holding 15 MiB of a message they never finish, or a few hundred KiB of deflate stream that inflates to the limit on
 * every connection.
 *
 * A `Connection` reserves what it holds for a message still in progress each time it has consumed a chunk, and
 * releases it when the message is delivered or the connection fails or ends. A connection whose reservation does not
 * fit closes with 1013 (Try Again Later): the process is short of memory for messages, which is no fault of that
 * peer's. Single-threaded: no locking, just a counter.
 */
export class MessageBudget {
  /** Most bytes that may be reserved at once. */
  readonly limit: number;
  private used = 0;

  constructor(limit: number = DEFAULT_LIMITS.messageBudget) {
    if (!(limit >= 0)) throw new WebSocketArgumentError(`message budget must be a number of bytes ≥ 0, got ${limit}`);
    this.limit = limit;
  }

  /** Bytes reserved right now. */
  get reserved(): number {
    return this.used;
  }

  /** Reserves `bytes` if they fit under the limit; returns false (reserving nothing) if they don't. */
  tryReserve(bytes: number): boolean {
    if (this.used + bytes > this.limit) return false;
    this.used += bytes;
    return true;
  }

  /** Gives back bytes reserved earlier. */
  release(bytes: number): void {
    this.used -= bytes;
    // A release larger than what is reserved is a bug of the caller's; never let it turn into headroom.
    if (this.used < 0) this.used = 0;
  }
}

let processBudget: MessageBudget | null = null;

/**
 * The budget every socket of the process shares unless given its own: `DEFAULT_LIMITS.messageBudget` bytes. Created
 * on first use.
 */
export function processMessageBudget(): MessageBudget {
  return (processBudget ??= new MessageBudget());
}
