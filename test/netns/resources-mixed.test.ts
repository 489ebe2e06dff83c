// Pairs serving the HOWTO's web site: heartbeat-ts with an unmodified Heartbeat 3.0.6, and heartbeat-ts alone.
//
// haresources on both: `alpha IPaddr2::198.51.100.100/24/eth0 httpd::/etc/ha.d/httpd.conf`, keepalive 200ms,
// deadtime 1; heartbeat-ts's httpd in each node's resource.d (so the real Heartbeat drives ours) and Apache
// serving the node's own hostname.html; a client namespace polls http://VIP/hostname.html every 100 ms.
// In mixed pairs each node has Debian's IPaddr2 (an OCF wrapper) in resource.d: the real Heartbeat runs it, and
// heartbeat-ts runs its native stand-in for it (docs/migrated-node.md; the same address, label and ARP); a
// heartbeat-ts pair runs heartbeat-ts's own IPaddr2. Six labs, three at a time:
//   real home:  [alpha] real Heartbeat (home), [bravo] heartbeat-ts      — auto_failback on, and off
//   ours home:  [alpha] heartbeat-ts (home),   [bravo] real Heartbeat    — auto_failback on, and off
//   ours only:  [alpha] heartbeat-ts (home),   [bravo] heartbeat-ts      — auto_failback on, and off
// auto_failback on: cold start → alpha; power loss of alpha (daemon, Apache and address gone at once) →
// bravo; alpha restarted → alpha; hb_standby and hb_takeover from each side, the stock scripts and ours; clean
// stop → bravo. auto_failback off: alpha returning after its power loss leaves the service on bravo; bravo's
// clean stop hands it back. After every step the address is on the expected node alone and the client gets
// that node's page; the address is never on both nodes.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLab } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { readLog, waitForLog, writeRealConfig } from '../helpers/real-heartbeat.js';
import { cliPath } from '../helpers/paths.js';
import { ServicePair } from '../helpers/service-pair.js';
import { setUpWebNode } from '../helpers/web.js';

const VIP = '198.51.100.100';
const KEY = 'Mixed-Key_5';

type Pairing = 'real home' | 'ours home' | 'ours only';

async function scenario(parent: TestContext, home: Pairing, mode: 'on' | 'off'): Promise<void> {
  const who = { 'real home': 'real Heartbeat home, heartbeat-ts backup', 'ours home': 'heartbeat-ts home, real Heartbeat backup', 'ours only': 'heartbeat-ts pair' } as const;
  const name = `${who[home]}, auto_failback ${mode}`;
  await parent.test(name, async (t) => {
    if (!requireRootAndCommands(t, ['nsenter', 'curl', 'apache2', '/usr/libexec/heartbeat/send_arp'])) return;
    const label = `rm${{ 'real home': 'rh', 'ours home': 'oh', 'ours only': 'oo' }[home]}${mode}`;
    const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }, { name: 'client', isolated: false }], label, bridgeAddress: null });
    for (const n of ['alpha', 'bravo']) {
      writeRealConfig(lab, n, { nodes: ['alpha', 'bravo'], method: 'sha1', key: KEY });
      const cf = path.join(lab.node(n).haDir, 'ha.cf');
      fs.writeFileSync(cf, fs.readFileSync(cf, 'latin1').replace(/^auto_failback on$/m, `auto_failback ${mode}`));
      fs.writeFileSync(path.join(lab.node(n).haDir, 'haresources'), `alpha IPaddr2::${VIP}/24/eth0 httpd::/etc/ha.d/httpd.conf\n`);
      setUpWebNode(lab, n, VIP);
      // Without Debian's wrapper in resource.d, a heartbeat-ts node falls back to its own IPaddr2.
      if (home === 'ours only') fs.rmSync(path.join(lab.node(n).haDir, 'resource.d', 'IPaddr2'), { force: true });
    }
    const kinds = ({ 'ours home': { alpha: 'ours', bravo: 'real' }, 'real home': { alpha: 'real', bravo: 'ours' }, 'ours only': { alpha: 'ours', bravo: 'ours' } } as const)[home];
    const pair = new ServicePair(lab, kinds, VIP, (text) => void process.stdout.write(`# ${home}, auto_failback ${mode}: ${text}\n`));
    t.after(() => pair.client.stop());

    let at = Date.now();
    await pair.start('alpha');
    await pair.start('bravo');
    await pair.expect('cold start', 'alpha', at, 40_000);
    at = Date.now();
    await pair.powerLoss('alpha');
    await pair.expect('power loss of alpha', 'bravo', at);
    at = Date.now();
    await pair.start('alpha');
    if (mode === 'off') {
      // Heartbeat's words when the peer holds our groups and will not hand them back.
      await waitForLog(lab, 'alpha', (l) => l.includes('Local Resource acquisition completed. (none)'), 'alpha leaves its group on bravo', 30_000);
      await pair.stays('bravo', 3000);
      process.stdout.write(`# ${home}, auto_failback off: alpha returned; the service stayed on bravo\n`);
      at = Date.now();
      const stopped = await pair.cleanStop('bravo');
      await pair.expect('clean stop of bravo', 'alpha', at);
      await stopped();
      await pair.finish();
      return;
    }
    await pair.expect('alpha restarted (auto_failback on)', 'alpha', at, 40_000);
    await pair.stays('alpha', 2000);

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
      at = Date.now();
      const r = await lab.exec(node, [...argv], { timeoutMs: 10_000 });
      assert.equal(r.exitCode, 0, `${what}: ${r.stderr}`);
      await pair.expect(what, holder, at);
      await waitForLog(lab, initiator, (l) => l.slice(from).includes('Other node completed standby takeover of all resources.'), `${what} completed`, 15_000);
    }

    // Clean stop of the home node: it releases, says shutdone, the other takes over at once.
    at = Date.now();
    const stopped = await pair.cleanStop('alpha');
    await pair.expect('clean stop of alpha', 'bravo', at);
    await stopped();
    assert.match(readLog(lab, 'bravo'), /Received shutdown notice from 'alpha'\./);
    await pair.finish();
  });
}

test('pairs serve a web site: with Heartbeat 3.0.6 in either role, and heartbeat-ts alone', { concurrency: 3 }, async (t) => {
  await Promise.all([scenario(t, 'real home', 'on'), scenario(t, 'ours home', 'on'), scenario(t, 'ours only', 'on')]);
  await Promise.all([scenario(t, 'real home', 'off'), scenario(t, 'ours home', 'off'), scenario(t, 'ours only', 'off')]);
});
