// What parsing ha.cf builds up line by line, and the context every directive handler gets.
import type { DiagnosticSink } from './diag.js';
import type { HostFacts } from './host-facts.js';
import type { ApiAuth, AutoFailback, Medium, Node, RespawnChild, StonithDevice } from './model.js';

/** Where a value came from, for pinpointed messages. */
export interface At {
  readonly line: number;
  readonly column: number;
}

/** What parsing ha.cf produced, before the whole-file checks (check.ts). */
export interface HaCfState {
  readonly values: Map<string, string>;
  readonly where: Map<string, At>;
  /** Directives with a value that was refused (their cross-checks would only repeat the error). */
  readonly failed: Set<string>;
  readonly nodes: Node[];
  readonly media: Medium[];
  keepaliveMs: number;
  deadtimeMs: number;
  /** -1: not set (defaults are derived in check.ts, as in init_config). */
  warntimeMs: number;
  initdeadMs: number;
  deadpingMs: number;
  udpPort: number | undefined;
  baud: number | undefined;
  autoFailback: AutoFailback;
  niceFailback: boolean;
  autojoin: 'none' | 'other' | 'any';
  pacemakerSeen: boolean;
  /** Lines after which a medium was declared (for udpport/baud ordering). */
  mediaSeenAt: At | undefined;
  readonly respawn: RespawnChild[];
  readonly apiAuth: Map<string, ApiAuth>;
  readonly env: Map<string, string>;
  hopfudge: number;
  debugLevel: number;
  watchdog: string | undefined;
  /** The last stonith/stonith_host line for this node (Heartbeat keeps the last). */
  stonith: StonithDevice | undefined;
  useLogd: boolean | undefined;
  facility: string | undefined;
  logFile: string | undefined;
  debugFile: string | undefined;
}

/** Everything a directive handler needs: where it is, the state, the sink, the host, this node's name. */
export interface Ctx {
  readonly s: HaCfState;
  readonly d: DiagnosticSink;
  readonly host: HostFacts;
  readonly localNode: string;
  readonly at: At;
  readonly directive: string;
}

export function newState(): HaCfState {
  return {
    values: new Map(), where: new Map(), failed: new Set(), nodes: [], media: [],
    keepaliveMs: 1000, deadtimeMs: 30000, warntimeMs: -1, initdeadMs: -1, deadpingMs: -1,
    udpPort: undefined, baud: undefined, autoFailback: 'legacy', niceFailback: false, autojoin: 'none',
    pacemakerSeen: false, mediaSeenAt: undefined, respawn: [], apiAuth: new Map(), env: new Map(),
    hopfudge: 1, debugLevel: 0, watchdog: undefined, stonith: undefined, useLogd: undefined, facility: undefined,
    logFile: undefined, debugFile: undefined,
  };
}
