// The real /usr/bin/cl_status against our API server gives what it gives against the real Heartbeat 3.0.6.
//
// One isolated lab node, alpha (eth0 198.51.100.11/24), the bridge 198.51.100.1 as a ping node, and bravo
// declared in ha.cf but never started. Phase 1 runs the real daemon there until bravo is dead and the
// resources settled (`rscstatus` = all), and runs every cl_status command below. Phase 2 kills it (by PID)
// and starts our server (test/helpers/api-server-main.ts) on the same /run/heartbeat/register, fed
// RECORDED_SITUATION (alpha active, bravo dead, ping node up, same parameters), and runs the same commands:
// stdout, stderr (timestamps and pids masked) and exit status must be equal, command by command. Both are
// also compared with the answers recorded in test/fixtures/api/cl-status-real.json. Phase 3 stops our server
// and runs heartbeat-ts itself (`heartbeat -f`) with the same files: the same answers again, but for the
// version string.
//
// Our cl_status (src/cli/cl-status.ts) runs the same commands in every phase and must print what the real one
// printed against the real daemon: in-process (runClStatus, through /proc/<anchor>/root to the node's socket, so
// 3 × 63 commands cost no Node start-ups), plus the binary itself inside the node for a few commands covering
// each exit status. `hbctl status` runs against the real daemon (standard answers only) and against ours
// (last-heard times, generation), and says "not running" (exit 3) once ours has stopped.
//
// HBTS_RECORD_API=1 rewrites that file and the byte captures under test/fixtures/api/real/ (strace of cl_status).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLab, killPid, type Lab } from '../helpers/netns.js';
import { waitForReaped } from '../helpers/vip.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { REAL_CL_STATUS, readLog, startRealHeartbeat, waitForLog, writeRealConfig } from '../helpers/real-heartbeat.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { RECORDED_SITUATION } from '../helpers/api-fake-view.js';
import { distDir, fixturesDir } from '../helpers/paths.js';
import { socketStreamsFromStrace } from '../helpers/strace-streams.js';
import { runOurClStatus } from '../helpers/our-cl-status.js';
import { runStatus, type StatusReport } from '../../src/cli/hbctl-status.js';

const RECORD = process.env['HBTS_RECORD_API'] === '1';
const FIXTURE = path.join(fixturesDir, 'api', 'cl-status-real.json');
const CAPTURE_DIR = path.join(fixturesDir, 'api', 'real');
const PING = '198.51.100.1';

/** Every subcommand the API slice covers, with the options and error paths that reach the server. */
export const CL_STATUS_COMMANDS: readonly (readonly string[])[] = [
  ['hbstatus'], ['hbstatus', '-v'], ['hbstatus', '-m', '-v'],
  ['listnodes'], ['listnodes', '-p'], ['listnodes', '-n'], ['listnodes', '-v'], ['listnodes', '-m'], ['listnodes', '-p', '-n'],
  ['nodestatus', 'alpha'], ['nodestatus', 'bravo'], ['nodestatus', PING], ['nodestatus', 'nosuch'], ['nodestatus', '-m', 'alpha'], ['nodestatus', 'ALPHA'],
  ['nodetype', 'alpha'], ['nodetype', PING], ['nodetype', 'nosuch'], ['nodetype', '-m', 'bravo'],
  ['numnodes'], ['nodeweight', 'alpha'], ['nodesite', 'alpha'],
  ['listhblinks', 'alpha'], ['listhblinks', '-v', 'alpha'], ['listhblinks', '-v', 'bravo'], ['listhblinks', PING], ['listhblinks', '-v', PING], ['listhblinks', 'nosuch'], ['listhblinks', '-m', 'alpha'],
  ['hblinkstatus', 'alpha', 'eth0'], ['hblinkstatus', 'bravo', 'eth0'], ['hblinkstatus', PING, PING], ['hblinkstatus', 'alpha', 'nosuch'], ['hblinkstatus', 'nosuch', 'eth0'], ['hblinkstatus', '-m', 'alpha', 'eth0'],
  ['clientstatus', 'alpha', 'ipfail'], ['clientstatus', 'bravo', 'ipfail'], ['clientstatus', PING, 'ipfail'], ['clientstatus', 'nosuch', 'ipfail'],
  ['rscstatus'], ['rscstatus', '-m'],
  ...['deadtime', 'keepalive', 'warntime', 'initdead', 'deadping', 'pacemaker', 'crm', 'hbversion', 'auto_failback', 'udpport', 'logfacility', 'debug', 'cluster', 'msgfmt', 'hopfudge', 'baud', 'nosuch', 'node', 'stonith'].map((p) => ['hbparameter', '-p', p]),
  ['hbparameter', '-m', '-p', 'deadtime'], ['hbparameter'],
  ['test'],
];

/** Commands whose client↔server bytes are kept as fixtures for the codec's unit tests. */
const CAPTURED: readonly (readonly string[])[] = [
  ['listnodes'], ['hbstatus'], ['nodestatus', 'nosuch'], ['nodetype', PING], ['listhblinks', 'alpha'], ['listhblinks', PING], ['listhblinks', 'nosuch'],
  ['hblinkstatus', 'bravo', 'eth0'], ['hblinkstatus', 'alpha', 'nosuch'], ['clientstatus', 'alpha', 'ipfail'], ['clientstatus', 'nosuch', 'ipfail'], ['rscstatus'],
  ['hbparameter', '-p', 'deadtime'], ['hbparameter', '-p', 'nosuch'], ['nodeweight', 'alpha'], ['nodesite', 'alpha'],
];

export interface Answer {
  readonly argv: readonly string[];
  readonly exitCode: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** cl_log's prefix carries a timestamp, the host and a pid: "Nov 25 09:17:55 alpha cl_status: [7671]: ERROR: …". */
export function maskVolatile(text: string): string {
  return text.replace(/^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \S+ cl_status: \[\d+\]: /gm, 'cl_status: [PID]: ');
}

async function ask(lab: Lab): Promise<Answer[]> {
  const out: Answer[] = [];
  for (const argv of CL_STATUS_COMMANDS) {
    const r = await lab.exec('alpha', [REAL_CL_STATUS, ...argv], { timeoutMs: 10_000 });
    out.push({ argv, exitCode: r.exitCode, stdout: r.stdout, stderr: maskVolatile(r.stderr) });
  }
  return out;
}

/** Time spent on our cl_status and hbctl status (reported as a test diagnostic). */
let oursMs = 0;
async function timed<T>(f: () => Promise<T>): Promise<T> {
  const t0 = performance.now();
  try {
    return await f();
  } finally {
    oursMs += performance.now() - t0;
  }
}

/** Our cl_status, in-process, on the node's API socket. */
async function askOurs(lab: Lab): Promise<Answer[]> {
  const socket = `/proc/${lab.node('alpha').anchorPid}/root/run/heartbeat/register`;
  const out: Answer[] = [];
  for (const argv of CL_STATUS_COMMANDS) out.push(await runOurClStatus(argv, socket));
  return out;
}

/** Our cl_status binary inside the node: one command per exit status it gives here (0, 1, 11, 13). */
const BINARY_RUNS: readonly (readonly string[])[] = [['hbstatus', '-v'], ['nodestatus', 'bravo'], ['nodetype', 'nosuch'], ['numnodes'], ['listhblinks', 'nosuch'], ['hbparameter', '-p', 'nosuch']];

async function askOurBinary(lab: Lab): Promise<Answer[]> {
  const out: Answer[] = [];
  for (const argv of BINARY_RUNS) {
    const r = await lab.exec('alpha', [process.execPath, path.join(distDir, 'src', 'cli', 'cl-status.js'), ...argv], { timeoutMs: 10_000 });
    out.push({ argv, exitCode: r.exitCode, stdout: r.stdout, stderr: maskVolatile(r.stderr) });
  }
  return out;
}

function pick(answers: readonly Answer[], which: readonly (readonly string[])[]): Answer[] {
  return which.map((argv) => {
    const a = answers.find((x) => x.argv.join(' ') === argv.join(' '));
    assert.ok(a !== undefined, `no answer for ${argv.join(' ')}`);
    return a;
  });
}

/** `hbctl status --json` in-process against the node's socket. */
async function hbctlStatus(lab: Lab): Promise<{ code: number; report: StatusReport | undefined; err: string }> {
  let out = '';
  let err = '';
  const code = await runStatus(['--json', '--socket', `/proc/${lab.node('alpha').anchorPid}/root/run/heartbeat/register`], { out: (s) => void (out += s), err: (s) => void (err += s) });
  return { code, report: code === 0 ? (JSON.parse(out) as StatusReport) : undefined, err };
}

function captureName(argv: readonly string[]): string {
  return argv.join('_').replace(/[^A-Za-z0-9._-]/g, '');
}

async function capture(lab: Lab): Promise<void> {
  fs.mkdirSync(CAPTURE_DIR, { recursive: true });
  for (const argv of CAPTURED) {
    const inNode = `/var/log/strace-${captureName(argv)}.txt`;
    await lab.exec('alpha', ['strace', '-f', '-xx', '-s', '65536', '-e', 'trace=connect,read,write,sendto,recvfrom,sendmsg,recvmsg', '-o', inNode, REAL_CL_STATUS, ...argv], { timeoutMs: 10_000 });
    const s = socketStreamsFromStrace(fs.readFileSync(path.join(lab.node('alpha').logDir, path.basename(inNode)), 'latin1'), '/heartbeat/register');
    fs.writeFileSync(path.join(CAPTURE_DIR, `${captureName(argv)}.c2s.bin`), s.sent);
    fs.writeFileSync(path.join(CAPTURE_DIR, `${captureName(argv)}.s2c.bin`), s.received);
  }
}

function assertSame(ours: readonly Answer[], theirs: readonly Answer[], label: string, context = ''): void {
  assert.equal(ours.length, theirs.length);
  ours.forEach((a, i) => {
    const b = theirs[i];
    assert.ok(b !== undefined);
    const what = `cl_status ${a.argv.join(' ')} (${label})${context}`;
    assert.deepEqual(b.argv, a.argv, what);
    assert.equal(a.stdout, b.stdout, `${what}: stdout`);
    assert.equal(a.stderr, b.stderr, `${what}: stderr`);
    assert.equal(a.exitCode, b.exitCode, `${what}: exit status`);
  });
}

test('real cl_status: our API server answers every subcommand as Heartbeat 3.0.6 does', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter', REAL_CL_STATUS, ...(RECORD ? ['strace'] : [])])) return;
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }], label: 'apicl' });
  writeRealConfig(lab, 'alpha', { nodes: ['alpha', 'bravo'], method: 'sha1', key: 'Api-Key_1', extra: [`ping ${PING}`] });

  // Phase 1: the real daemon.
  await startRealHeartbeat(lab, 'alpha', 20_000);
  await waitForLog(lab, 'alpha', (l) => l.includes('node bravo: is dead') && l.includes('Initial resource acquisition complete'), 'bravo dead, resources acquired', 15_000);
  // The resource state reads "transition" until the 10 s wait for the peer's `resource` message ends (§7.5).
  const settleBy = Date.now() + 20_000;
  for (;;) {
    const r = await lab.exec('alpha', [REAL_CL_STATUS, 'rscstatus'], { timeoutMs: 10_000 });
    if (r.stdout.trim() === 'all') break;
    assert.ok(Date.now() < settleBy, `rscstatus stayed ${r.stdout.trim()}`);
    await new Promise((res) => setTimeout(res, 250));
  }
  const theirs = await ask(lab);
  if (RECORD) {
    await capture(lab);
    fs.writeFileSync(FIXTURE, `${JSON.stringify(theirs, null, 1)}\n`);
  }
  // Our cl_status against the real daemon: what the real cl_status printed, command by command.
  assertSame(await timed(() => askOurs(lab)), theirs, 'our cl_status vs the real one, real daemon');
  assertSame(await timed(() => askOurBinary(lab)), pick(theirs, BINARY_RUNS), 'our cl_status binary vs the real one, real daemon');
  // hbctl status against the real daemon: its standard answers (no hbts-status there).
  const onReal = await timed(() => hbctlStatus(lab));
  assert.equal(onReal.code, 0, onReal.err);
  assert.equal(onReal.report?.daemon, 'heartbeat');
  assert.equal(onReal.report?.generation, null);
  assert.deepEqual(onReal.report?.nodes.map((n) => `${n.name} ${n.status}`), [`${PING} ping`, 'alpha active', 'bravo dead']);
  assert.deepEqual(onReal.report?.resources, { state: 'all', groups: null });
  const anchor = lab.node('alpha').anchorPid;
  const pids = (await lab.pidsIn('alpha')).filter((p) => p !== anchor);
  for (const p of pids) killPid(p, 'SIGKILL');
  for (const p of pids) assert.ok(await waitForReaped(p, 10_000), `real heartbeat pid ${p} reaped`);

  // Phase 2: ours, on the same socket path (the stale socket file of the killed daemon is replaced).
  const server = lab.start('alpha', [process.execPath, path.join(distDir, 'test', 'helpers', 'api-server-main.js'), '/var/run/heartbeat/register', JSON.stringify(RECORDED_SITUATION)]);
  await server.waitForOutput(/^listening$/m, 10_000);
  const ours = await ask(lab);
  const oursWithOurs = await timed(() => askOurs(lab));
  await server.stop();
  const serverLog = `\n--- our server's log ---\n${server.stderr.slice(-4000)}`;

  assertSame(ours, theirs, 'ours vs the real daemon, live', serverLog);
  const recorded = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Answer[];
  assertSame(ours, recorded, 'ours vs the recorded answers', serverLog);
  assertSame(oursWithOurs, theirs, 'our cl_status on our server vs the real pair', serverLog);
  assert.doesNotMatch(server.stderr, /internal error/);

  // Phase 3: heartbeat-ts itself (`heartbeat -f`, same files), bravo dead, resources settled: the same answers,
  // but for the version string, which names heartbeat-ts.
  const daemon = await startOurHeartbeat(lab, 'alpha');
  await waitForLog(lab, 'alpha', (l) => l.includes('API socket /var/run/heartbeat/register open') && l.includes('node bravo: is dead'), 'our daemon: API open, bravo dead', 15_000);
  const settled = Date.now() + 10_000;
  for (;;) {
    const r = await lab.exec('alpha', [REAL_CL_STATUS, 'rscstatus'], { timeoutMs: 10_000 });
    if (r.stdout.trim() === 'all') break;
    assert.ok(Date.now() < settled, `our rscstatus stayed ${r.stdout.trim()}`);
    await new Promise((res) => setTimeout(res, 250));
  }
  const fromDaemon = await ask(lab);
  const oursFromDaemon = await timed(() => askOurs(lab));
  const onOurs = await timed(() => hbctlStatus(lab));
  await daemon.stop(10_000);
  const afterStop = await timed(() => hbctlStatus(lab));
  // The version (hbparameter -p hbversion, hbstatus -v) names each implementation; everything else is equal.
  const ourVersion = /3\.0\.6 \(heartbeat-ts [^)\n]+\)/;
  assert.match(fromDaemon.find((a) => a.argv.includes('hbversion'))?.stdout ?? '', new RegExp(`^${ourVersion.source}\n$`));
  const realVersion = /3\.0\.6 \(node: [0-9a-f]+\)/;
  const masked = (answers: readonly Answer[], v: RegExp): Answer[] => answers.map((a) => ({ ...a, stdout: a.stdout.replace(v, 'VERSION') }));
  const daemonLog = `\n--- our daemon's log ---\n${readLog(lab, 'alpha').slice(-4000)}`;
  assertSame(masked(fromDaemon, ourVersion), masked(theirs, realVersion), 'heartbeat-ts daemon vs the real daemon', daemonLog);
  assertSame(masked(oursFromDaemon, ourVersion), masked(theirs, realVersion), 'our cl_status on heartbeat-ts vs the real pair', daemonLog);

  // hbctl status on heartbeat-ts: what the API cannot say (generation, last-heard times), then exit 3 once stopped.
  assert.equal(onOurs.code, 0, onOurs.err);
  const r = onOurs.report;
  assert.ok(r !== undefined);
  assert.equal(r.daemon, 'heartbeat-ts');
  assert.equal(r.localStatus, 'active');
  assert.ok(typeof r.generation === 'number' && r.generation > 0, `generation ${String(r.generation)}`);
  assert.deepEqual(r.nodes.map((n) => `${n.name} ${n.status}`), [`${PING} ping`, 'alpha active', 'bravo dead']);
  const ping = r.nodes.find((n) => n.name === PING);
  assert.ok(ping?.lastHeardMs !== null && ping?.lastHeardMs !== undefined && r.nowMs - ping.lastHeardMs >= 0 && r.nowMs - ping.lastHeardMs < 5000, `ping node last heard ${String(ping?.lastHeardMs)} (now ${r.nowMs})`);
  assert.equal(r.nodes.find((n) => n.name === 'bravo')?.lastHeardMs, null, 'bravo was never heard');
  assert.equal(r.resources?.state, 'all');
  assert.equal(r.config['deadtime'], '1');
  assert.equal(afterStop.code, 3, afterStop.err);
  t.diagnostic(`our cl_status (3 × ${CL_STATUS_COMMANDS.length} in-process, ${BINARY_RUNS.length} binary runs) and hbctl status took ${Math.round(oursMs)} ms in all`);
  assert.match(afterStop.err, /^hbctl status: cannot connect to heartbeat at .*register: is it running\? \((ENOENT|ECONNREFUSED)\)\n$/);
});
