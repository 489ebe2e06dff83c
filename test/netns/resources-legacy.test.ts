// auto_failback legacy — Heartbeat's default, ha.cf without an auto_failback line — with a floating address.
//
// haresources on both: `alpha IPaddr2::198.51.100.100/24/eth0 httpd::/etc/ha.d/httpd.conf` (Debian's IPaddr2
// and heartbeat-ts's httpd in each node's resource.d), keepalive 200ms, deadtime 1; a client namespace polls
// http://VIP/hostname.html every 100 ms. Three labs at once:
//   ours:      [alpha] heartbeat-ts (home), [bravo] heartbeat-ts
//   real home: [alpha] real Heartbeat 3.0.6 (home), [bravo] heartbeat-ts
//   ours home: [alpha] heartbeat-ts (home), [bravo] real Heartbeat 3.0.6
// In each: cold start → alpha holds the address; hb_standby on alpha (the stock script) is refused and nothing
// moves; power loss of alpha → bravo; alpha restarted → it asks for its group (ip-request) and gets it back
// (legacy mode always fails back); clean stop of alpha → bravo at once (shutdone). After every step the
// address is on the expected node alone and the client gets that node's page; never on both nodes.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLab } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { readLog, waitForLog, writeRealConfig } from '../helpers/real-heartbeat.js';
import { HOLD_WATCH_PERIOD_MS, summary } from '../helpers/hold-watch.js';
import { ServicePair, type Kind } from '../helpers/service-pair.js';
import { setUpWebNode } from '../helpers/web.js';

const VIP = '198.51.100.100';
const KEY = 'Legacy-Key_7';
const GROUP_KEY = `IPaddr2::${VIP}/24/eth0`;

async function scenario(parent: TestContext, alphaKind: Kind, bravoKind: Kind): Promise<void> {
  const name = `alpha ${alphaKind === 'ours' ? 'heartbeat-ts' : 'real Heartbeat'} (home), bravo ${bravoKind === 'ours' ? 'heartbeat-ts' : 'real Heartbeat'}`;
  await parent.test(name, async (t) => {
    if (!requireRootAndCommands(t, ['nsenter', 'curl', 'apache2', '/usr/libexec/heartbeat/send_arp', '/usr/share/heartbeat/hb_standby'])) return;
    const label = `rl${alphaKind[0] ?? ''}${bravoKind[0] ?? ''}`;
    const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }, { name: 'client', isolated: false }], label, bridgeAddress: null });
    for (const n of ['alpha', 'bravo']) {
      writeRealConfig(lab, n, { nodes: ['alpha', 'bravo'], method: 'sha1', key: KEY });
      // No auto_failback line at all: Heartbeat's default, legacy.
      const cf = path.join(lab.node(n).haDir, 'ha.cf');
      fs.writeFileSync(cf, fs.readFileSync(cf, 'latin1').replace(/^auto_failback .*\n/m, ''));
      fs.writeFileSync(path.join(lab.node(n).haDir, 'haresources'), `alpha ${GROUP_KEY} httpd::/etc/ha.d/httpd.conf\n`);
      setUpWebNode(lab, n, VIP);
    }
    const pair = new ServicePair(lab, { alpha: alphaKind, bravo: bravoKind }, VIP, (text) => void process.stdout.write(`# legacy ${label}: ${text}\n`));
    t.after(() => pair.client.stop());
    let at = Date.now();
    await pair.start('alpha');
    await pair.start('bravo');
    await pair.expect('cold start', 'alpha', at, 40_000);
    for (const n of ['alpha', 'bravo']) if (pair.kind(n) === 'ours') assert.match(readLog(lab, n), /auto_failback legacy/);

    // Standby is a nice_failback feature: Heartbeat refuses it in legacy mode, and so do we.
    const from = readLog(lab, 'alpha').length;
    const sb = await lab.exec('alpha', ['/usr/share/heartbeat/hb_standby'], { timeoutMs: 10_000 });
    assert.equal(sb.exitCode, 0, sb.stderr);
    await waitForLog(lab, 'alpha', (l) => l.slice(from).includes('Standby mode only implemented when nice_failback on'), 'standby refused', 5000);
    await pair.stays('alpha', 1500);

    at = Date.now();
    await pair.powerLoss('alpha');
    await pair.expect('power loss of alpha', 'bravo', at);

    // The home node returns and asks for its group: legacy mode always fails back.
    const beforeReturn = readLog(lab, 'bravo').length;
    at = Date.now();
    await pair.start('alpha');
    await pair.expect('alpha restarted (ip-request)', 'alpha', at, 40_000);
    if (alphaKind === 'ours') assert.match(readLog(lab, 'alpha'), new RegExp(`Requesting resource group ${GROUP_KEY.replace(/[./]/g, '\\$&')} from bravo`));
    if (bravoKind === 'ours') assert.match(readLog(lab, 'bravo').slice(beforeReturn), new RegExp(`Releasing resource group ${GROUP_KEY.replace(/[./]/g, '\\$&')} \\(alpha (?:asks for it|takes it itself)\\)`));
    await pair.stays('alpha', 2000);

    at = Date.now();
    const stopped = await pair.cleanStop('alpha');
    await pair.expect('clean stop of alpha', 'bravo', at);
    await stopped();
    assert.match(readLog(lab, 'bravo'), /Received shutdown notice from 'alpha'\./);
    await pair.finish();
  });
}

/**
 * The CI run of 154c77e: Heartbeat 3.0.6 on alpha, restarted while bravo ran its group, reached comm-up before
 * any status of bravo's; its req_our_resources ran "all alone" and req_resource granted alpha the group itself
 * (`ip-request-resp dest=alpha weown=yes ok=OK`, no ip-request) — and bravo kept it: both held the address. The
 * race is made certain here: alpha comes back with no group in haresources (it asks for nothing), gets its line
 * back, and the exact message req_resource writes in that case goes into its FIFO. Its rc.d/ip-request-resp takes
 * the group; bravo must let it go. Heartbeat 3.0.6 as bravo would not (docs/compatibility.md), so the address is
 * on both nodes for as long as bravo's stop takes: bounded here, not zero.
 */
async function selfGrant(parent: TestContext): Promise<void> {
  await parent.test('alpha real Heartbeat (home) takes its group without asking ("all alone"), bravo heartbeat-ts lets it go', async (t) => {
    if (!requireRootAndCommands(t, ['nsenter', 'curl', 'apache2', '/usr/libexec/heartbeat/send_arp', '/usr/share/heartbeat/hb_standby'])) return;
    const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }, { name: 'client', isolated: false }], label: 'rlsg', bridgeAddress: null });
    const line = `alpha ${GROUP_KEY} httpd::/etc/ha.d/httpd.conf\n`;
    for (const n of ['alpha', 'bravo']) {
      writeRealConfig(lab, n, { nodes: ['alpha', 'bravo'], method: 'sha1', key: KEY });
      const cf = path.join(lab.node(n).haDir, 'ha.cf');
      fs.writeFileSync(cf, fs.readFileSync(cf, 'latin1').replace(/^auto_failback .*\n/m, ''));
      fs.writeFileSync(path.join(lab.node(n).haDir, 'haresources'), line);
      setUpWebNode(lab, n, VIP);
    }
    const pair = new ServicePair(lab, { alpha: 'real', bravo: 'ours' }, VIP, (text) => void process.stdout.write(`# legacy rlsg: ${text}\n`));
    t.after(() => pair.client.stop());
    t.after(() => pair.watcher.stop());
    let at = Date.now();
    await pair.start('alpha');
    await pair.start('bravo');
    await pair.expect('cold start', 'alpha', at, 40_000);
    at = Date.now();
    await pair.powerLoss('alpha');
    await pair.expect('power loss of alpha', 'bravo', at);

    const alphaRes = path.join(lab.node('alpha').haDir, 'haresources');
    fs.writeFileSync(alphaRes, '');
    const from = readLog(lab, 'alpha').length;
    await pair.start('alpha');
    await waitForLog(lab, 'alpha', (l) => /No local resources \[[^\]]*listkeys alpha\] to acquire/.test(l.slice(from)), 'alpha up, asking for nothing', 30_000);
    await pair.stays('bravo', 1500);

    fs.writeFileSync(alphaRes, line);
    const beforeGrant = readLog(lab, 'bravo').length;
    at = Date.now();
    const grant = await lab.exec('alpha', ['sh', '-c', `HA_DIR=/etc/ha.d; . $HA_DIR/shellfuncs; printf 't=ip-request-resp\\ndest=alpha\\nipaddr=%s\\nweown=yes\\nok=OK\\n' '${GROUP_KEY}' | ha_clustermsg`], { timeoutMs: 10_000 });
    assert.equal(grant.exitCode, 0, grant.stderr);
    await pair.expect('alpha grants itself its group', 'alpha', at, 30_000);
    const bravoLog = readLog(lab, 'bravo').slice(beforeGrant);
    assert.match(bravoLog, new RegExp(`alpha takes resource group ${GROUP_KEY.replace(/[./]/g, '\\$&')} itself without asking`));
    assert.match(bravoLog, new RegExp(`Releasing resource group ${GROUP_KEY.replace(/[./]/g, '\\$&')} \\(alpha takes it itself\\)`));
    assert.doesNotMatch(bravoLog, /t=ip-request-resp|ip-request-resp dest=alpha/, 'bravo answers nothing');
    await pair.stays('alpha', 2000);

    await pair.client.stop();
    const r = await pair.watcher.stop();
    process.stdout.write(`# legacy rlsg: VIP watcher: ${summary(r)}\n`);
    assert.equal(r.halted, undefined, summary(r));
    // On both nodes only while bravo stopped Apache and removed the address, after alpha's takegroup: bounded.
    assert.ok(r.doubles.length * HOLD_WATCH_PERIOD_MS <= 5000, `the address on both nodes for about ${r.doubles.length * HOLD_WATCH_PERIOD_MS} ms: ${summary(r)}`);
  });
}

test('auto_failback legacy: ours with ours, and with Heartbeat 3.0.6 as home and as backup', { concurrency: 3 }, async (t) => {
  await Promise.all([scenario(t, 'ours', 'ours'), scenario(t, 'real', 'ours'), scenario(t, 'ours', 'real')]);
});

test('auto_failback legacy: Heartbeat 3.0.6 as home takes its group without asking; heartbeat-ts as backup lets it go', async (t) => {
  await selfGrant(t);
});
