// The part of the nice_failback protocol (protocol.ts's ResourceProtocol) that its split-out steps read and
// change: start-up.ts (the start-up decision) and standby-exchange.ts (standby and auto_failback).
import type { LogLevel } from '../core/log-level.js';
import type { HoldSet } from './hold-set.js';

/** The protocol's states (the diagram at the top of protocol.ts). */
export type RscState = 'init' | 'starting' | 'bothstarting' | 'rscrcvd' | 'stable' | 'shutdown';
/** Our side of a standby exchange (standby-exchange.ts). */
export type StandbyRole = 'none' | 'asked' | 'releasing' | 'released' | 'responding' | 'acquiring';

/** One acquire or release of a set of groups, and what follows its end (protocol.ts onActivityDone). */
export interface Activity {
  readonly kind: 'acquire' | 'release';
  readonly set: HoldSet;
  readonly then: 'stable' | 'takeover' | 'standby-release' | 'standby-acquire' | 'shutdown';
}

/** The ResourceProtocol's fields and steps marked `@internal` there. */
export interface ProtocolContext {
  readonly o: { readonly localNode: string; readonly peer: string; readonly autoFailback: boolean; readonly hasLocalGroups: boolean };
  readonly nowMs: number;
  readonly activity: Activity | undefined;
  readonly peerAlive: boolean;
  readonly peerStarting: boolean;
  state: RscState;
  /** What we and the peer hold, as BITS of hold-set.ts (our view). */
  iHold: number;
  otherHolds: number;
  otherStable: boolean;
  needsFailback: boolean;
  nextFailbackAtMs: number;
  rscrcvdDeadlineMs: number;
  localWorkDone: boolean;
  foreignWorkDone: boolean;
  announced: boolean;
  remoteInTransition: boolean;
  standby: StandbyRole;
  standbySet: HoldSet;
  standbyDeadlineMs: number;
  lastStandbySet: HoldSet;
  start(a: Activity, reason: string): void;
  becomeStable(): void;
  endStandby(): void;
  reportHoldings(info: string | undefined): void;
  send(fields: readonly (readonly [string, string])[]): void;
  log(level: Exclude<LogLevel, 'debug'>, text: string): void;
}
