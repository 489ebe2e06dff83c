// Benchmark (issue 17): a service killed on the owner while the node lives — how long until a client is served
// again, heartbeat-ts's service monitor side by side with Heartbeat 3.0.6 and keepalived in one run.
//
// Every setup is a lab of its own (alpha, bravo, a client namespace GETting http://VIP/hostname.html every 20 ms
// on a new connection, 300 ms timeout; each node's page names it) with the same Apache and resource.d/httpd:
//   heartbeat-ts, local restart  monitors: httpd checked with curl, interval=1 fall=1 (restarts=1000)
//   heartbeat-ts, hand-over      the same with restarts=0: the group goes to bravo (then `hbctl cleanup` brings
//                                it home before the next round)
//   Heartbeat 3.0.6              the same ha.cf and haresources: nothing watches Apache ("not recovered in 30 s")
//   keepalived 2.2               VRRP for the VIP (advert_int 1), vrrp_script with the same curl check at
//                                interval 1, fall 1 (run only where the VIP is, so a backup is not put in FAULT);
//                                notify_master starts the same Apache through resource.d/httpd, notify_backup and
//                                notify_fault stop it; the owner's priority is higher (it takes the VIP back).
// Figure: from the SIGKILL of every Apache process on alpha to the client's first answer after the outage began
// (the request's start); each kill comes 2–3 s (at random) after the previous step, so it lands anywhere in a
// check interval. HBTS_BENCH_SERVICE_ROUNDS sets the rounds per setup (default 3).
import fs from 'node:fs';
import path from 'node:path';
import { createLab, killPid, type Lab } from '../helpers/netns.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { cliPath } from '../helpers/paths.js';
import { REAL_HEARTBEAT, writeRealConfig } from '../helpers/real-heartbeat.js';
import { setUpWebNode, startClient, type WebClient } from '../helpers/web.js';
import { BenchContext, inBenchContext, median, missingPrerequisites, sleep } from './common.js';
import { recordRow } from './summary.js';

const VIP = '198.51.100.100';
const KEY = 'Bench-Svc_17';
const HTTPD = 'httpd::/etc/ha.d/httpd.conf';
const ROUNDS = Number(process.env['HBTS_BENCH_SERVICE_ROUNDS'] ?? '') || 3;
const CHECK = `curl -fsS -m 1 -o /dev/null http://${VIP}/hostname.html`;
const NEVER_MS = 30_000;

/** 2–3 s after the previous step, at a random point: the kill lands anywhere in a check interval. */
const jitter = (): number => 2000 + Math.floor(Math.random() * 1000);

type Setup = 'ours-local' | 'ours-handover' | 'real' | 'keepalived';

async function apachePids(lab: Lab, node: string): Promise<number[]> {
  const out: number[] = [];
  for (const pid of await lab.pidsIn(node)) {
    try {
      if (fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'apache2') out.push(pid);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** SIGKILL every Apache process on the node; returns the time just before the signals. */
async function killApache(lab: Lab, node: string): Promise<number> {
  const pids = await apachePids(lab, node);
  if (pids.length === 0) throw new Error(`no Apache runs in ${node}`);
  const t0 = Date.now();
  for (const p of pids) killPid(p, 'SIGKILL');
  return t0;
}

/** The first answer (from `node`, or anyone) started after the first failed request started after t0. */
async function servedAgain(client: WebClient, t0: number, node: string | undefined, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const after = client.samples().filter((s) => s.atMs >= t0);
    const firstFail = after.find((s) => s.node === '');
    if (firstFail !== undefined) {
      const hit = after.find((s) => s.atMs > firstFail.atMs && s.node !== '' && (node === undefined || s.node === node));
      if (hit !== undefined) return hit.atMs - t0;
    }
    if (Date.now() > deadline) return undefined;
    await sleep(50);
  }
}

/** Until `node` answers (bounded). */
async function until(client: WebClient, node: string, timeoutMs: number, what: string): Promise<void> {
  const since = Date.now();
  const deadline = since + timeoutMs;
  while (!client.samples().some((s) => s.atMs >= since && s.node === node)) {
    if (Date.now() > deadline) throw new Error(`service bench: ${what}: ${node} did not answer within ${timeoutMs} ms`);
    await sleep(50);
  }
}

function keepalivedConf(node: string, priority: number): string {
  return [
    'global_defs {',
    `  router_id ${node}`,
    '  script_user root',
    '  enable_script_security',
    '}',
    'vrrp_script chk_httpd {',
    '  script "/etc/ha.d/chk_httpd"',
    '  interval 1',
    '  timeout 2',
    '  fall 1',
    '  rise 1',
    '}',
    'vrrp_instance web {',
    '  state BACKUP',
    '  interface eth0',
    '  virtual_router_id 17',
    `  priority ${priority}`,
    '  advert_int 1',
    `  virtual_ipaddress {\n    ${VIP}/24 dev eth0\n  }`,
    '  track_script {\n    chk_httpd\n  }',
    `  notify_master "/etc/ha.d/resource.d/httpd /etc/ha.d/httpd.conf start"`,
    `  notify_backup "/etc/ha.d/resource.d/httpd /etc/ha.d/httpd.conf stop"`,
    `  notify_fault "/etc/ha.d/resource.d/httpd /etc/ha.d/httpd.conf stop"`,
    '}',
    '',
  ].join('\n');
}

async function setup(ctx: BenchContext, kind: Setup, lines: string[]): Promise<number[]> {
  const lab = await createLab(ctx.asTestContext, { nodes: [{ name: 'alpha' }, { name: 'bravo' }, { name: 'client', isolated: false }], label: ({ 'ours-local': 'bsvloc', 'ours-handover': 'bsvhand', real: 'bsvreal', keepalived: 'bsvka' } as const)[kind], bridgeAddress: null });
  for (const n of ['alpha', 'bravo']) {
    writeRealConfig(lab, n, { nodes: ['alpha', 'bravo'], method: 'sha1', key: KEY });
    fs.writeFileSync(path.join(lab.node(n).haDir, 'haresources'), `alpha IPaddr2::${VIP}/24/eth0 ${HTTPD}\n`);
    setUpWebNode(lab, n, VIP);
    if (kind !== 'real') fs.rmSync(path.join(lab.node(n).haDir, 'resource.d', 'IPaddr2'), { force: true });
  }
  const client = startClient(lab, VIP, 600_000, 'client', 20);
  ctx.after(() => client.stop());
  const samples: number[] = [];
  if (kind === 'ours-local' || kind === 'ours-handover') {
    fs.writeFileSync(path.join(lab.node('alpha').haDir, 'monitors'), `${HTTPD} interval=1 timeout=2 fall=1 restarts=${kind === 'ours-local' ? 1000 : 0} check=${CHECK}\n`);
    for (const n of ['alpha', 'bravo']) {
      const p = await startOurHeartbeat(lab, n);
      ctx.after(() => p.stop(20_000));
    }
    await until(client, 'alpha', 40_000, 'cold start');
    for (let i = 0; i < ROUNDS; i++) {
      await sleep(jitter());
      const t0 = await killApache(lab, 'alpha');
      const ms = await servedAgain(client, t0, kind === 'ours-local' ? 'alpha' : 'bravo', NEVER_MS);
      if (ms === undefined) throw new Error(`service bench: ${kind}: not served again within ${NEVER_MS} ms`);
      samples.push(ms);
      if (kind === 'ours-handover') {
        const c = await lab.exec('alpha', [process.execPath, cliPath('hbctl'), 'cleanup'], { timeoutMs: 10_000 });
        if (c.exitCode !== 0) throw new Error(`hbctl cleanup: ${c.stderr}`);
        await until(client, 'alpha', 40_000, 'home again after hbctl cleanup');
      }
    }
  } else if (kind === 'real') {
    for (const n of ['alpha', 'bravo']) {
      const r = await lab.exec(n, [REAL_HEARTBEAT], { timeoutMs: 10_000 });
      if (r.exitCode !== 0) throw new Error(`${REAL_HEARTBEAT} in ${n}: ${r.stderr}`);
      ctx.after(() => lab.exec(n, [REAL_HEARTBEAT, '-k'], { timeoutMs: 40_000 }));
    }
    await until(client, 'alpha', 60_000, 'cold start');
    await sleep(jitter());
    const t0 = await killApache(lab, 'alpha');
    const ms = await servedAgain(client, t0, undefined, NEVER_MS);
    if (ms !== undefined) samples.push(ms);
    lines.push(`service: Heartbeat 3.0.6: ${ms === undefined ? `not recovered in ${NEVER_MS / 1000} s` : `served again after ${ms} ms (unexpected)`}`);
  } else {
    for (const [n, prio] of [['alpha', 150], ['bravo', 100]] as const) {
      const dir = lab.node(n).haDir;
      fs.writeFileSync(path.join(dir, 'keepalived.conf'), keepalivedConf(n, prio));
      // The check runs only where the VIP is: a backup without Apache must not go to FAULT.
      fs.writeFileSync(path.join(dir, 'chk_httpd'), `#!/bin/sh\nip -o -4 addr show dev eth0 | grep -q ' ${VIP}/' || exit 0\nexec ${CHECK}\n`, { mode: 0o755 });
      const p = lab.start(n, ['keepalived', '-n', '-l', '-P', '-f', '/etc/ha.d/keepalived.conf', '-p', '/run/hbts-keepalived.pid', '-r', '/run/hbts-keepalived-vrrp.pid']);
      ctx.after(() => p.stop(10_000));
    }
    await until(client, 'alpha', 60_000, 'keepalived start');
    for (let i = 0; i < ROUNDS; i++) {
      await sleep(jitter());
      const t0 = await killApache(lab, 'alpha');
      const ms = await servedAgain(client, t0, undefined, NEVER_MS);
      if (ms === undefined) throw new Error(`service bench: keepalived: not served again within ${NEVER_MS} ms`);
      samples.push(ms);
      await until(client, 'alpha', 60_000, 'keepalived: alpha takes the VIP back');
    }
  }
  return samples;
}

export async function benchService(): Promise<string[]> {
  const lines: string[] = [];
  const missing = missingPrerequisites(['nsenter', 'curl', 'apache2', 'keepalived'], [REAL_HEARTBEAT]);
  if (missing.length > 0) return [`service: skipped (missing: ${missing.join(', ')})`];
  return inBenchContext("service", lines, async () => {
    const results = new Map<Setup, number[]>();
    for (const kind of ['ours-local', 'ours-handover', 'real', 'keepalived'] as const) {
      const c = new BenchContext();
      try {
        const xs = await setup(c, kind, lines);
        results.set(kind, xs);
        console.log(`service: ${kind}: ${xs.join(', ') || 'none'} ms`);
      } finally {
        const problems = await c.close();
        if (problems.length > 0) lines.push(`service: ${kind}: teardown problems: ${problems.join('; ')}`);
      }
    }
    const show = (xs: readonly number[]): string => (xs.length === 0 ? '—' : `median ${median(xs)} ms (${xs.join(', ')} ms)`);
    const local = results.get('ours-local') ?? [];
    const hand = results.get('ours-handover') ?? [];
    const ka = results.get('keepalived') ?? [];
    lines.push(`service: Apache killed on the owner → served again (client, 20 ms polls), interval 1 s, fall 1:`);
    lines.push(`service:   heartbeat-ts, local restart: ${show(local)}; target ≤ 1500 ms`);
    lines.push(`service:   heartbeat-ts, hand-over:     ${show(hand)}; target ≤ 2000 ms`);
    lines.push(`service:   Heartbeat 3.0.6:             ${(results.get('real') ?? []).length === 0 ? `not recovered in ${NEVER_MS / 1000} s` : show(results.get('real') ?? [])}`);
    lines.push(`service:   keepalived 2.2 (vrrp_script): ${show(ka)}`);
    recordRow({ bench: 'service', scenario: 'Apache killed → served again: heartbeat-ts local restart vs Heartbeat 3.0.6', unit: 'ms', ours: local, real: results.get('real') ?? [], target: `≤ 1500 ms${local.length > 0 && Math.max(...local) <= 1500 ? ' (met)' : ' (NOT met)'}`, note: (results.get('real') ?? []).length === 0 ? `Heartbeat 3.0.6: not recovered in ${NEVER_MS / 1000} s` : 'Heartbeat 3.0.6 recovered?' });
    recordRow({ bench: 'service', scenario: 'Apache killed → served again: heartbeat-ts hand-over', unit: 'ms', ours: hand, real: [], target: `≤ 2000 ms${hand.length > 0 && Math.max(...hand) <= 2000 ? ' (met)' : ' (NOT met)'}` });
    recordRow({ bench: 'service', scenario: 'Apache killed → served again: keepalived 2.2 vrrp_script (in the ours column)', unit: 'ms', ours: ka, real: [], note: 'keepalived, same check, interval and fall' });
  });
}
