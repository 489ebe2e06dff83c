// The resource runner with real scripts in a temporary resource.d: order, status judgement, failures, timeouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { judgeStatus, ResourceRunner } from '../../src/daemon/resource-runner.js';
import type { ResourceGroup } from '../../src/config/model.js';
import { parseHaresources } from '../../src/config/haresources.js';

function setup(t: { after: (f: () => void) => void }, scripts: Record<string, string>): { dir: string; journal: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-rsc-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  fs.mkdirSync(path.join(dir, 'resource.d'));
  const journal = path.join(dir, 'journal');
  for (const [name, body] of Object.entries(scripts)) {
    const file = path.join(dir, 'resource.d', name);
    fs.writeFileSync(file, `#!/bin/sh\nJ=${journal}\n${body}\n`, { mode: 0o755 });
  }
  return { dir, journal };
}

/** A well-behaved script: records each call, keeps its state in a file. */
const GOOD = `S="$J.$(basename "$0").$1"
case "$2" in
  start) echo "start $(basename "$0") $1" >> "$J"; touch "$S" ;;
  stop) echo "stop $(basename "$0") $1" >> "$J"; rm -f "$S" ;;
  status) if [ -e "$S" ]; then echo running; else echo stopped; fi ;;
esac
exit 0`;

function groups(text: string): ResourceGroup[] {
  const r = parseHaresources(text, 'haresources', (n) => (n === 'alpha' || n === 'bravo' ? 'normal' : undefined));
  return [...r.groups];
}

function runner(dir: string, text: string, logs: string[], over: Partial<ConstructorParameters<typeof ResourceRunner>[0]> = {}): ResourceRunner {
  return new ResourceRunner({ configDir: dir, localNode: 'alpha', groups: groups(text), env: { PATH: '/usr/bin:/bin' }, log: (_l, s) => logs.push(s), stopRetryDelayMs: 10, ...over });
}

test('status is judged by its words, as ResourceManager judges it', () => {
  assert.equal(judgeStatus('running'), true);
  assert.equal(judgeStatus('httpd (pid 42) is running...'), true);
  assert.equal(judgeStatus('OK'), true);
  assert.equal(judgeStatus('httpd is not running'), false);
  assert.equal(judgeStatus('NOT RUNNING'), false);
  assert.equal(judgeStatus('httpd is not currently running'), false); // `not\ *running` is a shell pattern
  assert.equal(judgeStatus('notrunning'), true); // … which needs the blank
  assert.equal(judgeStatus('stopped'), false);
  assert.equal(judgeStatus(''), false);
});

test('groups start left to right and stop right to left; running resources are not started again', async (t) => {
  const { dir, journal } = setup(t, { one: GOOD, two: GOOD });
  const logs: string[] = [];
  const r = runner(dir, 'alpha one::a two::b\nbravo one::c\n', logs);
  assert.equal(await r.acquire('local'), true);
  assert.equal(await r.acquire('local'), true); // already running: no second start
  assert.equal(await r.release('local'), true);
  assert.deepEqual(fs.readFileSync(journal, 'utf8').trim().split('\n'), ['start one a', 'start two b', 'stop two b', 'stop one a']);
  assert.equal(await r.acquire('foreign'), true);
  assert.match(fs.readFileSync(journal, 'utf8'), /start one c\n$/);
  assert.ok(logs.some((l) => l.includes('Running one::a: already running')), logs.join('\n'));
});

test('a failed start gives the whole group up (started members stopped), with a line naming the resource', async (t) => {
  const { dir, journal } = setup(t, { one: GOOD, bad: 'echo "cannot start: no such thing" >&2\n[ "$1" = status ] && echo stopped\n[ "$1" = start ] && exit 1\nexit 0' });
  const logs: string[] = [];
  const r = runner(dir, 'alpha one::a bad\n', logs);
  assert.equal(await r.acquire('local'), false);
  assert.ok(logs.includes('Giving up resources due to failure of bad'), logs.join('\n'));
  assert.ok(logs.includes('bad [stderr]: cannot start: no such thing'), 'script output is logged with the resource as prefix');
  assert.deepEqual(fs.readFileSync(journal, 'utf8').trim().split('\n'), ['start one a', 'stop one a']);
});

test('a missing script is an error naming it; a hanging script is killed at its timeout with its children', async (t) => {
  const { dir } = setup(t, { hang: '[ "$1" = status ] && { echo stopped; exit 0; }\nsleep 30 &\necho $! > "$J.child"\nwait' });
  const logs: string[] = [];
  const missing = runner(dir, 'alpha nosuch::x\n', logs);
  assert.equal(await missing.acquire('local'), false);
  assert.ok(logs.some((l) => /nosuch::x: no executable script "nosuch"/.test(l)), logs.join('\n'));
  const started = Date.now();
  const hang = runner(dir, 'alpha hang\n', logs, { timeoutMs: 300 });
  assert.equal(await hang.acquire('local'), false);
  assert.ok(Date.now() - started < 5000);
  assert.ok(logs.some((l) => /hang: start timed out after 300 ms; killed/.test(l)), logs.join('\n'));
  const child = Number(fs.readFileSync(path.join(dir, 'journal.child'), 'utf8'));
  let alive = true;
  for (let i = 0; i < 100 && alive; i++) {
    try {
      process.kill(child, 0);
      await new Promise((r) => setTimeout(r, 20));
    } catch {
      alive = false;
    }
  }
  assert.equal(alive, false, 'the script\'s own child died with its process group');
});

test('a failing stop is retried (one stop and 10 retries, as HA_STOPRETRYMAX) and then reported, never silently dropped', async (t) => {
  const { dir, journal } = setup(t, { stuck: 'case "$1" in stop) echo try >> "$J"; exit 1;; status) echo running;; esac\nexit 0' });
  const logs: string[] = [];
  const r = runner(dir, 'alpha stuck\n', logs);
  assert.equal(await r.release('local'), false);
  assert.equal(fs.readFileSync(journal, 'utf8').trim().split('\n').length, 11);
  assert.ok(logs.some((l) => /Resource stuck failed to stop after 11 attempts/.test(l)), logs.join('\n'));
});

test('a resource already running at start is reported with Heartbeat\'s words ("is active, and should not be!")', async (t) => {
  const { dir } = setup(t, { one: GOOD, two: GOOD });
  fs.writeFileSync(path.join(dir, 'journal.two.b'), ''); // two::b is running before we start
  const logs: string[] = [];
  const r = runner(dir, 'alpha one::a\nbravo two::b\n', logs);
  assert.equal(await r.verifyAllIdle(), 1);
  assert.ok(logs.includes('Resource two::b is active, and should not be!'), logs.join('\n'));
  assert.ok(logs.includes('Non-idle resources will affect resource takeback!'));
  const clean = runner(dir, 'alpha one::a\n', []);
  assert.equal(await clean.verifyAllIdle(), 0);
});
