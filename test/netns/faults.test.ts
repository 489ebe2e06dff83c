// Issue #8 item 3: automated fault scenarios for a heartbeat-ts pair, fast bounded variants for CI. Each ends with
// "exactly one node holds every resource group, none lost"; a sampler (a worker thread) reads both nodes' holdings
// every 10 ms and fails the scenario if any sample finds a group held by both (or if it sampled too rarely).
//
// Resources: `hbts-res::ga` (home alpha) and `hbts-res::gb` (home bravo), the v1 script of
// test/helpers/state-resource.ts (state in the node's private /run; a slow start on demand).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { assertNeverBoth, HoldWatcher, summary, type Probe } from '../helpers/hold-watch.js';
import { createLab, killPid, type Lab, type StartedProcess } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { writePairConfig } from '../helpers/pair-config.js';
import { readLog, tail } from '../helpers/real-heartbeat.js';
import { heldResources, installStateResource, stateResourceDir } from '../helpers/state-resource.js';

const NODES = ['alpha', 'bravo'] as const;
type NodeName = (typeof NODES)[number];
const GROUPS = ['ga', 'gb'] as const;
const HARESOURCES = 'alpha hbts-res::ga\nbravo hbts-res::gb\n';
const say = (text: string): void => void process.stdout.write(`# ${text}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Groups the node runs or is starting (its /run seen through its anchor). */
function holds(lab: Lab, node: NodeName): string[] {
  return heldResources(lab, node, GROUPS);
}

function logs(lab: Lab): string {
  return `alpha:\n${tail(readLog(lab, 'alpha'), 30)}\nbravo:\n${tail(readLog(lab, 'bravo'), 30)}`;
}

async function until(what: string, cond: () => boolean, timeoutMs: number, lab: Lab): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`${what}: not within ${timeoutMs} ms\n${logs(lab)}`);
    await sleep(50);
  }
  return Date.now() - start;
}

/**
 * Samples both nodes' holdings every 10 ms from a worker thread (hold-watch.ts: file checks through each node's
 * anchor), alpha before and after bravo, and records every sample in which a group was held by both. Auto failback
 * stops a group on one node before the other starts it, and a crashed node's state goes with it (a power cut),
 * so there must be none.
 */
function overlapSampler(lab: Lab): HoldWatcher {
  const probe = (n: NodeName, g: string): Probe => ({ kind: 'files', files: [`${stateResourceDir(lab, n)}/${g}.running`, `${stateResourceDir(lab, n)}/${g}.starting`] });
  return new HoldWatcher(['alpha', 'bravo'], Object.fromEntries(GROUPS.map((g) => [g, [probe('alpha', g), probe('bravo', g)] as const])));
}

/** The end check: every group held by exactly one node, ga on alpha, gb on bravo; the sampler's figures. */
async function assertSettled(lab: Lab, sampler: HoldWatcher, name: string): Promise<void> {
  const ms = await until(`${name}: ga on alpha only, gb on bravo only`, () => holds(lab, 'alpha').join() === 'ga' && holds(lab, 'bravo').join() === 'gb', 20_000, lab);
  const watched = await sampler.stop();
  for (const g of GROUPS) {
    const owners = NODES.filter((n) => holds(lab, n).includes(g));
    assert.equal(owners.length, 1, `${g} held by ${owners.join(', ') || 'nobody'}`);
  }
  say(`${name}: settled ${ms} ms after the last fault; end state alpha=[${holds(lab, 'alpha').join()}] bravo=[${holds(lab, 'bravo').join()}]; ${summary(watched)}`);
  assertNeverBoth(watched, `${name}: every group`);
}

async function pairLab(t: TestContext, label: string, media: (node: NodeName, lab: Lab) => string[], bridge: boolean): Promise<Lab> {
  const lab = await createLab(t, { nodes: NODES.map((name) => ({ name })), label, ...(bridge ? {} : { bridgeAddress: null }) });
  for (const n of NODES) {
    writePairConfig(lab, n, { media: media(n, lab) });
    const haDir = lab.node(n).haDir;
    fs.writeFileSync(path.join(haDir, 'haresources'), HARESOURCES);
    installStateResource(lab, n);
  }
  return lab;
}

async function startPair(lab: Lab): Promise<Record<NodeName, StartedProcess>> {
  const [alpha, bravo] = await Promise.all([startOurHeartbeat(lab, 'alpha', 15_000), startOurHeartbeat(lab, 'bravo', 15_000)]);
  await until('ga on alpha, gb on bravo', () => holds(lab, 'alpha').join() === 'ga' && holds(lab, 'bravo').join() === 'gb', 30_000, lab);
  return { alpha, bravo };
}

/** A node crash: its daemon SIGKILLed and its resources' state gone with it (a power cut). */
function crash(lab: Lab, node: NodeName, p: StartedProcess): void {
  killPid(p.pid, 'SIGKILL');
  fs.rmSync(stateResourceDir(lab, node), { recursive: true, force: true });
}

/**
 * The chaos relay (in the bridge namespace, 198.51.100.1:694): each datagram from one node goes to the other;
 * ~20% are also sent a second time, ~20% are held back 50–350 ms (a keepalive is 200 ms, so later ones overtake
 * them). Counts per outcome, and reorders as seen on the wire (a `seq=` lower than one already forwarded from the
 * same source), are printed as JSON on exit. Exits by itself after lifetimeMs.
 */
const RELAY = `
const dgram = require('node:dgram');
const [a, b, lifetime] = process.argv.slice(1);
const s = dgram.createSocket('udp4');
const st = { sample: '', received: 0, forwarded: 0, duplicated: 0, delayed: 0, reordered: 0, seqs: 0 };
const maxSeq = new Map();
function forward(msg, to) {
  st.forwarded++;
  const m = /\\bseq=([0-9a-f]+)/.exec(msg.toString('latin1'));
  const src = /\\bsrc=([a-z0-9-]+)/.exec(msg.toString('latin1'));
  if (m && src) {
    st.seqs++;
    const seq = parseInt(m[1], 16), k = src[1] + '/' + (/\\bhg=([0-9a-f]+)/.exec(msg.toString('latin1')) || [])[1];
    if (seq < (maxSeq.get(k) ?? -1)) st.reordered++; else maxSeq.set(k, seq);
  }
  s.send(msg, 694, to);
}
s.on('message', (msg, r) => {
  st.received++;
  if (!st.sample) st.sample = msg.toString('latin1').slice(0, 300);
  const to = r.address === a ? b : r.address === b ? a : undefined;
  if (!to) return;
  const x = Math.random();
  if (x < 0.2) { st.delayed++; setTimeout(() => forward(msg, to), 50 + Math.random() * 300); }
  else forward(msg, to);
  if (Math.random() < 0.2) { st.duplicated++; setTimeout(() => forward(msg, to), Math.random() * 100); }
});
s.bind(694, '198.51.100.1', () => console.log('relay ready'));
const done = () => { console.log(JSON.stringify(st)); process.exit(0); };
process.on('SIGTERM', done);
setTimeout(done, Number(lifetime));
`;

interface RelayStats {
  readonly sample: string;
  readonly received: number;
  readonly forwarded: number;
  readonly duplicated: number;
  readonly delayed: number;
  readonly reordered: number;
  readonly seqs: number;
}

test('fault scenarios: chaos relay, restart loop, kill mid-takeover', { concurrency: 3 }, async (t) => {
  if (!requireRootAndCommands(t, ['nsenter'])) return;

  await Promise.all([
    t.test('reordered and duplicated packets through a ucast chaos relay: nobody dead, nothing moves', async (t) => {
      const lab = await pairLab(t, 'fchaos', () => ['ucast eth0 198.51.100.1'], true);
      const runMs = 20_000;
      const relay = lab.start('bridge', [process.execPath, '-e', RELAY, lab.node('alpha').ip, lab.node('bravo').ip, String(runMs + 25_000)]);
      await relay.waitForOutput(/relay ready/, 5000);
      await startPair(lab);
      const sampler = overlapSampler(lab);
      await sampler.ready; // watching before the first fault
      const from = { alpha: readLog(lab, 'alpha').length, bravo: readLog(lab, 'bravo').length };
      const moved: string[] = [];
      const t0 = Date.now();
      while (Date.now() - t0 < runMs) {
        const h = `${holds(lab, 'alpha').join()}|${holds(lab, 'bravo').join()}`;
        if (h !== 'ga|gb') moved.push(`${Date.now() - t0} ms: alpha=[${holds(lab, 'alpha').join()}] bravo=[${holds(lab, 'bravo').join()}]`);
        await sleep(100);
      }
      killPid(relay.pid, 'SIGTERM');
      await relay.exited;
      const statsLine = relay.stdout.trim().split('\n').at(-1) ?? '';
      const st = JSON.parse(statsLine) as RelayStats;
      const la = readLog(lab, 'alpha').slice(from.alpha);
      const lb = readLog(lab, 'bravo').slice(from.bravo);
      const count = (re: RegExp): number => (la.match(re) ?? []).length + (lb.match(re) ?? []).length;
      const lines = la.split('\n').length + lb.split('\n').length - 2;
      say(`chaos relay over ${runMs} ms: ${st.received} datagrams in, ${st.forwarded} out, ${st.duplicated} duplicated, ${st.delayed} held back, ${st.reordered} overtaken (of ${st.seqs} sequenced)`);
      say(`chaos: in both logs during the run: ${lines} lines, ${count(/is dead/g)} "is dead", ${count(/lost packet\(s\)/g)} "lost packet(s)", ${count(/No pkts missing/g)} "No pkts missing", ${count(/Heartbeat restart/g)} restarts, ${count(/Late heartbeat/g)} late-heartbeat warnings`);
      assert.ok(st.duplicated > 0 && st.reordered > 0, `the relay duplicated and reordered packets; a datagram: ${JSON.stringify(st.sample)}`);
      assert.doesNotMatch(la + lb, /is dead|Heartbeat restart|returning after partition|Resources being acquired/);
      assert.deepEqual(moved, [], 'no resource moved');
      assert.ok(lines < runMs / 100, `log flood: ${lines} lines in ${runMs} ms`);
      await assertSettled(lab, sampler, 'chaos');
    }),

    t.test('a peer restarting in a loop: 5 crash-restarts of bravo, then ga on alpha, gb on bravo', async (t) => {
      const lab = await pairLab(t, 'floop', () => ['bcast eth0'], false);
      const procs = await startPair(lab);
      const sampler = overlapSampler(lab);
      await sampler.ready; // watching before the first fault
      const from = readLog(lab, 'alpha').length;
      let bravo = procs.bravo;
      const upMs: number[] = [];
      for (let i = 0; i < 5; i++) {
        crash(lab, 'bravo', bravo);
        await bravo.exited;
        const t0 = Date.now();
        bravo = await startOurHeartbeat(lab, 'bravo', 15_000);
        upMs.push(Date.now() - t0);
      }
      await assertSettled(lab, sampler, 'restart loop');
      const la = readLog(lab, 'alpha').slice(from);
      const restarts = (la.match(/Heartbeat restart on node bravo/g) ?? []).length;
      const deaths = (la.match(/node bravo: is dead/g) ?? []).length;
      say(`restart loop: bravo up again after ${upMs.join(', ')} ms; alpha logged ${restarts} "Heartbeat restart on node bravo", ${deaths} "node bravo: is dead", ${(la.match(/Resources being acquired from bravo/g) ?? []).length} takeovers of gb`);
      assert.ok(restarts + deaths >= 1, `alpha noticed no restart:\n${tail(la, 30)}`);
      assert.ok(restarts >= 1, `no "Heartbeat restart on node bravo" line:\n${tail(la, 30)}`);
    }),

    t.test('the daemon killed mid-takeover and restarted: the restarted daemon waits for the orphaned start, releases what it left running, and every group ends with one owner', async (t) => {
      const lab = await pairLab(t, 'fmid', () => ['bcast eth0'], false);
      const procs = await startPair(lab);
      fs.writeFileSync(`${stateResourceDir(lab, 'alpha')}/slow`, '');
      const from = readLog(lab, 'alpha').length;
      crash(lab, 'bravo', procs.bravo);
      const startingMs = await until('alpha starts gb (slow)', () => fs.existsSync(`${stateResourceDir(lab, 'alpha')}/gb.starting`), 15_000, lab);
      killPid(procs.alpha.pid, 'SIGKILL');
      await procs.alpha.exited;
      const midLog = readLog(lab, 'alpha').slice(from);
      say(`mid-takeover: alpha began starting gb ${startingMs} ms after bravo's crash; its daemon SIGKILLed during the 2 s start`);
      fs.rmSync(`${stateResourceDir(lab, 'alpha')}/slow`, { force: true });
      // The orphaned start script keeps running (its daemon is gone): the restarted daemon must not let it
      // bring gb up behind its back beside bravo's.
      const restartFrom = readLog(lab, 'alpha').length;
      const sampler = overlapSampler(lab);
      await sampler.ready; // watching before the first fault
      await startOurHeartbeat(lab, 'alpha', 15_000);
      const orphanAtRestart = fs.existsSync(`${stateResourceDir(lab, 'alpha')}/gb.starting`);
      await startOurHeartbeat(lab, 'bravo', 15_000);
      const ms = await until('mid-takeover: ga on alpha only, gb on bravo only', () => holds(lab, 'alpha').join() === 'ga' && holds(lab, 'bravo').join() === 'gb', 20_000, lab);
      await sleep(3000); // longer than the orphaned start had left to run: nothing comes back
      const watched = await sampler.stop();
      const after = readLog(lab, 'alpha').slice(restartFrom);
      const lines = (re: RegExp): string[] => after.split('\n').filter((l) => re.test(l)).map((l) => l.replace(/^.*?\]: /, ''));
      const orphans = lines(/of a previous heartbeat|operations ended after/);
      const verify = lines(/should not be/);
      const released = lines(/found active at start-up/);
      say(`mid-takeover: one owner per group ${ms} ms after the restarts; 3 s later alpha=[${holds(lab, 'alpha').join()}] bravo=[${holds(lab, 'bravo').join()}]; sampler since the restart: ${summary(watched)}`);
      say(`mid-takeover: the start script was still running when alpha's daemon restarted: ${orphanAtRestart}; alpha said: ${[...orphans, ...verify, ...released].join(' | ') || '(nothing)'}`);
      assert.match(midLog, /Resources being acquired from bravo|Taking over resource group hbts-res::gb|Acquiring resource group/);
      assert.ok(orphanAtRestart, 'the kill came while gb was starting');
      assert.ok(orphans.some((l) => /hbts-res gb start/.test(l)), 'the orphaned start of gb is found and waited for');
      assert.ok(verify.some((l) => l.includes('Resource hbts-res::gb is active, and should not be!')), 'the start-up verify names the half-started gb');
      assert.ok(released.some((l) => /hbts-res::gb/.test(l)), 'the half-started gb is released');
      for (const g of GROUPS) assert.deepEqual(NODES.filter((n) => holds(lab, n).includes(g)), [g === 'ga' ? 'alpha' : 'bravo'], `${g}: one owner, at home`);
      assertNeverBoth(watched, 'mid-takeover, after the restarts: every group');
    }),
  ]);
});

