import type { GatewayApi } from '../core/gateway-api.js';
import { MAX_LEASE_NAME_LENGTH } from '../adapters/lease.js';
import type { GatewaySocket } from '../core/gateway-socket.js';
import type { GatewayHttp } from '../http/gateway-http.js';
import type { AppDefinition, AppEvents } from './define-app.js';

const APP_KEYS = ['config', 'events', 'routes', 'api', 'http', 'timers', 'setup'] as const;
const EVENT_NAMES = ['connect', 'message', 'close', 'error'] as const;
const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/** An app module's export is not an app: says which key is wrong. */
export class AppDefinitionError extends TypeError {
  override readonly name = 'AppDefinitionError';
}

/**
 * Checks an app module's default export (plain JavaScript modules skip the types) and returns it typed. Every key and
 * handler is checked here, before the gateway starts, so a typo is a one-line error and not a route that never runs.
 */
export function checkApp(value: unknown): AppDefinition {
  if (!isRecord(value)) throw new AppDefinitionError('the module must default-export defineApp({ ... }) (an object)');
  for (const key of Object.keys(value)) {
    if (!(APP_KEYS as readonly string[]).includes(key))
      throw new AppDefinitionError(`unknown app key "${key}" (app keys: ${APP_KEYS.join(', ')})`);
  }
  if (value.config !== undefined && !isRecord(value.config)) throw new AppDefinitionError('config must be an object');
  if (value.setup !== undefined && typeof value.setup !== 'function')
    throw new AppDefinitionError('setup must be a function');
  const events = recordOf(value, 'events');
  for (const [name, handler] of Object.entries(events)) {
    if (!(EVENT_NAMES as readonly string[]).includes(name))
      throw new AppDefinitionError(`unknown event "events.${name}" (events: ${EVENT_NAMES.join(', ')})`);
    functionAt(handler, `events.${name}`);
  }
  for (const [type, handler] of Object.entries(recordOf(value, 'routes'))) functionAt(handler, `routes["${type}"]`);
  for (const key of ['api', 'http'] as const) {
    for (const [route, handler] of Object.entries(recordOf(value, key))) {
      splitHttpRoute(route, key);
      functionAt(handler, `${key}["${route}"]`);
    }
  }
  for (const [name, timer] of Object.entries(recordOf(value, 'timers'))) {
    if (!isRecord(timer)) throw new AppDefinitionError(`timers.${name} must be { every: ms, run: (gateway) => ... }`);
    if (typeof timer.every !== 'number' || !(timer.every > 0) || !Number.isFinite(timer.every))
      throw new AppDefinitionError(`timers.${name}.every must be a positive number of ms`);
    functionAt(timer.run, `timers.${name}.run`);
    if (timer.scope !== undefined && timer.scope !== 'node' && timer.scope !== 'cluster')
      throw new AppDefinitionError(`timers.${name}.scope must be "node" or "cluster"`);
    // The lease name `app:<name>` must fit a lease (lease.ts); a name this long is a mistake anyway.
    if (timer.scope === 'cluster' && name.length > MAX_LEASE_NAME_LENGTH - 4)
      throw new AppDefinitionError(
        `timers: a cluster timer's name may have at most ${MAX_LEASE_NAME_LENGTH - 4} characters`,
      );
  }
  return value as AppDefinition;
}

/** Where an app's errors go that the gateway's `error` event does not carry (rejected event handlers). */
export type AppErrorSink = (error: unknown, socket: GatewaySocket | null) => void;

/**
 * Wires an app into a started gateway: event handlers, JSON routes, HTTP routes (`api` under the API prefix, only
 * with an API key; `http` public) and timers. Call right after `createGateway` resolves, in the same tick, so no
 * socket can connect before the handlers are in place. Returns what was not installed and why (for the log).
 */
export function installApp(
  gateway: GatewayApi,
  web: GatewayHttp | null,
  app: AppDefinition,
  apiPrefix: string,
  onError: AppErrorSink,
): string[] {
  const skipped: string[] = [];
  const events: AppEvents = app.events ?? {};
  // The gateway's `error` event reaches the host by its own listener; the app's `error` handler is one more (guarded).
  const toApp: AppErrorSink = (error, socket) => {
    if (events.error === undefined) return;
    try {
      const result = events.error(error, socket, gateway);
      if (isThenable(result)) result.then(undefined, (inner: unknown) => onError(inner, socket));
    } catch (inner) {
      onError(inner, socket);
    }
  };
  gateway.on('error', toApp);
  const report: AppErrorSink = (error, socket) => {
    onError(error, socket);
    toApp(error, socket);
  };
  // A synchronous throw is caught by the gateway's emitter (→ `error`); a rejected promise is caught here.
  const settle = (result: unknown, socket: GatewaySocket): void => {
    if (isThenable(result)) result.then(undefined, (error: unknown) => report(error, socket));
  };
  const { connect, message, close } = events;
  if (connect !== undefined) gateway.on('connect', (socket, req) => settle(connect(socket, req, gateway), socket));
  if (message !== undefined) gateway.on('message', (socket, msg) => settle(message(socket, msg, gateway), socket));
  if (close !== undefined)
    gateway.on('close', (socket, code, reason) => settle(close(socket, code, reason, gateway), socket));

  for (const [type, handler] of Object.entries(app.routes ?? {})) gateway.route(type, handler);

  const httpRoutes = Object.entries(app.http ?? {});
  const apiRoutes = Object.entries(app.api ?? {});
  if (web === null) {
    if (httpRoutes.length + apiRoutes.length > 0) skipped.push('http and api routes (the HTTP routes are off)');
  } else {
    for (const [route, handler] of httpRoutes) {
      const { method, path } = splitHttpRoute(route, 'http');
      web.route(method, path, handler);
    }
    if (gateway.options.apiKey === undefined) {
      // Without a key the API prefix is open to user routes: an app's push API must never be served unauthenticated.
      if (apiRoutes.length > 0) skipped.push('api routes (no API key: pass --api-key or set WSGATE_API_KEY)');
    } else {
      for (const [route, handler] of apiRoutes) {
        const { method, path } = splitHttpRoute(route, 'api');
        web.route(method, path === '/' ? apiPrefix : `${apiPrefix}${path}`, handler);
      }
    }
  }

  for (const [name, timer] of Object.entries(app.timers ?? {})) {
    const run = (): unknown => timer.run(gateway);
    if (timer.scope === 'cluster') gateway.every(timer.every, run, { scope: 'cluster', name: `app:${name}` });
    else gateway.every(timer.every, run);
  }
  return skipped;
}

/** `'POST /notify'` → `{ method: 'POST', path: '/notify' }`. */
function splitHttpRoute(route: string, key: string): { method: string; path: string } {
  const match = /^([A-Z]+) +(\/\S*)$/.exec(route);
  if (match === null || !(HTTP_METHODS as readonly string[]).includes(match[1]!))
    throw new AppDefinitionError(
      `${key}["${route}"]: a route is "METHOD /path" with METHOD one of ${HTTP_METHODS.join(', ')}`,
    );
  return { method: match[1]!, path: match[2]! };
}

function recordOf(app: Record<string, unknown>, key: string): Record<string, unknown> {
  const value = app[key];
  if (value === undefined) return {};
  if (!isRecord(value)) throw new AppDefinitionError(`${key} must be an object`);
  return value;
}

function functionAt(value: unknown, where: string): void {
  if (typeof value !== 'function') throw new AppDefinitionError(`${where} must be a function`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
