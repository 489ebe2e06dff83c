// Service health (issue 17) on a pair serving the HOWTO's web site, with a client polling the VIP every 100 ms.
//
// haresources on both: `alpha IPaddr2::198.51.100.100/24/eth0 httpd::/etc/ha.d/httpd.conf`, auto_failback on;
// alpha (heartbeat-ts) has a monitors file: httpd checked with curl every second (restarts=2), plus a line for
// a resource that is not in haresources (one warning, ignored). Two labs, at the same time:
//   ours only:  [alpha] heartbeat-ts, [bravo] heartbeat-ts
//   ours home:  [alpha] heartbeat-ts, [bravo] the unmodified Heartbeat 3.0.6
// Steps: cold start → alpha; Apache SIGKILLed on alpha → restarted, served by alpha again; (ours only) Apache
// SIGSTOPped → the curl check times out → restarted (its stop SIGKILLs the stopped Apache) → alpha; Apache
// made unstartable and killed → the restart fails → the group goes to bravo (hb_standby) and is marked failed;
// Apache fixed, alpha's daemon restarted → the mark is read back, bravo keeps serving; `hbctl cleanup` on alpha
// → the group comes home (hb_takeover; Heartbeat 3.0.6 runs its stock rc.d/hb_takeover). The VIP is sampled on
// both nodes during every wait and the client's answers are checked: never two holders, never a stray page.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLab, killPid, type Lab } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { readLog, waitForLog, writeRealConfig } from '../helpers/real-heartbeat.js';
import { failedStopMarker } from '../helpers/our-heartbeat.js';
import { cliPath } from '../helpers/paths.js';
import { ServicePair } from '../helpers/service-pair.js';
import { apacheConf, setUpWebNode } from '../helpers/web.js';

const VIP = '198.51.100.100';
const KEY = 'Monitor-Key_17';
const HTTPD = 'httpd::/etc/ha.d/httpd.conf';

/** The Apache processes in the node's namespace (by their name in /proc). */
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

async function signalApache(lab: Lab, node: string, signal: NodeJS.Signals): Promise<number> {
  const pids = await apachePids(lab, node);
  assert.ok(pids.length > 0, `Apache runs in ${node}`);
  for (const p of pids) killPid(p, signal);
  return pids.length;
}

/** The log from offset `from` on, once `pattern` appears in it (bounded). */
async function logAfter(lab: Lab, node: string, from: number, pattern: RegExp, what: string, timeoutMs = 30_000): Promise<string> {
  const log = await waitForLog(lab, node, (l) => pattern.test(l.slice(from)), what, timeoutMs);
  return log.slice(from);
}

async function scenario(parent: TestContext, kind: 'ours only' | 'ours home'): Promise<void> {
  await parent.test(kind === 'ours only' ? 'heartbeat-ts pair' : 'heartbeat-ts home, Heartbeat 3.0.6 backup', async (t) => {
    if (!requireRootAndCommands(t, ['nsenter', 'curl', 'apache2', '/usr/libexec/heartbeat/send_arp'])) return;
    const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }, { name: 'client', isolated: false }], label: kind === 'ours only' ? 'smoo' : 'smoh', bridgeAddress: null });
    for (const n of ['alpha', 'bravo']) {
      writeRealConfig(lab, n, { nodes: ['alpha', 'bravo'], method: 'sha1', key: KEY });
      fs.writeFileSync(path.join(lab.node(n).haDir, 'haresources'), `alpha IPaddr2::${VIP}/24/eth0 ${HTTPD}\n`);
      setUpWebNode(lab, n, VIP);
      if (kind === 'ours only') fs.rmSync(path.join(lab.node(n).haDir, 'resource.d', 'IPaddr2'), { force: true });
    }
    fs.writeFileSync(path.join(lab.node('alpha').haDir, 'monitors'), [
      '# issue 17: the web server, checked over HTTP on the VIP every second',
      `${HTTPD} interval=1 timeout=2 fall=1 restarts=2 check=curl -fsS -m 1 -o /dev/null http://${VIP}/hostname.html`,
      'apache interval=1',
      '',
    ].join('\n'));
    // rc.d/hbts-monitor: each failure and hand-over, as harc runs it (HA_event, HA_rsc, HA_group).
    const events = path.join(lab.node('alpha').varLibDir, 'monitor-events');
    fs.mkdirSync(path.join(lab.node('alpha').haDir, 'rc.d'), { recursive: true });
    fs.writeFileSync(path.join(lab.node('alpha').haDir, 'rc.d', 'hbts-monitor'), '#!/bin/sh\necho "$HA_event $HA_rsc" >> /var/lib/heartbeat/monitor-events\n', { mode: 0o755 });
    const say = (text: string): void => void process.stdout.write(`# monitor, ${kind}: ${text}\n`);
    const pair = new ServicePair(lab, { alpha: 'ours', bravo: kind === 'ours only' ? 'ours' : 'real' }, VIP, say);
    t.after(() => pair.client.stop());

    let at = Date.now();
    await pair.start('alpha');
    await pair.start('bravo');
    await pair.expect('cold start', 'alpha', at, 40_000);
    const unknown = readLog(lab, 'alpha').split('\n').filter((l) => l.includes('HA_MON_UNKNOWN_RESOURCE'));
    assert.equal(unknown.length, 1, unknown.join('\n'));
    assert.match(unknown[0] ?? '', /"apache" is not a resource in haresources/);

    // Apache killed: the check fails, httpd is restarted here.
    let from = readLog(lab, 'alpha').length;
    at = Date.now();
    await signalApache(lab, 'alpha', 'SIGKILL');
    await logAfter(lab, 'alpha', from, /monitor: httpd::\/etc\/ha\.d\/httpd\.conf: resource failed; restarting it \(restart 1 of 2\)/, 'the restart after SIGKILL');
    await logAfter(lab, 'alpha', from, /monitor: .*resource group restarted/, 'the restart done');
    await pair.expect('Apache SIGKILLed on alpha', 'alpha', at);
    // hbctl status --json: the monitored resource, its restart counted.
    const st = await lab.exec('alpha', [process.execPath, cliPath('hbctl'), 'status', '--json'], { timeoutMs: 10_000 });
    assert.equal(st.exitCode, 0, st.stderr);
    const mon = (JSON.parse(st.stdout) as { monitors: { resource: string; restarts: number; failures: number; failed: boolean; lastResult: string | null }[] | null }).monitors;
    assert.deepEqual(mon?.map((m) => [m.resource, m.restarts, m.failures >= 1, m.failed]), [[HTTPD, 1, true, false]]);

    if (kind === 'ours only') {
      // Alive but not answering: only the curl check sees it.
      from = readLog(lab, 'alpha').length;
      at = Date.now();
      await signalApache(lab, 'alpha', 'SIGSTOP');
      await logAfter(lab, 'alpha', from, /monitor: httpd::\/etc\/ha\.d\/httpd\.conf: check failed \(1 of 1\)/, 'the failed check of a stopped Apache');
      await logAfter(lab, 'alpha', from, /monitor: .*resource group restarted/, 'the restart done', 40_000);
      await pair.expect('Apache SIGSTOPped on alpha', 'alpha', at, 40_000);
      // The counters start again for the next step.
      const c = await lab.exec('alpha', [process.execPath, cliPath('hbctl'), 'cleanup', HTTPD], { timeoutMs: 10_000 });
      assert.equal(c.exitCode, 0, c.stderr);
      await logAfter(lab, 'alpha', from, /monitor: cleanup: .*failures forgotten/, 'the cleanup');
    }

    // Unstartable: a configuration Apache refuses, then the running one killed. The restart fails: hand-over.
    const conf = path.join(lab.node('alpha').haDir, 'httpd.conf');
    fs.writeFileSync(conf, `${apacheConf('alpha', VIP)}NoSuchDirective on\n`);
    from = readLog(lab, 'alpha').length;
    at = Date.now();
    await signalApache(lab, 'alpha', 'SIGKILL');
    await logAfter(lab, 'alpha', from, /monitor: .*handing the resource group over to the other node \(hb_standby local\)/, 'the hand-over');
    await pair.expect('Apache unstartable on alpha', 'bravo', at, 40_000);
    await logAfter(lab, 'alpha', from, /monitor: .*handed over to the other node; marked failed here/, 'the group marked failed');
    const notified = fs.readFileSync(events, 'utf8');
    assert.match(notified, new RegExp(`^failure ${HTTPD.replace(/[.:/]/g, '\\$&')}$`, 'm'));
    assert.match(notified, /^handover IPaddr2::198\.51\.100\.100\/24\/eth0$/m);
    assert.match(fs.readFileSync(path.join(lab.node('alpha').varLibDir, 'monitor-failed'), 'utf8'), /^IPaddr2::198\.51\.100\.100\/24\/eth0$/m);

    // Fixed, and alpha's daemon restarted: the mark is read back; the group stays on bravo.
    fs.writeFileSync(conf, apacheConf('alpha', VIP));
    from = readLog(lab, 'alpha').length;
    const stopped = await pair.cleanStop('alpha');
    await stopped();
    await pair.start('alpha');
    await logAfter(lab, 'alpha', from, /monitor: resource group\(s\) IPaddr2::198\.51\.100\.100\/24\/eth0 marked failed on this node before this start/, 'the mark read back');
    await pair.stays('bravo', 6000);
    say('alpha restarted with its group marked failed: bravo keeps serving');

    // hbctl cleanup: the mark goes, and with auto_failback on the group comes home.
    at = Date.now();
    const c = await lab.exec('alpha', [process.execPath, cliPath('hbctl'), 'cleanup'], { timeoutMs: 10_000 });
    assert.equal(c.exitCode, 0, c.stderr);
    await pair.expect('hbctl cleanup on alpha', 'alpha', at, 40_000);
    assert.doesNotMatch(fs.readFileSync(path.join(lab.node('alpha').varLibDir, 'monitor-failed'), 'utf8'), /^IPaddr2/m);
    assert.equal(fs.existsSync(failedStopMarker(lab, 'alpha')), false, 'no stop ever failed');
    await pair.finish(/failed to stop|authentication failed|replay attack/g);
  });
}

/**
 * Checks that misbehave, on a heartbeat-ts pair: one hangs (killed with its process group at its 1 s timeout,
 * every second), one floods its output (capped; a few lines logged). fall=1000: they only fail, nothing acts.
 * Heart-beating goes on undisturbed (no late heartbeat at the peer), no killed check is left running, the log
 * stays small, the service stays where it is.
 */
async function misbehaving(parent: TestContext): Promise<void> {
  await parent.test('a hanging check and a flooding check', async (t) => {
    if (!requireRootAndCommands(t, ['nsenter', 'curl', 'apache2', 'sleep', 'yes', 'head'])) return;
    const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }, { name: 'client', isolated: false }], label: 'smbad', bridgeAddress: null });
    for (const n of ['alpha', 'bravo']) {
      writeRealConfig(lab, n, { nodes: ['alpha', 'bravo'], method: 'sha1', key: KEY });
      fs.writeFileSync(path.join(lab.node(n).haDir, 'haresources'), `alpha IPaddr2::${VIP}/24/eth0 ${HTTPD}\n`);
      setUpWebNode(lab, n, VIP);
      fs.rmSync(path.join(lab.node(n).haDir, 'resource.d', 'IPaddr2'), { force: true });
    }
    fs.writeFileSync(path.join(lab.node('alpha').haDir, 'monitors'), [
      `IPaddr2::${VIP}/24/eth0 interval=1 timeout=1 fall=1000 check=sh -c 'sleep 60 & sleep 60'`,
      `${HTTPD} interval=1 timeout=5 fall=1000 check=sh -c 'yes flood | head -c 20000000 >&2; exit 1'`,
      '',
    ].join('\n'));
    const say = (text: string): void => void process.stdout.write(`# monitor, misbehaving checks: ${text}\n`);
    const pair = new ServicePair(lab, { alpha: 'ours', bravo: 'ours' }, VIP, say);
    t.after(() => pair.client.stop());
    const at = Date.now();
    await pair.start('alpha');
    await pair.start('bravo');
    await pair.expect('cold start', 'alpha', at, 40_000);
    const from = readLog(lab, 'alpha').length;
    await pair.stays('alpha', 12_000);
    const log = readLog(lab, 'alpha').slice(from);
    const hung = log.split('\n').filter((l) => /check failed \(\d+ of 1000\): timed out after 1000 ms \(process group killed\)/.test(l));
    assert.ok(hung.length >= 4, `the hanging check timed out ${hung.length} times in 12 s:\n${log.slice(-3000)}`);
    const flooded = log.split('\n').filter((l) => l.includes('flood'));
    const floodChecks = log.split('\n').filter((l) => /httpd::\/etc\/ha\.d\/httpd\.conf: check failed/.test(l)).length;
    assert.ok(floodChecks >= 2, `the flooding check ended ${floodChecks} times`);
    assert.ok(flooded.length <= 6 * floodChecks, `${flooded.length} flood lines logged for ${floodChecks} checks`);
    assert.ok(Buffer.byteLength(log) < 1_000_000, `the log grew ${Buffer.byteLength(log)} bytes`);
    const sleeps = [];
    for (const pid of await lab.pidsIn('alpha')) {
      try {
        const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (st.includes('(sleep)') && !/\) Z /.test(st)) sleeps.push(pid);
      } catch {
        /* gone */
      }
    }
    // Each check runs two sleeps: at most the one in flight and one being killed may be seen; leaked ones would
    // add two per second.
    assert.ok(sleeps.length <= 4, `${sleeps.length} sleep processes: killed checks left some running`);
    const bravoLog = readLog(lab, 'bravo');
    assert.doesNotMatch(bravoLog, /Late heartbeat|node alpha: is dead/);
    say(`${hung.length} hung checks killed, ${floodChecks} flooding checks with ${flooded.length} lines logged, no late heartbeat at bravo`);
    await pair.finish(/failed to stop|authentication failed|replay attack|Late heartbeat/g);
  });
}

test('service monitor: restart, hand-over, the failed mark, cleanup — with heartbeat-ts and with Heartbeat 3.0.6 as the peer; checks that hang or flood', { concurrency: 3 }, async (t) => {
  await Promise.all([scenario(t, 'ours only'), scenario(t, 'ours home'), misbehaving(t)]);
});
