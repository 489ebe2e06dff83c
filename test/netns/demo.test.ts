// `npm run demo` as root: it runs to completion, prints the takeover and failback timings, and leaves no
// namespace or process behind (the demo writes the namespaces and PIDs it had to HBTS_DEMO_REPORT; this test
// checks them itself after the demo has exited). Twice: with Apache, and with the built-in web server the demo
// uses where Apache is absent (forced here with HBTS_DEMO_WEB=builtin, since this machine has Apache).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { run } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { distDir } from '../helpers/paths.js';

for (const server of ['apache', 'builtin'] as const) {
test(`the demo (${server}): a pair in namespaces, power loss, takeover and failback timings, nothing left behind`, async (t) => {
  if (!requireRootAndCommands(t, server === 'apache' ? ['nsenter', 'apache2'] : ['nsenter'])) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-demotest-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const report = path.join(dir, 'report.json');
  const r = await run([process.execPath, path.join(distDir, 'test', 'demo', 'demo.js')], {
    timeoutMs: 120_000,
    env: { ...process.env, HBTS_DEMO_REPORT: report, HBTS_DEMO_WEB: server },
  });
  const out = `${r.stdout}${r.stderr}`;
  assert.equal(r.exitCode, 0, out);
  const takeover = /^takeover: bravo serves \S+ (\d+\.\d+) s after the crash/m.exec(r.stdout);
  const failback = /^failback: alpha restarted and serves \S+ again (\d+\.\d+) s after its restart/m.exec(r.stdout);
  assert.ok(takeover !== null, `no takeover timing in:\n${out}`);
  assert.ok(failback !== null, `no failback timing in:\n${out}`);
  // deadtime 1 s counts from the last heartbeat bravo heard, up to one keepalive (200 ms) before the crash:
  // bravo cannot serve earlier than 0.8 s after it.
  assert.ok(Number(takeover[1]) >= 0.8 && Number(takeover[1]) < 15, `takeover ${takeover[1]} s`);
  assert.ok(Number(failback[1]) > 0 && Number(failback[1]) < 20, `failback ${failback[1]} s`);
  assert.match(r.stdout, /^\s*\[status .*client: answered by alpha/m, 'the live status view ran');
  assert.match(r.stdout, /the VIP was never on both nodes/);
  assert.match(r.stdout, /^Configuration OK for node alpha\.$/m, 'the unmodified example passes the check first');
  assert.doesNotMatch(out, /HA_CFG_BAD_USER|: error /);
  assert.match(r.stdout, new RegExp(`^web server used: ${server === 'apache' ? 'Apache' : 'the built-in web server'}$`, 'm'));
  const { netns, pids } = JSON.parse(fs.readFileSync(report, 'utf8')) as { netns: string[]; pids: number[] };
  assert.equal(netns.length, 4);
  const list = (await run(['ip', 'netns', 'list'], { timeoutMs: 5000 })).stdout;
  assert.deepEqual(netns.filter((n) => list.split('\n').some((l) => l.split(' ')[0] === n)), [], 'namespaces left');
  assert.ok(pids.length >= 6, `the demo saw its processes (${pids.length})`);
  assert.deepEqual(pids.filter((p) => fs.existsSync(`/proc/${p}`)), [], 'processes left');
  process.stdout.write(`# demo (${server}): takeover ${takeover[1]} s, failback ${failback[1]} s; ${netns.length} namespaces and ${pids.length} processes gone\n`);
});
}
