// examples/client-node.ts, run: the browser client in Node 20 with wsgate's WebSocket passed as the `WebSocket`
// option (docs/client.md, "In Node") gets a reply to a request and a push from a real gateway.
import { describe, expect, it } from 'vitest';
import { run } from '../../examples/client-node.js';
import { WsgateClient } from '../../src/gateway/client/wsgate-client.js';

describe('the browser client in Node (docs/client.md)', () => {
  it('works with wsgate’s WebSocket passed as the WebSocket option', async () => {
    const { whoami, news } = await run();
    expect(whoami).toEqual({ socketId: expect.stringMatching(/^[\w-]+\.1$/) as unknown });
    expect(news).toEqual({ title: 'hello' });
  });

  it('says so when there is no WebSocket to use', () => {
    const global = globalThis as { WebSocket?: unknown };
    const saved = global.WebSocket;
    delete global.WebSocket; // Node 22+ has one; the test is about Node 20, which has none
    try {
      expect(() => new WsgateClient('ws://127.0.0.1:9/ws')).toThrow('no WebSocket implementation');
    } finally {
      if (saved !== undefined) global.WebSocket = saved;
    }
  });
});
