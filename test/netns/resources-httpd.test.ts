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
import { createLab, killPid } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { writePairConfig } from '../helpers/pair-config.js';
import { longestGap, servedBy, setUpWebNode, startClient, strayAnswers } from '../helpers/web.js';
import { vipHolders, waitForReaped } from '../helpers/vip.js';

const VIP = '198.51.100.100';

test('VIP + Apache httpd follow the home node; the client is served by the expected node', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter', 'curl', 'apache2'])) return;
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }, { name: 'client', isolated: false }], label: 'rhttp', bridgeAddress: null });
  for (const n of ['alpha', 'bravo']) {
    writePairConfig(lab, n, { media: ['bcast eth0'] });
    const dir = lab.node(n).haDir;
    fs.writeFileSync(path.join(dir, 'haresources'), `alpha IPaddr2::${VIP}/24/eth0 httpd::/etc/ha.d/httpd.conf\n`);
    fs.rmSync(path.join(dir, 'resource.d', 'IPaddr2'), { force: true }); // ours, from heartbeat-ts's resource.d
    setUpWebNode(lab, n, VIP);
  }
  const client = startClient(lab, VIP, 120_000);
  t.after(() => client.stop());
  let alpha = await startOurHeartbeat(lab, 'alpha');
  const bravo = await startOurHeartbeat(lab, 'bravo');
  const t0 = Date.now();
  const cold = await servedBy(client, 'alpha', t0, 20_000, lab);
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
  const takeover = await servedBy(client, 'bravo', t1, 20_000, lab);
  process.stdout.write(`# power loss of alpha: served by bravo after ${takeover} ms (deadtime 1 s)\n`);

  // alpha returns: auto_failback on.
  alpha = await startOurHeartbeat(lab, 'alpha');
  const t2 = Date.now();
  const failback = await servedBy(client, 'alpha', t2, 20_000, lab);
  await new Promise((r) => setTimeout(r, 1500));
  process.stdout.write(`# alpha restarted: served by alpha after ${failback} ms; longest client gap ${longestGap(client.samples(), t2)} ms\n`);

  // Clean stop of alpha.
  const t3 = Date.now();
  const stopping = alpha.stop(15_000);
  const handover = await servedBy(client, 'bravo', t3, 20_000, lab);
  await stopping;
  await new Promise((r) => setTimeout(r, 1000));
  process.stdout.write(`# clean stop of alpha: served by bravo after ${handover} ms; longest client gap ${longestGap(client.samples(), t3)} ms\n`);
  assert.deepEqual(await vipHolders(lab, VIP), ['bravo']);
  await bravo.stop(15_000);
  await client.stop();
  assert.deepEqual(strayAnswers(client.samples()), []);
});
