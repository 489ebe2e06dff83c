// Links without carrier and links that come and go (issue 20), with heartbeat-ts on both sides and with the real
// Heartbeat 3.0.6 as one side.
//
//   [alpha] eth0 198.51.100.11/24 ─┐
//   [bravo] eth0 198.51.100.12/24 ─┴─ br0 in the bridge namespace; eth1 203.0.113.11 ↔ 203.0.113.12 where two links
// The carrier of a node's eth0 is taken away by setting its bridge-side veth down (helpers/links.ts): eth0 stays up
// with its address, as with a pulled cable. ha.cf: keepalive 200ms, deadtime 1 (pair-config.ts).
//
//   1. no carrier at start: both daemons start (one "no carrier" line each), 5 s later the carrier comes and
//      each sees the other active; the same with the real Heartbeat 3.0.6 as bravo.
//   2. two links, group g1 on alpha, bravo ours or the real Heartbeat 3.0.6: eth1 flaps 10 × (1 s down, 1 s up),
//      then stays down: no death, g1 never moves, "Link …:eth1 dead." / "up." lines on both sides (one per
//      change), `cl_status hblinkstatus` on alpha says dead, then up.
//   3. only link: carrier gone → "node bravo: is dead" after deadtime; back → bravo active again.
//   4. two links, eth1 carrying each UDP medium in turn: eth1's address removed and re-added; eth1 deleted and
//      re-created: heartbeats resume on it both ways.
//   5. `ucast eth0 bravo-hb` with the name in alpha's own /etc/hosts: resolved at start; bravo renumbered and the
//      name changed: alpha's SIGHUP (reload) resolves it again and bravo hears alpha on eth0 again.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLab, type Lab, type StartedProcess } from '../helpers/netns.js';
import { addLink } from '../helpers/netns-extra.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { writePairConfig } from '../helpers/pair-config.js';
import { REAL_CL_STATUS, REAL_HEARTBEAT, countMatches, readLog, tail, waitForLog } from '../helpers/real-heartbeat.js';
import { addIpv6, setCarrier, setPeerLink } from '../helpers/links.js';
import { runOk } from '../helpers/processes.js';
import { cliPath } from '../helpers/paths.js';
import { heldResources, installStateResource } from '../helpers/state-resource.js';

const KEEPALIVE_MS = 200;
const DEADTIME_MS = 1000;
/** A loaded 2-core machine: the bench times the 2 × keepalive target; the test bounds what such a machine meets. */
const RESUME_BOUND_MS = 5000;
const KEEP = process.env['HBTS_KEEP'] === '1';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Kind = 'ours' | 'real';

async function newLab(t: TestContext, label: string): Promise<Lab> {
  return createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label, bridgeAddress: null, keepFiles: KEEP });
}

async function start(lab: Lab, node: string, kind: Kind): Promise<StartedProcess | undefined> {
  if (kind === 'ours') return startOurHeartbeat(lab, node, 15_000);
  const r = await lab.exec(node, [REAL_HEARTBEAT], { timeoutMs: 10_000 });
  assert.equal(r.exitCode, 0, `${REAL_HEARTBEAT} in ${node}: ${r.stderr}\n${tail(readLog(lab, node), 20)}`);
  return undefined;
}

/** Waits for `pattern` in the node's log after offset `from`; returns ms from `sinceMs`. */
async function after(lab: Lab, node: string, from: number, pattern: RegExp, what: string, timeoutMs: number, sinceMs: number): Promise<number> {
  await waitForLog(lab, node, (l) => pattern.test(l.slice(from)), what, timeoutMs);
  return Date.now() - sinceMs;
}

async function linkStatus(lab: Lab, node: string, peer: string, link: string): Promise<string> {
  const r = await lab.exec(node, [REAL_CL_STATUS, 'hblinkstatus', peer, link], { timeoutMs: 10_000 });
  return r.stdout.trim() || r.stderr.trim();
}

async function noCarrierStart(parent: TestContext, bravo: Kind): Promise<void> {
  await parent.test(`no carrier at start, then carrier: ours (alpha) ↔ ${bravo} (bravo)`, async (t) => {
    if (!requireRootAndCommands(t, ['nsenter', ...(bravo === 'real' ? [REAL_HEARTBEAT] : [])])) return;
    const lab = await newLab(t, bravo === 'real' ? 'ncreal' : 'ncours');
    for (const n of ['alpha', 'bravo']) writePairConfig(lab, n, { media: ['bcast eth0'] });
    for (const n of ['alpha', 'bravo']) await setCarrier(lab, n, false);
    // --check-config in the node accepts it, warning about the carrier.
    const check = await lab.exec('alpha', [process.execPath, cliPath('heartbeat'), '--check-config'], { timeoutMs: 15_000 });
    assert.equal(check.exitCode, 0, check.stdout + check.stderr);
    assert.match(check.stdout + check.stderr, /HA_CFG_LINK_DOWN: bcast "eth0": no carrier/);
    const ours = await start(lab, 'alpha', 'ours');
    const theirs = await start(lab, 'bravo', bravo);
    await sleep(5000);
    assert.ok(ours?.running, `our daemon runs without carrier: ${ours?.stderr.slice(-800)}`);
    if (theirs !== undefined) assert.ok(theirs.running, `bravo runs without carrier: ${theirs.stderr.slice(-800)}`);
    const alphaLog = readLog(lab, 'alpha');
    assert.equal(countMatches(alphaLog, /bcast eth0: eth0: no carrier/), 1, `one "no carrier" line:\n${tail(alphaLog, 30)}`);
    assert.doesNotMatch(alphaLog, /Status update for node bravo: status active/);
    const from = { alpha: readLog(lab, 'alpha').length, bravo: readLog(lab, 'bravo').length };
    const cameAt = Date.now();
    await Promise.all(['alpha', 'bravo'].map((n) => setCarrier(lab, n, true)));
    const upAt = Date.now();
    const [a, b] = await Promise.all([
      after(lab, 'alpha', from.alpha, /Status update for node bravo: status active/, 'bravo active', 15_000, upAt),
      after(lab, 'bravo', from.bravo, /Status update for node alpha: status active/, 'alpha active', 15_000, upAt),
    ]);
    t.diagnostic(`carrier reported up ${upAt - cameAt} ms after the bridge ports went up; alpha saw bravo active ${a} ms later, bravo saw alpha ${b} ms later (keepalive ${KEEPALIVE_MS} ms)`);
    assert.ok(Math.max(a, b) <= RESUME_BOUND_MS, `active ${a} / ${b} ms after the carrier came`);
    if (ours !== undefined) await ours.stop();
  });
}

test('links without carrier at start', { concurrency: 2 }, async (t) => {
  await Promise.all([noCarrierStart(t, 'ours'), noCarrierStart(t, 'real')]);
});

/* ------------------------------------------------------------------ links that come and go while running */

const ETH1 = { alpha: '203.0.113.11/24', bravo: '203.0.113.12/24' } as const;
const ETH1_V6 = { alpha: '2001:db8:1::11/64', bravo: '2001:db8:1::12/64' } as const;

type Eth1Medium = 'bcast' | 'ucast' | 'mcast' | 'ucast6' | 'mcast6';

/** The eth1 medium line of a node. */
function eth1Line(m: Eth1Medium, node: 'alpha' | 'bravo'): string {
  const other = node === 'alpha' ? 'bravo' : 'alpha';
  switch (m) {
    case 'bcast': return 'bcast eth1';
    case 'ucast': return `ucast eth1 ${ETH1[other].split('/')[0] ?? ''}`;
    case 'mcast': return 'mcast eth1 239.255.20.1 694 1 0';
    case 'ucast6': return `ucast6 eth1 ${ETH1_V6[other].split('/')[0] ?? ''}`;
    case 'mcast6': return 'mcast6 eth1 ff12::20:1 694 1 0';
  }
}

/** Whether the last link line about peer's eth1 in text says dead. */
function deadNow(text: string, peer: string): boolean {
  return text.lastIndexOf(`Link ${peer}:eth1 dead.`) > text.lastIndexOf(`Link ${peer}:eth1 up.`);
}

/**
 * The eth1 veth pair between alpha and bravo, with both address families; resolves once the kernel's link-local
 * addresses have passed duplicate-address detection (until then IPv6 multicast has no source address).
 */
async function linkEth1(lab: Lab): Promise<void> {
  await addLink(lab, { node: 'alpha', ifname: 'eth1', address: ETH1.alpha }, { node: 'bravo', ifname: 'eth1', address: ETH1.bravo });
  for (const n of ['alpha', 'bravo'] as const) await addIpv6(lab, n, 'eth1', ETH1_V6[n]);
  const deadline = Date.now() + 10_000;
  for (const n of ['alpha', 'bravo'] as const) {
    for (;;) {
      const r = await runOk(['ip', '-n', lab.node(n).netns, '-6', 'addr', 'show', 'dev', 'eth1', 'tentative']);
      if (r.stdout.trim() === '') break;
      if (Date.now() > deadline) throw new Error(`${n}: eth1 still has tentative addresses: ${r.stdout}`);
      await sleep(50);
    }
  }
}

/**
 * alpha (ours) and bravo (ours or the real Heartbeat 3.0.6) over bcast eth0 and eth1's medium, both active;
 * with `group`, haresources `alpha hbts-res::g1` and alpha holding it.
 */
async function twoLinkPair(t: TestContext, label: string, eth1: Eth1Medium = 'bcast', bravo: Kind = 'ours', group = false): Promise<{ lab: Lab; procs: StartedProcess[] }> {
  const lab = await newLab(t, label);
  await linkEth1(lab);
  for (const n of ['alpha', 'bravo'] as const) {
    writePairConfig(lab, n, { media: ['bcast eth0', eth1Line(eth1, n)], initdead: '5' });
    if (group) {
      fs.writeFileSync(path.join(lab.node(n).haDir, 'haresources'), 'alpha hbts-res::g1\n');
      installStateResource(lab, n);
    }
  }
  const procs = (await Promise.all([start(lab, 'alpha', 'ours'), start(lab, 'bravo', bravo)])).filter((p): p is StartedProcess => p !== undefined);
  await Promise.all([
    waitForLog(lab, 'alpha', (l) => l.includes('Status update for node bravo: status active'), 'bravo active', 15_000),
    waitForLog(lab, 'bravo', (l) => l.includes('Status update for node alpha: status active'), 'alpha active', 15_000),
  ]);
  // Both links heard on both nodes before a test starts counting "Link … up." lines: the first packet on eth1 is
  // logged as a link coming up too, and may come after "active" (a CI run counted it for the real daemon: 4 dead,
  // 5 up).
  await Promise.all([
    waitForLog(lab, 'alpha', (l) => l.includes('Link bravo:eth1 up.'), 'eth1 heard from bravo', 15_000),
    waitForLog(lab, 'bravo', (l) => l.includes('Link alpha:eth1 up.'), 'eth1 heard from alpha', 15_000),
  ]);
  if (group) {
    const deadline = Date.now() + 20_000;
    while (heldResources(lab, 'alpha', ['g1']).length === 0) {
      if (Date.now() > deadline) assert.fail(`alpha never held g1:\n${tail(readLog(lab, 'alpha'), 30)}`);
      await sleep(100);
    }
  }
  return { lab, procs };
}

/** alpha alone holds g1. */
function assertHeldByAlpha(lab: Lab, what: string): void {
  assert.deepEqual([heldResources(lab, 'alpha', ['g1']), heldResources(lab, 'bravo', ['g1'])], [['g1'], []], `${what}: g1 moved`);
}

function assertAlive(lab: Lab, procs: readonly StartedProcess[], what: string): void {
  for (const p of procs) assert.ok(p.running, `${what}: a daemon exited: ${p.stderr.slice(-800)}`);
  for (const n of ['alpha', 'bravo']) {
    assert.doesNotMatch(readLog(lab, n), /node (alpha|bravo): is dead/, `${what}: ${n} declared its peer dead:\n${tail(readLog(lab, n), 30)}`);
  }
}

test('links that come and go while running', { concurrency: 3 }, async (t) => {
  await Promise.all([
    ...(['ours', 'real'] as const).map((bravoKind) =>
      t.test(`carrier flaps 10 × on one of two links, bravo ${bravoKind}: no death, no move, link dead/up reported`, async (tt) => {
        if (!requireRootAndCommands(tt, ['nsenter', REAL_CL_STATUS])) return;
        const { lab, procs } = await twoLinkPair(tt, `flap${bravoKind}`, 'bcast', bravoKind, true);
        const from = readLog(lab, 'alpha').length;
        const fromB = readLog(lab, 'bravo').length;
        for (let i = 0; i < 10; i++) {
          await setPeerLink(lab, 'bravo', 'eth1', 'alpha', 'eth1', false);
          await sleep(1000);
          assertHeldByAlpha(lab, `flap ${i + 1}, down`);
          await setPeerLink(lab, 'bravo', 'eth1', 'alpha', 'eth1', true);
          await sleep(1000);
          assertHeldByAlpha(lab, `flap ${i + 1}, up`);
        }
        assertAlive(lab, procs, 'after 10 flaps');
        // A longer cut: the link is declared dead after deadtime, as for a silent peer, and cl_status says so.
        const cutFrom = readLog(lab, 'alpha').length;
        await setPeerLink(lab, 'bravo', 'eth1', 'alpha', 'eth1', false);
        const cutAt = Date.now();
        const cutFromB = readLog(lab, 'bravo').length;
        const deadMs = await after(lab, 'alpha', cutFrom, /Link bravo:eth1 dead\./, 'eth1 dead', 10_000, cutAt);
        await after(lab, 'bravo', cutFromB, /Link alpha:eth1 dead\./, 'eth1 dead on bravo', 10_000, cutAt);
        assert.equal(await linkStatus(lab, 'alpha', 'bravo', 'eth1'), 'dead');
        assert.equal(await linkStatus(lab, 'alpha', 'bravo', 'eth0'), 'up');
        const upFrom = readLog(lab, 'alpha').length;
        await setPeerLink(lab, 'bravo', 'eth1', 'alpha', 'eth1', true);
        const backAt = Date.now();
        const upFromB = readLog(lab, 'bravo').length;
        const upMs = await after(lab, 'alpha', upFrom, /Link bravo:eth1 up\./, 'eth1 up', 10_000, backAt);
        await after(lab, 'bravo', upFromB, /Link alpha:eth1 up\./, 'eth1 up on bravo', 10_000, backAt);
        assert.equal(await linkStatus(lab, 'alpha', 'bravo', 'eth1'), 'up');
        assertAlive(lab, procs, 'after the cut');
        assertHeldByAlpha(lab, 'after the cut');
        const during = readLog(lab, 'alpha').slice(from);
        const dead = countMatches(during, /Link bravo:eth1 dead\./);
        const up = countMatches(during, /Link bravo:eth1 up\./);
        const lines = during.split('\n').filter((l) => l.trim() !== '').length;
        // bravo's own report of the same cuts (Heartbeat 3.0.6's wording, when bravo is the real daemon).
        const theirs = readLog(lab, 'bravo').slice(fromB);
        const deadB = countMatches(theirs, /Link alpha:eth1 dead\./);
        const upB = countMatches(theirs, /Link alpha:eth1 up\./);
        tt.diagnostic(`11 cuts: alpha logged ${dead} "dead" and ${up} "up" lines, ${lines} log lines in all; bravo (${bravoKind}) ${deadB} and ${upB}; last cut: dead after ${deadMs} ms, up ${upMs} ms after the carrier came back`);
        // A 1 s cut with deadtime 1 s is at the edge: a node may or may not declare the link dead (Heartbeat
        // 3.0.6 did for 0 to 3 of the 10 short cuts, heartbeat-ts for 9 to 11); the 3 s cut always counts.
        assert.ok(dead >= 1 && dead <= 11 && up === dead, `${dead} dead / ${up} up lines`);
        assert.ok(deadB >= 1 && deadB <= 11 && upB === deadB, `bravo: ${deadB} dead / ${upB} up lines`);
        assert.ok(lines <= 4 * 11 + 10, `${lines} log lines while a link flapped 11 times:\n${tail(during, 60)}`);
        assert.ok(upMs <= RESUME_BOUND_MS, `eth1 up ${upMs} ms after the carrier came back`);
      }),
    ),
    t.test('the only link: carrier gone → death after deadtime; back → active again', async (tt) => {
      if (!requireRootAndCommands(tt, ['nsenter'])) return;
      const lab = await newLab(tt, 'only');
      for (const n of ['alpha', 'bravo']) writePairConfig(lab, n, { media: ['bcast eth0'], initdead: '5' });
      const procs = await Promise.all(['alpha', 'bravo'].map((n) => startOurHeartbeat(lab, n, 15_000)));
      await waitForLog(lab, 'alpha', (l) => l.includes('Status update for node bravo: status active'), 'bravo active', 15_000);
      const from = readLog(lab, 'alpha').length;
      await setCarrier(lab, 'alpha', false);
      const cutAt = Date.now();
      const deathMs = await after(lab, 'alpha', from, /node bravo: is dead/, 'bravo dead', 10_000, cutAt);
      const backFrom = readLog(lab, 'alpha').length;
      await setCarrier(lab, 'alpha', true);
      const backAt = Date.now();
      const activeMs = await after(lab, 'alpha', backFrom, /Status update for node bravo: status active|Link bravo:eth0 up/, 'bravo back', 15_000, backAt);
      tt.diagnostic(`death ${deathMs} ms after the carrier went (deadtime ${DEADTIME_MS} ms); bravo heard again ${activeMs} ms after it came back`);
      assert.ok(deathMs >= DEADTIME_MS - 250, `declared dead after ${deathMs} ms, before deadtime`);
      assert.ok(activeMs <= RESUME_BOUND_MS, `bravo heard again ${activeMs} ms after the carrier came back`);
      for (const p of procs) assert.ok(p.running, p.stderr.slice(-800));
    }),
  ]);
});

/**
 * eth1 renumbered under a running pair, for each medium: its address removed and re-added (DHCP renew,
 * ifdown/ifup), then the interface deleted and re-created (VLAN, bond re-enslaved; both veth ends go).
 */
async function renumber(tt: TestContext, eth1: Eth1Medium): Promise<void> {
  if (!requireRootAndCommands(tt, ['nsenter'])) return;
  const { lab, procs } = await twoLinkPair(tt, `rn${eth1}`, eth1);
  const ns = lab.node('alpha').netns;
  const v6 = eth1 === 'ucast6' || eth1 === 'mcast6';
  const [addr, extra] = v6 ? [ETH1_V6.alpha, ['nodad']] : [ETH1.alpha, ['brd', '+']];
  const peers = [['alpha', 'bravo'], ['bravo', 'alpha']] as const;
  /** Until neither node's last word about the other's eth1 is "dead", then 2 × deadtime without a new "dead". */
  const resumed = async (from: Record<string, number>, sinceMs: number, what: string): Promise<number> => {
    await Promise.all(peers.map(([n, p]) => waitForLog(lab, n, (l) => !deadNow(l.slice(from[n] ?? 0), p), `${what}: ${p}'s eth1 up`, 10_000)));
    const ms = Date.now() - sinceMs;
    const mark = { alpha: readLog(lab, 'alpha').length, bravo: readLog(lab, 'bravo').length };
    await sleep(2 * DEADTIME_MS);
    for (const [n, p] of peers) assert.doesNotMatch(readLog(lab, n).slice(mark[n] ?? 0), new RegExp(`Link ${p}:eth1 dead`), `${what}: ${n} lost ${p}'s eth1 again`);
    return ms;
  };
  const offsets = (): Record<string, number> => ({ alpha: readLog(lab, 'alpha').length, bravo: readLog(lab, 'bravo').length });
  // 1. Address removed: the link dies, except for multicast, which needs no address of ours (mcast6 joins and
  //    sends by interface index, mcast keeps the index its address led to): it may stay up. Re-added: heartbeats
  //    on it resume.
  let from = offsets();
  await runOk(['ip', '-n', ns, 'addr', 'del', addr, 'dev', 'eth1']);
  const multicast = eth1 === 'mcast' || eth1 === 'mcast6';
  if (multicast) await sleep(2 * DEADTIME_MS);
  else await after(lab, 'alpha', from.alpha ?? 0, /Link bravo:eth1 dead\./, 'eth1 dead after the address went', 10_000, Date.now());
  if (multicast) tt.diagnostic(`${eth1}: the link ${deadNow(readLog(lab, 'alpha').slice(from.alpha), 'bravo') ? 'died' : 'stayed up'} while alpha's eth1 had no ${v6 ? 'global ' : ''}address`);
  await runOk(['ip', '-n', ns, 'addr', 'add', addr, ...extra, 'dev', 'eth1']);
  const a1 = await resumed(from, Date.now(), 'address re-added');
  // 2. Interface deleted (VLAN removed, bond slave released: both veth ends go) and re-created.
  from = offsets();
  await runOk(['ip', '-n', ns, 'link', 'del', 'eth1']);
  await after(lab, 'alpha', from.alpha ?? 0, /Link bravo:eth1 dead\./, 'eth1 dead after the interface went', 10_000, Date.now());
  from = offsets();
  const recreatedAt = Date.now();
  await linkEth1(lab);
  const usableMs = Date.now() - recreatedAt;
  const a2 = await resumed(from, recreatedAt, 'interface re-created');
  tt.diagnostic(`${eth1}: heartbeats on eth1 both ways ${a1} ms after the address was re-added; ${a2} ms after the interface was re-created, which was usable (up, addresses past DAD) after ${usableMs} ms`);
  assert.ok(a1 <= RESUME_BOUND_MS && a2 <= usableMs + RESUME_BOUND_MS, `resumed after ${a1} / ${a2} ms`);
  assertAlive(lab, procs, 'after renumbering');
}

test('address removed and re-added, interface deleted and re-created: heartbeats resume on it', { concurrency: 2 }, async (t) => {
  const media: Eth1Medium[] = ['bcast', 'ucast', 'mcast', 'ucast6', 'mcast6'];
  for (let i = 0; i < media.length; i += 2) {
    await Promise.all(media.slice(i, i + 2).map((m) => t.test(`eth1 carries ${m}`, (tt) => renumber(tt, m))));
  }
});

test('a ucast peer given by name is resolved at start and again at reload', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter', 'mount'])) return;
  const lab = await newLab(t, 'resolve');
  await linkEth1(lab);
  // alpha's own /etc/hosts, in its private mount namespace only (the host's file is never touched).
  const hosts = path.join(lab.root, 'alpha-hosts');
  fs.writeFileSync(hosts, '127.0.0.1 localhost\n198.51.100.12 bravo-hb\n');
  const m = await lab.exec('alpha', ['mount', '--bind', hosts, '/etc/hosts'], { timeoutMs: 5000 });
  assert.equal(m.exitCode, 0, m.stderr);
  writePairConfig(lab, 'alpha', { media: ['ucast eth0 bravo-hb', 'bcast eth1'], initdead: '5' });
  writePairConfig(lab, 'bravo', { media: ['ucast eth0 198.51.100.11', 'bcast eth1'], initdead: '5' });
  const check = await lab.exec('alpha', [process.execPath, cliPath('heartbeat'), '--check-config'], { timeoutMs: 15_000 });
  assert.equal(check.exitCode, 0, check.stdout + check.stderr);
  const [alpha, bravo] = await Promise.all(['alpha', 'bravo'].map((n) => startOurHeartbeat(lab, n, 15_000)));
  assert.ok(alpha !== undefined && bravo !== undefined);
  await waitForLog(lab, 'bravo', (l) => l.includes('Link alpha:eth0 up.'), 'alpha heard over ucast eth0', 15_000);
  assert.match(readLog(lab, 'alpha'), /ucast eth0: peer bravo-hb is 198\.51\.100\.12/);
  // bravo is renumbered: 198.51.100.12 → .22 (its ucast medium re-opens on the new address by itself).
  const bns = lab.node('bravo').netns;
  let from = readLog(lab, 'bravo').length;
  await runOk(['ip', '-n', bns, 'addr', 'del', '198.51.100.12/24', 'dev', 'eth0']);
  await runOk(['ip', '-n', bns, 'addr', 'add', '198.51.100.22/24', 'brd', '+', 'dev', 'eth0']);
  await after(lab, 'bravo', from, /Link alpha:eth0 dead\./, 'alpha silent on eth0 (it still sends to .12)', 10_000, Date.now());
  // The name gets its new address; a reload (SIGHUP) on alpha resolves it again.
  fs.writeFileSync(hosts, '127.0.0.1 localhost\n198.51.100.22 bravo-hb\n');
  from = readLog(lab, 'bravo').length;
  const fromA = readLog(lab, 'alpha').length;
  alpha.kill('SIGHUP');
  const reloadAt = Date.now();
  const ms = await after(lab, 'bravo', from, /Link alpha:eth0 up\./, 'alpha heard on eth0 after the reload', 10_000, reloadAt);
  assert.match(readLog(lab, 'alpha').slice(fromA), /ucast eth0: peer bravo-hb is 198\.51\.100\.22/);
  t.diagnostic(`bravo heard alpha over ucast again ${ms} ms after alpha's SIGHUP`);
  assertAlive(lab, [alpha, bravo], 'after the reload');
});
