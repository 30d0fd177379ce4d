import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type HeaderValue, computeAcceptKey } from '../src/protocol/handshake.js';
import { buildClientRequest, validateServerResponse } from '../src/protocol/handshake-client.js';
import { buildAcceptResponse, selectSubprotocol, validateUpgradeRequest } from '../src/protocol/handshake-server.js';
import { type ExtensionOffer, formatExtensions } from '../src/protocol/header-grammar.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
/** Per-test time budget that grows with the number of runs (`npm run fuzz` uses 20,000). */
const TIMEOUT = Math.max(20_000, RUNS * 10);

const VALID_KEY = 'dGhlIHNhbXBsZSBub25jZQ==';
const REQUEST_HEADERS = [
  'host',
  'upgrade',
  'connection',
  'sec-websocket-key',
  'sec-websocket-version',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
  'origin',
] as const;
const RESPONSE_HEADERS = [
  'upgrade',
  'connection',
  'sec-websocket-accept',
  'sec-websocket-protocol',
  'sec-websocket-extensions',
] as const;

const anyString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: fc.constantFrom(',', ';', '=', '"', '\\', ' ', '\t', 'a', '1', '/', '\r', '\n'), maxLength: 40 }),
  // Around the grammar's length cap; built by repetition because generating 8 KiB char by char is slow.
  fc
    .tuple(fc.constantFrom('x,', ',', 'x', ' '), fc.integer({ min: 4090, max: 8200 }))
    .map(([unit, n]) => unit.repeat(n)),
);
/** Values that pass some checks, so the validators get past the first test. */
const plausible = fc.constantFrom(
  'websocket',
  'WebSocket',
  'Upgrade',
  'keep-alive, Upgrade',
  '13',
  '8',
  VALID_KEY,
  'dGhlIHNhbXBsZSBub25jZQ=',
  'chat, superchat',
  'chat',
  'permessage-deflate; client_max_window_bits',
  'a; b; b',
  'server.example.com',
  'http://example.com',
  computeAcceptKey(VALID_KEY),
  '',
);
const headerValue: fc.Arbitrary<HeaderValue> = fc.oneof(
  plausible,
  anyString,
  fc.array(fc.oneof(plausible, anyString), { maxLength: 3 }),
  fc.constant(undefined),
);
/** What a JavaScript caller might pass despite the types. */
const junkValue = fc.oneof(headerValue, fc.anything()) as fc.Arbitrary<HeaderValue>;

const randomKey = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((b) => btoa(String.fromCharCode(...b)));
const goodExtensions = fc.constantFrom(
  'permessage-deflate; client_max_window_bits',
  'permessage-deflate; server_max_window_bits="10", x-foo',
  ', ,permessage-deflate ;a = b',
);

/** Per header, values that pass its check: most generated requests get deep into the validator. */
const GOOD_REQUEST: Record<(typeof REQUEST_HEADERS)[number], fc.Arbitrary<HeaderValue>> = {
  host: fc.constantFrom('server.example.com', 'localhost:8080', ['h']),
  upgrade: fc.constantFrom('websocket', 'WebSocket', 'h2c, websocket', ['websocket']),
  connection: fc.constantFrom('Upgrade', 'keep-alive, Upgrade', ['keep-alive', 'upgrade']),
  'sec-websocket-key': fc.oneof(fc.constant(VALID_KEY), randomKey),
  'sec-websocket-version': fc.constantFrom('13', ['13']),
  'sec-websocket-protocol': fc.constantFrom('chat, superchat', ['chat', 'superchat'], 'chat', ''),
  'sec-websocket-extensions': goodExtensions,
  origin: fc.constantFrom('http://example.com', undefined),
};
const GOOD_RESPONSE: Record<(typeof RESPONSE_HEADERS)[number], fc.Arbitrary<HeaderValue>> = {
  upgrade: fc.constantFrom('websocket', 'WebSocket'),
  connection: fc.constantFrom('Upgrade', 'keep-alive, Upgrade'),
  'sec-websocket-accept': fc.constant(computeAcceptKey(VALID_KEY)),
  'sec-websocket-protocol': fc.constantFrom('chat', undefined),
  'sec-websocket-extensions': fc.constantFrom(
    'permessage-deflate',
    'permessage-deflate; server_max_window_bits=10',
    undefined,
  ),
};

function headerSet(
  good: Record<string, fc.Arbitrary<HeaderValue>>,
  value: fc.Arbitrary<HeaderValue>,
): fc.Arbitrary<Record<string, HeaderValue>> {
  const names = Object.keys(good);
  return fc
    .tuple(
      fc.record(
        Object.fromEntries(
          names.map((n) => [n, fc.oneof({ weight: 6, arbitrary: good[n] }, { weight: 1, arbitrary: value })]),
        ),
        { requiredKeys: [] },
      ),
      fc.dictionary(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom(...names)), value, { maxKeys: 3 }),
    )
    .map(([known, extra]) => Object.assign(Object.create(null) as Record<string, HeaderValue>, extra, known));
}

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constant('GET') },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom('POST', 'get', '', undefined), fc.string({ maxLength: 10 })) },
);
const httpVersion = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('1.1', 'HTTP/1.1', '2.0') },
  { weight: 1, arbitrary: fc.oneof(fc.constantFrom('1.0', ''), fc.string({ maxLength: 10 })) },
);

const ALLOWED_STATUS = new Set([400, 405, 426, 431]);

const requestHeaders = fc.oneof(headerSet(GOOD_REQUEST, headerValue), headerSet(GOOD_REQUEST, junkValue));
const responseHeaders = fc.oneof(headerSet(GOOD_RESPONSE, headerValue), headerSet(GOOD_RESPONSE, junkValue));

describe('validateUpgradeRequest (fuzz)', () => {
  it(
    'never throws and answers ok or a rejection with an allowed status',
    () => {
      fc.assert(
        fc.property(method, httpVersion, requestHeaders, (m, v, headers) => {
          const result = validateUpgradeRequest({ method: m, httpVersion: v, headers });
          if (result.ok) {
            expect(result.value.key).toHaveLength(24);
            expect(m).toBe('GET');
            return;
          }
          const r = result.rejection;
          expect(ALLOWED_STATUS.has(r.status)).toBe(true);
          expect(r.reason.length).toBeGreaterThan(0);
          if (r.status === 426) expect(r.headers).toEqual({ 'Sec-WebSocket-Version': '13' });
          if (r.status === 405) expect(r.headers).toEqual({ Allow: 'GET' });
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'never throws on a valid request with one header replaced by anything',
    () => {
      const valid: Record<string, HeaderValue> = {
        host: 'h',
        upgrade: 'websocket',
        connection: 'Upgrade',
        'sec-websocket-key': VALID_KEY,
        'sec-websocket-version': '13',
      };
      fc.assert(
        fc.property(fc.constantFrom(...REQUEST_HEADERS), junkValue, (name, value) => {
          const result = validateUpgradeRequest({
            method: 'GET',
            httpVersion: '1.1',
            headers: { ...valid, [name]: value },
          });
          expect(result.ok || ALLOWED_STATUS.has(result.rejection.status)).toBe(true);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});

describe('validateServerResponse (fuzz)', () => {
  it(
    'never throws',
    () => {
      const status = fc.oneof(
        { weight: 6, arbitrary: fc.constant(101) },
        {
          weight: 1,
          arbitrary: fc.oneof(fc.constantFrom(200, 400, 426), fc.integer(), fc.anything() as fc.Arbitrary<number>),
        },
      );
      const expected = fc.record({
        key: fc.oneof(fc.constant(VALID_KEY), fc.string()),
        protocols: fc.array(fc.oneof(fc.constant('chat'), fc.string()), { maxLength: 3 }),
        extensionsOffered: fc.array(fc.oneof(fc.constant('permessage-deflate'), fc.string()), { maxLength: 3 }),
      });
      fc.assert(
        fc.property(status, responseHeaders, expected, (s, headers, exp) => {
          const result = validateServerResponse({ status: s, headers }, exp);
          if (result.ok) {
            expect(s).toBe(101);
            if (result.value.protocol !== undefined) expect(exp.protocols).toContain(result.value.protocol);
          } else {
            expect(result.error.length).toBeGreaterThan(0);
          }
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});

// ---- Positive round trip: client request → server validation → 101 → client validation -------------------------

const TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".split('');
const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 10 });
const asciiRange = (min: number, max: number) => fc.integer({ min, max }).map((c) => String.fromCharCode(c));
const visible = fc.string({ unit: asciiRange(0x21, 0x7e), minLength: 1, maxLength: 30 });
/** Printable ASCII without surrounding spaces: RFC 7230 §3.2.4 has recipients strip OWS around a field value. */
const printable = fc.string({ unit: asciiRange(0x20, 0x7e), maxLength: 30 }).map((s) => s.trim());
const offer: fc.Arbitrary<ExtensionOffer> = fc
  .record({
    name: token,
    params: fc.uniqueArray(fc.tuple(token, fc.oneof(fc.constant<true>(true), token)), {
      maxLength: 4,
      selector: ([k]) => k.toLowerCase(),
    }),
  })
  .map(({ name, params }) => ({
    name: name.toLowerCase(),
    params: new Map(params.map(([k, v]) => [k.toLowerCase(), v])),
  }));

/** Splits a head written by the builders into Node's shape: lower-cased names, repeated lines as arrays. */
function parseHead(text: string): { startLine: string; headers: Record<string, HeaderValue> } {
  expect(text.endsWith('\r\n\r\n')).toBe(true);
  const [startLine, ...lines] = text.slice(0, -4).split('\r\n');
  const headers: Record<string, string[]> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    expect(colon).toBeGreaterThan(0);
    (headers[line.slice(0, colon).toLowerCase()] ??= []).push(line.slice(colon + 1).trim());
  }
  return {
    startLine,
    headers: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, v.length === 1 ? v[0] : v])),
  };
}

describe('handshake round trip (fuzz)', () => {
  it(
    'a request built by buildClientRequest validates, and the 101 built from it validates on the client',
    () => {
      fc.assert(
        fc.property(
          fc.record(
            {
              host: visible,
              path: visible.map((p) => '/' + p),
              origin: printable,
              protocols: fc.uniqueArray(token, { maxLength: 5 }),
              offers: fc.array(offer, { maxLength: 4 }),
              headers: fc.dictionary(
                token.map((t) => 'x-' + t),
                printable,
                { maxKeys: 3 },
              ),
              supported: fc.uniqueArray(token, { maxLength: 5 }),
            },
            { requiredKeys: ['host', 'path', 'protocols', 'offers', 'supported'] },
          ),
          fc.boolean(),
          (o, acceptSome) => {
            const extensions = o.offers.length > 0 ? formatExtensions(o.offers) : undefined;
            const { key, text } = buildClientRequest({ ...o, extensions });
            const request = parseHead(text);
            const [verb, target, version] = request.startLine.split(' ');
            expect(target).toBe(o.path);
            const validated = validateUpgradeRequest({ method: verb, httpVersion: version, headers: request.headers });
            expect(validated).toEqual({
              ok: true,
              value: { key, protocols: o.protocols, extensions: o.offers, origin: o.origin },
            });
            if (!validated.ok) return;

            // The server accepts the first offer of each extension (or none), and picks a subprotocol.
            const supported = acceptSome ? [...o.supported, ...o.protocols.slice(-1)] : o.supported;
            const protocol = selectSubprotocol(validated.value.protocols, supported);
            const seen = new Set<string>();
            const accepted = acceptSome
              ? validated.value.extensions.filter((e) => !seen.has(e.name) && (seen.add(e.name), true))
              : [];
            const response = parseHead(
              buildAcceptResponse({
                key: validated.value.key,
                protocol,
                extensions: accepted.length > 0 ? formatExtensions(accepted) : undefined,
              }),
            );
            expect(response.startLine).toBe('HTTP/1.1 101 Switching Protocols');
            const result = validateServerResponse(
              { status: 101, headers: response.headers },
              { key, protocols: o.protocols, extensionsOffered: o.offers.map((e) => e.name) },
            );
            expect(result).toEqual({ ok: true, value: { protocol, extensions: accepted } });
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});
