// Benchmark (opt-in, `npm run bench -- stress`): false deaths and late heartbeats under stress, heartbeat-ts
// side by side with Heartbeat 3.0.6 in the same run (issue #8 item 2).
//
//   lab "stro": [alpha] heartbeat-ts --metrics 127.0.0.1:9694  ⇄  [bravo] heartbeat-ts --metrics 127.0.0.1:9694
//   lab "strr": [alpha] Heartbeat 3.0.6                        ⇄  [bravo] Heartbeat 3.0.6
//
// Both pairs: keepalive 100ms, warntime 300ms, deadtime 500ms, initdead 2, bcast eth0, sha1, `debug 3`
// (debugfile /var/log/ha-debug). Once all four nodes see their peer active, the stress starts and lasts
// HBTS_BENCH_STRESS_SECONDS (default 600), both pairs under it at once:
//   - CPU: 3 busy-loop processes (node, normal nice, each exits by itself after the window) on this 2-core
//     machine, so both cores are saturated and the daemons compete for them;
//   - memory: one process that allocates HBTS_BENCH_STRESS_MEM_PCT % of MemTotal (default 30, capped at
//     MemAvailable − 2 GiB) and rewrites one byte of every page every 2 s, so it stays resident (started
//     first and alone; the window starts once it holds its memory and the other stressors run);
//   - logging: the daemons' debug level, plus a process writing ~10 MB/s of log lines to a file on the same
//     disk as the daemons' logs (the lab's temporary directory), fdatasync after each 1 MB, truncated at 256 MB.
// Nobody is killed, so every "node X: is dead" line in the window is a false death. Counted per
// implementation from the nodes' ha-log, from the stress start to its end: "is dead" lines, "Late heartbeat"
// warnings (WARN: interval > warntime; CRIT: > deadtime), and other WARN/ERROR/CRIT lines. For ours, the worst
// event-loop delay is scraped from the metrics endpoint (heartbeat_event_loop_delay_seconds, since start; the
// scrape before the stress tells whether the maximum was reached during it). Also from /proc: the machine's
// busy share (/proc/stat), CPU-s each node got (/proc/PID/stat ticks), scheduling policy, VmRSS.
//
// Root, nsenter, unshare, curl and the heartbeat package are needed; without them it prints a skip line.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, isAlive, startProcess, type Lab, type StartedProcess } from '../helpers/netns.js';
import { ourPidFile, startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { readLog, REAL_HEARTBEAT, startRealHeartbeat, waitForLog, writeRealConfig } from '../helpers/real-heartbeat.js';
import { BenchContext, inBenchContext, missingPrerequisites, nodePids, sleep } from './common.js';

const KEY = 'Bench-Stress_7';
const TIMERS = { keepalive: '100ms', warntime: '300ms', deadtime: '500ms', initdead: '2' } as const;
const DEBUG_LEVEL = 3;
const METRICS_PORT = 9694;
const NODES = ['alpha', 'bravo'] as const;
const SECONDS = Math.max(10, Number(process.env['HBTS_BENCH_STRESS_SECONDS'] ?? '600') || 600);
const MEM_PCT = Math.min(60, Math.max(1, Number(process.env['HBTS_BENCH_STRESS_MEM_PCT'] ?? '30') || 30));
const CPU_HOGS = 3;
/** After comm-up: past the 5-s window in which a starting node announces a longer deadtime, and the real pair's start-up hand-shakes. */
const SETTLE_MS = 8_000;
const CHECK_EVERY_MS = 5_000;
/** Stressors end by themselves this long after the window, should we never get to kill them. */
const STRESSOR_GRACE_MS = 120_000;
const MEM_SETUP_TIMEOUT_MS = 180_000;

type Impl = 'ours' | 'real';

/* ------------------------------------------------------------------ /proc */

/** Busy and total jiffies of all CPUs from /proc/stat (busy = all but idle and iowait). */
function machineTicks(): { busy: number; total: number } {
  const line = fs.readFileSync('/proc/stat', 'latin1').split('\n').find((l) => l.startsWith('cpu ')) ?? '';
  const v = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = v.reduce((s, x) => s + x, 0);
  return { busy: total - (v[3] ?? 0) - (v[4] ?? 0), total };
}

interface ProcInfo {
  /** utime+stime+cutime+cstime, clock ticks. */
  readonly ticks: number;
  /** 0 SCHED_OTHER, 1 SCHED_FIFO, 2 SCHED_RR… */
  readonly policy: number;
  readonly rtPriority: number;
  readonly nice: number;
  readonly rssKb: number;
}

function procInfo(pid: number): ProcInfo | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    // rest[0] is field 3; field n is rest[n - 3].
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const f = (n: number): number => Number(rest[n - 3] ?? 0);
    const status = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
    return {
      ticks: f(14) + f(15) + f(16) + f(17),
      policy: f(41),
      rtPriority: f(40),
      nice: f(19),
      rssKb: Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? 0),
    };
  } catch {
    return undefined;
  }
}

const POLICIES = ['SCHED_OTHER', 'SCHED_FIFO', 'SCHED_RR', 'SCHED_BATCH', 'SCHED_ISO', 'SCHED_IDLE', 'SCHED_DEADLINE'];
const CLK_TCK = 100; // USER_HZ as seen in /proc

function policyText(infos: readonly ProcInfo[]): string {
  const kinds = new Set(infos.map((i) => (i.policy === 0 ? `${POLICIES[0]} nice ${i.nice}` : `${POLICIES[i.policy] ?? i.policy} prio ${i.rtPriority}`)));
  return [...kinds].join(' + ');
}

function memKb(key: string): number {
  return Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(fs.readFileSync('/proc/meminfo', 'latin1'))?.[1] ?? 0);
}

/* ------------------------------------------------------------------ stressors (root namespace, no network) */

const CPU_HOG = 'const end = Date.now() + Number(process.argv[1]); let x = 0; while (Date.now() < end) { x = (x * 31 + 7) % 1000003; }';

const MEM_HOG = `
const bytes = Number(process.argv[1]);
const end = Date.now() + Number(process.argv[2]);
const CHUNK = 256 * 1024 * 1024;
const chunks = [];
for (let left = bytes; left > 0; left -= CHUNK) {
  const c = Buffer.allocUnsafe(Math.min(CHUNK, left));
  for (let i = 0; i < c.length; i += 4096) c[i] = 1; // fault every page in
  chunks.push(c);
}
console.log('holding ' + bytes + ' bytes');
let round = 0;
const touch = () => {
  if (Date.now() >= end) process.exit(0);
  round = (round + 1) & 0xff;
  for (const c of chunks) for (let i = 0; i < c.length; i += 4096) c[i] = round;
  setTimeout(touch, 2000);
};
touch();
`;

const LOG_SPAM = `
const fs = require('node:fs');
const file = process.argv[1];
const end = Date.now() + Number(process.argv[2]);
const MAX = 256 * 1024 * 1024;
const line = (n) => new Date().toISOString() + ' stress-log[' + process.pid + ']: debug: line ' + n + ' ' + 'x'.repeat(120) + '\\n';
let fd = fs.openSync(file, 'w');
let size = 0;
let n = 0;
console.log('logging to ' + file);
const batch = () => {
  if (Date.now() >= end) process.exit(0);
  let buf = '';
  while (buf.length < 1024 * 1024) buf += line(n++);
  fs.writeSync(fd, buf);
  fs.fdatasyncSync(fd);
  size += buf.length;
  if (size >= MAX) { fs.ftruncateSync(fd, 0); fs.closeSync(fd); fd = fs.openSync(file, 'w'); size = 0; }
  setTimeout(batch, 100);
};
batch();
`;

interface Stressors {
  readonly procs: StartedProcess[];
  readonly memBytes: number;
  readonly logFile: string;
}

async function startStressors(ctx: BenchContext, dir: string, windowMs: number): Promise<Stressors> {
  const procs: StartedProcess[] = [];
  ctx.after(() => Promise.all(procs.map((p) => p.stop(1000))));
  const lifeMs = windowMs + STRESSOR_GRACE_MS + MEM_SETUP_TIMEOUT_MS;
  // Memory first, alone: faulting gigabytes in is slow in this VM (≈ 3 s per GiB when idle).
  const memBytes = Math.max(0, Math.min((memKb('MemTotal') * 1024 * MEM_PCT) / 100, memKb('MemAvailable') * 1024 - 2 * 1024 ** 3));
  const mem = startProcess([process.execPath, '-e', MEM_HOG, String(Math.floor(memBytes)), String(lifeMs)]);
  procs.push(mem);
  await mem.waitForOutput(/^holding \d+ bytes/m, MEM_SETUP_TIMEOUT_MS);
  for (let i = 0; i < CPU_HOGS; i++) procs.push(startProcess([process.execPath, '-e', CPU_HOG, String(lifeMs)]));
  const logFile = path.join(dir, 'stress-spam.log');
  const spam = startProcess([process.execPath, '-e', LOG_SPAM, logFile, String(lifeMs)]);
  procs.push(spam);
  await spam.waitForOutput(/^logging to /m, 10_000);
  return { procs, memBytes, logFile };
}

/* ------------------------------------------------------------------ the pairs */

interface Pair {
  readonly lab: Lab;
  /** Each node's daemon (ours: the `heartbeat -f` process; real: the master, from its pid file). */
  readonly masters: number[];
}

async function startPair(ctx: BenchContext, impl: Impl): Promise<Pair> {
  const lab = await createLab(ctx.asTestContext, { nodes: NODES.map((name) => ({ name })), label: impl === 'ours' ? 'stro' : 'strr', bridgeAddress: null });
  for (const n of NODES) writeRealConfig(lab, n, { nodes: NODES, method: 'sha1', key: KEY, ...TIMERS, extra: [`debug ${DEBUG_LEVEL}`] });
  const masters: number[] = [];
  for (const n of NODES) {
    if (impl === 'ours') {
      masters.push((await startOurHeartbeat(lab, n, 10_000, { args: ['--metrics', `127.0.0.1:${METRICS_PORT}`] })).pid);
    } else {
      await startRealHeartbeat(lab, n, 15_000);
      const pid = await ourPidFile(lab, n); // the same /var/run/heartbeat.pid
      if (pid === undefined) throw new Error(`real heartbeat in ${n}: no pid file`);
      masters.push(pid);
    }
  }
  for (const [n, peer] of [['alpha', 'bravo'], ['bravo', 'alpha']] as const) {
    await waitForLog(lab, n, (l) => l.includes(`Status update for node ${peer}: status active`), `${peer} active`, 15_000);
  }
  return { lab, masters };
}

/** heartbeat_event_loop_delay_seconds of our node, in ms: { max, p99 }, or the error. */
async function loopDelay(lab: Lab, node: string): Promise<{ max: number; p99: number } | string> {
  const r = await lab.exec(node, ['curl', '-sS', '--max-time', '10', `http://127.0.0.1:${METRICS_PORT}/metrics`], { timeoutMs: 15_000 });
  if (r.exitCode !== 0) return `curl: ${r.stderr.trim() || `exit ${r.exitCode}`}`;
  const pick = (q: string): number => Number(new RegExp(`^heartbeat_event_loop_delay_seconds\\{quantile="${q.replace('.', '\\.')}"\\} (\\S+)$`, 'm').exec(r.stdout)?.[1] ?? Number.NaN) * 1000;
  return { max: pick('max'), p99: pick('0.99') };
}

interface NodeCount {
  readonly deaths: number;
  readonly lateWarn: number;
  readonly lateCrit: number;
  readonly other: number;
  /** The other lines by kind (the text after the level, numbers as N). */
  readonly otherKinds: ReadonlyMap<string, number>;
  readonly maxLateMs: number;
}

function countLog(text: string, peer: string): NodeCount {
  const lines = text.split('\n');
  let deaths = 0;
  let lateWarn = 0;
  let lateCrit = 0;
  let other = 0;
  const otherKinds = new Map<string, number>();
  let maxLateMs = 0;
  for (const l of lines) {
    if (l.includes(`node ${peer}: is dead`)) deaths++;
    const late = /Late heartbeat: Node \S+: interval (\d+) ms/.exec(l);
    if (late) {
      if (/CRIT:/.test(l)) lateCrit++;
      else lateWarn++;
      maxLateMs = Math.max(maxLateMs, Number(late[1]));
    } else if (/\b(WARN|ERROR|CRIT):/.test(l) && !l.includes('is dead')) {
      other++;
      const kind = `${/\b(WARN|ERROR|CRIT):.*$/.exec(l)?.[0] ?? l}`.replace(/[\x00-\x08\x0b-\x1f\x7f-\xff]/g, '.').replace(/\d+/g, 'N').slice(0, 120);
      otherKinds.set(kind, (otherKinds.get(kind) ?? 0) + 1);
    }
  }
  return { deaths, lateWarn, lateCrit, other, otherKinds, maxLateMs };
}

interface PairResult {
  readonly impl: Impl;
  readonly counts: NodeCount[];
  readonly cpuS: number[];
  readonly policy: string;
  readonly rssMb: number[];
  readonly alive: boolean[];
  readonly logBytes: number;
  readonly delayBefore: Array<{ max: number; p99: number } | string>;
  readonly delayAfter: Array<{ max: number; p99: number } | string>;
}

/* ------------------------------------------------------------------ the report */

export async function benchStress(): Promise<string[]> {
  const lines: string[] = [
    `stress: keepalive ${TIMERS.keepalive}, warntime ${TIMERS.warntime}, deadtime ${TIMERS.deadtime}, initdead ${TIMERS.initdead}, bcast eth0, sha1, debug ${DEBUG_LEVEL}; ` +
      `a heartbeat-ts pair and a Heartbeat 3.0.6 pair at once, ${SECONDS} s under stress`,
  ];
  const missing = missingPrerequisites(['ip', 'nsenter', 'unshare', 'curl'], [REAL_HEARTBEAT]);
  if (missing.length > 0) {
    lines.push(`stress: skipped: needs ${missing.join(', ')}`);
    return lines;
  }
  return inBenchContext('stress', lines, async (ctx) => {
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-stress-'));
    ctx.after(() => fs.rmSync(scratch, { recursive: true, force: true }));
    const [oursPair, realPair] = await Promise.all([startPair(ctx, 'ours'), startPair(ctx, 'real')]);
    await sleep(SETTLE_MS);
    const ours = oursPair.lab;
    const labs: Record<Impl, Lab> = { ours, real: realPair.lab };
    const masters: Record<Impl, number[]> = { ours: oursPair.masters, real: realPair.masters };
    const delayBefore = await Promise.all(NODES.map((n) => loopDelay(ours, n)));

    const windowMs = SECONDS * 1000;
    const from = new Map<string, number>();
    const debugFrom = new Map<string, number>();
    const debugSize = (lab: Lab, n: string): number => {
      try {
        return fs.statSync(path.join(lab.node(n).logDir, 'ha-debug')).size;
      } catch {
        return 0;
      }
    };
    for (const impl of ['ours', 'real'] as const) {
      for (const n of NODES) {
        from.set(`${impl}/${n}`, readLog(labs[impl], n).length);
        debugFrom.set(`${impl}/${n}`, debugSize(labs[impl], n));
      }
    }
    const pidsAt = async (impl: Impl): Promise<number[][]> => Promise.all(NODES.map((n) => nodePids(labs[impl], n)));
    const pids0 = { ours: await pidsAt('ours'), real: await pidsAt('real') };
    const info0 = new Map<number, ProcInfo>();
    for (const p of [...pids0.ours, ...pids0.real].flat()) {
      const i = procInfo(p);
      if (i !== undefined) info0.set(p, i);
    }

    const startedAt = Date.now();
    const stress = await startStressors(ctx, scratch, windowMs);
    const cpu0 = machineTicks();
    const stressStartMs = Date.now() - startedAt;
    const deadline = Date.now() + windowMs;
    while (Date.now() < deadline) await sleep(Math.min(CHECK_EVERY_MS, deadline - Date.now()));
    const stressorDied = stress.procs.filter((p) => !p.running).map((p) => String(p.pid));
    const cpu1 = machineTicks();
    const pids1 = { ours: await pidsAt('ours'), real: await pidsAt('real') };
    const infoOf = (pids: readonly number[]): Array<{ pid: number; info: ProcInfo }> =>
      pids.flatMap((pid) => {
        const info = procInfo(pid);
        return info === undefined ? [] : [{ pid, info }];
      });
    const delayAfter = await Promise.all(NODES.map((n) => loopDelay(ours, n)));
    const logBytes = fs.existsSync(stress.logFile) ? fs.statSync(stress.logFile).size : 0;
    await Promise.all(stress.procs.map((p) => p.stop(1000)));

    const results: PairResult[] = (['ours', 'real'] as const).map((impl) => {
      const lab = labs[impl];
      const counts = NODES.map((n) => countLog(readLog(lab, n).slice(from.get(`${impl}/${n}`) ?? 0), n === 'alpha' ? 'bravo' : 'alpha'));
      const infos1 = pids1[impl].map(infoOf);
      // A process new since the start counts whole; one gone since then is not counted (none expected).
      const cpuS = infos1.map((list) => list.reduce((s, { pid, info }) => s + info.ticks - (info0.get(pid)?.ticks ?? 0), 0) / CLK_TCK);
      const alive = masters[impl].map((pid) => isAlive(pid));
      const debugBytes = NODES.reduce((s, n) => s + debugSize(lab, n) - (debugFrom.get(`${impl}/${n}`) ?? 0), 0);
      return {
        impl,
        counts,
        cpuS,
        policy: policyText(infos1.flat().map((x) => x.info)),
        rssMb: infos1.map((list) => list.reduce((s, { info }) => s + info.rssKb, 0) / 1024),
        alive,
        logBytes: debugBytes,
        delayBefore: impl === 'ours' ? delayBefore : [],
        delayAfter: impl === 'ours' ? delayAfter : [],
      };
    });

    const elapsedS = (cpu1.total - cpu0.total) / CLK_TCK / os.cpus().length;
    lines.push(
      `stress: stressors: ${CPU_HOGS} CPU busy loops (nice 0), ${(stress.memBytes / 1024 ** 3).toFixed(1)} GiB held and touched every 2 s ` +
        `(${MEM_PCT}% of ${(memKb('MemTotal') / 1024 ** 2).toFixed(1)} GiB), log spam ${(logBytes / 1024 ** 2).toFixed(0)} MB in its file at the end (fdatasync per MB, 256 MB cap); ` +
        `set up in ${(stressStartMs / 1000).toFixed(1)} s; machine busy ${((100 * (cpu1.busy - cpu0.busy)) / (cpu1.total - cpu0.total)).toFixed(1)}% of ${os.cpus().length} CPUs over ${elapsedS.toFixed(0)} s`,
    );
    if (stressorDied.length > 0) lines.push(`stress: note: stressor pid(s) ${stressorDied.join(', ')} ended before the window did`);

    const both = (r: PairResult, f: (c: NodeCount) => number): string => `${r.counts.reduce((s, c) => s + f(c), 0)} (${r.counts.map(f).join(' + ')})`;
    const delayCell = (r: PairResult, pick: 'max' | 'p99'): string => {
      if (r.impl === 'real') return 'n/a (no metrics)';
      return NODES.map((n, i) => {
        const b = r.delayBefore[i];
        const a = r.delayAfter[i];
        if (a === undefined || typeof a === 'string') return `${n}: ${a ?? 'no scrape'}`;
        const grew = b === undefined || typeof b === 'string' || pick === 'p99' ? '' : a[pick] > b[pick] ? ' (in the window)' : ` (≤; before: ${b[pick].toFixed(1)})`;
        return `${n} ${a[pick].toFixed(1)} ms${grew}`;
      }).join(', ');
    };
    const [o, r] = results as [PairResult, PairResult];
    const row = (what: string, f: (x: PairResult) => string): string => `| ${what} | ${f(o)} | ${f(r)} |`;
    lines.push(
      '',
      `| ${SECONDS} s under full stress, + ${(stressStartMs / 1000).toFixed(0)} s of stressor set-up before it (alpha + bravo) | heartbeat-ts | Heartbeat 3.0.6 |`,
      '|---|---|---|',
      row('false deaths ("is dead" for a live peer)', (x) => both(x, (c) => c.deaths)),
      row('"Late heartbeat" WARN (> warntime 300 ms)', (x) => both(x, (c) => c.lateWarn)),
      row('"Late heartbeat" CRIT (> deadtime 500 ms)', (x) => both(x, (c) => c.lateCrit)),
      row('longest interval in a "Late heartbeat" line', (x) => `${Math.max(...x.counts.map((c) => c.maxLateMs))} ms`),
      row('other WARN/ERROR/CRIT lines', (x) => both(x, (c) => c.other)),
      row('worst event-loop delay (metrics, since start)', (x) => delayCell(x, 'max')),
      row('event-loop delay p99 (metrics, since start)', (x) => delayCell(x, 'p99')),
      row('daemons (first PID) still running at the end', (x) => x.alive.map((a) => (a ? 'yes' : 'NO')).join(' / ')),
      row('CPU-s per node, set-up + window (/proc/PID/stat)', (x) => x.cpuS.map((c) => c.toFixed(2)).join(' / ')),
      row('scheduling', (x) => x.policy),
      row('VmRSS per node at the end', (x) => x.rssMb.map((m) => `${m.toFixed(1)} MB`).join(' / ')),
      row(`debugfile bytes written, set-up + window (debug ${DEBUG_LEVEL})`, (x) => `${(x.logBytes / 1024).toFixed(0)} KiB`),
      '',
    );
    for (const x of results) {
      const kinds = new Map<string, number>();
      for (const c of x.counts) for (const [k, v] of c.otherKinds) kinds.set(k, (kinds.get(k) ?? 0) + v);
      if (kinds.size === 0) continue;
      const top = [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 4);
      lines.push(`stress: ${x.impl === 'ours' ? 'heartbeat-ts' : 'Heartbeat 3.0.6'} other lines by kind: ${top.map(([k, v]) => `${v}× "${k}"`).join('; ')}${kinds.size > top.length ? `; ${kinds.size - top.length} more kinds` : ''}`);
    }
    const oursDeaths = o.counts.reduce((s, c) => s + c.deaths, 0);
    lines.push(`stress: target zero false deaths for heartbeat-ts: ${oursDeaths === 0 && o.alive.every((a) => a) ? 'yes' : 'NO'}`);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const l of await benchStress()) console.log(l);
}
