import type { RedisLink } from './client.js';
import type { RedisKeys } from './keys.js';
import type { LuaScript } from './scripts.js';

/** Sockets removed per reaper script call (bounds how long one call blocks Redis). */
const REAP_BATCH = 500;

/**
 * Removes the presence of nodes whose heartbeat expired (killed without a goodbye), every `interval` ms ±20 % so
 * that nodes don't all reap at the same moment. Every node runs one; the script makes concurrent reaping safe.
 */
export class Reaper {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private stopped = false;

  constructor(
    private readonly link: () => RedisLink | null,
    private readonly script: LuaScript,
    private readonly keys: RedisKeys,
    private readonly interval: number,
    private readonly onError: (error: unknown) => void,
  ) {}

  start(): void {
    if (this.stopped) return;
    const delay = Math.round(this.interval * (0.8 + Math.random() * 0.4));
    const again = (): void => this.start();
    this.timer = setTimeout(() => {
      this.reap().then(again, again);
    }, delay);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
  }

  /** One pass, a bounded batch per script call; resolves to the sockets removed. Never rejects. */
  async reap(): Promise<number> {
    const pub = this.link();
    if (this.running || this.stopped || pub === null || !pub.ready) return 0;
    this.running = true;
    let removed = 0;
    try {
      for (let i = 0; i < 100; i++) {
        const result = await this.script.run(pub, [this.keys.nodes], [this.keys.prefix, String(REAP_BATCH)]);
        if (!Array.isArray(result)) break;
        removed += Number(result[1]);
      }
    } catch (error) {
      this.onError(error);
    } finally {
      this.running = false;
    }
    return removed;
  }
}
