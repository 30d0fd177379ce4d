import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { Adapter } from '../gateway/adapters/adapter.js';
import { ClusterAdapter } from '../gateway/adapters/cluster/cluster-adapter.js';
import { createRedisClientFromUrl } from '../gateway/adapters/redis/load-redis.js';
import { RedisAdapter } from '../gateway/adapters/redis/redis-adapter.js';
import type { AppDefinition } from '../gateway/app-module/define-app.js';
import { installApp } from '../gateway/app-module/install-app.js';
import { createGateway, type Gateway } from '../gateway/core/gateway.js';
import type { GatewayOptions } from '../gateway/core/options.js';
import type { OriginsOption } from '../gateway/core/origin.js';
import { installDemoRoutes } from '../gateway/demo/chat-routes.js';
import { DEFAULT_GATEWAY_HTTP_OPTIONS } from '../gateway/http/gateway-http.js';
import type { GatewayHttpOptions } from '../gateway/http/options.js';
import { loadApp } from './app-loader.js';
import { composeGatewayOptions } from './compose.js';
import { DEFAULT_SERVE_OPTIONS, SERVE_OPTIONS } from './option-table.js';
import { settleServeOptions } from './serve-defaults.js';
import { gatewayDefaults, setPath, type OptionTree, type ServeSettings } from './resolve.js';
import { displayHost, type Running } from './running.js';
import { UsageError } from './usage-error.js';

/** A started `wsgate serve`: `Running` plus the lines that tell the operator what runs where. */
export interface RunningGateway extends Running {
  readonly gateway: Gateway;
  readonly summary: readonly string[];
}

/**
 * What `startServe` needs: resolved settings (`resolveServeSettings`), or part of them from a program or a test,
 * with shortcuts that read like the flags (`path`, `apiKey`, `origins`, `rateLimit` with 0 = off, `redis` as a URL).
 * Gateway defaults not given are `wsgate serve`'s (the option table's), so the rate limit holds here too.
 */
export type ServeInput = Partial<Omit<ServeSettings, 'sources' | 'redis'>> & {
  readonly sources?: ServeSettings['sources'];
  readonly redis?: ServeSettings['redis'] | string;
  readonly path?: string;
  readonly apiKey?: string | undefined;
  readonly origins?: OriginsOption | undefined;
  readonly rateLimit?: number | undefined;
};

export interface ServeHooks {
  /** Relative app and TLS paths are resolved against this. Default `process.cwd()`. */
  readonly cwd?: string;
  /** Errors no client sees (a throwing handler, an adapter failure). Default: one report on stderr. */
  readonly onError?: (error: unknown) => void;
}

/**
 * Starts `wsgate serve` in this process: the gateway (TLS if asked), the scale-out adapter, the app module or the
 * demo chat, and the built-in HTTP routes.
 */
export async function startServe(
  given: ServeInput,
  hooksOrOnError: ServeHooks | ((error: unknown) => void) = {},
): Promise<RunningGateway> {
  const hooks = typeof hooksOrOnError === 'function' ? { onError: hooksOrOnError } : hooksOrOnError;
  const cwd = hooks.cwd ?? process.cwd();
  const onError = hooks.onError ?? reportToStderr;
  const input = withShortcuts(given);
  const app = input.app === undefined ? undefined : await loadApp(input.app, cwd);
  const demo = input.demo ?? app === undefined;
  const options = settleServeOptions(
    composeGatewayOptions(input.gatewayDefaults ?? {}, app?.config, input.gateway ?? {}),
  );
  // `port`/`host` in the app's config beat only the command's defaults, like every other option.
  const fromApp = (key: 'port' | 'host'): boolean =>
    app?.config?.[key] !== undefined && (input[key] === undefined || input.sources?.get(key) === 'default');
  const port = fromApp('port') ? app!.config!.port! : (input.port ?? DEFAULT_SERVE_OPTIONS.port);
  const host = fromApp('host') ? app!.config!.host! : (input.host ?? DEFAULT_SERVE_OPTIONS.host);
  const web: GatewayHttpOptions | false = options.web === false ? false : { ...options.web, demo };
  const https = input.tls?.cert === undefined ? null : tlsServer(input.tls.cert, input.tls.key!, cwd, options);

  const adapter = await serveAdapter(input);
  let gateway: Gateway;
  try {
    const where: GatewayOptions = https === null ? { port, host } : { server: https };
    gateway = await createGateway({ ...options, ...where, adapter, web });
    if (https !== null) await listen(https, port, host);
  } catch (error) {
    https?.close();
    // createGateway checks its options with TypeErrors that name the option: a usage error, not a crash.
    if (error instanceof TypeError) throw new UsageError(`invalid gateway option: ${error.message}`);
    throw error;
  }
  gateway.on('error', (error) => onError(error));
  if (demo) installDemoRoutes(gateway);
  const summary: string[] = [];
  if (app !== undefined) {
    const apiPrefix = (web === false ? undefined : web.apiPrefix) ?? DEFAULT_GATEWAY_HTTP_OPTIONS.apiPrefix;
    for (const skipped of installApp(gateway, gateway.web, app, apiPrefix, onError))
      summary.push(`  not served  ${skipped}`);
    await runSetup(app, gateway, https);
  }
  const close = async (): Promise<void> => {
    await gateway.close();
    if (https !== null) await closeHttps(https);
  };
  const actualPort = https === null ? gateway.port : gateway.address().port;
  const scheme = https === null ? 'http' : 'https';
  return {
    url: `${scheme}://${displayHost(host)}:${actualPort}/`,
    port: actualPort,
    gateway,
    close,
    summary: [...describe(input, gateway, options.origins, scheme, host, actualPort, demo), ...summary],
  };
}

/** Folds the flag-like shortcuts into the option trees (the trees win: they are what a command line resolved). */
function withShortcuts(input: ServeInput): ServeInput & { readonly redis?: ServeSettings['redis'] } {
  const shortcuts: OptionTree = {};
  if (input.path !== undefined) setPath(shortcuts, 'path', input.path);
  if (input.apiKey !== undefined) setPath(shortcuts, 'apiKey', input.apiKey);
  if (input.origins !== undefined) setPath(shortcuts, 'origins', input.origins);
  if (input.rateLimit !== undefined) setPath(shortcuts, 'rateLimit.messages', input.rateLimit);
  return {
    ...input,
    redis: typeof input.redis === 'string' ? { url: input.redis } : input.redis,
    gateway: { ...shortcuts, ...input.gateway },
    gatewayDefaults: input.gatewayDefaults ?? gatewayDefaults(SERVE_OPTIONS),
  };
}

async function runSetup(app: AppDefinition, gateway: Gateway, https: HttpsServer | null): Promise<void> {
  if (app.setup === undefined) return;
  try {
    await app.setup(gateway);
  } catch (error) {
    await gateway.close({ timeout: 0 });
    if (https !== null) await closeHttps(https);
    throw new Error(`the app's setup failed: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The scale-out adapter: Redis (`--redis`), the cluster primary (in a `--workers` worker), or none. */
async function serveAdapter(
  input: ServeInput & { readonly redis?: ServeSettings['redis'] },
): Promise<Adapter | undefined> {
  const redis = input.redis;
  if (redis?.url !== undefined) {
    return new RedisAdapter({
      client: await createRedisClientFromUrl(redis.url),
      presenceTtl: redis.presenceTtl,
      namespace: redis.namespace,
      requestTimeout: redis.requestTimeout,
    });
  }
  if (input.workers !== undefined && cluster.isWorker) return new ClusterAdapter();
  return undefined;
}

/**
 * The HTTPS server for `--cert/--key`, with the anti-slowloris settings the gateway's own HTTP server has (a request
 * head must arrive within the handshake timeout, checked often).
 */
function tlsServer(certFile: string, keyFile: string, cwd: string, options: GatewayOptions): HttpsServer {
  const read = (flag: string, file: string): Buffer => {
    try {
      return readFileSync(resolve(cwd, file));
    } catch (error) {
      throw new UsageError(`cannot read --${flag} file ${file}: ${(error as { code?: string }).code ?? String(error)}`);
    }
  };
  const cert = read('cert', certFile);
  const key = read('key', keyFile);
  const handshakeTimeout = options.handshakeTimeout ?? 10_000;
  let server: HttpsServer;
  try {
    server = createHttpsServer({
      cert,
      key,
      connectionsCheckingInterval: Math.min(30_000, Math.max(50, Math.floor(handshakeTimeout / 4))),
    });
  } catch (error) {
    throw new UsageError(`--cert/--key: ${error instanceof Error ? error.message : String(error)}`);
  }
  server.headersTimeout = handshakeTimeout;
  server.requestTimeout = Math.max(handshakeTimeout, 1000);
  return server;
}

function listen(server: HttpsServer, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.removeListener('error', reject);
      resolve();
    });
  });
}

function closeHttps(server: HttpsServer): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

function describe(
  input: ServeInput,
  gateway: Gateway,
  origins: GatewayOptions['origins'],
  scheme: string,
  host: string,
  port: number,
  demo: boolean,
): string[] {
  const o = gateway.options;
  const base = `${scheme}://${displayHost(host)}:${port}`;
  const ws = `${scheme === 'https' ? 'wss' : 'ws'}://${displayHost(host)}:${port}${o.path}`;
  const rate =
    o.rateLimit === null ? 'no rate limit' : `${o.rateLimit.messages} messages/${o.rateLimit.interval} ms per socket`;
  return [
    input.app === undefined
      ? demo
        ? `  demo page   ${base}/`
        : '  app         none (--no-demo)'
      : `  app         ${input.app}${demo ? ` (and the demo page at ${base}/)` : ''}`,
    `  WebSocket   ${ws}`,
    gateway.web === null ? '  HTTP        off' : `  status      /status   metrics /metrics   client /wsgate.js`,
    o.apiKey === undefined
      ? '  push API    off (pass --api-key or set WSGATE_API_KEY)'
      : '  push API    /api/* (Authorization: Bearer <key>)',
    `  limits      ${rate}; heartbeat ${o.heartbeat === null ? 'off' : `${o.heartbeat.interval} ms × ${o.heartbeat.maxMissed}`}; ${describeOrigins(origins)}`,
    ...(input.configFile === undefined ? [] : [`  config      ${input.configFile}`]),
  ];
}

function describeOrigins(origins: GatewayOptions['origins']): string {
  const pages =
    origins === '*'
      ? 'any origin'
      : typeof origins === 'function'
        ? 'the origins the app accepts'
        : `same-origin pages${origins === undefined || origins.length === 0 ? '' : ` and ${origins.join(', ')}`}`;
  return `WebSocket upgrades from ${pages} and non-browser clients`;
}

function reportToStderr(error: unknown): void {
  process.stderr.write(`wsgate: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
}
