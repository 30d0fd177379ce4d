// The WHATWG facade's smaller rules, in this process (the child-process test of throwing listeners proves the process
// survives; this one checks each rule where coverage can see it): event defaults, URL mapping, handler getters,
// send() type errors, close(undefined, reason), listener objects, async listeners that reject, the async iterator.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CloseEvent, WebSocket as FacadeWebSocket } from '../../src/server/whatwg.js';
import { cleanupAll, onCleanup, Recorder, startEchoServer, startServer } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';
import { once, open, opened } from '../helpers/whatwg.js';

afterEach(cleanupAll);

/** Collects what is passed to `process.emitWarning` until the test ends (the facade reports listener errors there). */
function collectWarnings(): Error[] {
  const warnings: Error[] = [];
  const spy = vi.spyOn(process, 'emitWarning').mockImplementation((warning: string | Error) => {
    warnings.push(typeof warning === 'string' ? new Error(warning) : warning);
  });
  onCleanup(() => spy.mockRestore());
  return warnings;
}

describe('WHATWG facade: smaller rules', () => {
  it('a CloseEvent without init has code 0, an empty reason and wasClean false', () => {
    const event = new CloseEvent('close');
    expect(event).toMatchObject({ type: 'close', code: 0, reason: '', wasClean: false });
  });

  it('https: URLs map to wss: (and the failed connection still reports error then close 1006)', async () => {
    const ws = open('https://127.0.0.1:1/path');
    expect(ws.url).toBe('wss://127.0.0.1:1/path');
    expect(ws.bufferedAmount).toBe(0);
    const closed = once<CloseEvent>(ws, 'close', 5_000);
    expect((await closed).code).toBe(1006);
  });

  it('handler attributes read back what was assigned; extensions is empty without permessage-deflate', async () => {
    const { url } = await startEchoServer();
    const ws = await opened(url);
    const onopen = (): void => undefined;
    const onclose = (): void => undefined;
    const onerror = (): void => undefined;
    ws.onopen = onopen;
    ws.onclose = onclose;
    ws.onerror = onerror;
    expect([ws.onopen, ws.onclose, ws.onerror]).toEqual([onopen, onclose, onerror]);
    expect(ws.extensions).toBe('');
    const iterator = ws[Symbol.asyncIterator]();
    expect(iterator[Symbol.asyncIterator]()).toBe(iterator);
    await iterator.return?.();
  });

  it('send() of anything but a string, Blob, ArrayBuffer or view is a TypeError and sends nothing', async () => {
    const events = new Recorder();
    const server = await startServer({ handlers: events.handlers() });
    const ws = await opened(`ws://127.0.0.1:${server.port}/`);
    expect(() => ws.send(42 as unknown as string)).toThrow(TypeError);
    expect(() => ws.send({} as unknown as string)).toThrow(TypeError);
    ws.send('after');
    await waitFor(() => events.messages.length === 1, 2_000, 'the string');
    expect(events.messages[0].data.toString()).toBe('after');
  });

  it('close(undefined, reason) closes with 1000 and the reason', async () => {
    const events = new Recorder();
    const server = await startServer({ handlers: events.handlers() });
    const ws = await opened(`ws://127.0.0.1:${server.port}/`);
    ws.close(undefined, 'done here');
    expect((await once<CloseEvent>(ws, 'close')).code).toBe(1000);
    await waitFor(() => events.closes.length === 1, 2_000, 'server close');
    expect(events.closes[0]).toMatchObject({ code: 1000, reason: 'done here' });
  });

  it('listener objects get handleEvent; null listeners are ignored silently; an async listener that rejects is a warning', async () => {
    const warnings = collectWarnings();
    const { url } = await startEchoServer();
    const ws = await opened(url);
    const seen: string[] = [];
    ws.addEventListener('message', { handleEvent: (e: Event) => void seen.push(`object:${(e as MessageEvent).data}`) });
    ws.addEventListener('message', null);
    ws.removeEventListener('message', null);
    ws.addEventListener('message', async (e) => {
      seen.push(`async:${(e as MessageEvent).data}`);
      throw new Error('async listener rejected');
    });
    ws.send('one');
    await waitFor(() => seen.length === 2, 2_000, 'both listeners');
    await waitFor(() => warnings.length > 0, 2_000, 'the warning');
    expect(seen).toEqual(['object:one', 'async:one']);
    expect(warnings.map((w) => w.message)).toEqual(['async listener rejected']);
    // The connection is unharmed.
    ws.send('two');
    await waitFor(() => seen.length === 4, 2_000, 'the next message');
    expect(ws.readyState).toBe(FacadeWebSocket.OPEN);
  });
});
