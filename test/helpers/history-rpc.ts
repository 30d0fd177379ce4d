// The adapter history contract's remote control (not a test file itself): captures the `AdapterHistory` a gateway
// opened on its adapter, and routes that let a test client call it on the node it is connected to, so the contract
// can drive publish / read / saveRecovery / takeRecovery on any node of a multi-process cluster.
import type { Adapter, AdapterHistory, Audience, Gateway, HistoryLimits } from '../../src/gateway/index.js';

/** Wraps `adapter.openHistory` so that `get()` returns what the gateway opened. */
export function captureHistory(adapter: Adapter): { get(): AdapterHistory } {
  const open = adapter.openHistory?.bind(adapter);
  if (open === undefined) throw new TypeError('this adapter has no history');
  let opened: AdapterHistory | null = null;
  adapter.openHistory = (limits: HistoryLimits | null) => (opened = open(limits));
  return {
    get() {
      if (opened === null) throw new Error('the gateway did not open history');
      return opened;
    },
  };
}

/** Gateway options with history and recovery on, from HISTORY_SIZE / HISTORY_TTL (null when HISTORY_SIZE is unset). */
export function historyOptionsFromEnv(): {
  history: { size: number; ttl: number };
  recovery: { window: number; secret: string };
} | null {
  if (process.env.HISTORY_SIZE === undefined) return null;
  return {
    history: { size: Number(process.env.HISTORY_SIZE), ttl: Number(process.env.HISTORY_TTL ?? 60_000) },
    recovery: { window: 60_000, secret: 'a secret shared by the test nodes' },
  };
}

/** Wire form of a page's entries: text as is, bytes as base64. */
export interface WireEntry {
  offset: number;
  text?: string;
  b64?: string;
}

export function installHistoryRpc(gateway: Gateway, history: () => AdapterHistory): void {
  gateway.route('h.publish', async ({ data }) => {
    const { stream, audience, text, b64, exclude } = data as {
      stream: string;
      audience: Audience;
      text?: string;
      b64?: string;
      exclude?: string[];
    };
    const payload =
      b64 === undefined
        ? { data: text ?? '', binary: false }
        : { data: new Uint8Array(Buffer.from(b64, 'base64')), binary: true };
    return history().publish(stream, audience, payload, exclude ?? []);
  });
  gateway.route('h.read', async ({ data }) => {
    const { stream, since, limit } = data as {
      stream: string;
      since?: { epoch: string; offset: number };
      limit: number;
    };
    const page = await history().read(stream, since === undefined ? { limit } : { since, limit });
    return {
      ...page,
      entries: page.entries.map(({ offset, payload }): WireEntry =>
        typeof payload.data === 'string'
          ? { offset, text: payload.data }
          : { offset, b64: Buffer.from(payload.data).toString('base64') },
      ),
    };
  });
  gateway.route('h.save', async ({ data }) => {
    const { id, record, ttl } = data as { id: string; record: never; ttl: number };
    await history().saveRecovery(id, record, ttl);
    return true;
  });
  gateway.route('h.take', async ({ data }) => history().takeRecovery((data as { id: string }).id));
}
