// Heartbeat's log format and destinations: `Nov 25 06:31:52 alpha heartbeat: [17830]: info: Link bravo:eth0 up.`
import fs from 'node:fs';
import type { LogLevel } from '../membership/types.js';

/** cluster-glue cl_log.c prio_str: what Heartbeat prints for each level. */
const PRIO: Record<LogLevel, string> = { debug: 'debug', info: 'info', warn: 'WARN', err: 'ERROR', crit: 'CRIT' };

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

export interface LogTargets {
  /** ha.cf `logfile`: everything but debug. */
  readonly logFile: string | undefined;
  /** ha.cf `debugfile`: everything, debug included. */
  readonly debugFile: string | undefined;
  /** Also write to stderr (foreground mode). */
  readonly stderr: boolean;
  /** ha.cf `debug` level; 0 drops debug lines. */
  readonly debugLevel: number;
}

/** Appends through write streams (never blocking the heartbeat path); a failing file is reported once. */
export class Logger {
  private readonly streams: { stream: fs.WriteStream; debug: boolean; path: string }[] = [];
  private readonly failed = new Set<string>();

  constructor(
    private readonly targets: LogTargets,
    private readonly host: string,
    private readonly entity = 'heartbeat',
    private readonly pid = process.pid,
  ) {
    for (const [file, debug] of [[targets.logFile, false], [targets.debugFile, true]] as const) {
      if (file === undefined || file === '') continue;
      const stream = fs.createWriteStream(file, { flags: 'a' });
      stream.on('error', (e) => {
        if (this.failed.has(file)) return;
        this.failed.add(file);
        process.stderr.write(`heartbeat: cannot write log file ${file}: ${e.message}\n`);
      });
      this.streams.push({ stream, debug, path: file });
    }
  }

  log(level: LogLevel, text: string, at: Date = new Date()): void {
    if (level === 'debug' && this.targets.debugLevel === 0) return;
    const line = formatLogLine(this.host, this.entity, this.pid, level, text, at);
    for (const s of this.streams) {
      if (level === 'debug' && !s.debug) continue;
      if (!this.failed.has(s.path)) s.stream.write(line);
    }
    if (this.targets.stderr) process.stderr.write(line);
  }

  private closing: Promise<void> | undefined;

  /** Flushes and closes the files; idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeStreams();
    return this.closing;
  }

  private async closeStreams(): Promise<void> {
    await Promise.all(this.streams.map((s) => new Promise<void>((resolve) => s.stream.end(resolve))));
  }
}
