import { existsSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AppDefinition } from '../gateway/app-module/define-app.js';
import { AppDefinitionError, checkApp } from '../gateway/app-module/install-app.js';
import { UsageError } from './usage-error.js';

/** The app module could not be imported (a syntax error, a throw at load, a missing import): one line, exit 1. */
export class AppLoadError extends Error {
  override readonly name = 'AppLoadError';
}

/**
 * Imports `wsgate serve`'s app module (relative to `cwd`) and checks its default export. `.ts` files need Node to run
 * with a TypeScript loader (`node --import tsx`, or Node's own type stripping where it is on).
 */
export async function loadApp(path: string, cwd: string): Promise<AppDefinition> {
  const file = resolve(cwd, path);
  if (!existsSync(file)) throw new UsageError(`app module ${path} not found`);
  let module: { default?: unknown };
  try {
    module = (await import(pathToFileURL(file).href)) as { default?: unknown };
  } catch (error) {
    const hint =
      (error as { code?: unknown }).code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[cm]?ts$/.test(extname(file))
        ? ' (run Node with a TypeScript loader: NODE_OPTIONS="--import tsx" wsgate serve app.ts)'
        : '';
    throw new AppLoadError(`cannot load app module ${path}: ${oneLine(error)}${hint}`);
  }
  try {
    return checkApp(module.default);
  } catch (error) {
    if (error instanceof AppDefinitionError) throw new UsageError(`app module ${path}: ${error.message}`);
    throw error;
  }
}

function oneLine(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.split('\n')[0]!;
}
