// 10,000 malformed API connections in 60 s against a real `heartbeat -f` (issue 24): the problem lines stay under
// one a second, every connection is counted (hbctl status, the metrics), and the heartbeats stay on time.
//
//   [alpha] heartbeat-ts --metrics 127.0.0.1:9694 (ha.cf: bcast eth0, bravo declared, never started)
//   [bravo] a UDP listener on port 694 only: records when each of alpha's heartbeats arrives
//
// Once alpha has declared bravo dead and opened /run/heartbeat/register, a flooder inside alpha opens 10,000
// connections, paced evenly over 60 s (at most 100 open at once: under the socket's listen backlog of 128, so none is refused by the kernel), each sending a frame with a bad magic.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLab } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { writePairConfig } from '../helpers/pair-config.js';
import { readLog, tail, waitForLog } from '../helpers/real-heartbeat.js';
import { cliPath } from '../helpers/paths.js';

const SOCKET = '/var/run/heartbeat/register';
const DEADTIME_MS = 1000;
const CONNECTIONS = 10_000;
const FLOOD_MS = 60_000;
const PORT = 9694;

/** Opens `n` connections paced over `ms`, each writing one bad-magic frame; prints `done <closed> <errors>`. */
const FLOODER = `
const net = require('node:net');
const [n, ms] = [Number(process.argv[1]), Number(process.argv[2])];
const frame = Buffer.from([16, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde, ...Buffer.alloc(16)]);
let started = 0, open = 0, closed = 0, errors = 0;
const t0 = Date.now();
const tick = () => {
  const due = Math.min(n, Math.ceil(((Date.now() - t0) / ms) * n));
  while (started < due && open < 100) {
    started++; open++;
    const s = net.connect(${JSON.stringify(SOCKET)}, () => s.write(frame));
    s.on('error', () => { errors++; });
    s.on('close', () => { open--; closed++; if (closed === n) { process.stdout.write('done ' + closed + ' ' + errors + '\\n'); process.exit(0); } });
    s.setTimeout(10000, () => s.destroy());
  }
  if (started < n) setTimeout(tick, 5);
};
tick();
setTimeout(() => { process.stdout.write('timeout ' + closed + ' ' + errors + '\\n'); process.exit(1); }, ms + 60000);
`;

/** bravo: prints the arrival time (ms) of each of alpha's heartbeat packets. */
const LISTENER = `
const d = require('node:dgram').createSocket({ type: 'udp4', reuseAddr: true });
d.on('message', (m) => { if (m.includes('src=alpha')) process.stdout.write(Date.now() + '\\n'); });
d.bind(694, () => process.stdout.write('listening\\n'));
setTimeout(() => process.exit(0), Number(process.argv[1]));
`;

/** Epoch ms of a log line's `Mon dd HH:MM:SS` (this year, local time), or undefined. */
function lineTimeMs(line: string): number | undefined {
  const m = /^([A-Z][a-z]{2}) +(\d+) (\d\d):(\d\d):(\d\d) /.exec(line);
  if (m === null) return undefined;
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'].indexOf(m[1] ?? '');
  return new Date(new Date().getFullYear(), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])).getTime();
}

test('10,000 malformed API connections in 60 s: under one log line a second, all counted, heartbeats on time', { timeout: 240_000 }, async (t) => {
  if (!requireRootAndCommands(t, ['nsenter', 'curl'])) return;
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo', isolated: false, seedFromHost: false }], label: 'apiflood' });
  writePairConfig(lab, 'alpha', { media: ['bcast eth0'] });
  const listener = lab.start('bravo', [process.execPath, '-e', LISTENER, String(FLOOD_MS + 120_000)]);
  await listener.waitForOutput(/listening/, 10_000);
  await startOurHeartbeat(lab, 'alpha', 15_000, { args: ['--metrics', `127.0.0.1:${PORT}`] });
  await waitForLog(lab, 'alpha', (l) => l.includes(`API socket ${SOCKET} open`), 'the API socket (comm-up)', 15_000);
  const logFrom = readLog(lab, 'alpha').length;
  const from = Date.now();
  const flood = await lab.exec('alpha', [process.execPath, '-e', FLOODER, String(CONNECTIONS), String(FLOOD_MS)], { timeoutMs: FLOOD_MS + 90_000 });
  const to = Date.now();
  assert.match(flood.stdout, new RegExp(`^done ${CONNECTIONS} 0$`, 'm'), `flooder (done <closed> <connect errors>): ${flood.stdout} ${flood.stderr.slice(-2000)}`);

  // The counts, through hbctl status (the API socket still answers) and the metrics.
  const status = await lab.exec('alpha', [process.execPath, cliPath('hbctl'), 'status', '--json'], { timeoutMs: 15_000 });
  assert.equal(status.exitCode, 0, status.stderr);
  const report = JSON.parse(status.stdout) as { apiProblems?: Record<string, number> | null };
  assert.equal(report.apiProblems?.['bad-frame'], CONNECTIONS, `hbctl status: ${status.stdout}`);
  const screen = await lab.exec('alpha', [process.execPath, cliPath('hbctl'), 'status'], { timeoutMs: 15_000 });
  assert.match(screen.stdout, new RegExp(`API problems: ${CONNECTIONS} bad-frame`));
  const metrics = await lab.exec('alpha', ['curl', '-sS', '--max-time', '5', `http://127.0.0.1:${PORT}/metrics`], { timeoutMs: 10_000 });
  assert.match(metrics.stdout, new RegExp(`^heartbeat_api_problems_total\\{kind="bad-frame"\\} ${CONNECTIONS}$`, 'm'), metrics.stdout.slice(0, 3000));

  // The log: lines about API problems over the flood, and the busiest second.
  const lines = readLog(lab, 'alpha').slice(logFrom).split('\n').filter((l) => /heartbeat: \[\d+\]: \w+: api: /.test(l));
  const perSecond = new Map<number, number>();
  for (const l of lines) {
    const s = lineTimeMs(l);
    if (s !== undefined) perSecond.set(s, (perSecond.get(s) ?? 0) + 1);
  }
  const seconds = Math.ceil((to - from) / 1000);
  const busiest = Math.max(0, ...perSecond.values());
  // Heartbeats at bravo during the flood.
  const stamps = listener.stdout.split('\n').filter((l) => /^\d+$/.test(l)).map(Number).filter((x) => x >= from && x <= to);
  let gap = 0;
  let last = from;
  for (const x of [...stamps, to]) {
    gap = Math.max(gap, x - last);
    last = x;
  }
  process.stdout.write(`# ${CONNECTIONS} malformed connections in ${to - from} ms: ${lines.length} API log line(s) (${(lines.length / seconds).toFixed(2)}/s, busiest second ${busiest}); ${stamps.length} heartbeats at bravo, largest gap ${gap} ms\n`);
  assert.ok(lines.length <= seconds, `${lines.length} API lines in ${seconds} s:\n${lines.slice(0, 40).join('\n')}`);
  assert.ok(lines.some((l) => /bad-magic/.test(l)), 'the first bad frame is logged');
  assert.ok(gap < DEADTIME_MS, `a gap of ${gap} ms in alpha's heartbeats (deadtime ${DEADTIME_MS} ms):\n${tail(readLog(lab, 'alpha'), 30)}`);
  assert.doesNotMatch(readLog(lab, 'alpha'), /internal error/);
});
