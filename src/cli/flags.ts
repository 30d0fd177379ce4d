import { parseArgs, type ParseArgsConfig } from 'node:util';
import type { OptionSpec } from './option-table.js';
import { UsageError } from './usage-error.js';
import { BadValue } from './values.js';

/** What the command line of one command said: option values (already checked), positionals, `--help`. */
export interface ParsedFlags {
  readonly values: ReadonlyMap<OptionSpec, unknown>;
  readonly positionals: readonly string[];
  readonly help: boolean;
}

type ParseOptions = NonNullable<ParseArgsConfig['options']>;

/**
 * Reads `args` with `node:util` `parseArgs` against an option table: `--flag value`, `--flag=value`, switches as
 * `--flag` / `--no-flag`, repeatable flags collected. Every value goes through its kind's reader; every mistake is a
 * one-line `UsageError` that names the flag.
 */
export function parseFlags(command: string, args: readonly string[], table: readonly OptionSpec[]): ParsedFlags {
  const options: ParseOptions = { help: { type: 'boolean', short: 'h' } };
  for (const spec of table) {
    for (const name of [spec.flag, ...(spec.aliases ?? [])]) {
      if (spec.kind.isSwitch === true) {
        options[name] = { type: 'boolean' };
        options[`no-${name}`] = { type: 'boolean' };
      } else {
        options[name] = { type: 'string', multiple: spec.kind.repeatable === true };
      }
    }
  }
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(explain(command, error, table));
  }
  const raw = parsed.values as Record<string, string | boolean | (string | boolean)[] | undefined>;
  const values = new Map<OptionSpec, unknown>();
  for (const spec of table) {
    const given = readGiven(spec, raw);
    if (given === undefined) continue;
    for (const item of Array.isArray(given.value) ? given.value : [given.value]) {
      // A flag directly followed by another flag is almost always a forgotten value (`--api-key --port 1`).
      if (typeof item === 'string' && item.startsWith('--')) throw new UsageError(`--${given.flag} needs a value`);
    }
    try {
      values.set(spec, spec.kind.read(given.value));
    } catch (error) {
      if (error instanceof BadValue) throw new UsageError(`--${given.flag} ${error.message}`);
      throw error;
    }
  }
  return { values, positionals: parsed.positionals, help: raw.help === true };
}

function readGiven(
  spec: OptionSpec,
  raw: Record<string, string | boolean | (string | boolean)[] | undefined>,
): { flag: string; value: unknown } | undefined {
  if (spec.kind.isSwitch === true) {
    const on = raw[spec.flag] === true;
    const off = raw[`no-${spec.flag}`] === true;
    if (on && off) throw new UsageError(`--${spec.flag} and --no-${spec.flag} both given`);
    return on || off ? { flag: spec.flag, value: on } : undefined;
  }
  let collected: unknown[] | undefined;
  let flag = spec.flag;
  for (const name of [spec.flag, ...(spec.aliases ?? [])]) {
    const value = raw[name];
    if (value === undefined) continue;
    if (spec.kind.repeatable !== true) return { flag: name, value };
    collected = [...(collected ?? []), ...(Array.isArray(value) ? value : [value])];
    flag = name;
  }
  return collected === undefined ? undefined : { flag, value: collected };
}

/** `parseArgs`' own errors, reworded to one line in our terms. */
function explain(command: string, error: unknown, table: readonly OptionSpec[]): string {
  const message = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown }).code;
  const option = /'(-[^' ]+)/.exec(message)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const near = table.filter((s) => s.flag.slice(0, 3) === option.slice(2, 5)).map((s) => `--${s.flag}`);
    return `unknown option ${option} for "wsgate ${command}"${near.length > 0 ? ` (did you mean ${near.join(' or ')}?)` : ''}`;
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/does not take an argument/.test(message)) return `${option} takes no value`;
    return `${option} needs a value`;
  }
  return message.split('\n')[0]!;
}
