import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayApi } from '../core/gateway-api.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** What a route handler gets. `params` holds the `:name` segments of the pattern, URL-decoded. */
export interface HttpContext {
  /** The gateway whose HTTP surface answers. */
  readonly gateway: GatewayApi;
  /** The request (its body is unread until `json()`). */
  readonly req: IncomingMessage;
  /** The response: write to it, or return a value from the handler. */
  readonly res: ServerResponse;
  /** The request method, upper case (`'GET'`...). */
  readonly method: string;
  /** The path, without the query string, not decoded. */
  readonly pathname: string;
  /** The query string's parameters. */
  readonly query: URLSearchParams;
  /** The `:name` segments of the route's pattern, URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
  /** The request body parsed as JSON (bounded by the size limit; 400/413 on failure). */
  json(): Promise<unknown>;
}

/**
 * A route handler. Write to `ctx.res` yourself, or return a value: it is sent as JSON with status 200
 * (`undefined` with nothing written: 204). Throw an `HttpError` for a JSON error reply; anything else thrown is a
 * 500 whose details stay in the server.
 */
export type HttpRouteHandler = (ctx: HttpContext) => unknown;

export type RouteMatch<H> =
  | { readonly kind: 'found'; readonly handler: H; readonly params: Record<string, string> }
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'bad-path' };

interface Route<H> {
  readonly method: string;
  readonly segments: readonly string[];
  readonly handler: H;
}

/**
 * The smallest router that does the job: exact segments and `:param` segments, first match in insertion order.
 * `HEAD` is answered by `GET` routes. A path that matches with another method gives the methods to put in `Allow`.
 */
export class Router<H = HttpRouteHandler> {
  private readonly routes: Route<H>[] = [];

  add(method: string, pattern: string, handler: H): this {
    if (!pattern.startsWith('/')) throw new TypeError(`route pattern must start with "/": ${pattern}`);
    const segments = split(pattern);
    for (const segment of segments) {
      if (segment === ':') throw new TypeError(`route parameter without a name in ${pattern}`);
    }
    this.routes.push({ method: method.toUpperCase(), segments, handler });
    return this;
  }

  get(pattern: string, handler: H): this {
    return this.add('GET', pattern, handler);
  }

  post(pattern: string, handler: H): this {
    return this.add('POST', pattern, handler);
  }

  put(pattern: string, handler: H): this {
    return this.add('PUT', pattern, handler);
  }

  delete(pattern: string, handler: H): this {
    return this.add('DELETE', pattern, handler);
  }

  /** Matches a pathname (no query string). */
  match(method: string, pathname: string): RouteMatch<H> {
    const wanted = method === 'HEAD' ? 'GET' : method;
    const segments = split(pathname);
    const allow = new Set<string>();
    for (const route of this.routes) {
      const params = matchSegments(route.segments, segments);
      if (params === null) continue;
      if (params === undefined) return { kind: 'bad-path' };
      if (route.method === wanted) return { kind: 'found', handler: route.handler, params };
      allow.add(route.method);
      if (route.method === 'GET') allow.add('HEAD');
    }
    return allow.size > 0 ? { kind: 'method-not-allowed', allow: [...allow] } : { kind: 'not-found' };
  }

  get size(): number {
    return this.routes.length;
  }
}

function split(path: string): string[] {
  // '/' → [''], '/a/b' → ['a', 'b'], '/a/' → ['a', ''] (a trailing slash is a different path).
  return path.slice(1).split('/');
}

/** Params on a match, null on no match, undefined when a parameter is not valid percent-encoding. */
function matchSegments(pattern: readonly string[], path: readonly string[]): Record<string, string> | null | undefined {
  if (pattern.length !== path.length) return null;
  let params: Record<string, string> | null = null;
  for (let i = 0; i < pattern.length; i++) {
    const want = pattern[i]!;
    const got = path[i]!;
    if (want.startsWith(':')) {
      if (got === '') return null;
      let value: string;
      try {
        value = decodeURIComponent(got);
      } catch {
        return undefined;
      }
      (params ??= {})[want.slice(1)] = value;
    } else if (want !== got) {
      return null;
    }
  }
  return params ?? {};
}
