/**
 * The server's side of the RFC 6455 §4 opening handshake as pure functions: validate a client's upgrade request
 * (§4.2.1), pick a subprotocol, build the 101 (§4.2.2) or a response refusing the upgrade. No I/O: callers hand in
 * the parsed request head and write the returned text as UTF-8.
 */
import { WebSocketArgumentError } from './errors.js';
import { type ExtensionOffer, isToken, parseExtensions, parseTokenList } from './header-grammar.js';
import {
  type HeaderValue,
  appendExtensions,
  appendHeaders,
  assertHeaderValue,
  computeAcceptKey,
  headerText,
  isValidKey,
  listContains,
  listHeader,
  singleHeader,
} from './handshake.js';

/** The parts of an upgrade request `validateUpgradeRequest` needs (a Node `IncomingMessage` has them). */
export interface UpgradeRequestHead {
  /** Optional only because Node types `IncomingMessage.method` that way; anything but "GET" is refused with 405. */
  method?: string;
  /** As in `IncomingMessage.httpVersion`: "1.1". A leading "HTTP/" is tolerated. */
  httpVersion: string;
  /** The request target (path and query); not checked here. */
  url?: string;
  /** Header names lower-cased. */
  headers: Readonly<Record<string, HeaderValue>>;
}

/** How to refuse an upgrade request (see `buildRejectionResponse`). */
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

/** A valid upgrade request's WebSocket fields. */
export interface ValidatedUpgrade {
  /** `Sec-WebSocket-Key` as sent (OWS trimmed); feed it to `buildAcceptResponse`. */
  key: string;
  /** `Sec-WebSocket-Protocol` offers in the client's order of preference; empty when none. */
  protocols: string[];
  /** `Sec-WebSocket-Extensions` offers in the client's order of preference; empty when none. */
  extensions: ExtensionOffer[];
  /** The `Origin` header, if any (browsers send one): check it against your allowed origins. */
  origin: string | undefined;
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
export function validateUpgradeRequest(req: UpgradeRequestHead):
  | {
      /** A valid upgrade request. */
      ok: true;
      /** Its WebSocket fields. */
      value: ValidatedUpgrade;
    }
  | {
      /** Not a valid upgrade request. */
      ok: false;
      /** The response to refuse it with. */
      rejection: HandshakeRejection;
    } {
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
