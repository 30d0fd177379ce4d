/**
 * End-to-end benchmarks: wsgate against `ws` and uWebSockets.js, loaded by bench/loadgen.c.
 *
 *   npm run bench                         all scenarios, all servers, each measured twice (about 8 minutes)
 *   npm run bench -- --quick              shorter windows, measured once (about 1.5 minutes)
 *   npm run bench -- --scenario echo-32,memory      only these scenarios: echo-32, echo-16k, broadcast,
 *                                                   broadcast-1, memory, memory-gateway, handshake
 *   npm run bench -- --servers wsgate,ws  only these servers
 *   npm run bench -- --repeat 3           measure 3 times (servers interleaved) and keep the median
 *
 * The load generator is a small C program (epoll, its own handshake, framing and masking) so that nothing is
 * shared with the servers measured. It runs pinned to core 0 with `taskset`, and the server under test pinned to
 * core 1. Each server is a standalone script in bench/servers/, started fresh for each scenario on a free port of
 * 127.0.0.1. Everything started here is killed when this process exits.
 *
 * Prints one table (scenario | wsgate | ws | uWS | wsgate/ws) and writes it to bench/results/latest.md.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { buildSync } from 'esbuild';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const benchDir = dirname(fileURLToPath(import.meta.url));
const rootDir = join(benchDir, '..');
const buildDir = join(benchDir, '.build');
const loadgenPath = join(buildDir, 'loadgen');
const LOADGEN_CORE = 0;
const SERVER_CORE = 1;
/** Asked of the shell before starting children; capped at the hard limit when that is lower. */
const WANTED_FD_LIMIT = 65_536;

// ─── arguments ──────────────────────────────────────────────────────────────────────────────────────────────────

interface Args {
  quick: boolean;
  scenarios: string[] | null;
  servers: ServerName[] | null;
  repeat: number;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, scenarios: null, servers: null, repeat: 0 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--quick') args.quick = true;
    else if (a === '--scenario' || a === '--scenarios') args.scenarios = value().split(',');
    else if (a === '--servers' || a === '--server') args.servers = value().split(',') as ServerName[];
    else if (a === '--repeat') args.repeat = Math.max(1, Number(value()));
    else if (a === '--help' || a === '-h') {
      process.stdout.write(readFileSync(fileURLToPath(import.meta.url), 'utf8').split('*/')[0] + '*/\n');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return args;
}

// ─── child processes ────────────────────────────────────────────────────────────────────────────────────────────

const children = new Set<ChildProcess>();
/** Extra environment for children (UWS_MODULE: where the uWS server loads uWebSockets.js from). */
const childEnv: Record<string, string> = {};

function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/**
 * Starts `command` pinned to `core`, with the open-file limit raised first (`ulimit -n`), through `exec` so the
 * child's pid is the program's own (its /proc entries are the ones we read).
 */
function spawnPinned(core: number, command: string[]): ChildProcess {
  const script = `ulimit -n ${WANTED_FD_LIMIT} 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec taskset -c ${core} "$@"`;
  const child = spawn('bash', ['-c', script, 'bench', ...command], {
    cwd: rootDir,
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...childEnv },
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function openFileLimit(pid: number): number {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('Max open files'));
    return Number(line?.split(/\s+/)[3] ?? NaN);
  } catch {
    return NaN;
  }
}

function vmRssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmRSS:\s+(\d+) kB/m.exec(status);
  if (match === null) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]) * 1024;
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ─── servers ────────────────────────────────────────────────────────────────────────────────────────────────────

type ServerName = 'wsgate' | 'ws' | 'uWS';
const SERVER_NAMES: readonly ServerName[] = ['wsgate', 'ws', 'uWS'];

/**
 * Every server runs on plain Node, as users run them. The two TypeScript servers are bundled first (`bundleServers`,
 * esbuild, `ws` left as an import): under the tsx loader the wsgate server measured 25–33 % fewer 16 KiB echoes per
 * CPU-second when it imported the package root (the whole gateway graph) than the server module alone, while on
 * plain Node the two were the same; the loader's cost grew with the module graph, not the code under test.
 */
const SERVER_COMMANDS: Record<ServerName, string[]> = {
  wsgate: [process.execPath, '--expose-gc', join(buildDir, 'wsgate-echo.mjs'), '0'],
  ws: [process.execPath, '--expose-gc', join(buildDir, 'ws-echo.mjs'), '0'],
  uWS: [process.execPath, '--expose-gc', join(benchDir, 'servers', 'uws-echo.mjs'), '0'],
};

/** Bundles the TypeScript servers into bench/.build (imports of npm packages stay imports). */
function bundleServers(): void {
  mkdirSync(buildDir, { recursive: true });
  for (const name of ['wsgate-echo', 'ws-echo', 'wsgate-gateway']) {
    buildSync({
      entryPoints: [join(benchDir, 'servers', `${name}.ts`)],
      outfile: join(buildDir, `${name}.mjs`),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      packages: 'external',
      logLevel: 'error',
    });
  }
}

interface MemoryReport {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  /** Bytes of V8's young generation (new space + new large-object space) after the full GC. */
  young: number;
  clients: number;
}

class RunningServer {
  private readonly lines: string[] = [];
  private waiters: (() => void)[] = [];
  private stderr = '';

  constructor(
    readonly name: ServerName,
    readonly child: ChildProcess,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      for (const wake of this.waiters.splice(0)) wake();
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    child.once('exit', () => {
      for (const wake of this.waiters.splice(0)) wake();
    });
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Waits for a stdout line starting with `prefix` and returns the rest of it. */
  async line(prefix: string, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const index = this.lines.findIndex((l) => l.startsWith(prefix));
      if (index !== -1) return this.lines.splice(index, 1)[0].slice(prefix.length).trim();
      if (this.child.exitCode !== null || this.child.signalCode !== null) {
        throw new Error(`${this.name} server exited: ${this.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`${this.name} server: no "${prefix}" within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 250));
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Heap figures from the server (after a full GC) and VmRSS read from /proc. */
  async memory(): Promise<MemoryReport> {
    this.child.stdin!.write('mem\n');
    const report = JSON.parse(await this.line('MEM ', 10_000)) as MemoryReport;
    return { ...report, rss: vmRssBytes(this.pid) };
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGKILL');
    await exited;
  }
}

async function startServer(
  name: ServerName,
  command = SERVER_COMMANDS[name],
): Promise<{ server: RunningServer; port: number }> {
  const server = new RunningServer(name, spawnPinned(SERVER_CORE, command));
  const port = Number(await server.line('LISTENING ', 30_000));
  return { server, port };
}

/**
 * Where uWebSockets.js can be loaded from: the project's node_modules (`npm install --no-save uwebsockets`), or
 * bench/.build/node_modules (`npm install --no-save --prefix bench/.build uwebsockets`), which a later `npm ci` or
 * `npm install` in the project does not prune. Null when neither has it.
 */
function resolveUws(): string | null {
  for (const base of [join(rootDir, 'package.json'), join(buildDir, 'package.json')]) {
    try {
      return createRequire(base).resolve('uwebsockets');
    } catch {
      // try the next place
    }
  }
  return null;
}

/** Whether uWebSockets.js loads here (it ships prebuilt binaries per platform and Node ABI); why not when not. */
function probeUws(): { ok: true; version: string; path: string } | { ok: false; reason: string } {
  const path = resolveUws();
  if (path === null) {
    return {
      ok: false,
      reason: 'package uwebsockets not installed; `npm install --no-save uwebsockets` to include it',
    };
  }
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      "const u = require(process.argv[1]); if (typeof u.App !== 'function') throw new Error('no App export')",
      path,
    ],
    { cwd: rootDir, encoding: 'utf8', timeout: 20_000 },
  );
  if (probe.status !== 0) {
    const message = (probe.stderr || probe.error?.message || 'unknown error').trim();
    const line = message.split('\n').find((l) => /Error/.test(l)) ?? message.split('\n')[0];
    return { ok: false, reason: line.slice(0, 200) };
  }
  const manifest = join(dirname(path), 'package.json');
  const version = existsSync(manifest)
    ? (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version
    : '?';
  return { ok: true, version, path };
}

// ─── load generator ─────────────────────────────────────────────────────────────────────────────────────────────

function buildLoadgen(): void {
  const source = join(benchDir, 'loadgen.c');
  if (existsSync(loadgenPath) && statSync(loadgenPath).mtimeMs >= statSync(source).mtimeMs) return;
  mkdirSync(buildDir, { recursive: true });
  const gcc = spawnSync('gcc', ['-O2', '-Wall', '-Wextra', '-o', loadgenPath, source], { encoding: 'utf8' });
  if (gcc.error !== undefined) throw new Error(`gcc not available: ${gcc.error.message}`);
  if (gcc.status !== 0) throw new Error(`building loadgen failed:\n${gcc.stderr}`);
}

type LoadgenResult = Record<string, number | boolean | string>;

interface LoadgenRun {
  child: ChildProcess;
  /** Resolves with the first JSON line whose `event` is `name`. */
  event(name: string): Promise<LoadgenResult>;
  /** Resolves with the final result line (one with `mode`), rejects on an error line or a failed exit. */
  result: Promise<LoadgenResult>;
}

function runLoadgen(args: (string | number)[], timeoutMs: number): LoadgenRun {
  const child = spawnPinned(LOADGEN_CORE, [loadgenPath, ...args.map(String)]);
  const seen: LoadgenResult[] = [];
  const eventWaiters: { name: string; resolve: (r: LoadgenResult) => void }[] = [];
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let parsed: LoadgenResult;
    try {
      parsed = JSON.parse(line) as LoadgenResult;
    } catch {
      return;
    }
    seen.push(parsed);
    for (const waiter of eventWaiters.slice()) {
      if (parsed.event === waiter.name) {
        eventWaiters.splice(eventWaiters.indexOf(waiter), 1);
        waiter.resolve(parsed);
      }
    }
  });
  const result = new Promise<LoadgenResult>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`loadgen ${args[0]} timed out after ${timeoutMs} ms`));
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      const error = seen.find((r) => r.error !== undefined);
      const final = seen.find((r) => r.mode !== undefined);
      if (error !== undefined) reject(new Error(`loadgen: ${String(error.error)}`));
      else if (code !== 0 || final === undefined)
        reject(new Error(`loadgen exited with ${code}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
      else resolve(final);
    });
  });
  return {
    child,
    result,
    event(name) {
      const already = seen.find((r) => r.event === name);
      if (already !== undefined) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        eventWaiters.push({ name, resolve });
        result.then(() => reject(new Error(`loadgen ended before "${name}"`)), reject);
      });
    },
  };
}

// ─── scenarios ──────────────────────────────────────────────────────────────────────────────────────────────────

interface Measurement {
  /** The figure shown in the table. */
  value: number;
  /** Extra rows derived from the same run (e.g. per-CPU-second efficiency), by row key. */
  extra: Record<string, number>;
  /** Raw loadgen / memory figures, for the notes. */
  raw: Record<string, unknown>;
}

interface Row {
  key: string;
  label: string;
  /** How to print a value. */
  format: (v: number) => string;
  /** True when a higher figure is better. */
  higherIsBetter: boolean;
}

interface Scenario {
  name: string;
  rows: Row[];
  /** The servers it is measured on (default: all). */
  servers?: readonly ServerName[];
  /** A server started with another command than its `SERVER_COMMANDS` entry. */
  commands?: Partial<Record<ServerName, string[]>>;
  run(server: RunningServer, port: number, settings: Settings): Promise<Measurement>;
}

interface Settings {
  warmup: number;
  duration: number;
  handshakes: number;
  handshakeSeconds: number;
}

const rate = (v: number): string =>
  v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} k` : v.toFixed(0);
const kb = (v: number): string => `${v.toFixed(2)} KB`;

function cpuEfficiency(result: LoadgenResult, count: number): number {
  const cpu = Number(result.server_cpu);
  return cpu > 0 ? count / cpu : NaN;
}

function echoScenario(
  name: string,
  label: string,
  conns: number,
  size: number,
  pipeline: number,
  binary: boolean,
): Scenario {
  return {
    name,
    rows: [
      { key: name, label: `${label}: messages/s`, format: rate, higherIsBetter: true },
      { key: `${name}/cpu`, label: `${label}: messages per server CPU-second`, format: rate, higherIsBetter: true },
    ],
    async run(server, port, s) {
      const args = [
        'echo',
        '--port',
        port,
        '--conns',
        conns,
        '--size',
        size,
        '--pipeline',
        pipeline,
        '--warmup',
        s.warmup,
        '--duration',
        s.duration,
        '--server-pid',
        server.pid,
      ];
      if (binary) args.push('--binary');
      const result = await runLoadgen(args, 60_000).result;
      if (Number(result.errors) > 0 || Number(result.bad) > 0)
        throw new Error(`echo errors: ${JSON.stringify(result)}`);
      return {
        value: Number(result.rate),
        extra: { [`${name}/cpu`]: cpuEfficiency(result, Number(result.messages)) },
        raw: result,
      };
    },
  };
}

const BROADCAST_CONNS = 5_000;
const BROADCAST_SIZE = 64;
const IDLE_CONNS = 10_000;

/**
 * One trigger makes the server send `burst` messages to every connection; `window` triggers are kept in flight.
 * With a burst of 10 a library that gathers a tick's writes per socket (wsgate, uWS) makes one syscall per socket
 * where `ws` makes ten. A burst of 1 with one trigger at a time is the case where nothing can be gathered: every
 * library needs one syscall per delivery, and the figure is bound by the fan-out latency of a single broadcast.
 */
function broadcastScenario(name: string, burst: number, window: number): Scenario {
  const shape = window === 1 ? `${burst} per trigger, one trigger at a time` : `${burst} per trigger`;
  return {
    name,
    rows: [
      {
        key: name,
        label: `broadcast ${BROADCAST_SIZE} B to ${BROADCAST_CONNS.toLocaleString('en')} conns, ${shape}: deliveries/s`,
        format: rate,
        higherIsBetter: true,
      },
      {
        key: `${name}/cpu`,
        label: `broadcast, ${shape}: deliveries per server CPU-second`,
        format: rate,
        higherIsBetter: true,
      },
    ],
    async run(server, port, s) {
      const result = await runLoadgen(
        [
          'broadcast',
          '--port',
          port,
          '--conns',
          BROADCAST_CONNS,
          '--size',
          BROADCAST_SIZE,
          '--burst',
          burst,
          '--window',
          window,
          '--warmup',
          s.warmup,
          '--duration',
          s.duration,
          '--server-pid',
          server.pid,
        ],
        90_000,
      ).result;
      if (Number(result.errors) > 0 || Number(result.bad) > 0)
        throw new Error(`broadcast errors: ${JSON.stringify(result)}`);
      return {
        value: Number(result.rate),
        extra: { [`${name}/cpu`]: cpuEfficiency(result, Number(result.messages)) },
        raw: result,
      };
    },
  };
}

/** Waits until the server counts `count` open connections. */
async function waitForClients(server: RunningServer, count: number): Promise<MemoryReport> {
  let report = await server.memory();
  for (let i = 0; i < 100 && report.clients < count; i++) {
    await delay(200);
    report = await server.memory();
  }
  if (report.clients < count) throw new Error(`server counts ${report.clients} of ${count} connections`);
  return report;
}

/**
 * Memory readings for the per-connection figure leave out V8's young generation. After the full GC that precedes
 * every reading it holds no objects; its size is V8's tuning to the recent allocation rate: it grows while a burst
 * of connections is accepted (whatever the count) and shrinks back only when V8's memory reducer sees the process
 * idle, about 8 s after a full GC, and only once the heap grew enough to wake it. Left in, it made the figure swing
 * by ±1 KB per connection with when the reducer happened to run. The `memory/burst` row keeps the full RSS.
 */
function heldBytes(report: MemoryReport): number {
  return report.rss - report.young;
}

/** Idle time before a reading, and how close two readings a second apart must be for the process to be at rest. */
const SETTLE_MS = 10_000;
const SETTLE_TOLERANCE = 0.01;
const SETTLE_MAX_POLLS = 10;

/** The server's memory once it has been idle and its held memory stopped moving. */
async function settledMemory(server: RunningServer): Promise<MemoryReport> {
  await delay(SETTLE_MS);
  let last = await server.memory();
  for (let i = 0; i < SETTLE_MAX_POLLS; i++) {
    await delay(1000);
    const next = await server.memory();
    if (Math.abs(heldBytes(next) - heldBytes(last)) <= heldBytes(last) * SETTLE_TOLERANCE) return next;
    last = next;
  }
  return last;
}

/**
 * Idle connections are opened in two halves by two loadgen processes. The figure held to the target is the growth
 * over the second half (5,000 → 10,000) ÷ 5,000: the first connections of a run partly reuse memory the process
 * already holds without using it — pages V8 keeps pooled after shrinking its heap, malloc's free lists after the
 * warm-up — so the growth from 0 reads low by a varying amount (seen: 1.14 to 2.09 KB over three runs of the same
 * tree, while the 5,000 → 10,000 figure stayed within 1.96–2.26 KB). Readings are at rest (`settledMemory`), young
 * generation left out (`heldBytes`). The 0 → 10,000 growth on the same basis, the JS heap growth, and the plain RSS
 * growth read one second after the last connection opened are reported beside it.
 */
const memoryScenario: Scenario = {
  name: 'memory',
  rows: [
    {
      key: 'memory',
      label: `memory per idle connection: RSS growth ${(IDLE_CONNS / 2).toLocaleString('en')} → ${IDLE_CONNS.toLocaleString('en')} conns ÷ ${(IDLE_CONNS / 2).toLocaleString('en')}, at rest, without V8's young generation`,
      format: kb,
      higherIsBetter: false,
    },
    {
      key: 'memory/total',
      label: `memory per idle connection: RSS growth 0 → ${IDLE_CONNS.toLocaleString('en')} conns ÷ ${IDLE_CONNS.toLocaleString('en')}, same basis`,
      format: kb,
      higherIsBetter: false,
    },
    {
      key: 'memory/heap',
      label: 'memory per idle connection: JS heap used + external',
      format: kb,
      higherIsBetter: false,
    },
    {
      key: 'memory/burst',
      label: `memory per idle connection: plain RSS growth 0 → ${IDLE_CONNS.toLocaleString('en')}, read 1 s after the last connection opened`,
      format: kb,
      higherIsBetter: false,
    },
  ],
  async run(server, port) {
    const { before, mid, burst, after } = await idleMemory(server, port);
    return {
      value: perConnectionKb(heldBytes(after) - heldBytes(mid), IDLE_CONNS / 2),
      extra: {
        'memory/total': perConnectionKb(heldBytes(after) - heldBytes(before), IDLE_CONNS),
        'memory/heap': perConnectionKb(heapBytes(after) - heapBytes(before), IDLE_CONNS),
        'memory/burst': perConnectionKb(burst.rss - before.rss, IDLE_CONNS),
      },
      raw: { before, mid, burst, after },
    };
  },
};

/**
 * The same readings for wsgate's gateway (`createGateway` defaults: per-socket id, session and heartbeat state on
 * top of the server socket). No ws or uWS column: they have no gateway layer to compare with.
 */
const gatewayMemoryScenario: Scenario = {
  name: 'memory-gateway',
  servers: ['wsgate'],
  commands: {
    wsgate: [process.execPath, '--expose-gc', join(buildDir, 'wsgate-gateway.mjs'), '0'],
  },
  rows: [
    {
      key: 'memory-gateway',
      label: `memory per idle gateway connection (createGateway): RSS growth ${(IDLE_CONNS / 2).toLocaleString('en')} → ${IDLE_CONNS.toLocaleString('en')} ÷ ${(IDLE_CONNS / 2).toLocaleString('en')}, as above`,
      format: kb,
      higherIsBetter: false,
    },
    {
      key: 'memory-gateway/heap',
      label: 'memory per idle gateway connection: JS heap used + external',
      format: kb,
      higherIsBetter: false,
    },
  ],
  async run(server, port) {
    const { before, mid, burst, after } = await idleMemory(server, port);
    return {
      value: perConnectionKb(heldBytes(after) - heldBytes(mid), IDLE_CONNS / 2),
      extra: { 'memory-gateway/heap': perConnectionKb(heapBytes(after) - heapBytes(before), IDLE_CONNS) },
      raw: { before, mid, burst, after },
    };
  },
};

function perConnectionKb(bytes: number, conns: number): number {
  return bytes / conns / 1024;
}

function heapBytes(report: MemoryReport): number {
  return report.heapUsed + report.external;
}

/** Readings before, half-way, 1 s after and at rest after opening IDLE_CONNS idle connections in two halves. */
async function idleMemory(
  server: RunningServer,
  port: number,
): Promise<Record<'before' | 'mid' | 'burst' | 'after', MemoryReport>> {
  // Warm up the accept path (JIT, lazily created internals) so that the growth measured is per connection.
  await runLoadgen(['handshake', '--port', port, '--total', 2000, '--concurrency', 64], 60_000).result;
  const half = IDLE_CONNS / 2;
  const before = await settledMemory(server);
  const first = runLoadgen(['idle', '--port', port, '--conns', half], 180_000);
  await first.event('ready');
  await waitForClients(server, before.clients + half);
  const mid = await settledMemory(server);
  const second = runLoadgen(['idle', '--port', port, '--conns', half], 180_000);
  await second.event('ready');
  await waitForClients(server, before.clients + IDLE_CONNS);
  await delay(1000);
  const burst = await server.memory();
  const after = await settledMemory(server);
  first.child.stdin!.end();
  second.child.stdin!.end();
  await Promise.all([first.result, second.result]);
  return { before, mid, burst, after };
}

const handshakeScenario: Scenario = {
  name: 'handshake',
  rows: [
    { key: 'handshake', label: 'handshakes/s (open, 101, Close, 64 at a time)', format: rate, higherIsBetter: true },
    { key: 'handshake/cpu', label: 'handshakes per server CPU-second', format: rate, higherIsBetter: true },
  ],
  async run(server, port, s) {
    const result = await runLoadgen(
      [
        'handshake',
        '--port',
        port,
        '--total',
        s.handshakes,
        '--concurrency',
        64,
        '--max-seconds',
        s.handshakeSeconds,
        '--server-pid',
        server.pid,
      ],
      180_000,
    ).result;
    if (Number(result.failed) > 0) throw new Error(`handshake failures: ${JSON.stringify(result)}`);
    return {
      value: Number(result.rate),
      extra: { 'handshake/cpu': cpuEfficiency(result, Number(result.completed)) },
      raw: result,
    };
  },
};

const SCENARIOS: Scenario[] = [
  echoScenario('echo-32', 'echo 32 B text × 100 conns, 10 in flight each', 100, 32, 10, false),
  echoScenario('echo-16k', 'echo 16 KiB binary × 10 conns, 4 in flight each', 10, 16 * 1024, 4, true),
  broadcastScenario('broadcast', 10, 4),
  broadcastScenario('broadcast-1', 1, 1),
  memoryScenario,
  gatewayMemoryScenario,
  handshakeScenario,
];

// ─── table ──────────────────────────────────────────────────────────────────────────────────────────────────────

function median(values: number[]): number {
  const sorted = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (sorted.length === 0) return NaN;
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function renderTable(rows: Row[], values: Map<string, Map<ServerName, number | string>>): string {
  const header = ['scenario', 'wsgate', 'ws', 'uWS', 'wsgate/ws'];
  const body = rows.map((row) => {
    const cells = values.get(row.key) ?? new Map<ServerName, number | string>();
    const show = (name: ServerName): string => {
      const v = cells.get(name);
      if (v === undefined) return '—';
      return typeof v === 'string' ? v : Number.isFinite(v) ? row.format(v) : 'n/a';
    };
    const a = cells.get('wsgate');
    const b = cells.get('ws');
    const ratio =
      typeof a === 'number' && typeof b === 'number' && b > 0
        ? `${(a / b).toFixed(2)}×${row.higherIsBetter ? '' : ' (lower is better)'}`
        : '—';
    return [row.label, show('wsgate'), show('ws'), show('uWS'), ratio];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i].length)));
  const line = (cells: string[]): string =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...body.map(line)].join('\n');
}

interface Target {
  key: string;
  describe: string;
  check(wsgate: number, ws: number): boolean;
  show(wsgate: number, ws: number): string;
}

const TARGETS: Target[] = [
  {
    key: 'echo-32',
    describe: 'echo 32 B ≥ 2× ws',
    check: (a, b) => a >= 2 * b,
    show: (a, b) => `${(a / b).toFixed(2)}×`,
  },
  {
    key: 'broadcast',
    describe: 'broadcast (10 per trigger) ≥ 3× ws',
    check: (a, b) => a >= 3 * b,
    show: (a, b) => `${(a / b).toFixed(2)}×`,
  },
  {
    key: 'echo-32/cpu',
    describe: 'echo 32 B ≥ 2× ws, per server CPU-second',
    check: (a, b) => a >= 2 * b,
    show: (a, b) => `${(a / b).toFixed(2)}×`,
  },
  {
    key: 'broadcast/cpu',
    describe: 'broadcast (10 per trigger) ≥ 3× ws, per server CPU-second',
    check: (a, b) => a >= 3 * b,
    show: (a, b) => `${(a / b).toFixed(2)}×`,
  },
  { key: 'memory', describe: '≤ 2.5 KB per idle connection', check: (a) => a <= 2.5, show: (a) => kb(a) },
];

// ─── main ───────────────────────────────────────────────────────────────────────────────────────────────────────

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // Full mode runs everything twice, servers interleaved, to blunt the drift of a shared machine; ~8 minutes (the memory scenarios wait for each server to be at rest).
  const settings: Settings = args.quick
    ? { warmup: 0.5, duration: 2, handshakes: 5_000, handshakeSeconds: 3 }
    : { warmup: 1, duration: 3, handshakes: 20_000, handshakeSeconds: 5 };
  if (args.repeat === 0) args.repeat = args.quick ? 1 : 2;
  const scenarios = args.scenarios === null ? SCENARIOS : SCENARIOS.filter((s) => args.scenarios!.includes(s.name));
  if (scenarios.length === 0) throw new Error(`no scenario matches; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);

  if (cpus().length < 2)
    throw new Error('needs 2 cores: the load generator and the server are pinned to different ones');
  buildLoadgen();
  bundleServers();

  const uws = probeUws();
  if (uws.ok) childEnv.UWS_MODULE = uws.path;
  const notes: string[] = [];
  notes.push(
    uws.ok
      ? `uWS: ran (npm package uwebsockets ${uws.version}, which republishes the uWebSockets.js binaries)`
      : `uWS: not available (${uws.reason})`,
  );
  const servers = (args.servers ?? SERVER_NAMES).filter((name) => name !== 'uWS' || uws.ok);
  process.stderr.write(`${notes[0]}\n`);

  const values = new Map<string, Map<ServerName, number | string>>();
  const raw: Record<string, Record<string, unknown[]>> = {};
  let fdLimit = NaN;
  const started = Date.now();

  for (const scenario of scenarios) {
    const samples = new Map<ServerName, Measurement[]>();
    // Servers interleaved within each repetition, so slow drifts of the machine hit all of them alike.
    for (let round = 0; round < args.repeat; round++) {
      for (const name of servers) {
        if (scenario.servers !== undefined && !scenario.servers.includes(name)) continue;
        process.stderr.write(
          `${scenario.name} · ${name}${args.repeat > 1 ? ` · run ${round + 1}/${args.repeat}` : ''} ... `,
        );
        let running: RunningServer | null = null;
        try {
          const { server, port } = await startServer(name, scenario.commands?.[name]);
          running = server;
          fdLimit = openFileLimit(server.pid);
          const measurement = await scenario.run(server, port, settings);
          const list = samples.get(name) ?? [];
          list.push(measurement);
          samples.set(name, list);
          process.stderr.write(`${scenario.rows[0].format(measurement.value)}\n`);
        } catch (error) {
          const message = error instanceof Error ? error.message : String(error);
          process.stderr.write(`failed: ${message}\n`);
          for (const row of scenario.rows) {
            const cells = values.get(row.key) ?? new Map<ServerName, number | string>();
            cells.set(name, 'failed');
            values.set(row.key, cells);
          }
          notes.push(`${scenario.name} on ${name} failed: ${message}`);
        } finally {
          await running?.stop();
        }
      }
    }
    for (const [name, list] of samples) {
      for (const row of scenario.rows) {
        const cells = values.get(row.key) ?? new Map<ServerName, number | string>();
        cells.set(name, median(list.map((m) => (row.key === scenario.name ? m.value : (m.extra[row.key] ?? NaN)))));
        values.set(row.key, cells);
      }
      (raw[scenario.name] ??= {})[name] = list.map((m) => m.raw);
    }
    if (!uws.ok && (scenario.servers?.includes('uWS') ?? true)) {
      for (const row of scenario.rows) {
        const cells = values.get(row.key) ?? new Map<ServerName, number | string>();
        cells.set('uWS', 'not available');
        values.set(row.key, cells);
      }
    }
  }

  const rows = scenarios.flatMap((s) => s.rows);
  const table = renderTable(rows, values);
  const checks: string[] = [];
  for (const target of TARGETS) {
    const cells = values.get(target.key);
    const a = cells?.get('wsgate');
    const b = cells?.get('ws');
    if (typeof a !== 'number' || typeof b !== 'number') continue;
    checks.push(`- target ${target.describe}: ${target.show(a, b)} — ${target.check(a, b) ? 'met' : 'MISSED'}`);
  }

  const seconds = ((Date.now() - started) / 1000).toFixed(0);
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, Linux, Node ${process.version}`;
  const wsVersion = (
    JSON.parse(readFileSync(join(rootDir, 'node_modules', 'ws', 'package.json'), 'utf8')) as { version: string }
  ).version;
  const setup = [
    `- machine: ${machine}; load generator pinned to core ${LOADGEN_CORE}, server to core ${SERVER_CORE} (taskset)`,
    `- mode: ${args.quick ? 'quick' : 'full'} (warm-up ${settings.warmup} s, measured ${settings.duration} s${args.repeat > 1 ? `, median of ${args.repeat} runs per server, servers interleaved` : ', one run'}); run took ${seconds} s`,
    `- servers: wsgate (this tree), ws ${wsVersion} (no bufferutil / utf-8-validate), ${uws.ok ? `uWebSockets.js via npm uwebsockets ${uws.version}` : 'uWS not available'}`,
    `- open-file limit in children: ${Number.isFinite(fdLimit) ? fdLimit : 'unknown'}`,
  ];
  const output = [table, '', ...checks, ...notes.map((n) => `- ${n}`), ...setup].join('\n');
  process.stdout.write(`\n${output}\n`);

  const resultsDir = join(benchDir, 'results');
  mkdirSync(resultsDir, { recursive: true });
  const markdown = [
    '# wsgate benchmark results',
    '',
    `Written by \`npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}\` on ${new Date().toISOString().slice(0, 10)}. See docs/benchmarks.md for how to read it.`,
    '',
    output,
    '',
    '<details><summary>raw figures</summary>',
    '',
    '```json',
    JSON.stringify(raw, null, 1),
    '```',
    '',
    '</details>',
    '',
  ].join('\n');
  writeFileSync(join(resultsDir, 'latest.md'), markdown);
  process.stdout.write(`\nwritten to bench/results/latest.md\n`);
}

main().then(
  () => {
    killAll();
    process.exit(0);
  },
  (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    killAll();
    process.exit(1);
  },
);
