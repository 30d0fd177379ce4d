import type { Running } from './running.js';

/** Runs a started command until SIGINT/SIGTERM, then shuts it down. A second signal exits at once. */
export async function runUntilSignal(
  running: Running,
  log: (line: string) => void,
  signals: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    let stopping = false;
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        log(`${signal} again: exiting now`);
        process.exit(1);
      }
      stopping = true;
      log(`${signal}: shutting down…`);
      running.close().then(() => {
        for (const s of signals) process.removeListener(s, onSignal);
        resolve();
      }, reject);
    };
    for (const s of signals) process.on(s, onSignal);
  });
}
