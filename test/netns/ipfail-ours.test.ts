// heartbeat-ts's own ipfail (src/cli/ipfail.ts) moves the group off the node that loses its ping node, gives it back,
// and moves nothing when both lose it — paired with itself, with Heartbeat 3.0.6 + Debian's ipfail, and run by the
// real daemon.
//
//   [alpha] home of `alpha IPaddr2::198.51.100.100/24/eth0` ─┐
//   [bravo] ──────────────────────────────────────────────────┴─ br0 198.51.100.1 (the ping node)
// Both: bcast eth0, keepalive 500ms, deadtime 2, `ping 198.51.100.1`, deadping 2, auto_failback on, apiauth ipfail.
// deadtime = deadping: Heartbeat 3.0.6 declares a ping node's link dead after deadtime and the node after
// deadping, and its ipfail counts only when the link dies; with deadtime < deadping a real node counts a ping node
// it has lost as alive and both-lose goes wrong (ours asks at either event). keepalive 500ms: the original's
// delayed give-up (2 × keepalive) must outlast the two nodes' detection skew (a ping interval + 250 ms).
// Cutting the ping node from a node's view: nftables drops its echo replies there (test/helpers/ipfail-pair.ts).
//
// 1. ping node cut on alpha only → bravo holds the address (our ipfail on alpha: "Giving up because we were told
//    that we have less ping nodes."); back → alpha holds it again (auto_failback on).
// 2. cut on both at once → both declare it dead, the ipfails find the counts balanced, nothing moves; back on
//    both → nothing moves. The address is never on both nodes.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createLab } from '../helpers/netns.js';
import { requirePrerequisites, requireRootAndCommands } from '../helpers/privileges.js';
import { readLog, waitForLog } from '../helpers/real-heartbeat.js';
import { untilHeldBy, vipHolders, watchVip } from '../helpers/vip.js';
import {
  cutPing,
  IPFAIL_VIP as VIP,
  ipfailLines,
  logTails,
  pingDeclaredDead,
  REAL_IPFAIL,
  restorePing,
  startIpfailNode,
  untilIpfailsTalk,
  writeIpfailNode,
  type IpfailNode,
  type IpfailTimers,
} from '../helpers/ipfail-pair.js';

const TIMERS: IpfailTimers = { keepalive: '500ms', warntime: '1', deadtime: '2', initdead: '4', deadping: '2' };
/** Long enough for a wrong move to show: the original's delayed give-up (2 × keepalive) plus a hand-over. */
const STILL_MS = 3000;

/** alpha alone holds the address, sampled every 100 ms for `ms`. */
async function stays(lab: Parameters<typeof vipHolders>[0], ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const h = await vipHolders(lab, VIP);
    assert.deepEqual(h, ['alpha'], `the address moved (holders: ${h.join(',') || 'none'})\n${logTails(lab)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function scenario(t: TestContext, label: string, nodes: { readonly alpha: IpfailNode; readonly bravo: IpfailNode }): Promise<void> {
  if (!requireRootAndCommands(t, ['nsenter', 'ping', 'nft'])) return;
  const needsReal = Object.values(nodes).some((n) => n.ipfail === 'real' || n.daemon === 'real');
  if (!requirePrerequisites(t, needsReal && !fs.existsSync(REAL_IPFAIL) ? [`${REAL_IPFAIL} (Debian package heartbeat)`] : [])) return;
  const keep = process.env['HBTS_KEEP'] === '1';
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label, keepFiles: keep });
  if (keep) t.diagnostic(`lab files kept in ${lab.root}`);
  for (const n of ['alpha', 'bravo'] as const) writeIpfailNode(lab, n, nodes[n], TIMERS);
  const watcher = watchVip(t, lab, VIP);
  const say = (text: string): void => void process.stdout.write(`# ${label}: ${text}\n`);
  const t0 = Date.now();
  // alpha first, serving on its own, then bravo: a real node started while the other is still taking over at
  // start-up can end with the address nowhere ("T_STARTING received during takeover"), ipfail or not.
  const procs = [await startIpfailNode(lab, 'alpha', nodes.alpha)];
  await untilHeldBy(lab, VIP, 'alpha', 30_000);
  procs.push(await startIpfailNode(lab, 'bravo', nodes.bravo));
  await untilIpfailsTalk(lab, 20_000);
  for (const n of ['alpha', 'bravo'] as const) {
    if (nodes[n].ipfail !== 'ours') continue;
    const mine = ipfailLines(lab, n);
    assert.ok(mine.length > 0, `${n}: no line from our ipfail\n${logTails(lab)}`);
    assert.doesNotMatch(mine.join('\n'), /ERROR/, `${n}: our ipfail reported an error`);
  }
  say(`both ipfails talking ${Date.now() - t0} ms after the start`);

  // 1. alpha alone loses the ping node, then gets it back.
  const alphaFrom = readLog(lab, 'alpha').length;
  const bravoFrom = readLog(lab, 'bravo').length;
  await cutPing(lab, 'alpha');
  const away = await untilHeldBy(lab, VIP, 'bravo', 20_000);
  assert.match(readLog(lab, 'alpha').slice(alphaFrom), /ipfail: \[\d+\]: info: Giving up because we were told that we have less ping nodes\./);
  assert.match(readLog(lab, 'bravo').slice(bravoFrom), /ipfail: \[\d+\]: info: Telling other node that we have more visible ping nodes\./);
  if (nodes.alpha.ipfail === 'ours' && nodes.bravo.ipfail === 'ours') {
    // Ours on both: bravo's ping node answered its probe, so alpha gave up at once instead of after the delay.
    assert.match(readLog(lab, 'bravo').slice(bravoFrom), /ipfail: \[\d+\]: info: 1 ping node\(s\) answered just now/);
    assert.match(readLog(lab, 'alpha').slice(alphaFrom), /ipfail: \[\d+\]: info: The other node reached 1 ping node\(s\) just now, we count 0: giving up now\./);
  }
  // The hand-over finished on both sides (the real daemon's scripts can take seconds after the address is up).
  await waitForLog(lab, 'alpha', (l) => /Other node completed standby takeover of \w+ resources\./.test(l.slice(alphaFrom)), 'the end of the hand-over', 20_000);
  const backFrom = readLog(lab, 'alpha').length;
  await restorePing(lab, 'alpha');
  const back = await untilHeldBy(lab, VIP, 'alpha', 20_000);
  assert.match(readLog(lab, 'alpha').slice(backFrom), /ipfail: \[\d+\]: info: A ping node just came up\./);
  say(`cut on alpha → bravo holds ${VIP} after ${away} ms (deadping 2 s); restored → alpha again after ${back} ms`);

  await waitForLog(lab, 'alpha', (l) => /Standby resource acquisition done/.test(l.slice(backFrom)), 'the end of the hand-over back', 20_000);

  // 2. Both lose it: nothing moves; both get it back: nothing moves.
  const from = { alpha: readLog(lab, 'alpha').length, bravo: readLog(lab, 'bravo').length };
  await Promise.all([cutPing(lab, 'alpha'), cutPing(lab, 'bravo')]);
  await waitForLog(lab, 'alpha', () => pingDeclaredDead(lab, 'alpha', from.alpha) && pingDeclaredDead(lab, 'bravo', from.bravo), 'the ping node declared dead on both', 10_000);
  await stays(lab, STILL_MS);
  // The ipfails learn of the death from their daemons up to a few seconds apart, and the question and answer go
  // through both daemons: on a loaded machine the comparison can come after STILL_MS (bounded wait).
  const balanced = (): boolean => ipfailLines(lab, 'alpha', from.alpha).concat(ipfailLines(lab, 'bravo', from.bravo)).some((l) => /Ping node count is balanced/.test(l));
  for (const end = Date.now() + 15_000; !balanced() && Date.now() < end; ) await new Promise((r) => setTimeout(r, 100));
  assert.ok(balanced(), `the ipfails compared counts and found them balanced\n${logTails(lab)}`);
  assert.deepEqual(await vipHolders(lab, VIP), ['alpha'], 'nothing moved while they compared');
  await Promise.all([restorePing(lab, 'alpha'), restorePing(lab, 'bravo')]);
  await waitForLog(lab, 'alpha', (l) => /A ping node just came up/.test(l.slice(from.alpha)) && /A ping node just came up/.test(readLog(lab, 'bravo').slice(from.bravo)), 'the ping node back on both', 10_000);
  await stays(lab, STILL_MS);
  say('cut on both → nothing moved; back on both → nothing moved');

  for (const p of procs) await p?.stop(20_000);
  process.stdout.write(`# VIP watcher: ${await watcher.assertNeverBoth()}\n`);
}

const ours: IpfailNode = { daemon: 'ours', ipfail: 'ours' };
const real: IpfailNode = { daemon: 'real', ipfail: 'real' };

test('our ipfail: the owner loses its ping node → the other serves; back → home; both lose it → nothing moves', { timeout: 300_000 }, async (t) => {
  await t.test('heartbeat-ts + our ipfail ↔ heartbeat-ts + our ipfail', { timeout: 60_000 }, (st) => scenario(st, 'ipfoo', { alpha: ours, bravo: ours }));
  await t.test('heartbeat-ts + our ipfail ↔ Heartbeat 3.0.6 + its ipfail', { timeout: 120_000 }, (st) => scenario(st, 'ipfom', { alpha: ours, bravo: real }));
  await t.test('Heartbeat 3.0.6 + our ipfail ↔ Heartbeat 3.0.6 + its ipfail', { timeout: 120_000 }, (st) => scenario(st, 'ipfor', { alpha: { daemon: 'real', ipfail: 'ours' }, bravo: real }));
});
