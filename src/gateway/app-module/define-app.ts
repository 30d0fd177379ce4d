import type { IncomingMessage } from 'node:http';
import type { GatewayApi, RouteHandler } from '../core/gateway-api.js';
import type { GatewayMessage } from '../core/events.js';
import type { GatewaySocket } from '../core/gateway-socket.js';
import type { GatewayOptions } from '../core/options.js';
import type { HttpRouteHandler } from '../http/router.js';

/**
 * An application for `wsgate serve ./app.js`: the module default-exports `defineApp({...})`. What GatewayWorker
 * spreads over `start_gateway.php` (options) and `Events.php` (handlers), and GMWebSockets over its config and HTTP
 * API, in one object. The same module runs on one process, under `--workers N` and on several `--redis` nodes: keep
 * state in the gateway (uids, groups, sessions), not in module variables, when it must be seen by every node.
 */
export interface AppDefinition {
  /**
   * Gateway options the app needs (`authenticate`, `heartbeat`, `rateLimit`, ...). The command line, environment
   * and config file override them (docs/cli.md); `server` and `adapter` belong to `wsgate serve` and are not taken.
   */
  config?: AppConfig;
  /** Socket lifecycle handlers (GatewayWorker's `onConnect` / `onMessage` / `onClose`). */
  events?: AppEvents;
  /** JSON routes: `{ 'chat.send': ({ socket, data, gateway }) => reply }` (see `gateway.route`). */
  routes?: Readonly<Record<string, RouteHandler>>;
  /**
   * The app's push API, behind the API key: `{ 'POST /notify': (ctx) => result }` answers `POST /api/notify` to
   * requests with `Authorization: Bearer <apiKey>` (401 otherwise). Without an API key these routes are not served.
   */
  api?: Readonly<Record<string, HttpRouteHandler>>;
  /** Public HTTP routes on the gateway's port: `{ 'GET /hello/:name': ({ params }) => ({ hi: params.name }) }`. */
  http?: Readonly<Record<string, HttpRouteHandler>>;
  /** Named timers: `{ tick: { every: 1000, run: (gateway) => ... } }`, stopped when the gateway closes. */
  timers?: Readonly<Record<string, AppTimer>>;
  /** Anything else, once the gateway listens (add listeners, routes, timers...). A throw stops `wsgate serve`. */
  setup?: (gateway: GatewayApi) => unknown;
}

/** The gateway options an app may set (everything but the process-level `server` and `adapter`). */
export type AppConfig = Omit<GatewayOptions, 'server' | 'adapter'>;

/**
 * Lifecycle handlers; each also gets the gateway. A handler that throws or rejects is reported (the `error` handler,
 * the gateway's `error` event, stderr under `wsgate serve`): the socket and the process go on.
 */
export interface AppEvents {
  /** A socket opened (the gateway's `connect` event). */
  connect?: (socket: GatewaySocket, req: IncomingMessage, gateway: GatewayApi) => unknown;
  /** Every valid envelope (JSON mode) or message (raw mode), before routing (the gateway's `message` event). */
  message?: (socket: GatewaySocket, message: GatewayMessage, gateway: GatewayApi) => unknown;
  /** A socket is gone (the gateway's `close` event). */
  close?: (socket: GatewaySocket, code: number, reason: string, gateway: GatewayApi) => unknown;
  /** Something failed that no client should see, this app's handlers included (the gateway's `error` event). */
  error?: (error: unknown, socket: GatewaySocket | null, gateway: GatewayApi) => unknown;
}

/** One of an app's named timers. */
export interface AppTimer {
  /** Period in ms. */
  every: number;
  /** Runs every `every` ms until the gateway closes; a throw or rejection is reported, the timer goes on. */
  run: (gateway: GatewayApi) => unknown;
  /**
   * `'node'`: runs in every gateway process. `'cluster'`: runs in one process of the deployment at a time (with
   * `--workers` or `--redis`), as `gateway.every(ms, fn, { scope: 'cluster' })` does; its lease is named
   * `app:<timer name>`, so every node agrees on it.
   *
   * @defaultValue `'node'`
   */
  scope?: 'node' | 'cluster';
}

/** Declares an app module's default export. Returns `app` unchanged: it exists for the types (and reads well). */
export function defineApp<const A extends AppDefinition>(app: A): A {
  return app;
}
