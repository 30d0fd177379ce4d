// Reads an Autobahn|Testsuite report folder (<outdir>/index.json) and judges it against our bar:
// every case must be OK or INFORMATIONAL for both `behavior` and `behaviorClose`.
//
//   npx tsx autobahn/check.ts autobahn/reports/server
//
// Prints, per agent, a table of verdict counts per section (the first number of the case id) and every case
// below the bar with both verdicts and the suite's own explanation (`result` / `resultClose` from the per-case
// report file). Exits 1 if any case is below the bar or the report is missing or empty.

import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** One entry of index.json: `{ [agent]: { [caseId]: CaseEntry } }`. */
interface CaseEntry {
  behavior: string;
  behaviorClose: string;
  remoteCloseCode?: number | null;
  duration?: number;
  reportfile?: string;
}

type Index = Record<string, Record<string, CaseEntry>>;

/** Verdicts that meet the bar. */
const PASSING: ReadonlySet<string> = new Set(['OK', 'INFORMATIONAL']);

/** `behavior` verdicts the suite uses, in the order they are printed. Anything else is counted as "other". */
const BEHAVIORS = ['OK', 'NON-STRICT', 'INFORMATIONAL', 'UNIMPLEMENTED', 'FAILED'] as const;

/** Longest `result` / `resultClose` text printed per case; the suite's texts can quote whole payloads. */
const MAX_TEXT = 400;

export interface CheckResult {
  /** True when every case of every agent meets the bar and there was at least one case. */
  ok: boolean;
  /** Number of cases judged, over all agents. */
  total: number;
  /** Number of cases below the bar, over all agents. */
  failed: number;
}

interface SectionRow {
  cases: number;
  counts: Map<string, number>;
  closeBelowBar: number;
  durationMs: number;
}

/** Compares case ids such as "9.10.2" and "12.1.11" number by number. */
export function compareCaseIds(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? -1) - (pb[i] ?? -1);
    if (d !== 0) return d;
  }
  return 0;
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > MAX_TEXT ? `${oneLine.slice(0, MAX_TEXT)} …` : oneLine;
}

function readCaseDetails(outdir: string, entry: CaseEntry): { result?: string; resultClose?: string } {
  if (entry.reportfile === undefined) return {};
  const file = join(outdir, entry.reportfile);
  if (!existsSync(file)) return {};
  try {
    const detail = JSON.parse(readFileSync(file, 'utf8')) as { result?: unknown; resultClose?: unknown };
    return {
      result: typeof detail.result === 'string' ? detail.result : undefined,
      resultClose: typeof detail.resultClose === 'string' ? detail.resultClose : undefined,
    };
  } catch {
    return {};
  }
}

function pad(value: string | number, width: number): string {
  return String(value).padStart(width);
}

/** Judges `<outdir>/index.json`, printing the summary through `log`. */
export function check(outdir: string, log: (line: string) => void = console.log): CheckResult {
  const dir = resolve(outdir);
  const indexFile = join(dir, 'index.json');
  if (!existsSync(indexFile)) {
    log(`check: no report at ${indexFile} (did wstest finish and write its reports?)`);
    return { ok: false, total: 0, failed: 0 };
  }
  const index = JSON.parse(readFileSync(indexFile, 'utf8')) as Index;

  let total = 0;
  let failed = 0;
  const agents = Object.keys(index).sort();
  if (agents.length === 0) log(`check: ${indexFile} lists no agent`);

  for (const agent of agents) {
    const cases = index[agent] ?? {};
    const ids = Object.keys(cases).sort(compareCaseIds);
    const sections = new Map<number, SectionRow>();
    const belowBar: string[] = [];

    for (const id of ids) {
      const entry = cases[id] as CaseEntry;
      const section = Number(id.split('.')[0]);
      let row = sections.get(section);
      if (row === undefined) {
        row = { cases: 0, counts: new Map(), closeBelowBar: 0, durationMs: 0 };
        sections.set(section, row);
      }
      row.cases++;
      const behavior = (BEHAVIORS as readonly string[]).includes(entry.behavior) ? entry.behavior : 'other';
      row.counts.set(behavior, (row.counts.get(behavior) ?? 0) + 1);
      if (!PASSING.has(entry.behaviorClose)) row.closeBelowBar++;
      row.durationMs += entry.duration ?? 0;
      if (!PASSING.has(entry.behavior) || !PASSING.has(entry.behaviorClose)) belowBar.push(id);
    }

    total += ids.length;
    failed += belowBar.length;

    log('');
    const meeting = ids.length - belowBar.length;
    log(`Agent ${agent}: ${ids.length} cases, ${meeting} meet the bar, ${belowBar.length} below it`);
    const header = ['section', 'cases', ...BEHAVIORS, 'other', 'close<bar', 'time(s)'];
    const widths = header.map((h) => Math.max(h.length, 7));
    log(header.map((h, i) => pad(h, widths[i] as number)).join(' '));
    const totals: SectionRow = { cases: 0, counts: new Map(), closeBelowBar: 0, durationMs: 0 };
    const printRow = (label: string, row: SectionRow): void => {
      const cells = [
        label,
        row.cases,
        ...BEHAVIORS.map((b) => row.counts.get(b) ?? 0),
        row.counts.get('other') ?? 0,
        row.closeBelowBar,
        (row.durationMs / 1000).toFixed(1),
      ];
      log(cells.map((c, i) => pad(c, widths[i] as number)).join(' '));
    };
    for (const [section, row] of [...sections].sort((a, b) => a[0] - b[0])) {
      printRow(String(section), row);
      totals.cases += row.cases;
      for (const [k, v] of row.counts) totals.counts.set(k, (totals.counts.get(k) ?? 0) + v);
      totals.closeBelowBar += row.closeBelowBar;
      totals.durationMs += row.durationMs;
    }
    printRow('all', totals);

    if (belowBar.length > 0) {
      log('');
      log(`Below the bar (${belowBar.length}):`);
      for (const id of belowBar) {
        const entry = cases[id] as CaseEntry;
        const code = entry.remoteCloseCode ?? '-';
        log(`  ${id}: behavior=${entry.behavior} behaviorClose=${entry.behaviorClose} remoteCloseCode=${code}`);
        const detail = readCaseDetails(dir, entry);
        if (detail.result) log(`      result: ${clip(detail.result)}`);
        if (detail.resultClose) log(`      resultClose: ${clip(detail.resultClose)}`);
      }
    }
  }

  const ok = total > 0 && failed === 0;
  log('');
  log(
    ok
      ? `check: PASS — all ${total} cases are OK or INFORMATIONAL (behavior and behaviorClose)`
      : `check: FAIL — ${failed} of ${total} cases below the bar${total === 0 ? ' (no cases in the report)' : ''}`,
  );
  return { ok, total, failed };
}

const isMain = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (isMain) {
  const outdir = process.argv[2];
  if (outdir === undefined || outdir === '-h' || outdir === '--help') {
    console.log('usage: npx tsx autobahn/check.ts <report dir containing index.json>');
    process.exit(outdir === undefined ? 2 : 0);
  }
  process.exit(check(outdir).ok ? 0 : 1);
}
