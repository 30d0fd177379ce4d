// The README's server, client and gateway examples, as written there except for port 0 (a free port) and the
// assertions, run against the installed `wsgate` package in whatever runtime starts this file: Node, Bun or Deno
// (their Node compatibility layers). Prints one line per case, "works" or "fails: <error>", and exits non-zero
// when a case fails. Run by hand (see docs/runtimes.md); not part of `npm test`.
//
//   cd <a project with the wsgate tarball installed> && cp <repo>/test/runtimes/readme-examples.mjs . &&
//   node readme-examples.mjs      bun readme-examples.mjs      deno run -A readme-examples.mjs
import { connect, createGateway, createServer, reject } from 'wsgate';

const CASE_TIMEOUT = 5_000;
const decoder = new TextDecoder();
const text = (data) => (typeof data === 'string' ? data : decoder.decode(data));

function within(ms, promise, what) {
  let timer;
  const timeout = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** A promise with its resolve function outside, for "the next message". */
function deferred() {
  let resolve;
  const promise = new Promise((r) => (resolve = r));
  return { promise, resolve };
}

const cases = {
  // README "Server" + "Client": the echo server, and connect() sending "hello" and closing with 1000 "bye".
  async 'server + client: echo, close 1000'() {
    const closed = deferred();
    const server = await createServer({
      port: 0,
      createData: () => ({ name: 'anonymous' }),
      handlers: {
        open(ws) {
          ws.send('welcome');
        },
        message(ws, data, isBinary) {
          ws.send(data, { binary: isBinary });
        },
        close(ws, code, reason) {
          closed.resolve(`${ws.data.name} ${code} ${reason}`);
        },
      },
    });
    try {
      const received = [];
      const two = deferred();
      const ws = await connect(`ws://127.0.0.1:${server.port}`, {
        handlers: {
          message: (_ws, data) => {
            received.push(text(data));
            if (received.length === 2) two.resolve();
          },
        },
      });
      ws.send('hello');
      await within(CASE_TIMEOUT, two.promise, 'welcome and the echo');
      if (received.join('|') !== 'welcome|hello') throw new Error(`got ${JSON.stringify(received)}`);
      ws.close(1000, 'bye');
      const how = await within(CASE_TIMEOUT, closed.promise, 'the close handler');
      if (how !== 'anonymous 1000 bye') throw new Error(`close handler saw ${how}`);
    } finally {
      await server.close();
    }
  },

  // README "Server": origins and authorize — a bad token is refused with 401 before the 101.
  async 'server: authorize → 401, good token → open'() {
    const server = await createServer({
      port: 0,
      origins: ['https://app.example'],
      authorize: async (req) =>
        req.headers.authorization === 'Bearer secret'
          ? { data: { user: 'alice' } }
          : reject(401, { error: 'bad token' }),
      handlers: { message() {} },
    });
    try {
      const url = `ws://127.0.0.1:${server.port}`;
      const headers = { origin: 'https://app.example' };
      const refused = await connect(url, { headers: { ...headers, authorization: 'Bearer wrong' } }).then(
        (ws) => (ws.close(), 'opened'),
        (error) => String(error?.message ?? error),
      );
      if (!/401/.test(refused)) throw new Error(`a bad token gave: ${refused}`);
      const ws = await connect(url, { headers: { ...headers, authorization: 'Bearer secret' } });
      ws.close(1000);
    } finally {
      await server.close();
    }
  },

  // README "Gateway": routes with replies, groups, GET /status and the push API on the same port.
  async 'gateway: route reply, sendToGroup, GET /status, POST /api/sendToUid'() {
    const gateway = await createGateway({
      port: 0,
      heartbeat: { interval: 15_000, maxMissed: 3 },
      authenticate: async () => ({ uid: 'alice', session: { plan: 'pro' } }),
      apiKey: 'example-key',
    });
    gateway.route('join', async ({ gateway, socket, data }) => {
      await gateway.joinGroup(socket.id, data.room);
      return { ok: true };
    });
    gateway.route('say', async ({ gateway, socket, data }) => {
      await gateway.sendToGroup('lobby', { type: 'said', data: { from: socket.uid, data } }, { exclude: socket.id });
    });
    try {
      const url = `ws://127.0.0.1:${gateway.port}/ws`;
      const inbox = (label) => {
        const queue = [];
        let waiting = null;
        const handlers = {
          message: (_ws, data) => {
            queue.push(JSON.parse(text(data)));
            if (waiting) waiting();
          },
        };
        const next = (what) =>
          within(
            CASE_TIMEOUT,
            new Promise((resolve) => {
              const take = () => (queue.length > 0 ? ((waiting = null), resolve(queue.shift())) : (waiting = take));
              take();
            }),
            `${label}: ${what}`,
          );
        return { handlers, next };
      };
      const a = inbox('a');
      const b = inbox('b');
      const wsA = await connect(url, { handlers: a.handlers });
      const wsB = await connect(url, { handlers: b.handlers });
      for (const [ws, box, id] of [
        [wsA, a, 1],
        [wsB, b, 2],
      ]) {
        ws.send(JSON.stringify({ type: 'join', id, data: { room: 'lobby' } }));
        const reply = await box.next('the join reply');
        if (JSON.stringify(reply) !== JSON.stringify({ type: 'join', id, data: { ok: true } })) {
          throw new Error(`join reply ${JSON.stringify(reply)}`);
        }
      }
      wsA.send(JSON.stringify({ type: 'say', data: 'hi' }));
      const said = await b.next('the group message');
      if (said.type !== 'said' || said.data.from !== 'alice' || said.data.data !== 'hi')
        throw new Error(`group message ${JSON.stringify(said)}`);
      const status = await fetch(`http://127.0.0.1:${gateway.port}/status`);
      if (status.status !== 200) throw new Error(`GET /status answered ${status.status}`);
      await status.text();
      const push = await fetch(`http://127.0.0.1:${gateway.port}/api/sendToUid`, {
        method: 'POST',
        headers: { authorization: 'Bearer example-key', 'content-type': 'application/json' },
        body: JSON.stringify({ uid: 'alice', message: { type: 'pushed' } }),
      });
      const answer = await push.text();
      if (push.status !== 200) throw new Error(`POST /api/sendToUid answered ${push.status} ${answer}`);
      for (const box of [a, b]) {
        const pushed = await box.next('the pushed message');
        if (pushed.type !== 'pushed') throw new Error(`pushed message ${JSON.stringify(pushed)}`);
      }
      wsA.close(1000);
      wsB.close(1000);
    } finally {
      await gateway.close();
    }
  },
};

let failed = 0;
for (const [name, fn] of Object.entries(cases)) {
  try {
    await within(3 * CASE_TIMEOUT, fn(), name);
    console.log(`${name}: works`);
  } catch (error) {
    failed++;
    console.log(
      `${name}: fails: ${String(error?.stack ?? error)
        .split('\n')
        .slice(0, 3)
        .join(' / ')}`,
    );
  }
}
console.log(failed === 0 ? 'ALL EXAMPLES WORK' : `${failed} EXAMPLE(S) FAILED`);
// Deno and Bun keep running while a handle is open after a failure; leave either way.
if (typeof process !== 'undefined') process.exit(failed === 0 ? 0 : 1);
