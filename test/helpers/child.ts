// Starts `child-server.ts` in a separate Node process and talks to it over stdio (see that file for the protocol).
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ServerOptions } from '../../src/server/server.js';

export interface ChildMemory {
  rss: number;
  peakRss: number;
  clients: number;
}

export class ChildServer {
  private readonly lines: string[] = [];
  private waiter: (() => void) | null = null;

  private constructor(
    readonly child: ChildProcess,
    public port = 0,
  ) {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      this.lines.push(line);
      const waiter = this.waiter;
      this.waiter = null;
      waiter?.();
    });
  }

  static async start(options: ServerOptions, timeout = 10_000): Promise<ChildServer> {
    return ChildServer.startScript('./child-server.ts', [JSON.stringify(options)], timeout);
  }

  /**
   * Any script of this folder speaking the same protocol (`child-client.ts`: a wsgate client; its first line gives
   * the port it connected to).
   */
  static async startScript(name: string, args: string[], timeout = 10_000): Promise<ChildServer> {
    const script = fileURLToPath(new URL(name, import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    const server = new ChildServer(child);
    const { port } = (await server.nextLine(timeout)) as { port: number };
    server.port = port;
    return server;
  }

  private async nextLine(timeout: number): Promise<unknown> {
    const deadline = Date.now() + timeout;
    while (this.lines.length === 0) {
      if (this.child.exitCode !== null) throw new Error(`child server exited with ${this.child.exitCode}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no answer from the child server within ${timeout} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        this.waiter = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    return JSON.parse(this.lines.shift()!);
  }

  async memory(timeout = 2_000): Promise<ChildMemory> {
    this.child.stdin!.write('mem\n');
    return (await this.nextLine(timeout)) as ChildMemory;
  }

  /** Ends the child: closes its stdin, kills it if it is still there after `timeout` ms. */
  async stop(timeout = 2_000): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin!.end();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeout);
    await exited;
    clearTimeout(timer);
  }
}
