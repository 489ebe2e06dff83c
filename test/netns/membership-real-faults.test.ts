// heartbeat-ts ↔ real Heartbeat 3.0.6 under faults: 30% packet loss, serial + bcast with the bcast link cut, bad frames.
//
// Each test has its own lab ([alpha] ours, [bravo] the real one, both isolated; [carol] a plain namespace
// for the bad-frame sender); the three run concurrently.
//   loss:   an nftables rule (no netem in this kernel) drops 30% of alpha's outgoing packets for 20 s. The real node sees gaps, asks `NS_rexmit`,
//           we resend the stored packets; it logs "No pkts missing from alpha!" after the gaps and never
//           declares alpha dead. (deadtime 3 s here: at 30% loss, five statuses in a row are lost now and then,
//           and what is measured is the retransmission, not the odds of a run of losses.)
//   serial: a socat pty pair joins alpha and bravo besides bcast. Both links come up in the real node's log,
//           cl_status answers, 120 s pass without a lost packet, bad signature or late heartbeat;
//           then alpha's eth0 goes down: "Link alpha:eth0 dead." on the real node, and no death.
//   stall:  our process is stopped (SIGSTOP) for 2.5 s, longer than the deadtime it advertises, then continued.
//           The real node declares it dead; ours notices its own silence ("No local heartbeat. Forcing
//           restart.") and comes back with a new generation, so the real node logs "Heartbeat restart on node
//           alpha" — never "returning after partition", which would make it restart itself (pitfall 11).
//   drops:  carol broadcasts 30 times each: a status packet captured from a real bravo (the recordings, crc),
//           which is a replay here (older generation), frames from an unknown node, and frames signed with
//           another key. Ours logs each kind once (rate limit 10 s), counts all
//           of them (its shutdown line), and keeps bravo active.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLab, startProcess, type Lab } from '../helpers/netns.js';
import { distDir, realFixturesDir } from '../helpers/paths.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { REAL_CL_STATUS, clNodeStatus, countMatches, haCfText, readLog, startRealHeartbeat, tail, waitForLog, writeRealConfig } from '../helpers/real-heartbeat.js';
import type { SenderConfig } from '../helpers/wire-sender.js';

const KEY = 'Fault-Key_3';
/** The serial + bcast pair runs 120 s before its link cut (HBTS_SOAK_MS shortens it while developing). */
const SERIAL_SOAK_MS = Number(process.env['HBTS_SOAK_MS'] ?? '0') > 0 ? Number(process.env['HBTS_SOAK_MS']) : 120_000;
const SENDER = path.join(distDir, 'test', 'helpers', 'wire-sender.js');
/** 30% random loss of UDP port 694 leaving the namespace, with a counter. */
const LOSS_RULES = `table inet hbtsloss {
  chain out {
    type filter hook output priority 0; policy accept;
    udp dport 694 numgen random mod 100 < 30 counter drop
  }
}
`;

function since(text: string, from: number): string {
  return text.slice(from);
}

async function waitMs(ms: number): Promise<void> {
  await new Promise((r) => setTimeout(r, ms));
}

async function joined(lab: Lab): Promise<void> {
  await waitForLog(lab, 'bravo', (l) => l.includes('Status update for node alpha: status active'), 'alpha active (real)', 15_000);
  await waitForLog(lab, 'alpha', (l) => l.includes('Status update for node bravo: status active'), 'bravo active (ours)', 15_000);
}

test('faults between heartbeat-ts and Heartbeat 3.0.6', { concurrency: 4 }, async (t) => {
  await Promise.all([loss(t), serialAndBcast(t), badFrames(t), stall(t)]);
});

async function loss(parent: TestContext): Promise<void> {
  await parent.test('30% loss on our side: retransmission fills the gaps, no false death', async (t) => {
    if (!requireRootAndCommands(t, ['nsenter', 'nft'])) return;
    const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label: 'floss', bridgeAddress: null });
    for (const n of ['alpha', 'bravo']) {
      writeRealConfig(lab, n, { nodes: ['alpha', 'bravo'], method: 'sha1', key: KEY, keepalive: '200ms', warntime: '1', deadtime: '3', initdead: '6' });
    }
    await startOurHeartbeat(lab, 'alpha');
    await startRealHeartbeat(lab, 'bravo', 20_000);
    await joined(lab);
    const from = readLog(lab, 'bravo').length;
    // This machine's kernel has no sch_netem (CONFIG_NET_SCH_NETEM is not set), so the loss comes from an
    // nftables rule in alpha's namespace: each outgoing heartbeat datagram is dropped with probability 30%.
    const loss = await lab.exec('alpha', ['nft', '-f', '-'], { input: LOSS_RULES });
    assert.equal(loss.exitCode, 0, loss.stderr);
    await waitMs(20_000);
    const counted = await lab.exec('alpha', ['nft', 'list', 'table', 'inet', 'hbtsloss']);
    const off = await lab.exec('alpha', ['nft', 'delete', 'table', 'inet', 'hbtsloss']);
    assert.equal(off.exitCode, 0, off.stderr);
    const dropped = Number(/packets (\d+)/.exec(counted.stdout)?.[1] ?? '0');
    assert.ok(dropped >= 10, `the rule dropped ${dropped} packets:\n${counted.stdout}`);
    await waitMs(3000); // the last requests and answers of the final gap
    const real = since(readLog(lab, 'bravo'), from);
    const gaps = countMatches(real, /lost packet\(s\) for \[alpha\]/);
    const filled = countMatches(real, /No pkts missing from alpha!/);
    assert.ok(gaps >= 5, `the real node saw ${gaps} gaps in 20 s at 30% loss:\n${tail(real, 30)}`);
    assert.ok(filled >= 1, `no "No pkts missing from alpha!" for ${gaps} gaps:\n${tail(real, 30)}`);
    assert.ok(real.lastIndexOf('No pkts missing from alpha!') > real.lastIndexOf('lost packet(s) for [alpha]'), `the last gap was filled:\n${tail(real, 30)}`);
    assert.equal(countMatches(real, /node alpha: is dead/), 0, tail(real, 30));
    assert.equal(countMatches(real, /Irretrievably lost|authentication failed|replay attack/), 0, tail(real, 30));
    const ours = readLog(lab, 'alpha');
    assert.equal(countMatches(ours, /node bravo: is dead/), 0, tail(ours, 30));
    process.stdout.write(`# loss: ${dropped} datagrams dropped; the real node saw ${gaps} gaps and logged "No pkts missing" ${filled} times\n`);
  });
}

async function serialAndBcast(parent: TestContext): Promise<void> {
  await parent.test('serial + bcast: both links up; bcast cut → "Link alpha:eth0 dead.", no death', async (t) => {
    if (!requireRootAndCommands(t, ['nsenter', 'socat'])) return;
    const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label: 'fser', bridgeAddress: null });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-pty-'));
    t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
    const ttyA = path.join(dir, 'ttyA');
    const ttyB = path.join(dir, 'ttyB');
    const socat = startProcess(['socat', '-d', '-d', `pty,raw,echo=0,link=${ttyA}`, `pty,raw,echo=0,link=${ttyB}`]);
    t.after(() => socat.stop());
    await socat.waitForOutput(/starting data transfer loop/, 5000);
    for (const [n, tty] of [['alpha', ttyA], ['bravo', ttyB]] as const) {
      writeRealConfig(lab, n, { nodes: ['alpha', 'bravo'], method: 'sha1', key: KEY, warntime: '1', deadtime: '3', initdead: '6' });
      // baud must precede serial; the medium name is the device path as written.
      const cf = haCfText({ nodes: ['alpha', 'bravo'], method: 'sha1', key: KEY, warntime: '1', deadtime: '3', initdead: '6', extra: ['baud 19200', `serial ${tty}`] });
      fs.writeFileSync(path.join(lab.node(n).haDir, 'ha.cf'), cf);
    }
    await startOurHeartbeat(lab, 'alpha');
    await startRealHeartbeat(lab, 'bravo', 20_000);
    await joined(lab);
    await waitForLog(lab, 'bravo', (l) => l.includes(`Link alpha:${ttyB} up.`), 'serial link up (real)', 10_000);
    await waitForLog(lab, 'alpha', (l) => l.includes(`Link bravo:${ttyA} up.`), 'serial link up (ours)', 10_000);
    await waitForLog(lab, 'bravo', (l) => l.includes('Link alpha:eth0 up.'), 'bcast link up (real)', 10_000);
    assert.equal(await clNodeStatus(lab, 'bravo', 'alpha'), 'active');
    const hb = await lab.exec('bravo', [REAL_CL_STATUS, 'hbstatus'], { timeoutMs: 10_000 });
    assert.equal(hb.exitCode, 0, hb.stderr);
    const from = readLog(lab, 'bravo').length;
    await waitMs(SERIAL_SOAK_MS);
    const steady = since(readLog(lab, 'bravo'), from);
    assert.equal(countMatches(steady, /lost packet|authentication failed|Late heartbeat|paused|Bad\/invalid auth/), 0, tail(steady, 30));
    const down = await lab.exec('alpha', ['ip', 'link', 'set', 'eth0', 'down']);
    assert.equal(down.exitCode, 0, down.stderr);
    await waitForLog(lab, 'bravo', (l) => since(l, from).includes('Link alpha:eth0 dead.'), 'bcast link dead (real)', 10_000);
    await waitForLog(lab, 'alpha', (l) => since(l, 0).includes('Link bravo:eth0 dead.'), 'bcast link dead (ours)', 10_000);
    await waitMs(5 * 3000);
    const after = since(readLog(lab, 'bravo'), from);
    assert.equal(countMatches(after, /node alpha: is dead/), 0, tail(after, 30));
    assert.equal(countMatches(readLog(lab, 'alpha'), /node bravo: is dead/), 0, tail(readLog(lab, 'alpha'), 30));
  });
}

async function badFrames(parent: TestContext): Promise<void> {
  await parent.test('replayed, unknown-node and wrongly signed frames: dropped, counted, logged once per kind', async (t) => {
    if (!requireRootAndCommands(t, ['nsenter', 'socat'])) return;
    const lab = await createLab(t, {
      nodes: [{ name: 'alpha' }, { name: 'bravo' }, { name: 'carol', isolated: false }],
      label: 'fbad',
      bridgeAddress: null,
    });
    // crc, so that a packet captured from a real bravo in the recordings verifies here: its only fault is
    // its old generation (a replay).
    for (const n of ['alpha', 'bravo']) writeRealConfig(lab, n, { nodes: ['alpha', 'bravo'], method: 'crc', key: '' });
    const ours = await startOurHeartbeat(lab, 'alpha');
    await startRealHeartbeat(lab, 'bravo', 20_000);
    await joined(lab);
    const from = readLog(lab, 'alpha').length;
    const captured = path.join(realFixturesDir, 'payloads', 'status-crc.bin');
    for (let i = 0; i < 30; i++) {
      const r = await lab.exec('carol', ['socat', '-u', `OPEN:${captured}`, 'UDP4-DATAGRAM:198.51.100.255:694,broadcast'], { timeoutMs: 5000 });
      assert.equal(r.exitCode, 0, r.stderr);
    }
    const base: SenderConfig = {
      src: 'mallory', uuidHex: '00112233445566778899aabbccddeeff', generation: 5, st: 'active', deadtimeMs: 1000, ttl: 3,
      method: 'crc', key: '', address: '198.51.100.255', port: 694, count: 30, intervalMs: 30, firstSeq: 1, flip: 'none',
    };
    for (const cfg of [base, { ...base, src: 'bravo', method: 'sha1' as const, key: 'Another-Key', generation: 0x7fffffff }]) {
      const r = await lab.exec('carol', [process.execPath, SENDER, JSON.stringify(cfg)], { timeoutMs: 15_000 });
      assert.equal(r.exitCode, 0, r.stderr);
    }
    await waitMs(500);
    const log = since(readLog(lab, 'alpha'), from);
    assert.equal(countMatches(log, /attempted replay attack \[bravo\]\?/), 1, tail(log, 20));
    assert.equal(countMatches(log, /unknown node \[mallory\]/), 1, tail(log, 20));
    assert.equal(countMatches(log, /authentication failed/), 1, tail(log, 20));
    assert.equal(countMatches(log, /node bravo: is dead/), 0);
    await ours.stop();
    await waitForLog(lab, 'alpha', (l) => /frames dropped this run: /.test(since(l, from)), 'drop summary', 5000);
    const summary = /frames dropped this run: ([^\n]*)/.exec(since(readLog(lab, 'alpha'), from))?.[1] ?? '';
    assert.match(summary, /replay 30\b/);
    assert.match(summary, /unknown-node 30\b/);
    assert.match(summary, /bad-auth 30\b/);
  });
}

async function stall(parent: TestContext): Promise<void> {
  await parent.test('a stalled process comes back with a new generation, not as a returning partition', async (t) => {
    if (!requireRootAndCommands(t, ['nsenter'])) return;
    const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label: 'fstall', bridgeAddress: null });
    for (const n of ['alpha', 'bravo']) writeRealConfig(lab, n, { nodes: ['alpha', 'bravo'], method: 'sha1', key: KEY });
    const ours = await startOurHeartbeat(lab, 'alpha');
    await startRealHeartbeat(lab, 'bravo', 20_000);
    await joined(lab);
    const realFrom = readLog(lab, 'bravo').length;
    const oursFrom = readLog(lab, 'alpha').length;
    ours.kill('SIGSTOP');
    try {
      await waitForLog(lab, 'bravo', (l) => since(l, realFrom).includes('node alpha: is dead'), 'alpha dead while stopped', 5000);
      await waitMs(1000);
    } finally {
      ours.kill('SIGCONT');
    }
    await waitForLog(lab, 'alpha', (l) => since(l, oursFrom).includes('No local heartbeat. Forcing restart.'), 'our self-check', 5000);
    await waitForLog(lab, 'bravo', (l) => since(l, realFrom).includes('Heartbeat restart on node alpha'), 'restart seen (real)', 10_000);
    await waitForLog(lab, 'bravo', (l) => /Status update for node alpha: status active/.test(since(l, realFrom)), 'alpha active again', 10_000);
    await waitMs(2000);
    const real = since(readLog(lab, 'bravo'), realFrom);
    assert.equal(countMatches(real, /returning after partition|replay attack|authentication failed/), 0, tail(real, 30));
    assert.ok(ours.running);
  });
}
