import cluster from 'node:cluster';
import { createClusterHub } from '../gateway/adapters/cluster/hub.js';
import type { ServeSettings } from './resolve.js';
import { startServe } from './serve.js';
import { runUntilSignal } from './signals.js';

/** Message a `serve --workers` worker sends its primary once it listens: its port and what it serves. */
interface WorkerListening {
  readonly wsgateCli: 'listening';
  readonly port: number;
  readonly url: string;
  readonly summary: readonly string[];
}

/**
 * `serve --workers N` in the primary: forks N workers that each run the gateway (and the app module) on the shared
 * port, restarts a worker that dies (its sockets leave presence at once), and on SIGINT/SIGTERM stops them all.
 */
export async function runPrimary(settings: ServeSettings, log: (line: string) => void): Promise<void> {
  const hub = createClusterHub({ workers: settings.workers });
  let listening = false;
  const ready = new Set<number>();
  // "Listening" once every worker listens: before that, the primary would hand every connection to the first one.
  const first = await new Promise<WorkerListening>((resolve, reject) => {
    cluster.on('message', (worker, message: Partial<WorkerListening> | null) => {
      if (message?.wsgateCli !== 'listening' || typeof message.port !== 'number' || listening) return;
      ready.add(worker.id);
      if (ready.size < (settings.workers ?? 1)) return;
      listening = true;
      resolve(message as WorkerListening);
    });
    hub.on('exit', (worker, info) => {
      if (!listening) {
        // Not one worker got as far as listening: a bad port, Redis unreachable, the app failed... don't fork-loop.
        reject(
          new Error(
            `worker ${worker.process.pid} exited before listening (${info.signal ?? `exit code ${info.code}`}); see its error above`,
          ),
        );
        return;
      }
      if (info.restarting)
        log(
          `worker ${worker.process.pid} died (${info.signal ?? `exit code ${info.code}`}); ${info.sockets} sockets left presence; restarting it`,
        );
    });
  }).catch(async (error: unknown) => {
    await hub.close(1_000);
    throw error;
  });
  const scale = `${settings.workers} worker processes${settings.redis?.url !== undefined ? ', Redis' : ''}`;
  log(`wsgate gateway listening on ${first.url} (${scale})`);
  for (const line of first.summary) log(line);
  await runUntilSignal({ url: first.url, port: first.port, close: () => hub.close() }, log);
}

/** `serve --workers N` in a worker: the gateway, shut down by the primary (SIGTERM) or when the primary is gone. */
export async function runWorker(settings: ServeSettings): Promise<void> {
  const running = await startServe(settings);
  process.send?.({
    wsgateCli: 'listening',
    port: running.port,
    url: running.url,
    summary: running.summary,
  } satisfies WorkerListening);
  // Ctrl-C reaches every process of the group: the primary coordinates the shutdown.
  process.on('SIGINT', () => undefined);
  process.once('disconnect', () => {
    // A worker without its primary has nothing left to do, whether the shutdown went well or not.
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
  await runUntilSignal(running, () => undefined, ['SIGTERM']);
}
