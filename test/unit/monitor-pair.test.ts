// The service monitor through the coordinator on a simulated pair (issue 17): a failed resource's group is handed
// over with the hb_standby exchange, the failed mark refuses it back, cleanup brings it home (auto_failback on).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMonitorsText } from '../../src/config/monitors.js';
import { Monitor } from '../../src/resources/monitor.js';
import { ResourceProtocol } from '../../src/resources/protocol.js';
import { makeMessage } from '../../src/wire/message.js';
import { NodeSim } from '../helpers/node-sim.js';

const A = { key: '198.51.100.10', resources: ['198.51.100.10', 'httpd'] };
const B = { key: '198.51.100.11', resources: ['198.51.100.11'] };

function pair(failed: readonly string[] = []): { sim: NodeSim; monitor: () => Monitor } {
  let current: Monitor | undefined;
  const sim = new NodeSim({
    names: ['alpha', 'bravo'],
    resources: (name) => new ResourceProtocol({ localNode: name, peer: name === 'alpha' ? 'bravo' : 'alpha', autoFailback: true, hasLocalGroups: true, hasForeignGroups: true }),
    monitor: (name) => {
      if (name !== 'alpha') return undefined;
      const groups = [{ ...A, set: 'local' as const }, { ...B, set: 'foreign' as const }];
      current = new Monitor({ groups, specs: parseMonitorsText('httpd interval=1 restarts=0\n').monitors, failed, autoFailback: 'on' });
      return { monitor: current, groups };
    },
  });
  return { sim, monitor: () => current as Monitor };
}

const rsc = (sim: NodeSim, n: string): string => sim.node(n).coordinator.resources?.rscStatus() ?? '?';

/** Runs the pair, ending every resource operation as it is asked for, for `ms`. */
function settle(sim: NodeSim, ms: number): void {
  for (let t = 0; t < ms; t += 100) {
    sim.advance(100);
    sim.finishOps('alpha');
    sim.finishOps('bravo');
  }
}

test('a check failing with restarts=0: the group goes to the peer, stays there, and comes home after cleanup', () => {
  const { sim, monitor } = pair();
  sim.start();
  settle(sim, 15_000);
  assert.equal(rsc(sim, 'alpha'), 'local');
  assert.equal(rsc(sim, 'bravo'), 'local');
  // Healthy checks, one in flight at a time.
  sim.advance(1000);
  assert.equal(sim.finishChecks('alpha', true), 1);
  sim.advance(1000);
  assert.equal(sim.finishChecks('alpha', false), 1);
  settle(sim, 20_000);
  assert.equal(rsc(sim, 'alpha'), 'none', 'alpha gave its group away');
  assert.equal(rsc(sim, 'bravo'), 'all', 'bravo serves it');
  assert.deepEqual(sim.effectsOf('alpha', 'write-monitor-failed').at(-1)?.failed, [A.key]);
  assert.ok(sim.effectsOf('alpha', 'rc-notify').some((e) => e.fields.some(([k, v]) => k === 'event' && v === 'handover')));
  assert.equal(sim.pendingOps.filter((p) => p.effect.kind === 'monitor-check').length, 0, 'no checks for a group not held');

  // bravo offers it back (hb_standby foreign on bravo, as auto_failback would): refused while marked failed.
  sim.step('bravo', { kind: 'local-message', message: makeMessage([['t', 'ask_resources'], ['rsc_hold', 'foreign'], ['info', 'me']]) });
  settle(sim, 15_000);
  assert.equal(rsc(sim, 'bravo'), 'all', 'still on bravo');
  assert.ok(sim.effectsOf('alpha', 'log').some((l) => l.text.includes('refused: resource group 198.51.100.10 is marked failed')));

  // hbctl cleanup httpd: the mark goes, and with auto_failback on the group comes home.
  sim.step('alpha', { kind: 'local-message', message: makeMessage([['t', 'hbts-cleanup'], ['rsc', 'httpd']]) });
  settle(sim, 15_000);
  assert.deepEqual(sim.effectsOf('alpha', 'write-monitor-failed').at(-1)?.failed, []);
  assert.equal(rsc(sim, 'alpha'), 'local');
  assert.equal(rsc(sim, 'bravo'), 'local');
  assert.equal(monitor().view()[0]?.failed, false);
});

test('the peer dead: the group is kept here and restarted with back-off, never released', () => {
  const { sim, monitor } = pair();
  sim.start();
  settle(sim, 15_000);
  sim.kill('bravo');
  settle(sim, 5000);
  assert.equal(rsc(sim, 'alpha'), 'all');
  sim.advance(1000);
  // The check in flight before the takeover is stale (its answer is ignored); the one after it counts.
  assert.equal(sim.finishChecks('alpha', false), 2);
  assert.equal(monitor().view()[0]?.failures, 1);
  settle(sim, 1000);
  assert.equal(monitor().view()[0]?.restarts, 1, 'a restart after the back-off (no runner here: it ends at once)');
  assert.ok(sim.effectsOf('alpha', 'log').some((l) => l.text.includes('resource group restarted')));
  assert.equal(sim.effectsOf('alpha', 'resource-op').filter((o) => o.op === 'release' || o.op === 'release-group').length, 0);
  assert.equal(monitor().view()[0]?.failed, false);
  assert.ok(sim.effectsOf('alpha', 'log').some((l) => l.level === 'err' && l.text.includes('keeping the resource group here (the other node is dead)')));
});

test('a group marked failed before a restart is refused back after it', () => {
  const { sim } = pair([A.key]);
  sim.start();
  settle(sim, 15_000);
  // Both started together, each took its own; the mark only refuses a standby offer.
  sim.step('alpha', { kind: 'local-message', message: makeMessage([['t', 'ask_resources'], ['rsc_hold', 'local'], ['info', 'me']]) });
  settle(sim, 15_000);
  assert.equal(rsc(sim, 'alpha'), 'none');
  sim.step('bravo', { kind: 'local-message', message: makeMessage([['t', 'ask_resources'], ['rsc_hold', 'foreign'], ['info', 'me']]) });
  settle(sim, 15_000);
  assert.equal(rsc(sim, 'alpha'), 'none', 'not taken back while marked failed');
});
