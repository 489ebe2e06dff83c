// The built `heartbeat` command: --check-config verdicts and exit statuses, -D/-W/-V, Heartbeat's flag rules.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPath } from '../helpers/paths.js';
import { REAL_HEARTBEAT } from '../helpers/config-verdict.js';
import { isCi } from '../helpers/privileges.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-cli-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

function heartbeat(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliPath('heartbeat'), ...args], { encoding: 'utf8', timeout: 15_000 });
  assert.doesNotMatch(`${r.stdout}${r.stderr}`, /\n\s+at .+:\d+:\d+/, 'no stack trace');
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A config on loopback only ("bcast lo" is accepted by Heartbeat 3.0.6 too), so it checks on any host. */
function configDir(name: string, files: { haCf?: string; haresources?: string; authkeys?: string; mode?: number }): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  const haCf = files.haCf ?? 'logfacility none\nkeepalive 1\ndeadtime 5\nwarntime 3\ninitdead 10\nudpport 694\nbcast lo\nauto_failback on\nnode alpha bravo\ncrm off\n';
  fs.writeFileSync(path.join(dir, 'ha.cf'), haCf);
  fs.writeFileSync(path.join(dir, 'haresources'), files.haresources ?? 'alpha IPaddr::198.51.100.10/24/lo httpd\n');
  fs.writeFileSync(path.join(dir, 'authkeys'), files.authkeys ?? 'auth 1\n1 sha1 secret\n');
  fs.chmodSync(path.join(dir, 'authkeys'), files.mode ?? 0o600);
  return dir;
}

test('--check-config accepts a good configuration, exit 0, with a summary', () => {
  const dir = configDir('good', {});
  const r = heartbeat('--check-config', '--config-dir', dir, '--node-name', 'alpha');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /alpha/);
  assert.match(r.stdout, /bravo/);
  assert.match(r.stdout, /bcast/);
  assert.match(r.stdout, /1000 ?ms/);
  assert.match(r.stdout, /IPaddr::198\.51\.100\.10\/24\/lo/);
  assert.match(r.stdout, /sha1/);
});

test('--check-config reads <config-dir>/monitors when present (issue 17): its errors refuse, a line naming no resource warns', () => {
  const good = configDir('monitors-good', {});
  fs.writeFileSync(path.join(good, 'monitors'), '# web\nhttpd interval=5 check=curl -fsS http://198.51.100.10/\napache interval=1\n');
  const ok = heartbeat('--check-config', '--config-dir', good, '--node-name', 'alpha');
  assert.equal(ok.status, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`^${path.join(good, 'monitors')}:3:1: warning HA_MON_UNKNOWN_RESOURCE: "apache" is not a resource in haresources`, 'm'));
  const bad = configDir('monitors-bad', {});
  fs.writeFileSync(path.join(bad, 'monitors'), 'httpd interval=5s\nhttpd\nhttpd fall=2\nIPaddr::198.51.100.10/24/lo color=red\n');
  const r = heartbeat('--check-config', '--config-dir', bad, '--node-name', 'alpha');
  assert.equal(r.status, 1);
  assert.deepEqual(r.stderr.split('\n').filter((l) => l.includes('HA_MON_')).map((l) => l.slice(path.join(bad, 'monitors').length)), [
    ':1:7: error HA_MON_BAD_TIME: interval "5s" is not a time value above zero (write 5 for seconds or 500ms)',
    ':3:1: error HA_MON_DUPLICATE: httpd has a monitors line already (line 2)',
    ':4:29: error HA_MON_UNKNOWN_KEY: unknown option "color" (expected interval, timeout, fall, restarts, forget or check)',
  ]);
});

test('--check-config reports every problem with file:line:col and a code, exit 1', () => {
  const dir = configDir('bad', {
    haCf: 'keepalive 1\ndeadtime 10s\nbcast lo\nauto_failback sometimes\nnode alpha bravo\n',
    haresources: 'alpha 198.51.100.10 httpd\n',
    authkeys: 'auth 1\n1 sha1 secret\n',
    mode: 0o644,
  });
  const r = heartbeat('--check-config', '--config-dir', dir, '--node-name', 'alpha');
  assert.equal(r.status, 1);
  const lines = r.stderr.split('\n').filter((l) => / error HA_/.test(l));
  assert.ok(lines.length >= 3, `expected at least three errors, got:\n${r.stderr}`);
  assert.ok(lines.some((l) => l.startsWith(`${path.join(dir, 'ha.cf')}:2:`) && l.includes('10s')), r.stderr);
  assert.ok(lines.some((l) => l.startsWith(`${path.join(dir, 'ha.cf')}:4:`) && l.includes('sometimes')), r.stderr);
  assert.ok(lines.some((l) => l.startsWith(path.join(dir, 'authkeys')) && / error HA_AUTH_/.test(l)), r.stderr);
  assert.match(r.stderr, /would not start/);
});

test('--check-config --json is one JSON document with the diagnostics', () => {
  const dir = configDir('json', { haCf: 'keepalive 2s\nbcast lo\nnode alpha\n' });
  const r = heartbeat('--check-config', '--json', '--config-dir', dir, '--node-name', 'alpha');
  assert.equal(r.status, 1);
  const doc = JSON.parse(r.stdout) as { ok: boolean; diagnostics: { code: string; line: number; file: string }[] };
  assert.equal(doc.ok, false);
  assert.ok(doc.diagnostics.some((d) => d.code === 'HA_CFG_BAD_DURATION' && d.line === 1), r.stdout);
  const good = heartbeat('--check-config', '--json', '--config-dir', configDir('json-good', {}), '--node-name', 'alpha');
  assert.equal(good.status, 0, good.stdout);
  assert.equal((JSON.parse(good.stdout) as { ok: boolean }).ok, true);
});

test('a missing configuration directory is a clear error, exit 1', () => {
  const r = heartbeat('--check-config', '--config-dir', path.join(work, 'nope'), '--node-name', 'alpha');
  assert.equal(r.status, 1);
  assert.match(r.stderr, /ha\.cf/);
});

test('Heartbeat flag rules: usage errors exit 2 with the same wording', () => {
  let r = heartbeat('-x');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /invalid option -- 'x'/);
  assert.match(r.stderr, /Usage: heartbeat \[-dDkMrRsvWlVf\] \[-C Current-resource-state\]/);
  r = heartbeat('-C', 'all');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /-C only valid with -R/);
  r = heartbeat('-r', '-R');
  assert.equal(r.status, 2);
  assert.match(r.stderr, /-r is mutually exclusive with -R/);
});

test('--metrics: an address that is not loopback, or no port, is a usage error (exit 2) before anything starts', () => {
  let r = heartbeat('-f', '--metrics', '0.0.0.0:9694');
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--metrics 0\.0\.0\.0:9694: the endpoint listens on loopback only/);
  r = heartbeat('-f', '--metrics', '127.0.0.1');
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /--metrics wants ADDRESS:PORT/);
});

test('-V prints the version; -s/-k without a daemon answer as Heartbeat 3.0.6; -f and the background start refuse a bad configuration (exit 6)', () => {
  const v = heartbeat('-V');
  assert.equal(v.status, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+ \(heartbeat-ts; compatible with Heartbeat 3\.0\.6\)\n$/);
  const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-f-'));
  try {
    const pidFile = path.join(empty, 'heartbeat.pid');
    // No pid file: stopped, LSB 3; a pid file naming a dead process: stopped, LSB 1 (measured on 3.0.6).
    assert.deepEqual(heartbeat('-s', '--pid-file', pidFile), { status: 3, stdout: 'heartbeat is stopped. No process\n', stderr: '' });
    fs.writeFileSync(pidFile, '2147483646\n');
    assert.deepEqual(heartbeat('-s', '--pid-file', pidFile), { status: 1, stdout: 'heartbeat is stopped. No process\n', stderr: '' });
    assert.deepEqual(heartbeat('-k', '--pid-file', pidFile), { status: 0, stdout: '', stderr: 'INFO: Heartbeat already stopped.\n' });
    fs.rmSync(pidFile);
    const d = heartbeat('--config-dir', empty, '--node-name', 'alpha', '--state-dir', empty, '--run-dir', path.join(empty, 'run'));
    assert.equal(d.status, 6, d.stderr);
    assert.match(d.stderr, /ha\.cf: error HA_CFG_[A-Z_]+: /);
    assert.match(d.stderr, /Configuration error, heartbeat not started\./);
    assert.deepEqual(fs.readdirSync(empty), [], 'nothing written before the configuration is good');
    const f = heartbeat('-f', '--config-dir', empty, '--node-name', 'alpha', '--state-dir', empty, '--run-dir', path.join(empty, 'run'));
    assert.equal(f.status, 6, f.stderr);
    assert.match(f.stderr, /ha\.cf: error HA_CFG_[A-Z_]+: /);
    assert.match(f.stderr, /configuration error in .*; not starting/);
    assert.deepEqual(fs.readdirSync(empty), [], 'nothing written before the configuration is good');
  } finally {
    fs.rmSync(empty, { recursive: true, force: true });
  }
});

test('-D prints the same defaults table as Heartbeat 3.0.6', (t) => {
  const ours = heartbeat('-D');
  assert.equal(ours.status, 0);
  assert.match(ours.stdout, /^Directive\s+Default\s+Description\n-{80}\n/);
  if (!fs.existsSync(REAL_HEARTBEAT)) {
    if (isCi()) assert.fail(`${REAL_HEARTBEAT} is missing (CI installs the heartbeat package)`);
    t.skip('the real heartbeat is not installed');
    return;
  }
  // `heartbeat -D` needs no privileges and touches nothing: it prints and exits.
  const real = spawnSync(REAL_HEARTBEAT, ['-D'], { encoding: 'utf8', timeout: 10_000 });
  assert.equal(ours.stdout, real.stdout);
});

test('issue 18: --check-config notes stock IPaddr/IPaddr2 run natively (info HA_RES_NATIVE_STOCK), a modified copy and HBTS_NATIVE=off run as written', (t) => {
  const installed = ['/etc/ha.d/resource.d/hto-mapfuncs', '/usr/lib/ocf/resource.d/heartbeat/IPaddr', '/usr/lib/ocf/resource.d/heartbeat/IPaddr2'];
  const fixtures = new URL('../../../test/fixtures/stock-agents/', import.meta.url);
  const same = (a: string, b: string): boolean => fs.existsSync(a) && fs.readFileSync(a).equals(fs.readFileSync(new URL(b, fixtures)));
  if (!(same(installed[0] ?? '', 'hto-mapfuncs') && same(installed[1] ?? '', 'IPaddr.ocf') && same(installed[2] ?? '', 'IPaddr2.ocf'))) {
    // CI installs Debian 12's heartbeat and resource-agents (.ci/run), whose files these are.
    assert.ok(!isCi(), `Debian 12's hto-mapfuncs and OCF IPaddr/IPaddr2 are not installed as recorded (${installed.join(', ')})`);
    t.skip('Debian 12\'s heartbeat and resource-agents are not installed here');
    return;
  }
  const dir = configDir('stock-agents', { haresources: 'alpha 198.51.100.10/24/lo IPaddr2::198.51.100.11/24/lo\n' });
  fs.mkdirSync(path.join(dir, 'resource.d'));
  for (const name of ['IPaddr', 'IPaddr2']) fs.copyFileSync(new URL(`${name}.wrapper`, fixtures), path.join(dir, 'resource.d', name));
  for (const name of ['IPaddr', 'IPaddr2']) fs.chmodSync(path.join(dir, 'resource.d', name), 0o755);
  let r = heartbeat('--check-config', '--config-dir', dir, '--node-name', 'alpha');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /haresources:1:1: info HA_RES_NATIVE_STOCK: \S+\/resource\.d\/IPaddr: Debian's stock IPaddr \(Debian 12/);
  assert.match(r.stdout, /haresources:1:1: info HA_RES_NATIVE_STOCK: \S+\/resource\.d\/IPaddr2: Debian's stock IPaddr2 \(Debian 12/);
  const off = spawnSync(process.execPath, [cliPath('heartbeat'), '--check-config', '--config-dir', dir, '--node-name', 'alpha'], { encoding: 'utf8', timeout: 15_000, env: { ...process.env, HBTS_NATIVE: 'off' } });
  assert.equal(off.status, 0, off.stderr);
  assert.equal(off.stdout.match(/info HA_RES_NATIVE_OFF: /g)?.length, 2, off.stdout);
  fs.appendFileSync(path.join(dir, 'resource.d', 'IPaddr2'), '# local change\n');
  r = heartbeat('--check-config', '--config-dir', dir, '--node-name', 'alpha');
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /info HA_RES_STOCK_MODIFIED: \S+\/resource\.d\/IPaddr2: not a recorded stock IPaddr2 \(a local or modified copy\): run as written/);
  assert.match(r.stdout, /info HA_RES_NATIVE_STOCK: \S+\/resource\.d\/IPaddr: /);
});
