// What a reload (SIGHUP, `heartbeat -r`) does with a new configuration: a pure decision, applied by foreground.ts.
//
// heartbeat 3.0.6 (hb_signal.c hb_signal_reread_config_action): a changed authkeys is re-read in place
// ("Rereading authentication file."); a changed ha.cf makes it re-exec itself as `heartbeat -R -C <held>`,
// keeping its resources; nothing changed: "Configuration unchanged.". A broken new ha.cf then makes the
// re-exec fail and the daemon exit. heartbeat-ts checks the new files first and refuses them when broken,
// keeping the running configuration, and applies the change without restarting where it can:
//   timing   keepalive, deadtime, warntime, initdead, deadping      → the running membership, in place
//   keys     authkeys                                              → the running membership, in place
//   logging  logfile, debugfile, logfacility, debug, use_logd      → the logger, in place
//   members  node, ping, ping_group, media, udpport, …              → media and membership restart (new
//                                                                    generation), held resources kept
//   restart  anything else (haresources, auto_failback, respawn,   → not applied: logged, it takes effect at
//            apiauth, …)                                              the next start (heartbeat -k; heartbeat)
import type { ClusterConfig } from '../config/model.js';

export type ReloadKind = 'timing' | 'keys' | 'logging' | 'members' | 'restart';

export interface ReloadChange {
  /** The ha.cf directive (or file) that changed, as an administrator reads it. */
  readonly what: string;
  readonly kind: ReloadKind;
}

export interface ReloadPlan {
  readonly changes: readonly ReloadChange[];
  /** Something to apply at all. */
  readonly unchanged: boolean;
  readonly timing: boolean;
  readonly keys: boolean;
  readonly logging: boolean;
  /** The node or media set changed: media and membership restart, resources stay held. */
  readonly members: boolean;
  /** Changes that are not applied while running (their names). */
  readonly notApplied: readonly string[];
}

/** Directives (ha.cf names) and what changing each needs; unlisted directives need a restart. */
const DIRECTIVE_KIND: Readonly<Record<string, ReloadKind>> = {
  keepalive: 'timing',
  deadtime: 'timing',
  warntime: 'timing',
  initdead: 'timing',
  deadping: 'timing',
  logfile: 'logging',
  debugfile: 'logging',
  logfacility: 'logging',
  debug: 'logging',
  use_logd: 'logging',
  conn_logd_time: 'logging',
  syslogmsgfmt: 'logging',
  // The membership's shape: who is in the cluster and how we reach them.
  node: 'members',
  ping: 'members',
  ping_group: 'members',
  bcast: 'members',
  mcast: 'members',
  mcast6: 'members',
  ucast: 'members',
  serial: 'members',
  baud: 'members',
  udpport: 'members',
  hopfudge: 'members',
  msgfmt: 'members',
  compression: 'members',
  compression_threshold: 'members',
  traditional_compression: 'members',
  max_rexmit_delay: 'members',
};

/** Structured parts of the configuration that `values` (last value per directive) does not show in full. */
const FIELD_KIND: readonly (readonly [keyof ClusterConfig, string, ReloadKind])[] = [
  ['nodes', 'node set (node, ping, ping_group)', 'members'],
  ['media', 'media (bcast, mcast, ucast, serial)', 'members'],
  ['authKeys', 'authkeys', 'keys'],
  ['resourceGroups', 'haresources', 'restart'],
  ['respawn', 'respawn', 'restart'],
  ['apiAuth', 'apiauth', 'restart'],
  ['env', 'env', 'restart'],
  ['localNode', 'local node name', 'restart'],
];

/** Fields of ClusterConfig that come from one directive, when their names differ. */
const DERIVED: Partial<Record<keyof ClusterConfig, string>> = {
  keepaliveMs: 'keepalive', deadtimeMs: 'deadtime', warntimeMs: 'warntime', initdeadMs: 'initdead', deadpingMs: 'deadping',
  logFile: 'logfile', debugFile: 'debugfile', logFacility: 'logfacility', debugLevel: 'debug', useLogd: 'use_logd',
  udpPort: 'udpport', baud: 'baud', hopfudge: 'hopfudge', msgfmt: 'msgfmt', autoFailback: 'auto_failback',
  maxRexmitDelayMs: 'max_rexmit_delay', compressionThresholdKiB: 'compression_threshold',
  traditionalCompression: 'traditional_compression', uuidFrom: 'uuidfrom', hbGenMethod: 'hbgenmethod',
  logBadPack: 'log_badpack',
};

/** A stable text of a configuration value (Maps, Sets and byte arrays included) for comparison. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x instanceof Map) return { $map: [...x.entries()].map(([k, e]) => [canonical(k), canonical(e)]).sort() };
    if (x instanceof Set) return { $set: [...x].map((e) => canonical(e)).sort() };
    if (x instanceof Uint8Array) return { $bytes: Buffer.from(x).toString('hex') };
    if (x !== null && typeof x === 'object' && !Array.isArray(x)) {
      const o = x as Record<string, unknown>;
      return Object.fromEntries(Object.keys(o).sort().map((k) => [k, o[k]]));
    }
    return x;
  });
}

/** Compares the running configuration with a newly loaded (valid) one. */
export function planReload(running: ClusterConfig, next: ClusterConfig): ReloadPlan {
  const changes: ReloadChange[] = [];
  const seen = new Set<string>();
  const names = new Set([...running.values.keys(), ...next.values.keys()]);
  for (const name of [...names].sort()) {
    if (running.values.get(name) === next.values.get(name)) continue;
    seen.add(name);
    changes.push({ what: name, kind: DIRECTIVE_KIND[name] ?? 'restart' });
  }
  for (const [field, what, kind] of FIELD_KIND) {
    if (canonical(running[field]) === canonical(next[field])) continue;
    // A media or node line whose last value changed is already listed under its directive.
    if (kind === 'members' && changes.some((c) => c.kind === 'members')) continue;
    changes.push({ what, kind });
  }
  // Fields derived from directives without a `values` entry (defaults) change only with them; anything else
  // that differs without a known cause is treated as needing a restart.
  const covered = new Set<string>(['values', ...FIELD_KIND.map(([f]) => f)]);
  for (const field of Object.keys({ ...running, ...next }) as (keyof ClusterConfig)[]) {
    if (covered.has(field)) continue;
    if (canonical(running[field]) === canonical(next[field])) continue;
    const directive = DERIVED[field] ?? field;
    if (seen.has(directive) || changes.some((c) => c.what === directive)) continue;
    changes.push({ what: directive, kind: DIRECTIVE_KIND[directive] ?? 'restart' });
  }
  const has = (k: ReloadKind): boolean => changes.some((c) => c.kind === k);
  return {
    changes,
    unchanged: changes.length === 0,
    timing: has('timing'),
    keys: has('keys'),
    logging: has('logging'),
    members: has('members'),
    notApplied: changes.filter((c) => c.kind === 'restart').map((c) => c.what),
  };
}

/**
 * The configuration in force after a reload: the new one, except what was not applied (restart-only changes,
 * and the node and media set when the pair itself changed), which keeps its running value. The next reload
 * compares against this, so a change not applied is reported again until heartbeat restarts.
 */
export function effectiveAfterReload(running: ClusterConfig, next: ClusterConfig, plan: ReloadPlan, keepMembers: boolean): ClusterConfig {
  const keep = new Set<ReloadKind>(['restart', ...(keepMembers ? (['members'] as const) : [])]);
  const kept = plan.changes.filter((c) => keep.has(c.kind));
  if (kept.length === 0) return next;
  const out: Record<string, unknown> = { ...next };
  const values = new Map(next.values);
  const keptNames = new Set(kept.map((c) => c.what));
  for (const name of keptNames) {
    const v = running.values.get(name);
    if (v === undefined) values.delete(name);
    else values.set(name, v);
  }
  for (const [field, what, kind] of FIELD_KIND) if (keptNames.has(what) || (kind === 'members' && keepMembers)) out[field] = running[field];
  for (const field of Object.keys(running) as (keyof ClusterConfig)[]) {
    const directive = DERIVED[field] ?? field;
    if (keptNames.has(directive) || (keepMembers && DIRECTIVE_KIND[directive] === 'members')) out[field] = running[field];
  }
  out.values = values;
  return out as unknown as ClusterConfig;
}
