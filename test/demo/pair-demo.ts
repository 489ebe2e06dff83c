// The root part of `npm run demo`: a two-node heartbeat-ts pair from the shipped etc-ha.d/ examples, in network
// namespaces, serving a web site behind the floating address (through Apache when it is installed, else through
// the demo's built-in server, node-web.ts); a client polls it while the owner loses power, the other node takes
// over, and the owner comes back and takes the site back (auto_failback on).
//
//   [alpha] eth0 198.51.100.11 ─┐
//   [bravo] eth0 198.51.100.12 ─┼── br0 198.51.100.1 (the examples' ping node)      VIP 198.51.100.10
//   [client] eth0 198.51.100.13 ┘
//
// Everything lives in namespaces created here (the lab of test/helpers/netns.ts, prefix hbts-demo-): nothing is
// added to the root namespace, every process is started here and stopped by PID, and the lab is torn down
// however the demo ends (Ctrl-C included).
import fs from 'node:fs';
import path from 'node:path';
import { cleanupStaleLabs, killPid, Lab, run } from '../helpers/netns.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import type { StartedProcess } from '../helpers/processes.js';
import { readLog, tail } from '../helpers/real-heartbeat.js';
import { distDir, repoRoot } from '../helpers/paths.js';
import { untilHeldBy, vipHolders, VipWatcher, waitForReaped } from '../helpers/vip.js';
import { longestGap, servedBy, setUpWebNode, startClient, type WebClient } from '../helpers/web.js';

/** Which web server the nodes run: Apache (resource.d/httpd) or the demo's built-in one (node-web.ts). */
export type WebServer = 'apache' | 'builtin';

const SERVER_NAME: Record<WebServer, string> = { apache: 'Apache', builtin: 'the built-in web server' };

const VIP = '198.51.100.10';
const NODES = ['alpha', 'bravo'] as const;
/** The whole demo is bounded by this (it takes ~15–25 s). */
const DEMO_LIMIT_MS = 90_000;

const tty = process.stdout.isTTY === true;
const bold = (s: string): string => (tty ? `\x1b[1m${s}\x1b[0m` : s);
const secs = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;

/** One replacement of the examples' text; fails loudly when the example no longer has the line. */
function edit(text: string, file: string, from: RegExp, to: string): string {
  if (!from.test(text)) throw new Error(`etc-ha.d/${file}: no line matching ${from} to adapt for the demo (the example changed?)`);
  return text.replace(from, to);
}

/**
 * The shipped examples, adapted to the namespaces: the same nodes, bcast eth0, ping node, auto_failback and
 * resource group; shorter timers (so the demo fits in a minute), log to a file in the node's /var/log instead of
 * syslog, no serial cable between namespaces, no ipfail, and the web server given its own config (listening on
 * the VIP): Apache through httpd::/etc/ha.d/httpd.conf, or the built-in server through node-web::VIP.
 * Returns the list of adaptations, for the reader.
 */
export function adaptExamples(
  haCf: string,
  haresources: string,
  server: WebServer = 'apache',
  havePing = true,
): { haCf: string; haresources: string; changes: string[] } {
  let cf = haCf;
  cf = edit(cf, 'ha.cf', /^logfacility\s+local0$/m, 'logfacility     none\nlogfile         /var/log/ha-log');
  cf = edit(cf, 'ha.cf', /^keepalive\s+2$/m, 'keepalive       200ms');
  cf = edit(cf, 'ha.cf', /^warntime\s+10$/m, 'warntime        500ms');
  cf = edit(cf, 'ha.cf', /^deadtime\s+30$/m, 'deadtime        1');
  cf = edit(cf, 'ha.cf', /^initdead\s+120$/m, 'initdead        2');
  cf = edit(cf, 'ha.cf', /^deadping\s+30$/m, 'deadping        2');
  cf = edit(cf, 'ha.cf', /^baud\s+19200$/m, '# baud 19200');
  cf = edit(cf, 'ha.cf', /^serial\s+\/dev\/ttyS0$/m, '# serial /dev/ttyS0');
  cf = edit(cf, 'ha.cf', /^respawn\s+hacluster\s+\/usr\/lib\/heartbeat\/ipfail$/m, '# respawn hacluster /usr/lib/heartbeat/ipfail');
  cf = edit(cf, 'ha.cf', /^apiauth\s+ipfail .*$/m, '# apiauth ipfail gid=haclient uid=hacluster');
  if (!havePing) cf = edit(cf, 'ha.cf', /^ping\s+198\.51\.100\.1$/m, '# ping 198.51.100.1');
  const web = server === 'apache' ? 'httpd::/etc/ha.d/httpd.conf' : `node-web::${VIP}`;
  const res = edit(haresources, 'haresources', /^alpha 198\.51\.100\.10\/24\/eth0 httpd$/m, `alpha 198.51.100.10/24/eth0 ${web}`);
  return {
    haCf: cf,
    haresources: res,
    changes: [
      'timers keepalive 200ms, warntime 500ms, deadtime 1, initdead 2, deadping 2 (the examples: 2, 10, 30, 120, 30)',
      'log to /var/log/ha-log in each node instead of syslog',
      'no serial line (namespaces have no null-modem cable) and no ipfail',
      ...(havePing ? [] : ['no ping node: this machine has no ping command (Debian package iputils-ping), which ping nodes need']),
      server === 'apache'
        ? 'httpd::/etc/ha.d/httpd.conf: an Apache of its own per node, listening on the VIP'
        : `httpd → node-web::${VIP}: the demo's built-in web server (test/demo/node-web.sh, .ts) in place of Apache, listening on the VIP`,
    ],
  };
}

/** The live one-line view: who runs, who holds the VIP, what the client sees. */
class StatusView {
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private lastKey = '';
  private line = '';
  private readonly t0 = Date.now();

  constructor(
    private readonly lab: Lab,
    private readonly client: WebClient,
    private readonly daemons: Map<string, StartedProcess>,
    private readonly serverLabel: string,
  ) {}

  start(): void {
    this.timer = setInterval(() => void this.tick(), 250);
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  /** Prints a line of its own above the status line. */
  say(text: string): void {
    this.clear();
    console.log(text);
    if (tty && this.line !== '') process.stdout.write(this.line);
  }

  private clear(): void {
    if (tty && this.line !== '') process.stdout.write('\r\x1b[K');
  }

  private async tick(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const holders = await vipHolders(this.lab, VIP);
      const samples = this.client.samples();
      const recent = samples.slice(-5);
      const ok = samples.filter((s) => s.node !== '').length;
      const last = recent.at(-1);
      const nodes = NODES.map((n) => {
        const p = this.daemons.get(n);
        const up = p !== undefined && p.running;
        return `${n}: ${up ? 'heartbeat up' : 'down'}${holders.includes(n) ? `, holds VIP + ${this.serverLabel}` : ''}`;
      });
      const answer = last === undefined ? 'no request yet' : last.node === '' ? 'no answer' : `answered by ${last.node}`;
      const key = `${nodes.join(' | ')} | client: ${answer}`;
      const t = ((Date.now() - this.t0) / 1000).toFixed(1).padStart(5);
      this.line = `${t} s  ${nodes.join(' │ ')} │ client: ${answer} (${ok}/${samples.length} answered)`;
      if (tty) process.stdout.write(`\r\x1b[K${this.line}`);
      else if (key !== this.lastKey) console.log(`  [status ${t} s] ${this.line.slice(8)}`);
      this.lastKey = key;
    } catch {
      /* a sample missed while a node is being torn down: the next tick will do */
    } finally {
      this.busy = false;
    }
  }
}

/**
 * Power loss: every process of the node (its daemon, scripts, web server) SIGKILLed and its address gone at once
 * (the lab's anchor stays: it only holds the namespaces); then wait until they are reaped.
 */
async function powerLoss(lab: Lab, node: string): Promise<void> {
  const anchor = lab.node(node).anchorPid;
  const pids = (await lab.pidsIn(node)).filter((p) => p !== anchor);
  for (const p of pids) killPid(p, 'SIGKILL');
  await lab.exec(node, ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0'], { timeoutMs: 5000 });
  for (const p of pids) await waitForReaped(p, 10_000);
}

/**
 * The lab binds each node's private copies onto /etc/ha.d and /var/lib/heartbeat, so those must exist as mount
 * points. A machine without Heartbeat has neither: make them (empty) and say so; cleanup removes them again.
 */
function makeMountPoints(): string[] {
  const made: string[] = [];
  for (const d of ['/etc/ha.d', '/var/lib/heartbeat']) {
    if (fs.existsSync(d)) continue;
    fs.mkdirSync(d, { recursive: true });
    made.push(d);
  }
  if (made.length > 0) console.log(`(made the empty mount points ${made.join(' and ')}; removed again at the end)`);
  return made;
}

/**
 * The built-in server in a node: www/hostname.html naming the node, and resource.d/node-web, the resource script
 * test/demo/node-web.sh behind two lines naming this Node.js and the server (resource scripts run with the
 * daemon's environment, whose PATH may not lead to them).
 */
function setUpBuiltinWebNode(lab: Lab, node: string): void {
  const dir = lab.node(node).haDir;
  fs.mkdirSync(path.join(dir, 'www'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'www', 'hostname.html'), `${node}\n`);
  fs.mkdirSync(path.join(dir, 'resource.d'), { recursive: true });
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const server = path.join(distDir, 'test', 'demo', 'node-web.js');
  const body = fs.readFileSync(path.join(repoRoot, 'test', 'demo', 'node-web.sh'), 'utf8');
  fs.writeFileSync(path.join(dir, 'resource.d', 'node-web'), `#!/bin/sh\nNODE=${q(process.execPath)}\nSERVER=${q(server)}\n${body}`, { mode: 0o755 });
  fs.chmodSync(dir, 0o755);
}

/**
 * Whether a takeover gets announced: IPaddr sends gratuitous ARP with Heartbeat's send_arp or iputils arping
 * (resource.d/.ipaddr-common.sh). A minimal Debian has neither; then the client would keep sending to the old
 * owner's MAC address until its ARP entry expires (Linux: 15–45 s, then probes), so the demo makes the client
 * namespace re-check its entries within about 2 s, and says so.
 */
async function haveArpAnnouncer(): Promise<boolean> {
  const r = await run(['sh', '-c', '[ -x /usr/libexec/heartbeat/send_arp ] || [ -x /usr/lib/heartbeat/send_arp ] || command -v arping'], { timeoutMs: 5000 });
  return r.exitCode === 0;
}

/** Short ARP timers in the client's namespace only (per-namespace sysctls, written through /proc: procps may be absent). */
async function quickArp(lab: Lab): Promise<void> {
  const dir = '/proc/sys/net/ipv4/neigh/eth0';
  const script = `echo 500 > ${dir}/base_reachable_time_ms && echo 1 > ${dir}/delay_first_probe_time && echo 0 > ${dir}/ucast_solicit && echo 200 > ${dir}/retrans_time_ms`;
  const r = await lab.exec('client', ['sh', '-c', script], { timeoutMs: 5000 });
  if (r.exitCode !== 0) throw new Error(`cannot set the client's ARP timers: ${r.stderr.trim()}`);
}

export async function runPairDemo(server: WebServer, why: string): Promise<number> {
  const started = Date.now();
  await cleanupStaleLabs().catch(() => undefined);
  const madeDirs = makeMountPoints();
  const lab = new Lab({
    nodes: [{ name: 'alpha', seedFromHost: false }, { name: 'bravo', seedFromHost: false }, { name: 'client', isolated: false }],
    label: 'demo',
  });
  const daemons = new Map<string, StartedProcess>();
  let client: WebClient | undefined;
  let view: StatusView | undefined;
  let cleaned: Promise<void> | undefined;
  const cleanup = (): Promise<void> =>
    (cleaned ??= (async () => {
      view?.stop();
      const netns = [lab.bridgeNetns, ...NODES.map((n) => lab.node(n).netns), lab.node('client').netns];
      const pids = (await Promise.all(['bridge', ...NODES, 'client'].map((n) => lab.pidsIn(n).catch(() => [])))).flat();
      await client?.stop().catch(() => undefined);
      await Promise.all([...daemons.values()].map((p) => p.stop(10_000)));
      try {
        await lab.teardown();
      } finally {
        for (const d of madeDirs) {
          try {
            fs.rmdirSync(d); // only if still empty
          } catch {
            console.log(`(${d} is not empty any more: left in place)`);
          }
        }
      }
      const left = (await run(['ip', 'netns', 'list'], { timeoutMs: 5000 })).stdout.split('\n').filter((l) => l.includes(lab.id));
      const alive = pids.filter((p) => fs.existsSync(`/proc/${p}`));
      const report = process.env['HBTS_DEMO_REPORT'];
      if (report !== undefined) fs.writeFileSync(report, JSON.stringify({ netns, pids }) + '\n');
      if (left.length > 0 || alive.length > 0) throw new Error(`left behind: namespaces ${left.join(', ') || 'none'}, pids ${alive.join(', ') || 'none'}`);
      console.log(`cleaned up: ${netns.length} namespaces deleted, ${pids.length} processes stopped by PID (none left)`);
    })());
  const onSignal = (sig: NodeJS.Signals): void => {
    console.log(`\n${sig}: cleaning up`);
    void cleanup().finally(() => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const limit = setTimeout(() => {
    console.error(`demo: still running after ${DEMO_LIMIT_MS / 1000} s: giving up`);
    void cleanup().finally(() => process.exit(1));
  }, DEMO_LIMIT_MS);

  try {
    console.log(bold('heartbeat-ts demo: a two-node pair serving a web site, in network namespaces'));
    console.log(`web server: ${SERVER_NAME[server]} (${why})`);
    await lab.setUp();
    const ex = (f: string): string => fs.readFileSync(path.join(repoRoot, 'etc-ha.d', f), 'utf8');
    const havePing = (await run(['sh', '-c', 'command -v ping'], { timeoutMs: 5000 })).exitCode === 0;
    const announce = await haveArpAnnouncer();
    if (!announce) await quickArp(lab);
    const adapted = adaptExamples(ex('ha.cf'), ex('haresources'), server, havePing);
    for (const n of NODES) {
      const dir = lab.node(n).haDir;
      fs.writeFileSync(path.join(dir, 'ha.cf'), adapted.haCf);
      fs.writeFileSync(path.join(dir, 'haresources'), adapted.haresources);
      fs.writeFileSync(path.join(dir, 'authkeys'), ex('authkeys'), { mode: 0o600 });
      if (server === 'apache') setUpWebNode(lab, n, VIP);
      else setUpBuiltinWebNode(lab, n);
    }
    console.log(`lab ${lab.id}: alpha ${lab.node('alpha').ip}, bravo ${lab.node('bravo').ip}, client ${lab.node('client').ip}${havePing ? ', ping node 198.51.100.1' : ''}; VIP ${VIP}`);
    console.log(`configuration: etc-ha.d/ (ha.cf, haresources, authkeys), adapted:\n${adapted.changes.map((c) => `  - ${c}`).join('\n')}`);
    if (!announce) {
      console.log(
        'gratuitous ARP: this machine has neither arping (Debian package iputils-arping) nor Heartbeat\'s send_arp, so a\n' +
          '  takeover is not announced; the client namespace re-checks its ARP entries within about 2 s instead (on a\n' +
          '  real network, neighbours would keep the old owner\'s MAC address for up to a minute: install iputils-arping)',
      );
    }
    console.log(`haresources: ${adapted.haresources.split('\n').filter((l) => /^[a-z]/.test(l)).join('; ')}`);

    client = startClient(lab, VIP, DEMO_LIMIT_MS, 'client');
    view = new StatusView(lab, client, daemons, server === 'apache' ? 'Apache' : 'web server');
    view.start();
    const v = view;
    const c = client;

    // 1. Cold start of both nodes: alpha (the home node) brings up the VIP and the web server.
    let at = Date.now();
    for (const n of NODES) daemons.set(n, await startOurHeartbeat(lab, n, 15_000));
    const coldMs = await servedBy(c, 'alpha', at, 30_000, lab);
    v.say(`${bold('cold start')}: both nodes up; alpha serves ${VIP} ${secs(coldMs)} after the start`);
    await new Promise((r) => setTimeout(r, 2000));

    // 2. Power loss of alpha: its daemon, web server and address vanish at once.
    at = Date.now();
    await powerLoss(lab, 'alpha');
    daemons.delete('alpha');
    v.say(`${bold('power loss of alpha')} (every process in it SIGKILLed, the address gone)`);
    const watcher = new VipWatcher(lab, VIP);
    const takeoverMs = await servedBy(c, 'bravo', at, 30_000, lab);
    await untilHeldBy(lab, VIP, 'bravo', 10_000);
    v.say(`${bold('takeover')}: bravo serves ${VIP} ${secs(takeoverMs)} after the crash (deadtime 1 s); client's longest gap ${secs(longestGap(c.samples(), at))}`);
    await new Promise((r) => setTimeout(r, 2000));

    // 3. alpha comes back: auto_failback on, so the site returns to it.
    at = Date.now();
    daemons.set('alpha', await startOurHeartbeat(lab, 'alpha', 15_000));
    const failbackMs = await servedBy(c, 'alpha', at, 30_000, lab);
    await untilHeldBy(lab, VIP, 'alpha', 10_000);
    v.say(`${bold('failback')}: alpha restarted and serves ${VIP} again ${secs(failbackMs)} after its restart; client's longest gap ${secs(longestGap(c.samples(), at))}`);
    await new Promise((r) => setTimeout(r, 1000));
    v.stop();
    const watched = await watcher.assertNeverBoth(); // throws if the VIP was on both nodes at once, or if the watcher sampled too rarely
    const all = c.samples();
    console.log(`client: ${all.filter((s) => s.node !== '').length} of ${all.length} requests answered (one every 100 ms); the VIP was never on both nodes (watched from the power loss on: ${watched})`);
    console.log(`web server used: ${SERVER_NAME[server]}`);
    await cleanup();
    console.log(`${bold('done')} in ${secs(Date.now() - started)}.`);
    return 0;
  } catch (e) {
    view?.stop();
    console.error(`demo failed: ${(e as Error).message}`);
    for (const n of NODES) {
      try {
        console.error(`--- ${n}'s log (last lines):\n${tail(readLog(lab, n), 15)}`);
      } catch {
        /* no log */
      }
    }
    await cleanup().catch((err: Error) => console.error(err.message));
    return 1;
  } finally {
    clearTimeout(limit);
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}
