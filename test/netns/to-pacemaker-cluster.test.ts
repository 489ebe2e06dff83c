// What `hbctl to-pacemaker` writes for the example pair, run for real: Corosync + Pacemaker in two network
// namespaces, the VIP and Apache served to a client, then the home node loses power and the other serves.
//
//   [alpha] corosync -f, pacemakerd   ──┐
//   [bravo] corosync -f, pacemakerd   ──┼── br0 (198.51.100.1: the ping node)
//   [client] polls http://198.51.100.10/hostname.html every 100 ms
//
// No systemd: each node is a lab node (own network, UTS and mount namespaces, a private /run tmpfs and
// /var/log); this test adds private /etc/corosync, /var/lib/corosync, /var/lib/pacemaker and /var/www/html
// bind mounts and a /dev/shm tmpfs inside each node's mount namespace. The configuration is etc-ha.d's (the HOWTO's pair:
// `alpha 198.51.100.10/24/eth0 httpd`, auto_failback on, ping + ipfail) with shorter timers and without the
// serial line; the cluster runs the converter's corosync.conf and cib.xml unchanged (no-quorum-policy and
// fencing as written: stop, and stonith-enabled=false since ha.cf has no STONITH device).
//
// The second test follows NOTES.txt's runbook from a running heartbeat-ts pair: bravo leaves Heartbeat and
// starts the cluster alone (no quorum, maintenance mode, the CIB loaded) while alpha serves; the move (alpha's
// Heartbeat stops, bravo unblocked with quorum.cancel_wait_for_all and stonith_admin --confirm); alpha joins
// and, auto_failback on, the group comes home. Never two holders of the address.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLab, runOk, type Lab } from '../helpers/netns.js';
import { cliPath, repoRoot } from '../helpers/paths.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { servedBy, startClient, strayAnswers } from '../helpers/web.js';
import { powerLoss, untilHeldBy, vipHolders, watchVip } from '../helpers/vip.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { longestGap } from '../helpers/web.js';

const VIP = '198.51.100.10';
const NODES = ['alpha', 'bravo'] as const;

/** The example pair with lab timers: keepalive 1 s, deadtime 5 s (token 2273 ms + consensus 2728 ms). */
function exampleConfig(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  // logfile: where the lab's helpers wait for heartbeat-ts's start (the runbook test runs it first).
  const haCf = fs.readFileSync(path.join(repoRoot, 'etc-ha.d', 'ha.cf'), 'utf8')
    .replace(/^(serial|baud)\s.*$/gm, '')
    .replace(/^keepalive\s.*$/m, 'keepalive 1')
    .replace(/^warntime\s.*$/m, 'warntime 3')
    .replace(/^deadtime\s.*$/m, 'deadtime 5')
    .replace(/^initdead\s.*$/m, 'initdead 10')
    .replace(/^deadping\s.*$/m, 'deadping 5')
    .concat('logfile /var/log/ha-log\n');
  fs.writeFileSync(path.join(dir, 'ha.cf'), haCf);
  fs.copyFileSync(path.join(repoRoot, 'etc-ha.d', 'haresources'), path.join(dir, 'haresources'));
  fs.copyFileSync(path.join(repoRoot, 'etc-ha.d', 'authkeys'), path.join(dir, 'authkeys'));
  fs.chmodSync(path.join(dir, 'authkeys'), 0o600);
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>, explain: () => Promise<string>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms\n${await explain()}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** A node's private Corosync and Pacemaker trees, bind-mounted inside its mount namespace. */
async function privateClusterDirs(lab: Lab, node: string, outDir: string, authkey: string): Promise<void> {
  const base = path.join(lab.root, node, 'cluster');
  const etc = path.join(base, 'etc-corosync');
  const pcmk = path.join(base, 'var-lib-pacemaker');
  const www = path.join(base, 'www');
  fs.mkdirSync(path.join(etc, 'uidgid.d'), { recursive: true });
  fs.copyFileSync(path.join(outDir, 'corosync.conf'), path.join(etc, 'corosync.conf'));
  fs.copyFileSync(authkey, path.join(etc, 'authkey'));
  fs.chmodSync(path.join(etc, 'authkey'), 0o400);
  fs.mkdirSync(path.join(base, 'var-lib-corosync'), { recursive: true });
  for (const d of ['cib', 'pengine', 'blackbox', 'cores']) fs.mkdirSync(path.join(pcmk, d), { recursive: true });
  fs.mkdirSync(www, { recursive: true });
  fs.writeFileSync(path.join(www, 'hostname.html'), `${node}\n`);
  const log = lab.node(node).logDir;
  for (const d of ['corosync', 'pacemaker', 'apache2']) fs.mkdirSync(path.join(log, d), { recursive: true });
  await lab.exec(node, ['sh', '-c', [
    'set -e',
    `chown -R hacluster:haclient ${pcmk} ${log}/pacemaker`,
    `chmod 0750 ${pcmk}/cib ${pcmk}/pengine ${pcmk}/blackbox ${pcmk}/cores`,
    `mount --bind ${etc} /etc/corosync`,
    `mount --bind ${base}/var-lib-corosync /var/lib/corosync`,
    `mount --bind ${pcmk} /var/lib/pacemaker`,
    `mount --bind ${www} /var/www/html`,
    // libqb's IPC buffers and corosync's blackbox live in /dev/shm: private, so a SIGKILLed node leaves
    // nothing in the host's /dev/shm and the two nodes never see each other's.
    'mount -t tmpfs -o mode=1777 tmpfs /dev/shm',
  ].join('\n')], { timeoutMs: 10_000 }).then((r) => assert.equal(r.exitCode, 0, r.stderr));
}

async function crmMon(lab: Lab, node: string): Promise<string> {
  const r = await lab.exec(node, ['crm_mon', '--one-shot', '--output-as=xml', '--inactive'], { timeoutMs: 15_000 });
  return r.exitCode === 0 ? r.stdout : '';
}

async function logs(lab: Lab): Promise<string> {
  const out: string[] = [];
  for (const n of NODES) {
    for (const f of ['corosync/corosync.log', 'pacemaker/pacemaker.log']) {
      const p = path.join(lab.node(n).logDir, f);
      const text = fs.existsSync(p) ? fs.readFileSync(p, 'utf8').split('\n').slice(-25).join('\n') : '(none)';
      out.push(`--- ${n} ${f}\n${text}`);
    }
  }
  return out.join('\n');
}

/** Every group member of crm_mon's XML that is active, with its node. */
function activeOn(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of xml.matchAll(/<resource id="([^"]+)"[^>]*active="true"[^>]*>\s*<node name="([^"]+)"/g)) out.set(m[1] ?? '', m[2] ?? '');
  return out;
}

test('the example pair on Corosync + Pacemaker from hbctl to-pacemaker: VIP and Apache on alpha, on bravo after alpha loses power', { timeout: 400_000 }, async (t) => {
  if (!requireRootAndCommands(t, ['corosync', 'corosync-keygen', 'corosync-quorumtool', 'pacemakerd', 'cibadmin', 'crm_mon', 'apache2', 'curl'])) return;
  const lab = await createLab(t, { label: 'pcmk', nodes: [{ name: 'alpha' }, { name: 'bravo' }, { name: 'client', isolated: false }] });
  const outDir = await convertAndPrepare(lab);
  const cib = fs.readFileSync(path.join(outDir, 'cib.xml'), 'utf8');
  assert.match(cib, /name="stonith-enabled" value="false"/);
  assert.match(cib, /name="no-quorum-policy" value="stop"/);
  assert.match(fs.readFileSync(path.join(outDir, 'corosync.conf'), 'utf8'), /two_node: 1/);

  for (const n of NODES) lab.start(n, ['corosync', '-f']);
  await until('corosync: a quorate pair', 60_000, async () => {
    const r = await lab.exec('alpha', ['corosync-quorumtool', '-s'], { timeoutMs: 10_000 });
    return /Quorate:\s+Yes/.test(r.stdout) && /Total votes:\s+2/.test(r.stdout) ? true : undefined;
  }, () => logs(lab));

  for (const n of NODES) lab.start(n, ['pacemakerd']);
  await until('pacemaker: both nodes online with a DC', 180_000, async () => {
    const x = await crmMon(lab, 'alpha');
    return /<current_dc present="true"/.test(x) && (x.match(/<node name="[^"]+"[^>]*online="true"/g) ?? []).length === 2 ? true : undefined;
  }, () => logs(lab));

  const load = await lab.exec('alpha', ['cibadmin', '--replace', '--xml-file', path.join(outDir, 'cib.xml')], { timeoutMs: 30_000 });
  assert.equal(load.exitCode, 0, `cibadmin --replace: ${load.stderr}`);

  const client = startClient(lab, VIP, 360_000);
  t.after(() => client.stop());
  const t0 = Date.now();
  await servedBy(client, 'alpha', t0, 180_000, lab).catch(async (e: Error) => { throw new Error(`${e.message.split('\n')[0]}\n${await crmMon(lab, 'alpha')}\n${await logs(lab)}`); });
  assert.deepEqual(await vipHolders(lab, VIP), ['alpha']);
  const onAlpha = activeOn(await crmMon(lab, 'alpha'));
  assert.equal(onAlpha.get('ip_198_51_100_10'), 'alpha');
  assert.equal(onAlpha.get('apache'), 'alpha');

  // Power loss: every process in alpha's namespace SIGKILLed (corosync, pacemaker, Apache), its address gone.
  const lossAt = Date.now();
  await powerLoss(lab, 'alpha', VIP);
  const delayMs = await servedBy(client, 'bravo', lossAt, 120_000, lab).catch(async (e: Error) => { throw new Error(`${e.message.split('\n')[0]}\n${await crmMon(lab, 'bravo')}\n${await logs(lab)}`); });
  assert.deepEqual(await vipHolders(lab, VIP), ['bravo']);
  const onBravo = activeOn(await crmMon(lab, 'bravo'));
  assert.equal(onBravo.get('ip_198_51_100_10'), 'bravo');
  assert.equal(onBravo.get('apache'), 'bravo');
  await client.stop();
  assert.deepEqual(strayAnswers(client.samples()), []);
  t.diagnostic(`bravo served ${VIP} ${(delayMs / 1000).toFixed(2)} s after alpha's power loss (token 2273 ms + consensus 2728 ms)`);
});

/** Converts the example inside alpha and prepares both nodes' private trees; returns the output directory. */
async function convertAndPrepare(lab: Lab): Promise<string> {
  const inDir = path.join(lab.root, 'ha.d-example');
  const outDir = path.join(lab.root, 'pacemaker');
  exampleConfig(inDir);
  const conv = await lab.exec('alpha', [process.execPath, cliPath('hbctl'), 'to-pacemaker', '--config-dir', inDir, '--node-name', 'alpha', '--out', outDir,
    '--addresses', NODES.map((n) => `${n}=${lab.node(n).ip}`).join(',')], { timeoutMs: 30_000 });
  assert.equal(conv.exitCode, 0, conv.stderr);
  const authkey = path.join(lab.root, 'authkey');
  await runOk(['corosync-keygen', '-l', '-k', authkey], { timeoutMs: 30_000 });
  for (const n of NODES) {
    await privateClusterDirs(lab, n, outDir, authkey);
    for (const f of ['ha.cf', 'haresources', 'authkeys']) fs.copyFileSync(path.join(inDir, f), path.join(lab.node(n).haDir, f));
    fs.chmodSync(path.join(lab.node(n).haDir, 'authkeys'), 0o600);
    // heartbeat-ts's own httpd (the package installs it in /usr/lib/heartbeat-ts/resource.d); Debian's IPaddr is seeded.
    fs.mkdirSync(path.join(lab.node(n).haDir, 'resource.d'), { recursive: true });
    fs.copyFileSync(path.join(repoRoot, 'resource.d', 'httpd'), path.join(lab.node(n).haDir, 'resource.d', 'httpd'));
    fs.chmodSync(path.join(lab.node(n).haDir, 'resource.d', 'httpd'), 0o755);
  }
  return outDir;
}

async function run(lab: Lab, node: string, argv: readonly string[]): Promise<void> {
  const r = await lab.exec(node, argv, { timeoutMs: 30_000 });
  assert.equal(r.exitCode, 0, `${node}: ${argv.join(' ')}: ${r.stdout}${r.stderr}`);
}

test('the NOTES.txt runbook, step by step: a heartbeat-ts pair becomes a Pacemaker pair while one node serves', { timeout: 500_000 }, async (t) => {
  if (!requireRootAndCommands(t, ['corosync', 'corosync-keygen', 'corosync-cmapctl', 'pacemakerd', 'cibadmin', 'crm_mon', 'crm_attribute', 'stonith_admin', 'apache2', 'curl'])) return;
  const lab = await createLab(t, { label: 'pcmkrb', nodes: [{ name: 'alpha' }, { name: 'bravo' }, { name: 'client', isolated: false }] });
  const outDir = await convertAndPrepare(lab);
  const vipWatch = watchVip(t, lab, VIP);

  // Before: the example pair on heartbeat-ts, alpha serving.
  const hb = new Map<string, Awaited<ReturnType<typeof startOurHeartbeat>>>();
  for (const n of NODES) hb.set(n, await startOurHeartbeat(lab, n, 30_000));
  const client = startClient(lab, VIP, 480_000);
  t.after(() => client.stop());
  await servedBy(client, 'alpha', Date.now(), 120_000, lab);

  // Step 4: bravo leaves Heartbeat; alpha keeps serving.
  await hb.get('bravo')?.stop(30_000);
  // Step 5: bravo starts Corosync and Pacemaker alone (no quorum: wait_for_all), loads the CIB and freezes it.
  lab.start('bravo', ['corosync', '-f']);
  lab.start('bravo', ['pacemakerd']);
  await until('pacemaker on bravo alone', 180_000, async () => {
    const x = await crmMon(lab, 'bravo');
    return /<current_dc present="true"/.test(x) ? x : undefined;
  }, () => logs(lab));
  await run(lab, 'bravo', ['cibadmin', '--replace', '--xml-file', path.join(outDir, 'cib.xml')]);
  await run(lab, 'bravo', ['crm_attribute', '--type', 'crm_config', '--name', 'maintenance-mode', '--update', 'true']);
  const frozenAt = Date.now();
  // The event to wait for: bravo's crm_mon lists the loaded group, unmanaged (maintenance) and stopped.
  await until('bravo: the CIB loaded, in maintenance mode', 60_000, async () => {
    const x = await crmMon(lab, 'bravo');
    return /<resource id="apache"[^>]*managed="false"/.test(x) && /<resource id="ip_198_51_100_10"[^>]*role="Stopped"[^>]*managed="false"/.test(x) ? true : undefined;
  }, async () => `${await crmMon(lab, 'bravo')}\n${await logs(lab)}`);
  assert.deepEqual(await vipHolders(lab, VIP), ['alpha'], 'bravo took the address before the move');
  assert.ok(client.samples().filter((x) => x.atMs >= frozenAt).every((x) => x.node === 'alpha'), 'alpha served throughout step 5');

  // Step 6, the move: Heartbeat stops on alpha (its resources stop), bravo is unblocked and unfrozen.
  const moveAt = Date.now();
  await hb.get('alpha')?.stop(30_000);
  assert.deepEqual(await vipHolders(lab, VIP), [], 'alpha released the address');
  await run(lab, 'bravo', ['corosync-cmapctl', '-s', 'quorum.cancel_wait_for_all', 'u8', '1']);
  await run(lab, 'bravo', ['stonith_admin', '--confirm', 'alpha']);
  await run(lab, 'bravo', ['crm_attribute', '--type', 'crm_config', '--name', 'maintenance-mode', '--update', 'false']);
  await servedBy(client, 'bravo', moveAt, 120_000, lab).catch(async (e: Error) => { throw new Error(`${e.message.split('\n')[0]}\n${await crmMon(lab, 'bravo')}\n${await logs(lab)}`); });
  await untilHeldBy(lab, VIP, 'bravo', 10_000);
  const moveGapMs = longestGap(client.samples(), moveAt);

  // Step 7: alpha joins the cluster; auto_failback on (stickiness 0) brings the group home.
  const joinAt = Date.now();
  lab.start('alpha', ['corosync', '-f']);
  lab.start('alpha', ['pacemakerd']);
  await servedBy(client, 'alpha', joinAt, 240_000, lab).catch(async (e: Error) => { throw new Error(`${e.message.split('\n')[0]}\n${await crmMon(lab, 'alpha')}\n${await logs(lab)}`); });
  await untilHeldBy(lab, VIP, 'alpha', 10_000);
  const x = await crmMon(lab, 'alpha');
  assert.equal((x.match(/<node name="[^"]+"[^>]*online="true"/g) ?? []).length, 2, x);
  await client.stop();
  process.stdout.write(`# ${await vipWatch.assertNeverBoth()}\n`);
  assert.deepEqual(strayAnswers(client.samples()), []);
  t.diagnostic(`the move (step 6): longest client gap ${(moveGapMs / 1000).toFixed(2)} s; failback to alpha (step 7): longest gap ${(longestGap(client.samples(), joinAt) / 1000).toFixed(2)} s`);
});
