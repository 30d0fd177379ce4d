import type { IncomingMessage } from 'node:http';
import { ReadyState } from '../protocol/index.js';
import type { SocketHandlers, WsSocket } from './socket.js';

/**
 * The one error boundary between wsgate and user code (python-websockets' `asyncio/server.py` is the model: a
 * failing `process_request` becomes a 500, a failing handler a logged 1011). Every user hook of the server layer is
 * called through here, so a hook that throws — or returns a promise that rejects — can neither take the process
 * down (uncaught exception, unhandled rejection) nor leave a connection half-handled:
 * - before the 101 (`authorize`, `origins`, `protocols`, `createData`): `performUpgrade` answers 500 and reports
 *   the error to the server's `handshakeError(error, req)` hook;
 * - after it, `open` and `message` close the socket with 1011 (the reason on the wire stays generic); `close`,
 *   `drain`, `ping` and `pong` only report. The socket's `error` handler gets every such error.
 * An error with nowhere to go (no `error`/`handshakeError` hook, or that hook failing too) becomes a process
 * warning (`process.emitWarning`): visible on stderr and to `process.on('warning')`, never a crash.
 */

/** Close code and reason sent when `open` or `message` fails (RFC 6455 §7.4.1: 1011, unexpected condition). */
const HOOK_FAILED_CODE = 1011;
const HOOK_FAILED_REASON = 'internal error';

/** Reports a failure of a pre-101 hook; the client has been (or is being) answered 500. */
export type HandshakeErrorHook = (error: Error, req: IncomingMessage) => void;

/** Guarded handlers per user handler object: one wrapper per server or shared client handler set, not per socket. */
const guarded = new WeakMap<object, SocketHandlers<never>>();

/**
 * Wraps `user` so that no hook's failure escapes. Cached per handler object: `connect()` calls that share a
 * handlers object (the WHATWG facade does) share one wrapper. Hooks the user did not define stay undefined, so
 * events nobody listens to cost nothing.
 */
export function guardHandlers<D>(user: SocketHandlers<D>): SocketHandlers<D> {
  const cached = guarded.get(user) as SocketHandlers<D> | undefined;
  if (cached !== undefined) return cached;
  const handlers: SocketHandlers<D> = {};
  const { error } = user;
  // `open` and `message` failing leave the socket unusable (1011); the others are only reported.
  handlers.open = guard(user, user.open, true);
  handlers.message = guard(user, user.message, true);
  handlers.close = guard(user, user.close, false);
  handlers.drain = guard(user, user.drain, false);
  handlers.ping = guard(user, user.ping, false);
  handlers.pong = guard(user, user.pong, false);
  // Peer and transport errors come through here too: the user's `error` hook is the last stop, so its own failure
  // can only be a warning.
  if (error !== undefined) handlers.error = (ws, e) => reportToSocket(ws, user, e);
  guarded.set(user, handlers as SocketHandlers<never>);
  return handlers;
}

/** Any socket hook: the socket first, then up to two event arguments (data and isBinary, code and reason, ...). */
type SocketHook<D> = (ws: WsSocket<D>, a: never, b: never) => unknown;

/**
 * One hook behind the boundary: a throw or a rejected promise is reported, and `fatal` closes the socket with 1011.
 * Undefined stays undefined, so an event nobody listens to costs nothing.
 */
function guard<D>(
  user: SocketHandlers<D>,
  hook: SocketHook<D> | undefined,
  fatal: boolean,
): ((ws: WsSocket<D>, a?: unknown, b?: unknown) => void) | undefined {
  if (hook === undefined) return undefined;
  const call = hook as (ws: WsSocket<D>, a: unknown, b: unknown) => unknown;
  return (ws, a, b) => {
    try {
      settle(call.call(user, ws, a, b), ws, user, fatal);
    } catch (e) {
      failSocket(ws, user, e, fatal);
    }
  };
}

/**
 * Calls a pre-101 hook's reporter: `handshakeError(error, req)` when given, else a process warning. Never throws.
 */
export function reportHandshakeError(hook: HandshakeErrorHook | undefined, error: unknown, req: IncomingMessage): void {
  const e = toError(error);
  if (hook === undefined) return warn(e);
  try {
    catchRejection(hook(e, req));
  } catch (failure) {
    warn(toError(failure));
  }
}

/** A non-Error throw (`throw 'x'`) still reaches the `error` hook as an Error, with the value as its `cause`. */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(`non-error thrown: ${String(value)}`, { cause: value });
}

/** A hook that returned a promise (an `async` hook): its rejection is a failure like a throw. */
function settle<D>(result: unknown, ws: WsSocket<D>, user: SocketHandlers<D>, fatal: boolean): void {
  if (!isThenable(result)) return;
  // A closure per async hook call only: synchronous hooks (the common case) allocate nothing here.
  result.then(undefined, (e: unknown) => failSocket(ws, user, e, fatal));
}

function failSocket<D>(ws: WsSocket<D>, user: SocketHandlers<D>, error: unknown, fatal: boolean): void {
  reportToSocket(ws, user, error);
  // `close` is a no-op once the socket is closing; it throws only for codes and reasons we don't use.
  if (fatal && ws.readyState === ReadyState.OPEN) ws.close(HOOK_FAILED_CODE, HOOK_FAILED_REASON);
}

function reportToSocket<D>(ws: WsSocket<D>, user: SocketHandlers<D>, error: unknown): void {
  const e = toError(error);
  if (user.error === undefined) return warn(e);
  try {
    catchRejection(user.error(ws, e));
  } catch (failure) {
    warn(toError(failure));
  }
}

function catchRejection(result: unknown): void {
  if (isThenable(result)) result.then(undefined, warnUnknown);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function warnUnknown(error: unknown): void {
  warn(toError(error));
}

function warn(error: Error): void {
  process.emitWarning(error);
}
