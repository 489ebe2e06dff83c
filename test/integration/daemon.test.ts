// The daemon's wiring, in one process: two Daemons joined by an in-memory medium reach active; a medium that
// cannot open at first is retried while the others carry on; the logger writes Heartbeat's logfile format.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkConfig } from '../../src/config/check.js';
import { fakeHost } from '../../src/config/host-facts.js';
import type { ClusterConfig } from '../../src/config/model.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { formatLogLine } from '../../src/core/log-format.js';
import { Logger } from '../../src/logging/logger.js';
import { nextGeneration, parseGeneration } from '../../src/daemon/files/state-files.js';
import type { MediumAdapter, MediumListener, OutboundFrame } from '../../src/media/medium.js';
import type { LogLevel } from '../../src/core/log-level.js';
import type { Action } from '../../src/membership/types.js';

const HA_CF = 'keepalive 100ms\nwarntime 300ms\ndeadtime 500ms\ninitdead 1\nbcast eth0\nbcast eth1\nauto_failback on\nnode alpha\nnode bravo\n';
const KEYS = 'auth 1\n1 sha1 Daemon-Key\n';

function config(node: string): ClusterConfig {
  const r = checkConfig(
    { haCf: { path: 'ha.cf', text: HA_CF }, haresources: { path: 'haresources', text: '' }, authkeys: { path: 'authkeys', text: KEYS, mode: 0o600 } },
    node,
    fakeHost({ interfaces: ['eth0', 'eth1'] }),
  );
  assert.ok(r.config !== undefined, r.diagnostics.map((d) => d.message).join('\n'));
  return r.config;
}

/** A broadcast domain in memory: what one end sends, every other end receives (asynchronously). */
class Bus {
  readonly ends = new Set<BusMedium>();
}

class BusMedium implements MediumAdapter {
  readonly kind = 'bcast' as const;
  private listener: MediumListener | undefined;
  sent = 0;
  constructor(readonly name: string, private readonly bus: Bus, private failures = 0) {}
  start(listener: MediumListener): Promise<void> {
    if (this.failures > 0) {
      this.failures -= 1;
      return Promise.reject(new Error(`bcast ${this.name}: interface has no IPv4 address (or is down)`));
    }
    this.listener = listener;
    this.bus.ends.add(this);
    return Promise.resolve();
  }
  send(frame: OutboundFrame): void {
    this.sent += 1;
    for (const e of this.bus.ends) if (e !== this) setImmediate(() => e.listener?.frame(frame.packet));
  }
  close(): Promise<void> {
    this.bus.ends.delete(this);
    return Promise.resolve();
  }
}

function tmp(t: { after: (f: () => void) => void }): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'hbts-daemon-'));
  t.after(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

async function until(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('two daemons on an in-memory medium reach active; a medium that fails to open is retried, not fatal', async (t) => {
  const eth0 = new Bus();
  const eth1 = new Bus();
  const dirs = { alpha: tmp(t), bravo: tmp(t) };
  const logs = { alpha: path.join(dirs.alpha, 'ha-log'), bravo: path.join(dirs.bravo, 'ha-log') };
  const actions: Record<string, Action[]> = { alpha: [], bravo: [] };
  const late = new BusMedium('eth1', eth1, 2); // alpha's eth1 is down for its first two attempts
  const loggers: Logger[] = [];
  const daemons = (['alpha', 'bravo'] as const).map((n) => {
    const logger = new Logger({ logFile: logs[n], debugFile: undefined, stderr: false, debugLevel: 0 }, n);
    loggers.push(logger);
    const media = n === 'alpha' ? [new BusMedium('eth0', eth0), late] : [new BusMedium('eth0', eth0), new BusMedium('eth1', eth1)];
    const d = new Daemon({ config: config(n), stateDir: dirs[n], media, logger, mediumRetryMs: 50, onAction: (a) => actions[n]?.push(a) });
    t.after(async () => {
      await d.close();
      await logger.close();
    });
    return d;
  });
  for (const d of daemons) await d.start();
  await until('both active', () => daemons.every((d) => d.nodes()[0]?.status === 'active'), 5000);
  await until('alpha\'s eth1 open and heard by bravo', () => daemons[1]?.nodes().find((n) => n.name === 'alpha')?.links.get('eth1') === 'up', 5000);
  assert.equal(daemons[0]?.nodes().find((n) => n.name === 'bravo')?.status, 'active');
  for (const d of daemons) await d.close();
  for (const l of loggers) await l.close(); // flushes the files
  const alphaLog = fs.readFileSync(logs.alpha, 'utf8');
  assert.equal((alphaLog.match(/bcast eth1: interface has no IPv4 address \(or is down\); retrying every 0\.05 s/g) ?? []).length, 1, alphaLog);
  assert.match(alphaLog, /info: glib: UDP Broadcast heartbeat started on port 694 \(694\) interface eth1/);
  assert.match(alphaLog, /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d alpha heartbeat: \[\d+\]: info: Status update for node bravo: status active$/m);
  assert.match(alphaLog, /frames dropped this run: none/);
  // hb_generation was written in Heartbeat's format, and hb_uuid holds 16 bytes.
  const gen = fs.readFileSync(path.join(dirs.alpha, 'hb_generation'), 'latin1');
  assert.match(gen, /^ {0,14}\d{1,15}\n$/);
  assert.equal(gen.length, 16);
  assert.ok((parseGeneration(gen) ?? 0) > 0);
  assert.equal(fs.readFileSync(path.join(dirs.alpha, 'hb_uuid')).length, 16);
  // The host cache names both nodes with their UUIDs once bravo's was learned.
  await until('hostcache', () => fs.existsSync(path.join(dirs.alpha, 'hostcache')), 2000);
  assert.match(fs.readFileSync(path.join(dirs.alpha, 'hostcache'), 'latin1'), /^bravo\t[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\t100\t$/m);
});

test('each start reads the generation file and writes it back incremented; the log format matches Heartbeat 3.0.6\'s logfile', (t) => {
  const dir = tmp(t);
  fs.writeFileSync(path.join(dir, 'hb_generation'), '     1795546267\n');
  assert.equal(nextGeneration(dir, 'file'), 1795546268);
  assert.equal(nextGeneration(dir, 'file'), 1795546269);
  assert.equal(fs.readFileSync(path.join(dir, 'hb_generation'), 'latin1'), '     1795546269\n');
  // Missing file: the time, plus one; `hbgenmethod time` never goes below the previous value either.
  const fresh = tmp(t);
  assert.equal(nextGeneration(fresh, 'file', 1_800_000_000), 1_800_000_001);
  assert.equal(nextGeneration(fresh, 'time', 1_700_000_000), 1_800_000_002);
  assert.equal(
    formatLogLine('bravo', 'heartbeat', 17830, 'warn', 'node alpha: is dead', new Date(2026, 10, 5, 6, 31, 51)),
    'Nov  5 06:31:51 bravo heartbeat: [17830]: WARN: node alpha: is dead\n',
  );
});

test('rc.d notifications: the peer\'s status changes and death, link changes and a custom message reach rc.d scripts with HA_* fields', async (t) => {
  const bus = new Bus();
  const dirs = { alpha: tmp(t), bravo: tmp(t) };
  // alpha's config dir: no harc, so heartbeat-ts runs rc.d/<type> <type> itself; each script appends its
  // argument and the HA_ variables it is about into a record file.
  const confDir = path.join(dirs.alpha, 'etc');
  const record = path.join(dirs.alpha, 'record');
  fs.mkdirSync(path.join(confDir, 'rc.d'), { recursive: true });
  for (const name of ['status', 'ifstat', 'my-hook']) {
    fs.writeFileSync(
      path.join(confDir, 'rc.d', name),
      `#!/bin/sh\necho "$1 src=$HA_src st=$HA_st node=$HA_node ifname=$HA_ifname note=$HA_note ostatus=$HA_OSTATUS curhost=$HA_CURHOST" >> ${record}\n`,
      { mode: 0o755 },
    );
  }
  const loggers: Logger[] = [];
  const make = (n: 'alpha' | 'bravo'): { d: Daemon; m: BusMedium } => {
    const logger = new Logger({ logFile: path.join(dirs[n], 'ha-log'), debugFile: undefined, stderr: false, debugLevel: 0 }, n);
    loggers.push(logger);
    const m = new BusMedium('eth0', bus);
    const notifications = n === 'alpha' ? { configDir: confDir, localNode: 'alpha', niceFailback: true, env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HA_CURHOST: 'alpha' }, log: (level: LogLevel, text: string) => logger.log(level, text) } : undefined;
    const d = new Daemon({ config: config(n), stateDir: dirs[n], media: [m], logger, mediumRetryMs: 50, ...(notifications === undefined ? {} : { notifications }) });
    return { d, m };
  };
  const alpha = make('alpha');
  const bravo = make('bravo');
  t.after(async () => {
    await alpha.d.close();
    await bravo.d.close();
    for (const l of loggers) await l.close();
  });
  await alpha.d.start();
  await bravo.d.start();
  const lines = (): string[] => (fs.existsSync(record) ? fs.readFileSync(record, 'latin1').trim().split('\n') : []);
  await until('bravo active seen by rc.d/status', () => lines().some((l) => l.startsWith('status src=bravo st=active')), 5000);
  // A message of a type heartbeat-ts does not handle reaches rc.d/<type> with its fields.
  bravo.d.localMessage({ fields: [{ name: 't', type: 0, value: Buffer.from('my-hook') }, { name: 'note', type: 0, value: Buffer.from('hello') }] });
  await until('rc.d/my-hook ran', () => lines().some((l) => l.startsWith('my-hook src=bravo') && l.includes('note=hello')), 5000);
  // bravo vanishes: its link goes dead (ifstat), then bravo itself (status st=dead).
  await bravo.d.close();
  await until('rc.d/status saw bravo dead', () => lines().some((l) => l.startsWith('status src=bravo st=dead')), 5000).catch((e: unknown) => {
    throw new Error(`${(e as Error).message}; rc.d saw:\n${lines().join('\n')}\nlog:\n${fs.readFileSync(path.join(dirs.alpha, 'ha-log'), 'latin1')}`);
  });
  await until('rc.d/ifstat saw the link dead', () => lines().some((l) => l.startsWith('ifstat') && l.includes('node=bravo') && l.includes('ifname=eth0') && l.includes('st=dead')), 5000);
  for (const l of lines()) assert.match(l, /ostatus=active curhost=alpha$/, l);
});
