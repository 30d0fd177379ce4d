// A WHATWG facade whose listeners throw, in its own process: `node --import tsx child-whatwg-listener.ts <echo url>`.
// Browsers report a throwing listener and go on; Node's EventTarget would rethrow it as an uncaught exception and
// end the process. Prints {"seen": [...], "warnings": [...]} after the close and exits 0 — if it is still alive.
import { WebSocket, type CloseEvent } from '../../src/server/whatwg.js';

const seen: string[] = [];
const warnings: string[] = [];
process.on('warning', (warning) => warnings.push(warning.message));

const ws = new WebSocket(process.argv[2]);
ws.onopen = () => {
  throw new Error('onopen threw');
};
ws.addEventListener('open', () => {
  seen.push('open 2');
  ws.send('one');
});
ws.onmessage = (event) => {
  throw new Error(`onmessage threw: ${String((event as MessageEvent).data)}`);
};
ws.addEventListener('message', async (event) => {
  await Promise.resolve();
  throw new Error(`async listener rejected: ${String((event as MessageEvent).data)}`);
});
ws.addEventListener('message', (event) => {
  const data = String((event as MessageEvent).data);
  seen.push(`message ${data}`);
  if (data === 'one') ws.send('two');
  else ws.close(1000);
});
ws.addEventListener('close', {
  handleEvent() {
    throw new Error('handleEvent threw');
  },
});
ws.onclose = () => {
  throw new Error('onclose threw');
};
ws.addEventListener('close', (event) => {
  seen.push(`close ${(event as CloseEvent).code}`);
  // Warnings are emitted on a later tick: let them arrive first.
  setTimeout(() => {
    process.stdout.write(JSON.stringify({ seen, warnings }) + '\n');
    process.exit(0);
  }, 100);
});
