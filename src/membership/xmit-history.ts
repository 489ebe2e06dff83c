// The last 500 sequenced messages we sent, kept byte-exact for retransmission (heartbeat 3.0.6: add2_xmit_hist).
import type { Message } from '../wire/index.js';

/** MAXMSGHIST in heartbeat 3.0.6. */
export const XMIT_HISTORY_SIZE = 500;

export interface SentMessage {
  readonly seq: number;
  readonly message: Message;
  readonly packet: Uint8Array;
  lastSentMs: number;
}

export class XmitHistory {
  private readonly ring: (SentMessage | undefined)[];
  private highest = 0;

  constructor(private readonly size = XMIT_HISTORY_SIZE) {
    this.ring = new Array<SentMessage | undefined>(size);
  }

  add(entry: SentMessage): void {
    this.ring[entry.seq % this.size] = entry;
    this.highest = Math.max(this.highest, entry.seq);
  }

  /** The highest seq sent so far (0 before the first). */
  get highestSeq(): number {
    return this.highest;
  }

  /** The lowest seq still held. */
  get lowWater(): number {
    return Math.max(1, this.highest - this.size + 1);
  }

  get(seq: number): SentMessage | undefined {
    const e = this.ring[seq % this.size];
    return e !== undefined && e.seq === seq ? e : undefined;
  }
}
