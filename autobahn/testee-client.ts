// Autobahn testee: a wsgate client for `wstest -m fuzzingserver` (started by autobahn/run.ts).
// Asks /getCaseCount, runs every case with /runCase?case=N&agent=NAME echoing each message back (text as text,
// binary as binary, compressed whenever permessage-deflate was negotiated), waits for the close, and finally asks
// /updateReports so the suite writes its reports.
//
// AUTOBAHN_URL (default ws://127.0.0.1:9001), AUTOBAHN_AGENT (default wsgate), AUTOBAHN_CASE_TIMEOUT_MS (default
// 600000): a case whose connection has not closed by then is torn down so one hung case can't stall the run.
// Limits are raised for the 9.x cases as in testee-server.ts (16 MiB messages; 65,537 frames in 9.3.1/9.4.1).

import { connect } from '../src/index.js';

const baseUrl = (process.env.AUTOBAHN_URL ?? 'ws://127.0.0.1:9001').replace(/\/+$/, '');
const agent = process.env.AUTOBAHN_AGENT ?? 'wsgate';
const caseTimeoutMs = Number(process.env.AUTOBAHN_CASE_TIMEOUT_MS ?? 600_000);
/** Timeout for the suite's bookkeeping connections (case count, case info, report writing). */
const CONTROL_TIMEOUT_MS = 60_000;
const MAX_PAYLOAD = 64 * 1024 * 1024;
const MAX_FRAGMENTS = 1 << 20;

const decoder = new TextDecoder();

interface Outcome {
  code: number;
  reason: string;
  /** Messages received when not echoing (the bookkeeping endpoints answer with one text message). */
  messages: Uint8Array[];
  timedOut: boolean;
  error?: string;
}

/** Opens one connection to `path`, echoing every message if asked, and resolves when it closes or times out. */
async function session(path: string, echo: boolean, timeoutMs: number): Promise<Outcome> {
  const messages: Uint8Array[] = [];
  let settle: (outcome: Outcome) => void = () => {};
  const done = new Promise<Outcome>((resolve) => {
    settle = resolve;
  });
  let socket: Awaited<ReturnType<typeof connect>> | undefined;
  let expired = false;
  const timer = setTimeout(() => {
    expired = true;
    socket?.terminate();
    settle({ code: 1006, reason: '', messages, timedOut: true });
  }, timeoutMs);
  try {
    socket = await connect(`${baseUrl}${path}`, {
      perMessageDeflate: { threshold: 0 },
      maxPayload: MAX_PAYLOAD,
      maxBufferedAmount: 4 * MAX_PAYLOAD,
      maxFragments: MAX_FRAGMENTS,
      handlers: {
        message(ws, data, isBinary) {
          if (echo) ws.send(data, { binary: isBinary, compress: true });
          else messages.push(data);
        },
        close(_ws, code, reason) {
          settle({ code, reason, messages, timedOut: false });
        },
      },
    });
    // Timed out while the handshake was still under way: drop the late connection too.
    if (expired) socket.terminate();
  } catch (err) {
    const error = err instanceof Error ? err.message : String(err);
    settle({ code: 1006, reason: '', messages, timedOut: false, error });
  }
  const outcome = await done;
  clearTimeout(timer);
  return outcome;
}

function firstText(outcome: Outcome): string {
  const first = outcome.messages[0];
  return first === undefined ? '' : decoder.decode(first);
}

const agentParam = `agent=${encodeURIComponent(agent)}`;

const countOutcome = await session('/getCaseCount', false, CONTROL_TIMEOUT_MS);
const count = Number(firstText(countOutcome));
if (!Number.isInteger(count) || count < 0) {
  const why = countOutcome.error ?? (countOutcome.timedOut ? 'timed out' : JSON.stringify(firstText(countOutcome)));
  console.error(`cannot read the case count from ${baseUrl}/getCaseCount: ${why}`);
  process.exit(1);
}
console.log(`${count} cases to run against ${baseUrl} as agent ${agent}`);

let timedOut = 0;
for (let n = 1; n <= count; n++) {
  const info = await session(`/getCaseInfo?case=${n}&${agentParam}`, false, CONTROL_TIMEOUT_MS);
  let id = `#${n}`;
  try {
    id = (JSON.parse(firstText(info)) as { id: string }).id;
  } catch {
    // Only used for progress output.
  }
  const started = Date.now();
  const outcome = await session(`/runCase?case=${n}&${agentParam}`, true, caseTimeoutMs);
  const ms = Date.now() - started;
  if (outcome.timedOut) timedOut++;
  const note = outcome.timedOut ? ' TIMED OUT' : outcome.error !== undefined ? ` error: ${outcome.error}` : '';
  console.log(`[${n}/${count}] case ${id}: closed ${outcome.code} after ${ms} ms${note}`);
}

const report = await session(`/updateReports?${agentParam}`, false, CONTROL_TIMEOUT_MS);
if (report.timedOut || report.error !== undefined) {
  console.error(`updateReports failed: ${report.error ?? 'timed out'}`);
  process.exit(1);
}
console.log(`reports updated; ${timedOut} case(s) timed out in the testee`);
process.exit(timedOut === 0 ? 0 : 1);
