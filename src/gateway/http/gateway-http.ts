import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ErrorCode, GatewayError } from '../core/errors.js';
import type { GatewayApi, HttpHook } from '../core/gateway-api.js';
import type { GatewayHttpOptions } from './options.js';
import { addApiRoutes } from './api.js';
import { createBearerCheck } from './auth.js';
import { DEFAULT_MAX_BODY_SIZE, DEFAULT_MAX_JSON_DEPTH, readJson } from './body.js';
import { formatPrometheus, PROMETHEUS_CONTENT_TYPE } from './metrics.js';
import { HttpError, sendError, sendJson, sendText } from './respond.js';
import { Router, type HttpContext, type HttpRouteHandler, type RouteMatch } from './router.js';
import { demoPage, publicFile } from './static.js';
import { gatewayMetrics, statusBody } from './status.js';

/** Defaults of `GatewayHttpOptions`, in one place. */
export const DEFAULT_GATEWAY_HTTP_OPTIONS = {
  /** {@link GatewayHttpOptions.apiPrefix} */
  apiPrefix: '/api',
  /** {@link GatewayHttpOptions.maxBodySize} */
  maxBodySize: DEFAULT_MAX_BODY_SIZE,
  /** {@link GatewayHttpOptions.maxJsonDepth} */
  maxJsonDepth: DEFAULT_MAX_JSON_DEPTH,
  /** {@link GatewayHttpOptions.status} */
  status: true,
  /** {@link GatewayHttpOptions.metrics} */
  metrics: true,
  /** {@link GatewayHttpOptions.client} */
  client: true,
  /** {@link GatewayHttpOptions.demo} */
  demo: false,
  /** {@link GatewayHttpOptions.dashboard} */
  dashboard: false,
} as const;

/** The dashboard's paths: served only with `dashboard: true` and an API key (else they are unknown paths, 404). */
const DASHBOARD_PATHS: ReadonlySet<string> = new Set([
  '/dashboard',
  '/dashboard.js',
  '/dashboard.css',
  '/dashboard/stats',
]);

const CLIENT_CONTENT_TYPE = 'text/javascript; charset=utf-8';
const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';
const CSS_CONTENT_TYPE = 'text/css; charset=utf-8';
/**
 * The demo page loads only its own files (/demo.js, /demo.css, /wsgate.js) and talks only to its own origin. No inline
 * script or style, so an injection into the page could not run; no framing, so no clickjacking of its forms.
 */
const DEMO_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/** `frame-ancestors` for browsers that predate it. */
const DEMO_HEADERS = { 'Content-Security-Policy': DEMO_CSP, 'X-Frame-Options': 'DENY' } as const;

/**
 * The gateway's HTTP surface: `/status`, `/metrics`, the push API, `/wsgate.js`, the demo page and your own routes,
 * as one `HttpHook`. Use `installHttp(gateway)` (or pass `hook` as the gateway's `http` option).
 *
 * Your routes (`get`, `post`, `put`, `delete`) are tried before the built-in ones, so you may replace one. A path
 * nobody handles falls through to the gateway (404 JSON, or 426 on the WebSocket path).
 */
export class GatewayHttp {
  /** Pass to `createGateway({ http })` or `gateway.addHttpHandler`. */
  readonly hook: HttpHook;
  private readonly userRoutes = new Router<HttpRouteHandler>();
  private readonly builtins = new Router<HttpRouteHandler>();
  private readonly options: GatewayHttpOptions;
  private readonly apiPrefix: string;
  private readonly maxBodySize: number;
  private readonly maxJsonDepth: number;
  private apiCheck: { key: string; check: (authorization: string | undefined) => boolean } | null = null;
  private readonly dashboard: boolean;

  constructor(options: GatewayHttpOptions = {}) {
    const d = DEFAULT_GATEWAY_HTTP_OPTIONS;
    this.options = options;
    this.apiPrefix = options.apiPrefix ?? d.apiPrefix;
    if (!this.apiPrefix.startsWith('/') || this.apiPrefix.endsWith('/')) {
      throw new TypeError(`apiPrefix must start with "/" and not end with one: ${JSON.stringify(this.apiPrefix)}`);
    }
    this.maxBodySize = options.maxBodySize ?? d.maxBodySize;
    if (!(Number.isSafeInteger(this.maxBodySize) && this.maxBodySize > 0))
      throw new TypeError('maxBodySize must be a positive integer');
    this.maxJsonDepth = options.maxJsonDepth ?? d.maxJsonDepth;
    if (!(Number.isSafeInteger(this.maxJsonDepth) && this.maxJsonDepth > 0))
      throw new TypeError('maxJsonDepth must be a positive integer');
    if (options.apiKey !== undefined && options.apiKey !== '')
      this.apiCheck = { key: options.apiKey, check: createBearerCheck(options.apiKey) };

    const b = this.builtins;
    if (options.status ?? d.status)
      b.get('/status', async ({ gateway, req }) =>
        statusBody(await gateway.clusterStats(), this.keyHolder(req, gateway)),
      );
    if (options.metrics ?? d.metrics) {
      b.get('/metrics', async ({ gateway, req, res }) => {
        const metrics = gatewayMetrics(await gateway.clusterStats(), this.keyHolder(req, gateway));
        sendText(res, 200, formatPrometheus(metrics), PROMETHEUS_CONTENT_TYPE, { 'Cache-Control': 'no-store' });
      });
    }
    if (options.client ?? d.client) {
      b.get('/wsgate.js', ({ req, res }) => sendStatic(req, res, publicFile('wsgate-client.js'), CLIENT_CONTENT_TYPE));
      // Imported by /wsgate.js (`./wsgate-recovery.js`): the client's stream positions and recovery bookkeeping.
      b.get('/wsgate-recovery.js', ({ req, res }) =>
        sendStatic(req, res, publicFile('wsgate-recovery.js'), CLIENT_CONTENT_TYPE),
      );
    }
    if (options.demo ?? d.demo) {
      b.get('/', ({ req, res, gateway }) => {
        sendStatic(req, res, Buffer.from(demoPage(gateway.options.path)), HTML_CONTENT_TYPE, DEMO_HEADERS);
      });
      b.get('/demo.js', ({ req, res }) =>
        sendStatic(req, res, publicFile('demo.js'), CLIENT_CONTENT_TYPE, DEMO_HEADERS),
      );
      b.get('/demo.css', ({ req, res }) =>
        sendStatic(req, res, publicFile('demo.css'), CSS_CONTENT_TYPE, DEMO_HEADERS),
      );
    }
    this.dashboard = options.dashboard ?? d.dashboard;
    if (this.dashboard) {
      b.get('/dashboard', ({ req, res }) =>
        sendStatic(req, res, publicFile('dashboard.html'), HTML_CONTENT_TYPE, DEMO_HEADERS),
      );
      b.get('/dashboard.js', ({ req, res }) =>
        sendStatic(req, res, publicFile('dashboard.js'), CLIENT_CONTENT_TYPE, DEMO_HEADERS),
      );
      b.get('/dashboard.css', ({ req, res }) =>
        sendStatic(req, res, publicFile('dashboard.css'), CSS_CONTENT_TYPE, DEMO_HEADERS),
      );
      // What the page polls every second: /status as the key's holder sees it, and 401 for anyone else.
      b.get('/dashboard/stats', async ({ gateway, req }) => {
        if (!this.keyHolder(req, gateway)) throw unauthorized();
        return statusBody(await gateway.clusterStats(), true);
      });
    }
    addApiRoutes(b, this.apiPrefix);
    this.hook = (req, res, gateway) => this.handle(req, res, gateway);
  }

  /**
   * Adds a `GET` (and `HEAD`) route; `path` may have `:name` segments (`/users/:id`), found in `ctx.params`.
   *
   * @returns This, for chaining.
   */
  get(path: string, handler: HttpRouteHandler): this {
    this.userRoutes.get(path, handler);
    return this;
  }

  /** Adds a `POST` route (read the body with `await ctx.json()`); see `get` for `path`. */
  post(path: string, handler: HttpRouteHandler): this {
    this.userRoutes.post(path, handler);
    return this;
  }

  /** Adds a `PUT` route; see `get` for `path`. */
  put(path: string, handler: HttpRouteHandler): this {
    this.userRoutes.put(path, handler);
    return this;
  }

  /** Adds a `DELETE` route; see `get` for `path`. */
  delete(path: string, handler: HttpRouteHandler): this {
    this.userRoutes.delete(path, handler);
    return this;
  }

  /** A route for any method name (`PATCH`, ...). */
  route(method: string, path: string, handler: HttpRouteHandler): this {
    this.userRoutes.add(method, path, handler);
    return this;
  }

  /**
   * Answers `req` if one of our paths matches (true), else leaves it to the gateway (false). Client mistakes are
   * JSON 4xx; an unexpected error thrown by a route is rethrown for the gateway (500 JSON + its `error` event).
   */
  async handle(req: IncomingMessage, res: ServerResponse, gateway: GatewayApi): Promise<boolean> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const pathname = q === -1 ? url : url.slice(0, q);
    const method = req.method ?? 'GET';
    try {
      let builtins = true;
      if (pathname === this.apiPrefix || pathname.startsWith(`${this.apiPrefix}/`)) {
        const key = this.apiKeyFor(gateway);
        // API off: its paths are unknown paths (404), unless the user routed them.
        if (key === null) builtins = false;
        else if (!key.check(req.headers.authorization)) throw unauthorized();
      } else if (this.dashboard && DASHBOARD_PATHS.has(pathname) && this.apiKeyFor(gateway) === null) {
        // A dashboard without a key would show the deployment to anyone: off until a key is set.
        builtins = false;
      }
      const route = this.match(method, pathname, builtins);
      if (route === null) return false;
      const { maxBodySize, maxJsonDepth } = this;
      const ctx: HttpContext = {
        gateway,
        req,
        res,
        method,
        pathname,
        query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
        params: route.params,
        json: () => readJson(req, maxBodySize, maxJsonDepth),
      };
      const result: unknown = await route.handler(ctx);
      if (!res.headersSent && !res.writableEnded) {
        if (result === undefined) {
          res.writeHead(204);
          res.end();
        } else {
          sendJson(res, 200, result);
        }
      }
      return true;
    } catch (error) {
      const answer = toHttpError(error);
      if (answer === null) throw error;
      if (!res.headersSent) sendError(res, answer);
      else res.destroy();
      return true;
    }
  }

  /** User routes first, then built-ins. Null: no such path (the gateway's 404); throws 405 or 400. */
  private match(
    method: string,
    pathname: string,
    builtins: boolean,
  ): { handler: HttpRouteHandler; params: Record<string, string> } | null {
    const user = this.userRoutes.match(method, pathname);
    if (user.kind === 'found') return user;
    const builtin: RouteMatch<HttpRouteHandler> = builtins
      ? this.builtins.match(method, pathname)
      : { kind: 'not-found' };
    if (builtin.kind === 'found') return builtin;
    if (user.kind === 'bad-path' || builtin.kind === 'bad-path')
      throw new HttpError(400, 'bad_request', 'malformed percent-encoding in the path');
    const allow = [
      ...new Set([
        ...(user.kind === 'method-not-allowed' ? user.allow : []),
        ...(builtin.kind === 'method-not-allowed' ? builtin.allow : []),
      ]),
    ];
    if (allow.length === 0) return null;
    throw new HttpError(405, 'method_not_allowed', `${method} is not allowed here (allowed: ${allow.join(', ')})`, {
      Allow: allow.join(', '),
    });
  }

  /**
   * Process details (pid, Node version, memory, CPU) for `/status` and `/metrics`: only to a request bearing the API
   * key (Prometheus scrapers send `Authorization: Bearer`); nobody gets them when no key is configured.
   */
  private keyHolder(req: IncomingMessage, gateway: GatewayApi): boolean {
    const key = this.apiKeyFor(gateway);
    return key !== null && key.check(req.headers.authorization);
  }

  private apiKeyFor(gateway: GatewayApi): { check: (authorization: string | undefined) => boolean } | null {
    if (this.options.apiKey !== undefined) return this.apiCheck;
    const key = gateway.options.apiKey;
    if (key === undefined || key === '') return null;
    if (this.apiCheck === null || this.apiCheck.key !== key) this.apiCheck = { key, check: createBearerCheck(key) };
    return this.apiCheck;
  }
}

function unauthorized(): HttpError {
  return new HttpError(401, 'unauthorized', 'missing or wrong API key (use "Authorization: Bearer <key>")', {
    'WWW-Authenticate': 'Bearer realm="wsgate"',
  });
}

/**
 * Client-visible errors: ours, and the gateway's own (`invalid_argument`: a bad uid, group, session or close code,
 * 400; `too_many_groups`: a well-formed request the socket's state refuses, and `history_off`, 409).
 */
function toHttpError(error: unknown): HttpError | null {
  if (error instanceof HttpError) return error;
  if (error instanceof GatewayError)
    return new HttpError(
      error.code === ErrorCode.TooManyGroups || error.code === ErrorCode.HistoryOff
        ? 409
        : error.code === ErrorCode.Unavailable
          ? 503
          : 400,
      error.code,
      error.message,
    );
  return null;
}

/** A static file with an ETag, so browsers revalidate cheaply (304). */
function sendStatic(
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
  contentType: string,
  headers: Record<string, string> = {},
): void {
  const etag = `"${createHash('sha1').update(body).digest('base64url')}"`;
  const common = { ...headers, ETag: etag, 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' };
  if (req.headers['if-none-match'] === etag) {
    res.writeHead(304, common);
    res.end();
    return;
  }
  sendText(res, 200, body, contentType, common);
}

/**
 * Adds the HTTP surface to a running gateway (see `GatewayHttp`) and returns it, for your own routes:
 *
 *   const http = installHttp(gateway, { demo: true });
 *   http.get('/hello/:name', ({ params }) => ({ hello: params.name }));
 */
export function installHttp(gateway: GatewayApi, options?: GatewayHttpOptions): GatewayHttp {
  const http = new GatewayHttp(options);
  gateway.addHttpHandler(http.hook);
  return http;
}
