// What the membership core is started with: the local node, the node list, the timing values and the keys.
import type { AuthKeys } from '../core/auth-keys.js';

export interface MembershipOptions {
  readonly localNode: string;
  readonly nodes: readonly { readonly name: string; readonly type: 'normal' | 'ping' }[];
  readonly keepaliveMs: number;
  readonly deadtimeMs: number;
  readonly warntimeMs: number;
  readonly initdeadMs: number;
  readonly deadpingMs: number;
  readonly hopfudge: number;
  readonly maxRexmitDelayMs: number;
  readonly keys: AuthKeys;
  /** This run's generation (`hg`), already incremented and persisted by the caller. */
  readonly generation: number;
  /** Our 16-byte UUID (`srcuuid`). */
  readonly uuid: Uint8Array;
  /** Peer UUIDs from the host cache, if any. */
  readonly knownUuids?: ReadonlyMap<string, Uint8Array>;
  /** Seed of every random choice (ACK trigger, retransmission delays). */
  readonly seed: number;
  /**
   * heartbeat-ts only: the value of the `hbts_config` field our status messages carry (config/config-digest.ts);
   * the real Heartbeat 3.0.6 ignores a status field it does not know. Absent: no such field.
   */
  readonly configField?: string;
}
