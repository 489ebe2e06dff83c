// Issue 22, part 3: one configuration on both nodes.
//
// 1. ours ↔ ours, one haresources group line different: both warn (which file, which line) within 2 × keepalive of
//    first hearing the other, `hbctl status` shows it; `hbctl propagate` copies alpha's files to bravo over scp
//    to an sshd running in bravo's namespace (keys generated here), bravo restarts with them, and the warning
//    clears on alpha ("now matches ours").
// 2. ours ↔ the real Heartbeat 3.0.6: our status messages carry the extra `hbts_config` field; the real node takes
//    them as usual (it goes active, sees us active, no complaint in its log) and ours reports it "unknown", never
//    "differs" (it announces no digests).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLab, type Lab } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { writePairConfig } from '../helpers/pair-config.js';
import { clNodeStatus, readLog, startRealHeartbeat, tail, waitForLog, writeRealConfig } from '../helpers/real-heartbeat.js';
import { cliPath } from '../helpers/paths.js';

const KEEPALIVE_MS = 200; // pair-config.ts
const LINE_A = 'alpha IPaddr2::198.51.100.100/24/eth0';
const LINE_B_ALPHA = 'bravo IPaddr2::198.51.100.101/24/eth0';
const LINE_B_BRAVO = 'bravo IPaddr2::198.51.100.109/24/eth0';

async function hbctlStatus(lab: Lab, node: string): Promise<string> {
  const r = await lab.exec(node, [process.execPath, cliPath('hbctl'), 'status'], { timeoutMs: 15_000 });
  assert.equal(r.exitCode, 0, `hbctl status on ${node}: ${r.stderr}`);
  return r.stdout;
}

/**
 * Polls the log every 20 ms; returns when `peer`'s first status and the warning were first seen (test clock, ms).
 * Both are logged in the same step of the daemon; the bound below allows the daemon up to 2 keepalives.
 */
async function joinAndWarning(lab: Lab, node: string, peer: string, timeoutMs: number): Promise<{ joinMs: number; warnMs: number }> {
  const deadline = Date.now() + timeoutMs;
  let joinMs: number | undefined;
  for (;;) {
    const log = readLog(lab, node);
    const now = Date.now();
    if (joinMs === undefined && log.includes(`Status update for node ${peer}:`)) joinMs = now;
    if (joinMs !== undefined && log.includes(`Configuration of node ${peer} differs`)) return { joinMs, warnMs: now };
    if (now > deadline) throw new Error(`${node}: no configuration warning about ${peer} within ${timeoutMs} ms:\n${tail(log, 30)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('ours ↔ ours: a differing group line is warned on both sides, shown by hbctl status; hbctl propagate over ssh clears it', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter', 'sshd', 'ssh-keygen', 'scp'])) return;
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label: 'cfgagr', bridgeAddress: null });
  for (const n of ['alpha', 'bravo']) {
    writePairConfig(lab, n, { media: ['bcast eth0'] });
    fs.rmSync(path.join(lab.node(n).haDir, 'resource.d', 'IPaddr2'), { force: true });
  }
  fs.writeFileSync(path.join(lab.node('alpha').haDir, 'haresources'), `${LINE_A}\n${LINE_B_ALPHA}\n`);
  fs.writeFileSync(path.join(lab.node('bravo').haDir, 'haresources'), `${LINE_A}\n${LINE_B_BRAVO}\n`);
  fs.writeFileSync(path.join(lab.node('alpha').haDir, 'monitors'), '# the HOWTO\'s monitors file travels too\n');

  const alpha = await startOurHeartbeat(lab, 'alpha');
  let bravo = await startOurHeartbeat(lab, 'bravo');
  const [a, b] = await Promise.all([joinAndWarning(lab, 'alpha', 'bravo', 15_000), joinAndWarning(lab, 'bravo', 'alpha', 15_000)]);
  for (const [who, w] of [['alpha', a], ['bravo', b]] as const) {
    assert.ok(w.warnMs - w.joinMs <= 2 * KEEPALIVE_MS, `${who} warned ${w.warnMs - w.joinMs} ms after first hearing its peer`);
  }
  const alphaLog = readLog(lab, 'alpha');
  assert.match(alphaLog, /Configuration of node bravo differs: haresources: group line 2 "bravo IPaddr2::198\.51\.100\.101\/24\/eth0" is not in bravo's haresources/);
  assert.match(readLog(lab, 'bravo'), /Configuration of node alpha differs: haresources: group line 2 "bravo IPaddr2::198\.51\.100\.109\/24\/eth0" is not in alpha's haresources/);
  assert.doesNotMatch(alphaLog, /differs: (authkeys|ha\.cf)/, 'only haresources differs');
  process.stdout.write(`# mismatched haresources: alpha warned ${a.warnMs - a.joinMs} ms, bravo ${b.warnMs - b.joinMs} ms after first hearing the other (polled every 20 ms)\n`);
  const screen = await hbctlStatus(lab, 'alpha');
  assert.match(screen, /bravo: DIFFERS\n\s+haresources: group line 2/);
  // Logged once per change, not at every status.
  await new Promise((r) => setTimeout(r, 5 * KEEPALIVE_MS));
  assert.equal((readLog(lab, 'alpha').match(/Configuration of node bravo differs/g) ?? []).length, 2, 'our line and theirs, once each');

  // sshd in bravo's namespace, on bravo's address, with keys made here; a client config for alpha.
  const ssh = path.join(lab.root, 'ssh');
  fs.mkdirSync(ssh, { mode: 0o700 });
  for (const k of ['host', 'client']) {
    const r = await lab.exec('alpha', ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', `hbts-test-${k}`, '-f', path.join(ssh, k)], { timeoutMs: 20_000 });
    assert.equal(r.exitCode, 0, r.stderr);
  }
  fs.copyFileSync(path.join(ssh, 'client.pub'), path.join(ssh, 'authorized_keys'));
  fs.writeFileSync(path.join(ssh, 'sshd_config'), [
    `ListenAddress ${lab.node('bravo').ip}`, 'Port 22', `HostKey ${path.join(ssh, 'host')}`, `AuthorizedKeysFile ${path.join(ssh, 'authorized_keys')}`,
    `PidFile ${path.join(ssh, 'sshd.pid')}`, 'PermitRootLogin prohibit-password', 'PasswordAuthentication no', 'KbdInteractiveAuthentication no',
    'UsePAM no', 'StrictModes no', 'LogLevel VERBOSE', 'Subsystem sftp /usr/lib/openssh/sftp-server', '',
  ].join('\n'));
  fs.writeFileSync(path.join(ssh, 'client_config'), [
    'Host bravo', `  HostName ${lab.node('bravo').ip}`, '  User root', `  IdentityFile ${path.join(ssh, 'client')}`, '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${path.join(ssh, 'known_hosts')}`, '  StrictHostKeyChecking accept-new', '  ConnectTimeout 10', '',
  ].join('\n'));
  assert.equal((await lab.exec('bravo', ['mkdir', '-p', '/run/sshd'])).exitCode, 0);
  const sshd = lab.start('bravo', ['/usr/sbin/sshd', '-D', '-e', '-f', path.join(ssh, 'sshd_config')]);
  await sshd.waitForOutput(/Server listening on/, 10_000);

  // A bad local configuration is refused before anything is copied.
  const haCf = path.join(lab.node('alpha').haDir, 'ha.cf');
  const good = fs.readFileSync(haCf, 'latin1');
  fs.writeFileSync(haCf, `${good}no_such_directive 1\n`);
  const refused = await lab.exec('alpha', [process.execPath, cliPath('hbctl'), 'propagate', '--ssh-config', path.join(ssh, 'client_config')], { timeoutMs: 30_000 });
  assert.equal(refused.exitCode, 1, refused.stdout + refused.stderr);
  assert.match(refused.stderr, /refusing to propagate/);
  assert.ok(!fs.existsSync(path.join(lab.node('bravo').haDir, 'monitors')), 'nothing copied');
  fs.writeFileSync(haCf, good);

  const dry = await lab.exec('alpha', [process.execPath, cliPath('hbctl'), 'propagate', '--dry-run', '--ssh-config', path.join(ssh, 'client_config')], { timeoutMs: 30_000 });
  assert.equal(dry.exitCode, 0, dry.stderr);
  assert.match(dry.stdout, /^scp -p -q -r .* \/etc\/ha\.d\/ha\.cf \/etc\/ha\.d\/haresources \/etc\/ha\.d\/authkeys \/etc\/ha\.d\/monitors root@bravo:\/etc\/ha\.d\/$/m);
  assert.ok(!fs.existsSync(path.join(lab.node('bravo').haDir, 'monitors')), 'a dry run copies nothing');

  // bravo's authkeys is made world-readable first: propagation must bring back 0600.
  fs.chmodSync(path.join(lab.node('bravo').haDir, 'authkeys'), 0o644);
  const prop = await lab.exec('alpha', [process.execPath, cliPath('hbctl'), 'propagate', '--ssh-config', path.join(ssh, 'client_config')], { timeoutMs: 60_000 });
  assert.equal(prop.exitCode, 0, `${prop.stdout}${prop.stderr}\nsshd:\n${sshd.stderr.slice(-2000)}`);
  assert.match(prop.stdout, /bravo: copied ha\.cf, haresources, authkeys, monitors/);
  for (const f of ['ha.cf', 'haresources', 'authkeys', 'monitors']) {
    assert.equal(fs.readFileSync(path.join(lab.node('bravo').haDir, f), 'latin1'), fs.readFileSync(path.join(lab.node('alpha').haDir, f), 'latin1'), `${f} copied`);
  }
  assert.equal(fs.statSync(path.join(lab.node('bravo').haDir, 'authkeys')).mode & 0o777, 0o600, 'authkeys mode 0600');
  await sshd.stop(5000);

  // bravo restarts with the propagated files: the warning clears on alpha, and bravo has nothing to warn about.
  const from = readLog(lab, 'alpha').length;
  const bravoFrom = readLog(lab, 'bravo').length;
  await bravo.stop(30_000);
  bravo = await startOurHeartbeat(lab, 'bravo');
  await waitForLog(lab, 'alpha', (l) => l.slice(from).includes('Configuration of node bravo now matches ours'), 'the warning cleared', 15_000);
  await waitForLog(lab, 'bravo', (l) => l.slice(bravoFrom).includes('Status update for node alpha'), 'bravo hears alpha', 15_000);
  await new Promise((r) => setTimeout(r, 3 * KEEPALIVE_MS));
  assert.doesNotMatch(readLog(lab, 'bravo').slice(bravoFrom), /Configuration of node alpha differs/);
  assert.match(await hbctlStatus(lab, 'alpha'), /bravo: same as ours/);
  assert.match(await hbctlStatus(lab, 'bravo'), /alpha: same as ours/);
  process.stdout.write('# hbctl propagate (scp to an sshd in bravo\'s namespace), bravo restarted: alpha logged "now matches ours"\n');
  await bravo.stop(30_000);
  await alpha.stop(30_000);
});

test('ours ↔ Heartbeat 3.0.6: the extra status field is ignored by the real node; ours says "unknown", never "differs"', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter', '/usr/libexec/heartbeat/heartbeat'])) return;
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label: 'cfgreal', bridgeAddress: null });
  for (const n of ['alpha', 'bravo']) {
    writeRealConfig(lab, n, { nodes: ['alpha', 'bravo'], method: 'sha1', key: 'Cfg-Key_22' });
    fs.writeFileSync(path.join(lab.node(n).haDir, 'haresources'), `${LINE_A}\n`);
  }
  const alpha = await startOurHeartbeat(lab, 'alpha');
  await startRealHeartbeat(lab, 'bravo');
  await waitForLog(lab, 'alpha', (l) => l.includes('Configuration of node bravo: unknown'), 'the unknown verdict', 15_000);
  await waitForLog(lab, 'bravo', (l) => /Status update for node alpha: status active/.test(l), 'the real node sees us active', 20_000);
  await waitForLog(lab, 'alpha', (l) => /Status update for node bravo: status active/.test(l), 'we see the real node active', 20_000);
  // The resource protocol runs as usual: alpha, the group's home, acquires it.
  await waitForLog(lab, 'alpha', (l) => /Resource group IPaddr2::198\.51\.100\.100\/24\/eth0 acquired/.test(l), 'alpha acquires its group', 40_000);
  // A few more seconds of our status messages, every one with the extra field.
  await new Promise((r) => setTimeout(r, 3000));
  assert.equal(await clNodeStatus(lab, 'bravo', 'alpha'), 'active');
  const real = readLog(lab, 'bravo');
  // (Its "Cannot lock ourselves into memory" ERROR is the namespace's memlock limit, logged at every start.)
  assert.doesNotMatch(real, /bad message|Bad field|replay|returning after partition|node alpha: is dead|CRIT/i, tail(real, 40));

  const ours = readLog(lab, 'alpha');
  assert.doesNotMatch(ours, /Configuration of node bravo differs/);
  assert.equal((ours.match(/Configuration of node bravo: unknown/g) ?? []).length, 1, 'said once');
  assert.match(await hbctlStatus(lab, 'alpha'), /bravo: unknown \(no digests announced\)/);
  process.stdout.write('# ours ↔ Heartbeat 3.0.6: the real node took our status with hbts_config (active both ways, nothing in its log); ours: bravo unknown\n');
  await alpha.stop(30_000);
});
