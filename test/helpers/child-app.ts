// Fixture processes for the cluster and Redis tests and benchmarks: a TypeScript file run with `node --import tsx`,
// reporting JSON lines on stdout (see gateway-rpc.ts `report`). Not a test file itself.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

export type AppEvent = Record<string, unknown> & { event: string };

const children = new Set<ChildApp>();

export class ChildApp {
  readonly child: ChildProcess;
  readonly events: AppEvent[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';
  private readonly waiters = new Set<() => void>();

  constructor(script: string, env: Record<string, string>) {
    const path = script.startsWith('/') ? script : fileURLToPath(new URL(script, import.meta.url));
    this.child = spawn(process.execPath, ['--import', 'tsx', path], {
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(this);
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      try {
        this.events.push(JSON.parse(line) as AppEvent);
      } catch {
        this.events.push({ event: 'stdout', line });
      }
      for (const wake of [...this.waiters]) wake();
    });
    this.child.stderr!.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => {
        children.delete(this);
        for (const wake of [...this.waiters]) wake();
        resolve({ code, signal });
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Waits until `count` events match (counting those already seen); rejects after `timeout` ms. */
  async waitEvents(match: (e: AppEvent) => boolean, count = 1, timeout = 15_000): Promise<AppEvent[]> {
    const deadline = Date.now() + timeout;
    for (;;) {
      const found = this.events.filter(match);
      if (found.length >= count) return found;
      if (!this.running) throw new Error(`fixture exited before the expected events; stderr:\n${this.stderr}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`timed out waiting for fixture events (${found.length}/${count}); stderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const wake = (): void => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }

  /** Asks the fixture to stop (closes its stdin, then SIGTERM), SIGKILL after `timeout` ms. */
  async stop(timeout = 3_000): Promise<void> {
    if (!this.running) return;
    this.child.stdin?.end();
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeout);
    await this.exited;
    clearTimeout(timer);
  }

  get errorOutput(): string {
    return this.stderr;
  }
}

/** Stops every fixture still running (call from afterAll). */
export async function stopAllApps(): Promise<void> {
  await Promise.all([...children].map((c) => c.stop()));
}
