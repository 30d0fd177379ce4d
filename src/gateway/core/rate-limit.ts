import type { GatewaySocket } from './gateway-socket.js';

/** Outcome of counting one message against a socket's rate limit. */
export const RateVerdict = {
  /** Within the limit. */
  Ok: 0,
  /** The first message over the limit in this window. */
  FirstOver: 1,
  /** Further messages over the limit in this window. */
  Over: 2,
} as const;
export type RateVerdict = (typeof RateVerdict)[keyof typeof RateVerdict];

/**
 * Fixed-window counter kept on the socket itself (two numbers, no timer): at most `messages` per `interval` ms,
 * the window starting with the first message after the previous one ended. The only writer of the socket's
 * `windowStart`/`windowCount`.
 */
export function countMessage(socket: GatewaySocket, messages: number, interval: number, now: number): RateVerdict {
  if (now - socket.windowStart >= interval) {
    socket.windowStart = now;
    socket.windowCount = 0;
  }
  const count = ++socket.windowCount;
  if (count <= messages) return RateVerdict.Ok;
  return count === Math.floor(messages) + 1 ? RateVerdict.FirstOver : RateVerdict.Over;
}
