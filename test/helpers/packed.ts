// The package as a user gets it: `npm pack` of the current sources, installed from the tarball into scratch
// projects. Packing happens in a staged copy of the package (its own dist/, so tests that run meanwhile never see a
// half-built one), and the tarball and the scratch projects are cached under the OS temp folder by a hash of every
// packed input: a second run with unchanged sources neither builds nor installs. No registry is needed for wsgate
// itself (it has no dependencies; its peers are optional).
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** A pack lock untouched this long (ms) was left by a run that died. */
const LOCK_STALE = 180_000;

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** What a pack reads: package.json, the build's configuration, and everything the package's `files` names. */
const INPUTS = [
  'package.json',
  'tsconfig.json',
  'tsconfig.build.json',
  ...(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { files: string[] }).files.filter(
    (f) => f !== 'dist',
  ),
];

function inputFiles(): string[] {
  const files: string[] = [];
  for (const input of INPUTS) {
    const path = join(REPO, input);
    if (!existsSync(path)) continue;
    if (!statSync(path).isDirectory()) files.push(path);
    else
      for (const e of readdirSync(path, { withFileTypes: true, recursive: true }))
        if (e.isFile()) files.push(join(e.parentPath, e.name));
  }
  return files.sort();
}

/** Hash of every packed input and of the Node version that builds it. */
function inputHash(): string {
  const hash = createHash('sha256').update(process.version);
  for (const file of inputFiles())
    hash.update(relative(REPO, file)).update('\0').update(readFileSync(file)).update('\0');
  return hash.digest('hex').slice(0, 16);
}

export interface Packed {
  /** Absolute path of `wsgate-<version>.tgz`. */
  tarball: string;
  /** Folder of this pack's cache; scratch projects live beneath it. */
  home: string;
  /** True when this call built the tarball (first run for these sources), false on a cache hit. */
  built: boolean;
}

/** Builds and packs the current sources, or returns the cached tarball for them. */
export async function packTarball(): Promise<Packed> {
  const home = join(tmpdir(), `wsgate-pack-${inputHash()}`);
  const version = (JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string }).version;
  const tarball = join(home, `wsgate-${version}.tgz`);
  // One packer per set of sources: vitest runs test files in parallel, and two builds would only waste a core.
  const lock = `${home}.lock`;
  for (;;) {
    if (existsSync(tarball)) return { tarball, home, built: false };
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another run is packing: wait for its tarball. A lock older than LOCK_STALE is from a run that died.
      try {
        if (Date.now() - statSync(lock).mtimeMs > LOCK_STALE) rmSync(lock, { recursive: true, force: true });
      } catch {
        // released meanwhile
      }
      await sleep(250);
    }
  }

  const stage = mkdtempSync(join(tmpdir(), 'wsgate-stage-'));
  try {
    for (const input of INPUTS) {
      if (!existsSync(join(REPO, input))) continue;
      mkdirSync(dirname(join(stage, input)), { recursive: true });
      cpSync(join(REPO, input), join(stage, input), { recursive: true });
    }
    // tsc and @types/node come from the repo's own install.
    symlinkSync(join(REPO, 'node_modules'), join(stage, 'node_modules'), 'dir');
    // `npm pack` runs the prepack script (the build) in the stage, then packs exactly what a publish would.
    await run('npm', ['pack', '--silent', '--pack-destination', stage], { cwd: stage, maxBuffer: 16 << 20 });
    const out = join(stage, 'out');
    mkdirSync(out);
    renameSync(join(stage, `wsgate-${version}.tgz`), join(out, `wsgate-${version}.tgz`));
    try {
      renameSync(out, home); // atomic: a concurrent run that got there first wins, and this copy is dropped
    } catch (error) {
      if (!existsSync(tarball)) throw error;
    }
    pruneOldPacks(home);
  } finally {
    rmSync(stage, { recursive: true, force: true });
    rmSync(lock, { recursive: true, force: true });
  }
  return { tarball, home, built: true };
}

/**
 * A scratch project named `name` with the tarball installed: `setup` writes its package.json and other files into
 * the (empty) folder first. Cached with the tarball; returns the project's folder.
 */
export async function installScratch(
  packed: Packed,
  name: string,
  setup: (dir: string) => Promise<void> | void,
): Promise<string> {
  const dir = join(packed.home, name);
  if (existsSync(join(dir, 'node_modules', 'wsgate', 'package.json'))) return dir;
  // Built under a temporary parent, in a folder with the project's own name (npm init names the package after it).
  const parent = mkdtempSync(join(packed.home, '.work-'));
  const work = join(parent, name);
  mkdirSync(work);
  try {
    await setup(work);
    // --offline: a tarball without dependencies needs no registry.
    await run('npm', ['install', '--offline', '--no-audit', '--no-fund', '--loglevel=error', packed.tarball], {
      cwd: work,
    });
    try {
      renameSync(work, dir);
    } catch (error) {
      if (!existsSync(dir)) throw error;
    }
  } finally {
    rmSync(parent, { recursive: true, force: true });
  }
  return dir;
}

/** Packs of other sources, untouched for a day, are dropped (a day: a run that still uses one has long ended). */
function pruneOldPacks(keep: string): void {
  const root = dirname(keep);
  for (const name of readdirSync(root)) {
    const path = join(root, name);
    if (!name.startsWith('wsgate-pack-') || path === keep) continue;
    try {
      if (Date.now() - statSync(path).mtimeMs > 86_400_000) rmSync(path, { recursive: true, force: true });
    } catch {
      // another run removed it first
    }
  }
}

/** Writes `files` (relative path → text) under `dir`. */
export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}
