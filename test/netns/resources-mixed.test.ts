// Mixed pairs with resources: heartbeat-ts and an unmodified Heartbeat 3.0.6 hand a floating address back and forth.
//
// haresources on both: `alpha IPaddr2::198.51.100.100/24/eth0`, keepalive 200ms, deadtime 1. Each node runs
// the IPaddr2 in its /etc/ha.d/resource.d: Debian's (an OCF wrapper) — so heartbeat-ts drives Debian's script
// unchanged. Four labs, run at once:
//   real home:  [alpha] real Heartbeat (home), [bravo] heartbeat-ts      — auto_failback on, and off
//   ours home:  [alpha] heartbeat-ts (home),   [bravo] real Heartbeat    — auto_failback on, and off
// auto_failback on: cold start → alpha holds the address; power loss of alpha (every daemon process
// SIGKILLed, the address removed) → bravo; alpha restarted → back on alpha; hb_standby and hb_takeover from
// each side, the stock scripts and ours; clean stop → bravo. auto_failback off: alpha returning after its
// power loss leaves the address on bravo; bravo's clean stop hands it back. Both namespaces are sampled every
// 50 ms and the address must never be on both.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLab, type Lab } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { REAL_HEARTBEAT, readLog, tail, waitForLog, writeRealConfig } from '../helpers/real-heartbeat.js';
import { cliPath } from '../helpers/paths.js';
import type { StartedProcess } from '../helpers/processes.js';
import { powerLoss, untilHeldBy, vipHolders } from '../helpers/vip.js';

const VIP = '198.51.100.100';
const KEY = 'Mixed-Key_5';

async function startReal(lab: Lab, node: string): Promise<void> {
  const r = await lab.exec(node, [REAL_HEARTBEAT], { timeoutMs: 10_000 });
  assert.equal(r.exitCode, 0, r.stderr);
}

async function scenario(parent: TestContext, home: 'real' | 'ours', mode: 'on' | 'off'): Promise<void> {
  const name = `${home === 'real' ? 'real Heartbeat home, heartbeat-ts backup' : 'heartbeat-ts home, real Heartbeat backup'}, auto_failback ${mode}`;
  await parent.test(name, async (t) => {
    if (!requireRootAndCommands(t, ['nsenter', '/usr/libexec/heartbeat/send_arp'])) return;
    const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label: `rm${home[0] ?? ""}${mode}`, bridgeAddress: null });
    for (const n of ['alpha', 'bravo']) {
      writeRealConfig(lab, n, { nodes: ['alpha', 'bravo'], method: 'sha1', key: KEY });
      const cf = path.join(lab.node(n).haDir, 'ha.cf');
      fs.writeFileSync(cf, fs.readFileSync(cf, 'latin1').replace(/^auto_failback on$/m, `auto_failback ${mode}`));
      fs.writeFileSync(path.join(lab.node(n).haDir, 'haresources'), `alpha IPaddr2::${VIP}/24/eth0\n`);
    }
    if (mode === 'off') {
      await noFailback(lab, home);
      return;
    }
    const doubles: string[] = [];
    const ourNode = home === 'real' ? 'bravo' : 'alpha';
    const realNode = home === 'real' ? 'alpha' : 'bravo';
    let ours = await startOurHeartbeat(lab, ourNode);
    await startReal(lab, realNode);
    const cold = await untilHeldBy(lab, VIP, 'alpha', 30_000, doubles);
    process.stdout.write(`# ${home} home: cold start → alpha holds ${VIP} after ${cold} ms\n`);

    if (home === 'real') await powerLoss(lab, 'alpha', VIP);
    else {
      ours.kill('SIGKILL');
      await ours.exited;
      await lab.exec('alpha', ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
    }
    const takeover = await untilHeldBy(lab, VIP, 'bravo', 20_000, doubles);
    process.stdout.write(`# ${home} home: power loss of alpha → bravo holds ${VIP} after ${takeover} ms\n`);

    if (home === 'real') await startReal(lab, 'alpha');
    else ours = await startOurHeartbeat(lab, 'alpha');
    const failback = await untilHeldBy(lab, VIP, 'alpha', 40_000, doubles);
    process.stdout.write(`# ${home} home: alpha restarted → alpha holds ${VIP} after ${failback} ms\n`);
    await new Promise((r) => setTimeout(r, 3000));
    await untilHeldBy(lab, VIP, 'alpha', 1000, doubles);

    // Standby and takeover from each side, with Heartbeat's stock scripts and with ours: both write the same
    // classic message into the node's FIFO, so ours drive the real daemon too. The node that gives the group
    // up logs the end of the exchange (Heartbeat's words); requests while resources are in flux are refused,
    // so each step waits for it.
    for (const [what, node, argv, holder, initiator] of [
      ['stock hb_standby on alpha', 'alpha', ['/usr/share/heartbeat/hb_standby'], 'bravo', 'alpha'],
      ['our hb_takeover on alpha', 'alpha', [process.execPath, cliPath('hb-takeover')], 'alpha', 'bravo'],
      ['stock hb_takeover on bravo', 'bravo', ['/usr/share/heartbeat/hb_takeover'], 'bravo', 'alpha'],
      ['our hb_standby on bravo', 'bravo', [process.execPath, cliPath('hb-standby')], 'alpha', 'bravo'],
    ] as const) {
      const from = readLog(lab, initiator).length;
      const r = await lab.exec(node, [...argv], { timeoutMs: 10_000 });
      assert.equal(r.exitCode, 0, `${what}: ${r.stderr}`);
      const ms = await untilHeldBy(lab, VIP, holder, 15_000, doubles);
      await waitForLog(lab, initiator, (l) => l.slice(from).includes('Other node completed standby takeover of all resources.'), `${what} completed`, 15_000);
      process.stdout.write(`# ${home} home: ${what} → ${holder} holds ${VIP} after ${ms} ms\n`);
    }

    // Clean stop of the home node: it releases, says shutdone, the other takes over at once.
    if (home === 'real') {
      const k = await lab.exec('alpha', [REAL_HEARTBEAT, '-k'], { timeoutMs: 30_000 });
      assert.equal(k.exitCode, 0, k.stderr);
    } else {
      void ours.stop(10_000);
    }
    const handover = await untilHeldBy(lab, VIP, 'bravo', 20_000, doubles);
    process.stdout.write(`# ${home} home: clean stop of alpha → bravo holds ${VIP} after ${handover} ms\n`);
    assert.match(readLog(lab, 'bravo'), /Received shutdown notice from 'alpha'\./);
    assert.deepEqual(doubles, [], 'the address was never on both nodes');
    const ourLog = readLog(lab, ourNode);
    assert.equal((ourLog.match(/Giving up resources|failed to stop|authentication failed|replay attack/g) ?? []).length, 0, tail(ourLog, 30));
    await ours.stop(10_000);
  });
}

/**
 * auto_failback off: after a power loss of alpha, bravo keeps the group when alpha returns (alpha says
 * "Local Resource acquisition completed. (none)", as Heartbeat does); a clean stop of bravo hands it back.
 */
async function noFailback(lab: Lab, home: 'real' | 'ours'): Promise<void> {
  const doubles: string[] = [];
  const start = (n: string): Promise<StartedProcess | undefined> => (kindOf(home, n) === 'ours' ? startOurHeartbeat(lab, n) : startReal(lab, n).then(() => undefined));
  let alpha = await start('alpha');
  const bravo = await start('bravo');
  await untilHeldBy(lab, VIP, 'alpha', 30_000, doubles);
  if (alpha !== undefined) {
    alpha.kill('SIGKILL');
    await alpha.exited;
    await lab.exec('alpha', ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
  } else await powerLoss(lab, 'alpha', VIP);
  await untilHeldBy(lab, VIP, 'bravo', 20_000, doubles);
  alpha = await start('alpha');
  await waitForLog(lab, 'alpha', (l) => l.includes('Local Resource acquisition completed. (none)'), 'alpha leaves its group on bravo', 30_000);
  await new Promise((r) => setTimeout(r, 3000));
  assert.deepEqual(await vipHolders(lab, VIP), ['bravo'], 'auto_failback off: the group stays on bravo');
  process.stdout.write(`# ${home} home, auto_failback off: alpha returned, the address stayed on bravo\n`);
  if (bravo !== undefined) void bravo.stop(15_000);
  else {
    const k = await lab.exec('bravo', [REAL_HEARTBEAT, '-k'], { timeoutMs: 30_000 });
    assert.equal(k.exitCode, 0, k.stderr);
  }
  const ms = await untilHeldBy(lab, VIP, 'alpha', 20_000, doubles);
  process.stdout.write(`# ${home} home, auto_failback off: clean stop of bravo → alpha holds ${VIP} after ${ms} ms\n`);
  assert.deepEqual(doubles, [], 'the address was never on both nodes');
  await alpha?.stop(10_000);
  await bravo?.stop(10_000);
}

function kindOf(home: 'real' | 'ours', node: string): 'real' | 'ours' {
  return (node === 'alpha') === (home === 'ours') ? 'ours' : 'real';
}

test('mixed pairs move a floating address with Heartbeat 3.0.6', { concurrency: 4 }, async (t) => {
  await Promise.all([scenario(t, 'real', 'on'), scenario(t, 'ours', 'on'), scenario(t, 'real', 'off'), scenario(t, 'ours', 'off')]);
});
