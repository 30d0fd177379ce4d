// Bounded waiting for the integration tests: every wait has a timeout, so a broken server fails a test instead of
// hanging it.
import { createServer as createNetServer } from 'node:net';

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` every few ms; rejects with `what` in the message after `timeout` ms. */
export async function waitFor(predicate: () => boolean, timeout = 2_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!predicate()) {
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await delay(5);
  }
}

/** `promise`, or a rejection naming `what` after `timeout` ms. */
export function withTimeout<T>(promise: Promise<T>, timeout: number, what = 'promise'): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out after ${timeout} ms waiting for ${what}`)), timeout);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/** A TCP port that was free a moment ago on 127.0.0.1 (prefer `port: 0` where the API allows it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
