// ha.cf `logfacility`: log lines to syslog through one long-lived util-linux `logger`, never blocking the daemon.
//
// Heartbeat 3.0.6 calls syslog(3) (cluster-glue cl_log.c: openlog(entity, LOG_CONS, facility), then
// "[pid]: info: text"), so a receiver sees `heartbeat: [1234]: info: text`. Node has no syslog(3) without a
// native addon; one `logger --prio-prefix -t heartbeat` child fed by a pipe writes the same datagrams to
// /dev/log. The pipe is bounded here: when the child cannot keep up (a receiver that stopped reading) or is
// gone, lines are dropped and counted instead of queued without limit; a child that exits is restarted
// with a back-off. `--socket-errors=off`: logger keeps running, and reconnects, while no receiver listens.
import { spawn, type ChildProcess } from 'node:child_process';
import type { LogLevel } from '../core/log-level.js';

/** syslog(3) facility codes (<sys/syslog.h>), by the names ha.cf `logfacility` accepts. */
const FACILITY_CODES: Readonly<Record<string, number>> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, security: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9,
  authpriv: 10, ftp: 11, local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};

const SEVERITY: Record<LogLevel, number> = { crit: 2, err: 3, warn: 4, info: 6, debug: 7 };

/** The facility code of an ha.cf `logfacility` value; undefined for `none` (no syslog) or an unknown name. */
export function facilityCode(name: string | undefined): number | undefined {
  if (name === undefined) return undefined;
  return FACILITY_CODES[name];
}

/** `<PRI>` of one line: facility × 8 + severity (RFC 3164), what `logger --prio-prefix` reads. */
export function syslogPri(facility: number, level: LogLevel): number {
  return facility * 8 + SEVERITY[level];
}

/** The line logger is fed: `<PRI>[pid]: WARN: text` (logger adds the date and the `heartbeat:` tag). */
export function syslogLine(facility: number, level: LogLevel, pid: number, prio: string, text: string): string {
  return `<${syslogPri(facility, level)}>[${pid}]: ${prio}: ${text.replace(/[\r\n]+/g, ' ')}\n`;
}

export interface SyslogSinkOptions {
  readonly facility: number;
  /** The syslog tag, Heartbeat's log entity. */
  readonly tag: string;
  /** The datagram socket logger writes to; undefined: logger's default, /dev/log. */
  readonly socket?: string | undefined;
  /** Bytes queued towards logger beyond which new lines are dropped (default 256 KiB). */
  readonly maxQueuedBytes?: number;
  /** The logger program (default /usr/bin/logger, else `logger` on PATH). */
  readonly program?: string;
}

const DEFAULT_MAX_QUEUED = 256 * 1024;
const RESTART_MIN_MS = 1000;
const RESTART_MAX_MS = 30_000;

/** One `logger` child; write() never blocks and never throws. */
export class SyslogSink {
  private child: ChildProcess | undefined;
  private restartTimer: NodeJS.Timeout | undefined;
  private restartDelayMs = RESTART_MIN_MS;
  private closed = false;
  private droppedLines = 0;
  private readonly maxQueued: number;

  constructor(private readonly o: SyslogSinkOptions) {
    this.maxQueued = o.maxQueuedBytes ?? DEFAULT_MAX_QUEUED;
    this.startChild();
  }

  /** Lines dropped so far because logger was gone or could not keep up. */
  get dropped(): number {
    return this.droppedLines;
  }

  /** The running logger's pid (tests, diagnostics). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  write(level: LogLevel, pid: number, prio: string, text: string): void {
    const stdin = this.child?.stdin;
    if (this.closed || stdin === undefined || stdin === null || stdin.destroyed || stdin.writableLength > this.maxQueued) {
      this.droppedLines += 1;
      return;
    }
    stdin.write(syslogLine(this.o.facility, level, pid, prio, text));
  }

  private startChild(): void {
    if (this.closed) return;
    const args = ['--prio-prefix', '-t', this.o.tag, '--socket-errors=off', '--size', '8192'];
    if (this.o.socket !== undefined) args.push('-u', this.o.socket);
    let child: ChildProcess;
    try {
      child = spawn(this.o.program ?? 'logger', args, { stdio: ['pipe', 'ignore', 'ignore'] });
    } catch {
      this.scheduleRestart();
      return;
    }
    this.child = child;
    // A dead reader makes writes fail with EPIPE: the lines are lost, the exit handler restarts logger.
    child.stdin?.on('error', () => undefined);
    child.on('error', () => {
      if (this.child === child) this.child = undefined;
      this.scheduleRestart();
    });
    child.on('exit', () => {
      if (this.child === child) this.child = undefined;
      this.scheduleRestart();
    });
    // logger is a helper of this process, not a reason to keep the event loop alive.
    child.unref();
    (child.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  }

  private scheduleRestart(): void {
    if (this.closed || this.restartTimer !== undefined) return;
    const delay = this.restartDelayMs;
    this.restartDelayMs = Math.min(RESTART_MAX_MS, this.restartDelayMs * 2);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      this.startChild();
    }, delay);
    this.restartTimer.unref();
  }

  /** Ends logger's input and waits (at most 1 s) for it to send what it has; then SIGKILL. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.restartTimer !== undefined) clearTimeout(this.restartTimer);
    const child = this.child;
    this.child = undefined;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        resolve();
      }, 1000);
      child.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      child.stdin?.end();
    });
  }
}
