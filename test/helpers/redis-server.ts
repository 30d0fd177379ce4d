// Real `redis-server` processes for the Redis adapter tests and benchmarks: each on a free 127.0.0.1 port, in its own
// temporary directory, with persistence off (`--save '' --appendonly no`). Not a test file itself.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** The Debian package the Redis tests need (`.ci/run` / `scripts/ensure-system-deps.sh` install it). */
export const REDIS_INSTALL_HINT = 'apt-get install -y --no-install-recommends redis-server';

/** Path of the `redis-server` binary, or a thrown Error that says how to install it (the tests fail, not skip). */
export function redisServerBinary(): string {
  for (const candidate of [process.env.REDIS_SERVER, '/usr/bin/redis-server', '/usr/local/bin/redis-server']) {
    if (candidate !== undefined && candidate !== '' && spawnSync(candidate, ['--version']).status === 0)
      return candidate;
  }
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim() !== '') return found.stdout.trim();
  throw new Error(
    `redis-server is not installed: the Redis adapter tests need a real one. Install it with: ${REDIS_INSTALL_HINT}`,
  );
}

/** A free TCP port on 127.0.0.1 (closed again before returning). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** One redis-server process. `stop()` and `start()` again keep the port (the "Redis restarted" fault). */
export class RedisServer {
  private portNumber: number;
  private readonly dir: string;
  private readonly binary: string;
  private child: ChildProcess | null = null;

  private constructor(binary: string, port: number) {
    this.binary = binary;
    this.portNumber = port;
    this.dir = mkdtempSync(join(tmpdir(), 'wsgate-redis-'));
  }

  /** Starts a redis-server on a free port and resolves once it accepts connections. */
  static async start(): Promise<RedisServer> {
    const server = new RedisServer(redisServerBinary(), await freePort());
    // The port was free a moment ago; another process may have taken it since: then try another one.
    for (let attempt = 1; ; attempt++) {
      try {
        await server.start();
        return server;
      } catch (error) {
        if (attempt === 5 || !/in use/i.test(String(error))) throw error;
        server.portNumber = await freePort();
      }
    }
  }

  get port(): number {
    return this.portNumber;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== null;
  }

  /** (Re)starts the process on the same port. Data does not survive a restart (no persistence). */
  async start(): Promise<void> {
    if (this.child !== null) return;
    const child = spawn(
      this.binary,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--dir',
        this.dir,
        '--protected-mode',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    this.child = child;
    child.once('exit', () => {
      if (this.child === child) this.child = null;
    });
    const deadline = Date.now() + 5_000;
    // An answer from *this* process (something else could be listening on the port).
    while (!(await answersAs(this.port, child.pid!))) {
      if (this.child !== child) throw new Error(`redis-server exited on port ${this.port}: ${stderr.trim()}`);
      if (Date.now() > deadline)
        throw new Error(`redis-server did not listen on port ${this.port} within 5 s: ${stderr.trim()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Kills the process (SIGKILL: no goodbye to clients) and resolves once it is gone. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === null) return;
    this.child = null;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    }
  }

  /** Stops the process and removes its directory. */
  async destroy(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Does the Redis on `port` run as process `pid`? */
function answersAs(port: number, pid: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(1_000, () => done(false));
    socket.once('connect', () => socket.write('INFO server\r\n'));
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString();
      const match = /process_id:(\d+)\r\n/.exec(reply);
      if (match !== null) done(Number(match[1]) === pid);
      else if (reply.startsWith('-')) done(false);
    });
    socket.once('end', () => done(false));
    socket.once('error', () => done(false));
  });
}
