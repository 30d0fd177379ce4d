// The history contract (history-contract.ts) run against every adapter with history: memory for now (one gateway in
// this process, its store captured from `openHistory`). Redis and cluster harnesses go here too.
import { afterAll, beforeAll, describe } from 'vitest';
import {
  createGateway,
  MemoryAdapter,
  type AdapterHistory,
  type Gateway,
  type HistoryLimits,
} from '../../../src/gateway/index.js';
import { TestClient } from '../helpers.js';
import { CONTRACT_LIMITS, historyContract, type HistoryHarness } from './history-contract.js';

/** Keeps the store the gateway opened, so the contract can call it directly. */
class CapturingMemoryAdapter extends MemoryAdapter {
  store: AdapterHistory | null = null;
  override openHistory(limits: HistoryLimits | null): AdapterHistory {
    return (this.store = super.openHistory(limits));
  }
}

describe('history contract: memory', () => {
  let gateway: Gateway;
  let adapter: CapturingMemoryAdapter;
  const members = new Map<string, string[]>();
  const joining = new Map<string, Promise<void>>();
  const clients: TestClient[] = [];

  beforeAll(async () => {
    adapter = new CapturingMemoryAdapter();
    gateway = await createGateway({
      port: 0,
      host: '127.0.0.1',
      heartbeat: false,
      adapter,
      history: { size: CONTRACT_LIMITS.size, ttl: CONTRACT_LIMITS.ttl, maxStreams: CONTRACT_LIMITS.maxStreams },
      recovery: { window: 60_000 },
    });
  });
  afterAll(async () => {
    for (const c of clients) c.ws.terminate();
    await gateway.close({ timeout: 200 });
  });

  const harness = (): HistoryHarness => ({
    history: adapter.store!,
    async framesOf(group, count) {
      const frames = members.get(group);
      if (frames === undefined) throw new Error(`no member in ${group}`);
      const deadline = Date.now() + 5_000;
      while (frames.length < count && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      return frames;
    },
  });

  // Join a member to every group the contract will use before it publishes: wrap publish to join on first use.
  beforeAll(() => {
    const store = adapter.store!;
    const publish = store.publish.bind(store);
    adapter.store = {
      ...store,
      publish: async (stream, audience, payload, exclude) => {
        const group = stream.slice(6);
        if (stream.startsWith('group:') && !joining.has(group)) joining.set(group, join(group));
        await joining.get(group);
        return publish(stream, audience, payload, exclude);
      },
    };
  });

  /** One member of `group`, recording the publication frames it receives. */
  async function join(group: string): Promise<void> {
    const frames: string[] = [];
    members.set(group, frames);
    const client = await TestClient.open(`ws://127.0.0.1:${gateway.port}/ws`);
    clients.push(client);
    client.ws.on('message', (data: Buffer) => {
      const text = data.toString();
      if (text.startsWith('{"type":"publication"')) frames.push(text);
    });
    const token = (await client.json()).data as { socketId: string };
    await gateway.joinGroup(token.socketId, group);
  }

  historyContract(harness);
});
