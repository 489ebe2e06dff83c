// What a Daemon is built from: the configuration, its media and logger, and the optional adapters.
import type { ClusterConfig } from '../config/model.js';
import type { MediumAdapter } from '../media/medium.js';
import type { Action } from '../membership/types.js';
import type { PeerAgreement } from '../node/config-agreement.js';
import type { FenceResult, ResourceEngine } from '../resources/protocol.js';
import type { ClientChildren } from './children/client-children.js';
import type { Logger } from '../logging/logger.js';
import type { RcNotifierOptions } from './scripts/rc-notifier.js';
import type { ResourceRunner } from './scripts/resource-runner.js';

export interface DaemonOptions {
  readonly config: ClusterConfig;
  readonly stateDir: string;
  readonly media: readonly MediumAdapter[];
  readonly logger: Logger;
  /** Monotonic milliseconds (injected for tests). */
  readonly monoMs?: () => number;
  /** Wall-clock seconds, for the wire `ts` field only. */
  readonly wallSec?: () => number;
  /** How often a medium that failed to open is retried (default 5 s). */
  readonly mediumRetryMs?: number;
  /** The resource layer of a two-node pair: the protocol (nice_failback or legacy), the runner, and the one peer. */
  readonly resources?: { readonly create: () => ResourceEngine; readonly runner: ResourceRunner | undefined; readonly peer: string };
  /** rc.d notifications through `<config-dir>/harc` (spec §7.3); the daemon supplies its own state. */
  readonly notifications?: Omit<RcNotifierOptions, 'local'>;
  /** The client API socket (Heartbeat's `<run-dir>/register`), opened at comm-up as Heartbeat opens it. */
  readonly api?: { readonly path: string };
  /** ha.cf `respawn`/`failfast` children: started once the API socket is open, stopped after `shutdone`. */
  readonly children?: ClientChildren;
  /** Called with every action the core produced (tests, status reporting, metrics). */
  readonly onAction?: (a: Action) => void;
  /** A peer's configuration agreement changed (metrics). */
  readonly onConfigAgreement?: (a: PeerAgreement) => void;
  /** Called with the medium of every frame received from another node (metrics). */
  readonly onFrame?: (medium: string) => void;
  /** ha.cf `watchdog`: tickled on every status we send (watchdog.ts). */
  readonly watchdog?: { tickle(): void };
  /** The service monitor (issue 17): the groups marked failed read from the state dir at start-up. */
  readonly monitor?: { readonly failed: readonly string[]; readonly onChange?: () => void };
  /** ha.cf `stonith`/`stonith_host`: resets a dead peer before its groups are taken (stonith.ts). */
  readonly stonith?: { reset(node: string): Promise<FenceResult>; checkStatus(): Promise<boolean> };
}
