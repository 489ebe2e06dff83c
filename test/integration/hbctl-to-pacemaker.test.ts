// The built `hbctl to-pacemaker`: the files it writes, exit statuses, --format, the atomic replacement of --out,
// and the --check-config diagnostics (crm on among them) with nothing written.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cliPath, repoRoot } from '../helpers/paths.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-to-pcmk-'));
after(() => fs.rmSync(work, { recursive: true, force: true }));

function hbctl(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cliPath('hbctl'), 'to-pacemaker', ...args], { encoding: 'utf8', timeout: 30_000 });
  assert.doesNotMatch(`${r.stdout}${r.stderr}`, /\n\s+at .+:\d+:\d+/, 'no stack trace');
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/**
 * A copy of the example pair (etc-ha.d) that checks on any host: no serial line, no respawn, no apiauth (its users
 * exist only where the heartbeat package made them), "bcast lo".
 */
function exampleDir(name: string, edit: (haCf: string) => string = (t) => t): string {
  const dir = path.join(work, name);
  fs.mkdirSync(dir);
  for (const f of ['ha.cf', 'haresources', 'authkeys']) fs.copyFileSync(path.join(repoRoot, 'etc-ha.d', f), path.join(dir, f));
  fs.chmodSync(path.join(dir, 'authkeys'), 0o600);
  const cf = path.join(dir, 'ha.cf');
  fs.writeFileSync(cf, edit(fs.readFileSync(cf, 'utf8').replace(/^serial\s.*$/m, '').replace(/^respawn\s.*$/m, '').replace(/^apiauth\s.*$/gm, '').replace(/^bcast\s.*$/m, 'bcast lo')));
  return dir;
}

test('writes corosync.conf, cib.xml, crm.txt, pcs.sh and NOTES.txt; warnings on stderr; exit 0', () => {
  const dir = exampleDir('good');
  const out = path.join(work, 'out-good');
  const r = hbctl('--config-dir', dir, '--node-name', 'alpha', '--out', out, '--addresses', 'alpha=198.51.100.11,bravo=198.51.100.12');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(fs.readdirSync(out).sort(), ['NOTES.txt', 'cib.xml', 'corosync.conf', 'crm.txt', 'pcs.sh']);
  assert.equal(fs.statSync(path.join(out, 'pcs.sh')).mode & 0o777, 0o755);
  assert.match(fs.readFileSync(path.join(out, 'corosync.conf'), 'utf8'), /ring0_addr: 198\.51\.100\.12/);
  assert.match(r.stderr, /warning: .*mod_status/);
  assert.match(r.stdout, /wrote .*NOTES\.txt/);
  // No temporary directory left beside it.
  assert.deepEqual(fs.readdirSync(work).filter((n) => n.includes('.tmp-')), []);
});

test('--format cib writes only corosync.conf, cib.xml and NOTES.txt, replacing the old directory whole', () => {
  const dir = exampleDir('format');
  const out = path.join(work, 'out-format');
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, 'stale.txt'), 'old');
  const r = hbctl('--config-dir', dir, '--node-name', 'alpha', '--out', out, '--format', 'cib');
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(fs.readdirSync(out).sort(), ['NOTES.txt', 'cib.xml', 'corosync.conf']);
});

test('crm on: the --check-config diagnostic, which points to to-pacemaker; exit 1, nothing written', () => {
  const dir = exampleDir('crm-on', (t) => t.replace(/^crm\s+off$/m, 'crm on'));
  const out = path.join(work, 'out-crm');
  const r = hbctl('--config-dir', dir, '--node-name', 'alpha', '--out', out);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /ha\.cf:\d+:\d+: error HA_CFG_PACEMAKER: crm "on" .*hbctl to-pacemaker/);
  assert.match(r.stderr, /nothing written/);
  assert.equal(fs.existsSync(out), false);
});

test('several errors: all reported with file and line, exit 1, the existing output untouched', () => {
  const dir = exampleDir('bad', (t) => t.replace(/^deadtime\s.*$/m, 'deadtime 10s').replace(/^auto_failback\s.*$/m, 'auto_failback sometimes'));
  const out = path.join(work, 'out-bad');
  fs.mkdirSync(out);
  fs.writeFileSync(path.join(out, 'keep.txt'), 'mine');
  const r = hbctl('--config-dir', dir, '--node-name', 'alpha', '--out', out);
  assert.equal(r.status, 1);
  assert.match(r.stderr, /ha\.cf:\d+:\d+: error HA_CFG_BAD_DURATION/);
  assert.match(r.stderr, /ha\.cf:\d+:\d+: error HA_CFG_BAD_VALUE: auto_failback/);
  assert.deepEqual(fs.readdirSync(out), ['keep.txt']);
});

test('a missing config directory, bad usage', () => {
  const r = hbctl('--config-dir', path.join(work, 'nope'), '--node-name', 'alpha', '--out', path.join(work, 'o'));
  assert.equal(r.status, 1);
  assert.match(r.stderr, /HA_CFG_UNREADABLE/);
  assert.equal(hbctl('--format', 'xml').status, 2);
  assert.equal(hbctl('--addresses', 'alpha').status, 2);
  assert.equal(hbctl('extra').status, 2);
  assert.match(hbctl('--help').stdout, /Usage: hbctl to-pacemaker/);
});

test('an --out that is a file: exit 2, the file untouched, no temporary directory left', () => {
  const dir = exampleDir('outfile');
  const out = path.join(work, 'a-file');
  fs.writeFileSync(out, 'data');
  const r = hbctl('--config-dir', dir, '--node-name', 'alpha', '--out', out);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /cannot write .*not a directory; nothing written/);
  assert.equal(fs.readFileSync(out, 'utf8'), 'data');
  assert.deepEqual(fs.readdirSync(work).filter((n) => n.includes('.tmp-')), []);
});
