// The double owner of the netns legacy test, on the manual clock: a home node restarts while its peer runs its
// group, and the first packet it hears from the peer is not a status (an ACK, a message, a repnodes answer).
// Comm-up must not reach the resource protocol before the peer's status is known: a peer heard from but of
// unknown status is not "not active", and taking our group at once then runs it on both nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LegacyProtocol } from '../../src/resources/legacy.js';
import { makeMessage } from '../../src/wire/message.js';
import { NodeSim } from '../helpers/node-sim.js';

function legacyPair(): { sim: NodeSim; engines: Map<string, LegacyProtocol> } {
  const engines = new Map<string, LegacyProtocol>();
  const sim = new NodeSim({
    names: ['alpha', 'bravo'],
    resources: (name) => {
      const e = new LegacyProtocol(
        name === 'alpha'
          ? { localNode: 'alpha', peer: 'bravo', localKeys: ['a1'], foreignKeys: ['b1'] }
          : { localNode: 'bravo', peer: 'alpha', localKeys: ['b1'], foreignKeys: ['a1'] },
      );
      engines.set(name, e); // the newest engine of each node (a restart creates a new one)
      return e;
    },
  });
  return { sim, engines };
}

/** Runs `ms` in 20 ms steps, ending every resource operation as soon as it is asked for. */
function settle(sim: NodeSim, ms: number): void {
  for (let t = 0; t < ms; t += 20) {
    sim.advance(20);
    for (const n of ['alpha', 'bravo']) if (sim.node(n).running) sim.finishOps(n);
  }
}

const held = (engines: Map<string, LegacyProtocol>, node: string): readonly string[] => engines.get(node)?.status.held ?? [];

const lastStatusSentAt = (sim: NodeSim, node: string): number =>
  Math.max(...sim.node(node).effects.filter((e) => e.effect.kind === 'send-frame' && e.effect.status).map((e) => e.atMs));

function restartedHomeNodeHearsANonStatusFirst(nonStatus: (sim: NodeSim) => void): { sim: NodeSim; engines: Map<string, LegacyProtocol> } {
  const { sim, engines } = legacyPair();
  sim.start();
  settle(sim, 3000);
  assert.deepEqual([held(engines, 'alpha'), held(engines, 'bravo')], [['a1'], ['b1']]);

  sim.kill('alpha');
  settle(sim, 2000);
  assert.equal(sim.statusOf('bravo', 'alpha'), 'dead');
  assert.deepEqual([...held(engines, 'bravo')].sort(), ['a1', 'b1']);

  // Restart alpha just after one of bravo's statuses: its next one is a keepalive (100 ms) away.
  sim.runUntil(lastStatusSentAt(sim, 'bravo') + 100 + 1);
  const since = sim.nowMs;
  assert.equal(lastStatusSentAt(sim, 'bravo'), since - 1, 'bravo sent a status 1 ms ago');
  sim.restart('alpha', 200);
  nonStatus(sim);
  return { sim, engines };
}

for (const [what, nonStatus] of [
  ['a cluster message', (sim: NodeSim) => sim.step('bravo', { kind: 'local-message', message: makeMessage([['t', 'hbts-test'], ['x', '1']]) })],
  ['an NS_ackmsg', (sim: NodeSim) => sim.step('bravo', { kind: 'local-message', message: makeMessage([['t', 'NS_ackmsg'], ['dest', 'alpha'], ['ackseq', '1']]) })],
] as const) {
  test(`legacy: a restarted home node whose first packet from the peer is ${what} waits for the peer's status, then asks; never two owners`, () => {
    const { sim, engines } = restartedHomeNodeHearsANonStatusFirst(nonStatus);
    const since = sim.nowMs;
    // Within bravo's status interval: alpha has heard bravo, but not its status.
    sim.advance(50);
    assert.equal(sim.statusOf('alpha', 'bravo'), 'init', 'no status of bravo heard yet');
    const early = sim.effectsOf('alpha', 'log', since).map((l) => l.text);
    assert.ok(!early.some((l) => /^Acquiring resource group/.test(l)), `nothing acquired before bravo's status is known:\n${early.join('\n')}`);
    assert.deepEqual(sim.pendingOps.filter((o) => o.node === 'alpha'), []);
    settle(sim, 3000);
    assert.equal(sim.statusOf('alpha', 'bravo'), 'active');
    assert.deepEqual([held(engines, 'alpha'), held(engines, 'bravo')], [['a1'], ['b1']], 'a1 back home through ip-request, on one node');
    const logs = sim.effectsOf('alpha', 'log', since).map((l) => l.text);
    assert.ok(logs.includes('Requesting resource group a1 from bravo'), logs.join('\n'));
    assert.ok(!logs.some((l) => /taking our own group/.test(l)), logs.join('\n'));
    // The order Heartbeat's logs show: the peer's status before our comm-up.
    const statusAt = logs.indexOf('Status update for node bravo: status active');
    const commUpAt = logs.indexOf('Comm_now_up(): updating status to active');
    assert.ok(statusAt >= 0 && commUpAt > statusAt, logs.join('\n'));
  });
}

test('legacy: both nodes cold-starting together still take their own groups at once, without waiting', () => {
  const { sim, engines } = legacyPair();
  sim.start();
  sim.advance(50);
  // Each heard the other's first status within the first packets: comm-up, and its own group, in those 50 ms.
  assert.equal(sim.effectsOf('alpha', 'comm-up').length, 1);
  assert.equal(sim.effectsOf('bravo', 'comm-up').length, 1);
  settle(sim, 1000);
  assert.deepEqual([held(engines, 'alpha'), held(engines, 'bravo')], [['a1'], ['b1']]);
});
