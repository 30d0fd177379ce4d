// The end of the close handshake under load, in the orderings that once made Autobahn call a close UNCLEAN (client
// case 12.4.9 on a busy machine, issue 9 item 10). Autobahn gives the other side 1 s to answer its Close and then
// aborts; RFC 6455 §7.1.1 wants the server to close TCP first and the client to wait for it.
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from '../../src/server/client.js';
import type { WsSocket } from '../../src/server/socket.js';
import { startClockPeer, type ClockPeer } from '../helpers/clock-peer.js';
import { closePayload, Op } from '../helpers/frames.js';
import { RawServer } from '../helpers/raw.js';
import { cleanupAll, echoHandlers, onCleanup, Recorder, startServer } from '../helpers/servers.js';
import { delay, waitFor } from '../helpers/wait.js';

afterEach(cleanupAll);

/** A busy event loop: the main thread does nothing else for `ms`. */
function blockFor(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // spin
  }
}

async function clockPeer(options: Parameters<typeof startClockPeer>[0]): Promise<ClockPeer> {
  const peer = await startClockPeer(options);
  onCleanup(() => peer.stop());
  return peer;
}

describe('our Close answer leaves before the close handler runs (a slow loop must not miss the peer’s timeout)', () => {
  // Autobahn's limit, and a handler that takes longer than it.
  const LIMIT_MS = 1_000;
  const HANDLER_MS = 1_500;

  it('client: the server’s Close is answered at once, however long `close` takes', async () => {
    const peer = await clockPeer({ role: 'server', limitMs: LIMIT_MS });
    const closes: number[] = [];
    const ws = await connect(peer.url, {
      handlers: {
        close(_ws, code) {
          closes.push(code);
          blockFor(HANDLER_MS);
        },
      },
    });
    onCleanup(() => ws.terminate());
    const timing = await peer.timing;
    expect(closes).toEqual([1000]);
    expect(timing.replyMs).not.toBeNull();
    expect(timing.replyMs!).toBeLessThan(LIMIT_MS / 2);
  });

  // Our FIN follows when the event loop next runs (libuv performs the shutdown there), so after the handler.
  it('server: the client’s Close is answered at once, however long `close` takes', async () => {
    const closes: number[] = [];
    const server = await startServer({
      handlers: {
        close(_ws, code) {
          closes.push(code);
          blockFor(HANDLER_MS);
        },
      },
    });
    const peer = await clockPeer({ role: 'client', port: server.port, limitMs: LIMIT_MS });
    const timing = await peer.timing;
    expect(closes).toEqual([1000]);
    expect(timing.replyMs).not.toBeNull();
    expect(timing.replyMs!).toBeLessThan(LIMIT_MS / 2);
  });
});

describe('a client waits for the server’s TCP close after the handshake (RFC 6455 §7.1.1)', () => {
  it('closeTimeout counts from the end of the handshake, not from our close(): a late answer still lets the server close first', async () => {
    const CLOSE_TIMEOUT = 600;
    const server = await RawServer.start();
    const ws = await connect(server.url, { closeTimeout: CLOSE_TIMEOUT });
    onCleanup(() => ws.terminate());
    const peer = await server.nextPeer();
    ws.close(1000);
    expect((await peer.expectClose()).code).toBe(1000);
    // A busy server answers late, then closes TCP well within closeTimeout of its answer.
    await delay(CLOSE_TIMEOUT * 0.75);
    peer.sendClose(1000);
    await delay(CLOSE_TIMEOUT * 0.5);
    expect(peer.ended).toBe(false);
    peer.end();
    await peer.waitClosed(1_000);
  });

  it('after a Close, a paused client still reads (and discards) what follows, sees the server’s FIN and ends with FIN, not RST', async () => {
    const server = await RawServer.start();
    const events = new Recorder();
    const echo = echoHandlers();
    const ws: WsSocket = await connect(server.url, {
      closeTimeout: 3_000,
      handlers: events.handlers({
        message(socket, data, isBinary) {
          echo.message!(socket, data, isBinary);
          // Flow control in the application: stop reading for now.
          socket.pause();
        },
      }),
    });
    onCleanup(() => ws.terminate());
    const peer = await server.nextPeer();
    let reset = false;
    peer.socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET') reset = true;
    });
    // One write: a message, the Close, and bytes that should never have followed it (RFC 6455 §5.5.1 discards them).
    peer.write(
      Buffer.concat([
        peer.encode({ opcode: Op.Text, payload: 'last' }),
        peer.encode({ opcode: Op.Close, payload: closePayload(1000) }),
        Buffer.alloc(256 * 1024, 0x81),
      ]),
    );
    expect((await peer.expectClose()).code).toBe(1000);
    await waitFor(() => events.closes.length === 1, 1_000, 'close handler');
    peer.end();
    await peer.waitClosed(1_000);
    expect(reset).toBe(false);
  });
});
