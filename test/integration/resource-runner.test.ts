// The resource runner with real scripts in a temporary resource.d: order, status judgement, failures, timeouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { judgeStatus, KILL_GRACE_MS, ResourceRunner } from '../../src/daemon/scripts/resource-runner.js';
import { findOrphans, ownerMark, ownerValue } from '../../src/daemon/scripts/orphans.js';
import type { OperationResult, RunOperationOptions } from '../../src/daemon/scripts/script-runner.js';
import { HEARTBEAT_FAILED_STOP_ARGV } from '../../src/resources/failure-policy.js';
import type { ResourceGroup } from '../../src/config/model.js';
import { parseHaresources } from '../../src/config/haresources.js';
import { repoRoot as repoRootDir } from '../helpers/paths.js';

function setup(t: { after: (f: () => void) => void }, scripts: Record<string, string>): { dir: string; journal: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-rsc-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'resource.d'));
  const journal = path.join(dir, 'journal');
  for (const [name, body] of Object.entries(scripts)) {
    const file = path.join(dir, 'resource.d', name);
    fs.writeFileSync(file, `#!/bin/sh\nJ=${journal}\n${body}\n`, { mode: 0o755 });
  }
  return { dir, journal };
}

/** A well-behaved script: records each call, keeps its state in a file. */
const GOOD = `S="$J.$(basename "$0").$1"
case "$2" in
  start) echo "start $(basename "$0") $1" >> "$J"; touch "$S" ;;
  stop) echo "stop $(basename "$0") $1" >> "$J"; rm -f "$S" ;;
  status) if [ -e "$S" ]; then echo running; else echo stopped; fi ;;
esac
exit 0`;

function groups(text: string): ResourceGroup[] {
  const r = parseHaresources(text, 'haresources', (n) => (n === 'alpha' || n === 'bravo' ? 'normal' : undefined));
  return [...r.groups];
}

/** Never the reboot: a final failed stop appends the resource's name to <dir>/failed-stop-ran. */
function markerArgv(dir: string): string[] {
  return ['/bin/sh', '-c', 'echo "$HA_FAILED_STOP_RESOURCE" >> "$1"', 'failed-stop', path.join(dir, 'failed-stop-ran')];
}

function runner(dir: string, text: string, logs: string[], over: Partial<ConstructorParameters<typeof ResourceRunner>[0]> = {}): ResourceRunner {
  return new ResourceRunner({
    configDir: dir,
    localNode: 'alpha',
    groups: groups(text),
    env: { PATH: '/usr/bin:/bin' },
    log: (_l, s) => logs.push(s),
    stopRetryDelayMs: 10,
    failedStopArgv: markerArgv(dir),
    ...over,
  });
}

test('status is judged by its words, as ResourceManager judges it', () => {
  assert.equal(judgeStatus('running'), true);
  assert.equal(judgeStatus('httpd (pid 42) is running...'), true);
  assert.equal(judgeStatus('OK'), true);
  assert.equal(judgeStatus('httpd is not running'), false);
  assert.equal(judgeStatus('NOT RUNNING'), false);
  assert.equal(judgeStatus('httpd is not currently running'), false); // `not\ *running` is a shell pattern
  assert.equal(judgeStatus('notrunning'), true); // … which needs the blank
  assert.equal(judgeStatus('stopped'), false);
  assert.equal(judgeStatus(''), false);
});

test('groups start left to right and stop right to left; running resources are not started again', async (t) => {
  const { dir, journal } = setup(t, { one: GOOD, two: GOOD });
  const logs: string[] = [];
  const r = runner(dir, 'alpha one::a two::b\nbravo one::c\n', logs);
  assert.equal(await r.acquire('local'), true);
  assert.equal(await r.acquire('local'), true); // already running: no second start
  assert.equal(await r.release('local'), true);
  assert.deepEqual(fs.readFileSync(journal, 'utf8').trim().split('\n'), ['start one a', 'start two b', 'stop two b', 'stop one a']);
  assert.equal(await r.acquire('foreign'), true);
  assert.match(fs.readFileSync(journal, 'utf8'), /start one c\n$/);
  assert.ok(logs.some((l) => l.includes('Running one::a: already running')), logs.join('\n'));
});

test('a failed start gives the whole group up (started members stopped), with a line naming the resource', async (t) => {
  const { dir, journal } = setup(t, { one: GOOD, bad: 'echo "cannot start: no such thing" >&2\n[ "$1" = status ] && echo stopped\n[ "$1" = start ] && exit 1\nexit 0' });
  const logs: string[] = [];
  const r = runner(dir, 'alpha one::a bad\n', logs);
  assert.equal(await r.acquire('local'), false);
  assert.ok(logs.includes('Giving up resources due to failure of bad'), logs.join('\n'));
  assert.ok(logs.includes('bad [stderr]: cannot start: no such thing'), 'script output is logged with the resource as prefix');
  assert.deepEqual(fs.readFileSync(journal, 'utf8').trim().split('\n'), ['start one a', 'stop one a']);
});

test('a missing script is an error naming it; a hanging script is killed at its timeout with its children', async (t) => {
  const { dir } = setup(t, { hang: '[ "$1" = status ] && { echo stopped; exit 0; }\nsleep 30 &\necho $! > "$J.child"\nwait' });
  const logs: string[] = [];
  const missing = runner(dir, 'alpha nosuch::x\n', logs);
  assert.equal(await missing.acquire('local'), false);
  const dirs = `${path.join(dir, 'resource.d')}, /etc/init.d, `;
  assert.ok(logs.some((l) => l.startsWith(`nosuch::x: Cannot locate resource script nosuch (no executable file nosuch in ${dirs}`)), logs.join('\n'));
  // Its stop fails too (retried), but status has nothing to say: Heartbeat's "narrowly avoided" path, no command.
  assert.ok(logs.includes('Machine reboot narrowly avoided!'), logs.join('\n'));
  assert.equal(fs.existsSync(path.join(dir, 'failed-stop-ran')), false);
  const started = Date.now();
  const hang = runner(dir, 'alpha hang\n', logs, { timeoutMs: 300 });
  assert.equal(await hang.acquire('local'), false);
  assert.ok(Date.now() - started < 5000);
  assert.ok(logs.some((l) => /hang: start timed out after 300 ms; killed/.test(l)), logs.join('\n'));
  const child = Number(fs.readFileSync(path.join(dir, 'journal.child'), 'utf8'));
  let alive = true;
  for (let i = 0; i < 100 && alive; i++) {
    try {
      process.kill(child, 0);
      await new Promise((r) => setTimeout(r, 20));
    } catch {
      alive = false;
    }
  }
  assert.equal(alive, false, 'the script\'s own child died with its process group');
});

test('a failing stop is retried (one stop and 10 retries, as HA_STOPRETRYMAX), then the failed-stop command runs and the rest of the group is stopped', async (t) => {
  const { dir, journal } = setup(t, { one: GOOD, stuck: 'case "$1" in stop) echo try >> "$J";  exit 1;; status) echo running;; esac\nexit 0' });
  fs.writeFileSync(`${journal}.one.a`, ''); // one::a is running
  const logs: string[] = [];
  const halted: string[][] = [];
  const r = runner(dir, 'alpha one::a stuck\n', logs, { afterFailedStop: (failed) => void halted.push([...failed, `one::a running: ${fs.existsSync(`${journal}.one.a`)}`]) });
  assert.equal(await r.release('local'), false);
  assert.deepEqual(fs.readFileSync(journal, 'utf8').trim().split('\n'), [...Array(11).fill('try'), 'stop one a']);
  assert.equal(logs.filter((l) => l === 'Retrying failed stop operation [stuck]').length, 10);
  const crit = logs.filter((l) => l.startsWith('Resource stuck failed to stop'));
  assert.deepEqual(crit, [`Resource stuck failed to stop (11 attempts) and is still running: running ${markerArgv(dir).join(' ')} (heartbeat --failed-stop-command; Heartbeat 3.0.6 reboots with /sbin/reboot -nf)`]);
  assert.ok(logs.includes('Resource STOP failure. Reboot required!'), logs.join('\n'));
  assert.equal(fs.readFileSync(path.join(dir, 'failed-stop-ran'), 'utf8'), 'stuck\n', 'the command ran once, told which resource');
  // The hook (where the daemon stops heart-beating) comes once, after the rest of the group was stopped.
  assert.deepEqual(halted, [['stuck', 'one::a running: false']]);
});

test('HA_STOPRETRYMAX from the environment (ha.cf `env STOPRETRYMAX=2`) sets the retries; a stop that fails while status says stopped is Heartbeat\'s "narrowly avoided"', async (t) => {
  const { dir, journal } = setup(t, { flaky: 'case "$1" in stop) echo try >> "$J"; exit 1;; status) echo "flaky is not running";; esac\nexit 0' });
  const logs: string[] = [];
  const r = runner(dir, 'alpha flaky\n', logs, { env: { PATH: '/usr/bin:/bin', HA_STOPRETRYMAX: '2' } });
  assert.equal(await r.release('local'), true);
  assert.equal(fs.readFileSync(journal, 'utf8').trim().split('\n').length, 3);
  assert.ok(logs.includes('Resource script for flaky probably not LSB-compliant.'), logs.join('\n'));
  assert.ok(logs.includes('Machine reboot narrowly avoided!'));
  assert.equal(fs.existsSync(path.join(dir, 'failed-stop-ran')), false);
});

test('the default failed-stop argv is Heartbeat\'s /sbin/reboot -nf, run once with the resource named (spawner injected: nothing is executed)', async (t) => {
  const { dir } = setup(t, { ip: GOOD, stuck: 'exit 0' });
  const calls: (readonly string[])[] = [];
  const fake = (o: RunOperationOptions): Promise<OperationResult> => {
    calls.push(o.argv);
    const op = o.argv[o.argv.length - 1];
    const script = path.basename(o.argv[0] ?? '');
    const fail = script === 'stuck' && op === 'stop';
    const stdout = op === 'status' ? 'running' : '';
    return Promise.resolve({
      argv: o.argv, exitCode: fail ? 1 : 0, signal: null, timedOut: false, spawnError: undefined, stdout, stderr: '',
      stdoutTruncated: false, stderrTruncated: false, pid: undefined, startedAtMs: 0, durationMs: 0,
      termSentAfterMs: undefined, killSentAfterMs: undefined, pipesLeftOpen: false,
    });
  };
  const logs: string[] = [];
  const envs: NodeJS.ProcessEnv[] = [];
  const r = runner(dir, 'alpha ip::x stuck\n', logs, {
    failedStopArgv: HEARTBEAT_FAILED_STOP_ARGV,
    stopRetryDelayMs: 0,
    runOperation: (o) => {
      if (o.argv[0] === '/sbin/reboot') envs.push(o.env);
      return fake(o);
    },
  });
  assert.equal(await r.release('local'), false);
  assert.deepEqual([...HEARTBEAT_FAILED_STOP_ARGV], ['/sbin/reboot', '-nf']);
  const reboots = calls.filter((a) => a[0] === '/sbin/reboot');
  assert.deepEqual(reboots, [['/sbin/reboot', '-nf']]);
  // Order: 11 stops of stuck, its status, the reboot, then the rest of the group (ResourceManager goes on if it fails).
  const names = calls.map((a) => `${path.basename(a[0] ?? '')} ${a[a.length - 1] ?? ''}`);
  assert.deepEqual(names, [...Array(11).fill('stuck stop'), 'stuck status', 'reboot -nf', 'ip stop']);
  assert.equal(envs[0]?.['HA_FAILED_STOP_RESOURCE'], 'stuck');
  assert.ok(logs.includes('Resource stuck failed to stop (11 attempts) and is still running: running /sbin/reboot -nf (heartbeat --failed-stop-command; Heartbeat 3.0.6 reboots with /sbin/reboot -nf)'), logs.join('\n'));
});

test('a failed-stop command that is not an executable file is reported when the runner is built', (t) => {
  const { dir } = setup(t, {});
  const logs: string[] = [];
  runner(dir, 'alpha one\n', logs, { failedStopArgv: ['/nonexistent/fence-me', '--now'] });
  assert.deepEqual(logs, ['failed-stop command "/nonexistent/fence-me --now" is not an executable file: a resource that will not stop cannot be dealt with (heartbeat --failed-stop-command)']);
  const quiet: string[] = [];
  runner(dir, 'alpha one\n', quiet);
  assert.deepEqual(quiet, []);
});

test('a resource already running at start is reported with Heartbeat\'s words ("is active, and should not be!")', async (t) => {
  const { dir } = setup(t, { one: GOOD, two: GOOD });
  fs.writeFileSync(path.join(dir, 'journal.two.b'), ''); // two::b is running before we start
  const logs: string[] = [];
  const r = runner(dir, 'alpha one::a\nbravo two::b\n', logs);
  assert.equal(await r.cleanStart(), 1);
  assert.ok(logs.includes('Resource two::b is active, and should not be!'), logs.join('\n'));
  assert.ok(logs.includes('Non-idle resources will affect resource takeback!'));
  const clean = runner(dir, 'alpha one::a\n', []);
  assert.equal(await clean.cleanStart(), 0);
});

/** A start that takes 400 ms, as a slow script would when its daemon is killed halfway through it. */
const SLOW_START = `S="$J.$(basename "$0").$1"
case "$2" in
  start) echo "start $(basename "$0") $1 begins" >> "$J"; sleep 0.4; touch "$S"; echo "start $(basename "$0") $1 ends" >> "$J" ;;
  stop) echo "stop $(basename "$0") $1" >> "$J"; rm -f "$S" ;;
  status) if [ -e "$S" ]; then echo running; else echo stopped; fi ;;
esac
exit 0`;

/** A script as a killed daemon left it: started with that daemon's HBTS_OWNER, now nobody's child that waits. */
function orphanOp(dir: string, journal: string, argv: string[], owner: string): ChildProcess {
  const p = spawn(path.join(dir, 'resource.d', argv[0] ?? ''), argv.slice(1), { env: { PATH: '/usr/bin:/bin', HBTS_OWNER: owner, J: journal }, stdio: 'ignore', detached: true });
  p.unref();
  return p;
}

test('start-up: a previous daemon\'s start still running is waited for, then what it left running is released (heartbeat 3.0.6 only warns)', async (t) => {
  const { dir, journal } = setup(t, { one: GOOD, two: SLOW_START });
  const mark = ownerMark('alpha', dir);
  fs.writeFileSync(path.join(dir, 'journal.one.a'), ''); // ga's one::a runs already: the dead daemon held it
  const orphan = orphanOp(dir, journal, ['two', 'b', 'start'], ownerValue(mark, 999_999_999));
  t.after(() => void (orphan.exitCode === null && orphan.kill('SIGKILL')));
  await until(() => fs.existsSync(journal) && fs.readFileSync(journal, 'latin1').includes('begins'));
  const logs: string[] = [];
  const r = runner(dir, 'alpha one::a\nbravo two::b\n', logs, { owner: { mark, pid: process.pid } });
  assert.equal(await r.cleanStart(), 2, logs.join('\n'));
  const j = fs.readFileSync(journal, 'latin1').trim().split('\n');
  // The orphaned start ended before anything was checked; both groups stopped, the later one first.
  assert.deepEqual(j, ['start two b begins', 'start two b ends', 'stop two b', 'stop one a'], logs.join('\n'));
  assert.ok(logs.some((l) => /^\d resource operation process\(es\) of a previous heartbeat \(pid 999999999\) still running: \[\d+\] \/bin\/sh \S+\/two b start; .*waiting up to 60000 ms/.test(l)), logs.join('\n'));
  assert.ok(logs.includes('Resource two::b is active, and should not be!'), logs.join('\n'));
  assert.ok(logs.includes('Releasing 2 resource group(s) found active at start-up before joining (a starting node holds nothing; heartbeat 3.0.6 only warns): one::a, two::b'), logs.join('\n'));
  assert.equal(fs.existsSync(path.join(dir, 'journal.two.b')), false);
  assert.equal(fs.existsSync(path.join(dir, 'journal.one.a')), false);
});

test('start-up: an orphaned operation that outlives the operation timeout is TERMed; our own operations and other nodes\' are left alone', async (t) => {
  const { dir, journal } = setup(t, { hang: 'trap "echo term >> $J; exit 1" TERM; while :; do sleep 0.05; done' });
  const mark = ownerMark('alpha', dir);
  const orphan = orphanOp(dir, journal, ['hang', 'start'], ownerValue(mark, 999_999_999));
  const ours = orphanOp(dir, journal, ['hang', 'start'], ownerValue(mark, process.pid));
  const other = orphanOp(dir, journal, ['hang', 'start'], ownerValue(ownerMark('bravo', dir), 999_999_999));
  t.after(() => {
    for (const p of [orphan, ours, other]) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
  });
  await until(() => [orphan, ours, other].every((p) => p.pid !== undefined && fs.existsSync(`/proc/${p.pid}/environ`)));
  const logs: string[] = [];
  const r = runner(dir, '', logs, { owner: { mark, pid: process.pid }, timeoutMs: 300 });
  const t0 = performance.now();
  assert.equal(await r.cleanStart(), 0);
  const ms = performance.now() - t0;
  assert.ok(ms >= 300 && ms < 300 + 2 * KILL_GRACE_MS, `${ms} ms`);
  assert.ok(logs.some((l) => new RegExp(`still running after \\d+ ms: sending SIGTERM to ${orphan.pid}\\b`).test(l)), logs.join('\n'));
  assert.equal(fs.readFileSync(journal, 'latin1'), 'term\n', 'the orphan alone got the TERM');
  assert.equal(ours.exitCode ?? ours.signalCode, null, 'our own operation runs on');
  assert.equal(other.exitCode ?? other.signalCode, null, 'another node\'s operation runs on');
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(cond(), 'timed out after 2 s');
}

test('findOrphans reads the mark from environ: another daemon\'s pid only, other marks and unreadable entries skipped', (t) => {
  const proc = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-proc-'));
  t.after(() => fs.rmSync(proc, { recursive: true, force: true }));
  const entry = (pid: string, env: string[], argv: string[] = ['x']): void => {
    fs.mkdirSync(path.join(proc, pid));
    fs.writeFileSync(path.join(proc, pid, 'environ'), env.map((e) => `${e}\0`).join(''));
    fs.writeFileSync(path.join(proc, pid, 'cmdline'), argv.map((a) => `${a}\0`).join(''));
  };
  entry('10', ['PATH=/bin', 'HBTS_OWNER=alpha@1.2:77', 'J=x'], ['/bin/sh', 'IPaddr', 'start']);
  entry('11', ['HBTS_OWNER=alpha@1.2:500']); // the running daemon's own operation
  entry('12', ['HBTS_OWNER=alpha@1.3:77']); // another node's
  entry('13', ['XHBTS_OWNER=alpha@1.2:77']);
  entry('14', []); // a zombie
  fs.mkdirSync(path.join(proc, '15')); // ended while we read
  entry('self', ['HBTS_OWNER=alpha@1.2:77']);
  assert.deepEqual(findOrphans('alpha@1.2', 500, proc), [{ pid: 10, daemonPid: 77, command: '/bin/sh IPaddr start' }]);
  assert.deepEqual(findOrphans('alpha@1.2', 10, proc), [{ pid: 11, daemonPid: 500, command: 'x' }], 'pid 10 is the caller itself');
});

/** GOOD, with every status call recorded too. */
const COUNTED = GOOD.replace('  status) if', '  status) echo "status $(basename "$0") $1" >> "$J"; if');

test('issue 18: after the start-up check, a start of a resource known stopped (checked idle, or stopped by us) asks no status first; a stop that failed leaves it unknown', async (t) => {
  const { dir, journal } = setup(t, { one: COUNTED, two: COUNTED, bad: 'echo "$2 bad" >> "$J"; case "$2" in start) exit 1 ;; status) echo stopped ;; esac; exit 0' });
  const logs: string[] = [];
  const r = runner(dir, 'alpha one::a two::b\nbravo one::c bad::x\n', logs);
  const lines = (): string[] => (fs.existsSync(journal) ? fs.readFileSync(journal, 'utf8').trim().split('\n') : []);
  assert.equal(await r.cleanStart(), 0);
  // the cold-start check ("should not be active") asks every resource once
  assert.deepEqual(lines(), ['status one a', 'status two b', 'status one c', 'status bad']);
  fs.rmSync(journal);
  assert.equal(await r.acquire('local'), true); // cold start / failback: no second status
  assert.equal(await r.release('local'), true);
  assert.equal(await r.acquire('local'), true); // stopped by us: known stopped
  assert.deepEqual(lines(), ['start one a', 'start two b', 'stop two b', 'stop one a', 'start one a', 'start two b']);
  fs.rmSync(journal);
  assert.equal(await r.acquire('local'), true); // started by us: not known stopped, so status is asked (and says running)
  assert.deepEqual(lines(), ['status one a', 'status two b']);
  fs.rmSync(journal);
  assert.equal(await r.acquire('foreign'), false); // takeover: both start at once; bad fails, the group is given up (stopped by us)
  assert.deepEqual(lines(), ['start one c', 'start bad', 'stop bad', 'stop one c']);
  fs.rmSync(journal);
  fs.writeFileSync(path.join(dir, 'resource.d', 'bad'), `#!/bin/sh\necho "$2 bad" >> "${journal}"; case "$2" in start) exit 1 ;; stop) exit 1 ;; status) echo stopped ;; esac; exit 0\n`, { mode: 0o755 });
  assert.equal(await r.acquire('foreign'), false); // bad's stop fails now ("narrowly avoided": status says stopped)
  assert.equal(await r.acquire('foreign'), false); // so its state was never known: status is asked before its start
  const l = lines();
  assert.deepEqual(l.slice(0, 3), ['start one c', 'start bad', 'stop bad']);
  assert.deepEqual(l.slice(l.lastIndexOf('start one c')).slice(0, 3), ['start one c', 'status bad', 'start bad']);
});

test('issue 18: without the start-up check (nothing known), every start is preceded by status, as in heartbeat 3.0.6', async (t) => {
  const { dir, journal } = setup(t, { one: COUNTED });
  const r = runner(dir, 'alpha one::a\n', []);
  assert.equal(await r.acquire('local'), true);
  assert.deepEqual(fs.readFileSync(journal, 'utf8').trim().split('\n'), ['status one a', 'start one a']);
});

test('issue 18: a stock IPaddr2 in resource.d runs as our IPaddr2 with HBTS_STOCK_AGENT; ha.cf `env HBTS_NATIVE=off` (HA_HBTS_NATIVE) runs it as written (spawner injected)', async (t) => {
  const fixtures = new URL('../../../test/fixtures/stock-agents/', import.meta.url);
  const same = (a: string, b: string): boolean => fs.existsSync(a) && fs.readFileSync(a).equals(fs.readFileSync(new URL(b, fixtures)));
  if (!(same('/etc/ha.d/resource.d/hto-mapfuncs', 'hto-mapfuncs') && same('/usr/lib/ocf/resource.d/heartbeat/IPaddr2', 'IPaddr2.ocf'))) {
    assert.ok(process.env['CI'] !== 'true', 'CI installs Debian 12\'s heartbeat and resource-agents, whose files the fixtures are');
    t.skip('Debian 12\'s hto-mapfuncs and OCF IPaddr2 are not installed here');
    return;
  }
  const { dir } = setup(t, {});
  const wrapper = path.join(dir, 'resource.d', 'IPaddr2');
  fs.copyFileSync(new URL('IPaddr2.wrapper', fixtures), wrapper);
  fs.chmodSync(wrapper, 0o755);
  const seen: { argv0: string; agent: string | undefined }[] = [];
  const fake = (o: RunOperationOptions): Promise<OperationResult> => {
    seen.push({ argv0: o.argv[0] ?? '', agent: o.env['HBTS_STOCK_AGENT'] });
    return Promise.resolve({
      argv: o.argv, exitCode: 0, signal: null, timedOut: false, spawnError: undefined, stdout: 'stopped', stderr: '',
      stdoutTruncated: false, stderrTruncated: false, pid: undefined, startedAtMs: 0, durationMs: 0,
      termSentAfterMs: undefined, killSentAfterMs: undefined, pipesLeftOpen: false,
    });
  };
  const logs: string[] = [];
  assert.equal(await runner(dir, 'alpha IPaddr2::198.51.100.10/24/eth0\n', logs, { runOperation: fake }).acquire('local'), true);
  assert.equal(seen.length, 2); // status, start
  for (const s of seen) assert.deepEqual(s, { argv0: path.join(repoRootDir, 'resource.d', 'IPaddr2'), agent: 'IPaddr2' });
  assert.equal(logs.filter((l) => l.includes("Debian's stock IPaddr2")).length, 1, logs.join('\n'));
  assert.ok(logs.includes(`Running ${wrapper} 198.51.100.10/24/eth0 start`), logs.join('\n')); // Heartbeat's line names the script
  seen.length = 0;
  const off = runner(dir, 'alpha IPaddr2::198.51.100.10/24/eth0\n', [], { runOperation: fake, env: { PATH: '/usr/bin:/bin', HA_HBTS_NATIVE: 'off' } });
  assert.equal(await off.acquire('local'), true);
  assert.equal(seen.length, 2);
  for (const s of seen) assert.deepEqual(s, { argv0: wrapper, agent: undefined });
});
