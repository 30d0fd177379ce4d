/** What each framework example returns, so the tests (test/gateway/http/frameworks.test.ts) can run it. */
import { pathToFileURL } from 'node:url';
import type { Gateway } from '../src/index.js';

export interface Example {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly gateway: Gateway;
  close(): Promise<void>;
}

/** `npx tsx examples/<name>.ts`: start on port 8080 and print where. */
export function runWhenMain(moduleUrl: string, start: (port: number) => Promise<Example>): void {
  if (process.argv[1] === undefined || pathToFileURL(process.argv[1]).href !== moduleUrl) return;
  void start(8080).then((example) => {
    console.log(`listening on ${example.url} (try ${example.url}/status and ${example.url}/hello)`);
  });
}
