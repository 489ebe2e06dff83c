// The legacy resource protocol (auto_failback legacy) between two simulated nodes: groups go home by ip-request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LegacyProtocol } from '../../src/resources/legacy.js';
import type { ResourceEvent } from '../../src/resources/protocol.js';
import { legacySim, simOp, type Name } from '../helpers/resource-sim.js';

const KEYS: Record<Name, string[]> = { alpha: ['198.51.100.10', 'a2'], bravo: ['b1'] };
const ALL_KEYS = [...KEYS.alpha, ...KEYS.bravo].sort();

test('cold start: the first node up takes its own groups at once; the second asks the first with ip-request', () => {
  const sim = legacySim(KEYS);
  sim.commUp('alpha');
  sim.commUp('bravo');
  sim.runFor(1000);
  assert.equal(sim.held('alpha'), '198.51.100.10,a2');
  assert.equal(sim.held('bravo'), 'b1');
  assert.deepEqual(sim.sentTypes('alpha'), ['ip-request-resp'], 'alpha answered bravo, asked nothing');
  assert.deepEqual(sim.sentTypes('bravo'), ['ip-request']);
  assert.deepEqual(Object.fromEntries(sim.nodes.bravo.sent[0] ?? []), { t: 'ip-request', ipaddr: 'b1' });
  assert.deepEqual(Object.fromEntries(sim.nodes.alpha.sent[0] ?? []), { t: 'ip-request-resp', dest: 'bravo', ipaddr: 'b1', weown: 'no', ok: 'OK' });
  assert.ok(sim.nodes.bravo.logs.includes('received ip-request-resp b1 OK no'), sim.nodes.bravo.logs.join('\n'));
  assert.deepEqual(sim.overlaps, []);
});

test('crash of the owner: the survivor takes its groups; when it returns it asks for them and gets them back', () => {
  const sim = legacySim(KEYS);
  sim.commUp('alpha');
  sim.commUp('bravo');
  sim.runFor(1000);
  sim.crash('alpha', 1000);
  sim.runFor(1000);
  assert.equal(sim.held('bravo'), '198.51.100.10,a2,b1');
  assert.ok(sim.nodes.bravo.logs.includes('Resources being acquired from alpha.'));
  assert.ok(sim.nodes.bravo.logs.includes('No STONITH device configured.') && sim.nodes.bravo.logs.includes('Shared disks are not protected.'));
  assert.deepEqual(Object.fromEntries(sim.nodes.bravo.sent.at(-1) ?? []), { t: 'stonith', node: 'alpha', result: 'n_stnth' });
  sim.restart('alpha');
  sim.runFor(2000);
  assert.equal(sim.held('alpha'), '198.51.100.10,a2', 'legacy mode always fails back');
  assert.equal(sim.held('bravo'), 'b1');
  const resp = sim.nodes.bravo.sent.filter((f) => f.get('t') === 'ip-request-resp').map((f) => `${f.get('ipaddr')}:${f.get('weown')}`);
  assert.deepEqual(resp, ['198.51.100.10:yes', 'a2:yes']);
  assert.deepEqual(sim.overlaps, []);
});

test('clean shutdown: every group released, then shutdone; the peer takes over at once and needs no STONITH later', () => {
  const sim = legacySim(KEYS);
  sim.commUp('alpha');
  sim.commUp('bravo');
  sim.runFor(1000);
  sim.step(sim.nodes.alpha, { kind: 'shutdown-request' });
  sim.runFor(1000);
  assert.ok(sim.nodes.alpha.shutDown);
  assert.equal(sim.held('alpha'), 'none');
  assert.equal(sim.held('bravo'), '198.51.100.10,a2,b1');
  assert.deepEqual(Object.fromEntries(sim.nodes.alpha.sent.at(-1) ?? []), { t: 'shutdone', st: 'dead' });
  assert.ok(sim.nodes.bravo.logs.includes("Received shutdown notice from 'alpha'."));
  sim.nodes.alpha.alive = false;
  sim.step(sim.nodes.bravo, { kind: 'peer-dead' });
  assert.ok(sim.nodes.bravo.logs.includes('Dead node alpha gave up resources.'));
  assert.deepEqual(Object.fromEntries(sim.nodes.bravo.sent.at(-1) ?? []), { t: 'stonith', node: 'alpha', result: 'unneeded' });
  assert.deepEqual(sim.overlaps, []);
});

test('standby and hb_takeover are refused with Heartbeat\'s words; nothing moves', () => {
  const sim = legacySim(KEYS);
  sim.commUp('alpha');
  sim.commUp('bravo');
  sim.runFor(1000);
  sim.step(sim.nodes.alpha, { kind: 'standby-request', set: 'all' });
  sim.step(sim.nodes.bravo, { kind: 'peer-message', type: 'hb_takeover', fields: new Map([['t', 'hb_takeover'], ['rsc_hold', 'all']]) });
  sim.runFor(1000);
  assert.ok(sim.nodes.alpha.logs.includes('Standby mode only implemented when nice_failback on'));
  assert.ok(sim.nodes.bravo.logs.includes('Standby mode only implemented when nice_failback on'));
  assert.equal(sim.held('alpha'), '198.51.100.10,a2');
  assert.equal(sim.held('bravo'), 'b1');
});

test('a request for a group still being acquired is answered only after the acquisition, by releasing it', () => {
  const sim = legacySim(KEYS, 500);
  sim.commUp('bravo');
  sim.nodes.alpha.alive = false;
  sim.step(sim.nodes.bravo, { kind: 'peer-dead' }); // bravo starts taking alpha's groups (500 ms each)
  sim.runFor(100);
  sim.restart('alpha'); // alpha returns before bravo has finished: it asks for its groups
  sim.runFor(5000);
  assert.equal(sim.held('alpha'), '198.51.100.10,a2');
  assert.equal(sim.held('bravo'), 'b1');
  assert.deepEqual(sim.overlaps, []);
});

test('messages before comm-up are not acted on; requests of a peer that died are dropped, not answered', () => {
  const p = new LegacyProtocol({ localNode: 'alpha', peer: 'bravo', localKeys: ['a1'], foreignKeys: ['b1'] });
  const req = (key: string): ResourceEvent => ({ kind: 'peer-message', type: 'ip-request', fields: new Map([['t', 'ip-request'], ['ipaddr', key]]) });
  assert.deepEqual(p.handle(req('b1'), 0).actions, []);
  const up = p.handle({ kind: 'comm-up', peerAlive: true, peerActive: false }, 0).actions;
  assert.deepEqual(up.filter((a) => a.kind !== 'log').map((a) => a.kind), ['acquire-group']);
  // While a1 is being acquired, bravo asks for b1 (not ours: answered weown=no after the job) and a1.
  assert.deepEqual(p.handle(req('a1'), 1).actions, []);
  const dead = p.handle({ kind: 'peer-dead' }, 2).actions;
  assert.ok(dead.some((a) => a.kind === 'log' && a.text === '1 pending request(s) of bravo dropped: it is dead'));
  const done = p.handle({ kind: 'activity-done', ok: true }, 3).actions;
  assert.deepEqual(done.filter((a) => a.kind === 'send'), [], 'nothing is answered to a dead node');
  assert.deepEqual(done.filter((a) => a.kind === 'acquire-group').map((a) => (a.kind === 'acquire-group' ? a.key : '')), ['b1']);
});

test('an ip-request-resp for the other node, or without ok=OK, takes nothing', () => {
  const p = new LegacyProtocol({ localNode: 'alpha', peer: 'bravo', localKeys: ['a1'], foreignKeys: ['b1'] });
  p.handle({ kind: 'comm-up', peerAlive: true, peerActive: true }, 0);
  const resp = (dest: string, ok: string): ResourceEvent => ({ kind: 'peer-message', type: 'ip-request-resp', fields: new Map([['t', 'ip-request-resp'], ['dest', dest], ['ipaddr', 'a1'], ['weown', 'no'], ['ok', ok]]) });
  assert.deepEqual(p.handle(resp('bravo', 'OK'), 1).actions, []);
  // The ip-request-resp script ran and exited: the local start-up work is done (3.0.6 announces it then).
  assert.deepEqual(p.handle(resp('alpha', 'DENY'), 2).actions.map((a) => (a.kind === 'log' ? a.text : a.kind)), ['received ip-request-resp a1 DENY no', 'Initial resource acquisition complete (ip-request-resp)']);
  assert.deepEqual(p.handle(resp('alpha', 'OK'), 3).actions.map((a) => a.kind), ['log', 'acquire-group']);
});

test('a release that finally fails is not reported as given up: the peer is not invited to start it twice', () => {
  const p = new LegacyProtocol({ localNode: 'alpha', peer: 'bravo', localKeys: [], foreignKeys: ['b1'] });
  p.handle({ kind: 'comm-up', peerAlive: false }, 0);
  p.handle({ kind: 'activity-done', ok: true }, 1); // b1 is ours now
  p.handle({ kind: 'peer-restarted' }, 2);
  const rel = p.handle({ kind: 'peer-message', type: 'ip-request', fields: new Map([['t', 'ip-request'], ['ipaddr', 'b1']]) }, 3).actions;
  assert.deepEqual(rel.map((a) => a.kind), ['release-group']);
  const failed = p.handle({ kind: 'activity-done', ok: false }, 4).actions;
  assert.deepEqual(failed.filter((a) => a.kind === 'send'), []);
  assert.ok(failed.some((a) => a.kind === 'log' && a.level === 'crit'));
  assert.deepEqual(p.status.held, ['b1']);
});

test('property: no sequence of crashes, restarts and shutdowns ever runs a group on both nodes; settled, each runs once', () => {
  const op = simOp(false);
  fc.assert(
    fc.property(fc.array(op, { maxLength: 12 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 300 }), (ops, opMs, gapMs) => {
      const sim = legacySim(KEYS, opMs);
      sim.commUp('alpha');
      sim.runFor(gapMs);
      sim.commUp('bravo');
      sim.runFor(300);
      for (const o of ops) sim.apply(o);
      sim.runFor(15_000);
      assert.deepEqual(sim.overlaps, []);
      const live = (['alpha', 'bravo'] as const).filter((n) => sim.nodes[n].alive && !sim.nodes[n].shutDown);
      if (live.length > 0) {
        const all = live.flatMap((n) => [...sim.holding[n]]).sort();
        const why = `runs: alpha ${sim.held('alpha')}, bravo ${sim.held('bravo')}; ops ${JSON.stringify(ops)}\nalpha: ${sim.nodes.alpha.logs.join(' | ')}\nbravo: ${sim.nodes.bravo.logs.join(' | ')}`;
        assert.deepEqual(all, ALL_KEYS, why);
        // Legacy mode: with both nodes up, every group is on its home node.
        if (live.length === 2) for (const n of live) assert.equal(sim.held(n), [...KEYS[n]].sort().join(','), why);
      }
    }),
    { numRuns: Number(process.env['HBTS_PROPERTY_RUNS'] ?? '2000'), verbose: 1 },
  );
});

/** The log lines of a step, in order. */
function lines(r: { readonly actions: readonly { readonly kind: string; readonly text?: string }[] }): string[] {
  return r.actions.filter((a) => a.kind === 'log').map((a) => a.text ?? '');
}

test('issue 24: Heartbeat 3.0.6\'s legacy lines — start alone, start asking, takeover, shutdown', () => {
  // Alone at comm-up (the peer not active yet): req_our_resources's child line, then the announcement at its exit.
  const a = new LegacyProtocol({ localNode: 'alpha', peer: 'bravo', localKeys: ['a1'], foreignKeys: [] });
  assert.deepEqual(lines(a.handle({ kind: 'comm-up', peerAlive: true, peerActive: false }, 0)), ['Local Resource acquisition completed.', 'Initial resource acquisition complete (req_our_resources)']);
  // The node with no group of its own.
  const b = new LegacyProtocol({ localNode: 'bravo', peer: 'alpha', localKeys: [], foreignKeys: ['a1'] });
  assert.deepEqual(lines(b.handle({ kind: 'comm-up', peerAlive: true, peerActive: false }, 0)), [
    'No local resources [/usr/share/heartbeat/ResourceManager listkeys bravo] to acquire.',
    'Initial resource acquisition complete (req_our_resources)',
  ]);
  // It takes alpha's group when alpha dies: the mach_down line once the group is started, no second announcement.
  const dead = b.handle({ kind: 'peer-dead' }, 1);
  assert.deepEqual(lines(dead), ['No STONITH device configured.', 'Shared disks are not protected.', 'Resources being acquired from alpha.', 'No local resources [/usr/share/heartbeat/ResourceManager listkeys bravo] to acquire.']);
  assert.deepEqual(lines(b.handle({ kind: 'activity-done', ok: true }, 2)), ['mach_down takeover complete for node alpha.']);
  // Shut down: hb_giveup_resources's two lines around the release.
  assert.deepEqual(lines(b.handle({ kind: 'shutdown-request' }, 3)), ['Giving up all HA resources.']);
  assert.deepEqual(lines(b.handle({ kind: 'activity-done', ok: true }, 4)), ['All HA resources relinquished.']);
  // A home node that asks (the peer active and holding its group): announced when the ip-request-resp work is done.
  const r = new LegacyProtocol({ localNode: 'alpha', peer: 'bravo', localKeys: ['a1'], foreignKeys: [] });
  assert.deepEqual(lines(r.handle({ kind: 'comm-up', peerAlive: true, peerActive: true }, 0)), ['Requesting resource group a1 from bravo', 'Local Resource acquisition completed.']);
  const resp = r.handle({ kind: 'peer-message', type: 'ip-request-resp', fields: new Map([['t', 'ip-request-resp'], ['dest', 'alpha'], ['ipaddr', 'a1'], ['weown', 'yes'], ['ok', 'OK']]) }, 1);
  assert.deepEqual(lines(resp), ['received ip-request-resp a1 OK yes']);
  assert.deepEqual(lines(r.handle({ kind: 'activity-done', ok: true }, 2)), ['Initial resource acquisition complete (ip-request-resp)']);
});
