// Receive-side sequence bookkeeping for one peer (heartbeat 3.0.6: should_drop_message, is_lost_packet).
//
//   seq == last+1 (or first seen)  → in-order     keep
//   seq == last                    → duplicate    refresh the link only
//   seq >  last+1                  → gap          keep; last+1..seq-1 become missing (≤ 250, else reset)
//   seq <  last, recorded missing  → filled       keep
//   seq <  last, otherwise         → old          drop
import type { Rng } from './rng.js';

/** heartbeat 3.0.6: a gap wider than this resets tracking instead of asking for retransmission. */
export const MAX_GAP = 250;
/** heartbeat 3.0.6: MAX_MISSING_PKTS. */
export const MAX_MISSING = 500;

export type SeqOutcome =
  | { readonly kind: 'in-order' }
  | { readonly kind: 'duplicate' }
  | { readonly kind: 'gap'; readonly lost: number; readonly from: number; readonly reset: boolean }
  | { readonly kind: 'filled'; readonly noneLeft: boolean }
  | { readonly kind: 'old' };

export class SeqTracker {
  lastSeq: number | undefined = undefined;
  /** Missing seq → when to (re)send the retransmission request (monotonic ms). */
  readonly missing = new Map<number, number>();

  reset(): void {
    this.lastSeq = undefined;
    this.missing.clear();
  }

  /** The lowest missing seq, or undefined. */
  lowestMissing(): number | undefined {
    let low: number | undefined;
    for (const s of this.missing.keys()) if (low === undefined || s < low) low = s;
    return low;
  }

  /**
   * Records one sequenced message. `firstRequestDelayMs` picks the delay of a new missing seq's first
   * request (heartbeat 3.0.6: random in [50, max_rexmit_delay]).
   */
  observe(seq: number, nowMs: number, firstRequestDelayMs: () => number): SeqOutcome {
    const last = this.lastSeq;
    if (last === undefined || seq === last + 1) {
      this.lastSeq = seq;
      return { kind: 'in-order' };
    }
    if (seq === last) return { kind: 'duplicate' };
    if (seq > last) {
      const lost = seq - last - 1;
      if (lost > MAX_GAP) {
        // heartbeat 3.0.6: "lost a lot of packets!" — start over from this one.
        this.missing.clear();
        this.lastSeq = seq;
        return { kind: 'gap', lost, from: last, reset: true };
      }
      for (let s = last + 1; s < seq && this.missing.size < MAX_MISSING; s++) {
        this.missing.set(s, nowMs + firstRequestDelayMs());
      }
      this.lastSeq = seq;
      return { kind: 'gap', lost, from: last, reset: false };
    }
    if (this.missing.delete(seq)) return { kind: 'filled', noneLeft: this.missing.size === 0 };
    return { kind: 'old' };
  }

  /** Gives up on one missing seq (a NAK arrived); true if it was missing. */
  giveUp(seq: number): boolean {
    return this.missing.delete(seq);
  }
}

/** heartbeat 3.0.6 hb_rexmit.c: the first request goes out after a random delay in [50, max] ms ([0, max] below 100). */
export function firstRexmitDelay(rng: Rng, maxRexmitDelayMs: number): number {
  return maxRexmitDelayMs < 100 ? rng.int(0, Math.max(0, maxRexmitDelayMs)) : rng.int(50, maxRexmitDelayMs);
}
