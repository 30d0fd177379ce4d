// The stdio protocol shared by the child processes that report their memory (child-server.ts, child-client.ts):
// each "mem" line from the parent is answered with {"rss": MiB, "peakRss": MiB, "clients": n}; the parent going
// away (stdin closed) runs `stop`.
import { createInterface } from 'node:readline';

const MiB = 1024 * 1024;

export function answerMemoryRequests(clients: () => number, stop: () => void): void {
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() !== 'mem') return;
    process.stdout.write(
      JSON.stringify({
        rss: process.memoryUsage().rss / MiB,
        // resourceUsage().maxRSS is in KiB.
        peakRss: process.resourceUsage().maxRSS / 1024,
        clients: clients(),
      }) + '\n',
    );
  });
  process.stdin.on('end', stop);
}
