// Two simulated nodes running a resource protocol (nice_failback or legacy) on a manual clock: the one harness both
// protocols' unit tests drive. Messages take `latencyMs`, every acquire or release takes `opMs`, crashes lose what
// was in flight, and every moment a group runs on both nodes is recorded in `overlaps`.
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { LegacyProtocol } from '../../src/resources/legacy.js';
import { ResourceProtocol, type HoldSet, type ResourceAction, type ResourceEngine, type ResourceEvent } from '../../src/resources/protocol.js';

export type Name = 'alpha' | 'bravo';
export const other = (n: Name): Name => (n === 'alpha' ? 'bravo' : 'alpha');

export interface SimNode<E extends ResourceEngine> {
  readonly name: Name;
  readonly p: E;
  alive: boolean;
  /** Its comm-up happened (membership would report it `active` to the peer from then on). */
  started: boolean;
  /** The activity in progress: the units (groups by home, or group keys) it touches, and when it ends. */
  activity: { readonly kind: 'acquire' | 'release'; readonly units: readonly string[]; readonly endsAtMs: number } | undefined;
  shutDown: boolean;
  readonly logs: string[];
  /** Every message it sent, as fields. */
  readonly sent: Map<string, string>[];
}

/** What differs between the two protocols. */
export interface SimProtocol<E extends ResourceEngine> {
  engine(name: Name): E;
  /** The units an acquire or release action touches on node `n`. */
  units(n: Name, a: Extract<ResourceAction, { kind: 'acquire' | 'release' | 'acquire-group' | 'release-group' }>): string[];
  /** The engine keeps timers: ask for its wake-ups and tick it (nice_failback); legacy mode must have none. */
  readonly timers: boolean;
  /** A restart drops the messages still in flight both ways (legacy's tests model membership's generation check). */
  readonly restartDropsInFlight: boolean;
}

/** One step of a property test's random sequence: a power loss, a restart, a standby request, a shutdown, or time. */
export type SimOp =
  | { readonly k: 'crash'; readonly n: Name; readonly detect: number }
  | { readonly k: 'restart'; readonly n: Name }
  | { readonly k: 'standby'; readonly n: Name; readonly set: HoldSet }
  | { readonly k: 'shutdown'; readonly n: Name }
  | { readonly k: 'wait'; readonly ms: number };

/** The random steps for the property tests; legacy mode has no standby (`withStandby` false). */
export function simOp(withStandby: boolean): fc.Arbitrary<SimOp> {
  const node = fc.constantFrom<Name>('alpha', 'bravo');
  return fc.oneof(
    fc.record({ k: fc.constant('crash' as const), n: node, detect: fc.integer({ min: 0, max: 3000 }) }),
    fc.record({ k: fc.constant('restart' as const), n: node }),
    ...(withStandby ? [fc.record({ k: fc.constant('standby' as const), n: node, set: fc.constantFrom<HoldSet>('all', 'local', 'foreign') })] : []),
    fc.record({ k: fc.constant('shutdown' as const), n: node }),
    fc.record({ k: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 2000 }) }),
  );
}

export class ResourceSim<E extends ResourceEngine> {
  nowMs = 0;
  /** What each node runs (units). Acquiring counts from its start, releasing until its end: the conservative reading. */
  readonly holding: Record<Name, Set<string>> = { alpha: new Set(), bravo: new Set() };
  nodes: Record<Name, SimNode<E>>;
  queue: { atMs: number; to: Name; type: string; fields: Map<string, string> }[] = [];
  /** Every moment a unit ran on both live nodes. */
  readonly overlaps: string[] = [];
  /** Nodes whose acquisitions fail: the runner gives the units up again and reports ok: false. */
  readonly failStarts = new Set<Name>();

  constructor(
    private readonly protocol: SimProtocol<E>,
    readonly opMs = 50,
    readonly latencyMs = 1,
  ) {
    this.nodes = { alpha: this.fresh('alpha'), bravo: this.fresh('bravo') };
  }

  fresh(name: Name): SimNode<E> {
    return { name, p: this.protocol.engine(name), alive: true, started: false, activity: undefined, shutDown: false, logs: [], sent: [] };
  }

  step(n: SimNode<E>, e: ResourceEvent): void {
    if (!n.alive) return;
    const r = n.p.handle(e, this.nowMs);
    if (!this.protocol.timers) assert.equal(r.nextWakeAtMs, Number.POSITIVE_INFINITY);
    for (const a of r.actions) this.perform(n, a);
  }

  private perform(n: SimNode<E>, a: ResourceAction): void {
    switch (a.kind) {
      case 'send': {
        const fields = new Map(a.fields.map(([k, v]) => [k, v]));
        n.sent.push(fields);
        // A datagram to a node that is down is lost; it never reaches the node's next incarnation.
        if (!this.nodes[other(n.name)].alive) return;
        this.queue.push({ atMs: this.nowMs + this.latencyMs, to: other(n.name), type: fields.get('t') ?? '', fields });
        return;
      }
      case 'acquire':
      case 'release':
      case 'acquire-group':
      case 'release-group': {
        assert.equal(n.activity, undefined, `${n.name}: two jobs at once`);
        const units = this.protocol.units(n.name, a);
        const kind = a.kind === 'acquire' || a.kind === 'acquire-group' ? 'acquire' : 'release';
        if (kind === 'acquire') for (const u of units) this.take(n.name, u);
        n.activity = { kind, units, endsAtMs: this.nowMs + this.opMs };
        return;
      }
      case 'log':
        n.logs.push(a.text);
        return;
      case 'shutdown-complete':
        n.shutDown = true;
        return;
      case 'fence':
        assert.fail('no STONITH device in this simulation (test/unit/stonith.test.ts drives fencing)');
    }
  }

  private take(n: Name, unit: string): void {
    this.holding[n].add(unit);
    if (this.holding[other(n)].has(unit) && this.nodes[other(n)].alive) this.overlaps.push(`${unit} on both at ${this.nowMs} ms`);
  }

  /** Comm-up as membership reports it: the peer is alive unless dead or gone, active once it had its own comm-up. */
  commUp(n: Name, peerAlive?: boolean): void {
    const peer = this.nodes[other(n)];
    const alive = peerAlive ?? (peer.alive && !peer.shutDown);
    this.nodes[n].started = true;
    this.step(this.nodes[n], { kind: 'comm-up', peerAlive: alive, peerActive: alive && peer.started });
  }

  /** Power loss: the node and everything it ran vanish; the other learns of the death after `detectMs`. */
  crash(n: Name, detectMs: number): void {
    this.nodes[n].alive = false;
    this.holding[n].clear();
    this.queue = this.queue.filter((q) => q.to !== n);
    this.runFor(detectMs);
    this.step(this.nodes[other(n)], { kind: 'peer-dead' });
  }

  /** A fresh process; at its comm-up the peer is alive or (declared) dead, as membership would report. */
  restart(n: Name): void {
    if (this.protocol.restartDropsInFlight) this.queue = this.queue.filter((q) => q.to !== other(n) && q.to !== n);
    this.nodes[n] = this.fresh(n);
    const peer = this.nodes[other(n)];
    const peerAlive = peer.alive && !peer.shutDown;
    this.step(peer, { kind: 'peer-restarted' });
    this.commUp(n, peerAlive);
  }

  /**
   * One step of a random sequence, where it can happen: a crash only while both run, a restart only of a node that
   * is down or has shut down (its heartbeats stop then: the peer hears it dead first).
   */
  apply(o: SimOp): void {
    if (o.k === 'wait') this.runFor(o.ms);
    else if (o.k === 'crash') {
      if (this.nodes[o.n].alive && this.nodes[other(o.n)].alive) this.crash(o.n, o.detect);
    } else if (o.k === 'restart') {
      if (!this.nodes[o.n].alive || this.nodes[o.n].shutDown) {
        if (this.nodes[o.n].shutDown) {
          this.nodes[o.n].alive = false;
          this.step(this.nodes[other(o.n)], { kind: 'peer-dead' });
        }
        this.restart(o.n);
      }
    } else if (o.k === 'standby') this.step(this.nodes[o.n], { kind: 'standby-request', set: o.set });
    else this.step(this.nodes[o.n], { kind: 'shutdown-request' });
  }

  runFor(ms: number): void {
    const until = this.nowMs + ms;
    for (let guard = 0; guard < 100_000; guard++) {
      const times = [
        ...this.queue.map((q) => q.atMs),
        ...Object.values(this.nodes).flatMap((n) => (n.alive && n.activity !== undefined ? [n.activity.endsAtMs] : [])),
      ];
      const wake = this.protocol.timers ? Object.values(this.nodes).map((n) => (n.alive ? n.p.handle({ kind: 'tick' }, this.nowMs).nextWakeAtMs : Infinity)) : [];
      const next = Math.min(...times, ...wake);
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
          const failed = act.kind === 'acquire' && this.failStarts.has(n.name);
          if (act.kind === 'release' || failed) for (const u of act.units) this.holding[n.name].delete(u);
          this.step(n, { kind: 'activity-done', ok: !failed });
        }
        if (this.protocol.timers && n.alive) this.step(n, { kind: 'tick' });
      }
    }
    throw new Error('resource simulation did not settle');
  }

  /** What the node runs, sorted, or 'none'. */
  held(n: Name): string {
    return [...this.holding[n]].sort().join(',') || 'none';
  }

  sentTypes(n: Name): string[] {
    return this.nodes[n].sent.map((f) => f.get('t') ?? '');
  }
}

/** nice_failback (auto_failback on|off): units are the groups by home node. */
export function niceSim(autoFailback: boolean, opMs = 50, latencyMs = 1, noGroups: readonly Name[] = []): ResourceSim<ResourceProtocol> {
  const homes = (n: Name, set: HoldSet): Name[] => (set === 'all' ? ['alpha', 'bravo'] : set === 'local' ? [n] : set === 'foreign' ? [other(n)] : []);
  return new ResourceSim<ResourceProtocol>(
    {
      // noGroups: nodes that are the home of no group (haresources names only the other).
      engine: (name) => new ResourceProtocol({ localNode: name, peer: other(name), autoFailback, hasLocalGroups: !noGroups.includes(name), hasForeignGroups: !noGroups.includes(other(name)) }),
      units: (n, a) => {
        assert.ok(a.kind === 'acquire' || a.kind === 'release', `nice_failback works on sets, not ${a.kind}`);
        return homes(n, a.set);
      },
      timers: true,
      restartDropsInFlight: false,
    },
    opMs,
    latencyMs,
  );
}

/** Legacy mode (auto_failback legacy): units are group keys, acquired one by one, released all at once at shutdown. */
export function legacySim(keys: Readonly<Record<Name, readonly string[]>>, opMs = 50, latencyMs = 1): ResourceSim<LegacyProtocol> {
  const all = [...keys.alpha, ...keys.bravo].sort();
  return new ResourceSim<LegacyProtocol>(
    {
      engine: (name) => new LegacyProtocol({ localNode: name, peer: other(name), localKeys: [...keys[name]], foreignKeys: [...keys[other(name)]] }),
      units: (_n, a) => {
        if (a.kind === 'acquire-group' || a.kind === 'release-group') return [a.key];
        assert.ok(a.kind === 'release' && a.set === 'all', 'legacy mode acquires group by group, and releases all at once');
        return [...all];
      },
      timers: false,
      restartDropsInFlight: true,
    },
    opMs,
    latencyMs,
  );
}
