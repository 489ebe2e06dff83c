// What the daemon drives either resource protocol with: events in, actions out (nice_failback or legacy).
import type { LogLevel } from '../core/log-level.js';
import type { FenceResult } from './fencing.js';
import type { HoldSet } from './hold-set.js';

export type ResourceEvent =
  /** `peerActive`: the peer's last status was `active` (Heartbeat's upcount; legacy mode asks only an active peer). */
  | { readonly kind: 'comm-up'; readonly peerAlive: boolean; readonly peerActive?: boolean }
  | { readonly kind: 'peer-message'; readonly type: string; readonly fields: ReadonlyMap<string, string> }
  | { readonly kind: 'peer-dead' }
  /** The peer came back with a new generation: what it held and its stability are unknown again. */
  | { readonly kind: 'peer-restarted' }
  | { readonly kind: 'activity-done'; readonly ok: boolean }
  /** The reset asked for by a `fence` action has ended. */
  | { readonly kind: 'fence-done'; readonly node: string; readonly result: FenceResult }
  | { readonly kind: 'standby-request'; readonly set: HoldSet }
  | { readonly kind: 'shutdown-request' }
  | { readonly kind: 'tick' };

export type ResourceAction =
  | { readonly kind: 'send'; readonly fields: readonly (readonly [string, string])[] }
  | { readonly kind: 'acquire'; readonly set: HoldSet; readonly reason: string }
  | { readonly kind: 'release'; readonly set: HoldSet; readonly reason: string }
  /** One group by its key (legacy mode: ip-request/ip-request-resp work group by group). */
  | { readonly kind: 'acquire-group' | 'release-group'; readonly key: string; readonly reason: string }
  | { readonly kind: 'log'; readonly level: Exclude<LogLevel, 'debug'>; readonly text: string }
  /** Reset `node` through the STONITH device; its end is a `fence-done` event. */
  | { readonly kind: 'fence'; readonly node: string }
  /** Every group is released and `shutdone` sent: the daemon may stop heart-beating (after ~2 s). */
  | { readonly kind: 'shutdown-complete' };

/** What the daemon drives: the nice_failback protocol here, or the legacy one (legacy.ts). */
export interface ResourceEngine {
  handle(event: ResourceEvent, nowMs: number): { readonly actions: readonly ResourceAction[]; readonly nextWakeAtMs: number };
  /** heartbeat 3.0.6 hb_rsc_resource_state, what `cl_status rscstatus` prints: what we hold, or `transition`. */
  rscStatus(): string;
  /** What is held now, as a set or as group keys, and whether no transition runs (the service monitor). */
  heldNow?(): { readonly stable: boolean; readonly held: HoldSet | readonly string[] };
}
