// The nice_failback resource protocol between two simulated nodes: cold start, crash, failback, standby, shutdown.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { mirror, type HoldSet, type ResourceProtocol } from '../../src/resources/protocol.js';
import { niceSim, other, simOp, type Name, type SimNode } from '../helpers/resource-sim.js';

test('cold start of both nodes: each runs its own groups within a few operations, not after a fixed 10 s', () => {
  const sim = niceSim(true);
  sim.commUp('alpha', true);
  sim.commUp('bravo', true);
  sim.runFor(500);
  assert.equal(sim.held('alpha'), 'alpha');
  assert.equal(sim.held('bravo'), 'bravo');
  assert.equal(sim.nodes.alpha.p.status.state, 'stable');
  assert.equal(sim.nodes.bravo.p.status.state, 'stable');
  assert.deepEqual(sim.overlaps, []);
});

test('alone at start: everything; the home node joins later and gets its groups back (auto_failback on)', () => {
  const sim = niceSim(true);
  sim.nodes.bravo.alive = false;
  sim.commUp('alpha', false);
  sim.runFor(500);
  assert.equal(sim.held('alpha'), 'alpha,bravo');
  sim.restart('bravo');
  sim.runFor(2000);
  assert.equal(sim.held('alpha'), 'alpha');
  assert.equal(sim.held('bravo'), 'bravo');
  assert.ok(sim.nodes.alpha.logs.includes('Other node completed standby takeover of foreign resources.'), sim.nodes.alpha.logs.join('\n'));
  assert.ok(sim.nodes.bravo.logs.includes('Standby resource acquisition done [foreign].'), sim.nodes.bravo.logs.join('\n'));
  assert.deepEqual(sim.overlaps, []);
});

test('auto_failback off: the returning home node leaves its groups where they are', () => {
  const sim = niceSim(false);
  sim.commUp('alpha', true);
  sim.commUp('bravo', true);
  sim.runFor(500);
  sim.crash('alpha', 1000);
  sim.runFor(500);
  assert.equal(sim.held('bravo'), 'alpha,bravo');
  sim.restart('alpha');
  sim.runFor(3000);
  assert.equal(sim.held('alpha'), 'none');
  assert.equal(sim.held('bravo'), 'alpha,bravo');
  assert.ok(sim.nodes.alpha.logs.includes('Local Resource acquisition completed. (none)'));
  assert.deepEqual(sim.overlaps, []);
});

test('crash of the owner: the survivor takes over and says so; failback when it returns (auto_failback on)', () => {
  const sim = niceSim(true);
  sim.commUp('alpha', true);
  sim.commUp('bravo', true);
  sim.runFor(500);
  sim.crash('alpha', 1000);
  sim.runFor(500);
  assert.equal(sim.held('bravo'), 'alpha,bravo');
  assert.ok(sim.nodes.bravo.logs.includes('Resources being acquired from alpha.'));
  assert.ok(sim.nodes.bravo.logs.includes('mach_down takeover complete.'));
  sim.restart('alpha');
  sim.runFor(3000);
  assert.equal(sim.held('alpha'), 'alpha');
  assert.equal(sim.held('bravo'), 'bravo');
  assert.deepEqual(sim.overlaps, []);
});

test('hb_standby all on one node moves everything to the other; a second request while in flux is refused', () => {
  const sim = niceSim(true);
  sim.commUp('alpha', true);
  sim.commUp('bravo', true);
  sim.runFor(500);
  sim.step(sim.nodes.alpha, { kind: 'standby-request', set: 'all' });
  sim.step(sim.nodes.alpha, { kind: 'standby-request', set: 'all' });
  assert.ok(sim.nodes.alpha.logs.some((l) => /standby request \(all\) ignored/.test(l)));
  sim.runFor(1000);
  assert.equal(sim.held('alpha'), 'none');
  assert.equal(sim.held('bravo'), 'alpha,bravo');
  assert.ok(sim.nodes.alpha.logs.includes('standby: bravo can take our all resources'));
  assert.deepEqual(sim.overlaps, []);
});

test('a standby request without an answer is cancelled after 10 s', () => {
  const sim = niceSim(true);
  sim.commUp('alpha', true);
  sim.commUp('bravo', true);
  sim.runFor(500);
  sim.nodes.bravo.alive = false; // silent, not yet declared dead
  sim.step(sim.nodes.alpha, { kind: 'standby-request', set: 'local' });
  sim.runFor(10_500);
  assert.ok(sim.nodes.alpha.logs.includes('No reply to standby request. Standby request cancelled.'));
  assert.equal(sim.held('alpha'), 'alpha');
});

test('clean shutdown: resource none/shutdown, every group released, shutdone; the peer takes over at once', () => {
  const sim = niceSim(true);
  sim.commUp('alpha', true);
  sim.commUp('bravo', true);
  sim.runFor(500);
  sim.step(sim.nodes.alpha, { kind: 'shutdown-request' });
  sim.runFor(1000);
  assert.ok(sim.nodes.alpha.shutDown);
  assert.equal(sim.held('alpha'), 'none');
  assert.equal(sim.held('bravo'), 'alpha,bravo');
  assert.ok(sim.nodes.bravo.logs.includes("Received shutdown notice from 'alpha'."));
  // When alpha's heartbeats then stop, bravo needs no STONITH: alpha gave everything up.
  sim.nodes.alpha.alive = false;
  sim.step(sim.nodes.bravo, { kind: 'peer-dead' });
  assert.ok(sim.nodes.bravo.logs.includes('Dead node alpha gave up resources.'));
  assert.deepEqual(sim.overlaps, []);
});

test('mirror: local and foreign swap between views, all and none stay', () => {
  assert.equal(mirror('local'), 'foreign');
  assert.equal(mirror('foreign'), 'local');
  assert.equal(mirror('all'), 'all');
  assert.equal(mirror('none'), 'none');
});

test('property: no sequence of crashes, restarts, standby requests and shutdowns ever puts a group on both nodes', () => {
  const op = simOp(true);
  fc.assert(
    fc.property(fc.boolean(), fc.array(op, { maxLength: 12 }), fc.integer({ min: 1, max: 200 }), (auto, ops, opMs) => {
      const sim = niceSim(auto, opMs);
      sim.commUp('alpha', true);
      sim.commUp('bravo', true);
      sim.runFor(300);
      for (const o of ops) sim.apply(o);
      sim.runFor(15_000);
      assert.deepEqual(sim.overlaps, []);
      // Settled with both alive and running: every group runs exactly once.
      const live = (['alpha', 'bravo'] as const).filter((n) => sim.nodes[n].alive && !sim.nodes[n].shutDown);
      if (live.length > 0) {
        const all = live.flatMap((n) => [...sim.holding[n]]).sort();
        assert.deepEqual(all, ['alpha', 'bravo'], `runs: alpha ${sim.held('alpha')}, bravo ${sim.held('bravo')}; ops ${JSON.stringify(ops)}\nalpha: ${JSON.stringify(sim.nodes.alpha.p.status)} ${sim.nodes.alpha.logs.join(' | ')}\nbravo: ${JSON.stringify(sim.nodes.bravo.p.status)} ${sim.nodes.bravo.logs.join(' | ')}`);
      }
    }),
    { numRuns: Number(process.env["HBTS_PROPERTY_RUNS"] ?? "2000"), verbose: 1 },
  );
});

test('a peer\'s hb_takeover makes us go standby for the complementary set (its local are our foreign)', () => {
  const sim = niceSim(false);
  sim.commUp('alpha', true);
  sim.commUp('bravo', true);
  sim.runFor(500);
  // bravo asks for its own groups' counterpart: hb_takeover all from bravo → alpha gives everything.
  sim.step(sim.nodes.alpha, { kind: 'peer-message', type: 'hb_takeover', fields: new Map([['t', 'hb_takeover'], ['rsc_hold', 'all']]) });
  sim.runFor(1000);
  assert.equal(sim.held('alpha'), 'none');
  assert.equal(sim.held('bravo'), 'alpha,bravo');
  // alpha takes its home group back: hb_takeover local from alpha → bravo goes standby for its foreign.
  sim.step(sim.nodes.bravo, { kind: 'peer-message', type: 'hb_takeover', fields: new Map([['t', 'hb_takeover'], ['rsc_hold', 'local']]) });
  sim.runFor(1000);
  assert.equal(sim.held('alpha'), 'alpha');
  assert.equal(sim.held('bravo'), 'bravo');
  assert.deepEqual(sim.overlaps, []);
});

test('regression: a standby exchange cut by the responder\'s death, then its restart, leaves every group running once', () => {
  const sim = niceSim(false, 1);
  sim.commUp('alpha', true);
  sim.commUp('bravo', true);
  sim.runFor(300);
  sim.step(sim.nodes.alpha, { kind: 'standby-request', set: 'all' });
  sim.runFor(1);
  sim.crash('bravo', 1);
  sim.restart('bravo');
  sim.runFor(15_000);
  assert.deepEqual(sim.overlaps, []);
  const all = [...sim.holding.alpha, ...sim.holding.bravo].sort();
  assert.deepEqual(all, ['alpha', 'bravo'], `alpha ${sim.held('alpha')} ${JSON.stringify(sim.nodes.alpha.p.status)} | ${sim.nodes.alpha.logs.join(' / ')}\nbravo ${sim.held('bravo')} ${JSON.stringify(sim.nodes.bravo.p.status)} | ${sim.nodes.bravo.logs.join(' / ')}`);
});

test('regression: a shutdown, the other node\'s crash and both restarting leave every group running once', () => {
  const sim = niceSim(false, 3);
  sim.commUp('alpha', true);
  sim.commUp('bravo', true);
  sim.runFor(300);
  sim.step(sim.nodes.alpha, { kind: 'shutdown-request' });
  sim.crash('bravo', 3);
  for (const n of ['alpha', 'bravo'] as const) {
    if (sim.nodes[n].shutDown) {
      sim.nodes[n].alive = false;
      sim.step(sim.nodes[other(n)], { kind: 'peer-dead' });
    }
    if (!sim.nodes[n].alive || sim.nodes[n].shutDown) sim.restart(n);
  }
  sim.runFor(15_000);
  assert.deepEqual(sim.overlaps, []);
  const all = [...sim.holding.alpha, ...sim.holding.bravo].sort();
  assert.deepEqual(all, ['alpha', 'bravo'], `alpha ${sim.held('alpha')} ${JSON.stringify(sim.nodes.alpha.p.status)} | ${sim.nodes.alpha.logs.join(' / ')}\nbravo ${sim.held('bravo')} ${JSON.stringify(sim.nodes.bravo.p.status)} | ${sim.nodes.bravo.logs.join(' / ')}`);
});

test('issue #5: a failed start gives the group up, still claimed; 30 s later hb_standby hands it to the other node (ResourceManager `(sleep 30; hb_standby …) &`)', () => {
  const sim = niceSim(true);
  sim.failStarts.add('alpha');
  sim.commUp('alpha', true);
  sim.commUp('bravo', true);
  sim.runFor(500);
  const alpha = sim.nodes.alpha;
  assert.equal(sim.held('alpha'), 'none', 'the runner gave the group up');
  assert.equal(sim.held('bravo'), 'bravo');
  assert.ok(alpha.logs.includes('Giving up resources: acquiring local failed; hb_standby local in 30 s'), alpha.logs.join(' | '));
  // Claimed meanwhile, as by Heartbeat (which never learns of the failure): bravo must not start it behind our back.
  assert.equal(alpha.p.status.holds, 'local');
  assert.equal(sim.nodes.bravo.p.status.peerHolds, 'foreign'); // bravo's view: alpha holds bravo's foreign group
  sim.failStarts.delete('alpha');
  sim.runFor(29_000); // 29.5 s: not yet
  assert.equal(sim.held('bravo'), 'bravo');
  assert.ok(!alpha.logs.some((l) => l.startsWith('alpha wants to go standby')));
  sim.runFor(1500); // 31 s
  assert.ok(alpha.logs.includes('hb_standby local: 30 s after a failed start, the other node may try those resources'), alpha.logs.join(' | '));
  assert.ok(alpha.logs.includes('alpha wants to go standby [local]'));
  assert.ok(alpha.logs.includes('Other node completed standby takeover of local resources.'));
  assert.equal(sim.held('alpha'), 'none');
  assert.equal(sim.held('bravo'), 'alpha,bravo');
  sim.runFor(120_000); // one standby only, no failback back and forth
  assert.equal(sim.held('bravo'), 'alpha,bravo');
  assert.equal(alpha.logs.filter((l) => l.startsWith('alpha wants to go standby')).length, 1);
  assert.deepEqual(sim.overlaps, []);
});

test('issue #5: after a failed takeover with the other node dead, the standby 30 s later is refused as hb_standby would be', () => {
  const sim = niceSim(true);
  sim.commUp('alpha', true);
  sim.commUp('bravo', true);
  sim.runFor(500);
  sim.failStarts.add('alpha');
  sim.crash('bravo', 1000);
  sim.runFor(500);
  const alpha = sim.nodes.alpha;
  assert.ok(alpha.logs.includes('Giving up resources: acquiring foreign failed; hb_standby foreign in 30 s'), alpha.logs.join(' | '));
  assert.equal(sim.held('alpha'), 'alpha');
  sim.runFor(31_000);
  assert.ok(alpha.logs.includes('standby request (foreign) ignored: the other node is dead'), alpha.logs.join(' | '));
  assert.equal(alpha.p.status.holds, 'all', 'still claimed: nobody else may start it');
});

test('issue #5 property: with starts failing on either node at random, no group is ever on both nodes', () => {
  const op = fc.oneof(
    fc.record({ k: fc.constant('fail' as const), n: fc.constantFrom<Name>('alpha', 'bravo'), on: fc.boolean() }),
    fc.record({ k: fc.constant('crash' as const), n: fc.constantFrom<Name>('alpha', 'bravo'), detect: fc.integer({ min: 0, max: 3000 }) }),
    fc.record({ k: fc.constant('restart' as const), n: fc.constantFrom<Name>('alpha', 'bravo') }),
    fc.record({ k: fc.constant('standby' as const), n: fc.constantFrom<Name>('alpha', 'bravo'), set: fc.constantFrom<HoldSet>('all', 'local', 'foreign') }),
    fc.record({ k: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 40_000 }) }),
  );
  fc.assert(
    fc.property(fc.boolean(), fc.array(op, { maxLength: 12 }), fc.integer({ min: 1, max: 200 }), (auto, ops, opMs) => {
      const sim = niceSim(auto, opMs);
      sim.commUp('alpha', true);
      sim.commUp('bravo', true);
      for (const o of ops) {
        if (o.k === 'wait') sim.runFor(o.ms);
        else if (o.k === 'fail') {
          if (o.on) sim.failStarts.add(o.n);
          else sim.failStarts.delete(o.n);
        } else if (o.k === 'crash') {
          if (sim.nodes[o.n].alive && sim.nodes[other(o.n)].alive) sim.crash(o.n, o.detect);
        } else if (o.k === 'restart') {
          if (!sim.nodes[o.n].alive) sim.restart(o.n);
        } else sim.step(sim.nodes[o.n], { kind: 'standby-request', set: o.set });
      }
      sim.runFor(70_000);
      assert.deepEqual(sim.overlaps, [], `ops ${JSON.stringify(ops)}`);
    }),
    { numRuns: Number(process.env['HBTS_PROPERTY_RUNS'] ?? '500'), verbose: 1 },
  );
});

// Issue 24: harnesses wait for Heartbeat's start-up line; every way of starting announces it exactly once.
function announcements(n: SimNode<ResourceProtocol>): string[] {
  return n.logs.filter((l) => l.startsWith('Initial resource acquisition complete'));
}

test('Initial resource acquisition complete: once per start, with 3.0.6\'s reason for each way of starting', () => {
  const both = niceSim(true);
  both.commUp('alpha', true);
  both.commUp('bravo', true);
  both.runFor(500);
  for (const n of ['alpha', 'bravo'] as const) assert.deepEqual(announcements(both.nodes[n]), ['Initial resource acquisition complete (T_RESOURCES(us))'], both.nodes[n].logs.join('\n'));

  const alone = niceSim(true);
  alone.nodes.bravo.alive = false;
  alone.commUp('alpha', false);
  alone.runFor(500);
  assert.deepEqual(announcements(alone.nodes.alpha), ['Initial resource acquisition complete (mach_down)']);
  // Issue 24: the peer never heard may hold anything; without a STONITH device 3.0.6 says so before taking over.
  const warned = alone.nodes.alpha.logs.filter((l) => /STONITH|Shared disks|Resources being acquired/.test(l));
  assert.deepEqual(warned, ['No STONITH device configured.', 'Shared disks are not protected.', 'Resources being acquired from bravo.']);
  // Both sets to take: req_our_resources's line, then mach_down's (as recorded after a crash of the other node).
  const order = alone.nodes.alpha.logs.filter((l) => l === 'Local Resource acquisition completed.' || l === 'mach_down takeover complete.');
  assert.deepEqual(order, ['Local Resource acquisition completed.', 'mach_down takeover complete.']);

  // The home node returns to a peer holding its groups: auto_failback on hands them back, then it announces.
  alone.restart('bravo');
  alone.runFor(2000);
  assert.deepEqual(announcements(alone.nodes.bravo), ['Initial resource acquisition complete (auto_failback)'], alone.nodes.bravo.logs.join('\n'));
  assert.deepEqual(announcements(alone.nodes.alpha), ['Initial resource acquisition complete (mach_down)'], 'not again on the node that was up');

  // auto_failback off: the returning node leaves its groups where they are.
  const off = niceSim(false);
  off.nodes.bravo.alive = false;
  off.commUp('alpha', false);
  off.runFor(500);
  off.restart('bravo');
  off.runFor(2000);
  assert.deepEqual(announcements(off.nodes.bravo), ['Initial resource acquisition complete (T_RESOURCES(them))'], off.nodes.bravo.logs.join('\n'));
  assert.ok(off.nodes.bravo.logs.includes('Local Resource acquisition completed. (none)'));
});

test('issue 24: a node with no group of its own joins a peer that took everything alone: the (empty) failback runs and it announces (auto_failback), as 3.0.6', () => {
  const sim = niceSim(true, 50, 1, ['bravo']);
  sim.nodes.bravo.alive = false;
  sim.commUp('alpha', false);
  sim.runFor(500);
  // Nothing foreign to take: mach_down's lines and the announcement come before req_our_resources's line.
  const a = sim.nodes.alpha.logs;
  assert.ok(a.indexOf('mach_down takeover complete.') >= 0 && a.indexOf('mach_down takeover complete.') < a.indexOf('Local Resource acquisition completed.'), a.join('\n'));
  sim.restart('bravo');
  sim.runFor(2000);
  assert.deepEqual(announcements(sim.nodes.bravo), ['Initial resource acquisition complete (auto_failback)'], sim.nodes.bravo.logs.join('\n'));
  assert.ok(sim.nodes.alpha.logs.includes('Other node completed standby takeover of foreign resources.'), sim.nodes.alpha.logs.join('\n'));
});
