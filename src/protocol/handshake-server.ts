/**
 * The RFC 6455 §4 opening handshake as pure functions: validate a client's upgrade request and build the 101 (or an
 * error response) on the server; build the request and validate the server's response on the client. No I/O: callers
 * hand in parsed request/response heads (Node's `IncomingMessage` shape) and write the returned text as UTF-8.
 */
import { encodeBase64 } from './base64.js';
import { WebSocketArgumentError } from './errors.js';
import {
  type ExtensionOffer,
  MAX_LIST_HEADER_LENGTH,
  isToken,
  parseExtensions,
  parseProtocolList,
  parseTokenList,
} from './header-grammar.js';
import { sha1 } from './sha1.js';

/** RFC 6455 §1.3: the GUID appended to `Sec-WebSocket-Key` before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

const utf8Encoder = new TextEncoder();

/**
 * RFC 6455 §4.2.2 step 5.4: base64(SHA-1(key + GUID)). The key is used as sent, not decoded (hashed as UTF-8, as
 * `node:crypto` hashes a string, for keys that a validator has not checked yet).
 */
export function computeAcceptKey(key: string): string {
  return encodeBase64(sha1(utf8Encoder.encode(key + WEBSOCKET_GUID)));
}

/** A header as Node reports it: a string (repeated lines joined with ", "), an array, or absent. */
export type HeaderValue = string | readonly string[] | undefined;

export interface UpgradeRequestHead {
  /** Optional only because Node types `IncomingMessage.method` that way; anything but "GET" is refused with 405. */
  method?: string;
  /** As in `IncomingMessage.httpVersion`: "1.1". A leading "HTTP/" is tolerated. */
  httpVersion: string;
  url?: string;
  /** Header names lower-cased. */
  headers: Readonly<Record<string, HeaderValue>>;
}

export interface HandshakeRejection {
  /**
   * 400 malformed request, 405 not GET, 426 wrong `Sec-WebSocket-Version`, 431 a list header too large to parse.
   * `validateUpgradeRequest` never produces 403; it is in the type for callers that refuse an origin or a user.
   */
  status: 400 | 403 | 405 | 426 | 431;
  /** Short human message naming the header at fault; safe to send as the response body. */
  reason: string;
  /** Headers the response must carry: `Sec-WebSocket-Version: 13` with 426, `Allow: GET` with 405. */
  headers: Record<string, string>;
}

export interface ValidatedUpgrade {
  /** `Sec-WebSocket-Key` as sent (OWS trimmed); feed it to `buildAcceptResponse`. */
  key: string;
  /** `Sec-WebSocket-Protocol` offers in the client's order of preference; empty when none. */
  protocols: string[];
  /** `Sec-WebSocket-Extensions` offers in the client's order of preference; empty when none. */
  extensions: ExtensionOffer[];
  origin: string | undefined;
}

const SP = 0x20;
const HTAB = 0x09;

function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s.charCodeAt(start) === SP || s.charCodeAt(start) === HTAB)) start++;
  while (end > start && (s.charCodeAt(end - 1) === SP || s.charCodeAt(end - 1) === HTAB)) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** The header's lines, `undefined` when absent, `null` when the value is not a string or an array of strings. */
function headerLines(
  headers: Readonly<Record<string, HeaderValue>>,
  name: string,
): readonly string[] | undefined | null {
  if (typeof headers !== 'object' || headers === null || !Object.hasOwn(headers, name)) return undefined;
  const value: unknown = headers[name];
  if (value === undefined) return undefined;
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value)) return null;
  for (let i = 0; i < value.length; i++) {
    if (typeof value[i] !== 'string') return null;
  }
  return value.length === 0 ? undefined : (value as readonly string[]);
}

type Single = { kind: 'absent' } | { kind: 'repeated' } | { kind: 'value'; value: string };

/** A header that must appear at most once. Node joins repeats of unknown headers with ", "; those fail later checks. */
function singleHeader(headers: Readonly<Record<string, HeaderValue>>, name: string): Single {
  const lines = headerLines(headers, name);
  if (lines === undefined) return { kind: 'absent' };
  if (lines === null || lines.length !== 1) return { kind: 'repeated' };
  return { kind: 'value', value: trimOws(lines[0]) };
}

type List = { kind: 'absent' } | { kind: 'invalid' } | { kind: 'too-large' } | { kind: 'value'; value: string };

/** A list header: RFC 7230 §3.2.2 lets repeated lines be joined with ", " without changing the meaning. */
function listHeader(headers: Readonly<Record<string, HeaderValue>>, name: string): List {
  const lines = headerLines(headers, name);
  if (lines === undefined) return { kind: 'absent' };
  if (lines === null) return { kind: 'invalid' };
  let length = 2 * (lines.length - 1);
  for (let i = 0; i < lines.length; i++) length += lines[i].length;
  // Refuse before joining: a header the grammar would refuse anyway is not worth copying.
  if (length > MAX_LIST_HEADER_LENGTH) return { kind: 'too-large' };
  return { kind: 'value', value: lines.length === 1 ? lines[0] : lines.join(', ') };
}

/** True when the list header parses and one of its elements equals `wanted` ASCII case-insensitively. */
function listContains(value: string, wanted: string, upgradeGrammar: boolean): boolean {
  const parsed = upgradeGrammar ? parseProtocolList(value) : parseTokenList(value);
  if (!parsed.ok) return false;
  for (const element of parsed.value) {
    if (element.length === wanted.length && element.toLowerCase() === wanted) return true;
  }
  return false;
}

/** RFC 6455 §4.1: the nonce is 16 random bytes, base64-encoded: 22 alphabet characters and "==". */
function isValidKey(key: string): boolean {
  if (key.length !== 24 || key.charCodeAt(22) !== 0x3d || key.charCodeAt(23) !== 0x3d) return false;
  for (let i = 0; i < 22; i++) {
    const c = key.charCodeAt(i);
    const alphabet =
      (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
    if (!alphabet) return false;
  }
  return true;
}

/** HTTP-version "1.1", "2", "HTTP/1.1"… → true when it is at least 1.1 (RFC 6455 §4.2.1 item 1). */
function isHttp11OrLater(version: string): boolean {
  if (typeof version !== 'string') return false;
  let i = version.startsWith('HTTP/') ? 5 : 0;
  const n = version.length;
  let major = 0;
  let digits = 0;
  while (i < n && digits < 4) {
    const c = version.charCodeAt(i);
    if (c < 0x30 || c > 0x39) break;
    major = major * 10 + (c - 0x30);
    digits++;
    i++;
  }
  if (digits === 0) return false;
  let minor = 0;
  if (i < n) {
    if (version.charCodeAt(i) !== 0x2e) return false;
    i++;
    digits = 0;
    while (i < n && digits < 4) {
      const c = version.charCodeAt(i);
      if (c < 0x30 || c > 0x39) return false;
      minor = minor * 10 + (c - 0x30);
      digits++;
      i++;
    }
    if (digits === 0 || i < n) return false;
  }
  return major > 1 || (major === 1 && minor >= 1);
}

function reject(
  status: HandshakeRejection['status'],
  reason: string,
  headers: Record<string, string> = {},
): { ok: false; rejection: HandshakeRejection } {
  return { ok: false, rejection: { status, reason, headers } };
}

/**
 * RFC 6455 §4.2.1: checks a client's opening handshake. Never throws on peer input; a failure names the header at
 * fault and carries the status to answer with. Checks run in the RFC's order, except that a wrong
 * `Sec-WebSocket-Version` is reported (426) before a bad key so an old client learns which version to retry with.
 */
export function validateUpgradeRequest(
  req: UpgradeRequestHead,
): { ok: true; value: ValidatedUpgrade } | { ok: false; rejection: HandshakeRejection } {
  // §4.2.1 item 1: "An HTTP/1.1 or higher GET request". RFC 7231 §6.5.5: 405 MUST carry Allow.
  if (req.method !== 'GET') return reject(405, 'Method must be GET', { Allow: 'GET' });
  if (!isHttp11OrLater(req.httpVersion)) return reject(400, 'HTTP version must be 1.1 or higher');
  const headers = req.headers;

  // §4.2.1 item 2: "A |Host| header field containing the server's authority."
  const host = singleHeader(headers, 'host');
  if (host.kind === 'repeated') return reject(400, 'Host header must appear once');
  if (host.kind === 'absent' || host.value.length === 0) return reject(400, 'Host header is required');

  // §4.2.1 item 3: "An |Upgrade| header field containing the value "websocket", treated as an ASCII
  // case-insensitive value." Upgrade is `1#protocol` (RFC 7230 §6.7), so other protocols may be listed too.
  const upgrade = listHeader(headers, 'upgrade');
  if (upgrade.kind === 'too-large') return reject(431, 'Upgrade header is too large');
  if (upgrade.kind !== 'value' || !listContains(upgrade.value, 'websocket', true)) {
    return reject(400, 'Upgrade header must include "websocket"');
  }

  // §4.2.1 item 4: "A |Connection| header field that includes the token "Upgrade", treated as an ASCII
  // case-insensitive value."
  const connection = listHeader(headers, 'connection');
  if (connection.kind === 'too-large') return reject(431, 'Connection header is too large');
  if (connection.kind !== 'value' || !listContains(connection.value, 'upgrade', false)) {
    return reject(400, 'Connection header must include "Upgrade"');
  }

  // §4.2.1 item 6: "A |Sec-WebSocket-Version| header field, with a value of 13." §4.4: otherwise answer with an
  // appropriate error (426) and a |Sec-WebSocket-Version| header listing the versions we understand.
  const version = singleHeader(headers, 'sec-websocket-version');
  if (version.kind !== 'value' || version.value !== '13') {
    return reject(426, 'Sec-WebSocket-Version must be 13', { 'Sec-WebSocket-Version': '13' });
  }

  // §4.2.1 item 5: "A |Sec-WebSocket-Key| header field with a base64-encoded value that, when decoded, is 16 bytes
  // in length." Repeated lines are joined by Node into a longer value, which fails the length check.
  const key = singleHeader(headers, 'sec-websocket-key');
  if (key.kind === 'absent') return reject(400, 'Sec-WebSocket-Key header is required');
  if (key.kind === 'repeated' || !isValidKey(key.value)) {
    return reject(400, 'Sec-WebSocket-Key must be base64 of 16 bytes');
  }

  // §4.2.1 item 7: "Optionally, an |Origin| header field." Only browsers send it; policy is the caller's.
  const origin = singleHeader(headers, 'origin');
  if (origin.kind === 'repeated') return reject(400, 'Origin header must appear once');

  // §4.2.1 item 8 / §4.1: subprotocols are tokens and "MUST all be unique strings".
  let protocols: string[] = [];
  const protocolHeader = listHeader(headers, 'sec-websocket-protocol');
  if (protocolHeader.kind === 'too-large') return reject(431, 'Sec-WebSocket-Protocol header is too large');
  if (protocolHeader.kind === 'invalid') return reject(400, 'Sec-WebSocket-Protocol must be a list of tokens');
  if (protocolHeader.kind === 'value') {
    const parsed = parseTokenList(protocolHeader.value);
    if (!parsed.ok) return reject(400, 'Sec-WebSocket-Protocol must be a list of tokens');
    protocols = parsed.value;
    if (new Set(protocols).size !== protocols.length) {
      return reject(400, 'Sec-WebSocket-Protocol must not repeat a subprotocol');
    }
  }

  // §4.2.1 item 9 / §9.1: a value that does not match the ABNF fails the handshake.
  let extensions: ExtensionOffer[] = [];
  const extensionHeader = listHeader(headers, 'sec-websocket-extensions');
  if (extensionHeader.kind === 'too-large') return reject(431, 'Sec-WebSocket-Extensions header is too large');
  if (extensionHeader.kind === 'invalid') return reject(400, 'Sec-WebSocket-Extensions is malformed');
  if (extensionHeader.kind === 'value') {
    const parsed = parseExtensions(extensionHeader.value);
    if (!parsed.ok) return reject(400, `Sec-WebSocket-Extensions is malformed: ${parsed.error}`);
    extensions = parsed.value;
  }

  return {
    ok: true,
    value: { key: key.value, protocols, extensions, origin: origin.kind === 'value' ? origin.value : undefined },
  };
}

/**
 * RFC 6455 §4.2.2 step 5.4: picks the subprotocol to answer with. The client lists its subprotocols "ordered by
 * preference" (§4.1), so the client's order wins: the first entry of `offered` that is also in `supported`.
 * Comparison is exact (subprotocol names are case-sensitive). `undefined` when nothing matches — the server then
 * sends no `Sec-WebSocket-Protocol` header (it must not invent one the client did not offer).
 */
export function selectSubprotocol(offered: readonly string[], supported: readonly string[]): string | undefined {
  if (offered.length === 0 || supported.length === 0) return undefined;
  const accepted = new Set(supported);
  for (const protocol of offered) {
    if (accepted.has(protocol)) return protocol;
  }
  return undefined;
}

function codePoint(c: number): string {
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * RFC 7230 §3.2 field-value, restricted to HTAB and visible ASCII plus SP so that the response text is pure ASCII and
 * writes the same in any encoding. CR and LF would let a value start a new header (response splitting).
 */
function assertHeaderValue(name: string, value: string): void {
  if (typeof value !== 'string') throw new WebSocketArgumentError(`header ${name} must have a string value`);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!(c === HTAB || (c >= 0x20 && c <= 0x7e))) {
      throw new WebSocketArgumentError(`header ${name} contains ${codePoint(c)}: only HTAB and ASCII text may be sent`);
    }
  }
}

/** Appends caller-supplied headers, refusing names that are not tokens and names the builder already wrote. */
function appendHeaders(lines: string[], written: readonly string[], extra: Record<string, string> | undefined): void {
  if (extra === undefined) return;
  for (const name of Object.keys(extra)) {
    if (!isToken(name)) throw new WebSocketArgumentError(`header name ${JSON.stringify(name)} is not a token`);
    const lower = name.toLowerCase();
    for (const w of written) {
      if (w.toLowerCase() === lower) throw new WebSocketArgumentError(`header ${name} is set by the handshake itself`);
    }
    const value = extra[name];
    assertHeaderValue(name, value);
    lines.push(`${name}: ${value}`);
  }
}

/** Adds a formatted `Sec-WebSocket-Extensions` line (both roles), checked like every other header value. */
function appendExtensions(lines: string[], written: string[], extensions: string | undefined): void {
  if (extensions === undefined || extensions.length === 0) return;
  assertHeaderValue('Sec-WebSocket-Extensions', extensions);
  lines.push(`Sec-WebSocket-Extensions: ${extensions}`);
  written.push('Sec-WebSocket-Extensions');
}

function headerText(startLine: string, lines: readonly string[]): string {
  let text = startLine + '\r\n';
  for (const line of lines) text += line + '\r\n';
  return text + '\r\n';
}

/**
 * RFC 6455 §4.2.2 step 5: the server's 101 response. `protocol` must be a token (one the client offered — see
 * `selectSubprotocol`); `extensions` is a formatted `Sec-WebSocket-Extensions` value (see `formatExtensions`).
 * Throws `WebSocketArgumentError` when a value could inject a header or a name is already written by this function.
 */
export function buildAcceptResponse(opts: {
  key: string;
  protocol?: string;
  extensions?: string;
  headers?: Record<string, string>;
}): string {
  const accept = computeAcceptKey(opts.key);
  const lines = ['Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${accept}`];
  const written = ['Upgrade', 'Connection', 'Sec-WebSocket-Accept'];
  if (opts.protocol !== undefined) {
    // §4.2.2 step 5.4 / §4.1: a subprotocol is a token.
    if (!isToken(opts.protocol)) {
      throw new WebSocketArgumentError(`subprotocol ${JSON.stringify(opts.protocol)} is not a token`);
    }
    lines.push(`Sec-WebSocket-Protocol: ${opts.protocol}`);
    written.push('Sec-WebSocket-Protocol');
  }
  appendExtensions(lines, written, opts.extensions);
  appendHeaders(lines, written, opts.headers);
  return headerText('HTTP/1.1 101 Switching Protocols', lines);
}

/** RFC 9110 §15 reason phrases for the statuses a handshake is likely to be refused with. */
const REASON_PHRASES: Readonly<Record<number, string>> = {
  300: 'Multiple Choices',
  301: 'Moved Permanently',
  302: 'Found',
  303: 'See Other',
  304: 'Not Modified',
  307: 'Temporary Redirect',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  407: 'Proxy Authentication Required',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  416: 'Range Not Satisfiable',
  417: 'Expectation Failed',
  421: 'Misdirected Request',
  422: 'Unprocessable Content',
  426: 'Upgrade Required',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
  511: 'Network Authentication Required',
};

/** Bytes `s` takes in UTF-8 (lone surrogates count as U+FFFD, as `TextEncoder` and Node's writers encode them). */
function utf8Length(s: string): number {
  let bytes = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const next = s.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 4;
        i++;
      } else bytes += 3;
    } else bytes += 3;
  }
  return bytes;
}

/**
 * A complete non-101 response that refuses the upgrade and closes the connection. The body is `body`, or `reason`
 * when no body is given, sent as `text/plain; charset=utf-8` unless `headers` supplies another Content-Type.
 * `status` must be an integer from 300 to 599. `Connection` and `Content-Length` are written here and may not be
 * supplied; other header values are checked as in `buildAcceptResponse`. Write the result as UTF-8.
 */
export function buildRejectionResponse(
  status: number,
  reason: string,
  headers?: Record<string, string>,
  body?: string,
): string {
  if (!Number.isInteger(status) || status < 300 || status > 599) {
    throw new WebSocketArgumentError(`rejection status must be an integer from 300 to 599, got ${status}`);
  }
  const content = body ?? reason;
  let contentType = 'text/plain; charset=utf-8';
  let extra = headers;
  if (headers !== undefined) {
    extra = {};
    for (const name of Object.keys(headers)) {
      if (name.toLowerCase() === 'content-type') {
        assertHeaderValue(name, headers[name]);
        contentType = headers[name];
      } else extra[name] = headers[name];
    }
  }
  const lines = ['Connection: close', `Content-Type: ${contentType}`, `Content-Length: ${utf8Length(content)}`];
  appendHeaders(lines, ['Connection', 'Content-Type', 'Content-Length'], extra);
  const phrase = REASON_PHRASES[status] ?? '';
  return headerText(`HTTP/1.1 ${status} ${phrase}`, lines) + content;
}

export interface ClientRequestOptions {
  /** `Host` header value: host, or host:port when the port is not the scheme's default (RFC 6455 §4.1 item 4). */
  host: string;
  /** Resource name: path and query, starting with "/" (RFC 6455 §3). Must already be percent-encoded. */
  path: string;
  origin?: string;
  /** Subprotocols in order of preference; tokens, no repeats (RFC 6455 §4.1 item 10). */
  protocols?: readonly string[];
  /** A formatted `Sec-WebSocket-Extensions` value (see `formatExtensions`). */
  extensions?: string;
  headers?: Record<string, string>;
  /** Fixed nonce for tests; by default 16 bytes from `crypto.getRandomValues` (RFC 6455 §4.1 item 7). */
  key?: string;
}

function randomKey(): string {
  const bytes = new Uint8Array(16);
  globalThis.crypto.getRandomValues(bytes);
  return encodeBase64(bytes);
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
 * RFC 6455 §4.1: the client's opening handshake. Returns the nonce (needed to check the response) and the request
 * text. Throws `WebSocketArgumentError` on values that cannot be sent safely.
 */
export function buildClientRequest(opts: ClientRequestOptions): { key: string; text: string } {
  assertVisibleAscii('path', opts.path);
  if (opts.path.charCodeAt(0) !== 0x2f) throw new WebSocketArgumentError('path must start with "/"');
  assertVisibleAscii('host', opts.host);
  let key: string;
  if (opts.key !== undefined) {
    if (!isValidKey(opts.key)) throw new WebSocketArgumentError('key must be base64 of 16 bytes');
    key = opts.key;
  } else {
    key = randomKey();
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
  return { key, text: headerText(`GET ${opts.path} HTTP/1.1`, lines) };
}

export interface ServerResponseHead {
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
  | { ok: true; value: { protocol: string | undefined; extensions: ExtensionOffer[] } }
  | { ok: false; error: string } {
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
