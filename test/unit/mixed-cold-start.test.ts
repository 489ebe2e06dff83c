// Issue: the mixed pair's 12 s cold start (bench, keepalive 1). Heartbeat 3.0.6 as alpha comes up first and sends
// `starting` while heartbeat-ts on bravo still waits for alpha's status and the repnodes answer; bravo dropped that
// `starting` (3.0.6 registers its handler only at comm-up), so alpha's answer to bravo's own `starting` — unstable,
// holding nothing, and without our hbts_starting field — looked like a busy peer: bravo waited Heartbeat's 10 s
// RQSTDELAY, and alpha, in BOTHSTARTING, waited for bravo's stable report. The peer's `starting` is now remembered
// before comm-up (never answered then), and forgotten if the peer restarts before our comm-up.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ResourceProtocol, RQSTDELAY_MS, STARTING_FIELD, type ResourceAction, type ResourceEngine, type ResourceEvent } from '../../src/resources/protocol.js';
import fc from 'fast-check';
import { NodeSim } from '../helpers/node-sim.js';
import { other, ResourceSim, simOp, type Name } from '../helpers/resource-sim.js';

const bravo = (): ResourceProtocol => new ResourceProtocol({ localNode: 'bravo', peer: 'alpha', autoFailback: true, hasLocalGroups: true, hasForeignGroups: true });

/** What Heartbeat 3.0.6 in BOTHSTARTING answers to our `starting`: unstable, nothing held, no field of ours. */
const heartbeatReport = (): ResourceEvent => ({ kind: 'peer-message', type: 'resource', fields: new Map([['t', 'resource'], ['rsc_hold', 'none'], ['rtype', 'full'], ['isstable', '0']]) });
const startingMsg = (): ResourceEvent => ({ kind: 'peer-message', type: 'starting', fields: new Map([['t', 'starting']]) });
const acquires = (as: readonly ResourceAction[]): ResourceAction[] => as.filter((a) => a.kind === 'acquire');

test('the peer\'s `starting` heard before our comm-up: not answered then; its unstable "none" report then lets us take our groups at once', () => {
  const p = bravo();
  const early = p.handle(startingMsg(), 0);
  assert.deepEqual(early.actions, [], 'Heartbeat has no handler before its comm-up: no answer, no state change');
  assert.equal(p.status.state, 'init');
  const up = p.handle({ kind: 'comm-up', peerAlive: true, peerActive: true }, 10);
  assert.ok(up.actions.some((a) => a.kind === 'send' && a.fields.some(([n, v]) => n === 't' && v === 'starting')));
  const out = p.handle(heartbeatReport(), 480);
  assert.equal(acquires(out.actions).length, 1, `acquired at once, not after ${RQSTDELAY_MS} ms: ${JSON.stringify(out.actions)}`);
  assert.deepEqual(acquires(out.actions)[0], { kind: 'acquire', set: 'local', reason: 'both nodes starting: each takes its own groups' });
});

test('a `starting` heard before our comm-up from a peer that then restarted counts for nothing: its unstable report is waited on (RQSTDELAY)', () => {
  const p = bravo();
  p.handle(startingMsg(), 0);
  p.handle({ kind: 'peer-restarted' }, 5);
  p.handle({ kind: 'comm-up', peerAlive: true, peerActive: true }, 10);
  const out = p.handle(heartbeatReport(), 480);
  assert.deepEqual(acquires(out.actions), []);
  assert.equal(out.nextWakeAtMs, 480 + RQSTDELAY_MS);
  const late = p.handle({ kind: 'tick' }, 480 + RQSTDELAY_MS);
  assert.equal(acquires(late.actions).length, 1);
});

/** A nice_failback engine that speaks as Heartbeat 3.0.6 does on the wire: its reports carry no hbts_starting. */
class AsHeartbeat implements ResourceEngine {
  readonly inner = new ResourceProtocol({ localNode: 'alpha', peer: 'bravo', autoFailback: true, hasLocalGroups: true, hasForeignGroups: true });
  handle(event: ResourceEvent, nowMs: number): { readonly actions: readonly ResourceAction[]; readonly nextWakeAtMs: number } {
    const out = this.inner.handle(event, nowMs);
    const actions = out.actions.map((a) => (a.kind === 'send' ? { ...a, fields: a.fields.filter(([n]) => n !== STARTING_FIELD) } : a));
    return { actions, nextWakeAtMs: out.nextWakeAtMs };
  }
  rscStatus(): string {
    return this.inner.rscStatus();
  }
}

test('on the simulated pair: alpha (as Heartbeat) up first, its `starting` reaches bravo before bravo\'s comm-up; both hold their groups well within RQSTDELAY', () => {
  const engines = new Map<string, ResourceProtocol>();
  const sim = new NodeSim({
    names: ['alpha', 'bravo'],
    resources: (name) => {
      if (name === 'alpha') {
        const e = new AsHeartbeat();
        engines.set(name, e.inner);
        return e;
      }
      const e = bravo();
      engines.set(name, e);
      return e;
    },
  });
  sim.kill('bravo');
  sim.step('alpha', { kind: 'start' });
  sim.advance(150); // alpha's first statuses go unheard: bravo's daemon is not running yet
  sim.restart('bravo', 100);
  for (let t = 0; t < 3000; t += 10) {
    sim.advance(10);
    for (const n of ['alpha', 'bravo']) sim.finishOps(n);
  }
  const logs = sim.effectsOf('bravo', 'log').map((l) => l.text);
  const commUp = logs.indexOf('Comm_now_up(): updating status to active');
  assert.ok(commUp >= 0, logs.join('\n'));
  assert.deepEqual([engines.get('alpha')?.status.holds, engines.get('bravo')?.status.holds], ['local', 'local'], `alpha:\n${sim.effectsOf('alpha', 'log').map((l) => l.text).join('\n')}\nbravo:\n${logs.join('\n')}`);
  assert.ok(!logs.some((l) => /within 10 s/.test(l)), logs.join('\n'));
});

/** Both nodes as Heartbeat's wire shows them (no hbts_starting), so every start-up decision rests on `starting`. */
function wireLikeHeartbeatSim(auto: boolean, opMs: number): ResourceSim<AsHeartbeatNode> {
  const homes = (n: Name, set: string): Name[] => (set === 'all' ? ['alpha', 'bravo'] : set === 'local' ? [n] : set === 'foreign' ? [other(n)] : []);
  return new ResourceSim<AsHeartbeatNode>(
    {
      engine: (name) => new AsHeartbeatNode(name, auto),
      units: (n, a) => (a.kind === 'acquire' || a.kind === 'release' ? homes(n, a.set) : []),
      timers: true,
      restartDropsInFlight: false,
    },
    opMs,
  );
}

class AsHeartbeatNode implements ResourceEngine {
  private readonly inner: ResourceProtocol;
  constructor(name: Name, auto: boolean) {
    this.inner = new ResourceProtocol({ localNode: name, peer: other(name), autoFailback: auto, hasLocalGroups: true, hasForeignGroups: true });
  }
  handle(event: ResourceEvent, nowMs: number): { readonly actions: readonly ResourceAction[]; readonly nextWakeAtMs: number } {
    const out = this.inner.handle(event, nowMs);
    return { actions: out.actions.map((a) => (a.kind === 'send' ? { ...a, fields: a.fields.filter(([n]) => n !== STARTING_FIELD) } : a)), nextWakeAtMs: out.nextWakeAtMs };
  }
  rscStatus(): string {
    return this.inner.rscStatus();
  }
}

test('property: one node comes up first and the other hears its `starting` before its own comm-up; then crashes, restarts, standby requests and shutdowns: never a group on both nodes', () => {
  const op = simOp(true);
  fc.assert(
    fc.property(fc.boolean(), fc.constantFrom<Name>('alpha', 'bravo'), fc.integer({ min: 0, max: 600 }), fc.array(op, { maxLength: 10 }), fc.integer({ min: 1, max: 200 }), (auto, first, lagMs, ops, opMs) => {
      const sim = wireLikeHeartbeatSim(auto, opMs);
      sim.commUp(first, true);
      sim.runFor(lagMs);
      sim.commUp(other(first), true);
      sim.runFor(300);
      for (const o of ops) sim.apply(o);
      sim.runFor(15_000);
      assert.deepEqual(sim.overlaps, []);
      const live = (['alpha', 'bravo'] as const).filter((n) => sim.nodes[n].alive && !sim.nodes[n].shutDown);
      if (live.length > 0) assert.deepEqual(live.flatMap((n) => [...sim.holding[n]]).sort(), ['alpha', 'bravo'], `ops ${JSON.stringify(ops)}`);
    }),
    { numRuns: Number(process.env['HBTS_PROPERTY_RUNS'] ?? '2000') },
  );
});

test('staggered cold start, both nodes speaking as Heartbeat on the wire: each holds its own groups long before RQSTDELAY', () => {
  for (const lagMs of [0, 1, 2, 5, 50, 300]) {
    const sim = wireLikeHeartbeatSim(true, 50);
    sim.commUp('alpha', true);
    sim.runFor(lagMs);
    sim.commUp('bravo', true);
    sim.runFor(1000);
    assert.deepEqual([[...sim.holding.alpha], [...sim.holding.bravo]], [['alpha'], ['bravo']], `lag ${lagMs} ms`);
  }
});
