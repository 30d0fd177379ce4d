// A wsgate echo server in a child process, so that a test can measure the server's own memory (peak RSS) without
// the test runner's allocations in the way. Started by `startChildServer` (test/helpers/child.ts) as
// `node --import tsx child-server.ts '<options JSON>'`. Protocol on stdio, one JSON object per line:
//   child → parent: {"port": n} once listening; {"rss": MiB, "peakRss": MiB, "clients": n} after each "mem" line.
//   parent → child: "mem" asks for the numbers above.
import { createServer, type ServerOptions } from '../../src/server/server.js';
import { answerMemoryRequests } from './child-memory.js';

const options = JSON.parse(process.argv[2] ?? '{}') as ServerOptions;
const server = await createServer({
  port: 0,
  host: '127.0.0.1',
  ...options,
  handlers: {
    message(ws, data, isBinary) {
      ws.send(data, { binary: isBinary });
    },
  },
});
process.stdout.write(JSON.stringify({ port: server.port }) + '\n');

answerMemoryRequests(
  () => server.clients.size,
  () => void server.close({ timeout: 100 }).then(() => process.exit(0)),
);
