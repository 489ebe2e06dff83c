// One pair under the resource benchmark: two nodes serving a VIP + Apache, a polling client, a capture, a tracer.
//
//   [alpha]  home of `alpha 198.51.100.100/24/eth0 httpd::/etc/ha.d/httpd.conf`   (heartbeat-ts or Heartbeat 3.0.6)
//   [bravo]  the other node; tcpdump here records every heartbeat packet alpha sends (kernel timestamps)
//   [client] http-poller.js: GET http://VIP/hostname.html every POLL_MS on a new connection; each node's
//            hostname.html names the node, so every answer says who served it
// Both implementations get the same ha.cf, authkeys, haresources and the same resource.d/httpd (ours, linked
// into the node's /etc/ha.d/resource.d). The bare address runs IPaddr as each implementation ships it:
// Debian's resource.d/IPaddr (an OCF wrapper) under Heartbeat, heartbeat-ts's own resource.d/IPaddr under
// heartbeat-ts (Debian's is removed from those nodes' resource.d, so the daemon falls back to ours).
// For heartbeat-ts pairs, proc-events.py reports when the daemons fork and reap their script children.
import fs from 'node:fs';
import path from 'node:path';
import { decodeFrame, readPcap } from '../../src/wire/index.js';
import { createLab, killPid, startProcess, type Lab, type StartedProcess } from '../helpers/netns.js';
import { cliPath, distDir, repoRoot } from '../helpers/paths.js';
import { failedStopMarker } from '../helpers/our-heartbeat.js';
import { apacheConf } from '../helpers/web.js';
import { readLog, REAL_HEARTBEAT, tail, writeRealConfig } from '../helpers/real-heartbeat.js';
import { waitForReaped } from '../helpers/vip.js';
import { nodePids, sleep, type BenchContext } from './common.js';

export const VIP = '198.51.100.100';
const KEY = 'Bench-Res_5';
export const POLL_MS = 20;
export const REQUEST_TIMEOUT_MS = 250;
const CLIENT_MAX_MS = 300_000;
const STOCK_HB_STANDBY = '/usr/share/heartbeat/hb_standby';
const STOCK_HB_TAKEOVER = '/usr/share/heartbeat/hb_takeover';
export const TRACER = path.join(repoRoot, 'test', 'bench', 'proc-events.py');
/** The httpd resource script both pairs run; HBTS_BENCH_HTTPD names another (to compare versions of it). */
export const HTTPD_SCRIPT = path.resolve(process.env['HBTS_BENCH_HTTPD'] ?? path.join(repoRoot, 'resource.d', 'httpd'));

export type Impl = 'ours' | 'real';
/**
 * classic: the haresources line above, our resource.d/httpd in both pairs, each side's own IPaddr.
 * migrated (issue 18): a node as migrated from Heartbeat — `alpha 198.51.100.100/24/eth0 apache2`, Debian's stock
 * resource.d (IPaddr: the OCF wrapper) and /etc/init.d/apache2 on the system Apache (default site, whose
 * /var/www/html is the node's own directory, bind-mounted in its mount namespace) on both implementations.
 */
export type Variant = 'classic' | 'migrated';
/** `mixed`: alpha (the owner) runs Heartbeat 3.0.6, bravo runs heartbeat-ts. */
export type PairKind = Impl | 'mixed';

/** Which implementation runs on the node in a pair of that kind. */
export function implOf(kind: PairKind, node: string): Impl {
  return kind === 'mixed' ? (node === 'alpha' ? 'real' : 'ours') : kind;
}

export interface Timing {
  readonly label: string;
  readonly keepalive: string;
  readonly warntime: string;
  readonly deadtime: string;
  readonly initdead: string;
  readonly deadtimeMs: number;
  /** Power-loss rounds per pair. */
  readonly crashes: number;
}

/** One answer (or failure) seen by the client; node is '' when the request failed. */
export interface Sample {
  readonly start: number;
  readonly end: number;
  readonly node: string;
}

/** One resource script the daemon ran, from the kernel's process events. */
export interface Op {
  readonly node: string;
  readonly pid: number;
  readonly fork: number;
  exit?: number;
  what: string;
}

export class Pair {
  readonly ours = new Map<string, StartedProcess>();
  /** When each node's daemon was last launched (Date.now). */
  readonly startedAt = new Map<string, number>();
  private readonly samples: Sample[] = [];
  private samplesOffset = 0;
  private samplesPartial = '';
  private readonly ops: Op[] = [];
  private readonly opsByPid = new Map<number, Op>();
  private tracer: StartedProcess | undefined;
  private tracerOffset = 0;
  private readonly nsToNode = new Map<string, string>();
  readonly samplesFile: string;
  readonly pcapFile: string;

  private constructor(
    readonly lab: Lab,
    readonly impl: PairKind,
    readonly timing: Timing,
  ) {
    this.samplesFile = path.join(lab.root, 'client-samples.txt');
    this.pcapFile = path.join(lab.node('bravo').logDir, 'bench.pcap');
  }

  static async create(ctx: BenchContext, impl: PairKind, timing: Timing, label: string, variant: Variant = 'classic'): Promise<Pair> {
    const lab = await createLab(ctx.asTestContext, { nodes: [{ name: 'alpha' }, { name: 'bravo' }, { name: 'client', isolated: false }], label, bridgeAddress: null });
    const pair = new Pair(lab, impl, timing);
    for (const n of ['alpha', 'bravo']) {
      writeRealConfig(lab, n, { nodes: ['alpha', 'bravo'], method: 'sha1', key: KEY, keepalive: timing.keepalive, warntime: timing.warntime, deadtime: timing.deadtime, initdead: timing.initdead });
      const dir = lab.node(n).haDir;
      if (variant === 'migrated') {
        fs.writeFileSync(path.join(dir, 'haresources'), `alpha ${VIP}/24/eth0 apache2\n`);
        fs.mkdirSync(path.join(dir, 'www'), { recursive: true });
        fs.writeFileSync(path.join(dir, 'www', 'hostname.html'), `${n}\n`);
        fs.chmodSync(dir, 0o755);
        fs.mkdirSync(path.join(lab.node(n).logDir, 'apache2'), { recursive: true });
        const bind = await lab.exec(n, ['mount', '--bind', '/etc/ha.d/www', '/var/www/html'], { timeoutMs: 5000 });
        if (bind.exitCode !== 0) throw new Error(`${n}: cannot bind its www over /var/www/html: ${bind.stderr.trim()}`);
        pair.nsToNode.set(lab.node(n).netns, n);
        continue;
      }
      fs.writeFileSync(path.join(dir, 'haresources'), `alpha ${VIP}/24/eth0 httpd::/etc/ha.d/httpd.conf\n`);
      fs.writeFileSync(path.join(dir, 'httpd.conf'), apacheConf(n, VIP));
      fs.mkdirSync(path.join(dir, 'www'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'www', 'hostname.html'), `${n}\n`);
      fs.chmodSync(dir, 0o755);
      const rd = path.join(dir, 'resource.d');
      fs.rmSync(path.join(rd, 'httpd'), { force: true });
      fs.symlinkSync(HTTPD_SCRIPT, path.join(rd, 'httpd'));
      if (implOf(impl, n) === 'ours') fs.rmSync(path.join(rd, 'IPaddr'), { force: true }); // → heartbeat-ts's own IPaddr
      pair.nsToNode.set(lab.node(n).netns, n);
    }
    const alphaIp = lab.node('alpha').ip;
    const dump = lab.start('bravo', ['tcpdump', '-i', 'eth0', '-Q', 'in', '-U', '-n', '-Z', 'root', '-s', '0', '-w', '/var/log/bench.pcap', 'udp', 'port', '694', 'and', 'src', 'host', alphaIp]);
    await dump.waitForOutput(/listening on eth0/, 10_000);
    lab.start('client', [process.execPath, path.join(distDir, 'test', 'helpers', 'http-poller.js'), `http://${VIP}/hostname.html`, pair.samplesFile, String(POLL_MS), String(REQUEST_TIMEOUT_MS), String(CLIENT_MAX_MS)]);
    if (impl === 'ours') {
      const tracer = startProcess(['python3', TRACER, lab.node('alpha').netns, lab.node('bravo').netns]);
      ctx.after(() => tracer.stop(2000));
      await tracer.waitForOutput(/"e":"ready"/, 10_000);
      pair.tracer = tracer;
    }
    return pair;
  }

  /* ------------------------------------------------------------ driving the nodes */

  /** Starts the node's daemon; returns once it has been launched (the real one has daemonized). */
  async start(node: string): Promise<void> {
    this.startedAt.set(node, Date.now());
    if (implOf(this.impl, node) === 'ours') {
      this.ours.set(node, this.lab.start(node, [process.execPath, cliPath('heartbeat'), '-f', '--failed-stop-command', `/usr/bin/touch ${failedStopMarker(this.lab, node)}`]));
      return;
    }
    const r = await this.lab.exec(node, [REAL_HEARTBEAT], { timeoutMs: 10_000 });
    if (r.exitCode !== 0) throw new Error(`${REAL_HEARTBEAT} in ${node} exited ${r.exitCode}: ${r.stderr.trim()}\n${tail(readLog(this.lab, node), 20)}`);
  }

  /**
   * Power loss: SIGKILL every process of the node (daemon, Apache, an ARP sender) by PID in one loop, then
   * the address is removed. Returns the time just before the first kill.
   */
  async crash(node: string): Promise<number> {
    const pids = await nodePids(this.lab, node);
    if (pids.length === 0) throw new Error(`${node}: nothing runs there to crash`);
    const at = Date.now();
    for (const p of pids) killPid(p, 'SIGKILL');
    await this.lab.exec(node, ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0'], { timeoutMs: 5000 });
    for (const p of pids) if (!(await waitForReaped(p, 10_000))) throw new Error(`${node}: pid ${p} survived SIGKILL`);
    await this.ours.get(node)?.exited;
    return at;
  }

  /** Clean stop (ours: SIGTERM to `heartbeat -f`; real: `heartbeat -k`); resolves once the daemon is gone. */
  cleanStop(node: string): Promise<void> {
    if (implOf(this.impl, node) === 'ours') {
      const p = this.ours.get(node);
      if (p === undefined) return Promise.reject(new Error(`${node}: ours not running`));
      return p.stop(30_000);
    }
    return this.lab.exec(node, [REAL_HEARTBEAT, '-k'], { timeoutMs: 30_000 }).then(async (r) => {
      if (r.exitCode !== 0) throw new Error(`heartbeat -k in ${node}: exit ${r.exitCode} ${r.stderr.trim()}`);
      const deadline = Date.now() + 10_000;
      while ((await nodePids(this.lab, node)).length > 0 && Date.now() < deadline) await sleep(100);
    });
  }

  /** hb_standby / hb_takeover on the node (ours: our CLIs; real: the stock scripts). */
  async handOff(node: string, what: 'standby' | 'takeover'): Promise<void> {
    const argv = implOf(this.impl, node) === 'ours' ? [process.execPath, cliPath(what === 'standby' ? 'hb-standby' : 'hb-takeover')] : [what === 'standby' ? STOCK_HB_STANDBY : STOCK_HB_TAKEOVER];
    const r = await this.lab.exec(node, argv, { timeoutMs: 10_000 });
    if (r.exitCode !== 0) throw new Error(`hb_${what} in ${node}: exit ${r.exitCode} ${r.stderr.trim()}`);
  }

  /* ------------------------------------------------------------ what the client saw */

  /** Every sample so far (the poller's file read on from where we stopped). */
  readSamples(): readonly Sample[] {
    let fd: number | undefined;
    try {
      fd = fs.openSync(this.samplesFile, 'r');
      const size = fs.fstatSync(fd).size;
      if (size > this.samplesOffset) {
        const buf = Buffer.alloc(size - this.samplesOffset);
        const got = fs.readSync(fd, buf, 0, buf.length, this.samplesOffset);
        this.samplesOffset += got;
        const text = this.samplesPartial + buf.subarray(0, got).toString('utf8');
        const lines = text.split('\n');
        this.samplesPartial = lines.pop() ?? '';
        for (const l of lines) {
          const [s, e, body] = l.split(' ');
          if (s === undefined || e === undefined) continue;
          this.samples.push({ start: Number(s), end: Number(e), node: body === undefined || body === '-' ? '' : body });
        }
      }
    } catch {
      /* not written yet */
    } finally {
      if (fd !== undefined) fs.closeSync(fd);
    }
    return this.samples;
  }

  /** The first answer from `node` that arrived at or after `since` (every 10 ms, at most timeoutMs). */
  async servedBy(node: string, since: number, timeoutMs: number): Promise<Sample> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const hit = this.readSamples()
        .filter((s) => s.node === node && s.end >= since)
        .reduce<Sample | undefined>((a, s) => (a === undefined || s.end < a.end ? s : a), undefined);
      if (hit !== undefined) return hit;
      if (Date.now() > deadline) {
        const last = this.samples.slice(-8).map((s) => s.node || '-').join(',');
        throw new Error(
          `${this.impl} ${this.timing.label}: not served by ${node} within ${timeoutMs} ms (last answers: ${last})\n` +
            `alpha:\n${tail(readLog(this.lab, 'alpha'), 25)}\nbravo:\n${tail(readLog(this.lab, 'bravo'), 25)}`,
        );
      }
      await sleep(10);
    }
  }

  /**
   * The longest time between two consecutive successful answers (by arrival) among those arriving in
   * [from, to], counting from the last success before `from`. With a request every POLL_MS, a healthy
   * service shows ≈ POLL_MS.
   */
  longestGap(from: number, to: number): number {
    const ok = this.readSamples()
      .filter((s) => s.node !== '')
      .map((s) => s.end)
      .sort((a, b) => a - b);
    const before = ok.filter((t) => t < from).pop();
    const inside = ok.filter((t) => t >= from && t <= to);
    const seq = before === undefined ? inside : [before, ...inside];
    let gap = 0;
    for (let i = 1; i < seq.length; i++) gap = Math.max(gap, (seq[i] as number) - (seq[i - 1] as number));
    return gap;
  }

  /** How many requests failed in [from, to] (by start time). */
  failures(from: number, to: number): number {
    return this.readSamples().filter((s) => s.node === '' && s.start >= from && s.start <= to).length;
  }

  /* ------------------------------------------------------------ what the wire and the kernel saw */

  /**
   * The last packet bravo received from alpha before `beforeMs`, and the last `t=status` one (what both daemons
   * count deadtime from, spec §6.4): times in ms with µs precision (kernel capture timestamps).
   */
  lastHeardFromAlpha(beforeMs: number): { at: number; type: string; statusAt: number } {
    const cap = readPcap(fs.readFileSync(this.pcapFile));
    if (!cap.ok) throw new Error(`${this.pcapFile}: ${cap.error}`);
    const src = this.lab.node('alpha').ip;
    let last: { at: number; type: string } | undefined;
    let statusAt: number | undefined;
    for (const p of cap.value.packets) {
      if (p.src !== src || p.timeUs >= beforeMs * 1000) continue;
      const f = decodeFrame(p.payload);
      const m = f.ok ? (f.value.inner ?? f.value.message) : undefined;
      const t = m?.fields.find((x) => x.name === 't');
      const type = t !== undefined && t.type === 0 ? Buffer.from(t.value).toString('latin1') : '?';
      const at = p.timeUs / 1000;
      if (last === undefined || at >= last.at) last = { at, type };
      if (type === 'status' && (statusAt === undefined || at >= statusAt)) statusAt = at;
    }
    if (last === undefined || statusAt === undefined) throw new Error('no status packet from alpha captured on bravo');
    return { ...last, statusAt };
  }

  /** The scripts our daemons ran so far (fork → exit, kernel times), in fork order. */
  scriptOps(): readonly Op[] {
    if (this.tracer === undefined) return [];
    const text = this.tracer.stdout;
    const lines = text.slice(this.tracerOffset).split('\n');
    const rest = lines.pop() ?? '';
    this.tracerOffset = text.length - rest.length;
    for (const l of lines) {
      let ev: { e: string; t: number; pid: number; ns?: string; argv?: string[] };
      try {
        ev = JSON.parse(l) as typeof ev;
      } catch {
        continue;
      }
      if (ev.e === 'fork') {
        const op: Op = { node: this.nsToNode.get(ev.ns ?? '') ?? '?', pid: ev.pid, fork: ev.t, what: '?' };
        this.ops.push(op);
        this.opsByPid.set(ev.pid, op);
      } else if (ev.e === 'exec') {
        const op = this.opsByPid.get(ev.pid);
        const argv = ev.argv ?? [];
        // "/bin/sh /…/resource.d/IPaddr 198.51.100.100/24/eth0 start" → "IPaddr start"
        const script = argv.find((a) => a.includes('/resource.d/') || a.includes('/init.d/')) ?? argv[0] ?? '?';
        if (op !== undefined) op.what = `${path.basename(script)} ${argv[argv.length - 1] ?? '?'}`;
      } else if (ev.e === 'exit') {
        const op = this.opsByPid.get(ev.pid);
        if (op !== undefined) {
          op.exit = ev.t;
          this.opsByPid.delete(ev.pid);
        }
      } else if (ev.e === 'lost') {
        throw new Error(`proc-events lost events: ${l}`);
      }
    }
    return this.ops;
  }
}
