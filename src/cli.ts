// The `wsgate` command (bin/wsgate.js calls `main`). Arguments are parsed by hand: zero runtime dependencies.
import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import type { Adapter } from './gateway/adapters/adapter.js';
import { createRedisClientFromUrl } from './gateway/adapters/redis/load-redis.js';
import { RedisAdapter } from './gateway/adapters/redis/redis-adapter.js';
import { ClusterAdapter } from './gateway/adapters/cluster/cluster-adapter.js';
import { createClusterHub } from './gateway/adapters/cluster/hub.js';
import { createGateway } from './gateway/core/gateway.js';
import { installDemoRoutes } from './gateway/demo/chat-routes.js';
import { createServer } from './server/server.js';

export const HELP = `wsgate — WebSocket server and gateway for Node.js

Usage:
  wsgate serve [options]   run the gateway with the demo chat at / (HTTP API, /status, /metrics, /wsgate.js)
  wsgate echo [options]    run a WebSocket echo server (text back as text, binary as binary)
  wsgate help              show this help
  wsgate version           print the version

serve options:
  --port N            port to listen on (default 8080; 0 = any free port)
  --host H            address to bind (default 0.0.0.0)
  --path P            WebSocket path (default /ws)
  --api-key KEY       enable the push API under /api with this bearer token (default: API off;
                      also read from the WSGATE_API_KEY environment variable)
  --workers N         run N gateway processes sharing the port (node:cluster); sends and queries
                      reach every worker, a crashed worker is restarted
  --redis URL         join the gateways sharing this Redis (redis://host:port): sends and queries
                      reach every node; needs the "redis" or "ioredis" package (npm install redis)
  --rate-limit N      messages per second each socket may send (default 20; 0 = no limit); over it,
                      messages are dropped with one rate_limited error per second
  --origin ORIGIN     also accept WebSocket upgrades from pages of this origin (repeatable;
                      "*" = any origin). Default: same-origin pages and non-browser clients only

echo options:
  --port N            port to listen on (default 9001)
  --host H            address to bind (default 0.0.0.0)
  --deflate           accept permessage-deflate
  --max-payload BYTES largest message accepted (default 16 MiB)
                      (any Origin is accepted: a test tool with nothing to protect)

Ctrl-C (SIGINT) or SIGTERM shuts down gracefully: sockets get a 1001 close, then the process exits.
`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface ServeCommand {
  readonly command: 'serve';
  readonly port: number;
  readonly host: string;
  readonly path: string;
  readonly apiKey: string | undefined;
  /** `--workers N`: N processes on one port (node:cluster). */
  readonly workers?: number | undefined;
  /** `--redis URL`: scale out over this Redis. */
  readonly redis?: string | undefined;
  /** `--rate-limit N`: messages per second per socket; 0 = off. Default `DEFAULT_SERVE_OPTIONS.rateLimit`. */
  readonly rateLimit?: number | undefined;
  /** `--origin`: origins accepted besides same-origin ones, or `'*'`. Default: same-origin only. */
  readonly origins?: readonly string[] | '*' | undefined;
}

/**
 * `wsgate serve` defaults, in one place. The rate limit bounds what one socket can make the demo routes write: a
 * `sendToAll` fans one message out to every socket, so without it 2 MiB sent made the gateway write 84 MiB. 20
 * messages a second is far above what a person types, and with `MAX_CHAT_TEXT` (2,000 characters) it caps one
 * socket's fan-out at ~40 KB/s per recipient.
 */
export const DEFAULT_SERVE_OPTIONS = {
  port: 8080,
  host: '0.0.0.0',
  path: '/ws',
  rateLimit: 20,
} as const;

export interface EchoCommand {
  readonly command: 'echo';
  readonly port: number;
  readonly host: string;
  readonly deflate: boolean;
  readonly maxPayload: number | undefined;
}

export type Command = ServeCommand | EchoCommand | { readonly command: 'help' } | { readonly command: 'version' };

type FlagKind = 'port' | 'string' | 'path' | 'bytes' | 'boolean' | 'count' | 'rate' | 'list';

const SERVE_FLAGS: Readonly<Record<string, FlagKind>> = {
  port: 'port',
  host: 'string',
  path: 'path',
  'api-key': 'string',
  workers: 'count',
  redis: 'string',
  'rate-limit': 'rate',
  origin: 'list',
};
const ECHO_FLAGS: Readonly<Record<string, FlagKind>> = {
  port: 'port',
  host: 'string',
  deflate: 'boolean',
  'max-payload': 'bytes',
};

/** Parses `argv` (without `node` and the script). Throws a UsageError that says what is wrong. */
export function parseArgs(argv: readonly string[], env: Readonly<Record<string, string | undefined>> = {}): Command {
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
      const flags = parseFlags('serve', rest, SERVE_FLAGS);
      if (flags.help === true) return { command: 'help' };
      const apiKey = (flags['api-key'] as string | undefined) ?? env.WSGATE_API_KEY;
      const origins = flags.origin as string[] | undefined;
      return {
        command: 'serve',
        port: (flags.port as number | undefined) ?? DEFAULT_SERVE_OPTIONS.port,
        host: (flags.host as string | undefined) ?? DEFAULT_SERVE_OPTIONS.host,
        path: (flags.path as string | undefined) ?? DEFAULT_SERVE_OPTIONS.path,
        apiKey: apiKey === '' ? undefined : apiKey,
        workers: flags.workers as number | undefined,
        redis: redisUrl(flags.redis as string | undefined),
        rateLimit: flags['rate-limit'] as number | undefined,
        origins: origins?.includes('*') === true ? '*' : origins,
      };
    }
    case 'echo': {
      const flags = parseFlags('echo', rest, ECHO_FLAGS);
      if (flags.help === true) return { command: 'help' };
      return {
        command: 'echo',
        port: (flags.port as number | undefined) ?? 9001,
        host: (flags.host as string | undefined) ?? '0.0.0.0',
        deflate: flags.deflate === true,
        maxPayload: flags['max-payload'] as number | undefined,
      };
    }
    default:
      throw new UsageError(`unknown command "${name}" (commands: serve, echo, help, version)`);
  }
}

function parseFlags(
  command: string,
  args: readonly string[],
  spec: Readonly<Record<string, FlagKind>>,
): Record<string, string | number | boolean | string[]> {
  const out: Record<string, string | number | boolean | string[]> = {};
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--help' || arg === '-h') return { help: true };
    if (!arg.startsWith('--')) throw new UsageError(`unexpected argument "${arg}" for "wsgate ${command}"`);
    const eq = arg.indexOf('=');
    const flag = arg.slice(2, eq === -1 ? undefined : eq);
    const kind = spec[flag];
    if (kind === undefined) {
      throw new UsageError(
        `unknown option --${flag} for "wsgate ${command}" (options: ${Object.keys(spec)
          .map((f) => `--${f}`)
          .join(', ')})`,
      );
    }
    if (kind === 'boolean') {
      if (eq !== -1) throw new UsageError(`--${flag} takes no value`);
      out[flag] = true;
      continue;
    }
    let value: string;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`--${flag} needs a value`);
      value = next;
      i++;
    }
    if (kind === 'list') {
      if (value === '') throw new UsageError(`--${flag} must not be empty`);
      const list = out[flag];
      out[flag] = Array.isArray(list) ? [...list, value] : [value];
      continue;
    }
    out[flag] = convert(flag, kind, value);
  }
  return out;
}

function convert(flag: string, kind: Exclude<FlagKind, 'boolean' | 'list'>, value: string): string | number {
  switch (kind) {
    case 'port': {
      const port = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!(port >= 0 && port <= 65535))
        throw new UsageError(`--${flag} must be a port number 0-65535, got "${value}"`);
      return port;
    }
    case 'bytes': {
      const bytes = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!(bytes >= 1 && Number.isSafeInteger(bytes)))
        throw new UsageError(`--${flag} must be a positive number of bytes, got "${value}"`);
      return bytes;
    }
    case 'count': {
      const count = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!(count >= 1 && count <= 1024)) throw new UsageError(`--${flag} must be a number 1-1024, got "${value}"`);
      return count;
    }
    case 'rate': {
      const rate = /^\d+$/.test(value) ? Number(value) : NaN;
      if (!(rate >= 0 && rate <= 1_000_000))
        throw new UsageError(`--${flag} must be a number 0-1000000 (0 = no limit), got "${value}"`);
      return rate;
    }
    case 'path':
      if (!value.startsWith('/')) throw new UsageError(`--${flag} must start with "/", got "${value}"`);
      return value;
    case 'string':
      if (value === '') throw new UsageError(`--${flag} must not be empty`);
      return value;
  }
}

/** A started command: where it listens and how to stop it. */
export interface Running {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the echo server. */
export async function startEcho(options: Omit<EchoCommand, 'command'>): Promise<Running> {
  const server = await createServer({
    port: options.port,
    host: options.host,
    perMessageDeflate: options.deflate,
    maxPayload: options.maxPayload,
    handlers: {
      message(ws, data, isBinary) {
        ws.send(data, { binary: isBinary, compress: true });
      },
    },
  });
  const port = server.port;
  return { url: `ws://${displayHost(options.host)}:${port}/`, port, close: () => server.close() };
}

/** Starts the gateway demo: gateway + demo routes + HTTP (status, metrics, API, demo page). */
export async function startServe(
  options: Omit<ServeCommand, 'command'>,
  onError: (error: unknown) => void = (error) =>
    void process.stderr.write(`wsgate: ${String(error instanceof Error ? (error.stack ?? error.message) : error)}\n`),
): Promise<Running> {
  const adapter = await serveAdapter(options);
  const rate = options.rateLimit ?? DEFAULT_SERVE_OPTIONS.rateLimit;
  const gateway = await createGateway({
    port: options.port,
    host: options.host,
    path: options.path,
    apiKey: options.apiKey,
    web: { demo: true },
    adapter,
    rateLimit: rate === 0 ? false : { messages: rate, interval: 1_000 },
    origins: options.origins,
  });
  gateway.on('error', (error) => onError(error));
  installDemoRoutes(gateway);
  const port = gateway.port;
  return { url: `http://${displayHost(options.host)}:${port}/`, port, close: () => gateway.close() };
}

/** The scale-out adapter of `serve`: Redis (`--redis`), the cluster primary (a `--workers` worker), or none. */
async function serveAdapter(options: Omit<ServeCommand, 'command'>): Promise<Adapter | undefined> {
  if (options.redis !== undefined) return new RedisAdapter({ client: await createRedisClientFromUrl(options.redis) });
  if (options.workers !== undefined && cluster.isWorker) return new ClusterAdapter();
  return undefined;
}

function redisUrl(url: string | undefined): string | undefined {
  if (url !== undefined && !/^rediss?:\/\//.test(url))
    throw new UsageError(`--redis must be a redis:// or rediss:// URL, got "${url}"`);
  return url;
}

/** Message a `serve --workers` worker sends its primary once it listens. */
interface WorkerListening {
  readonly wsgateCli: 'listening';
  readonly port: number;
}

/**
 * `serve --workers N` in the primary: forks N workers that each run the gateway on the shared port, restarts a
 * worker that dies (its sockets leave presence at once), and on SIGINT/SIGTERM stops them all gracefully.
 */
async function runPrimary(command: ServeCommand, log: (line: string) => void): Promise<void> {
  const hub = createClusterHub({ workers: command.workers });
  let listening = false;
  const port = await new Promise<number>((resolve, reject) => {
    cluster.on('message', (_worker, message: Partial<WorkerListening> | null) => {
      if (message?.wsgateCli === 'listening' && typeof message.port === 'number' && !listening) {
        listening = true;
        resolve(message.port);
      }
    });
    hub.on('exit', (worker, info) => {
      if (!listening) {
        // Not one worker got as far as listening: a bad port, Redis unreachable... don't fork-loop.
        reject(
          new Error(
            `worker ${worker.process.pid} exited before listening (${info.signal ?? `exit code ${info.code}`}); see its error above`,
          ),
        );
        return;
      }
      if (info.restarting)
        log(
          `worker ${worker.process.pid} died (${info.signal ?? `exit code ${info.code}`}); ${info.sockets} sockets left presence; restarting it`,
        );
    });
  }).catch(async (error: unknown) => {
    await hub.close(1_000);
    throw error;
  });
  logServe(command, port, log, `${command.workers} worker processes${command.redis !== undefined ? ', Redis' : ''}`);
  await runUntilSignal({ url: '', port, close: () => hub.close() }, log);
}

/** `serve --workers N` in a worker: the gateway, shut down by the primary (SIGTERM) or when the primary is gone. */
async function runWorker(command: ServeCommand): Promise<void> {
  const running = await startServe(command);
  process.send?.({ wsgateCli: 'listening', port: running.port } satisfies WorkerListening);
  // Ctrl-C reaches every process of the group: the primary coordinates the shutdown.
  process.on('SIGINT', () => undefined);
  process.once('disconnect', () => {
    // A worker without its primary has nothing left to do, whether the shutdown went well or not.
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  await runUntilSignal(running, () => undefined, ['SIGTERM']);
}

function logServe(command: ServeCommand, port: number, log: (line: string) => void, scale?: string): void {
  log(
    `wsgate gateway listening on http://${displayHost(command.host)}:${port}/${scale === undefined ? '' : ` (${scale})`}`,
  );
  log(`  demo page   http://${displayHost(command.host)}:${port}/`);
  log(`  WebSocket   ws://${displayHost(command.host)}:${port}${command.path}`);
  log(`  status      /status   metrics /metrics   client /wsgate.js`);
  log(
    command.apiKey === undefined
      ? '  push API    off (pass --api-key to enable)'
      : '  push API    /api/* (Authorization: Bearer <key>)',
  );
  const rate = command.rateLimit ?? DEFAULT_SERVE_OPTIONS.rateLimit;
  const origins =
    command.origins === '*'
      ? 'any origin'
      : `same-origin pages${command.origins === undefined ? '' : ` and ${command.origins.join(', ')}`}`;
  log(
    `  limits      ${rate === 0 ? 'no rate limit' : `${rate} messages/s per socket`}; WebSocket upgrades from ${origins} and non-browser clients`,
  );
}

/** Runs a started command until SIGINT/SIGTERM, then shuts it down. A second signal exits at once. */
async function runUntilSignal(
  running: Running,
  log: (line: string) => void,
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log(`${signal} again: exiting now`);
        process.exit(1);
      }
      stopping = true;
      log(`${signal}: shutting down…`);
      running.close().then(() => {
        for (const s of signals) process.removeListener(s, onSignal);
        resolve();
      }, reject);
    };
    for (const s of signals) process.on(s, onSignal);
  });
}

/** The CLI entry point. Resolves when the command is done (for servers: after a graceful shutdown). */
export async function main(argv: string[]): Promise<void> {
  const log = (line: string): void => void process.stdout.write(`${line}\n`);
  let command: Command;
  try {
    command = parseArgs(argv, process.env);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`wsgate: ${err.message}\nRun "wsgate help" for usage.\n`);
      process.exitCode = 2;
      return;
    }
    throw err;
  }
  switch (command.command) {
    case 'help':
      process.stdout.write(HELP);
      return;
    case 'version':
      log(readVersion());
      return;
    case 'echo': {
      const running = await startEcho(command);
      log(`wsgate echo server listening on ${running.url}${command.deflate ? ' (permessage-deflate on)' : ''}`);
      await runUntilSignal(running, log);
      return;
    }
    case 'serve': {
      if (command.workers !== undefined) {
        await (cluster.isPrimary ? runPrimary(command, log) : runWorker(command));
        return;
      }
      const running = await startServe(command);
      logServe(command, running.port, log, command.redis !== undefined ? 'Redis' : undefined);
      await runUntilSignal(running, log);
      return;
    }
  }
}

function displayHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

function readVersion(): string {
  // ../package.json from both src/cli.ts and dist/cli.js.
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}
