// ha.cf `watchdog DEV`: keep a kernel watchdog fed while the node heart-beats; a stalled or dead daemon gets reset.
/*
 * heartbeat 3.0.6 (hb_init_watchdog, hb_tickle_watchdog, hb_close_watchdog): opens the device write-only at
 * start, writes one NUL byte each time its own status comes back to it (once per keepalive), and writes the
 * magic close character 'V' before closing it on a clean exit — the kernel then disarms the timer. A daemon
 * that stops writing (stalled event loop, SIGSTOP, crash, kill -9) leaves the timer running, and the kernel
 * resets the machine when it expires. Writes here are synchronous and made on the event loop itself, so a
 * stalled loop writes nothing.
 *
 * Differences: Heartbeat sets the device's timeout to deadtime + 10 ms (WDIOC_SETTIMEOUT); Node.js has no
 * ioctl, so the driver's own timeout applies (softdog: `soft_margin`, 60 s by default). A device that cannot
 * be opened is a start-up error here (Heartbeat logs it and runs unprotected). The device is opened
 * non-blocking: a FIFO standing in for it needs its reader first (else ENXIO), and a full one drops a tickle
 * (logged) instead of stalling the daemon.
 */
import fs from 'node:fs';
import type { LogLevel } from '../../core/log-level.js';

export const WATCHDOG_TICKLE = Buffer.from([0]);
export const WATCHDOG_MAGIC_CLOSE = Buffer.from('V', 'latin1');

/** Where `watchdog` was written, for the start-up error. */
export interface WatchdogSource {
  readonly file: string;
  readonly line: number | undefined;
}

export class Watchdog {
  private fd: number | undefined;
  private dropped = 0;
  /** Tickles written (tests, status). */
  writes = 0;

  private constructor(
    readonly device: string,
    fd: number,
    private readonly log: (level: LogLevel, text: string) => void,
  ) {
    this.fd = fd;
  }

  /** Opens the device and writes the first tickle; throws an Error naming the directive, file and line. */
  static open(device: string, source: WatchdogSource, log: (level: LogLevel, text: string) => void): Watchdog {
    let fd: number;
    try {
      fd = fs.openSync(device, fs.constants.O_WRONLY | fs.constants.O_NONBLOCK);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const why =
        code === 'ENOENT' ? 'no such device (load a driver, e.g. `modprobe softdog`)'
        : code === 'ENXIO' ? 'nothing is reading this FIFO'
        : code === 'EBUSY' ? 'the device is already open (another watchdog daemon?)'
        : code === 'EACCES' || code === 'EPERM' ? 'permission denied'
        : (e as Error).message;
      throw new Error(`${source.file}:${source.line ?? '?'}: watchdog ${device}: cannot open the watchdog device: ${why}`);
    }
    const w = new Watchdog(device, fd, log);
    log('info', `Using watchdog device: ${device}`);
    w.tickle();
    return w;
  }

  /** One NUL byte (hb_tickle_watchdog). A write error other than a full FIFO closes the device, as Heartbeat does. */
  tickle(): void {
    const fd = this.fd;
    if (fd === undefined) return;
    try {
      fs.writeSync(fd, WATCHDOG_TICKLE);
      this.writes += 1;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') {
        this.dropped += 1;
        if (this.dropped === 1 || this.dropped % 100 === 0) this.log('warn', `watchdog ${this.device}: write would block; tickle dropped (${this.dropped} so far)`);
        return;
      }
      this.log('err', `Watchdog write failure: closing ${this.device}! (${(e as Error).message})`);
      this.close();
    }
  }

  /** Clean shutdown only (hb_close_watchdog): the magic 'V' disarms the kernel's timer, then close. */
  close(): void {
    const fd = this.fd;
    if (fd === undefined) return;
    this.fd = undefined;
    try {
      fs.writeSync(fd, WATCHDOG_MAGIC_CLOSE);
      this.log('info', `watchdog ${this.device}: magic close written`);
    } catch (e) {
      this.log('err', `Watchdog write magic character failure: closing ${this.device}! (${(e as Error).message})`);
    }
    try {
      fs.closeSync(fd);
    } catch (e) {
      this.log('err', `Watchdog close(2) failed: ${(e as Error).message}`);
    }
  }
}
