// `hbctl status`: one screen saying who holds what, each node's and link's state and last-heard time, the config.
/*
 * Asks the daemon over its API socket (src/api/client.ts). heartbeat-ts answers the extra `hbts-status` request
 * (api/protocol.ts) with last-heard times, its generation and the holder of each haresources group; the real
 * Heartbeat 3.0.6 refuses that request, and then the screen shows what its standard API gives (nodes, links,
 * rscstatus, parameters) and says what is missing.
 *
 * Exit status (LSB "status" codes): 0 running, 3 not running (no socket, nobody listening), 4 unknown (permission
 * denied, refused, no answer), 2 bad usage.
 */
import { HeartbeatClient, HeartbeatClientError, DEFAULT_RUN_DIR } from '../api/client.js';
import type { ApiExtendedResources, ApiExtendedStatus } from '../api/view.js';
import type { Io } from './hbctl-io.js';

export const EXIT_RUNNING = 0;
export const EXIT_USAGE = 2;
export const EXIT_NOT_RUNNING = 3;
export const EXIT_UNKNOWN = 4;

export const STATUS_USAGE = `Usage: hbctl status [--json] [--run-dir DIR | --socket PATH]

  Who holds which resource group, each node's and link's state and when it was last heard, the
  generation and the ha.cf values in effect, asked from the running daemon over its API socket
  (default ${DEFAULT_RUN_DIR}/register).

  --json          one JSON object (for tools) instead of the screen
  --run-dir DIR   Heartbeat's run directory (the socket is DIR/register)
  --socket PATH   the API socket itself

  Exit status: 0 running, 3 not running, 4 status unknown (no permission, refused, no answer), 2 bad usage.
  Against the real Heartbeat 3.0.6 the last-heard times, generation and group holders are not available.
`;

/** The ha.cf values shown when the daemon is the real Heartbeat (asked one by one with getparm). */
const CONFIG_KEYS = ['keepalive', 'deadtime', 'warntime', 'initdead', 'deadping', 'udpport', 'auto_failback', 'msgfmt', 'hopfudge', 'logfacility', 'logfile', 'debugfile', 'debug'] as const;

/** What `hbctl status --json` prints. */
export interface StatusReport {
  /** `heartbeat-ts`, or `heartbeat` for the real Heartbeat (no extended status). */
  readonly daemon: 'heartbeat-ts' | 'heartbeat';
  /** The API's hbversion (`3.0.6 (heartbeat-ts 0.1.0)`, `3.0.6 (node: …)`). */
  readonly hbversion: string | null;
  readonly localNode: string;
  readonly localStatus: string | null;
  readonly generation: number | null;
  readonly nowMs: number;
  readonly startedMs: number | null;
  readonly nodes: readonly {
    readonly name: string;
    readonly type: string | null;
    readonly status: string | null;
    readonly lastHeardMs: number | null;
    readonly links: readonly { readonly name: string; readonly status: string | null; readonly lastHeardMs: number | null }[];
  }[];
  /** null when the daemon manages no resources (or Pacemaker does). */
  readonly resources: { readonly state: string; readonly groups: ApiExtendedResources['groups'] | null } | null;
  readonly config: Readonly<Record<string, string>>;
  /** Whether each peer runs with our configuration (heartbeat-ts only; null for the real Heartbeat). */
  readonly configAgreement: NonNullable<ApiExtendedStatus['configAgreement']> | null;
  /** heartbeat-ts: API client problems since the socket opened, by kind; null for the real Heartbeat. */
  readonly apiProblems?: Readonly<Record<string, number>> | null;
  /** The service monitor's resources (heartbeat-ts with a monitors file; null otherwise). */
  readonly monitors: NonNullable<ApiExtendedStatus['monitors']> | null;
}

interface Options {
  readonly json: boolean;
  readonly socketPath: string;
}

function parse(argv: readonly string[]): Options | string {
  let json = false;
  let socketPath = HeartbeatClient.socketPathFor();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? '';
    if (a === '--json') json = true;
    else if (a === '--run-dir' || a === '--socket') {
      const v = argv[++i];
      if (v === undefined || v === '') return `${a} needs a value`;
      socketPath = a === '--socket' ? v : HeartbeatClient.socketPathFor({ runDir: v });
    } else if (a.startsWith('--run-dir=')) socketPath = HeartbeatClient.socketPathFor({ runDir: a.slice('--run-dir='.length) });
    else if (a.startsWith('--socket=')) socketPath = a.slice('--socket='.length);
    else return `unknown option "${a}"`;
  }
  return { json, socketPath };
}

/** `hbctl status …`; returns the exit status. */
export async function runStatus(argv: readonly string[], io: Io, now: () => number = Date.now): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(STATUS_USAGE);
    return EXIT_RUNNING;
  }
  const o = parse(argv);
  if (typeof o === 'string') {
    io.err(`hbctl status: ${o}\n\n${STATUS_USAGE}`);
    return EXIT_USAGE;
  }
  let hb: HeartbeatClient;
  try {
    hb = await HeartbeatClient.connect({ socketPath: o.socketPath });
  } catch (e) {
    if (!(e instanceof HeartbeatClientError)) throw e;
    io.err(`hbctl status: ${e.message}\n`);
    return e.code === 'not-running' ? EXIT_NOT_RUNNING : EXIT_UNKNOWN;
  }
  try {
    const report = await collect(hb, now);
    io.out(o.json ? `${JSON.stringify(report, null, 2)}\n` : renderStatus(report));
    return EXIT_RUNNING;
  } catch (e) {
    if (!(e instanceof HeartbeatClientError)) throw e;
    io.err(`hbctl status: ${e.message}\n`);
    return EXIT_UNKNOWN;
  } finally {
    await hb.signoff().catch(() => undefined);
  }
}

/** Asks the daemon; the extended answer when it is heartbeat-ts, the standard requests otherwise. */
export async function collect(hb: HeartbeatClient, now: () => number = Date.now): Promise<StatusReport> {
  const info = hb.signonInfo;
  const ext = await hb.extendedStatus();
  if (ext !== undefined) {
    return {
      daemon: 'heartbeat-ts',
      hbversion: info.hbversion ?? null,
      localNode: ext.localNode,
      localStatus: ext.localStatus,
      generation: ext.generation,
      nowMs: ext.nowMs,
      startedMs: ext.startedMs,
      nodes: ext.nodes.map((n) => ({ name: n.name, type: n.type, status: n.status, lastHeardMs: n.lastHeardMs, links: n.links.map((l) => ({ ...l })) })),
      resources: ext.resources === undefined ? null : { state: ext.resources.state, groups: ext.resources.groups },
      config: ext.config,
      configAgreement: ext.configAgreement ?? null,
      apiProblems: ext.apiProblems ?? null,
      monitors: ext.monitors ?? null,
    };
  }
  const nodes = await hb.nodes();
  const withLinks = [];
  for (const n of nodes) {
    const links = await hb.links(n.name).catch(() => []);
    withLinks.push({ name: n.name, type: n.type ?? null, status: n.status ?? null, lastHeardMs: null, links: links.map((l) => ({ name: l.name, status: l.status ?? null, lastHeardMs: null })) });
  }
  const state = await hb.resourceState().catch(() => undefined);
  const config: Record<string, string> = {};
  for (const k of CONFIG_KEYS) {
    const v = await hb.parameter(k);
    if (v !== undefined) config[k] = v;
  }
  config['node'] = nodes.filter((n) => n.type === 'normal').map((n) => n.name).join(' ');
  return {
    daemon: 'heartbeat',
    hbversion: info.hbversion ?? null,
    localNode: info.localNode,
    localStatus: nodes.find((n) => n.name === info.localNode)?.status ?? null,
    generation: null,
    nowMs: now(),
    startedMs: null,
    nodes: withLinks,
    resources: state === undefined ? null : { state, groups: null },
    config,
    configAgreement: null,
    monitors: null,
  };
}

/* ------------------------------------------------------------------ the screen */

/** "0.4 s", "42 s", "3m 02s", "5h 12m", "2d 3h". */
export function formatAge(ms: number): string {
  const v = Math.max(0, ms);
  if (v < 10_000) return `${(v / 1000).toFixed(1)} s`;
  const s = Math.floor(v / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 120) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

function table(rows: readonly (readonly string[])[], indent = '  '): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => `${indent}${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd()).join('\n') + '\n';
}

/** The screen for a report (pure). */
export function renderStatus(r: StatusReport): string {
  const heard = (t: number | null, self: boolean): string => (self ? 'this node' : t === null ? (r.daemon === 'heartbeat' ? '-' : 'never') : `${formatAge(r.nowMs - t)} ago`);
  const lines: string[] = [];
  const what = r.daemon === 'heartbeat-ts' ? `heartbeat-ts (${r.hbversion ?? 'version unknown'})` : `Heartbeat ${r.hbversion ?? '(version unknown)'}`;
  let head = `${r.localNode}: ${r.localStatus ?? 'status unknown'} — ${what}`;
  if (r.generation !== null) head += `, generation ${r.generation}`;
  if (r.startedMs !== null) head += `, up ${formatAge(r.nowMs - r.startedMs)}`;
  lines.push(head);
  if (r.daemon === 'heartbeat') lines.push('  (the real Heartbeat: last-heard times, generation and group holders are not available)');
  lines.push('');
  if (r.resources === null) lines.push('Resources: not managed here (no haresources, or Pacemaker manages them)');
  else {
    const s = r.resources.state;
    lines.push(`Resources: ${s === 'transition' ? 'in transition' : `this node holds ${s}`}`);
    const groups = r.resources.groups;
    if (groups !== null && groups.length > 0) {
      lines.push(table([['GROUP', 'HOME', 'HELD BY'], ...groups.map((g) => [g.line, g.home, g.holder === null ? 'nobody' : g.holder])]).trimEnd());
    }
  }
  lines.push('');
  lines.push('Nodes:');
  lines.push(table([['NODE', 'TYPE', 'STATUS', 'LAST HEARD'], ...r.nodes.map((n) => [n.name, n.type ?? '?', n.status ?? '?', heard(n.lastHeardMs, n.name === r.localNode)])]).trimEnd());
  const links = r.nodes.flatMap((n) => n.links.map((l) => [n.name, l.name, l.status ?? '?', heard(l.lastHeardMs, n.name === r.localNode)]));
  if (links.length > 0) {
    lines.push('');
    lines.push('Links:');
    lines.push(table([['NODE', 'LINK', 'STATUS', 'LAST HEARD'], ...links]).trimEnd());
  }
  if (r.configAgreement !== null && r.configAgreement.length > 0) {
    lines.push('');
    lines.push('Configuration on the other nodes (haresources, authkeys method, ha.cf timing):');
    for (const a of r.configAgreement) {
      const word = a.verdict === 'same' ? 'same as ours' : a.verdict === 'differs' ? 'DIFFERS' : 'unknown (no digests announced)';
      lines.push(`  ${a.node}: ${word}`);
      for (const d of a.differences) lines.push(`    ${d.file}: ${d.text}`);
    }
  }
  if (r.apiProblems !== undefined && r.apiProblems !== null) {
    lines.push('');
    lines.push(`API problems: ${Object.entries(r.apiProblems).map(([k, n]) => `${n} ${k}`).join(', ')}`);
  }
  if (r.monitors !== null && r.monitors.length > 0) {
    lines.push('');
    lines.push('Monitored resources (<config-dir>/monitors; "hbctl cleanup" clears failures):');
    lines.push(table([['RESOURCE', 'GROUP', 'STATE', 'LAST CHECK', 'TOOK', 'RESULT', 'FAILS', 'RESTARTS', 'FAILED HERE'], ...r.monitors.map((m) => [
      m.resource, m.group, m.phase, m.lastCheckMs === null ? 'never' : `${formatAge(r.nowMs - m.lastCheckMs)} ago`, m.lastDurationMs === null ? '-' : `${m.lastDurationMs} ms`,
      m.lastResult === null ? '-' : m.lastResult === 'ok' ? 'ok' : `failed: ${m.lastDetail ?? ''}`, String(m.consecutiveFailures), String(m.restarts), m.failed ? 'YES' : 'no',
    ])]).trimEnd());
  }
  lines.push('');
  lines.push('Config:');
  lines.push(table(Object.entries(r.config).map(([k, v]) => [k, v])).trimEnd());
  return `${lines.join('\n')}\n`;
}
