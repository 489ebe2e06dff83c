// Running the pure `hbctl to-pacemaker` core on the config sets, with this project's verdict host and a fixed host.
import fs from 'node:fs';
import path from 'node:path';
import type { ScriptFacts } from '../../src/pacemaker/agents.js';
import { convert, type ConvertResult } from '../../src/pacemaker/convert.js';
import { fakeHost } from '../../src/config/host-facts.js';
import { checkConfig } from '../../src/config/check.js';
import type { ClusterConfig } from '../../src/config/model.js';
import { fixturesDir } from './paths.js';
import { loadConfigSets, type ConfigSet } from './config-verdict.js';

/** As in test/unit/config-sets.test.ts: lo and eth0, Debian's heartbeat package, the usual users and devices. */
export const VERDICT_HOST = fakeHost({
  interfaces: ['lo', 'eth0'],
  files: {
    '/usr/libexec/heartbeat/ipfail': 'executable',
    '/usr/libexec/heartbeat': 'directory',
    '/etc/passwd': 'file',
    '/dev/null': 'char-device',
    '/dev/ttyS0': 'char-device',
  },
  users: ['root', 'hacluster', 'nobody'],
  groups: ['root', 'haclient', 'nogroup'],
});

/** The extra inputs' host: a second interface for a second link, and a watchdog device. */
export const EXTRA_HOST = fakeHost({
  interfaces: ['lo', 'eth0', 'eth1'],
  files: { '/usr/libexec/heartbeat/ipfail': 'executable', '/usr/local/bin/notify-admin': 'executable', '/dev/watchdog': 'char-device', '/dev/ttyS0': 'char-device' },
  users: ['root', 'hacluster', 'nobody'],
  groups: ['root', 'haclient', 'nogroup'],
});

/** Debian bookworm with heartbeat's resource.d and apache2 installed: fixed, so the golden files are too. */
export const FIXED_SCRIPTS: ScriptFacts = {
  inResourceD: (n) => ['AudibleAlarm', 'Delay', 'Filesystem', 'ICP', 'IPaddr', 'IPaddr2', 'IPsrcaddr', 'IPv6addr', 'LVM', 'LinuxSCSI',
    'MailTo', 'OCF', 'Raid1', 'SendArp', 'ServeRAID', 'WAS', 'WinPopup', 'Xinetd', 'apache', 'db2', 'ids', 'ldirectord', 'portblock'].includes(n),
  inInitD: (n) => ['apache2', 'ssh', 'cron', 'postfix'].includes(n),
  hasSystemdUnit: (n) => ['apache2', 'ssh', 'cron', 'postfix', 'nginx'].includes(n),
};

export const GOLDEN_DIR = path.join(fixturesDir, 'to-pacemaker');
/** Hand-written inputs beyond the measured config sets (monitors, DRBD, fencing, several links …). */
export const EXTRA_INPUTS_DIR = path.join(GOLDEN_DIR, 'inputs');

export interface Convertible {
  readonly name: string;
  readonly dir: string;
  readonly node: string;
  readonly mode: number;
  readonly addresses: ReadonlyMap<string, readonly string[]>;
  readonly extra: boolean;
}

function read(dir: string, name: string): string | undefined {
  const f = path.join(dir, name);
  return fs.existsSync(f) ? fs.readFileSync(f, 'latin1') : undefined;
}

/** Every config set Heartbeat accepts, then the extra inputs (each a directory with ha.cf … and input.json). */
export function convertibles(): Convertible[] {
  const sets = loadConfigSets()
    .filter((s: ConfigSet) => s.meta.verdict === 'accept')
    .map((s) => ({ name: s.name, dir: s.dir, node: s.meta.node, mode: parseInt(s.meta.mode, 8), addresses: new Map<string, string[]>(), extra: false }));
  const extras = fs.readdirSync(EXTRA_INPUTS_DIR).sort().map((name) => {
    const dir = path.join(EXTRA_INPUTS_DIR, name);
    const meta = JSON.parse(fs.readFileSync(path.join(dir, 'input.json'), 'utf8')) as { node: string; addresses?: Record<string, string[]> };
    return { name: `input-${name}`, dir, node: meta.node, mode: 0o600, addresses: new Map(Object.entries(meta.addresses ?? {})), extra: true };
  });
  return [...sets, ...extras];
}

export function convertSet(c: Convertible): ConvertResult {
  const monitors = read(c.dir, 'monitors');
  return convert({
    files: {
      haCf: { path: 'ha.cf', text: read(c.dir, 'ha.cf') },
      haresources: { path: 'haresources', text: read(c.dir, 'haresources') },
      authkeys: { path: 'authkeys', text: read(c.dir, 'authkeys'), mode: c.mode },
    },
    monitors: monitors === undefined ? undefined : { path: 'monitors', text: monitors },
    nodeName: c.node,
    host: c.extra ? EXTRA_HOST : VERDICT_HOST,
    scripts: FIXED_SCRIPTS,
    addresses: c.addresses,
    format: 'all',
    source: `/etc/ha.d (${c.name})`,
  });
}

/** The checked configuration of a convertible (what Heartbeat would run), for expectations made from the input. */
export function configOf(c: Convertible): ClusterConfig | undefined {
  return checkConfig({
    haCf: { path: 'ha.cf', text: read(c.dir, 'ha.cf') },
    haresources: { path: 'haresources', text: read(c.dir, 'haresources') },
    authkeys: { path: 'authkeys', text: read(c.dir, 'authkeys'), mode: c.mode },
  }, c.node, c.extra ? EXTRA_HOST : VERDICT_HOST).config;
}
