// Client children (respawn.ts) and what API clients are offered (api-delivery.ts): Heartbeat's decisions, no processes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DROPIT, KEEPIT, NOCHANGE } from '../../src/api/protocol.js';
import { clientStatusAnswer, deliveryFor, type DeliveryContext } from '../../src/node/api-delivery.js';
import {
  decideAfterExit,
  killLine,
  lookupUser,
  MAX_SHORT_RUNS,
  newHistory,
  SHORT_RUN_MS,
  SHORT_RUN_PAUSE_MS,
  startedLine,
  startingLine,
  type ChildHistory,
} from '../../src/daemon/children/respawn.js';
import { finish } from '../../src/membership/outbound.js';
import { Membership } from '../../src/membership/core.js';
import type { Action } from '../../src/membership/types.js';
import { singleKey } from '../../src/wire/index.js';
import { getString, makeMessage, stringField } from '../../src/wire/message.js';

const IPFAIL = '/usr/libexec/heartbeat/ipfail';
const exit = (o: { code?: number | null; signal?: number; runMs: number; shuttingDown?: boolean }) => ({
  pid: 4242,
  exitCode: o.code === undefined ? 0 : o.code,
  signal: o.signal ?? 0,
  startedAtMs: 1_000_000,
  nowMs: 1_000_000 + o.runMs,
  shuttingDown: o.shuttingDown ?? false,
});

test('respawn: a child that ran long is restarted at once, logged as Heartbeat logs it', () => {
  const d = decideAfterExit(newHistory(IPFAIL, false), exit({ code: 1, runMs: SHORT_RUN_MS + 1 }));
  assert.equal(d.respawn, true);
  assert.equal(d.delayMs, 0);
  assert.equal(d.history.shortRuns, 0);
  assert.deepEqual(d.logs, [
    { level: 'warn', text: `Managed ${IPFAIL} process 4242 exited with return code 1.` },
    { level: 'debug', text: `Client ${IPFAIL} exited with return code 1.` },
    { level: 'err', text: `Respawning client "${IPFAIL}":` },
  ]);
});

test('respawn: killed by a signal is reported with cluster-glue\'s signal words', () => {
  const d = decideAfterExit(newHistory(IPFAIL, false), exit({ code: null, signal: 9, runMs: 5 }));
  assert.equal(d.respawn, true);
  assert.equal(d.logs[0]?.text, `Managed ${IPFAIL} process 4242 killed by signal 9 [SIGKILL - Kill, unblockable].`);
  assert.equal(d.logs[0]?.level, 'warn');
  assert.equal(d.delayMs, SHORT_RUN_PAUSE_MS, 'a short run: the next start waits 1 s');
});

test('respawn: the 11th short run in a row is "respawning too fast" and the child stays dead', () => {
  let h: ChildHistory = newHistory(IPFAIL, false);
  for (let i = 1; i <= MAX_SHORT_RUNS; i++) {
    const d = decideAfterExit(h, exit({ code: 1, runMs: 100 }));
    assert.equal(d.respawn, true, `run ${i}`);
    assert.equal(d.delayMs, SHORT_RUN_PAUSE_MS);
    h = d.history;
  }
  const last = decideAfterExit(h, exit({ code: 1, runMs: 100 }));
  assert.equal(last.respawn, false);
  assert.deepEqual(last.logs.at(-1), { level: 'err', text: `Client ${IPFAIL} "respawning too fast"` });
  assert.equal(last.history.shortRuns, 0);
  // One long run in between resets the count.
  const long = decideAfterExit({ ...h }, exit({ code: 1, runMs: SHORT_RUN_MS }));
  assert.equal(long.respawn, true);
  assert.equal(long.history.shortRuns, 0);
});

test('respawn: exit code 100 and shutdown mean no restart; shutdown deaths are quiet', () => {
  const hundred = decideAfterExit(newHistory(IPFAIL, false), exit({ code: 100, runMs: 10 }));
  assert.equal(hundred.respawn, false);
  assert.equal(hundred.logs.some((l) => l.text.startsWith('Respawning')), false);
  const stopping = decideAfterExit(newHistory(IPFAIL, false), exit({ code: null, signal: 15, runMs: 60_000, shuttingDown: true }));
  assert.equal(stopping.respawn, false);
  assert.ok(stopping.logs.every((l) => l.level === 'debug'));
});

test('respawn: failfast asks for a reboot on an abnormal death only', () => {
  assert.equal(decideAfterExit(newHistory(IPFAIL, true), exit({ code: 0, runMs: 50_000 })).reboot, false);
  assert.equal(decideAfterExit(newHistory(IPFAIL, true), exit({ code: 2, runMs: 50_000 })).reboot, true);
  // Heartbeat 3.0.6 reboots here too (its own shutdown SIGTERM); heartbeat-ts does not.
  assert.equal(decideAfterExit(newHistory(IPFAIL, true), exit({ code: null, signal: 15, runMs: 5, shuttingDown: true })).reboot, false);
  assert.equal(decideAfterExit(newHistory(IPFAIL, true), exit({ code: null, signal: 9, runMs: 5 })).reboot, true);
  assert.equal(decideAfterExit(newHistory(IPFAIL, false), exit({ code: null, signal: 11, runMs: 5 })).reboot, false);
});

test('respawn: getpwnam over /etc/passwd text, and the start/kill lines', () => {
  const passwd = 'root:x:0:0:root:/root:/bin/bash\nhacluster:x:102:105::/var/lib/heartbeat:/usr/sbin/nologin\nbad:x:y:z::/:/bin/false\n';
  const u = lookupUser(passwd, 'hacluster');
  assert.deepEqual(u, { user: 'hacluster', uid: 102, gid: 105 });
  assert.equal(lookupUser(passwd, 'nosuch'), undefined);
  assert.equal(lookupUser(passwd, 'bad'), undefined);
  assert.equal(lookupUser(passwd, 'hac'), undefined);
  if (u === undefined) return;
  assert.equal(startingLine(IPFAIL, u), `Starting child client "${IPFAIL}" (102,105)`);
  assert.equal(startedLine(IPFAIL, u, 77), `Starting "${IPFAIL}" as uid 102  gid 105 (pid 77)`);
  assert.equal(killLine(IPFAIL, 77, 15), `killing ${IPFAIL} process group 77 with signal 15`);
});

/* ------------------------------------------------------------------ api-delivery */

const ctx: DeliveryContext = { localNode: 'alpha', wallSec: 0x6b05dd90, isPingNode: (n) => n === '198.51.100.1' };
const fieldsOf = (a: Action): [string, string][] | undefined => {
  const d = deliveryFor(a, ctx);
  return d?.message.fields.map((f) => [f.name, Buffer.from(f.value as Uint8Array).toString('latin1')]);
};

test('delivery: status changes, deaths, ping nodes and links, as Heartbeat offers them to clients', () => {
  const received = makeMessage([['t', 'status'], ['st', 'active'], ['dt', '3e8'], ['src', 'bravo'], ['seq', '9']]);
  assert.deepEqual(deliveryFor({ kind: 'node-status', node: 'bravo', status: 'active', previous: 'up', message: received }, ctx), { message: received, treatment: KEEPIT });
  assert.deepEqual(fieldsOf({ kind: 'node-status', node: 'bravo', status: 'dead', previous: 'active' }), [['t', 'status'], ['seq', '1'], ['ts', '6b05dd90'], ['src', 'bravo'], ['st', 'dead']]);
  assert.deepEqual(fieldsOf({ kind: 'node-status', node: '198.51.100.1', status: 'dead', previous: 'ping' }), [['t', 'status'], ['seq', '1'], ['ts', '6b05dd90'], ['src', '198.51.100.1'], ['st', 'dead'], ['info', 'ping']]);
  assert.deepEqual(fieldsOf({ kind: 'node-status', node: '198.51.100.1', status: 'ping', previous: 'init' }), [['t', 'NS_st'], ['st', 'ping'], ['info', 'ping'], ['src', '198.51.100.1'], ['ts', '6b05dd90']]);
  assert.equal(deliveryFor({ kind: 'node-status', node: 'alpha', status: 'active', previous: 'up' }, ctx), undefined, 'our own status comes round as a send');
  assert.deepEqual(fieldsOf({ kind: 'link-status', node: '198.51.100.1', medium: '198.51.100.1', status: 'dead' }), [['t', 'ifstat'], ['node', '198.51.100.1'], ['ifname', '198.51.100.1'], ['st', 'dead']]);
  assert.equal(deliveryFor({ kind: 'log', level: 'info', text: 'x' }, ctx), undefined);
});

test('delivery: peer messages as received; our own by their dest; query-cstatus is answered, not delivered', () => {
  const m = makeMessage([['t', 'num_ping_nodes'], ['src', 'bravo'], ['num_ping', '1'], ['dest', 'alpha'], ['to_id', 'ipfail']]);
  assert.deepEqual(deliveryFor({ kind: 'deliver', node: 'bravo', message: m }, ctx), { message: m, treatment: KEEPIT });
  const q = makeMessage([['t', 'query-cstatus'], ['dest', 'alpha'], ['cn', 'ipfail'], ['from_id', '5150']]);
  assert.equal(deliveryFor({ kind: 'deliver', node: 'bravo', message: q }, ctx), undefined);
  const packet = new Uint8Array(0);
  const own = (fields: [string, string][], reason: 'message' | 'status' | 'ack') => deliveryFor({ kind: 'send', reason, message: makeMessage(fields), packet }, ctx)?.treatment;
  assert.equal(own([['t', 'hbapi-clstat'], ['st', 'join']], 'message'), KEEPIT);
  assert.equal(own([['t', 'you_are_dead'], ['dest', 'bravo']], 'message'), DROPIT);
  assert.equal(own([['t', 'x'], ['dest', 'alpha']], 'message'), KEEPIT);
  assert.equal(own([['t', 'status'], ['st', 'active']], 'status'), NOCHANGE);
  assert.equal(own([['t', 'NS_ackmsg'], ['dest', 'bravo']], 'ack'), undefined);
  // HBDoMsg_T_QCSTATUS
  assert.deepEqual(clientStatusAnswer(q, 'bravo', (cn) => cn === 'ipfail'), [['t', 'respond-cstatus'], ['dest', 'bravo'], ['result', 'OK'], ['cn', 'ipfail'], ['to_id', '5150'], ['cs', 'online']]);
  assert.equal(clientStatusAnswer(q, 'bravo', () => false)?.at(-1)?.[1], 'offline');
  assert.equal(clientStatusAnswer(makeMessage([['t', 'query-cstatus']]), 'bravo', () => true), undefined);
});

/* ------------------------------------------------------------------ control fields, ping links */

const keys = singleKey('sha1', 'SomeKey');

test('control fields replace a client\'s own src in place (ha_msg_mod), as the real num_ping_nodes shows', () => {
  const base = [['t', 'num_ping_nodes'], ['src', 'alpha'], ['num_ping', '0'], ['dest', 'bravo'], ['from_id', 'ipfail'], ['to_id', 'ipfail'], ['client_gen', '0']].map(([n, v]) => stringField(n ?? '', v ?? ''));
  const out = finish({ name: 'alpha', uuid: new Uint8Array(16).fill(1), generation: 0x6b05da4e, ttl: 4, keys }, base, { seq: 0x32, wallSec: 0x6b05dd90, loadavg: '0.81 0.53 0.28 7/113 304' });
  assert.ok(out !== null);
  // test/fixtures/heartbeat-3.0.6/payloads/num_ping_nodes-sha1.bin has this order.
  assert.deepEqual(out.message.fields.map((f) => f.name), ['t', 'src', 'num_ping', 'dest', 'from_id', 'to_id', 'client_gen', 'destuuid', 'srcuuid', 'seq', 'hg', 'ts', 'ld', 'ttl', 'auth']);
  assert.equal(getString(out.message, 'src'), 'alpha');
});

test('a ping node has one link, named after it: up with its first reply, dead with it (what ipfail reacts to)', () => {
  const core = new Membership({
    localNode: 'alpha', nodes: [{ name: 'alpha', type: 'normal' }, { name: '198.51.100.1', type: 'ping' }],
    keepaliveMs: 200, deadtimeMs: 1000, warntimeMs: 500, initdeadMs: 2000, deadpingMs: 2000, hopfudge: 1, maxRexmitDelayMs: 250,
    keys, generation: 7, uuid: new Uint8Array(16).fill(2), seed: 1,
  });
  core.handle({ kind: 'start' }, { monoMs: 0, wallSec: 1 });
  const up = core.handle({ kind: 'ping-reply', node: '198.51.100.1' }, { monoMs: 100, wallSec: 1 }).actions.filter((a) => (a.kind === 'link-status' || a.kind === 'node-status') && a.node === '198.51.100.1');
  assert.deepEqual(up.map((a) => a.kind), ['link-status', 'node-status']);
  assert.deepEqual(up[0], { kind: 'link-status', node: '198.51.100.1', medium: '198.51.100.1', status: 'up' });
  // Replies are timed like heartbeats (issue 24): one 700 ms after the last is late (warntime 500 ms).
  const logs = (r: { actions: readonly Action[] }): string[] => r.actions.flatMap((a) => (a.kind === 'log' ? [a.text] : []));
  assert.deepEqual(logs(core.handle({ kind: 'ping-reply', node: '198.51.100.1' }, { monoMs: 300, wallSec: 1 })), []);
  assert.deepEqual(logs(core.handle({ kind: 'ping-reply', node: '198.51.100.1' }, { monoMs: 1000, wallSec: 1 })), ['Late heartbeat: Node 198.51.100.1: interval 700 ms']);
  let dead: Action[] = [];
  for (let t = 1200; t <= 6000 && dead.length === 0; t += 200) {
    dead = core.handle({ kind: 'tick' }, { monoMs: t, wallSec: 1 }).actions.filter((a) => a.kind === 'link-status' || a.kind === 'node-status');
  }
  assert.deepEqual(dead.map((a) => [a.kind, 'status' in a ? a.status : '']), [['node-status', 'dead'], ['link-status', 'dead']]);
});
