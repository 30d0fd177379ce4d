import { existsSync, readFileSync } from 'node:fs';
import { basename, extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { OptionSpec } from './option-table.js';
import { UsageError } from './usage-error.js';
import { BadValue } from './values.js';

/** Looked for in the working directory, in this order, when `--config` is not given. */
export const CONFIG_FILE_NAMES = ['wsgate.config.js', 'wsgate.config.mjs', 'wsgate.config.json'] as const;

/** Keys that are not option values (the file cannot name itself). */
const NOT_IN_FILE = new Set(['config']);

/** The config file to read: the one given, else the first of `CONFIG_FILE_NAMES` in `cwd`, else none. */
export function findConfigFile(given: string | undefined, cwd: string): string | undefined {
  if (given !== undefined) {
    const path = resolve(cwd, given);
    if (!existsSync(path)) throw new UsageError(`config file ${given} not found`);
    return path;
  }
  for (const name of CONFIG_FILE_NAMES) {
    const path = resolve(cwd, name);
    if (existsSync(path)) return path;
  }
  return undefined;
}

/** Reads a config file: JSON, or a module whose default export is the object. */
export async function loadConfigFile(path: string): Promise<Record<string, unknown>> {
  const name = basename(path);
  let value: unknown;
  if (extname(path) === '.json') {
    try {
      value = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw new UsageError(`${name} is not valid JSON: ${firstLine(error)}`);
    }
  } else {
    try {
      const module = (await import(pathToFileURL(path).href)) as { default?: unknown };
      value = module.default;
    } catch (error) {
      throw new UsageError(`cannot load ${name}: ${firstLine(error)}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new UsageError(`${name} must ${extname(path) === '.json' ? 'hold' : 'default-export'} an object`);
  return value as Record<string, unknown>;
}

/**
 * The option values a config file sets, checked like flags. Nested keys follow the table (`heartbeat.interval` is
 * `{ "heartbeat": { "interval": 15000 } }`); shorthands read as what they mean: `"heartbeat": false` (interval 0,
 * off), `"rateLimit": false` (0, no limit), `"redis": "redis://..."` (its url). An unknown key is an error, so a typo
 * never goes unnoticed.
 */
export function configFileValues(
  file: Record<string, unknown>,
  name: string,
  table: readonly OptionSpec[],
): Map<OptionSpec, unknown> {
  const object = expandShorthands(file);
  const byKey = new Map(table.filter((s) => !NOT_IN_FILE.has(s.key)).map((s) => [s.key, s]));
  const values = new Map<OptionSpec, unknown>();
  const walk = (node: Record<string, unknown>, prefix: string): void => {
    for (const [key, value] of Object.entries(node)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (value === undefined) continue;
      const spec = byKey.get(path);
      if (spec !== undefined) {
        try {
          values.set(spec, spec.kind.read(value));
        } catch (error) {
          if (error instanceof BadValue) throw new UsageError(`${path} in ${name} ${error.message}`);
          throw error;
        }
      } else if (isGroup(path, byKey) && typeof value === 'object' && value !== null && !Array.isArray(value)) {
        walk(value as Record<string, unknown>, path);
      } else {
        throw new UsageError(`unknown key "${path}" in ${name} (see "wsgate help" or docs/cli.md for the keys)`);
      }
    }
  };
  walk(object, '');
  return values;
}

function expandShorthands(file: Record<string, unknown>): Record<string, unknown> {
  const out = { ...file };
  if (out.heartbeat === false) out.heartbeat = { interval: 0 };
  if (out.rateLimit === false) out.rateLimit = { messages: 0 };
  if (typeof out.rateLimit === 'number') out.rateLimit = { messages: out.rateLimit };
  if (typeof out.redis === 'string') out.redis = { url: out.redis };
  return out;
}

function isGroup(path: string, byKey: ReadonlyMap<string, OptionSpec>): boolean {
  for (const key of byKey.keys()) if (key.startsWith(`${path}.`)) return true;
  return false;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
}
