// The coordinator's vocabulary: the events it takes, the effects it returns, and the options it is built with.
// (Split from coordinator.ts, which re-exports them; the table at the top of coordinator.ts says how each is handled.)
import type { Node as NodeConfig } from '../config/model.js';
import type { ConfigFacts } from '../config/config-digest.js';
import type { LogLevel } from '../core/log-level.js';
import type { Membership } from '../membership/core.js';
import type { Action, MembershipEvent } from '../membership/types.js';
import type { Monitor, MonitorEvent } from '../resources/monitor.js';
import type { HoldSet, ResourceEngine, ResourceEvent } from '../resources/protocol.js';
import type { RcField, RcLocalState, RcSource } from '../resources/rc-notify.js';
import type { Message } from '../wire/index.js';
import type { PeerAgreement } from './config-agreement.js';

/** What a reload changes in the running membership (Membership.reconfigure). */
export type ReloadedMembership = Parameters<Membership['reconfigure']>[0];

export type NodeEvent =
  | MembershipEvent
  /** The end of an operation the coordinator asked for (resource-op, fence). */
  | { readonly kind: 'resource'; readonly event: Extract<ResourceEvent, { kind: 'activity-done' | 'fence-done' }> }
  /** A message from an API client (or the API server itself) for the cluster. */
  | { readonly kind: 'client-message'; readonly message: Message }
  /** A message written into the control FIFO by a local script or CLI (spec §9.7). */
  | { readonly kind: 'local-message'; readonly message: Message }
  /** The runner's start-up check has ended: the resource events held until then are handled. */
  | { readonly kind: 'resources-ready' }
  /** After a `restart`: what we held has been released; start over with a new generation. */
  | { readonly kind: 'restart-ready' }
  /** SIGHUP: new timing values and keys for the running membership (and the configuration now in force). */
  | { readonly kind: 'reconfigure'; readonly membership: ReloadedMembership; readonly configFacts?: ConfigFacts }
  /** SIGHUP with a changed node set: new peers join the running membership, removed ones are forgotten. */
  | { readonly kind: 'set-nodes'; readonly nodes: readonly NodeConfig[] }
  /** Graceful stop: release every group, send `shutdone`. */
  | { readonly kind: 'shutdown-request' }
  /** The end of a monitor-check or monitor-restart effect, or `hbctl cleanup` (issue 17). */
  | { readonly kind: 'monitor'; readonly event: Extract<MonitorEvent, { kind: 'check-done' | 'restart-done' | 'cleanup' }> };

export type ResourceOp =
  | { readonly op: 'acquire' | 'release'; readonly set: Exclude<HoldSet, 'none'> }
  | { readonly op: 'acquire-group' | 'release-group'; readonly key: string };

export type Effect =
  /** Every membership action, as it happened (tests, status reporting). */
  | { readonly kind: 'observe'; readonly action: Action }
  /** Write this frame on every open medium; `status`: our own status (the watchdog is tickled). */
  | { readonly kind: 'send-frame'; readonly packet: Uint8Array; readonly message: Message; readonly status: boolean }
  | { readonly kind: 'log'; readonly level: LogLevel; readonly text: string }
  /** heartbeat 3.0.6 comm_now_up: open the API socket, check the STONITH device. */
  | { readonly kind: 'comm-up' }
  /** Hand an event to rc.d (harc); `local` is this node's state at that moment (rc-notify.ts). */
  | { readonly kind: 'rc-notify'; readonly source: RcSource; readonly fields: readonly RcField[]; readonly local: RcLocalState }
  /** Offer a message to the API clients. */
  | { readonly kind: 'api-deliver'; readonly message: Message; readonly treatment: number }
  /** Persist the host cache (the normal nodes and their UUIDs). */
  | { readonly kind: 'write-hostcache'; readonly entries: readonly { readonly name: string; readonly uuid: Uint8Array | undefined }[] }
  /** Release every group, then post `restart-ready`. */
  | { readonly kind: 'release-for-restart' }
  /** Run resource scripts, then post `resource` activity-done. */
  | ({ readonly kind: 'resource-op' } & ResourceOp)
  /** Reset `node` through the STONITH device, then post `resource` fence-done. */
  | { readonly kind: 'fence'; readonly node: string }
  /** Post this event on the next turn of the event loop (an operation with nothing to run). */
  | { readonly kind: 'defer'; readonly event: NodeEvent }
  /** Every group is released and `shutdone` sent. */
  | { readonly kind: 'shutdown-complete' }
  /** Run a resource's check (argv; undefined: its own status) with a timeout, then post `monitor` check-done. */
  | { readonly kind: 'monitor-check'; readonly resource: string; readonly id: number; readonly argv: readonly string[] | undefined; readonly timeoutMs: number }
  /** Stop resources[from..] right to left and start them left to right, then post `monitor` restart-done. */
  | { readonly kind: 'monitor-restart'; readonly group: string; readonly resources: readonly string[]; readonly from: number }
  /** Write the groups marked failed on this node to the state dir (they survive a restart). */
  | { readonly kind: 'write-monitor-failed'; readonly failed: readonly string[] }
  /** heartbeat-ts only: a peer's configuration agreement changed (logged already; metrics, status). */
  | { readonly kind: 'config-agreement'; readonly agreement: PeerAgreement };

export interface StepOutput {
  readonly effects: readonly Effect[];
  /** When the coordinator next needs a `tick` (monotonic ms; +Infinity: never). */
  readonly nextWakeAtMs: number;
}

export interface CoordinatorOptions {
  readonly localNode: string;
  /** ha.cf's nodes (ping nodes are told apart by their type). */
  readonly nodes: readonly NodeConfig[];
  /** A new membership core (a new generation); `reloaded` are the values a reload applied. */
  readonly createMembership: (reloaded: ReloadedMembership | undefined) => Membership;
  /**
   * The resource layer of a two-node pair. `runner`: scripts really run (events wait for its start-up check).
   * `groups`: each group's key and set, to tell the monitor which groups a held set means.
   */
  readonly resources?: { readonly create: () => ResourceEngine; readonly peer: string; readonly runner: boolean; readonly groups?: readonly { readonly key: string; readonly set: 'local' | 'foreign' }[] };
  /** A STONITH device is configured (else a fence ends at once as 'bad'). */
  readonly stonith?: boolean;
  /** Whether an API client of that name is signed on here (heartbeat 3.0.6 HBDoMsg_T_QCSTATUS). */
  readonly clientOnline: (client: string) => boolean;
  /** Our configuration, compared with the digests peers announce (config-agreement.ts); absent: not compared. */
  readonly configFacts?: ConfigFacts;
  /** The service monitor (issue 17), with the resources; absent: no monitors file. */
  readonly monitor?: Monitor;
}
