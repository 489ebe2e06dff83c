// The pure parts of the serial medium: received bytes cleaned as Heartbeat's termios does and cut into
// `>>>\n…<<<\n` frames whatever the chunking; the re-open back-off; problem lines rate-limited per kind.
import { ClassicStreamSplitter, MAX_MESSAGE_BYTES } from '../wire/index.js';

const CR = 0x0d;

/**
 * What the tty driver does for Heartbeat (serial.c: ttysetup sets ISTRIP and IGNCR): the 8th bit of every byte
 * is cleared, then carriage returns are dropped — in that order, as the Linux line discipline does, so 0x8d is
 * dropped too. serialport opens the device raw, so we do it here. Returns the input itself when nothing changes.
 */
export function cleanSerialBytes(chunk: Uint8Array): Uint8Array {
  let dirty = false;
  for (let i = 0; i < chunk.length; i++) {
    const c = chunk[i] as number;
    if (c >= 0x80 || c === CR) {
      dirty = true;
      break;
    }
  }
  if (!dirty) return chunk;
  const out = new Uint8Array(chunk.length);
  let n = 0;
  for (let i = 0; i < chunk.length; i++) {
    const c = (chunk[i] as number) & 0x7f;
    if (c !== CR) out[n++] = c;
  }
  return out.subarray(0, n);
}

export interface SerialReaderStats {
  /** Complete frames handed out. */
  readonly frames: number;
  /** Bytes thrown away: line noise between frames, cut-off and over-long frames. */
  readonly discardedBytes: number;
  /** Frames abandoned: longer than the limit, or cut off by a new `>>>` line. */
  readonly abandoned: number;
}

/**
 * Serial bytes in, whole classic frames out. Memory stays bounded by `maxFrameBytes` plus one chunk: a frame
 * that grows past it is dropped (Heartbeat: lines are limited to 256 KiB) and the reader resynchronises on
 * the next `>>>` line.
 */
export class SerialFrameReader {
  private splitter: ClassicStreamSplitter;
  private frameCount = 0;
  private discardedBefore = 0;
  private abandonedBefore = 0;

  constructor(private readonly maxFrameBytes: number = MAX_MESSAGE_BYTES) {
    this.splitter = new ClassicStreamSplitter(maxFrameBytes);
  }

  /** Raw bytes as read from the device; returns the frames they complete, in order. */
  push(raw: Uint8Array): Uint8Array[] {
    const frames = this.splitter.push(cleanSerialBytes(raw));
    this.frameCount += frames.length;
    return frames;
  }

  /** Forgets a partial frame (after the device was re-opened: what came before cannot continue). */
  reset(): void {
    const s = this.splitter.stats;
    this.discardedBefore += s.discardedBytes + this.splitter.bufferedBytes;
    this.abandonedBefore += s.abandoned;
    this.splitter = new ClassicStreamSplitter(this.maxFrameBytes);
  }

  /** Bytes held while waiting for the rest of a frame. */
  get bufferedBytes(): number {
    return this.splitter.bufferedBytes;
  }

  get stats(): SerialReaderStats {
    const s = this.splitter.stats;
    return {
      frames: this.frameCount,
      discardedBytes: this.discardedBefore + s.discardedBytes,
      abandoned: this.abandonedBefore + s.abandoned,
    };
  }
}

/** At most one problem line per kind per this long (MediumListener.problem). */
export const PROBLEM_INTERVAL_MS = 10_000;
/** First re-open delay after a failure; doubles up to RETRY_MAX_MS. */
export const RETRY_MIN_MS = 1_000;
export const RETRY_MAX_MS = 10_000;
/** A device that stayed open this long starts the back-off from RETRY_MIN_MS again when it is lost. */
export const STABLE_OPEN_MS = 10_000;

/** The re-open delay after `failures` consecutive failures (1-based): 1 s, 2 s, 4 s, 8 s, 10 s, 10 s, … */
export function retryDelayMs(failures: number): number {
  const n = Math.max(1, Math.min(failures, 16));
  return Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** (n - 1));
}

/** One line per kind per interval; the next line of a kind says how many were held back. */
export class ProblemLimiter {
  private readonly last = new Map<string, { atMs: number; held: number }>();
  constructor(private readonly intervalMs: number = PROBLEM_INTERVAL_MS) {}

  /** The suffix to append now ('' or ' (3 more since the last report)'), or null to stay silent. */
  admit(kind: string, nowMs: number): string | null {
    const e = this.last.get(kind);
    if (e !== undefined && nowMs - e.atMs < this.intervalMs) {
      e.held += 1;
      return null;
    }
    this.last.set(kind, { atMs: nowMs, held: 0 });
    return e !== undefined && e.held > 0 ? ` (${e.held} more since the last report)` : '';
  }
}

/** An error as one line: `CODE: message` when the message does not already name the code. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && !err.message.includes(code) ? `${code}: ${err.message}` : err.message;
  }
  return String(err);
}

/** "The device is not there (any more)", from an errno code or the strerror text serialport's binding gives. */
const VANISHED = /ENOENT|ENODEV|ENXIO|EIO\b|EBADF|No such file|No such device|Input\/output error|Bad file descriptor|hung up|end of file/i;

export function isVanishedError(text: string): boolean {
  return VANISHED.test(text);
}
