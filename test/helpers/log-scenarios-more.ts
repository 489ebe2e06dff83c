// More log-lines scenarios (issue 24), run the same way on the real Heartbeat 3.0.6 pair and on heartbeat-ts's
// (log-scenario.ts runPhases): partition and heal, reload (`heartbeat -r`), `auto_failback legacy`, the loss of
// one of two links. Waits are on the resource's state, the kernel's or the state files, never on a log line.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Lab } from './netns.js';
import { addLink } from './netns-extra.js';
import { setPeerLink } from './links.js';
import { ourHeartbeatCommand } from './our-heartbeat.js';
import { REAL_HEARTBEAT } from './real-heartbeat.js';
import { cutPing, restorePing, untilIpfailsTalk, writeIpfailNode, type IpfailTimers } from './ipfail-pair.js';
import { installStateResource } from './state-resource.js';
import { NODES, runPhases, writeScenarioConfig, type Kind, type NodeName, type PairControl, type PhaseLogs } from './log-scenario.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function coldStart(p: PairControl): Promise<void> {
  await Promise.all(NODES.map((n) => p.start(n)));
  await p.until('web on alpha alone', p.only('alpha'), 40_000);
}

/** The generation in the node's hb_generation (both daemons keep the same file), or 0. */
function generation(lab: Lab, n: NodeName): number {
  try {
    return Number(/\d+/.exec(fs.readFileSync(path.join(lab.node(n).varLibDir, 'hb_generation'), 'latin1'))?.[0] ?? 0);
  } catch {
    return 0;
  }
}

/** Waits until cond has held for holdMs without a break (bounded by timeoutMs). */
async function steady(what: string, cond: () => boolean, holdMs: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let since: number | undefined;
  for (;;) {
    const now = Date.now();
    if (cond()) since ??= now;
    else since = undefined;
    if (since !== undefined && now - since >= holdMs) return;
    if (now >= deadline) throw new Error(`no ${what} for ${holdMs} ms within ${timeoutMs} ms`);
    await sleep(100);
  }
}

// ---- partition and heal ----------------------------------------------------------------------------------------

export const PARTITION_PHASES = ['cold start (both at once)', 'partition (heartbeats dropped both ways)', 'heal (both restart)'] as const;
export type PartitionPhase = (typeof PARTITION_PHASES)[number];

/**
 * The switch between the nodes drops every heartbeat datagram it would forward (the lab's bridge, bridge family):
 * both directions cut, and healed, at one instant. A cut in each node, lifted one node after the other, let the
 * first node hear the other's old generation, restart and come back with a new one before the second node's cut
 * was lifted (a loaded CI run): that node then saw a restart, not a partition, and did not restart itself.
 */
const CUT_RULES = 'table bridge hbtscut {\n  chain forwarded {\n    type filter hook forward priority 0; policy accept;\n    udp dport 694 drop\n  }\n}\n';

async function cut(lab: Lab, on: boolean): Promise<void> {
  const r = on ? await lab.exec('bridge', ['nft', '-f', '-'], { input: CUT_RULES }) : await lab.exec('bridge', ['nft', 'delete', 'table', 'bridge', 'hbtscut']);
  assert.equal(r.exitCode, 0, `nft in the bridge namespace: ${r.stderr}`);
}

/**
 * Both started; the heartbeats cut both ways until each has declared the other dead and taken the group (both run
 * it: no STONITH); the cut healed. Heartbeat 3.0.6: each hears a peer it declared dead in the same generation
 * ("returning after partition") and restarts; the group ends on alpha.
 */
export async function runPartitionScenario(lab: Lab, kind: Kind, say: (text: string) => void): Promise<PhaseLogs<PartitionPhase>> {
  let gens: number[] = [];
  return runPhases(lab, kind, say, (p) => {
    const steps: Record<PartitionPhase, () => Promise<void>> = {
      'cold start (both at once)': () => coldStart(p),
      'partition (heartbeats dropped both ways)': async () => {
        await cut(lab, true);
        await p.until('web on both nodes', () => NODES.every((n) => p.holds(n)), 30_000);
        gens = NODES.map((n) => generation(lab, n));
      },
      'heal (both restart)': async () => {
        await cut(lab, false);
        await p.until('a new generation on both nodes', () => NODES.every((n, i) => generation(lab, n) > (gens[i] ?? 0)), 60_000);
        await steady('web on alpha alone', p.only('alpha'), 6000, 90_000);
      },
    };
    return PARTITION_PHASES.map((ph) => [ph, steps[ph]] as const);
  });
}

// ---- reload ----------------------------------------------------------------------------------------------------

export const RELOAD_PHASES = ['cold start (both at once)', 'reload, authkeys changed (heartbeat -r on alpha)', 'reload, ha.cf changed (heartbeat -r on alpha)'] as const;
export type ReloadPhase = (typeof RELOAD_PHASES)[number];

async function reread(p: PairControl, n: NodeName): Promise<void> {
  const r = p.kind === 'ours' ? await ourHeartbeatCommand(p.lab, n, ['-r'], 20_000) : await p.lab.exec(n, [REAL_HEARTBEAT, '-r'], { timeoutMs: 20_000 });
  assert.equal(r.exitCode, 0, `heartbeat -r on ${n}: ${r.stdout}${r.stderr}`);
}

/** Both started; alpha's authkeys gets a second (unused) key, `heartbeat -r`; then its ha.cf a new warntime, `heartbeat -r`. */
export async function runReloadScenario(lab: Lab, kind: Kind, say: (text: string) => void): Promise<PhaseLogs<ReloadPhase>> {
  return runPhases(lab, kind, say, (p) => {
    const dir = lab.node('alpha').haDir;
    const steps: Record<ReloadPhase, () => Promise<void>> = {
      'cold start (both at once)': () => coldStart(p),
      'reload, authkeys changed (heartbeat -r on alpha)': async () => {
        fs.appendFileSync(path.join(dir, 'authkeys'), '2 md5 AnotherKey-2\n');
        await reread(p, 'alpha');
        await sleep(2000);
        assert.ok(p.only('alpha')(), 'web stays on alpha');
      },
      'reload, ha.cf changed (heartbeat -r on alpha)': async () => {
        const cf = path.join(dir, 'ha.cf');
        fs.writeFileSync(cf, fs.readFileSync(cf, 'utf8').replace(/^warntime .*$/m, 'warntime 600ms'));
        await reread(p, 'alpha');
        await sleep(4000);
        await steady('web on alpha alone', p.only('alpha'), 2000, 30_000);
      },
    };
    return RELOAD_PHASES.map((ph) => [ph, steps[ph]] as const);
  });
}

// ---- auto_failback legacy --------------------------------------------------------------------------------------

export const LEGACY_PHASES = ['cold start (both at once)', 'crash of alpha', 'alpha restarted', 'clean stop of alpha', 'clean stop of bravo'] as const;
export type LegacyPhase = (typeof LEGACY_PHASES)[number];

/** The scenario's pair with `auto_failback legacy` (3.0.6's nice_failback off; the group goes home when alpha returns). */
export function writeLegacyConfig(lab: Lab): void {
  writeScenarioConfig(lab);
  for (const n of NODES) {
    const cf = path.join(lab.node(n).haDir, 'ha.cf');
    fs.writeFileSync(cf, fs.readFileSync(cf, 'utf8').replace(/^auto_failback on$/m, 'auto_failback legacy'));
  }
}

export async function runLegacyScenario(lab: Lab, kind: Kind, say: (text: string) => void): Promise<PhaseLogs<LegacyPhase>> {
  return runPhases(lab, kind, say, (p) => {
    const steps: Record<LegacyPhase, () => Promise<void>> = {
      'cold start (both at once)': () => coldStart(p),
      'crash of alpha': async () => {
        await p.crash('alpha');
        await p.until('web on bravo', p.only('bravo'), 30_000);
      },
      'alpha restarted': async () => {
        await p.start('alpha');
        await steady('web back on alpha alone', p.only('alpha'), 3000, 60_000);
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
    return LEGACY_PHASES.map((ph) => [ph, steps[ph]] as const);
  });
}

// ---- the loss of one of two links ------------------------------------------------------------------------------

export const LINK_PHASES = ['cold start (both at once)', 'eth1 loses its carrier', 'eth1 back'] as const;
export type LinkPhase = (typeof LINK_PHASES)[number];

/** The scenario's pair with a second medium, `bcast eth1`, over a veth between the two nodes (203.0.113.0/24). */
export async function writeTwoLinkConfig(lab: Lab): Promise<void> {
  writeScenarioConfig(lab);
  await addLink(lab, { node: 'alpha', ifname: 'eth1', address: '203.0.113.1/24' }, { node: 'bravo', ifname: 'eth1', address: '203.0.113.2/24' });
  for (const n of NODES) {
    const cf = path.join(lab.node(n).haDir, 'ha.cf');
    fs.writeFileSync(cf, fs.readFileSync(cf, 'utf8').replace(/^bcast eth0$/m, 'bcast eth0 eth1'));
  }
}

export async function runLinkScenario(lab: Lab, kind: Kind, say: (text: string) => void): Promise<PhaseLogs<LinkPhase>> {
  return runPhases(lab, kind, say, (p) => {
    const steps: Record<LinkPhase, () => Promise<void>> = {
      'cold start (both at once)': () => coldStart(p),
      'eth1 loses its carrier': async () => {
        await setPeerLink(lab, 'bravo', 'eth1', 'alpha', 'eth1', false);
        await sleep(2500); // deadtime 1 s: both see the link dead, nobody the node
        assert.ok(p.only('alpha')(), 'web stays on alpha');
      },
      'eth1 back': async () => {
        await setPeerLink(lab, 'bravo', 'eth1', 'alpha', 'eth1', true);
        await sleep(1500);
        assert.ok(p.only('alpha')(), 'web stays on alpha');
      },
    };
    return LINK_PHASES.map((ph) => [ph, steps[ph]] as const);
  });
}

// ---- ipfail ----------------------------------------------------------------------------------------------------

export const IPFAIL_PHASES = ['start (alpha, then bravo), the ipfails compare', 'ping node lost on alpha', 'ping node back on alpha'] as const;
export type IpfailPhase = (typeof IPFAIL_PHASES)[number];

/** test/netns/ipfail-ours.test.ts's timers: deadtime = deadping, keepalive 500 ms (see there why). */
const IPFAIL_TIMERS: IpfailTimers = { keepalive: '500ms', warntime: '1', deadtime: '2', initdead: '4', deadping: '2' };

/**
 * Each daemon with its own ipfail (Heartbeat 3.0.6 with Debian's, heartbeat-ts with its own), `ping 198.51.100.1`
 * (the lab's bridge), and the state resource as the group, so that waits are on the resource as in the other scenarios.
 */
export function writeIpfailScenarioConfig(lab: Lab, kind: Kind): void {
  for (const n of NODES) {
    writeIpfailNode(lab, n, { daemon: kind, ipfail: kind }, IPFAIL_TIMERS);
    fs.writeFileSync(path.join(lab.node(n).haDir, 'haresources'), 'alpha hbts-res::web\n');
    installStateResource(lab, n);
  }
}

/** alpha started and serving, then bravo; alpha loses its ping node (the group moves), then gets it back (home again). */
export async function runIpfailScenario(lab: Lab, kind: Kind, say: (text: string) => void): Promise<PhaseLogs<IpfailPhase>> {
  return runPhases(lab, kind, say, (p) => {
    const steps: Record<IpfailPhase, () => Promise<void>> = {
      'start (alpha, then bravo), the ipfails compare': async () => {
        // One after the other, as the ipfail tests do: a real node started while the other takes over at start-up
        // can end with the group nowhere ("T_STARTING received during takeover"), ipfail or not.
        await p.start('alpha');
        await p.until('web on alpha alone', p.only('alpha'), 30_000);
        // The state file appears as the start script begins; the real daemon's takeover goes on a while after it.
        await sleep(3000);
        await p.start('bravo');
        // The one wait on a line: the ipfails' comparison has no other trace.
        await untilIpfailsTalk(lab, 30_000);
        // The real alpha took bravo's (empty) set over at initdead; it hands it back through the failback exchange
        // once RQSTDELAY (10 s) after bravo's start has passed. Nothing changes hands: no state to wait on.
        await sleep(12_000);
        assert.ok(p.only('alpha')(), 'web stays on alpha');
      },
      'ping node lost on alpha': async () => {
        await cutPing(lab, 'alpha');
        await p.until('web on bravo alone', p.only('bravo'), 30_000);
      },
      'ping node back on alpha': async () => {
        await restorePing(lab, 'alpha');
        await steady('web back on alpha alone', p.only('alpha'), 3000, 40_000);
      },
    };
    return IPFAIL_PHASES.map((ph) => [ph, steps[ph]] as const);
  });
}
