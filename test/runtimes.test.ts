// The runtime matrix: test/runtimes/roundtrip.mjs (client ⇄ server `Connection` in memory, after the handshake
// functions of both roles) run against `wsgate/protocol` from the packed tarball in every runtime the README says
// the engine embeds in. Node, Bun and Deno resolve the package themselves; workerd (without nodejs_compat) gets the
// package's module graph as its module list; Chromium loads it over HTTP, through an import map in a page and by the
// resolved path in a module worker. The runtimes come from test/runtimes/install.ts's cache.
import { execFile } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, extname, join, normalize, relative, sep } from 'node:path';
import type { BrowserContext } from 'playwright-core';
import { launchChromium, type Chromium } from './helpers/chromium.js';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { installScratch, packTarball, writeFiles, REPO } from './helpers/packed.js';
import { INSTALL_TIMEOUT, RUNTIMES, RUNTIME_CACHE, ensureRuntime, type Runtime } from './runtimes/install.js';

// page.evaluate callbacks run in the page; typecheck them against just the DOM they use (no DOM lib here).
declare const Worker: new (
  url: string,
  options: { type: 'module' },
) => { onmessage: ((event: { data: string }) => void) | null; onerror: ((event: { message?: string }) => void) | null };

const EXPECTED =
  'ROUNDTRIP OK handshake, text, binary 256 KiB, fragments, ping/pong, close handshake, protocol error → 1002';
/** One run of the script in one runtime (ms); the script itself takes well under a second. */
const RUN_TIMEOUT = 30_000;

let project: string;

beforeAll(async () => {
  const packed = await packTarball();
  project = await installScratch(packed, 'runtime-matrix', (dir) =>
    writeFiles(dir, {
      'package.json': JSON.stringify({ name: 'wsgate-runtime-matrix', private: true, type: 'module' }, null, 2),
    }),
  );
  // The harness is written on every run (cheap), so an edit to the script is never hidden by the cache.
  copyFileSync(join(REPO, 'test', 'runtimes', 'roundtrip.mjs'), join(project, 'roundtrip.mjs'));
  const protocolPath = `./${relative(project, resolveExport(project, './protocol', ['import', 'default']))
    .split(sep)
    .join('/')}`;
  writeFiles(project, {
    // Node, Bun and Deno: the bare specifier, resolved by the runtime through the package's exports.
    'main.mjs': harness("import * as protocol from 'wsgate/protocol';", 'console.log(await run());'),
    'worker.mjs': harness(
      `import * as protocol from '${protocolPath}';`,
      'export default { async test() { console.log(await run()); } };',
    ),
    'workerd.capnp': workerdConfig(project, protocolPath),
    'index.html': [
      '<!doctype html>',
      `<script type="importmap">${JSON.stringify({ imports: { 'wsgate/protocol': protocolPath.slice(1) } })}</script>`,
      '<script type="module">',
      harness("import * as protocol from 'wsgate/protocol';", 'window.roundTripResult = run();'),
      '</script>',
    ].join('\n'),
    'web-worker.mjs': harness(
      `import * as protocol from '${protocolPath.slice(1)}';`,
      'run().then((result) => postMessage(result), (error) => postMessage(`FAILED ${error.stack ?? error}`));',
    ),
  });
}, INSTALL_TIMEOUT);

/** A module that runs the round trip; `run()` resolves to "ROUNDTRIP OK <checks>" and rejects on a failed check. */
function harness(importLine: string, tail: string): string {
  return [
    importLine,
    "import { roundTrip } from './roundtrip.mjs';",
    'const run = async () => `ROUNDTRIP OK ${(await roundTrip(protocol)).join(", ")}`;',
    tail,
    '',
  ].join('\n');
}

/** Resolves `subpath` of the installed package through its `exports`, with the first of `conditions` present. */
function resolveExport(dir: string, subpath: string, conditions: string[]): string {
  const root = join(dir, 'node_modules', 'wsgate');
  const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
    exports: Record<string, string | Record<string, string>>;
  };
  const entry = manifest.exports[subpath];
  const target = typeof entry === 'string' ? entry : conditions.map((c) => entry[c]).find((t) => t !== undefined);
  if (target === undefined) throw new Error(`wsgate has no export ${subpath} for ${conditions.join('/')}`);
  return join(root, target);
}

/**
 * workerd takes its modules as a list, and resolves imports among them by name: list `entry`'s graph of relative
 * imports. A bare or `node:` import is left out, so it fails to load there, as it would in a real Worker.
 */
function workerdConfig(dir: string, protocolPath: string): string {
  const modules = new Set(['worker.mjs', 'roundtrip.mjs']);
  const pending = [normalize(protocolPath)];
  while (pending.length > 0) {
    const path = pending.pop()!;
    if (modules.has(path)) continue;
    modules.add(path);
    const text = readFileSync(join(dir, path), 'utf8');
    for (const match of text.matchAll(
      /(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s*['"](\.[^'"]+)['"]|(?:^|\n)\s*import\s*['"](\.[^'"]+)['"]/g,
    )) {
      pending.push(normalize(join(dirname(path), match[1] ?? match[2])));
    }
  }
  const list = [...modules].map((m) => `    (name = ${JSON.stringify(m)}, esModule = embed ${JSON.stringify(m)}),`);
  return [
    'using Workerd = import "/workerd/workerd.capnp";',
    'const config :Workerd.Config = (services = [(name = "main", worker = .worker)]);',
    '# No compatibilityFlags: in particular no nodejs_compat, so node:* modules do not exist.',
    'const worker :Workerd.Worker = (',
    '  modules = [',
    ...list,
    '  ],',
    '  compatibilityDate = "2025-06-01",',
    ');',
    '',
  ].join('\n');
}

interface Outcome {
  code: number | null;
  output: string;
}

function runIn(command: string, args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  // Not vitest's NODE_OPTIONS: each runtime starts as a user would start it.
  const childEnv: NodeJS.ProcessEnv = { ...process.env, ...env };
  delete childEnv.NODE_OPTIONS;
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { cwd: project, env: childEnv, timeout: RUN_TIMEOUT - 5_000, maxBuffer: 4 << 20 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code, output: `${stdout}${stderr}` });
      },
    );
  });
}

/** The runtime's binary from the cache; skips (locally) or fails (CI=true) when it cannot be installed. */
async function binary(ctx: TestContext, runtime: Runtime): Promise<string> {
  const installed = await ensureRuntime(runtime);
  if (!installed.ok) {
    console.warn(`skipping ${runtime.name}: ${installed.reason}`);
    ctx.skip(installed.reason);
  }
  return installed.bin;
}

async function version(bin: string, args = ['--version']): Promise<string> {
  return (await runIn(bin, args)).output.trim().split('\n')[0];
}

function expectPassed(name: string, outcome: Outcome): void {
  expect(outcome.output, `${name} printed`).toContain(EXPECTED);
  expect(outcome.code, `${name} exit code; output:\n${outcome.output}`).toBe(0);
}

describe('wsgate/protocol from the packed tarball', () => {
  it(`Node ${process.version} (this machine)`, async () => {
    expectPassed('node', await runIn(process.execPath, ['main.mjs']));
  });

  it.for([RUNTIMES.node22, RUNTIMES.node24])(
    'Node from the npm package $spec',
    { timeout: INSTALL_TIMEOUT + RUN_TIMEOUT },
    async (runtime, ctx) => {
      const bin = await binary(ctx, runtime);
      console.log(`${runtime.spec}: ${await version(bin)}`);
      expectPassed(runtime.name, await runIn(bin, ['main.mjs']));
    },
  );

  it(
    'Bun',
    async (ctx) => {
      const bin = await binary(ctx, RUNTIMES.bun);
      console.log(`bun: ${await version(bin)}`);
      // --no-install: resolve from node_modules only, never from the registry.
      expectPassed('bun', await runIn(bin, ['--no-install', 'main.mjs']));
    },
    INSTALL_TIMEOUT + RUN_TIMEOUT,
  );

  it(
    'Deno',
    async (ctx) => {
      const bin = await binary(ctx, RUNTIMES.deno);
      const env = { DENO_DIR: join(RUNTIME_CACHE, 'deno-dir'), DENO_NO_UPDATE_CHECK: '1' };
      console.log(`deno: ${await version(bin)}`);
      // package.json + node_modules: Deno resolves bare specifiers from node_modules, as Node does.
      expectPassed('deno', await runIn(bin, ['run', '--no-lock', '--allow-read=.', 'main.mjs'], env));
    },
    INSTALL_TIMEOUT + RUN_TIMEOUT,
  );

  it(
    'workerd without nodejs_compat',
    async (ctx) => {
      const bin = await binary(ctx, RUNTIMES.workerd);
      console.log(`workerd: ${await version(bin)}`);
      const outcome = await runIn(bin, ['test', 'workerd.capnp']);
      expectPassed('workerd', outcome);
      expect(outcome.output).toContain('[ PASS ] main');
    },
    INSTALL_TIMEOUT + RUN_TIMEOUT,
  );

  describe('Chromium', () => {
    const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.mjs': 'text/javascript' };
    let server: Server;
    let origin: string;
    let browser: Chromium;
    let context: BrowserContext;
    const errors: string[] = [];

    beforeAll(async () => {
      // The scratch project over HTTP on loopback: module scripts need an http(s) origin.
      server = createServer((req, res) => {
        const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
        if (pathname === '/favicon.ico') {
          res.writeHead(204).end();
          return;
        }
        const path = normalize(join(project, pathname));
        if (!path.startsWith(project + sep) || !existsSync(path)) {
          res.writeHead(404).end();
          return;
        }
        res
          .writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' })
          .end(readFileSync(path));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      browser = await launchChromium();
      context = browser.context;
    }, 30_000);

    afterAll(async () => {
      await browser?.close();
      await new Promise((resolve) => server?.close(resolve));
    });

    async function page() {
      const p = await context.newPage();
      errors.length = 0;
      p.on('pageerror', (error) => errors.push(error.message));
      p.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      return p;
    }

    it('a page (import map)', async () => {
      const p = await page();
      await p.goto(`${origin}/index.html`);
      // Rejects (and fails the test) when the module never ran, e.g. because an import failed to load.
      const result = await p
        .waitForFunction(() => 'roundTripResult' in globalThis, null, { timeout: 10_000 })
        .then(() => p.evaluate(() => (globalThis as unknown as { roundTripResult: Promise<string> }).roundTripResult))
        .catch((error: unknown) => `did not run: ${String(error)}`);
      expect(result, `page errors: ${errors.join(' | ')}`).toBe(EXPECTED);
      await p.close();
    });

    it('a module Web Worker', async () => {
      const p = await page();
      await p.goto(`${origin}/index.html`);
      const result = await p.evaluate(
        (url) =>
          new Promise<string>((resolve) => {
            const worker = new Worker(url, { type: 'module' });
            worker.onmessage = (event) => resolve(event.data);
            // A module that fails to load (or to link) only fires a bare error event.
            worker.onerror = (event) => resolve(`worker failed to load: ${event.message || 'no message'}`);
          }),
        `${origin}/web-worker.mjs`,
      );
      expect(result, `page errors: ${errors.join(' | ')}`).toBe(EXPECTED);
      await p.close();
    });
  });
});
