/**
 * RFC 7692 §7.1: negotiation of the permessage-deflate extension parameters. Pure functions over parsed
 * `Sec-WebSocket-Extensions` elements (see `parseExtensions` / `formatExtensions`); the codec lives elsewhere.
 *
 * Vocabulary (RFC 7692 §7.1.1, §7.1.2): "server" parameters constrain the server's compressor (what the client has to
 * inflate), "client" parameters constrain the client's compressor (what the server has to inflate).
 */
import { WebSocketArgumentError } from './errors.js';
import type { ExtensionOffer, ExtensionParams, ParseResult } from './header-grammar.js';

/** What the local side is willing to do. Every field is optional; defaults are the RFC's defaults. */
export interface PerMessageDeflateOptions {
  /**
   * Ask (client) or require (server) that the server reset its compression context after each message. A server always honours a client that asks for it.
   *
   * @defaultValue `false`
   */
  serverNoContextTakeover?: boolean;
  /**
   * The client resets its context after each message (client: a promise; server: a demand).
   *
   * @defaultValue `false`
   */
  clientNoContextTakeover?: boolean;
  /**
   * Largest LZ77 window (base-2 log) the server may compress with, 8..15. Client: sent as
   * `server_max_window_bits` when below 15. Server: the window it compresses with is at most this.
   *
   * @defaultValue `15`
   */
  serverMaxWindowBits?: number;
  /**
   * Largest LZ77 window the client may compress with, 8..15. Client: its own limit, sent as the value of
   * `client_max_window_bits`. Server: the largest client window it will inflate; below 15 the server declines offers
   * from clients that cannot be told to limit their window (no `client_max_window_bits` in the offer, §7.1.2.2).
   *
   * @defaultValue `15`
   */
  clientMaxWindowBits?: number;
}

/** What was agreed, fully resolved; the same on both ends of a connection. */
export interface DeflateParams {
  /** The server resets its compression context after each message. */
  serverNoContextTakeover: boolean;
  /** The client resets its compression context after each message. */
  clientNoContextTakeover: boolean;
  /** Window the server compresses with at most (and the client must be able to inflate), 8..15. */
  serverMaxWindowBits: number;
  /** Window the client compresses with at most (and the server must be able to inflate), 8..15. */
  clientMaxWindowBits: number;
}

/** The extension's token in `Sec-WebSocket-Extensions`. */
export const PERMESSAGE_DEFLATE = 'permessage-deflate';

const SERVER_NO_CONTEXT_TAKEOVER = 'server_no_context_takeover';
const CLIENT_NO_CONTEXT_TAKEOVER = 'client_no_context_takeover';
const SERVER_MAX_WINDOW_BITS = 'server_max_window_bits';
const CLIENT_MAX_WINDOW_BITS = 'client_max_window_bits';

const MIN_WINDOW_BITS = 8;
const MAX_WINDOW_BITS = 15;

interface ResolvedOptions {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

/** Local configuration errors throw: they are the application's mistake, not the peer's. */
function resolveOptions(options: PerMessageDeflateOptions): ResolvedOptions {
  const windowBits = (name: string, value: number | undefined): number => {
    if (value === undefined) return MAX_WINDOW_BITS;
    if (!Number.isInteger(value) || value < MIN_WINDOW_BITS || value > MAX_WINDOW_BITS) {
      throw new WebSocketArgumentError(`${name} must be an integer from 8 to 15, got ${value}`);
    }
    return value;
  };
  return {
    serverNoContextTakeover: options.serverNoContextTakeover === true,
    clientNoContextTakeover: options.clientNoContextTakeover === true,
    serverMaxWindowBits: windowBits('serverMaxWindowBits', options.serverMaxWindowBits),
    clientMaxWindowBits: windowBits('clientMaxWindowBits', options.clientMaxWindowBits),
  };
}

/**
 * RFC 7692 §7.1.2.1 / §7.1.2.2: a window-bits value is "a decimal integer value without leading zeroes between 8 to
 * 15, inclusive". Returns null for anything else (including a missing value).
 */
function parseWindowBits(value: string | true): number | null {
  if (value === true) return null;
  if (value.length === 1) {
    const c = value.charCodeAt(0);
    return c === 0x38 || c === 0x39 ? c - 0x30 : null;
  }
  if (value.length === 2 && value.charCodeAt(0) === 0x31) {
    const c = value.charCodeAt(1);
    return c >= 0x30 && c <= 0x35 ? 10 + (c - 0x30) : null;
  }
  return null;
}

/** The four parameters as they appear in one offer or response; `clientMaxWindowBits: true` means "no value". */
interface ParsedParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number | undefined;
  clientMaxWindowBits: number | true | undefined;
}

/**
 * RFC 7692 §7: the four parameters of §7.1, each at most once (the grammar flags repeats in `duplicate`). Unknown parameters and bad values make the element invalid: an offer is then declined
 * (§7 "A server MUST decline an extension negotiation offer for this extension if ..."), a response fails the
 * connection (§7 "... the client MUST _Fail the WebSocket Connection_").
 */
function parseParams(element: ExtensionOffer): ParseResult<ParsedParams> {
  // §7: "The negotiation (offer/response) contains multiple extension parameters with the same name."
  if (element.duplicate !== undefined)
    return { ok: false, error: `parameter ${element.duplicate} appears more than once` };
  const params = element.params;
  const out: ParsedParams = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  for (const [name, value] of params) {
    switch (name) {
      // §7.1.1.1 / §7.1.1.2: "This parameter has no value."
      case SERVER_NO_CONTEXT_TAKEOVER:
        if (value !== true) return { ok: false, error: `${name} must not have a value` };
        out.serverNoContextTakeover = true;
        break;
      case CLIENT_NO_CONTEXT_TAKEOVER:
        if (value !== true) return { ok: false, error: `${name} must not have a value` };
        out.clientNoContextTakeover = true;
        break;
      // §7.1.2.1: server_max_window_bits always carries a value.
      case SERVER_MAX_WINDOW_BITS: {
        const bits = parseWindowBits(value);
        if (bits === null) return { ok: false, error: `${name} must be an integer from 8 to 15` };
        out.serverMaxWindowBits = bits;
        break;
      }
      // §7.1.2.2: client_max_window_bits "may have a value" in an offer (the response rule is checked by the caller).
      case CLIENT_MAX_WINDOW_BITS: {
        if (value === true) {
          out.clientMaxWindowBits = true;
          break;
        }
        const bits = parseWindowBits(value);
        if (bits === null) return { ok: false, error: `${name} must be an integer from 8 to 15` };
        out.clientMaxWindowBits = bits;
        break;
      }
      default:
        return { ok: false, error: `unknown parameter ${name}` };
    }
  }
  return { ok: true, value: out };
}

/**
 * Server side, RFC 7692 §5.1: a client lists its offers in order of preference and the server accepts at most one.
 * Offers that are invalid or that we cannot honour are declined and the next one is tried. Returns the
 * agreed parameters and the response element (format it with `formatExtensions`), or null when no offer was acceptable.
 * Throws `WebSocketArgumentError` only for invalid `options`.
 */
export function acceptDeflateOffer(
  offers: readonly ExtensionOffer[],
  options: PerMessageDeflateOptions,
): {
  /** What was agreed. */
  params: DeflateParams;
  /** The element to send back in the response's `Sec-WebSocket-Extensions`. */
  response: ExtensionOffer;
} | null {
  const local = resolveOptions(options);
  for (const offer of offers) {
    if (offer.name.toLowerCase() !== PERMESSAGE_DEFLATE) continue;
    const parsed = parseParams(offer);
    if (!parsed.ok) continue; // §7: decline an offer with an unknown parameter or an invalid value.
    const accepted = acceptOne(parsed.value, local);
    if (accepted !== null) return accepted;
  }
  return null;
}

function acceptOne(
  offer: ParsedParams,
  local: ResolvedOptions,
): { params: DeflateParams; response: ExtensionOffer } | null {
  const response: ExtensionParams = new Map();

  // §7.1.1.1: the server accepts an offer with server_no_context_takeover by including it in the response; it MAY
  // include it even when not offered (our own choice to reset the context).
  const serverNoContextTakeover = offer.serverNoContextTakeover || local.serverNoContextTakeover;
  if (serverNoContextTakeover) response.set(SERVER_NO_CONTEXT_TAKEOVER, true);

  // §7.1.1.2: an offered client_no_context_takeover is the client's promise whether or not the server repeats it;
  // the server MAY include it to demand it. We repeat it when offered so the response states the whole agreement.
  const clientNoContextTakeover = offer.clientNoContextTakeover || local.clientNoContextTakeover;
  if (clientNoContextTakeover) response.set(CLIENT_NO_CONTEXT_TAKEOVER, true);

  // §7.1.2.1: an offered server_max_window_bits is a limit: to accept, the response MUST include the parameter "with
  // the same or smaller value as the offer". The server MAY include it when not offered, to announce a smaller window.
  const serverMaxWindowBits = Math.min(local.serverMaxWindowBits, offer.serverMaxWindowBits ?? MAX_WINDOW_BITS);
  if (offer.serverMaxWindowBits !== undefined || serverMaxWindowBits < MAX_WINDOW_BITS) {
    response.set(SERVER_MAX_WINDOW_BITS, String(serverMaxWindowBits));
  }

  // §7.1.2.2: "If a received extension negotiation offer doesn't have the client_max_window_bits extension parameter,
  // the corresponding extension negotiation response to the offer MUST NOT include" it. Such a client may use a
  // 15-bit window, so a server configured for less has to decline the offer.
  let clientMaxWindowBits: number;
  if (offer.clientMaxWindowBits === undefined) {
    if (local.clientMaxWindowBits < MAX_WINDOW_BITS) return null;
    clientMaxWindowBits = MAX_WINDOW_BITS;
  } else {
    // With no value the client merely supports the parameter; with a value the client already limits itself to it
    // and the server "may either ignore this value or use this value". Either way the client's window ends up at the
    // smaller of its own limit and ours; tell it ours only when ours is the smaller.
    const clientOwn = offer.clientMaxWindowBits === true ? MAX_WINDOW_BITS : offer.clientMaxWindowBits;
    clientMaxWindowBits = Math.min(clientOwn, local.clientMaxWindowBits);
    if (local.clientMaxWindowBits < clientOwn) response.set(CLIENT_MAX_WINDOW_BITS, String(local.clientMaxWindowBits));
  }

  return {
    params: { serverNoContextTakeover, clientNoContextTakeover, serverMaxWindowBits, clientMaxWindowBits },
    response: { name: PERMESSAGE_DEFLATE, params: response },
  };
}

/**
 * Client side: the single offer to send. Parameters at their RFC defaults are left out, except
 * client_max_window_bits, which is always sent — without a value it tells the server we support the parameter
 * (§7.1.2.2), so a memory-constrained server can accept us instead of declining. Throws `WebSocketArgumentError` for
 * invalid options.
 */
export function buildDeflateOffer(options: PerMessageDeflateOptions): ExtensionOffer {
  const local = resolveOptions(options);
  const params: ExtensionParams = new Map();
  // §7.1.1.1: ask the server to reset its context after each message.
  if (local.serverNoContextTakeover) params.set(SERVER_NO_CONTEXT_TAKEOVER, true);
  // §7.1.1.2: promise to reset ours.
  if (local.clientNoContextTakeover) params.set(CLIENT_NO_CONTEXT_TAKEOVER, true);
  // §7.1.2.1: limit the server's window (15 is the default, so sending it would say nothing).
  if (local.serverMaxWindowBits < MAX_WINDOW_BITS) {
    params.set(SERVER_MAX_WINDOW_BITS, String(local.serverMaxWindowBits));
  }
  // §7.1.2.2: a value states our own limit; no value only signals support.
  params.set(
    CLIENT_MAX_WINDOW_BITS,
    local.clientMaxWindowBits < MAX_WINDOW_BITS ? String(local.clientMaxWindowBits) : true,
  );
  return { name: PERMESSAGE_DEFLATE, params };
}

/**
 * Client side: checks the server's permessage-deflate response against the offer `buildDeflateOffer(offered)` sent,
 * and resolves the agreement. An error means the client MUST _Fail the WebSocket Connection_ (RFC 7692 §7).
 */
export function acceptDeflateResponse(
  response: ExtensionOffer,
  offered: PerMessageDeflateOptions,
): ParseResult<DeflateParams> {
  const local = resolveOptions(offered);
  if (response.name.toLowerCase() !== PERMESSAGE_DEFLATE) {
    return { ok: false, error: `expected ${PERMESSAGE_DEFLATE}, got ${response.name}` };
  }
  const parsed = parseParams(response);
  if (!parsed.ok) return parsed;
  const r = parsed.value;

  // §7.1.1.1: a server accepts an offered server_no_context_takeover "by including" it; a response without it is
  // not an acceptance of our offer. The server MAY include it unasked.
  if (local.serverNoContextTakeover && !r.serverNoContextTakeover) {
    return { ok: false, error: `${SERVER_NO_CONTEXT_TAKEOVER} was offered but not accepted` };
  }

  // §7.1.2.1: when offered, the response MUST carry server_max_window_bits with "the same or smaller value". When
  // not offered the server MAY still announce one (any 8..15: it only shrinks what we must inflate).
  if (local.serverMaxWindowBits < MAX_WINDOW_BITS) {
    if (r.serverMaxWindowBits === undefined) {
      return { ok: false, error: `${SERVER_MAX_WINDOW_BITS} was offered but not accepted` };
    }
    if (r.serverMaxWindowBits > local.serverMaxWindowBits) {
      return {
        ok: false,
        error: `${SERVER_MAX_WINDOW_BITS}=${r.serverMaxWindowBits} exceeds the offered ${local.serverMaxWindowBits}`,
      };
    }
  }

  // §7.1.2.2: in a response client_max_window_bits "MUST have a value", and may appear only if it was offered —
  // `buildDeflateOffer` always offers it. A value above our own limit does not widen it: we keep to the smaller.
  if (r.clientMaxWindowBits === true) {
    return { ok: false, error: `${CLIENT_MAX_WINDOW_BITS} in a response must have a value` };
  }

  return {
    ok: true,
    value: {
      serverNoContextTakeover: r.serverNoContextTakeover,
      // §7.1.1.2: our offered promise holds even when the server does not repeat it.
      clientNoContextTakeover: r.clientNoContextTakeover || local.clientNoContextTakeover,
      serverMaxWindowBits: r.serverMaxWindowBits ?? MAX_WINDOW_BITS,
      clientMaxWindowBits: Math.min(r.clientMaxWindowBits ?? MAX_WINDOW_BITS, local.clientMaxWindowBits),
    },
  };
}
