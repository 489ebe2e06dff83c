// Two heartbeat-ts nodes move a floating address (IPaddr2) as Heartbeat would: cold start, standby/takeover (our
// CLIs and the stock scripts), power loss, failback, clean stop.
//
//   [alpha] heartbeat-ts, home of the group `alpha IPaddr2::198.51.100.100/24/eth0` (auto_failback on)
//   [bravo] heartbeat-ts
// At every step a watcher samples both namespaces every 50 ms and fails if the address is ever on both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLab } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { writePairConfig } from '../helpers/pair-config.js';
import { readLog, waitForLog } from '../helpers/real-heartbeat.js';
import { cliPath } from '../helpers/paths.js';
import { untilHeldBy, vipHolders, watchVip } from '../helpers/vip.js';

const VIP = '198.51.100.100';

test('ours ↔ ours: the floating address follows the home node (cold start, power loss, failback, clean stop)', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter'])) return;
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label: 'rpair', bridgeAddress: null });
  for (const n of ['alpha', 'bravo']) {
    writePairConfig(lab, n, { media: ['bcast eth0'] });
    fs.writeFileSync(path.join(lab.node(n).haDir, 'haresources'), `alpha IPaddr2::${VIP}/24/eth0\n`);
    // Without Debian's wrapper in the node's resource.d, the IPaddr2 shipped in heartbeat-ts's resource.d runs.
    fs.rmSync(path.join(lab.node(n).haDir, 'resource.d', 'IPaddr2'), { force: true });
  }
  // A user's rc.d hook, run through Debian's own /etc/ha.d/harc: link changes (`ifstat`) with HA_* fields.
  const hookRecord = path.join(lab.node('alpha').haDir, 'ifstat-seen');
  fs.writeFileSync(path.join(lab.node('alpha').haDir, 'rc.d', 'ifstat'), '#!/bin/sh\necho "$1 $HA_node $HA_ifname $HA_st $HA_CURHOST" >> /etc/ha.d/ifstat-seen\n', { mode: 0o755 });
  const watcher = watchVip(t, lab, VIP);
  let alpha = await startOurHeartbeat(lab, 'alpha');
  const bravo = await startOurHeartbeat(lab, 'bravo');
  const cold = await untilHeldBy(lab, VIP, 'alpha', 10_000);
  assert.match(readLog(lab, 'alpha'), /Running \S+\/resource\.d\/IPaddr2 198\.51\.100\.100\/24\/eth0 start/);
  assert.doesNotMatch(readLog(lab, 'alpha'), /Running \/etc\/ha\.d\/resource\.d\/IPaddr2/, 'our own IPaddr2 ran, not Debian\'s');
  process.stdout.write(`# cold start → alpha holds ${VIP} after ${cold} ms (both daemons started)\n`);
  await waitForLog(lab, 'alpha', () => fs.existsSync(hookRecord) && fs.readFileSync(hookRecord, 'latin1').includes('ifstat bravo eth0 up alpha'), 'rc.d/ifstat run through harc', 10_000);

  // Standby requests are refused while resources are in flux (as in Heartbeat): wait for the acquisition.
  await waitForLog(lab, 'alpha', (l) => /Resource group IPaddr2::[^ ]+ acquired/.test(l), 'initial acquisition', 10_000);
  // Standby and takeover, with our CLIs and with Heartbeat's stock scripts (they write into the same FIFO).
  // The node that gives up the resources logs the end of the exchange.
  for (const [what, argv, holder, initiator] of [
    ['our hb_standby on alpha', [process.execPath, cliPath('hb-standby')], 'bravo', 'alpha'],
    ['our hb_takeover on alpha', [process.execPath, cliPath('hb-takeover')], 'alpha', 'bravo'],
    ['stock hb_standby on alpha', ['/usr/share/heartbeat/hb_standby'], 'bravo', 'alpha'],
    ['stock hb_takeover on alpha', ['/usr/share/heartbeat/hb_takeover'], 'alpha', 'bravo'],
  ] as const) {
    const from = readLog(lab, initiator).length;
    const r = await lab.exec('alpha', [...argv], { timeoutMs: 10_000 });
    assert.equal(r.exitCode, 0, `${what}: ${r.stderr}`);
    const ms = await untilHeldBy(lab, VIP, holder, 10_000);
    await waitForLog(lab, initiator, (l) => l.slice(from).includes('Other node completed standby takeover of all resources.'), `${what} completed`, 10_000);
    process.stdout.write(`# ${what} → ${holder} holds ${VIP} after ${ms} ms\n`);
  }

  // Power loss of alpha: its daemon and its address vanish together.
  alpha.kill('SIGKILL');
  await alpha.exited;
  await lab.exec('alpha', ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
  const takeover = await untilHeldBy(lab, VIP, 'bravo', 10_000);
  assert.match(readLog(lab, 'bravo'), /node alpha: is dead/);
  assert.match(readLog(lab, 'bravo'), /Resources being acquired from alpha\./);
  process.stdout.write(`# power loss of alpha → bravo holds ${VIP} after ${takeover} ms (deadtime 1 s)\n`);

  // alpha comes back: auto_failback on returns the group to it, never two owners on the way.
  alpha = await startOurHeartbeat(lab, 'alpha');
  const failback = await untilHeldBy(lab, VIP, 'alpha', 15_000);
  await waitForLog(lab, 'bravo', (l) => l.includes('Other node completed standby takeover of foreign resources.'), 'failback complete (bravo)', 5000);
  process.stdout.write(`# alpha restarted → alpha holds ${VIP} again after ${failback} ms\n`);

  // Clean stop of alpha: it releases, says shutdone, bravo takes over at once.
  const stopping = alpha.stop(10_000);
  const handover = await untilHeldBy(lab, VIP, 'bravo', 10_000);
  await stopping;
  assert.match(readLog(lab, 'bravo'), /Received shutdown notice from 'alpha'\./);
  process.stdout.write(`# clean stop of alpha → bravo holds ${VIP} after ${handover} ms\n`);
  process.stdout.write(`# VIP watcher: ${await watcher.assertNeverBoth()}\n`);
  await bravo.stop(10_000);
  assert.deepEqual(await vipHolders(lab, VIP), [], 'a clean stop releases the address');
});
