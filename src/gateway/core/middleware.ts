import type { MessageMiddleware, RouteContext } from './gateway-api.js';

/**
 * Runs `chain[from..]` over one message: `pass()` once every middleware returned or resolved, `stop(error)` at the
 * first that threw or rejected (the rest don't run). Synchronous middleware cost no promise.
 */
export function runMiddleware(
  chain: readonly MessageMiddleware[],
  ctx: RouteContext,
  pass: () => void,
  stop: (error: unknown) => void,
  from = 0,
): void {
  for (let i = from; i < chain.length; i++) {
    let result: unknown;
    try {
      result = chain[i]!(ctx);
    } catch (error) {
      return stop(error);
    }
    if (isThenable(result)) {
      result.then(() => runMiddleware(chain, ctx, pass, stop, i + 1), stop);
      return;
    }
  }
  pass();
}

export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
