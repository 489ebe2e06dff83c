// The real /usr/libexec/heartbeat/ipfail, respawned by heartbeat-ts, moves the resources away from the node
// that loses its ping node, and back when it returns.
//
//   [alpha] heartbeat-ts, home of `alpha IPaddr2::198.51.100.100/24/eth0` ─┐
//   [bravo] heartbeat-ts ─────────────────────────────────────────────────┼─ br0 198.51.100.1 (the ping node)
// Both: bcast eth0, `ping 198.51.100.1`, deadping 2, auto_failback on,
//       `respawn hacluster /usr/libexec/heartbeat/ipfail`, `apiauth ipfail gid=haclient uid=hacluster`.
//
// 1. ipfail starts on both nodes as hacluster (process seen, its own lines in the node's log: it signs on,
//    the two compare their ping node counts, "Ping node count is balanced"); cl_status clientstatus says
//    online, for the local node and (through query-cstatus / respond-cstatus) for the peer.
// 2. An nftables rule in alpha's namespace drops the ping node's echo replies: alpha declares 198.51.100.1
//    dead, its link dead (`ifstat`, which is what ipfail reacts to), ipfail on alpha asks bravo's for its
//    count, is told "you_are_dead", gives up all resources (`ask_resources` through the API) → bravo holds
//    the address. Rule removed → "A ping node just came up." → counts balanced → bravo's ipfail gives the
//    foreign group back (auto_failback on) → alpha holds the address again.
// 3. ipfail on alpha killed (SIGKILL, by PID) → "Respawning client" and a new ipfail signs on.
// At every step the address is never on both nodes.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createLab, killPid, type Lab, type StartedProcess } from '../helpers/netns.js';
import { requirePrerequisites, requireRootAndCommands } from '../helpers/privileges.js';
import { REAL_CL_STATUS, readLog, tail, waitForLog } from '../helpers/real-heartbeat.js';
import { untilHeldBy, watchVip } from '../helpers/vip.js';
import { cutPing, IPFAIL_VIP as VIP, PING_NODE as PING, REAL_IPFAIL as IPFAIL, restorePing, startIpfailNode, untilIpfailsTalk, writeIpfailNode } from '../helpers/ipfail-pair.js';
import { lookupUser } from '../../src/daemon/children/respawn.js';

/** The pid of the latest ipfail our daemon started on `node`, from its "Starting … (pid N)" line. */
function ipfailPid(lab: Lab, node: string): number | undefined {
  const all = [...readLog(lab, node).matchAll(/Starting "\/usr\/libexec\/heartbeat\/ipfail" as uid \d+ {2}gid \d+ \(pid (\d+)\)/g)];
  const last = all.at(-1)?.[1];
  return last === undefined ? undefined : Number(last);
}

function processUser(pid: number): { uid: number; gid: number; cmdline: string } {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'latin1');
  const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]);
  const gid = Number(/^Gid:\s+(\d+)/m.exec(status)?.[1]);
  const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'latin1').split('\0').join(' ').trim();
  return { uid, gid, cmdline };
}

async function clStatus(lab: Lab, node: string, args: readonly string[]): Promise<string> {
  const r = await lab.exec(node, [REAL_CL_STATUS, ...args], { timeoutMs: 10_000 });
  return `${r.stdout.trim()}${r.exitCode === 0 ? '' : ` (exit ${r.exitCode}) ${r.stderr.trim()}`}`;
}

type Kind = 'ours' | 'real';

async function scenario(t: TestContext, kinds: { readonly alpha: 'ours'; readonly bravo: Kind }): Promise<void> {
  if (!requireRootAndCommands(t, ['nsenter', 'ping', 'nft'])) return;
  const hacluster = lookupUser(fs.readFileSync('/etc/passwd', 'latin1'), 'hacluster');
  const missing = [...(fs.existsSync(IPFAIL) ? [] : [`${IPFAIL} (Debian package heartbeat)`]), ...(hacluster === undefined ? ['the user hacluster'] : [])];
  if (!requirePrerequisites(t, missing) || hacluster === undefined) return;
  const keep = process.env['HBTS_KEEP'] === '1';
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label: kinds.bravo === 'real' ? 'ipfmix' : 'ipfail', keepFiles: keep });
  if (keep) t.diagnostic(`lab files kept in ${lab.root}`);
  // Same ha.cf on both nodes (test/helpers/ipfail-pair.ts), Debian's ipfail in the respawn line.
  writeIpfailNode(lab, 'alpha', { daemon: 'ours', ipfail: 'real' });
  writeIpfailNode(lab, 'bravo', { daemon: kinds.bravo, ipfail: 'real' });
  const watcher = watchVip(t, lab, VIP);
  const say = (text: string): void => void process.stdout.write(`# alpha ours, bravo ${kinds.bravo}: ${text}\n`);

  // 1. Both ipfails up and talking.
  const t0 = Date.now();
  const alphaProc = await startIpfailNode(lab, 'alpha', { daemon: 'ours', ipfail: 'real' });
  assert.ok(alphaProc !== undefined);
  const bravoProc: StartedProcess | undefined = await startIpfailNode(lab, 'bravo', { daemon: kinds.bravo, ipfail: 'real' });
  await untilHeldBy(lab, VIP, 'alpha', 30_000);
  // Whichever ipfail signs on second hears the other's join and asks for its count; the one asked answers.
  await untilIpfailsTalk(lab, 20_000);
  for (const n of kinds.bravo === 'ours' ? ['alpha', 'bravo'] : ['alpha']) {
    const pid = ipfailPid(lab, n);
    assert.ok(pid !== undefined, `${n}: no "Starting ${IPFAIL} as uid … (pid N)" line:\n${tail(readLog(lab, n), 30)}`);
    const who = processUser(pid);
    assert.equal(who.cmdline, IPFAIL);
    assert.deepEqual([who.uid, who.gid], [hacluster.uid, hacluster.gid], `${n}: ipfail runs as hacluster and its primary group`);
    const said = readLog(lab, n).split('\n').filter((l) => l.includes(` ipfail: [${pid}]: `));
    assert.ok(said.length > 0, `${n}: no line from ipfail ${pid} in the log`);
    say(`${n}: ipfail pid ${pid} (uid ${who.uid} gid ${who.gid}), ${Date.now() - t0} ms after the start; it said: ${said.map((l) => l.replace(/^.*?: \[\d+\]: /, '')).join(' | ')}`);
  }
  assert.equal(await clStatus(lab, 'alpha', ['clientstatus', 'alpha', 'ipfail']), 'online');
  assert.equal(await clStatus(lab, 'alpha', ['clientstatus', 'bravo', 'ipfail']), 'online', 'the peer answers query-cstatus');
  assert.equal(await clStatus(lab, 'bravo', ['clientstatus', 'alpha', 'ipfail']), 'online', 'we answer the peer\'s query-cstatus');
  assert.match(await clStatus(lab, 'alpha', ['clientstatus', 'alpha', 'nosuch']), /^offline \(exit 1\)/, 'cl_status exits 1 for offline');
  await untilHeldBy(lab, VIP, 'alpha', 2000);

  // 2. alpha loses its ping node.
  const alphaFrom = readLog(lab, 'alpha').length;
  const bravoFrom = readLog(lab, 'bravo').length;
  await cutPing(lab, 'alpha');
  const cut = Date.now();
  const away = await untilHeldBy(lab, VIP, 'bravo', 20_000);
  const alphaLog = readLog(lab, 'alpha').slice(alphaFrom);
  const ping = PING.replace(/\./g, '\\.');
  assert.match(alphaLog, new RegExp(`node ${ping}: is dead`));
  assert.match(alphaLog, new RegExp(`Link ${ping}:${ping} dead\\.`));
  assert.match(alphaLog, /ipfail: \[\d+\]: info: Giving up because we were told that we have less ping nodes\./);
  assert.match(readLog(lab, 'bravo').slice(bravoFrom), /ipfail: \[\d+\]: info: Telling other node that we have more visible ping nodes\./);
  say(`ping node cut on alpha → bravo holds ${VIP} after ${away} ms (deadping 2 s)`);

  // … and gets it back.
  const alphaBack = readLog(lab, 'alpha').length;
  await restorePing(lab, 'alpha');
  const restored = Date.now();
  const back = await untilHeldBy(lab, VIP, 'alpha', 30_000);
  assert.match(readLog(lab, 'alpha').slice(alphaBack), /ipfail: \[\d+\]: info: A ping node just came up\./);
  say(`ping node restored on alpha → alpha holds ${VIP} again after ${back} ms (auto_failback on; cut at +${cut - t0} ms, restored at +${restored - t0} ms)`);

  // 3. ipfail on alpha dies; heartbeat-ts starts another one.
  const old = ipfailPid(lab, 'alpha');
  assert.ok(old !== undefined);
  const beforeKill = readLog(lab, 'alpha').length;
  killPid(old, 'SIGKILL');
  const log = await waitForLog(lab, 'alpha', (l) => {
    const p = ipfailPid(lab, 'alpha');
    return p !== undefined && p !== old && / ipfail: \[\d+\]: info: /.test(l.slice(beforeKill));
  }, 'a respawned ipfail at work', 15_000);
  const after = log.slice(beforeKill);
  assert.match(after, new RegExp(`Managed ${IPFAIL} process ${old} killed by signal 9 \\[SIGKILL - Kill, unblockable\\]\\.`));
  assert.match(after, new RegExp(`ERROR: Respawning client "${IPFAIL}":`));
  assert.equal(await clStatus(lab, 'alpha', ['clientstatus', 'alpha', 'ipfail']), 'online');
  assert.equal(await clStatus(lab, 'bravo', ['clientstatus', 'alpha', 'ipfail']), 'online');
  say(`ipfail ${old} killed on alpha → respawned as ${ipfailPid(lab, 'alpha')}`);
  await untilHeldBy(lab, VIP, 'alpha', 2000);

  // 4. Clean stop of alpha: it releases, sends shutdone, then stops its ipfail (SIGTERM to its process group).
  const stopping = alphaProc.stop(20_000);
  await untilHeldBy(lab, VIP, 'bravo', 15_000);
  await stopping;
  const l = readLog(lab, 'alpha');
  assert.match(l, new RegExp(`killing ${IPFAIL} process group \\d+ with signal 15`));
  const shutdown = l.lastIndexOf('Heartbeat shutdown in progress.');
  assert.ok(l.indexOf('killing ', shutdown) > shutdown, 'ipfail stopped during the shutdown');
  await bravoProc?.stop(20_000);
  process.stdout.write(`# VIP watcher: ${await watcher.assertNeverBoth()}\n`);
}

test('the real ipfail, respawned by heartbeat-ts, moves the group off the node that lost its ping node and back', { timeout: 150_000 }, async (t) => {
  await t.test('heartbeat-ts ↔ heartbeat-ts', { timeout: 70_000 }, (st) => scenario(st, { alpha: 'ours', bravo: 'ours' }));
  await t.test('heartbeat-ts ↔ Heartbeat 3.0.6', { timeout: 70_000 }, (st) => scenario(st, { alpha: 'ours', bravo: 'real' }));
});
