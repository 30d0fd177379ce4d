// `npm run test:unit` again on the other Node lines we support (22 and 24), as CI does after the full suite on this
// machine's Node 20: the engine and the gateway core run on any of them, and `src/server/deflate-codec.ts` drives
// zlib's private handle, which a Node release may change. The runtimes come from the npm registry's `node@22` and
// `node@24` packages, installed into the runtime cache (test/runtimes/install.ts) — never as devDependencies.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureRuntime, RUNTIMES } from '../test/runtimes/install.js';

// vitest's CLI file is not in its package exports: take it from the repo's node_modules, as npm's bin link does.
const vitest = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'vitest', 'vitest.mjs');
let failed = false;
for (const runtime of [RUNTIMES.node22, RUNTIMES.node24]) {
  const installed = await ensureRuntime(runtime);
  if (!installed.ok) {
    // Only outside CI: there a runtime that cannot be installed has already thrown.
    process.stdout.write(`test:unit on ${runtime.spec}: skipped (${installed.reason})\n`);
    continue;
  }
  const version = spawnSync(installed.bin, ['--version'], { encoding: 'utf8' }).stdout.trim();
  process.stdout.write(`\ntest:unit on Node ${version} (${runtime.spec})\n`);
  const result = spawnSync(installed.bin, [vitest, 'run', '--project', 'unit'], { stdio: 'inherit' });
  if (result.status !== 0) {
    process.stdout.write(`test:unit failed on Node ${version} (exit ${result.status ?? result.signal})\n`);
    failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
