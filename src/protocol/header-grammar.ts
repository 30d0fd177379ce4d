/**
 * RFC 7230 §3.2.6 / §7 list grammar for the handshake headers that carry lists: `Sec-WebSocket-Extensions`
 * (RFC 6455 §9.1), `Sec-WebSocket-Protocol`, `Connection` and `Upgrade`.
 *
 * Every function here is a single left-to-right scan: no regular expressions, no backtracking, no re-scanning. Input
 * length and element counts are capped before any work is done, so a hostile header costs at most O(cap).
 */
import { WebSocketArgumentError } from './errors.js';

/** An extension's parameters: name (lower-cased) → unquoted value, or `true` without a value. */
export type ExtensionParams = Map<string, string | true>;

/** One element of a `Sec-WebSocket-Extensions` header. */
export interface ExtensionOffer {
  /** Lower-cased extension token, e.g. `permessage-deflate`. */
  name: string;
  /** Parameter name (lower-cased) → unquoted value, or `true` when the parameter had no value. */
  params: ExtensionParams;
  /** Set when a parameter appeared more than once (its first value is in `params`): the element is unusable. */
  duplicate?: string;
}

/** The result of a parser that does not throw. */
export type ParseResult<T> =
  | {
      /** Whether parsing succeeded. */
      ok: true;
      /** The parsed value. */
      value: T;
    }
  | {
      /** Whether parsing succeeded. */
      ok: false;
      /** Why it failed. */
      error: string;
    };

/** Longest header value the parsers will look at (characters). Longer input is refused without being scanned. */
export const MAX_LIST_HEADER_LENGTH = 8192;
/** Most non-empty elements accepted in one list header. */
export const MAX_LIST_ELEMENTS = 128;
/** Most parameters accepted on one extension. */
export const MAX_EXTENSION_PARAMS = 32;

const SP = 0x20;
const HTAB = 0x09;
const COMMA = 0x2c;
const SEMICOLON = 0x3b;
const EQUALS = 0x3d;
const DQUOTE = 0x22;
const BACKSLASH = 0x5c;
const SLASH = 0x2f;

/**
 * RFC 7230 §3.2.6: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." / "^" / "_" / "`" / "|" / "~"
 * / DIGIT / ALPHA. One byte per ASCII code point; anything ≥ 128 is never a tchar.
 */
const TCHAR = (() => {
  const table = new Uint8Array(128);
  const specials = "!#$%&'*+-.^_`|~";
  for (let i = 0; i < specials.length; i++) table[specials.charCodeAt(i)] = 1;
  for (let c = 0x30; c <= 0x39; c++) table[c] = 1;
  for (let c = 0x41; c <= 0x5a; c++) table[c] = 1;
  for (let c = 0x61; c <= 0x7a; c++) table[c] = 1;
  return table;
})();

function isTchar(code: number): boolean {
  return code < 128 && TCHAR[code] === 1;
}

/** RFC 7230 §3.2.6: token = 1*tchar. */
export function isToken(s: string): boolean {
  const n = s.length;
  if (n === 0) return false;
  for (let i = 0; i < n; i++) {
    if (!isTchar(s.charCodeAt(i))) return false;
  }
  return true;
}

/** Index of the first character at or after `i` that is not OWS (RFC 7230 §3.2.3: OWS = *( SP / HTAB )). */
function skipOws(s: string, i: number): number {
  const n = s.length;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c !== SP && c !== HTAB) break;
    i++;
  }
  return i;
}

/** Index just past the run of tchars starting at `i` (equal to `i` when there is none). */
function scanToken(s: string, i: number): number {
  const n = s.length;
  while (i < n && isTchar(s.charCodeAt(i))) i++;
  return i;
}

/**
 * RFC 7230 §7: "a recipient MUST accept empty list elements" — skip OWS and commas before the next element.
 */
function skipEmptyElements(s: string, i: number): number {
  i = skipOws(s, i);
  while (i < s.length && s.charCodeAt(i) === COMMA) i = skipOws(s, i + 1);
  return i;
}

function fail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}

function codePoint(c: number): string {
  return `U+${c.toString(16).toUpperCase().padStart(4, '0')}`;
}

function describeAt(s: string, i: number): string {
  if (i >= s.length) return 'unexpected end of header';
  const c = s.charCodeAt(i);
  const shown = c >= 0x21 && c <= 0x7e ? `'${s[i]}'` : codePoint(c);
  return `unexpected ${shown} at position ${i}`;
}

function tooLong(): { ok: false; error: string } {
  return fail(`header is longer than ${MAX_LIST_HEADER_LENGTH} characters`);
}

function tooManyElements(): { ok: false; error: string } {
  return fail(`header has more than ${MAX_LIST_ELEMENTS} elements`);
}

/**
 * Scans the quoted-string that starts with the DQUOTE at `s[start]` (RFC 7230 §3.2.6):
 *   quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
 *   quoted-pair   = "\" ( HTAB / SP / VCHAR / obs-text )
 * and returns the unescaped value with the index just past the closing DQUOTE. RFC 6455 §9.1 then requires the
 * unescaped value to be a token, so every unescaped character must be a tchar: the scan stops at the first one that
 * is not, which also keeps it linear.
 */
function scanQuotedToken(
  s: string,
  start: number,
): { ok: true; value: string; end: number } | { ok: false; error: string } {
  const n = s.length;
  let i = start + 1;
  let value = '';
  let runStart = i;
  while (i < n) {
    const c = s.charCodeAt(i);
    if (c === DQUOTE) {
      value += s.slice(runStart, i);
      if (value.length === 0) return fail(`empty quoted value at position ${start} (RFC 6455 §9.1: must be a token)`);
      return { ok: true, value, end: i + 1 };
    }
    if (c === BACKSLASH) {
      if (i + 1 >= n) break;
      const escaped = s.charCodeAt(i + 1);
      if (!isTchar(escaped)) {
        return fail(`quoted value is not a token at position ${i + 1} (RFC 6455 §9.1)`);
      }
      value += s.slice(runStart, i) + s[i + 1];
      i += 2;
      runStart = i;
      continue;
    }
    if (!isTchar(c)) return fail(`quoted value is not a token at position ${i} (RFC 6455 §9.1)`);
    i++;
  }
  return fail(`unterminated quoted string starting at position ${start}`);
}

/**
 * RFC 6455 §9.1:
 *   Sec-WebSocket-Extensions = extension-list
 *   extension-list = 1#extension
 *   extension = extension-token *( ";" extension-param )
 *   extension-param = token [ "=" (token | quoted-string) ]
 * with the implied *LWS of RFC 2616, i.e. optional SP/HTAB around ";", "=" and ",". Several header lines are joined
 * with ", " by the caller.
 *
 * Names are lower-cased. A parameter repeated within one extension is an error: a map cannot hold both values, and
 * RFC 7692 §7 already has permessage-deflate refuse "multiple extension parameters with the same name". The same
 * extension may appear several times (a client may send several offers of one extension). Empty elements (",,") are skipped
 * (RFC 7230 §7); a header with no elements at all yields an empty list and the caller decides what that means.
 */
export function parseExtensions(header: string): ParseResult<ExtensionOffer[]> {
  const s = header;
  const n = s.length;
  if (n > MAX_LIST_HEADER_LENGTH) return tooLong();
  const out: ExtensionOffer[] = [];
  let i = skipEmptyElements(s, 0);
  while (i < n) {
    const nameEnd = scanToken(s, i);
    if (nameEnd === i) return fail(`expected an extension name: ${describeAt(s, i)}`);
    if (out.length === MAX_LIST_ELEMENTS) return tooManyElements();
    const name = s.slice(i, nameEnd).toLowerCase();
    const params: ExtensionParams = new Map();
    let paramCount = 0;
    let duplicate: string | undefined;
    i = skipOws(s, nameEnd);
    while (i < n && s.charCodeAt(i) === SEMICOLON) {
      i = skipOws(s, i + 1);
      const keyEnd = scanToken(s, i);
      if (keyEnd === i) return fail(`expected a parameter name: ${describeAt(s, i)}`);
      const key = s.slice(i, keyEnd).toLowerCase();
      i = skipOws(s, keyEnd);
      let value: string | true = true;
      if (i < n && s.charCodeAt(i) === EQUALS) {
        i = skipOws(s, i + 1);
        if (i < n && s.charCodeAt(i) === DQUOTE) {
          const quoted = scanQuotedToken(s, i);
          if (!quoted.ok) return quoted;
          value = quoted.value;
          i = quoted.end;
        } else {
          const valueEnd = scanToken(s, i);
          if (valueEnd === i) return fail(`expected a parameter value: ${describeAt(s, i)}`);
          value = s.slice(i, valueEnd);
          i = valueEnd;
        }
        i = skipOws(s, i);
      }
      if (++paramCount > MAX_EXTENSION_PARAMS) {
        return fail(`extension "${name}" has more than ${MAX_EXTENSION_PARAMS} parameters`);
      }
      // A repeated parameter is well-formed but makes the element unusable: RFC 7692 §7 has the server decline
      // such an offer (not refuse the handshake) and the client fail on such a response. Keep the first value.
      if (params.has(key)) duplicate ??= key;
      else params.set(key, value);
    }
    out.push(duplicate === undefined ? { name, params } : { name, params, duplicate });
    if (i < n && s.charCodeAt(i) !== COMMA) return fail(describeAt(s, i));
    i = skipEmptyElements(s, i);
  }
  return { ok: true, value: out };
}

/**
 * Shared scanner for `1#element` lists whose elements are a token optionally followed by "/" token
 * (`allowSlash`, RFC 7230 §6.7 protocol = protocol-name ["/" protocol-version]).
 */
function parseList(header: string, allowSlash: boolean): ParseResult<string[]> {
  const s = header;
  const n = s.length;
  if (n > MAX_LIST_HEADER_LENGTH) return tooLong();
  const out: string[] = [];
  let i = skipEmptyElements(s, 0);
  while (i < n) {
    const start = i;
    let end = scanToken(s, i);
    if (end === start) return fail(`expected a token: ${describeAt(s, i)}`);
    if (allowSlash && end < n && s.charCodeAt(end) === SLASH) {
      const versionEnd = scanToken(s, end + 1);
      if (versionEnd === end + 1) return fail(`expected a protocol version: ${describeAt(s, end + 1)}`);
      end = versionEnd;
    }
    if (out.length === MAX_LIST_ELEMENTS) return tooManyElements();
    out.push(s.slice(start, end));
    i = skipOws(s, end);
    if (i < n && s.charCodeAt(i) !== COMMA) return fail(describeAt(s, i));
    i = skipEmptyElements(s, i);
  }
  return { ok: true, value: out };
}

/**
 * RFC 7230 §7 `1#token` lists: `Sec-WebSocket-Protocol` (RFC 6455 §4.1), `Connection` (RFC 7230 §6.1). Tokens are
 * returned as written (subprotocol names are case-sensitive); callers lower-case when comparing `Connection`.
 * Empty elements are skipped; a header with no elements yields an empty list.
 */
export function parseTokenList(header: string): ParseResult<string[]> {
  return parseList(header, false);
}

/**
 * RFC 7230 §6.7 `Upgrade = 1#protocol`, protocol = protocol-name ["/" protocol-version]: like `parseTokenList` but
 * also accepts elements such as `HTTP/2.0`. Elements are returned as written.
 */
export function parseProtocolList(header: string): ParseResult<string[]> {
  return parseList(header, true);
}

/**
 * RFC 7230 §3.2.6: writes `value` as a quoted-string, escaping DQUOTE and "\". Characters a quoted-string cannot carry
 * (controls other than HTAB, DEL, anything above U+00FF) are refused rather than sent.
 */
function quote(value: string): string {
  let out = '"';
  let runStart = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === DQUOTE || c === BACKSLASH) {
      out += value.slice(runStart, i) + '\\';
      runStart = i;
    } else if (!(c === HTAB || (c >= 0x20 && c <= 0x7e) || (c >= 0x80 && c <= 0xff))) {
      throw new WebSocketArgumentError(
        `extension parameter value contains ${codePoint(c)}, which a header cannot carry`,
      );
    }
  }
  return out + value.slice(runStart) + '"';
}

/**
 * Writes a `Sec-WebSocket-Extensions` value: `name; key; key=value, name2`. Values that are not tokens are written as
 * quoted-strings (note RFC 6455 §9.1 only allows quoted values that unquote to a token, so a peer will refuse them).
 * Throws `WebSocketArgumentError` for names or parameter names that are not tokens.
 */
export function formatExtensions(list: readonly ExtensionOffer[]): string {
  let out = '';
  for (let e = 0; e < list.length; e++) {
    const offer = list[e];
    if (!isToken(offer.name)) {
      throw new WebSocketArgumentError(`extension name ${JSON.stringify(offer.name)} is not a token`);
    }
    if (e > 0) out += ', ';
    out += offer.name;
    for (const [key, value] of offer.params) {
      if (!isToken(key)) throw new WebSocketArgumentError(`extension parameter ${JSON.stringify(key)} is not a token`);
      out += '; ' + key;
      if (value !== true) out += '=' + (isToken(value) ? value : quote(value));
    }
  }
  return out;
}
