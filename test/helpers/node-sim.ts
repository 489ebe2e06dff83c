// A simulated pair of node coordinators for unit tests: the membership-sim.ts network and manual clock, with
// the whole node (membership, resource protocol, API delivery, rc.d) stepped as the daemon steps it.
//
// Effects are recorded, not carried out, except: send-frame goes onto the simulated network, defer is posted
// at the same time on the next round, and resource-op / fence wait in `pendingOps` until the test ends them.
import { configDigests, encodeConfigField, type ConfigFacts } from '../../src/config/config-digest.js';
import { Membership } from '../../src/membership/core.js';
import type { MembershipOptions } from '../../src/membership/core.js';
import { NodeCoordinator, type Effect, type NodeEvent, type StepOutput } from '../../src/node/coordinator.js';
import type { ResourceEngine } from '../../src/resources/protocol.js';
import type { Monitor } from '../../src/resources/monitor.js';
import { singleKey } from '../../src/wire/index.js';
import { uuidFor, WALL_EPOCH_SEC } from './membership-sim.js';

export interface NodeSimOptions {
  readonly names: readonly string[];
  /** Each node's resource protocol (two-node pairs); `runner`: operations wait in pendingOps. */
  readonly resources?: (name: string) => ResourceEngine;
  readonly runner?: boolean;
  readonly timing?: Partial<MembershipOptions>;
  /** Each node's configuration (digests announced in its status, compared with the peer's); absent: none. */
  readonly config?: (name: string) => ConfigFacts | undefined;
  /** Each node's service monitor and its groups (issue 17); monitor-check/monitor-restart wait in pendingOps. */
  readonly monitor?: (name: string) => { readonly monitor: Monitor; readonly groups: readonly { readonly key: string; readonly set: 'local' | 'foreign' }[] } | undefined;
}

export interface SimCoordinator {
  readonly name: string;
  coordinator: NodeCoordinator;
  generation: number;
  readonly effects: { atMs: number; effect: Effect }[];
  nextWakeAtMs: number;
  running: boolean;
  /** API clients signed on here (query-cstatus answers from it). */
  readonly clients: Set<string>;
}

export class NodeSim {
  nowMs = 1_000;
  latencyMs = 1;
  readonly nodes = new Map<string, SimCoordinator>();
  /** Operations asked for and not ended yet (the test ends them with finishOps). */
  readonly pendingOps: { node: string; effect: Effect }[] = [];
  /** false: frames between the two are dropped. */
  linked = true;
  private frames: { atMs: number; to: string; bytes: Uint8Array }[] = [];
  private deferred: { to: string; event: NodeEvent }[] = [];

  constructor(private readonly o: NodeSimOptions) {
    for (const name of o.names) this.add(name, 100);
  }

  private add(name: string, generation: number): void {
    const node: SimCoordinator = { name, coordinator: this.coordinatorFor(name, generation), generation, effects: [], nextWakeAtMs: Number.POSITIVE_INFINITY, running: true, clients: new Set() };
    this.nodes.set(name, node);
  }

  private coordinatorFor(name: string, generation: number): NodeCoordinator {
    const nodes = this.o.names.map((n) => ({ name: n, type: 'normal' as const }));
    const peer = this.o.names.find((n) => n !== name) ?? '';
    const resources = this.o.resources;
    const config = this.o.config?.(name);
    const monitor = this.o.monitor?.(name);
    return new NodeCoordinator({
      localNode: name,
      nodes,
      createMembership: (reloaded) =>
        new Membership({
          nodes, keepaliveMs: 100, deadtimeMs: 1000, warntimeMs: 500, initdeadMs: 2000, deadpingMs: 1000, hopfudge: 1, maxRexmitDelayMs: 250,
          ...this.o.timing,
          ...configFieldOf(config),
          keys: singleKey('sha1', 'SomeKey'), localNode: name, generation: this.nodes.get(name)?.generation ?? generation, uuid: uuidFor(name), seed: name.length * 7919,
          ...reloaded,
        }),
      ...(resources === undefined ? {} : { resources: { create: () => resources(name), peer, runner: this.o.runner === true, ...(monitor === undefined ? {} : { groups: monitor.groups }) } }),
      ...(monitor === undefined ? {} : { monitor: monitor.monitor }),
      clientOnline: (cn) => this.nodes.get(name)?.clients.has(cn) ?? false,
      ...(config === undefined ? {} : { configFacts: config }),
    });
  }

  node(name: string): SimCoordinator {
    const n = this.nodes.get(name);
    if (n === undefined) throw new Error(`no sim node ${name}`);
    return n;
  }

  /** Every node posts `start`, as Daemon.start does. */
  start(): void {
    for (const n of this.nodes.values()) this.step(n.name, { kind: 'start' });
  }

  /** SIGKILL: the node stops cold. */
  kill(name: string): void {
    const n = this.node(name);
    n.running = false;
    n.nextWakeAtMs = Number.POSITIVE_INFINITY;
  }

  /** A fresh process for an existing node, with a higher generation. */
  restart(name: string, generation: number): void {
    const n = this.node(name);
    n.generation = generation;
    n.coordinator = this.coordinatorFor(name, generation);
    n.running = true;
    this.step(name, { kind: 'start' });
  }

  step(name: string, event: NodeEvent): StepOutput {
    const n = this.node(name);
    const out = n.coordinator.step(event, { monoMs: this.nowMs, wallSec: WALL_EPOCH_SEC + Math.floor(this.nowMs / 1000) });
    for (const effect of out.effects) {
      n.effects.push({ atMs: this.nowMs, effect });
      if (effect.kind === 'send-frame') this.broadcast(name, effect.packet);
      else if (effect.kind === 'defer') this.deferred.push({ to: name, event: effect.event });
      else if (effect.kind === 'resource-op' || effect.kind === 'fence' || effect.kind === 'release-for-restart' || effect.kind === 'monitor-check' || effect.kind === 'monitor-restart') this.pendingOps.push({ node: name, effect });
    }
    n.nextWakeAtMs = out.nextWakeAtMs;
    return out;
  }

  /** Ends every pending operation of `name` with `ok` (activity-done, fence-done 'OK', restart-ready). */
  finishOps(name: string, ok = true): void {
    const mine = this.pendingOps.filter((p) => p.node === name && p.effect.kind !== 'monitor-check' && p.effect.kind !== 'monitor-restart');
    for (const p of mine) this.pendingOps.splice(this.pendingOps.indexOf(p), 1);
    for (const p of mine) {
      const e = p.effect;
      if (e.kind === 'resource-op') this.step(name, { kind: 'resource', event: { kind: 'activity-done', ok } });
      else if (e.kind === 'fence') this.step(name, { kind: 'resource', event: { kind: 'fence-done', node: e.node, result: ok ? 'OK' : 'bad' } });
      else this.step(name, { kind: 'restart-ready' });
    }
  }

  /** Ends the pending checks of `name` with `ok`; returns how many there were. */
  finishChecks(name: string, ok: boolean): number {
    const mine = this.pendingOps.filter((p) => p.node === name && p.effect.kind === 'monitor-check');
    for (const p of mine) this.pendingOps.splice(this.pendingOps.indexOf(p), 1);
    for (const p of mine) {
      const e = p.effect;
      if (e.kind === 'monitor-check') this.step(name, { kind: 'monitor', event: { kind: 'check-done', resource: e.resource, id: e.id, ok, durationMs: 3, detail: ok ? 'ok' : 'exit 7' } });
    }
    return mine.length;
  }

  private broadcast(from: string, bytes: Uint8Array): void {
    if (!this.linked) return;
    for (const to of this.nodes.keys()) if (to !== from) this.frames.push({ atMs: this.nowMs + this.latencyMs, to, bytes });
  }

  /** Runs every frame, deferred event and due timer up to and including `untilMs`, in time order. Bounded. */
  runUntil(untilMs: number): void {
    for (let guard = 0; guard < 1_000_000; guard++) {
      const deferred = this.deferred;
      this.deferred = [];
      for (const d of deferred) if (this.node(d.to).running) this.step(d.to, d.event);
      if (this.deferred.length > 0) continue;
      let next = Number.POSITIVE_INFINITY;
      for (const n of this.nodes.values()) if (n.running) next = Math.min(next, n.nextWakeAtMs);
      for (const f of this.frames) next = Math.min(next, f.atMs);
      if (next > untilMs) {
        this.nowMs = untilMs;
        return;
      }
      this.nowMs = Math.max(this.nowMs, next);
      const due = this.frames.filter((f) => f.atMs <= this.nowMs);
      this.frames = this.frames.filter((f) => f.atMs > this.nowMs);
      for (const f of due) if (this.node(f.to).running) this.step(f.to, { kind: 'frame', medium: 'eth0', bytes: f.bytes });
      for (const n of this.nodes.values()) if (n.running && n.nextWakeAtMs <= this.nowMs) this.step(n.name, { kind: 'tick' });
    }
    throw new Error('simulation did not settle within 1,000,000 events');
  }

  advance(ms: number): void {
    this.runUntil(this.nowMs + ms);
  }

  /** The effects of one kind a node produced (optionally since a time). */
  effectsOf<K extends Effect['kind']>(name: string, kind: K, sinceMs = 0): Extract<Effect, { kind: K }>[] {
    return this.node(name)
      .effects.filter((e) => e.atMs >= sinceMs && e.effect.kind === kind)
      .map((e) => e.effect as Extract<Effect, { kind: K }>);
  }

  statusOf(observer: string, node: string): string | undefined {
    return this.node(observer).coordinator.membership.nodes().find((n) => n.name === node)?.status;
  }
}

function configFieldOf(f: ConfigFacts | undefined): { configField?: string } {
  return f === undefined ? {} : { configField: encodeConfigField(configDigests(f)) };
}
