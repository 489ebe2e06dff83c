// The double owner of the netns legacy test with Heartbeat 3.0.6 as the home node (CI run of 154c77e): alpha lost
// power, bravo took its group, and alpha, restarted at bravo's deadtime boundary, came up before it had heard any
// status of bravo. Its req_our_resources counted one active node, ran "all alone" (HA_DONTASK), and req_resource
// "pretended the current owner gave it up": `ip-request-resp dest=alpha weown=yes ok=OK` to itself, then
// takegroup — no ip-request ever reached bravo, which kept the group. Two fixes, both tested here on the manual
// clock: bravo lets go of a group when it overhears that self-grant (after its own acquisition, if one runs), and
// bravo's answer to a reqnodes comes after a status of its own, so the asking node knows it is active.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LegacyProtocol } from '../../src/resources/legacy.js';
import type { ResourceAction, ResourceEngine, ResourceEvent } from '../../src/resources/engine.js';
import { buildSignedPacket, getString, singleKey } from '../../src/wire/index.js';
import { Sim } from '../helpers/membership-sim.js';
import { NodeSim } from '../helpers/node-sim.js';

const bravo = (): LegacyProtocol => new LegacyProtocol({ localNode: 'bravo', peer: 'alpha', localKeys: ['b1'], foreignKeys: ['a1'] });
const msg = (fields: [string, string][]): ResourceEvent => ({ kind: 'peer-message', type: fields[0]?.[1] ?? '', fields: new Map(fields) });
/** What alpha's req_resource writes when it thinks it is alone (/usr/share/heartbeat/req_resource, HA_DONTASK=yes). */
const selfGrant = (key = 'a1', ok = 'OK'): ResourceEvent => msg([['t', 'ip-request-resp'], ['dest', 'alpha'], ['ipaddr', key], ['weown', 'yes'], ['ok', ok], ['src', 'alpha']]);
const ipRequest = (key = 'a1'): ResourceEvent => msg([['t', 'ip-request'], ['ipaddr', key], ['src', 'alpha']]);
const done: ResourceEvent = { kind: 'activity-done', ok: true };

const ops = (as: readonly ResourceAction[]): string[] => as.flatMap((a) => (a.kind === 'acquire-group' || a.kind === 'release-group' ? [`${a.kind} ${a.key}`] : []));
const sends = (as: readonly ResourceAction[]): string[] => as.flatMap((a) => (a.kind === 'send' ? [a.fields.map(([n, v]) => `${n}=${v}`).join(' ')] : []));

/** bravo up with alpha, holding b1; alpha dies and bravo's takeover of a1 has begun (the acquisition runs). */
function bravoTakingOver(): LegacyProtocol {
  const p = bravo();
  let out = p.handle({ kind: 'comm-up', peerAlive: true, peerActive: true }, 0);
  assert.deepEqual(ops(out.actions), [], 'b1 asked for, not taken: alpha is active');
  out = p.handle(msg([['t', 'ip-request-resp'], ['dest', 'bravo'], ['ipaddr', 'b1'], ['weown', 'no'], ['ok', 'OK']]), 10);
  assert.deepEqual(ops(out.actions), ['acquire-group b1']);
  p.handle(done, 20);
  out = p.handle({ kind: 'peer-dead' }, 1000);
  assert.deepEqual(ops(out.actions), ['acquire-group a1']);
  return p;
}

test('legacy: the peer grants itself a group our takeover is still acquiring: released once acquired, never answered', () => {
  const p = bravoTakingOver();
  p.handle({ kind: 'peer-restarted' }, 1010);
  const heard = p.handle(selfGrant(), 1020);
  assert.deepEqual(ops(heard.actions), [], 'no second operation while the acquisition runs');
  assert.deepEqual(sends(heard.actions), []);
  const acquired = p.handle(done, 1500);
  assert.deepEqual(ops(acquired.actions), ['release-group a1'], 'released as soon as the acquisition ends');
  assert.ok(acquired.actions.some((a) => a.kind === 'release-group' && a.reason === 'alpha takes it itself'));
  assert.deepEqual(sends(acquired.actions), [], 'alpha asked nothing: no ip-request-resp');
  const released = p.handle(done, 1600);
  assert.deepEqual(sends(released.actions), []);
  assert.deepEqual(p.status.held, ['b1']);
  assert.equal(p.heldNow().stable, true);
});

test('legacy: the peer grants itself a group we hold: released at once', () => {
  const p = bravoTakingOver();
  p.handle(done, 1500);
  assert.deepEqual(p.status.held.slice().sort(), ['a1', 'b1']);
  p.handle({ kind: 'peer-restarted' }, 2000);
  const out = p.handle(selfGrant(), 2100);
  assert.deepEqual(ops(out.actions), ['release-group a1']);
  assert.ok(out.actions.some((a) => a.kind === 'log' && a.level === 'warn' && a.text.includes('alpha takes resource group a1 itself')));
  p.handle(done, 2200);
  assert.deepEqual(p.status.held, ['b1']);
});

test('legacy: a self-grant heard before our takeover acquisition begins cancels it', () => {
  const p = bravo();
  p.handle({ kind: 'comm-up', peerAlive: true, peerActive: false }, 0);
  assert.deepEqual(p.status, { held: [], queued: 0, busy: true }, 'b1 being taken: alpha is not active');
  p.handle({ kind: 'peer-dead' }, 100); // a1 queued behind b1
  p.handle({ kind: 'peer-restarted' }, 110);
  const heard = p.handle(selfGrant(), 120);
  assert.ok(heard.actions.some((a) => a.kind === 'log' && a.text === 'alpha takes resource group a1 itself; our acquisition of it is cancelled'));
  const out = p.handle(done, 200);
  assert.deepEqual(ops(out.actions), [], 'a1 is not acquired');
  assert.deepEqual(p.status.held, ['b1']);
});

test('legacy: self-grants that are not OK, for one of our own groups, or to a dead peer are ignored; a peer that dies before our release keeps the group here', () => {
  const p = bravoTakingOver();
  p.handle(done, 1500);
  p.handle({ kind: 'peer-restarted' }, 2000);
  for (const e of [selfGrant('a1', 'NO'), selfGrant('b1'), msg([['t', 'ip-request-resp'], ['dest', 'charlie'], ['ipaddr', 'a1'], ['ok', 'OK']])]) {
    assert.deepEqual(ops(p.handle(e, 2100).actions), []);
  }
  // A self-grant whose release waits behind our running acquisition, and alpha dies again meanwhile.
  const q = bravoTakingOver();
  q.handle({ kind: 'peer-restarted' }, 1010);
  q.handle(selfGrant(), 1020); // queued behind the running acquisition of a1
  q.handle({ kind: 'peer-dead' }, 1100); // and alpha dies again before it runs
  const out = q.handle(done, 1500);
  assert.deepEqual(ops(out.actions), [], 'alpha is dead again: a1 stays here');
  assert.deepEqual(q.status.held.slice().sort(), ['a1', 'b1']);
  const r = bravoTakingOver();
  assert.deepEqual(ops(r.handle(selfGrant(), 1020).actions), [], 'a message of a peer declared dead is ignored');
  assert.deepEqual(ops(r.handle(done, 1500).actions), []);
  assert.deepEqual(r.status.held.slice().sort(), ['a1', 'b1']);
});

test('legacy: an ip-request for a group our takeover is acquiring is answered weown=yes only after the release', () => {
  const p = bravoTakingOver();
  p.handle({ kind: 'peer-restarted' }, 1010);
  const asked = p.handle(ipRequest(), 1020);
  assert.deepEqual([ops(asked.actions), sends(asked.actions)], [[], []]);
  const acquired = p.handle(done, 1500);
  assert.deepEqual([ops(acquired.actions), sends(acquired.actions)], [['release-group a1'], []]);
  const released = p.handle(done, 1600);
  assert.deepEqual(sends(released.actions), ['t=ip-request-resp dest=alpha ipaddr=a1 weown=yes ok=OK']);
});

test('property: whatever the order of deaths, restarts, requests and self-grants, bravo never answers weown=yes while it holds or acquires the group, and lets go of every group alpha took itself', () => {
  const ev = fc.oneof(
    fc.constant<ResourceEvent>({ kind: 'peer-dead' }),
    fc.constant<ResourceEvent>({ kind: 'peer-restarted' }),
    fc.constant(ipRequest()),
    fc.constant(selfGrant()),
    fc.constant(done),
    fc.constant<ResourceEvent>({ kind: 'activity-done', ok: false }),
  );
  fc.assert(
    fc.property(fc.boolean(), fc.array(ev, { maxLength: 25 }), (peerActive, events) => {
      const p = bravo();
      let busyWith: string | undefined; // the group operation in flight
      let t = 0;
      const apply = (e: ResourceEvent): void => {
        if (e.kind === 'activity-done' && busyWith === undefined) return; // no operation to end
        if (e.kind === 'activity-done') busyWith = undefined;
        const out = p.handle(e, (t += 10));
        for (const a of out.actions) {
          if (a.kind === 'acquire-group' || a.kind === 'release-group') busyWith = `${a.kind} ${a.key}`;
          if (a.kind === 'send' && a.fields.some(([n, v]) => n === 'weown' && v === 'yes')) {
            assert.ok(!p.status.held.includes('a1') && busyWith !== 'acquire-group a1', `weown=yes while a1 is here (${busyWith ?? 'idle'}, held ${p.status.held.join(',')})`);
          }
        }
      };
      apply({ kind: 'comm-up', peerAlive: true, peerActive });
      for (const e of events) apply(e);
      // The last word: alpha alive, restarted, grants itself a1; every operation then ends.
      apply({ kind: 'peer-restarted' });
      apply(selfGrant());
      for (let i = 0; i < 10 && busyWith !== undefined; i++) apply(done);
      assert.equal(busyWith, undefined);
      assert.ok(!p.status.held.includes('a1'), `a1 still held after alpha took it itself: ${JSON.stringify(events)}`);
    }),
    { numRuns: Number(process.env['HBTS_PROPERTY_RUNS'] ?? '2000') },
  );
});

/**
 * alpha as Heartbeat 3.0.6 decides when it found itself alone at comm-up (as the real node did in the CI run):
 * no ip-request, and req_resource's self-grant on the wire before it takes its group.
 */
class AloneLikeHeartbeat implements ResourceEngine {
  readonly inner = new LegacyProtocol({ localNode: 'alpha', peer: 'bravo', localKeys: ['a1'], foreignKeys: ['b1'] });
  constructor(private readonly alone: boolean) {}
  handle(event: ResourceEvent, nowMs: number): { readonly actions: readonly ResourceAction[]; readonly nextWakeAtMs: number } {
    if (event.kind !== 'comm-up' || !this.alone || !event.peerAlive) return this.inner.handle(event, nowMs);
    const out = this.inner.handle({ ...event, peerActive: false }, nowMs);
    const grant: ResourceAction = { kind: 'send', fields: [['t', 'ip-request-resp'], ['dest', 'alpha'], ['ipaddr', 'a1'], ['weown', 'yes'], ['ok', 'OK']] };
    return { actions: [grant, ...out.actions], nextWakeAtMs: out.nextWakeAtMs };
  }
  rscStatus(): string {
    return this.inner.rscStatus();
  }
}

test('on the simulated pair: alpha restarts and grants itself its group as Heartbeat does when it found itself alone; bravo lets go of it, a1 ends on alpha alone', () => {
  const engines = new Map<string, LegacyProtocol>();
  let alphaStarts = 0;
  const sim = new NodeSim({
    names: ['alpha', 'bravo'],
    resources: (name) => {
      if (name === 'alpha') {
        const e = new AloneLikeHeartbeat(alphaStarts++ > 0); // its first start is a plain one
        engines.set(name, e.inner);
        return e;
      }
      const e = bravo();
      engines.set(name, e);
      return e;
    },
  });
  const settle = (ms: number): void => {
    for (let t = 0; t < ms; t += 20) {
      sim.advance(20);
      for (const n of ['alpha', 'bravo']) sim.finishOps(n);
    }
  };
  const held = (n: string): readonly string[] => engines.get(n)?.status.held ?? [];
  sim.start();
  settle(3000);
  assert.deepEqual([held('alpha'), held('bravo')], [['a1'], ['b1']]);
  sim.kill('alpha');
  settle(2000);
  assert.deepEqual([...held('bravo')].sort(), ['a1', 'b1']);
  const since = sim.nowMs;
  sim.restart('alpha', 200);
  settle(3000);
  const logs = sim.effectsOf('bravo', 'log', since).map((l) => l.text);
  assert.deepEqual([held('alpha'), held('bravo')], [['a1'], ['b1']], logs.join('\n'));
  assert.ok(logs.includes('alpha takes resource group a1 itself without asking (it found itself alone at start-up); releasing it here'), logs.join('\n'));
  assert.equal(sim.effectsOf('bravo', 'rc-notify', since).filter((r) => r.fields.some(([n, v]) => n === 't' && v === 'ip-request-resp')).length, 0, 'no rc.d script sees a message for another node');
});

test('a reqnodes is answered after a status of ours: the asking node knows we are active before its comm-up', () => {
  const sim = Sim.defaults(['alpha', 'bravo']);
  sim.add({ name: 'alpha', generation: 500 });
  sim.add({ name: 'bravo', generation: 700 });
  sim.advance(3000);
  sim.kill('alpha');
  sim.advance(2000);
  assert.equal(sim.statusOf('bravo', 'alpha'), 'dead');
  // alpha's new process, as Heartbeat 3.0.6 starts: status init, then (having heard some packet of bravo's) reqnodes.
  const keys = singleKey('sha1', 'SomeKey');
  let seq = 1;
  const packet = (fields: [string, string][]): Uint8Array => {
    const p = buildSignedPacket([...fields, ['src', 'alpha'], ['seq', (seq++).toString(16)], ['hg', (900).toString(16)], ['ts', '1'], ['ttl', '3'], ['protocol', '1']], keys);
    assert.ok(p.ok);
    return p.value;
  };
  sim.inject('bravo', 'eth0', packet([['t', 'status'], ['st', 'init'], ['dt', '3e8']]));
  const out = sim.inject('bravo', 'eth0', packet([['t', 'reqnodes'], ['dest', 'bravo']]));
  const reasons = out.actions.flatMap((a) => (a.kind === 'send' ? [a.reason] : []));
  assert.ok(reasons.includes('repnodes'), reasons.join(' '));
  assert.ok(reasons.indexOf('status') >= 0 && reasons.indexOf('status') < reasons.indexOf('repnodes'), `a status before the repnodes: ${reasons.join(' ')}`);
  const status = out.actions.find((a) => a.kind === 'send' && a.reason === 'status');
  assert.ok(status?.kind === 'send' && getString(status.message, 'st') === 'active', 'it says active');
});
