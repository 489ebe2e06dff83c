// Benchmark: membership timing and cost, heartbeat-ts side by side with Heartbeat 3.0.6 in the same run.
//
// Timers for every figure: keepalive 100ms, warntime 500ms, deadtime 1, initdead 2, bcast eth0, sha1; CPU and RSS
// at keepalive 1 too.
//
// 1. Detection lag. One lab of three isolated nodes on one bridge:
//        [alpha]   heartbeat-ts (`heartbeat -f`)   observer under test
//        [bravo]   Heartbeat 3.0.6                 observer, the baseline
//        [charlie] Heartbeat 3.0.6                 the victim
//    Both observers watch the same victim, so one SIGKILL (of every process of the victim) measures both on the
//    same last packet. tcpdump runs inside each observer's namespace (`-i eth0 -U -w`, victim's packets only).
//      last heard = kernel capture timestamp (µs) of the victim's last packet on that observer's eth0;
//      declared   = ours: arrival of the "node charlie: is dead" line on the daemon's stderr (Date.now, 1 ms);
//                   real: the same line appearing in its ha-log, seen through inotify (fs.watch) with a 5 ms
//                   poll as a backstop (so at most ~5 ms late, usually < 1 ms);
//      lag        = declared − last heard − deadtime; reported from the last packet of any type (the brief's
//                   figure) and from the last `t=status` packet (what both daemons count from, spec §6.4; the
//                   real victim's NS_ackmsg sometimes comes after its last status).
//    The victim is restarted between rounds, and killed only once it has announced the plain deadtime again
//    (a starting node announces dt = deadtime + 2 s for 5 s; the observers use the dt last received).
// 2. CPU per node: a pair ours↔ours and a pair real↔real, run concurrently for MEASURE_MS of steady state, at
//    keepalive 100ms (the timers above) and then at keepalive 1 (warntime 2, deadtime 5, initdead 10);
//    utime+stime(+cutime+cstime) of every process in each node's namespace but the lab's anchor, from
//    /proc/PID/stat (clock ticks, 10 ms each) before and after, and as a cross-check the per-thread run time
//    from /proc/PID/task/*/schedstat (ns). The window is also cut into 10-s sub-windows (schedstat): the real
//    daemon's CPU comes in phases (quiet ≈ 0.7 CPU-s/min, busy several times that, for tens of seconds, with
//    the same packet rate and context switches), so one 60-s figure of it swings from run to run.
// 3. RSS per node after that: VmRSS (and RssAnon) from /proc/PID/status, summed over the node's processes.
// 4. The floors, in the same window: a bare `node -e 'setInterval(() => {}, keepalive)'`, and a pair of bare
//    nodes broadcasting one status-sized datagram per keepalive and reading every datagram, in namespaces of
//    their own, CPU and RSS measured the same way (docs/benchmarks.md, "Cost at rest").
//
// Root, nsenter, tcpdump and the heartbeat package are needed; without them the benchmark prints a skip line.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { decodeFrame, readPcap, type Message } from '../../src/wire/index.js';
import { createLab, type Lab } from '../helpers/netns.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { logPath, readLog, REAL_HEARTBEAT, waitForLog, writeRealConfig, tail } from '../helpers/real-heartbeat.js';
import { BenchContext, fileAppears, inBenchContext, median, missingPrerequisites, nodePids, occurrences, signed, sleep, stderrNth, waitForQuietLogs } from './common.js';
import { recordRow } from './summary.js';

const KEY = 'Bench-Key_3';
const TIMERS = { keepalive: '100ms', warntime: '500ms', deadtime: '1', initdead: '2' } as const;
type Timers = { readonly keepalive: string; readonly warntime: string; readonly deadtime: string; readonly initdead: string };
/** CPU and RSS are also measured at the classic keepalive 1 (warntime 2, deadtime 5, initdead 10). */
const COST_TIMERS: readonly Timers[] = [TIMERS, { keepalive: '1', warntime: '2', deadtime: '5', initdead: '10' }];
const DEADTIME_MS = 1000;
// HBTS_BENCH_ROUNDS / HBTS_BENCH_MEASURE_MS shorten a run while developing; the defaults are the real figures.
const ROUNDS = Math.max(1, Number(process.env['HBTS_BENCH_ROUNDS'] ?? '7') || 7);
/** Steady state measured for CPU, and the settling time before it (startup dt window, JIT warm-up). */
const MEASURE_MS = Math.max(1000, Number(process.env['HBTS_BENCH_MEASURE_MS'] ?? '60000') || 60_000);
/**
 * From comm-up to the CPU window. 8 s by default: the window then also holds most of V8's warm-up of our paths
 * (functions run a few times a second are optimised over minutes); HBTS_BENCH_SETTLE_MS=180000 measures a
 * pair that has been up for three minutes (docs/benchmarks.md, "Cost at rest").
 */
const SETTLE_MS = Math.max(1000, Number(process.env['HBTS_BENCH_SETTLE_MS'] ?? '8000') || 8_000);
const QUIET_MS = 3_000;
const QUIET_TIMEOUT_MS = 30_000;
/** After a (re)start the victim announces dt = deadtime + 2000 for 5 s; kill it only after this long. */
const VICTIM_STEADY_MS = 7_000;
const DETECT_TIMEOUT_MS = 6_000;
const TARGET_RSS_MB = 60;
const TARGET_REAL_CPU = 0.42; // CPU-s per minute per node, anchor-numbers.md (keepalive 100ms)
const TARGET_REAL_CPU_KA1 = 0.05; // the same at keepalive 1

/* ------------------------------------------------------------------ small helpers */

async function waitForReaped(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (fs.existsSync(`/proc/${pid}`)) {
    if (Date.now() >= deadline) return false;
    await sleep(20);
  }
  return true;
}

function fieldText(m: Message, name: string): string | undefined {
  const f = m.fields.find((x) => x.name === name);
  return f !== undefined && f.type === 0 ? Buffer.from(f.value).toString('latin1') : undefined;
}

interface LastPacket {
  readonly timeUs: number;
  readonly type: string;
}

/**
 * The victim's last packet, and its last `t=status` packet, captured before `beforeMs` (a tcpdump -U file,
 * possibly ending mid-record). Death counts from the last status (spec §6.4); other packets (e.g. the real
 * daemon's NS_ackmsg) may come after it.
 */
function lastPacketsBefore(pcapFile: string, src: string, beforeMs: number): { any?: LastPacket; status?: LastPacket & { dt: string } } {
  const cap = readPcap(fs.readFileSync(pcapFile));
  if (!cap.ok) throw new Error(`${pcapFile}: ${cap.error}`);
  const out: { any?: LastPacket; status?: LastPacket & { dt: string } } = {};
  for (const p of cap.value.packets) {
    if (p.src !== src || p.timeUs >= beforeMs * 1000) continue;
    const f = decodeFrame(p.payload);
    const m = f.ok ? (f.value.inner ?? f.value.message) : undefined;
    const type = (m && fieldText(m, 't')) ?? '?';
    if (out.any === undefined || p.timeUs >= out.any.timeUs) out.any = { timeUs: p.timeUs, type };
    if (type === 'status' && (out.status === undefined || p.timeUs >= out.status.timeUs)) {
      out.status = { timeUs: p.timeUs, type, dt: (m && fieldText(m, 'dt')) ?? '?' };
    }
  }
  return out;
}

/* ------------------------------------------------------------------ /proc readings */

interface ProcSample {
  readonly ticks: number; // utime+stime+cutime+cstime
  readonly runNs: number; // sum over threads of schedstat run time
  readonly rssKb: number;
  readonly anonKb: number;
}

function sampleProc(pid: number): ProcSample | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state): utime = field 14 → rest[11], stime, cutime, cstime follow.
    const ticks = [11, 12, 13, 14].reduce((s, i) => s + Number(rest[i] ?? 0), 0);
    let runNs = 0;
    for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
      try {
        runNs += Number(fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').split(' ')[0] ?? 0);
      } catch {
        /* thread gone */
      }
    }
    const status = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
    const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { ticks, runNs, rssKb: kb('VmRSS'), anonKb: kb('RssAnon') };
  } catch {
    return undefined;
  }
}

function sampleAll(pids: readonly number[]): Map<number, ProcSample> {
  const out = new Map<number, ProcSample>();
  for (const pid of pids) {
    const s = sampleProc(pid);
    if (s !== undefined) out.set(pid, s);
  }
  return out;
}

interface NodeCost {
  readonly node: string;
  readonly procs: number;
  /** CPU-seconds per minute over the whole window, from /proc/PID/stat ticks and from schedstat. */
  readonly cpuPerMin: number;
  readonly cpuPerMinFine: number;
  /** The same per WINDOW_MS sub-window (schedstat), to show how steady the figure is. */
  readonly windows: readonly number[];
  readonly rssMb: number;
  readonly anonMb: number;
  readonly note: string;
}

const CLK_TCK = 100; // Linux USER_HZ as seen in /proc (getconf CLK_TCK)
const WINDOW_MS = 10_000;

/** Sum of the deltas a → b over a's processes (a process new in a counts whole); the PIDs that came and went. */
function delta(b: Map<number, ProcSample>, a: Map<number, ProcSample>, notes: string[]): { ticks: number; ns: number } {
  let ticks = 0;
  let ns = 0;
  for (const [pid, s] of a) {
    const s0 = b.get(pid);
    if (s0 === undefined) notes.push(`pid ${pid} new`);
    ticks += s.ticks - (s0?.ticks ?? 0);
    ns += s.runNs - (s0?.runNs ?? 0);
  }
  for (const pid of b.keys()) if (!a.has(pid)) notes.push(`pid ${pid} gone`);
  return { ticks, ns };
}

async function measureCost(lab: Lab, nodes: readonly string[]): Promise<NodeCost[]> {
  const snapshot = async (): Promise<{ at: number; per: Map<string, Map<number, ProcSample>> }> => {
    const lists = await Promise.all(nodes.map((n) => nodePids(lab, n)));
    const at = performance.now();
    return { at, per: new Map(nodes.map((n, i) => [n, sampleAll(lists[i] ?? [])])) };
  };
  const count = Math.max(1, Math.round(MEASURE_MS / WINDOW_MS));
  const snaps = [await snapshot()];
  for (let w = 1; w <= count; w++) {
    await sleep(Math.max(0, (snaps[0]?.at ?? 0) + (w * MEASURE_MS) / count - performance.now()));
    snaps.push(await snapshot());
  }
  const first = snaps[0];
  const last = snaps[snaps.length - 1];
  if (first === undefined || last === undefined) throw new Error('no samples');
  const empty = new Map<number, ProcSample>();
  return nodes.map((n) => {
    const notes: string[] = [];
    const a = last.per.get(n) ?? empty;
    const whole = delta(first.per.get(n) ?? empty, a, notes);
    const elapsedMin = (last.at - first.at) / 60_000;
    const windows: number[] = [];
    for (let w = 1; w < snaps.length; w++) {
      const s0 = snaps[w - 1];
      const s1 = snaps[w];
      if (s0 === undefined || s1 === undefined) continue;
      const d = delta(s0.per.get(n) ?? empty, s1.per.get(n) ?? empty, []);
      windows.push(d.ns / 1e9 / ((s1.at - s0.at) / 60_000));
    }
    let rss = 0;
    let anon = 0;
    for (const s of a.values()) {
      rss += s.rssKb;
      anon += s.anonKb;
    }
    return {
      node: n,
      procs: a.size,
      cpuPerMin: whole.ticks / CLK_TCK / elapsedMin,
      cpuPerMinFine: whole.ns / 1e9 / elapsedMin,
      windows,
      rssMb: rss / 1024,
      anonMb: anon / 1024,
      note: notes.join(', '),
    };
  });
}

/* ------------------------------------------------------------------ phases */

async function costPair(ctx: BenchContext, impl: 'ours' | 'real', timers: Timers, label: string): Promise<NodeCost[]> {
  const lab = await createLab(ctx.asTestContext, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label, bridgeAddress: null });
  for (const n of ['alpha', 'bravo']) writeRealConfig(lab, n, { nodes: ['alpha', 'bravo'], method: 'sha1', key: KEY, ...timers });
  if (impl === 'ours') {
    await startOurHeartbeat(lab, 'alpha');
    await startOurHeartbeat(lab, 'bravo');
  } else {
    await startReal(lab, 'alpha', 15_000);
    await startReal(lab, 'bravo', 15_000);
  }
  await waitForLog(lab, 'alpha', (l) => l.includes('Status update for node bravo: status active'), 'bravo active', 15_000);
  await waitForLog(lab, 'bravo', (l) => l.includes('Status update for node alpha: status active'), 'alpha active', 15_000);
  await sleep(SETTLE_MS);
  // The real pair goes on with its resource and standby hand-shakes (forking helpers) for a few seconds
  // after comm-up: measure only once both logs have been quiet for a while.
  const quiet = await waitForQuietLogs(lab, ['alpha', 'bravo'], QUIET_MS, QUIET_TIMEOUT_MS);
  const logFrom = ['alpha', 'bravo'].map((n) => readLog(lab, n).length);
  const cost = await measureCost(lab, ['alpha', 'bravo']);
  return cost.map((c, i) => {
    const extra = readLog(lab, c.node).slice(logFrom[i]);
    const trouble = extra.split('\n').filter((l) => /is dead|Late heartbeat|lost packet|restart/.test(l));
    const notes = [c.note, quiet ? '' : `log not quiet for ${QUIET_MS} ms before the window`, trouble.length > 0 ? `${trouble.length} log lines of trouble in the window, first: ${tail(trouble[0] ?? '', 1)}` : ''];
    return { ...c, note: notes.filter((x) => x !== '').join(', ') };
  });
}

/**
 * The floors, in a lab of their own and measured the same way at the same time: a bare `node` that does nothing
 * but run one timer at the keepalive period (`floor`), and a pair of bare `node`s that each broadcast one
 * 357-byte datagram (the size of our status) per keepalive to port 694 and read every datagram that arrives,
 * their own looped-back ones included (`fxa`, `fxb`): the same packets as a pair at rest, with no protocol.
 * No daemon written in Node can cost less at rest than the second.
 */
async function costFloor(ctx: BenchContext, timers: Timers, label: string): Promise<NodeCost[]> {
  const nodes = ['floor', 'fxa', 'fxb'];
  const lab = await createLab(ctx.asTestContext, { nodes: nodes.map((name) => ({ name })), label, bridgeAddress: null });
  const periodMs = timers.keepalive.endsWith('ms') ? Number.parseInt(timers.keepalive, 10) : Number.parseFloat(timers.keepalive) * 1000;
  lab.start('floor', [process.execPath, '-e', `setInterval(() => {}, ${periodMs});`]);
  const exchange =
    `const s = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: true }); const b = Buffer.alloc(357, 0x78);` +
    `s.on('message', () => {}); s.bind(694, () => { s.setBroadcast(true); setInterval(() => s.send(b, 694, '198.51.100.255'), ${periodMs}); });`;
  for (const n of ['fxa', 'fxb']) lab.start(n, [process.execPath, '-e', exchange]);
  await sleep(SETTLE_MS);
  return measureCost(lab, nodes);
}

/** Starts the real daemon and waits for its comm-up line beyond what the log already holds. */
async function startReal(lab: Lab, node: string, timeoutMs: number): Promise<void> {
  const from = readLog(lab, node).length;
  const r = await lab.exec(node, [REAL_HEARTBEAT], { timeoutMs: 10_000 });
  if (r.exitCode !== 0) throw new Error(`${REAL_HEARTBEAT} in ${node} exited ${r.exitCode}: ${r.stderr.trim()}\n${tail(readLog(lab, node).slice(from), 30)}`);
  await waitForLog(lab, node, (l) => l.slice(from).includes('Comm_now_up(): updating status to active'), 'comm-up', timeoutMs);
}

interface Lag {
  /** declared − last packet of any type − deadtime, and the same from the last status packet. */
  readonly fromAny: number;
  readonly fromStatus: number;
  /** SIGKILL → declared, for information. */
  readonly afterKill: number;
}

interface Round {
  readonly ours: Lag;
  readonly real: Lag;
  readonly oddities: string[];
}

/** Types of the victim's last packet when it was not a status, with counts (over both observers). */
const nonStatusLast = new Map<string, number>();

async function detection(ctx: BenchContext): Promise<Round[]> {
  const lab = await createLab(ctx.asTestContext, { nodes: [{ name: 'alpha' }, { name: 'bravo' }, { name: 'charlie' }], label: 'bmdet', bridgeAddress: null });
  const names = ['alpha', 'bravo', 'charlie'];
  nonStatusLast.clear();
  for (const n of names) writeRealConfig(lab, n, { nodes: names, method: 'sha1', key: KEY, ...TIMERS });
  const victimIp = lab.node('charlie').ip;
  const captures = new Map<string, string>();
  for (const obs of ['alpha', 'bravo']) {
    const dump = lab.start(obs, ['tcpdump', '-i', 'eth0', '-U', '-n', '-Z', 'root', '-s', '0', '-w', '/var/log/bench.pcap', 'udp', 'port', '694', 'and', 'src', 'host', victimIp]);
    await dump.waitForOutput(/listening on eth0/, 10_000);
    captures.set(obs, path.join(lab.node(obs).logDir, 'bench.pcap'));
  }
  const ours = await startOurHeartbeat(lab, 'alpha');
  await startReal(lab, 'bravo', 15_000);
  let victimStartedAt = Date.now();
  await startReal(lab, 'charlie', 15_000);
  for (const [obs, peer] of [['alpha', 'bravo'], ['alpha', 'charlie'], ['bravo', 'alpha'], ['bravo', 'charlie'], ['charlie', 'alpha']] as const) {
    await waitForLog(lab, obs, (l) => l.includes(`Status update for node ${peer}: status active`), `${peer} active`, 15_000);
  }
  const rounds: Round[] = [];
  for (let k = 1; k <= ROUNDS; k++) {
    await sleep(Math.max(0, victimStartedAt + VICTIM_STEADY_MS - Date.now()));
    const pids = await nodePids(lab, 'charlie');
    if (pids.length === 0) throw new Error('the victim (real heartbeat in charlie) is not running');
    const realDeclared = fileAppears(logPath(lab, 'bravo'), 'node charlie: is dead', DETECT_TIMEOUT_MS);
    const seen = occurrences(ours.stderr, 'node charlie: is dead');
    const oursDeclared = stderrNth(ours, 'node charlie: is dead', seen + 1, DETECT_TIMEOUT_MS);
    const killAt = Date.now();
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    const [o, r] = await Promise.all([oursDeclared, realDeclared]);
    for (const pid of pids) if (!(await waitForReaped(pid, 10_000))) throw new Error(`victim pid ${pid} not reaped`);
    const oddities: string[] = [];
    const lagOf = (obs: string, declared: number): Lag => {
      const last = lastPacketsBefore(captures.get(obs) ?? '', victimIp, declared);
      if (last.any === undefined || last.status === undefined) throw new Error(`${obs}: no status packet from the victim captured`);
      if (last.any.type !== 'status') nonStatusLast.set(last.any.type, (nonStatusLast.get(last.any.type) ?? 0) + 1);
      if (last.status.dt !== DEADTIME_MS.toString(16)) oddities.push(`${obs}: last status announced dt=${last.status.dt}`);
      return {
        fromAny: declared - last.any.timeUs / 1000 - DEADTIME_MS,
        fromStatus: declared - last.status.timeUs / 1000 - DEADTIME_MS,
        afterKill: declared - killAt,
      };
    };
    rounds.push({ ours: lagOf('alpha', o), real: lagOf('bravo', r), oddities });
    // Restart the victim and wait until both observers see it active again.
    const from = names.map((n) => readLog(lab, n).length);
    victimStartedAt = Date.now();
    await startReal(lab, 'charlie', 15_000);
    for (const [i, obs] of [[0, 'alpha'], [1, 'bravo']] as const) {
      await waitForLog(lab, obs, (l) => l.slice(from[i]).includes('Status update for node charlie: status active'), 'charlie active again', 15_000);
    }
  }
  return rounds;
}

/* ------------------------------------------------------------------ the report */

export async function benchMembership(): Promise<string[]> {
  const lines: string[] = [
    `membership: keepalive ${TIMERS.keepalive}, warntime ${TIMERS.warntime}, deadtime ${TIMERS.deadtime}, initdead ${TIMERS.initdead}, bcast eth0, sha1; heartbeat-ts vs Heartbeat 3.0.6, same run`,
  ];
  const missing = missingPrerequisites(['ip', 'nsenter', 'unshare', 'tcpdump'], [REAL_HEARTBEAT]);
  if (missing.length > 0) {
    lines.push(`membership: skipped: needs ${missing.join(', ')}`);
    return lines;
  }
  return inBenchContext('membership', lines, async (ctx) => {
    // CPU and RSS: both pairs at once, so they share the machine's noise; one timer set after the other.
    const costs: { timers: Timers; ours: NodeCost[]; real: NodeCost[]; floor: NodeCost[] }[] = [];
    for (const [i, timers] of COST_TIMERS.entries()) {
      const settled = await Promise.allSettled([costPair(ctx, 'ours', timers, `bmcpuo${i}`), costPair(ctx, 'real', timers, `bmcpur${i}`), costFloor(ctx, timers, `bmcpuf${i}`)]);
      const [ours, real, floor] = settled.map((r) => {
        if (r.status === 'rejected') throw r.reason;
        return r.value;
      }) as [NodeCost[], NodeCost[], NodeCost[]];
      costs.push({ timers, ours, real, floor });
      const problems = await ctx.close();
      if (problems.length > 0) lines.push(`membership: teardown problems: ${problems.join('; ')}`);
    }

    const rounds = await detection(ctx);

    const fmtLag = (xs: readonly number[]): string =>
      `median ${signed(median(xs))} ms, max ${signed(Math.max(...xs))} ms  [${xs.map((x) => signed(x)).join(' ')}]`;
    const lagLine = (who: string, pick: (r: Round) => Lag): string =>
      `membership:   ${who}  from last packet ${fmtLag(rounds.map((r) => pick(r).fromAny))};  from last status ${fmtLag(rounds.map((r) => pick(r).fromStatus))}; ` +
      `SIGKILL→declared median ${median(rounds.map((r) => pick(r).afterKill)).toFixed(0)} ms`;
    lines.push(`membership: detection lag = declared dead − last heard − deadtime; ${rounds.length} SIGKILLs of a real victim, seen by both observers in one 3-node cluster:`);
    lines.push(lagLine('heartbeat-ts    ', (r) => r.ours));
    lines.push(lagLine('Heartbeat 3.0.6 ', (r) => r.real));
    const om = median(rounds.map((r) => r.ours.fromAny));
    const rm = median(rounds.map((r) => r.real.fromAny));
    const omax = Math.max(...rounds.map((r) => r.ours.fromAny));
    const rmax = Math.max(...rounds.map((r) => r.real.fromAny));
    lines.push(`membership:   ours − real: median ${signed(om - rm)} ms, max ${signed(omax - rmax)} ms; target ours ≤ real (median and max): ${om <= rm && omax <= rmax ? 'yes' : 'NO'}`);
    lines.push("membership:   precision: last heard = tcpdump kernel timestamp on the observer's eth0 (1 µs); declared: ours = stderr line arrival (1 ms), real = ha-log via inotify + 5 ms poll (≤ 5 ms)");
    const odd = rounds.flatMap((r) => r.oddities);
    if (nonStatusLast.size > 0) odd.unshift(`last packet was not a status in ${[...nonStatusLast].map(([t, n]) => `${n}× (t=${t})`).join(', ')} of ${rounds.length * 2} observations`);
    if (odd.length > 0) lines.push(`membership:   note: ${odd.join('; ')}`);
    const lagRow = (scenario: string, pick: (l: Lag) => number, target?: string): void =>
      recordRow({
        bench: 'membership',
        scenario,
        unit: 'ms',
        ours: rounds.map((r) => pick(r.ours)),
        real: rounds.map((r) => pick(r.real)),
        ...(target !== undefined ? { target } : {}),
      });
    lagRow('detection lag from last packet (declared − last heard − deadtime)', (l) => l.fromAny, `ours ≤ real (median and max): ${om <= rm && omax <= rmax ? 'yes' : 'NO'}`);
    lagRow('detection lag from last status packet', (l) => l.fromStatus);
    lagRow('SIGKILL of the victim → declared dead', (l) => l.afterKill);

    const mean = (xs: readonly NodeCost[], f: (c: NodeCost) => number): number => xs.reduce((s, c) => s + f(c), 0) / xs.length;
    for (const { timers, ours: oursCost, real: realCost, floor } of costs) {
      const oc = mean(oursCost, (c) => c.cpuPerMin);
      const rc = mean(realCost, (c) => c.cpuPerMin);
      const ocf = mean(oursCost, (c) => c.cpuPerMinFine);
      const rcf = mean(realCost, (c) => c.cpuPerMinFine);
      const per = (xs: readonly NodeCost[]): string => xs.map((c) => `${c.node} ${c.cpuPerMin.toFixed(3)}`).join(', ');
      const procs = (xs: readonly NodeCost[]): string => [...new Set(xs.map((c) => c.procs))].join('/');
      /** Per sub-window, the mean over the pair's two nodes. */
      const win = (xs: readonly NodeCost[]): number[] => (xs[0]?.windows ?? []).map((_, i) => mean(xs, (c) => c.windows[i] ?? Number.NaN));
      const ow = win(oursCost);
      const rw = win(realCost);
      const fmtWin = (ws: readonly number[]): string => `${WINDOW_MS / 1000}-s windows min ${Math.min(...ws).toFixed(2)} / median ${median(ws).toFixed(2)} / max ${Math.max(...ws).toFixed(2)}`;
      lines.push(`membership: CPU per node at keepalive ${timers.keepalive}, ${MEASURE_MS / 1000} s from ${SETTLE_MS / 1000} s after comm-up (pairs ours↔ours and real↔real at once), CPU-s per minute from /proc/PID/stat (10 ms ticks); schedstat (ns) as a check:`);
      lines.push(`membership:   heartbeat-ts     ${oc.toFixed(3)}  (${per(oursCost)}; ${procs(oursCost)} proc; schedstat ${ocf.toFixed(3)}; ${fmtWin(ow)})`);
      lines.push(`membership:   Heartbeat 3.0.6  ${rc.toFixed(3)}  (${per(realCost)}; ${procs(realCost)} procs; schedstat ${rcf.toFixed(3)}; ${fmtWin(rw)}; anchor ${timers === TIMERS ? TARGET_REAL_CPU : TARGET_REAL_CPU_KA1})`);
      lines.push(
        `membership:   ratio ours/real ${(oc / rc).toFixed(2)} (median window ${(median(ow) / median(rw)).toFixed(2)}, vs the real's quietest window ${(median(ow) / Math.min(...rw)).toFixed(2)}); ` +
          `target ours ≤ real: ${oc <= rc ? 'yes' : 'NO'} (whole window), ${median(ow) <= Math.min(...rw) ? 'yes' : 'NO'} (against the real's quietest ${WINDOW_MS / 1000} s)`,
      );
      const idle = floor.filter((c) => c.node === 'floor');
      const exch = floor.filter((c) => c.node !== 'floor');
      if (idle.length > 0 && exch.length > 0) {
        const fmt = (xs: readonly NodeCost[]): string =>
          `${mean(xs, (c) => c.cpuPerMinFine).toFixed(3)} CPU-s/min (schedstat), RSS ${Math.max(...xs.map((c) => c.rssMb)).toFixed(1)} MB [${Math.max(...xs.map((c) => c.anonMb)).toFixed(1)}]`;
        lines.push(`membership:   floor, same window: a bare node idling on one timer at the keepalive period ${fmt(idle)}; a pair of bare nodes broadcasting one 357-byte datagram per keepalive and reading all ${fmt(exch)}`);
        recordRow({ bench: 'membership', scenario: `reference: a bare node idling on one timer at keepalive ${timers.keepalive}, CPU in the same window (schedstat)`, unit: 'CPU-s/min', ours: idle.map((c) => c.cpuPerMinFine), real: [] });
        recordRow({ bench: 'membership', scenario: `reference: a pair of bare nodes exchanging one datagram per keepalive ${timers.keepalive}, CPU per node (schedstat)`, unit: 'CPU-s/min', ours: exch.map((c) => c.cpuPerMinFine), real: [] });
        recordRow({ bench: 'membership', scenario: `reference: a bare node idling on one timer at keepalive ${timers.keepalive}, RSS after the window`, unit: 'MB', ours: idle.map((c) => c.rssMb), real: [] });
      }
      const notes = [...oursCost, ...realCost].filter((c) => c.note !== '').map((c) => `${c.node}: ${c.note}`);
      if (notes.length > 0) lines.push(`membership:   note: ${notes.join('; ')}`);
      recordRow({
        bench: 'membership',
        scenario: `CPU per node at keepalive ${timers.keepalive}, ${MEASURE_MS / 1000} s steady state${SETTLE_MS === 8000 ? '' : ` from ${SETTLE_MS / 1000} s after comm-up`} (/proc/PID/stat)`,
        unit: 'CPU-s/min',
        ours: oursCost.map((c) => c.cpuPerMin),
        real: realCost.map((c) => c.cpuPerMin),
        target: `ours ≤ real: ${oc <= rc ? 'yes' : 'NO'}; anchor real ${timers === TIMERS ? TARGET_REAL_CPU : TARGET_REAL_CPU_KA1}`,
      });
      recordRow({
        bench: 'membership',
        scenario: `CPU per ${WINDOW_MS / 1000}-s window at keepalive ${timers.keepalive}, mean of the pair's nodes (schedstat)`,
        unit: 'CPU-s/min',
        ours: ow,
        real: rw,
        target: `ours median ≤ real's quietest window: ${median(ow) <= Math.min(...rw) ? 'yes' : 'NO'}`,
      });
      const oRss = Math.max(...oursCost.map((c) => c.rssMb));
      const rRss = Math.max(...realCost.map((c) => c.rssMb));
      lines.push(
        `membership: RSS per node at keepalive ${timers.keepalive} after the window (VmRSS summed over the node's processes; RssAnon in brackets): ` +
          `ours ${oursCost.map((c) => `${c.rssMb.toFixed(1)} MB [${c.anonMb.toFixed(1)}]`).join(', ')}; ` +
          `real ${realCost.map((c) => `${c.rssMb.toFixed(1)} MB [${c.anonMb.toFixed(1)}]`).join(', ')}; ` +
          `ratio ours/real ${(oRss / rRss).toFixed(2)}; target ours ≤ ${TARGET_RSS_MB} MB: ${oRss <= TARGET_RSS_MB ? 'yes' : 'NO'}`,
      );
      recordRow({
        bench: 'membership',
        scenario: `RSS per node at keepalive ${timers.keepalive}, after the window (VmRSS over the node's processes)`,
        unit: 'MB',
        ours: oursCost.map((c) => c.rssMb),
        real: realCost.map((c) => c.rssMb),
        target: `ours ≤ ${TARGET_RSS_MB} MB (max): ${oRss <= TARGET_RSS_MB ? 'yes' : 'NO'}`,
      });
    }
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const l of await benchMembership()) console.log(l);
}
