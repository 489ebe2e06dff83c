// <config-dir>/monitors read for the Pacemaker operations: the one parser (src/config/monitors.ts), its problems
// turned into warnings. A line with a problem is ignored, and the conversion goes on without it.
import type { Diagnostic } from '../core/diagnostic.js';
import { parseMonitorsText, type MonitorSpec } from '../config/monitors.js';

export { MONITOR_DEFAULTS, type MonitorSpec } from '../config/monitors.js';

/** The stable codes of this file's diagnostics (and convert's about the monitors file). */
export const MONITORS_CODES = ['PCMK_MONITORS_LINE', 'PCMK_MONITORS_UNKNOWN_RESOURCE', 'PCMK_MONITORS_UNREADABLE'] as const;
export type MonitorsCode = (typeof MONITORS_CODES)[number];

export interface MonitorsResult {
  readonly monitors: readonly MonitorSpec[];
  readonly diagnostics: readonly Diagnostic[];
}

export function parseMonitors(text: string, file: string): MonitorsResult {
  const parsed = parseMonitorsText(text);
  const code: MonitorsCode = 'PCMK_MONITORS_LINE';
  const diagnostics = parsed.problems.map((p): Diagnostic => ({ file, line: p.line, column: 0, code, severity: 'warning', message: `${p.message}; line ignored` }));
  return { monitors: parsed.monitors, diagnostics };
}
