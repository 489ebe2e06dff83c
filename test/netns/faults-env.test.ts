// Issue #8 item 3 (part 2): environment faults on a heartbeat-ts pair, short and bounded, for CI.
//
//   [alpha] heartbeat-ts        [bravo] heartbeat-ts (scenario 1: under libfaketime, wall clock only)
//   haresources: alpha hbts-res::ga / bravo hbts-res::gb (a v1 script keeping its state in the node's /run)
//
// 1. Wall-clock jumps on bravo alone (LD_PRELOAD libfaketime, FAKETIME_DONT_FAKE_MONOTONIC=1, a timestamp file
//    re-read on every call): +1 hour, -1 hour, +1 day. Liveness runs on the monotonic clock, so nobody is
//    declared dead, no "Late heartbeat", no resource moves.
// 2. Disk full: alpha's /var/log on a full 64 KiB tmpfs (its own mount namespace): heartbeats go on, a
//    failover still works, the write failure is reported once, no thread spins (the threads' runnable share of
//    the time stays low). Then alpha restarts with /var/lib/heartbeat on a full tmpfs: it must fail cleanly,
//    naming the file and the cause.
// Each scenario ends by checking that exactly one node holds every resource group.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createLab, isAlive, killPid, waitForPidGone, type Lab, type StartedProcess } from '../helpers/netns.js';
import { requireRootAndCommands } from '../helpers/privileges.js';
import { failedStopMarker, startOurHeartbeat } from '../helpers/our-heartbeat.js';
import { writePairConfig } from '../helpers/pair-config.js';
import { readLog, tail, waitForLog } from '../helpers/real-heartbeat.js';
import { cliPath } from '../helpers/paths.js';
import { heldResources, installStateResource } from '../helpers/state-resource.js';

const FAKETIME_LIB = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const GROUPS = ['ga', 'gb'] as const;
const note = (s: string): void => void process.stdout.write(`# ${s}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function holds(lab: Lab, node: string): string[] {
  return heldResources(lab, node, GROUPS);
}

async function until(what: string, cond: () => boolean, timeoutMs: number, lab: Lab): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) {
      throw new Error(`${what}: not within ${timeoutMs} ms\nalpha:\n${tail(readLog(lab, 'alpha'), 25)}\nbravo:\n${tail(readLog(lab, 'bravo'), 25)}`);
    }
    await sleep(100);
  }
  return Date.now() - start;
}

/** Every group held by exactly one of the live nodes given. */
function assertEachGroupOnce(lab: Lab, nodes: readonly string[]): void {
  const held = nodes.map((n) => ({ n, g: holds(lab, n) }));
  for (const g of GROUPS) {
    const owners = held.filter((h) => h.g.includes(g)).map((h) => h.n);
    assert.equal(owners.length, 1, `group ${g} held by [${owners.join(', ')}]`);
  }
  note(`every group held exactly once: ${held.map((h) => `${h.n}=[${h.g.join(',')}]`).join(' ')}`);
}

async function pairLab(t: Parameters<typeof createLab>[0], label: string): Promise<Lab> {
  const lab = await createLab(t, { nodes: [{ name: 'alpha' }, { name: 'bravo' }], label, bridgeAddress: null });
  for (const n of ['alpha', 'bravo']) {
    writePairConfig(lab, n, { media: ['bcast eth0'] });
    const haDir = lab.node(n).haDir;
    fs.writeFileSync(path.join(haDir, 'haresources'), 'alpha hbts-res::ga\nbravo hbts-res::gb\n');
    installStateResource(lab, n);
  }
  return lab;
}

/** CPU seconds (utime + stime) of a process, from /proc/PID/stat (clock ticks of 1/100 s). */
function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/**
 * Nanoseconds the process's threads spent running or waiting for a CPU (/proc/PID/task/TID/schedstat: on-CPU time
 * and run-queue time). A thread in a loop that never sleeps is runnable all the time, however busy the machine is
 * (it runs or it waits to run); CPU seconds alone would shrink under load and hide it.
 */
function runnableNs(pid: number): number {
  let sum = 0;
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const [run, wait] = fs.readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'latin1').trim().split(' ');
      sum += Number(run) + Number(wait);
    } catch {
      // a thread that ended between the listing and the read
    }
  }
  return sum;
}

const FAULT_RE = /is dead|Late heartbeat|Dead node|Taking over resource group|Releasing resource group/;
function faultLines(text: string): string[] {
  return text.split('\n').filter((l) => FAULT_RE.test(l));
}

test('wall-clock jumps on one node (+1 h, -1 h, +1 d): no false death, no late heartbeat, no resource move', async (t) => {
  if (!requireRootAndCommands(t, ['env', FAKETIME_LIB])) return; // FAKETIME_LIB: the Debian package faketime
  const lab = await pairLab(t, 'ftclock');
  const stampFile = path.join(lab.root, 'faketime-stamp');
  fs.writeFileSync(stampFile, '+0\n');
  const fakeEnv = [
    `LD_PRELOAD=${FAKETIME_LIB}`, 'FAKETIME_DONT_FAKE_MONOTONIC=1', `FAKETIME_TIMESTAMP_FILE=${stampFile}`, 'FAKETIME_NO_CACHE=1',
  ];
  // The mechanism itself, with Node inside bravo: the wall clock follows the file, the monotonic clock does not.
  const probe = async (): Promise<number> => {
    const r = await lab.exec('bravo', ['env', ...fakeEnv, process.execPath, '-e', 'console.log(Date.now() - 0)'], { timeoutMs: 10_000 });
    assert.equal(r.exitCode, 0, r.stderr);
    return Number(r.stdout.trim()) - Date.now();
  };
  fs.writeFileSync(stampFile, '+1h\n');
  const check = await probe();
  assert.ok(Math.abs(check - 3_600_000) < 5_000, `libfaketime under Node: offset ${check} ms, expected about +3600000`);
  note(`libfaketime under node inside bravo: Date.now() offset ${check} ms with "+1h"`);
  fs.writeFileSync(stampFile, '+0\n');

  const alpha = await startOurHeartbeat(lab, 'alpha');
  const marker = failedStopMarker(lab, 'bravo');
  fs.mkdirSync(path.dirname(marker), { recursive: true });
  const bravo = lab.start('bravo', ['env', ...fakeEnv, process.execPath, cliPath('heartbeat'), '-f', '--failed-stop-command', `/usr/bin/touch ${marker}`]);
  await waitForLog(lab, 'bravo', (log) => /Local status now set to: 'up'/.test(log), 'bravo start-up', 10_000);
  await until('ga on alpha, gb on bravo', () => holds(lab, 'alpha').join() === 'ga' && holds(lab, 'bravo').join() === 'gb', 30_000, lab);
  // Settled: both sides active (initdead passed, each has heard the other).
  await sleep(1500);
  const fromA = readLog(lab, 'alpha').length;
  const fromB = readLog(lab, 'bravo').length;

  for (const [stamp, expectMs] of [['+1h', 3_600_000], ['-1h', -3_600_000], ['+1d', 86_400_000]] as const) {
    fs.writeFileSync(stampFile, `${stamp}\n`);
    const offset = await probe();
    assert.ok(Math.abs(offset - expectMs) < 5_000, `offset ${offset} ms for ${stamp}`);
    await sleep(3000); // three deadtimes
    const a = faultLines(readLog(lab, 'alpha').slice(fromA));
    const b = faultLines(readLog(lab, 'bravo').slice(fromB));
    note(`bravo's wall clock ${stamp} (offset ${offset} ms), 3 s later: alpha fault lines ${a.length}, bravo fault lines ${b.length}, ` +
      `alpha holds [${holds(lab, 'alpha').join(',')}], bravo holds [${holds(lab, 'bravo').join(',')}]`);
    assert.deepEqual(a, [], `alpha after ${stamp}`);
    assert.deepEqual(b, [], `bravo after ${stamp}`);
    assert.ok(isAlive(alpha.pid) && isAlive(bravo.pid), `both daemons alive after ${stamp}`);
    assert.equal(holds(lab, 'alpha').join(), 'ga');
    assert.equal(holds(lab, 'bravo').join(), 'gb');
  }
  fs.writeFileSync(stampFile, '+0\n');
  assertEachGroupOnce(lab, ['alpha', 'bravo']);
});

test('disk full: log on a full tmpfs (heartbeats, failover, one report, low CPU), then state files on a full tmpfs', async (t) => {
  if (!requireRootAndCommands(t, ['dd', 'mount', 'umount'])) return;
  const lab = await pairLab(t, 'ftdisk');
  let alpha: StartedProcess = await startOurHeartbeat(lab, 'alpha');
  const bravo = await startOurHeartbeat(lab, 'bravo');
  await until('ga on alpha, gb on bravo', () => holds(lab, 'alpha').join() === 'ga' && holds(lab, 'bravo').join() === 'gb', 30_000, lab);
  await sleep(1500);

  // alpha's /var/log: a 64 KiB tmpfs, filled (dd stops at ENOSPC; count bounds it anyway).
  const fill = async (dir: string): Promise<string> => {
    const mnt = await lab.exec('alpha', ['mount', '-t', 'tmpfs', '-o', 'size=64k,mode=0755', 'tmpfs', dir], { timeoutMs: 5000 });
    assert.equal(mnt.exitCode, 0, mnt.stderr);
    const dd = await lab.exec('alpha', ['dd', 'if=/dev/zero', `of=${dir}/filler`, 'bs=4k', 'count=64'], { timeoutMs: 10_000 });
    assert.match(dd.stderr, /No space left on device/, `dd: ${dd.stderr}`);
    const df = await lab.exec('alpha', ['df', '-k', dir], { timeoutMs: 5000 });
    return df.stdout.trim().split('\n').pop() ?? '';
  };
  note(`alpha /var/log full: ${await fill('/var/log')}`);
  const fromB = readLog(lab, 'bravo').length;
  // The daemon holds the old log file open; SIGHUP reopens it by name, now on the full tmpfs.
  const errBefore = alpha.stderr.length;
  killPid(alpha.pid, 'SIGHUP');
  await sleep(1000);
  const cpu0 = cpuSeconds(alpha.pid);
  const run0 = runnableNs(alpha.pid);
  const t0 = Date.now();
  await sleep(5000);
  const elapsedSec = (Date.now() - t0) / 1000;
  const cpu = (cpuSeconds(alpha.pid) - cpu0) / elapsedSec;
  const runnable = (runnableNs(alpha.pid) - run0) / 1e9 / elapsedSec;
  const reports = alpha.stderr.slice(errBefore).split('\n').filter((l) => /cannot write log file/.test(l));
  note(`alpha over 5 s with its log on a full disk: CPU ${(cpu * 100).toFixed(1)} % of a core, its threads runnable ${(runnable * 100).toFixed(1)} % of the time (running or waiting for a CPU), "cannot write log file" reports ${reports.length}: ${reports.join(' | ')}`);
  assert.ok(isAlive(alpha.pid), 'alpha alive with a full log disk');
  assert.equal(reports.length, 1, 'one report of the write failure');
  assert.match(reports[0] ?? '', /ha-log.*(ENOSPC|no space left)/i);
  // No thread spins on the failing writes: one that did would be runnable ≥ 100 % of the time on its own.
  assert.ok(runnable < 0.6, `alpha's threads runnable ${(runnable * 100).toFixed(1)} % of the time (CPU ${(cpu * 100).toFixed(1)} %)`);
  const bSaw = faultLines(readLog(lab, 'bravo').slice(fromB));
  assert.deepEqual(bSaw, [], 'bravo saw alpha stay alive');

  // Failover still works with alpha's log unwritable.
  killPid(bravo.pid, 'SIGKILL');
  const took = await until('alpha takes gb', () => holds(lab, 'alpha').join() === 'ga,gb', 20_000, lab);
  note(`bravo SIGKILLed: alpha holds [${holds(lab, 'alpha').join(',')}] after ${took} ms, with its log unwritable`);
  assert.ok(isAlive(alpha.pid));
  assertEachGroupOnce(lab, ['alpha']);

  // State files: stop alpha, give it back a writable log, put /var/lib/heartbeat on a full tmpfs, restart.
  await alpha.stop(5000);
  assert.ok(await waitForPidGone(alpha.pid, 3000), 'alpha stopped');
  const um = await lab.exec('alpha', ['umount', '/var/log'], { timeoutMs: 5000 });
  assert.equal(um.exitCode, 0, um.stderr);
  note(`alpha /var/lib/heartbeat full: ${await fill('/var/lib/heartbeat')}`);
  const logFrom = readLog(lab, 'alpha').length;
  alpha = lab.start('alpha', [process.execPath, cliPath('heartbeat'), '-f', '--failed-stop-command', `/usr/bin/touch ${failedStopMarker(lab, 'alpha')}`]);
  const gone = await waitForPidGone(alpha.pid, 15_000);
  const log = readLog(lab, 'alpha').slice(logFrom);
  note(`alpha restarted on a full state directory: exited ${gone}; stderr: ${alpha.stderr.trim().split('\n').slice(-4).join(' | ')}; log: ${tail(log, 4).replace(/\n/g, ' | ')}`);
  assert.ok(gone, `alpha must refuse to start, not run on or hang:\n${alpha.stderr.slice(-2000)}\n${tail(log, 20)}`);
  const exit = await alpha.exited;
  note(`its exit: code ${exit.exitCode}, signal ${exit.signal}`);
  assert.equal(exit.exitCode, 1, 'a clean refusal: exit status 1');
  assert.match(alpha.stderr + log, /hb_generation.*(ENOSPC|no space left)/i, 'names the file and the cause');
  assert.doesNotMatch(alpha.stderr, /^\s+at /m, 'no stack trace');
  const lu = await lab.exec('alpha', ['umount', '/var/lib/heartbeat'], { timeoutMs: 5000 });
  assert.equal(lu.exitCode, 0, lu.stderr);
  // Room again: alpha starts, and (bravo being dead) holds both groups; bravo's stale /run is not a live node.
  alpha = await startOurHeartbeat(lab, 'alpha');
  const back = await until('alpha holds ga and gb again', () => holds(lab, 'alpha').join() === 'ga,gb', 20_000, lab);
  note(`alpha restarted with room: holds [${holds(lab, 'alpha').join(',')}] after ${back} ms`);
  assertEachGroupOnce(lab, ['alpha']);
});
