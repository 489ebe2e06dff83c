// Issue 16's lost wake-up, on the real Daemon: a resource event raised while another resource event's send is
// being handled must keep the wake-up it asked for.
//
// The old daemon had two event paths: a standby request (from the FIFO) went to the resource protocol, whose
// `send` drained the membership queue at once; that handling found the peer dead and re-entered the resource
// protocol with `peer-dead`, which armed the resource timer; back in the outer call, the timer was cleared
// and re-armed from the outer (stale) nextWakeAtMs, so the wake-up the inner event asked for was lost. Here
// the clock is manual; the daemon's one timer is real, so the test waits (bounded) for it to fire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkConfig } from '../../src/config/check.js';
import { fakeHost } from '../../src/config/host-facts.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { Logger } from '../../src/logging/logger.js';
import type { Action } from '../../src/membership/types.js';
import type { ResourceAction, ResourceEngine, ResourceEvent } from '../../src/resources/protocol.js';
import { makeMessage } from '../../src/wire/message.js';

const HA_CF = 'keepalive 100ms\nwarntime 300ms\ndeadtime 500ms\ninitdead 1\nbcast eth0\nnode alpha\nnode bravo\n';

/** A resource protocol that asks for a wake-up 30 ms after the peer dies, and reports every event it sees. */
class WakeAfterPeerDeath implements ResourceEngine {
  readonly seen: { kind: string; atMs: number }[] = [];
  private wakeAtMs = Number.POSITIVE_INFINITY;
  handle(event: ResourceEvent, nowMs: number): { actions: ResourceAction[]; nextWakeAtMs: number } {
    this.seen.push({ kind: event.kind, atMs: nowMs });
    const actions: ResourceAction[] = [];
    if (event.kind === 'standby-request') actions.push({ kind: 'send', fields: [['t', 'wakeup-test']] });
    if (event.kind === 'peer-dead') this.wakeAtMs = nowMs + 30;
    if (event.kind === 'tick' && nowMs >= this.wakeAtMs) this.wakeAtMs = Number.POSITIVE_INFINITY;
    return { actions, nextWakeAtMs: this.wakeAtMs };
  }
  rscStatus(): string {
    return 'none';
  }
}

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('issue 16: a wake-up asked for by a resource event raised inside another one is not lost', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-wakeup-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const r = checkConfig(
    { haCf: { path: 'ha.cf', text: HA_CF }, haresources: { path: 'haresources', text: '' }, authkeys: { path: 'authkeys', text: 'auth 1\n1 sha1 K\n', mode: 0o600 } },
    'alpha',
    fakeHost({ interfaces: ['eth0'] }),
  );
  assert.ok(r.config !== undefined);
  let clock = 0;
  let lastStatusAtMs = -1;
  const engine = new WakeAfterPeerDeath();
  const logger = new Logger({ logFile: path.join(dir, 'ha-log'), debugFile: undefined, stderr: false, debugLevel: 0 }, 'alpha');
  const d = new Daemon({
    config: r.config,
    stateDir: dir,
    media: [],
    logger,
    monoMs: () => clock,
    resources: { create: () => engine, runner: undefined, peer: 'bravo' },
    onAction: (a: Action) => {
      if (a.kind === 'send' && a.reason === 'status') lastStatusAtMs = clock;
    },
  });
  t.after(async () => {
    await d.close();
    await logger.close();
  });
  await d.start();
  // Heart-beat up to 900 ms (each keepalive on the daemon's own timer), bravo never heard.
  for (clock = 100; clock <= 900; clock += 100) {
    const at = clock;
    await until(`our status at ${at} ms`, () => lastStatusAtMs === at, 5000);
  }
  clock = 1050; // bravo's initdead (1 s) has passed, and no tick has seen it yet
  d.localMessage(makeMessage([['t', 'ask_resources'], ['info', 'me'], ['rsc_hold', 'all']]));
  const dead = engine.seen.find((e) => e.kind === 'peer-dead');
  assert.ok(dead !== undefined, `peer-dead reached the resource protocol: ${JSON.stringify(engine.seen)}`);
  clock = 1100; // past the wake-up it asked for (1080 ms)
  await until('the resource protocol\'s tick after peer-dead', () => engine.seen.some((e) => e.kind === 'tick' && e.atMs >= 1080), 3000);
});
