import { describe, expect, it } from 'vitest';
import { WebSocketArgumentError } from '../../src/protocol/errors.js';
import {
  type ExtensionOffer,
  MAX_EXTENSION_PARAMS,
  MAX_LIST_ELEMENTS,
  MAX_LIST_HEADER_LENGTH,
  formatExtensions,
  isToken,
  parseExtensions,
  parseProtocolList,
  parseTokenList,
} from '../../src/protocol/header-grammar.js';

function offer(name: string, params: Record<string, string | true> = {}): ExtensionOffer {
  return { name, params: new Map(Object.entries(params)) };
}

function parsed(header: string): ExtensionOffer[] {
  const result = parseExtensions(header);
  if (!result.ok) throw new Error(`expected ${JSON.stringify(header)} to parse: ${result.error}`);
  return result.value;
}

function refused(header: string): string {
  const result = parseExtensions(header);
  if (result.ok) throw new Error(`expected ${JSON.stringify(header)} to be refused`);
  return result.error;
}

describe('isToken (RFC 7230 §3.2.6)', () => {
  it('accepts every tchar', () => {
    expect(isToken("!#$%&'*+-.^_`|~09AZaz")).toBe(true);
    expect(isToken('permessage-deflate')).toBe(true);
  });

  it('refuses the empty string, delimiters, controls, space and non-ASCII', () => {
    expect(isToken('')).toBe(false);
    for (const c of '"(),/:;<=>?@[\\]{} \t\r\n\x00\x7f\x80é€') {
      expect(isToken(`a${c}b`), JSON.stringify(c)).toBe(false);
    }
  });

  it('agrees with the RFC character classes on every code point below 256', () => {
    const tchars = new Set("!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz");
    for (let c = 0; c < 256; c++) {
      expect(isToken(String.fromCharCode(c))).toBe(tchars.has(String.fromCharCode(c)));
    }
  });
});

describe('parseExtensions (RFC 6455 §9.1)', () => {
  it('parses the RFC 7692 offers', () => {
    expect(parsed('permessage-deflate')).toEqual([offer('permessage-deflate')]);
    expect(parsed('permessage-deflate; client_max_window_bits')).toEqual([
      offer('permessage-deflate', { client_max_window_bits: true }),
    ]);
    expect(parsed('permessage-deflate; client_max_window_bits; server_max_window_bits=10')).toEqual([
      offer('permessage-deflate', { client_max_window_bits: true, server_max_window_bits: '10' }),
    ]);
  });

  it('keeps several offers of one extension in order (RFC 7692 §5.1 example)', () => {
    expect(
      parsed(
        'permessage-deflate; client_max_window_bits; server_max_window_bits=10, permessage-deflate; client_max_window_bits',
      ),
    ).toEqual([
      offer('permessage-deflate', { client_max_window_bits: true, server_max_window_bits: '10' }),
      offer('permessage-deflate', { client_max_window_bits: true }),
    ]);
  });

  it('lower-cases extension and parameter names but not values', () => {
    expect(parsed('PerMessage-Deflate; Server_Max_Window_Bits=Ab')).toEqual([
      offer('permessage-deflate', { server_max_window_bits: 'Ab' }),
    ]);
  });

  it('allows optional whitespace around ";", "=" and ","', () => {
    expect(parsed(' \tfoo \t; \ta \t= \t1 \t; b \t,\t bar\t ')).toEqual([
      offer('foo', { a: '1', b: true }),
      offer('bar'),
    ]);
    expect(parsed('foo;a=1;b,bar')).toEqual([offer('foo', { a: '1', b: true }), offer('bar')]);
  });

  it('unquotes quoted-string values, including quoted-pairs', () => {
    expect(parsed('foo; a="10"')).toEqual([offer('foo', { a: '10' })]);
    expect(parsed('foo; a="x\\y"')).toEqual([offer('foo', { a: 'xy' })]);
    expect(parsed('foo; a = "tok" ; b')).toEqual([offer('foo', { a: 'tok', b: true })]);
  });

  it('requires a quoted value to be a token once unquoted (RFC 6455 §9.1)', () => {
    expect(refused('foo; a="a b"')).toMatch(/token/);
    expect(refused('foo; a="a,b"')).toMatch(/token/);
    expect(refused('foo; a="\\""')).toMatch(/token/);
    expect(refused('foo; a="\\\\"')).toMatch(/token/);
    expect(refused('foo; a=""')).toMatch(/token/);
    expect(refused('foo; a="é"')).toMatch(/token/);
  });

  it('refuses unterminated quoted strings and dangling escapes', () => {
    expect(refused('foo; a="abc')).toMatch(/unterminated/);
    expect(refused('foo; a="abc\\')).toMatch(/unterminated/);
    expect(refused('foo; a="')).toMatch(/unterminated/);
  });

  it('tolerates empty list elements (RFC 7230 §7)', () => {
    expect(parsed(',, foo ,, ,bar,')).toEqual([offer('foo'), offer('bar')]);
    expect(parsed('')).toEqual([]);
    expect(parsed(' , ,\t')).toEqual([]);
  });

  it('flags a parameter repeated within one extension, whatever its case, keeping the first value', () => {
    expect(parsed('foo; a; a')).toEqual([{ name: 'foo', params: new Map([['a', true]]), duplicate: 'a' }]);
    expect(parsed('foo; a=1; A=2')).toEqual([{ name: 'foo', params: new Map([['a', '1']]), duplicate: 'a' }]);
    // …but the same parameter in two offers is fine.
    expect(parsed('foo; a, foo; a')).toHaveLength(2);
  });

  it('refuses malformed syntax with a position', () => {
    for (const header of [
      'foo;',
      'foo; ',
      'foo;;a',
      '; a',
      'foo; =1',
      'foo; a=',
      'foo; a= ;b',
      'foo; a==1',
      'foo bar',
      'foo; a b',
      'foo; a=1 2',
      'fo"o',
      'foo/1',
      'foo; a=é',
      'foo\r\n; a',
      'foo;a=1;',
      '"foo"',
    ]) {
      const result = parseExtensions(header);
      expect(result.ok, header).toBe(false);
    }
    expect(refused('foo bar')).toMatch(/position 4/);
    expect(refused('foo\x00')).toMatch(/U\+0000/);
  });

  it('refuses over-long headers without scanning them', () => {
    const header = 'a'.repeat(MAX_LIST_HEADER_LENGTH + 1);
    expect(refused(header)).toMatch(/longer than/);
    expect(parsed('a'.repeat(MAX_LIST_HEADER_LENGTH))).toHaveLength(1);
  });

  it('caps the number of elements and of parameters', () => {
    const many = Array.from({ length: MAX_LIST_ELEMENTS }, () => 'x').join(',');
    expect(parsed(many)).toHaveLength(MAX_LIST_ELEMENTS);
    expect(refused(many + ',x')).toMatch(/more than/);
    const params = Array.from({ length: MAX_EXTENSION_PARAMS }, (_, i) => `p${i}`).join(';');
    expect(parsed(`x;${params}`)[0].params.size).toBe(MAX_EXTENSION_PARAMS);
    expect(refused(`x;${params};extra`)).toMatch(/more than/);
  });

  it('handles 1 MB of pathological input by returning a result, not by throwing', () => {
    const megabyte = 1 << 20;
    const backslashes = 'a;b="' + '\\\\'.repeat(megabyte / 2);
    expect(parseExtensions(backslashes)).toEqual({ ok: false, error: expect.stringMatching(/longer than/) });
    const commas = ','.repeat(megabyte);
    expect(parseExtensions(commas).ok).toBe(false);
    expect(parseTokenList(commas).ok).toBe(false);
    const params = 'a' + ';b'.repeat(megabyte / 2);
    expect(parseExtensions(params).ok).toBe(false);
  });

  it('handles pathological input just under the length cap', () => {
    const cap = MAX_LIST_HEADER_LENGTH;
    // Every shape here is scanned once; none may throw or backtrack.
    expect(parsed(','.repeat(cap))).toEqual([]);
    expect(parsed(' '.repeat(cap))).toEqual([]);
    expect(parseExtensions('a;b="' + '\\a'.repeat((cap - 6) / 2)).ok).toBe(false); // unterminated
    expect(parseExtensions('a;b="' + '\\\\'.repeat((cap - 6) / 2) + '"').ok).toBe(false); // "\" is not a tchar
    expect(parseExtensions('a' + ';'.repeat(cap - 1)).ok).toBe(false);
    expect(parseExtensions('a;b=' + '='.repeat(cap - 4)).ok).toBe(false);
    expect(parseExtensions('a' + ';b'.repeat((cap - 2) / 2)).ok).toBe(false); // over the parameter cap
  });
});

describe('parseTokenList (RFC 7230 §7 1#token)', () => {
  it('returns tokens as written', () => {
    expect(parseTokenList('chat, superchat')).toEqual({ ok: true, value: ['chat', 'superchat'] });
    expect(parseTokenList('keep-alive, Upgrade')).toEqual({ ok: true, value: ['keep-alive', 'Upgrade'] });
    expect(parseTokenList('V2.Chat')).toEqual({ ok: true, value: ['V2.Chat'] });
  });

  it('tolerates OWS and empty elements', () => {
    expect(parseTokenList(' ,\ta ,, b\t, ')).toEqual({ ok: true, value: ['a', 'b'] });
    expect(parseTokenList('')).toEqual({ ok: true, value: [] });
  });

  it('refuses non-tokens', () => {
    for (const header of ['a b', 'a;b', 'a/b', '"a"', 'a,b c', 'é', 'a\r\nb', 'a=1']) {
      expect(parseTokenList(header).ok, header).toBe(false);
    }
  });

  it('caps length and element count', () => {
    expect(parseTokenList('a'.repeat(MAX_LIST_HEADER_LENGTH + 1)).ok).toBe(false);
    const many = Array.from({ length: MAX_LIST_ELEMENTS + 1 }, () => 'x').join(',');
    expect(parseTokenList(many).ok).toBe(false);
  });
});

describe('parseProtocolList (RFC 7230 §6.7 Upgrade)', () => {
  it('accepts protocol-name ["/" protocol-version]', () => {
    expect(parseProtocolList('websocket')).toEqual({ ok: true, value: ['websocket'] });
    expect(parseProtocolList('HTTP/2.0, WebSocket, foo/1')).toEqual({
      ok: true,
      value: ['HTTP/2.0', 'WebSocket', 'foo/1'],
    });
  });

  it('refuses a slash without a version and other garbage', () => {
    for (const header of ['websocket/', '/1', 'a/b/c', 'a b', 'a;b']) {
      expect(parseProtocolList(header).ok, header).toBe(false);
    }
  });
});

describe('formatExtensions', () => {
  it('writes names, valueless params and token values', () => {
    expect(
      formatExtensions([
        offer('permessage-deflate', { client_max_window_bits: true, server_max_window_bits: '10' }),
        offer('x-foo'),
      ]),
    ).toBe('permessage-deflate; client_max_window_bits; server_max_window_bits=10, x-foo');
    expect(formatExtensions([])).toBe('');
  });

  it('quotes values that are not tokens, escaping DQUOTE and backslash', () => {
    expect(formatExtensions([offer('x', { a: 'a b' })])).toBe('x; a="a b"');
    expect(formatExtensions([offer('x', { a: 'say "hi" \\o/' })])).toBe('x; a="say \\"hi\\" \\\\o/"');
    expect(formatExtensions([offer('x', { a: '' })])).toBe('x; a=""');
  });

  it('refuses names that are not tokens and values a header cannot carry', () => {
    expect(() => formatExtensions([offer('a b')])).toThrow(WebSocketArgumentError);
    expect(() => formatExtensions([offer('x', { 'a=b': true })])).toThrow(WebSocketArgumentError);
    expect(() => formatExtensions([offer('x', { a: 'line\r\nInjected: 1' })])).toThrow(WebSocketArgumentError);
    expect(() => formatExtensions([offer('x', { a: '€' })])).toThrow(WebSocketArgumentError);
  });

  it('round-trips through parseExtensions', () => {
    const list = [
      offer('permessage-deflate', { server_no_context_takeover: true, client_max_window_bits: '9' }),
      offer('permessage-deflate'),
      offer('x-y', { "!#$%&'*+-.^_`|~": 'Ab9' }),
    ];
    expect(parsed(formatExtensions(list))).toEqual(list);
  });
});
