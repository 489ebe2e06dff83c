// rc.d notifications: which events run `<config-dir>/harc <type>`, with which argv and HA_* environment.
/*
 * heartbeat 3.0.6 (hb_resource.c: QueueRemoteRscReq, FilterNotifications, notify_world; spec §7.3) hands
 * some events to `/etc/ha.d/harc`, which execs `/etc/ha.d/rc.d/<type> <type>`:
 *
 *   source           heartbeat 3.0.6                              queued when
 *   status-change    HBDoMsg_T_STATUS; takeover_from_node         another node's `st` changed; the synthetic
 *                                                                 death notice `t=status st=dead src=X`
 *   local-notice     change_link_status                           always (`t=ifstat node ifname st`)
 *   message          HBDoMsg_T_ASKRELEASE (ip-request)            from another node, after comm-up
 *                    HBDoMsg_T_ACKRELEASE (ip-request-resp)       from anyone, after comm-up, not while
 *                                                                 shutting down
 *                    HBDoMsg_default (any type nobody handles:     from anyone (our own looped back too),
 *                    hb_takeover, stonith, client messages)        after comm-up
 *
 * and only when `<config-dir>/rc.d` holds an entry named exactly like `t` (the directory is listed once, at
 * first use; names starting with "." are ignored). The child gets argv `["harc", lower(t)]` (C tolower, ASCII
 * only: `t=Foo` needs rc.d/Foo to qualify, and harc then runs rc.d/foo) and this environment:
 *   the daemon's own (HA_CURHOST, HA_DIR, HA_FUNCS, HA_DATEFMT, OCF_ROOT, HA_LOGFILE, HA_DEBUGLOG,
 *   HA_LOGFACILITY, HA_debug, and what else the daemon passes its scripts), then every string field of the
 *   message as HA_<name> in message order (a later duplicate wins, as setenv does), then HA_OSTATUS = the
 *   *local* node's status (curnode->status, despite the name), HA_NICEFAILBACK=yes with nice_failback, HA_LOGD.
 *
 * The one rule heartbeat-ts adds — stock scripts and native handling:
 *   heartbeat-ts does itself what Heartbeat's stock rc.d scripts do through ResourceManager: `status` (a dead
 *   peer's groups are taken over: mach_down), `ip-request` / `ip-request-resp` (legacy-mode hand-over),
 *   `hb_takeover` (the standby exchange), `ask_resources` (never queued by Heartbeat either). Running the
 *   stock script as well would acquire or release the same groups a second time. So, for a type in the
 *   caller's `native` set:
 *     - rc.d/<type> byte-identical to Heartbeat's stock script (SHA-256 below)  → not run: we do its job;
 *     - rc.d/<type> modified or replaced by the user                             → run as a notification, and
 *       a warning once: it must not acquire or release resources any more.
 *   Every other type (a script the user added, e.g. rc.d/ifstat, rc.d/stonith, or a client message type)
 *   runs exactly as under Heartbeat.
 *
 * Where we differ from Heartbeat in the environment, on purpose: a message field never replaces a variable
 * the daemon provides (HA_DIR, HA_FUNCS, HA_CURHOST, … see PROTECTED_ENV). Heartbeat lets a field named
 * `FUNCS` point harc's `. $HA_FUNCS` at any file; no real message has such fields.
 *
 * Pure: no files, no processes. The caller lists rc.d, hashes the scripts and runs the plan.
 */
import { Buffer } from 'node:buffer';

/** One string field of a message, in wire order: `[name, value]`, value in latin1 (one char per byte). */
export type RcField = readonly [name: string, value: string];

export type RcSource = 'message' | 'status-change' | 'local-notice';

export interface RcLocalState {
  /** This node's status word (init, up, active, dead): HA_OSTATUS. */
  readonly localStatus: string;
  /** Comm-up reached (heartbeat 3.0.6 registers the resource message handlers only then). Default true. */
  readonly commUp?: boolean;
  /** A graceful shutdown is under way (ip-request-resp is then ignored). Default false. */
  readonly shuttingDown?: boolean;
}

/**
 * SHA-256 of Heartbeat's stock rc.d scripts: Debian's heartbeat 1:3.0.6-13+b2 (bookworm) as installed in
 * /etc/ha.d/rc.d (dpkg conffiles, unmodified). ip-request, ip-request-resp and status are byte-identical to
 * heartbeat/rc.d/* in the 3.0.6 source; ask_resources and hb_takeover are built from *.in with Debian's paths
 * (/usr/share/heartbeat). Copies: test/fixtures/rc.d-stock/.
 */
export const STOCK_RC_SCRIPTS: ReadonlyMap<string, string> = new Map([
  ['ask_resources', 'c152bd16f9108c8430f1d0a8f1f4615efb0f12190a56bc1e066668a4f5c19700'],
  ['hb_takeover', '2a867e92779ba6f0f9dc444690c9121e366466ca573a2b3d22f462d7c28b76d9'],
  ['ip-request', 'ddcd7bd757af52b8d0d2fb9d5be88d28c4bce4992b61e0ecf43746f2c28f5ee6'],
  ['ip-request-resp', 'fd3a080beef9bce32a206e233813680b258b0d02d5a5cc21ba1fa1d3094e4833'],
  ['status', '1f1d6edbf0dee327cca9d43a047cd9265ede139654e906531e5563217295b4a5'],
]);

/** The types whose stock scripts do resource work heartbeat-ts does natively (see the rule above). */
export const NATIVE_RC_TYPES: ReadonlySet<string> = new Set(['status', 'ip-request', 'ip-request-resp', 'hb_takeover', 'ask_resources']);

/** Whether a file with this SHA-256 (lower-case hex) is Heartbeat's stock rc.d/<name>. */
export function isStockRcScript(name: string, sha256: string): boolean {
  return STOCK_RC_SCRIPTS.get(name) === sha256.toLowerCase();
}

/** Types with a handler of their own in heartbeat 3.0.6 (hb_register_msg_callback): never the default handler. */
const HANDLED_BY_HEARTBEAT: ReadonlySet<string> = new Set([
  'status', 'NS_st', 'NS_rexmit', 'NS_nak_rexmit', 'NS_ackmsg', 'query-cstatus', 'addnode', 'delnode', 'setweight',
  'setsite', 'reqnodes', 'repnodes', 'starting', 'resource', 'ask_resources', 'shutdone',
]);

/** Types whose rc.d script Heartbeat never runs: handled in C and not status changes (which come as status / NS_st). */
const NEVER_NOTIFIED: ReadonlySet<string> = new Set([...HANDLED_BY_HEARTBEAT].filter((t) => t !== 'status' && t !== 'NS_st'));

/** heartbeat 3.0.6 STATUSLENG: notify_world refuses a type this long or longer. */
const STATUSLENG = 32;
/** `char ename[64]` filled with snprintf("HA_%s"): longer names are cut. */
const MAX_ENV_NAME = 63;

export const HA_DATEFMT = '%Y/%m/%d_%T\t';
export const OCF_ROOT = '/usr/lib/ocf';
const DEFAULT_PATH = '/usr/sbin:/usr/bin:/sbin:/bin';

/** Variables a message field may not replace (the daemon's, and those set after the fields). */
export const PROTECTED_ENV: ReadonlySet<string> = new Set([
  'HA_CURHOST', 'HA_DIR', 'HA_RCDIR', 'HA_FUNCS', 'HA_CF', 'HA_RESOURCEDIR', 'HA_RSCTMP', 'HA_VARLIB', 'HA_FIFO',
  'HA_BIN', 'HA_NOARCHBIN', 'HA_SBIN_DIR', 'HA_DATEFMT', 'HA_LOGFILE', 'HA_DEBUGLOG', 'HA_LOGFACILITY', 'HA_debug',
  'HA_LOGD', 'HA_OSTATUS', 'HA_NICEFAILBACK', 'HA_DONTASK',
]);

/* ------------------------------------------------------------------ synthetic notices */

/**
 * heartbeat 3.0.6 takeover_from_node: `t=status seq=1 ts=<now, hex> src=<node> st=dead [info=ping]`, the notice
 * rc.d/status (mach_down) gets when a node's groups are taken over — on its death, on its `shutdone`, and
 * (with info=ping) when a ping node dies. Pass it with source 'status-change'.
 */
export function deadNotice(node: string, wallSec: number, ping: boolean): RcField[] {
  const f: RcField[] = [['t', 'status'], ['seq', '1'], ['ts', Math.max(0, Math.floor(wallSec)).toString(16)], ['src', node], ['st', 'dead']];
  if (ping) f.push(['info', 'ping']);
  return f;
}

/** heartbeat 3.0.6 change_link_status: `t=ifstat node ifname st=up|dead`. Pass it with source 'local-notice'. */
export function linkNotice(node: string, ifname: string, status: string): RcField[] {
  return [['t', 'ifstat'], ['node', node], ['ifname', ifname], ['st', status]];
}

/* ------------------------------------------------------------------ does Heartbeat queue it? */

export type RcSkipReason =
  | 'no-type' // no `t`, or one Heartbeat cannot take (≥ 32 bytes, or a "/" or NUL in it)
  | 'handled-by-heartbeat' // a type with its own handler: never the default handler
  | 'own-request' // ip-request from ourselves
  | 'own-status' // our own status
  | 'before-comm-up'
  | 'shutting-down' // ip-request-resp during shutdown
  | 'no-script' // rc.d has no entry named like `t`
  | 'native-stock'; // Heartbeat's stock script for a type heartbeat-ts handles itself

function first(fields: readonly RcField[], name: string): string | undefined {
  return fields.find(([n]) => n === name)?.[1];
}

/** The message type, or undefined when Heartbeat would not notify for it at all. */
export function rcType(fields: readonly RcField[]): string | undefined {
  const t = first(fields, 't');
  if (t === undefined || t === '' || t.length >= STATUSLENG || t.includes('/') || t.includes('\0')) return undefined;
  return t;
}

/** Whether heartbeat 3.0.6 queues this event for rc.d (QueueRemoteRscReq), before looking at rc.d. */
export function heartbeatQueues(source: RcSource, fields: readonly RcField[], localNode: string, local: RcLocalState): RcSkipReason | undefined {
  const t = rcType(fields);
  if (t === undefined) return 'no-type';
  switch (source) {
    case 'local-notice':
      return undefined;
    case 'status-change':
      return first(fields, 'src') === localNode ? 'own-status' : undefined;
    case 'message':
      if (HANDLED_BY_HEARTBEAT.has(t)) return 'handled-by-heartbeat';
      if (local.commUp === false) return 'before-comm-up';
      if (t === 'ip-request' && first(fields, 'src') === localNode) return 'own-request';
      if (t === 'ip-request-resp' && local.shuttingDown === true) return 'shutting-down';
      return undefined;
  }
}

/* ------------------------------------------------------------------ rc.d */

export interface RcDirectory {
  /** Entries of <config-dir>/rc.d, "." names excluded, as listed at first use. */
  readonly names: ReadonlySet<string>;
  /** Whether rc.d/<name> is Heartbeat's stock script (by SHA-256: isStockRcScript). */
  readonly isStock: (name: string) => boolean;
  /** Types heartbeat-ts handles itself (NATIVE_RC_TYPES, or what the daemon passes). */
  readonly native: ReadonlySet<string>;
}

/**
 * What to say once, when rc.d is listed: the stock scripts we skip (one line), a warning per modified script
 * of a type we handle ourselves. A type Heartbeat never queues (ask_resources) is never run either way.
 */
export function describeRcDirectory(rcd: RcDirectory, rcDir: string): { readonly level: 'info' | 'warn'; readonly text: string }[] {
  const out: { level: 'info' | 'warn'; text: string }[] = [];
  const natives = [...rcd.names].filter((n) => rcd.native.has(n)).sort();
  const stock = natives.filter((n) => rcd.isStock(n));
  if (stock.length > 0) {
    const many = stock.length > 1;
    out.push({ level: 'info', text: `${rcDir}: ${stock.join(', ')}: Heartbeat's stock script${many ? 's' : ''}; heartbeat-ts does ${many ? 'their' : 'its'} work itself and does not run ${many ? 'them' : 'it'}` });
  }
  for (const n of natives.filter((x) => !rcd.isStock(x))) {
    if (NEVER_NOTIFIED.has(n)) out.push({ level: 'info', text: `${rcDir}/${n}: never run (Heartbeat 3.0.6 handles \`${n}\` itself and never runs it either)` });
    else out.push({ level: 'warn', text: nativeConflictWarning(n) });
  }
  return out;
}

export function nativeConflictWarning(name: string): string {
  return `rc.d/${name} is not Heartbeat's stock script; heartbeat-ts runs it as a notification and handles \`${name}\` itself; it must not acquire or release resources`;
}

/* ------------------------------------------------------------------ the plan */

export interface RcEnvInput {
  readonly fields: readonly RcField[];
  /** The daemon's script environment (scriptEnvironment() in daemon/scripts/script-runner.ts). */
  readonly inherited: Readonly<Record<string, string | undefined>>;
  readonly configDir: string;
  readonly localNode: string;
  readonly localStatus: string;
  readonly niceFailback: boolean;
  /** HA_FUNCS when `inherited` has none: <config-dir>/shellfuncs if it exists, else /etc/ha.d/shellfuncs. */
  readonly funcsFile: string;
}

/** C tolower in the C locale: ASCII letters only. */
export function lowerType(t: string): string {
  return t.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A latin1 (byte) string as a JS string whose UTF-8 encoding is those bytes, when they are valid UTF-8. */
function envText(latin1: string): string {
  const cut = latin1.includes('\0') ? latin1.slice(0, latin1.indexOf('\0')) : latin1; // setenv stops at NUL
  if (!/[^\x00-\x7f]/.test(cut)) return cut;
  try {
    return utf8.decode(Buffer.from(cut, 'latin1'));
  } catch {
    return cut; // not UTF-8: the child sees the UTF-8 encoding of these latin1 characters
  }
}

/** notify_world's environment (see the top of this file). */
export function rcEnvironment(o: RcEnvInput): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.inherited)) if (v !== undefined) env[k] = v;
  // What heartbeat 3.0.6's main() and config.c put in the daemon's own environment, for harc and shellfuncs.
  env['HA_CURHOST'] = o.localNode;
  env['HA_DIR'] = o.configDir;
  env['HA_RCDIR'] = `${o.configDir}/rc.d`; // not Heartbeat's (shellfuncs derives it from HA_DIR); for direct runs
  env['HA_FUNCS'] ??= o.funcsFile;
  env['HA_DATEFMT'] ??= HA_DATEFMT;
  env['OCF_ROOT'] ??= OCF_ROOT;
  env['PATH'] ??= DEFAULT_PATH;
  for (const [name, value] of o.fields) {
    const cutName = name.includes('\0') ? name.slice(0, name.indexOf('\0')) : name;
    if (cutName.includes('=')) continue; // setenv refuses it (EINVAL)
    const key = `HA_${cutName}`.slice(0, MAX_ENV_NAME);
    if (PROTECTED_ENV.has(key)) continue;
    env[key] = envText(value);
  }
  env['HA_OSTATUS'] = o.localStatus;
  if (o.niceFailback) env['HA_NICEFAILBACK'] = 'yes';
  else delete env['HA_NICEFAILBACK'];
  env['HA_LOGD'] = 'no'; // heartbeat-ts does not talk to ha_logd
  return env;
}

export type RcPlan =
  | { readonly run: false; readonly type: string | undefined; readonly skip: RcSkipReason }
  | {
      readonly run: true;
      readonly type: string;
      /** lower(t): harc's $1 and the rc.d script it runs. */
      readonly command: string;
      /** [<config-dir>/harc, command], or without harc [<config-dir>/rc.d/<command>, command] (what harc execs). */
      readonly argv: readonly [string, string];
      readonly env: Record<string, string>;
    };

export interface RcPlanInput extends Omit<RcEnvInput, 'localStatus'> {
  readonly source: RcSource;
  readonly local: RcLocalState;
  readonly rcd: RcDirectory;
  /** `<config-dir>/harc` exists; otherwise the rc.d script is run directly, as harc would. */
  readonly viaHarc: boolean;
}

/** Whether this event runs an rc.d notification, and how. */
export function planRcNotification(o: RcPlanInput): RcPlan {
  const t = rcType(o.fields);
  const queued = heartbeatQueues(o.source, o.fields, o.localNode, o.local);
  if (t === undefined || queued !== undefined) return { run: false, type: t, skip: queued ?? 'no-type' };
  if (!o.rcd.names.has(t)) return { run: false, type: t, skip: 'no-script' };
  if (o.rcd.native.has(t) && o.rcd.isStock(t)) return { run: false, type: t, skip: 'native-stock' };
  const command = lowerType(t);
  const argv: readonly [string, string] = o.viaHarc ? [`${o.configDir}/harc`, command] : [`${o.configDir}/rc.d/${command}`, command];
  return { run: true, type: t, command, argv, env: rcEnvironment({ ...o, localStatus: o.local.localStatus }) };
}
