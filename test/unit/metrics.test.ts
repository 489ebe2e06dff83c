// The Prometheus exposition of src/daemon/metrics.ts: counters move with events, the snapshot's state is
// rendered as gauges, label values are escaped, and the endpoint's address is loopback only.
import assert from 'node:assert/strict';
import test from 'node:test';
import { Metrics, parseMetricsAddress, type MetricsSnapshot } from '../../src/daemon/metrics.js';
import { makeMessage } from '../../src/wire/index.js';

const SNAPSHOT: MetricsSnapshot = {
  localNode: 'alpha',
  localStatus: 'active',
  nodes: [
    { name: 'bravo', type: 'normal', status: 'dead', lastHeardAgeMs: 2500, links: [{ medium: 'eth0', status: 'dead' }, { medium: '/dev/ttyS0', status: 'up' }] },
    { name: '198.51.100.1', type: 'ping', status: 'ping', lastHeardAgeMs: undefined, links: [] },
  ],
  drops: new Map([['bad-auth', 3]]),
};

/** The value of one sample line, or undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

test('state gauges: node status one-hot, last heard, links, drops, groups held', () => {
  const m = new Metrics();
  try {
    m.groupChange('IPaddr::198.51.100.10', 'acquired');
    m.groupChange('httpd', 'acquired');
    m.groupChange('httpd', 'released');
    const text = m.render(SNAPSHOT);
    assert.equal(sample(text, 'heartbeat_node_status{node="alpha",status="active"}'), 1);
    assert.equal(sample(text, 'heartbeat_node_status{node="alpha",status="dead"}'), 0);
    assert.equal(sample(text, 'heartbeat_node_status{node="bravo",status="dead"}'), 1);
    assert.equal(sample(text, 'heartbeat_node_status{node="198.51.100.1",status="ping"}'), 1);
    assert.equal(sample(text, 'heartbeat_node_last_heard_seconds{node="bravo"}'), 2.5);
    assert.equal(sample(text, 'heartbeat_node_last_heard_seconds{node="198.51.100.1"}'), undefined);
    assert.equal(sample(text, 'heartbeat_link_up{node="bravo",medium="eth0"}'), 0);
    assert.equal(sample(text, 'heartbeat_link_up{node="bravo",medium="/dev/ttyS0"}'), 1);
    assert.equal(sample(text, 'heartbeat_frames_dropped_total{reason="bad-auth"}'), 3);
    assert.equal(sample(text, 'heartbeat_resource_groups_held'), 1);
    assert.ok(sample(text, 'heartbeat_event_loop_delay_seconds{quantile="max"}') !== undefined);
    // Every sample belongs to a family declared with HELP and TYPE.
    const declared = new Set(text.split('\n').filter((l) => l.startsWith('# TYPE ')).map((l) => l.split(' ')[2]));
    for (const l of text.split('\n').filter((x) => x !== '' && !x.startsWith('#'))) {
      assert.ok(declared.has(l.split(/[{ ]/)[0]), `declared: ${l}`);
    }
  } finally {
    m.close();
  }
});

test('counters move with actions, frames, resource operations and hand-overs', () => {
  const m = new Metrics();
  try {
    const status = makeMessage([['t', 'status']]);
    for (let i = 0; i < 3; i++) m.action({ kind: 'send', reason: 'status', message: status, packet: new Uint8Array() });
    m.action({ kind: 'send', reason: 'rexmit', message: status, packet: new Uint8Array() });
    m.action({ kind: 'node-status', node: 'bravo', status: 'dead', previous: 'active' });
    m.action({ kind: 'link-status', node: 'bravo', medium: 'eth0', status: 'dead' });
    m.action({ kind: 'deliver', node: 'bravo', message: makeMessage([['t', 'ip-request']]) });
    m.action({ kind: 'restart', reason: 'x' });
    m.frame('eth0');
    m.frame('eth0');
    m.resourceOperation('IPaddr2::198.51.100.100/24/eth0', 'start', 'ok', 250);
    m.resourceOperation('IPaddr2::198.51.100.100/24/eth0', 'start', 'ok', 500);
    m.groupChange('IPaddr2::198.51.100.100/24/eth0', 'acquired');
    const text = m.render(SNAPSHOT);
    assert.equal(sample(text, 'heartbeat_messages_sent_total{reason="status"}'), 3);
    assert.equal(sample(text, 'heartbeat_messages_sent_total{reason="rexmit"}'), 1);
    assert.equal(sample(text, 'heartbeat_node_status_changes_total{node="bravo",status="dead"}'), 1);
    assert.equal(sample(text, 'heartbeat_link_status_changes_total{node="bravo",medium="eth0",status="dead"}'), 1);
    assert.equal(sample(text, 'heartbeat_messages_delivered_total{type="ip-request"}'), 1);
    assert.equal(sample(text, 'heartbeat_restarts_total'), 1);
    assert.equal(sample(text, 'heartbeat_frames_received_total{medium="eth0"}'), 2);
    assert.equal(sample(text, 'heartbeat_resource_operations_total{resource="IPaddr2::198.51.100.100/24/eth0",operation="start",outcome="ok"}'), 2);
    assert.equal(sample(text, 'heartbeat_resource_operation_seconds_total{resource="IPaddr2::198.51.100.100/24/eth0",operation="start"}'), 0.75);
    assert.equal(sample(text, 'heartbeat_resource_group_changes_total{group="IPaddr2::198.51.100.100/24/eth0",change="acquired"}'), 1);
  } finally {
    m.close();
  }
});

test('label values are escaped', () => {
  const m = new Metrics();
  try {
    m.frame('a"b\\c\nd');
    assert.equal(sample(m.render(SNAPSHOT), 'heartbeat_frames_received_total{medium="a\\"b\\\\c\\nd"}'), 1);
  } finally {
    m.close();
  }
});

test('--metrics: loopback addresses only, a real port', () => {
  assert.deepEqual(parseMetricsAddress('127.0.0.1:9694'), { host: '127.0.0.1', port: 9694 });
  assert.deepEqual(parseMetricsAddress('[::1]:9694'), { host: '::1', port: 9694 });
  assert.match((parseMetricsAddress('0.0.0.0:9694') as { error: string }).error, /loopback only/);
  assert.match((parseMetricsAddress('198.51.100.1:9694') as { error: string }).error, /loopback only/);
  assert.match((parseMetricsAddress('127.0.0.1') as { error: string }).error, /ADDRESS:PORT/);
  assert.match((parseMetricsAddress('127.0.0.1:0') as { error: string }).error, /ADDRESS:PORT/);
  assert.match((parseMetricsAddress('127.0.0.1:70000') as { error: string }).error, /ADDRESS:PORT/);
});

test('issue 22: configuration differences are counted by node and file; the verdict is a one-hot gauge', () => {
  const m = new Metrics();
  try {
    m.configAgreement({ node: 'bravo', verdict: 'differs', differences: [{ file: 'haresources', text: 'a' }, { file: 'haresources', text: 'b' }, { file: 'ha.cf', text: 'c' }] });
    m.configAgreement({ node: 'bravo', verdict: 'same', differences: [] });
    m.configAgreement({ node: 'charlie', verdict: 'unknown', differences: [] });
    const text = m.render(SNAPSHOT);
    assert.equal(sample(text, 'heartbeat_config_differences_total{node="bravo",file="haresources"}'), 2);
    assert.equal(sample(text, 'heartbeat_config_differences_total{node="bravo",file="ha.cf"}'), 1);
    assert.equal(sample(text, 'heartbeat_config_agreement{node="bravo",verdict="same"}'), 1);
    assert.equal(sample(text, 'heartbeat_config_agreement{node="bravo",verdict="differs"}'), 0);
    assert.equal(sample(text, 'heartbeat_config_agreement{node="charlie",verdict="unknown"}'), 1);
  } finally {
    m.close();
  }
});

test('API problems by kind (issue 24): rendered from the snapshot, absent before the API socket opens', () => {
  const m = new Metrics();
  try {
    const counts = { 'bad-frame': 10_000, 'refused-signon': 2, 'bad-request': 0, 'dropped-client': 1 };
    const text = m.render({ ...SNAPSHOT, apiProblems: counts });
    assert.equal(sample(text, 'heartbeat_api_problems_total{kind="bad-frame"}'), 10_000);
    assert.equal(sample(text, 'heartbeat_api_problems_total{kind="refused-signon"}'), 2);
    assert.equal(sample(text, 'heartbeat_api_problems_total{kind="dropped-client"}'), 1);
    assert.equal(sample(m.render(SNAPSHOT), 'heartbeat_api_problems_total{kind="bad-frame"}'), undefined);
  } finally {
    m.close();
  }
});
test('service monitor (issue 17): one sample per monitored resource, absent without a monitors file', () => {
  const m = new Metrics();
  try {
    assert.equal(sample(m.render(SNAPSHOT), 'heartbeat_monitor_checks_total{resource="httpd",group="198.51.100.10"}'), undefined);
    const text = m.render({
      ...SNAPSHOT,
      monitors: [{
        resource: 'httpd', group: '198.51.100.10', phase: 'watching', lastCheckAtMs: 10, lastDurationMs: 250, lastResult: 'failed', lastDetail: 'exit 7',
        consecutiveFailures: 1, restarts: 2, checks: 9, failures: 3, failed: true,
      }],
    });
    const s = (name: string): number | undefined => sample(text, `${name}{resource="httpd",group="198.51.100.10"}`);
    assert.deepEqual(
      ['checks_total', 'check_failures_total', 'restarts_total', 'consecutive_failures', 'last_check_ok', 'last_check_seconds', 'group_failed'].map((n) => s(`heartbeat_monitor_${n}`)),
      [9, 3, 2, 1, 0, 0.25, 1],
    );
  } finally {
    m.close();
  }
});
