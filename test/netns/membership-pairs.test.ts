// Two heartbeat-ts daemons (`heartbeat -f`) form a pair over each medium, alone and combined, with a ping node.
//
// One lab per test, all run concurrently:
//   [alpha] heartbeat-ts, eth0 198.51.100.11/24, isolated ─┐
//   [bravo] heartbeat-ts, eth0 198.51.100.12/24, isolated ─┴─ br0 198.51.100.1/24 in the bridge namespace
// ha.cf (pair-config.ts): keepalive 200ms, warntime 500ms, deadtime 1, initdead 5, udpport 694, sha1.
//
//   1. bcast only, 2. ucast only (both IPs listed on each node), 3. mcast only (239.255.100.1:50694, ttl 1):
//      each node logs "Status update for node <other>: status active" and "Comm_now_up".
//   4. serial only over a host-side socat pty pair (no UDP medium at all).
//   5. serial + bcast, then alpha's eth0 goes down: alpha logs "Link bravo:eth0 dead." and, for 5 × deadtime,
//      no death of bravo (the serial line carries the heartbeats), and vice versa.
//   6. ping node 198.51.100.1 (br0) with deadping 2, plus bcast: "status ping", then br0 loses its address
//      and the ping node is "dead" within deadping + 2 s while bravo stays alive.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createLab, runOk, startProcess, type Lab, type StartedProcess } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { cliPath } from '../helpers/paths.js';
import { readLog, tail, waitForLog } from '../helpers/real-heartbeat.js';
import { writePairConfig, type PairConfig } from '../helpers/pair-config.js';

const NODES = ['alpha', 'bravo'] as const;
type NodeName = (typeof NODES)[number];
const OTHER: Record<NodeName, NodeName> = { alpha: 'bravo', bravo: 'alpha' };
const DEADTIME_MS = 1000;
/** From the start of both daemons to both peers active: at most initdead (5 s) plus the reqnodes handshake, with slack. */
const ACTIVE_TIMEOUT_MS = 15_000;
const KEEP = process.env['HBTS_KEEP'] === '1';
/** Lines that never belong in a healthy pair's log. */
const FORBIDDEN = [/node (alpha|bravo): is dead/, /authentication failed/, /Bad\/invalid auth token/, /replay attack/, /returning after partition/];

function assertNone(text: string, patterns: readonly RegExp[], who: string): void {
  for (const p of patterns) {
    const m = p.exec(text);
    assert.equal(m, null, `${who}: unexpected ${p} in the log:\n${tail(text, 40)}`);
  }
}

/** `heartbeat --check-config` inside the node must accept the files we wrote; its warnings become diagnostics. */
async function checkConfigIn(t: TestContext, lab: Lab, node: string): Promise<void> {
  const r = await lab.exec(node, [process.execPath, cliPath('heartbeat'), '--check-config'], { timeoutMs: 15_000 });
  assert.equal(r.exitCode, 0, `heartbeat --check-config in ${node} rejected the config:\n${r.stdout}\n${r.stderr}`);
  // initdead 2 draws the expected "may be too small" advice; anything else is worth showing.
  for (const line of r.stdout.split('\n')) {
    if (/: (warning|error) /.test(line) && !/TIMING_ADVICE: initdead/.test(line)) t.diagnostic(`${node} --check-config: ${line}`);
  }
}

interface Pair {
  readonly procs: Record<NodeName, StartedProcess>;
  /** From starting both daemons to both seeing the other active. */
  readonly activeAfterMs: number;
}

/**
 * Checks both configs, starts both daemons at once and waits until each sees the other active and has come
 * up itself (Comm_now_up). Both processes are lab processes: the teardown stops them by PID.
 */
async function startPair(t: TestContext, lab: Lab, configs: Record<NodeName, PairConfig>): Promise<Pair> {
  // initdead 5: the daemons start together, but with several pairs starting at once on two CPUs one of them
  // has been heard 2 s after the other started (CI, 2026-12-06: "node alpha: is dead" at initdead 2, then
  // alpha's status init). Comm-up does not wait for initdead when the peer is heard, so nothing gets slower.
  for (const n of NODES) writePairConfig(lab, n, { initdead: '5', ...configs[n] });
  await Promise.all(NODES.map((n) => checkConfigIn(t, lab, n)));
  const startedAt = Date.now();
  const [alpha, bravo] = await Promise.all(NODES.map((n) => startOurHeartbeat(lab, n, 15_000)));
  if (alpha === undefined || bravo === undefined) throw new Error('unreachable');
  const procs = { alpha, bravo };
  await Promise.all(
    NODES.flatMap((n) => [
      waitForLog(lab, n, (l) => l.includes(`Status update for node ${OTHER[n]}: status active`), `${OTHER[n]} active`, ACTIVE_TIMEOUT_MS),
      waitForLog(lab, n, (l) => l.includes('Comm_now_up(): updating status to active'), 'Comm_now_up', ACTIVE_TIMEOUT_MS),
    ]),
  ).catch((e: Error) => {
    const stderr = NODES.map((n) => `stderr of ${n}:\n${procs[n].stderr.slice(-1500)}`).join('\n');
    throw new Error(`${e.message}\n${stderr}`);
  });
  const activeAfterMs = Date.now() - startedAt;
  t.diagnostic(`both active ${activeAfterMs} ms after starting the daemons`);
  return { procs, activeAfterMs };
}

/** Both daemons still run and neither log shows a death, an auth failure or a partition. */
function assertHealthy(lab: Lab, pair: Pair, what: string): void {
  for (const n of NODES) {
    const p = pair.procs[n];
    assert.ok(p.running, `${what}: our daemon in ${n} exited: ${p.stderr.slice(-1500)}`);
    assertNone(readLog(lab, n), FORBIDDEN, `${what}, ${n}`);
  }
}

async function newLab(t: TestContext, label: string): Promise<Lab> {
  return createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label, keepFiles: KEEP });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/* ------------------------------------------------------------------ the UDP media alone */

async function udpOnly(parent: TestContext, label: string, title: string, media: (lab: Lab) => string[]): Promise<void> {
  await parent.test(title, async (t) => {
    if (!requireRootAndCommands(t, ['nsenter'])) return;
    const lab = await newLab(t, label);
    const lines = media(lab);
    const pair = await startPair(t, lab, { alpha: { media: lines }, bravo: { media: lines } });
    // A few deadtimes of steady state: nobody dies, nobody flaps.
    await sleep(2 * DEADTIME_MS);
    assertHealthy(lab, pair, title);
  });
}

/* ------------------------------------------------------------------ serial over a socat pty pair */

/**
 * A pty pair linked by socat on the host side (no network involved): <dir>/ttyA and <dir>/ttyB are symlinks
 * to the two slaves. Killed by PID in t.after; bounded wait for socat's "starting data transfer loop".
 */
async function ptyPair(t: TestContext, dir: string): Promise<{ a: string; b: string; socat: StartedProcess }> {
  const a = path.join(dir, 'ttyA');
  const b = path.join(dir, 'ttyB');
  const socat = startProcess(['socat', '-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`]);
  t.after(() => socat.stop(2000));
  await socat.waitForOutput(/starting data transfer loop/, 10_000);
  return { a, b, socat };
}

async function serialOnly(parent: TestContext): Promise<void> {
  await parent.test('serial only (socat pty pair, no UDP medium)', async (t) => {
    if (!requireRootAndCommands(t, ['nsenter', 'socat'])) return;
    const lab = await newLab(t, 'pser');
    const tty = await ptyPair(t, lab.root);
    const pair = await startPair(t, lab, {
      alpha: { before: ['baud 19200'], media: [`serial ${tty.a}`] },
      bravo: { before: ['baud 19200'], media: [`serial ${tty.b}`] },
    });
    for (const n of NODES) {
      assert.match(readLog(lab, n), /Starting serial heartbeat on tty /, `${n} opened its serial medium`);
      assert.doesNotMatch(readLog(lab, n), /UDP|ucast:/, `${n} uses no UDP medium`);
    }
    await sleep(2 * DEADTIME_MS);
    assertHealthy(lab, pair, 'serial only');
    assert.ok(tty.socat.running, `socat still runs: ${tty.socat.stderr.slice(-1000)}`);
  });
}

async function serialPlusBcast(parent: TestContext): Promise<void> {
  await parent.test('serial + bcast: cutting bcast kills the link, not the node', async (t) => {
    if (!requireRootAndCommands(t, ['nsenter', 'socat'])) return;
    const lab = await newLab(t, 'psbc');
    const tty = await ptyPair(t, lab.root);
    const pair = await startPair(t, lab, {
      alpha: { before: ['baud 19200'], media: ['bcast eth0', `serial ${tty.a}`] },
      bravo: { before: ['baud 19200'], media: ['bcast eth0', `serial ${tty.b}`] },
    });
    // Both links up in both views before the cut.
    await Promise.all(
      NODES.flatMap((n) => [
        waitForLog(lab, n, (l) => l.includes(`Link ${OTHER[n]}:eth0 up.`), `link ${OTHER[n]}:eth0 up`, 5000),
        waitForLog(lab, n, (l) => l.includes(`Link ${OTHER[n]}:${n === 'alpha' ? tty.a : tty.b} up.`), `link ${OTHER[n]}:serial up`, 5000),
      ]),
    );
    const from = { alpha: readLog(lab, 'alpha').length, bravo: readLog(lab, 'bravo').length };
    const cutAt = Date.now();
    await runOk(['ip', '-n', lab.node('alpha').netns, 'link', 'set', 'eth0', 'down']);
    await waitForLog(lab, 'alpha', (l) => l.slice(from.alpha).includes('Link bravo:eth0 dead.'), 'Link bravo:eth0 dead.', 5000);
    await waitForLog(lab, 'bravo', (l) => l.slice(from.bravo).includes('Link alpha:eth0 dead.'), 'Link alpha:eth0 dead.', 5000);
    const linkDeadMs = Date.now() - cutAt;
    // Five deadtimes after the cut: the serial line alone keeps both nodes alive and active.
    await sleep(Math.max(0, cutAt + 5 * DEADTIME_MS - Date.now()));
    for (const n of NODES) {
      const after = readLog(lab, n).slice(from[n]);
      assertNone(after, [new RegExp(`node ${OTHER[n]}: is dead`), new RegExp(`Status update for node ${OTHER[n]}: status (?!active)`)], `${n} after the bcast cut`);
    }
    assertHealthy(lab, pair, 'serial + bcast after the cut');
    t.diagnostic(`link death seen ${linkDeadMs} ms after the cut`);
    const problems = (readLog(lab, 'alpha').slice(from.alpha).match(/bcast eth0: .*/g) ?? []).length;
    t.diagnostic(`alpha logged ${problems} bcast problem line(s) in the ${Date.now() - cutAt} ms after the cut`);
    // Mended: the bcast link comes back in both views (the media were never closed).
    const mendFrom = { alpha: readLog(lab, 'alpha').length, bravo: readLog(lab, 'bravo').length };
    await runOk(['ip', '-n', lab.node('alpha').netns, 'link', 'set', 'eth0', 'up']);
    await Promise.all(
      NODES.map((n) => waitForLog(lab, n, (l) => l.slice(mendFrom[n]).includes(`Link ${OTHER[n]}:eth0 up.`), `Link ${OTHER[n]}:eth0 up. after the mend`, 5000)),
    );
    assertHealthy(lab, pair, 'serial + bcast after the mend');
  });
}

/* ------------------------------------------------------------------ ping node */

async function pingNode(parent: TestContext): Promise<void> {
  await parent.test('ping node: status ping, then dead within deadping + 2 s; the peer stays alive', async (t) => {
    if (!requireRootAndCommands(t, ['nsenter', 'ping'])) return;
    const lab = await newLab(t, 'pping');
    const cfg: PairConfig = { before: ['deadping 2'], media: ['bcast eth0', 'ping 198.51.100.1'] };
    const pair = await startPair(t, lab, { alpha: cfg, bravo: cfg });
    for (const n of NODES) {
      await waitForLog(lab, n, (l) => l.includes('Status update for node 198.51.100.1: status ping'), 'ping node answering', 5000);
    }
    const from = { alpha: readLog(lab, 'alpha').length, bravo: readLog(lab, 'bravo').length };
    const cutAt = Date.now();
    await runOk(['ip', '-n', lab.bridgeNetns, 'addr', 'flush', 'dev', 'br0']);
    const DEADPING_MS = 2000;
    const bound = cutAt + DEADPING_MS + 2000 - Date.now();
    await Promise.all(NODES.map((n) => waitForLog(lab, n, (l) => l.slice(from[n]).includes('node 198.51.100.1: is dead'), 'ping node dead (deadping + 2 s)', bound)));
    const detectMs = Date.now() - cutAt;
    // Not by deadtime (1 s): the last reply came at most a ping interval (200 ms) before the cut.
    assert.ok(detectMs >= DEADPING_MS - 500, `ping node declared dead ${detectMs} ms after the cut: deadping is 2 s, deadtime 1 s`);
    // The bridge still forwards between the nodes: a deadtime later, the peer is alive in both views.
    await sleep(DEADTIME_MS + 500);
    for (const n of NODES) {
      assertNone(readLog(lab, n).slice(from[n]), [new RegExp(`Status update for node ${OTHER[n]}: status (?!active)`)], `${n} after the ping node died`);
    }
    assertHealthy(lab, pair, 'ping node');
    t.diagnostic(`ping node declared dead ${detectMs} ms after br0 lost its address (deadping 2 s)`);
  });
}

test('two heartbeat-ts daemons form a pair over each medium', { concurrency: 6 }, async (t) => {
  await Promise.all([
    udpOnly(t, 'pbc', 'bcast only', () => ['bcast eth0']),
    udpOnly(t, 'puc', 'ucast only (both addresses on each node)', (lab) => NODES.map((n) => `ucast eth0 ${lab.node(n).ip}`)),
    udpOnly(t, 'pmc', 'mcast only (239.255.100.1:50694, ttl 1, no loop)', () => ['mcast eth0 239.255.100.1 50694 1 0']),
    serialOnly(t),
    serialPlusBcast(t),
    pingNode(t),
  ]);
});
