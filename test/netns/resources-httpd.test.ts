// The HOWTO deployment: a VIP and Apache httpd in one group; a client polls http://VIP/hostname.html every 100 ms.
//
//   [alpha] heartbeat-ts, home of `alpha IPaddr2::198.51.100.100/24/eth0 httpd::/etc/ha.d/httpd.conf`
//   [bravo] heartbeat-ts
//   [client] curl every 100 ms (bounded), recording which node answered
// Each node's private /etc/ha.d holds its own Apache configuration and a hostname.html naming the node.
// Steps: cold start → served by alpha; power loss of alpha (daemon, Apache and address gone at once) →
// served by bravo; alpha restarted → served by alpha again (auto_failback on); clean stop of alpha → bravo.
// The address is never on both nodes; the client's gaps are reported.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLab, killPid, type Lab } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { writePairConfig } from '../helpers/pair-config.js';
import { readLog, tail } from '../helpers/real-heartbeat.js';
import { vipHolders, waitForReaped } from '../helpers/vip.js';

const VIP = '198.51.100.100';

function apacheConf(node: string): string {
  return [
    'ServerRoot /etc/apache2',
    'LoadModule mpm_event_module /usr/lib/apache2/modules/mod_mpm_event.so',
    'LoadModule authz_core_module /usr/lib/apache2/modules/mod_authz_core.so',
    'User www-data',
    'Group www-data',
    `ServerName ${node}`,
    `Listen ${VIP}:80`,
    'DefaultRuntimeDir /run',
    'PidFile /run/hbts-httpd.pid',
    'ErrorLog /var/log/hbts-httpd-error.log',
    'DocumentRoot /etc/ha.d/www',
    '<Directory /etc/ha.d/www>',
    '  Require all granted',
    '</Directory>',
    '',
  ].join('\n');
}

interface Sample {
  readonly atMs: number;
  readonly node: string; // '' when nothing answered
}

/** Polls the page every 100 ms from the client until stopped (bounded by maxMs). */
function startClient(lab: Lab, maxMs: number): { samples: Sample[]; stop: () => Promise<void> } {
  const samples: Sample[] = [];
  let running = true;
  const t0 = Date.now();
  const loop = (async () => {
    while (running && Date.now() - t0 < maxMs) {
      const at = Date.now();
      const r = await lab.exec('client', ['curl', '-s', '-m', '0.3', `http://${VIP}/hostname.html`], { timeoutMs: 3000 });
      samples.push({ atMs: at, node: r.exitCode === 0 ? r.stdout.trim() : '' });
      const wait = 100 - (Date.now() - at);
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
    }
  })();
  return {
    samples,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

async function servedBy(samples: Sample[], node: string, sinceMs: number, timeoutMs: number, lab: Lab): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const hit = samples.find((s) => s.atMs >= sinceMs && s.node === node);
    if (hit !== undefined) return hit.atMs - sinceMs;
    if (Date.now() > deadline) {
      const last = samples.slice(-5).map((s) => s.node || '-').join(',');
      throw new Error(`not served by ${node} within ${timeoutMs} ms (last answers: ${last})\nalpha:\n${tail(readLog(lab, 'alpha'), 25)}\nbravo:\n${tail(readLog(lab, 'bravo'), 25)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The longest run of unanswered samples after sinceMs, in ms (0 when every poll was answered). */
function longestGap(samples: Sample[], sinceMs: number): number {
  let gap = 0;
  let start: number | undefined;
  for (const s of samples.filter((x) => x.atMs >= sinceMs)) {
    if (s.node === '') start ??= s.atMs;
    else if (start !== undefined) {
      gap = Math.max(gap, s.atMs - start);
      start = undefined;
    }
  }
  return gap;
}

test('VIP + Apache httpd follow the home node; the client is served by the expected node', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter', 'curl', 'apache2'])) return;
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }, { name: 'client', isolated: false }], label: 'rhttp', bridgeAddress: null });
  for (const n of ['alpha', 'bravo']) {
    writePairConfig(lab, n, { media: ['bcast eth0'] });
    const dir = lab.node(n).haDir;
    fs.writeFileSync(path.join(dir, 'haresources'), `alpha IPaddr2::${VIP}/24/eth0 httpd::/etc/ha.d/httpd.conf\n`);
    fs.rmSync(path.join(dir, 'resource.d', 'IPaddr2'), { force: true }); // ours, from heartbeat-ts's resource.d
    fs.writeFileSync(path.join(dir, 'httpd.conf'), apacheConf(n));
    fs.mkdirSync(path.join(dir, 'www'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'www', 'hostname.html'), `${n}\n`);
    fs.chmodSync(dir, 0o755);
  }
  const client = startClient(lab, 120_000);
  t.after(() => client.stop());
  let alpha = await startOurHeartbeat(lab, 'alpha');
  const bravo = await startOurHeartbeat(lab, 'bravo');
  const t0 = Date.now();
  const cold = await servedBy(client.samples, 'alpha', t0, 20_000, lab);
  process.stdout.write(`# cold start: served by alpha ${cold} ms after both daemons were up\n`);

  // Power loss of alpha: its daemon, its Apache and its address vanish at once.
  const t1 = Date.now();
  alpha.kill('SIGKILL');
  await alpha.exited;
  const anchor = lab.node('alpha').anchorPid;
  const rest = (await lab.pidsIn('alpha')).filter((p) => p !== anchor); // Apache's processes, by PID
  for (const p of rest) killPid(p, 'SIGKILL');
  for (const p of rest) await waitForReaped(p, 5000);
  await lab.exec('alpha', ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
  const takeover = await servedBy(client.samples, 'bravo', t1, 20_000, lab);
  process.stdout.write(`# power loss of alpha: served by bravo after ${takeover} ms (deadtime 1 s)\n`);

  // alpha returns: auto_failback on.
  alpha = await startOurHeartbeat(lab, 'alpha');
  const t2 = Date.now();
  const failback = await servedBy(client.samples, 'alpha', t2, 20_000, lab);
  await new Promise((r) => setTimeout(r, 1500));
  process.stdout.write(`# alpha restarted: served by alpha after ${failback} ms; longest client gap ${longestGap(client.samples, t2)} ms\n`);

  // Clean stop of alpha.
  const t3 = Date.now();
  const stopping = alpha.stop(15_000);
  const handover = await servedBy(client.samples, 'bravo', t3, 20_000, lab);
  await stopping;
  await new Promise((r) => setTimeout(r, 1000));
  process.stdout.write(`# clean stop of alpha: served by bravo after ${handover} ms; longest client gap ${longestGap(client.samples, t3)} ms\n`);
  assert.deepEqual(await vipHolders(lab, VIP), ['bravo']);
  await bravo.stop(15_000);
  await client.stop();
  const wrong = client.samples.filter((s) => s.node !== '' && s.node !== 'alpha' && s.node !== 'bravo');
  assert.deepEqual(wrong, []);
});
