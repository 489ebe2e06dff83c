// The benchmarks' common summary: rows each bench records from its own samples, rendered as a Markdown table and JSON.
//
// Every row keeps the samples as the bench measured them (ours, and the real Heartbeat 3.0.6's when the bench runs
// it too); the summary shows min / median / max and n of each side, and ratio = median(ours) / median(real) when
// both sides have samples (— otherwise). The formatting functions are pure; run.ts prints and writes them.
import { median } from './common.js';

export interface SummaryRow {
  readonly bench: string;
  readonly scenario: string;
  /** Spelled out: s, ms, MB, CPU-s/min, msgs/s. */
  readonly unit: string;
  readonly ours: readonly number[];
  /** Empty when the bench has no real-Heartbeat side for this scenario. */
  readonly real: readonly number[];
  /** The target and the bench's own verdict on it, as text. */
  readonly target?: string;
  readonly note?: string;
}

export interface SummaryMeta {
  /** The command that reproduces the run, e.g. `npm run bench -- wire check-config`. */
  readonly command: string;
  /** Benchmarks that ran, in order. */
  readonly benches: readonly string[];
  /** The default set, for saying whether `benches` was all of it. */
  readonly defaultSet: readonly string[];
  readonly node: string;
  /** ISO 8601, when the run started. */
  readonly date: string;
  readonly cpus: number;
  /** os.loadavg() (1, 5, 15 min) before the first bench and after the last. */
  readonly loadavgBefore: readonly number[];
  readonly loadavgAfter: readonly number[];
  /** The bench that threw, if one did (the run stopped there). */
  readonly failed?: string;
}

export interface SideStats {
  readonly n: number;
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly samples: readonly number[];
}

export interface SummarizedRow {
  readonly bench: string;
  readonly scenario: string;
  readonly unit: string;
  readonly ours: SideStats | null;
  readonly real: SideStats | null;
  readonly ratio: number | null;
  readonly target: string | null;
  readonly note: string | null;
}

/* ------------------------------------------------------------------ the collector */

const recorded: SummaryRow[] = [];

/** Called by the benches, once per scenario, with the samples behind their printed lines. */
export function recordRow(row: SummaryRow): void {
  recorded.push({ ...row, ours: [...row.ours], real: [...row.real] });
}

/** A copy of every row recorded so far, in order. */
export function recordedRows(): SummaryRow[] {
  return [...recorded];
}

/* ------------------------------------------------------------------ pure statistics and formatting */

export function sideStats(xs: readonly number[]): SideStats | null {
  if (xs.length === 0) return null;
  return { n: xs.length, min: Math.min(...xs), median: median(xs), max: Math.max(...xs), samples: [...xs] };
}

/** median(ours) / median(real), or null when a side is empty or the real median is 0 or not finite. */
export function ratioOf(ours: readonly number[], real: readonly number[]): number | null {
  if (ours.length === 0 || real.length === 0) return null;
  const o = median(ours);
  const r = median(real);
  return Number.isFinite(o) && Number.isFinite(r) && r !== 0 ? o / r : null;
}

export function summarizeRow(row: SummaryRow): SummarizedRow {
  return {
    bench: row.bench,
    scenario: row.scenario,
    unit: row.unit,
    ours: sideStats(row.ours),
    real: sideStats(row.real),
    ratio: ratioOf(row.ours, row.real),
    target: row.target ?? null,
    note: row.note ?? null,
  };
}

/** About three significant figures, thousands separated: 1,234,567 · 5,123 · 312 · 41.7 · 2.35 · 0.421. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a >= 1000) return Math.round(x).toLocaleString('en-US');
  if (a >= 100) return x.toFixed(0);
  if (a >= 10) return x.toFixed(1);
  if (a >= 1) return x.toFixed(2);
  return x.toFixed(3);
}

/** "min / median / max (n=N)", "value (n=1)", or "—". */
export function formatSide(s: SideStats | null): string {
  if (s === null) return '—';
  if (s.n === 1) return `${formatNumber(s.median)} (n=1)`;
  return `${formatNumber(s.min)} / ${formatNumber(s.median)} / ${formatNumber(s.max)} (n=${s.n})`;
}

function cellText(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

function benchesLine(meta: SummaryMeta): string {
  const all = meta.defaultSet.length > 0 && meta.defaultSet.every((b) => meta.benches.includes(b));
  const extra = meta.benches.filter((b) => !meta.defaultSet.includes(b));
  const what = all
    ? extra.length > 0
      ? `the default set and ${extra.join(', ')}`
      : 'the default set'
    : `a subset; the default set is ${meta.defaultSet.join(', ')}`;
  return `${meta.benches.length > 0 ? meta.benches.join(', ') : 'none'} (${what})`;
}

export function summaryMarkdown(rows: readonly SummaryRow[], meta: SummaryMeta): string {
  const out = [
    '## Benchmark summary',
    '',
    `- Command: \`${meta.command}\``,
    `- Benchmarks run: ${benchesLine(meta)}`,
    `- Node.js ${meta.node}, ${meta.date}, ${meta.cpus} CPUs; load average before ${meta.loadavgBefore.map((x) => x.toFixed(2)).join(' ')}, after ${meta.loadavgAfter.map((x) => x.toFixed(2)).join(' ')}`,
  ];
  const silent = meta.benches.filter((b) => !rows.some((r) => r.bench === b));
  if (silent.length > 0) out.push(`- No figures from: ${silent.join(', ')} (skipped, opt-in, or stopped early; see the lines above)`);
  if (meta.failed !== undefined) out.push(`- The run stopped: ${meta.failed} threw`);
  out.push('- Each side: min / median / max (n = samples); ratio = median(heartbeat-ts) / median(Heartbeat 3.0.6)', '');
  if (rows.length === 0) {
    out.push('_No figures recorded._');
    return `${out.join('\n')}\n`;
  }
  out.push('| bench | scenario | unit | heartbeat-ts | Heartbeat 3.0.6 | ratio ours/real | target | note |');
  out.push('|---|---|---|---|---|---|---|---|');
  for (const row of rows) {
    const s = summarizeRow(row);
    const cells = [s.bench, s.scenario, s.unit, formatSide(s.ours), formatSide(s.real), s.ratio === null ? '—' : s.ratio.toFixed(2), s.target ?? '', s.note ?? ''];
    out.push(`| ${cells.map(cellText).join(' | ')} |`);
  }
  return `${out.join('\n')}\n`;
}

export function summaryJson(rows: readonly SummaryRow[], meta: SummaryMeta): string {
  const { failed, ...rest } = meta;
  return `${JSON.stringify({ meta: { ...rest, failed: failed ?? null }, rows: rows.map(summarizeRow) }, null, 2)}\n`;
}

/** `VAR=… npm run bench -- ARGS` (or `node dist/test/bench/run.js ARGS`), with the HBTS_BENCH_* settings that shaped the run. */
export function reproduceCommand(args: readonly string[], env: Readonly<Record<string, string | undefined>>, viaNpm: boolean): string {
  const quote = (w: string): string => (/^[A-Za-z0-9_./=:,@+-]+$/.test(w) ? w : `'${w.replace(/'/g, `'\\''`)}'`);
  const vars = Object.keys(env)
    .filter((k) => k.startsWith('HBTS_BENCH_') && env[k] !== undefined)
    .sort()
    .map((k) => `${k}=${quote(env[k] ?? '')}`);
  const base = viaNpm ? ['npm', 'run', 'bench', ...(args.length > 0 ? ['--', ...args.map(quote)] : [])] : ['node', 'dist/test/bench/run.js', ...args.map(quote)];
  return [...vars, ...base].join(' ');
}
