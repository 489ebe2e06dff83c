// The standby exchange and auto_failback of the nice_failback protocol: handing groups to the peer and back.
/*
 * heartbeat 3.0.6 hb_resource.c (spec §7.8): the three-phase `ask_resources` exchange me → other → done → done.
 * The side going standby asks (`me`); the peer, stable and idle, answers `other`; the asker releases the set
 * and says `done`; the peer acquires the mirrored set and says `done`. auto_failback on starts it for our
 * foreign groups once both sides are stable (PerformAutoFailback). These steps run on protocol.ts's fields
 * (ProtocolContext); the activities they start end in its onActivityDone.
 */
import { BITS, FOREIGN, mirror, toSet, type HoldSet } from './hold-set.js';
import type { Activity, ProtocolContext } from './protocol-context.js';
import { announce } from './start-up.js';

/** heartbeat 3.0.6: 10 s for the peer's `other` reply to a standby request. */
export const STANDBY_REPLY_TIMEOUT_MS = 10_000;
/** heartbeat 3.0.6 PerformAutoFailback retries every second while the sides are not both stable. */
export const FAILBACK_RETRY_MS = 1000;

/** hb_standby (or PerformAutoFailback, hb_takeover, a failed start): ask the peer to take `set` (`info=me`). */
export function onStandbyRequest(c: ProtocolContext, set: HoldSet): void {
  if (c.state !== 'stable' || !c.otherStable || !c.peerAlive || c.standby !== 'none' || c.activity !== undefined) {
    c.log('warn', `standby request (${set}) ignored: ${c.peerAlive ? 'resources are in flux' : 'the other node is dead'}`);
    return;
  }
  if ((c.iHold & BITS[set]) === 0) {
    c.log('info', `standby request (${set}): we hold none of those resources`);
    return;
  }
  c.standby = 'asked';
  c.standbySet = set;
  c.standbyDeadlineMs = c.nowMs + STANDBY_REPLY_TIMEOUT_MS;
  c.log('info', `${c.o.localNode} wants to go standby [${set}]`);
  c.lastStandbySet = set;
  c.send([['t', 'ask_resources'], ['rsc_hold', set], ['info', 'me']]);
}

/** An `ask_resources` from the peer: its request (`me`), its answer (`other`) or its end (`done`). */
export function onAskResources(c: ProtocolContext, set: HoldSet, info: string): void {
  c.lastStandbySet = set;
  if (info === 'me') {
    // The peer wants to give up `set` (its view). We take it if we are both stable and idle.
    if (c.state !== 'stable' || c.standby !== 'none' || c.activity !== undefined) {
      c.log('warn', `standby message [${set}] ignored. Local resources in flux.`);
      return;
    }
    c.log('info', `${c.o.peer} wants to go standby [${set}]`);
    c.remoteInTransition = true;
    c.standby = 'responding';
    c.standbySet = set;
    c.send([['t', 'ask_resources'], ['rsc_hold', set], ['info', 'other']]); // echoes the initiator's set
    return;
  }
  if (info === 'other' && c.standby === 'asked') {
    c.standbyDeadlineMs = Number.POSITIVE_INFINITY;
    c.log('info', `standby: ${c.o.peer} can take our ${c.standbySet} resources`);
    c.log('info', `give up ${c.standbySet} HA resources (standby).`);
    c.remoteInTransition = true;
    c.iHold &= ~BITS[c.standbySet];
    c.send([['t', 'resource'], ['rsc_hold', toSet(c.iHold)], ['rtype', 'full'], ['isstable', '0'], ['info', 'standby']]);
    c.standby = 'releasing';
    c.start({ kind: 'release', set: c.standbySet, then: 'standby-release' }, 'standby');
    return;
  }
  if (info === 'done' && c.standby === 'responding') {
    c.log('info', `standby: acquire [${set}] resources from ${c.o.peer}`);
    c.log('info', `acquire ${mirror(c.standbySet)} HA resources (standby).`);
    c.standby = 'acquiring';
    c.start({ kind: 'acquire', set: mirror(c.standbySet), then: 'standby-acquire' }, `standby of ${c.o.peer}`);
    return;
  }
  if (info === 'done' && c.standby === 'released') {
    c.log('info', `Other node completed standby takeover of ${c.standbySet} resources.`);
    if ((BITS[c.standbySet] & FOREIGN) !== 0) c.needsFailback = false;
    c.otherHolds |= BITS[mirror(c.standbySet)];
    c.endStandby();
    c.reportHoldings(undefined);
    return;
  }
  c.log('warn', `standby message [${set}, ${info}] ignored. Other side is in flux.`);
}

/** heartbeat 3.0.6 PerformAutoFailback: hand the peer's groups back once both sides are stable. */
export function performAutoFailback(c: ProtocolContext): void {
  if (!c.needsFailback || !c.o.autoFailback || (c.iHold & FOREIGN) === 0) return;
  if (!c.peerAlive) return;
  if (c.state !== 'stable' || !c.otherStable || c.standby !== 'none' || c.activity !== undefined) {
    c.nextFailbackAtMs = c.nowMs + FAILBACK_RETRY_MS;
    return;
  }
  onStandbyRequest(c, 'foreign');
}

/** Our groups are released (standby): tell the peer to take them (`done`). */
export function standbyReleased(c: ProtocolContext, a: Activity): void {
  c.log('info', `${a.set} HA resource release completed (standby).`);
  c.log('info', `Local standby process completed [${c.standbySet}].`);
  c.standby = 'released';
  c.send([['t', 'ask_resources'], ['rsc_hold', c.standbySet], ['info', 'done']]);
}

/** The peer's groups are ours (standby): say so, and the exchange ends. */
export function standbyAcquired(c: ProtocolContext, a: Activity): void {
  c.log('info', `${a.set} HA resource acquisition completed (standby).`);
  c.log('info', `Standby resource acquisition done [${c.standbySet}].`);
  if (c.o.autoFailback) {
    c.localWorkDone = true;
    announce(c, 'auto_failback');
  }
  c.send([['t', 'ask_resources'], ['rsc_hold', c.standbySet], ['info', 'done']]);
  c.otherHolds &= ~BITS[mirror(c.standbySet)];
  c.endStandby();
  c.reportHoldings(undefined);
}
