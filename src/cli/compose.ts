import type { GatewayOptions } from '../gateway/core/options.js';
import type { OptionTree } from './resolve.js';

/**
 * The options `createGateway` gets: `wsgate serve`'s own defaults, under the app module's `config`, under what the
 * flags, environment and config file set. Objects merge key by key (`heartbeat`, `rateLimit`, `web`); anything else
 * (functions such as `authenticate`, lists, `false`) replaces. Then the command line's "0 = off" becomes `false`.
 */
export function composeGatewayOptions(
  defaults: OptionTree,
  appConfig: Readonly<Record<string, unknown>> | undefined,
  explicit: OptionTree,
): GatewayOptions {
  const merged = merge(merge(defaults, appConfig ?? {}), explicit);
  const heartbeat = merged.heartbeat;
  if (isPlainObject(heartbeat) && heartbeat.interval === 0) merged.heartbeat = false;
  const rateLimit = merged.rateLimit;
  if (isPlainObject(rateLimit) && rateLimit.messages === 0) merged.rateLimit = false;
  return merged as GatewayOptions;
}

function merge(base: Readonly<Record<string, unknown>>, over: Readonly<Record<string, unknown>>): OptionTree {
  const out: OptionTree = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (value === undefined) continue;
    const under = out[key];
    out[key] = isPlainObject(under) && isPlainObject(value) ? merge(under, value) : value;
  }
  return out;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  return proto === Object.prototype || proto === null;
}
