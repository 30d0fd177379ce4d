// The browser client contract in a real browser (Debian's chromium via playwright-core; the test fails, not skips,
// when chromium is missing): an authenticate refusal reaches the page as 4401 and the client stops (one upgrade
// in a few seconds, not a retry loop), binary frames and server → client requests, and failover across `urls`.
import type { IncomingMessage } from 'node:http';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, type Chromium } from '../helpers/chromium.js';
import { createGateway, type Gateway, type GatewayOptions, type GatewaySocket } from '../../src/gateway/index.js';

const WAIT = 10_000;

let browser: Chromium;
let context: BrowserContext;
const gateways: Gateway[] = [];
const pageErrors: string[] = [];

beforeAll(async () => {
  browser = await launchChromium(WAIT);
  context = browser.context;
});

afterAll(async () => {
  await browser?.close();
});

afterEach(async () => {
  for (const page of context?.pages() ?? []) await page.close();
  await Promise.all(gateways.splice(0).map((g) => g.close({ timeout: 200 })));
  expect(pageErrors.splice(0), 'JavaScript errors in the page').toEqual([]);
});

/** A gateway that also serves an empty page at /blank (same origin as /wsgate.js and the socket). */
async function gateway(options: GatewayOptions = {}): Promise<Gateway> {
  const gw = await createGateway({ port: 0, host: '127.0.0.1', heartbeat: false, ...options });
  gw.web!.get('/blank', ({ res }) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end('<!doctype html><title>blank</title>');
  });
  gateways.push(gw);
  return gw;
}

async function page(gw: Gateway): Promise<Page> {
  const p = await context.newPage();
  p.on('pageerror', (error) => pageErrors.push(error.message));
  await p.goto(`http://127.0.0.1:${gw.port}/blank`);
  return p;
}

/** Runs an async function body in the page (where `WsgateClient` is imported from /wsgate.js) and returns its value. */
function run<T>(p: Page, body: string): Promise<T> {
  return p.evaluate(`(async () => { const { WsgateClient } = await import('/wsgate.js'); ${body} })()`) as Promise<T>;
}

function countUpgrades(gw: Gateway): { count: number; origins: (string | undefined)[] } {
  const seen = { count: 0, origins: [] as (string | undefined)[] };
  gw.httpServer.on('upgrade', (req: IncomingMessage) => {
    seen.count++;
    seen.origins.push(req.headers.origin);
  });
  return seen;
}

describe('/wsgate.js in chromium', () => {
  it('a refused browser gets 4401: unauthorized event, rejected ready(), and one upgrade in 3 s (no retry loop)', async () => {
    const gw = await gateway({ authenticate: () => false });
    const upgrades = countUpgrades(gw);
    const p = await page(gw);
    const outcome = await run<{ ready: string; events: string[]; state: string }>(
      p,
      `
      const events = [];
      const c = new WsgateClient('/ws', { reconnect: { minDelay: 50, maxDelay: 200 } });
      window.refusedClient = c;
      c.on('open', () => events.push('open'));
      c.on('unauthorized', (e) => events.push('unauthorized ' + e.code + ' ' + e.reason));
      c.on('close', (e) => events.push('close ' + e.code + ' terminal=' + e.terminal));
      const ready = await c.ready().then(() => 'resolved', (e) => 'rejected ' + e.code);
      return { ready, events, state: c.state };
      `,
    );
    expect(outcome).toEqual({
      ready: 'rejected unauthorized',
      events: ['close 4401 terminal=true', 'unauthorized 4401 unauthorized'],
      state: 'closed',
    });
    // The measure: a retrying client made 7 upgrades in 10 s; with minDelay 50 ms it would make dozens here.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(upgrades.count).toBe(1);
    expect(upgrades.origins).toEqual([`http://127.0.0.1:${gw.port}`]);
    expect(gw.stats()).toMatchObject({ authRejected: 1, connections: 0 });
  });

  it('deny(403) reaches the page as 4403 forbidden with the deny code', async () => {
    const { deny } = await import('../../src/gateway/index.js');
    const gw = await gateway({ authenticate: () => deny(403, 'banned', 'no') });
    const p = await page(gw);
    const outcome = await run<string>(
      p,
      `
      const c = new WsgateClient('/ws');
      const event = new Promise((resolve) => c.on('forbidden', (e) => resolve(e.code + ' ' + e.reason)));
      const ready = await c.ready().then(() => 'resolved', (e) => e.code);
      return ready + ' / ' + (await event);
      `,
    );
    expect(outcome).toBe('forbidden / 4403 banned');
  });

  it('sends a Uint8Array as one binary frame to onBinary, and answers socket.request through handle()', async () => {
    const gw = await gateway();
    const binary: number[][] = [];
    gw.onBinary((_socket, data) => void binary.push([...data]));
    let socket: GatewaySocket | null = null;
    gw.on('connect', (s) => (socket = s));
    const p = await page(gw);
    await run(
      p,
      `
      const c = new WsgateClient('/ws');
      window.contractClient = c;
      c.handle('confirm', async (data) => ({ confirmed: data.question.length }));
      await c.ready();
      c.send(new Uint8Array([1, 2, 3]));
      c.send(new Float32Array([1.5]).buffer);
      `,
    );
    await expect
      .poll(() => binary, { timeout: WAIT })
      .toEqual([[1, 2, 3], [...Buffer.from(new Float32Array([1.5]).buffer)]]);
    expect(socket).not.toBeNull();
    expect(await socket!.request('confirm', { question: 'sure?' }, { timeout: 5_000 })).toEqual({ confirmed: 5 });
  });

  it('fails over to the next URL when its node is stopped', async () => {
    const a = await gateway();
    // The page comes from a's origin: b lists it (a foreign origin would get 403).
    const b = await gateway({ origins: [`http://127.0.0.1:${a.port}`] });
    a.route('where', () => 'a');
    b.route('where', () => 'b');
    const p = await page(a);
    const first = await run<string>(
      p,
      `
      const c = new WsgateClient('/ws', {
        urls: ['ws://127.0.0.1:${b.port}/ws'],
        reconnect: { minDelay: 50, maxDelay: 500 },
      });
      window.failoverClient = c;
      return c.request('where');
      `,
    );
    expect(first).toBe('a');
    await a.close({ timeout: 0 });
    const second = await run<string>(
      p,
      `
      const c = window.failoverClient;
      if (!c.connected) await new Promise((resolve) => c.once('open', resolve));
      return c.request('where');
      `,
    );
    expect(second).toBe('b');
  });
});
