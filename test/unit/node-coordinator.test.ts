// The node coordinator (src/node/coordinator.ts) on the manual clock, a simulated pair stepped as the daemon
// steps it: what only namespace tests covered before — the peer-restart inference, `ask_resources info=me`
// taken as our own standby request, the control fields a local script cannot set, query-cstatus answered,
// and the lost wake-up of issue 16.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { T_QCSTATUS, T_RCSTATUS } from '../../src/api/protocol.js';
import type { ResourceAction, ResourceEngine, ResourceEvent } from '../../src/resources/protocol.js';
import { getString, makeMessage, type Message } from '../../src/wire/message.js';
import { NodeSim } from '../helpers/node-sim.js';

/** A resource protocol that records what it is told; after `peer-dead` it asks to be woken 30 ms later. */
class SpyEngine implements ResourceEngine {
  readonly seen: { event: ResourceEvent; atMs: number }[] = [];
  private wakeAtMs = Number.POSITIVE_INFINITY;
  constructor(private readonly onStandby: ResourceAction[] = []) {}
  handle(event: ResourceEvent, nowMs: number): { actions: ResourceAction[]; nextWakeAtMs: number } {
    this.seen.push({ event, atMs: nowMs });
    if (event.kind === 'peer-dead') this.wakeAtMs = nowMs + 30;
    if (event.kind === 'tick' && nowMs >= this.wakeAtMs) this.wakeAtMs = Number.POSITIVE_INFINITY;
    return { actions: event.kind === 'standby-request' ? this.onStandby : [], nextWakeAtMs: this.wakeAtMs };
  }
  rscStatus(): string {
    return 'none';
  }
  kinds(sinceMs = 0): string[] {
    return this.seen.filter((s) => s.atMs >= sinceMs).map((s) => s.event.kind);
  }
}

function pair(onStandby: ResourceAction[] = []): { sim: NodeSim; spies: Map<string, SpyEngine> } {
  const spies = new Map<string, SpyEngine>();
  const sim = new NodeSim({
    names: ['alpha', 'bravo'],
    resources: (name) => {
      const s = new SpyEngine(onStandby);
      spies.set(name, s);
      return s;
    },
  });
  sim.start();
  sim.advance(3000);
  assert.equal(sim.statusOf('alpha', 'bravo'), 'active');
  assert.equal(sim.statusOf('bravo', 'alpha'), 'active');
  return { sim, spies };
}

function spy(spies: Map<string, SpyEngine>, name: string): SpyEngine {
  const s = spies.get(name);
  assert.ok(s !== undefined);
  return s;
}

const sent = (sim: NodeSim, node: string, t: string, sinceMs = 0): Message[] =>
  sim.effectsOf(node, 'send-frame', sinceMs).map((e) => e.message).filter((m) => getString(m, 't') === t);

test('comm-up reaches the resource protocol with the peer alive and active', () => {
  const { spies } = pair();
  const commUp = spy(spies, 'alpha').seen.find((s) => s.event.kind === 'comm-up')?.event;
  assert.ok(commUp?.kind === 'comm-up');
  assert.equal(commUp.peerAlive, true);
});

test('peer restart inferred: bravo back with a new generation before deadtime is peer-restarted, never peer-dead', () => {
  const { sim, spies } = pair();
  const since = sim.nowMs;
  sim.kill('bravo');
  sim.advance(200); // well inside deadtime (1 s)
  sim.restart('bravo', 101);
  sim.advance(1000);
  const kinds = spy(spies, 'alpha').kinds(since);
  assert.ok(kinds.includes('peer-restarted'), kinds.join(' '));
  assert.ok(!kinds.includes('peer-dead'), kinds.join(' '));
});

test('peer restart inferred: bravo dead, then heard again, is peer-dead then peer-restarted', () => {
  const { sim, spies } = pair();
  const since = sim.nowMs;
  sim.kill('bravo');
  sim.advance(1500);
  assert.equal(sim.statusOf('alpha', 'bravo'), 'dead');
  sim.restart('bravo', 101);
  sim.advance(1000);
  const kinds = spy(spies, 'alpha').kinds(since).filter((k) => k.startsWith('peer-'));
  assert.deepEqual(kinds.slice(0, 2), ['peer-dead', 'peer-restarted']);
});

test('a peer that only goes up → active is not a restart', () => {
  const { spies } = pair();
  assert.ok(!spy(spies, 'alpha').kinds().includes('peer-restarted'));
  assert.ok(!spy(spies, 'alpha').kinds().includes('peer-dead'));
});

for (const source of ['local-message', 'client-message'] as const) {
  test(`ask_resources info=me (${source}) is our own standby request, not sent to the cluster`, () => {
    const { sim, spies } = pair();
    const since = sim.nowMs;
    sim.step('alpha', { kind: source, message: makeMessage([['t', 'ask_resources'], ['info', 'me'], ['rsc_hold', 'foreign']]) });
    sim.advance(100);
    const req = spy(spies, 'alpha').seen.find((s) => s.event.kind === 'standby-request')?.event;
    assert.deepEqual(req, { kind: 'standby-request', set: 'foreign' });
    assert.deepEqual(sent(sim, 'alpha', 'ask_resources', since), []);
  });
}

test('ask_resources info=me with a bad rsc_hold is refused with a warning', () => {
  const { sim, spies } = pair();
  sim.step('alpha', { kind: 'local-message', message: makeMessage([['t', 'ask_resources'], ['info', 'me'], ['rsc_hold', 'most']]) });
  assert.ok(!spy(spies, 'alpha').kinds().includes('standby-request'));
  assert.ok(sim.effectsOf('alpha', 'log').some((l) => l.level === 'warn' && l.text === 'standby request with a bad rsc_hold "most" ignored'));
});

test('ask_resources info=me on a node without resources is refused with a warning', () => {
  const sim = new NodeSim({ names: ['alpha', 'bravo'] });
  sim.start();
  sim.advance(3000);
  sim.step('alpha', { kind: 'local-message', message: makeMessage([['t', 'ask_resources'], ['info', 'me'], ['rsc_hold', 'all']]) });
  assert.ok(sim.effectsOf('alpha', 'log').some((l) => l.level === 'warn' && /standby request ignored: this node manages no resources/.test(l.text)));
});

test('a local script cannot set the control fields: src, seq, ttl … are the core\'s; the rest goes out', () => {
  const { sim } = pair();
  const since = sim.nowMs;
  const forged = makeMessage([['t', 'hbts-test'], ['src', 'mallory'], ['seq', 'ffff'], ['ttl', '9'], ['hg', '1'], ['x', '1']]);
  sim.step('alpha', { kind: 'local-message', message: forged });
  const [out] = sent(sim, 'alpha', 'hbts-test', since);
  assert.ok(out !== undefined);
  assert.equal(getString(out, 'src'), 'alpha');
  assert.notEqual(getString(out, 'seq'), 'ffff');
  assert.notEqual(getString(out, 'ttl'), '9');
  assert.equal(getString(out, 'x'), '1');
  sim.advance(10);
  // bravo's clients and rc.d see alpha's message, from alpha.
  const delivered = sim.effectsOf('bravo', 'api-deliver', since).map((d) => d.message).find((m) => getString(m, 't') === 'hbts-test');
  assert.equal(delivered === undefined ? undefined : getString(delivered, 'src'), 'alpha');
  assert.ok(sim.effectsOf('bravo', 'rc-notify', since).some((n) => n.source === 'message' && n.fields.some(([k, v]) => k === 't' && v === 'hbts-test')));
});

test('a local script\'s t=resource (ours to send) and a message without t are dropped', () => {
  const { sim } = pair();
  const since = sim.nowMs;
  sim.step('alpha', { kind: 'local-message', message: makeMessage([['t', 'resource'], ['rsc_hold', 'all']]) });
  sim.step('alpha', { kind: 'local-message', message: makeMessage([['x', '1']]) });
  assert.deepEqual(sent(sim, 'alpha', 'resource', since), []);
  assert.deepEqual(sim.effectsOf('alpha', 'send-frame', since).filter((e) => e.message.fields.some((f) => f.name === 'x')), []);
});

test('a client message keeps its text fields and loses its auth and binary fields', () => {
  const { sim } = pair();
  const since = sim.nowMs;
  const m = makeMessage([['t', 'hbts-client'], ['auth', 'x'], ['y', '2']]);
  const withBinary: Message = { fields: [...m.fields, { name: 'bin', type: 1, value: new Uint8Array([1, 2]) }] } as unknown as Message;
  sim.step('alpha', { kind: 'client-message', message: withBinary });
  const [out] = sent(sim, 'alpha', 'hbts-client', since);
  assert.ok(out !== undefined);
  assert.equal(getString(out, 'y'), '2');
  assert.ok(!out.fields.some((f) => f.name === 'bin'));
  assert.ok(sim.effectsOf('alpha', 'log', since).some((l) => l.level === 'debug' && /non-text fields were left out/.test(l.text)));
});

for (const online of [true, false]) {
  test(`query-cstatus from a peer's client is answered (${online ? 'online' : 'offline'}) and not offered to our clients`, () => {
    const { sim } = pair();
    if (online) sim.node('bravo').clients.add('ipfail');
    const since = sim.nowMs;
    sim.step('alpha', { kind: 'client-message', message: makeMessage([['t', T_QCSTATUS], ['dest', 'bravo'], ['cn', 'ipfail'], ['from_id', 'ipfail-a']]) });
    sim.advance(20);
    assert.ok(!sim.effectsOf('bravo', 'api-deliver', since).some((d) => getString(d.message, 't') === T_QCSTATUS));
    const [answer] = sent(sim, 'bravo', T_RCSTATUS, since);
    assert.ok(answer !== undefined);
    assert.deepEqual(
      ['dest', 'result', 'cn', 'to_id', 'cs'].map((k) => getString(answer, k)),
      ['alpha', 'OK', 'ipfail', 'ipfail-a', online ? 'online' : 'offline'],
    );
    // The asking client gets the answer.
    assert.ok(sim.effectsOf('alpha', 'api-deliver', since).some((d) => getString(d.message, 't') === T_RCSTATUS && getString(d.message, 'cs') === (online ? 'online' : 'offline')));
  });
}

test('a query-cstatus without cn or from_id is not answered', () => {
  const { sim } = pair();
  const since = sim.nowMs;
  sim.step('alpha', { kind: 'client-message', message: makeMessage([['t', T_QCSTATUS], ['dest', 'bravo'], ['cn', 'ipfail']]) });
  sim.advance(20);
  assert.deepEqual(sent(sim, 'bravo', T_RCSTATUS, since), []);
});

test('issue 16 lost wake-up: a resource event raised while another one\'s send is handled keeps its wake-up', () => {
  // alpha's standby request makes the resource protocol send; handling that send finds bravo dead (no tick
  // has seen it yet), which raises peer-dead, which asks for a wake-up 30 ms later. The old daemon re-armed
  // its resource timer from the standby request's (stale) answer and lost it.
  const { sim, spies } = pair([{ kind: 'send', fields: [['t', 'wakeup-test']] }]);
  const alpha = spy(spies, 'alpha');
  sim.kill('bravo');
  const killedAtMs = sim.nowMs;
  sim.advance(950); // alpha heart-beats on; bravo is not dead yet
  assert.equal(sim.statusOf('alpha', 'bravo'), 'active');
  sim.nowMs = killedAtMs + 1050; // past bravo's deadtime, before any tick
  const out = sim.step('alpha', { kind: 'local-message', message: makeMessage([['t', 'ask_resources'], ['info', 'me'], ['rsc_hold', 'all']]) });
  const dead = alpha.seen.find((s) => s.event.kind === 'peer-dead');
  assert.ok(dead !== undefined, alpha.kinds().join(' '));
  // One path: the standby request's actions were all performed before peer-dead was handled …
  const kinds = alpha.kinds(killedAtMs);
  assert.ok(kinds.indexOf('standby-request') < kinds.indexOf('peer-dead'));
  assert.equal(sent(sim, 'alpha', 'wakeup-test', killedAtMs).length, 1);
  // … and the wake-up it asked for is the step's answer.
  assert.ok(out.nextWakeAtMs <= dead.atMs + 30, `next wake-up ${out.nextWakeAtMs}, peer-dead asked for ${dead.atMs + 30}`);
  sim.advance(100);
  assert.ok(alpha.seen.some((s) => s.event.kind === 'tick' && s.atMs >= dead.atMs + 30), alpha.kinds(killedAtMs).join(' '));
});

test('a resource tick is handed over only when its wake-up is due', () => {
  const { sim, spies } = pair();
  const alpha = spy(spies, 'alpha');
  sim.advance(2000);
  assert.ok(!alpha.kinds().includes('tick'), 'no resource wake-up was asked for, so no resource tick');
});

test('with a runner, resource events wait for the start-up check and are then handled in order', () => {
  const spies = new Map<string, SpyEngine>();
  const sim = new NodeSim({
    names: ['alpha', 'bravo'],
    runner: true,
    resources: (name) => {
      const s = new SpyEngine();
      spies.set(name, s);
      return s;
    },
  });
  sim.start();
  sim.advance(3000);
  assert.deepEqual(spy(spies, 'alpha').kinds(), []);
  sim.step('alpha', { kind: 'resources-ready' });
  assert.deepEqual(spy(spies, 'alpha').kinds().slice(0, 1), ['comm-up']);
});
