// Heartbeat's log destinations (logfile, debugfile, syslog, stderr), shared by the daemon and ipfail.
import fs from 'node:fs';
import type { LogLevel } from '../core/log-level.js';
import { formatLogLine, PRIO } from '../core/log-format.js';
import { facilityCode, SyslogSink } from './syslog.js';

export interface LogTargets {
  /** ha.cf `logfile`: everything but debug. */
  readonly logFile: string | undefined;
  /** ha.cf `debugfile`: everything, debug included. */
  readonly debugFile: string | undefined;
  /** Also write to stderr (foreground mode). */
  readonly stderr: boolean;
  /** ha.cf `debug` level; 0 drops debug lines. */
  readonly debugLevel: number;
  /** ha.cf `logfacility` (`none` or absent: no syslog). */
  readonly facility?: string | undefined;
  /** The datagram socket syslog lines go to (default /dev/log; `--syslog-socket`). */
  readonly syslogSocket?: string | undefined;
}

/**
 * The syslog facility lines go to: ha.cf `logfacility`; or, when `use_logd` is in force with no log target in
 * ha.cf (Heartbeat's default then: everything through ha_logd), logd's own default facility, `daemon`. There
 * is no logd here: heartbeat-ts always writes its targets itself, as Heartbeat does when logd is not running.
 */
export function syslogFacilityOf(c: { readonly logFacility: string | undefined; readonly logFile: string | undefined; readonly debugFile: string | undefined; readonly useLogd: boolean }): string | undefined {
  if (c.logFacility !== undefined) return c.logFacility;
  return c.useLogd && (c.logFile ?? '') === '' && (c.debugFile ?? '') === '' ? 'daemon' : undefined;
}

/** How often the log files are checked for a rename by logrotate (cluster-glue checks about once a minute). */
const ROTATE_CHECK_MS = 60_000;

interface FileTarget {
  stream: fs.WriteStream;
  readonly debug: boolean;
  readonly path: string;
  /** Inode of the file this stream appends to; 0 until known. */
  ino: number;
}

/**
 * Heartbeat's logging (cluster-glue cl_log): logfile, debugfile, syslog and stderr, nothing on this path blocks.
 * Files are appended with O_APPEND through write streams, so logrotate's `copytruncate` is safe as is; a file
 * renamed away is noticed within a minute (its inode changed: "log-rotate detected on logfile …", as
 * cluster-glue) and on SIGHUP (reopen()), and then reopened under its name. A failing file is reported once.
 */
export class Logger {
  private files: FileTarget[] = [];
  private readonly failed = new Set<string>();
  private syslog: SyslogSink | undefined;
  private targets: LogTargets;
  private level: number;
  private lastRotateCheckMs = Date.now();
  /** Also receives every line (the daemonizing parent's pipe while the daemon starts). */
  private mirror: ((line: string) => void) | undefined;

  constructor(
    targets: LogTargets,
    private readonly host: string,
    private readonly entity = 'heartbeat',
    private readonly pid = process.pid,
  ) {
    this.targets = targets;
    this.level = targets.debugLevel;
    this.open();
  }

  private open(): void {
    for (const [file, debug] of [[this.targets.logFile, false], [this.targets.debugFile, true]] as const) {
      if (file === undefined || file === '') continue;
      this.files.push(this.openFile(file, debug));
    }
    const facility = facilityCode(this.targets.facility);
    if (facility !== undefined) this.syslog = new SyslogSink({ facility, tag: this.entity, socket: this.targets.syslogSocket });
  }

  private openFile(file: string, debug: boolean): FileTarget {
    this.failed.delete(file);
    const stream = fs.createWriteStream(file, { flags: 'a' });
    const target: FileTarget = { stream, debug, path: file, ino: 0 };
    stream.on('error', (e) => {
      if (this.failed.has(file)) return;
      this.failed.add(file);
      process.stderr.write(`heartbeat: cannot write log file ${file}: ${e.message}\n`);
    });
    stream.on('open', (fd: number) => {
      fs.fstat(fd, (e, st) => {
        if (e === null) target.ino = st.ino;
      });
    });
    return target;
  }

  /** The debug level in force (ha.cf `debug`, -d, SIGUSR1/SIGUSR2). */
  get debugLevel(): number {
    return this.level;
  }

  /** heartbeat 3.0.6 SIGUSR1/SIGUSR2: one more, one less (not below 0); logs "debug now set to N [pid P]". */
  setDebugLevel(n: number): void {
    const old = this.level;
    this.level = Math.max(0, n);
    if (this.level !== old) this.log('debug', `debug now set to ${this.level} [pid ${this.pid}]`);
  }

  setMirror(mirror: ((line: string) => void) | undefined): void {
    this.mirror = mirror;
  }

  /** Stop or start copying lines to stderr (the daemon's stderr is /dev/null once it runs in the background). */
  setStderr(on: boolean): void {
    this.targets = { ...this.targets, stderr: on };
  }

  /** Lines syslog did not get (no logger, or it could not keep up). */
  get syslogDropped(): number {
    return this.syslog?.dropped ?? 0;
  }

  get syslogPid(): number | undefined {
    return this.syslog?.pid;
  }

  log(level: LogLevel, text: string, at: Date = new Date()): void {
    if (level === 'debug' && this.level === 0) return;
    const line = formatLogLine(this.host, this.entity, this.pid, level, text, at);
    for (const f of this.files) {
      if (level === 'debug' && !f.debug) continue;
      if (!this.failed.has(f.path)) f.stream.write(line);
    }
    this.syslog?.write(level, this.pid, PRIO[level], text);
    if (this.targets.stderr) process.stderr.write(line);
    this.mirror?.(line);
    const now = Date.now();
    if (now - this.lastRotateCheckMs >= ROTATE_CHECK_MS) {
      this.lastRotateCheckMs = now;
      this.checkRotation();
    }
  }

  /** A file renamed or removed under us (logrotate without copytruncate): reopen it under its name. */
  private checkRotation(): void {
    for (const f of this.files) {
      if (f.ino === 0) continue;
      fs.stat(f.path, (e, st) => {
        if (this.closing !== undefined || !this.files.includes(f)) return;
        if (e === null && st.ino === f.ino) return;
        this.reopenOne(f);
        this.log('info', `log-rotate detected on logfile ${f.path}`);
      });
    }
  }

  private reopenOne(f: FileTarget): void {
    const i = this.files.indexOf(f);
    if (i < 0) return;
    f.stream.end();
    this.files[i] = this.openFile(f.path, f.debug);
  }

  /** SIGHUP: close and reopen every log file under its name (after logrotate moved them away). */
  reopen(): void {
    for (const f of [...this.files]) this.reopenOne(f);
  }

  /**
   * A reloaded ha.cf: new logfile, debugfile, logfacility or debug. Files and syslog are reopened as the new
   * targets say (the current debug level moves by the change of `debug`, keeping SIGUSR1/SIGUSR2 steps).
   */
  retarget(next: LogTargets): void {
    const old = this.targets;
    this.targets = { ...next, stderr: old.stderr, syslogSocket: next.syslogSocket ?? old.syslogSocket };
    this.level = Math.max(0, this.level + next.debugLevel - old.debugLevel);
    for (const f of this.files) f.stream.end();
    this.files = [];
    void this.syslog?.close();
    this.syslog = undefined;
    this.open();
  }

  private closing: Promise<void> | undefined;

  /** Flushes and closes the files and the syslog child; idempotent. */
  close(): Promise<void> {
    this.closing ??= this.closeAll();
    return this.closing;
  }

  private async closeAll(): Promise<void> {
    const dropped = this.syslogDropped;
    const line = formatLogLine(this.host, this.entity, this.pid, 'warn', `syslog: ${dropped} line(s) dropped this run (the receiver was gone or too slow)`, new Date());
    if (dropped > 0) for (const f of this.files) if (!this.failed.has(f.path)) f.stream.write(line);
    await Promise.all([
      ...this.files.map((f) => new Promise<void>((resolve) => f.stream.end(resolve))),
      this.syslog?.close(),
    ]);
  }
}
