// A raw WebSocket peer on its own thread, timing the close handshake the way Autobahn|Testsuite judges it: it sends
// a Close and counts how long the other side takes to answer with its own Close. Autobahn gives 1 s
// (`closeHandshakeTimeout`) and calls the close UNCLEAN when the answer is later. The clock runs in a worker thread so
// that it keeps running while the test blocks the main thread's event loop (a busy machine, a slow `close` handler).
import { Worker } from 'node:worker_threads';

/** What the peer saw of the close handshake, by its own clock. */
export interface CloseTiming {
  /** ms from our Close to the first byte of the other side's Close; null if none came within the limit. */
  replyMs: number | null;
  /** How the TCP connection ended after that: 'fin', 'rst', or 'open' when it had not ended within the limit. */
  end: 'fin' | 'rst' | 'open';
}

export interface ClockPeer {
  /** ws://127.0.0.1:port/ when the peer is a server; '' when it is a client. */
  url: string;
  /** Resolves when the handshake was judged (answer or `limitMs` passed) and the connection ended or timed out. */
  timing: Promise<CloseTiming>;
  stop(): Promise<void>;
}

// Plain JavaScript: a worker started from a string runs without the test's TypeScript transform.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const net = require('node:net');
const crypto = require('node:crypto');
const { role, port, closeAfterMs, limitMs } = workerData;
const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function run(socket, onHead) {
  let head = Buffer.alloc(0);
  let open = false;
  let sentAt = 0;
  let replyMs = null;
  let judged = false;
  let end = 'open';
  let timer = null;
  const report = () => parentPort.postMessage({ timing: { replyMs, end } });
  const judge = () => {
    if (judged) return;
    judged = true;
    clearTimeout(timer);
    // Like Autobahn after the handshake (or after its timeout): wait a little for the TCP end, then report.
    setTimeout(report, limitMs);
  };
  const sendClose = () => {
    const payload = Buffer.from([0x03, 0xe8]);
    if (role === 'client') {
      const mask = crypto.randomBytes(4);
      socket.write(Buffer.concat([Buffer.from([0x88, 0x82]), mask, Buffer.from([payload[0] ^ mask[0], payload[1] ^ mask[1]])]));
    } else {
      socket.write(Buffer.concat([Buffer.from([0x88, 0x02]), payload]));
    }
    sentAt = performance.now();
    timer = setTimeout(judge, limitMs);
  };
  socket.setNoDelay(true);
  socket.on('error', (error) => {
    if (error.code === 'ECONNRESET') end = 'rst';
  });
  socket.on('end', () => {
    if (end === 'open') end = 'fin';
  });
  socket.on('close', () => {
    if (end === 'open') end = 'fin';
    judge();
  });
  socket.on('data', (chunk) => {
    if (!open) {
      head = Buffer.concat([head, chunk]);
      const at = head.indexOf('\\r\\n\\r\\n');
      if (at === -1) return;
      open = true;
      onHead(head.subarray(0, at).toString('latin1'));
      setTimeout(sendClose, closeAfterMs);
      return;
    }
    if (replyMs === null && sentAt > 0 && chunk[0] === 0x88) {
      replyMs = performance.now() - sentAt;
      judge();
    }
  });
}

if (role === 'server') {
  const server = net.createServer((socket) => {
    run(socket, (request) => {
      const key = /sec-websocket-key:\\s*(\\S+)/i.exec(request)[1];
      const accept = crypto.createHash('sha1').update(key + GUID).digest('base64');
      socket.write('HTTP/1.1 101 Switching Protocols\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n' +
        'Sec-WebSocket-Accept: ' + accept + '\\r\\n\\r\\n');
    });
  });
  server.listen(0, '127.0.0.1', () => parentPort.postMessage({ port: server.address().port }));
} else {
  const socket = net.connect(port, '127.0.0.1', () => {
    socket.write('GET / HTTP/1.1\\r\\nHost: 127.0.0.1:' + port + '\\r\\nUpgrade: websocket\\r\\nConnection: Upgrade\\r\\n' +
      'Sec-WebSocket-Key: ' + crypto.randomBytes(16).toString('base64') + '\\r\\nSec-WebSocket-Version: 13\\r\\n\\r\\n');
  });
  run(socket, () => {});
  parentPort.postMessage({ port: 0 });
}
`;

export interface ClockPeerOptions {
  /** 'server': listen and answer one client's handshake; 'client': connect to `port`. */
  role: 'server' | 'client';
  port?: number;
  /** Delay between the opening handshake and our Close. */
  closeAfterMs?: number;
  /** How long the other side has to answer our Close (Autobahn: 1000), and then to end TCP. */
  limitMs?: number;
}

/** Starts a peer that sends a Close after the opening handshake and times the answer on its own thread. */
export async function startClockPeer(options: ClockPeerOptions): Promise<ClockPeer> {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: {
      role: options.role,
      port: options.port ?? 0,
      closeAfterMs: options.closeAfterMs ?? 50,
      limitMs: options.limitMs ?? 1_000,
    },
  });
  let resolveTiming: (timing: CloseTiming) => void = () => {};
  const timing = new Promise<CloseTiming>((resolve) => (resolveTiming = resolve));
  const port = await new Promise<number>((resolve, reject) => {
    worker.once('error', reject);
    worker.on('message', (message: { port?: number; timing?: CloseTiming }) => {
      if (message.port !== undefined) resolve(message.port);
      if (message.timing !== undefined) resolveTiming(message.timing);
    });
  });
  return {
    url: options.role === 'server' ? `ws://127.0.0.1:${port}/` : '',
    timing,
    stop: async () => {
      await worker.terminate();
    },
  };
}
