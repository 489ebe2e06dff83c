// The service monitor's checks as the resource runner runs them (issue 17): a check that hangs is killed with its
// whole process group at its timeout and counts as a failure; a check that floods output is capped and logged
// in a few lines; without check= the resource's own status decides.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseResourceSpec } from '../../src/config/haresources.js';
import { ResourceRunner } from '../../src/daemon/scripts/resource-runner.js';

function runner(t: { after: (f: () => void) => void }, statusWord: string): { r: ResourceRunner; logs: string[]; dir: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-mon-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'resource.d'));
  const script = path.join(dir, 'resource.d', 'svc');
  fs.writeFileSync(script, `#!/bin/sh\n[ "$1" = status ] && echo ${statusWord}\nexit 0\n`, { mode: 0o755 });
  const logs: string[] = [];
  const r = new ResourceRunner({
    configDir: dir, localNode: 'alpha', groups: [{ node: 'alpha', line: 1, resources: [parseResourceSpec('svc')] }], env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin' },
    log: (level, text) => logs.push(`${level}: ${text}`), failedStopArgv: ['/bin/true'],
  });
  return { r, logs, dir };
}

test('a hanging check: killed at its timeout with its process group, a failure', async (t) => {
  const { r, dir } = runner(t, 'running');
  const pidFile = path.join(dir, 'bg.pid');
  const started = Date.now();
  const c = await r.check('svc', ['sh', '-c', `sleep 60 & echo $! > ${pidFile}; sleep 60`], 300);
  assert.equal(c.ok, false);
  assert.match(c.detail, /^timed out after 300 ms \(process group killed\)$/);
  assert.ok(Date.now() - started < 10_000, `returned in ${Date.now() - started} ms`);
  const bg = Number(fs.readFileSync(pidFile, 'utf8'));
  let alive = true;
  for (let i = 0; i < 100 && alive; i++) {
    try {
      process.kill(bg, 0);
      alive = !fs.readFileSync(`/proc/${bg}/stat`, 'utf8').includes(') Z ');
    } catch {
      alive = false;
    }
    if (alive) await new Promise((res) => setTimeout(res, 20));
  }
  assert.equal(alive, false, 'the check\'s background child was killed with its group');
});

test('a flooding check: its output capped, a few lines logged, its exit status counts', async (t) => {
  const { r, logs } = runner(t, 'running');
  const c = await r.check('svc', ['sh', '-c', 'yes flood | head -n 500000 >&2; yes out | head -n 500000; exit 0'], 20_000);
  assert.equal(c.ok, true, c.detail);
  const flood = logs.filter((l) => l.includes('flood'));
  assert.ok(flood.length <= 6, `${flood.length} lines logged`);
  assert.equal(logs.filter((l) => l.includes(': out')).length, 0, 'stdout is not logged');
  const bad = await r.check('svc', ['sh', '-c', 'exit 7'], 5000);
  assert.deepEqual([bad.ok, bad.detail], [false, 'exit 7']);
});

test("without check=: the resource's status decides, as Heartbeat judges it", async (t) => {
  assert.equal((await runner(t, 'running').r.check('svc', undefined, 5000)).ok, true);
  const stopped = await runner(t, 'stopped').r.check('svc', undefined, 5000);
  assert.equal(stopped.ok, false);
  assert.match(stopped.detail, /^status: not running/);
  assert.equal((await runner(t, 'running').r.check('nosuch', undefined, 5000)).ok, false);
});
