import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DeflateParams,
  type PerMessageDeflateOptions,
  PERMESSAGE_DEFLATE,
  acceptDeflateOffer,
  acceptDeflateResponse,
  buildDeflateOffer,
} from '../../src/protocol/deflate-negotiation.js';
import { WebSocketArgumentError } from '../../src/protocol/errors.js';
import { type ExtensionOffer, formatExtensions, parseExtensions } from '../../src/protocol/header-grammar.js';

const DEFAULTS: DeflateParams = {
  serverNoContextTakeover: false,
  clientNoContextTakeover: false,
  serverMaxWindowBits: 15,
  clientMaxWindowBits: 15,
};

function offers(header: string): ExtensionOffer[] {
  const result = parseExtensions(header);
  if (!result.ok) throw new Error(result.error);
  return result.value;
}

function one(header: string): ExtensionOffer {
  const list = offers(header);
  expect(list).toHaveLength(1);
  return list[0];
}

/** Server side: the response header and agreed params for a client's `Sec-WebSocket-Extensions` header. */
function serverAccepts(
  header: string,
  options: PerMessageDeflateOptions = {},
): { header: string; params: DeflateParams } {
  const accepted = acceptDeflateOffer(offers(header), options);
  if (accepted === null) throw new Error(`expected ${header} to be accepted`);
  return { header: formatExtensions([accepted.response]), params: accepted.params };
}

function serverDeclines(header: string, options: PerMessageDeflateOptions = {}): void {
  expect(acceptDeflateOffer(offers(header), options), header).toBeNull();
}

function clientFails(response: string, offered: PerMessageDeflateOptions = {}): string {
  const result = acceptDeflateResponse(one(response), offered);
  if (result.ok) throw new Error(`expected ${response} to be refused`);
  return result.error;
}

function clientAccepts(response: string, offered: PerMessageDeflateOptions = {}): DeflateParams {
  const result = acceptDeflateResponse(one(response), offered);
  if (!result.ok) throw new Error(`expected ${response} to be accepted: ${result.error}`);
  return result.value;
}

describe('acceptDeflateOffer (server, RFC 7692 §7.1)', () => {
  it('accepts a bare offer with a bare response (§7.1.3 first example)', () => {
    expect(serverAccepts('permessage-deflate')).toEqual({ header: 'permessage-deflate', params: DEFAULTS });
  });

  it('returns null when no permessage-deflate offer was made', () => {
    expect(acceptDeflateOffer([], {})).toBeNull();
    serverDeclines('x-webkit-deflate-frame, foo; bar');
  });

  it('skips other extensions and uses the permessage-deflate offer', () => {
    expect(serverAccepts('x-foo, permessage-deflate').header).toBe('permessage-deflate');
  });

  describe('server_no_context_takeover (§7.1.1.1)', () => {
    it('accepts an offered server_no_context_takeover by including it', () => {
      expect(serverAccepts('permessage-deflate; server_no_context_takeover')).toEqual({
        header: 'permessage-deflate; server_no_context_takeover',
        params: { ...DEFAULTS, serverNoContextTakeover: true },
      });
    });

    it('may include it unasked', () => {
      expect(serverAccepts('permessage-deflate', { serverNoContextTakeover: true })).toEqual({
        header: 'permessage-deflate; server_no_context_takeover',
        params: { ...DEFAULTS, serverNoContextTakeover: true },
      });
    });
  });

  describe('client_no_context_takeover (§7.1.1.2)', () => {
    it('records the client hint and repeats it', () => {
      expect(serverAccepts('permessage-deflate; client_no_context_takeover')).toEqual({
        header: 'permessage-deflate; client_no_context_takeover',
        params: { ...DEFAULTS, clientNoContextTakeover: true },
      });
    });

    it('may demand it unasked', () => {
      expect(serverAccepts('permessage-deflate', { clientNoContextTakeover: true })).toEqual({
        header: 'permessage-deflate; client_no_context_takeover',
        params: { ...DEFAULTS, clientNoContextTakeover: true },
      });
    });
  });

  describe('server_max_window_bits (§7.1.2.1)', () => {
    it('accepts an offered limit by repeating it (§5.2 example: server_max_window_bits=10)', () => {
      expect(serverAccepts('permessage-deflate; server_max_window_bits=10')).toEqual({
        header: 'permessage-deflate; server_max_window_bits=10',
        params: { ...DEFAULTS, serverMaxWindowBits: 10 },
      });
    });

    it('answers with "the same or smaller value as the offer"', () => {
      expect(serverAccepts('permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 9 })).toEqual({
        header: 'permessage-deflate; server_max_window_bits=9',
        params: { ...DEFAULTS, serverMaxWindowBits: 9 },
      });
      const smaller = serverAccepts('permessage-deflate; server_max_window_bits=9', { serverMaxWindowBits: 12 });
      expect(smaller.params.serverMaxWindowBits).toBe(9);
    });

    it('echoes server_max_window_bits=15 rather than dropping it (accepting means including it)', () => {
      expect(serverAccepts('permessage-deflate; server_max_window_bits=15').header).toBe(
        'permessage-deflate; server_max_window_bits=15',
      );
    });

    it('may announce a smaller window even when the offer had none', () => {
      expect(serverAccepts('permessage-deflate', { serverMaxWindowBits: 11 })).toEqual({
        header: 'permessage-deflate; server_max_window_bits=11',
        params: { ...DEFAULTS, serverMaxWindowBits: 11 },
      });
    });

    it('accepts quoted values that unquote to a valid number (RFC 6455 §9.1)', () => {
      expect(serverAccepts('permessage-deflate; server_max_window_bits="10"').params.serverMaxWindowBits).toBe(10);
    });

    it('declines values outside 8..15, with leading zeros, or missing', () => {
      for (const value of ['7', '16', '0', '08', '010', 'abc', '1e1', '9.0', '-9', '+9', '100']) {
        serverDeclines(`permessage-deflate; server_max_window_bits=${value}`);
      }
      serverDeclines('permessage-deflate; server_max_window_bits');
    });

    it('accepts every value from 8 to 15', () => {
      for (let bits = 8; bits <= 15; bits++) {
        expect(serverAccepts(`permessage-deflate; server_max_window_bits=${bits}`).params.serverMaxWindowBits).toBe(
          bits,
        );
      }
    });
  });

  describe('client_max_window_bits (§7.1.2.2)', () => {
    it('without a value, the client only says it supports the parameter (§7.1.3 example: answer with a limit)', () => {
      expect(serverAccepts('permessage-deflate; client_max_window_bits', { clientMaxWindowBits: 10 })).toEqual({
        header: 'permessage-deflate; client_max_window_bits=10',
        params: { ...DEFAULTS, clientMaxWindowBits: 10 },
      });
      expect(serverAccepts('permessage-deflate; client_max_window_bits')).toEqual({
        header: 'permessage-deflate',
        params: DEFAULTS,
      });
    });

    it("with a value, the client's own limit stands; the server only answers to lower it", () => {
      expect(serverAccepts('permessage-deflate; client_max_window_bits=10')).toEqual({
        header: 'permessage-deflate',
        params: { ...DEFAULTS, clientMaxWindowBits: 10 },
      });
      expect(serverAccepts('permessage-deflate; client_max_window_bits=10', { clientMaxWindowBits: 12 })).toEqual({
        header: 'permessage-deflate',
        params: { ...DEFAULTS, clientMaxWindowBits: 10 },
      });
      expect(serverAccepts('permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 9 })).toEqual({
        header: 'permessage-deflate; client_max_window_bits=9',
        params: { ...DEFAULTS, clientMaxWindowBits: 9 },
      });
    });

    it('never answers with client_max_window_bits when it was not offered', () => {
      const { header } = serverAccepts('permessage-deflate; server_no_context_takeover');
      expect(header).not.toMatch(/client_max_window_bits/);
    });

    it('declines a client that cannot be limited when the server needs a smaller window', () => {
      serverDeclines('permessage-deflate', { clientMaxWindowBits: 10 });
    });

    it('declines bad values', () => {
      for (const value of ['7', '16', '08', 'x', '"1e"']) {
        serverDeclines(`permessage-deflate; client_max_window_bits=${value}`);
      }
    });
  });

  describe('declined offers (§7: unknown parameter, invalid value, duplicate) and fallback (§5.1)', () => {
    it('declines unknown parameters and values on valueless parameters', () => {
      serverDeclines('permessage-deflate; foo');
      serverDeclines('permessage-deflate; server_no_context_takeover=1');
      serverDeclines('permessage-deflate; client_no_context_takeover=true');
      serverDeclines('permessage-deflate; server_no_context_takeover="x"');
    });

    it('declines an offer with a repeated parameter and falls back to the next one (§7)', () => {
      serverDeclines('permessage-deflate; server_no_context_takeover; server_no_context_takeover');
      serverDeclines('permessage-deflate; server_max_window_bits=10; SERVER_MAX_WINDOW_BITS=12');
      const parsed = parseExtensions(
        'permessage-deflate; client_max_window_bits; client_max_window_bits, permessage-deflate',
      );
      expect(parsed.ok && acceptDeflateOffer(parsed.value, {})?.params.clientMaxWindowBits).toBe(15);
    });

    it('fails a response with a repeated parameter (client side, §7)', () => {
      const parsed = parseExtensions('permessage-deflate; server_no_context_takeover; server_no_context_takeover');
      expect(parsed.ok && acceptDeflateResponse(parsed.value[0], {}).ok).toBe(false);
    });

    it('tries the next offer when one is declined (§7.1.3 example)', () => {
      expect(
        serverAccepts(
          'permessage-deflate; server_max_window_bits=7, ' +
            'permessage-deflate; client_max_window_bits; server_max_window_bits=10, ' +
            'permessage-deflate',
        ),
      ).toEqual({
        header: 'permessage-deflate; server_max_window_bits=10',
        params: { ...DEFAULTS, serverMaxWindowBits: 10 },
      });
      expect(
        serverAccepts('permessage-deflate; foo, permessage-deflate; client_max_window_bits', {
          clientMaxWindowBits: 9,
        }),
      ).toEqual({
        header: 'permessage-deflate; client_max_window_bits=9',
        params: { ...DEFAULTS, clientMaxWindowBits: 9 },
      });
      const fallback = serverAccepts('permessage-deflate, permessage-deflate; client_max_window_bits', {
        clientMaxWindowBits: 9,
      });
      expect(fallback.params.clientMaxWindowBits).toBe(9);
    });

    it('accepts the first acceptable offer, not the best', () => {
      expect(
        serverAccepts('permessage-deflate; server_max_window_bits=9, permessage-deflate').params.serverMaxWindowBits,
      ).toBe(9);
    });
  });

  it('throws on invalid local options', () => {
    for (const bad of [7, 16, 9.5, Number.NaN]) {
      expect(() => acceptDeflateOffer([], { serverMaxWindowBits: bad })).toThrow(WebSocketArgumentError);
      expect(() => acceptDeflateOffer([], { clientMaxWindowBits: bad })).toThrow(WebSocketArgumentError);
      expect(() => buildDeflateOffer({ serverMaxWindowBits: bad })).toThrow(WebSocketArgumentError);
      expect(() => acceptDeflateResponse(one('permessage-deflate'), { clientMaxWindowBits: bad })).toThrow(
        WebSocketArgumentError,
      );
    }
  });
});

describe('buildDeflateOffer (client)', () => {
  it('offers client_max_window_bits without a value by default (§7.1.2.2)', () => {
    expect(formatExtensions([buildDeflateOffer({})])).toBe('permessage-deflate; client_max_window_bits');
  });

  it('writes every non-default option', () => {
    expect(
      formatExtensions([
        buildDeflateOffer({
          serverNoContextTakeover: true,
          clientNoContextTakeover: true,
          serverMaxWindowBits: 10,
          clientMaxWindowBits: 9,
        }),
      ]),
    ).toBe(
      'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9',
    );
    expect(formatExtensions([buildDeflateOffer({ serverMaxWindowBits: 15, clientMaxWindowBits: 15 })])).toBe(
      'permessage-deflate; client_max_window_bits',
    );
  });

  it('names the extension', () => {
    expect(buildDeflateOffer({}).name).toBe(PERMESSAGE_DEFLATE);
  });
});

describe('acceptDeflateResponse (client, RFC 7692 §7.1)', () => {
  it('accepts a bare response', () => {
    expect(clientAccepts('permessage-deflate')).toEqual(DEFAULTS);
  });

  it('fails on another extension name', () => {
    expect(clientFails('x-foo')).toMatch(/expected permessage-deflate/);
  });

  it('fails on unknown parameters and invalid values (§7)', () => {
    expect(clientFails('permessage-deflate; foo')).toMatch(/unknown parameter foo/);
    expect(clientFails('permessage-deflate; server_no_context_takeover=1')).toMatch(/must not have a value/);
    expect(clientFails('permessage-deflate; client_no_context_takeover=1')).toMatch(/must not have a value/);
    expect(clientFails('permessage-deflate; server_max_window_bits=16')).toMatch(/8 to 15/);
    expect(clientFails('permessage-deflate; server_max_window_bits')).toMatch(/8 to 15/);
    expect(clientFails('permessage-deflate; client_max_window_bits=7')).toMatch(/8 to 15/);
  });

  describe('server_no_context_takeover (§7.1.1.1)', () => {
    it('may appear unasked', () => {
      expect(clientAccepts('permessage-deflate; server_no_context_takeover')).toEqual({
        ...DEFAULTS,
        serverNoContextTakeover: true,
      });
    });

    it('must appear when offered', () => {
      expect(clientFails('permessage-deflate', { serverNoContextTakeover: true })).toMatch(/offered but not accepted/);
      expect(
        clientAccepts('permessage-deflate; server_no_context_takeover', { serverNoContextTakeover: true })
          .serverNoContextTakeover,
      ).toBe(true);
    });
  });

  describe('client_no_context_takeover (§7.1.1.2)', () => {
    it('binds the client when the server demands it', () => {
      expect(clientAccepts('permessage-deflate; client_no_context_takeover').clientNoContextTakeover).toBe(true);
    });

    it('holds when offered even if the server does not repeat it', () => {
      expect(clientAccepts('permessage-deflate', { clientNoContextTakeover: true }).clientNoContextTakeover).toBe(true);
    });
  });

  describe('server_max_window_bits (§7.1.2.1)', () => {
    it('may be announced unasked with any valid value', () => {
      expect(clientAccepts('permessage-deflate; server_max_window_bits=8').serverMaxWindowBits).toBe(8);
      expect(clientAccepts('permessage-deflate; server_max_window_bits=15').serverMaxWindowBits).toBe(15);
    });

    it('must be present and no greater than offered when offered', () => {
      expect(clientFails('permessage-deflate', { serverMaxWindowBits: 10 })).toMatch(/offered but not accepted/);
      expect(clientFails('permessage-deflate; server_max_window_bits=11', { serverMaxWindowBits: 10 })).toMatch(
        /exceeds the offered 10/,
      );
      expect(
        clientAccepts('permessage-deflate; server_max_window_bits=10', { serverMaxWindowBits: 10 }).serverMaxWindowBits,
      ).toBe(10);
      expect(
        clientAccepts('permessage-deflate; server_max_window_bits=8', { serverMaxWindowBits: 10 }).serverMaxWindowBits,
      ).toBe(8);
    });
  });

  describe('client_max_window_bits (§7.1.2.2)', () => {
    it('must have a value in a response', () => {
      expect(clientFails('permessage-deflate; client_max_window_bits')).toMatch(/must have a value/);
    });

    it('limits our window', () => {
      expect(clientAccepts('permessage-deflate; client_max_window_bits=10').clientMaxWindowBits).toBe(10);
    });

    it('cannot widen the limit we offered', () => {
      expect(
        clientAccepts('permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 9 }).clientMaxWindowBits,
      ).toBe(9);
      expect(clientAccepts('permessage-deflate', { clientMaxWindowBits: 9 }).clientMaxWindowBits).toBe(9);
    });
  });
});

describe('both sides agree', () => {
  const windowBits = fc.option(fc.integer({ min: 8, max: 15 }), { nil: undefined });
  const options: fc.Arbitrary<PerMessageDeflateOptions> = fc.record(
    {
      serverNoContextTakeover: fc.boolean(),
      clientNoContextTakeover: fc.boolean(),
      serverMaxWindowBits: windowBits,
      clientMaxWindowBits: windowBits,
    },
    { requiredKeys: [] },
  );

  it('the client resolves the same params as the server, through the header text', () => {
    fc.assert(
      fc.property(options, options, (client, server) => {
        const offerHeader = formatExtensions([buildDeflateOffer(client)]);
        const accepted = acceptDeflateOffer(offers(offerHeader), server);
        // buildDeflateOffer always offers client_max_window_bits, so no server configuration declines it.
        expect(accepted).not.toBeNull();
        if (accepted === null) return;
        const responseHeader = formatExtensions([accepted.response]);
        const result = acceptDeflateResponse(one(responseHeader), client);
        expect(result).toEqual({ ok: true, value: accepted.params });
        // Neither side ends up with more than it allowed.
        const p = accepted.params;
        expect(p.serverMaxWindowBits).toBeLessThanOrEqual(
          Math.min(client.serverMaxWindowBits ?? 15, server.serverMaxWindowBits ?? 15),
        );
        expect(p.clientMaxWindowBits).toBeLessThanOrEqual(
          Math.min(client.clientMaxWindowBits ?? 15, server.clientMaxWindowBits ?? 15),
        );
        expect(p.serverNoContextTakeover).toBe(!!client.serverNoContextTakeover || !!server.serverNoContextTakeover);
        expect(p.clientNoContextTakeover).toBe(!!client.clientNoContextTakeover || !!server.clientNoContextTakeover);
      }),
      { numRuns: 500 },
    );
  });
});
