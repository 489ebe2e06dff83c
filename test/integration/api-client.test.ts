// The client library, our cl_status and `hbctl status` against our API server on a real Unix socket (fake view).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { ApiServer } from '../../src/api/server.js';
import { HeartbeatClient, HeartbeatClientError, type HeartbeatEvent } from '../../src/api/client.js';
import { KEEPIT } from '../../src/api/protocol.js';
import type { ApiExtendedStatus } from '../../src/api/view.js';
import { collect, formatAge, renderStatus, runStatus } from '../../src/cli/hbctl-status.js';
import { getString, makeMessage, type Message } from '../../src/wire/message.js';
import { fakeView, RECORDED_SITUATION, type FakeSituation } from '../helpers/api-fake-view.js';
import { fixturesDir } from '../helpers/paths.js';
import { checkConfig } from '../../src/config/check.js';
import { fakeHost } from '../../src/config/host-facts.js';
import { daemonApiView } from '../../src/daemon/api/api-view.js';
import type { NodeView } from '../../src/membership/core.js';
import { runOurClStatus, type ClStatusAnswer } from '../helpers/our-cl-status.js';

interface Harness {
  readonly server: ApiServer;
  readonly socketPath: string;
  readonly logs: string[];
  readonly sent: Message[];
}

async function start(t: import('node:test').TestContext, situation: FakeSituation = RECORDED_SITUATION, authorize?: (c: { clientId: string }) => string | undefined): Promise<Harness> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-apiclient-'));
  const logs: string[] = [];
  const sent: Message[] = [];
  const server = await ApiServer.listen({
    path: path.join(dir, 'register'),
    view: fakeView(situation),
    log: (level, text) => logs.push(`${level}: ${text}`),
    onClusterSend: (m) => sent.push(m),
    ...(authorize !== undefined ? { authorize } : {}),
  });
  t.after(async () => {
    await server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return { server, socketPath: server.path, logs, sent };
}

test('the library signs on and answers every request cl_status and ipfail make', async (t) => {
  const h = await start(t);
  const hb = await HeartbeatClient.connect({ socketPath: h.socketPath });
  assert.equal(hb.casual, true);
  assert.equal(hb.clientId, String(process.pid));
  assert.deepEqual(hb.signonInfo, { localNode: 'alpha', deadtimeMs: 1000, keepaliveMs: 200, logFacility: 0, hbversion: RECORDED_SITUATION.signon.hbversion, pacemaker: 'off' });
  assert.deepEqual(await hb.nodes(), [
    { name: '198.51.100.1', type: 'ping', status: 'ping' },
    { name: 'alpha', type: 'normal', status: 'active' },
    { name: 'bravo', type: 'normal', status: 'dead' },
  ]);
  // Requests issued together queue; each gets its own reply.
  const [st, ty, w, site, num] = await Promise.all([hb.nodeStatus('ALPHA'), hb.nodeType('198.51.100.1'), hb.nodeWeight('alpha'), hb.nodeSite('alpha'), hb.numNodes()]);
  assert.deepEqual([st, ty, w, site, num], ['active', 'ping', 100, '', 2]);
  assert.deepEqual(await hb.links('bravo'), [{ name: 'eth0', status: 'dead' }]);
  assert.deepEqual(await hb.links('198.51.100.1'), [{ name: '198.51.100.1', status: 'up' }]);
  assert.equal(await hb.linkStatus('alpha', 'eth0'), 'up');
  assert.equal(await hb.clientStatus('alpha', 'ipfail'), 'offline');
  assert.equal(await hb.clientStatus('bravo', 'ipfail'), 'offline');
  assert.equal(await hb.resourceState(), 'all');
  assert.equal(await hb.parameter('auto_failback'), 'on');
  assert.equal(await hb.parameter('coreroot'), undefined);
  await hb.setFilter(KEEPIT);
  await hb.setSignal(0);
  // The real Heartbeat (here: a view without it) refuses hbts-status: no extended status.
  assert.equal(await hb.extendedStatus(), undefined);
  await assert.rejects(hb.nodeStatus('nosuch'), (e: unknown) => e instanceof HeartbeatClientError && e.code === 'bad-request' && e.reason === 'EINVAL');
  await assert.rejects(hb.links('nosuch'), (e: unknown) => e instanceof HeartbeatClientError && e.code === 'bad-request' && e.reason === 'EINVAL');
  await assert.rejects(hb.clientStatus('nosuch', 'ipfail'), (e: unknown) => e instanceof HeartbeatClientError && e.code === 'bad-request');
  await assert.rejects(hb.sendClusterMessage([['t', 'x']]), (e: unknown) => e instanceof HeartbeatClientError && e.code === 'bad-request' && /casual/.test(e.message));
  assert.equal(await hb.nodeStatus('bravo'), 'dead', 'the connection survives refused requests');
  await hb.signoff();
  assert.equal(hb.connected, false);
  await hb.signoff(); // twice is fine
  assert.ok(!h.logs.some((l) => l.includes('internal error')), h.logs.join('\n'));
});

test('a named client sends cluster and node messages and receives delivered messages as events', async (t) => {
  const h = await start(t);
  const hb = await HeartbeatClient.connect({ socketPath: h.socketPath, clientId: 'ipfail' });
  assert.equal(hb.casual, false);
  // Delivered before any listener: held, then replayed to the first one.
  h.server.deliver(makeMessage([['t', 'ifstat'], ['node', 'bravo'], ['ifname', 'eth0'], ['st', 'dead']]), KEEPIT);
  await hb.nodeStatus('alpha'); // the delivery is ahead of this reply on the socket
  const events: HeartbeatEvent[] = [];
  hb.onEvent((e) => events.push(e));
  h.server.deliver(makeMessage([['t', 'status'], ['st', 'active'], ['src', 'bravo']]), KEEPIT);
  h.server.deliver(makeMessage([['t', 'NS_st'], ['st', 'ping'], ['info', 'ping'], ['src', '198.51.100.1']]), KEEPIT);
  h.server.deliver(makeMessage([['t', 'hbapi-clstat'], ['st', 'join'], ['from_id', 'ipfail'], ['to_id', 'ipfail'], ['src', 'bravo']]), KEEPIT);
  h.server.deliver(makeMessage([['t', 'num_ping_nodes'], ['src', 'bravo'], ['num_ping', '1'], ['to_id', 'ipfail']]), KEEPIT);
  await hb.numNodes();
  assert.deepEqual(
    events.map((e) => (e.kind === 'message' ? `${e.kind} ${e.type}` : e.kind === 'link-status' ? `${e.kind} ${e.node} ${e.link} ${e.status}` : `${e.kind} ${e.node} ${e.status}`)),
    ['link-status bravo eth0 dead', 'node-status bravo active', 'node-status 198.51.100.1 ping', 'client-status bravo join', 'message num_ping_nodes'],
  );
  const last = events.at(-1);
  assert.equal(last === undefined ? undefined : getString(last.message, 'num_ping'), '1');

  await hb.sendNodeMessage('bravo', [['t', 'num_ping_nodes'], ['src', 'alpha'], ['num_ping', '2']]);
  await hb.sendClusterMessage([['t', 'abort_giveup'], ['src', 'alpha']]);
  await hb.nodeStatus('alpha'); // both messages were handled before this reply
  const mine = h.sent.filter((m) => getString(m, 't') !== 'hbapi-clstat');
  assert.deepEqual(
    mine.map((m) => [getString(m, 't'), getString(m, 'dest'), getString(m, 'from_id'), getString(m, 'to_id')]),
    [['num_ping_nodes', 'bravo', 'ipfail', 'ipfail'], ['abort_giveup', undefined, 'ipfail', 'ipfail']],
  );
  assert.equal(getString(h.sent[0] as Message, 'st'), 'join', 'the signon of a named client is announced');

  // The daemon going away ends the client: pending requests fail with 'closed', close listeners run once.
  const closed = new Promise<HeartbeatClientError>((resolve) => hb.onClose(resolve));
  const iterated = (async () => {
    let n = 0;
    for await (const _ of hb.events()) n++;
    return n;
  })();
  await h.server.close();
  assert.equal((await closed).code, 'closed');
  assert.equal(await iterated, 0);
  await assert.rejects(hb.nodeStatus('alpha'), (e: unknown) => e instanceof HeartbeatClientError && e.code === 'closed');
});

test('connection errors say what is wrong: not running, refused, no answer', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-apiclient-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  await assert.rejects(HeartbeatClient.connect({ runDir: dir }), (e: unknown) => {
    assert.ok(e instanceof HeartbeatClientError);
    assert.equal(e.code, 'not-running');
    assert.equal(e.message, `cannot connect to heartbeat at ${dir}/register: is it running? (ENOENT)`);
    return true;
  });

  const h = await start(t, RECORDED_SITUATION, (c) => (c.clientId === 'intruder' ? 'no default client auth' : undefined));
  await assert.rejects(HeartbeatClient.connect({ socketPath: h.socketPath, clientId: 'intruder' }), (e: unknown) => e instanceof HeartbeatClientError && e.code === 'refused' && e.reason === 'no default client auth');

  // A socket nobody answers on: the request times out.
  const accepted: net.Socket[] = [];
  const silent = net.createServer((s) => void accepted.push(s));
  const silentPath = path.join(dir, 'silent');
  await new Promise<void>((resolve) => silent.listen(silentPath, resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        for (const s of accepted) s.destroy();
        silent.close(() => resolve());
      }),
  );
  const t0 = Date.now();
  await assert.rejects(HeartbeatClient.connect({ socketPath: silentPath, timeoutMs: 300 }), (e: unknown) => e instanceof HeartbeatClientError && e.code === 'timeout' && /did not answer signon within 300 ms/.test(e.message));
  assert.ok(Date.now() - t0 < 3000);
});

test('our cl_status answers all recorded commands as the real cl_status did against the real daemon', async (t) => {
  const h = await start(t);
  const recorded = JSON.parse(fs.readFileSync(path.join(fixturesDir, 'api', 'cl-status-real.json'), 'utf8')) as ClStatusAnswer[];
  assert.ok(recorded.length >= 60, `${recorded.length} recorded answers`);
  for (const r of recorded) {
    const ours = await runOurClStatus(r.argv, h.socketPath);
    assert.deepEqual(ours, r, `cl_status ${r.argv.join(' ')}`);
  }
  // Without a daemon: the same words as the real one (run by hand: "Heartbeat is stopped on this machine.").
  const gone = path.join(path.dirname(h.socketPath), 'gone');
  assert.deepEqual(await runOurClStatus(['hbstatus', '-v'], gone), {
    argv: ['hbstatus', '-v'],
    exitCode: 1,
    stdout: "Heartbeat is stopped on this machine.\n(hb_api_signon: Can't initiate connection to heartbeat)\n",
    stderr: '',
  });
  assert.deepEqual(await runOurClStatus(['nodestatus', 'alpha'], gone), {
    argv: ['nodestatus', 'alpha'],
    exitCode: 1,
    stdout: '',
    stderr: "cl_status: [PID]: ERROR: Cannot signon with heartbeat\ncl_status: [PID]: ERROR: REASON: hb_api_signon: Can't initiate connection to heartbeat\n",
  });
});

test('our cl_status: a daemon that refuses the signon is "apparently running"', async (t) => {
  const h = await start(t, RECORDED_SITUATION, () => 'incorrect/false credentials');
  assert.deepEqual(await runOurClStatus(['hbstatus', '-v'], h.socketPath), {
    argv: ['hbstatus', '-v'],
    exitCode: 0,
    stdout: 'Heartbeat is apparently running on this machine, but refuses my connection\n(incorrect/false credentials)\n',
    stderr: '',
  });
});

const NOW = 1_764_072_000_000;
const EXTENDED: ApiExtendedStatus = {
  version: '0.1.0',
  localNode: 'alpha',
  localStatus: 'active',
  generation: 1764071000,
  nowMs: NOW,
  startedMs: NOW - 125_000,
  nodes: [
    { name: '198.51.100.1', type: 'ping', status: 'ping', generation: 0, lastHeardMs: NOW - 400, links: [{ name: '198.51.100.1', status: 'up', lastHeardMs: NOW - 400 }] },
    { name: 'alpha', type: 'normal', status: 'active', generation: 1764071000, lastHeardMs: null, links: [{ name: 'eth0', status: 'up', lastHeardMs: null }] },
    { name: 'bravo', type: 'normal', status: 'dead', generation: 1764060000, lastHeardMs: NOW - 182_000, links: [{ name: 'eth0', status: 'dead', lastHeardMs: NOW - 183_000 }] },
  ],
  resources: { state: 'all', groups: [{ line: 'alpha 198.51.100.50 apache', home: 'alpha', holder: 'alpha' }, { line: 'bravo 198.51.100.51', home: 'bravo', holder: 'alpha' }] },
  config: { keepalive: '200ms', deadtime: '1', auto_failback: 'on', node: 'alpha bravo', media: 'bcast eth0, ping 198.51.100.1' },
};

test('hbctl status: the screen and --json from heartbeat-ts, the standard answers from the real Heartbeat, exit 3 when not running', async (t) => {
  const ours = await start(t, { ...RECORDED_SITUATION, signon: { ...RECORDED_SITUATION.signon, hbversion: '3.0.6 (heartbeat-ts 0.1.0)' }, extended: EXTENDED });
  let out = '';
  let err = '';
  const io = { out: (s: string) => void (out += s), err: (s: string) => void (err += s) };
  assert.equal(await runStatus(['--socket', ours.socketPath], io), 0, err);
  assert.equal(
    out,
    [
      'alpha: active — heartbeat-ts (3.0.6 (heartbeat-ts 0.1.0)), generation 1764071000, up 2m 05s',
      '',
      'Resources: this node holds all',
      '  GROUP                       HOME   HELD BY',
      '  alpha 198.51.100.50 apache  alpha  alpha',
      '  bravo 198.51.100.51         bravo  alpha',
      '',
      'Nodes:',
      '  NODE          TYPE    STATUS  LAST HEARD',
      '  198.51.100.1  ping    ping    0.4 s ago',
      '  alpha         normal  active  this node',
      '  bravo         normal  dead    3m 02s ago',
      '',
      'Links:',
      '  NODE          LINK          STATUS  LAST HEARD',
      '  198.51.100.1  198.51.100.1  up      0.4 s ago',
      '  alpha         eth0          up      this node',
      '  bravo         eth0          dead    3m 03s ago',
      '',
      'Config:',
      '  keepalive      200ms',
      '  deadtime       1',
      '  auto_failback  on',
      '  node           alpha bravo',
      '  media          bcast eth0, ping 198.51.100.1',
      '',
    ].join('\n'),
  );
  out = '';
  assert.equal(await runStatus(['--json', `--socket=${ours.socketPath}`], io), 0);
  const j = JSON.parse(out) as { daemon: string; generation: number; nodes: { name: string; lastHeardMs: number | null }[] };
  assert.equal(j.daemon, 'heartbeat-ts');
  assert.equal(j.generation, 1764071000);
  assert.equal(j.nodes.find((n) => n.name === 'bravo')?.lastHeardMs, NOW - 182_000);

  // The real Heartbeat (no hbts-status): what its API gives, and what is missing said once.
  const real = await start(t);
  const hb = await HeartbeatClient.connect({ socketPath: real.socketPath });
  const report = await collect(hb, () => NOW);
  await hb.signoff();
  assert.equal(report.daemon, 'heartbeat');
  assert.equal(report.generation, null);
  assert.deepEqual(report.resources, { state: 'all', groups: null });
  assert.equal(report.config['deadtime'], '1');
  assert.deepEqual(report.nodes.map((n) => `${n.name} ${n.status} ${n.links.map((l) => `${l.name}:${l.status}`).join(',')}`), ['198.51.100.1 ping 198.51.100.1:up', 'alpha active eth0:up', 'bravo dead eth0:dead']);
  const screen = renderStatus(report);
  assert.match(screen, /^alpha: active — Heartbeat 3\.0\.6 \(node: [0-9a-f]+\)\n {2}\(the real Heartbeat: last-heard times, generation and group holders are not available\)\n/);
  assert.match(screen, /\n {2}bravo {9}normal {2}dead {4}-\n/);

  out = '';
  err = '';
  const gone = path.join(path.dirname(real.socketPath), 'gone');
  assert.equal(await runStatus(['--socket', gone], io), 3);
  assert.equal(out, '');
  assert.equal(err, `hbctl status: cannot connect to heartbeat at ${gone}: is it running? (ENOENT)\n`);
  assert.equal(await runStatus(['--bogus'], io), 2);
});

test('formatAge', () => {
  assert.deepEqual([0, 400, 9_949, 10_000, 119_999, 120_000, 7_199_000, 7_200_000, 172_800_000].map(formatAge), ['0.0 s', '0.4 s', '9.9 s', '10 s', '119 s', '2m 00s', '119m 59s', '2h 00m', '2d 0h']);
});

test('the daemon view answers hbts-status: last-heard times on the wall clock, holders from rsc_hold and the peer', () => {
  const r = checkConfig(
    {
      haCf: { path: 'ha.cf', text: 'keepalive 200ms\ndeadtime 1\ninitdead 2\nbcast eth0\nauto_failback on\nnode alpha bravo\nping 198.51.100.1\n' },
      haresources: { path: 'haresources', text: 'alpha 198.51.100.50 apache\nbravo 198.51.100.51\n' },
      authkeys: { path: 'authkeys', text: 'auth 1\n1 sha1 k\n', mode: 0o600 },
    },
    'alpha',
    fakeHost({ interfaces: ['lo', 'eth0'], users: ['root', 'hacluster'], groups: ['root', 'haclient'] }),
  );
  assert.ok(r.config !== undefined, r.diagnostics.map((d) => d.message).join('\n'));
  let bravo: NodeView = { name: 'bravo', type: 'normal', status: 'active', generation: 7, uuid: undefined, links: new Map([['eth0', 'up']]) };
  let rsc = 'local';
  let peerHolds: string | undefined = 'foreign'; // in our terms: bravo holds its own home group
  const view = daemonApiView({
    config: r.config,
    nodes: () => [
      { name: 'alpha', type: 'normal', status: 'active', generation: 42, uuid: undefined, links: new Map() },
      bravo,
      { name: '198.51.100.1', type: 'ping', status: 'ping', generation: 0, uuid: undefined, links: new Map([['198.51.100.1', 'up']]) },
    ],
    openMedia: () => new Set(['eth0']),
    resourceState: () => rsc,
    extended: {
      monoMs: () => 50_000,
      wallMs: () => NOW,
      startedWallMs: NOW - 60_000,
      lastHeard: () =>
        new Map([
          ['bravo', { statusMs: 49_800, links: new Map([['eth0', 49_700]]) }],
          ['198.51.100.1', { statusMs: undefined, links: new Map() }],
        ]),
      peerHolds: () => peerHolds,
    },
  });
  assert.ok(view.extendedStatus !== undefined);
  const x = view.extendedStatus();
  assert.equal(x.generation, 42);
  assert.equal(x.localStatus, 'active');
  assert.equal(x.nowMs, NOW);
  const b = x.nodes.find((n) => n.name === 'bravo');
  assert.equal(b?.lastHeardMs, NOW - 200);
  assert.deepEqual(b?.links, [{ name: 'eth0', status: 'up', lastHeardMs: NOW - 300 }]);
  assert.equal(b?.generation, 7);
  assert.equal(x.nodes.find((n) => n.name === '198.51.100.1')?.lastHeardMs, null);
  assert.equal(x.nodes.find((n) => n.name === 'alpha')?.lastHeardMs, null);
  const holders = (): (string | null)[] => view.extendedStatus?.().resources?.groups.map((g) => g.holder) ?? [];
  assert.deepEqual(x.resources?.groups.map((g) => `${g.line} @${g.home}`), ['alpha 198.51.100.50 apache @alpha', 'bravo 198.51.100.51 @bravo']);
  assert.deepEqual(holders(), ['alpha', 'bravo']);
  rsc = 'all';
  assert.deepEqual(holders(), ['alpha', 'alpha']);
  rsc = 'transition';
  assert.deepEqual(holders(), ['unknown', 'unknown']);
  rsc = 'none';
  peerHolds = 'all';
  assert.deepEqual(holders(), ['bravo', 'bravo']);
  bravo = { ...bravo, status: 'dead' };
  assert.deepEqual(holders(), [null, null]);
  assert.equal(x.config['deadtime'], '1');
  assert.equal(x.config['keepalive'], '200ms');
  assert.equal(x.config['node'], 'alpha bravo');
  assert.equal(x.config['media'], 'bcast eth0, ping 198.51.100.1');
  // Without the extended sources the view does not offer it: the request is refused as by Heartbeat 3.0.6.
  assert.equal(daemonApiView({ config: r.config, nodes: () => [], openMedia: () => new Set(), resourceState: () => undefined }).extendedStatus, undefined);
});
