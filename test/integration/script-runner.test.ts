// Real resource scripts in a temp dir: exit codes, prefixed output, timeouts (TERM, then KILL to the group), bounds, queueing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseResourceSpec } from '../../src/config/haresources.js';
import type { LogLevel } from '../../src/core/log-level.js';
import { operationArgv, operationLogPrefix, resolveScript } from '../../src/resources/operations.js';
import { outcomeOf } from '../../src/resources/failure-policy.js';
import {
  OperationQueue,
  processGroupAlive,
  runOperation,
  scriptEnvironment,
  scriptExists,
  type OperationResult,
  type RunOperationOptions,
} from '../../src/daemon/scripts/script-runner.js';
import { isAlive } from '../helpers/processes.js';

const TIMEOUT_MS = 300;
const GRACE_MS = 300;

interface Fixture {
  dir: string;
  logs: [LogLevel, string][];
  script(name: string, body: string, mode?: number): string;
  run(argv: readonly string[], extra?: Partial<RunOperationOptions>): Promise<OperationResult>;
}

/** A temp dir for scripts, removed (and every process group we started, killed) after the test. */
function fixture(t: { after: (f: () => void) => void }): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-script-runner-'));
  const groups: number[] = [];
  const logs: [LogLevel, string][] = [];
  t.after(() => {
    for (const pgid of groups) {
      try {
        process.kill(-pgid, 'SIGKILL');
      } catch {
        /* gone, as it should be */
      }
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return {
    dir,
    logs,
    script(name, body, mode = 0o755) {
      const file = path.join(dir, name);
      fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode });
      return file;
    },
    async run(argv, extra = {}) {
      const r = await runOperation({
        argv,
        timeoutMs: TIMEOUT_MS,
        killGraceMs: GRACE_MS,
        env: { PATH: '/usr/bin:/bin' },
        logPrefix: 'test',
        log: (level, text) => logs.push([level, text]),
        ...extra,
      });
      if (r.pid !== undefined) groups.push(r.pid);
      return r;
    },
  };
}

test('a successful operation: exit 0, stdout captured, every line logged with the resource as prefix', async (t) => {
  const f = fixture(t);
  const file = f.script('IPaddr2', 'echo "Adding inet address $1"\necho "warning on stderr" >&2\necho "op=$2"');
  const r = parseResourceSpec('IPaddr2::198.51.100.100/24/eth0');
  const before = Date.now();
  const res = await f.run(operationArgv(r, 'start', file), { logPrefix: operationLogPrefix(r, 'start') });
  assert.equal(res.exitCode, 0);
  assert.equal(res.signal, null);
  assert.equal(res.timedOut, false);
  assert.equal(outcomeOf(res), 'success');
  assert.equal(res.stdout, 'Adding inet address 198.51.100.100/24/eth0\nop=start\n');
  assert.equal(res.stderr, 'warning on stderr\n');
  assert.ok(res.startedAtMs >= before && res.startedAtMs <= Date.now());
  // How long it took is the bench's business; here only that it is a duration within the run.
  // (The start is wall-clock time, the duration monotonic and rounded: compared with a millisecond of slack.)
  assert.ok(res.durationMs >= 0 && res.startedAtMs + res.durationMs <= Date.now() + 1);
  assert.deepEqual(f.logs.filter(([, l]) => !l.includes('[stderr]')), [
    ['info', 'IPaddr2::198.51.100.100/24/eth0 start: Adding inet address 198.51.100.100/24/eth0'],
    ['info', 'IPaddr2::198.51.100.100/24/eth0 start: op=start'],
  ]);
  assert.deepEqual(f.logs.filter(([, l]) => l.includes('[stderr]')), [['info', 'IPaddr2::198.51.100.100/24/eth0 start [stderr]: warning on stderr']]);
});

test('a failing operation reports its exit code; an IPv6 argument arrives as one word', async (t) => {
  const f = fixture(t);
  const file = f.script('IPv6addr', 'echo "argc=$# first=$1 op=$2"\nexit 7');
  const res = await f.run(operationArgv(parseResourceSpec('IPv6addr::2001:db8::10/64'), 'stop', file));
  assert.equal(res.exitCode, 7);
  assert.equal(outcomeOf(res), 'failed');
  assert.equal(res.stdout, 'argc=2 first=2001:db8::10/64 op=stop\n');
});

test('output is logged line by line: split writes joined, CRLF trimmed, blank lines skipped, last line flushed', async (t) => {
  const f = fixture(t);
  const file = f.script('chatty', "printf 'par'\nsleep 0.05\nprintf 'tial\\r\\n\\n   \\nsecond\\nno newline at end'");
  await f.run([file, 'status'], { logPrefix: 'chatty status' });
  assert.deepEqual(f.logs, [
    ['info', 'chatty status: partial'],
    ['info', 'chatty status: second'],
    ['info', 'chatty status: no newline at end'],
  ]);
  // A status answer can be read without being logged.
  const quiet = await f.run([file, 'status'], { logStdout: false, log: () => assert.fail('logged') });
  assert.equal(quiet.stdout, 'partial\r\n\n   \nsecond\nno newline at end');
});

test('a script hanging past its timeout gets SIGTERM on its process group, children included', async (t) => {
  const f = fixture(t);
  const pidFile = path.join(f.dir, 'child.pid');
  const file = f.script('hang', 'sleep 30 &\necho $! > "$1"\necho started\nwait');
  const res = await f.run([file, pidFile, 'start']);
  const child = Number(fs.readFileSync(pidFile, 'utf8'));
  assert.equal(res.timedOut, true);
  assert.equal(outcomeOf(res), 'timed-out');
  assert.equal(res.signal, 'SIGTERM');
  assert.equal(res.killSentAfterMs, undefined, 'no SIGKILL needed');
  assert.ok(res.termSentAfterMs !== undefined && res.termSentAfterMs >= TIMEOUT_MS);
  assert.equal(res.stdout, 'started\n');
  assert.equal(isAlive(child), false);
  assert.equal(processGroupAlive(res.pid ?? -1), false);
  const goneAfterTimeoutMs = res.durationMs - TIMEOUT_MS;
  t.diagnostic(`TERM: timeout ${TIMEOUT_MS} ms, TERM sent at ${res.termSentAfterMs} ms, group gone at ${res.durationMs} ms (${goneAfterTimeoutMs} ms after the timeout)`);
  assert.ok(f.logs.some(([l, s]) => l === 'err' && s === `test: timed out after ${TIMEOUT_MS} ms; sending SIGTERM to its process group`));
});

test('a script that ignores SIGTERM, and the grandchild it spawned, are SIGKILLed after the grace period', async (t) => {
  const f = fixture(t);
  const pidFile = path.join(f.dir, 'grandchild.pid');
  // The grandchild inherits the ignored TERM and is not a direct child: it would survive a kill of the script alone.
  const file = f.script('stubborn', `trap '' TERM\nsh -c 'sleep 30 & echo $! > "$1"; wait' grandchild "$1" &\nwhile :; do sleep 1; done`);
  const res = await f.run([file, pidFile, 'stop']);
  const grandchild = Number(fs.readFileSync(pidFile, 'utf8'));
  assert.equal(res.timedOut, true);
  assert.equal(res.signal, 'SIGKILL');
  assert.ok(res.termSentAfterMs !== undefined && res.killSentAfterMs !== undefined);
  assert.ok(res.killSentAfterMs - res.termSentAfterMs >= GRACE_MS - 5);
  assert.equal(isAlive(grandchild), false, 'grandchild gone');
  assert.equal(processGroupAlive(res.pid ?? -1), false, 'process group gone');
  const killToGone = res.durationMs - res.killSentAfterMs;
  t.diagnostic(`KILL: timeout ${TIMEOUT_MS} ms, TERM at ${res.termSentAfterMs} ms, KILL at ${res.killSentAfterMs} ms, group gone at ${res.durationMs} ms (${res.durationMs - TIMEOUT_MS} ms after the timeout, ${killToGone} ms after KILL)`);
  assert.ok(killToGone >= 0, `group gone ${killToGone} ms after KILL`);
  assert.ok(f.logs.some(([l, s]) => l === 'err' && s === `test: still running ${GRACE_MS} ms after SIGTERM; sending SIGKILL`));
});

test('a daemon started by a script that exits normally is left running, even if it holds the output pipe', async (t) => {
  const f = fixture(t);
  const pidFile = path.join(f.dir, 'daemon.pid');
  const file = f.script('starter', 'sleep 30 &\necho $! > "$1"\necho started');
  const res = await f.run([file, pidFile, 'start'], { drainAfterExitMs: 100, timeoutMs: 5000 });
  const daemon = Number(fs.readFileSync(pidFile, 'utf8'));
  assert.equal(res.exitCode, 0);
  assert.equal(res.timedOut, false);
  assert.equal(res.pipesLeftOpen, true);
  // Not held until the timeout by the daemon that keeps the pipe open (the drain is 100 ms; the timeout 5 s).
  assert.ok(res.durationMs < 5000, `took ${res.durationMs} ms`);
  assert.equal(isAlive(daemon), true);
  process.kill(daemon, 'SIGKILL'); // the fixture also kills the group
});

test('a missing script: lookup says missing-script; running a missing or non-executable path never throws', async (t) => {
  const f = fixture(t);
  fs.mkdirSync(path.join(f.dir, 'resource.d'));
  fs.mkdirSync(path.join(f.dir, 'init.d'));
  const r = parseResourceSpec('Nothing::x');
  const lookup = resolveScript(r, { configDir: f.dir, initDir: path.join(f.dir, 'init.d') }, scriptExists);
  assert.equal(!lookup.ok && lookup.error.code, 'missing-script');
  fs.writeFileSync(path.join(f.dir, 'init.d', 'Nothing'), '#!/bin/sh\n', { mode: 0o644 }); // not executable: not found
  assert.equal(resolveScript(r, { configDir: f.dir, initDir: path.join(f.dir, 'init.d') }, scriptExists).ok, false);
  fs.chmodSync(path.join(f.dir, 'init.d', 'Nothing'), 0o755);
  const found = resolveScript(r, { configDir: f.dir, initDir: path.join(f.dir, 'init.d') }, scriptExists);
  assert.equal(found.ok && found.value.path, path.join(f.dir, 'init.d', 'Nothing'));

  const missing = await f.run([path.join(f.dir, 'resource.d', 'Nothing'), 'x', 'start']);
  assert.equal(missing.spawnError, 'ENOENT');
  assert.equal(outcomeOf(missing), 'missing-script');
  assert.equal(missing.exitCode, null);
  const noexec = await f.run([f.script('noexec', 'exit 0', 0o644), 'start']);
  assert.equal(noexec.spawnError, 'EACCES');
  assert.equal(outcomeOf(noexec), 'missing-script');
  assert.ok(f.logs.some(([l, s]) => l === 'err' && s.includes('cannot run') && s.includes('ENOENT')));
});

test('huge output is bounded: 64 KiB kept per stream, 200 lines logged, the rest counted', async (t) => {
  const f = fixture(t);
  const file = f.script('flood', "yes 'a line of output' | head -n 100000\nyes 'err' | head -n 50000 >&2");
  const res = await f.run([file, 'status'], { timeoutMs: 10_000 });
  assert.equal(res.exitCode, 0);
  assert.equal(Buffer.byteLength(res.stdout), 64 * 1024);
  assert.equal(res.stdoutTruncated, true);
  assert.equal(Buffer.byteLength(res.stderr), 64 * 1024);
  assert.equal(res.stderrTruncated, true);
  const stdoutLines = f.logs.filter(([, s]) => s === 'test: a line of output');
  assert.equal(stdoutLines.length, 200);
  assert.ok(f.logs.some(([, s]) => s === 'test: 99800 more line(s) of stdout not logged'));
  assert.ok(f.logs.some(([, s]) => s === 'test: 49800 more line(s) of stderr not logged'));
  t.diagnostic(`1.7 MB stdout + 200 KB stderr in ${res.durationMs} ms`);
});

test('scripts get Heartbeat\'s environment: HA_CURHOST, HA_RSCTMP, HA_<env> from ha.cf, a sane PATH, no LC_ALL', async (t) => {
  const f = fixture(t);
  const env = scriptEnvironment({
    localNode: 'alpha',
    configDir: '/etc/ha.d',
    rsctmpDir: path.join(f.dir, 'rsctmp'),
    stateDir: '/var/lib/heartbeat',
    niceFailback: true,
    haEnv: new Map([['STOPRETRYMAX', '3']]),
    base: { TZ: 'UTC', LC_ALL: 'fr_FR.UTF-8', LANGUAGE: 'fr', PATH: '.:/tmp' },
  });
  const file = f.script('env', 'for v in HA_CURHOST HA_RSCTMP HA_DIR HA_RESOURCEDIR HA_FIFO HA_NICEFAILBACK HA_STOPRETRYMAX TZ PATH; do eval "echo $v=\\$$v"; done\necho "LC_ALL=${LC_ALL-unset}"');
  const res = await f.run([file, 'status'], { env });
  assert.equal(
    res.stdout,
    [
      'HA_CURHOST=alpha',
      `HA_RSCTMP=${path.join(f.dir, 'rsctmp')}`,
      'HA_DIR=/etc/ha.d',
      'HA_RESOURCEDIR=/etc/ha.d/resource.d',
      'HA_FIFO=/var/lib/heartbeat/fifo',
      'HA_NICEFAILBACK=yes',
      'HA_STOPRETRYMAX=3',
      'TZ=UTC',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      'LC_ALL=unset',
      '',
    ].join('\n'),
  );
});

/** Reads "<tag> start <ns>" / "<tag> end <ns>" lines into intervals in milliseconds. */
function intervals(journal: string): Map<string, { start: number; end: number }> {
  const out = new Map<string, { start: number; end: number }>();
  for (const line of fs.readFileSync(journal, 'utf8').trim().split('\n')) {
    const [tag, what, ns] = line.split(' ');
    const ms = Number(BigInt(ns ?? '0') / 1000n) / 1000;
    const cur = out.get(tag ?? '') ?? { start: NaN, end: NaN };
    if (what === 'start') cur.start = ms;
    else cur.end = ms;
    out.set(tag ?? '', cur);
  }
  return out;
}

test('two operations queued on one group run one after the other, in order, never overlapping', async (t) => {
  const f = fixture(t);
  const journal = path.join(f.dir, 'journal');
  const file = f.script('slow', 'echo "$1 start $(date +%s%N)" >> "$2"\nsleep 0.15\necho "$1 end $(date +%s%N)" >> "$2"');
  const q = new OperationQueue();
  const first = q.run('198.51.100.100/24/eth0', () => f.run([file, 'first', journal, 'stop'], { timeoutMs: 5000 }));
  const second = q.run('198.51.100.100/24/eth0', () => f.run([file, 'second', journal, 'start'], { timeoutMs: 5000 }));
  assert.equal(q.pending('198.51.100.100/24/eth0'), 2);
  const [a, b] = await Promise.all([first, second]);
  assert.equal(a.exitCode, 0);
  assert.equal(b.exitCode, 0);
  const iv = intervals(journal);
  const one = iv.get('first');
  const two = iv.get('second');
  assert.ok(one && two);
  assert.ok(one.end <= two.start, `first ended ${one.end} ms, second started ${two.start} ms`);
  t.diagnostic(`same group: first ${(one.end - one.start).toFixed(1)} ms, gap before second ${(two.start - one.end).toFixed(1)} ms`);
  assert.equal(q.pending('198.51.100.100/24/eth0'), 0);
  assert.deepEqual(q.busyKeys(), []);
});

test('a failed or throwing operation does not block the next one on its group', async (t) => {
  const f = fixture(t);
  const q = new OperationQueue();
  const boom = q.run('g', () => Promise.reject(new Error('boom')));
  const next = q.run('g', () => f.run([f.script('ok', 'echo fine'), 'start']));
  await assert.rejects(boom, /boom/);
  assert.equal((await next).stdout, 'fine\n');
});

test('operations on two groups may overlap (each waits until it sees the other running)', async (t) => {
  const f = fixture(t);
  const journal = path.join(f.dir, 'journal');
  // Succeeds only if the other group's script starts while this one is still running (bounded: 3 s).
  const file = f.script(
    'rendezvous',
    'echo "$1 start $(date +%s%N)" >> "$4"\ntouch "$2"\ni=0\nwhile [ ! -e "$3" ]; do i=$((i+1)); [ $i -gt 150 ] && exit 1; sleep 0.02; done\necho "$1 end $(date +%s%N)" >> "$4"',
  );
  const mark = (n: string): string => path.join(f.dir, `${n}.running`);
  const q = new OperationQueue();
  const [a, b] = await Promise.all([
    q.run('group-a', () => f.run([file, 'a', mark('a'), mark('b'), journal, 'start'], { timeoutMs: 5000 })),
    q.run('group-b', () => f.run([file, 'b', mark('b'), mark('a'), journal, 'start'], { timeoutMs: 5000 })),
  ]);
  assert.equal(a.exitCode, 0);
  assert.equal(b.exitCode, 0);
  const iv = intervals(journal);
  const ia = iv.get('a');
  const ib = iv.get('b');
  assert.ok(ia && ib);
  assert.ok(ia.start < ib.end && ib.start < ia.end, 'intervals overlap');
});
