/**
 * A cluster-aware operation could not reach the other nodes: the transport (Redis, the cluster primary) is down or
 * did not answer in time. Sends reject with it *after* delivering to this node's own sockets, so `delivered` says
 * how many sockets are known to have the message (this node's, plus nodes that confirmed before the failure).
 */
export class AdapterUnavailableError extends Error {
  /** `'AdapterUnavailableError'` */
  override readonly name = 'AdapterUnavailableError';
  /** Sockets known to have been written to before the failure (0 for queries and non-send commands). */
  readonly delivered: number;

  constructor(message: string, options?: { delivered?: number; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.delivered = options?.delivered ?? 0;
  }

  /** The same failure, with `delivered` sockets known to have the message. */
  withDelivered(delivered: number): AdapterUnavailableError {
    return new AdapterUnavailableError(this.message, { delivered, cause: this.cause });
  }
}
