// Issue #5: resource scripts that fail, hang or are missing, in a pair of heartbeat-ts nodes — never two holders.
//
//   [alpha] heartbeat-ts, home of `alpha IPaddr2::198.51.100.100/24/eth0 <fake>` (auto_failback on)
//   [bravo] heartbeat-ts
// <fake> is a small shell script the test writes into the node's resource.d: its start fails, its stop fails,
// its start hangs, or it does not exist. Throughout each case a watcher (VipWatcher) samples both namespaces every
// 10 ms and records every sample with the address on both nodes; it fails if it took no samples or too few. Every daemon gets a harmless --failed-stop-command
// (startOurHeartbeat's marker): a stop that never succeeds must not reboot the machine running the tests.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLab, type Lab } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { failedStopMarker, startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { writePairConfig } from '../helpers/pair-config.js';
import { countMatches, readLog, tail, waitForLog } from '../helpers/real-heartbeat.js';
import { untilHeldBy, vipHolders, watchVip, type VipWatcher } from '../helpers/vip.js';

const VIP = '198.51.100.100';
const NODES = ['alpha', 'bravo'] as const;

/** A well-behaved v1 script keeping its state in the node's private /var/lib/heartbeat. */
const GOOD = `#!/bin/sh
S=/var/lib/heartbeat/fake.running
case "$1" in
  start) touch $S;;
  stop) rm -f $S;;
  status) if [ -e $S ]; then echo running; else echo stopped; fi;;
esac
exit 0
`;

/** Start always fails (exit 1, a line on stderr). */
const START_FAILS = GOOD.replace('  start) touch $S;;', '  start) echo "fake: cannot start (injected failure)" >&2; exit 1;;');

/** Start works, stop always fails and leaves it running. */
const STOP_FAILS = GOOD.replace('  stop) rm -f $S;;', '  stop) echo "fake: device busy (injected failure)" >&2; exit 1;;');

/** Start hangs, deaf to SIGTERM, with a child of its own; both PIDs noted for the test. */
const START_HANGS = GOOD.replace(
  '  start) touch $S;;',
  () => '  start) trap "" TERM; echo $$ > /var/lib/heartbeat/hang.pid; sleep 60 & echo $! > /var/lib/heartbeat/hang-child.pid; wait;;',
);

interface Pair {
  readonly lab: Lab;
  readonly watcher: VipWatcher;
}

/**
 * A lab with alpha and bravo, the group `alpha IPaddr2::VIP/24/eth0 <resource>` on both, heartbeat-ts's own
 * IPaddr2 (Debian's wrapper removed from the seeded resource.d), and per node the fake script (if any).
 */
async function pair(t: TestContext, label: string, resource: string, scripts: Partial<Record<(typeof NODES)[number], string>>, haCfExtra: readonly string[] = []): Promise<Pair> {
  const lab = await createLab(t, { nodes: NODES.map((name) => ({ name })), label, bridgeAddress: null });
  for (const n of NODES) {
    writePairConfig(lab, n, { media: ['bcast eth0'], before: haCfExtra });
    const haDir = lab.node(n).haDir;
    fs.writeFileSync(path.join(haDir, 'haresources'), `alpha IPaddr2::${VIP}/24/eth0 ${resource}\n`);
    fs.rmSync(path.join(haDir, 'resource.d', 'IPaddr2'), { force: true });
    fs.rmSync(path.join(haDir, 'resource.d', resource), { force: true });
    const body = scripts[n];
    if (body !== undefined) fs.writeFileSync(path.join(haDir, 'resource.d', resource), body, { mode: 0o755 });
  }
  const watcher = watchVip(t, lab, VIP);
  return { lab, watcher };
}

/** Until no node holds VIP (bounded). */
async function untilNobodyHolds(lab: Lab, timeoutMs: number): Promise<number> {
  const start = Date.now();
  for (;;) {
    const h = await vipHolders(lab, VIP);
    if (h.length === 0) return Date.now() - start;
    if (Date.now() - start > timeoutMs) throw new Error(`${VIP} still held by ${h.join(',')} after ${timeoutMs} ms\nalpha:\n${tail(readLog(lab, 'alpha'), 30)}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The process is gone, or a zombie nobody reaps (in a container whose PID 1 does not reap orphans). */
function deadOrZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return true;
  }
}

/** The log's lines matching re (after `from`), for the report. */
function lines(log: string, re: RegExp, from = 0): string[] {
  return log.slice(from).split('\n').filter((l) => re.test(l)).map((l) => l.replace(/^.*?: \[\d+\]: /, ''));
}

function report(what: string, watched: string, extra: readonly string[]): void {
  process.stdout.write(`# ${what}: ${watched}\n`);
  for (const l of extra) process.stdout.write(`#   ${l}\n`);
}

test('a start that fails: the group is given up (address released), and 30 s later hb_standby hands it to bravo, which runs it', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter'])) return;
  const p = await pair(t, 'rfstart', 'fake', { alpha: START_FAILS, bravo: GOOD });
  const { lab } = p;
  await startOurHeartbeat(lab, 'alpha');
  await startOurHeartbeat(lab, 'bravo');
  const log = await waitForLog(lab, 'alpha', (l) => l.includes('Giving up resources due to failure of fake'), 'the give-up line', 15_000);
  assert.match(log, /Running \S+\/resource\.d\/IPaddr2 198\.51\.100\.100\/24\/eth0 start/);
  assert.match(log, /fake \[stderr\]: fake: cannot start \(injected failure\)/);
  const released = await untilNobodyHolds(lab, 10_000);
  const rel = await waitForLog(lab, 'alpha', (l) => /Running \S+\/resource\.d\/IPaddr2 198\.51\.100\.100\/24\/eth0 stop/.test(l), 'the address stopped', 5000);
  assert.match(rel, /CRIT: Giving up resources: acquiring local failed; hb_standby local in 30 s/);
  const failedAt = Date.now();
  // ResourceManager's `(sleep 30; hb_standby …) &`: bravo gets its turn at the group.
  const moved = await untilHeldBy(lab, VIP, 'bravo', 45_000);
  const sinceFailure = Date.now() - failedAt;
  const a = readLog(lab, 'alpha');
  assert.ok(a.includes('hb_standby local: 30 s after a failed start, the other node may try those resources'), tail(a, 30));
  await waitForLog(lab, 'alpha', (l) => l.includes('Other node completed standby takeover of local resources.'), 'standby complete', 10_000);
  assert.ok(fs.existsSync(path.join(lab.node('bravo').varLibDir, 'fake.running')), 'bravo started fake too');
  assert.equal(fs.existsSync(failedStopMarker(lab, 'alpha')), false, 'no stop failed');
  const watched = await p.watcher.assertNeverBoth();
  report('start fails on alpha', watched, [
    ...lines(a, /Giving up|hb_standby|wants to go standby/),
    `address released ${released} ms after the give-up line was seen; on bravo ${moved} ms later (${sinceFailure} ms after the release)`,
  ]);
});

test('a stop that fails during a clean stop: retried, then the failed-stop command runs, alpha goes silent and bravo takes over — never two holders', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter'])) return;
  // HA_STOPRETRYMAX 2 (ha.cf `env STOPRETRYMAX=2`, read by ResourceManager as by us): 3 tries, 1 s apart.
  const p = await pair(t, 'rfstop', 'fake', { alpha: STOP_FAILS, bravo: GOOD }, ['env STOPRETRYMAX=2']);
  const { lab } = p;
  const alpha = await startOurHeartbeat(lab, 'alpha');
  await startOurHeartbeat(lab, 'bravo');
  await untilHeldBy(lab, VIP, 'alpha', 15_000);
  await waitForLog(lab, 'alpha', (l) => l.includes('Resource group IPaddr2::198.51.100.100/24/eth0 acquired'), 'acquisition', 10_000);
  const from = readLog(lab, 'alpha').length;
  const bravoFrom = readLog(lab, 'bravo').length;
  const t0 = Date.now();
  alpha.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const exit = await Promise.race([alpha.exited, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), 20_000)))]);
  clearTimeout(timer);
  assert.ok(exit !== undefined, `alpha did not exit within 20 s:\n${tail(readLog(lab, 'alpha'), 30)}`);
  const exitedMs = Date.now() - t0;
  assert.equal(exit.exitCode, 1, 'heartbeat-ts exits 1 after a final failed stop');
  const a = readLog(lab, 'alpha').slice(from);
  assert.equal(countMatches(a, /info: Retrying failed stop operation \[fake\]/), 2, tail(a, 40));
  assert.equal(countMatches(a, /Running \S+\/resource\.d\/fake stop/), 3);
  const crit = lines(a, /CRIT: Resource fake failed to stop/);
  assert.deepEqual(crit, [`CRIT: Resource fake failed to stop (3 attempts) and is still running: running /usr/bin/touch ${failedStopMarker(lab, 'alpha')} (heartbeat --failed-stop-command; Heartbeat 3.0.6 reboots with /sbin/reboot -nf)`]);
  assert.match(a, /CRIT: Resource STOP failure\. Reboot required!/);
  assert.ok(fs.existsSync(failedStopMarker(lab, 'alpha')), 'the failed-stop command ran');
  // ResourceManager goes on after a reboot that did not happen: the address is stopped before alpha goes silent.
  assert.match(a, /failed to stop[^\n]*\n(?:.*\n)*?.*Running \S+\/resource\.d\/IPaddr2 198\.51\.100\.100\/24\/eth0 stop/);
  assert.match(a, /CRIT: Killing heartbeat ungracefully! \(fake would not stop\)/);
  assert.doesNotMatch(a, /Heartbeat shutdown complete/);
  // No shutdone: bravo learns of it by alpha's silence (deadtime 1 s), and only then takes the address.
  const took = await untilHeldBy(lab, VIP, 'bravo', 10_000);
  const b = readLog(lab, 'bravo').slice(bravoFrom);
  assert.doesNotMatch(b, /Received shutdown notice from 'alpha'/);
  assert.match(b, /node alpha: is dead/);
  const watched = await p.watcher.assertNeverBoth();
  report('stop fails on alpha during a clean stop', watched, [
    ...lines(a, /Retrying|STOP failure|failed to stop|failed-stop command|Killing heartbeat/),
    `alpha exited ${exitedMs} ms after SIGTERM (status ${exit.exitCode}); bravo held ${VIP} ${took} ms after that`,
    ...lines(b, /is dead|gave up resources|Resources being acquired/),
  ]);
});

test('a start that hangs past --script-timeout: SIGTERM, then SIGKILL to its process group, the group given up', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter'])) return;
  const p = await pair(t, 'rfhang', 'fake', { alpha: START_HANGS, bravo: GOOD });
  const { lab } = p;
  const t0 = Date.now();
  await startOurHeartbeat(lab, 'alpha', 10_000, { args: ['--script-timeout', '1'] });
  await startOurHeartbeat(lab, 'bravo');
  const log = await waitForLog(lab, 'alpha', (l) => l.includes('Giving up resources due to failure of fake'), 'the give-up line', 20_000);
  const startAt = log.indexOf('Running /etc/ha.d/resource.d/fake start');
  assert.ok(startAt >= 0, tail(log, 30));
  const a = log.slice(startAt);
  assert.match(a, /ERROR: fake: timed out after 1000 ms; sending SIGTERM to its process group/, tail(log, 30));
  assert.match(a, /ERROR: fake: still running 2000 ms after SIGTERM; sending SIGKILL/);
  assert.match(a, /ERROR: fake: start timed out after 1000 ms; killed/);
  const varLib = lab.node('alpha').varLibDir;
  const pids = ['hang.pid', 'hang-child.pid'].map((f) => Number(fs.readFileSync(path.join(varLib, f), 'utf8')));
  for (const pid of pids) {
    assert.ok(Number.isInteger(pid) && pid > 1, `bad pid file: ${pid}`);
    assert.ok(deadOrZombie(pid), `pid ${pid} of the hanging script survived SIGKILL`);
  }
  const released = await untilNobodyHolds(lab, 10_000);
  const watched = await p.watcher.assertNeverBoth();
  report('start hangs on alpha (--script-timeout 1)', watched, [
    ...lines(a, /fake: (timed out|still running|start timed out)|Giving up resources due/),
    `script and child (pids ${pids.join(', ')}) killed; address released ${released} ms after the give-up line; ${Date.now() - t0} ms in all`,
  ]);
});

test('a missing script: a line naming the resource and the directories searched, the group given up, no reboot', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter'])) return;
  const p = await pair(t, 'rfmiss', 'nosuchscript', {}, ['env STOPRETRYMAX=1']);
  const { lab } = p;
  await startOurHeartbeat(lab, 'alpha');
  await startOurHeartbeat(lab, 'bravo');
  const log = await waitForLog(lab, 'alpha', (l) => l.includes('Giving up resources due to failure of nosuchscript'), 'the give-up line', 15_000);
  const missing = lines(log, /Cannot locate resource script/);
  assert.ok(missing.length > 0, tail(log, 30));
  assert.match(
    missing[0] ?? '',
    /^ERROR: nosuchscript: Cannot locate resource script nosuchscript \(no executable file nosuchscript in \/etc\/ha\.d\/resource\.d, \/etc\/init\.d, \S+\/resource\.d\); status fails$/,
  );
  const done = await waitForLog(lab, 'alpha', (l) => l.includes('Machine reboot narrowly avoided!'), 'Heartbeat\'s "not LSB-compliant" path', 10_000);
  assert.match(done, /ERROR: Resource script for nosuchscript probably not LSB-compliant\./);
  const released = await untilNobodyHolds(lab, 10_000);
  assert.equal(fs.existsSync(failedStopMarker(lab, 'alpha')), false, 'a script that is not there is not running: no failed-stop command');
  const watched = await p.watcher.assertNeverBoth();
  report('missing script on alpha', watched, [
    `${missing.length} "Cannot locate" lines, first: ${missing[0] ?? ''}`,
    ...lines(readLog(lab, 'alpha'), /Giving up resources due|not LSB|narrowly/),
    `address released ${released} ms after the give-up line`,
  ]);
});
