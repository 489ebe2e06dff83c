// Benchmark (opt-in, `npm run bench -- soak`): one heartbeat-ts pair through a failover every N seconds for a
// long run (issue #8 item 4): does memory grow, does detection slow down?
//
//   [alpha] heartbeat-ts, home of `alpha hbts-res::ga`        [bravo] heartbeat-ts, runs the whole time
//   keepalive 100ms, warntime 500ms, deadtime 1, initdead 2, bcast eth0, sha1, auto_failback on
//   hbts-res: a v1 script keeping its state in the node's own /run (hbts-res/ga.running)
//
// Every HBTS_BENCH_SOAK_INTERVAL_SECONDS (default 20) for HBTS_BENCH_SOAK_SECONDS (default 3600):
//   1. SIGKILL of the owner (alpha: every process in its namespace) — its resource state is wiped with it, as
//      a power loss would;
//   2. bravo declares alpha dead and takes ga over (failover alpha → bravo);
//   3. alpha is started again; with auto_failback on bravo hands ga back (failover bravo → alpha).
//   So ownership alternates twice per round, and bravo, the survivor, lives through every round with one PID:
//   its memory is the leak detector; alpha's PID changes each round (each instance is sampled at the same age,
//   just before it is killed).
// Detection lag, as in membership.ts: tcpdump in bravo's namespace (started just before the kill, alpha's
// packets only, kernel timestamps) gives the last status packet heard from alpha; the declaration is the
// line "node alpha: is dead" appearing in bravo's ha-log, seen through inotify with a 5 ms poll as a backstop
// (common.ts fileAppears; not bravo's stderr, whose captured copy is capped at 1 MB and would lose its count
// over an hour). lag = declared − last status − deadtime.
// Memory: VmRSS and RssAnon from /proc/PID/status of both daemons before every kill and at the end.
// Report: RSS at start / middle / end, lag and takeover time medians over the first third vs the last third of
// the rounds, unexpected log lines (an "is dead" beyond the kills, "Late heartbeat"), and bravo's heap
// compactions after hand-overs (heap-compact.ts: pause and RSS before → after, from its debugfile).
//
// Root, nsenter, unshare and tcpdump are needed; without them it prints a skip line.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeFrame, readPcap, type Message } from '../../src/wire/index.js';
import { createLab, type Lab, type StartedProcess } from '../helpers/netns.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { DEBUG_FILE, logPath, readLog, waitForLog, writeRealConfig } from '../helpers/real-heartbeat.js';
import { waitForReaped } from '../helpers/vip.js';
import { BenchContext, fileAppears, inBenchContext, median, missingPrerequisites, nodePids, occurrences, signed, sleep } from './common.js';
import { heldResources, installStateResource, stateResourceDir } from '../helpers/state-resource.js';

const KEY = 'Bench-Soak_9';
const TIMERS = { keepalive: '100ms', warntime: '500ms', deadtime: '1', initdead: '2' } as const;
const DEADTIME_MS = 1000;
const SECONDS = Math.max(30, Number(process.env['HBTS_BENCH_SOAK_SECONDS'] ?? '3600') || 3600);
const INTERVAL_MS = Math.max(15, Number(process.env['HBTS_BENCH_SOAK_INTERVAL_SECONDS'] ?? '20') || 20) * 1000;
/** A (re)started node announces dt = deadtime + 2 s for 5 s: kill alpha only after this long. */
const STEADY_MS = 7_000;
/** What one round needs at most before the run's end is allowed to cut it (detection, restart, failback). */
const ROUND_BUDGET_MS = 12_000;
const STEP_TIMEOUT_MS = 30_000;
/* ------------------------------------------------------------------ helpers */

const holds = (lab: Lab, node: string): boolean => heldResources(lab, node, ['ga']).length > 0;

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`soak: ${what}: not within ${timeoutMs} ms`);
    await sleep(20);
  }
  return Date.now();
}

interface Mem {
  readonly rssKb: number;
  readonly anonKb: number;
}

function mem(pid: number): Mem | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
    const kb = (k: string): number => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? 0);
    return { rssKb: kb('VmRSS'), anonKb: kb('RssAnon') };
  } catch {
    return undefined;
  }
}

function fieldText(m: Message, name: string): string | undefined {
  const f = m.fields.find((x) => x.name === name);
  return f !== undefined && f.type === 0 ? Buffer.from(f.value).toString('latin1') : undefined;
}

/** Kernel timestamp (µs) of the last `t=status` packet from src captured before beforeMs (a tcpdump -U file). */
function lastStatusUs(pcapFile: string, src: string, beforeMs: number): number | undefined {
  const cap = readPcap(fs.readFileSync(pcapFile));
  if (!cap.ok) throw new Error(`${pcapFile}: ${cap.error}`);
  let last: number | undefined;
  for (const p of cap.value.packets) {
    if (p.src !== src || p.timeUs >= beforeMs * 1000) continue;
    const f = decodeFrame(p.payload);
    const m = f.ok ? (f.value.inner ?? f.value.message) : undefined;
    if (m !== undefined && fieldText(m, 't') === 'status' && (last === undefined || p.timeUs > last)) last = p.timeUs;
  }
  return last;
}

interface Round {
  readonly atS: number;
  /** declared − last status heard − deadtime, ms. */
  readonly lagMs: number;
  /** SIGKILL → bravo holds ga; alpha's start → alpha holds ga again (bravo released it). */
  readonly takeoverMs: number;
  readonly failbackMs: number;
  /** Both daemons just before the kill (alpha at the age of one round). */
  readonly alpha: Mem;
  readonly bravo: Mem;
}

/* ------------------------------------------------------------------ the run */

interface Compaction {
  readonly ms: number;
  readonly beforeMb: number;
  readonly afterMb: number;
}

function readDebug(lab: Lab, node: string): string {
  try {
    return fs.readFileSync(path.join(lab.node(node).logDir, path.basename(DEBUG_FILE)), 'latin1');
  } catch {
    return '';
  }
}

async function soak(ctx: BenchContext): Promise<{ rounds: Round[]; bravoEnd: Mem; bravoStart: Mem; bravoPid: number; unexpected: string[]; compactions: Compaction[]; elapsedS: number }> {
  const lab = await createLab(ctx.asTestContext, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label: 'soak', bridgeAddress: null });
  for (const n of ['alpha', 'bravo']) {
    // auto_failback on; `debug 1` sends our debug lines (the heap compactions) to the debugfile only.
    writeRealConfig(lab, n, { nodes: ['alpha', 'bravo'], method: 'sha1', key: KEY, ...TIMERS, extra: ['debug 1'] });
    fs.writeFileSync(path.join(lab.node(n).haDir, 'haresources'), 'alpha hbts-res::ga\n');
    installStateResource(lab, n);
  }
  let alpha: StartedProcess = await startOurHeartbeat(lab, 'alpha');
  let alphaStartedAt = Date.now();
  const bravo = await startOurHeartbeat(lab, 'bravo');
  await waitForLog(lab, 'bravo', (l) => l.includes('Status update for node alpha: status active'), 'alpha active', 15_000);
  await until('ga on alpha alone', () => holds(lab, 'alpha') && !holds(lab, 'bravo'), STEP_TIMEOUT_MS);
  await sleep(Math.max(0, alphaStartedAt + STEADY_MS - Date.now()));
  const logFrom = ['alpha', 'bravo'].map((n) => readLog(lab, n).length);
  const bravoStart = mem(bravo.pid);
  if (bravoStart === undefined) throw new Error('soak: bravo is not running');
  const alphaIp = lab.node('alpha').ip;
  const pcap = path.join(lab.node('bravo').logDir, 'soak.pcap');
  const t0 = Date.now();
  const end = t0 + SECONDS * 1000;
  const rounds: Round[] = [];
  for (let k = 0; t0 + k * INTERVAL_MS + ROUND_BUDGET_MS <= end; k++) {
    await sleep(Math.max(0, t0 + k * INTERVAL_MS - Date.now(), alphaStartedAt + STEADY_MS - Date.now()));
    if (!bravo.running) throw new Error(`soak: bravo exited: ${bravo.stderr.slice(-2000)}`);
    const dump = lab.start('bravo', ['tcpdump', '-i', 'eth0', '-U', '-n', '-Z', 'root', '-s', '0', '-w', '/var/log/soak.pcap', 'udp', 'port', '694', 'and', 'src', 'host', alphaIp]);
    await dump.waitForOutput(/listening on eth0/, 10_000);
    await sleep(300); // a few of alpha's heartbeats in the capture
    const alphaMem = mem(alpha.pid);
    const bravoMem = mem(bravo.pid);
    if (alphaMem === undefined || bravoMem === undefined) throw new Error('soak: a daemon is gone before the kill');
    const declared = fileAppears(logPath(lab, 'bravo'), 'node alpha: is dead', DEADTIME_MS + 5_000);
    const pids = await nodePids(lab, 'alpha');
    const killAt = Date.now();
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    fs.rmSync(stateResourceDir(lab, 'alpha'), { recursive: true, force: true }); // the power loss took alpha's service down with it
    // Watched from the kill on, not after the reaping: orphans of the killed daemon (its `ip monitor` child) are
    // reaped by whoever adopts them, which took up to a second here and is no part of the takeover.
    const took = until('bravo takes ga over', () => holds(lab, 'bravo'), STEP_TIMEOUT_MS);
    for (const pid of pids) if (!(await waitForReaped(pid, 10_000))) throw new Error(`soak: alpha pid ${pid} not reaped`);
    const declaredAt = await declared;
    const tookAt = await took;
    await dump.stop();
    const last = lastStatusUs(pcap, alphaIp, declaredAt);
    if (last === undefined) throw new Error('soak: no status packet from alpha captured');
    const bravoLogAt = readLog(lab, 'bravo').length;
    alpha = await startOurHeartbeat(lab, 'alpha');
    alphaStartedAt = Date.now();
    await waitForLog(lab, 'bravo', (l) => l.slice(bravoLogAt).includes('Status update for node alpha: status active'), 'alpha active again', 15_000);
    const backAt = await until('ga back on alpha alone', () => holds(lab, 'alpha') && !holds(lab, 'bravo'), STEP_TIMEOUT_MS);
    rounds.push({
      atS: (killAt - t0) / 1000,
      lagMs: declaredAt - last / 1000 - DEADTIME_MS,
      takeoverMs: tookAt - killAt,
      failbackMs: backAt - alphaStartedAt,
      alpha: alphaMem,
      bravo: bravoMem,
    });
  }
  await sleep(Math.max(0, end - Date.now()));
  const bravoEnd = mem(bravo.pid);
  if (bravoEnd === undefined || !bravo.running) throw new Error(`soak: bravo exited: ${bravo.stderr.slice(-2000)}`);
  // Anything beyond one death per kill, or any late heartbeat, in either log.
  const unexpected: string[] = [];
  ['alpha', 'bravo'].forEach((n, i) => {
    const text = readLog(lab, n).slice(logFrom[i]);
    const deaths = occurrences(text, ': is dead');
    const expected = n === 'bravo' ? rounds.length : 0;
    if (deaths !== expected) unexpected.push(`${n}: ${deaths} "is dead" lines for ${expected} kills`);
    const late = text.split('\n').filter((l) => l.includes('Late heartbeat'));
    if (late.length > 0) unexpected.push(`${n}: ${late.length} "Late heartbeat" lines, first: ${late[0]?.slice(0, 140) ?? ''}`);
  });
  const compactions = readDebug(lab, 'bravo')
    .split('\n')
    .map((l) => /heap compacted after a hand-over: ([\d.]+) ms, RSS ([\d.]+) \S+ ([\d.]+) MB/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ ms: Number(m[1]), beforeMb: Number(m[2]), afterMb: Number(m[3]) }));
  return { rounds, bravoEnd, bravoStart, bravoPid: bravo.pid, unexpected, compactions, elapsedS: (Date.now() - t0) / 1000 };
}

/* ------------------------------------------------------------------ the report */

export async function benchSoak(): Promise<string[]> {
  const lines: string[] = [
    `soak: heartbeat-ts pair, keepalive ${TIMERS.keepalive}, warntime ${TIMERS.warntime}, deadtime ${TIMERS.deadtime}, bcast eth0, sha1, auto_failback on; ` +
      `SIGKILL of the owner (alpha) every ${INTERVAL_MS / 1000} s, restart, failback; ${SECONDS} s`,
  ];
  const missing = missingPrerequisites(['ip', 'nsenter', 'unshare', 'tcpdump']);
  if (missing.length > 0) {
    lines.push(`soak: skipped: needs ${missing.join(', ')}`);
    return lines;
  }
  return inBenchContext('soak', lines, async (ctx) => {
    const r = await soak(ctx);
    const n = r.rounds.length;
    if (n === 0) throw new Error('soak: no round fitted in the run');
    const third = Math.max(1, Math.floor(n / 3));
    const first = r.rounds.slice(0, third);
    const lastT = r.rounds.slice(n - third);
    const mid = r.rounds[Math.floor(n / 2)] ?? r.rounds[0];
    const lastR = r.rounds[n - 1];
    const mb = (kb: number): string => `${(kb / 1024).toFixed(1)} MB`;
    const memCell = (m: Mem | undefined): string => (m === undefined ? '?' : `${mb(m.rssKb)} [${mb(m.anonKb)}]`);
    const med = (rs: readonly Round[], f: (x: Round) => number): number => median(rs.map(f));
    lines.push(
      `soak: ${n} rounds in ${r.elapsedS.toFixed(0)} s (2 failovers each: takeover after SIGKILL, failback after restart); bravo pid ${r.bravoPid} throughout`,
      '',
      '| memory (VmRSS [RssAnon]) | start | middle | end | end − start |',
      '|---|---|---|---|---|',
      `| bravo (survivor, one PID) | ${memCell(r.bravoStart)} | ${memCell(mid?.bravo)} (round ${Math.floor(n / 2) + 1}) | ${memCell(r.bravoEnd)} | ${signed((r.bravoEnd.rssKb - r.bravoStart.rssKb) / 1024)} MB |`,
      `| alpha (a new PID each round, sampled at ~${INTERVAL_MS / 1000} s old) | ${memCell(r.rounds[0]?.alpha)} | ${memCell(mid?.alpha)} | ${memCell(lastR?.alpha)} | ${signed(((lastR?.alpha.rssKb ?? 0) - (r.rounds[0]?.alpha.rssKb ?? 0)) / 1024)} MB |`,
      '',
      `| per round (median) | first third (${first.length}) | last third (${lastT.length}) | all (min / median / max) |`,
      '|---|---|---|---|',
      ...(
        [
          ['detection lag (declared − last status − deadtime)', (x: Round) => x.lagMs],
          ['takeover (SIGKILL → bravo holds ga)', (x: Round) => x.takeoverMs],
          ['failback (alpha started → holds ga alone)', (x: Round) => x.failbackMs],
        ] as const
      ).map(([what, f]) => {
        const all = r.rounds.map(f);
        return `| ${what} | ${med(first, f).toFixed(0)} ms | ${med(lastT, f).toFixed(0)} ms | ${Math.min(...all).toFixed(0)} / ${median(all).toFixed(0)} / ${Math.max(...all).toFixed(0)} ms |`;
      }),
      '',
      `soak: lag per round [${r.rounds.map((x) => signed(x.lagMs)).join(' ')}] ms`,
      `soak: unexpected log lines: ${r.unexpected.length === 0 ? 'none' : r.unexpected.join('; ')}`,
      r.compactions.length === 0
        ? 'soak: bravo logged no heap compaction'
        : `soak: bravo's heap compactions after hand-overs: ${r.compactions.length}, pause ${fmtSpread(r.compactions.map((c) => c.ms))} ms, RSS before ${fmtSpread(r.compactions.map((c) => c.beforeMb))} MB, after ${fmtSpread(r.compactions.map((c) => c.afterMb))} MB (min / median / max)`,
    );
  });
}

const fmtSpread = (xs: readonly number[]): string => `${Math.min(...xs).toFixed(1)} / ${median(xs).toFixed(1)} / ${Math.max(...xs).toFixed(1)}`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const l of await benchSoak()) console.log(l);
}
