import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ExtensionOffer,
  type ParseResult,
  MAX_EXTENSION_PARAMS,
  MAX_LIST_ELEMENTS,
  MAX_LIST_HEADER_LENGTH,
  formatExtensions,
  isToken,
  parseExtensions,
  parseProtocolList,
  parseTokenList,
} from '../src/protocol/header-grammar.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
/** Per-test time budget that grows with the number of runs (`npm run fuzz` uses 20,000). */
const TIMEOUT = Math.max(20_000, RUNS * 10);

const TCHARS = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".split('');
const token = fc.string({ unit: fc.constantFrom(...TCHARS), minLength: 1, maxLength: 12 });
/** Short tokens collide often, which exercises duplicate detection. */
const shortToken = fc.string({ unit: fc.constantFrom('a', 'B', 'c', '1', '-', '_'), minLength: 1, maxLength: 3 });

const offerArb: fc.Arbitrary<ExtensionOffer> = fc
  .record({
    name: fc.oneof(token, shortToken),
    params: fc.uniqueArray(fc.tuple(fc.oneof(token, shortToken), fc.oneof(fc.constant<true>(true), token)), {
      maxLength: 6,
      selector: ([key]) => key.toLowerCase(),
    }),
  })
  .map(({ name, params }) => ({ name, params: new Map(params) }));

const offerList = fc.array(offerArb, { maxLength: 6 });

function lowerCased(list: readonly ExtensionOffer[]): ExtensionOffer[] {
  return list.map((o) => ({
    name: o.name.toLowerCase(),
    params: new Map([...o.params].map(([k, v]) => [k.toLowerCase(), v] as const)),
  }));
}

/** Characters that matter to the grammar, plus a few that must always be refused. */
const GRAMMAR_CHARS = [',', ';', '=', '"', '\\', ' ', '\t', 'a', 'B', '1', '-', '/', '\r', '\n', '\0', 'é'];
// An astral character and lone surrogates (fast-check's 'binary' unit never produces the latter).
GRAMMAR_CHARS.push('\u{1F600}', '\ud800', '\udfff');
const grammarString = fc.string({ unit: fc.constantFrom(...GRAMMAR_CHARS), maxLength: 80 });

/** Every kind of string fast-check can make: code points, graphemes, ASCII, grammar soup, near-cap lengths. */
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.string({ unit: 'binary-ascii', maxLength: 200 }),
  fc.string({ maxLength: 200 }),
  grammarString,
  // Around the length cap; built by repetition because generating 8 KiB char by char is slow.
  fc
    .tuple(grammarString, fc.integer({ min: MAX_LIST_HEADER_LENGTH - 20, max: MAX_LIST_HEADER_LENGTH + 20 }))
    .map(([unit, n]) => (unit.length === 0 ? ',' : unit).repeat(n).slice(0, n)),
);

// ---- A second, deliberately naive implementation to compare against --------------------------------------------
// Splitting on "," ";" "=" is only correct because RFC 6455 §9.1 requires quoted values to be tokens, so none of
// those characters can appear inside a valid quoted-string.

function trimOws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s[a] === ' ' || s[a] === '\t')) a++;
  while (b > a && (s[b - 1] === ' ' || s[b - 1] === '\t')) b--;
  return s.slice(a, b);
}

function referenceValue(raw: string): string | null {
  if (isToken(raw)) return raw;
  if (raw.length < 2 || raw[0] !== '"' || raw[raw.length - 1] !== '"') return null;
  let out = '';
  const inner = raw.slice(1, -1);
  for (let i = 0; i < inner.length; i++) {
    if (inner[i] === '"') return null;
    if (inner[i] === '\\') {
      i++;
      if (i >= inner.length) return null;
    }
    out += inner[i];
  }
  return isToken(out) ? out : null;
}

function referenceExtensions(header: string): ExtensionOffer[] | null {
  if (header.length > MAX_LIST_HEADER_LENGTH) return null;
  const out: ExtensionOffer[] = [];
  for (const element of header.split(',')) {
    if (trimOws(element) === '') continue;
    const [rawName, ...rawParams] = element.split(';');
    const name = trimOws(rawName);
    if (!isToken(name)) return null;
    const params = new Map<string, string | true>();
    let duplicate: string | undefined;
    if (rawParams.length > MAX_EXTENSION_PARAMS) return null;
    for (const rawParam of rawParams) {
      const eq = rawParam.indexOf('=');
      const key = trimOws(eq < 0 ? rawParam : rawParam.slice(0, eq)).toLowerCase();
      if (!isToken(key)) return null;
      let value: string | true = true;
      if (eq >= 0) {
        const v = referenceValue(trimOws(rawParam.slice(eq + 1)));
        if (v === null) return null;
        value = v;
      }
      if (params.has(key)) duplicate ??= key;
      else params.set(key, value);
    }
    out.push(
      duplicate === undefined ? { name: name.toLowerCase(), params } : { name: name.toLowerCase(), params, duplicate },
    );
  }
  return out.length > MAX_LIST_ELEMENTS ? null : out;
}

function referenceTokens(header: string, allowSlash: boolean): string[] | null {
  if (header.length > MAX_LIST_HEADER_LENGTH) return null;
  const out: string[] = [];
  for (const element of header.split(',')) {
    const t = trimOws(element);
    if (t === '') continue;
    const slash = allowSlash ? t.indexOf('/') : -1;
    if (slash < 0 ? !isToken(t) : !isToken(t.slice(0, slash)) || !isToken(t.slice(slash + 1))) return null;
    out.push(t);
  }
  return out.length > MAX_LIST_ELEMENTS ? null : out;
}

function valueOf<T>(result: ParseResult<T>): T | null {
  return result.ok ? result.value : null;
}

// ---- A randomised serializer: any spelling the grammar allows ---------------------------------------------------

const ows = fc.string({ unit: fc.constantFrom(' ', '\t'), maxLength: 2 });

/** A quoted-string spelling of a token value, escaping a random subset of its characters. */
function quotedSpelling(value: string): fc.Arbitrary<string> {
  return fc
    .array(fc.boolean(), { minLength: value.length, maxLength: value.length })
    .map((escapes) => '"' + [...value].map((c, i) => (escapes[i] ? '\\' + c : c)).join('') + '"');
}

function spellOffer(o: ExtensionOffer): fc.Arbitrary<string> {
  const params = [...o.params].map(([key, value]) =>
    fc
      .record({
        before: ows,
        after: ows,
        around: fc.tuple(ows, ows),
        value: value === true ? fc.constant('') : fc.oneof(fc.constant(value), quotedSpelling(value)),
      })
      .map((p) => `${p.before};${p.after}${key}${value === true ? '' : `${p.around[0]}=${p.around[1]}${p.value}`}`),
  );
  return fc.tuple(fc.constant(o.name), ...params).map((parts) => parts.join(''));
}

function spellList(list: readonly ExtensionOffer[]): fc.Arbitrary<string> {
  const separator = fc.oneof(
    fc.tuple(ows, ows).map(([a, b]) => `${a},${b}`),
    fc.constantFrom(', ,', ',,', ' ,\t, '),
  );
  return fc
    .tuple(
      ows,
      fc.tuple(...list.map(spellOffer)),
      fc.array(separator, { minLength: list.length, maxLength: list.length }),
      ows,
    )
    .map(([lead, parts, seps, trail]) => lead + parts.map((p, i) => (i === 0 ? p : seps[i] + p)).join('') + trail);
}

describe('Sec-WebSocket-Extensions grammar (fuzz)', () => {
  it(
    'format → parse is the identity (names lower-cased)',
    () => {
      fc.assert(
        fc.property(offerList, (list) => {
          expect(parseExtensions(formatExtensions(list))).toEqual({ ok: true, value: lowerCased(list) });
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'every spelling the grammar allows (OWS, empty elements, quoting, escapes) parses to the same list',
    () => {
      fc.assert(
        fc.property(
          offerList.chain((list) => fc.tuple(fc.constant(list), spellList(list))),
          ([list, header]) => {
            expect(parseExtensions(header)).toEqual({ ok: true, value: lowerCased(list) });
          },
        ),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'agrees with a naive split-based reference on arbitrary input',
    () => {
      fc.assert(
        fc.property(fc.oneof(anyString, offerList.chain(spellList)), (header) => {
          expect(valueOf(parseExtensions(header))).toEqual(referenceExtensions(header));
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'agrees with the reference on valid headers with one character changed',
    () => {
      const mutated = fc
        .tuple(offerList.chain(spellList), fc.nat(), fc.constantFrom(...GRAMMAR_CHARS, ''))
        .map(([header, at, c]) => {
          const i = header.length === 0 ? 0 : at % header.length;
          return header.slice(0, i) + c + header.slice(i + 1);
        });
      fc.assert(
        fc.property(mutated, (header) => {
          expect(valueOf(parseExtensions(header))).toEqual(referenceExtensions(header));
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'agrees with the reference near the element and parameter caps',
    () => {
      const nearCaps = fc.oneof(
        fc
          .integer({ min: MAX_LIST_ELEMENTS - 2, max: MAX_LIST_ELEMENTS + 2 })
          .map((n) => Array(n).fill('x').join(', ')),
        fc
          .integer({ min: MAX_EXTENSION_PARAMS - 2, max: MAX_EXTENSION_PARAMS + 2 })
          .map((n) => 'x' + Array.from({ length: n }, (_, i) => `; p${i}=${i}`).join('')),
      );
      fc.assert(
        fc.property(nearCaps, (header) => {
          expect(valueOf(parseExtensions(header))).toEqual(referenceExtensions(header));
        }),
        { numRuns: Math.min(RUNS, 50) },
      );
    },
    TIMEOUT,
  );

  it(
    'parse → format → parse is stable',
    () => {
      fc.assert(
        fc.property(fc.oneof(grammarString, offerList.chain(spellList)), (header) => {
          const first = parseExtensions(header);
          if (!first.ok) return;
          expect(parseExtensions(formatExtensions(first.value))).toEqual(first);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'never throws, on any string',
    () => {
      fc.assert(
        fc.property(anyString, (header) => {
          const result = parseExtensions(header);
          expect(typeof result.ok).toBe('boolean');
          if (!result.ok) expect(result.error.length).toBeLessThan(200);
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});

describe('token lists (fuzz)', () => {
  const tokens = fc.array(token, { maxLength: 10 });

  it(
    'any OWS/empty-element spelling of a token list parses back to the tokens, as written',
    () => {
      const spelled = tokens.chain((list) =>
        fc
          .array(fc.tuple(ows, fc.constantFrom(',', ',,', ', ,'), ows), {
            minLength: list.length,
            maxLength: list.length,
          })
          .map(
            (seps) =>
              [list, list.map((t, i) => (i === 0 ? seps[i][0] + t : seps[i].join('') + t)).join('') + ' '] as const,
          ),
      );
      fc.assert(
        fc.property(spelled, ([list, header]) => {
          expect(parseTokenList(header)).toEqual({ ok: true, value: list });
          expect(parseProtocolList(header)).toEqual({ ok: true, value: list });
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );

  it(
    'never throws and agrees with the naive reference',
    () => {
      fc.assert(
        fc.property(anyString, (header) => {
          expect(valueOf(parseTokenList(header))).toEqual(referenceTokens(header, false));
          expect(valueOf(parseProtocolList(header))).toEqual(referenceTokens(header, true));
          expect(typeof isToken(header)).toBe('boolean');
        }),
        { numRuns: RUNS },
      );
    },
    TIMEOUT,
  );
});
