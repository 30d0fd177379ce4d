// The runtimes of the matrix beyond this machine's Node: the npm registry's own packages of them, installed with
// `npm install --prefix` into a cache folder outside the repo — never as devDependencies, whose `node` bin would
// replace this Node in every npm script. A cache hit (the binary is there, installed from the same spec) needs no
// network. With CI=true a runtime that cannot be installed fails the run; locally the test is skipped and says why.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface Runtime {
  /** Folder name in the cache, and the name tests print. */
  name: string;
  /** What `npm install` is given: the package and its range. */
  spec: string;
  /** Name of the binary in node_modules/.bin. */
  bin: string;
}

export const RUNTIMES = {
  node22: { name: 'node22', spec: 'node@22', bin: 'node' },
  node24: { name: 'node24', spec: 'node@24', bin: 'node' },
  bun: { name: 'bun', spec: 'bun@1', bin: 'bun' },
  deno: { name: 'deno', spec: 'deno@2', bin: 'deno' },
  workerd: { name: 'workerd', spec: 'workerd@1', bin: 'workerd' },
} satisfies Record<string, Runtime>;

export const RUNTIME_CACHE = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'wsgate-runtimes');

/** How long a first install may take (a runtime is a 30–100 MB download). */
export const INSTALL_TIMEOUT = 300_000;

export type Installed = { ok: true; bin: string; installed: boolean } | { ok: false; reason: string };

/** The runtime's binary, installed into the cache first when it is missing or was installed from another spec. */
export async function ensureRuntime(runtime: Runtime): Promise<Installed> {
  const dir = join(RUNTIME_CACHE, runtime.name);
  const bin = join(dir, 'node_modules', '.bin', runtime.bin);
  const record = join(dir, 'wsgate-spec.txt');
  if (existsSync(bin) && existsSync(record) && readFileSync(record, 'utf8') === runtime.spec)
    return { ok: true, bin, installed: false };

  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), '{ "private": true }\n');
  try {
    await run('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--loglevel=error', runtime.spec], {
      cwd: dir,
      timeout: INSTALL_TIMEOUT - 10_000,
      maxBuffer: 16 << 20,
    });
    if (!existsSync(bin)) throw new Error(`npm installed ${runtime.spec} but there is no ${bin}`);
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    const reason = `${runtime.spec} could not be installed into ${dir}: ${error instanceof Error ? error.message : String(error)}`;
    if (process.env.CI === 'true') throw new Error(reason, { cause: error });
    return { ok: false, reason };
  }
  writeFileSync(record, runtime.spec);
  return { ok: true, bin, installed: true };
}
