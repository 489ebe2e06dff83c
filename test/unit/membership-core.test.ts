// The membership core on a manual clock: join, status field order, death timing, restart, loss, drops, stalls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Sim, uuidFor, WALL_EPOCH_SEC } from '../helpers/membership-sim.js';
import { fixturesDir } from '../helpers/paths.js';
import { Membership } from '../../src/membership/core.js';
import { buildSignedPacket, decodeNetstring, getString, singleKey, binaryField, stringField, encodeNetstring, latin1 } from '../../src/wire/index.js';

function pair(over = {}): Sim {
  const sim = Sim.defaults(['alpha', 'bravo'], over);
  sim.add({ name: 'alpha', generation: 500 });
  sim.add({ name: 'bravo', generation: 700 });
  return sim;
}

test('two nodes go init → up → active, with the log lines operators grep for', () => {
  const sim = pair();
  sim.advance(3000);
  assert.equal(sim.node('alpha').core.status, 'active');
  assert.equal(sim.node('bravo').core.status, 'active');
  assert.equal(sim.statusOf('alpha', 'bravo'), 'active');
  assert.equal(sim.statusOf('bravo', 'alpha'), 'active');
  const a = sim.logs('alpha');
  for (const line of ['Link bravo:eth0 up.', 'Status update for node bravo: status active', 'Comm_now_up(): updating status to active', "Local status now set to: 'active'"]) {
    assert.ok(a.includes(line), `alpha logged "${line}"; it logged:\n${a.join('\n')}`);
  }
  // The handshake happened: each side asked and answered.
  assert.ok(sim.sends('alpha', 'reqnodes').length >= 1 || sim.sends('bravo', 'reqnodes').length >= 1);
  assert.ok(sim.sends('alpha', 'repnodes').length + sim.sends('bravo', 'repnodes').length >= 1);
  assert.ok(!a.some((l) => /lost packet|Late heartbeat|is dead/.test(l)), a.join('\n'));
});

test('status messages carry Heartbeat\'s fields in Heartbeat\'s order; seq 1 init, seq 2 up, one counter', () => {
  const sim = pair();
  sim.advance(3000);
  const sent = sim.sends('alpha');
  const first = sent[0]?.action.message;
  assert.ok(first !== undefined);
  assert.deepEqual(first.fields.map((f) => f.name), ['t', 'st', 'dt', 'protocol', 'src', 'srcuuid', 'seq', 'hg', 'ts', 'ld', 'ttl', 'auth']);
  assert.equal(getString(first, 'st'), 'init');
  assert.equal(getString(first, 'seq'), '1');
  assert.equal(getString(first, 'dt'), (1000).toString(16));
  assert.equal(getString(first, 'hg'), (500).toString(16));
  assert.equal(getString(first, 'ttl'), '3');
  assert.equal(getString(sent[1]?.action.message ?? { fields: [] }, 'st'), 'up');
  // Every sequenced message shares one counter with no gaps.
  const seqs = sent.map((s) => getString(s.action.message, 'seq')).filter((s): s is string => s !== undefined).map((s) => Number.parseInt(s, 16));
  assert.deepEqual(seqs, seqs.map((_, i) => i + 1));
  // NS_ messages have no seq and no ld.
  const ack = sim.sends('alpha', 'ack')[0]?.action.message;
  assert.ok(ack !== undefined, 'alpha acknowledged something within 3 s');
  assert.deepEqual(ack.fields.map((f) => f.name), ['t', 'dest', 'ackseq', 'destuuid', 'src', 'srcuuid', 'hg', 'ts', 'ttl', 'auth']);
  assert.deepEqual([...(ack.fields[3]?.value as Uint8Array)], [...uuidFor('bravo')], 'destuuid is the peer\'s learned UUID');
  // Packets verify with the key and decode back to the same message.
  const p = decodeNetstring(sent[0]?.action.packet ?? new Uint8Array());
  assert.ok(p.ok);
});

test('repnodes lists the normal nodes as "a b " with delnodelist " ", dest before t', () => {
  const sim = pair();
  sim.advance(3000);
  const rep = [...sim.sends('alpha', 'repnodes'), ...sim.sends('bravo', 'repnodes')][0]?.action.message;
  assert.ok(rep !== undefined);
  assert.deepEqual(rep.fields.slice(0, 4).map((f) => f.name), ['dest', 't', 'nodelist', 'delnodelist']);
  assert.equal(getString(rep, 'nodelist'), 'alpha bravo ');
  assert.equal(getString(rep, 'delnodelist'), ' ');
});

test('a killed peer is declared dead right after its deadtime (no 250 ms polling lag), once', () => {
  const sim = pair();
  sim.advance(3000);
  sim.kill('bravo');
  const lastHeard = Math.max(...sim.node('alpha').actions.filter((a) => a.action.kind === 'log').map(() => 0), sim.nowMs);
  sim.advance(3000);
  const deadAt = sim.logTime('alpha', /^node bravo: is dead$/);
  assert.ok(deadAt !== undefined, sim.logs('alpha').join('\n'));
  // bravo's last status left it at most one keepalive before the kill and arrived 1 ms later.
  const lag = deadAt - lastHeard;
  assert.ok(lag >= 1000 - 100 && lag <= 1000 + 2, `declared dead ${lag} ms after the kill (deadtime 1000, keepalive 100)`);
  assert.equal(sim.logs('alpha').filter((l) => l === 'node bravo: is dead').length, 1);
  assert.ok(sim.logs('alpha').includes('Link bravo:eth0 dead.'));
  assert.equal(sim.statusOf('alpha', 'bravo'), 'dead');
});

test('the death timer uses the peer\'s advertised dt, not the local deadtime', () => {
  const sim = Sim.defaults(['alpha', 'bravo']);
  sim.add({ name: 'alpha' });
  // bravo announces a 3 s deadtime.
  const bravoSim = Sim.defaults(['alpha', 'bravo'], { deadtimeMs: 3000, initdeadMs: 6000 });
  void bravoSim;
  sim.advance(10);
  const bravo = new Membership({
    nodes: [{ name: 'alpha', type: 'normal' }, { name: 'bravo', type: 'normal' }],
    localNode: 'bravo', keepaliveMs: 100, deadtimeMs: 3000, warntimeMs: 1500, initdeadMs: 6000, deadpingMs: 3000,
    hopfudge: 1, maxRexmitDelayMs: 250, keys: singleKey('sha1', 'SomeKey'), generation: 9, uuid: uuidFor('bravo'), seed: 3,
  });
  const r = bravo.handle({ kind: 'start' }, { monoMs: sim.nowMs, wallSec: WALL_EPOCH_SEC });
  for (const a of r.actions) if (a.kind === 'send') sim.inject('alpha', 'eth0', a.packet);
  const heardAt = sim.nowMs;
  sim.advance(5000);
  const deadAt = sim.logTime('alpha', /^node bravo: is dead$/);
  assert.ok(deadAt !== undefined);
  // Before comm-up the limit is max(initdead, dt) = 3000 vs initdead 2000 here; after it, dt = 3000.
  assert.ok(deadAt - heardAt >= 3000 && deadAt - heardAt <= 3002, `dead after ${deadAt - heardAt} ms`);
});

test('a restarted peer (higher generation) is logged as a Heartbeat restart and becomes active again', () => {
  const sim = pair();
  sim.advance(3000);
  sim.kill('bravo');
  sim.advance(2000);
  assert.equal(sim.statusOf('alpha', 'bravo'), 'dead');
  const t0 = sim.nowMs;
  sim.restart('bravo', 701);
  sim.advance(3000);
  assert.ok(sim.logs('alpha', t0).includes('Heartbeat restart on node bravo'), sim.logs('alpha', t0).join('\n'));
  assert.equal(sim.statusOf('alpha', 'bravo'), 'active');
  assert.equal(sim.node('bravo').core.status, 'active');
  assert.ok(!sim.logs('alpha', t0).some((l) => /replay|returning after partition/.test(l)));
});

test('30% loss one way: retransmission fills every gap, no false death, "No pkts missing" after gaps', () => {
  const sim = pair();
  let n = 0;
  // Deterministic 30%: drop frames alpha→bravo whose running count hits 3, 6 or 9 of every 10.
  sim.filter = ({ from, atMs }) => (from === 'alpha' && atMs < 58_000 ? ![3, 6, 9].includes(n++ % 10) : true);
  sim.advance(60_000);
  const b = sim.logs('bravo');
  assert.ok(!b.some((l) => /is dead/.test(l)), b.filter((l) => /dead/.test(l)).join('\n'));
  assert.equal(sim.statusOf('bravo', 'alpha'), 'active');
  const gaps = b.filter((l) => /lost packet\(s\) for \[alpha\]/.test(l)).length;
  const filled = b.filter((l) => l === 'No pkts missing from alpha!').length;
  assert.ok(gaps > 50, `gaps seen: ${gaps}`);
  // Overlapping gaps share one "No pkts missing" (Heartbeat logs it when the last one is filled) …
  assert.ok(filled > 20, `"No pkts missing" ${filled} times for ${gaps} gaps`);
  // … and every gap is followed by one: the last gap line comes before the last "No pkts missing".
  const lastGap = b.map((l) => /lost packet/.test(l)).lastIndexOf(true);
  assert.ok(b.lastIndexOf('No pkts missing from alpha!') > lastGap);
  assert.ok(!b.some((l) => /Irretrievably lost/.test(l)));
  assert.ok(sim.sends('bravo', 'rexmit-request').length > 0);
  assert.ok(sim.sends('alpha', 'rexmit').length > 0);
  // Retransmissions are the stored packets, byte for byte.
  const originals = new Map(sim.sends('alpha').filter((s) => s.action.reason !== 'rexmit').map((s) => [getString(s.action.message, 'seq'), Buffer.from(s.action.packet).toString('latin1')]));
  for (const r of sim.sends('alpha', 'rexmit')) {
    assert.equal(Buffer.from(r.action.packet).toString('latin1'), originals.get(getString(r.action.message, 'seq')));
  }
});

test('a gap older than the history is answered with NS_nak_rexmit "seqno too low" (firstseq in hex)', () => {
  // charlie is configured but silent, so it never acknowledged anything (ACKed seqs are never resent).
  const sim = Sim.defaults(['alpha', 'bravo', 'charlie']);
  sim.add({ name: 'alpha' });
  sim.add({ name: 'bravo', generation: 7 });
  sim.advance(60_000); // alpha has sent > 500 sequenced messages
  const req = buildSignedPacket(
    [['t', 'NS_rexmit'], ['dest', 'alpha'], ['firstseq', '2'], ['lastseq', '2'], ['src', 'charlie'], ['hg', '5'], ['ts', 'abc'], ['ttl', '4']],
    singleKey('sha1', 'SomeKey'),
  );
  assert.ok(req.ok);
  const r = sim.inject('alpha', 'eth0', req.value);
  const nak = r.actions.find((a) => a.kind === 'send' && a.reason === 'nak');
  assert.ok(nak !== undefined && nak.kind === 'send');
  assert.deepEqual(nak.message.fields.slice(0, 4).map((f) => [f.name, Buffer.from(f.value as Uint8Array).toString('latin1')]), [
    ['t', 'NS_nak_rexmit'], ['firstseq', '2'], ['dest', 'charlie'], ['info', 'seqno too low'],
  ]);
  // A seq still in the history is resent byte for byte; one beyond the highest sent is ignored.
  const high = sim.sends('alpha').filter((s) => getString(s.action.message, 'seq') !== undefined).at(-10);
  assert.ok(high !== undefined);
  const seq = Number.parseInt(getString(high.action.message, 'seq') ?? '', 16);
  const again = buildSignedPacket(
    [['t', 'NS_rexmit'], ['dest', 'alpha'], ['firstseq', String(seq)], ['lastseq', String(seq + 2)], ['src', 'charlie'], ['hg', '5'], ['ts', 'abd'], ['ttl', '4']],
    singleKey('sha1', 'SomeKey'),
  );
  assert.ok(again.ok);
  const r2 = sim.inject('alpha', 'eth0', again.value);
  const resent = r2.actions.filter((a) => a.kind === 'send' && a.reason === 'rexmit');
  assert.equal(resent.length, 3);
  const first = resent[0];
  assert.ok(first !== undefined && first.kind === 'send');
  assert.deepEqual(Buffer.from(first.packet), Buffer.from(high.action.packet));
  // Asked again at once: not resent (heartbeat 3.0.6 waits max_rexmit_delay - 10 ms); beyond the highest: ignored.
  const soon = buildSignedPacket(
    [['t', 'NS_rexmit'], ['dest', 'alpha'], ['firstseq', String(seq)], ['lastseq', String(seq + 100_000)], ['src', 'charlie'], ['hg', '5'], ['ts', 'abe'], ['ttl', '4']],
    singleKey('sha1', 'SomeKey'),
  );
  assert.ok(soon.ok);
  const r3 = sim.inject('alpha', 'eth0', soon.value);
  const again3 = r3.actions.flatMap((a) => (a.kind === 'send' && (a.reason === 'rexmit' || a.reason === 'nak') ? [a] : []));
  assert.ok(again3.every((a) => a.reason === 'rexmit'), 'no NAK for seqs beyond the highest sent');
  const seqs3 = again3.map((a) => Number.parseInt(getString(a.message, 'seq') ?? '', 16));
  assert.ok(seqs3.length > 0 && seqs3.every((x) => x >= seq + 3 && x <= seq + 9), `resent ${seqs3.join(',')}`);
});

test('late heartbeats are warned about (warntime) and a gap beyond deadtime is critical', () => {
  const sim = pair();
  sim.advance(3000);
  // Hold bravo's frames for 700 ms (> warntime 500, < deadtime 1000).
  const holdFrom = sim.nowMs;
  sim.filter = ({ from, atMs }) => !(from === 'bravo' && atMs < holdFrom + 700);
  sim.advance(1500);
  const late = sim.logs('alpha', holdFrom).filter((l) => /^Late heartbeat: Node bravo: interval \d+ ms$/.test(l));
  assert.equal(late.length, 1, sim.logs('alpha', holdFrom).join('\n'));
  assert.ok(!sim.logs('alpha', holdFrom).some((l) => /is dead/.test(l)));
});

test('replayed, unknown-node and wrongly signed frames are dropped, counted, and logged once per 10 s per peer and reason', () => {
  const sim = pair();
  sim.advance(3000);
  // bravo restarts with a higher generation; frames of the old generation are replays now.
  const oldFrames = sim.sends('bravo', 'status').slice(-5).map((s) => s.action.packet);
  sim.kill('bravo');
  sim.restart('bravo', 800);
  sim.advance(1000);
  const t0 = sim.nowMs;
  for (let i = 0; i < 40; i++) for (const f of oldFrames) sim.inject('alpha', 'eth0', f);
  const unknown = buildSignedPacket([['t', 'status'], ['st', 'active'], ['src', 'mallory'], ['seq', '1'], ['hg', '1'], ['ts', '1']], singleKey('sha1', 'SomeKey'));
  const wrongKey = buildSignedPacket([['t', 'status'], ['st', 'active'], ['src', 'bravo'], ['seq', '99'], ['hg', 'ffff'], ['ts', '1']], singleKey('sha1', 'OtherKey'));
  assert.ok(unknown.ok && wrongKey.ok);
  for (let i = 0; i < 30; i++) {
    sim.inject('alpha', 'eth0', unknown.value);
    sim.inject('alpha', 'eth0', wrongKey.value);
    sim.inject('alpha', 'eth0', latin1('###\ngarbage'));
  }
  const drops = sim.node('alpha').core.dropCounts();
  assert.equal(drops.get('replay'), 200);
  assert.equal(drops.get('unknown-node'), 30);
  assert.equal(drops.get('bad-auth'), 30);
  assert.equal(drops.get('undecodable'), 30);
  const logs = sim.logs('alpha', t0);
  assert.equal(logs.filter((l) => l.startsWith('should_drop_message: attempted replay attack [bravo]?')).length, 1);
  assert.equal(logs.filter((l) => /unknown node \[mallory\]/.test(l)).length, 1);
  assert.equal(logs.filter((l) => /authentication failed/.test(l)).length, 1);
  assert.equal(logs.filter((l) => /undecodable/.test(l)).length, 1);
  // Still fine with the real bravo, and the next report after 10 s says how many were suppressed.
  assert.equal(sim.statusOf('alpha', 'bravo'), 'active');
  sim.advance(10_001);
  sim.inject('alpha', 'eth0', unknown.value);
  assert.ok(sim.logs('alpha', sim.nowMs).some((l) => /unknown node \[mallory\].*\(29 more since the last report\)/.test(l)), sim.logs('alpha', sim.nowMs).join('\n'));
});

test('a stall longer than our advertised deadtime ends in a restart request, not in silence resumed', () => {
  const sim = pair();
  sim.advance(3000);
  const alpha = sim.node('alpha');
  // The event loop of alpha freezes for 1.5 s (deadtime 1 s): its next event comes late.
  const r = alpha.core.handle({ kind: 'tick' }, { monoMs: sim.nowMs + 1500, wallSec: WALL_EPOCH_SEC });
  assert.ok(r.actions.some((a) => a.kind === 'restart'), JSON.stringify(r.actions.map((a) => a.kind)));
  assert.ok(r.actions.some((a) => a.kind === 'log' && a.text.startsWith('No local heartbeat. Forcing restart.')));
  assert.ok(!r.actions.some((a) => a.kind === 'send'), 'no frame of the old generation after the stall');
  assert.ok(alpha.core.isStopped);
  // A shorter hiccup (600 ms < deadtime) does not restart.
  const sim2 = pair();
  sim2.advance(3000);
  const r2 = sim2.node('alpha').core.handle({ kind: 'tick' }, { monoMs: sim2.nowMs + 600, wallSec: WALL_EPOCH_SEC });
  assert.ok(!r2.actions.some((a) => a.kind === 'restart'));
});

test('two media: one link cut → "Link …:eth0 dead.", the node stays alive', () => {
  const sim = Sim.defaults(['alpha', 'bravo']);
  (sim as unknown as { media: string[] }).media = ['eth0', '/dev/ttyS0'];
  sim.add({ name: 'alpha' });
  sim.add({ name: 'bravo', generation: 3 });
  sim.advance(3000);
  const t0 = sim.nowMs;
  sim.filter = ({ medium }) => medium !== 'eth0';
  sim.advance(5000);
  const logs = sim.logs('alpha', t0);
  assert.ok(logs.includes('Link bravo:eth0 dead.'), logs.join('\n'));
  assert.ok(!logs.some((l) => /is dead/.test(l)));
  assert.equal(sim.statusOf('alpha', 'bravo'), 'active');
  const links = sim.node('alpha').core.nodes().find((n) => n.name === 'bravo')?.links;
  assert.equal(links?.get('eth0'), 'dead');
  assert.equal(links?.get('/dev/ttyS0'), 'up');
});

test('a peer without `protocol` (old Heartbeat) switches flow control off and comm-up needs no reqnodes', () => {
  const sim = Sim.defaults(['alpha', 'bravo']);
  sim.add({ name: 'alpha' });
  const keys = singleKey('sha1', 'SomeKey');
  let seq = 1;
  const status = (st: string): Uint8Array => {
    const p = buildSignedPacket([['t', 'status'], ['st', st], ['dt', '3e8'], ['src', 'bravo'], ['seq', (seq++).toString(16)], ['hg', '5'], ['ts', '1'], ['ttl', '3']], keys);
    assert.ok(p.ok);
    return p.value;
  };
  sim.inject('alpha', 'eth0', status('up'));
  sim.advance(50);
  assert.ok(sim.logs('alpha').includes('flow control disabled due to different version heartbeat'));
  assert.equal(sim.node('alpha').core.status, 'active');
  assert.equal(sim.sends('alpha', 'reqnodes').length, 0);
});

test('a node never heard from is declared dead after initdead, then the local node comes up alone', () => {
  const sim = Sim.defaults(['alpha', 'bravo']);
  sim.add({ name: 'alpha' });
  sim.advance(5000);
  const deadAt = sim.logTime('alpha', /^node bravo: is dead$/);
  assert.ok(deadAt !== undefined && deadAt - 1000 >= 2000 && deadAt - 1000 <= 2002, `dead at +${(deadAt ?? 0) - 1000} ms (initdead 2000)`);
  assert.equal(sim.node('alpha').core.status, 'active');
});

test('a real Heartbeat 3.0.6 status packet (recorded) is accepted and learned', () => {
  const bytes = fs.readFileSync(path.join(fixturesDir, 'heartbeat-3.0.6', 'payloads', 'status-sha1.bin'));
  const p = decodeNetstring(bytes);
  assert.ok(p.ok);
  const src = getString(p.value.message, 'src') ?? '';
  const local = src === 'alpha' ? 'bravo' : 'alpha';
  const sim = Sim.defaults([local, src]);
  sim.add({ name: local });
  sim.inject(local, 'eth0', bytes);
  assert.ok(sim.logs(local).includes(`Link ${src}:eth0 up.`), sim.logs(local).join('\n'));
  const st = getString(p.value.message, 'st') ?? '';
  assert.notEqual(st, 'init');
  assert.ok(sim.logs(local).includes(`Status update for node ${src}: status ${st}`));
  assert.equal(sim.node(local).core.dropCounts().size, 0);
});

test('our frames name our UUID; a destuuid of another node makes a message not for us', () => {
  const sim = pair();
  sim.advance(3000);
  const keys = singleKey('sha1', 'SomeKey');
  const msg = { fields: [stringField('t', 'reqnodes'), stringField('dest', 'alpha'), binaryField('destuuid', uuidFor('charlie')), stringField('src', 'bravo'), stringField('seq', 'fffff'), stringField('hg', (700).toString(16)), stringField('ts', '1')] };
  const pkt = encodeNetstring(msg, keys);
  assert.ok(pkt.ok);
  const r = sim.inject('alpha', 'eth0', pkt.value);
  assert.ok(!r.actions.some((a) => a.kind === 'send' && a.reason === 'repnodes'));
});

test('a replay of this generation (an old seq) is counted as stale and logged at debug level only', () => {
  const sim = pair();
  sim.advance(3000);
  const old = sim.sends('bravo', 'status')[5]?.action.packet;
  assert.ok(old !== undefined);
  const t0 = sim.nowMs;
  for (let i = 0; i < 5; i++) sim.inject('alpha', 'eth0', old);
  assert.equal(sim.node('alpha').core.dropCounts().get('stale'), 5);
  const lines = sim.node('alpha').actions.filter((a) => a.atMs >= t0 && a.action.kind === 'log' && /old packet/.test(a.action.text));
  assert.equal(lines.length, 1);
  assert.equal(lines[0]?.action.kind === 'log' ? lines[0].action.level : '', 'debug');
  assert.equal(sim.statusOf('alpha', 'bravo'), 'active');
});

test('a healed partition restarts both nodes even when one hears the other first (its last status tells the peer), as Heartbeat does', () => {
  // Keepalives 50 ms out of phase: after the heal one node hears the other before it sends again. It must not
  // fall silent at once, or the peer (which declared it dead too) would keep every group it took over while the
  // first gave its own up — 3.0.6 keeps heartbeating through its shutdown, so both restart.
  const sim = Sim.defaults(['alpha', 'bravo']);
  sim.add({ name: 'alpha', generation: 500 });
  sim.advance(50);
  sim.add({ name: 'bravo', generation: 700 });
  sim.advance(3000);
  const t0 = sim.nowMs;
  sim.filter = ({ atMs }) => atMs > t0 + 2500;
  sim.advance(4000);
  const first = ['alpha', 'bravo'].map((n) => ({ n, at: sim.node(n).actions.find((a) => a.atMs >= t0 && a.action.kind === 'restart')?.atMs }));
  for (const { n, at } of first) {
    const other = n === 'alpha' ? 'bravo' : 'alpha';
    assert.ok(sim.logs(n, t0).includes(`Cluster node ${other} returning after partition.`), `${n}:\n${sim.logs(n, t0).join('\n')}`);
    assert.notEqual(at, undefined, `${n} restarts`);
  }
  // Heartbeat 3.0.6's lines at the heal, in its order.
  const a = sim.logs('alpha', t0);
  const from = a.indexOf('Cluster node bravo returning after partition.');
  assert.deepEqual(a.slice(from + 1, from + 5), ['For information on cluster partitions, See URL: http://linux-ha.org/wiki/Split_Brain', 'Deadtime value may be too small.', 'See FAQ for information on tuning deadtime.', 'URL: http://linux-ha.org/wiki/FAQ#Heavy_Load']);
  assert.match(a[from + 5] ?? '', /^Late heartbeat: Node bravo: interval \d+ ms \(> deadtime\)$/);
  // One heard the other first, and the other learnt it from the first one's last status, not a keepalive of its own.
  assert.ok(Math.abs((first[0]?.at ?? 0) - (first[1]?.at ?? 0)) < 50, JSON.stringify(first));
});

test('messages from the layers above get control fields and a seq of the one counter, in order, and reach the peer', () => {
  const sim = pair();
  sim.advance(3000);
  const r = sim.step(sim.node('alpha'), { kind: 'send', fields: [['t', 'resource'], ['rsc_hold', 'local'], ['rtype', 'full'], ['isstable', '1']] });
  const sent = r.actions.find((a) => a.kind === 'send' && a.reason === 'message');
  assert.ok(sent !== undefined && sent.kind === 'send');
  assert.deepEqual(sent.message.fields.map((f) => f.name), ['t', 'rsc_hold', 'rtype', 'isstable', 'src', 'srcuuid', 'seq', 'hg', 'ts', 'ld', 'ttl', 'auth']);
  const before = sim.node('bravo').actions.length;
  sim.advance(10);
  const delivered = sim.node('bravo').actions.slice(before).find((a) => a.action.kind === 'deliver');
  assert.ok(delivered !== undefined && delivered.action.kind === 'deliver');
  assert.equal(delivered.action.node, 'alpha');
  assert.equal(getString(delivered.action.message, 'rsc_hold'), 'local');
  // With `dest`, the peer's UUID goes into destuuid.
  const r2 = sim.step(sim.node('alpha'), { kind: 'send', fields: [['t', 'ip-request-resp'], ['dest', 'bravo'], ['ipaddr', '198.51.100.10'], ['weown', 'yes'], ['ok', 'OK']] });
  const s2 = r2.actions.find((a) => a.kind === 'send');
  assert.ok(s2 !== undefined && s2.kind === 'send');
  assert.deepEqual([...(s2.message.fields.find((f) => f.name === 'destuuid')?.value as Uint8Array)], [...uuidFor('bravo')]);
});

test('a healed partition: the node that hears a peer it declared dead (same generation) restarts itself, as Heartbeat does', () => {
  const sim = pair();
  sim.advance(3000);
  const t0 = sim.nowMs;
  sim.filter = ({ atMs }) => atMs > t0 + 2500; // both directions cut for 2.5 s (deadtime 1 s)
  sim.advance(4000);
  for (const n of ['alpha', 'bravo']) {
    const logs = sim.logs(n, t0);
    const other = n === 'alpha' ? 'bravo' : 'alpha';
    assert.ok(logs.includes(`node ${other}: is dead`), logs.join('\n'));
    assert.ok(logs.includes(`Cluster node ${other} returning after partition.`), logs.join('\n'));
    assert.ok(sim.node(n).actions.some((a) => a.atMs >= t0 && a.action.kind === 'restart'));
    assert.ok(sim.node(n).core.isStopped);
  }
});

test('comm-up waits for a live peer\'s status: an ACK and a repnodes heard first bring neither linksup nor comm-up', () => {
  const sim = Sim.defaults(['alpha', 'bravo']);
  sim.add({ name: 'alpha' });
  const keys = singleKey('sha1', 'SomeKey');
  let seq = 1;
  const packet = (fields: [string, string][], sequenced: boolean): Uint8Array => {
    const seqField: [string, string][] = sequenced ? [['seq', (seq++).toString(16)]] : [];
    const p = buildSignedPacket([...fields, ['src', 'bravo'], ...seqField, ['hg', '5'], ['ts', '1'], ['ttl', '3'], ['protocol', '1']], keys);
    assert.ok(p.ok);
    return p.value;
  };
  // heartbeat 3.0.6 would count the ACK (anypacketsyet) and ask for the node list at once.
  sim.inject('alpha', 'eth0', packet([['t', 'NS_ackmsg'], ['dest', 'alpha'], ['ackseq', '1']], false));
  sim.advance(50);
  assert.ok(sim.logs('alpha').includes('Link bravo:eth0 up.'));
  assert.equal(sim.sends('alpha', 'reqnodes').length, 0, 'no reqnodes before bravo\'s status');
  sim.inject('alpha', 'eth0', packet([['t', 'repnodes'], ['dest', 'alpha'], ['nodelist', 'alpha bravo '], ['delnodelist', ' ']], true));
  sim.advance(50);
  assert.equal(sim.node('alpha').core.status, 'up', 'no comm-up on a repnodes before bravo\'s status');
  sim.inject('alpha', 'eth0', packet([['t', 'status'], ['st', 'active'], ['dt', '3e8']], true));
  sim.advance(10);
  const logs = sim.logs('alpha');
  assert.equal(sim.sends('alpha', 'reqnodes').length, 1, logs.join('\n'));
  assert.ok(logs.indexOf('Status update for node bravo: status active') >= 0, logs.join('\n'));
  sim.inject('alpha', 'eth0', packet([['t', 'repnodes'], ['dest', 'alpha'], ['nodelist', 'alpha bravo '], ['delnodelist', ' ']], true));
  sim.advance(10);
  assert.equal(sim.node('alpha').core.status, 'active');
});
