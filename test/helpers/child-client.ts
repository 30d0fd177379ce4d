// A wsgate client (`connect`) in a child process, so that a test can measure the client's own memory. Started by
// `ChildServer.startScript('./child-client.ts', [url, '<options JSON>'])` (test/helpers/child.ts). Same protocol
// as child-server.ts: {"port": n} once connected (the server's port), then {"rss", "peakRss", "clients"} after each
// "mem" line ("clients": 1 while the connection is open, 0 after it closed).
import { connect, type ConnectOptions } from '../../src/server/client.js';
import { answerMemoryRequests } from './child-memory.js';

const url = process.argv[2] ?? '';
const options = JSON.parse(process.argv[3] ?? '{}') as ConnectOptions;
let open = 1;
const ws = await connect(url, {
  ...options,
  handlers: {
    close() {
      open = 0;
    },
  },
});
process.stdout.write(JSON.stringify({ port: ws.remotePort }) + '\n');

answerMemoryRequests(
  () => open,
  () => {
    ws.terminate();
    process.exit(0);
  },
);
