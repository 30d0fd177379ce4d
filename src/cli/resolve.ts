import { basename } from 'node:path';
import { configFileValues, findConfigFile, loadConfigFile } from './config-file.js';
import type { ParsedFlags } from './flags.js';
import { envName, SERVE_OPTIONS, type OptionSpec } from './option-table.js';
import { UsageError } from './usage-error.js';
import { BadValue } from './values.js';

/** Where an option's value came from, highest precedence first (docs/cli.md). */
export type Source = 'flag' | 'env' | 'file' | 'default';

export type Environment = Readonly<Record<string, string | undefined>>;

/** Nested plain options, shaped like the config file (and like `createGateway`'s options for the gateway part). */
export type OptionTree = { [key: string]: unknown };

/** What `wsgate serve` runs, every source applied. */
export interface ServeSettings {
  /** The app module's path as given (relative to `cwd`), if any. */
  readonly app?: string | undefined;
  /** The config file read, if any. */
  readonly configFile?: string | undefined;
  /** Serve the demo chat. Default: on without an app. */
  readonly demo?: boolean | undefined;
  readonly port: number;
  readonly host: string;
  readonly tls?: { readonly cert?: string; readonly key?: string } | undefined;
  readonly workers?: number | undefined;
  readonly redis?:
    | {
        readonly url?: string;
        readonly presenceTtl?: number;
        readonly namespace?: string;
        readonly requestTimeout?: number;
      }
    | undefined;
  /** `createGateway` options set by a flag, the environment or the config file (applied over the app's `config`). */
  readonly gateway: OptionTree;
  /** `createGateway` options `wsgate serve` sets when neither a source nor the app's `config` does. */
  readonly gatewayDefaults: OptionTree;
  /** Where each option set came from (`--verbose` style logging and the tests). */
  readonly sources: ReadonlyMap<string, Source>;
}

/**
 * Applies flags > environment > config file > defaults. The config file is `--config` (or `WSGATE_CONFIG`), else
 * the first `wsgate.config.{js,mjs,json}` in `cwd`. Throws `UsageError` naming the option and its source.
 */
export async function resolveServeSettings(flags: ParsedFlags, env: Environment, cwd: string): Promise<ServeSettings> {
  const table = SERVE_OPTIONS;
  if (flags.positionals.length > 1)
    throw new UsageError(`unexpected argument "${flags.positionals[1]}" for "wsgate serve" (one app module at most)`);
  const fromEnv = environmentValues(env, table);
  const configSpec = table.find((s) => s.key === 'config')!;
  const configGiven = (flags.values.get(configSpec) ?? fromEnv.get(configSpec)) as string | undefined;
  const configFile = findConfigFile(configGiven, cwd);
  const fromFile =
    configFile === undefined
      ? new Map<OptionSpec, unknown>()
      : configFileValues(await loadConfigFile(configFile), basename(configFile), table);

  const positionalApp = flags.positionals[0];
  const flagValues = new Map(flags.values);
  if (positionalApp !== undefined) {
    const appSpec = table.find((s) => s.key === 'app')!;
    if (flagValues.has(appSpec)) throw new UsageError('give the app module once: as the argument or as --app');
    flagValues.set(appSpec, positionalApp);
  }

  const command: OptionTree = {};
  const gateway: OptionTree = {};
  const sources = new Map<string, Source>();
  for (const spec of table) {
    const found = pick(spec, flagValues, fromEnv, fromFile);
    const target = spec.target === 'gateway' ? gateway : command;
    if (found !== undefined) {
      setPath(target, spec.key, found.value);
      sources.set(spec.key, found.source);
    } else if (spec.default !== undefined && spec.target === 'command') {
      setPath(command, spec.key, spec.default);
      sources.set(spec.key, 'default');
    }
  }
  const tls = command.tls as ServeSettings['tls'];
  if (tls !== undefined && (tls.cert === undefined) !== (tls.key === undefined))
    throw new UsageError('--cert and --key go together (both PEM files)');
  const redis = command.redis as ServeSettings['redis'];
  if (redis !== undefined && redis.url === undefined)
    throw new UsageError(
      `${Object.keys(redis)
        .map((k) => `redis.${k}`)
        .join(', ')} set without a Redis URL (--redis)`,
    );
  return {
    app: command.app as string | undefined,
    configFile,
    demo: command.demo as boolean | undefined,
    port: command.port as number,
    host: command.host as string,
    tls,
    workers: command.workers as number | undefined,
    redis,
    gateway,
    // The gateway's defaults yield to the app's `config`, so they stay apart; the command's own apply at once.
    gatewayDefaults: gatewayDefaults(table),
    sources,
  };
}

function pick(
  spec: OptionSpec,
  flags: ReadonlyMap<OptionSpec, unknown>,
  env: ReadonlyMap<OptionSpec, unknown>,
  file: ReadonlyMap<OptionSpec, unknown>,
): { value: unknown; source: Source } | undefined {
  if (flags.has(spec)) return { value: flags.get(spec), source: 'flag' };
  if (env.has(spec)) return { value: env.get(spec), source: 'env' };
  if (file.has(spec)) return { value: file.get(spec), source: 'file' };
  return undefined;
}

/** The options set by environment variables; an empty variable counts as unset (`WSGATE_API_KEY=` turns nothing on). */
export function environmentValues(env: Environment, table: readonly OptionSpec[]): Map<OptionSpec, unknown> {
  const values = new Map<OptionSpec, unknown>();
  for (const spec of table) {
    const name = envName(spec);
    const raw = name === null ? undefined : env[name];
    if (raw === undefined || raw === '') continue;
    try {
      values.set(spec, spec.kind.read(raw));
    } catch (error) {
      if (error instanceof BadValue) throw new UsageError(`${name} ${error.message}`);
      throw error;
    }
  }
  return values;
}

/** The `createGateway` options `wsgate serve` sets by default (the table's gateway entries with a `default`). */
export function gatewayDefaults(table: readonly OptionSpec[]): OptionTree {
  const tree: OptionTree = {};
  for (const spec of table)
    if (spec.target === 'gateway' && spec.default !== undefined) setPath(tree, spec.key, spec.default);
  return tree;
}

export function setPath(tree: OptionTree, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let node = tree;
  for (const key of keys.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null) node[key] = {};
    node = node[key] as OptionTree;
  }
  node[keys[keys.length - 1]!] = value;
}
