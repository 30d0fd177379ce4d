/** The client's side of the opening handshake (RFC 6455 §4.1): `handshake-client.ts`. */
import { describe, expect, it } from 'vitest';
import { WebSocketArgumentError } from '../../src/protocol/errors.js';
import { type HeaderValue, computeAcceptKey } from '../../src/protocol/handshake.js';
import { buildClientRequest, validateServerResponse } from '../../src/protocol/handshake-client.js';
import { buildAcceptResponse, validateUpgradeRequest } from '../../src/protocol/handshake-server.js';
import { MAX_LIST_HEADER_LENGTH } from '../../src/protocol/header-grammar.js';
import { SAMPLE_ACCEPT, SAMPLE_KEY, parseHead } from './kit.js';

describe('buildClientRequest (RFC 6455 §4.1)', () => {
  it('returns the same header lines as an object, in order, for node:http request()', () => {
    const request = buildClientRequest({
      host: 'server.example.com',
      path: '/chat',
      origin: 'http://example.com',
      protocols: ['chat', 'superchat'],
      extensions: 'permessage-deflate; client_max_window_bits',
      headers: { Authorization: 'Bearer t: x' },
      key: SAMPLE_KEY,
    });
    expect(Object.entries(request.headers)).toEqual([
      ['Host', 'server.example.com'],
      ['Upgrade', 'websocket'],
      ['Connection', 'Upgrade'],
      ['Sec-WebSocket-Key', SAMPLE_KEY],
      ['Sec-WebSocket-Version', '13'],
      ['Origin', 'http://example.com'],
      ['Sec-WebSocket-Protocol', 'chat, superchat'],
      ['Sec-WebSocket-Extensions', 'permessage-deflate; client_max_window_bits'],
      ['Authorization', 'Bearer t: x'],
    ]);
    const lines = Object.entries(request.headers).map(([name, value]) => `${name}: ${value}\r\n`);
    expect(request.text).toBe(`GET /chat HTTP/1.1\r\n${lines.join('')}\r\n`);
  });

  it('makes a fresh nonce per request (generateKey: base64 of 16 random bytes)', () => {
    const a = buildClientRequest({ host: 'h', path: '/' });
    const b = buildClientRequest({ host: 'h', path: '/' });
    expect(a.key).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(a.key).not.toBe(b.key);
    expect(a.headers['Sec-WebSocket-Key']).toBe(a.key);
  });

  it('builds the RFC 6455 §1.2 request', () => {
    const { key, text } = buildClientRequest({
      host: 'server.example.com',
      path: '/chat',
      origin: 'http://example.com',
      protocols: ['chat', 'superchat'],
      key: SAMPLE_KEY,
    });
    expect(key).toBe(SAMPLE_KEY);
    expect(text).toBe(
      'GET /chat HTTP/1.1\r\n' +
        'Host: server.example.com\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Key: ${SAMPLE_KEY}\r\n` +
        'Sec-WebSocket-Version: 13\r\n' +
        'Origin: http://example.com\r\n' +
        'Sec-WebSocket-Protocol: chat, superchat\r\n' +
        '\r\n',
    );
  });

  it('generates a fresh random 16-byte key each time', () => {
    const keys = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const { key } = buildClientRequest({ host: 'h', path: '/' });
      expect(key).toMatch(/^[A-Za-z0-9+/]{22}==$/);
      expect(atob(key)).toHaveLength(16);
      keys.add(key);
    }
    expect(keys.size).toBe(50);
  });

  it('produces a request that validateUpgradeRequest accepts', () => {
    const { key, text } = buildClientRequest({
      host: 'localhost:8080',
      path: '/ws?room=1',
      protocols: ['v2', 'v1'],
      extensions: 'permessage-deflate; client_max_window_bits',
      headers: { Authorization: 'Bearer t' },
    });
    const head = parseHead(text);
    expect(head.startLine).toBe('GET /ws?room=1 HTTP/1.1');
    const headers: Record<string, HeaderValue> = {};
    for (const [name, values] of Object.entries(head.headers)) headers[name] = values.join(', ');
    const result = validateUpgradeRequest({ method: 'GET', httpVersion: '1.1', headers });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.key).toBe(key);
    expect(result.value.protocols).toEqual(['v2', 'v1']);
    expect(result.value.extensions[0].name).toBe('permessage-deflate');
  });

  it('refuses values it cannot send safely', () => {
    const bad = (opts: Partial<Parameters<typeof buildClientRequest>[0]>) => () =>
      buildClientRequest({ host: 'h', path: '/', ...opts });
    expect(bad({ path: '' })).toThrow(WebSocketArgumentError);
    expect(bad({ path: 'chat' })).toThrow(/start with/);
    expect(bad({ path: '/a b' })).toThrow(WebSocketArgumentError);
    expect(bad({ path: '/a\r\nX: 1' })).toThrow(WebSocketArgumentError);
    expect(bad({ path: '/é' })).toThrow(WebSocketArgumentError);
    expect(bad({ host: '' })).toThrow(WebSocketArgumentError);
    expect(bad({ host: 'h\r\nX: 1' })).toThrow(WebSocketArgumentError);
    expect(bad({ origin: 'http://a\r\nX: 1' })).toThrow(WebSocketArgumentError);
    expect(bad({ protocols: ['a b'] })).toThrow(WebSocketArgumentError);
    expect(bad({ protocols: ['a', 'a'] })).toThrow(/repeated/);
    expect(bad({ extensions: 'x\r\n' })).toThrow(WebSocketArgumentError);
    expect(bad({ key: 'short' })).toThrow(WebSocketArgumentError);
    expect(bad({ headers: { Host: 'other' } })).toThrow(/set by the handshake/);
    expect(bad({ headers: { 'sec-websocket-key': SAMPLE_KEY } })).toThrow(WebSocketArgumentError);
    expect(bad({ headers: { 'X-A': 'a\nb' } })).toThrow(WebSocketArgumentError);
  });

  it('lets Origin come from headers when the option is not used', () => {
    expect(buildClientRequest({ host: 'h', path: '/', headers: { Origin: 'http://o' } }).text).toMatch(
      /Origin: http:\/\/o\r\n/,
    );
  });
});

describe('validateServerResponse (RFC 6455 §4.1)', () => {
  const expected = { key: SAMPLE_KEY, protocols: ['chat', 'superchat'], extensionsOffered: ['permessage-deflate'] };

  function response(headers: Record<string, HeaderValue> = {}, status = 101) {
    const merged: Record<string, HeaderValue> = {
      upgrade: 'websocket',
      connection: 'Upgrade',
      'sec-websocket-accept': SAMPLE_ACCEPT,
    };
    for (const [name, value] of Object.entries(headers)) {
      if (value === undefined) delete merged[name];
      else merged[name] = value;
    }
    return { status, headers: merged };
  }

  function failure(res: ReturnType<typeof response>, exp = expected): string {
    const result = validateServerResponse(res, exp);
    if (result.ok) throw new Error('expected a failure');
    return result.error;
  }

  it('accepts the RFC 6455 §1.3 response', () => {
    expect(validateServerResponse(response({ 'sec-websocket-protocol': 'chat' }), expected)).toEqual({
      ok: true,
      value: { protocol: 'chat', extensions: [] },
    });
  });

  it('accepts a response with no subprotocol even when some were offered', () => {
    expect(validateServerResponse(response(), expected)).toEqual({
      ok: true,
      value: { protocol: undefined, extensions: [] },
    });
  });

  it('returns the accepted extensions', () => {
    const result = validateServerResponse(
      response({ 'sec-websocket-extensions': 'Permessage-Deflate; server_max_window_bits=10' }),
      expected,
    );
    expect(result).toEqual({
      ok: true,
      value: {
        protocol: undefined,
        extensions: [{ name: 'permessage-deflate', params: new Map([['server_max_window_bits', '10']]) }],
      },
    });
  });

  it('accepts what buildAcceptResponse writes', () => {
    const head = parseHead(
      buildAcceptResponse({ key: SAMPLE_KEY, protocol: 'superchat', extensions: 'permessage-deflate' }),
    );
    const headers: Record<string, HeaderValue> = {};
    for (const [name, values] of Object.entries(head.headers)) headers[name] = values;
    const result = validateServerResponse({ status: 101, headers }, expected);
    expect(result.ok && result.value.protocol).toBe('superchat');
  });

  it('is case-insensitive for Upgrade and Connection', () => {
    expect(validateServerResponse(response({ upgrade: 'WebSocket', connection: 'upgrade' }), expected).ok).toBe(true);
  });

  it('fails on a status other than 101', () => {
    expect(failure(response({}, 200))).toBe('unexpected response status 200');
    expect(failure(response({}, 401))).toMatch(/401/);
  });

  it('fails without Upgrade: websocket or Connection: Upgrade', () => {
    expect(failure(response({ upgrade: undefined }))).toMatch(/Upgrade header/);
    expect(failure(response({ upgrade: 'h2c' }))).toMatch(/Upgrade header/);
    expect(failure(response({ connection: undefined }))).toMatch(/Connection header/);
    expect(failure(response({ connection: 'keep-alive' }))).toMatch(/Connection header/);
  });

  it('fails on a missing, repeated or wrong Sec-WebSocket-Accept', () => {
    expect(failure(response({ 'sec-websocket-accept': undefined }))).toMatch(/missing or repeated/);
    expect(failure(response({ 'sec-websocket-accept': [SAMPLE_ACCEPT, SAMPLE_ACCEPT] }))).toMatch(
      /missing or repeated/,
    );
    expect(failure(response({ 'sec-websocket-accept': computeAcceptKey('AAAAAAAAAAAAAAAAAAAAAA==') }))).toMatch(
      /does not match/,
    );
    expect(failure(response({ 'sec-websocket-accept': SAMPLE_ACCEPT.toLowerCase() }))).toMatch(/does not match/);
  });

  it('fails on a subprotocol that was not offered, or more than one', () => {
    expect(failure(response({ 'sec-websocket-protocol': 'other' }))).toMatch(/not offered/);
    expect(failure(response({ 'sec-websocket-protocol': 'Chat' }))).toMatch(/not offered/);
    expect(failure(response({ 'sec-websocket-protocol': 'chat' }), { ...expected, protocols: [] })).toMatch(
      /not offered/,
    );
    expect(failure(response({ 'sec-websocket-protocol': 'chat, superchat' }))).toMatch(/exactly one/);
    expect(failure(response({ 'sec-websocket-protocol': ['chat', 'chat'] }))).toMatch(/exactly one/);
    expect(failure(response({ 'sec-websocket-protocol': '' }))).toMatch(/exactly one/);
    expect(failure(response({ 'sec-websocket-protocol': 'a b' }))).toMatch(/exactly one/);
  });

  it('fails on extensions that were not offered, repeated or malformed', () => {
    expect(failure(response({ 'sec-websocket-extensions': 'x-foo' }))).toMatch(/"x-foo" that was not offered/);
    expect(
      failure(response({ 'sec-websocket-extensions': 'permessage-deflate' }), { ...expected, extensionsOffered: [] }),
    ).toMatch(/not offered/);
    expect(failure(response({ 'sec-websocket-extensions': 'permessage-deflate, permessage-deflate' }))).toMatch(
      /twice/,
    );
    expect(failure(response({ 'sec-websocket-extensions': ['permessage-deflate', 'permessage-deflate'] }))).toMatch(
      /twice/,
    );
    expect(failure(response({ 'sec-websocket-extensions': 'permessage-deflate;' }))).toMatch(/malformed/);
    expect(failure(response({ 'sec-websocket-extensions': 'x,'.repeat(MAX_LIST_HEADER_LENGTH) }))).toMatch(/malformed/);
  });

  it('matches offered extension names case-insensitively', () => {
    const result = validateServerResponse(response({ 'sec-websocket-extensions': 'permessage-deflate' }), {
      ...expected,
      extensionsOffered: ['PerMessage-Deflate'],
    });
    expect(result.ok).toBe(true);
  });
});
