// Resource operations as ResourceManager does them: script lookup, argv, status words, failure decisions, order.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseResourceSpec } from '../../src/config/haresources.js';
import type { ResourceGroup } from '../../src/config/model.js';
import {
  explainStatus,
  groupKey,
  judgeStatus,
  operationArgv,
  operationLogPrefix,
  resolveScript,
  returnCodeLogLine,
  runningLogLine,
  scriptSearchPath,
  startPlan,
  stopPlan,
  type StatusRule,
  type StatusVerdict,
} from '../../src/resources/operations.js';
import {
  DEFAULT_FAILURE_POLICY,
  decideAfterFailedStop,
  decideAfterStart,
  decideAfterStop,
  decideBeforeStart,
  failurePolicyFromEnv,
  maxStopAttempts,
  outcomeOf,
  readStatus,
  type AfterStopDecision,
  type OperationOutcome,
} from '../../src/resources/failure-policy.js';

const dirs = { configDir: '/etc/ha.d' };
const existsIn = (...paths: string[]) => (p: string): boolean => paths.includes(p);

function group(node: string, ...specs: string[]): ResourceGroup {
  return { node, resources: specs.map(parseResourceSpec), line: 1 };
}

/* ------------------------------------------------------------------ script lookup */

test('scripts are looked up in <config-dir>/resource.d, then /etc/init.d (ResourceManager scriptpath)', () => {
  const r = parseResourceSpec('httpd');
  assert.deepEqual(scriptSearchPath(dirs), ['/etc/ha.d/resource.d', '/etc/init.d']);
  const both = resolveScript(r, dirs, existsIn('/etc/ha.d/resource.d/httpd', '/etc/init.d/httpd'));
  assert.deepEqual(both, { ok: true, value: { path: '/etc/ha.d/resource.d/httpd', searched: ['/etc/ha.d/resource.d/httpd'] } });
  const initOnly = resolveScript(r, dirs, existsIn('/etc/init.d/httpd'));
  assert.deepEqual(initOnly, { ok: true, value: { path: '/etc/init.d/httpd', searched: ['/etc/ha.d/resource.d/httpd', '/etc/init.d/httpd'] } });
});

test('a missing script is a typed failure listing every place searched; fallbacks come last', () => {
  const r = parseResourceSpec('IPaddr2::198.51.100.100/24/eth0');
  const asked: string[] = [];
  const res = resolveScript(r, { configDir: '/cfg/', initDir: '/init', fallbackDirs: ['/opt/hb/resource.d'] }, (p) => (asked.push(p), false));
  assert.deepEqual(res, {
    ok: false,
    error: { code: 'missing-script', script: 'IPaddr2', searched: ['/cfg/resource.d/IPaddr2', '/init/IPaddr2', '/opt/hb/resource.d/IPaddr2'] },
  });
  assert.deepEqual(asked, ['/cfg/resource.d/IPaddr2', '/init/IPaddr2', '/opt/hb/resource.d/IPaddr2']);
  const fromFallback = resolveScript(r, { configDir: '/cfg', fallbackDirs: ['/opt/hb/resource.d'] }, existsIn('/opt/hb/resource.d/IPaddr2'));
  assert.equal(fromFallback.ok && fromFallback.value.path, '/opt/hb/resource.d/IPaddr2');
});

test('script names that would leave the searched directories are refused without looking', () => {
  for (const spec of ['../../bin/sh', 'sub/dir::x', '..::x', '::x']) {
    const r = parseResourceSpec(spec);
    const res = resolveScript(r, dirs, () => assert.fail(`looked up ${spec}`));
    assert.deepEqual(res, { ok: false, error: { code: 'unsafe-script-name', script: r.script } }, spec);
  }
});

/* ------------------------------------------------------------------ argv */

test('argv is [path, ...args, op]: each "::" one boundary, IPv6 kept whole, nothing shell-quoted', () => {
  const cases: [string, string, string[]][] = [
    ['IPv6addr::2001:db8::10/64', 'IPv6addr', ['2001:db8::10/64']],
    ['IPv6addr::2001:db8::10/64/eth0', 'IPv6addr', ['2001:db8::10/64/eth0']],
    ['Delay::1::0', 'Delay', ['1', '0']],
    ['Filesystem::/dev/sda1::/data1::ext2', 'Filesystem', ['/dev/sda1', '/data1', 'ext2']],
    ['198.51.100.100/24/eth0', 'IPaddr', ['198.51.100.100/24/eth0']],
    ['IPaddr2::198.51.100.100/24/eth0', 'IPaddr2', ['198.51.100.100/24/eth0']],
    ['MailTo::ops@example.org::it*s $HOME', 'MailTo', ['ops@example.org', 'it*s $HOME']],
    ['httpd', 'httpd', []],
  ];
  for (const op of ['start', 'stop', 'status'] as const) {
    for (const [spec, script, args] of cases) {
      const r = parseResourceSpec(spec);
      assert.equal(r.script, script, spec);
      assert.deepEqual(operationArgv(r, op, `/etc/ha.d/resource.d/${script}`), [`/etc/ha.d/resource.d/${script}`, ...args, op], spec);
    }
  }
});

test('log wording: our output prefix, and Heartbeat\'s "Running …" / "Return code …" lines', () => {
  const r = parseResourceSpec('IPaddr2::198.51.100.100/24/eth0');
  assert.equal(operationLogPrefix(r, 'start'), 'IPaddr2::198.51.100.100/24/eth0 start');
  const argv = operationArgv(r, 'start', '/etc/ha.d/resource.d/IPaddr2');
  assert.equal(runningLogLine(argv), 'Running /etc/ha.d/resource.d/IPaddr2 198.51.100.100/24/eth0 start');
  assert.equal(returnCodeLogLine('/etc/ha.d/resource.d/IPaddr2', 1), 'Return code 1 from /etc/ha.d/resource.d/IPaddr2');
});

/* ------------------------------------------------------------------ status */

test('status is judged by its stdout words, never its exit code (ResourceManager we_own_resource)', () => {
  const table: [string, number | null, StatusVerdict, StatusRule][] = [
    ['running', 0, 'running', 'running-word'],
    ['running', 3, 'running', 'running-word'], // an LSB "stopped" code does not count
    ['httpd (pid 4711) is running...\n', 0, 'running', 'running-word'],
    ['Running', 1, 'running', 'running-word'],
    ['OK', 0, 'running', 'ok-word'],
    ['INFO: IPaddr2 Running OK\n', 0, 'running', 'running-word'], // resource.d wrappers (hto-mapfuncs)
    ['INFO: IPaddr2 Resource is stopped\n', 7, 'stopped', 'no-match'],
    ['ERROR: IPaddr2 Generic error\n', 1, 'stopped', 'no-match'],
    ['not running', 0, 'stopped', 'not-running-words'], // exit 0 does not make it running
    ['Not Running', 3, 'stopped', 'not-running-words'],
    ['NOT running', 3, 'stopped', 'not-running-words'],
    ['not  running', 3, 'stopped', 'not-running-words'],
    ['httpd is not currently running', 3, 'stopped', 'not-running-words'],
    ['status: not \nrunning', 3, 'stopped', 'not-running-words'], // shell * spans lines
    ['Cannot tell whether it is running', 3, 'stopped', 'not-running-words'], // "not " inside "Cannot "
    ['running, though earlier it was not running', 0, 'stopped', 'not-running-words'], // the first pattern wins
    ['stopped', 0, 'stopped', 'no-match'],
    ['', 0, 'stopped', 'no-match'],
    ['\n', 0, 'stopped', 'no-match'],
    ['ok', 0, 'stopped', 'no-match'], // case-sensitive
    ['RUNNING', 0, 'stopped', 'no-match'], // [Rr]unning: "UNNING" is not "unning"
    ['NOT RUNNING', 0, 'stopped', 'no-match'],
    ['BROKEN', 1, 'running', 'ok-word'], // "OK" inside a word
    ['notrunning', 3, 'running', 'running-word'], // no blank after "not"
    ['not-running', 3, 'running', 'running-word'],
    ['not\trunning', 3, 'running', 'running-word'], // a tab is not the blank in `\ `
    ['not\nrunning', 3, 'running', 'running-word'],
    ['nothing running', 0, 'running', 'running-word'],
    ['running', null, 'running', 'running-word'],
  ];
  for (const [stdout, code, verdict, rule] of table) {
    assert.equal(judgeStatus(stdout, code), verdict, JSON.stringify(stdout));
    assert.deepEqual(explainStatus(stdout), { verdict, rule }, JSON.stringify(stdout));
  }
});

/* ------------------------------------------------------------------ plans */

test('a group starts left to right, each start after a status check, and stops right to left without one', () => {
  const g = group('alpha', '198.51.100.100/24/eth0', 'Filesystem::/dev/sdb1::/srv::ext4', 'httpd');
  assert.equal(groupKey(g), '198.51.100.100/24/eth0');
  assert.deepEqual(startPlan(g).map((s) => [s.index, s.resource.spec, s.op, s.statusFirst]), [
    [0, '198.51.100.100/24/eth0', 'start', true],
    [1, 'Filesystem::/dev/sdb1::/srv::ext4', 'start', true],
    [2, 'httpd', 'start', true],
  ]);
  assert.deepEqual(stopPlan(g).map((s) => [s.index, s.resource.spec, s.op, s.statusFirst]), [
    [2, 'httpd', 'stop', false],
    [1, 'Filesystem::/dev/sdb1::/srv::ext4', 'stop', false],
    [0, '198.51.100.100/24/eth0', 'stop', false],
  ]);
  assert.deepEqual(startPlan(group('alpha')), []);
  assert.equal(groupKey(group('alpha')), '');
});

/* ------------------------------------------------------------------ failure policy */

test('operation outcomes: exit 0 succeeds; non-zero, signals fail; timeouts and missing scripts are their own', () => {
  assert.equal(outcomeOf({ exitCode: 0, timedOut: false }), 'success');
  assert.equal(outcomeOf({ exitCode: 1, timedOut: false }), 'failed');
  assert.equal(outcomeOf({ exitCode: null, timedOut: false }), 'failed'); // killed by someone else
  assert.equal(outcomeOf({ exitCode: 0, timedOut: true }), 'timed-out');
  assert.equal(outcomeOf({ exitCode: null, timedOut: false, spawnError: 'ENOENT' }), 'missing-script');
  assert.equal(outcomeOf({ exitCode: null, timedOut: false, spawnError: 'EACCES' }), 'missing-script'); // not executable: [ -x ] fails
  assert.equal(outcomeOf({ exitCode: null, timedOut: false, spawnError: 'E2BIG' }), 'failed');
  assert.equal(readStatus('success', 'running'), 'running');
  assert.equal(readStatus('failed', 'running'), 'running'); // status exit code ignored
  assert.equal(readStatus('failed', 'not running'), 'stopped');
  assert.equal(readStatus('timed-out', 'running'), 'unknown');
  assert.equal(readStatus('missing-script', ''), 'stopped');
});

test('before a start: running → skip, stopped → start, no answer → start (with a warning)', () => {
  const r = parseResourceSpec('httpd');
  assert.equal(decideBeforeStart('running', r).kind, 'skip-start');
  assert.deepEqual(decideBeforeStart('stopped', r), { kind: 'start', logs: [] });
  const unknown = decideBeforeStart('unknown', r);
  assert.equal(unknown.kind, 'start');
  assert.equal(unknown.logs[0]?.level, 'warn');
});

test('a failed start gives up the whole group right to left and asks for standby 30 s later', () => {
  const g = group('alpha', '198.51.100.100/24/eth0', 'Filesystem::/dev/sdb1::/srv::ext4', 'httpd');
  assert.deepEqual(decideAfterStart('success', g, 1, 'alpha'), { kind: 'started' });
  for (const outcome of ['failed', 'timed-out', 'missing-script'] as OperationOutcome[]) {
    const d = decideAfterStart(outcome, g, 1, 'alpha');
    assert.equal(d.kind, 'give-up-group');
    if (d.kind !== 'give-up-group') continue;
    assert.equal(d.failed.spec, 'Filesystem::/dev/sdb1::/srv::ext4');
    // Heartbeat stops every resource on the line, including httpd which never started.
    assert.deepEqual(d.stop.map((s) => s.resource.spec), ['httpd', 'Filesystem::/dev/sdb1::/srv::ext4', '198.51.100.100/24/eth0']);
    assert.deepEqual(d.standby, { set: 'local', afterMs: 30_000 });
    assert.deepEqual(d.logs, [{ level: 'crit', text: 'Giving up resources due to failure of Filesystem::/dev/sdb1::/srv::ext4' }]);
  }
  const foreign = decideAfterStart('failed', g, 0, 'bravo');
  assert.equal(foreign.kind === 'give-up-group' && foreign.standby.set, 'foreign');
  // The 3.0.6 quirk (StandbyGroupType never matches): always "hb_standby foreign".
  const quirk = decideAfterStart('failed', g, 0, 'alpha', { ...DEFAULT_FAILURE_POLICY, standbySet: 'heartbeat-3.0.6' });
  assert.equal(quirk.kind === 'give-up-group' && quirk.standby.set, 'foreign');
  assert.throws(() => decideAfterStart('failed', g, 3, 'alpha'), RangeError);
});

test('a failing stop runs 1 + HA_STOPRETRYMAX (10) times, 1 s apart, then status decides', () => {
  const r = parseResourceSpec('httpd');
  const decisions: AfterStopDecision[] = [];
  let attempt = 1;
  for (;;) {
    const d = decideAfterStop('failed', attempt, r);
    decisions.push(d);
    if (d.kind !== 'retry') break;
    assert.equal(d.delayMs, 1000);
    assert.deepEqual(d.logs, [{ level: 'info', text: 'Retrying failed stop operation [httpd]' }]);
    attempt = d.nextAttempt;
  }
  assert.equal(attempt, 11);
  assert.equal(maxStopAttempts(), 11);
  assert.equal(decisions.filter((d) => d.kind === 'retry').length, 10);
  assert.deepEqual(decisions.at(-1), { kind: 'check-status' });
  assert.deepEqual(decideAfterStop('success', 5, r), { kind: 'stopped' });
  assert.equal(decideAfterStop('timed-out', 1, r).kind, 'retry');
  assert.equal(decideAfterStop('missing-script', 1, r).kind, 'retry'); // doscript returns 1: retried like any failure
  // HA_STOPRETRYMAX <= 0: Heartbeat retries for ever.
  const forever = { ...DEFAULT_FAILURE_POLICY, stopRetryMax: 0 };
  assert.equal(decideAfterStop('failed', 10_000, r, forever).kind, 'retry');
  assert.equal(maxStopAttempts(forever), Infinity);
  const once = { ...DEFAULT_FAILURE_POLICY, stopRetryMax: 1, stopRetryDelayMs: 50 };
  assert.deepEqual(decideAfterStop('failed', 1, r, once), { kind: 'retry', nextAttempt: 2, delayMs: 50, logs: [{ level: 'info', text: 'Retrying failed stop operation [httpd]' }] });
  assert.deepEqual(decideAfterStop('failed', 2, r, once), { kind: 'check-status' });
});

test('final failed stop: still running (or no answer) → reboot-requested; stopped → "reboot narrowly avoided"', () => {
  const r = parseResourceSpec('Filesystem::/dev/sdb1::/srv::ext4');
  const running = decideAfterFailedStop('running', r);
  assert.equal(running.kind, 'reboot-requested');
  assert.ok(running.logs.some((l) => l.level === 'crit' && l.text === 'Resource STOP failure. Reboot required!'));
  assert.equal(decideAfterFailedStop('unknown', r).kind, 'reboot-requested');
  const stopped = decideAfterFailedStop('stopped', r);
  assert.deepEqual(stopped, {
    kind: 'assume-stopped',
    logs: [
      { level: 'err', text: 'Resource script for Filesystem::/dev/sdb1::/srv::ext4 probably not LSB-compliant.' },
      { level: 'warn', text: 'it (Filesystem::/dev/sdb1::/srv::ext4) MUST succeed on a stop when already stopped' },
      { level: 'warn', text: 'Machine reboot narrowly avoided!' },
    ],
  });
});

test('ha.cf "env STOPRETRYMAX=n" sets the retry count, as HA_STOPRETRYMAX does for ResourceManager', () => {
  assert.equal(failurePolicyFromEnv(new Map([['STOPRETRYMAX', '3']])).stopRetryMax, 3);
  assert.equal(failurePolicyFromEnv(new Map([['STOPRETRYMAX', '0']])).stopRetryMax, 0);
  assert.equal(failurePolicyFromEnv(new Map([['STOPRETRYMAX', 'lots']])).stopRetryMax, 10);
  assert.equal(failurePolicyFromEnv(new Map()).stopRetryMax, 10);
});
