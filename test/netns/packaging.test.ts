// The .deb: it builds from the tree, holds what it should, installs into a scratch root (never the real one:
// the real Heartbeat package lives there), and in a lab node the installed init script starts, reports,
// reloads and stops the daemon; systemd-analyze accepts the unit.
//
// The scratch root: `dpkg --root=DIR --force-script-chrootless` (postinst honours DPKG_ROOT: the user and
// group go into DIR/etc/passwd and DIR/etc/group). The node sees the installed files where they belong
// through its private mount namespace: DIR/usr is overlaid on /usr and DIR/etc/init.d bound on /etc/init.d.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLab, run, shQuote } from '../helpers/netns.js';
import { isCi, requireRootAndCommands } from '../helpers/privileges.js';
import { readLog, tail, waitForLog, writeRealConfig } from '../helpers/real-heartbeat.js';
import { repoRoot } from '../helpers/paths.js';

/** Files a user of the package relies on (paths as dpkg-deb --contents prints them). */
const EXPECTED = [
  './usr/sbin/heartbeat', './usr/sbin/hbctl', './usr/bin/cl_status', './usr/bin/hb_standby', './usr/bin/hb_takeover',
  './usr/bin/ipfail', './usr/lib/heartbeat/ipfail', './usr/share/heartbeat/hb_standby', './usr/share/heartbeat/hb_takeover',
  './usr/lib/heartbeat-ts/dist/src/cli/heartbeat.js', './usr/lib/heartbeat-ts/package.json',
  './usr/lib/heartbeat-ts/node_modules/serialport/package.json',
  './usr/lib/heartbeat-ts/resource.d/IPaddr', './usr/lib/heartbeat-ts/resource.d/IPaddr2', './usr/lib/heartbeat-ts/resource.d/httpd',
  './etc/init.d/heartbeat', './etc/default/heartbeat', './etc/logrotate.d/heartbeat', './lib/systemd/system/heartbeat.service',
  './usr/lib/tmpfiles.d/heartbeat.conf',
  './usr/share/man/man8/heartbeat.8.gz', './usr/share/man/man1/cl_status.1.gz', './usr/share/man/man8/hbctl.8.gz',
  './usr/share/man/man1/hb_standby.1.gz', './usr/share/man/man1/hb_takeover.1.gz', './usr/share/man/man8/ipfail.8.gz',
  './usr/share/doc/heartbeat-ts/copyright', './usr/share/doc/heartbeat-ts/examples/ha.cf',
  './usr/share/doc/heartbeat-ts/examples/haresources', './usr/share/doc/heartbeat-ts/examples/authkeys',
];

/** A minimal target system for dpkg --root: an empty package database and a user database with root only. */
function scratchRoot(dir: string): void {
  for (const d of ['var/lib/dpkg/info', 'var/lib/dpkg/updates', 'etc']) fs.mkdirSync(path.join(dir, d), { recursive: true });
  for (const f of ['var/lib/dpkg/status', 'var/lib/dpkg/available']) fs.writeFileSync(path.join(dir, f), '');
  fs.writeFileSync(path.join(dir, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFileSync(path.join(dir, 'etc/group'), 'root:x:0:\n');
  fs.writeFileSync(path.join(dir, 'etc/shadow'), 'root:*:19000:0:99999:7:::\n', { mode: 0o640 });
  fs.writeFileSync(path.join(dir, 'etc/gshadow'), 'root:*::\n', { mode: 0o640 });
}

test('the .deb builds, installs into a scratch root, and its init script and unit run the daemon', async (t) => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-pkg-'));
  const t0 = Date.now();
  const phases: string[] = [];
  const phase = (name: string): void => void phases.push(`${name} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));

  // 1. Build (dist/ is built by `npm test`) and look inside.
  const built = await run(['sh', path.join(repoRoot, 'packaging', 'build-deb.sh'), work], { timeoutMs: 120_000 });
  assert.equal(built.exitCode, 0, `build-deb.sh: ${built.stderr}`);
  const deb = built.stdout.trim().split('\n').pop() ?? '';
  assert.match(path.basename(deb), /^heartbeat-ts_\d+\.\d+\.\d+_[a-z0-9]+\.deb$/);
  const contents = await run(['dpkg-deb', '--contents', deb], { timeoutMs: 30_000 });
  assert.equal(contents.exitCode, 0, contents.stderr);
  const listed = new Set(contents.stdout.split('\n').map((l) => (/ (\.\/\S*)( -> .*)?$/.exec(l)?.[1] ?? '')));
  assert.deepEqual(EXPECTED.filter((f) => !listed.has(f)), [], 'files missing from the package');
  assert.equal([...listed].filter((f) => f.startsWith('./usr/lib/heartbeat-ts/dist/test/') || f.includes('/typescript/')).length, 0, 'tests and dev dependencies stay out');
  assert.match(contents.stdout, /^-rwxr-xr-x root\/root .* \.\/usr\/sbin\/heartbeat$/m, 'root-owned, executable launcher');
  const fields = await run(['dpkg-deb', '--field', deb, 'Package', 'Depends', 'Conflicts', 'Replaces', 'Provides'], { timeoutMs: 10_000 });
  assert.match(fields.stdout, /^Package: heartbeat-ts$/m);
  assert.match(fields.stdout, /^Depends: .*nodejs \(>= 20\)/m);
  for (const f of ['Conflicts', 'Replaces', 'Provides']) assert.match(fields.stdout, new RegExp(`^${f}: heartbeat$`, 'm'));

  phase('built');
  if (!requireRootAndCommands(t, ['dpkg', 'nsenter', 'useradd'])) return;

  // 2. Install into a scratch root: files unpacked, postinst run (user and group made there, not here).
  const root = path.join(work, 'root');
  scratchRoot(root);
  const inst = await run(['dpkg', `--root=${root}`, '--force-not-root', '--force-depends', '--force-script-chrootless', '--log=/dev/null', '-i', deb], { timeoutMs: 60_000 });
  assert.equal(inst.exitCode, 0, `dpkg -i: ${inst.stdout}${inst.stderr}`);
  const status = await run(['dpkg', `--root=${root}`, '-s', 'heartbeat-ts'], { timeoutMs: 10_000 });
  assert.match(status.stdout, /^Status: install ok installed$/m);
  assert.match(fs.readFileSync(path.join(root, 'etc/group'), 'utf8'), /^haclient:x:\d+:$/m);
  assert.match(fs.readFileSync(path.join(root, 'etc/passwd'), 'utf8'), /^hacluster:x:\d+:\d+:Heartbeat System Account:\/var\/lib\/heartbeat:\/usr\/sbin\/nologin$/m);
  const examples = path.join(root, 'usr/share/doc/heartbeat-ts/examples');
  fs.chmodSync(path.join(examples, 'authkeys'), 0o600);
  const check = await run([path.join(root, 'usr/sbin/heartbeat'), '--check-config', '--config-dir', examples, '--node-name', 'alpha'], { timeoutMs: 30_000 });
  assert.equal(check.exitCode, 0, `installed heartbeat --check-config on the shipped examples: ${check.stdout}${check.stderr}`);
  assert.match(check.stdout, /^Configuration OK for node alpha\.$/m);

  phase('installed');
  // 3. A node in which the package is installed (its private mounts only).
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }], label: 'pkg' });
  writeRealConfig(lab, 'alpha', { nodes: ['alpha', 'bravo'], method: 'sha1', key: 'Pkg-Key_1', initdead: '1' });
  const mounted = await lab.exec('alpha', ['sh', '-c', [
    `mount -t overlay overlay -o lowerdir=${shQuote(`${root}/usr`)}:/usr /usr`,
    `mount --bind ${shQuote(`${root}/etc/init.d`)} /etc/init.d`,
    `mkdir -p /run/hbts-unit && cp ${shQuote(`${root}/lib/systemd/system/heartbeat.service`)} /run/hbts-unit/`,
  ].join(' && ')], { timeoutMs: 10_000 });
  assert.equal(mounted.exitCode, 0, mounted.stderr);
  const init = (action: string) => lab.exec('alpha', ['/etc/init.d/heartbeat', action], { timeoutMs: 60_000 });
  const say = (text: string) => void process.stdout.write(`# ${text}\n`);

  // 4. systemd-analyze verify on the unit, with the package's files in place (ExecStart, man page).
  const haveAnalyze = (await lab.exec('alpha', ['sh', '-c', 'command -v systemd-analyze'], { timeoutMs: 5000 })).exitCode === 0;
  if (!haveAnalyze) {
    if (isCi()) assert.fail('systemd-analyze is missing: npm test as root installs Debian\'s systemd package (test/debian-packages.txt)');
    t.diagnostic('systemd-analyze not installed: unit not verified');
  } else {
    // Documentation=man:heartbeat(8) is checked with `man` when man-db is installed (minimal systems lack it).
    const haveMan = (await lab.exec('alpha', ['sh', '-c', 'command -v man'], { timeoutMs: 5000 })).exitCode === 0;
    if (!haveMan) t.diagnostic('man not installed: systemd-analyze verify --man=no');
    const v = await lab.exec('alpha', ['systemd-analyze', 'verify', ...(haveMan ? [] : ['--man=no']), '/run/hbts-unit/heartbeat.service'], { timeoutMs: 30_000 });
    assert.equal(v.exitCode, 0, `systemd-analyze verify: ${v.stdout}${v.stderr}`);
    // verify also loads the units multi-user.target wants on this machine, and prints their complaints
    // (Debian's ldirectord.service: "Unit uses KillMode=none"): those are not ours.
    const lines = `${v.stdout}${v.stderr}`.split('\n').filter((l) => l.trim() !== '');
    const others = lines.filter((l) => /^\/(lib|usr\/lib|etc)\/systemd\/system\/(?!heartbeat\.service)[^:]+:/.test(l));
    for (const l of others) t.diagnostic(`another unit's complaint, not ours: ${l}`);
    assert.deepEqual(lines.filter((l) => !others.includes(l)), [], 'systemd-analyze verify has no complaint about heartbeat.service');
    say('systemd-analyze verify heartbeat.service: no complaint');
  }

  phase('unit verified');
  // 5. The init script: start (twice), status, reload (good, then broken), restart, stop (twice), status.
  const started = await init('start');
  assert.equal(started.exitCode, 0, `start: ${started.stdout}${started.stderr}`);
  await waitForLog(lab, 'alpha', (l) => /Local status now set to: 'up'/.test(l), 'start-up', 15_000);
  const pidText = (await lab.exec('alpha', ['cat', '/run/heartbeat.pid'], { timeoutMs: 5000 })).stdout.trim();
  assert.match(pidText, /^\d+$/, 'pid file /var/run/heartbeat.pid');
  const cmdline = fs.readFileSync(`/proc/${pidText}/cmdline`, 'latin1').split('\0');
  assert.ok(cmdline.includes('/usr/lib/heartbeat-ts/dist/src/cli/heartbeat.js'), `the package's copy runs: ${cmdline.join(' ')}`);
  const again = await init('start');
  assert.equal(again.exitCode, 0, `second start: ${again.stdout}${again.stderr}`);
  assert.match(again.stdout, /already running/);
  const st = await init('status');
  assert.equal(st.exitCode, 0, `status while running: ${st.stdout}${st.stderr}`);
  say(`init script status: ${st.stdout.trim()}`);

  await t.test('cl_status (the package\'s) against the running daemon', async () => {
    // The API socket opens at comm-up (after initdead for a node alone), as Heartbeat's does.
    await waitForLog(lab, 'alpha', (l) => /API socket \S+ open/.test(l), 'the API socket (comm-up)', 30_000);
    const cl = await lab.exec('alpha', ['/usr/bin/cl_status', 'hbstatus'], { timeoutMs: 10_000 });
    assert.equal(cl.exitCode, 0, `cl_status hbstatus: ${cl.stdout}${cl.stderr}`);
    assert.equal(cl.stdout.trim(), 'Heartbeat is running on this machine.');
  });

  const logBefore = readLog(lab, 'alpha').length;
  const reloaded = await init('reload');
  assert.equal(reloaded.exitCode, 0, `reload: ${reloaded.stdout}${reloaded.stderr}`);
  // The daemon re-reads /etc/ha.d (files unchanged here) and says so.
  await waitForLog(lab, 'alpha', (l) => /Re-reading the configuration[^\n]*\n(?:.*\n)*?.*Configuration (unchanged|reloaded)\./.test(l.slice(logBefore)), 'reload logged', 10_000);
  const afterReload = await init('status');
  assert.equal(afterReload.exitCode, 0, `status after reload: ${afterReload.stdout}${afterReload.stderr}`);
  assert.equal((await lab.exec('alpha', ['cat', '/run/heartbeat.pid'], { timeoutMs: 5000 })).stdout.trim(), pidText, 'same daemon after reload');

  // A broken ha.cf: reload fails, says why, and the daemon runs on (same pid) with the old configuration.
  const haCf = path.join(lab.node('alpha').haDir, 'ha.cf');
  const good = fs.readFileSync(haCf, 'utf8');
  fs.writeFileSync(haCf, good.replace(/^deadtime .*$/m, 'deadtime 30s'));
  const refused = await init('force-reload');
  assert.notEqual(refused.exitCode, 0, `force-reload with a broken ha.cf must fail: ${refused.stdout}${refused.stderr}`);
  assert.match(`${refused.stdout}${refused.stderr}`, /deadtime/, 'the reason is shown');
  say(`init script force-reload with deadtime "30s": exit ${refused.exitCode}: ${`${refused.stdout}${refused.stderr}`.trim().replace(/\s*\n\s*/g, ' / ')}`);
  assert.equal((await init('status')).exitCode, 0, 'still running after a refused reload');
  assert.equal((await lab.exec('alpha', ['cat', '/run/heartbeat.pid'], { timeoutMs: 5000 })).stdout.trim(), pidText, 'same daemon after a refused reload');
  fs.writeFileSync(haCf, good);

  phase('reloads');
  const restarted = await init('restart');
  assert.equal(restarted.exitCode, 0, `restart: ${restarted.stdout}${restarted.stderr}`);
  const newPid = (await lab.exec('alpha', ['cat', '/run/heartbeat.pid'], { timeoutMs: 5000 })).stdout.trim();
  assert.match(newPid, /^\d+$/);
  assert.notEqual(newPid, pidText, 'restart runs a new daemon');
  assert.equal((await init('status')).exitCode, 0, 'running after restart');

  phase('restarted');
  const stopped = await init('stop');
  assert.equal(stopped.exitCode, 0, `stop: ${stopped.stdout}${stopped.stderr}\n${tail(readLog(lab, 'alpha'), 20)}`);
  const after = await init('status');
  assert.equal(after.exitCode, 3, `status after stop (LSB 3, not running): ${after.stdout}${after.stderr}`);
  assert.equal((await lab.exec('alpha', ['test', '-e', '/run/heartbeat.pid'], { timeoutMs: 5000 })).exitCode, 1, 'pid file removed');
  const anchor = lab.node('alpha').anchorPid;
  let left: number[] = [];
  for (let i = 0; i < 50; i++) {
    left = (await lab.pidsIn('alpha')).filter((p) => p !== anchor);
    if (left.length === 0) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.deepEqual(left, [], 'no process left in the node');
  const stopAgain = await init('stop');
  assert.equal(stopAgain.exitCode, 0, 'stopping a stopped service succeeds (LSB)');
  phase('stopped');
  say(`phases: ${phases.join(', ')}`);
  say(`init script: start, status, reload, refused reload, restart, stop; the daemon's log ends: ${tail(readLog(lab, 'alpha').trimEnd(), 1)}`);
});
