// IPv6 media (issue 20): ucast6 and mcast6 pairs, heartbeat-ts with itself and with the real Heartbeat 3.0.6 in
// both roles (join, crash → takeover, failback), and a ping6 node driving ipfail.
//
//   [alpha] eth0 198.51.100.11/24 + 2001:db8::11/64 ─┐
//   [bravo] eth0 198.51.100.12/24 + 2001:db8::12/64 ─┴─ br0 2001:db8::1/64 in the bridge namespace (the ping6 node)
// IPv6 addresses only from 2001:db8::/32, added without duplicate-address detection (helpers/links.ts).
// ha.cf (pair-config.ts): keepalive 200ms, deadtime 1, initdead 5, auto_failback on; haresources
// `alpha hbts-res::g1` (helpers/state-resource.ts keeps the state in the node's /run).
//
//   ucast6: `ucast6 eth0 <the other's 2001:db8:: address>`; mcast6: `mcast6 eth0 ff12::694:1 694 1 0`.
//   1. join: both see the other active, alpha holds g1.
//   2. crash: every process of alpha SIGKILLed and its /run state wiped (a power loss): bravo declares alpha dead
//      and holds g1.
//   3. alpha restarts: it is active again for bravo and holds g1, bravo does not (failback).
//   hbctl status (on our node) lists the IPv6 medium and the peer's link; hbctl test-links checks both media.
//   ping6: bcast eth0, `ping6 2001:db8::1`, deadping 2, ipfail; alpha ours, bravo ours or Heartbeat 3.0.6 with
//   Debian's ipfail; the ping6 node's echo replies dropped on alpha (nftables, ip6): bravo takes g1 over; back:
//   alpha takes it back.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLab, killPid, type Lab, type StartedProcess } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { pairHaCf, writePairConfig } from '../helpers/pair-config.js';
import { REAL_HEARTBEAT, readLog, startRealHeartbeat, tail, waitForLog } from '../helpers/real-heartbeat.js';
import { heldResources, installStateResource, stateResourceDir } from '../helpers/state-resource.js';
import { waitForReaped } from '../helpers/vip.js';
import { addIpv6 } from '../helpers/links.js';
import { cliPath } from '../helpers/paths.js';
import { REAL_IPFAIL, respawnLine } from '../helpers/ipfail-pair.js';
import { lookupUser } from '../../src/daemon/children/respawn.js';

type Kind = 'ours' | 'real';
const KEEP = process.env['HBTS_KEEP'] === '1';
const ADDR = { alpha: '2001:db8::11', bravo: '2001:db8::12' } as const;
const PING6_NODE = '2001:db8::1';
const GROUP = 'g1';
const STEP_MS = 30_000;

async function ipv6Lab(t: TestContext, label: string): Promise<Lab> {
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label, bridgeAddress: null, keepFiles: KEEP });
  await addIpv6(lab, 'alpha', 'eth0', `${ADDR.alpha}/64`);
  await addIpv6(lab, 'bravo', 'eth0', `${ADDR.bravo}/64`);
  await addIpv6(lab, 'bridge', 'br0', `${PING6_NODE}/64`);
  return lab;
}

async function start(lab: Lab, node: string, kind: Kind): Promise<StartedProcess | undefined> {
  if (kind === 'ours') return startOurHeartbeat(lab, node, 15_000);
  const r = await lab.exec(node, [REAL_HEARTBEAT], { timeoutMs: 10_000 });
  assert.equal(r.exitCode, 0, `${REAL_HEARTBEAT} in ${node}: ${r.stderr}\n${tail(readLog(lab, node), 20)}`);
  return undefined;
}

/** Power loss: every process of the node SIGKILLed (by PID), its /run state gone. */
async function crash(lab: Lab, node: string): Promise<void> {
  const anchor = lab.node(node).anchorPid;
  const pids = (await lab.pidsIn(node)).filter((p) => p !== anchor);
  for (const p of pids) killPid(p, 'SIGKILL');
  for (const p of pids) assert.ok(await waitForReaped(p, 10_000), `${node}: pid ${p} reaped`);
  fs.rmSync(stateResourceDir(lab, node), { recursive: true, force: true });
}

async function untilHolds(lab: Lab, node: string, other: string, what: string): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    const mine = heldResources(lab, node, [GROUP]);
    const theirs = heldResources(lab, other, [GROUP]);
    if (mine.length === 1 && theirs.length === 0) return Date.now() - t0;
    if (Date.now() - t0 > STEP_MS) {
      assert.fail(`${what}: ${node} holds ${mine.join(',') || 'nothing'}, ${other} holds ${theirs.join(',') || 'nothing'}\n` +
        `alpha:\n${tail(readLog(lab, 'alpha'), 25)}\nbravo:\n${tail(readLog(lab, 'bravo'), 25)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

function mediumLine(kind: 'ucast6' | 'mcast6', node: 'alpha' | 'bravo'): string {
  return kind === 'ucast6' ? `ucast6 eth0 ${ADDR[node === 'alpha' ? 'bravo' : 'alpha']}` : 'mcast6 eth0 ff12::694:1 694 1 0';
}

async function pairScenario(t: TestContext, medium: 'ucast6' | 'mcast6', kinds: { alpha: Kind; bravo: Kind }): Promise<void> {
  if (!requireRootAndCommands(t, ['nsenter', ...(Object.values(kinds).includes('real') ? [REAL_HEARTBEAT] : [])])) return;
  const label = `${medium === 'ucast6' ? 'u6' : 'm6'}${kinds.alpha[0]}${kinds.bravo[0]}`;
  const lab = await ipv6Lab(t, label);
  for (const n of ['alpha', 'bravo'] as const) {
    writePairConfig(lab, n, { media: [mediumLine(medium, n)], initdead: '5' });
    fs.writeFileSync(path.join(lab.node(n).haDir, 'haresources'), `alpha hbts-res::${GROUP}\n`);
    installStateResource(lab, n);
  }
  // 1. join
  const alpha = await start(lab, 'alpha', kinds.alpha);
  const bravo = await start(lab, 'bravo', kinds.bravo);
  await Promise.all([
    waitForLog(lab, 'alpha', (l) => l.includes('Status update for node bravo: status active'), 'bravo active', STEP_MS),
    waitForLog(lab, 'bravo', (l) => l.includes('Status update for node alpha: status active'), 'alpha active', STEP_MS),
  ]);
  await untilHolds(lab, 'alpha', 'bravo', 'join');
  const ourNode = kinds.alpha === 'ours' ? 'alpha' : 'bravo';
  const status = await lab.exec(ourNode, [process.execPath, cliPath('hbctl'), 'status'], { timeoutMs: 15_000 });
  assert.equal(status.exitCode, 0, status.stdout + status.stderr);
  assert.match(status.stdout, new RegExp(`${ourNode === 'alpha' ? 'bravo' : 'alpha'}\\s+eth0\\s+up`), `hbctl status shows the peer's IPv6 link up:\n${status.stdout}`);
  assert.match(status.stdout, new RegExp(medium), `hbctl status names the medium:\n${status.stdout}`);
  if (kinds.alpha === 'ours') assert.match(readLog(lab, 'alpha'), medium === 'ucast6' ? /ucast6: heartbeat started for \[2001:db8::12\]:694 on interface eth0/ : /UDP multicast heartbeat started for \[ff12::694:1\]:694 on interface eth0 \(hops=1 loop=0\)/);
  // 2. crash → takeover
  const from = readLog(lab, 'bravo').length;
  const crashAt = Date.now();
  await crash(lab, 'alpha');
  await waitForLog(lab, 'bravo', (l) => l.slice(from).includes('node alpha: is dead'), 'alpha dead', STEP_MS);
  const takeover = await untilHolds(lab, 'bravo', 'alpha', 'takeover');
  const takeoverMs = Date.now() - crashAt;
  // 3. restart → failback
  const back = readLog(lab, 'bravo').length;
  const restartAt = Date.now();
  const alpha2 = await start(lab, 'alpha', kinds.alpha);
  await waitForLog(lab, 'bravo', (l) => /Status update for node alpha: status active/.test(l.slice(back)), 'alpha active again', STEP_MS);
  await untilHolds(lab, 'alpha', 'bravo', 'failback');
  t.diagnostic(`${medium} ${kinds.alpha}↔${kinds.bravo}: takeover ${takeoverMs} ms after the crash (g1 moved in the last ${takeover} ms), failback ${Date.now() - restartAt} ms after the restart`);
  for (const p of [alpha, bravo, alpha2]) if (p !== undefined && p.running) await p.stop(20_000);
}

test('ucast6 and mcast6 pairs: join, crash → takeover, failback', { concurrency: 2, timeout: 600_000 }, async (t) => {
  const pairs: { alpha: Kind; bravo: Kind }[] = [{ alpha: 'ours', bravo: 'ours' }, { alpha: 'ours', bravo: 'real' }, { alpha: 'real', bravo: 'ours' }];
  const cases = (['ucast6', 'mcast6'] as const).flatMap((m) => pairs.map((k) => ({ m, k })));
  // Two labs at a time: the machine has two cores and other tests running.
  for (let i = 0; i < cases.length; i += 2) {
    await Promise.all(cases.slice(i, i + 2).map(({ m, k }) => t.test(`${m}: ${k.alpha} (alpha) ↔ ${k.bravo} (bravo)`, (st) => pairScenario(st, m, k))));
  }
});

/* ------------------------------------------------------------------ ping6 and ipfail */

const NFT6 = 'hbts_ping6';

async function nft(lab: Lab, node: string, args: readonly string[]): Promise<void> {
  const r = await lab.exec(node, ['nft', ...args], { timeoutMs: 5000 });
  assert.equal(r.exitCode, 0, `${node}: nft ${args.join(' ')}: ${r.stderr}`);
}

async function ping6Scenario(t: TestContext, bravoKind: Kind): Promise<void> {
  if (!requireRootAndCommands(t, ['nsenter', 'ping', 'nft', ...(bravoKind === 'real' ? [REAL_HEARTBEAT, REAL_IPFAIL] : [])])) return;
  const lab = await ipv6Lab(t, `ping6${bravoKind[0]}`);
  const kinds = { alpha: 'ours', bravo: bravoKind } as const;
  for (const n of ['alpha', 'bravo'] as const) {
    const ipfail = { daemon: kinds[n], ipfail: kinds[n] } as const;
    const haCf = pairHaCf({
      media: ['bcast eth0'],
      initdead: '4',
      before: ['deadping 2', `ping6 ${PING6_NODE}`, respawnLine(ipfail), 'apiauth ipfail gid=haclient uid=hacluster'],
    }).replace('keepalive 200ms', 'keepalive 500ms').replace('deadtime 1', 'deadtime 2').replace('warntime 500ms', 'warntime 1');
    writePairConfig(lab, n, { media: [] });
    fs.writeFileSync(path.join(lab.node(n).haDir, 'ha.cf'), haCf);
    fs.writeFileSync(path.join(lab.node(n).haDir, 'haresources'), `alpha hbts-res::${GROUP}\n`);
    installStateResource(lab, n);
    if (kinds[n] === 'real') {
      // Debian's ipfail changes into cores/hacluster (the lab copies /var/lib/heartbeat without owners).
      const cores = path.join(lab.node(n).varLibDir, 'cores', 'hacluster');
      fs.mkdirSync(cores, { recursive: true });
      const u = lookupUser(fs.readFileSync('/etc/passwd', 'latin1'), 'hacluster');
      assert.ok(u !== undefined, 'no user hacluster');
      fs.chownSync(cores, u.uid, u.gid);
    }
  }
  const alpha = await startOurHeartbeat(lab, 'alpha', 15_000);
  await untilHolds(lab, 'alpha', 'bravo', 'alpha alone');
  const bravo = bravoKind === 'ours' ? await startOurHeartbeat(lab, 'bravo', 15_000) : (await startRealHeartbeat(lab, 'bravo', 20_000), undefined);
  await waitForLog(lab, 'alpha', (l) => /Ping node count is balanced/.test(l) || /Ping node count is balanced/.test(readLog(lab, 'bravo')), 'ipfails talking', 20_000);
  const pingLine = new RegExp(`Status update for node ${PING6_NODE.replace(/[.:]/g, '\\$&')}: status ping`);
  assert.match(readLog(lab, 'alpha'), pingLine);
  await waitForLog(lab, 'bravo', (l) => pingLine.test(l), `${bravoKind} bravo sees the ping6 node`, 10_000);
  const from = readLog(lab, 'alpha').length;
  await nft(lab, 'alpha', ['add', 'table', 'ip6', NFT6]);
  await nft(lab, 'alpha', ['add', 'chain', 'ip6', NFT6, 'in', '{ type filter hook input priority 0 ; }']);
  await nft(lab, 'alpha', ['add', 'rule', 'ip6', NFT6, 'in', 'ip6', 'saddr', PING6_NODE, 'icmpv6', 'type', 'echo-reply', 'drop']);
  const away = await untilHolds(lab, 'bravo', 'alpha', 'ipfail hand-over');
  assert.match(readLog(lab, 'alpha').slice(from), new RegExp(`node ${PING6_NODE}: is dead`));
  assert.match(readLog(lab, 'alpha').slice(from), /Giving up because we were told that we have less ping nodes\./);
  await waitForLog(lab, 'alpha', (l) => /Other node completed standby takeover of \w+ resources\./.test(l.slice(from)), 'the end of the hand-over', 20_000);
  await nft(lab, 'alpha', ['delete', 'table', 'ip6', NFT6]);
  const back = await untilHolds(lab, 'alpha', 'bravo', 'back home');
  t.diagnostic(`ping6 node cut on alpha → bravo (${bravoKind}) holds g1 after ${away} ms (deadping 2 s); restored → alpha after ${back} ms`);
  await bravo?.stop(20_000);
  await alpha.stop(20_000);
}

test('ping6 node with ipfail: the owner loses it → the other serves; back → home', { timeout: 240_000 }, async (t) => {
  await t.test('heartbeat-ts + our ipfail ↔ heartbeat-ts + our ipfail', (st) => ping6Scenario(st, 'ours'));
  await t.test('heartbeat-ts + our ipfail ↔ Heartbeat 3.0.6 + its ipfail', (st) => ping6Scenario(st, 'real'));
});

test('hbctl test-links checks ucast6 and mcast6 both ways', { timeout: 120_000 }, async (t) => {
  if (!requireRootAndCommands(t, ['nsenter'])) return;
  const lab = await ipv6Lab(t, 'tl6');
  for (const n of ['alpha', 'bravo'] as const) writePairConfig(lab, n, { media: [mediumLine('ucast6', n), mediumLine('mcast6', n)] });
  const runs = await Promise.all(['alpha', 'bravo'].map((n) => lab.exec(n, [process.execPath, cliPath('hbctl'), 'test-links', '--seconds', '15'], { timeoutMs: 30_000 })));
  for (const r of runs) {
    assert.equal(r.exitCode, 0, `exit ${r.exitCode}\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /ucast6 eth0 to 2001:db8::1[12]/);
    assert.match(r.stdout, /mcast6 eth0 group ff12::694:1/);
    assert.match(r.stdout, /All media work both ways\./);
  }
});
