// The demo page and /wsgate.js in a real browser (test/helpers/chromium.ts).
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServe, type Running } from '../../src/cli.js';
import { launchChromium, type Chromium } from '../helpers/chromium.js';

// The callbacks passed to page.waitForFunction / page.evaluate run in the page; typecheck them against just the
// DOM they use (the project's tsconfig has no DOM lib, and these declarations stay in this module).
interface PageElement {
  readonly textContent: string | null;
  readonly dataset: Record<string, string | undefined>;
  readonly value?: string;
  querySelector(selector: string): PageElement | null;
}
declare const document: {
  getElementById(id: string): PageElement | null;
  querySelector(selector: string): PageElement | null;
  querySelectorAll(selector: string): Iterable<PageElement> & { readonly length: number };
};
declare const window: { wsgateDemo: { client: { request(type: string): Promise<unknown> } } };

/** Every wait in a page is bounded by this (ms). */
const WAIT = 10_000;

let browser: Chromium;
let context: BrowserContext;
const running: Running[] = [];
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
  await Promise.all(running.splice(0).map((r) => r.close()));
  const errors = pageErrors.splice(0);
  expect(errors, 'JavaScript errors in the page').toEqual([]);
});

async function serve(port = 0): Promise<Running> {
  const r = await startServe({ port, host: '127.0.0.1', path: '/ws', apiKey: undefined }, (error) =>
    pageErrors.push(`gateway: ${String(error)}`),
  );
  running.push(r);
  return r;
}

async function open(server: Running): Promise<Page> {
  const page = await context.newPage();
  page.on('pageerror', (error) => pageErrors.push(error.message));
  page.on('console', (message) => {
    // Chromium logs failed connection attempts while a server is down; anything else (a CSP violation...) is a bug.
    const text = message.text();
    if (
      message.type() === 'error' &&
      !/WebSocket connection to .* failed|Failed to load resource|ERR_CONNECTION_REFUSED/.test(text)
    ) {
      pageErrors.push(`console: ${text}`);
    }
  });
  await page.goto(`http://127.0.0.1:${server.port}/`);
  await expectConnection(page, 'connected');
  return page;
}

async function expectConnection(page: Page, state: string): Promise<void> {
  await page.waitForFunction((s) => document.getElementById('conn-state')?.dataset.state === s, state, {
    timeout: WAIT,
  });
}

// Clicks and fills use `force`: the demo's controls are static and always visible, and skipping playwright's
// actionability checks (which wait on animation frames, slow in background tabs) halves the run time. The real
// mouse and keyboard events still reach the page; each step then waits for the page's visible reaction.
async function signIn(page: Page, name: string): Promise<void> {
  await page.fill('#name', name, { force: true });
  await page.click('#bind', { force: true });
  await page.waitForFunction((n) => document.getElementById('me')?.textContent?.includes(`signed in as ${n}`), name, {
    timeout: WAIT,
  });
}

async function join(page: Page, group: string): Promise<void> {
  await page.fill('#group', group, { force: true });
  await page.click('#join', { force: true });
  await page.waitForFunction(
    (g) => [...document.querySelectorAll('#groups .chip')].some((c) => c.textContent === g),
    group,
    { timeout: WAIT },
  );
}

async function say(page: Page, target: 'group' | 'uid' | 'all', to: string, text: string): Promise<void> {
  await page.selectOption('#target', target);
  if (target !== 'all') await page.fill('#to', to, { force: true });
  await page.fill('#text', text, { force: true });
  await page.click('#send', { force: true });
  await page.waitForFunction(() => document.getElementById('text')?.value === '', undefined, { timeout: WAIT });
}

/** Waits until the page's log shows a chat line from `from` with `text`. */
async function expectChat(page: Page, from: string, text: string): Promise<void> {
  await page.waitForFunction(
    ([f, t]) =>
      [...document.querySelectorAll('#log li.chat')].some(
        (li) => li.querySelector('.from')?.textContent === f && li.querySelector('.text')?.textContent === t,
      ),
    [from, text] as const,
    { timeout: WAIT },
  );
}

async function chatTexts(page: Page): Promise<string[]> {
  return page.$$eval('#log li.chat .text', (els) => els.map((e) => e.textContent ?? ''));
}

async function expectStatus(page: Page, stats: Record<string, number>): Promise<void> {
  await page.waitForFunction(
    (want) =>
      Object.entries(want).every(([k, v]) => document.querySelector(`[data-stat="${k}"]`)?.textContent === String(v)),
    stats,
    { timeout: WAIT },
  );
}

describe('demo page in chromium', () => {
  it('two pages join a group and see each other’s messages', async () => {
    const server = await serve();
    const alice = await open(server);
    const bob = await open(server);
    await signIn(alice, 'alice');
    await signIn(bob, 'bob');
    await join(alice, 'lobby');
    await join(bob, 'lobby');

    await say(alice, 'group', 'lobby', 'hello from alice');
    await expectChat(bob, 'alice', 'hello from alice');
    await expectChat(alice, 'alice', 'hello from alice');

    await say(bob, 'group', 'lobby', 'hi alice, bob here');
    await expectChat(alice, 'bob', 'hi alice, bob here');
  });

  it('direct messages reach only their user, broadcasts reach everyone, leaving a group stops its messages', async () => {
    const server = await serve();
    const alice = await open(server);
    const bob = await open(server);
    await signIn(alice, 'alice');
    await signIn(bob, 'bob');
    await join(bob, 'lobby');

    await say(bob, 'uid', 'alice', 'just for you');
    await expectChat(alice, 'bob', 'just for you');
    await say(alice, 'all', '', 'everyone!');
    await expectChat(bob, 'alice', 'everyone!');
    expect(await chatTexts(bob)).not.toContain('just for you');

    await bob.fill('#group', 'lobby', { force: true });
    await bob.click('#leave', { force: true });
    await bob.waitForFunction(() => document.querySelectorAll('#groups .chip').length === 0, undefined, {
      timeout: WAIT,
    });
    await say(alice, 'group', 'lobby', 'anyone here?');
    await say(alice, 'uid', 'bob', 'marker');
    // One connection delivers in order: had "anyone here?" reached bob, it would be there before the marker.
    await expectChat(bob, 'alice', 'marker');
    expect(await chatTexts(bob)).not.toContain('anyone here?');
  });

  it('the status panel shows the gateway’s counts as they change', async () => {
    const server = await serve();
    const one = await open(server);
    await expectStatus(one, { sockets: 1, uids: 0, groups: 0 });
    const two = await open(server);
    await signIn(one, 'ann');
    await signIn(two, 'ben');
    await join(two, 'room-a');
    await join(two, 'room-b');
    await expectStatus(one, { sockets: 2, uids: 2, groups: 2 });
    await two.close();
    await expectStatus(one, { sockets: 1, uids: 1, groups: 0 });
    const messagesIn = Number(await one.textContent('[data-stat="messagesIn"]'));
    expect(messagesIn).toBeGreaterThanOrEqual(5);
  });

  it('reconnects after the server restarts on the same port, restores its name and group, and can request again', async () => {
    const first = await serve();
    const port = first.port;
    const page = await open(first);
    await signIn(page, 'carol');
    await join(page, 'phoenix');

    await first.close();
    running.splice(running.indexOf(first), 1);
    await expectConnection(page, 'reconnecting');

    const second = await serve(port);
    await expectConnection(page, 'connected');
    // The page re-binds and re-joins on the new gateway (server-side state belongs to a connection).
    await page.waitForFunction(() => document.querySelector('#log')?.textContent?.includes('reconnected'), undefined, {
      timeout: WAIT,
    });
    const me = await page.evaluate(async () => {
      const demo = window.wsgateDemo;
      for (let i = 0; i < 100; i++) {
        const who = (await demo.client.request('whoami')) as { uid: string | null; groups: string[] };
        if (who.uid !== null && who.groups.length > 0) return who;
        await new Promise((r) => setTimeout(r, 50));
      }
      return null;
    });
    expect(me).toMatchObject({ uid: 'carol', groups: ['phoenix'] });
    await say(page, 'group', 'phoenix', 'back online');
    await expectChat(page, 'carol', 'back online');
    await expectStatus(page, { sockets: 1, uids: 1, groups: 1 });
    expect(second.port).toBe(port);
  });
});
