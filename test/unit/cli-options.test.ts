// The shared command-line parser: Heartbeat's short flags, the four common options, errors as values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { COMMON_DEFAULTS, DAEMON_LONG_OPTIONS, daemonOptions, parseArgs, type ArgSpec } from '../../src/cli/options.js';

const SPEC: ArgSpec = {
  shortFlags: 'dDkMrRsvWlVf',
  shortWithValue: 'C',
  longFlags: ['check-config', 'json', 'help'],
  longWithValue: ['authkeys'],
};

function parse(argv: string[]) {
  const r = parseArgs(argv, SPEC);
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
}

test('no arguments gives the documented defaults', () => {
  const a = parse([]);
  assert.deepEqual(a.common, COMMON_DEFAULTS);
  assert.equal(a.common.configDir, '/etc/ha.d');
  assert.equal(a.common.stateDir, '/var/lib/heartbeat');
  assert.equal(a.common.runDir, '/var/run/heartbeat');
  assert.equal(a.common.nodeName, undefined);
});

test('common options in both spellings', () => {
  const a = parse(['--config-dir', '/tmp/x', '--node-name=alpha', '--state-dir=/s', '--run-dir', '/r']);
  assert.deepEqual(a.common, { configDir: '/tmp/x', nodeName: 'alpha', stateDir: '/s', runDir: '/r' });
});

test('short flags combine and count, like getopt', () => {
  const a = parse(['-dd', '-v', '-d']);
  assert.equal(a.short.get('d'), 3);
  assert.equal(a.short.get('v'), 1);
});

test('-C takes a value attached or separate', () => {
  assert.equal(parse(['-R', '-Call']).shortValues.get('C'), 'all');
  assert.equal(parse(['-R', '-C', 'local']).shortValues.get('C'), 'local');
  assert.equal(parse(['-RC', 'foreign']).shortValues.get('C'), 'foreign');
});

test('errors are values with getopt-like wording', () => {
  const bad = (argv: string[], re: RegExp): void => {
    const r = parseArgs(argv, SPEC);
    assert.equal(r.ok, false);
    if (!r.ok) assert.match(r.error, re);
  };
  bad(['-x'], /invalid option -- 'x'/);
  bad(['--frobnicate'], /unknown option --frobnicate/);
  bad(['--config-dir'], /--config-dir needs a value/);
  bad(['--config-dir='], /non-empty/);
  bad(['-C'], /-C needs a value/);
  bad(['--json=yes'], /takes no value/);
});

test('operands and -- are kept in order', () => {
  const a = parse(['a', '--json', '--', '-d', 'b']);
  assert.deepEqual(a.operands, ['a', '-d', 'b']);
  assert.ok(a.long.has('json'));
  assert.equal(a.short.get('d'), undefined);
});

test('never throws, whatever the argv', () => {
  fc.assert(
    fc.property(fc.array(fc.oneof(fc.string(), fc.constantFrom('-', '--', '-C', '--config-dir', '-dC', '--authkeys='))), (argv) => {
      parseArgs(argv, SPEC);
    }),
    { numRuns: 2000 },
  );
});

const DAEMON_SPEC: ArgSpec = { ...SPEC, longWithValue: [...DAEMON_LONG_OPTIONS] };

function daemon(argv: string[]) {
  const p = parseArgs(argv, DAEMON_SPEC);
  assert.ok(p.ok, p.ok ? '' : p.error);
  return daemonOptions(p.value.longValues);
}

test('issue #5: without --failed-stop-command a final failed stop reboots as Heartbeat 3.0.6 does (/sbin/reboot -nf); scripts get 60 s', () => {
  const d = daemon(['-f']);
  assert.ok(d.ok);
  assert.deepEqual(d.value.failedStopArgv, ['/sbin/reboot', '-nf']);
  assert.equal(d.value.scriptTimeoutMs, 60_000);
});

test('issue #5: --failed-stop-command is split at blanks (no shell); --script-timeout takes Heartbeat time values', () => {
  const d = daemon(['-f', '--failed-stop-command', '/usr/local/sbin/fence-me  --why stop-failure', '--script-timeout=1.5']);
  assert.ok(d.ok);
  assert.deepEqual(d.value.failedStopArgv, ['/usr/local/sbin/fence-me', '--why', 'stop-failure']);
  assert.equal(d.value.scriptTimeoutMs, 1500);
  const ms = daemon(['--script-timeout', '500ms']);
  assert.ok(ms.ok);
  assert.equal(ms.value.scriptTimeoutMs, 500);
});

test('issue #5: bad daemon option values are usage errors', () => {
  const bad = (argv: string[], re: RegExp): void => {
    const d = daemon(argv);
    assert.equal(d.ok, false);
    if (!d.ok) assert.match(d.error, re);
  };
  bad(['--failed-stop-command', 'reboot -f'], /must be an absolute path/);
  bad(['--failed-stop-command', '   '], /needs a command/);
  bad(['--script-timeout', '0'], /expected a time above 0/);
  bad(['--script-timeout', '10s'], /expected a time above 0/);
  bad(['--script-timeout', '-1'], /expected a time above 0/);
});
