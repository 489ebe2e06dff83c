// Normalizing Heartbeat log lines (time, pid, node names, addresses and numbers masked) and diffing the real
// daemon's against heartbeat-ts's, with the deliberate deviations of test/fixtures/log-lines/deviations.json
// (the same table docs/logging.md shows).
import fs from 'node:fs';
import path from 'node:path';
import { fixturesDir } from './paths.js';

export interface Deviation {
  /** Regular expression matched against a whole normalized line of the real daemon. */
  readonly real: string;
  /** 'missing': heartbeat-ts does not write it; 'reworded': it writes `ours` instead. */
  readonly kind: 'missing' | 'reworded';
  readonly ours?: string;
  readonly reason: string;
  /** Only in these scenarios (`partition`) or phases (`reload/reload, ha.cf changed …`); everywhere when absent. */
  readonly scenarios?: readonly string[];
}

/** The deviations file in the source tree; docs/logging.md shows it as a table (deviationsTable). */
export const DEVIATIONS_FILE = path.join(fixturesDir, 'log-lines', 'deviations.json');

/** The Markdown table docs/logging.md carries between its deviation-table markers. */
export function deviationsTable(rows: readonly Deviation[]): string {
  const cell = (s: string): string => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    '| Real Heartbeat 3.0.6 line (normalized, regexp) | heartbeat-ts | Reason |',
    '|---|---|---|',
    ...rows.map((d) => `| \`${cell(d.real)}\` | ${d.kind === 'missing' ? 'not written' : `\`${cell(d.ours ?? '')}\``} | ${d.scenarios === undefined ? '' : `(${d.scenarios.join(', ')} only) `}${cell(d.reason)} |`),
  ].join('\n');
}

export function loadDeviations(file = DEVIATIONS_FILE): Deviation[] {
  const rows = JSON.parse(fs.readFileSync(file, 'utf8')) as Deviation[];
  for (const [i, d] of rows.entries()) {
    if (typeof d.real !== 'string' || (d.kind !== 'missing' && d.kind !== 'reworded') || typeof d.reason !== 'string' || d.reason === '') {
      throw new Error(`${file}: entry ${i + 1}: needs real (regexp), kind missing|reworded and a reason`);
    }
    if (d.scenarios !== undefined && (!Array.isArray(d.scenarios) || d.scenarios.some((x) => typeof x !== 'string'))) {
      throw new Error(`${file}: entry ${i + 1}: scenarios must be a list of scenario labels`);
    }
    new RegExp(d.real); // a bad pattern fails here, naming nothing else
  }
  return rows;
}

/**
 * `Dec  6 22:20:08 alpha heartbeat: [1234]: info: Link bravo:eth0 up.` → `info: Link <node2>:eth0 up.`: time, host,
 * entity and pid dropped; node names, IPv4 addresses and every other number masked; undefined for a line that is
 * not a log line (the real daemon's raw packet dumps). Node names are given in ha.cf order.
 */
export function normalizeLine(line: string, nodes: readonly string[]): string | undefined {
  // The daemon's own lines (cl_log), and the shell scripts' (ResourceManager, harc: ha_log appends
  // `2026/12/06_22:22:17  ResourceManager(default)[3988]:    info: Running …` to the same file).
  const m =
    /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ [^:]+: (?:\[\d+\]: )?(debug|info|WARN|ERROR|CRIT): (.*)$/.exec(line) ??
    /^\d{4}\/\d\d\/\d\d_\d\d:\d\d:\d\d\s+[^:\s]+:\s+(debug|info|WARN|ERROR|CRIT): (.*)$/.exec(line);
  if (m === null) return undefined;
  // Paths: ResourceManager run by harc writes `/etc/ha.d//resource.d/…`; the doubled slash is not a word.
  let text = (m[2] ?? '').replace(/[\x00-\x1f\x7f-\xff]/g, '.').replace(/\/\/+/g, '/').trimEnd();
  for (const [i, n] of nodes.entries()) text = text.replace(new RegExp(`\\b${n}\\b`, 'g'), `<node${i + 1}>`);
  text = text.replace(/\b\d{1,3}(?:\.\d{1,3}){3}\b/g, '<addr>').replace(/\d+/g, 'N');
  return `${m[1]}: ${text}`;
}

export function normalizeLog(text: string, nodes: readonly string[]): string[] {
  const out: string[] = [];
  for (const l of text.split('\n')) {
    const n = normalizeLine(l, nodes);
    if (n !== undefined) out.push(n);
  }
  return out;
}

export interface LogDiff {
  /** Real lines heartbeat-ts did not write, and no deviation excuses. */
  readonly missing: string[];
  /** Real lines excused by a deviation (with the deviation's index). */
  readonly excused: { readonly line: string; readonly deviation: number }[];
  /** heartbeat-ts's lines the real daemon did not write (its own extras: allowed, listed for the docs). */
  readonly extra: string[];
}

/** A deviation scoped to `label` applies to every phase of that scenario; one scoped to `label/phase`, to that phase. */
export function inScope(d: Deviation, scenario: string | undefined): boolean {
  if (d.scenarios === undefined) return true;
  return scenario !== undefined && d.scenarios.some((s) => s === scenario || scenario.startsWith(`${s}/`));
}

/** Every distinct real line must be among ours, or excused; a reworded deviation needs its `ours` line present. */
export function diffLines(real: readonly string[], ours: readonly string[], deviations: readonly Deviation[], scenario?: string): LogDiff {
  const have = new Set(ours);
  const missing: string[] = [];
  const excused: { line: string; deviation: number }[] = [];
  for (const line of new Set(real)) {
    if (have.has(line)) continue;
    const i = deviations.findIndex((d) => inScope(d, scenario) && new RegExp(`^(?:${d.real})$`).test(line) && (d.kind === 'missing' || ours.some((o) => new RegExp(`^(?:${d.ours ?? ''})$`).test(o))));
    if (i >= 0) excused.push({ line, deviation: i });
    else missing.push(line);
  }
  const theirs = new Set(real);
  return { missing, excused, extra: [...new Set(ours)].filter((l) => !theirs.has(l)) };
}

/** Whether a deviation in scope for the scenario (or phase) names the line: such a line is neither required nor ordered. */
export function excusable(line: string, deviations: readonly Deviation[], scenario: string | undefined): boolean {
  return deviations.some((d) => inScope(d, scenario) && new RegExp(`^(?:${d.real})$`).test(line));
}

/** The milestones (start-up, takeover, standby, shutdown lines) both wrote, in the real daemon's order; ours must agree. */
export function orderProblems(real: readonly string[], ours: readonly string[], milestones: readonly RegExp[]): string | undefined {
  const pick = (lines: readonly string[]): string[] => [...new Set(lines.filter((l) => milestones.some((m) => m.test(l))))];
  const r = pick(real);
  const o = pick(ours).filter((l) => r.includes(l));
  const rr = r.filter((l) => o.includes(l));
  return rr.join('\n') === o.join('\n') ? undefined : `real order:\n  ${rr.join('\n  ')}\nours:\n  ${o.join('\n  ')}`;
}

/**
 * Lines operators' tools wait for (start-up, takeover, standby, shutdown), whose order on one node does not depend
 * on which of two messages from the peer arrives first. Left out: `remote/local resource transition completed`
 * (which node becomes stable first is a race in both daemons), the shell scripts' lines (ha_log appends them
 * from another process, so their place among the daemon's lines is not an order the daemon keeps), and `Local
 * Resource acquisition completed` (after a takeover Heartbeat 3.0.6 writes it from the child that acquired the
 * resources while its main process finishes mach_down: a CI run of 2026-12-07 had it after "mach_down takeover
 * complete.", the runs before it before). These lines must still be there; only their place is not checked.
 */
export const MILESTONES: readonly RegExp[] = [
  /Configuration validated\. Starting heartbeat/,
  /Comm_now_up/,
  /Initial resource acquisition complete/,
  /Resources being acquired from/,
  /wants to go standby/,
  /Local standby process completed/,
  /Standby resource acquisition done/,
  /completed standby takeover/,
  /mach_down takeover complete\.$/,
  /is dead$/,
  /Received shutdown notice/,
  /Heartbeat shutdown in progress/,
  /Giving up all HA resources/,
  /All HA resources relinquished/,
  /Heartbeat shutdown complete/,
];
