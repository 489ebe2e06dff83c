// Issue 22, part 1: the HOWTO's web root on shared storage that moves with the group.
//
//   [alpha] heartbeat-ts, home of `alpha IPaddr2::VIP/24/eth0 drbddisk::r0 Filesystem::/dev/loopN::/mnt/ha/www::ext4
//           httpd::/etc/ha.d/httpd.conf` (auto_failback on)
//   [bravo] heartbeat-ts
//   [client] polls http://VIP/hostname.html every 100 ms
//
// The LUN: one ext4 image file on a loop device, seen by both nodes (loop devices are global). Each node mounts
// it with Debian's stock /etc/ha.d/resource.d/Filesystem (the wrapper of the OCF Filesystem agent) inside its own
// private mount namespace, on a tmpfs over the node's /mnt (the node's `/ha/www` is /mnt/ha/www): nothing is
// mounted in the root namespace, the image is filled with `mkfs.ext4 -d`. Apache serves the shared index.html
// from the mount and each node's own hostname.html (an Alias to /etc/ha.d/www). A sampler reads both nodes'
// /proc/PID/mounts every 10 ms for the whole test and records any sample with the disk mounted on both.
// DRBD: this kernel has no DRBD module, so Debian's stock drbddisk (package drbd-utils) runs against a stand-in
// drbdadm (shared-disk.ts: roles in a directory both nodes see, DRBD's single-primary rule enforced) bound over
// /usr/sbin/drbdadm in each node's mount namespace; the replicated device itself is simulated by the shared LUN.
// Power loss: every process of the node killed, then its mounts dropped (umount in its namespace; a machine
// that loses power loses its mounts) before the survivor can possibly act (deadtime 1 s).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLab, killPid, type Lab } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { writePairConfig } from '../helpers/pair-config.js';
import { readLog, tail, waitForLog } from '../helpers/real-heartbeat.js';
import { untilHeldBy, vipHolders, waitForReaped, watchVip } from '../helpers/vip.js';
import { apacheConf, servedBy, startClient, strayAnswers } from '../helpers/web.js';
import { SHARED_MOUNT, installDrbdadmStandIn, createSharedDisk, mountedIn, prepareMountPoint, untilMounted, watchMounts } from '../helpers/shared-disk.js';
import { repoRoot } from '../helpers/paths.js';

const VIP = '198.51.100.100';
const NODES = ['alpha', 'bravo'] as const;
const INDEX = '<html><body>the shared web root of the HOWTO</body></html>\n';

/** Apache serving the shared mount, with the node's own hostname.html from its private /etc/ha.d/www. */
function siteConf(node: string): string {
  return apacheConf(node, VIP)
    .replace('LoadModule authz_core_module', 'LoadModule alias_module /usr/lib/apache2/modules/mod_alias.so\nLoadModule authz_core_module')
    .replace('DocumentRoot /etc/ha.d/www', `DocumentRoot ${SHARED_MOUNT}\nAlias /hostname.html /etc/ha.d/www/hostname.html`)
    .replace('<Directory /etc/ha.d/www>', `<Directory ${SHARED_MOUNT}>\n  Require all granted\n</Directory>\n<Directory /etc/ha.d/www>`);
}

async function setUpSite(lab: Lab, line: (device: string) => string, device: string, drbdState?: string): Promise<void> {
  for (const n of NODES) {
    if (drbdState !== undefined) await installDrbdadmStandIn(lab, n, drbdState);
    writePairConfig(lab, n, { media: ['bcast eth0'] });
    const dir = lab.node(n).haDir;
    fs.writeFileSync(path.join(dir, 'haresources'), line(device));
    fs.writeFileSync(path.join(dir, 'httpd.conf'), siteConf(n));
    fs.mkdirSync(path.join(dir, 'www'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'www', 'hostname.html'), `${n}\n`);
    // Our IPaddr2 and httpd; Debian's stock Filesystem (seeded from the host's /etc/ha.d) stays.
    fs.rmSync(path.join(dir, 'resource.d', 'IPaddr2'), { force: true });
    fs.copyFileSync(path.join(repoRoot, 'resource.d', 'httpd'), path.join(dir, 'resource.d', 'httpd'));
    fs.chmodSync(path.join(dir, 'resource.d', 'httpd'), 0o755);
    for (const stock of ['Filesystem', 'drbddisk']) assert.ok(fs.existsSync(path.join(dir, 'resource.d', stock)), `Debian's resource.d/${stock} is installed`);
    fs.chmodSync(dir, 0o755);
    await prepareMountPoint(lab, n);
  }
}

/** GET http://VIP/<page> from the client: the body, or '' when nothing answered. */
async function fetchPage(lab: Lab, page: string): Promise<string> {
  const r = await lab.exec('client', ['curl', '-s', '--max-time', '2', `http://${VIP}/${page}`], { timeoutMs: 5000 });
  return r.exitCode === 0 ? r.stdout : '';
}

/** Power loss: every process of the node dies, then the machine's mounts and address are gone with it. */
async function powerLoss(lab: Lab, node: string, device: string, drbdState: string): Promise<void> {
  const anchor = lab.node(node).anchorPid;
  const pids = (await lab.pidsIn(node)).filter((p) => p !== anchor);
  for (const p of pids) killPid(p, 'SIGKILL');
  // The address and the mount go at once, as with the machine; reaping the killed processes can take a second
  // on a loaded host, and the peer may take over meanwhile.
  await lab.exec(node, ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
  fs.rmSync(path.join(drbdState, `${node}.role`), { force: true }); // its DRBD is gone: the peer sees it disconnected
  if (mountedIn(lab, node, device)) await lab.exec(node, ['umount', '-l', SHARED_MOUNT], { timeoutMs: 5000 });
  for (const p of pids) await waitForReaped(p, 10_000);
}

function drbdRole(drbdState: string, node: string): string {
  const f = path.join(drbdState, `${node}.role`);
  return fs.existsSync(f) ? fs.readFileSync(f, 'latin1').trim() : 'Secondary';
}

/** The order in which the node's log ran `stop` on the group's scripts, from `from` on. */
function stopOrder(log: string, from: number): string[] {
  return [...log.slice(from).matchAll(/Running \S+\/resource\.d\/(\S+) .*\bstop\b/g)].map((m) => m[1] ?? '');
}

test('shared storage: Filesystem + Apache follow the VIP (power loss, failback with a busy mount, clean stop); never mounted on both', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter', 'apache2', 'curl', 'losetup', 'mkfs.ext4', 'fuser', 'drbdadm', 'modprobe'])) return;
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }, { name: 'client' }], label: 'site' });
  const disk = await createSharedDisk(lab, { 'index.html': INDEX });
  t.after(async () => {
    await disk.release(NODES);
  });
  const drbd = path.join(lab.root, 'drbd-state');
  await setUpSite(lab, (dev) => `alpha IPaddr2::${VIP}/24/eth0 drbddisk::r0 Filesystem::${dev}::${SHARED_MOUNT}::ext4 httpd::/etc/ha.d/httpd.conf\n`, disk.device, drbd);
  const watch = watchMounts(lab, disk.device, NODES, 10);
  t.after(() => watch.stop());
  const vipWatch = watchVip(t, lab, VIP);
  const client = startClient(lab, VIP, 240_000);
  const started = Date.now();

  let alpha = await startOurHeartbeat(lab, 'alpha');
  const bravo = await startOurHeartbeat(lab, 'bravo');
  await untilHeldBy(lab, VIP, 'alpha', 15_000);
  await untilMounted(lab, 'alpha', disk.device, true, 15_000);
  await servedBy(client, 'alpha', started, 15_000, lab);
  assert.equal(await fetchPage(lab, 'index.html'), INDEX, 'alpha serves the shared index.html');
  assert.match(readLog(lab, 'alpha'), /Running \/etc\/ha\.d\/resource\.d\/Filesystem \/dev\/loop\d+ \/mnt\/ha\/www ext4 start/);
  assert.match(readLog(lab, 'alpha'), /Running \/etc\/ha\.d\/resource\.d\/drbddisk r0 start/);
  assert.equal(drbdRole(drbd, 'alpha'), 'Primary');
  process.stdout.write(`# cold start → alpha mounted ${disk.device} on ${SHARED_MOUNT} and serves the shared index.html\n`);

  // Power loss of alpha: bravo mounts the same LUN and serves the same index.html, and its own hostname.html.
  const crash = Date.now();
  await powerLoss(lab, 'alpha', disk.device, drbd);
  const takeover = await untilHeldBy(lab, VIP, 'bravo', 15_000);
  await untilMounted(lab, 'bravo', disk.device, true, 15_000);
  const served = await servedBy(client, 'bravo', crash, 15_000, lab);
  assert.equal(await fetchPage(lab, 'index.html'), INDEX, 'bravo serves the same shared index.html');
  assert.equal(drbdRole(drbd, 'bravo'), 'Primary');
  process.stdout.write(`# power loss of alpha → bravo holds the VIP after ${takeover} ms, mounted the LUN, serves its page ${served} ms after the crash\n`);

  // A process on bravo holds the mount busy (its working directory and an open file on it).
  const holder = lab.start('bravo', ['/bin/sh', '-c', `cd ${SHARED_MOUNT} && exec tail -f index.html`]);
  await new Promise((r) => setTimeout(r, 200));
  assert.ok(fs.existsSync(`/proc/${holder.pid}`), 'the holder runs');

  // alpha comes back: auto_failback on; bravo stops httpd, then the Filesystem (killing the holder), then the VIP.
  const bravoFrom = readLog(lab, 'bravo').length;
  const back = Date.now();
  alpha = await startOurHeartbeat(lab, 'alpha');
  await untilHeldBy(lab, VIP, 'alpha', 20_000);
  await untilMounted(lab, 'alpha', disk.device, true, 20_000);
  const failback = await servedBy(client, 'alpha', back, 20_000, lab);
  assert.equal(await fetchPage(lab, 'index.html'), INDEX);
  assert.equal(mountedIn(lab, 'bravo', disk.device), false, 'bravo released the mount');
  assert.ok(await waitForReaped(holder.pid, 5000), 'the process holding the mount was killed by Filesystem stop');
  const order = stopOrder(readLog(lab, 'bravo'), bravoFrom);
  assert.deepEqual(order, ['httpd', 'Filesystem', 'drbddisk', 'IPaddr2'], `bravo's stop order (right to left):\n${tail(readLog(lab, 'bravo').slice(bravoFrom), 30)}`);
  process.stdout.write(`# alpha restarted → failback: alpha serves its page ${failback} ms after its restart; bravo stopped ${order.join(' → ')} and its busy mount was released (holder killed)\n`);

  // Clean stop of alpha: bravo takes the group; then bravo's clean stop leaves the disk unmounted everywhere.
  const stopping = alpha.stop(30_000);
  await untilHeldBy(lab, VIP, 'bravo', 20_000);
  await untilMounted(lab, 'bravo', disk.device, true, 20_000);
  await stopping;
  await bravo.stop(30_000);
  assert.deepEqual(await vipHolders(lab, VIP), []);
  assert.equal(mountedIn(lab, 'alpha', disk.device) || mountedIn(lab, 'bravo', disk.device), false, 'a clean stop unmounts');
  assert.deepEqual([drbdRole(drbd, 'alpha'), drbdRole(drbd, 'bravo')], ['Secondary', 'Secondary'], 'a clean stop demotes DRBD');
  const calls = fs.readFileSync(path.join(drbd, 'calls'), 'latin1');
  assert.doesNotMatch(calls, /refused/, `never two DRBD primaries asked for:\n${calls}`);

  await watch.stop();
  await client.stop();
  // Sampling every 10 ms: at least one sample per 40 ms on average even on a loaded machine, and many of them
  // saw the disk mounted (on one node: a quarter at least, the daemons start after the sampler), so it sees mounts.
  const minSamples = Math.floor((Date.now() - started) / 40);
  assert.ok(watch.count() >= minSamples, `the mount sampler ran (${watch.count()} samples, at least ${minSamples} expected)`);
  assert.ok(watch.mountedSamples() > watch.count() / 4, `the sampler saw the disk mounted in ${watch.mountedSamples()} of ${watch.count()} samples`);
  assert.deepEqual(watch.doubles, [], 'the disk was never mounted on both nodes');
  process.stdout.write(`# ${await vipWatch.assertNeverBoth()}\n`);
  assert.deepEqual(strayAnswers(client.samples()), []);
  for (const n of NODES) assert.doesNotMatch(readLog(lab, n), /failed to stop|CRIT:/, tail(readLog(lab, n), 30));
  process.stdout.write(`# never mounted on both: ${watch.count()} samples (${watch.mountedSamples()} with the disk mounted on one node) over ${Math.round((Date.now() - started) / 1000)} s, longest interval ${watch.maxIntervalMs()} ms\n`);
});

test('shared storage: a mount that fails gives the group up as Heartbeat does (Apache never started, the VIP released)', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter', 'apache2', 'losetup', 'mkfs.ext4', 'modprobe'])) return;
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label: 'sitefail', bridgeAddress: null });
  const disk = await createSharedDisk(lab, { 'index.html': INDEX });
  t.after(async () => {
    await disk.release(NODES);
  });
  // The wrong file-system type: mount(8) refuses an ext4 device as xfs, as a wrong haresources line would.
  await setUpSite(lab, (dev) => `alpha IPaddr2::${VIP}/24/eth0 Filesystem::${dev}::${SHARED_MOUNT}::xfs httpd::/etc/ha.d/httpd.conf\n`, disk.device);
  const alpha = await startOurHeartbeat(lab, 'alpha');
  const log = await waitForLog(lab, 'alpha', (l) => /Running \S+\/resource\.d\/IPaddr2 \S+ stop/.test(l), 'the group given up after the failed mount', 20_000);
  assert.match(log, /Running \/etc\/ha\.d\/resource\.d\/Filesystem \S+ \/mnt\/ha\/www xfs start/);
  assert.doesNotMatch(log, /resource\.d\/httpd \S+ start/, 'Apache never started on a failed mount');
  assert.equal(mountedIn(lab, 'alpha', disk.device), false);
  // The log line comes before the script has removed the address: wait (bounded) for it to go.
  const deadline = Date.now() + 10_000;
  while ((await vipHolders(lab, VIP)).length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(await vipHolders(lab, VIP), [], 'the address released');
  await alpha.stop(20_000);
  process.stdout.write('# a failed mount (xfs over ext4): httpd not started, the group given up, nothing mounted\n');
});
