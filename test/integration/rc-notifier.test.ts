// rc.d notifications run for real: harc and rc.d scripts in a temp config dir record argv, env and timing.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { LogLevel } from '../../src/core/log-level.js';
import { RcNotifier, type RcNotifierOptions } from '../../src/daemon/scripts/rc-notifier.js';
import { deadNotice, linkNotice, type RcField, type RcLocalState } from '../../src/resources/rc-notify.js';
import { fixturesDir } from '../helpers/paths.js';
import { requirePrerequisites } from '../helpers/privileges.js';
import { isAlive } from '../helpers/processes.js';

const ME = 'alpha';
const PEER = 'bravo';

/** Our stand-in for harc: records how it was called, then does what Debian's harc does. */
const TEST_HARC = `echo "$0 $*" >> "$REC/harc-argv"
exec "$HA_DIR/rc.d/$1" "$@"`;

/**
 * An rc.d script that records its argv, its environment (NUL-separated) and start/end times, and prints a line.
 * $SLEEP (from the environment) makes it last; $HA_seq tells the runs apart.
 */
const RECORDER = `n=$(basename "$0")
echo "start $n $HA_seq $(date +%s%N)" >> "$REC/events"
printf '%s\\n' "$0" "$@" > "$REC/argv.$n.$HA_seq"
env -0 > "$REC/env.$n.$HA_seq"
if [ -n "$SLEEP" ]; then sleep "$SLEEP"; fi
echo "end $n $HA_seq $(date +%s%N)" >> "$REC/events"
echo "output of $n $HA_seq"`;

interface Fixture {
  readonly dir: string;
  readonly rec: string;
  readonly logs: [LogLevel, string][];
  local: RcLocalState;
  script(rel: string, body: string, mode?: number): string;
  notifier(extra?: Partial<RcNotifierOptions>): RcNotifier;
  events(): string[][];
  env(name: string, seq: string): Map<string, string>;
  argv(name: string, seq: string): string[];
}

function fixture(t: { after: (f: () => Promise<void> | void) => void }): Fixture {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hb-rc-notifier-'));
  const rec = path.join(dir, 'rec');
  fs.mkdirSync(rec);
  fs.mkdirSync(path.join(dir, 'rc.d'));
  const notifiers: RcNotifier[] = [];
  t.after(async () => {
    for (const n of notifiers) await n.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const f: Fixture = {
    dir,
    rec,
    logs: [],
    local: { localStatus: 'active' },
    script(rel, body, mode = 0o755) {
      const file = path.join(dir, rel);
      fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode });
      fs.chmodSync(file, mode);
      return file;
    },
    notifier(extra = {}) {
      const n = new RcNotifier({
        configDir: dir,
        localNode: ME,
        niceFailback: true,
        env: { PATH: '/usr/bin:/bin', REC: rec, HA_LOGFILE: '', HA_DEBUGLOG: '', HA_LOGFACILITY: '', HA_debug: '0' },
        log: (level, text) => f.logs.push([level, text]),
        local: () => f.local,
        timeoutMs: 10_000,
        ...extra,
      });
      notifiers.push(n);
      return n;
    },
    events() {
      const file = path.join(rec, 'events');
      if (!fs.existsSync(file)) return [];
      return fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => l.split(' '));
    },
    env(name, seq) {
      const m = new Map<string, string>();
      for (const kv of fs.readFileSync(path.join(rec, `env.${name}.${seq}`), 'utf8').split('\0')) {
        const i = kv.indexOf('=');
        if (i > 0) m.set(kv.slice(0, i), kv.slice(i + 1));
      }
      return m;
    },
    argv(name, seq) {
      return fs.readFileSync(path.join(rec, `argv.${name}.${seq}`), 'utf8').trimEnd().split('\n');
    },
  };
  return f;
}

/** A received cluster message with the control fields a real one carries. */
function msg(t: string, src: string, seq: string, ...more: RcField[]): RcField[] {
  return [['t', t], ...more, ['src', src], ['seq', seq], ['hg', '6b05da3e'], ['ts', '6b05dab1'], ['ttl', '3'], ['auth', '1 7cdc69d9']];
}

function copyStock(dir: string, ...names: string[]): void {
  for (const n of names) fs.copyFileSync(path.join(fixturesDir, 'rc.d-stock', n), path.join(dir, 'rc.d', n));
  for (const n of names) fs.chmodSync(path.join(dir, 'rc.d', n), 0o755);
}

test('through harc: argv ["<dir>/harc", lower(t)], rc.d/<t> <t>, the HA_* environment, output logged with the script as prefix', async (t) => {
  const f = fixture(t);
  f.script('harc', TEST_HARC);
  f.script('rc.d/stonith', RECORDER);
  const n = f.notifier();
  n.notify('message', msg('stonith', ME, '2a', ['node', PEER], ['result', 'n_stnth']));
  await n.idle();
  assert.deepEqual(fs.readFileSync(path.join(f.rec, 'harc-argv'), 'utf8'), `${f.dir}/harc stonith\n`);
  assert.deepEqual(f.argv('stonith', '2a'), [`${f.dir}/rc.d/stonith`, 'stonith']);
  const env = f.env('stonith', '2a');
  const expected: [string, string][] = [
    ['HA_t', 'stonith'], ['HA_node', PEER], ['HA_result', 'n_stnth'], ['HA_src', ME], ['HA_seq', '2a'], ['HA_hg', '6b05da3e'],
    ['HA_ts', '6b05dab1'], ['HA_ttl', '3'], ['HA_auth', '1 7cdc69d9'], ['HA_OSTATUS', 'active'], ['HA_NICEFAILBACK', 'yes'], ['HA_LOGD', 'no'],
    ['HA_CURHOST', ME], ['HA_DIR', f.dir], ['HA_RCDIR', `${f.dir}/rc.d`], ['HA_FUNCS', '/etc/ha.d/shellfuncs'], ['HA_DATEFMT', '%Y/%m/%d_%T\t'],
    ['OCF_ROOT', '/usr/lib/ocf'], ['HA_LOGFILE', ''], ['HA_DEBUGLOG', ''], ['HA_LOGFACILITY', ''], ['HA_debug', '0'], ['REC', f.rec],
  ];
  for (const [k, v] of expected) assert.equal(env.get(k), v, k);
  assert.ok(f.logs.some(([l, s]) => l === 'info' && s === 'rc.d/stonith: output of stonith 2a'), JSON.stringify(f.logs));
});

test('one at a time, in order: each script starts after the previous one ended', async (t) => {
  const f = fixture(t);
  f.script('harc', TEST_HARC);
  f.script('rc.d/stonith', RECORDER);
  f.script('rc.d/ifstat', RECORDER);
  const n = f.notifier({ env: { PATH: '/usr/bin:/bin', REC: f.rec, SLEEP: '0.15' } });
  n.notify('message', msg('stonith', PEER, '1'));
  n.notify('local-notice', [...linkNotice(PEER, 'eth0', 'dead'), ['seq', '2']]);
  n.notify('message', msg('stonith', PEER, '3'));
  n.notify('message', msg('resource', PEER, '4', ['rsc_hold', 'all'])); // never notified: no rc.d/resource, and handled in C
  n.notify('local-notice', [...linkNotice(PEER, 'eth0', 'up'), ['seq', '5']]);
  await n.idle();
  const ev = f.events();
  assert.deepEqual(
    ev.map((e) => `${e[0]} ${e[1]} ${e[2]}`),
    ['start stonith 1', 'end stonith 1', 'start ifstat 2', 'end ifstat 2', 'start stonith 3', 'end stonith 3', 'start ifstat 5', 'end ifstat 5'],
  );
  for (let i = 1; i + 1 < ev.length; i += 2) {
    assert.ok(BigInt(ev[i]?.[3] ?? '0') <= BigInt(ev[i + 1]?.[3] ?? '0'), `run ${i} ended before the next started`);
  }
  assert.equal(f.env('ifstat', '2').get('HA_ifname'), 'eth0');
  assert.equal(f.env('ifstat', '2').get('HA_st'), 'dead');
});

test('Heartbeat\'s stock scripts for types heartbeat-ts handles are not run; a modified one runs, with one warning', async (t) => {
  const f = fixture(t);
  f.script('harc', TEST_HARC);
  copyStock(f.dir, 'status', 'ip-request', 'ip-request-resp', 'hb_takeover', 'ask_resources');
  // The user edited rc.d/hb_takeover (here: to record instead of running hb_standby).
  f.script('rc.d/hb_takeover', RECORDER);
  const n = f.notifier();
  n.notify('status-change', deadNotice(PEER, 0x6b05dab1, false)); // stock status: skipped (we take over natively)
  n.notify('message', msg('ip-request', PEER, '7', ['ipaddr', '198.51.100.10'])); // stock: skipped
  n.notify('message', msg('hb_takeover', PEER, '8', ['rsc_hold', 'local'])); // modified: runs
  n.notify('message', msg('hb_takeover', PEER, '9', ['rsc_hold', 'all'])); // again: no second warning
  await n.idle();
  assert.deepEqual(fs.readFileSync(path.join(f.rec, 'harc-argv'), 'utf8').trim().split('\n'), [`${f.dir}/harc hb_takeover`, `${f.dir}/harc hb_takeover`]);
  assert.equal(f.env('hb_takeover', '8').get('HA_rsc_hold'), 'local');
  const warnings = f.logs.filter(([l]) => l === 'warn');
  assert.deepEqual(warnings, [
    ['warn', "rc.d/hb_takeover is not Heartbeat's stock script; heartbeat-ts runs it as a notification and handles `hb_takeover` itself; it must not acquire or release resources"],
  ]);
  assert.ok(f.logs.some(([l, s]) => l === 'info' && s === `${f.dir}/rc.d: ask_resources, ip-request, ip-request-resp, status: Heartbeat's stock scripts; heartbeat-ts does their work itself and does not run them`));
});

test('a notification that hangs is killed after its timeout (its whole process group), and the queue goes on', async (t) => {
  const f = fixture(t);
  f.script('harc', TEST_HARC);
  f.script('rc.d/hang', `sleep 30 &\necho $! > "$REC/child.pid"\necho $$ > "$REC/script.pid"\nwait`);
  f.script('rc.d/stonith', RECORDER);
  const n = f.notifier({ timeoutMs: 300, killGraceMs: 200 });
  const t0 = Date.now();
  n.notify('message', msg('hang', PEER, '1'));
  n.notify('message', msg('stonith', PEER, '2'));
  await n.idle();
  assert.ok(Date.now() - t0 < 5000, 'the hanging script did not hold the queue');
  assert.ok(f.logs.some(([l, s]) => l === 'err' && s === 'rc.d/hang: timed out after 300 ms; sending SIGTERM to its process group'), JSON.stringify(f.logs));
  for (const file of ['child.pid', 'script.pid']) assert.equal(isAlive(Number(fs.readFileSync(path.join(f.rec, file), 'utf8'))), false, file);
  assert.deepEqual(f.argv('stonith', '2'), [`${f.dir}/rc.d/stonith`, 'stonith']);
});

test('no harc: rc.d/<t> <t> runs directly (what harc execs), said once; a non-executable script is reported', async (t) => {
  const f = fixture(t);
  f.script('rc.d/Stonith', RECORDER); // qualifies t=Stonith …
  f.script('rc.d/stonith', RECORDER); // … and runs rc.d/stonith, as harc's lower-cased $1 does
  f.script('rc.d/ifstat', 'echo never', 0o644);
  const n = f.notifier();
  n.notify('message', msg('Stonith', PEER, '1'));
  n.notify('message', msg('Stonith', PEER, '2'));
  n.notify('local-notice', linkNotice(PEER, 'eth0', 'dead'));
  await n.idle();
  assert.deepEqual(f.argv('stonith', '1'), [`${f.dir}/rc.d/stonith`, 'stonith']);
  assert.equal(f.env('stonith', '2').get('HA_t'), 'Stonith');
  const harcLines = f.logs.filter(([, s]) => s.includes('harc does not exist'));
  assert.deepEqual(harcLines, [['info', `${f.dir}/harc does not exist: heartbeat-ts runs rc.d scripts itself, as harc would (rc.d/<type> <type>)`]]);
  assert.ok(f.logs.some(([l, s]) => l === 'info' && s === `Running ${f.dir}/rc.d/stonith stonith`));
  assert.ok(f.logs.some(([l, s]) => l === 'info' && s === 'rc.d/stonith: output of stonith 1'));
  assert.ok(f.logs.some(([l, s]) => l === 'err' && s === `rc.d notification ifstat: ${f.dir}/rc.d/ifstat: not executable; not run`), JSON.stringify(f.logs));
});

test('a harc that is not executable: one clear line (file and cause), nothing runs, nothing crashes', async (t) => {
  const f = fixture(t);
  f.script('harc', TEST_HARC, 0o644);
  f.script('rc.d/stonith', RECORDER);
  const n = f.notifier();
  n.notify('message', msg('stonith', PEER, '1'));
  n.notify('message', msg('stonith', PEER, '2'));
  await n.idle();
  assert.deepEqual(f.events(), []);
  assert.deepEqual(f.logs.filter(([l]) => l === 'err'), [
    ['err', `cannot run ${f.dir}/harc: not executable (mode 0644); rc.d notifications are not run (make it executable, or remove it to have heartbeat-ts run rc.d scripts itself)`],
  ]);
  // Fixed while running: the next notification goes through (harc is checked every time, as Heartbeat execs it every time).
  fs.chmodSync(path.join(f.dir, 'harc'), 0o755);
  n.notify('message', msg('stonith', PEER, '3'));
  await n.idle();
  assert.deepEqual(f.argv('stonith', '3'), [`${f.dir}/rc.d/stonith`, 'stonith']);
});

test('a harc that cannot be executed (bad interpreter) is reported with its file and cause', async (t) => {
  const f = fixture(t);
  fs.writeFileSync(path.join(f.dir, 'harc'), '#!/nonexistent/shell\n', { mode: 0o755 });
  f.script('rc.d/stonith', RECORDER);
  const n = f.notifier();
  n.notify('message', msg('stonith', PEER, '1'));
  await n.idle();
  assert.deepEqual(f.events(), []);
  assert.ok(f.logs.some(([l, s]) => l === 'err' && s.includes(`${f.dir}/harc`) && s.includes('ENOENT')), JSON.stringify(f.logs));
});

test('rc.d is listed once, at first use; no rc.d at all is one line and no notifications', async (t) => {
  const f = fixture(t);
  f.script('harc', TEST_HARC);
  f.script('rc.d/stonith', RECORDER);
  const n = f.notifier();
  n.notify('message', msg('stonith', PEER, '1'));
  await n.idle();
  f.script('rc.d/ifstat', RECORDER); // added after the first notification: not seen until a restart
  n.notify('local-notice', linkNotice(PEER, 'eth0', 'dead'));
  await n.idle();
  assert.deepEqual(f.events().map((e) => `${e[0]} ${e[1]}`), ['start stonith', 'end stonith']);

  const g = fixture(t);
  fs.rmdirSync(path.join(g.dir, 'rc.d'));
  const m = g.notifier();
  m.notify('message', msg('stonith', PEER, '1'));
  m.notify('message', msg('stonith', PEER, '2'));
  await m.idle();
  assert.deepEqual(g.logs, [['info', `${g.dir}/rc.d does not exist: no rc.d notifications`]]);
});

test('HA_OSTATUS is the local status when the notification starts; comm-up and shutdown are judged when the event comes', async (t) => {
  const f = fixture(t);
  f.script('harc', TEST_HARC);
  f.script('rc.d/stonith', RECORDER);
  f.script('rc.d/ip-request-resp', RECORDER); // user-modified: runs (with the warning)
  f.local = { localStatus: 'up', commUp: false };
  const n = f.notifier();
  n.notify('message', msg('stonith', PEER, '1')); // before comm-up: dropped, as Heartbeat has no handler yet
  f.local = { localStatus: 'up', commUp: true };
  n.notify('message', msg('stonith', PEER, '2'));
  f.local = { localStatus: 'active', commUp: true };
  n.notify('message', msg('ip-request-resp', PEER, '3', ['dest', ME]));
  f.local = { localStatus: 'active', commUp: true, shuttingDown: true };
  n.notify('message', msg('ip-request-resp', PEER, '4', ['dest', ME])); // ignored while shutting down
  await n.idle();
  assert.deepEqual(f.events().filter((e) => e[0] === 'start').map((e) => `${e[1]} ${e[2]}`), ['stonith 2', 'ip-request-resp 3']);
  assert.equal(f.env('stonith', '2').get('HA_OSTATUS'), 'active', 'read when it ran, as notify_world reads curnode->status');
});

test('close() drops what is queued and waits for the running one; exclusive() wraps every run', async (t) => {
  const f = fixture(t);
  f.script('harc', TEST_HARC);
  f.script('rc.d/stonith', RECORDER);
  let wrapped = 0;
  const n = f.notifier({
    env: { PATH: '/usr/bin:/bin', REC: f.rec, SLEEP: '0.2' },
    exclusive: async (job) => {
      wrapped += 1;
      return job();
    },
  });
  n.notify('message', msg('stonith', PEER, '1'));
  n.notify('message', msg('stonith', PEER, '2'));
  n.notify('message', msg('stonith', PEER, '3'));
  await n.close(); // the first one has already left the queue: it runs to its end
  assert.deepEqual(f.events().map((e) => `${e[0]} ${e[2]}`), ['start 1', 'end 1']);
  assert.equal(wrapped, 1);
  assert.ok(f.logs.some(([, s]) => s === 'rc.d notifications: 2 queued one(s) not run (shutting down)'));
  n.notify('message', msg('stonith', PEER, '4')); // after close: ignored
  await n.idle();
  assert.equal(f.events().length, 2);
});

test('Debian\'s real /etc/ha.d/harc runs our rc.d scripts with the environment we give it', async (t) => {
  const absent = ['/etc/ha.d/harc', '/etc/ha.d/shellfuncs'].filter((p) => !fs.existsSync(p));
  if (!requirePrerequisites(t, absent.map((p) => `${p} (Debian package heartbeat)`))) return;
  const f = fixture(t);
  fs.copyFileSync('/etc/ha.d/harc', path.join(f.dir, 'harc'));
  fs.chmodSync(path.join(f.dir, 'harc'), 0o755);
  copyStock(f.dir, 'status', 'ip-request', 'ip-request-resp', 'hb_takeover', 'ask_resources');
  f.script('rc.d/stonith', RECORDER);
  f.script('rc.d/status', RECORDER); // modified: runs, with the warning
  const haLog = path.join(f.dir, 'ha-log');
  const haDebug = path.join(f.dir, 'ha-debug');
  const n = f.notifier({ env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin', REC: f.rec, HA_LOGFILE: haLog, HA_DEBUGLOG: haDebug, HA_LOGFACILITY: '', HA_debug: '0' } });
  n.notify('message', msg('stonith', ME, '5', ['node', PEER], ['result', 'unneeded']));
  n.notify('message', msg('ip-request', PEER, '6', ['ipaddr', '198.51.100.10'])); // stock: not run
  n.notify('status-change', deadNotice(PEER, 0x6b05dab1, false));
  await n.idle();
  // harc wrote its own "Running" lines into HA_LOGFILE, and sent the scripts' output to HA_DEBUGLOG.
  const log = fs.readFileSync(haLog, 'utf8');
  assert.match(log, new RegExp(`info: Running ${f.dir}/rc.d/stonith stonith`));
  assert.match(log, new RegExp(`info: Running ${f.dir}/rc.d/status status`));
  assert.doesNotMatch(log, /rc\.d\/ip-request/);
  assert.match(fs.readFileSync(haDebug, 'utf8'), /output of stonith 5/);
  assert.deepEqual(f.argv('stonith', '5'), [`${f.dir}/rc.d/stonith`, 'stonith']);
  const env = f.env('stonith', '5');
  assert.equal(env.get('HA_result'), 'unneeded');
  assert.equal(env.get('HA_CURHOST'), ME);
  assert.equal(env.get('HA_FUNCS'), '/etc/ha.d/shellfuncs');
  const dead = f.env('status', '1');
  assert.equal(dead.get('HA_st'), 'dead');
  assert.equal(dead.get('HA_src'), PEER);
  assert.equal(dead.get('HA_OSTATUS'), 'active');
  assert.deepEqual(f.logs.filter(([l]) => l === 'warn' || l === 'err'), [
    ['warn', "rc.d/status is not Heartbeat's stock script; heartbeat-ts runs it as a notification and handles `status` itself; it must not acquire or release resources"],
  ]);
});
