// STONITH before takeover (issue #9): the "fence before acquire" step of both resource protocols, and the edge's
// command line and result mapping. Pure: engines driven event by event with an injected clock.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LegacyProtocol } from '../../src/resources/legacy.js';
import { ResourceProtocol, STONITH_RETRY_MS, type ResourceAction, type ResourceEngine, type ResourceEvent } from '../../src/resources/protocol.js';
import { fenceResultOf, stonithArgv } from '../../src/daemon/scripts/stonith.js';

type Name = 'alpha' | 'bravo';
const other = (n: Name): Name => (n === 'alpha' ? 'bravo' : 'alpha');

function nice(name: Name, stonith: boolean): ResourceProtocol {
  return new ResourceProtocol({ localNode: name, peer: other(name), autoFailback: true, hasLocalGroups: true, hasForeignGroups: true, stonith });
}

function legacy(name: Name, stonith: boolean): LegacyProtocol {
  return new LegacyProtocol({ localNode: name, peer: other(name), localKeys: [`${name}-g`], foreignKeys: [`${other(name)}-g`], stonith });
}

/** One engine driven by hand: every action it produced, in order. */
class Driver {
  readonly actions: ResourceAction[] = [];
  wake = Number.POSITIVE_INFINITY;
  constructor(readonly e: ResourceEngine) {}
  on(ev: ResourceEvent, nowMs: number): ResourceAction[] {
    const r = this.e.handle(ev, nowMs);
    this.actions.push(...r.actions);
    this.wake = r.nextWakeAtMs;
    return [...r.actions];
  }
  /** Finishes every resource activity the last actions started, successfully. */
  finishActivities(acts: readonly ResourceAction[], nowMs: number): ResourceAction[] {
    const out: ResourceAction[] = [];
    let pending = acts.filter((a) => a.kind === 'acquire' || a.kind === 'release' || a.kind === 'acquire-group' || a.kind === 'release-group').length;
    for (let guard = 0; pending > 0 && guard < 20; guard++) {
      const next = this.on({ kind: 'activity-done', ok: true }, nowMs);
      out.push(...next);
      pending += next.filter((a) => a.kind === 'acquire' || a.kind === 'release' || a.kind === 'acquire-group' || a.kind === 'release-group').length - 1;
    }
    return out;
  }
}

const kinds = (acts: readonly ResourceAction[]): string[] => acts.map((a) => (a.kind === 'send' ? `send:${a.fields.find(([k]) => k === 't')?.[1] ?? ''}` : a.kind));
const stonithMsgs = (acts: readonly ResourceAction[]): string[] =>
  acts.flatMap((a) => (a.kind === 'send' && a.fields[0]?.[1] === 'stonith' ? [a.fields.map(([k, v]) => `${k}=${v}`).join(' ')] : []));
const logs = (acts: readonly ResourceAction[]): string[] => acts.flatMap((a) => (a.kind === 'log' ? [a.text] : []));

/** A nice_failback node that is stable holding its own groups, with a peer that reported holding its own. */
function stableNice(stonith: boolean): Driver {
  const d = new Driver(nice('bravo', stonith));
  d.on({ kind: 'comm-up', peerAlive: true }, 0);
  const acts = d.on({ kind: 'peer-message', type: 'resource', fields: new Map([['t', 'resource'], ['rsc_hold', 'local'], ['isstable', '1']]) }, 10);
  d.finishActivities(acts, 20);
  assert.equal(d.e.rscStatus(), 'local');
  return d;
}

/** A legacy node holding its own group after the peer answered its ip-request. */
function stableLegacy(stonith: boolean): Driver {
  const d = new Driver(legacy('bravo', stonith));
  d.on({ kind: 'comm-up', peerAlive: true, peerActive: true }, 0);
  const acts = d.on({ kind: 'peer-message', type: 'ip-request-resp', fields: new Map([['t', 'ip-request-resp'], ['dest', 'bravo'], ['ipaddr', 'bravo-g'], ['weown', 'no'], ['ok', 'OK']]) }, 10);
  d.finishActivities(acts, 20);
  return d;
}

for (const [mode, stable] of [['nice_failback', stableNice], ['legacy', stableLegacy]] as const) {
  test(`${mode}: with a STONITH device the dead peer is reset first; stonith result=OK goes out, then the takeover`, () => {
    const d = stable(true);
    const dead = d.on({ kind: 'peer-dead' }, 1000);
    assert.deepEqual(dead.filter((a) => a.kind === 'fence'), [{ kind: 'fence', node: 'alpha' }]);
    assert.equal(dead.some((a) => a.kind === 'acquire' || a.kind === 'acquire-group'), false, 'nothing taken before the reset');
    assert.deepEqual(stonithMsgs(dead), [], 'the message carries the reset\'s outcome, so it waits for it');
    assert.equal(d.e.rscStatus(), 'transition');
    const done = d.on({ kind: 'fence-done', node: 'alpha', result: 'OK' }, 3000);
    assert.deepEqual(stonithMsgs(done), ['t=stonith node=alpha result=OK']);
    const k = kinds(done);
    assert.ok(k.indexOf('send:stonith') < k.findIndex((x) => x === 'acquire' || x === 'acquire-group'), k.join(' '));
    assert.ok(logs(done).includes('Resources being acquired from alpha.'));
  });

  test(`${mode}: a failing device: no takeover, result=bad each try, a retry every 5 s logged each time`, () => {
    const d = stable(true);
    const mark = d.actions.length;
    d.on({ kind: 'peer-dead' }, 1000);
    let now = 1000;
    for (let attempt = 1; attempt <= 3; attempt++) {
      const failed = d.on({ kind: 'fence-done', node: 'alpha', result: attempt === 2 ? 'badhost' : 'bad' }, now + 500);
      assert.deepEqual(stonithMsgs(failed), [`t=stonith node=alpha result=${attempt === 2 ? 'badhost' : 'bad'}`]);
      assert.ok(logs(failed).some((l) => l.startsWith('STONITH of alpha failed.  Retrying...') && l.includes(`try ${attempt}`)), logs(failed).join('\n'));
      assert.equal(failed.some((a) => a.kind === 'acquire' || a.kind === 'acquire-group' || a.kind === 'fence'), false);
      assert.equal(d.wake, now + 500 + STONITH_RETRY_MS);
      assert.deepEqual(d.on({ kind: 'tick' }, now + 500 + STONITH_RETRY_MS - 1).filter((a) => a.kind === 'fence'), [], 'not before 5 s');
      now = now + 500 + STONITH_RETRY_MS;
      assert.deepEqual(d.on({ kind: 'tick' }, now).filter((a) => a.kind === 'fence'), [{ kind: 'fence', node: 'alpha' }]);
    }
    assert.equal(d.actions.slice(mark).some((a) => a.kind === 'acquire' || a.kind === 'acquire-group'), false);
    // It finally works: only now the takeover.
    const ok = d.on({ kind: 'fence-done', node: 'alpha', result: 'OK' }, now + 100);
    assert.ok(ok.some((a) => a.kind === 'acquire' || a.kind === 'acquire-group'));
  });

  test(`${mode}: without a device, exactly Heartbeat's n_stnth and an immediate takeover`, () => {
    const d = stable(false);
    const dead = d.on({ kind: 'peer-dead' }, 1000);
    assert.deepEqual(stonithMsgs(dead), ['t=stonith node=alpha result=n_stnth']);
    assert.ok(logs(dead).includes('No STONITH device configured.') && logs(dead).includes('Shared disks are not protected.'), 'two lines, as heartbeat 3.0.6 writes them');
    assert.equal(dead.some((a) => a.kind === 'fence'), false);
    assert.ok(dead.some((a) => a.kind === 'acquire' || a.kind === 'acquire-group'));
  });

  test(`${mode}: the peer comes back while the reset keeps failing: the reset is abandoned, nothing taken over`, () => {
    const d = stable(true);
    const mark = d.actions.length;
    d.on({ kind: 'peer-dead' }, 1000);
    d.on({ kind: 'fence-done', node: 'alpha', result: 'bad' }, 1500);
    const back = d.on({ kind: 'peer-restarted' }, 2000);
    assert.ok(logs(back).some((l) => l.startsWith('STONITH of alpha abandoned')));
    assert.equal(d.on({ kind: 'tick' }, 1500 + STONITH_RETRY_MS).some((a) => a.kind === 'fence'), false);
    assert.equal(d.actions.slice(mark).some((a) => a.kind === 'acquire' || a.kind === 'acquire-group'), false);
  });

  test(`${mode}: shutting down while resetting: no takeover when the reset ends`, () => {
    const d = stable(true);
    d.on({ kind: 'peer-dead' }, 1000);
    d.on({ kind: 'shutdown-request' }, 1100);
    const late = d.on({ kind: 'fence-done', node: 'alpha', result: 'OK' }, 1200);
    assert.deepEqual(stonithMsgs(late), ['t=stonith node=alpha result=OK']);
    assert.equal(late.some((a) => a.kind === 'acquire' || a.kind === 'acquire-group'), false);
  });

  test(`${mode}: alone at start with a device: the never-heard peer is reset before anything is taken`, () => {
    const d = new Driver(mode === 'legacy' ? legacy('bravo', true) : nice('bravo', true));
    const up = d.on({ kind: 'comm-up', peerAlive: false }, 0);
    assert.deepEqual(up.filter((a) => a.kind === 'fence'), [{ kind: 'fence', node: 'alpha' }]);
    assert.equal(up.some((a) => a.kind === 'acquire' || a.kind === 'acquire-group'), false);
    assert.ok(d.on({ kind: 'fence-done', node: 'alpha', result: 'OK' }, 2000).some((a) => a.kind === 'acquire' || a.kind === 'acquire-group'));
  });
}

test('nice_failback: a dead peer that reported holding nothing needs no reset (unneeded)', () => {
  const d = new Driver(nice('bravo', true));
  d.on({ kind: 'comm-up', peerAlive: true }, 0);
  const acts = d.on({ kind: 'peer-message', type: 'resource', fields: new Map([['t', 'resource'], ['rsc_hold', 'none'], ['isstable', '1']]) }, 10);
  d.finishActivities(acts, 20);
  const dead = d.on({ kind: 'peer-dead' }, 1000);
  assert.deepEqual(stonithMsgs(dead), ['t=stonith node=alpha result=unneeded']);
  assert.equal(dead.some((a) => a.kind === 'fence'), false);
  assert.ok(logs(dead).includes('Dead node alpha gave up resources.'));
});

test('legacy: a dead peer that had sent shutdone needs no reset (unneeded)', () => {
  const d = stableLegacy(true);
  d.finishActivities(d.on({ kind: 'peer-message', type: 'shutdone', fields: new Map([['t', 'shutdone']]) }, 500), 600);
  const dead = d.on({ kind: 'peer-dead' }, 1000);
  assert.deepEqual(stonithMsgs(dead), ['t=stonith node=alpha result=unneeded']);
  assert.equal(dead.some((a) => a.kind === 'fence'), false);
});

/**
 * Both links cut: each node declares the other dead and resets it. The device (one power switch) serves one
 * request at a time: the first reset to run kills the other node — with its own pending request. Whatever
 * the order and delays, exactly one node ends up running each group; without a device both do (split brain).
 */
test('property: a partition with STONITH ends with one owner per group; without it, with two (split brain)', () => {
  fc.assert(
    fc.property(fc.boolean(), fc.integer({ min: 0, max: 3000 }), fc.integer({ min: 0, max: 3000 }), fc.boolean(), (legacyMode, aDetect, bDetect, withDevice) => {
      const stable = (n: Name): Driver => (legacyMode ? stableLegacyAs(n, withDevice) : stableNiceAs(n, withDevice));
      const nodes: Record<Name, Driver> = { alpha: stable('alpha'), bravo: stable('bravo') };
      // Each runs its own group when the links are cut.
      const runs: Record<Name, Set<Name>> = { alpha: new Set(['alpha']), bravo: new Set(['bravo']) };
      const alive: Record<Name, boolean> = { alpha: true, bravo: true };
      const apply = (n: Name, acts: readonly ResourceAction[]): void => {
        for (const a of acts) {
          if (a.kind === 'acquire-group') runs[n].add(a.key.replace(/-g$/, '') as Name);
          if (a.kind === 'acquire' && (a.set === 'all' || a.set === 'local')) runs[n].add(n);
          if (a.kind === 'acquire' && (a.set === 'all' || a.set === 'foreign')) runs[n].add(other(n));
        }
      };
      const events: { at: number; n: Name }[] = [{ at: aDetect, n: 'alpha' as Name }, { at: bDetect, n: 'bravo' as Name }].sort((x, y) => x.at - y.at);
      const fences: { n: Name; at: number }[] = [];
      for (const e of events) {
        const acts = nodes[e.n].on({ kind: 'peer-dead' }, e.at);
        apply(e.n, acts);
        if (acts.some((a) => a.kind === 'fence')) fences.push({ n: e.n, at: e.at });
      }
      // The switch runs the first request; it powers the other node off (its request dies with it).
      const first = fences[0];
      if (first !== undefined) {
        const victim = other(first.n);
        alive[victim] = false;
        runs[victim].clear();
        apply(first.n, nodes[first.n].on({ kind: 'fence-done', node: victim, result: 'OK' }, first.at + 2000));
      }
      const owners = (g: Name): number => (['alpha', 'bravo'] as const).filter((n) => alive[n] && runs[n].has(g)).length;
      for (const g of ['alpha', 'bravo'] as const) {
        if (withDevice) assert.equal(owners(g), 1, `group ${g}: ${owners(g)} owners`);
        else assert.equal(owners(g), 2, 'without a device both nodes take everything, as Heartbeat does');
      }
    }),
    { numRuns: 300 },
  );
});

function stableNiceAs(n: Name, stonith: boolean): Driver {
  const d = new Driver(nice(n, stonith));
  d.on({ kind: 'comm-up', peerAlive: true }, 0);
  d.finishActivities(d.on({ kind: 'peer-message', type: 'resource', fields: new Map([['t', 'resource'], ['rsc_hold', 'local'], ['isstable', '1']]) }, 10), 20);
  return d;
}

function stableLegacyAs(n: Name, stonith: boolean): Driver {
  const d = new Driver(legacy(n, stonith));
  d.on({ kind: 'comm-up', peerAlive: true, peerActive: true }, 0);
  d.finishActivities(d.on({ kind: 'peer-message', type: 'ip-request-resp', fields: new Map([['t', 'ip-request-resp'], ['dest', n], ['ipaddr', `${n}-g`], ['weown', 'no'], ['ok', 'OK']]) }, 10), 20);
  return d;
}

test('edge: the stonith command line for both directives, and Initiate_Reset\'s reading of its exit status', () => {
  assert.deepEqual(stonithArgv({ directive: 'stonith_host', type: 'null', configFile: undefined, params: 'hostlist="alpha bravo"', line: 9 }, 'alpha'), [
    '/usr/sbin/stonith', '-t', 'null', '-p', 'hostlist="alpha bravo"', '-T', 'reset', 'alpha',
  ]);
  assert.deepEqual(stonithArgv({ directive: 'stonith', type: 'external/ssh', configFile: '/etc/ha.d/stonith.cfg', params: undefined, line: 3 }, undefined), [
    '/usr/sbin/stonith', '-t', 'external/ssh', '-F', '/etc/ha.d/stonith.cfg', '-S',
  ]);
  assert.equal(fenceResultOf({ exitCode: 0, timedOut: false, spawnError: undefined }), 'OK');
  assert.equal(fenceResultOf({ exitCode: 4, timedOut: false, spawnError: undefined }), 'badhost');
  assert.equal(fenceResultOf({ exitCode: 5, timedOut: false, spawnError: undefined }), 'bad');
  assert.equal(fenceResultOf({ exitCode: null, timedOut: true, spawnError: undefined }), 'bad');
  assert.equal(fenceResultOf({ exitCode: null, timedOut: false, spawnError: 'ENOENT' }), 'bad');
});

test('nice_failback: a peer that died while starting (its last report "none" but unstable) may hold its groups: reset first (3.0.6 would not)', () => {
  const d = new Driver(nice('bravo', true));
  d.on({ kind: 'comm-up', peerAlive: true }, 0);
  d.on({ kind: 'peer-message', type: 'starting', fields: new Map([['t', 'starting']]) }, 5);
  const acts = d.on({ kind: 'peer-message', type: 'resource', fields: new Map([['t', 'resource'], ['rsc_hold', 'none'], ['isstable', '0'], ['hbts_starting', '1']]) }, 10);
  d.finishActivities(acts, 20); // both take their own groups; alpha dies before its next report
  const dead = d.on({ kind: 'peer-dead' }, 1000);
  assert.deepEqual(dead.filter((a) => a.kind === 'fence'), [{ kind: 'fence', node: 'alpha' }]);
  assert.equal(logs(dead).includes('Dead node alpha gave up resources.'), false);
  assert.equal(dead.some((a) => a.kind === 'acquire' || a.kind === 'acquire-group'), false, 'nothing taken before the reset');
});
