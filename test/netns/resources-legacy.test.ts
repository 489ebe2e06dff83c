// auto_failback legacy — Heartbeat's default, ha.cf without an auto_failback line — with a floating address.
//
// haresources on both: `alpha IPaddr2::198.51.100.100/24/eth0` (Debian's IPaddr2 in each node's resource.d),
// keepalive 200ms, deadtime 1. Three labs at once:
//   ours:      [alpha] heartbeat-ts (home), [bravo] heartbeat-ts
//   real home: [alpha] real Heartbeat 3.0.6 (home), [bravo] heartbeat-ts
//   ours home: [alpha] heartbeat-ts (home), [bravo] real Heartbeat 3.0.6
// In each: cold start → alpha holds the address; hb_standby on alpha (the stock script) is refused and nothing
// moves; power loss of alpha → bravo; alpha restarted → it asks for its group (ip-request) and gets it back
// (legacy mode always fails back); clean stop of alpha → bravo at once (shutdone). Both namespaces are sampled
// every 50 ms and the address must never be on both.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLab, type Lab } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { REAL_HEARTBEAT, readLog, tail, waitForLog, writeRealConfig } from '../helpers/real-heartbeat.js';
import { powerLoss, untilHeldBy, vipHolders } from '../helpers/vip.js';
import type { StartedProcess } from '../helpers/processes.js';

const VIP = '198.51.100.100';
const KEY = 'Legacy-Key_7';
type Kind = 'ours' | 'real';

async function startNode(lab: Lab, node: string, kind: Kind): Promise<StartedProcess | undefined> {
  if (kind === 'ours') return startOurHeartbeat(lab, node);
  const r = await lab.exec(node, [REAL_HEARTBEAT], { timeoutMs: 10_000 });
  assert.equal(r.exitCode, 0, r.stderr);
  return undefined;
}

async function scenario(parent: TestContext, alphaKind: Kind, bravoKind: Kind): Promise<void> {
  const name = `alpha ${alphaKind === 'ours' ? 'heartbeat-ts' : 'real Heartbeat'} (home), bravo ${bravoKind === 'ours' ? 'heartbeat-ts' : 'real Heartbeat'}`;
  await parent.test(name, async (t) => {
    if (!requireRootAndCommands(t, ['nsenter', '/usr/libexec/heartbeat/send_arp', '/usr/share/heartbeat/hb_standby'])) return;
    const label = `rl${alphaKind[0]}${bravoKind[0]}`;
    const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label, bridgeAddress: null });
    for (const n of ['alpha', 'bravo']) {
      writeRealConfig(lab, n, { nodes: ['alpha', 'bravo'], method: 'sha1', key: KEY });
      // No auto_failback line at all: Heartbeat's default, legacy.
      const cf = path.join(lab.node(n).haDir, 'ha.cf');
      fs.writeFileSync(cf, fs.readFileSync(cf, 'latin1').replace(/^auto_failback .*\n/m, ''));
      fs.writeFileSync(path.join(lab.node(n).haDir, 'haresources'), `alpha IPaddr2::${VIP}/24/eth0\n`);
    }
    const doubles: string[] = [];
    const say = (text: string): void => void process.stdout.write(`# legacy ${label}: ${text}\n`);
    let alpha = await startNode(lab, 'alpha', alphaKind);
    const bravo = await startNode(lab, 'bravo', bravoKind);
    say(`cold start → alpha holds ${VIP} after ${await untilHeldBy(lab, VIP, 'alpha', 20_000, doubles)} ms`);
    for (const [n, kind] of [['alpha', alphaKind], ['bravo', bravoKind]] as const) {
      if (kind === 'ours') assert.match(readLog(lab, n), /auto_failback legacy/);
    }

    // Standby is a nice_failback feature: Heartbeat refuses it in legacy mode, and so do we.
    const from = readLog(lab, 'alpha').length;
    const sb = await lab.exec('alpha', ['/usr/share/heartbeat/hb_standby'], { timeoutMs: 10_000 });
    assert.equal(sb.exitCode, 0, sb.stderr);
    await waitForLog(lab, 'alpha', (l) => l.slice(from).includes('Standby mode only implemented when nice_failback on'), 'standby refused', 5000);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(await vipHolders(lab, VIP), ['alpha'], 'hb_standby moved nothing');

    if (alpha !== undefined) {
      alpha.kill('SIGKILL');
      await alpha.exited;
      await lab.exec('alpha', ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
    } else await powerLoss(lab, 'alpha', VIP);
    say(`power loss of alpha → bravo holds ${VIP} after ${await untilHeldBy(lab, VIP, 'bravo', 20_000, doubles)} ms`);

    const beforeReturn = readLog(lab, 'bravo').length;
    alpha = await startNode(lab, 'alpha', alphaKind);
    say(`alpha restarted → alpha holds ${VIP} again after ${await untilHeldBy(lab, VIP, 'alpha', 30_000, doubles)} ms`);
    if (alphaKind === 'ours') assert.match(readLog(lab, 'alpha'), /Requesting resource group IPaddr2::198\.51\.100\.100\/24\/eth0 from bravo/);
    if (bravoKind === 'ours') assert.match(readLog(lab, 'bravo').slice(beforeReturn), /Releasing resource group IPaddr2::198\.51\.100\.100\/24\/eth0 \(alpha asks for it\)/);
    await new Promise((r) => setTimeout(r, 2000));
    await untilHeldBy(lab, VIP, 'alpha', 1000, doubles);

    if (alpha !== undefined) void alpha.stop(15_000);
    else {
      const k = await lab.exec('alpha', [REAL_HEARTBEAT, '-k'], { timeoutMs: 30_000 });
      assert.equal(k.exitCode, 0, k.stderr);
    }
    say(`clean stop of alpha → bravo holds ${VIP} after ${await untilHeldBy(lab, VIP, 'bravo', 20_000, doubles)} ms`);
    assert.match(readLog(lab, 'bravo'), /Received shutdown notice from 'alpha'\./);
    assert.deepEqual(doubles, [], 'the address was never on both nodes');
    for (const [n, kind] of [['alpha', alphaKind], ['bravo', bravoKind]] as const) {
      if (kind !== 'ours') continue;
      const log = readLog(lab, n);
      assert.equal((log.match(/Giving up resources|failed to stop|authentication failed|replay attack|ERROR|CRIT/g) ?? []).length, 0, tail(log, 30));
    }
    await alpha?.stop(10_000);
    await bravo?.stop(10_000);
  });
}

test('auto_failback legacy: ours with ours, and with Heartbeat 3.0.6 as home and as backup', { concurrency: 3 }, async (t) => {
  await Promise.all([scenario(t, 'ours', 'ours'), scenario(t, 'real', 'ours'), scenario(t, 'ours', 'real')]);
});
