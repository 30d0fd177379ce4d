/** The server's side of the opening handshake (RFC 6455 §4.2): `handshake-server.ts`. */
import { describe, expect, it } from 'vitest';
import { WebSocketArgumentError } from '../../src/protocol/errors.js';
import type { HeaderValue } from '../../src/protocol/handshake.js';
import {
  type HandshakeRejection,
  type UpgradeRequestHead,
  buildAcceptResponse,
  buildRejectionResponse,
  selectSubprotocol,
  validateUpgradeRequest,
} from '../../src/protocol/handshake-server.js';
import { MAX_LIST_HEADER_LENGTH } from '../../src/protocol/header-grammar.js';
import { SAMPLE_ACCEPT, SAMPLE_KEY, parseHead } from './kit.js';

/** RFC 6455 §1.2: the sample client handshake, as Node would report it. */
function request(
  headers: Record<string, HeaderValue> = {},
  head: Partial<UpgradeRequestHead> = {},
): UpgradeRequestHead {
  const base: Record<string, HeaderValue> = {
    host: 'server.example.com',
    upgrade: 'websocket',
    connection: 'Upgrade',
    'sec-websocket-key': SAMPLE_KEY,
    origin: 'http://example.com',
    'sec-websocket-protocol': 'chat, superchat',
    'sec-websocket-version': '13',
  };
  const merged: Record<string, HeaderValue> = { ...base };
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) delete merged[name];
    else merged[name] = value;
  }
  return { method: 'GET', httpVersion: '1.1', url: '/chat', headers: merged, ...head };
}

function rejection(req: UpgradeRequestHead): HandshakeRejection {
  const result = validateUpgradeRequest(req);
  if (result.ok) throw new Error('expected a rejection');
  return result.rejection;
}

describe('validateUpgradeRequest (RFC 6455 §4.2.1)', () => {
  it('accepts the RFC 6455 §1.2 example handshake', () => {
    expect(validateUpgradeRequest(request())).toEqual({
      ok: true,
      value: {
        key: SAMPLE_KEY,
        protocols: ['chat', 'superchat'],
        extensions: [],
        origin: 'http://example.com',
      },
    });
  });

  it('accepts the minimal handshake a non-browser client sends', () => {
    const result = validateUpgradeRequest(request({ origin: undefined, 'sec-websocket-protocol': undefined }));
    expect(result).toEqual({ ok: true, value: { key: SAMPLE_KEY, protocols: [], extensions: [], origin: undefined } });
  });

  it('treats Upgrade and Connection case-insensitively and as lists', () => {
    for (const [upgrade, connection] of [
      ['WebSocket', 'upgrade'],
      ['WEBSOCKET', 'keep-alive, Upgrade'],
      ['h2c, websocket', 'Upgrade, HTTP2-Settings'],
      ['HTTP/2.0, websocket', 'close, UPGRADE'],
    ]) {
      expect(validateUpgradeRequest(request({ upgrade, connection })).ok, `${upgrade} / ${connection}`).toBe(true);
    }
  });

  it('accepts header values given as arrays', () => {
    const result = validateUpgradeRequest(
      request({
        connection: ['keep-alive', 'Upgrade'],
        'sec-websocket-key': [SAMPLE_KEY],
        'sec-websocket-protocol': ['chat', 'superchat'],
        'sec-websocket-extensions': ['permessage-deflate; client_max_window_bits', 'x-foo'],
      }),
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.value.protocols).toEqual(['chat', 'superchat']);
    expect(result.value.extensions.map((e) => e.name)).toEqual(['permessage-deflate', 'x-foo']);
  });

  it('parses extension offers', () => {
    const result = validateUpgradeRequest(
      request({ 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits, permessage-deflate' }),
    );
    expect(result.ok && result.value.extensions).toEqual([
      { name: 'permessage-deflate', params: new Map([['client_max_window_bits', true]]) },
      { name: 'permessage-deflate', params: new Map() },
    ]);
  });

  it('accepts HTTP versions above 1.1', () => {
    for (const httpVersion of ['1.1', '1.2', '2.0', '2', 'HTTP/1.1']) {
      expect(validateUpgradeRequest(request({}, { httpVersion })).ok, httpVersion).toBe(true);
    }
  });

  it('trims OWS around single-valued headers', () => {
    const result = validateUpgradeRequest(
      request({ 'sec-websocket-key': ` ${SAMPLE_KEY}\t`, 'sec-websocket-version': ' 13 ' }),
    );
    expect(result.ok && result.value.key).toBe(SAMPLE_KEY);
  });

  describe('rejections', () => {
    it('405 with Allow: GET for other methods', () => {
      for (const method of ['POST', 'get', 'HEAD', 'CONNECT', '', undefined]) {
        expect(rejection(request({}, { method }))).toEqual({
          status: 405,
          reason: 'Method must be GET',
          headers: { Allow: 'GET' },
        });
      }
    });

    it('400 for HTTP versions below 1.1 or garbage', () => {
      for (const httpVersion of ['1.0', '0.9', '', '1.', '.1', 'x', '1.1.1', '1.1 ', 'HTTP/1.0', '00001.1']) {
        const r = rejection(request({}, { httpVersion }));
        expect(r.status, httpVersion).toBe(400);
        expect(r.reason).toMatch(/HTTP version/);
      }
    });

    it('400 without Host, with an empty Host or with two', () => {
      expect(rejection(request({ host: undefined }))).toMatchObject({ status: 400, reason: 'Host header is required' });
      expect(rejection(request({ host: '' }))).toMatchObject({ status: 400, reason: 'Host header is required' });
      expect(rejection(request({ host: ['a', 'b'] }))).toMatchObject({
        status: 400,
        reason: 'Host header must appear once',
      });
    });

    it('400 when Upgrade does not name websocket', () => {
      for (const upgrade of [undefined, '', 'h2c', 'websockets', 'web socket', 'websocket;', ['h2c']]) {
        expect(rejection(request({ upgrade })), String(upgrade)).toMatchObject({
          status: 400,
          reason: 'Upgrade header must include "websocket"',
          headers: {},
        });
      }
    });

    it('400 when Connection does not include Upgrade', () => {
      for (const connection of [undefined, '', 'keep-alive', 'upgrades', 'Upgrade;x', ['close']]) {
        expect(rejection(request({ connection })), String(connection)).toMatchObject({
          status: 400,
          reason: 'Connection header must include "Upgrade"',
        });
      }
    });

    it('426 with Sec-WebSocket-Version: 13 for a missing or other version (§4.4)', () => {
      for (const version of [undefined, '', '8', '7, 13', '13, 13', '013', '14', ['13', '8']]) {
        expect(rejection(request({ 'sec-websocket-version': version })), String(version)).toEqual({
          status: 426,
          reason: 'Sec-WebSocket-Version must be 13',
          headers: { 'Sec-WebSocket-Version': '13' },
        });
      }
    });

    it('400 for a missing key', () => {
      expect(rejection(request({ 'sec-websocket-key': undefined }))).toMatchObject({
        status: 400,
        reason: 'Sec-WebSocket-Key header is required',
      });
    });

    it('400 for a key that is not base64 of 16 bytes', () => {
      for (const key of [
        '',
        'dGhlIHNhbXBsZSBub25jZQ', // no padding
        'dGhlIHNhbXBsZSBub25jZQ=', // one pad
        'dGhlIHNhbXBsZSBub25jZQ===',
        'dGhlIHNhbXBsZSBub25jZQ==AA',
        'dGhlIHNhbXBsZSBub25j', // 15 bytes
        'dGhlIHNhbXBsZSBub25jZSE=', // 17 bytes
        'dGhlIHNhbXBsZSBub25jZSEh', // 18 bytes, no padding
        'dGhlIHNhbXBsZSBub25jZ-==', // base64url alphabet
        'dGhlIHNhbXBsZSBub25jZ_==',
        'dGhlIHNhbXBsZSBub25j Q==',
        'dGhlIHNhbXBsZSBub25jZQ=A',
        `${SAMPLE_KEY}, ${SAMPLE_KEY}`, // repeated lines joined by Node
        [SAMPLE_KEY, SAMPLE_KEY],
      ]) {
        expect(rejection(request({ 'sec-websocket-key': key })), String(key)).toMatchObject({
          status: 400,
          reason: 'Sec-WebSocket-Key must be base64 of 16 bytes',
        });
      }
    });

    it('400 for a malformed or repeating Sec-WebSocket-Protocol', () => {
      for (const protocol of ['chat superchat', 'chat;', '"chat"', 'chat/1']) {
        expect(rejection(request({ 'sec-websocket-protocol': protocol })), protocol).toMatchObject({
          status: 400,
          reason: 'Sec-WebSocket-Protocol must be a list of tokens',
        });
      }
      expect(rejection(request({ 'sec-websocket-protocol': ['chat', 'chat'] }))).toMatchObject({
        status: 400,
        reason: 'Sec-WebSocket-Protocol must not repeat a subprotocol',
      });
      // Subprotocols are case-sensitive, so these are two different ones.
      expect(validateUpgradeRequest(request({ 'sec-websocket-protocol': 'chat, Chat' })).ok).toBe(true);
    });

    it('accepts an empty Sec-WebSocket-Protocol as no offer', () => {
      const result = validateUpgradeRequest(request({ 'sec-websocket-protocol': '' }));
      expect(result.ok && result.value.protocols).toEqual([]);
    });

    it('400 for malformed Sec-WebSocket-Extensions (§9.1)', () => {
      for (const extensions of ['permessage-deflate;', 'a; b="c d"', 'a b']) {
        const r = rejection(request({ 'sec-websocket-extensions': extensions }));
        expect(r.status, extensions).toBe(400);
        expect(r.reason).toMatch(/^Sec-WebSocket-Extensions is malformed/);
      }
    });

    it('accepts a repeated extension parameter: that offer is declined later, not the handshake (RFC 7692 §7)', () => {
      const result = validateUpgradeRequest(
        request({ 'sec-websocket-extensions': 'permessage-deflate; a; a, permessage-deflate' }),
      );
      expect(result.ok && result.value.extensions.map((e) => e.duplicate)).toEqual(['a', undefined]);
    });

    it('400 for two Origin headers', () => {
      expect(rejection(request({ origin: ['http://a', 'http://b'] }))).toMatchObject({
        status: 400,
        reason: 'Origin header must appear once',
      });
    });

    it('431 for list headers too large to parse', () => {
      const big = 'x,'.repeat(MAX_LIST_HEADER_LENGTH);
      expect(rejection(request({ 'sec-websocket-extensions': big })).status).toBe(431);
      expect(rejection(request({ 'sec-websocket-protocol': big })).status).toBe(431);
      expect(rejection(request({ connection: big })).status).toBe(431);
      expect(rejection(request({ upgrade: big })).status).toBe(431);
      // Split across lines, the joined size counts.
      const half = 'x'.repeat(MAX_LIST_HEADER_LENGTH / 2);
      expect(rejection(request({ 'sec-websocket-extensions': [half, half] })).status).toBe(431);
    });

    it('400 rather than a crash when a JavaScript caller passes non-string values', () => {
      const weird = { upgrade: 42, connection: ['Upgrade', null] } as unknown as Record<string, HeaderValue>;
      expect(rejection(request({ upgrade: weird.upgrade }))).toMatchObject({ status: 400 });
      expect(rejection(request({ connection: weird.connection }))).toMatchObject({ status: 400 });
    });

    it('ignores inherited properties of the headers object', () => {
      const headers = Object.create({ host: 'inherited' }) as Record<string, HeaderValue>;
      Object.assign(headers, request({ host: undefined }).headers);
      expect(rejection({ method: 'GET', httpVersion: '1.1', headers })).toMatchObject({ status: 400 });
    });

    it('reports the version before the key, so an old client learns what to retry with', () => {
      expect(rejection(request({ 'sec-websocket-version': '8', 'sec-websocket-key': 'nope' })).status).toBe(426);
    });
  });
});

describe('selectSubprotocol', () => {
  it("picks the client's most preferred subprotocol that the server supports", () => {
    expect(selectSubprotocol(['chat', 'superchat'], ['superchat', 'chat'])).toBe('chat');
    expect(selectSubprotocol(['v3', 'v2', 'v1'], ['v1', 'v2'])).toBe('v2');
  });

  it('is case-sensitive and returns undefined when nothing matches', () => {
    expect(selectSubprotocol(['Chat'], ['chat'])).toBeUndefined();
    expect(selectSubprotocol([], ['chat'])).toBeUndefined();
    expect(selectSubprotocol(['chat'], [])).toBeUndefined();
  });
});

describe('buildAcceptResponse (RFC 6455 §4.2.2)', () => {
  it('builds the RFC 6455 §1.3 response', () => {
    expect(buildAcceptResponse({ key: SAMPLE_KEY, protocol: 'chat' })).toBe(
      'HTTP/1.1 101 Switching Protocols\r\n' +
        'Upgrade: websocket\r\n' +
        'Connection: Upgrade\r\n' +
        `Sec-WebSocket-Accept: ${SAMPLE_ACCEPT}\r\n` +
        'Sec-WebSocket-Protocol: chat\r\n' +
        '\r\n',
    );
  });

  it('adds extensions and extra headers', () => {
    const head = parseHead(
      buildAcceptResponse({
        key: SAMPLE_KEY,
        extensions: 'permessage-deflate; server_max_window_bits=10',
        headers: { 'Set-Cookie': 'a=b; Path=/', 'X-Trace': '1' },
      }),
    );
    expect(head.startLine).toBe('HTTP/1.1 101 Switching Protocols');
    expect(head.headers['sec-websocket-extensions']).toEqual(['permessage-deflate; server_max_window_bits=10']);
    expect(head.headers['set-cookie']).toEqual(['a=b; Path=/']);
    expect(head.headers['x-trace']).toEqual(['1']);
    expect(head.headers['sec-websocket-protocol']).toBeUndefined();
    expect(head.body).toBe('');
  });

  it('omits an empty extensions value', () => {
    expect(buildAcceptResponse({ key: SAMPLE_KEY, extensions: '' })).not.toMatch(/Extensions/);
  });

  it('refuses header injection and values that are not ASCII', () => {
    const bad = (opts: Parameters<typeof buildAcceptResponse>[0]) => () => buildAcceptResponse(opts);
    expect(bad({ key: SAMPLE_KEY, protocol: 'chat\r\nX-Evil: 1' })).toThrow(WebSocketArgumentError);
    expect(bad({ key: SAMPLE_KEY, protocol: '' })).toThrow(WebSocketArgumentError);
    expect(bad({ key: SAMPLE_KEY, extensions: 'a\r\nX-Evil: 1' })).toThrow(WebSocketArgumentError);
    expect(bad({ key: SAMPLE_KEY, extensions: 'a\n' })).toThrow(WebSocketArgumentError);
    expect(bad({ key: SAMPLE_KEY, headers: { 'X-A': 'v\r\nX-Evil: 1' } })).toThrow(WebSocketArgumentError);
    expect(bad({ key: SAMPLE_KEY, headers: { 'X-A': 'v\n' } })).toThrow(WebSocketArgumentError);
    expect(bad({ key: SAMPLE_KEY, headers: { 'X-A': 'v\0' } })).toThrow(WebSocketArgumentError);
    expect(bad({ key: SAMPLE_KEY, headers: { 'X-A': 'é' } })).toThrow(WebSocketArgumentError);
    expect(bad({ key: SAMPLE_KEY, headers: { 'X-A\r\nX-Evil': 'v' } })).toThrow(WebSocketArgumentError);
    expect(bad({ key: SAMPLE_KEY, headers: { 'X A': 'v' } })).toThrow(WebSocketArgumentError);
  });

  it('refuses extra headers that the handshake writes itself', () => {
    expect(() => buildAcceptResponse({ key: SAMPLE_KEY, headers: { connection: 'close' } })).toThrow(
      /set by the handshake/,
    );
    expect(() => buildAcceptResponse({ key: SAMPLE_KEY, headers: { 'SEC-WEBSOCKET-ACCEPT': 'x' } })).toThrow(
      WebSocketArgumentError,
    );
    expect(() =>
      buildAcceptResponse({ key: SAMPLE_KEY, protocol: 'a', headers: { 'Sec-WebSocket-Protocol': 'b' } }),
    ).toThrow(WebSocketArgumentError);
    // Not written, so the caller may set it.
    expect(buildAcceptResponse({ key: SAMPLE_KEY, headers: { 'Sec-WebSocket-Protocol': 'b' } })).toMatch(
      /Sec-WebSocket-Protocol: b\r\n/,
    );
  });
});

describe('buildRejectionResponse', () => {
  it('builds a closing text/plain response with the reason as body', () => {
    expect(buildRejectionResponse(400, 'Sec-WebSocket-Key must be base64 of 16 bytes')).toBe(
      'HTTP/1.1 400 Bad Request\r\n' +
        'Connection: close\r\n' +
        'Content-Type: text/plain; charset=utf-8\r\n' +
        'Content-Length: 44\r\n' +
        '\r\n' +
        'Sec-WebSocket-Key must be base64 of 16 bytes',
    );
  });

  it('carries the rejection headers of §4.4 and RFC 7231 §6.5.5', () => {
    const r426 = parseHead(
      buildRejectionResponse(426, 'Sec-WebSocket-Version must be 13', { 'Sec-WebSocket-Version': '13' }),
    );
    expect(r426.startLine).toBe('HTTP/1.1 426 Upgrade Required');
    expect(r426.headers['sec-websocket-version']).toEqual(['13']);
    const r405 = parseHead(buildRejectionResponse(405, 'Method must be GET', { Allow: 'GET' }));
    expect(r405.startLine).toBe('HTTP/1.1 405 Method Not Allowed');
    expect(r405.headers.allow).toEqual(['GET']);
  });

  it('counts Content-Length in UTF-8 bytes', () => {
    for (const body of ['', 'é', '€', '😀', 'a\ud800b', '\udc00', 'ü😀€a']) {
      const head = parseHead(buildRejectionResponse(403, 'x', {}, body));
      expect(head.headers['content-length'], JSON.stringify(body)).toEqual([
        String(new TextEncoder().encode(body).length),
      ]);
      expect(head.body).toBe(body);
    }
  });

  it('lets the caller replace Content-Type and uses an empty phrase for unknown statuses', () => {
    const head = parseHead(buildRejectionResponse(499, 'x', { 'content-type': 'application/json' }, '{}'));
    expect(head.startLine).toBe('HTTP/1.1 499 ');
    expect(head.headers['content-type']).toEqual(['application/json']);
    expect(head.body).toBe('{}');
  });

  it('refuses bad statuses, injection and headers it writes', () => {
    for (const status of [101, 200, 299, 600, 400.5, Number.NaN]) {
      expect(() => buildRejectionResponse(status, 'x'), String(status)).toThrow(WebSocketArgumentError);
    }
    expect(() => buildRejectionResponse(400, 'x', { 'X-A': 'a\r\nb' })).toThrow(WebSocketArgumentError);
    expect(() => buildRejectionResponse(400, 'x', { 'Content-Type': 'a\nb' })).toThrow(WebSocketArgumentError);
    expect(() => buildRejectionResponse(400, 'x', { 'Content-Length': '0' })).toThrow(WebSocketArgumentError);
    expect(() => buildRejectionResponse(400, 'x', { Connection: 'keep-alive' })).toThrow(WebSocketArgumentError);
  });
});
