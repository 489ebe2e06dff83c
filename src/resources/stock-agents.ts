// Debian's stock v1 address scripts (IPaddr, IPaddr2): recognised by SHA-256 and run by our native stand-in.
/*
 * A node migrated from Heartbeat keeps /etc/ha.d/resource.d from Debian's `heartbeat` package. There `IPaddr`
 * and `IPaddr2` are OCF wrappers: they source /etc/ha.d/resource.d/hto-mapfuncs, which runs
 * /usr/lib/ocf/resource.d/heartbeat/<agent> (resource-agents). Each call costs 50–150 ms of shell and sed, and a
 * hand-over runs several. When all three files are byte-identical to a version recorded below, the daemon runs
 * this project's resource.d/<name> with HBTS_STOCK_AGENT=<name> and the same arguments instead: the same address,
 * netmask, broadcast, alias label and ARP (resource.d/.ipaddr-common.sh; where it differs: docs/migrated-node.md).
 * A modified copy of any of the three runs as written, with a note. HBTS_NATIVE=off turns the stand-in off.
 *
 * Digests recorded (SHA-256 of the installed files, unmodified dpkg conffiles / package files):
 *   Debian 12 (bookworm): heartbeat 1:3.0.6-13+b2 (wrappers, hto-mapfuncs), resource-agents 1:4.12.0-2 (agents).
 * No other version's exact bytes were available to us; other distributions' copies run as written.
 * Copies of the Debian 12 files: test/fixtures/stock-agents/.
 *
 * Pure: the caller reads and hashes the files.
 */

export type StockAgentName = 'IPaddr' | 'IPaddr2';

export interface StockAgentFiles {
  /** /etc/ha.d/resource.d/<name> (or <config-dir>/resource.d/<name>): the v1 wrapper. */
  readonly wrapper: string;
  /** What the wrapper sources (an absolute path written in it): /etc/ha.d/resource.d/hto-mapfuncs. */
  readonly mapfuncs: string;
  /** What hto-mapfuncs runs: /usr/lib/ocf/resource.d/heartbeat/<name>. */
  readonly agent: string;
}

export const HTO_MAPFUNCS_PATH = '/etc/ha.d/resource.d/hto-mapfuncs';
export const OCF_AGENT_DIR = '/usr/lib/ocf/resource.d/heartbeat';

interface StockVersion {
  readonly source: string;
  readonly wrapper: string;
  readonly mapfuncs: string;
  readonly agent: string;
}

const DEBIAN_12 = 'Debian 12: heartbeat 1:3.0.6-13+b2, resource-agents 1:4.12.0-2';
const MAPFUNCS_DEBIAN_12 = '68038ce43eb2feb6efbb58b3dce519dc62b9a794e030dd291f7ec891c9a12b25';

export const STOCK_AGENT_VERSIONS: ReadonlyMap<StockAgentName, readonly StockVersion[]> = new Map([
  ['IPaddr', [{
    source: DEBIAN_12,
    wrapper: 'c53184acddad1bc7894e0477a1351621c3e46cf1924c8ff410410b51e26f4b5c',
    mapfuncs: MAPFUNCS_DEBIAN_12,
    agent: '117886c2418d06526d634593bbc4326961a96c80c9c19070ae4099b182c56f48',
  }]],
  ['IPaddr2', [{
    source: DEBIAN_12,
    wrapper: '220eb0a8ba5b8b132a04503d367613210a72edcda030dcc726398c8121f5c017',
    mapfuncs: MAPFUNCS_DEBIAN_12,
    agent: '62ecd9de0965fda16265e53165c1ffbff948130000ad975c0910f05061d32dc4',
  }]],
]);

export function isStockAgentName(script: string): script is StockAgentName {
  return STOCK_AGENT_VERSIONS.has(script as StockAgentName);
}

/** The SHA-256 (lower-case hex) of each file, undefined when it cannot be read. */
export type StockDigests = { readonly [K in keyof StockAgentFiles]: string | undefined };

export type StockVerdict =
  /** All three files are a recorded version: the native stand-in runs. */
  | { readonly kind: 'native'; readonly source: string }
  /** The wrapper is a recorded one but the files it runs are not (or are missing): run as written. */
  | { readonly kind: 'modified'; readonly which: readonly (keyof StockAgentFiles)[] }
  /** The script is not a recorded wrapper (the user's own, or another distribution's): run as written. */
  | { readonly kind: 'not-stock' };

export function judgeStockAgent(name: StockAgentName, d: StockDigests): StockVerdict {
  const versions = STOCK_AGENT_VERSIONS.get(name) ?? [];
  const wrapperKnown = versions.filter((v) => v.wrapper === d.wrapper);
  if (wrapperKnown.length === 0) {
    return { kind: 'not-stock' };
  }
  for (const v of wrapperKnown) {
    if (v.mapfuncs === d.mapfuncs && v.agent === d.agent) return { kind: 'native', source: v.source };
  }
  const v = wrapperKnown[0]!;
  const which: (keyof StockAgentFiles)[] = [];
  if (v.mapfuncs !== d.mapfuncs) which.push('mapfuncs');
  if (v.agent !== d.agent) which.push('agent');
  return { kind: 'modified', which };
}

/** Whether HBTS_NATIVE (environment) leaves the native stand-ins on: anything but off/no/false/0. */
export function nativeEnabled(value: string | undefined): boolean {
  return !['off', 'no', 'false', '0'].includes((value ?? '').trim().toLowerCase());
}

export const STOCK_AGENT_CODES = {
  HA_RES_NATIVE_STOCK: 'a stock Debian IPaddr/IPaddr2 (wrapper, hto-mapfuncs and OCF agent unmodified) runs natively',
  HA_RES_STOCK_MODIFIED: 'a stock wrapper whose hto-mapfuncs or OCF agent differs from the recorded versions runs as written',
  HA_RES_NATIVE_OFF: 'HBTS_NATIVE=off: stock scripts run as written',
} as const;

/** The line logged once per script path when the stand-in is first used or refused. */
export function stockVerdictText(name: StockAgentName, scriptPath: string, v: StockVerdict, files: StockAgentFiles): string {
  switch (v.kind) {
    case 'native':
      return `${scriptPath}: Debian's stock ${name} (${v.source}); heartbeat-ts runs its native ${name} in its place, with the same arguments and effect (HBTS_NATIVE=off runs the script as written)`;
    case 'modified':
      return `${scriptPath}: a stock ${name} wrapper, but ${v.which.map((w) => files[w]).join(' and ')} differ${v.which.length === 1 ? 's' : ''} from the recorded versions: run as written`;
    case 'not-stock':
      return `${scriptPath}: not a recorded stock ${name} (a local or modified copy): run as written`;
  }
}

/* ------------------------------------------------------------------ init scripts */

/*
 * Init scripts behind haresources (`alpha <VIP> apache2` runs /etc/init.d/apache2 start|stop|status). Debian's
 * apache2 script waits in whole seconds: after `apache2ctl start` it sleeps 1 s before its first look at the
 * pid file, and after `apache2ctl stop` it checks once a second until the server is gone — measured here
 * (docs/migrated-node.md) ≈ 1.1 s per start and ≈ 2.1 s per stop, while Apache itself needs 20–70 ms. Our
 * resource.d/httpd without a CONFIG does the same to the same server (apache2ctl start; SIGTERM to the pid in
 * envvars' APACHE_PID_FILE, as `apache2ctl stop` sends; waits until it is gone) in 5 ms steps. The stand-in
 * applies only when the script is byte-identical to a recorded one, takes no haresources argument, no
 * APACHE_CONFDIR is set (a second instance), and systemd does not run the system (/run/systemd/system: there
 * the LSB hook hands the script to systemctl, and the unit must stay systemd's).
 */
export interface StockInitScript {
  readonly source: string;
  readonly sha256: string;
  /** Our script in its place, run with the same operation and no argument. */
  readonly native: string;
}

export const STOCK_INIT_SCRIPTS: ReadonlyMap<string, readonly StockInitScript[]> = new Map([
  ['apache2', [{ source: 'Debian 12: apache2 2.4.71-1~deb12u1', sha256: '978b5ab94c61cd68252fbc3a5901a3a8c4f9b577e07ad3ec8170df1b0ff33c48', native: 'httpd' }]],
]);

export type InitVerdict =
  | { readonly kind: 'native'; readonly source: string; readonly native: string }
  | { readonly kind: 'as-written'; readonly why: 'not-recorded' | 'arguments' | 'systemd' | 'confdir' };

export function judgeStockInit(name: string, sha256: string | undefined, o: { readonly args: number; readonly systemd: boolean; readonly confdir: boolean }): InitVerdict | undefined {
  const versions = STOCK_INIT_SCRIPTS.get(name);
  if (versions === undefined) return undefined;
  const v = versions.find((x) => x.sha256 === sha256);
  if (v === undefined) return { kind: 'as-written', why: 'not-recorded' };
  if (o.args > 0) return { kind: 'as-written', why: 'arguments' };
  if (o.systemd) return { kind: 'as-written', why: 'systemd' };
  if (o.confdir) return { kind: 'as-written', why: 'confdir' };
  return { kind: 'native', source: v.source, native: v.native };
}

export function initVerdictText(name: string, scriptPath: string, v: InitVerdict): string {
  if (v.kind === 'native') return `${scriptPath}: Debian's stock ${name} init script (${v.source}); heartbeat-ts runs its native ${v.native} on the same server in its place (no whole-second waits; HBTS_NATIVE=off runs the script as written)`;
  const why = { 'not-recorded': 'not a recorded stock version (a local or modified copy)', arguments: 'given arguments in haresources', systemd: 'systemd runs this system (the script hands over to systemctl)', confdir: 'APACHE_CONFDIR names another instance' }[v.why];
  return `${scriptPath}: ${why}: run as written`;
}
