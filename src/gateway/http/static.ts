import { readFileSync } from 'node:fs';

// The browser files live in src/gateway/public and are copied to dist/gateway/public by `npm run build`, so the same
// relative URL works from src (tsx, vitest) and from the published dist.
const PUBLIC_DIR = new URL('../public/', import.meta.url);

const cache = new Map<string, Buffer>();

/** A file from the public folder, read once. Throws when the package was built without copying it. */
export function publicFile(
  name:
    | 'wsgate-client.js'
    | 'wsgate-client.d.ts'
    | 'wsgate-recovery.js'
    | 'demo.html'
    | 'demo.js'
    | 'demo.css'
    | 'dashboard.html'
    | 'dashboard.js'
    | 'dashboard.css',
): Buffer {
  let file = cache.get(name);
  if (file === undefined) {
    file = readFileSync(new URL(name, PUBLIC_DIR));
    cache.set(name, file);
  }
  return file;
}

/** The demo page, with the WebSocket path it connects to filled in. */
export function demoPage(wsPath: string): string {
  return publicFile('demo.html').toString('utf8').replace('__WSGATE_PATH__', escapeAttribute(wsPath));
}

function escapeAttribute(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
