// /etc/ha.d/ha.cf, read line by line as Heartbeat 3.0.6 reads it (heartbeat/config.c: parse_config, add_option).
import type { Diagnostic } from '../core/diagnostic.js';
import { DiagnosticSink, q } from './diag.js';
import type { HostFacts } from './host-facts.js';
import type { ApiAuth } from './model.js';
import { atoi, cspanOf, DELIMS, isPlainInt, readLines, spanOf, tokens, WHITESPACE } from './source-lines.js';
import { parseTime } from './time-value.js';
import { LEGAL_DIRECTIVES, MEDIA_PER_TOKEN, WHOLE_LINE } from './directives.js';
export { BUILTIN_IPFAIL, CLASSIC_IPFAIL_PATHS } from './directives.js';
// The whole-line and media handlers live in ha-cf-lines.ts; they share Ctx (ha-cf-state.ts).
import { MEDIA_TOKEN_HANDLERS, WHOLE_LINE_HANDLERS } from './ha-cf-lines.js';
import { newState, type At, type Ctx, type HaCfState } from './ha-cf-state.js';

export type { At, HaCfState } from './ha-cf-state.js';

export const MAXNODE = 100;
export const MAXMEDIA = 64;
const BAUDS = [9600, 19200, 38400, 57600, 115200, 230400, 460800];
const FACILITIES = new Set(['auth', 'security', 'authpriv', 'cron', 'daemon', 'ftp', 'kern', 'lpr', 'mail', 'news',
  'syslog', 'user', 'uucp', 'local0', 'local1', 'local2', 'local3', 'local4', 'local5', 'local6', 'local7', 'none']);
/** Built-in API authorizations Heartbeat adds for well-known clients unless ha.cf overrides them. */
export const DEFAULT_APIAUTH: readonly ApiAuth[] = [
  { client: 'ipfail', uids: ['hacluster'], gids: [] },
  { client: 'ccm', uids: ['hacluster'], gids: [] },
  { client: 'ping', uids: [], gids: ['haclient'] },
  { client: 'lha-snmpagent', uids: ['root'], gids: [] },
  { client: 'anon', uids: ['root'], gids: ['haclient'] },
];

export interface HaCfResult {
  readonly state: HaCfState;
  readonly diagnostics: Diagnostic[];
}

const BOOL_TRUE = ['true', 'on', 'yes', 'y', '1'];
const BOOL_FALSE = ['false', 'off', 'no', 'n', '0'];

/** cluster-glue cl_str_to_boolean. */
export function parseBoolean(v: string): boolean | undefined {
  const l = v.toLowerCase();
  if (BOOL_TRUE.includes(l)) return true;
  if (BOOL_FALSE.includes(l)) return false;
  return undefined;
}

type OptionHandler = (value: string, c: Ctx) => boolean;

function bad(c: Ctx, value: string, why: string): false {
  c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_VALUE', `${c.directive} ${q(value)}: ${why}`);
  return false;
}

function boolOption(apply: (v: boolean, c: Ctx) => void): OptionHandler {
  return (value, c) => {
    const b = parseBoolean(value);
    if (b === undefined) {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_BOOLEAN',
        `${c.directive} ${q(value)}: expected a boolean (true/false, on/off, yes/no, y/n, 1/0)`);
      return false;
    }
    apply(b, c);
    return true;
  };
}

function timeOption(min: 'positive' | 'non-negative', apply: (ms: number, c: Ctx) => void): OptionHandler {
  return (value, c) => {
    const t = parseTime(value);
    const okValue = min === 'positive' ? t.ms > 0 : t.ms >= 0;
    if (t.ms < 0) {
      const hint = /^\d+(\.\d+)?s$/i.test(value) ? ` (Heartbeat has no "s" unit: write ${value.slice(0, -1)} for seconds)` : '';
      c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_DURATION',
        `${c.directive} ${q(value)}: not a time value; write seconds (2, 1.5) or milliseconds (1500ms)${hint}`);
      return false;
    }
    if (!okValue) return bad(c, value, `must be more than 0 (read as ${t.ms} ms)`);
    if (t.lenient) {
      c.d.warn(c.at.line, c.at.column, 'HA_CFG_LENIENT_VALUE',
        `${c.directive} ${q(value)} is read by Heartbeat as ${t.ms} ms; write it plainly (e.g. ${t.ms}ms)`);
    }
    apply(t.ms, c);
    return true;
  };
}

function intOption(lo: number, hi: number, apply: (n: number, c: Ctx) => void, what = `a whole number from ${lo} to ${hi}`): OptionHandler {
  return (value, c) => {
    const n = atoi(value);
    if (n < lo || n > hi) return bad(c, value, `expected ${what}`);
    if (!isPlainInt(value)) {
      c.d.warn(c.at.line, c.at.column, 'HA_CFG_LENIENT_VALUE', `${c.directive} ${q(value)} is read by Heartbeat as ${n}; write ${n}`);
    }
    apply(n, c);
    return true;
  };
}

function oneOf(words: readonly string[], caseless: boolean, apply: (w: string, c: Ctx) => void): OptionHandler {
  return (value, c) => {
    const w = caseless ? words.find((x) => x.toLowerCase() === value.toLowerCase()) : words.find((x) => x === value);
    if (w === undefined) return bad(c, value, `expected one of ${words.join(', ')}`);
    apply(w, c);
    return true;
  };
}

const NO_RT = 'heartbeat-ts does not run with real-time scheduling or locked memory';
const PCMK_ONLY = 'a Pacemaker setting, unused in haresources mode';

/** Accepts what `h` accepts, then notes that the directive has no effect here. */
function withNote(h: OptionHandler, why: string): OptionHandler {
  return (value, c) => {
    if (!h(value, c)) return false;
    c.d.info(c.at.line, c.at.column, 'HA_CFG_NO_EFFECT', `${c.directive} ${q(value)}: accepted; no effect: ${why}`);
    return true;
  };
}

function pacemaker(value: string, c: Ctx): boolean {
  if (c.s.pacemakerSeen) {
    c.d.error(c.at.line, c.at.column, 'HA_CFG_DUPLICATE', `${c.directive}: the crm/pacemaker directive may appear only once`);
    return false;
  }
  c.s.pacemakerSeen = true;
  const special = ['minimal', 'manual', 'respawn', 'ccm-only', 'valgrind'].includes(value.toLowerCase());
  const b = parseBoolean(value);
  if (!special && b === undefined) return bad(c, value, 'expected off (heartbeat-ts runs haresources mode)');
  if (b === false) return true;
  c.d.error(c.at.line, c.at.column, 'HA_CFG_PACEMAKER',
    `${c.directive} ${q(value)} hands resources to Pacemaker, which heartbeat-ts does not run: it manages ` +
      `resources the haresources (v1) way. Write "${c.directive} off" (or delete the line) and list the resources ` +
      'in haresources. To move to Pacemaker instead, "hbctl to-pacemaker" turns a haresources configuration (crm off) ' +
      'into corosync.conf and a Pacemaker CIB (see docs/pacemaker.md)');
  return false;
}

const OPTIONS: Record<string, OptionHandler> = {
  cluster: (v, c) => (c.s.values.set('cluster', v), true),
  node: (v, c) => {
    if (c.s.nodes.length >= MAXNODE) {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_TOO_MANY', `node ${q(v)}: more than ${MAXNODE} nodes`);
      return false;
    }
    c.s.nodes.push({ name: v.toLowerCase(), type: 'normal' });
    return true;
  },
  hopfudge: intOption(0, 255, (n, c) => { c.s.hopfudge = n; }),
  keepalive: timeOption('positive', (ms, c) => { c.s.keepaliveMs = ms; }),
  deadtime: timeOption('non-negative', (ms, c) => { c.s.deadtimeMs = ms; }),
  deadping: timeOption('non-negative', (ms, c) => { c.s.deadpingMs = ms; }),
  initdead: timeOption('non-negative', (ms, c) => { c.s.initdeadMs = ms; }),
  warntime: timeOption('positive', (ms, c) => { c.s.warntimeMs = ms; }),
  watchdog: (v, c) => {
    if (c.s.watchdog !== undefined) {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_DUPLICATE', `watchdog ${q(v)}: the watchdog device may be given only once`);
      return false;
    }
    c.s.watchdog = v;
    if (c.host.pathKind(v) === 'missing') {
      c.d.warn(c.at.line, c.at.column, 'HA_CFG_BAD_VALUE',
        `watchdog ${q(v)} does not exist; heartbeat-ts will not start without it (Heartbeat runs on without a watchdog)`);
    }
    return true;
  },
  baud: (v, c) => {
    if (c.s.baud !== undefined) {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_DUPLICATE', `baud ${q(v)}: the baud rate may be given only once`);
      return false;
    }
    c.s.baud = -1;
    const n = atoi(v);
    if (!BAUDS.includes(n)) return bad(c, v, `not a supported baud rate (${BAUDS.join(', ')})`);
    c.s.baud = n;
    if (c.s.media.some((m) => m.kind === 'serial')) {
      c.d.warn(c.at.line, c.at.column, 'HA_CFG_ORDER', 'baud comes after a serial line: serial lines above it use the default 19200; move baud before them');
    }
    return true;
  },
  udpport: (v, c) => {
    const n = atoi(v);
    if (n <= 0) return bad(c, v, 'expected a UDP port number (1..65535)');
    const port = n & 0xffff;
    if (!isPlainInt(v) || n > 65535) {
      c.d.warn(c.at.line, c.at.column, 'HA_CFG_LENIENT_VALUE',
        `udpport ${q(v)} is read by Heartbeat as port ${port}${port === 0 ? ' (a random port)' : ''}; write a number from 1 to 65535`);
    }
    if (c.s.mediaSeenAt !== undefined && c.s.media.some((m) => m.kind === 'bcast' || m.kind === 'ucast')) {
      c.d.warn(c.at.line, c.at.column, 'HA_CFG_ORDER',
        `udpport comes after the medium on line ${c.s.mediaSeenAt.line}, which keeps the earlier port; move udpport above the media`);
    }
    c.s.udpPort = port;
    return true;
  },
  logfacility: (v, c) => {
    if (!FACILITIES.has(v)) return bad(c, v, 'not a syslog facility (daemon, local0 … local7, none, …)');
    c.s.facility = v;
    return true;
  },
  logfile: (v, c) => ((c.s.logFile = v), true),
  debugfile: (v, c) => ((c.s.debugFile = v), true),
  nice_failback: (v, c) => {
    const b = parseBoolean(v);
    if (b === undefined) {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_BOOLEAN', `nice_failback ${q(v)}: expected on or off (better: use auto_failback)`);
      return false;
    }
    if (c.s.niceFailback) {
      c.s.autoFailback = 'off';
      c.d.warn(c.at.line, c.at.column, 'HA_CFG_OBSOLETE', `'nice_failback ${v}' has been changed to 'auto_failback off' (as Heartbeat does after an auto_failback line); write auto_failback instead`);
    } else {
      c.s.autoFailback = 'legacy';
      c.d.warn(c.at.line, c.at.column, 'HA_CFG_OBSOLETE', `nice_failback ${v} has been strictly interpreted as 'auto_failback legacy', as Heartbeat does; write "auto_failback on" (or off) instead`);
    }
    return true;
  },
  auto_failback: (v, c) => {
    const b = parseBoolean(v);
    if (b === undefined) {
      if (v.toLowerCase() !== 'legacy') return bad(c, v, 'expected on, off or legacy');
      c.s.autoFailback = 'legacy';
      c.s.niceFailback = false;
      return true;
    }
    c.s.autoFailback = b ? 'on' : 'off';
    c.s.niceFailback = true;
    return true;
  },
  rtprio: withNote(intOption(1, 99, () => undefined, 'a SCHED_FIFO priority from 1 to 99'), NO_RT),
  hbgenmethod: oneOf(['file', 'time'], false, () => undefined),
  realtime: withNote(boolOption(() => undefined), NO_RT),
  debug: intOption(0, 255, (n, c) => { c.s.debugLevel = n; }),
  msgfmt: oneOf(['classic', 'netstring'], false, () => undefined),
  use_logd: boolOption((b, c) => { c.s.useLogd = b; }),
  conn_logd_time: timeOption('positive', () => undefined),
  use_apphbd: withNote(boolOption(() => undefined), 'there is no apphbd to register with'),
  log_badpack: boolOption(() => undefined),
  syslogmsgfmt: boolOption(() => undefined),
  coredumps: boolOption(() => undefined),
  coreroot: (v, c) => ((c.s.values.set('coreroot', v)), true),
  crm_daemon_dir: (v, c) => {
    if (c.s.pacemakerSeen) {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_ORDER', `crm_daemon_dir ${q(v)} must come before the crm/pacemaker directive`);
      return false;
    }
    c.d.info(c.at.line, c.at.column, 'HA_CFG_NO_EFFECT', `crm_daemon_dir ${q(v)}: accepted; no effect: ${PCMK_ONLY}`);
    return true;
  },
  crmd_spawns_pengine: (v, c) => {
    if (c.s.pacemakerSeen) {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_ORDER', `crmd_spawns_pengine ${q(v)} must come before the crm/pacemaker directive`);
      return false;
    }
    return withNote(boolOption(() => undefined), PCMK_ONLY)(v, c);
  },
  crm: pacemaker,
  pacemaker,
  autojoin: oneOf(['none', 'other', 'any'], true, (w, c) => { c.s.autojoin = w as 'none' | 'other' | 'any'; }),
  uuidfrom: oneOf(['file', 'nodename'], false, () => undefined),
  compression: oneOf(['zlib', 'bz2'], false, () => undefined),
  compression_threshold: intOption(1, 2147483647, () => undefined, 'a size in KiB, more than 0'),
  traditional_compression: boolOption(() => undefined),
  env: (v, c) => {
    const eq = v.indexOf('=');
    const name = eq < 0 ? v : v.slice(0, eq);
    if (name === '') return bad(c, v, 'expected NAME=value');
    c.s.env.set(name, eq < 0 ? '' : v.slice(eq + 1));
    return true;
  },
  max_rexmit_delay: intOption(1, 2147483647, () => undefined, 'milliseconds, more than 0'),
  record_config_changes: withNote(boolOption(() => undefined), PCMK_ONLY),
  record_pengine_inputs: withNote(boolOption(() => undefined), PCMK_ONLY),
  enable_config_writes: withNote(boolOption(() => undefined), PCMK_ONLY),
  memreserve: withNote(intOption(1, 2147483647, () => undefined, 'KiB, more than 0'), 'Node.js manages its own memory'),
  // heartbeat 3.0.6 set_quorum_server copies the value into config->cluster as well, a field only Pacemaker's quorum
  // client reads; the `cluster` parameter (getparm, cl_status hbparameter) keeps the cluster directive's value or
  // linux-ha. So only `quorum_server` itself is recorded.
  quorum_server: withNote(() => true, 'quorum servers belong to Pacemaker clusters'),
};

/** Parses ha.cf text; `localNode` is this node's lower-cased name (stonith_host lines for other hosts are skipped). */
export function parseHaCf(text: string, file: string, host: HostFacts, localNode: string): HaCfResult {
  const d = new DiagnosticSink(file);
  const s = newState();
  for (const piece of readLines(text)) {
    let line = piece.text;
    let bp = spanOf(line, 0, WHITESPACE);
    const hash = line.indexOf('#', bp);
    if (hash >= 0) line = line.slice(0, hash);
    const crlf = cspanOf(line, bp, '\r\n');
    line = line.slice(0, crlf);
    if (bp >= line.length) continue;
    const dirEnd = cspanOf(line, bp, WHITESPACE);
    let directive = line.slice(bp, dirEnd);
    const at: At = { line: piece.line, column: piece.offset + bp + 1 };
    if (directive === 'udp') {
      d.warn(at.line, at.column, 'HA_CFG_UDP_ALIAS', 'directive "udp" is an old name for "bcast"; Heartbeat replaces it the same way');
      directive = 'bcast';
    }
    if (!LEGAL_DIRECTIVES.has(directive)) {
      const lower = directive.toLowerCase();
      const hint = piece.isTail
        ? ` (this is the rest of line ${piece.line}: Heartbeat reads lines in pieces of 5119 characters, so a longer comment spills over)`
        : LEGAL_DIRECTIVES.has(lower) ? ` (directive names are case-sensitive: write "${lower}")`
        : directive === 'normalpoll' ? ' (Heartbeat 3.0.6 was built without it)' : '';
      d.error(at.line, at.column, 'HA_CFG_UNKNOWN_DIRECTIVE', `unknown directive ${q(directive)}${hint}`);
      continue;
    }
    bp = spanOf(line, dirEnd, DELIMS);
    const base: Omit<Ctx, 'at'> = { s, d, host, localNode, directive };
    const whole = WHOLE_LINE_HANDLERS[directive];
    if (WHOLE_LINE.has(directive) && whole !== undefined) {
      whole(line.slice(bp), { ...base, at: { line: at.line, column: piece.offset + bp + 1 } });
      continue;
    }
    for (const tok of tokens(line, DELIMS, bp)) {
      const c: Ctx = { ...base, at: { line: at.line, column: piece.offset + tok.at + 1 } };
      const media = MEDIA_TOKEN_HANDLERS[directive];
      if (MEDIA_PER_TOKEN.has(directive) && media !== undefined) {
        if (s.media.length >= MAXMEDIA) {
          d.error(c.at.line, c.at.column, 'HA_CFG_TOO_MANY', `${directive} ${q(tok.text)}: more than ${MAXMEDIA} media`);
          continue;
        }
        media(tok.text, c);
        continue;
      }
      const h = OPTIONS[directive];
      if (h !== undefined && h(tok.text, c)) {
        s.values.set(directive, tok.text);
        s.where.set(directive, c.at);
      } else {
        s.failed.add(directive);
      }
    }
  }
  for (const a of DEFAULT_APIAUTH) if (!s.apiAuth.has(a.client)) s.apiAuth.set(a.client, a);
  return { state: s, diagnostics: d.list };
}

