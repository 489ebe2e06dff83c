// Benchmark: resource failover as a client sees it, heartbeat-ts side by side with Heartbeat 3.0.6 in the same run.
//
// Every figure comes from two pairs with the same ha.cf, authkeys and haresources, each in its own lab
// (resources-pair.ts): `alpha 198.51.100.100/24/eth0 httpd::/etc/ha.d/httpd.conf`, auto_failback on, bcast
// eth0, sha1; a client namespace GETs http://VIP/hostname.html every 20 ms on a new connection (250 ms
// timeout), and each node's page names the node. Run at two timer sets: keepalive 1 / deadtime 5 (warntime 2,
// initdead 10) and keepalive 200ms / deadtime 1 (warntime 500ms, initdead 2). Per pair, in this order:
//   cold start   both daemons launched at once → first answer from alpha
//   hb_standby   on alpha → first answer from bravo;   hb_takeover on alpha → first answer from alpha
//   clean stop   of alpha (ours: SIGTERM to `heartbeat -f`; real: `heartbeat -k`) → first answer from bravo
//   failback     alpha started again → first answer from alpha (auto_failback on)
//   crash        power loss of alpha (SIGKILL of every process in its namespace by PID, then its VIP removed),
//                at least 7 s after alpha's daemon was launched (Heartbeat announces dt = deadtime + 2 s for 5 s
//                after a start) → first answer from bravo; then alpha restarted (another failback). `crashes` rounds.
// Between steps: until both logs have been quiet for 1.5 s (the real pair finishes its resource hand-shakes).
// A third pair, mixed (alpha Heartbeat 3.0.6, bravo heartbeat-ts), runs the same steps: each figure of the pair
// that has one node of each kind (HBTS_BENCH_MIXED=0 leaves it out).
//
// Figures:
//   crash → served   = first answer from bravo (arrival at the client) − the last heartbeat packet bravo received
//                      from alpha (tcpdump in bravo's namespace, kernel timestamp). Also from the SIGKILL, and from
//                      the "node alpha: is dead" line (ours: its arrival on the daemon's stderr; real: in its
//                      ha-log via inotify).
//   cold start       = first answer from alpha − the moment both daemons were launched.
//   outage           = the longest time between two successful answers around a hand-over (from the event to
//                      1 s after the new node's first answer); ≈ 20 ms when nothing was lost.
//   our overhead     = from the kernel's process events (proc-events.py, proc connector, no ptrace): "node alpha:
//                      is dead" → the daemon's first fork of a script, and a script's exit → the next fork. The
//                      dead line is timed by its arrival here (a few ms after the daemon wrote it, more on a busy
//                      machine), so "is dead → first fork" reads ≈ 0 or slightly negative when the daemon forks at once.
// Scripts: both pairs run the same resource.d/httpd (ours); the bare address runs each side's own IPaddr
// (Debian's OCF wrapper under Heartbeat, heartbeat-ts's under heartbeat-ts), as each would be deployed.
// All clocks are the same machine's CLOCK_REALTIME (the proc events' monotonic stamps are converted).
// HBTS_BENCH_CRASHES overrides the power-loss rounds, HBTS_BENCH_DEADTIMES=1 (or 5) runs one timer set only,
// HBTS_BENCH_CONCURRENT=1 runs the two pairs at once (shorter, noisier), HBTS_BENCH_HTTPD=PATH runs another
// resource.d/httpd in both pairs (to compare versions of it).
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { REAL_HEARTBEAT, logPath } from '../helpers/real-heartbeat.js';
import { BenchContext, fileAppears, inBenchContext, median, missingPrerequisites, occurrences, sleep, stderrNth, waitForQuietLogs } from './common.js';
import { HTTPD_SCRIPT, Pair, POLL_MS, REQUEST_TIMEOUT_MS, TRACER, VIP, type Op, type PairKind, type Timing, type Variant } from './resources-pair.js';
import { recordRow } from './summary.js';

const CRASHES = Number(process.env['HBTS_BENCH_CRASHES'] ?? '') || undefined;
const CONCURRENT = process.env['HBTS_BENCH_CONCURRENT'] === '1';
/** The mixed pair (alpha Heartbeat 3.0.6, bravo heartbeat-ts) runs too unless HBTS_BENCH_MIXED=0. */
const MIXED = process.env['HBTS_BENCH_MIXED'] !== '0';
const MIXED_LABEL = 'mixed pair (alpha Heartbeat 3.0.6, bravo heartbeat-ts)';
const ALL_TIMINGS: readonly Timing[] = [
  { label: 'ka 1/dt 5', keepalive: '1', warntime: '2', deadtime: '5', initdead: '10', deadtimeMs: 5000, crashes: CRASHES ?? 2 },
  { label: 'ka 200ms/dt 1', keepalive: '200ms', warntime: '500ms', deadtime: '1', initdead: '2', deadtimeMs: 1000, crashes: CRASHES ?? 3 },
];
const ONLY = (process.env['HBTS_BENCH_DEADTIMES'] ?? '').split(',').filter((x) => x !== '');
const TIMINGS = ALL_TIMINGS.filter((t) => ONLY.length === 0 || ONLY.includes(t.deadtime));
/**
 * A power-loss round after the first one starts only while the pair has run less than this, so that a loaded machine
 * (the real pair's shell pipelines slow down most) gives fewer rounds rather than a longer run.
 */
const PAIR_BUDGET_MS = 100_000;
const QUIET_MS = 1500;
const SETTLE_TIMEOUT_MS = 30_000;
/** The outage window ends this long after the new node's first answer. */
const AFTER_SERVED_MS = 1000;
const OUTAGE_TARGET_MS = 300;
const CRASH_MARGIN_MS = 300;
/** A crash comes at least this long after alpha's daemon was launched (past Heartbeat's start-up dt window). */
const STEADY_AFTER_START_MS = 7000;
const COLD_TARGET_MS = 3000;

interface Handover {
  readonly toServedMs: number;
  readonly gapMs: number;
  readonly failures: number;
  /** Our scripts (both nodes) from the event to shortly after the first answer, times relative to the event. */
  readonly timeline: string;
  /** Those scripts' run times ("httpd stop" → ms), for the per-script medians. */
  readonly durations: readonly (readonly [string, number])[];
}

interface Crash {
  readonly fromLastMs: number;
  readonly fromLastStatusMs: number;
  readonly lastType: string;
  readonly fromKillMs: number;
  readonly declaredToServedMs: number;
  /** Ours only (proc events). */
  readonly deadToFirstScriptMs?: number;
  readonly scriptGapsMs?: readonly number[];
  readonly lastExitToServedMs?: number;
  readonly timeline?: string;
}

interface PairResult {
  readonly impl: PairKind;
  readonly timing: Timing;
  coldMs?: number;
  readonly crashes: Crash[];
  readonly failback: Handover[];
  readonly clean: Handover[];
  readonly standby: Handover[];
  readonly takeover: Handover[];
  error?: string;
  note?: string;
}

/* ------------------------------------------------------------------ one pair's run */

async function settle(pair: Pair, notBefore: number): Promise<void> {
  await waitForQuietLogs(pair.lab, ['alpha', 'bravo'], QUIET_MS, SETTLE_TIMEOUT_MS);
  await sleep(Math.max(0, notBefore - Date.now()));
}

function timelineOf(ops: readonly Op[], from: number, to: number): string {
  return ops
    .filter((o) => o.fork >= from - 50 && o.fork <= to)
    .map((o) => `${o.node[0]}:${o.what} ${(o.fork - from).toFixed(0)}–${o.exit === undefined ? '?' : (o.exit - from).toFixed(0)}`)
    .join(', ');
}

/** Runs `action` (the event), waits for the first answer from `to`, then measures the outage around it. */
async function handover(pair: Pair, to: string, action: () => Promise<unknown> | void): Promise<Handover> {
  const at = Date.now();
  await action();
  const served = await pair.servedBy(to, at, 40_000);
  await settle(pair, served.end + AFTER_SERVED_MS + 100);
  return {
    toServedMs: served.end - at,
    gapMs: pair.longestGap(at, served.end + AFTER_SERVED_MS),
    failures: pair.failures(at, served.end + AFTER_SERVED_MS),
    timeline: timelineOf(pair.scriptOps(), at, served.end + 300),
    durations: pair
      .scriptOps()
      .filter((o) => o.fork >= at - 50 && o.fork <= served.end && o.exit !== undefined && !o.what.startsWith('?'))
      .map((o) => [o.what, (o.exit as number) - o.fork] as const),
  };
}

async function crash(pair: Pair): Promise<Crash> {
  const needle = 'node alpha: is dead';
  const limit = pair.timing.deadtimeMs + 20_000;
  const bravo = pair.ours.get('bravo');
  const declared =
    bravo !== undefined ? stderrNth(bravo, needle, occurrences(bravo.stderr, needle) + 1, limit) : fileAppears(logPath(pair.lab, 'bravo'), needle, limit);
  declared.catch(() => undefined);
  // Heartbeat announces dt = deadtime + 2 s for its first 5 s after a start (spec §6.4), and the peer waits that
  // long: a crash in that window would be measured against a longer deadtime. Crash only a steady owner.
  await sleep(Math.max(0, (pair.startedAt.get('alpha') ?? 0) + STEADY_AFTER_START_MS - Date.now()));
  const killAt = await pair.crash('alpha');
  const served = await pair.servedBy('bravo', killAt, limit);
  const declaredAt = await declared;
  const last = pair.lastHeardFromAlpha(served.end);
  await settle(pair, served.end + 200);
  const c: Crash = { fromLastMs: served.end - last.at, fromLastStatusMs: served.end - last.statusAt, lastType: last.type, fromKillMs: served.end - killAt, declaredToServedMs: served.end - declaredAt };
  if (pair.impl !== 'ours') return c;
  const chain = pair.scriptOps().filter((o) => o.node === 'bravo' && o.fork >= declaredAt - 50 && o.fork <= served.end + 500);
  const gaps: number[] = [];
  for (let i = 1; i < chain.length; i++) {
    const prev = chain[i - 1]?.exit;
    const next = chain[i]?.fork;
    if (prev !== undefined && next !== undefined) gaps.push(next - prev);
  }
  const lastExit = chain.filter((o) => o.fork < served.end).pop()?.exit;
  return {
    ...c,
    ...(chain[0] !== undefined ? { deadToFirstScriptMs: chain[0].fork - declaredAt } : {}),
    scriptGapsMs: gaps,
    ...(lastExit !== undefined ? { lastExitToServedMs: served.end - lastExit } : {}),
    timeline: timelineOf(chain, declaredAt, served.end + 300),
  };
}

async function drive(ctx: BenchContext, impl: PairKind, timing: Timing, label: string, variant: Variant = 'classic'): Promise<PairResult> {
  const r: PairResult = { impl, timing, crashes: [], failback: [], clean: [], standby: [], takeover: [] };
  const began = Date.now();
  try {
    const pair = await Pair.create(ctx, impl, timing, label, variant);
    await sleep(500); // the client's first requests (all failing) and tcpdump are under way
    const t0 = Date.now();
    await Promise.all([pair.start('alpha'), pair.start('bravo')]);
    const cold = await pair.servedBy('alpha', t0, 40_000);
    r.coldMs = cold.end - t0;
    await settle(pair, cold.end + 500);
    r.standby.push(await handover(pair, 'bravo', () => pair.handOff('alpha', 'standby')));
    r.takeover.push(await handover(pair, 'alpha', () => pair.handOff('alpha', 'takeover')));
    let stopped: Promise<void> = Promise.resolve();
    r.clean.push(
      await handover(pair, 'bravo', () => {
        stopped = pair.cleanStop('alpha');
        stopped.catch(() => undefined);
      }),
    );
    await stopped;
    r.failback.push(await handover(pair, 'alpha', () => pair.start('alpha')));
    for (let k = 0; k < timing.crashes; k++) {
      if (k > 0 && Date.now() - began > PAIR_BUDGET_MS) {
        r.note = `${k} of ${timing.crashes} power-loss rounds: the pair had used its ${PAIR_BUDGET_MS / 1000} s`;
        break;
      }
      r.crashes.push(await crash(pair));
      r.failback.push(await handover(pair, 'alpha', () => pair.start('alpha')));
    }
  } catch (e) {
    r.error = (e as Error).message;
  }
  return r;
}

/* ------------------------------------------------------------------ the report */

/** The 1-, 5- and 15-minute load averages, and how many CPUs share them. */
function loadavg(): string {
  return `${os.loadavg().map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs`;
}

const s = (ms: number): string => (ms / 1000).toFixed(2);
const list = (xs: readonly number[]): string => xs.map((x) => x.toFixed(0)).join(' ');

/** "median s [every value in ms]", or "—". */
function cell(xs: readonly number[]): string {
  return xs.length === 0 ? '—' : `${s(median(xs))} s [${list(xs)}]`;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : text + ' '.repeat(width - text.length);
}

interface Row {
  readonly scenario: string;
  readonly ours: readonly number[];
  readonly real: readonly number[];
  /** undefined: no target (information). */
  readonly target?: { readonly text: string; readonly met: (ours: number, real: number) => boolean };
  /** Also a row of the run's summary table (summary.ts). */
  readonly inSummary?: true;
}

function rowsFor(timing: Timing, o: PairResult, r: PairResult, coldTargetMs?: number): Row[] {
  const dt = timing.deadtimeMs;
  const gaps = (h: readonly Handover[]): number[] => h.map((x) => x.gapMs);
  const outageTarget = { text: `≤ ${OUTAGE_TARGET_MS} ms and ≤ real/2`, met: (a: number, b: number) => a <= OUTAGE_TARGET_MS && a <= b / 2 };
  return [
    {
      scenario: `crash → served, from last packet heard`,
      ours: o.crashes.map((c) => c.fromLastMs),
      real: r.crashes.map((c) => c.fromLastMs),
      target: { text: `≤ deadtime + ${CRASH_MARGIN_MS} ms = ${s(dt + CRASH_MARGIN_MS)} s`, met: (a) => a <= dt + CRASH_MARGIN_MS },
      inSummary: true,
    },
    { scenario: 'crash → served, from last status heard', ours: o.crashes.map((c) => c.fromLastStatusMs), real: r.crashes.map((c) => c.fromLastStatusMs) },
    { scenario: 'crash → served, from SIGKILL', ours: o.crashes.map((c) => c.fromKillMs), real: r.crashes.map((c) => c.fromKillMs) },
    { scenario: 'crash: "is dead" logged → served', ours: o.crashes.map((c) => c.declaredToServedMs), real: r.crashes.map((c) => c.declaredToServedMs) },
    {
      scenario: 'cold start of both → VIP served',
      ours: o.coldMs === undefined ? [] : [o.coldMs],
      real: r.coldMs === undefined ? [] : [r.coldMs],
      ...(coldTargetMs !== undefined
        ? { target: { text: `≤ ${s(coldTargetMs)} s`, met: (a: number) => a <= coldTargetMs } }
        : timing.keepalive === '1' ? { target: { text: `≤ ${s(COLD_TARGET_MS)} s`, met: (a: number) => a <= COLD_TARGET_MS } } : {}),
      inSummary: true,
    },
    { scenario: 'failback (alpha restarts): outage', ours: gaps(o.failback), real: gaps(r.failback), target: outageTarget, inSummary: true },
    { scenario: 'clean stop of alpha: outage', ours: gaps(o.clean), real: gaps(r.clean), target: outageTarget, inSummary: true },
    { scenario: 'hb_standby on alpha: outage', ours: gaps(o.standby), real: gaps(r.standby), target: outageTarget, inSummary: true },
    { scenario: 'hb_takeover on alpha: outage', ours: gaps(o.takeover), real: gaps(r.takeover), inSummary: true },
    { scenario: 'failback: restart → served by alpha', ours: o.failback.map((x) => x.toServedMs), real: r.failback.map((x) => x.toServedMs) },
    { scenario: 'clean stop → served by bravo', ours: o.clean.map((x) => x.toServedMs), real: r.clean.map((x) => x.toServedMs) },
    { scenario: 'hb_standby → served by bravo', ours: o.standby.map((x) => x.toServedMs), real: r.standby.map((x) => x.toServedMs) },
  ];
}

/** "TARGET: met | met by the median, not by every run | NOT met", or '' for a row without a target. */
function targetVerdict(row: Row): string {
  if (row.target === undefined) return '';
  const om = median(row.ours);
  const rm = median(row.real);
  const worst = row.ours.length > 0 ? Math.max(...row.ours) : Number.NaN;
  const medMet = Number.isFinite(om) && row.target.met(om, rm);
  const allMet = Number.isFinite(worst) && row.target.met(worst, rm);
  return `${row.target.text}: ${allMet ? 'met' : medMet ? 'met by the median, not by every run' : 'NOT met'}`;
}

/** The summary rows of one timer set: the same samples as its printed table. */
function record(timing: Timing, o: PairResult, r: PairResult, m: PairResult | undefined): void {
  const stopped = [o, r].filter((x) => x.error !== undefined).map((x) => `${x.impl} pair stopped early`);
  for (const row of rowsFor(timing, o, r)) {
    if (row.inSummary !== true) continue;
    const fewer = row.scenario.startsWith('crash') ? [o, r].flatMap((x) => (x.note !== undefined ? [`${x.impl}: ${x.note}`] : [])) : [];
    const note = [...stopped, ...fewer].join('; ');
    const target = targetVerdict(row);
    recordRow({
      bench: 'resources',
      scenario: `${timing.label}: ${row.scenario}`,
      unit: 'ms',
      ours: row.ours,
      real: row.real,
      ...(target !== '' ? { target } : {}),
      ...(note !== '' ? { note } : {}),
    });
  }
  if (m === undefined) return;
  for (const row of rowsFor(timing, m, r)) {
    if (row.inSummary !== true) continue;
    const note = ['heartbeat-ts column: the mixed pair, ratio mixed/real', ...[m, r].filter((x) => x.error !== undefined).map((x) => `${x.impl} pair stopped early`)].join('; ');
    recordRow({ bench: 'resources', scenario: `${timing.label}, ${MIXED_LABEL}: ${row.scenario}`, unit: 'ms', ours: row.ours, real: row.real, note });
  }
}

function table(timing: Timing, o: PairResult, r: PairResult, m: PairResult | undefined, coldTargetMs?: number, name = 'resources'): string[] {
  const rows = rowsFor(timing, o, r, coldTargetMs);
  const mixed = m === undefined ? [] : rowsFor(timing, m, r);
  const w = [40, 34, 34, 6, 34];
  const out = [
    `${name}: ${timing.label}   (median; every value in ms in brackets)`,
    `${name}:   ${pad('scenario', w[0] ?? 0)} ${pad('heartbeat-ts', w[1] ?? 0)} ${pad('Heartbeat 3.0.6', w[2] ?? 0)} ${pad('ratio', w[3] ?? 0)} ${m === undefined ? '' : `${pad('mixed (alpha 3.0.6, bravo ours)', w[4] ?? 0)} `}target`,
  ];
  for (const [i, row] of rows.entries()) {
    const om = median(row.ours);
    const rm = median(row.real);
    const ratio = Number.isFinite(om) && Number.isFinite(rm) && rm > 0 ? (om / rm).toFixed(2) : '—';
    const target = targetVerdict(row);
    const mx = m === undefined ? '' : `${pad(cell(mixed[i]?.ours ?? []), w[4] ?? 0)} `;
    out.push(`${name}:   ${pad(row.scenario, w[0] ?? 0)} ${pad(cell(row.ours), w[1] ?? 0)} ${pad(cell(row.real), w[2] ?? 0)} ${pad(ratio, w[3] ?? 0)} ${mx}${target}`);
  }
  return out;
}

function details(o: PairResult, r: PairResult, m: PairResult | undefined): string[] {
  const out: string[] = [];
  const dead = o.crashes.flatMap((c) => (c.deadToFirstScriptMs === undefined ? [] : [c.deadToFirstScriptMs]));
  const gaps = o.crashes.flatMap((c) => c.scriptGapsMs ?? []);
  const tail = o.crashes.flatMap((c) => (c.lastExitToServedMs === undefined ? [] : [c.lastExitToServedMs]));
  const fmt = (xs: readonly number[]): string => (xs.length === 0 ? '—' : `median ${median(xs).toFixed(1)} ms, max ${Math.max(...xs).toFixed(1)} ms [${xs.map((x) => x.toFixed(1)).join(' ')}]`);
  out.push(`resources:   our overhead (kernel process events): "is dead" → first script fork ${fmt(dead)}; a script's exit → the next fork ${fmt(gaps)}; last script exit → first answer ${fmt(tail)}`);
  for (const res of [o, r]) {
    const odd = res.crashes.filter((c) => c.lastType !== 'status').map((c) => c.lastType);
    if (odd.length > 0) out.push(`resources:   note: ${res.impl}: the last packet heard from alpha was not a status in ${odd.length} of ${res.crashes.length} crashes (${odd.join(', ')}); deadtime counts from the last status`);
  }
  const first = o.crashes[0]?.timeline;
  if (first !== undefined) out.push(`resources:   ours, crash takeover on bravo (ms from "is dead"): ${first}`);
  for (const [what, hs] of [['failback', o.failback], ['clean stop', o.clean], ['hb_standby', o.standby]] as const) {
    const sorted = [...hs].sort((a, b) => a.gapMs - b.gapMs);
    const mid = sorted[Math.floor(sorted.length / 2)];
    if (mid !== undefined && mid.timeline !== '') out.push(`resources:   ours, ${what} (median outage ${mid.gapMs} ms; ms from the event; a: alpha, b: bravo): ${mid.timeline}`);
  }
  const byScript = new Map<string, number[]>();
  for (const h of [...o.failback, ...o.clean, ...o.standby, ...o.takeover]) for (const [what, ms] of h.durations) byScript.set(what, [...(byScript.get(what) ?? []), ms]);
  const scripts = [...byScript].filter(([what]) => /^(httpd|IPaddr2?) (start|stop|status)$/.test(what));
  if (scripts.length > 0) out.push(`resources:   ours, script run times in these hand-overs (median ms, every value): ${scripts.map(([what, xs]) => `${what} ${median(xs).toFixed(0)} [${list(xs)}]`).join('; ')}`);
  const fails = (res: PairResult): string => ['failback', 'clean', 'standby', 'takeover'].map((k) => `${k} ${(res[k as 'clean'] as Handover[]).map((h) => h.failures).join('/')}`).join(', ');
  out.push(`resources:   failed requests per hand-over: ours ${fails(o)}; real ${fails(r)}`);
  const all = m === undefined ? [o, r] : [o, r, m];
  for (const res of all) if (res.note !== undefined) out.push(`resources:   ${res.impl} pair: ${res.note}`);
  for (const res of all) if (res.error !== undefined) out.push(`resources:   ${res.impl} pair stopped early: ${res.error.split('\n').slice(0, 30).join('\n    ')}`);
  return out;
}

export async function benchResources(): Promise<string[]> {
  const lines: string[] = [
    `resources: haresources \`alpha ${VIP}/24/eth0 httpd::/etc/ha.d/httpd.conf\`, auto_failback on, bcast eth0, sha1; client GET every ${POLL_MS} ms on a new connection (${REQUEST_TIMEOUT_MS} ms timeout); heartbeat-ts vs Heartbeat 3.0.6, ${CONCURRENT ? 'both pairs at once' : 'one pair after the other'}, same run; httpd script ${HTTPD_SCRIPT}`,
  ];
  const missing = missingPrerequisites(['ip', 'nsenter', 'unshare', 'tcpdump', 'apache2', 'python3'], [REAL_HEARTBEAT, TRACER]);
  if (missing.length > 0) {
    lines.push(`resources: skipped: needs ${missing.join(', ')}`);
    return lines;
  }
  return inBenchContext('resources', lines, async (ctx) => {
    const started = Date.now();
    for (const [i, timing] of TIMINGS.entries()) {
      const loadBefore = loadavg();
      let o: PairResult;
      let r: PairResult;
      let m: PairResult | undefined;
      const closeLabs = async (): Promise<void> => {
        const p = await ctx.close();
        if (p.length > 0) lines.push(`resources: teardown problems: ${p.join('; ')}`);
      };
      if (CONCURRENT) {
        [o, r, m] = await Promise.all([drive(ctx, 'ours', timing, `brso${i}`), drive(ctx, 'real', timing, `brsr${i}`), MIXED ? drive(ctx, 'mixed', timing, `brsm${i}`) : undefined]);
      } else {
        o = await drive(ctx, 'ours', timing, `brso${i}`);
        await closeLabs();
        r = await drive(ctx, 'real', timing, `brsr${i}`);
        if (MIXED) {
          await closeLabs();
          m = await drive(ctx, 'mixed', timing, `brsm${i}`);
        }
      }
      await closeLabs();
      lines.push(...table(timing, o, r, m), ...details(o, r, m));
      record(timing, o, r, m);
      lines.push(`resources:   load average before / after this timer set: ${loadBefore} / ${loadavg()} (the machine's other work shares its CPUs)`);
    }
    lines.push(`resources: ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
  });
}

/* ------------------------------------------------------------------ issue 18: the migrated node */

const MIGRATED_TIMING: Timing = { label: 'ka 200ms/dt 1', keepalive: '200ms', warntime: '500ms', deadtime: '1', initdead: '2', deadtimeMs: 1000, crashes: CRASHES ?? 3 };
const MIGRATED_COLD_TARGET_MS = 1500;

/**
 * `migrated`: both pairs as a node migrated from Heartbeat runs them — `alpha VIP/24/eth0 apache2`, Debian's stock
 * resource.d (IPaddr → hto-mapfuncs → the OCF agent) and /etc/init.d/apache2 on the system Apache — at keepalive
 * 200ms / deadtime 1; heartbeat-ts first, then Heartbeat 3.0.6, same steps and figures as `resources`.
 */
export async function benchMigrated(): Promise<string[]> {
  const lines: string[] = [
    `migrated: haresources \`alpha ${VIP}/24/eth0 apache2\` with Debian's stock /etc/ha.d/resource.d and /etc/init.d/apache2 on both pairs, auto_failback on, bcast eth0, sha1; client GET every ${POLL_MS} ms (${REQUEST_TIMEOUT_MS} ms timeout); heartbeat-ts vs Heartbeat 3.0.6, one pair after the other, same run`,
  ];
  const missing = missingPrerequisites(['ip', 'nsenter', 'unshare', 'tcpdump', 'apache2', 'apache2ctl', 'python3', 'ifconfig'], [REAL_HEARTBEAT, TRACER, '/etc/init.d/apache2', '/etc/ha.d/resource.d/IPaddr']);
  if (missing.length > 0) {
    lines.push(`migrated: skipped: needs ${missing.join(', ')}`);
    return lines;
  }
  return inBenchContext('migrated', lines, async (ctx) => {
    const started = Date.now();
    const loadBefore = loadavg();
    const closeLabs = async (): Promise<void> => {
      const p = await ctx.close();
      if (p.length > 0) lines.push(`migrated: teardown problems: ${p.join('; ')}`);
    };
    const o = await drive(ctx, 'ours', MIGRATED_TIMING, 'bmgo', 'migrated');
    await closeLabs();
    const r = await drive(ctx, 'real', MIGRATED_TIMING, 'bmgr', 'migrated');
    await closeLabs();
    lines.push(...table(MIGRATED_TIMING, o, r, undefined, MIGRATED_COLD_TARGET_MS, 'migrated'), ...details(o, r, undefined).map((l) => l.replace(/^resources:/, 'migrated:')));
    for (const row of rowsFor(MIGRATED_TIMING, o, r, MIGRATED_COLD_TARGET_MS)) {
      if (row.inSummary !== true) continue;
      const target = targetVerdict(row);
      const note = [o, r].filter((x) => x.error !== undefined).map((x) => `${x.impl} pair stopped early`).join('; ');
      recordRow({ bench: 'migrated', scenario: `${MIGRATED_TIMING.label}, stock scripts: ${row.scenario}`, unit: 'ms', ours: row.ours, real: row.real, ...(target !== '' ? { target } : {}), ...(note !== '' ? { note } : {}) });
    }
    lines.push(`migrated:   load average before / after: ${loadBefore} / ${loadavg()}`);
    lines.push(`migrated: ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const l of await benchResources()) console.log(l);
}
