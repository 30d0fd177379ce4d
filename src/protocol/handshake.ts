/**
 * What both sides of the RFC 6455 §4 opening handshake share: the accept key, reading the headers of a parsed
 * request or response head (Node's `IncomingMessage` shape), and writing header lines that cannot inject others.
 * The server's side is in `handshake-server.ts`, the client's in `handshake-client.ts`.
 */
import { encodeBase64 } from './base64.js';
import { WebSocketArgumentError } from './errors.js';
import { MAX_LIST_HEADER_LENGTH, isToken, parseProtocolList, parseTokenList } from './header-grammar.js';
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

const SP = 0x20;
const HTAB = 0x09;

export function trimOws(s: string): string {
  let start = 0;
  let end = s.length;
  while (start < end && (s.charCodeAt(start) === SP || s.charCodeAt(start) === HTAB)) start++;
  while (end > start && (s.charCodeAt(end - 1) === SP || s.charCodeAt(end - 1) === HTAB)) end--;
  return start === 0 && end === s.length ? s : s.slice(start, end);
}

/** The header's lines, `undefined` when absent, `null` when the value is not a string or an array of strings. */
export function headerLines(
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

export type Single = { kind: 'absent' } | { kind: 'repeated' } | { kind: 'value'; value: string };

/** A header that must appear at most once. Node joins repeats of unknown headers with ", "; those fail later checks. */
export function singleHeader(headers: Readonly<Record<string, HeaderValue>>, name: string): Single {
  const lines = headerLines(headers, name);
  if (lines === undefined) return { kind: 'absent' };
  if (lines === null || lines.length !== 1) return { kind: 'repeated' };
  return { kind: 'value', value: trimOws(lines[0]) };
}

export type List = { kind: 'absent' } | { kind: 'invalid' } | { kind: 'too-large' } | { kind: 'value'; value: string };

/** A list header: RFC 7230 §3.2.2 lets repeated lines be joined with ", " without changing the meaning. */
export function listHeader(headers: Readonly<Record<string, HeaderValue>>, name: string): List {
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
export function listContains(value: string, wanted: string, upgradeGrammar: boolean): boolean {
  const parsed = upgradeGrammar ? parseProtocolList(value) : parseTokenList(value);
  if (!parsed.ok) return false;
  for (const element of parsed.value) {
    if (element.length === wanted.length && element.toLowerCase() === wanted) return true;
  }
  return false;
}

/** RFC 6455 §4.1: the nonce is 16 random bytes, base64-encoded: 22 alphabet characters and "==". */
export function isValidKey(key: string): boolean {
  if (key.length !== 24 || key.charCodeAt(22) !== 0x3d || key.charCodeAt(23) !== 0x3d) return false;
  for (let i = 0; i < 22; i++) {
    const c = key.charCodeAt(i);
    const alphabet =
      (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
    if (!alphabet) return false;
  }
  return true;
}

export function codePoint(c: number): string {
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * RFC 7230 §3.2 field-value, restricted to HTAB and visible ASCII plus SP so that the response text is pure ASCII and
 * writes the same in any encoding. CR and LF would let a value start a new header (response splitting).
 */
export function assertHeaderValue(name: string, value: string): void {
  if (typeof value !== 'string') throw new WebSocketArgumentError(`header ${name} must have a string value`);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (!(c === HTAB || (c >= 0x20 && c <= 0x7e))) {
      throw new WebSocketArgumentError(`header ${name} contains ${codePoint(c)}: only HTAB and ASCII text may be sent`);
    }
  }
}

/** Appends caller-supplied headers, refusing names that are not tokens and names the builder already wrote. */
export function appendHeaders(
  lines: string[],
  written: readonly string[],
  extra: Record<string, string> | undefined,
): void {
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
export function appendExtensions(lines: string[], written: string[], extensions: string | undefined): void {
  if (extensions === undefined || extensions.length === 0) return;
  assertHeaderValue('Sec-WebSocket-Extensions', extensions);
  lines.push(`Sec-WebSocket-Extensions: ${extensions}`);
  written.push('Sec-WebSocket-Extensions');
}

export function headerText(startLine: string, lines: readonly string[]): string {
  let text = startLine + '\r\n';
  for (const line of lines) text += line + '\r\n';
  return text + '\r\n';
}
