// The real serial device: serialport's native binding for open/termios/lock, our own non-blocking reads and writes.
// serialport's stream (and its binding's read()) retries immediately when read() returns 0, which is exactly
// what a hung-up tty returns forever: it would spin like Heartbeat does. So we take only the open file
// descriptor and the poller from the binding and do the reads and writes ourselves.
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import { HbError } from '../core/errors.js';
import type { SerialDevice, SerialDeviceEvents, SerialOpenRequest } from './serial-device.js';
import { errorText, isVanishedError } from './serial-stream.js';

const UV_READABLE = 1;
const UV_WRITABLE = 2;
/** Readable wake-ups in a row that find nothing to read before we call the device broken (never seen; a guard). */
const MAX_EMPTY_WAKEUPS = 100;

interface PollerLike {
  on(event: 'readable' | 'writable', cb: (err: Error | null) => void): unknown;
  poll(flags: number): void;
}
interface UnixPortLike {
  readonly fd: number | null;
  readonly poller: PollerLike;
  close(): Promise<void>;
}
interface BindingLike {
  open(options: Record<string, unknown>): Promise<unknown>;
}

let bindingPromise: Promise<BindingLike> | null = null;

function loadBinding(device: string): Promise<BindingLike> {
  bindingPromise ??= import('serialport').then((m) => m.SerialPort.binding as unknown as BindingLike);
  return bindingPromise.catch((e: unknown) => {
    bindingPromise = null;
    throw new HbError('HB_MEDIUM_START', `serial ${device}: the serialport module does not load: ${errorText(e)}`, { cause: e });
  });
}

function isUnixPort(p: unknown): p is UnixPortLike {
  const port = p as Partial<UnixPortLike> | null;
  return typeof port?.fd === 'number' && typeof port.poller?.poll === 'function' && typeof port.close === 'function';
}

/** Opens a tty with serialport's binding (termios: raw, 8N1, CRTSCTS, VMIN 1; O_NONBLOCK; flock). */
export async function openSerialPort(request: SerialOpenRequest, events: SerialDeviceEvents): Promise<SerialDevice> {
  const binding = await loadBinding(request.path);
  const port = await binding.open({ ...request, hupcl: true, vmin: 1, vtime: 0 });
  if (!isUnixPort(port)) {
    await (port as { close?: () => Promise<void> } | null)?.close?.().catch(() => undefined);
    throw new HbError('HB_MEDIUM_START', `serial ${request.path}: serial links need a Unix tty (no file descriptor on this platform)`);
  }
  return new UnixSerialDevice(port, port.fd as number, events);
}

/** libuv reports any POLLERR as EBADF; on a tty that is a hang-up (pty master closed) or a device error. */
function pollErrorCause(err: Error): string {
  return `hung up or failed (poll: ${errorText(err)})`;
}

function isRetryable(e: NodeJS.ErrnoException): boolean {
  return e.code === 'EAGAIN' || e.code === 'EWOULDBLOCK' || e.code === 'EINTR';
}

class UnixSerialDevice implements SerialDevice {
  private readonly buf = Buffer.allocUnsafe(4096);
  private closed = false;
  private lostReported = false;
  private waitRead = false;
  private writeWaiter: ((err: Error | null) => void) | null = null;
  private emptyWakeups = 0;
  /** fs operations in flight: the fd is closed only after they finish (no read on a reused fd number). */
  private inFlight = 0;
  private idle: (() => void) | null = null;
  private closing: Promise<void> | null = null;

  constructor(
    private readonly port: UnixPortLike,
    private readonly fd: number,
    private readonly events: SerialDeviceEvents,
  ) {
    port.poller.on('readable', (err) => this.onReadable(err));
    port.poller.on('writable', (err) => this.onWritable(err));
    this.read();
  }

  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => this.writeFrom(bytes, 0, resolve, reject));
  }

  close(): Promise<void> {
    if (this.closing !== null) return this.closing;
    this.closed = true;
    this.closing = (async () => {
      if (this.inFlight > 0) await new Promise<void>((r) => (this.idle = r));
      this.writeWaiter?.(new Error('device closed'));
      this.writeWaiter = null;
      try {
        await this.port.close(); // stops the poller (its waiters get a "canceled" error we ignore), closes the fd
      } catch {
        /* already closed */
      }
    })();
    return this.closing;
  }

  private begin(): void {
    this.inFlight++;
  }

  /** Ends an fs operation; true when the device is still in use. */
  private end(): boolean {
    this.inFlight--;
    if (this.inFlight === 0 && this.idle !== null) {
      this.idle();
      this.idle = null;
    }
    return !this.closed;
  }

  private lose(cause: string): void {
    if (this.closed || this.lostReported) return;
    this.lostReported = true;
    void this.close();
    this.events.lost(cause);
  }

  /** The poller watches exactly what someone waits for (its native poll() replaces the watched set). */
  private arm(): void {
    if (this.closed) return;
    const flags = (this.waitRead ? UV_READABLE : 0) | (this.writeWaiter !== null ? UV_WRITABLE : 0);
    if (flags === 0) return;
    try {
      this.port.poller.poll(flags);
    } catch (e) {
      this.lose(`poll failed: ${errorText(e)}`);
    }
  }

  private read(): void {
    if (this.closed) return;
    this.begin();
    fs.read(this.fd, this.buf, 0, this.buf.length, null, (err, n) => {
      if (!this.end()) return;
      if (err !== null) {
        if (isRetryable(err)) {
          this.waitRead = true;
          this.arm();
        } else {
          this.lose(errorText(err));
        }
        return;
      }
      if (n === 0) {
        // A hung-up tty (the other end of a pty closed, the tty was vhangup'ed): read() returns 0 forever.
        this.lose('hung up: end of file');
        return;
      }
      this.emptyWakeups = 0;
      this.events.data(Buffer.from(this.buf.subarray(0, n)));
      this.read(); // drain until EAGAIN; each turn consumes bytes, so this is bounded by the line rate
    });
  }

  private onReadable(err: Error | null): void {
    if (this.closed || !this.waitRead) return;
    if (err !== null) {
      this.lose(pollErrorCause(err));
      return;
    }
    this.waitRead = false;
    if (++this.emptyWakeups > MAX_EMPTY_WAKEUPS) {
      this.lose('the device keeps signalling input but has none');
      return;
    }
    this.read();
  }

  private onWritable(err: Error | null): void {
    const waiter = this.writeWaiter;
    if (this.closed || waiter === null) return;
    this.writeWaiter = null;
    waiter(err);
    this.arm();
  }

  private writeFrom(bytes: Uint8Array, offset: number, resolve: () => void, reject: (e: Error) => void): void {
    if (this.closed) {
      reject(new Error('device closed'));
      return;
    }
    this.begin();
    fs.write(this.fd, bytes, offset, bytes.length - offset, null, (err, written) => {
      if (!this.end()) {
        reject(new Error('device closed'));
        return;
      }
      if (err !== null) {
        if (isRetryable(err)) {
          this.writeWaiter = (pollErr) => {
            if (pollErr !== null) {
              this.lose(pollErrorCause(pollErr));
              reject(pollErr);
            } else this.writeFrom(bytes, offset, resolve, reject);
          };
          this.arm();
          return;
        }
        if (isVanishedError(errorText(err))) this.lose(errorText(err));
        reject(err);
        return;
      }
      if (offset + written < bytes.length) this.writeFrom(bytes, offset + written, resolve, reject);
      else resolve();
    });
  }
}
