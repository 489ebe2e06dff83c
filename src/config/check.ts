// The whole check of /etc/ha.d: ha.cf, then the cross-checks of Heartbeat's init_config, haresources and authkeys.
import type { Diagnostic } from '../core/diagnostic.js';
import { hasErrors } from '../core/diagnostic.js';
import { parseAuthkeys } from './authkeys.js';
import { DiagnosticSink } from './diag.js';
import { parseBoolean, parseHaCf, type At } from './ha-cf.js';
import { parseHaresources, type NodeKind } from './haresources.js';
import type { HostFacts } from './host-facts.js';
import type { ClusterConfig, ResourceGroup } from './model.js';
import { checkMonitors } from './monitors.js';

export interface ConfigFile {
  /** The path to name in diagnostics. */
  readonly path: string;
  /** Undefined when the file could not be read; `error` says why. */
  readonly text: string | undefined;
  readonly error?: string;
}

export interface ConfigFiles {
  readonly haCf: ConfigFile;
  readonly haresources: ConfigFile;
  readonly authkeys: ConfigFile & { readonly mode: number | undefined };
  /** heartbeat-ts only, optional: absent = no monitors file (nothing is checked). */
  readonly monitors?: ConfigFile;
}

export interface CheckResult {
  /** Undefined iff there is an error diagnostic. */
  readonly config: ClusterConfig | undefined;
  readonly diagnostics: readonly Diagnostic[];
}

const DEFAULT_UDPPORT = 694;

/**
 * Checks the three files for node `nodeName` (lower-cased here, as Heartbeat lower-cases `uname -n`). Reports
 * every problem it can find in one pass, where Heartbeat stops at the first file with one.
 */
export function checkConfig(files: ConfigFiles, nodeName: string, host: HostFacts): CheckResult {
  const localNode = nodeName.toLowerCase();
  const diagnostics: Diagnostic[] = [];
  const cf = new DiagnosticSink(files.haCf.path);
  if (files.haCf.text === undefined) {
    cf.error(0, 0, 'HA_CFG_UNREADABLE', `cannot read ha.cf: ${files.haCf.error ?? 'no such file'}; copy an example from etc-ha.d/ and adapt it`);
    diagnostics.push(...cf.list);
  }
  const parsed = parseHaCf(files.haCf.text ?? '', files.haCf.path, host, localNode);
  const s = parsed.state;
  diagnostics.push(...parsed.diagnostics);
  const at = (directive: string): At => s.where.get(directive) ?? { line: 0, column: 0 };
  const where = (directive: string): [number, number] => [at(directive).line, at(directive).column];

  if (files.haCf.text !== undefined) {
    // heartbeat 3.0.6 init_config, in its order.
    if (s.media.length === 0) {
      cf.error(0, 0, 'HA_CFG_NO_MEDIA', 'no heartbeat media defined: add at least one of bcast, ucast, mcast, ucast6, mcast6 or serial (e.g. "bcast eth0")');
    }
    if (s.nodes.length === 0 && s.autojoin !== 'any') {
      cf.error(0, 0, 'HA_CFG_NO_NODES', `no nodes defined: add a node line for each member, including this one ("node ${localNode}")`);
    }
    const local = s.nodes.find((n) => n.name === localNode);
    if (local === undefined && s.autojoin !== 'any') {
      cf.error(0, 0, 'HA_CFG_LOCAL_NODE_MISSING',
        `this node, ${localNode}, is not declared: add "node ${localNode}" (names are \`uname -n\` lower-cased, or the first line of nodeinfo; --node-name overrides)`);
    }
    // A refused timing value would only make the comparisons below repeat that error.
    const timingFailed = ['keepalive', 'deadtime', 'initdead', 'deadping', 'warntime'].some((k) => s.failed.has(k));
    if (!timingFailed && s.deadtimeMs <= 2 * s.keepaliveMs) {
      cf.error(...where(s.where.has('deadtime') ? 'deadtime' : 'keepalive'), 'HA_CFG_TIMING',
        `deadtime ${s.deadtimeMs} ms must be more than twice keepalive ${s.keepaliveMs} ms`);
    }
    if (s.initdeadMs < 0) {
      s.initdeadMs = s.deadtimeMs > 10000 ? s.deadtimeMs : s.deadtimeMs < 6000 ? 12000 : 2 * s.deadtimeMs;
    }
    if (timingFailed) {
      // reported above
    } else if (s.initdeadMs < s.deadtimeMs) {
      cf.error(...where('initdead'), 'HA_CFG_TIMING', `initdead ${s.initdeadMs} ms is smaller than deadtime ${s.deadtimeMs} ms`);
    } else if (s.initdeadMs < 10000) {
      cf.warn(...where('initdead'), 'HA_CFG_TIMING_ADVICE',
        `initdead ${s.initdeadMs} ms may be too small: it gives the network time to come up at boot; use at least 10 s`);
    }
    if (s.deadpingMs < 0) {
      s.deadpingMs = s.deadtimeMs;
    } else if (!timingFailed && s.deadpingMs <= 2 * s.keepaliveMs) {
      cf.error(...where('deadping'), 'HA_CFG_TIMING', `deadping ${s.deadpingMs} ms must be more than twice keepalive ${s.keepaliveMs} ms`);
    }
    if (s.warntimeMs < 0) s.warntimeMs = Math.trunc(s.deadtimeMs / 2);
    else if (s.warntimeMs >= s.deadtimeMs) {
      cf.warn(...where('warntime'), 'HA_CFG_TIMING_ADVICE',
        `warntime ${s.warntimeMs} ms is not below deadtime ${s.deadtimeMs} ms, so no "Late heartbeat" warning comes before a node is declared dead`);
    }
    if (s.autoFailback === 'legacy' && !s.where.has('nice_failback') && !s.failed.has('auto_failback')) {
      cf.warn(...where('auto_failback'), 'HA_CFG_LEGACY_FAILBACK',
        "auto_failback legacy (the default when the directive is absent) is deprecated: write 'auto_failback on' or 'auto_failback off' (hb_standby and ipfail need one of them)");
    }
    const noLogTarget = s.logFile === undefined && s.debugFile === undefined && (s.facility === undefined || s.facility === 'none' || s.facility === 'kern');
    if (noLogTarget && s.useLogd === false) {
      cf.error(...where('use_logd'), 'HA_CFG_LOGGING', 'use_logd is off and there is no logfile, debugfile or logfacility: nothing would be logged');
    }
    if (s.autojoin !== 'none') {
      cf.error(...where('autojoin'), 'HA_CFG_AUTOJOIN',
        `autojoin ${s.autojoin} conflicts with haresources resource management (Heartbeat: "R1 style resource management conflicts with autojoin set"); remove the line or set autojoin none`);
    }
    diagnostics.push(...cf.list);
  }

  // haresources (only read when resources are managed, i.e. crm off: with crm on we have already refused).
  let groups: ResourceGroup[] = [];
  if (files.haresources.text === undefined) {
    diagnostics.push({
      file: files.haresources.path, line: 0, column: 0, code: 'HA_RES_UNREADABLE', severity: 'error',
      message: `cannot read haresources: ${files.haresources.error ?? 'no such file'}; it is required in haresources mode (an empty file is fine)`,
    });
  } else {
    const kinds = new Map<string, NodeKind>();
    for (const n of s.nodes) if (!kinds.has(n.name)) kinds.set(n.name, n.type);
    const r = parseHaresources(files.haresources.text, files.haresources.path, (name) => kinds.get(name));
    groups = r.groups;
    diagnostics.push(...r.diagnostics);
  }

  let authKeys: ClusterConfig['authKeys'] | undefined;
  if (files.authkeys.text === undefined) {
    diagnostics.push({
      file: files.authkeys.path, line: 0, column: 0, code: 'HA_AUTH_UNREADABLE', severity: 'error',
      message: `cannot read authkeys: ${files.authkeys.error ?? 'no such file'}; create it ("auth 1" then "1 sha1 <secret>") with mode 600`,
    });
  } else {
    const a = parseAuthkeys(files.authkeys.text, files.authkeys.path, files.authkeys.mode);
    authKeys = a.keys;
    diagnostics.push(...a.diagnostics);
  }

  let monitors: ClusterConfig['monitors'];
  if (files.monitors !== undefined) {
    if (files.monitors.text === undefined) {
      diagnostics.push({ file: files.monitors.path, line: 0, column: 0, code: 'HA_MON_UNREADABLE', severity: 'error', message: `cannot read monitors: ${files.monitors.error ?? 'unreadable'}` });
    } else {
      const m = checkMonitors(files.monitors.text, files.monitors.path, new Set(groups.flatMap((g) => g.resources.map((r) => r.spec))));
      monitors = m.monitors;
      diagnostics.push(...m.diagnostics);
    }
  }

  if (hasErrors(diagnostics) || authKeys === undefined) return { config: undefined, diagnostics };
  const v = (k: string, dflt: string): string => s.values.get(k) ?? dflt;
  const watchdogAt = s.where.get('watchdog');
  const config: ClusterConfig = {
    localNode,
    nodes: s.nodes,
    media: s.media,
    keepaliveMs: s.keepaliveMs,
    deadtimeMs: s.deadtimeMs,
    warntimeMs: s.warntimeMs,
    initdeadMs: s.initdeadMs,
    deadpingMs: s.deadpingMs,
    udpPort: s.udpPort ?? DEFAULT_UDPPORT,
    baud: s.baud !== undefined && s.baud > 0 ? s.baud : 19200,
    autoFailback: s.autoFailback,
    autojoin: s.autojoin,
    hopfudge: s.hopfudge,
    msgfmt: v('msgfmt', 'classic') as 'classic' | 'netstring',
    compression: v('compression', 'zlib'),
    compressionThresholdKiB: Number.parseInt(v('compression_threshold', '2'), 10),
    traditionalCompression: parseBoolean(v('traditional_compression', 'no')) === true,
    maxRexmitDelayMs: Number.parseInt(v('max_rexmit_delay', '250'), 10),
    uuidFrom: v('uuidfrom', 'file') as 'file' | 'nodename',
    hbGenMethod: v('hbgenmethod', 'file') as 'file' | 'time',
    cluster: v('cluster', 'linux-ha'),
    debugLevel: s.debugLevel,
    logFacility: s.facility,
    logFile: s.logFile,
    debugFile: s.debugFile,
    useLogd: s.useLogd ?? (s.logFile === undefined && s.debugFile === undefined && (s.facility === undefined || s.facility === 'none')),
    logBadPack: parseBoolean(v('log_badpack', 'true')) !== false,
    watchdog: s.watchdog,
    ...(watchdogAt === undefined ? {} : { watchdogLine: watchdogAt.line }),
    ...(s.stonith === undefined ? {} : { stonith: s.stonith }),
    respawn: s.respawn,
    apiAuth: [...s.apiAuth.values()],
    env: s.env,
    values: s.values,
    resourceGroups: groups,
    ...(monitors === undefined ? {} : { monitors }),
    authKeys,
  };
  return { config, diagnostics };
}
