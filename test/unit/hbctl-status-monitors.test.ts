// hbctl status's monitor section (issue 17): each monitored resource's last check, result, failures, restarts, mark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderStatus, type StatusReport } from '../../src/cli/hbctl-status.js';

const NOW = 1_764_000_000_000;
const BASE: StatusReport = {
  daemon: 'heartbeat-ts', hbversion: '3.0.6 (heartbeat-ts 0.1.0)', localNode: 'alpha', localStatus: 'active', generation: 7, nowMs: NOW, startedMs: NOW - 60_000,
  nodes: [], resources: { state: 'local', groups: null }, config: {}, configAgreement: [], monitors: null,
};

test('the monitor section: one row per resource; absent without a monitors file', () => {
  assert.doesNotMatch(renderStatus(BASE), /Monitored resources/);
  const screen = renderStatus({
    ...BASE,
    monitors: [
      { resource: 'httpd', group: '198.51.100.10', phase: 'watching', lastCheckMs: NOW - 1500, lastDurationMs: 12, lastResult: 'failed', lastDetail: 'exit 7', consecutiveFailures: 1, restarts: 2, checks: 40, failures: 3, failed: false },
      { resource: '198.51.100.10', group: '198.51.100.10', phase: 'idle', lastCheckMs: null, lastDurationMs: null, lastResult: null, lastDetail: null, consecutiveFailures: 0, restarts: 0, checks: 0, failures: 0, failed: true },
    ],
  });
  assert.match(screen, /Monitored resources \(<config-dir>\/monitors; "hbctl cleanup" clears failures\):\n/);
  assert.match(screen, /\n {2}RESOURCE +GROUP +STATE +LAST CHECK +TOOK +RESULT +FAILS +RESTARTS +FAILED HERE\n/);
  assert.match(screen, /\n {2}httpd +198\.51\.100\.10 +watching +1\.5 s ago +12 ms +failed: exit 7 +1 +2 +no\n/);
  assert.match(screen, /\n {2}198\.51\.100\.10 +198\.51\.100\.10 +idle +never +- +- +0 +0 +YES\n/);
});
