// A wsgate server in a child process whose hooks fail on request (faulty-hooks.ts), with no `error` or
// `handshakeError` hook: the defaults must keep the process alive. `node --import tsx child-hooks.ts`; prints
// {"port": n} once listening; ends when its stdin closes.
import { createServer } from '../../src/server/server.js';
import { faultyServerOptions } from './faulty-hooks.js';

const server = await createServer({ port: 0, host: '127.0.0.1', ...faultyServerOptions() });
process.stdout.write(JSON.stringify({ port: server.port }) + '\n');
process.stdin.resume();
process.stdin.on('end', () => {
  server.close({ timeout: 100 }).then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
