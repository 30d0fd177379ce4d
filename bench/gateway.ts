/**
 * Gateway benchmark: wsgate's gateway against a hand-written loop over `ws`.
 *
 *   npx tsx bench/gateway.ts
 *
 * 1. sendToGroup fan-out: 5,000 sockets in group 'g', K = 20 sends, until the clients have counted every frame.
 * 2. routed request/reply: 50 sockets × 10 requests in flight for 3 s against an `echo` route.
 * 3. history (bench/gateway-history.ts): sendToGroup with `history` off vs on (deliveries/s and the gateway
 *    process's CPU per send, 5,000 and 50 members), time to recover 1,000 missed messages, bytes per stored message.
 *
 * Clients are raw `node:net` sockets (handshake by hand, frames only counted) in a forked child process, so client
 * and server don't share an event loop. Child mode: `npx tsx bench/gateway.ts --child fan|echo --clients N --port P`.
 * Prints one markdown table; writes nothing.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { createGateway } from '../src/index.js';
import { historyRows, redisHistoryRows } from './gateway-history.js';

const HOST = '127.0.0.1';
const FAN_CLIENTS = 5_000;
const FAN_K = 20;
const ECHO_CLIENTS = 50;
const ECHO_INFLIGHT = 10;
const ECHO_SECONDS = 3;

// ---------------------------------------------------------------------------------------------------------------
// Child: raw WebSocket clients
// ---------------------------------------------------------------------------------------------------------------

type ToChild = { kind: 'expect'; total: number } | { kind: 'go' };
type FromChild =
  | { kind: 'ready'; open: number }
  | { kind: 'reached'; count: number }
  | { kind: 'echoed'; replies: number; seconds: number };

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i === -1 ? undefined : process.argv[i + 1];
}

const HANDSHAKE =
  'GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
  'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n';

/** Opens a socket, does the upgrade, then hands every complete server frame count to `onFrames`. */
function openClient(port: number, onFrames: (n: number, socket: Socket) => void): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, HOST);
    socket.setNoDelay(true);
    let upgraded = false;
    let buf: Buffer = Buffer.alloc(0);
    socket.once('error', reject);
    socket.on('connect', () => socket.write(HANDSHAKE));
    socket.on('data', (chunk: Buffer) => {
      buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      if (!upgraded) {
        const end = buf.indexOf('\r\n\r\n');
        if (end === -1) return;
        if (!buf.subarray(0, 12).toString('latin1').includes(' 101')) {
          reject(new Error(`upgrade refused: ${buf.subarray(0, end).toString('latin1')}`));
          socket.destroy();
          return;
        }
        upgraded = true;
        buf = buf.subarray(end + 4);
        socket.removeListener('error', reject);
        socket.on('error', () => {});
        resolve(socket);
      }
      // Count complete frames (server frames are unmasked).
      let off = 0;
      let frames = 0;
      while (buf.length - off >= 2) {
        let len = buf[off + 1]! & 0x7f;
        let head = 2;
        if (len === 126) {
          if (buf.length - off < 4) break;
          len = buf.readUInt16BE(off + 2);
          head = 4;
        } else if (len === 127) {
          if (buf.length - off < 10) break;
          len = Number(buf.readBigUInt64BE(off + 2));
          head = 10;
        }
        if (buf.length - off < head + len) break;
        off += head + len;
        frames++;
      }
      buf = off === buf.length ? Buffer.alloc(0) : buf.subarray(off);
      if (frames > 0) onFrames(frames, socket);
    });
  });
}

async function openMany(count: number, port: number, onFrames: (n: number, s: Socket) => void): Promise<Socket[]> {
  const sockets: Socket[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < count) {
      next++;
      sockets.push(await openClient(port, onFrames));
    }
  };
  await Promise.all(Array.from({ length: Math.min(200, count) }, worker));
  return sockets;
}

/** A masked client text frame with an all-zero mask key (payload bytes unchanged). */
function clientFrame(text: string): Buffer {
  const payload = Buffer.from(text);
  if (payload.length >= 126) throw new Error('payload too long for this bench client');
  return Buffer.concat([Buffer.from([0x81, 0x80 | payload.length, 0, 0, 0, 0]), payload]);
}

async function runChild(mode: string): Promise<void> {
  const port = Number(arg('--port'));
  const clients = Number(arg('--clients'));
  const send = (m: FromChild): void => void process.send!(m);
  process.on('disconnect', () => process.exit(0));

  if (mode === 'fan') {
    let count = 0;
    let target = Infinity;
    const check = (): void => {
      if (count >= target) {
        target = Infinity;
        send({ kind: 'reached', count });
      }
    };
    await openMany(clients, port, (n) => {
      count += n;
      check();
    });
    process.on('message', (m: ToChild) => {
      if (m.kind === 'expect') {
        target = m.total;
        check();
      }
    });
    send({ kind: 'ready', open: clients });
    return;
  }

  // echo: each reply triggers the next request on that socket, keeping ECHO_INFLIGHT in flight.
  let replies = 0;
  let running = false;
  let n = 0;
  const request = (): Buffer => {
    n++;
    return clientFrame(`{"type":"echo","id":${n},"data":{"n":${n}}}`);
  };
  const sockets = await openMany(clients, port, (frames, socket) => {
    if (!running) return;
    replies += frames;
    const out: Buffer[] = [];
    for (let i = 0; i < frames; i++) out.push(request());
    socket.write(out.length === 1 ? out[0]! : Buffer.concat(out));
  });
  process.on('message', (m: ToChild) => {
    if (m.kind !== 'go') return;
    running = true;
    const start = performance.now();
    for (const s of sockets) s.write(Buffer.concat(Array.from({ length: ECHO_INFLIGHT }, request)));
    setTimeout(() => {
      running = false;
      send({ kind: 'echoed', replies, seconds: (performance.now() - start) / 1000 });
    }, ECHO_SECONDS * 1000);
  });
  send({ kind: 'ready', open: clients });
}

// ---------------------------------------------------------------------------------------------------------------
// Parent: servers and timing
// ---------------------------------------------------------------------------------------------------------------

const children = new Set<ChildProcess>();

function spawnClients(mode: 'fan' | 'echo', clients: number, port: number): ChildProcess {
  const child = fork(
    fileURLToPath(import.meta.url),
    ['--child', mode, '--clients', String(clients), '--port', String(port)],
    {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function nextMessage<K extends FromChild['kind']>(
  child: ChildProcess,
  kind: K,
  timeoutMs = 60_000,
): Promise<Extract<FromChild, { kind: K }>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => finish(new Error(`timed out waiting for ${kind}`)), timeoutMs);
    const onMessage = (m: FromChild): void => {
      if (m.kind === kind) finish(null, m as Extract<FromChild, { kind: K }>);
    };
    const onExit = (code: number | null): void => finish(new Error(`client process exited (${code}) before ${kind}`));
    const finish = (error: Error | null, m?: Extract<FromChild, { kind: K }>): void => {
      clearTimeout(timer);
      child.off('message', onMessage);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(m!);
    };
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export interface FanTarget {
  port: number;
  members: () => number | Promise<number>;
  send: (i: number) => Promise<unknown> | void;
  close: () => Promise<void>;
}

/** Fan-out deliveries per second: K sends to FAN_CLIENTS members, until every frame was counted by the clients. */
async function fanOut(target: FanTarget): Promise<number> {
  return (await fanOutMeasured(target, FAN_CLIENTS, FAN_K)).rate;
}

/** Fan-out of `k` sends to `clients` members: deliveries/s and this process's CPU time (user + system) per send. */
export async function fanOutMeasured(
  target: FanTarget,
  clients: number,
  k: number,
): Promise<{ rate: number; cpuMsPerSend: number }> {
  const child = spawnClients('fan', clients, target.port);
  try {
    await nextMessage(child, 'ready');
    await waitFor(async () => (await target.members()) === clients, 'group membership');
    // warm-up: 2 sends
    let expected = 0;
    for (let i = 0; i < 2; i++) await target.send(-1);
    expected += 2 * clients;
    child.send({ kind: 'expect', total: expected } satisfies ToChild);
    await nextMessage(child, 'reached');

    expected += k * clients;
    const reached = nextMessage(child, 'reached');
    const cpu = process.cpuUsage();
    const start = performance.now();
    for (let i = 0; i < k; i++) await target.send(i);
    child.send({ kind: 'expect', total: expected } satisfies ToChild);
    await reached;
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    return { rate: (k * clients) / seconds, cpuMsPerSend: (used.user + used.system) / 1000 / k };
  } finally {
    await stopChild(child);
    await target.close();
  }
}

async function echo(port: number, close: () => Promise<void>): Promise<number> {
  const child = spawnClients('echo', ECHO_CLIENTS, port);
  try {
    await nextMessage(child, 'ready');
    const result = nextMessage(child, 'echoed');
    child.send({ kind: 'go' } satisfies ToChild);
    const { replies, seconds } = await result;
    return replies / seconds;
  } finally {
    await stopChild(child);
    await close();
  }
}

async function gatewayFan(): Promise<number> {
  const gateway = await createGateway({ port: 0, host: HOST, heartbeat: false, web: false });
  gateway.on('error', (e) => console.error('gateway error:', e));
  gateway.on('connect', (socket) => void gateway.joinGroup(socket.id, 'g'));
  return fanOut({
    port: gateway.port,
    members: () => gateway.socketCount('g'),
    send: (i) => gateway.sendToGroup('g', { type: 'tick', data: i }),
    close: () => gateway.close({ timeout: 1000 }),
  });
}

async function wsServer(): Promise<{ wss: WebSocketServer; port: number; close: () => Promise<void> }> {
  const wss = new WebSocketServer({ port: 0, host: HOST, path: '/ws', perMessageDeflate: false });
  await new Promise<void>((r) => wss.once('listening', () => r()));
  const port = (wss.address() as { port: number }).port;
  const close = (): Promise<void> =>
    new Promise((r) => {
      for (const c of wss.clients) c.terminate();
      wss.close(() => r());
    });
  return { wss, port, close };
}

async function wsFan(): Promise<number> {
  const { wss, port, close } = await wsServer();
  const group = new Set<WebSocket>();
  wss.on('connection', (s) => {
    group.add(s);
    s.on('close', () => group.delete(s));
    s.on('error', () => {});
  });
  return fanOut({
    port,
    members: () => group.size,
    send: (i) => {
      const msg = { type: 'tick', data: i };
      const text = JSON.stringify(msg);
      for (const s of group) s.send(text);
    },
    close,
  });
}

async function gatewayEcho(): Promise<number> {
  const gateway = await createGateway({ port: 0, host: HOST, heartbeat: false, web: false });
  gateway.on('error', (e) => console.error('gateway error:', e));
  gateway.route('echo', ({ data }) => data);
  return echo(gateway.port, () => gateway.close({ timeout: 1000 }));
}

async function wsEcho(): Promise<number> {
  const { wss, port, close } = await wsServer();
  // Hand-written equivalent of a JSON route: parse, dispatch on type, reply {type,id,data}.
  wss.on('connection', (s) => {
    s.on('error', () => {});
    s.on('message', (raw, isBinary) => {
      if (isBinary) return;
      let msg: { type?: unknown; id?: unknown; data?: unknown };
      try {
        msg = JSON.parse(raw.toString());
      } catch {
        return;
      }
      if (msg.type === 'echo') s.send(JSON.stringify({ type: msg.type, id: msg.id, data: msg.data }));
    });
  });
  return echo(port, close);
}

async function main(): Promise<void> {
  const killAll = (): void => {
    for (const c of children) c.kill('SIGKILL');
  };
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => process.exit(130));
  const guard = setTimeout(() => {
    console.error('bench/gateway.ts: overall time limit (300 s) reached');
    process.exit(1);
  }, 300_000);

  if (process.argv.includes('--redis-history-only')) {
    for (const line of await redisHistoryRows(fanOutMeasured)) console.log(line);
    clearTimeout(guard);
    return;
  }
  const fmt = (n: number): string => Math.round(n).toLocaleString('en-US');
  const rows: string[] = [];
  const row = (name: string, a: number, b: number, unit: string): void => {
    rows.push(`| ${name} | ${fmt(a)} ${unit} | ${fmt(b)} ${unit} | ${(a / b).toFixed(2)} |`);
  };

  const gFan = await gatewayFan();
  const wFan = await wsFan();
  row(`sendToGroup, ${FAN_CLIENTS.toLocaleString('en-US')} sockets × ${FAN_K} sends`, gFan, wFan, 'deliveries/s');
  const gEcho = await gatewayEcho();
  const wEcho = await wsEcho();
  row(
    `routed request/reply, ${ECHO_CLIENTS} sockets × ${ECHO_INFLIGHT} in flight, ${ECHO_SECONDS} s`,
    gEcho,
    wEcho,
    'replies/s',
  );

  console.log('| scenario | wsgate | ws loop | ratio |');
  console.log('|---|---:|---:|---:|');
  for (const r of rows) console.log(r);
  console.log('');
  for (const line of await historyRows(fanOutMeasured)) console.log(line);
  clearTimeout(guard);
}

const childMode = arg('--child');
if (childMode !== undefined) {
  runChild(childMode).catch((error: unknown) => {
    console.error('client process:', error);
    process.exit(1);
  });
} else {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
