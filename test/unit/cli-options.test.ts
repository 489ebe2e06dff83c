// The shared command-line parser: Heartbeat's short flags, the four common options, errors as values.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { COMMON_DEFAULTS, parseArgs, type ArgSpec } from '../../src/cli/options.js';

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
