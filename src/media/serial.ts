// The `serial <dev>` medium (heartbeat-protocol.md §4.5): classic `>>>…<<<` frames over an RS-232 line, with a
// device that may vanish or hang up at any time and is re-opened with a back-off, never in a busy loop.
//
//          start()            opened
//   idle ──────────► opening ────────► open
//                     │  ▲              │ lost (EOF on a hung-up tty, EIO, device gone, poll error)
//          open failed│  │retry timer   │
//                     ▼  │ (1 s, 2 s, 4 s, 8 s, then every 10 s)
//                    waiting ◄──────────┘
//   close() from any state → closed (timer cleared, device closed; idempotent)
//
// Real Heartbeat's read child spins at ~70,000 log lines/s on a hung-up tty (read returns 0 forever). Here an
// end of file or read error closes the device, one problem line is reported per outage (and per kind at most
// every 10 s), and every re-open waits on a timer first.
import { performance } from 'node:perf_hooks';
import { HbError } from '../core/errors.js';
import { encodeClassic } from '../wire/index.js';
import type { MediumAdapter, MediumListener, OutboundFrame } from './medium.js';
import {
  errorText,
  isVanishedError,
  ProblemLimiter,
  RETRY_MAX_MS,
  retryDelayMs,
  SerialFrameReader,
  STABLE_OPEN_MS,
} from './serial-stream.js';
import type { OpenSerialDevice, SerialDevice, SerialOpenRequest } from './serial-device.js';
import { openSerialPort } from './serial-port.js';

export type { OpenSerialDevice, SerialDevice, SerialDeviceEvents, SerialOpenRequest } from './serial-device.js';
export { openSerialPort } from './serial-port.js';

/**
 * Output queue bound. A burst (a takeover sends dozens of messages at once) fits; what overflows it is a line
 * that flow control holds for long (a stalled peer keeps CTS low), and then the oldest frames go first.
 * 512 KiB holds two messages of the largest size (MAXMSG).
 */
export const MAX_QUEUED_FRAMES = 256;
export const MAX_QUEUED_BYTES = 512 * 1024;

/** Time for the medium: a monotonic clock and one-shot timers (tests pass a manual clock). */
export interface SerialTimers {
  nowMs(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface SerialDeps {
  readonly openDevice?: OpenSerialDevice;
  readonly timers?: SerialTimers;
  readonly maxQueuedFrames?: number;
  readonly maxQueuedBytes?: number;
  /** Largest frame accepted on receive (MAXMSG by default). */
  readonly maxFrameBytes?: number;
}

export interface SerialMediumStats {
  readonly openAttempts: number;
  readonly framesSent: number;
  readonly framesReceived: number;
  /** Frames not sent: the device was down, the queue overflowed, the write failed or the frame did not encode. */
  readonly framesDropped: number;
}

type State = 'idle' | 'opening' | 'open' | 'waiting' | 'closed';
type OutageKind = 'vanished' | 'open-failed';

const realTimers: SerialTimers = {
  nowMs: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};

/** Reports problems through the listener, rate-limited per kind; a throwing listener cannot break the medium. */
class ProblemGate {
  private readonly limiter = new ProblemLimiter();
  constructor(
    private readonly prefix: string,
    private readonly sink: () => MediumListener | null,
    private readonly nowMs: () => number,
  ) {}

  report(kind: string, text: string): void {
    const suffix = this.limiter.admit(kind, this.nowMs());
    if (suffix === null) return;
    try {
      this.sink()?.problem(`${this.prefix}: ${text}${suffix}`);
    } catch {
      /* ignored */
    }
  }
}

/** One open of the device; events from an older session (after a loss or close) are ignored. */
interface Session {
  device: SerialDevice | null;
}

export class SerialMedium implements MediumAdapter {
  readonly kind = 'serial' as const;
  readonly name: string;
  private readonly baud: number;
  private readonly open: OpenSerialDevice;
  private readonly timers: SerialTimers;
  private readonly maxQueuedFrames: number;
  private readonly maxQueuedBytes: number;
  private readonly reader: SerialFrameReader;
  private readonly problems: ProblemGate;
  private listener: MediumListener | null = null;
  private state: State = 'idle';
  private session: Session | null = null;
  private retryTimer: unknown = null;
  /** Consecutive failures (failed opens, and losses soon after an open) driving the back-off. */
  private failures = 0;
  private outage: { kind: OutageKind; sinceMs: number } | null = null;
  private openedAtMs = 0;
  private readonly queue: Uint8Array[] = [];
  private queuedBytes = 0;
  private writing = false;
  private abandonedSeen = 0;
  private closing: Promise<void> | null = null;
  private counters = { openAttempts: 0, framesSent: 0, framesReceived: 0, framesDropped: 0 };

  constructor(options: { readonly device: string; readonly baud: number }, deps: SerialDeps = {}) {
    this.name = options.device;
    this.baud = options.baud;
    this.open = deps.openDevice ?? openSerialPort;
    this.timers = deps.timers ?? realTimers;
    this.maxQueuedFrames = Math.max(1, deps.maxQueuedFrames ?? MAX_QUEUED_FRAMES);
    this.maxQueuedBytes = deps.maxQueuedBytes ?? MAX_QUEUED_BYTES;
    this.reader = new SerialFrameReader(deps.maxFrameBytes);
    this.problems = new ProblemGate(`serial ${this.name}`, () => this.listener, () => this.timers.nowMs());
  }

  get stats(): SerialMediumStats {
    return { ...this.counters };
  }

  /** True while the device is open. */
  get isOpen(): boolean {
    return this.state === 'open';
  }

  /**
   * Opens the device. A device that is missing or fails to open does not fail the start: it is reported and
   * retried (a USB adaptor may be plugged in later). Rejects only when serial support itself is unusable.
   */
  async start(listener: MediumListener): Promise<void> {
    if (this.state !== 'idle') throw new HbError('HB_MEDIUM_START', `serial ${this.name}: start() called twice, or after close()`);
    this.listener = listener;
    await this.attemptOpen(true);
  }

  send(frame: OutboundFrame): void {
    if (this.state !== 'open') {
      // The outage was reported when it began; stale heartbeats are worthless after it anyway.
      this.counters.framesDropped++;
      return;
    }
    // serial.c: serial_write writes msg2string() of the signed message: ">>>\n…auth=…\n<<<\n", no NUL, no CR.
    const encoded = encodeClassic(frame.message);
    if (!encoded.ok) {
      this.counters.framesDropped++;
      this.deferProblem('encode', `dropped a frame that has no classic form: ${encoded.error.detail}`);
      return;
    }
    this.queue.push(encoded.value);
    this.queuedBytes += encoded.value.length;
    let dropped = 0;
    while (this.queue.length > 1 && (this.queue.length > this.maxQueuedFrames || this.queuedBytes > this.maxQueuedBytes)) {
      this.queuedBytes -= (this.queue.shift() as Uint8Array).length;
      dropped++;
    }
    if (dropped > 0) {
      this.counters.framesDropped += dropped;
      const n = this.queue.length;
      this.deferProblem('queue-full', `output blocked (flow control holds the line?): dropped ${dropped} oldest frame(s), ${n} queued`);
    }
    this.pump();
  }

  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.state = 'closed';
    if (this.retryTimer !== null) this.timers.clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const device = this.session?.device ?? null;
    this.session = null;
    this.dropQueue();
    this.closing = device === null ? Promise.resolve() : device.close().catch(() => undefined);
    return this.closing;
  }

  private request(): SerialOpenRequest {
    return { path: this.name, baudRate: this.baud, dataBits: 8, stopBits: 1, parity: 'none', rtscts: true, lock: true };
  }

  private async attemptOpen(fromStart: boolean): Promise<void> {
    this.retryTimer = null;
    if (this.state === 'closed') return;
    this.state = 'opening';
    this.counters.openAttempts++;
    const session: Session = { device: null };
    this.session = session;
    let device: SerialDevice;
    try {
      device = await this.open(this.request(), {
        data: (bytes) => this.onData(session, bytes),
        lost: (cause) => this.onLost(session, cause),
      });
    } catch (e) {
      if (this.session !== session) return; // closed meanwhile
      if (fromStart && e instanceof HbError && e.code === 'HB_MEDIUM_START') {
        this.state = 'closed';
        throw e;
      }
      this.session = null;
      const text = errorText(e);
      this.enterOutage(isVanishedError(text) ? 'vanished' : 'open-failed', text);
      return;
    }
    if (this.session !== session) {
      await device.close().catch(() => undefined);
      return;
    }
    session.device = device;
    this.state = 'open';
    this.openedAtMs = this.timers.nowMs();
    this.reader.reset();
    if (this.outage !== null) {
      const seconds = ((this.openedAtMs - this.outage.sinceMs) / 1000).toFixed(1);
      this.outage = null;
      this.problems.report('reopened', `device back: re-opened after ${seconds} s`);
    }
    this.pump();
  }

  /** Records a failure, reports it when the outage begins or changes kind, and arms the retry timer. */
  private enterOutage(kind: OutageKind, cause: string): void {
    this.failures++;
    const delay = retryDelayMs(this.failures);
    if (this.outage === null || this.outage.kind !== kind) {
      const what = kind === 'vanished' ? 'device vanished' : 'cannot open device';
      this.problems.report(kind, `${what} (${cause}); retrying every ${delay / 1000} s (backing off to ${RETRY_MAX_MS / 1000} s)`);
      this.outage = { kind, sinceMs: this.outage?.sinceMs ?? this.timers.nowMs() };
    }
    this.state = 'waiting';
    this.retryTimer = this.timers.setTimeout(() => {
      void this.attemptOpen(false).catch(() => undefined);
    }, delay);
  }

  private onLost(session: Session, cause: string): void {
    if (this.session !== session || this.state !== 'open') return;
    this.session = null;
    void session.device?.close().catch(() => undefined);
    this.dropQueue();
    // A device that had been fine for a while starts the back-off afresh; one that keeps failing right after
    // each open keeps backing off (a flapping line must not turn into a reconnect loop).
    if (this.timers.nowMs() - this.openedAtMs >= STABLE_OPEN_MS) this.failures = 0;
    this.enterOutage('vanished', cause);
  }

  private onData(session: Session, bytes: Uint8Array): void {
    if (this.session !== session || this.state !== 'open') return;
    for (const frame of this.reader.push(bytes)) {
      this.counters.framesReceived++;
      try {
        this.listener?.frame(frame);
      } catch (e) {
        this.problems.report('listener', `frame listener failed: ${errorText(e)}`);
      }
    }
    const abandoned = this.reader.stats.abandoned;
    if (abandoned > this.abandonedSeen) {
      this.abandonedSeen = abandoned;
      this.problems.report('receive-abandoned', `dropped a cut-off or over-long frame (${abandoned} so far)`);
    }
  }

  /**
   * Writes queued frames one at a time. Heartbeat (serial.c) writes 512-byte chunks with a 512/(baud/8) s
   * pause between them so as not to overrun the line; we need no pacing of our own: the tty's output buffer
   * drains at the line rate, a full buffer makes write() return EAGAIN (we then wait for the fd to become
   * writable), and with CRTSCTS the UART stops sending whenever the peer drops RTS. A stalled line only grows
   * the queue, which send() bounds.
   */
  private pump(): void {
    const session = this.session;
    const device = session?.device ?? null;
    if (this.writing || device === null || this.state !== 'open') return;
    const bytes = this.queue.shift();
    if (bytes === undefined) return;
    this.queuedBytes -= bytes.length;
    this.writing = true;
    device.write(bytes).then(
      () => {
        this.writing = false;
        if (this.session !== session) return;
        this.counters.framesSent++;
        this.pump();
      },
      (e: unknown) => {
        this.writing = false;
        if (this.session !== session) return;
        this.counters.framesDropped++;
        this.problems.report('write-failed', `write failed: ${errorText(e)}`);
        this.pump();
      },
    );
  }

  private dropQueue(): void {
    this.counters.framesDropped += this.queue.length;
    this.queue.length = 0;
    this.queuedBytes = 0;
  }

  /** MediumListener callbacks never run inside send(). */
  private deferProblem(kind: string, text: string): void {
    queueMicrotask(() => this.problems.report(kind, text));
  }
}
