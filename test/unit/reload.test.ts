// What a reload (SIGHUP, heartbeat -r) applies: the pure decision of src/node/reload.ts, on configs from text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkConfig } from '../../src/config/check.js';
import { fakeHost } from '../../src/config/host-facts.js';
import type { ClusterConfig } from '../../src/config/model.js';
import { effectiveAfterReload, planReload } from '../../src/node/reload.js';
import { lockPidFile, parsePidFile, pidFileText, readPidFile, unlockPidFile } from '../../src/daemon/lifecycle.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { facilityCode, syslogLine } from '../../src/logging/syslog.js';

const HOST = fakeHost({ interfaces: ['lo', 'eth0', 'eth1'], files: { '/etc/passwd': 'file' }, users: ['root', 'hacluster'], groups: ['root', 'haclient'] });
const BASE = [
  'logfacility local0',
  'logfile /var/log/ha-log',
  'keepalive 1',
  'warntime 5',
  'deadtime 10',
  'initdead 20',
  'bcast eth0',
  'auto_failback on',
  'node alpha bravo',
];
const RES = 'alpha 198.51.100.10 httpd\n';
const KEYS = 'auth 1\n1 sha1 secret\n';

function config(lines: readonly string[], opts: { res?: string; keys?: string } = {}): ClusterConfig {
  const r = checkConfig(
    {
      haCf: { path: 'ha.cf', text: `${lines.join('\n')}\n` },
      haresources: { path: 'haresources', text: opts.res ?? RES },
      authkeys: { path: 'authkeys', text: opts.keys ?? KEYS, mode: 0o600 },
    },
    'alpha',
    HOST,
  );
  assert.ok(r.config !== undefined, r.diagnostics.map((d) => d.message).join('\n'));
  return r.config;
}

const edit = (from: string, to: string): string[] => BASE.map((l) => (l === from ? to : l));
const running = config(BASE);

test('reload: the same files change nothing ("Configuration unchanged.")', () => {
  const p = planReload(running, config(BASE));
  assert.equal(p.unchanged, true);
  assert.deepEqual(p.changes, []);
});

test('reload: keepalive, warntime, deadtime are timing changes applied in place; nothing else is touched', () => {
  const p = planReload(running, config(edit('keepalive 1', 'keepalive 2')));
  assert.deepEqual(p.changes, [{ what: 'keepalive', kind: 'timing' }]);
  assert.deepEqual([p.timing, p.keys, p.logging, p.members, p.notApplied.length], [true, false, false, false, 0]);
  const q = planReload(running, config(edit('warntime 5', 'warntime 3').map((l) => (l === 'deadtime 10' ? 'deadtime 12' : l))));
  // deadping defaults to deadtime, so it moves with it.
  assert.deepEqual(q.changes.map((c) => c.what).sort(), ['deadping', 'deadtime', 'warntime']);
  assert.ok(q.changes.every((c) => c.kind === 'timing'));
});

test('reload: a changed authkeys is re-read in place, as Heartbeat does', () => {
  const p = planReload(running, config(BASE, { keys: 'auth 2\n2 md5 other\n' }));
  assert.deepEqual(p.changes, [{ what: 'authkeys', kind: 'keys' }]);
  assert.equal(p.keys, true);
});

test('reload: logfile, logfacility and debug go to the logger', () => {
  const p = planReload(running, config([...edit('logfacility local0', 'logfacility local7'), 'debugfile /var/log/ha-debug', 'debug 1']));
  assert.deepEqual(p.changes.map((c) => c.what).sort(), ['debug', 'debugfile', 'logfacility']);
  assert.ok(p.changes.every((c) => c.kind === 'logging'));
  assert.equal(p.timing, false);
});

test('reload: a changed media or node set restarts media and membership (resources kept)', () => {
  const media = planReload(running, config([...BASE, 'bcast eth1']));
  assert.equal(media.members, true);
  assert.equal(media.notApplied.length, 0);
  const ping = planReload(running, config([...BASE, 'ping 198.51.100.1']));
  assert.equal(ping.members, true);
  assert.deepEqual(ping.notApplied, []);
});

test('reload: haresources, auto_failback, respawn are not applied while running, and stay reported until a restart', () => {
  const next = config(edit('auto_failback on', 'auto_failback off'), { res: 'alpha 198.51.100.10\n' });
  const p = planReload(running, next);
  assert.deepEqual([...p.notApplied].sort(), ['auto_failback', 'haresources']);
  assert.equal(p.timing || p.members || p.keys || p.logging, false);
  // What runs afterwards keeps the old values of what was not applied: the next reload reports them again.
  const eff = effectiveAfterReload(running, next, p, false);
  assert.equal(eff.autoFailback, running.autoFailback);
  assert.deepEqual(eff.resourceGroups, running.resourceGroups);
  assert.deepEqual([...planReload(eff, next).notApplied].sort(), ['auto_failback', 'haresources']);
  // A mixed change: the timing part is applied (in the effective config), the rest is not.
  const mixed = config(edit('keepalive 1', 'keepalive 2').map((l) => (l === 'auto_failback on' ? 'auto_failback off' : l)));
  const pm = planReload(running, mixed);
  const em = effectiveAfterReload(running, mixed, pm, false);
  assert.equal(em.keepaliveMs, 2000);
  assert.equal(em.autoFailback, running.autoFailback);
});

test('reload: when the pair itself changes, the node and media set keep their running values', () => {
  const next = config(edit('node alpha bravo', 'node alpha charlie'), { res: RES });
  const p = planReload(running, next);
  assert.equal(p.members, true);
  const eff = effectiveAfterReload(running, next, p, true);
  assert.deepEqual(eff.nodes, running.nodes);
});

test('pid file: Heartbeat\'s 11-byte "%10lu\\n"; garbage and 0 are no pid', () => {
  assert.equal(pidFileText(4242), '      4242\n');
  assert.equal(pidFileText(4242).length, 11);
  assert.equal(parsePidFile('      4242\n'), 4242);
  assert.equal(parsePidFile('4242'), 4242);
  assert.equal(parsePidFile(''), undefined);
  assert.equal(parsePidFile('garbage'), undefined);
  assert.equal(parsePidFile('0\n'), undefined);
});

test('syslog: <facility*8+severity> prefix for logger --prio-prefix, Heartbeat\'s "[pid]: LEVEL: text", one line', () => {
  assert.equal(facilityCode('local7'), 23);
  assert.equal(facilityCode('daemon'), 3);
  assert.equal(facilityCode('none'), undefined);
  assert.equal(syslogLine(23, 'info', 17, 'info', 'Link bravo:eth0 up.'), '<190>[17]: info: Link bravo:eth0 up.\n');
  assert.equal(syslogLine(16, 'err', 17, 'ERROR', 'a\nb'), '<131>[17]: ERROR: a b\n');
});

test('pid file lock: taken when absent or stale, refused while a live process holds it, removed only by its owner', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-pid-'));
  try {
    const file = path.join(dir, 'heartbeat.pid');
    const dead = 2147483646; // above pid_max: never a live process
    assert.deepEqual(lockPidFile(file, dead), { ok: true });
    assert.equal(fs.readFileSync(file, 'latin1'), pidFileText(dead));
    assert.deepEqual(readPidFile(file), { state: 'stale', pid: dead });
    // A stale file is replaced; this test process is the live holder now.
    assert.deepEqual(lockPidFile(file, process.pid), { ok: true });
    assert.deepEqual(readPidFile(file), { state: 'running', pid: process.pid });
    const refused = lockPidFile(file, dead);
    assert.equal(refused.ok, false);
    if (!refused.ok) assert.equal(refused.holder, process.pid);
    unlockPidFile(file, dead); // not the owner: kept
    assert.ok(fs.existsSync(file));
    unlockPidFile(file, process.pid);
    assert.ok(!fs.existsSync(file));
    assert.deepEqual(fs.readdirSync(dir), [], 'no temporary file left behind');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
