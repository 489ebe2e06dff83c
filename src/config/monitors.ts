// <config-dir>/monitors (issue 17): which resources heartbeat-ts checks, how often, and what it does on failure.
//
// One parser for every reader: the daemon and `heartbeat --check-config` (checkMonitors, codes HA_MON_*) and
// `hbctl to-pacemaker` (src/pacemaker/monitors.ts, which turns each problem into a warning). A real Heartbeat
// never reads this file, so a mixed pair keeps identical ha.cf and haresources.
//
//   # comment
//   RESOURCE [interval=T] [timeout=T] [fall=N] [restarts=N] [forget=T] [check=COMMAND…]
//
// RESOURCE is written exactly as in haresources (`httpd`, `IPaddr::10.0.0.10/24/eth0`, a bare address).
// T is a Heartbeat time value ("5" = seconds, "500ms"). check= takes the rest of the line (a `#` there is part
// of the command); it runs without a shell: words split at blanks, '…' and "…" quote (no expansions).
import type { Diagnostic, Severity } from '../core/diagnostic.js';
import { parseTime } from './time-value.js';

export interface MonitorSpec {
  readonly resource: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Consecutive failed checks before acting (≥ 1). */
  readonly fall: number;
  /** Local restarts before the group is handed over (0: at once). */
  readonly restarts: number;
  /** A failure older than this is forgotten; undefined: never. */
  readonly forgetMs: number | undefined;
  /** The check= text as written; undefined: the resource's own status. */
  readonly check: string | undefined;
  /** check= split into words (no shell); undefined with check. */
  readonly checkArgv: readonly string[] | undefined;
  readonly line: number;
}

export const MONITOR_DEFAULTS = { intervalMs: 10_000, timeoutMs: 20_000, fall: 1, restarts: 1 } as const;

export type MonitorProblemKind = 'bad-time' | 'bad-count' | 'unknown-key' | 'duplicate' | 'bad-check';

export interface MonitorProblem {
  readonly kind: MonitorProblemKind;
  readonly line: number;
  /** 1-based column of the offending word. */
  readonly column: number;
  readonly message: string;
}

export interface ParsedMonitors {
  /** The good lines, in file order (a line with any problem is left out whole). */
  readonly monitors: readonly MonitorSpec[];
  readonly problems: readonly MonitorProblem[];
}

const KEYS = 'interval, timeout, fall, restarts, forget or check';

/** Splits a command line into words: blanks separate, '…' and "…" quote (\ escapes in "…" and outside). */
export function splitCommand(text: string): readonly string[] | undefined {
  const words: string[] = [];
  let cur = '';
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else cur += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && i + 1 < text.length && '"\\$`'.includes(text[i + 1] as string)) cur += text[++i] as string;
      else cur += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < text.length) {
      cur += text[++i] as string;
      inWord = true;
    } else if (c === ' ' || c === '\t') {
      if (inWord) words.push(cur);
      cur = '';
      inWord = false;
    } else {
      cur += c;
      inWord = true;
    }
  }
  if (quote !== undefined) return undefined;
  if (inWord) words.push(cur);
  return words;
}

/** Parses the file; every problem is reported (one per line: the first found), pinpointed to line and column. */
export function parseMonitorsText(text: string): ParsedMonitors {
  const monitors: MonitorSpec[] = [];
  const problems: MonitorProblem[] = [];
  const seen = new Map<string, number>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const body = raw.replace(/\r$/, '');
    const checkAt = body.search(/(^|\s)check=/);
    const checkStart = checkAt < 0 ? -1 : body.indexOf('check=', checkAt);
    const head = checkAt < 0 ? body : body.slice(0, checkStart);
    const commentAt = head.indexOf('#');
    // A check= after a `#` is part of the comment.
    const check = checkAt < 0 || commentAt >= 0 ? undefined : body.slice(checkStart + 'check='.length).trim();
    const words: { w: string; col: number }[] = [];
    for (const m of (commentAt < 0 ? head : head.slice(0, commentAt)).matchAll(/\S+/g)) words.push({ w: m[0], col: (m.index ?? 0) + 1 });
    const problem = (kind: MonitorProblemKind, column: number, message: string): void => {
      problems.push({ kind, line, column, message });
    };
    const first = words[0];
    if (first === undefined) {
      if (check !== undefined) problem('unknown-key', checkStart + 1, 'check= without a resource before it');
      return;
    }
    const resource = first.w;
    const earlier = seen.get(resource);
    if (earlier !== undefined) return problem('duplicate', first.col, `${resource} has a monitors line already (line ${earlier})`);
    let intervalMs: number = MONITOR_DEFAULTS.intervalMs;
    let timeoutMs: number = MONITOR_DEFAULTS.timeoutMs;
    let fall: number = MONITOR_DEFAULTS.fall;
    let restarts: number = MONITOR_DEFAULTS.restarts;
    let forgetMs: number | undefined;
    for (const { w, col } of words.slice(1)) {
      const eq = w.indexOf('=');
      const key = eq < 0 ? w : w.slice(0, eq);
      const value = eq < 0 ? '' : w.slice(eq + 1);
      const time = (): number | undefined => {
        const t = parseTime(value);
        return t.ms > 0 && !t.lenient ? t.ms : undefined;
      };
      const count = (min: number): number | undefined => (/^\d{1,6}$/.test(value) && Number(value) >= min ? Number(value) : undefined);
      const badTime = (): void => problem('bad-time', col, `${key} "${value}" is not a time value above zero (write 5 for seconds or 500ms)`);
      switch (key) {
        case 'interval': { const v = time(); if (v === undefined) return badTime(); intervalMs = v; break; }
        case 'timeout': { const v = time(); if (v === undefined) return badTime(); timeoutMs = v; break; }
        case 'forget': { const v = time(); if (v === undefined) return badTime(); forgetMs = v; break; }
        case 'fall': { const v = count(1); if (v === undefined) return problem('bad-count', col, `fall "${value}" is not a whole number of checks, 1 or more`); fall = v; break; }
        case 'restarts': { const v = count(0); if (v === undefined) return problem('bad-count', col, `restarts "${value}" is not a whole number, 0 or more`); restarts = v; break; }
        default:
          return problem('unknown-key', col, `unknown option "${key}" (expected ${KEYS})`);
      }
    }
    let checkArgv: readonly string[] | undefined;
    if (check !== undefined && check !== '') {
      checkArgv = splitCommand(check);
      if (checkArgv === undefined) return problem('bad-check', checkStart + 1, `check= has an unterminated quote: ${check}`);
    }
    seen.set(resource, line);
    monitors.push({ resource, intervalMs, timeoutMs, fall, restarts, forgetMs, check: check === '' ? undefined : check, checkArgv, line });
  });
  return { monitors, problems };
}

/** The codes of `heartbeat --check-config` for this file (listed in codes.ts too). */
const CODE_OF: Record<MonitorProblemKind, 'HA_MON_BAD_TIME' | 'HA_MON_BAD_VALUE' | 'HA_MON_UNKNOWN_KEY' | 'HA_MON_DUPLICATE'> = {
  'bad-time': 'HA_MON_BAD_TIME',
  'bad-count': 'HA_MON_BAD_VALUE',
  'bad-check': 'HA_MON_BAD_VALUE',
  'unknown-key': 'HA_MON_UNKNOWN_KEY',
  'duplicate': 'HA_MON_DUPLICATE',
};

export interface CheckedMonitors {
  /** The lines the daemon acts on: good, and naming a resource of haresources. */
  readonly monitors: readonly MonitorSpec[];
  readonly diagnostics: readonly Diagnostic[];
}

/**
 * The check for the daemon and --check-config: syntax problems are errors (the daemon would not start with
 * them, as with ha.cf); a line naming no resource of haresources is a warning and is ignored (the daemon logs
 * it once and starts).
 */
export function checkMonitors(text: string, file: string, resourceSpecs: ReadonlySet<string>): CheckedMonitors {
  const parsed = parseMonitorsText(text);
  const diagnostics: Diagnostic[] = parsed.problems.map((p) => ({ file, line: p.line, column: p.column, code: CODE_OF[p.kind], severity: 'error' as Severity, message: p.message }));
  const monitors = parsed.monitors.filter((m) => {
    if (resourceSpecs.has(m.resource)) return true;
    diagnostics.push({ file, line: m.line, column: 1, code: 'HA_MON_UNKNOWN_RESOURCE', severity: 'warning', message: `"${m.resource}" is not a resource in haresources (write it exactly as there); line ignored` });
    return false;
  });
  return { monitors, diagnostics };
}
