// docs/push-api.md, run: every `curl` example on the page is parsed and sent with fetch, in page order, to a real
// gateway holding the state the page describes (two sockets, 3f9a0c1e.1 and 3f9a0c1e.2), and the status and body
// shown under it must be what comes back. The page must also have a section for each route the gateway registers
// under /api (counted from addApiRoutes itself), and an example that reaches it.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiRoutes } from '../../../src/gateway/http/api.js';
import type { Router } from '../../../src/gateway/http/router.js';
import { connect, createGateway, type Gateway, type WsSocket } from '../../../src/index.js';

const PAGE = readFileSync(resolve(import.meta.dirname, '../../../docs/push-api.md'), 'utf8');
const KEY = 'change-me';
const NODE = '3f9a0c1e';

interface Example {
  command: string;
  status: number;
  body: string;
}

/** Each ```sh block that is a curl command, with the ```text block after it ("<status> <body>"). */
function examples(markdown: string): Example[] {
  const blocks = [...markdown.matchAll(/```(\w+)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1]!, text: m[2]!.trim() }));
  const found: Example[] = [];
  blocks.forEach((block, i) => {
    if (block.lang !== 'sh' || !block.text.startsWith('curl ')) return;
    const next = blocks[i + 1];
    if (next?.lang !== 'text') throw new Error(`no expected reply after: ${block.text}`);
    const m = /^(\d{3}) ([\s\S]*)$/.exec(next.text);
    if (m === null) throw new Error(`reply is not "<status> <body>": ${next.text}`);
    found.push({ command: block.text, status: Number(m[1]), body: m[2]! });
  });
  return found;
}

/** Shell words of a one-command script: '…' literal, "…" and bare words with $VAR expanded, \-newline joined. */
function shellWords(script: string, env: Record<string, string>): string[] {
  const text = script.replace(/\\\n/g, ' ');
  const words: string[] = [];
  let word: string | null = null;
  const expand = (s: string): string =>
    s.replace(/\$(\w+)/g, (_, name: string) => {
      const value = env[name];
      if (value === undefined) throw new Error(`unset variable $${name}`);
      return value;
    });
  for (let i = 0; i < text.length;) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n') {
      if (word !== null) words.push(word);
      word = null;
      i++;
    } else if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end === -1) throw new Error(`unterminated quote in ${script}`);
      const inner = text.slice(i + 1, end);
      word = (word ?? '') + (c === '"' ? expand(inner) : inner);
      i = end + 1;
    } else {
      const m = /^[^\s'"]+/.exec(text.slice(i))![0];
      word = (word ?? '') + expand(m);
      i += m.length;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

/** The curl options the page uses (-s, -X, -H, -d and the URL) as a fetch call. */
function toRequest(words: string[]): { url: string; init: RequestInit & { method: string } } {
  if (words[0] !== 'curl') throw new Error(`not a curl command: ${words.join(' ')}`);
  let url: string | undefined;
  let method: string | undefined;
  let body: string | undefined;
  const headers: Record<string, string> = {};
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if (w === '-s') continue;
    else if (w === '-X') method = words[++i];
    else if (w === '-H') {
      const h = words[++i]!;
      const colon = h.indexOf(':');
      headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
    } else if (w === '-d') body = words[++i];
    else if (w.startsWith('-')) throw new Error(`curl option ${w} is not understood by this test`);
    else url = w;
  }
  if (url === undefined) throw new Error(`no URL in ${words.join(' ')}`);
  return { url, init: { method: method ?? (body === undefined ? 'GET' : 'POST'), headers, body } };
}

/** The routes the gateway registers under /api, as `METHOD /api/pattern`. */
function registeredRoutes(): string[] {
  const routes: string[] = [];
  const recorder = {
    get: (path: string) => routes.push(`GET ${path}`),
    post: (path: string) => routes.push(`POST ${path}`),
  };
  addApiRoutes(recorder as unknown as Router, '/api');
  return routes;
}

describe('docs/push-api.md', () => {
  let gateway: Gateway;
  const sockets: WsSocket[] = [];
  const received: string[][] = [[], []];
  const closes: [number, string][] = [];

  beforeAll(async () => {
    gateway = await createGateway({ port: 0, host: '127.0.0.1', nodeId: NODE, apiKey: KEY });
    for (const n of [0, 1]) {
      const connected = new Promise<string>((resolve) => {
        const off = gateway.on('connect', (socket) => {
          off();
          resolve(socket.id);
        });
      });
      sockets.push(
        await connect(`ws://127.0.0.1:${gateway.port}/ws`, {
          handlers: {
            message: (_ws, data) => void received[n]!.push(data.toString()),
            close: (_ws, code, reason) => void (n === 1 && closes.push([code, reason])),
          },
        }),
      );
      expect(await connected).toBe(`${NODE}.${n + 1}`);
    }
  });

  afterAll(async () => {
    for (const socket of sockets) socket.terminate();
    await gateway?.close();
  });

  it('documents each of the 19 routes the gateway registers, each in its own section', () => {
    const routes = registeredRoutes();
    expect(routes).toHaveLength(19);
    const headings = [...PAGE.matchAll(/^### (GET|POST) (\S+)$/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect([...headings].sort()).toEqual([...routes].sort());
    expect(PAGE).toContain(`There are **${routes.length} endpoints**`);
  });

  it('gives what the page shows for every curl example, run in page order', async () => {
    const env = { WSGATE: `http://127.0.0.1:${gateway.port}`, KEY };
    const list = examples(PAGE);
    expect(list.length).toBeGreaterThanOrEqual(19 + 3);
    const reached = new Set<string>();
    for (const example of list) {
      const { url, init } = toRequest(shellWords(example.command, env));
      const res = await fetch(url, init);
      const text = await res.text();
      expect({ command: example.command, status: res.status }).toEqual({
        command: example.command,
        status: example.status,
      });
      expect(JSON.parse(text), example.command).toEqual(JSON.parse(example.body));
      reached.add(`${init.method} ${new URL(url).pathname}`);
    }
    // Every registered route was reached by some example.
    for (const route of registeredRoutes()) {
      const [method, pattern] = route.split(' ') as [string, string];
      const re = new RegExp(`^${method} ${pattern.replace(/:\w+/g, '[^/]+')}$`);
      expect(
        [...reached].some((r) => re.test(r)),
        `no example reaches ${route}`,
      ).toBe(true);
    }
  });

  it('delivered what the send examples say, and closed the socket the close example names', async () => {
    const news = JSON.stringify({ type: 'news', data: { title: 'hello' } });
    const chat = JSON.stringify({ type: 'chat', data: 'hi' });
    const notice = JSON.stringify({ type: 'notice', data: 'maintenance at 22:00' });
    await expect.poll(() => received[0], { timeout: 10_000 }).toEqual(['plain text', news, chat, notice]);
    expect(received[1]).toEqual(['plain text']);
    await expect.poll(() => closes, { timeout: 10_000 }).toEqual([[4000, 'bye']]);
  });
});
