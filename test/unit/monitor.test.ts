// The service-health state machine (issue 17) on the manual clock: checks, fall, restarts, hand-over, back-off, cleanup.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseMonitorsText } from '../../src/config/monitors.js';
import { FAILBACK_RETRY_MS, HANDOVER_WAIT_MS, Monitor, type MonitorAction, type MonitorEvent, type MonitorOptions } from '../../src/resources/monitor.js';

const GROUP = { key: '198.51.100.10', set: 'local' as const, resources: ['198.51.100.10', 'httpd', 'cron'] };

function make(monitors: string, o: Partial<MonitorOptions> = {}): Harness {
  const parsed = parseMonitorsText(monitors);
  assert.deepEqual(parsed.problems, []);
  return new Harness(new Monitor({ groups: [GROUP], specs: parsed.monitors, failed: [], autoFailback: 'on', ...o }));
}

class Harness {
  now = 0;
  wake = Infinity;
  readonly log: MonitorAction[] = [];
  constructor(readonly m: Monitor) {}
  step(e: MonitorEvent): MonitorAction[] {
    const r = this.m.handle(e, this.now);
    this.wake = r.nextWakeAtMs;
    this.log.push(...r.actions);
    return [...r.actions];
  }
  hold(held: boolean, stable = true, peerAlive = true): MonitorAction[] {
    return this.step({ kind: 'observe', held: new Set(held ? [GROUP.key] : []), stable, peerAlive });
  }
  /** Advances to the next wake-up (asserting there is one before `limitMs`) and ticks. */
  tickToWake(limitMs = 10 * 60_000): MonitorAction[] {
    assert.ok(this.wake <= this.now + limitMs, `a wake-up within ${limitMs} ms (got ${this.wake})`);
    this.now = Math.max(this.now, this.wake);
    return this.step({ kind: 'tick' });
  }
  checkOf(actions: MonitorAction[]): Extract<MonitorAction, { kind: 'check' }> {
    const c = actions.find((a) => a.kind === 'check');
    assert.ok(c?.kind === 'check', `a check in ${JSON.stringify(actions)}`);
    return c;
  }
  answer(c: { resource: string; id: number }, ok: boolean, durationMs = 5): MonitorAction[] {
    this.now += durationMs;
    return this.step({ kind: 'check-done', resource: c.resource, id: c.id, ok, durationMs, detail: ok ? 'ok' : 'exit 7' });
  }
}

const kinds = (as: MonitorAction[]): string[] => as.filter((a) => a.kind !== 'log').map((a) => a.kind);

test('checks run only while the group is held and stable, one interval apart, one in flight per resource', () => {
  const h = make('httpd interval=5 check=curl -fsS http://198.51.100.10/\n');
  assert.deepEqual(kinds(h.hold(false)), []);
  assert.equal(h.wake, Infinity, 'nothing to do for a group we do not hold');
  assert.deepEqual(kinds(h.hold(true, false)), [], 'a transition: no checks');
  assert.deepEqual(kinds(h.hold(true)), []);
  assert.equal(h.wake, 5000, 'the first check one interval after the group is held');
  const c = h.checkOf(h.tickToWake());
  assert.deepEqual(c.argv, ['curl', '-fsS', 'http://198.51.100.10/']);
  assert.equal(c.timeoutMs, 20_000);
  h.now += 30_000; // a hung check: nothing else is started for this resource
  assert.deepEqual(kinds(h.step({ kind: 'tick' })), []);
  const c2 = h.checkOf(h.answer(c, true)); // the interval has passed: the next check at once
  assert.equal(h.wake, Infinity, 'in flight');
  h.answer(c2, true, 100);
  assert.equal(h.wake, h.now - 100 + 5000, 'the next check an interval after the last began');
  h.hold(true, false);
  assert.equal(h.wake, Infinity, 'paused during a transition');
});

test('a result from before a pause is ignored', () => {
  const h = make('httpd interval=1\n');
  h.hold(true);
  const c = h.checkOf(h.tickToWake());
  assert.equal(c.argv, undefined, "no check=: the resource's own status");
  h.hold(true, false);
  assert.deepEqual(kinds(h.answer(c, false)), []);
  assert.equal(h.m.view()[0]?.checks, 0);
});

test('fall=2: two failures in a row restart the failed resource and those after it; then watching again', () => {
  const h = make('httpd interval=2 fall=2 restarts=1\n');
  h.hold(true);
  h.answer(h.checkOf(h.tickToWake()), false);
  assert.equal(h.m.view()[0]?.consecutiveFailures, 1);
  h.answer(h.checkOf(h.tickToWake()), true);
  assert.equal(h.m.view()[0]?.consecutiveFailures, 0, 'a success resets the count');
  h.answer(h.checkOf(h.tickToWake()), false);
  const acts = h.answer(h.checkOf(h.tickToWake()), false);
  assert.deepEqual(kinds(acts), ['notify', 'restart']);
  assert.deepEqual(acts.find((a) => a.kind === 'restart'), { kind: 'restart', group: GROUP.key, resources: GROUP.resources, from: 1 });
  assert.equal(h.wake, Infinity, 'no checks while restarting');
  h.step({ kind: 'restart-done', group: GROUP.key, ok: true });
  assert.equal(h.wake, h.now + 2000);
  assert.equal(h.m.view()[0]?.restarts, 1);
});

test('restarts used up: the whole group is handed over through hb_standby and marked failed (persisted)', () => {
  const h = make('httpd interval=1 restarts=1\n');
  h.hold(true);
  assert.deepEqual(kinds(h.answer(h.checkOf(h.tickToWake()), false)), ['notify', 'restart']);
  h.step({ kind: 'restart-done', group: GROUP.key, ok: true });
  const acts = h.answer(h.checkOf(h.tickToWake()), false);
  assert.deepEqual(kinds(acts), ['notify', 'persist', 'notify', 'standby']);
  assert.deepEqual(acts.find((a) => a.kind === 'persist'), { kind: 'persist', failed: [GROUP.key] });
  assert.deepEqual(acts.find((a) => a.kind === 'standby'), { kind: 'standby', group: GROUP.key, set: 'local' });
  h.hold(true, false); // the standby exchange runs
  h.hold(false);
  assert.ok(h.log.some((a) => a.kind === 'log' && a.level === 'err' && a.text.includes('handed over')));
  assert.equal(h.m.view()[0]?.failed, true);
  assert.equal(h.m.refusesSet('local'), GROUP.key, "a failback of our home groups is refused: auto_failback does not bring it back");
  assert.equal(h.m.refusesSet('foreign'), undefined);
});

test('restarts=0 and a failed restart both hand over at once', () => {
  const a = make('httpd interval=1 restarts=0\n');
  a.hold(true);
  assert.deepEqual(kinds(a.answer(a.checkOf(a.tickToWake()), false)), ['notify', 'persist', 'notify', 'standby']);
  const b = make('httpd interval=1 restarts=3\n');
  b.hold(true);
  b.answer(b.checkOf(b.tickToWake()), false);
  assert.deepEqual(kinds(b.step({ kind: 'restart-done', group: GROUP.key, ok: false })), ['persist', 'notify', 'standby']);
});

test('the peer dead, or auto_failback legacy: kept here and restarted with growing back-off, never handed over', () => {
  for (const [peerAlive, autoFailback] of [[false, 'on'], [true, 'legacy']] as const) {
    const h = make('httpd interval=1 restarts=0\n', { autoFailback });
    h.hold(true, true, peerAlive);
    const acts = h.answer(h.checkOf(h.tickToWake()), false);
    assert.deepEqual(kinds(acts), ['notify', 'notify'], 'failure, kept');
    assert.ok(acts.some((a) => a.kind === 'log' && a.level === 'err' && a.text.includes('keeping the resource group here')));
    const first = h.wake - h.now;
    assert.deepEqual(kinds(h.tickToWake()), ['restart']);
    h.step({ kind: 'restart-done', group: GROUP.key, ok: false });
    const second = h.wake - h.now;
    assert.ok(second > first, `back-off grows: ${first} → ${second}`);
    assert.equal(h.m.view()[0]?.failed, false);
    assert.ok(!h.log.some((a) => a.kind === 'standby'));
  }
});

test('a hand-over the peer does not take (it is failed for that group too): kept here with back-off', () => {
  const h = make('httpd interval=1 restarts=0\n');
  h.hold(true);
  h.answer(h.checkOf(h.tickToWake()), false);
  h.now += HANDOVER_WAIT_MS - 1;
  assert.deepEqual(kinds(h.hold(true)), []);
  h.now += 1;
  assert.deepEqual(kinds(h.hold(true)), ['notify']);
  assert.deepEqual(kinds(h.tickToWake()), ['restart'], 'restarted after the back-off');
});

test('forget= drops old failures: the restart allowance comes back', () => {
  const h = make('httpd interval=1 restarts=1 forget=60\n');
  h.hold(true);
  h.answer(h.checkOf(h.tickToWake()), false);
  h.step({ kind: 'restart-done', group: GROUP.key, ok: true });
  h.now += 61_000;
  const c = h.checkOf(h.step({ kind: 'tick' }));
  assert.ok(h.log.some((a) => a.kind === 'log' && a.text.includes('forgotten')));
  assert.deepEqual(kinds(h.answer(c, false)), ['notify', 'restart'], 'restarted, not handed over');
});

test('cleanup clears the failed mark (persisted) and, with auto_failback on, asks for the home group back', () => {
  const h = new Harness(new Monitor({ groups: [GROUP], specs: parseMonitorsText('httpd\n').monitors, failed: [GROUP.key], autoFailback: 'on' }));
  h.hold(false);
  assert.equal(h.m.view()[0]?.failed, true, 'the mark read from the state dir');
  assert.deepEqual(kinds(h.step({ kind: 'cleanup', resource: 'nosuch' })), []);
  assert.deepEqual(kinds(h.step({ kind: 'cleanup', resource: 'httpd' })), ['persist', 'failback']);
  // Asked again until the group is home (the peer refuses while its own standby offer is pending).
  assert.equal(h.wake, h.now + FAILBACK_RETRY_MS);
  assert.deepEqual(kinds(h.tickToWake()), ['failback']);
  h.hold(true);
  assert.deepEqual(kinds(h.tickToWake()), ['check'], 'home: no more requests; watched again');
  assert.deepEqual(h.log.find((a) => a.kind === 'persist'), { kind: 'persist', failed: [] });
  assert.equal(h.m.refusesSet('local'), undefined);
  const off = new Harness(new Monitor({ groups: [GROUP], specs: parseMonitorsText('httpd\n').monitors, failed: [GROUP.key], autoFailback: 'off' }));
  off.hold(false);
  assert.deepEqual(kinds(off.step({ kind: 'cleanup', resource: 'all' })), ['persist'], 'auto_failback off: it stays where it is');
});

test('a resource without a monitors line is never checked; a group without one is not watched', () => {
  const h = new Harness(new Monitor({ groups: [GROUP, { key: 'x', set: 'foreign', resources: ['x'] }], specs: parseMonitorsText('cron interval=3\n').monitors, failed: ['x', 'gone'], autoFailback: 'on' }));
  h.step({ kind: 'observe', held: new Set([GROUP.key, 'x']), stable: true, peerAlive: true });
  assert.deepEqual(h.m.view().map((v) => v.resource), ['cron']);
  assert.equal(h.checkOf(h.tickToWake()).resource, 'cron');
  assert.deepEqual([...h.m.failedGroups], ['x'], 'a mark for a group no longer in haresources is dropped');
});
