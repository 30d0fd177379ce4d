// `wsgate` as a child process run from source (`node --import tsx test/helpers/cli-main.ts ...`), with app modules'
// `import 'wsgate/gateway'` mapped to src/ (wsgate-from-source.mjs). Not a test file itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const CLI = fileURLToPath(new URL('./cli-main.ts', import.meta.url));
const FROM_SOURCE = fileURLToPath(new URL('./wsgate-from-source.mjs', import.meta.url));
// `--import tsx` resolves from the working directory: name tsx's loader by its path, so any cwd works.
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export class CliProcess {
  output = '';
  readonly exited: Promise<number | null>;
  private constructor(readonly child: ChildProcess) {
    child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    // 'close', not 'exit': by then its stdout and stderr are read to the end.
    this.exited = new Promise((resolve) => child.once('close', (code) => resolve(code)));
  }

  static start(args: readonly string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): CliProcess {
    const child = spawn(process.execPath, ['--import', TSX, '--import', FROM_SOURCE, CLI, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
    });
    return new CliProcess(child);
  }

  /** Resolves with the port of the "listening on" line; rejects with the output if the process exits first. */
  listening(timeout = 30_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`no listening line in ${timeout} ms:\n${this.output}`)), timeout);
      const check = (): void => {
        const match = /listening on https?:\/\/[^:]+:(\d+)\//.exec(this.output);
        if (match !== null) done(null, Number(match[1]));
      };
      const onExit = (): void => done(new Error(`exited before listening:\n${this.output}`));
      const done = (error: Error | null, port?: number): void => {
        clearTimeout(timer);
        this.child.stdout!.off('data', check);
        this.child.off('exit', onExit);
        if (error === null) resolve(port!);
        else reject(error);
      };
      this.child.stdout!.on('data', check);
      this.child.once('exit', onExit);
      check();
    });
  }

  /** SIGTERM, then SIGKILL if it is still there after `grace` ms. Resolves with the exit code. */
  async stop(grace = 10_000): Promise<number | null> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return this.child.exitCode;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), grace);
    const code = await this.exited;
    clearTimeout(timer);
    return code;
  }
}
