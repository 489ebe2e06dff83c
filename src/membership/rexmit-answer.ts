// heartbeat 3.0.6 process_rexmit: which of our stored messages a peer's retransmission request gets, and which NAKs.
import type { SentMessage, XmitHistory } from './xmit-history.js';

/** heartbeat 3.0.6 process_rexmit: at most this many packets per request. */
export const MAX_REXMIT_PER_REQUEST = 50;

export type RexmitStep =
  | { readonly kind: 'nak'; readonly seq: number; readonly why: 'seqno too low' | 'seqno not found' }
  | { readonly kind: 'beyond'; readonly seq: number }
  | { readonly kind: 'resend'; readonly entry: SentMessage };

/**
 * Seqs the peer already acknowledged are skipped, and so is a message resent less than `maxRexmitDelayMs`
 * (less 10 ms) ago — several peers asking for it at once get one copy. The caller stamps `lastSentMs`.
 */
export function planRexmitAnswer(
  first: number,
  last: number,
  ackedSeq: number,
  history: XmitHistory,
  nowMs: number,
  maxRexmitDelayMs: number,
): RexmitStep[] {
  const steps: RexmitStep[] = [];
  for (let s = first, n = 0; s <= last && n < MAX_REXMIT_PER_REQUEST; s++, n++) {
    if (s <= ackedSeq) continue;
    if (s < history.lowWater) {
      steps.push({ kind: 'nak', seq: s, why: 'seqno too low' });
      continue;
    }
    if (s > history.highestSeq) {
      steps.push({ kind: 'beyond', seq: s });
      continue;
    }
    const e = history.get(s);
    if (e === undefined) {
      steps.push({ kind: 'nak', seq: s, why: 'seqno not found' });
      continue;
    }
    if (nowMs - e.lastSentMs < maxRexmitDelayMs - 10) continue;
    steps.push({ kind: 'resend', entry: e });
  }
  return steps;
}
