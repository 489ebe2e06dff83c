// Mixed pairs with resources: heartbeat-ts and an unmodified Heartbeat 3.0.6 hand a floating address back and forth.
//
// haresources on both: `alpha IPaddr2::198.51.100.100/24/eth0`, auto_failback on, keepalive 200ms, deadtime 1.
// Each node runs the IPaddr2 in its /etc/ha.d/resource.d: Debian's (an OCF wrapper) — so heartbeat-ts drives
// Debian's script unchanged. Two labs, run at once:
//   real home:  [alpha] real Heartbeat (home), [bravo] heartbeat-ts
//   ours home:  [alpha] heartbeat-ts (home),   [bravo] real Heartbeat
// In each: cold start → alpha holds the address; power loss of alpha (every daemon process SIGKILLed, the
// address removed) → bravo; alpha restarted → back on alpha (auto_failback on); both namespaces are sampled
// every 50 ms and the address must never be on both.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLab, type Lab } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { REAL_HEARTBEAT, readLog, tail, writeRealConfig } from '../helpers/real-heartbeat.js';
import { powerLoss, untilHeldBy } from '../helpers/vip.js';

const VIP = '198.51.100.100';
const KEY = 'Mixed-Key_5';

async function startReal(lab: Lab, node: string): Promise<void> {
  const r = await lab.exec(node, [REAL_HEARTBEAT], { timeoutMs: 10_000 });
  assert.equal(r.exitCode, 0, r.stderr);
}

async function scenario(parent: TestContext, home: 'real' | 'ours'): Promise<void> {
  await parent.test(`${home === 'real' ? 'real Heartbeat home, heartbeat-ts backup' : 'heartbeat-ts home, real Heartbeat backup'}`, async (t) => {
    if (!requireRootAndCommands(t, ['nsenter', '/usr/libexec/heartbeat/send_arp'])) return;
    const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label: `rm${home}`, bridgeAddress: null });
    for (const n of ['alpha', 'bravo']) {
      writeRealConfig(lab, n, { nodes: ['alpha', 'bravo'], method: 'sha1', key: KEY });
      fs.writeFileSync(path.join(lab.node(n).haDir, 'haresources'), `alpha IPaddr2::${VIP}/24/eth0\n`);
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

test('mixed pairs move a floating address with Heartbeat 3.0.6', { concurrency: 2 }, async (t) => {
  await Promise.all([scenario(t, 'real'), scenario(t, 'ours')]);
});
