// The browser client is written in TypeScript (src/gateway/client/wsgate-client.ts); the gateway serves, and the
// package exports, the JavaScript and declarations compiled from it into src/gateway/public. This test compiles the
// source in memory and fails when the checked-in output differs: run `npm run build:client` after editing.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { publicFile } from '../../src/gateway/http/static.js';

const project = fileURLToPath(new URL('../../src/gateway/client/tsconfig.json', import.meta.url));

function compile(): Map<string, string> {
  const config = ts.getParsedCommandLineOfConfigFile(
    project,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
  );
  if (config === undefined) throw new Error(`cannot read ${project}`);
  const program = ts.createProgram(config.fileNames, config.options);
  const diagnostics = ts.getPreEmitDiagnostics(program);
  expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  const out = new Map<string, string>();
  program.emit(undefined, (name, text) => out.set(name, text));
  return out;
}

describe('wsgate-client build', () => {
  it('src/gateway/public holds exactly what tsc compiles from src/gateway/client (JS and .d.ts), and /wsgate.js serves it', () => {
    const emitted = compile();
    expect([...emitted.keys()].map((name) => name.replace(/^.*\//, '')).sort()).toEqual([
      'wsgate-client.d.ts',
      'wsgate-client.js',
      'wsgate-recovery.d.ts',
      'wsgate-recovery.js',
    ]);
    for (const [name, text] of emitted) expect(readFileSync(name, 'utf8'), name).toBe(text);
    const js = [...emitted].find(([name]) => name.endsWith('wsgate-client.js'))![1];
    expect(publicFile('wsgate-client.js').toString('utf8')).toBe(js);
    const recovery = [...emitted].find(([name]) => name.endsWith('wsgate-recovery.js'))![1];
    expect(publicFile('wsgate-recovery.js').toString('utf8')).toBe(recovery);
  });
});
