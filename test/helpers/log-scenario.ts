// One pair's life, run the same way on the real Heartbeat 3.0.6 and on heartbeat-ts, cut into phases so their logs
// can be compared line by line (log-lines.ts): both started at once, standby and takeover, crash, failback, clean
// stops. Waits are on the resource's state (the hbts-res files), never on a log line: the logs are what is tested.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Lab } from './netns.js';
import { killPid } from './processes.js';
import type { StartedProcess } from './processes.js';
import { startOurHeartbeat } from './our-heartbeat.js';
import { REAL_HEARTBEAT, readLog, writeRealConfig } from './real-heartbeat.js';
import { heldResources, installStateResource, stateResourceDir } from './state-resource.js';
import { waitForReaped } from './vip.js';

export type Kind = 'real' | 'ours';
export const NODES = ['alpha', 'bravo'] as const;
export type NodeName = (typeof NODES)[number];

/** The phases, in the order they run; each names the event that opens it. */
export const PHASES = ['cold start (both at once)', 'standby (hb_standby on alpha)', 'takeover (hb_takeover on alpha)', 'crash of alpha', 'failback (alpha restarted)', 'clean stop of alpha', 'clean stop of bravo'] as const;
export type Phase = (typeof PHASES)[number];

/**
 * A failed start: the group's start fails on alpha only; both are stopped before ResourceManager's `hb_standby` 30 s
 * later, where the two daemons differ on purpose (3.0.6 always names `foreign` there, so the group stays down;
 * heartbeat-ts hands the failed group's own set over — see src/resources/failure-policy.ts and docs/logging.md).
 */
export const FAILED_START_PHASES = ['cold start, start fails on alpha', 'clean stop of alpha, then of bravo'] as const;
export type FailedStartPhase = (typeof FAILED_START_PHASES)[number];

/** `hbts-fail NAME start|stop|status`: like hbts-res, but its start fails (exit 1) on the node named alpha. */
const FAILING_RESOURCE = `#!/bin/sh
D=/run/hbts-res
case "$2" in
  start) if [ "$(hostname)" = alpha ]; then echo "refusing to start on alpha" >&2; exit 1; fi
    mkdir -p $D; touch "$D/$1.running";;
  stop) rm -f "$D/$1.running";;
  status) if [ -e "$D/$1.running" ]; then echo running; else echo stopped; fi;;
esac
exit 0
`;

/** The same pair with `alpha hbts-fail::web`, whose start fails on alpha. */
export function writeFailedStartConfig(lab: Lab): void {
  writeScenarioConfig(lab);
  for (const n of NODES) {
    fs.writeFileSync(path.join(lab.node(n).haDir, 'resource.d', 'hbts-fail'), FAILING_RESOURCE, { mode: 0o755 });
    fs.writeFileSync(path.join(lab.node(n).haDir, 'haresources'), `alpha hbts-fail::${RESOURCE}\n`);
  }
}

/** The raw log text each node wrote during each phase. */
export type PhaseLogs<P extends string = Phase> = Record<P, Record<NodeName, string>>;

const KEY = 'LogLines-Key_1';
const RESOURCE = 'web';
/** After the resource settled, how long the logs are given to finish the phase's lines (deadtime is 1 s). */
const QUIET_MS = 3000;

/** Config on both nodes: the real daemon's ha.cf (logfile only, `logfacility none`), `alpha hbts-res::web`. */
export function writeScenarioConfig(lab: Lab): void {
  for (const n of NODES) {
    writeRealConfig(lab, n, { nodes: NODES, method: 'sha1', key: KEY });
    fs.writeFileSync(path.join(lab.node(n).haDir, 'haresources'), `alpha hbts-res::${RESOURCE}\n`);
    installStateResource(lab, n);
  }
}

async function until(what: string, ok: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() >= deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs the pair through every phase; returns what each node logged in each. */
export async function runLogScenario(lab: Lab, kind: Kind, say: (text: string) => void): Promise<PhaseLogs> {
  return runPhases(lab, kind, say, (p) => {
    const steps: Record<Phase, () => Promise<void>> = {
      'cold start (both at once)': async () => {
        await Promise.all(NODES.map((n) => p.start(n)));
        await p.until('web on alpha alone', p.only('alpha'), 40_000);
      },
      'standby (hb_standby on alpha)': async () => {
        await p.stock('alpha', 'hb_standby');
        await p.until('web on bravo alone', p.only('bravo'), 30_000);
      },
      'takeover (hb_takeover on alpha)': async () => {
        await p.stock('alpha', 'hb_takeover');
        await p.until('web on alpha alone', p.only('alpha'), 30_000);
      },
      'crash of alpha': async () => {
        await p.crash('alpha');
        await p.until('web on bravo', p.only('bravo'), 30_000);
      },
      'failback (alpha restarted)': async () => {
        await p.start('alpha');
        await p.until('web back on alpha alone', p.only('alpha'), 40_000);
      },
      'clean stop of alpha': async () => {
        await p.stop('alpha');
        await p.until('web on bravo alone', p.only('bravo'), 30_000);
      },
      'clean stop of bravo': async () => {
        await p.stop('bravo');
        await p.until('web nowhere', () => NODES.every((m) => !p.holds(m)), 30_000);
      },
    };
    return PHASES.map((ph) => [ph, steps[ph]] as const);
  });
}

/** Both started; alpha's start of the group fails; both stopped (alpha first) before the 30 s standby. */
export async function runFailedStartScenario(lab: Lab, kind: Kind, say: (text: string) => void): Promise<PhaseLogs<FailedStartPhase>> {
  return runPhases(lab, kind, say, (p) => {
    const steps: Record<FailedStartPhase, () => Promise<void>> = {
      'cold start, start fails on alpha': async () => {
        await Promise.all(NODES.map((n) => p.start(n)));
        // No state to wait on: the start fails. Both are up and alpha has tried once the real pair's
        // RQSTDELAY (10 s) has passed; the next phase begins well before the 30 s hb_standby.
        await new Promise((res) => setTimeout(res, 14_000));
        assert.equal(p.holds('alpha') || p.holds('bravo'), false, 'nobody runs the group after the failed start');
      },
      'clean stop of alpha, then of bravo': async () => {
        await p.stop('alpha');
        // `heartbeat -k` returns once the real daemon is gone, by when its peer has declared it dead; our
        // SIGTERM stop returns at once. Give bravo more than deadtime either way before stopping it.
        await new Promise((res) => setTimeout(res, 3000));
        await p.stop('bravo');
        await p.until('web nowhere', () => NODES.every((m) => !p.holds(m)), 30_000);
      },
    };
    return FAILED_START_PHASES.map((ph) => [ph, steps[ph]] as const);
  });
}

/** What a phase step can do to the pair. */
export interface PairControl {
  readonly lab: Lab;
  readonly kind: Kind;
  start(n: NodeName): Promise<void>;
  stop(n: NodeName): Promise<void>;
  crash(n: NodeName): Promise<void>;
  stock(n: NodeName, script: 'hb_standby' | 'hb_takeover'): Promise<void>;
  holds(n: NodeName): boolean;
  only(n: NodeName): () => boolean;
  until(what: string, ok: () => boolean, timeoutMs: number): Promise<void>;
}

export async function runPhases<P extends string>(lab: Lab, kind: Kind, say: (text: string) => void, plan: (p: PairControl) => (readonly [P, () => Promise<void>])[]): Promise<PhaseLogs<P>> {
  const ours = new Map<NodeName, StartedProcess>();
  const holds = (n: NodeName): boolean => heldResources(lab, n, [RESOURCE]).length === 1;
  const only = (n: NodeName): (() => boolean) => () => holds(n) && NODES.every((m) => m === n || !holds(m));
  const start = async (n: NodeName): Promise<void> => {
    if (kind === 'ours') {
      ours.set(n, await startOurHeartbeat(lab, n, 20_000));
      return;
    }
    const r = await lab.exec(n, [REAL_HEARTBEAT], { timeoutMs: 20_000 });
    assert.equal(r.exitCode, 0, `${REAL_HEARTBEAT} in ${n}: ${r.stderr}`);
  };
  const stop = async (n: NodeName): Promise<void> => {
    const p = ours.get(n);
    if (p !== undefined) {
      ours.delete(n);
      await p.stop(30_000);
      return;
    }
    const r = await lab.exec(n, [REAL_HEARTBEAT, '-k'], { timeoutMs: 40_000 });
    assert.equal(r.exitCode, 0, `heartbeat -k in ${n}: ${r.stderr}`);
  };
  /** Power loss: every process of the node killed at once, its /run (the resource's state) gone. */
  const crash = async (n: NodeName): Promise<void> => {
    const anchor = lab.node(n).anchorPid;
    const pids = (await lab.pidsIn(n)).filter((p) => p !== anchor);
    for (const p of pids) killPid(p, 'SIGKILL');
    for (const p of pids) await waitForReaped(p, 10_000);
    ours.delete(n);
    fs.rmSync(stateResourceDir(lab, n), { recursive: true, force: true });
  };
  const stock = async (n: NodeName, script: 'hb_standby' | 'hb_takeover'): Promise<void> => {
    const r = await lab.exec(n, [`/usr/share/heartbeat/${script}`], { timeoutMs: 10_000 });
    assert.equal(r.exitCode, 0, `${script} on ${n}: ${r.stderr}`);
  };
  const quiet = (): Promise<void> => new Promise((r) => setTimeout(r, QUIET_MS));

  const control: PairControl = { lab, kind, start, stop, crash, stock, holds, only, until };
  const logs = {} as PhaseLogs<P>;
  for (const [phase, step] of plan(control)) {
    const from = Object.fromEntries(NODES.map((n) => [n, readLog(lab, n).length])) as Record<NodeName, number>;
    const t0 = Date.now();
    await step();
    await quiet();
    logs[phase] = Object.fromEntries(NODES.map((n) => [n, readLog(lab, n).slice(from[n])])) as Record<NodeName, string>;
    say(`${kind}: ${phase}: settled after ${Date.now() - t0 - QUIET_MS} ms`);
  }
  return logs;
}
