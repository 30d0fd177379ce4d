/**
 * The client's side of the RFC 6455 §4 opening handshake as pure functions: build the request (§4.1) and check the
 * server's response. No I/O: the request comes back as text and as a headers object (for `node:http` `request()`),
 * and the response is checked from its parsed head.
 */
import { WebSocketArgumentError } from './errors.js';
import { type ExtensionOffer, isToken, parseExtensions, parseTokenList } from './header-grammar.js';
import {
  type HeaderValue,
  appendExtensions,
  appendHeaders,
  assertHeaderValue,
  codePoint,
  computeAcceptKey,
  headerText,
  isValidKey,
  listContains,
  listHeader,
  singleHeader,
} from './handshake.js';
import { generateKey } from './random.js';

/** Options of `buildClientRequest`. */
export interface ClientRequestOptions {
  /** `Host` header value: host, or host:port when the port is not the scheme's default (RFC 6455 §4.1 item 4). */
  host: string;
  /** Resource name: path and query, starting with "/" (RFC 6455 §3). Must already be percent-encoded. */
  path: string;
  /**
   * The `Origin` header (browsers send one; other clients may).
   *
   * @defaultValue `undefined`: no `Origin` header
   */
  origin?: string;
  /**
   * Subprotocols in order of preference; tokens, no repeats (RFC 6455 §4.1 item 10).
   *
   * @defaultValue `[]`
   */
  protocols?: readonly string[];
  /**
   * A formatted `Sec-WebSocket-Extensions` value (see `formatExtensions`).
   *
   * @defaultValue `undefined`: none offered
   */
  extensions?: string;
  /**
   * Extra headers; those the handshake owns (`Host`, `Upgrade`, `Connection`, `Sec-WebSocket-*`) are refused.
   *
   * @defaultValue `{}`
   */
  headers?: Record<string, string>;
  /**
   * Fixed nonce for tests; by default `generateKey()` (RFC 6455 §4.1 item 7).
   *
   * @defaultValue `generateKey()`
   */
  key?: string;
}

/** What `buildClientRequest` returns. */
export interface ClientRequest {
  /** The nonce sent as `Sec-WebSocket-Key`: `validateServerResponse` checks the accept key against it. */
  key: string;
  /** The whole request head, request line to the blank line: write it as UTF-8 (it is ASCII). */
  text: string;
  /**
   * The same header lines as an object, in the same order, for an HTTP client that writes the request line itself
   * (`node:http` `request({ method: 'GET', path, headers })`). Includes `Host`.
   */
  headers: Record<string, string>;
}

/** Request-target and Host must not contain SP, controls or non-ASCII (RFC 7230 §3.1.1, §5.3, §5.4). */
function assertVisibleAscii(what: string, value: string): void {
  if (typeof value !== 'string' || value.length === 0) throw new WebSocketArgumentError(`${what} must not be empty`);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c <= 0x20 || c >= 0x7f) {
      throw new WebSocketArgumentError(`${what} contains ${codePoint(c)}; percent-encode it or leave it out`);
    }
  }
}

/**
 * RFC 6455 §4.1: the client's opening handshake. Returns the nonce (needed to check the response), the request text
 * and its headers as an object. Throws `WebSocketArgumentError` on values that cannot be sent safely, and on extra
 * headers that the handshake writes itself (Host, Upgrade, Connection, Sec-WebSocket-*, Origin when given).
 */
export function buildClientRequest(opts: ClientRequestOptions): ClientRequest {
  assertVisibleAscii('path', opts.path);
  if (opts.path.charCodeAt(0) !== 0x2f) throw new WebSocketArgumentError('path must start with "/"');
  assertVisibleAscii('host', opts.host);
  let key: string;
  if (opts.key !== undefined) {
    if (!isValidKey(opts.key)) throw new WebSocketArgumentError('key must be base64 of 16 bytes');
    key = opts.key;
  } else {
    key = generateKey();
  }
  const lines = [
    `Host: ${opts.host}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${key}`,
    'Sec-WebSocket-Version: 13',
  ];
  const written = ['Host', 'Upgrade', 'Connection', 'Sec-WebSocket-Key', 'Sec-WebSocket-Version'];
  if (opts.origin !== undefined) {
    assertHeaderValue('Origin', opts.origin);
    lines.push(`Origin: ${opts.origin}`);
    written.push('Origin');
  }
  if (opts.protocols !== undefined && opts.protocols.length > 0) {
    const seen = new Set<string>();
    for (const protocol of opts.protocols) {
      if (!isToken(protocol)) {
        throw new WebSocketArgumentError(`subprotocol ${JSON.stringify(protocol)} is not a token`);
      }
      if (seen.has(protocol)) throw new WebSocketArgumentError(`subprotocol ${JSON.stringify(protocol)} is repeated`);
      seen.add(protocol);
    }
    lines.push(`Sec-WebSocket-Protocol: ${opts.protocols.join(', ')}`);
    written.push('Sec-WebSocket-Protocol');
  }
  appendExtensions(lines, written, opts.extensions);
  appendHeaders(lines, written, opts.headers);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    // Names are tokens (checked), so the first ": " ends the name.
    const colon = line.indexOf(': ');
    headers[line.slice(0, colon)] = line.slice(colon + 2);
  }
  return { key, text: headerText(`GET ${opts.path} HTTP/1.1`, lines), headers };
}

/** The parts of the server's response head `validateServerResponse` needs. */
export interface ServerResponseHead {
  /** The HTTP status (101 to succeed). */
  status: number;
  /** Header names lower-cased. */
  headers: Readonly<Record<string, HeaderValue>>;
}

function clientFail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}

/**
 * RFC 6455 §4.1 (client requirements on the server's handshake): any failure means the client MUST _Fail the
 * WebSocket Connection_. Never throws. Extension parameters are not judged here: pass each returned offer to the
 * extension's own check (e.g. `acceptDeflateResponse`).
 *
 * A server that selects no subprotocol although some were offered is accepted (§4.1 only forbids one that was not
 * offered); the caller sees `protocol: undefined`.
 */
export function validateServerResponse(
  res: ServerResponseHead,
  expected: { key: string; protocols: readonly string[]; extensionsOffered: readonly string[] },
):
  | {
      /** The handshake succeeded. */
      ok: true;
      /** What the server selected. */
      value: {
        /** The subprotocol selected, if any. */
        protocol: string | undefined;
        /** The extensions accepted (each one of those offered). */
        extensions: ExtensionOffer[];
      };
    }
  | {
      /** The handshake failed: fail the connection (RFC 6455 §4.1). */
      ok: false;
      /** Why. */
      error: string;
    } {
  // §4.1 item 1: "If the status code received from the server is not 101, the client handles the response per HTTP
  // procedures" — for a WebSocket client that means the connection failed.
  if (res.status !== 101) {
    return clientFail(`unexpected response status ${typeof res.status === 'number' ? res.status : typeof res.status}`);
  }
  const headers = res.headers;

  // §4.1 item 2: |Upgrade| must be an ASCII case-insensitive match for "websocket".
  const upgrade = listHeader(headers, 'upgrade');
  if (upgrade.kind !== 'value' || !listContains(upgrade.value, 'websocket', true)) {
    return clientFail('Upgrade header must be "websocket"');
  }
  // §4.1 item 3: |Connection| must contain the token "Upgrade" (ASCII case-insensitive).
  const connection = listHeader(headers, 'connection');
  if (connection.kind !== 'value' || !listContains(connection.value, 'upgrade', false)) {
    return clientFail('Connection header must include "Upgrade"');
  }
  // §4.1 item 4: |Sec-WebSocket-Accept| must be base64(SHA-1(key + GUID)).
  const accept = singleHeader(headers, 'sec-websocket-accept');
  if (accept.kind !== 'value') return clientFail('Sec-WebSocket-Accept header is missing or repeated');
  if (accept.value !== computeAcceptKey(expected.key)) return clientFail('Sec-WebSocket-Accept does not match the key');

  // §4.1 item 5: extensions "not present in the client's handshake" fail the connection. §9.1: each extension at
  // most once in a response (a server accepts one offer per extension).
  let extensions: ExtensionOffer[] = [];
  const extensionHeader = listHeader(headers, 'sec-websocket-extensions');
  if (extensionHeader.kind === 'too-large' || extensionHeader.kind === 'invalid') {
    return clientFail('Sec-WebSocket-Extensions is malformed');
  }
  if (extensionHeader.kind === 'value') {
    const parsed = parseExtensions(extensionHeader.value);
    if (!parsed.ok) return clientFail(`Sec-WebSocket-Extensions is malformed: ${parsed.error}`);
    const offered = new Set(expected.extensionsOffered.map((name) => name.toLowerCase()));
    const seen = new Set<string>();
    for (const extension of parsed.value) {
      if (!offered.has(extension.name)) {
        return clientFail(`server accepted extension "${extension.name}" that was not offered`);
      }
      if (seen.has(extension.name)) return clientFail(`server accepted extension "${extension.name}" twice`);
      seen.add(extension.name);
    }
    extensions = parsed.value;
  }

  // §4.1 item 6: a subprotocol "that was not present in the client's handshake" fails the connection; §4.2.2 the
  // server selects at most one.
  let protocol: string | undefined;
  const protocolHeader = listHeader(headers, 'sec-websocket-protocol');
  if (protocolHeader.kind === 'too-large' || protocolHeader.kind === 'invalid') {
    return clientFail('Sec-WebSocket-Protocol is malformed');
  }
  if (protocolHeader.kind === 'value') {
    const parsed = parseTokenList(protocolHeader.value);
    if (!parsed.ok || parsed.value.length !== 1) {
      return clientFail('Sec-WebSocket-Protocol must name exactly one subprotocol');
    }
    protocol = parsed.value[0];
    if (!expected.protocols.includes(protocol)) {
      return clientFail(`server selected subprotocol "${protocol}" that was not offered`);
    }
  }

  return { ok: true, value: { protocol, extensions } };
}
