// <config-dir>/monitors (issue 17's format): "RESOURCE key=value…" per line, read for the Pacemaker operations.
//
// RESOURCE is written exactly as in haresources. Keys: interval= and timeout= (Heartbeat time values; defaults 10
// and 20), fall=N, restarts=N (default 1), forget= (time), check=COMMAND… (the rest of the line). Problems are
// warnings naming file and line: the line is then ignored, and the conversion goes on without it.
import type { Diagnostic } from '../core/diagnostic.js';
import { parseTime } from '../config/time-value.js';

export interface MonitorSpec {
  readonly resource: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly fall: number;
  readonly restarts: number;
  readonly forgetMs: number | undefined;
  readonly check: string | undefined;
  readonly line: number;
}

/** The stable codes of this file's diagnostics (and convert's about the monitors file). */
export const MONITORS_CODES = ['PCMK_MONITORS_LINE', 'PCMK_MONITORS_UNKNOWN_RESOURCE', 'PCMK_MONITORS_UNREADABLE'] as const;
export type MonitorsCode = (typeof MONITORS_CODES)[number];

export const MONITOR_DEFAULTS = { intervalMs: 10_000, timeoutMs: 20_000, fall: 1, restarts: 1 } as const;

export interface MonitorsResult {
  readonly monitors: readonly MonitorSpec[];
  readonly diagnostics: readonly Diagnostic[];
}

export function parseMonitors(text: string, file: string): MonitorsResult {
  const monitors: MonitorSpec[] = [];
  const diagnostics: Diagnostic[] = [];
  const warn = (line: number, message: string): void => {
    const code: MonitorsCode = 'PCMK_MONITORS_LINE';
    diagnostics.push({ file, line, column: 0, code, severity: 'warning', message: `${message}; line ignored` });
  };
  const seen = new Set<string>();
  text.split('\n').forEach((raw, i) => {
    const line = i + 1;
    const body = raw.replace(/\r$/, '');
    const checkAt = body.search(/(^|\s)check=/);
    const head = checkAt < 0 ? body : body.slice(0, checkAt);
    const check = checkAt < 0 ? undefined : body.slice(body.indexOf('check=', checkAt) + 'check='.length).trim();
    const words = head.replace(/#.*$/, '').split(/\s+/).filter((w) => w !== '');
    const resource = words[0];
    if (resource === undefined) {
      if (check !== undefined) warn(line, 'check= without a resource before it');
      return;
    }
    if (seen.has(resource)) return warn(line, `${resource} has a monitors line already`);
    const spec = { intervalMs: MONITOR_DEFAULTS.intervalMs as number, timeoutMs: MONITOR_DEFAULTS.timeoutMs as number,
      fall: MONITOR_DEFAULTS.fall as number, restarts: MONITOR_DEFAULTS.restarts as number, forgetMs: undefined as number | undefined };
    for (const w of words.slice(1)) {
      const eq = w.indexOf('=');
      const key = eq < 0 ? w : w.slice(0, eq);
      const value = eq < 0 ? '' : w.slice(eq + 1);
      const time = (): number | undefined => {
        const t = parseTime(value);
        return t.ms > 0 && !t.lenient ? t.ms : undefined;
      };
      const count = (): number | undefined => (/^\d{1,6}$/.test(value) ? Number(value) : undefined);
      let v: number | undefined;
      switch (key) {
        case 'interval': v = time(); if (v !== undefined) spec.intervalMs = v; break;
        case 'timeout': v = time(); if (v !== undefined) spec.timeoutMs = v; break;
        case 'forget': v = time(); if (v !== undefined) spec.forgetMs = v; break;
        case 'fall': v = count(); if (v !== undefined && v > 0) spec.fall = v; else v = undefined; break;
        case 'restarts': v = count(); if (v !== undefined) spec.restarts = v; break;
        default: return warn(line, `unknown option "${key}" (expected interval, timeout, fall, restarts, forget or check)`);
      }
      if (v === undefined) return warn(line, `${key} "${value}" is not a valid value`);
    }
    seen.add(resource);
    monitors.push({ resource, ...spec, check: check === '' ? undefined : check, line });
  });
  return { monitors, diagnostics };
}
