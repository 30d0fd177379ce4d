// The live dashboard (/dashboard) in a real browser: two gateway nodes on a real redis-server, the page opened on
// one of them, the API key typed in; a load script connects clients to both nodes, sends messages (some of an
// unknown type: errors by code) and leaves raw sockets that never answer pings (heartbeat terminations). The charts
// must move: the page's samples show the new numbers and the canvases' pixels change. Takes the screenshot in
// docs/dashboard.png (with UPDATE_SCREENSHOT=1).
// Also, over plain HTTP: the dashboard is off without `dashboard: true` or without an API key, its data needs the key.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Chromium } from '../helpers/chromium.js';
import type { Gateway } from '../../src/gateway/index.js';
import { cleanup, httpUrl, open, rawConnect, startGateway, type TestClient } from '../gateway/helpers.js';
import { RedisServer } from '../helpers/redis-server.js';
import { redisNode } from '../helpers/redis-nodes.js';

const WAIT = 20_000;
const KEY = 'dashboard-test-key';
/** docs/dashboard.png is refreshed with UPDATE_SCREENSHOT=1 (so that a test run leaves the tree clean). */
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOT === '1'
    ? fileURLToPath(new URL('../../docs/dashboard.png', import.meta.url))
    : joinPath(tmpdir(), `wsgate-dashboard-${process.pid}.png`);

let browser: Chromium;
let context: BrowserContext;
const servers: RedisServer[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchChromium(WAIT, { width: 1280, height: 900 });
  context = browser.context;
});

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  for (const page of context?.pages() ?? []) await page.close();
  await cleanup();
  await Promise.all(servers.splice(0).map((s) => s.destroy()));
  expect(pageErrors.splice(0), 'JavaScript errors or CSP violations in the page').toEqual([]);
});

function watch(page: Page): void {
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    if (message.type() === 'error' && !/Failed to load resource/.test(message.text()))
      pageErrors.push(`console: ${message.text()}`);
  });
}

/** The chart's current values (the page writes them to `data-last`). */
async function last(page: Page, chart: string): Promise<Record<string, number | null>> {
  const text = await page.getAttribute(`[data-chart="${chart}"]`, 'data-last');
  return JSON.parse(text ?? '{}') as Record<string, number | null>;
}

async function pixels(page: Page, chart: string): Promise<string> {
  return page.$eval(`[data-chart="${chart}"] canvas`, (canvas) =>
    (canvas as unknown as { toDataURL(): string }).toDataURL(),
  );
}

// The callbacks passed to page.waitForFunction run in the page; typecheck them against just the DOM they use. (A
// string expression would be eval'd there, which the page's CSP forbids.)
interface PageElement {
  readonly textContent: string | null;
  readonly dataset: Record<string, string | undefined>;
}
declare const document: {
  getElementById(id: string): PageElement | null;
  querySelector(selector: string): PageElement | null;
};
declare const window: { wsgateDashboard: { samples: { totals: Record<string, number> }[] } };

type Check = (arg: string) => boolean;

function until(page: Page, check: Check, arg = ''): Promise<unknown> {
  return page.waitForFunction(check, arg, { timeout: WAIT, polling: 100 });
}

/** Waits until the line `series` of `chart` shows at least `min` now (the page's `data-last`). */
function atLeast(page: Page, chart: string, series: string, min: number): Promise<unknown> {
  return until(
    page,
    (arg) => {
      const [c, name, least] = JSON.parse(arg) as [string, string, number];
      const values = JSON.parse(document.querySelector(`[data-chart="${c}"]`)?.dataset.last ?? '{}') as Record<
        string,
        number | null
      >;
      return (values[name] ?? 0) >= least;
    },
    JSON.stringify([chart, series, min]),
  );
}

describe('dashboard', () => {
  it('is off without dashboard: true or without an API key; its data needs the key; CSP without inline script', async () => {
    const off = await startGateway({ apiKey: KEY });
    expect((await fetch(httpUrl(off, '/dashboard'))).status).toBe(404);
    const keyless = await startGateway({ web: { dashboard: true } });
    for (const path of ['/dashboard', '/dashboard.js', '/dashboard/stats'])
      expect((await fetch(httpUrl(keyless, path))).status).toBe(404);
    const on = await startGateway({ apiKey: KEY, web: { dashboard: true } });
    const page = await fetch(httpUrl(on, '/dashboard'));
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(page.headers.get('content-security-policy')).not.toContain('unsafe-inline');
    expect(await page.text()).not.toMatch(/<script>|<script(?![^>]*\bsrc=)[^>]*>|style=/);
    const anonymous = await fetch(httpUrl(on, '/dashboard/stats'));
    expect(anonymous.status).toBe(401);
    const wrong = await fetch(httpUrl(on, '/dashboard/stats'), { headers: { authorization: 'Bearer nope' } });
    expect(wrong.status).toBe(401);
    const keyed = await fetch(httpUrl(on, '/dashboard/stats'), { headers: { authorization: `Bearer ${KEY}` } });
    expect(keyed.status).toBe(200);
    const body = (await keyed.json()) as { nodes: { pid: number }[] };
    expect(body.nodes[0]!.pid).toBe(process.pid);
  });

  it('charts move when a load script connects and sends (two Redis nodes, Chromium)', async () => {
    const redis = await RedisServer.start();
    servers.push(redis);
    const web = { dashboard: true };
    const heartbeat = { interval: 400, maxMissed: 2 };
    const a: Gateway = await redisNode(redis, 'node-a', 'node-redis', {}, { apiKey: KEY, web, heartbeat });
    const b: Gateway = await redisNode(redis, 'node-b', 'ioredis', {}, { apiKey: KEY, web, heartbeat });
    for (const g of [a, b]) g.route('echo', ({ data }) => data);

    const page = await context.newPage();
    watch(page);
    await page.goto(httpUrl(a, '/dashboard'));
    // A wrong key is refused and the form comes back.
    await page.fill('#key', 'wrong');
    await page.click('#unlock');
    await until(page, () => document.getElementById('key-error')?.textContent === 'wrong API key');
    await page.fill('#key', KEY);
    await page.click('#unlock');
    await until(page, () => Number(document.getElementById('charts')?.dataset.samples) >= 3);
    expect(await last(page, 'connections')).toMatchObject({ total: 0, 'node node-a': 0, 'node node-b': 0 });
    const before = { connections: await pixels(page, 'connections'), messages: await pixels(page, 'messages') };

    // The load: 12 clients over both nodes, in groups, each sending 10 messages a second for a few seconds.
    const clients: TestClient[] = [];
    for (let i = 0; i < 12; i++) clients.push(await open(i % 3 === 0 ? b : a));
    for (const c of clients) expect((await c.request('echo', 'hi')).data).toBe('hi');
    const ids = [...a.node.values(), ...b.node.values()].map((s) => s.id);
    for (const [i, id] of ids.entries()) {
      await a.joinGroup(id, `room-${i % 4}`);
      if (i % 2 === 0) await b.bindUid(id, `user-${i}`);
    }
    await rawConnect(a.port);
    await rawConnect(b.port);
    let sending = true;
    const load = (async () => {
      let n = 0;
      while (sending) {
        for (const c of clients) c.send(n % 5 === 0 ? { type: 'nope' } : { type: 'echo', data: n, id: n });
        n++;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();
    try {
      await atLeast(page, 'connections', 'total', 12);
      await atLeast(page, 'messages', 'in', 20);
      await atLeast(page, 'nodeMessages', 'node node-b', 5);
      await atLeast(page, 'errors', 'unknown_type', 1);
      await until(page, () => (window.wsgateDashboard.samples.at(-1)?.totals.heartbeatTimeouts ?? 0) >= 2);
      await atLeast(page, 'groups', 'groups', 4);
      await atLeast(page, 'groups', 'uids', 6);
      // A few more seconds of history for the screenshot.
      await until(page, () => Number(document.getElementById('charts')?.dataset.samples) >= 20);
    } finally {
      sending = false;
      await load;
    }
    const connections = await last(page, 'connections');
    expect(connections.total).toBe(12);
    expect(connections['node node-a']).toBe(8);
    expect(connections['node node-b']).toBe(4);
    expect(await pixels(page, 'connections')).not.toBe(before.connections);
    expect(await pixels(page, 'messages')).not.toBe(before.messages);
    const rows = await page.$$eval('#node-rows tr', (trs) => trs.length);
    expect(rows).toBe(2);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
  }, 90_000);
});
