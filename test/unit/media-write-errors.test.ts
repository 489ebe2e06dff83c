// A medium whose sends keep failing: one ERROR line per interval, and Heartbeat 3.0.6's two write_child lines when
// it starts holding them back (issue 24: `Is a cable unplugged on bcast eth1?` is a line watchers key on).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProblemReporter } from '../../src/media/udp-common.js';

test('send failures: the first logged, then "Temporarily Suppressing write error messages" and "Is a cable unplugged on bcast eth1?" once per interval', () => {
  let now = 0;
  const lines: string[] = [];
  const r = new ProblemReporter('bcast eth1', (text, level) => lines.push(`${level}: ${text}`), () => now, 10_000);
  for (let i = 0; i < 60; i++) {
    r.report('send-ENETUNREACH', 'send to 203.0.113.255:694 failed: send ENETUNREACH');
    now += 200;
  }
  assert.deepEqual(lines, [
    'err: bcast eth1: send to 203.0.113.255:694 failed: send ENETUNREACH',
    'warn: Temporarily Suppressing write error messages',
    'warn: Is a cable unplugged on bcast eth1?',
    'err: bcast eth1: send to 203.0.113.255:694 failed: send ENETUNREACH (49 more since the last report)',
    'warn: Temporarily Suppressing write error messages',
    'warn: Is a cable unplugged on bcast eth1?',
  ]);
  // Other problems (an oversize frame, a receive error) keep their own lines only.
  lines.length = 0;
  r.report('send-oversize', 'dropped a frame');
  r.report('send-oversize', 'dropped a frame');
  r.report('receive-error', 'x');
  r.report('receive-error', 'x');
  assert.deepEqual(lines, ['err: bcast eth1: dropped a frame', 'err: bcast eth1: x']);
});
