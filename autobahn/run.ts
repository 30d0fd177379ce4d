// Runs the Autobahn|Testsuite against wsgate and judges the result with check.ts.
//
//   npm run autobahn -- server [--cases "1.*,2.*"]   wstest's fuzzingclient tests our testee server
//   npm run autobahn -- client [--cases "1.*,2.*"]   wstest's fuzzingserver tests our testee client
//
// wstest is an external tool (see autobahn/README.md); its command comes from $WSTEST (default `wstest`) and may
// contain spaces, e.g. WSTEST="python3 /opt/autobahn/wstest-wrapper.py". Exit code: 0 when every case meets the
// bar, 1 when the checker fails or a child failed, 2 on bad usage, 124 when the whole-run timeout fired.

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, createServer as tcpServer } from 'node:net';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { check } from './check.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const HERE = fileURLToPath(new URL('.', import.meta.url));
const HOST = '127.0.0.1';
const DEFAULT_PORT = 9001;
const DEFAULT_TIMEOUT_MIN = 90;
/** How long a child gets to start listening. tsx compiles on start; wstest imports Twisted. */
const STARTUP_TIMEOUT_MS = 60_000;
/** How long a child gets between SIGTERM and SIGKILL. */
const STOP_GRACE_MS = 5_000;

const USAGE = `usage: npm run autobahn -- <server|client> [options]

  server   start the testee server (autobahn/testee-server.ts) and run wstest -m fuzzingclient against it
  client   start wstest -m fuzzingserver and run the testee client (autobahn/testee-client.ts) against it

options:
  --cases "1.*,6.4.*"    cases to run (default: the spec's, i.e. all)
  --exclude "12.*,13.*"  cases to leave out (default: the spec's)
  --port N               port of the server under test / of wstest's fuzzingserver (default 9001; 0 = any free)
  --agent NAME           agent name in the reports (default: wsgate)
  --timeout MIN          whole-run timeout in minutes; children are killed when it fires (default 90)
  --outdir DIR           where the reports go (default: the spec's; use separate ones for runs in parallel)
  --no-check             skip the checker

environment:
  WSTEST                  wstest command, split on whitespace (default: wstest)
  AUTOBAHN_TESTEE_SERVER  testee server script to use instead of autobahn/testee-server.ts
  AUTOBAHN_TESTEE_CLIENT  testee client script to use instead of autobahn/testee-client.ts
  AUTOBAHN_PORT, AUTOBAHN_TIMEOUT_MIN, AUTOBAHN_AGENT   defaults for --port, --timeout, --agent
  AUTOBAHN_CASE_TIMEOUT_MS                              per-case timeout of the testee client (passed through)`;

type Mode = 'server' | 'client';

interface Options {
  mode: Mode;
  cases: string[] | undefined;
  exclude: string[] | undefined;
  port: number;
  agent: string | undefined;
  timeoutMin: number;
  runCheck: boolean;
  outdir: string | undefined;
}

class UsageError extends Error {}

function log(message: string): void {
  console.log(`[autobahn] ${message}`);
}

function parseList(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

function parseNumber(name: string, value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${name} must be a non-negative number, got ${value}`);
  return n;
}

function parseOptions(argv: string[]): Options {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      cases: { type: 'string' },
      exclude: { type: 'string' },
      port: { type: 'string' },
      agent: { type: 'string' },
      timeout: { type: 'string' },
      outdir: { type: 'string' },
      'no-check': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  const mode = positionals[0];
  if ((mode !== 'server' && mode !== 'client') || positionals.length > 1) {
    throw new UsageError(`expected exactly one mode, server or client; got ${JSON.stringify(positionals)}`);
  }
  const port = parseNumber('--port', values.port ?? process.env.AUTOBAHN_PORT, DEFAULT_PORT);
  if (!Number.isInteger(port) || port > 65535) throw new UsageError(`--port must be 0..65535, got ${port}`);
  return {
    mode,
    cases: parseList(values.cases),
    exclude: parseList(values.exclude),
    port,
    agent: values.agent ?? process.env.AUTOBAHN_AGENT,
    timeoutMin: parseNumber('--timeout', values.timeout ?? process.env.AUTOBAHN_TIMEOUT_MIN, DEFAULT_TIMEOUT_MIN),
    runCheck: !values['no-check'],
    outdir: values.outdir,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Children: each runs in its own process group, so stopping it also stops anything it started.

interface Child {
  name: string;
  proc: ChildProcess;
  /** Resolves once the child has exited: its exit code, 128 if a signal ended it, 127 if it could not start. */
  exited: Promise<number>;
  done: boolean;
}

const children = new Set<Child>();

function prefixLines(stream: NodeJS.ReadableStream | null, prefix: string, out: NodeJS.WriteStream): void {
  if (stream === null) return;
  createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => out.write(`${prefix} ${line}\n`));
}

function startChild(name: string, command: string, args: string[], env: NodeJS.ProcessEnv = {}): Child {
  log(`starting ${name}: ${[command, ...args].join(' ')}`);
  const proc = spawn(command, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  prefixLines(proc.stdout, `[${name}]`, process.stdout);
  prefixLines(proc.stderr, `[${name}]`, process.stderr);
  const child: Child = {
    name,
    proc,
    done: false,
    exited: new Promise<number>((resolveExit) => {
      proc.on('error', (err) => {
        log(`${name}: ${err.message}`);
        child.done = true;
        children.delete(child);
        resolveExit(127);
      });
      proc.on('exit', (code, signal) => {
        child.done = true;
        children.delete(child);
        resolveExit(code ?? (signal !== null ? 128 : 1));
      });
    }),
  };
  children.add(child);
  return child;
}

function signalGroup(child: Child, signal: NodeJS.Signals): void {
  if (child.done || child.proc.pid === undefined) return;
  try {
    process.kill(-child.proc.pid, signal);
  } catch {
    // Already gone.
  }
}

async function stopChild(child: Child): Promise<number> {
  if (!child.done) {
    log(`stopping ${child.name}`);
    signalGroup(child, 'SIGTERM');
    const timer = setTimeout(() => signalGroup(child, 'SIGKILL'), STOP_GRACE_MS);
    await child.exited;
    clearTimeout(timer);
  }
  return child.exited;
}

function killAllNow(): void {
  for (const child of children) signalGroup(child, 'SIGKILL');
}

// ---------------------------------------------------------------------------------------------------------------
// Ports

function ensurePortFree(port: number): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = tcpServer();
    probe.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'EADDRINUSE'
            ? `port ${port} on ${HOST} is already in use (a leftover testee or wstest?); pick another with --port`
            : `cannot use port ${port}: ${err.message}`,
        ),
      ),
    );
    probe.listen(port, HOST, () => {
      const address = probe.address();
      const chosen = typeof address === 'object' && address !== null ? address.port : port;
      probe.close(() => resolvePort(chosen));
    });
  });
}

function tryConnect(port: number): Promise<boolean> {
  return new Promise((resolveTry) => {
    const socket = tcpConnect({ port, host: HOST });
    socket.once('connect', () => {
      socket.destroy();
      resolveTry(true);
    });
    socket.once('error', () => {
      socket.destroy();
      resolveTry(false);
    });
  });
}

async function waitForPort(port: number, child: Child): Promise<void> {
  const deadline = Date.now() + STARTUP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.done) throw new Error(`${child.name} exited with code ${await child.exited} before listening`);
    if (await tryConnect(port)) {
      log(`${child.name} is listening on ${HOST}:${port}`);
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${child.name} did not listen on ${HOST}:${port} within ${STARTUP_TIMEOUT_MS / 1000} s`);
}

// ---------------------------------------------------------------------------------------------------------------
// Specs and commands

type Spec = Record<string, unknown> & { outdir: string };

function writeSpec(base: string, options: Options, edit: (spec: Spec) => void): { specFile: string; outdir: string } {
  const spec = JSON.parse(readFileSync(join(HERE, base), 'utf8')) as Spec;
  if (options.cases !== undefined) spec.cases = options.cases;
  if (options.exclude !== undefined) spec['exclude-cases'] = options.exclude;
  const outdir = resolve(ROOT, options.outdir ?? spec.outdir);
  spec.outdir = outdir;
  edit(spec);
  mkdirSync(outdir, { recursive: true });
  // A stale index.json from an earlier run must never be judged as this run's result.
  rmSync(join(outdir, 'index.json'), { force: true });
  const specFile = join(outdir, 'wstest-spec.json');
  writeFileSync(specFile, `${JSON.stringify(spec, null, 2)}\n`);
  log(`spec ${specFile}: cases ${JSON.stringify(spec.cases)}, exclude ${JSON.stringify(spec['exclude-cases'])}`);
  return { specFile, outdir };
}

function wstestCommand(): [string, string[]] {
  const words = (process.env.WSTEST ?? 'wstest')
    .trim()
    .split(/\s+/)
    .filter((w) => w.length > 0);
  const [command, ...args] = words;
  if (command === undefined) throw new UsageError('WSTEST is empty');
  return [command, args];
}

function testeeScript(envName: string, fallback: string): string {
  const override = process.env[envName];
  return override !== undefined && override !== '' ? resolve(override) : join(HERE, fallback);
}

/** Runs a TypeScript file with tsx in a plain node process (one process, so signals reach it directly). */
function startTsx(name: string, script: string, env: NodeJS.ProcessEnv): Child {
  return startChild(name, process.execPath, ['--import', 'tsx', script], env);
}

// ---------------------------------------------------------------------------------------------------------------
// The two modes. Each returns true when every child did its job (the checker is run separately).

async function runServerMode(options: Options, port: number): Promise<{ outdir: string; ok: boolean }> {
  const agent = options.agent ?? 'wsgate';
  const url = `ws://${HOST}:${port}`;
  const { specFile, outdir } = writeSpec('fuzzingclient.json', options, (spec) => {
    spec.servers = [{ agent, url }];
  });
  const testee = startTsx('testee-server', testeeScript('AUTOBAHN_TESTEE_SERVER', 'testee-server.ts'), {
    AUTOBAHN_HOST: HOST,
    AUTOBAHN_PORT: String(port),
  });
  let ok = true;
  try {
    await waitForPort(port, testee);
    const [command, args] = wstestCommand();
    const wstest = startChild('wstest', command, [...args, '-m', 'fuzzingclient', '-s', specFile]);
    const code = await wstest.exited;
    log(`wstest fuzzingclient exited with code ${code}`);
    if (code !== 0) ok = false;
    if (testee.done) {
      log(`testee-server exited during the run with code ${await testee.exited}`);
      ok = false;
    }
  } finally {
    await stopChild(testee);
  }
  return { outdir, ok };
}

async function runClientMode(options: Options, port: number): Promise<{ outdir: string; ok: boolean }> {
  const agent = options.agent ?? 'wsgate';
  const url = `ws://${HOST}:${port}`;
  const { specFile, outdir } = writeSpec('fuzzingserver.json', options, (spec) => {
    spec.url = url;
  });
  const [command, args] = wstestCommand();
  // -u 0: no embedded web server (it would otherwise listen on 8080).
  const wstest = startChild('wstest', command, [...args, '-m', 'fuzzingserver', '-s', specFile, '-u', '0']);
  let ok = true;
  try {
    await waitForPort(port, wstest);
    const testee = startTsx('testee-client', testeeScript('AUTOBAHN_TESTEE_CLIENT', 'testee-client.ts'), {
      AUTOBAHN_URL: url,
      AUTOBAHN_AGENT: agent,
    });
    const code = await testee.exited;
    log(`testee-client exited with code ${code}`);
    if (code !== 0) ok = false;
    if (wstest.done) {
      log(`wstest fuzzingserver exited during the run with code ${await wstest.exited}`);
      ok = false;
    }
  } finally {
    await stopChild(wstest);
  }
  return { outdir, ok };
}

async function main(): Promise<number> {
  let options: Options;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (err) {
    console.error(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }

  const started = Date.now();
  const timeoutMs = options.timeoutMin * 60_000;
  const timer = setTimeout(() => {
    log(`whole-run timeout of ${options.timeoutMin} min reached: killing ${children.size} child process(es)`);
    killAllNow();
    process.exit(124);
  }, timeoutMs);
  timer.unref();
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      log(`${signal}: killing ${children.size} child process(es)`);
      killAllNow();
      process.exit(130);
    });
  }

  const port = await ensurePortFree(options.port);
  log(`mode ${options.mode}, port ${port}, whole-run timeout ${options.timeoutMin} min`);
  const { outdir, ok } =
    options.mode === 'server' ? await runServerMode(options, port) : await runClientMode(options, port);
  clearTimeout(timer);
  log(`run finished in ${((Date.now() - started) / 1000).toFixed(1)} s; reports in ${outdir}`);

  if (!options.runCheck) return ok ? 0 : 1;
  const result = check(outdir);
  return ok && result.ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`[autobahn] ${err instanceof Error ? err.message : String(err)}`);
    killAllNow();
    process.exit(1);
  },
);
