// The membership core's inputs and outputs: events in, actions out, both plain data (no sockets, no timers).
import type { LogLevel } from '../core/log-level.js';
import type { Message } from '../wire/index.js';

/** heartbeat 3.0.6 `include/heartbeat.h` node status words (spec §6.5). */
export type NodeStatus = 'init' | 'up' | 'active' | 'dead' | 'ping';
export type LinkStatus = 'up' | 'dead';
export type MembershipEvent =
  /** Begin: send `init`, then `up`, and start the timers. */
  | { readonly kind: 'start' }
  /** One received frame (datagram or serial block) and the local medium it arrived on. */
  | { readonly kind: 'frame'; readonly medium: string; readonly bytes: Uint8Array }
  /** A timer the core asked for (nextWakeAtMs) is due, or any periodic poke; always safe. */
  | { readonly kind: 'tick' }
  /** A ping node (or one member of a ping group) answered. */
  | { readonly kind: 'ping-reply'; readonly node: string }
  /** Originate a cluster message (resource protocol, clients): the core adds the control fields and a seq. */
  | { readonly kind: 'send'; readonly fields: readonly (readonly [string, string])[] }
  /** The first line of /proc/loadavg, for the `ld` field. */
  | { readonly kind: 'loadavg'; readonly text: string };

export type SendReason = 'status' | 'ack' | 'rexmit' | 'rexmit-request' | 'nak' | 'reqnodes' | 'repnodes' | 'message';

export type Action =
  /** Write this frame to every medium: `packet` on UDP, `message` rendered classic on serial. */
  | { readonly kind: 'send'; readonly reason: SendReason; readonly message: Message; readonly packet: Uint8Array }
  | { readonly kind: 'log'; readonly level: LogLevel; readonly text: string }
  /**
   * A node's status changed. `message` is the status message that changed it, as received (peers' `status`);
   * absent for deaths, ping replies and our own changes, for which Heartbeat builds or sends its own.
   */
  | { readonly kind: 'node-status'; readonly node: string; readonly status: NodeStatus; readonly previous: NodeStatus; readonly message?: Message }
  | { readonly kind: 'link-status'; readonly node: string; readonly medium: string; readonly status: LinkStatus }
  /** The local node reached `active` (heartbeat 3.0.6: comm_now_up). */
  | { readonly kind: 'comm-up' }
  /** A peer's UUID was learned or changed: persist the host cache. */
  | { readonly kind: 'peer-uuid'; readonly node: string; readonly uuid: Uint8Array }
  /** A message for the layers above (resources, API clients): kept, in order, from a live peer. */
  | { readonly kind: 'deliver'; readonly node: string; readonly message: Message }
  /**
   * heartbeat-ts only: a kept message of a peer addressed to another node, which Heartbeat drops. Only the peer's
   * `ip-request-resp` to itself (its req_resource's "all alone" grant), for the resource protocol; no client or
   * rc.d script sees it.
   */
  | { readonly kind: 'overheard'; readonly node: string; readonly message: Message }
  /** heartbeat-ts only: a peer's `hbts_config` status field changed (undefined: its status has none). */
  | { readonly kind: 'peer-config'; readonly node: string; readonly field: string | undefined }
  /** We were silent longer than our advertised deadtime: start over with a new generation. */
  | { readonly kind: 'restart'; readonly reason: string };

export interface StepResult {
  readonly actions: readonly Action[];
  /** When the core next needs a 'tick' (monotonic ms). */
  readonly nextWakeAtMs: number;
}

/** Why a received frame was not processed; each is counted, and logged at most once per interval per peer. */
export type DropReason =
  | 'undecodable'
  | 'bad-auth'
  | 'missing-field'
  | 'unknown-node'
  | 'replay'
  | 'stale'
  | 'oversized';

export const DROP_REASONS: readonly DropReason[] = ['undecodable', 'bad-auth', 'missing-field', 'unknown-node', 'replay', 'stale', 'oversized'];
