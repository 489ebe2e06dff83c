// Heartbeat's log line format: `Nov 25 06:31:52 alpha heartbeat: [17830]: info: Link bravo:eth0 up.`
import type { LogLevel } from './log-level.js';

/** cluster-glue cl_log.c prio_str: what Heartbeat prints for each level. */
export const PRIO: Record<LogLevel, string> = { debug: 'debug', info: 'info', warn: 'WARN', err: 'ERROR', crit: 'CRIT' };

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** syslog's `%b %e %H:%M:%S` in local time, as Heartbeat 3.0.6 writes its logfile (seen: "Nov 25 06:31:51"). */
export function logTimestamp(d: Date): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  return `${MONTHS[d.getMonth()] ?? '???'} ${String(d.getDate()).padStart(2, ' ')} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** One line of Heartbeat 3.0.6's logfile: `Nov 25 06:31:51 bravo heartbeat: [17830]: WARN: node alpha: is dead`. */
export function formatLogLine(host: string, entity: string, pid: number, level: LogLevel, text: string, at: Date): string {
  return `${logTimestamp(at)} ${host} ${entity}: [${pid}]: ${PRIO[level]}: ${text}\n`;
}
