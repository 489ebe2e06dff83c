// The legacy resource protocol (auto_failback legacy) between two simulated nodes: groups go home by ip-request.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LegacyProtocol } from '../../src/resources/legacy.js';
import type { ResourceAction, ResourceEvent } from '../../src/resources/protocol.js';

type Name = 'alpha' | 'bravo';
const other = (n: Name): Name => (n === 'alpha' ? 'bravo' : 'alpha');
const KEYS: Record<Name, string[]> = { alpha: ['198.51.100.10', 'a2'], bravo: ['b1'] };
const ALL_KEYS = [...KEYS.alpha, ...KEYS.bravo].sort();

interface SimNode {
  name: Name;
  p: LegacyProtocol;
  alive: boolean;
  started: boolean;
  activity: { kind: 'acquire' | 'release'; keys: string[]; endsAtMs: number } | undefined;
  shutDown: boolean;
  logs: string[];
  sent: Map<string, string>[];
}

class LegacySim {
  nowMs = 0;
  runs: Record<Name, Set<string>> = { alpha: new Set(), bravo: new Set() };
  nodes: Record<Name, SimNode>;
  queue: { atMs: number; to: Name; type: string; fields: Map<string, string> }[] = [];
  overlaps: string[] = [];

  constructor(readonly opMs = 50, readonly latencyMs = 1) {
    this.nodes = { alpha: this.fresh('alpha'), bravo: this.fresh('bravo') };
  }

  fresh(name: Name): SimNode {
    return {
      name,
      p: new LegacyProtocol({ localNode: name, peer: other(name), localKeys: KEYS[name], foreignKeys: KEYS[other(name)] }),
      alive: true,
      started: false,
      activity: undefined,
      shutDown: false,
      logs: [],
      sent: [],
    };
  }

  step(n: SimNode, e: ResourceEvent): void {
    if (!n.alive) return;
    const r = n.p.handle(e, this.nowMs);
    assert.equal(r.nextWakeAtMs, Number.POSITIVE_INFINITY);
    for (const a of r.actions) this.perform(n, a);
  }

  private perform(n: SimNode, a: ResourceAction): void {
    switch (a.kind) {
      case 'send': {
        const fields = new Map(a.fields.map(([k, v]) => [k, v]));
        n.sent.push(fields);
        if (!this.nodes[other(n.name)].alive) return; // lost: nobody listens
        this.queue.push({ atMs: this.nowMs + this.latencyMs, to: other(n.name), type: fields.get('t') ?? '', fields });
        return;
      }
      case 'acquire-group':
        assert.equal(n.activity, undefined, `${n.name}: two jobs at once`);
        this.take(n.name, a.key);
        n.activity = { kind: 'acquire', keys: [a.key], endsAtMs: this.nowMs + this.opMs };
        return;
      case 'release-group':
        assert.equal(n.activity, undefined, `${n.name}: two jobs at once`);
        n.activity = { kind: 'release', keys: [a.key], endsAtMs: this.nowMs + this.opMs };
        return;
      case 'release':
        assert.equal(a.set, 'all');
        assert.equal(n.activity, undefined, `${n.name}: two jobs at once`);
        n.activity = { kind: 'release', keys: [...ALL_KEYS], endsAtMs: this.nowMs + this.opMs };
        return;
      case 'acquire':
        assert.fail('legacy mode acquires group by group');
        return;
      case 'log':
        n.logs.push(a.text);
        return;
      case 'shutdown-complete':
        n.shutDown = true;
        return;
    }
  }

  /** Acquiring counts as running from its start; releasing until its end (the conservative reading). */
  private take(n: Name, key: string): void {
    this.runs[n].add(key);
    if (this.runs[other(n)].has(key) && this.nodes[other(n)].alive) this.overlaps.push(`${key} on both at ${this.nowMs} ms`);
  }

  /** Comm-up as membership reports it: the peer is alive unless dead or gone, active once it is up itself. */
  commUp(n: Name): void {
    const peer = this.nodes[other(n)];
    const peerAlive = peer.alive && !peer.shutDown;
    this.nodes[n].started = true;
    this.step(this.nodes[n], { kind: 'comm-up', peerAlive, peerActive: peerAlive && peer.started });
  }

  crash(n: Name, detectMs: number): void {
    this.nodes[n].alive = false;
    this.runs[n].clear();
    this.queue = this.queue.filter((q) => q.to !== n);
    this.runFor(detectMs);
    this.step(this.nodes[other(n)], { kind: 'peer-dead' });
  }

  restart(n: Name): void {
    // Messages of the old incarnation still in flight are dropped once the new generation is seen (membership
    // rejects an older generation), as are those to it.
    this.queue = this.queue.filter((q) => q.to !== other(n) && q.to !== n);
    this.nodes[n] = this.fresh(n);
    this.step(this.nodes[other(n)], { kind: 'peer-restarted' });
    this.commUp(n);
  }

  runFor(ms: number): void {
    const until = this.nowMs + ms;
    for (let guard = 0; guard < 100_000; guard++) {
      const times = [
        ...this.queue.map((q) => q.atMs),
        ...Object.values(this.nodes).flatMap((n) => (n.alive && n.activity !== undefined ? [n.activity.endsAtMs] : [])),
      ];
      const next = Math.min(...times);
      if (next > until) {
        this.nowMs = until;
        return;
      }
      this.nowMs = Math.max(this.nowMs, next);
      const due = this.queue.filter((q) => q.atMs <= this.nowMs);
      this.queue = this.queue.filter((q) => q.atMs > this.nowMs);
      for (const q of due) this.step(this.nodes[q.to], { kind: 'peer-message', type: q.type, fields: q.fields });
      for (const n of Object.values(this.nodes)) {
        if (n.alive && n.activity !== undefined && n.activity.endsAtMs <= this.nowMs) {
          const act = n.activity;
          n.activity = undefined;
          if (act.kind === 'release') for (const k of act.keys) this.runs[n.name].delete(k);
          this.step(n, { kind: 'activity-done', ok: true });
        }
      }
    }
    throw new Error('legacy simulation did not settle');
  }

  held(n: Name): string {
    return [...this.runs[n]].sort().join(',') || 'none';
  }

  sentTypes(n: Name): string[] {
    return this.nodes[n].sent.map((f) => f.get('t') ?? '');
  }
}

test('cold start: the first node up takes its own groups at once; the second asks the first with ip-request', () => {
  const sim = new LegacySim();
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
  const sim = new LegacySim();
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
  const sim = new LegacySim();
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
  const sim = new LegacySim();
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
  const sim = new LegacySim(500);
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
  assert.deepEqual(up.map((a) => a.kind), ['acquire-group']);
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
  assert.deepEqual(p.handle(resp('alpha', 'DENY'), 2).actions.map((a) => a.kind), ['log']);
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
  const op = fc.oneof(
    fc.record({ k: fc.constant('crash' as const), n: fc.constantFrom<Name>('alpha', 'bravo'), detect: fc.integer({ min: 0, max: 3000 }) }),
    fc.record({ k: fc.constant('restart' as const), n: fc.constantFrom<Name>('alpha', 'bravo') }),
    fc.record({ k: fc.constant('shutdown' as const), n: fc.constantFrom<Name>('alpha', 'bravo') }),
    fc.record({ k: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 2000 }) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 12 }), fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 300 }), (ops, opMs, gapMs) => {
      const sim = new LegacySim(opMs);
      sim.commUp('alpha');
      sim.runFor(gapMs);
      sim.commUp('bravo');
      sim.runFor(300);
      for (const o of ops) {
        if (o.k === 'wait') sim.runFor(o.ms);
        else if (o.k === 'crash') {
          if (sim.nodes[o.n].alive && sim.nodes[other(o.n)].alive) sim.crash(o.n, o.detect);
        } else if (o.k === 'restart') {
          if (!sim.nodes[o.n].alive || sim.nodes[o.n].shutDown) {
            if (sim.nodes[o.n].shutDown) {
              sim.nodes[o.n].alive = false;
              sim.step(sim.nodes[other(o.n)], { kind: 'peer-dead' });
            }
            sim.restart(o.n);
          }
        } else if (o.k === 'shutdown') sim.step(sim.nodes[o.n], { kind: 'shutdown-request' });
      }
      sim.runFor(15_000);
      assert.deepEqual(sim.overlaps, []);
      const live = (['alpha', 'bravo'] as const).filter((n) => sim.nodes[n].alive && !sim.nodes[n].shutDown);
      if (live.length > 0) {
        const all = live.flatMap((n) => [...sim.runs[n]]).sort();
        const why = `runs: alpha ${sim.held('alpha')}, bravo ${sim.held('bravo')}; ops ${JSON.stringify(ops)}\nalpha: ${sim.nodes.alpha.logs.join(' | ')}\nbravo: ${sim.nodes.bravo.logs.join(' | ')}`;
        assert.deepEqual(all, ALL_KEYS, why);
        // Legacy mode: with both nodes up, every group is on its home node.
        if (live.length === 2) for (const n of live) assert.equal(sim.held(n), [...KEYS[n]].sort().join(','), why);
      }
    }),
    { numRuns: Number(process.env['HBTS_PROPERTY_RUNS'] ?? '2000'), verbose: 1 },
  );
});
