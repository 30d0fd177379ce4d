import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { startEcho, type EchoSettings } from './echo.js';
import { parseFlags, type ParsedFlags } from './flags.js';
import { helpText } from './help.js';
import { ECHO_OPTIONS, SERVE_OPTIONS } from './option-table.js';
import { resolveServeSettings, type Environment } from './resolve.js';
import { startServe } from './serve.js';
import { runUntilSignal } from './signals.js';
import { UsageError } from './usage-error.js';
import { runPrimary, runWorker } from './workers.js';

/** A command line, parsed. `serve` keeps its flags: the environment and config file are applied by `main`. */
export type Command =
  | { readonly command: 'serve'; readonly flags: ParsedFlags }
  | { readonly command: 'echo'; readonly settings: EchoSettings }
  | { readonly command: 'help' }
  | { readonly command: 'version' };

/** Parses `argv` (without `node` and the script). Throws a UsageError that says what is wrong. */
export function parseCommand(argv: readonly string[]): Command {
  const [name, ...rest] = argv;
  switch (name) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      return { command: 'help' };
    case 'version':
    case '--version':
    case '-v':
      return { command: 'version' };
    case 'serve': {
      const flags = parseFlags('serve', rest, SERVE_OPTIONS);
      return flags.help ? { command: 'help' } : { command: 'serve', flags };
    }
    case 'echo': {
      const flags = parseFlags('echo', rest, ECHO_OPTIONS);
      if (flags.help) return { command: 'help' };
      if (flags.positionals.length > 0)
        throw new UsageError(`unexpected argument "${flags.positionals[0]}" for "wsgate echo"`);
      const value = (key: string): unknown => {
        const spec = ECHO_OPTIONS.find((s) => s.key === key)!;
        return flags.values.get(spec) ?? spec.default;
      };
      return {
        command: 'echo',
        settings: {
          port: value('port') as number,
          host: value('host') as string,
          deflate: value('deflate') as boolean,
          maxPayload: value('maxPayload') as number | undefined,
        },
      };
    }
    default:
      throw new UsageError(`unknown command "${name}" (commands: serve, echo, help, version)`);
  }
}

/**
 * The CLI entry point. Resolves when the command is done (for servers: after a graceful shutdown). Never throws:
 * a usage error is one line on stderr and exit code 2; any other failure (port in use, app module that does not load,
 * Redis unreachable) one line and exit code 1.
 */
export async function main(
  argv: readonly string[],
  env: Environment = process.env,
  cwd: string = process.cwd(),
): Promise<void> {
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  try {
    await run(argv, env, cwd, log);
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`wsgate: ${error.message}\nRun "wsgate help" for usage.\n`);
      process.exitCode = 2;
      return;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`wsgate: ${message.split('\n')[0]}\n`);
    process.exitCode = 1;
  } finally {
    // A `--workers` worker that failed to start would be kept alive by its IPC channel: end it, so the primary sees
    // the exit (and stops instead of waiting for a worker that will never listen).
    if (cluster.isWorker && process.exitCode !== undefined && process.exitCode !== 0) process.exit();
  }
}

async function run(argv: readonly string[], env: Environment, cwd: string, log: (line: string) => void): Promise<void> {
  const command = parseCommand(argv);
  switch (command.command) {
    case 'help':
      process.stdout.write(helpText());
      return;
    case 'version':
      log(readVersion());
      return;
    case 'echo': {
      const running = await startEcho(command.settings);
      log(
        `wsgate echo server listening on ${running.url}${command.settings.deflate ? ' (permessage-deflate on)' : ''}`,
      );
      await runUntilSignal(running, log);
      return;
    }
    case 'serve': {
      const settings = await resolveServeSettings(command.flags, env, cwd);
      if (settings.workers !== undefined) {
        await (cluster.isPrimary ? runPrimary(settings, log) : runWorker(settings));
        return;
      }
      const running = await startServe(settings, { cwd });
      log(`wsgate gateway listening on ${running.url}${settings.redis?.url !== undefined ? ' (Redis)' : ''}`);
      for (const line of running.summary) log(line);
      await runUntilSignal(running, log);
      return;
    }
  }
}

function readVersion(): string {
  // ../../package.json from both src/cli/main.ts and dist/cli/main.js.
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}
