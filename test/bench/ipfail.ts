// Benchmark: ipfail, heartbeat-ts + our ipfail side by side with Heartbeat 3.0.6 + Debian's ipfail, same run.
//
// Each pair in its own lab: `alpha IPaddr2::198.51.100.100/24/eth0 httpd::/etc/ha.d/httpd.conf`, keepalive 1,
// warntime 2, deadtime 5, initdead 10, `ping 198.51.100.1` (the lab's br0), deadping 5, auto_failback on, bcast
// eth0, sha1, ipfail respawned as hacluster; a client namespace GETs http://VIP/hostname.html every 20 ms on a new
// connection (250 ms timeout); each node's page names the node. Per round:
//   cut      one nftables rule in alpha's namespace drops the ping node's echo replies → first answer from bravo
//   back     the rule flushed → first answer from alpha (auto_failback on)
// Figures are from the start of the nft command to the first answer's arrival at the client; "declared" is the
// arrival of "node 198.51.100.1: is dead" in alpha's ha-log (inotify), which splits the cut into detection
// (deadping and the ping cadence, the daemon's) and what follows (ipfail's exchange, the hand-over).
// Between steps: until both logs have been quiet for 1.5 s. HBTS_BENCH_IPFAIL_ROUNDS sets the rounds (default 3).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLab, type Lab, type StartedProcess } from '../helpers/netns.js';
import { distDir } from '../helpers/paths.js';
import { REAL_HEARTBEAT, logPath } from '../helpers/real-heartbeat.js';
import { setUpWebNode } from '../helpers/web.js';
import { cutPing, IPFAIL_VIP as VIP, PING_NODE, preparePingCut, REAL_IPFAIL, restorePing, startIpfailNode, writeIpfailNode, type IpfailNode, type IpfailTimers } from '../helpers/ipfail-pair.js';
import { BenchContext, fileAppears, inBenchContext, median, missingPrerequisites, sleep, waitForQuietLogs } from './common.js';
import { recordRow } from './summary.js';

const ROUNDS = Number(process.env['HBTS_BENCH_IPFAIL_ROUNDS'] ?? '') || 3;
const TIMERS: IpfailTimers = { keepalive: '1', warntime: '2', deadtime: '5', initdead: '10', deadping: '5' };
const DEADPING_MS = 5000;
const TARGET_MS = DEADPING_MS + 1000;
const POLL_MS = 20;
const REQUEST_TIMEOUT_MS = 250;
const QUIET_MS = 1500;

type Impl = 'ours' | 'real';
const NODE: Record<Impl, IpfailNode> = { ours: { daemon: 'ours', ipfail: 'ours' }, real: { daemon: 'real', ipfail: 'real' } };

interface PairResult {
  readonly impl: Impl;
  readonly cut: number[];
  readonly cutAfterDeclared: number[];
  readonly back: number[];
  error?: string;
}

/** The poller's answers "START END BODY" as [arrival ms, node]. */
function answers(file: string): [number, string][] {
  let text = '';
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch {
    return [];
  }
  return text.split('\n').flatMap((l): [number, string][] => {
    const m = /^\d+ (\d+) (\S+)$/.exec(l);
    return m === null || m[2] === '-' ? [] : [[Number(m[1]), m[2] ?? '']];
  });
}

async function servedBy(file: string, node: string, since: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = answers(file).find(([at, n]) => n === node && at >= since);
    if (hit !== undefined) return hit[0];
    if (Date.now() > deadline) throw new Error(`not served by ${node} within ${timeoutMs} ms`);
    await sleep(10);
  }
}

async function drive(ctx: BenchContext, impl: Impl, label: string): Promise<PairResult> {
  const r: PairResult = { impl, cut: [], cutAfterDeclared: [], back: [] };
  const procs: (StartedProcess | undefined)[] = [];
  try {
    const lab: Lab = await createLab(ctx.asTestContext, { nodes: [{ name: 'alpha' }, { name: 'bravo' }, { name: 'client', isolated: false }], label });
    for (const n of ['alpha', 'bravo']) {
      writeIpfailNode(lab, n, NODE[impl], TIMERS, ' httpd::/etc/ha.d/httpd.conf');
      setUpWebNode(lab, n, VIP);
    }
    await preparePingCut(lab, 'alpha');
    const samples = path.join(lab.root, 'client-samples.txt');
    lab.start('client', [process.execPath, path.join(distDir, 'test', 'helpers', 'http-poller.js'), `http://${VIP}/hostname.html`, samples, String(POLL_MS), String(REQUEST_TIMEOUT_MS), '600000']);
    const t0 = Date.now();
    procs.push(...(await Promise.all([startIpfailNode(lab, 'alpha', NODE[impl]), startIpfailNode(lab, 'bravo', NODE[impl])])));
    await servedBy(samples, 'alpha', t0, 60_000);
    // Both ipfails signed on and compared counts (the real pair also sends its start-up foreign give-up).
    await sleep(3000);
    await waitForQuietLogs(lab, ['alpha', 'bravo'], QUIET_MS, 30_000);
    const log = logPath(lab, 'alpha');
    for (let k = 0; k < ROUNDS; k++) {
      const declared = fileAppears(log, `node ${PING_NODE}: is dead`, DEADPING_MS + 20_000);
      declared.catch(() => undefined);
      const cutAt = Date.now();
      await cutPing(lab, 'alpha', true);
      const away = await servedBy(samples, 'bravo', cutAt, DEADPING_MS + 30_000);
      r.cut.push(away - cutAt);
      r.cutAfterDeclared.push(away - (await declared));
      await waitForQuietLogs(lab, ['alpha', 'bravo'], QUIET_MS, 30_000);
      const backAt = Date.now();
      await restorePing(lab, 'alpha', true);
      r.back.push((await servedBy(samples, 'alpha', backAt, 30_000)) - backAt);
      await waitForQuietLogs(lab, ['alpha', 'bravo'], QUIET_MS, 30_000);
    }
  } catch (e) {
    r.error = (e as Error).message;
  } finally {
    for (const p of procs) await p?.stop(30_000).catch(() => undefined);
  }
  return r;
}

const s = (ms: number): string => (ms / 1000).toFixed(2);
function cell(xs: readonly number[]): string {
  if (xs.length === 0) return '—';
  return `${s(Math.min(...xs))} / ${s(median(xs))} / ${s(Math.max(...xs))} s`;
}
const pad = (t: string, w: number): string => (t.length >= w ? t : t + ' '.repeat(w - t.length));

export async function benchIpfail(): Promise<string[]> {
  const lines = [
    `ipfail: keepalive 1, deadtime 5, ping ${PING_NODE}, deadping 5, auto_failback on; \`alpha IPaddr2::${VIP}/24/eth0 httpd\`; client GET every ${POLL_MS} ms; heartbeat-ts + our ipfail vs Heartbeat 3.0.6 + its ipfail, one pair after the other, same run; ${ROUNDS} rounds each`,
  ];
  const missing = missingPrerequisites(['ip', 'nsenter', 'unshare', 'nft', 'ping', 'apache2'], [REAL_HEARTBEAT, REAL_IPFAIL]);
  if (missing.length > 0) return [...lines, `ipfail: skipped: needs ${missing.join(', ')}`];
  return inBenchContext('ipfail', lines, async (ctx) => {
    const started = Date.now();
    const loadBefore = os.loadavg().map((x) => x.toFixed(2)).join(' ');
    const o = await drive(ctx, 'ours', 'bipfo');
    const p1 = await ctx.close();
    const r = await drive(ctx, 'real', 'bipfr');
    const p2 = await ctx.close();
    const w = [44, 30, 30, 6];
    lines.push(`ipfail:   ${pad('scenario (min / median / max)', w[0] ?? 0)} ${pad('heartbeat-ts + our ipfail', w[1] ?? 0)} ${pad('Heartbeat 3.0.6 + ipfail', w[2] ?? 0)} ${pad('ratio', w[3] ?? 0)} target`);
    const stopped = [o, r].filter((x) => x.error !== undefined).map((x) => `${x.impl} pair stopped early`).join('; ');
    const row = (what: string, a: readonly number[], b: readonly number[], target?: number, scenario = what): void => {
      const ratio = a.length > 0 && b.length > 0 ? (median(a) / median(b)).toFixed(2) : '—';
      const met = target === undefined ? '' : `≤ ${s(target)} s: ${a.length > 0 && Math.max(...a) <= target ? 'met' : a.length > 0 && median(a) <= target ? 'met by the median, not by every run' : 'NOT met'}`;
      lines.push(`ipfail:   ${pad(what, w[0] ?? 0)} ${pad(cell(a), w[1] ?? 0)} ${pad(cell(b), w[2] ?? 0)} ${pad(ratio, w[3] ?? 0)} ${met}`);
      recordRow({ bench: 'ipfail', scenario, unit: 'ms', ours: a, real: b, ...(met !== '' ? { target: met } : {}), ...(stopped !== '' ? { note: stopped } : {}) });
    };
    row('ping cut on alpha → served by bravo', o.cut, r.cut, TARGET_MS);
    row('  of which after "is dead" on alpha', o.cutAfterDeclared, r.cutAfterDeclared, undefined, 'ping cut: "is dead" on alpha → served by bravo');
    row('ping back → served by alpha again', o.back, r.back);
    lines.push(`ipfail:   every run (ms): ours cut ${o.cut.join(' ')}, back ${o.back.join(' ')}; real cut ${r.cut.join(' ')}, back ${r.back.join(' ')}`);
    for (const x of [o, r]) if (x.error !== undefined) lines.push(`ipfail:   ${x.impl} pair stopped early: ${x.error.split('\n').slice(0, 20).join('\n    ')}`);
    const problems = [...p1, ...p2];
    if (problems.length > 0) lines.push(`ipfail:   teardown problems: ${problems.join('; ')}`);
    lines.push(`ipfail:   load average before / after: ${loadBefore} / ${os.loadavg().map((x) => x.toFixed(2)).join(' ')} on ${os.cpus().length} CPUs; ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const l of await benchIpfail()) console.log(l);
}
