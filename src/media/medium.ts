// The one interface every communication medium implements (bcast, ucast, mcast, serial): frames in, frames out.
//
// A medium moves whole messages. It never decodes, verifies or interprets them: the daemon hands it the
// signed message (`OutboundFrame`) and receives raw frames back (`MediumListener.frame`), which it decodes,
// authenticates and feeds to the membership core with the medium's name (Heartbeat tracks link status per
// (peer, local medium name), spec §4.1).
import type { Message } from '../wire/index.js';

/** What the daemon asks a medium to send: the same message in the two forms a medium may need. */
export interface OutboundFrame {
  /** The signed netstring packet (`###\n…%%%\n` + trailer): what UDP media send, byte for byte. */
  readonly packet: Uint8Array;
  /** The signed message (inner `auth` last): serial renders it in the classic `>>>`/`<<<` form. */
  readonly message: Message;
}

/** Callbacks a medium reports to; called from the event loop, never re-entrantly from send(). */
export interface MediumListener {
  /** One complete received frame (a datagram, or one `>>>…<<<` block of a serial stream). */
  frame(bytes: Uint8Array): void;
  /**
   * Something operators must know (device vanished, send failed, socket error). The medium rate-limits
   * repeats of the same problem itself (at most one line per problem kind per 10 s) so a failing medium
   * cannot flood the log or spin the CPU.
   */
  problem(text: string): void;
  /**
   * A state change operators should see but that is not a failure ("eth1: no carrier; … as soon as the link
   * comes up", "eth1 changed: medium re-opened"), rate-limited like problems. Without it these go to problem().
   */
  notice?(level: 'warn' | 'info', text: string): void;
}

export type MediumKind = 'bcast' | 'ucast' | 'mcast' | 'ucast6' | 'mcast6' | 'serial';

export interface MediumAdapter {
  readonly kind: MediumKind;
  /** Heartbeat's medium name: the interface (bcast, ucast, mcast) or the device path (serial). */
  readonly name: string;
  /** Heartbeat's start-up log line for this medium, where the daemon cannot compose it from kind and name. */
  readonly startedLine?: string;
  /** Opens sockets / the device. Rejects with an Error whose message names the medium and the cause. */
  start(listener: MediumListener): Promise<void>;
  /** Queues one frame. Never throws and never blocks; failures go to listener.problem. */
  send(frame: OutboundFrame): void;
  /** Closes everything it opened; idempotent. */
  close(): Promise<void>;
}
