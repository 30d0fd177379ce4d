/**
 * Each concern owns its part of a GatewaySocket's state (the table in gateway-socket.ts): this keeps it so, by
 * finding every assignment to those fields in src/ and checking it sits in the owner's file.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');

const OWNERS: Record<string, string[]> = {
  liveness: ['src/gateway/core/heartbeat.ts'],
  lastBuffered: ['src/gateway/core/heartbeat.ts'],
  lastReceived: ['src/gateway/core/heartbeat.ts'],
  windowStart: ['src/gateway/core/rate-limit.ts'],
  windowCount: ['src/gateway/core/rate-limit.ts'],
  authTimer: ['src/gateway/core/auth-timer.ts'],
  closeCode: ['src/gateway/core/gateway-socket.ts'],
  boundUid: ['src/gateway/core/local-node.ts'],
  joined: ['src/gateway/core/local-node.ts'],
  sessionData: ['src/gateway/core/local-node.ts'],
  transport: ['src/gateway/core/gateway.ts'],
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : name.endsWith('.ts') ? [path] : [];
  });
}

it('writes each GatewaySocket field only in the file that owns it', () => {
  const misplaced: string[] = [];
  for (const file of files(join(root, 'src/gateway'))) {
    const rel = relative(root, file);
    let text = readFileSync(file, 'utf8');
    // The constructor initialises every field once; that is not a concern reaching in.
    if (rel === 'src/gateway/core/gateway-socket.ts') text = text.replace(/^\s*this\.\w+ = \w+;$/gm, '');
    for (const [field, owners] of Object.entries(OWNERS)) {
      // `x.field = …`, `x.field += …`, `x.field |= …`, `++x.field`, `x.field ??= …` (not `==`/`===`).
      const write = new RegExp(
        `\\.${field}\\s*(?:[-+|&^]|\\?\\?)?=(?!=)|(?:\\+\\+|--)\\s*\\w+\\.${field}\\b|\\.${field}(?:\\+\\+|--)`,
      );
      if (write.test(text) && !owners.includes(rel)) misplaced.push(`${field} written in ${rel}`);
    }
  }
  expect(misplaced).toEqual([]);
});
