import type { IncomingMessage } from 'node:http';

/*
 * Cross-site WebSocket hijacking: browsers send cookies with a WebSocket handshake to any site, whatever page opened
 * it, and the same-origin policy does not apply to WebSockets. A page on evil.example can therefore open a socket to
 * the gateway as its visitor, and a cookie-based `authenticate` binds it to the victim. The only thing a browser
 * tells the server is the `Origin` header, which a page cannot forge; so by default the gateway accepts a browser
 * only when `Origin` names the host it is talking to (the `Host` header). Non-browser clients send no `Origin` and
 * carry their own credentials: they stay allowed.
 */

/** What the gateway's `origins` option takes. */
export type OriginsOption = readonly string[] | '*' | ((origin: string | undefined, req: IncomingMessage) => boolean);

/** Schemes whose origins can be compared with a `Host` header (browsers send http(s); ws(s) for completeness). */
const WEB_SCHEMES: ReadonlySet<string> = new Set(['http:', 'https:', 'ws:', 'wss:']);

/** A `Host` header: a reg-name, IPv4 or bracketed IPv6 literal, and an optional port — nothing URL-like around it. */
const HOST_HEADER = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~%!$&'()*+,;=-]+)(?::\d{1,5})?$/;

/**
 * The server-layer `origins` value for a gateway option: `'*'` → any origin (undefined), a predicate → itself (it
 * decides alone, as in the server layer), a list or nothing → same-origin plus the listed origins (exact strings).
 */
export function originPolicy(
  option: OriginsOption | undefined,
): ((origin: string | undefined, req: IncomingMessage) => boolean) | undefined {
  if (option === '*') return undefined;
  if (typeof option === 'function') return option;
  const listed: ReadonlySet<string> = new Set(option ?? []);
  return (origin, req) => origin === undefined || listed.has(origin) || isSameOrigin(origin, req.headers.host);
}

/**
 * True when `origin` (a serialized origin, e.g. `https://app.example:8443`) names the same host and port as the
 * `Host` header: case-insensitive, default ports omitted as browsers do (`https://a.example` = `a.example:443`).
 * The scheme is not compared: TLS often ends at a proxy, so the gateway can't know which one the browser used.
 * `null` origins (sandboxed frames, `file:` pages) and anything unparsable are foreign.
 */
export function isSameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined || !HOST_HEADER.test(host)) return false;
  let originUrl: URL;
  let hostUrl: URL;
  try {
    originUrl = new URL(origin);
    if (!WEB_SCHEMES.has(originUrl.protocol) || originUrl.host === '') return false;
    // Parsed with the origin's scheme, so the URL parser lowercases it and drops that scheme's default port alike.
    hostUrl = new URL(`${originUrl.protocol}//${host}`);
  } catch {
    return false;
  }
  return originUrl.host === hostUrl.host;
}
