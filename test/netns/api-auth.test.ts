// apiauth and SO_PEERCRED enforced by a real `heartbeat -f`; hostile clients dropped while it keeps answering and beating.
//
//   [alpha] heartbeat-ts (ha.cf: bcast eth0, `apiauth hbtsprobe uid=hacluster`, bravo declared, never started)
//   [bravo] a UDP listener on port 694 only: records when each of alpha's heartbeats arrives
//
// Once alpha has declared bravo dead and opened /run/heartbeat/register (comm-up), clients run inside alpha:
// the real /usr/bin/cl_status, and a probe (an inline Node script using our framing) that can lie, flood or
// send junk. Users: root; nobody with haclient as a supplementary group only (it can reach the 0750
// hacluster:haclient socket directory, but its egid is nogroup); hacluster.
//   allowed  cl_status as root; cl_status as nobody+haclient (cl_status is setgid haclient: egid counts);
//            the probe as hacluster signing on as "hbtsprobe" (the ha.cf rule)
//   refused  the probe as nobody+haclient, casual ("client failed authorization", anon = uid root gid haclient);
//            as nobody+haclient named "hbtsprobe" (rule: uid=hacluster); as nobody+haclient named "ipfail"
//            (default rule: uid=hacluster); as root claiming hacluster's uid/gid ("incorrect/false
//            credentials"); as root claiming pid 1 ("pid mismatch") — each with its reply and its log line
//   dropped  20,000 requests without reading a reply; 1,000 messages before signon; a bad magic, an
//            oversized length, a body that is not a message — one log line each
//   served   20,000 requests pipelined by a client that reads its replies: every one answered
// Then cl_status still answers, as root and as nobody+haclient, and bravo saw no gap in alpha's heartbeats
// as long as deadtime (1 s) during all of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createLab, type Lab } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { writePairConfig } from '../helpers/pair-config.js';
import { REAL_CL_STATUS, readLog, tail, waitForLog } from '../helpers/real-heartbeat.js';
import { distDir } from '../helpers/paths.js';
import { parseIdFile } from '../../src/daemon/api/api-auth.js';

const SOCKET = '/var/run/heartbeat/register';
const DEADTIME_MS = 1000;

/** The probe client, run with `node --input-type=module -e PROBE MODE JSON`; prints one JSON line. */
const PROBE = `
import net from 'node:net';
const { encodeApiFrame, encodeApiMessage, ApiFrameSplitter, decodeApiBody } = await import(${JSON.stringify(pathToFileURL(path.join(distDir, 'src/api/framing.js')).href)});
const { makeMessage, getString } = await import(${JSON.stringify(pathToFileURL(path.join(distDir, 'src/wire/message.js')).href)});
const mode = process.argv[1];
const o = JSON.parse(process.argv[2] ?? '{}');
const me = String(process.pid);
const id = o.id ?? String(o.pid ?? me);
const signon = makeMessage([['t', 'hbapi-req'], ['reqtype', 'signon'], ['dest', 'alpha'], ['pid', String(o.pid ?? me)], ['from_id', id],
  ['uid', String(o.uid ?? process.geteuid())], ['gid', String(o.gid ?? process.getegid())]]);
const request = encodeApiMessage(makeMessage([['t', 'hbapi-req'], ['reqtype', 'nodelist'], ['dest', 'alpha'], ['pid', me], ['from_id', id]]));
const out = { mode, replies: 0, ok: 0, sent: 0, closed: false };
const s = net.connect(${JSON.stringify(SOCKET)});
const splitter = new ApiFrameSplitter();
let first;
const finish = () => { process.stdout.write(JSON.stringify(out) + '\\n'); process.exit(0); };
setTimeout(() => { out.timedOut = true; finish(); }, o.limitMs ?? 20000);
s.on('error', (e) => { out.error = e.code; });
s.on('close', () => { out.closed = true; finish(); });
s.on('data', (b) => {
  const r = splitter.push(b);
  if (!r.ok) return;
  for (const body of r.value) {
    const m = decodeApiBody(body);
    if (!m.ok) continue;
    if (getString(m.value, 't') !== 'hbapi-resp') continue; // e.g. our own hbapi-clstat join, looped back
    out.replies++;
    if (getString(m.value, 'result') === 'OK') out.ok++;
    if (first === undefined) {
      first = m.value;
      out.result = getString(m.value, 'result');
      out.info = getString(m.value, 'info');
      onSignon();
    }
    if (mode === 'flood-read' && out.ok === o.n + 1) s.end();
  }
});
function writeAll(frame, n) {
  const batch = Buffer.concat(Array.from({ length: 500 }, () => frame));
  const more = () => {
    while (out.sent < n && !s.destroyed) {
      out.sent += 500;
      if (!s.write(batch)) { s.once('drain', more); return; }
    }
  };
  more();
}
let onSignon = () => s.end();
s.on('connect', () => {
  if (mode === 'signon') s.write(encodeApiMessage(signon));
  else if (mode === 'flood') {
    onSignon = () => { s.pause(); writeAll(request, o.n); };
    s.write(encodeApiMessage(signon));
  } else if (mode === 'flood-read') {
    onSignon = () => writeAll(request, o.n);
    s.write(encodeApiMessage(signon));
  } else if (mode === 'before-signon') writeAll(request, o.n);
  else if (mode === 'bad-magic') s.write(Buffer.from([16, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde, ...Buffer.alloc(16)]));
  else if (mode === 'too-long') { const h = Buffer.alloc(8); h.writeInt32LE(10_000_000, 0); h.writeUInt32LE(0xabcd, 4); s.write(h); }
  else if (mode === 'not-a-message') s.write(encodeApiFrame(Buffer.from('this is not a message\\0')));
});
`;

interface ProbeResult {
  readonly mode: string;
  readonly result?: string;
  readonly info?: string;
  readonly replies: number;
  readonly ok: number;
  readonly sent: number;
  readonly closed: boolean;
  readonly timedOut?: boolean;
  readonly error?: string;
}

interface Ids {
  readonly nobody: number;
  readonly nogroup: number;
  readonly hacluster: number;
  readonly haclient: number;
}

/** setpriv prefix: nobody with haclient as a supplementary group only, or hacluster:haclient. */
function as(who: 'root' | 'nobody+haclient' | 'hacluster', ids: Ids): string[] {
  if (who === 'root') return [];
  if (who === 'hacluster') return ['setpriv', `--reuid=${ids.hacluster}`, `--regid=${ids.haclient}`, '--clear-groups'];
  return ['setpriv', `--reuid=${ids.nobody}`, `--regid=${ids.nogroup}`, `--groups=${ids.haclient}`];
}

async function probe(lab: Lab, who: 'root' | 'nobody+haclient' | 'hacluster', ids: Ids, mode: string, o: Record<string, unknown> = {}): Promise<ProbeResult> {
  const r = await lab.exec('alpha', [...as(who, ids), process.execPath, '--input-type=module', '-e', PROBE, mode, JSON.stringify(o)], { timeoutMs: 30_000 });
  const line = r.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as ProbeResult;
  } catch {
    throw new Error(`probe ${mode} as ${who}: exit ${r.exitCode}, stdout ${JSON.stringify(r.stdout)}, stderr ${r.stderr.slice(-2000)}`);
  }
}

async function clStatus(lab: Lab, who: 'root' | 'nobody+haclient', ids: Ids, args: readonly string[]): Promise<{ out: string; ms: number }> {
  const r = await lab.exec('alpha', [...as(who, ids), REAL_CL_STATUS, ...args], { timeoutMs: 15_000 });
  return { out: `${r.stdout.trim()}${r.exitCode === 0 ? '' : ` (exit ${r.exitCode}) ${r.stderr.trim()}`}`, ms: r.durationMs };
}

/** bravo: prints the arrival time (ms) of each of alpha's heartbeat packets; exits by itself after `lifeMs`. */
const LISTENER = `
const d = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: true });
d.on('message', (m) => { if (m.includes('src=alpha')) process.stdout.write(Date.now() + '\\n'); });
d.bind(694, () => process.stdout.write('listening\\n'));
setTimeout(() => process.exit(0), Number(process.argv[1]));
`;

function maxGap(stamps: readonly number[], fromMs: number, toMs: number): number {
  const inside = stamps.filter((x) => x >= fromMs && x <= toMs);
  let gap = 0;
  let last = fromMs;
  for (const x of [...inside, toMs]) {
    gap = Math.max(gap, x - last);
    last = x;
  }
  return gap;
}

test('apiauth and peer credentials on a real heartbeat-ts: allowed, refused, dropped; cl_status and heartbeats unharmed', async (t) => {
  if (!requireRootAndCommands(t, ['setpriv'])) return;
  const users = parseIdFile(fs.readFileSync('/etc/passwd', 'latin1'));
  const groups = parseIdFile(fs.readFileSync('/etc/group', 'latin1'));
  const need = { nobody: users.get('nobody'), nogroup: groups.get('nogroup'), hacluster: users.get('hacluster'), haclient: groups.get('haclient') };
  const missing = Object.entries(need).filter(([, v]) => v === undefined).map(([k]) => k);
  if (missing.length > 0 || !fs.existsSync(REAL_CL_STATUS)) {
    const why = `needs ${[...missing, ...(fs.existsSync(REAL_CL_STATUS) ? [] : [REAL_CL_STATUS])].join(', ')}`;
    if (process.env['CI'] === 'true') throw new Error(`${why} (CI=true)`);
    t.skip(why);
    return;
  }
  const ids = need as Ids;
  const t0 = Date.now();
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo', isolated: false, seedFromHost: false }], label: 'apiauth' });
  writePairConfig(lab, 'alpha', { media: ['bcast eth0', 'apiauth hbtsprobe uid=hacluster'] });
  const listener = lab.start('bravo', [process.execPath, '-e', LISTENER, '120000']);
  await listener.waitForOutput(/listening/, 10_000);
  await startOurHeartbeat(lab, 'alpha');
  await waitForLog(lab, 'alpha', (l) => l.includes(`API socket ${SOCKET} open`), 'the API socket (comm-up)', 15_000);
  const hostileFrom = Date.now();
  const say = (text: string): void => void process.stdout.write(`# ${text}\n`);

  // Allowed.
  const rootStatus = await clStatus(lab, 'root', ids, ['hbstatus']);
  assert.equal(rootStatus.out, 'Heartbeat is running on this machine.');
  assert.equal((await clStatus(lab, 'nobody+haclient', ids, ['hbstatus'])).out, 'Heartbeat is running on this machine.', 'setgid cl_status: egid haclient');
  assert.deepEqual(pick(await probe(lab, 'hacluster', ids, 'signon', { id: 'hbtsprobe' })), { result: 'OK', info: undefined });

  // Refused, each with Heartbeat's reason in the reply and a line in the log.
  const refusals: [string, Promise<ProbeResult>, string, RegExp][] = [
    ['nobody+haclient, casual', probe(lab, 'nobody+haclient', ids, 'signon'), 'client failed authorization', new RegExp(`apiauth: client \\[\\d+\\] \\(uid ${ids.nobody} gid ${ids.nogroup}\\) refused: rule anon allows uid=root\\(0\\) gid=haclient\\(${ids.haclient}\\)`)],
    ['nobody+haclient as hbtsprobe', probe(lab, 'nobody+haclient', ids, 'signon', { id: 'hbtsprobe' }), 'client failed authorization', /Client \[hbtsprobe\] pid \d+ failed authorization \[client failed authorization\]/],
    ['nobody+haclient as ipfail', probe(lab, 'nobody+haclient', ids, 'signon', { id: 'ipfail' }), 'client failed authorization', new RegExp(`refused: rule ipfail allows uid=hacluster\\(${ids.hacluster}\\)`)],
    ['root claiming hacluster', probe(lab, 'root', ids, 'signon', { uid: ids.hacluster, gid: ids.haclient }), 'incorrect/false credentials', new RegExp(`claims uid ${ids.hacluster} gid ${ids.haclient}, socket says uid 0 gid 0`)],
    ['root claiming pid 1', probe(lab, 'root', ids, 'signon', { pid: 1 }), 'pid mismatch', /PID mismatch: 1 vs farside_pid: \d+/],
  ];
  for (const [what, p, reason, line] of refusals) {
    const r = await p;
    assert.deepEqual(pick(r), { result: 'badreq', info: reason }, what);
    assert.ok(r.closed, `${what}: connection closed`);
    // The reply can reach the client before the log stream has written the line: wait for it (bounded).
    await waitForLog(lab, 'alpha', (l) => line.test(l), `${what}: its log line`, 5000);
  }

  // Dropped: hostile traffic, one log line each.
  const flood = await probe(lab, 'root', ids, 'flood', { n: 20_000 });
  assert.equal(flood.result, 'OK');
  assert.ok(flood.closed && flood.timedOut !== true, `flood: disconnected (${JSON.stringify(flood)})`);
  // As above, the disconnection can reach the client before the log stream has written its line (seen once on a
  // loaded machine: the line was not in the file yet when the probe returned).
  await waitForLog(lab, 'alpha', (l) => /api: client \d+ \(pid \d+\): \d+ bytes of replies unread for 5 s; disconnecting/.test(l), 'flood: its log line', 5000);
  const early = await probe(lab, 'root', ids, 'before-signon', { n: 1000 });
  assert.ok(early.closed && early.replies === 0, `messages before signon: disconnected (${JSON.stringify(early)})`);
  await waitForLog(lab, 'alpha', (l) => /api: connection \d+: more than 20 bad messages within 10 s; disconnecting/.test(l), 'messages before signon: its log line', 5000);
  assert.ok(count(readLog(lab, 'alpha'), /api_process_registration_msg: bad message/) <= 21, 'the log is not flooded');
  for (const [mode, line] of [['bad-magic', /bad-magic/], ['too-long', /bad-length/], ['not-a-message', /malformed message/]] as const) {
    const r = await probe(lab, 'root', ids, mode);
    assert.ok(r.closed && r.timedOut !== true, `${mode}: disconnected`);
    await waitForLog(lab, 'alpha', (l) => line.test(l), `${mode}: its log line`, 5000);
  }

  // Served: a heavy client that reads its replies is not harmed either.
  const started = Date.now();
  const busy = await probe(lab, 'root', ids, 'flood-read', { n: 20_000 });
  assert.equal(busy.ok, 20_001, `every request answered (${JSON.stringify(busy)})`);
  say(`20,000 pipelined nodelist requests answered in ${Date.now() - started} ms (incl. node start-up)`);

  // Unharmed.
  assert.equal((await clStatus(lab, 'root', ids, ['hbstatus'])).out, 'Heartbeat is running on this machine.');
  const nodes = (await clStatus(lab, 'nobody+haclient', ids, ['listnodes'])).out;
  assert.deepEqual(nodes.split('\n').sort(), ['alpha', 'bravo'], `listnodes as nobody+haclient: ${nodes}`);
  const times: number[] = [];
  for (let i = 0; i < 5; i++) times.push((await clStatus(lab, 'root', ids, ['hbstatus'])).ms);
  times.sort((a, b) => a - b);
  const hostileTo = Date.now();
  const stamps = listener.stdout.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
  const gap = maxGap(stamps, hostileFrom, hostileTo);
  say(`cl_status hbstatus as root: median ${times[2]} ms of 5 (process start included); alpha's heartbeats at bravo during ${hostileTo - hostileFrom} ms of clients: ${stamps.filter((x) => x >= hostileFrom).length}, largest gap ${gap} ms; test ${Date.now() - t0} ms`);
  assert.ok(gap < DEADTIME_MS, `a gap of ${gap} ms in alpha's heartbeats (deadtime ${DEADTIME_MS} ms):\n${tail(readLog(lab, 'alpha'), 30)}`);
  assert.doesNotMatch(readLog(lab, 'alpha'), /internal error/);
});

function pick(r: ProbeResult): { result: string | undefined; info: string | undefined } {
  return { result: r.result, info: r.info };
}

function count(text: string, re: RegExp): number {
  return text.split('\n').filter((l) => re.test(l)).length;
}
