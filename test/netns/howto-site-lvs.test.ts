// Issue 22, part 2: the HA pair as the HOWTO's LVS director — Debian's ldirectord as a haresources resource after
// the VIP, checking two real servers (Apache in two more namespaces) over HTTP.
//
//   [alpha] heartbeat-ts, home of `alpha IPaddr2::VIP/24/eth0 ldirectord::ldirectord.cf` (auto_failback on)
//   [bravo] heartbeat-ts
//   [real1] [real2] Apache on their own address, serving index.html "real server realN"
//
// What is simulated: this kernel has no IPVS (/proc/net/ip_vs is missing), so no packet is ever balanced. The
// test binds a recording ipvsadm (test/helpers/ipvsadm-recorder.ts: the virtual service table in a JSON file in
// the node's private /var/lib/heartbeat, `-L -n` printed in ipvsadm's layout) over /usr/sbin/ipvsadm in each
// director's private mount namespace: ldirectord calls /sbin/ipvsadm by absolute path (it never searches PATH),
// so a stand-in first in PATH would not be seen. Everything else is real: ldirectord, its HTTP checks of the real
// servers, the VIP and Heartbeat moving the resource. A power loss also loses the kernel's table (the test
// removes the node's table file). Where the kernel has IPVS the test still uses the stand-in (it says so).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLab, killPid, type Lab } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { writePairConfig } from '../helpers/pair-config.js';
import { readLog, tail } from '../helpers/real-heartbeat.js';
import { untilHeldBy, vipHolders, waitForReaped, watchVip } from '../helpers/vip.js';
import { apacheConf } from '../helpers/web.js';
import { distDir } from '../helpers/paths.js';
import type { Table } from '../helpers/ipvsadm-recorder.js';

const VIP = '198.51.100.100';
const DIRECTORS = ['alpha', 'bravo'] as const;
const REALS = { real1: '198.51.100.21', real2: '198.51.100.22' } as const;
const SERVICE = `TCP ${VIP}:80`;

const LDIRECTORD_CF = `checktimeout=1
checkinterval=1
autoreload=no
logfile="/var/log/ldirectord.log"
quiescent=yes
cleanstop=yes
virtual=${VIP}:80
	real=${REALS.real1}:80 gate
	real=${REALS.real2}:80 gate
	service=http
	request="index.html"
	receive="real server"
	scheduler=rr
	protocol=tcp
	checktype=negotiate
`;

function tableFile(lab: Lab, node: string): string {
  return path.join(lab.node(node).varLibDir, 'ipvs-table.json');
}

function readTable(lab: Lab, node: string): Table {
  try {
    return JSON.parse(fs.readFileSync(tableFile(lab, node), 'utf8')) as Table;
  } catch {
    return {};
  }
}

/** "198.51.100.21:80=1 198.51.100.22:80=0" for the service, '' when the node has no such service. */
function weights(lab: Lab, node: string): string {
  const s = readTable(lab, node)[SERVICE];
  if (s === undefined) return '';
  return Object.entries(s.reals).sort(([a], [b]) => a.localeCompare(b)).map(([r, v]) => `${r}=${v.weight}`).join(' ');
}

async function untilWeights(lab: Lab, node: string, want: string, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (weights(lab, node) !== want) {
    if (Date.now() - start > timeoutMs) {
      throw new Error(`${node}'s IPVS table: ${JSON.stringify(weights(lab, node))}, want ${JSON.stringify(want)} (after ${timeoutMs} ms)\n` +
        `ldirectord log:\n${tail(readFileOr(path.join(lab.node(node).logDir, 'ldirectord.log')), 20)}\nha-log:\n${tail(readLog(lab, node), 20)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return Date.now() - start;
}

function readFileOr(file: string): string {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return '';
  }
}

async function startRealServer(lab: Lab, node: keyof typeof REALS): Promise<void> {
  const r = await lab.exec(node, ['apache2', '-f', '/etc/ha.d/httpd.conf', '-k', 'start'], { timeoutMs: 15_000 });
  assert.equal(r.exitCode, 0, `apache on ${node}: ${r.stderr}`);
  const up = await lab.exec(node, ['curl', '-s', '--retry', '20', '--retry-connrefused', '--retry-delay', '0', '--max-time', '5', `http://${REALS[node]}/index.html`], { timeoutMs: 15_000 });
  assert.match(up.stdout, /real server/, `${node} serves its page`);
}

async function stopRealServer(lab: Lab, node: keyof typeof REALS): Promise<void> {
  const r = await lab.exec(node, ['apache2', '-f', '/etc/ha.d/httpd.conf', '-k', 'stop'], { timeoutMs: 15_000 });
  assert.equal(r.exitCode, 0, `apache stop on ${node}: ${r.stderr}`);
  const deadline = Date.now() + 10_000;
  while ((await lab.exec(node, ['curl', '-s', '--max-time', '1', `http://${REALS[node]}/index.html`], { timeoutMs: 5000 })).exitCode === 0) {
    if (Date.now() > deadline) throw new Error(`${node}'s Apache still answers`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('LVS director: ldirectord after the VIP builds the virtual service, quiesces a dead real server, moves with the group', async (t) => {
  if (!requireRootAndCommands(t, ['nsenter', 'apache2', 'curl', 'ldirectord'])) return;
  const kernelHasIpvs = fs.existsSync('/proc/net/ip_vs');
  process.stdout.write(`# /proc/net/ip_vs ${kernelHasIpvs ? 'exists, but this test still records ipvsadm calls instead of balancing' : 'is missing: ipvsadm is a recording stand-in (no packet is balanced)'}\n`);
  const lab = await createLab(t, {
    nodes: [{ name: 'alpha' }, { name: 'bravo' }, { name: 'real1', address: `${REALS.real1}/24` }, { name: 'real2', address: `${REALS.real2}/24` }],
    label: 'lvs',
    bridgeAddress: null,
  });
  for (const n of ['real1', 'real2'] as const) {
    const dir = lab.node(n).haDir;
    fs.writeFileSync(path.join(dir, 'httpd.conf'), apacheConf(n, REALS[n]));
    fs.mkdirSync(path.join(dir, 'www'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'www', 'index.html'), `real server ${n}\n`);
    fs.chmodSync(dir, 0o755);
    await startRealServer(lab, n);
  }
  const recorder = path.join(distDir, 'test', 'helpers', 'ipvsadm-recorder.js');
  for (const n of DIRECTORS) {
    writePairConfig(lab, n, { media: ['bcast eth0'] });
    const dir = lab.node(n).haDir;
    fs.writeFileSync(path.join(dir, 'haresources'), `alpha IPaddr2::${VIP}/24/eth0 ldirectord::ldirectord.cf\n`);
    fs.writeFileSync(path.join(dir, 'ldirectord.cf'), LDIRECTORD_CF);
    fs.rmSync(path.join(dir, 'resource.d', 'IPaddr2'), { force: true });
    assert.ok(fs.existsSync(path.join(dir, 'resource.d', 'ldirectord')), 'Debian\'s resource.d/ldirectord is installed');
    const wrapper = path.join(lab.node(n).varLibDir, 'ipvsadm');
    fs.writeFileSync(wrapper, `#!/bin/sh\nexec ${process.execPath} ${recorder} /var/lib/heartbeat/ipvs-table.json /var/lib/heartbeat/ipvsadm-calls "$@"\n`, { mode: 0o755 });
    const b = await lab.exec(n, ['mount', '--bind', '/var/lib/heartbeat/ipvsadm', '/usr/sbin/ipvsadm'], { timeoutMs: 10_000 });
    assert.equal(b.exitCode, 0, b.stderr);
  }
  const vipWatch = watchVip(t, lab, VIP);
  const alpha = await startOurHeartbeat(lab, 'alpha');
  const bravo = await startOurHeartbeat(lab, 'bravo');
  await untilHeldBy(lab, VIP, 'alpha', 15_000);
  const both = `${REALS.real1}:80=1 ${REALS.real2}:80=1`;
  const built = await untilWeights(lab, 'alpha', both, 20_000);
  assert.equal(readTable(lab, 'alpha')[SERVICE]?.scheduler, 'rr');
  assert.equal(weights(lab, 'bravo'), '', 'bravo, not the director, has no virtual service');
  assert.match(readLog(lab, 'alpha'), /Running \/etc\/ha\.d\/resource\.d\/ldirectord ldirectord\.cf start/);
  process.stdout.write(`# alpha directs ${SERVICE}: ${weights(lab, 'alpha')} (${built} ms after it held the VIP)\n`);

  // real2's Apache stops: its weight drops to 0 (quiescent=yes); it comes back: weight 1 again.
  await stopRealServer(lab, 'real2');
  const quiesced = await untilWeights(lab, 'alpha', `${REALS.real1}:80=1 ${REALS.real2}:80=0`, 15_000);
  await startRealServer(lab, 'real2');
  const restored = await untilWeights(lab, 'alpha', both, 15_000);
  process.stdout.write(`# real2's Apache stopped → weight 0 after ${quiesced} ms; restarted → weight 1 after ${restored} ms\n`);

  // Power loss of the director: bravo takes the VIP, starts ldirectord and builds the same table.
  const anchor = lab.node('alpha').anchorPid;
  const pids = (await lab.pidsIn('alpha')).filter((p) => p !== anchor);
  for (const p of pids) killPid(p, 'SIGKILL');
  // The address and the kernel's table go at once, with the machine (reaping can take a second under load).
  await lab.exec('alpha', ['ip', 'addr', 'del', `${VIP}/24`, 'dev', 'eth0']);
  fs.rmSync(tableFile(lab, 'alpha'), { force: true });
  for (const p of pids) await waitForReaped(p, 10_000);
  alpha.kill('SIGKILL');
  const takeover = await untilHeldBy(lab, VIP, 'bravo', 15_000);
  const rebuilt = await untilWeights(lab, 'bravo', both, 20_000);
  process.stdout.write(`# power loss of alpha → bravo holds the VIP after ${takeover} ms and directs ${SERVICE} (${weights(lab, 'bravo')}) ${rebuilt} ms later\n`);

  // A real server fails while bravo directs: bravo's ldirectord sees it too.
  await stopRealServer(lab, 'real1');
  await untilWeights(lab, 'bravo', `${REALS.real1}:80=0 ${REALS.real2}:80=1`, 15_000);
  await startRealServer(lab, 'real1');
  await untilWeights(lab, 'bravo', both, 15_000);

  // Clean stop of bravo: ldirectord stops (cleanstop=yes: the virtual service removed), the VIP released.
  await bravo.stop(30_000);
  assert.deepEqual(await vipHolders(lab, VIP), []);
  assert.equal(weights(lab, 'bravo'), '', `bravo's ldirectord removed its virtual service on stop:\n${readFileOr(path.join(lab.node('bravo').varLibDir, 'ipvsadm-calls'))}`);
  process.stdout.write(`# ${await vipWatch.assertNeverBoth()}\n`);
  const calls = readFileOr(path.join(lab.node('bravo').varLibDir, 'ipvsadm-calls'));
  assert.match(calls, /ipvsadm -A -t 198\.51\.100\.100:80 -s rr/);
  assert.match(calls, /ipvsadm -D -t 198\.51\.100\.100:80/);
  for (const n of DIRECTORS) assert.doesNotMatch(readLog(lab, n), /failed to stop|CRIT:/, tail(readLog(lab, n), 30));
});
