// The npm package as its users get it: the packed tarball, installed from the file into scratch projects (no
// registry). publint and @arethetypeswrong/cli (devDependencies) judge the tarball; TypeScript consumers compile
// against it under node16, nodenext and bundler resolution with skipLibCheck off; a default `npm init -y` project
// (CommonJS) requires it; the README's links, the source maps and the published types are checked in node_modules.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { installScratch, packTarball, writeFiles, REPO, type Packed } from './helpers/packed.js';

const run = promisify(execFile);
/** Packing builds the sources with tsc; the tools below each take a few seconds. */
const SLOW = 120_000;

/** publint and attw from the project's devDependencies (node_modules/.bin first, then PATH). */
const TOOL_ENV = { ...process.env, PATH: `${join(REPO, 'node_modules', '.bin')}:${process.env.PATH ?? ''}` };

function tool(name: string): string {
  const found = TOOL_ENV.PATH.split(':')
    .map((dir) => join(dir, name))
    .find((path) => existsSync(path));
  if (found === undefined)
    throw new Error(`${name} is not installed: it is a devDependency, run npm ci (or npm install)`);
  return found;
}

let packed: Packed;
let esm: string;
let cjs: string;
let pkg: string;

beforeAll(async () => {
  packed = await packTarball();
  esm = await installScratch(packed, 'consumer-esm', (dir) =>
    writeFiles(dir, {
      'package.json': JSON.stringify({ name: 'consumer-esm', private: true, type: 'module' }, null, 2),
    }),
  );
  // The project a new user starts from: `npm init -y` (CommonJS, as npm writes it today).
  cjs = await installScratch(packed, 'consumer-cjs', async (dir) => {
    await run('npm', ['init', '-y'], { cwd: dir });
  });
  pkg = join(esm, 'node_modules', 'wsgate');
}, SLOW);

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)));
}

describe('the tarball', () => {
  it('holds the code, its sources, the docs and the licence, and nothing of the repo besides', () => {
    const files = filesUnder(pkg);
    for (const file of [
      'LICENSE',
      'README.md',
      'package.json',
      'bin/wsgate.js',
      'dist/index.js',
      'dist/protocol/index.d.ts',
      'src/protocol/sha1.ts',
      'docs/protocol.md',
      'autobahn/RESULTS.md',
    ]) {
      expect(files, file).toContain(file);
    }
    expect(files.filter((f) => /^(test|fuzz|bench|scripts|examples|\.ci)\//.test(f) || f === 'tsconfig.json')).toEqual(
      [],
    );
    expect(readFileSync(join(pkg, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) The wsgate authors\n/);
  });

  it('says what npm users expect in package.json, and invents no URLs', () => {
    const manifest = JSON.parse(readFileSync(join(pkg, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.license).toBe('MIT');
    expect(manifest.sideEffects).toBe(false);
    expect(manifest.engines).toEqual({ node: '>=20.19' });
    for (const field of ['repository', 'homepage', 'bugs']) expect(manifest, field).not.toHaveProperty(field);
  });

  it('publint finds nothing', { timeout: SLOW }, async () => {
    const { stdout } = await run(tool('publint'), ['--strict', packed.tarball], { env: TOOL_ENV });
    expect(stdout).toContain('All good!');
  });

  // require(esm) is the CommonJS story (docs/packaging.md), so attw's "CJS resolves to ESM" is expected.
  it('@arethetypeswrong/cli finds nothing but cjs-resolves-to-esm', { timeout: SLOW }, async () => {
    const { stdout } = await run(
      tool('attw'),
      [packed.tarball, '--ignore-rules', 'cjs-resolves-to-esm', '--format', 'ascii'],
      {
        env: TOOL_ENV,
        maxBuffer: 4 << 20,
      },
    );
    expect(stdout).toContain('No problems found');
  });

  it('every relative link in the README and docs resolves inside the package (they work in node_modules)', () => {
    const pages = ['README.md', ...filesUnder(pkg).filter((f) => /^(docs|autobahn)\/.*\.md$/.test(f))];
    const broken: string[] = [];
    for (const page of pages) {
      const text = readFileSync(join(pkg, page), 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#')) continue; // a URL or an anchor
        const path = resolve(pkg, dirname(page), decodeURIComponent(target.split('#')[0]));
        if (!path.startsWith(pkg + '/') || !existsSync(path)) broken.push(`${page} → ${target}`);
      }
    }
    expect(pages.length).toBeGreaterThan(5);
    expect(broken).toEqual([]);
  });

  it('every source map points at files that are in the package', () => {
    const maps = filesUnder(pkg).filter((f) => f.endsWith('.map'));
    const unresolved: string[] = [];
    for (const map of maps) {
      const { sources, sourceRoot = '' } = JSON.parse(readFileSync(join(pkg, map), 'utf8')) as {
        sources: string[];
        sourceRoot?: string;
      };
      for (const source of sources) {
        if (!existsSync(resolve(pkg, dirname(map), sourceRoot, source))) unresolved.push(`${map} → ${source}`);
      }
    }
    expect(maps.some((m) => m.endsWith('.d.ts.map'))).toBe(true);
    expect(unresolved).toEqual([]);
  });

  it('publishes no @internal declaration (stripInternal)', () => {
    const leaks = filesUnder(pkg)
      .filter((f) => f.endsWith('.d.ts'))
      .filter((f) => readFileSync(join(pkg, f), 'utf8').includes('@internal'));
    expect(leaks).toEqual([]);
  });
});

describe('consumers', () => {
  it('esbuild bundles wsgate/protocol for platform=neutral with no externals', async () => {
    writeFiles(esm, { 'bundle-entry.js': "export * from 'wsgate/protocol';\n" });
    const result = await build({
      entryPoints: [join(esm, 'bundle-entry.js')],
      absWorkingDir: esm,
      bundle: true,
      minify: true,
      platform: 'neutral',
      write: false,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0].contents;
    expect(result.errors).toEqual([]);
    expect(new TextDecoder().decode(code)).not.toMatch(/["']node:|require\(/);
    // The figures the README quotes (docs are updated by hand when they move).
    console.log(`wsgate/protocol bundled: ${code.length} B minified, ${gzipSync(code, { level: 9 }).length} B gzip -9`);
  });

  /** Uses every entry point, with types a user would name. */
  const CONSUMER = `
import { createServer, connect, createGateway, type ServerOptions } from 'wsgate';
import { Connection, computeAcceptKey, type ConnectionHandler } from 'wsgate/protocol';
import * as gateway from 'wsgate/gateway';
import { WsgateClient } from 'wsgate/client';

const handler: ConnectionHandler = {
  write: () => {},
  message: () => {},
  close: () => {},
  closeTransport: () => {},
};
export const conn: Connection = new Connection({ role: 'server' }, handler);
export const accept: string = computeAcceptKey('dGhlIHNhbXBsZSBub25jZQ==');
export const options: ServerOptions = { port: 0 };
export const fns = [createServer, connect, createGateway, WsgateClient, gateway];
`;

  const base = {
    strict: true,
    noEmit: true,
    skipLibCheck: false,
    target: 'ES2022',
    lib: ['ES2022'],
    types: ['node'],
    // @types/node from the repo's own install: the scratch project has no registry access.
    typeRoots: [join(REPO, 'node_modules', '@types')],
  };
  const settings: Record<string, Record<string, unknown>> = {
    node16: { module: 'node16', moduleResolution: 'node16' },
    nodenext: { module: 'nodenext', moduleResolution: 'nodenext' },
    bundler: { module: 'esnext', moduleResolution: 'bundler' },
  };

  it.for(Object.keys(settings))(
    'TypeScript compiles an ESM consumer under %s with skipLibCheck off',
    { timeout: SLOW },
    async (name) => {
      // incremental: a run over the same tarball (same scratch project) and consumer is a cache hit for tsc.
      const compilerOptions = {
        ...base,
        ...settings[name],
        incremental: true,
        tsBuildInfoFile: `.tsbuildinfo-${name}`,
      };
      writeFiles(esm, {
        'consumer.ts': CONSUMER,
        [`tsconfig.${name}.json`]: JSON.stringify({ compilerOptions, files: ['consumer.ts'] }, null, 2),
      });
      const tsc = join(REPO, 'node_modules', 'typescript', 'bin', 'tsc');
      const outcome = await run(process.execPath, [tsc, '-p', `tsconfig.${name}.json`], { cwd: esm }).then(
        () => 'compiled',
        (error: Error & { stdout?: string; stderr?: string }) =>
          `${error.message}\n${error.stdout ?? ''}${error.stderr ?? ''}`,
      );
      expect(outcome).toBe('compiled');
    },
  );

  it("require('wsgate') works in a default `npm init -y` project, with no warning", { timeout: SLOW }, async () => {
    const manifest = JSON.parse(readFileSync(join(cjs, 'package.json'), 'utf8')) as { type?: string };
    expect(manifest.type ?? 'commonjs').toBe('commonjs');
    writeFiles(cjs, {
      'index.js': `
const assert = require('node:assert');
const wsgate = require('wsgate');
const protocol = require('wsgate/protocol');
const gateway = require('wsgate/gateway');
const client = require('wsgate/client');
assert.strictEqual(typeof wsgate.createServer, 'function');
assert.strictEqual(typeof wsgate.connect, 'function');
assert.strictEqual(protocol.computeAcceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
assert.strictEqual(typeof gateway.createGateway, 'function');
assert.strictEqual(typeof client.WsgateClient, 'function');
// One module instance whichever way it is loaded: no dual-package hazard.
import('wsgate/protocol').then((esm) => {
  assert.strictEqual(esm.Connection, protocol.Connection);
  console.log('required');
});
`,
    });
    const { stdout, stderr } = await run(process.execPath, ['index.js'], { cwd: cjs });
    expect(stdout.trim()).toBe('required');
    expect(stderr).toBe('');
  });
});
