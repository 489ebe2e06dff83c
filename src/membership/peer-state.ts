// What the membership core remembers about each peer and its links, and the read-only views of it.
import type { SeqTracker } from './seq-tracker.js';
import type { LinkStatus, NodeStatus } from './types.js';

export interface LinkState {
  status: LinkStatus | 'init';
  lastRxMs: number;
}

export interface PeerState {
  readonly name: string;
  readonly type: 'normal' | 'ping';
  status: NodeStatus;
  uuid: Uint8Array | undefined;
  generation: number;
  /** Monotonic time of the last status message (or ping reply); the start time before the first. */
  lastStatusRxMs: number;
  /** Monotonic time of the previous status, for "Late heartbeat" (undefined before the first). */
  prevStatusRxMs: number | undefined;
  statusSeq: number;
  /** The peer's advertised deadtime (`dt`), our limit for it after comm-up. */
  deadTicksMs: number;
  anyPacket: boolean;
  /** The `hbts_config` field of its last status; null before its first status. */
  configField: string | undefined | null;
  readonly seq: SeqTracker;
  readonly ackTrigger: number;
  /** The highest of our seqs this peer acknowledged. */
  ackedSeq: number;
  readonly links: Map<string, LinkState>;
}

/** What the core exposes for status queries and tests. */
export interface NodeView {
  readonly name: string;
  readonly type: 'normal' | 'ping';
  readonly status: NodeStatus;
  readonly generation: number;
  readonly uuid: Uint8Array | undefined;
  readonly links: ReadonlyMap<string, LinkStatus | 'init'>;
}

/** When a peer, and each of its links, was last heard (monotonic ms); `statusMs` undefined when never. */
export interface LastHeard {
  readonly statusMs: number | undefined;
  readonly links: ReadonlyMap<string, number>;
}

export function peerView(p: PeerState): NodeView {
  return {
    name: p.name,
    type: p.type,
    status: p.status,
    generation: p.generation,
    uuid: p.uuid,
    links: new Map([...p.links].map(([m, l]) => [m, l.status] as const)),
  };
}

/** A status message, or for a ping node any reply, counts as heard. */
export function lastHeardOf(p: PeerState): LastHeard {
  const heard = p.prevStatusRxMs !== undefined || (p.type === 'ping' && p.anyPacket);
  return { statusMs: heard ? p.lastStatusRxMs : undefined, links: new Map([...p.links].map(([m, l]) => [m, l.lastRxMs] as const)) };
}
