// The WHATWG facade in tests: sockets closed by cleanupAll() and awaiting one event with a timeout.
import { WebSocket as FacadeWebSocket } from '../../src/server/whatwg.js';
import { onCleanup } from './servers.js';
import { withTimeout } from './wait.js';

/** A facade socket that `cleanupAll()` closes if the test left it open. */
export function open(url: string, protocols?: string | string[]): FacadeWebSocket {
  const ws = new FacadeWebSocket(url, protocols);
  onCleanup(() => {
    if (ws.readyState === FacadeWebSocket.OPEN) ws.close();
  });
  return ws;
}

/** The next `type` event of `target`, or a timeout error naming it. */
export function once<E extends Event>(target: EventTarget, type: string, timeout = 2_000): Promise<E> {
  return withTimeout(
    new Promise<E>((resolve) => target.addEventListener(type, (e) => resolve(e as E), { once: true })),
    timeout,
    `'${type}' event`,
  );
}

/** A facade socket once its `open` event fired. */
export async function opened(url: string, protocols?: string | string[]): Promise<FacadeWebSocket> {
  const ws = open(url, protocols);
  await once(ws, 'open');
  return ws;
}
