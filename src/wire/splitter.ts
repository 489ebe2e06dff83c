// Finds classic `>>>\n…<<<\n` messages in a byte stream (serial line, FIFO) fed in chunks of any size.
import { Buffer } from 'node:buffer';
import { MAX_MESSAGE_BYTES } from './message.js';

export interface SplitterStats {
  /** Bytes thrown away: garbage between messages, abandoned and over-long messages. */
  readonly discardedBytes: number;
  /** Messages abandoned because they grew past the limit or a new `>>>` line began inside them. */
  readonly abandoned: number;
}

/**
 * Incremental splitter, line based like Heartbeat's serial reader (serial.c: ttygets/string2msg): a message
 * starts at a line that is exactly `>>>` and ends at a line that is exactly `<<<`. Garbage between messages is
 * skipped (resync), a `>>>` inside a message restarts it (the sender was cut off mid-message), and the buffer
 * never holds more than `maxMessageBytes` plus one chunk. Output messages are validated by decodeClassic later.
 */
export class ClassicStreamSplitter {
  /** Storage grows by doubling so that byte-at-a-time input stays linear; `len` bytes of it are in use. */
  private store: Buffer = Buffer.alloc(0);
  private len = 0;
  /** Offset of the current message's `>>>`, or -1 while hunting for one. */
  private msgStart = -1;
  /** Offset where the current (unfinished) line starts. */
  private lineStart = 0;
  /** Everything before this offset has been searched for newlines. */
  private scanned = 0;
  /** True while skipping the rest of a line that was cut by the size limit: it cannot be a marker. */
  private skippingLine = false;
  private discarded = 0;
  private abandonedCount = 0;

  constructor(private readonly maxMessageBytes: number = MAX_MESSAGE_BYTES) {}

  /** Feed bytes; returns the messages they complete, each exactly `>>>\n…<<<\n`, in order. */
  push(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.append(chunk);
    for (;;) {
      const nl = this.buf.indexOf(0x0a, this.scanned);
      if (nl < 0) break;
      const marker = this.skippingLine ? 0 : this.markerAt(this.lineStart, nl);
      this.skippingLine = false;
      if (marker === 0x3e) {
        if (this.msgStart >= 0) {
          this.abandonedCount++;
          this.discarded += this.lineStart - this.msgStart;
        }
        this.msgStart = this.lineStart;
      } else if (marker === 0x3c && this.msgStart >= 0) {
        out.push(Buffer.from(this.buf.subarray(this.msgStart, nl + 1)));
        this.msgStart = -1;
      } else if (this.msgStart < 0) {
        this.discarded += nl + 1 - this.lineStart;
      }
      this.lineStart = nl + 1;
      this.scanned = nl + 1;
    }
    this.scanned = this.len;
    this.compact();
    this.enforceLimit();
    return out;
  }

  get stats(): SplitterStats {
    return { discardedBytes: this.discarded, abandoned: this.abandonedCount };
  }

  /** Bytes held while waiting for the rest of a message or line. */
  get bufferedBytes(): number {
    return this.len;
  }

  /** The bytes in use. */
  private get buf(): Buffer {
    return this.store.subarray(0, this.len);
  }

  private append(chunk: Uint8Array): void {
    if (this.len + chunk.length > this.store.length) {
      const grown = Buffer.allocUnsafe(Math.max(this.store.length * 2, this.len + chunk.length, 1024));
      this.store.copy(grown, 0, 0, this.len);
      this.store = grown;
    }
    this.store.set(chunk, this.len);
    this.len += chunk.length;
  }

  /** 0x3e for a `>>>` line, 0x3c for a `<<<` line, 0 otherwise. */
  private markerAt(start: number, nl: number): number {
    if (nl - start !== 3) return 0;
    const c = this.buf[start] as number;
    return (c === 0x3e || c === 0x3c) && this.buf[start + 1] === c && this.buf[start + 2] === c ? c : 0;
  }

  /** Keeps only the current message, or only the current line while hunting (moved to the front). */
  private compact(): void {
    const keepFrom = this.msgStart >= 0 ? this.msgStart : this.lineStart;
    if (keepFrom === 0) return;
    this.store.copyWithin(0, keepFrom, this.len);
    this.len -= keepFrom;
    this.lineStart -= keepFrom;
    this.scanned -= keepFrom;
    if (this.msgStart >= 0) this.msgStart = 0;
    // Give back memory after an unusually large message.
    if (this.store.length > 65536 && this.len < this.store.length / 4) this.store = Buffer.from(this.store.subarray(0, this.len));
  }

  private enforceLimit(): void {
    const tooLongMessage = this.msgStart >= 0 && this.len > this.maxMessageBytes;
    // While hunting, an unfinished line longer than ">>>" cannot be a marker: no need to keep it.
    const uselessLine = this.msgStart < 0 && this.len > 3;
    if (!tooLongMessage && !uselessLine) return;
    if (tooLongMessage) this.abandonedCount++;
    this.discarded += this.len;
    this.len = 0;
    if (this.store.length > 65536) this.store = Buffer.alloc(0);
    this.msgStart = -1;
    this.lineStart = 0;
    this.scanned = 0;
    this.skippingLine = true;
  }
}
