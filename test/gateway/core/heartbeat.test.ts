import { describe, expect, it } from 'vitest';
import type { GatewaySocket } from '../../../src/gateway/core/gateway-socket.js';
import { Heartbeat, markAlive, missedSweeps } from '../../../src/gateway/core/heartbeat.js';
import { FakeClock, openSocket } from '../kit.js';

function setup(maxMissed = 3, interval = 1000) {
  const clock = new FakeClock();
  const sockets: GatewaySocket[] = [];
  const dead: GatewaySocket[] = [];
  const heartbeat = new Heartbeat(
    { values: () => sockets },
    interval,
    maxMissed,
    (s) => {
      dead.push(s);
      s.transport?.terminate(); // as the gateway does
    },
    clock,
  );
  return { clock, sockets, dead, heartbeat };
}

describe('Heartbeat (fake clock, fake transports)', () => {
  it('pings every open socket each interval, from one timer', () => {
    const { clock, sockets, heartbeat } = setup();
    const a = openSocket();
    const b = openSocket();
    sockets.push(a.socket, b.socket);
    heartbeat.start();
    heartbeat.start(); // idempotent
    expect(clock.pending).toBe(1);
    clock.advance(1000);
    expect([a.transport.pings, b.transport.pings]).toEqual([1, 1]);
    clock.advance(1000);
    expect([a.transport.pings, b.transport.pings]).toEqual([2, 2]);
    heartbeat.stop();
    clock.advance(5000);
    expect(a.transport.pings).toBe(2);
  });

  it('gives up a silent socket at the (maxMissed + 1)-th sweep after its last sign of life', () => {
    const { clock, sockets, dead, heartbeat } = setup(3);
    const { socket, transport } = openSocket();
    sockets.push(socket);
    markAlive(socket);
    heartbeat.start();
    clock.advance(1000); // consumes the sign of life
    clock.advance(3000); // misses 1, 2, 3
    expect(dead).toEqual([socket]);
    expect(transport.pings).toBe(3); // no ping at the sweep that gave it up
  });

  it.each([
    ['a message, ping, pong or drain (markAlive)', (s: GatewaySocket) => markAlive(s)],
    [
      'an inbound byte, even mid-message',
      (s: GatewaySocket) => void ((s.transport as { bytesReceived: number }).bytesReceived += 1),
    ],
    [
      'a smaller bufferedAmount (the peer is reading)',
      (s: GatewaySocket) => void ((s.transport as { bufferedAmount: number }).bufferedAmount -= 1),
    ],
  ])('counts %s as a sign of life', (_name, sign) => {
    const { sockets, dead, heartbeat } = setup(2);
    const { socket, transport } = openSocket();
    transport.bufferedAmount = 100;
    sockets.push(socket);
    markAlive(socket);
    heartbeat.sweep(); // alive: starts over, records bufferedAmount 100 and bytesReceived 0
    heartbeat.sweep(); // silent: miss 1
    expect(missedSweeps(socket)).toBe(1);
    sign(socket);
    heartbeat.sweep();
    expect(missedSweeps(socket)).toBe(0);
    expect(dead).toEqual([]);
  });

  it('does not count a full send buffer as life, nor a growing one', () => {
    const { sockets, dead, heartbeat } = setup(2);
    const { socket, transport } = openSocket();
    sockets.push(socket);
    heartbeat.sweep();
    transport.bufferedAmount = 1 << 20;
    heartbeat.sweep();
    transport.bufferedAmount = 2 << 20;
    heartbeat.sweep();
    expect(dead).toEqual([socket]);
  });

  it('leaves closing sockets to the server', () => {
    const { sockets, dead, heartbeat } = setup(1);
    const { socket, transport } = openSocket();
    transport.readyState = 2;
    sockets.push(socket);
    for (let i = 0; i < 5; i++) heartbeat.sweep();
    expect(dead).toEqual([]);
    expect(transport.pings).toBe(0);
  });
});
