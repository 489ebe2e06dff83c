// Warming the steady-state path before the node goes on the wire.
//
// A node at rest runs the same few functions a few times a second: build and sign a status, read and verify
// the peer's, step the coordinator and the membership core. Code run that rarely earns V8's optimising
// compiler only slowly: at keepalive 100 ms a pair still ran these paths as baseline code, with their
// optimised versions being compiled in V8's worker threads, 45 s after start, and its CPU fell from ≈ 0.77 to
// ≈ 0.44 CPU-s/min per node only after 2–3 minutes (keepalive 1: ten times longer). With this warm-up the
// first minutes cost 15–30% less (docs/benchmarks.md, "Cost at rest").
//
// So, at start-up, two throwaway coordinators with our configuration's timers and auth method (never its key,
// node names or UUIDs) exchange statuses on a simulated clock, with nothing sent, logged or written: only their
// effects are looked at. Bounded in rounds and in time; pure computation, no I/O.
import type { ClusterConfig } from '../config/model.js';
import { Membership } from '../membership/core.js';
import { NodeCoordinator } from '../node/coordinator.js';
import { singleKey } from '../wire/index.js';

export interface WarmUpResult {
  readonly rounds: number;
  readonly ms: number;
  /** Whether the first throwaway node saw the second one active (the receive path ran, not only the send). */
  readonly peerActive: boolean;
}

const NAMES = ['warm-up-a', 'warm-up-b'] as const;

/**
 * At most `rounds` keepalives of the simulated pair, and at most `budgetMs` of real time. 400 rounds take about
 * 180 ms of CPU on the development machine and grow the heap by about 4 MB (≈ 1–2 MB of RSS once the daemon
 * runs); 2,400 rounds cut the CPU at rest further but grew the heap to 26 MB (RSS 57 → 68–72 MB): not worth it.
 */
export function warmUp(c: Pick<ClusterConfig, 'keepaliveMs' | 'deadtimeMs' | 'warntimeMs' | 'initdeadMs' | 'deadpingMs' | 'hopfudge' | 'maxRexmitDelayMs' | 'authKeys'>, rounds = 400, budgetMs = 250, clock: () => number = () => performance.now()): WarmUpResult {
  const t0 = clock();
  const method = c.authKeys.keys.get(c.authKeys.activeIndex)?.method ?? 'sha1';
  const keys = singleKey(method, 'warm-up-only');
  const nodes = NAMES.map((name) => ({ name, type: 'normal' as const }));
  const pair = NAMES.map(
    (name, i) =>
      new NodeCoordinator({
        localNode: name,
        nodes,
        createMembership: () =>
          new Membership({
            localNode: name,
            nodes,
            keepaliveMs: c.keepaliveMs,
            deadtimeMs: c.deadtimeMs,
            warntimeMs: c.warntimeMs,
            initdeadMs: c.initdeadMs,
            deadpingMs: c.deadpingMs,
            hopfudge: c.hopfudge,
            maxRexmitDelayMs: c.maxRexmitDelayMs,
            keys,
            generation: 1,
            uuid: new Uint8Array(16).fill(i + 1),
            seed: 4242 + i,
            configField: '1;h=;a=00000000;t=00000000',
          }),
        clientOnline: () => false,
      }),
  );
  let monoMs = 0;
  const wallSec = 0x6b000000;
  const inbox: Uint8Array[][] = [[], []];
  const run = (i: number, event: Parameters<NodeCoordinator['step']>[0]): void => {
    const node = pair[i];
    if (node === undefined) return;
    const out = node.step(event, { monoMs, wallSec: wallSec + Math.floor(monoMs / 1000) });
    for (const e of out.effects) {
      if (e.kind !== 'send-frame') continue;
      node.membership.isOwnFrame(e.packet); // our own copy, looped back on a broadcast medium: dropped first
      inbox[1 - i]?.push(e.packet);
    }
  };
  /** Frames waiting for either node, until none are left (an answer can raise another): bounded. */
  const deliver = (): void => {
    for (let pass = 0; pass < 8 && (inbox[0]?.length !== 0 || inbox[1]?.length !== 0); pass++) {
      for (const to of [0, 1]) {
        const frames = inbox[to] ?? [];
        inbox[to] = [];
        for (const bytes of frames) run(to, { kind: 'frame', medium: 'eth0', bytes });
      }
    }
  };
  run(0, { kind: 'start' });
  run(1, { kind: 'start' });
  let n = 0;
  for (; n < rounds && clock() - t0 < budgetMs; n++) {
    monoMs += c.keepaliveMs;
    run(0, { kind: 'tick' });
    run(1, { kind: 'tick' });
    deliver();
  }
  const peerActive = pair[0]?.membership.nodes().some((v) => v.name === NAMES[1] && v.status === 'active') ?? false;
  return { rounds: n, ms: clock() - t0, peerActive };
}
