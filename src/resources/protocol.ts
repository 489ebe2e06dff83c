// The v1 resource protocol with nice_failback (auto_failback on|off): who holds which groups, as a pure state machine.
/*
 * heartbeat 3.0.6 hb_resource.c, spec §7.5–7.10. Groups are partitioned by home node: `local` = groups whose
 * haresources line names us, `foreign` = the peer's. `rsc_hold` in messages is from the sender's view.
 *
 *   init ──comm-up──► starting ──peer `starting`──► bothstarting
 *                        │                               │
 *                        └──── peer `resource` ──────────┴──► rscrcvd ──acquired (or peer holds ours)──► stable
 *   any ──shutdown──► shutdown (release everything, then `shutdone`)
 *
 * Decisions (each cites the Heartbeat behaviour it reproduces):
 *   - peer stable and holding our groups → take nothing; it will fail them back (auto_failback on).
 *   - peer stable otherwise → take our local groups (req_our_resources).
 *   - both starting → take our local groups as soon as the peer, whose `starting` we received, reports
 *     holding nothing. Heartbeat waits a fixed 10 s (RQSTDELAY) here; since each node only ever starts its
 *     own home groups on this path, deciding at once cannot produce two owners. A peer that is unstable
 *     without having started (busy with a takeover or a standby) is waited for, with Heartbeat's 10 s as the
 *     fallback — a property test found that deciding then could double-own a group.
 *   - peer dead → take every group we do not hold (takeover_from_node, mach_down). With a STONITH device
 *     (`stonith`/`stonith_host`) and a peer that may hold groups: reset it first (`fence`), send `stonith`
 *     with each try's result, take over only after a reset that worked, retry every 5 s (Initiate_Reset,
 *     StonithProcessDied). No device: `n_stnth` and take over anyway. A peer whose last report was a stable
 *     "none" (or that sent `shutdone`): `unneeded`, no reset (3.0.6 also skips it after an unstable "none").
 *   - standby: the three-phase `ask_resources` exchange me → other → done → done (§7.8); auto_failback on
 *     starts it for our foreign groups once both sides are stable (PerformAutoFailback).
 *   - peer `shutdone` → take its groups now, no STONITH needed later.
 * Only one activity (acquire or release of a set of groups) runs at a time; its end is an event.
 *
 * Split by concept: the start-up decision is in start-up.ts, the standby exchange and auto_failback in
 * standby-exchange.ts; both run on this class's fields marked `@internal` (ProtocolContext, protocol-context.ts).
 */
import { assertNever } from '../core/assert-never.js';
import type { LogLevel } from '../core/log-level.js';
import type { ResourceAction, ResourceEngine, ResourceEvent } from './engine.js';
import { Fencing } from './fencing.js';
import { BITS, FOREIGN, LOCAL, mirror, parseHoldSet, toSet, type HoldSet } from './hold-set.js';
import type { Activity, ProtocolContext, RscState, StandbyRole } from './protocol-context.js';
import { STARTING_FIELD, announce, localAcquired, onResourceReport, rscrcvdTimeout } from './start-up.js';
import { onAskResources, onStandbyRequest, performAutoFailback, standbyAcquired, standbyReleased } from './standby-exchange.js';

export type { ResourceAction, ResourceEngine, ResourceEvent } from './engine.js';
export { Fencing, STONITH_RETRY_MS, type FenceResult } from './fencing.js';
export { mirror, parseHoldSet, type HoldSet } from './hold-set.js';
export type { RscState } from './protocol-context.js';
export { RQSTDELAY_MS, STARTING_FIELD } from './start-up.js';
export { FAILBACK_RETRY_MS, STANDBY_REPLY_TIMEOUT_MS } from './standby-exchange.js';

/** heartbeat 3.0.6 acquireresourcegroup: `(sleep 30; hb_standby …) &` after a failed start. */
export const FAILED_START_STANDBY_MS = 30_000;
export interface ResourceOptions {
  readonly localNode: string;
  readonly peer: string;
  readonly autoFailback: boolean;
  /** Whether each set has any group at all (an empty set is acquired instantly). */
  readonly hasLocalGroups: boolean;
  readonly hasForeignGroups: boolean;
  /** A STONITH device is configured: a dead peer that may hold groups is reset before they are taken. */
  readonly stonith?: boolean;
}

export class ResourceProtocol implements ResourceEngine, ProtocolContext {
  /** @internal */ state: RscState = 'init';
  /** @internal */ iHold = 0;
  /** @internal */ otherHolds = 0;
  /** @internal */ otherStable = false;
  /** @internal */ peerAlive = true;
  /** @internal */ activity: Activity | undefined;
  /** @internal */ standby: StandbyRole = 'none';
  /** @internal */ standbySet: HoldSet = 'none';
  /** @internal */ standbyDeadlineMs = Number.POSITIVE_INFINITY;
  /** @internal */ needsFailback = false;
  /** @internal */ peerStarting = false;
  /** @internal */ rscrcvdDeadlineMs = Number.POSITIVE_INFINITY;
  private pendingTakeover: string | undefined;
  /** @internal */ nextFailbackAtMs = Number.POSITIVE_INFINITY;
  /**
   * heartbeat 3.0.6 AnnounceTakeover: "Initial resource acquisition complete (<why>)" is logged once, when both
   * our own groups (local_takeover_work_done) and the peer's (foreign_takeover_work_done) are settled.
   */
  /** @internal */ localWorkDone = false;
  /** @internal */ foreignWorkDone = false;
  /** @internal */ announced = false;
  /**
   * heartbeat 3.0.6 ask_for_resources/go_standby mark the peer unstable during a standby exchange, so its next
   * stable report logs "remote resource transition completed." again; only that line depends on it here.
   */
  /** @internal */ remoteInTransition = false;
  /**
   * 3.0.6's standby_rsctype: the set named by the last standby message seen (ours or the peer's), `all` before
   * any. Its takeover at a `shutdone` reports "Standby resource acquisition done [<that set>]".
   */
  /** @internal */ lastStandbySet: HoldSet = 'all';
  /** The standby that follows a failed acquisition, and when. */
  private failedStartStandby: { readonly set: HoldSet; readonly atMs: number } | undefined;
  private out: ResourceAction[] = [];
  /** @internal */ nowMs = 0;
  private readonly fencing = new Fencing(
    (fields) => this.send(fields),
    (level, text) => this.log(level, text),
    (node) => this.out.push({ kind: 'fence', node }),
  );

  constructor(/** @internal */ readonly o: ResourceOptions) {}

  get status(): { readonly state: RscState; readonly holds: HoldSet; readonly peerHolds: HoldSet; readonly peerStable: boolean } {
    return { state: this.state, holds: toSet(this.iHold), peerHolds: toSet(this.otherHolds), peerStable: this.otherStable };
  }

  rscStatus(): string {
    // hb_rsc_isstable (nice_failback): the peer stable, nothing running, no standby, a settled state.
    const stable =
      this.otherStable && !this.fencing.active && this.activity === undefined && this.standby === 'none' && (this.state === 'stable' || this.state === 'shutdown' || this.state === 'init');
    return stable ? toSet(this.iHold) : 'transition';
  }

  heldNow(): { readonly stable: boolean; readonly held: HoldSet } {
    const quiet = !this.fencing.active && this.activity === undefined && this.standby === 'none' && this.state === 'stable';
    return { stable: quiet, held: toSet(this.iHold) };
  }

  handle(event: ResourceEvent, nowMs: number): { readonly actions: readonly ResourceAction[]; readonly nextWakeAtMs: number } {
    this.out = [];
    this.nowMs = nowMs;
    switch (event.kind) {
      case 'comm-up':
        this.onCommUp(event.peerAlive);
        break;
      case 'peer-message':
        this.onMessage(event.type, event.fields);
        break;
      case 'peer-dead':
        this.onPeerDead();
        break;
      case 'peer-restarted':
        this.fencing.cancel(`${this.o.peer} is alive again and restarted (it holds nothing)`);
        this.peerAlive = true;
        this.otherStable = false;
        this.otherHolds = 0;
        this.peerStarting = false;
        this.cancelStandby('the peer restarted');
        break;
      case 'activity-done':
        this.onActivityDone(event.ok);
        break;
      case 'fence-done':
        this.fencing.done(event.node, event.result, nowMs);
        break;
      case 'standby-request':
        onStandbyRequest(this, event.set);
        break;
      case 'shutdown-request':
        this.onShutdown();
        break;
      case 'tick':
        break;
      default:
        assertNever(event, 'resource event');
    }
    this.timers();
    const failedStartAtMs = this.failedStartStandby?.atMs ?? Number.POSITIVE_INFINITY;
    return { actions: this.out, nextWakeAtMs: Math.min(this.standbyDeadlineMs, this.nextFailbackAtMs, this.rscrcvdDeadlineMs, failedStartAtMs, this.fencing.nextWakeAtMs) };
  }

  /* ------------------------------------------------------------------ start-up (the decision: start-up.ts) */

  private onCommUp(peerAlive: boolean): void {
    if (this.state !== 'init') return;
    this.peerAlive = peerAlive;
    this.state = 'starting';
    this.send([['t', 'starting']]); // hb_resource.c send_local_starting
    if (peerAlive) return;
    // Never heard: it may hold anything (hb_rsc_recover_dead_resources: !anypacketsyet → STONITH needed).
    if (this.o.stonith === true) this.fencing.begin(this.o.peer, 'was never heard before our start-up', () => this.takeOver('the other node is dead at start-up and was reset'));
    else {
      this.log('warn', 'No STONITH device configured.');
      this.log('warn', 'Shared disks are not protected.');
      this.takeOver('the other node is dead at start-up');
    }
  }

  private onMessage(type: string, f: ReadonlyMap<string, string>): void {
    // heartbeat 3.0.6 registers these handlers at its own comm-up; earlier messages are not acted on, with one
    // exception of ours (not 3.0.6's): the peer's `starting` is remembered, not answered. A peer that comes up
    // first sends it at its comm-up, while ours still waits for its status and the repnodes answer; dropping it
    // left its report to our `starting` (unstable, none) looking like a busy peer, so both nodes sat out the
    // 10 s RQSTDELAY (the mixed pair's 12 s cold start). A restart of the peer before our comm-up forgets it
    // (peer-restarted), and the decision it allows is the one a `starting` heard after our comm-up allows.
    if (this.state === 'init') {
      if (type === 'starting') this.peerStarting = true;
      return;
    }
    switch (type) {
      case 'starting':
        this.otherStable = false;
        this.peerStarting = true;
        if (this.state === 'starting') this.state = 'bothstarting';
        this.reportHoldings(undefined);
        return;
      case 'resource':
        onResourceReport(this, f);
        return;
      case 'ask_resources':
        onAskResources(this, parseHoldSet(f.get('rsc_hold')) ?? 'none', f.get('info') ?? '');
        return;
      case 'hb_takeover': {
        // The stock rc.d/hb_takeover runs hb_standby for the complementary set: the peer's `local` are our
        // foreign groups. (`failback` falls through to an empty argument there, i.e. `all`.)
        const asked = parseHoldSet(f.get('rsc_hold'));
        this.log('info', `${this.o.peer} asks to take over [${f.get('rsc_hold') ?? ''}]`);
        onStandbyRequest(this, asked === undefined || asked === 'none' ? 'all' : mirror(asked));
        return;
      }
      case 'shutdone':
        this.log('info', `Received shutdown notice from '${this.o.peer}'.`);
        this.otherStable = true;
        this.otherHolds = 0;
        this.cancelStandby('the other node is shutting down');
        if (this.state === 'shutdown') this.log('info', 'Resource takeover cancelled - shutdown in progress.');
        else {
          // 3.0.6 runs go_standby(OTHER, complement of what we hold) next to the takeover (takeover_from_node
          // and its mach_down script, which start the peer's groups). go_standby names the set from the other
          // side — "acquire local HA resources" when we hold our own — so it starts what we hold already and
          // is done at once; its lines come before the takeover's scripts run.
          const missing = toSet((LOCAL | FOREIGN) & ~this.iHold);
          this.takeOver(`${this.o.peer} is shutting down`);
          if (missing !== 'none') {
            this.log('info', `acquire ${mirror(missing)} HA resources (standby).`);
            this.log('info', `${mirror(missing)} HA resource acquisition completed (standby).`);
            this.log('info', `Standby resource acquisition done [${this.lastStandbySet}].`);
          }
        }
        return;
      default:
        return;
    }
  }

  /** @internal */
  becomeStable(): void {
    this.state = 'stable';
    this.rscrcvdDeadlineMs = Number.POSITIVE_INFINITY;
    this.reportHoldings(undefined);
    if (this.needsFailback) this.nextFailbackAtMs = this.nowMs;
  }

  /* ------------------------------------------------------------------ deaths and takeovers */

  private onPeerDead(): void {
    this.peerAlive = false;
    // heartbeat 3.0.6 hb_rsc_recover_dead_resources skips the reset when other_holds_resources is none, even
    // if that report came from a peer still in transition: two nodes starting together report "none,
    // unstable" and then start their own groups, so a peer that dies before its next report may hold them.
    // Only a stable "none" (or a shutdone) means it holds nothing.
    const gaveUp = this.otherHolds === 0 && this.otherStable;
    this.otherStable = true;
    this.otherHolds = 0;
    this.cancelStandby('the other node died');
    if (this.state === 'init' || this.state === 'shutdown') return;
    // hb_rsc_recover_dead_resources: a peer that said it holds nothing needs no reset; otherwise reset it
    // first when a device is configured, else say so and take over anyway.
    if (gaveUp) {
      this.send([['t', 'stonith'], ['node', this.o.peer], ['result', 'unneeded']]);
      this.log('info', `Dead node ${this.o.peer} gave up resources.`);
    } else if (this.o.stonith === true) {
      this.fencing.begin(this.o.peer, 'is dead', () => this.takeOver(`${this.o.peer} is dead and was reset`));
      return;
    } else {
      this.send([['t', 'stonith'], ['node', this.o.peer], ['result', 'n_stnth']]);
      this.log('warn', 'No STONITH device configured.');
      this.log('warn', 'Shared disks are not protected.');
    }
    this.takeOver(`${this.o.peer} is dead`);
  }

  private takeOver(reason: string): void {
    const missing = (LOCAL | FOREIGN) & ~this.iHold;
    // heartbeat 3.0.6 hb_rsc_recover_dead_resources sets rsc_needs_failback whatever the peer's groups: with
    // auto_failback on, the exchange runs even when the foreign set is empty, and its end is when the returning
    // node writes `Initial resource acquisition complete (auto_failback)` — without it, that node never would.
    this.needsFailback = this.o.autoFailback;
    if (missing === 0) {
      if (this.state !== 'stable') this.becomeStable();
      return;
    }
    this.log('info', `Resources being acquired from ${this.o.peer}.`);
    if (this.activity !== undefined) {
      // The running activity finishes first; then the takeover runs (see onActivityDone).
      this.pendingTakeover = reason;
      return;
    }
    this.start({ kind: 'acquire', set: toSet(missing), then: 'takeover' }, reason);
  }

  /* ------------------------------------------------------------------ standby and failback (standby-exchange.ts) */

  /** @internal */
  endStandby(): void {
    this.standby = 'none';
    this.standbySet = 'none';
    this.standbyDeadlineMs = Number.POSITIVE_INFINITY;
  }

  private cancelStandby(why: string): void {
    if (this.standby === 'none') return;
    if (this.standby === 'asked') this.log('info', `Standby request cancelled: ${why}.`);
    // A release or acquisition in progress finishes as an activity; only the exchange is abandoned.
    this.endStandby();
  }

  private timers(): void {
    this.fencing.tick(this.nowMs);
    if (this.nowMs >= this.standbyDeadlineMs && this.standby === 'asked') {
      this.log('warn', 'No reply to standby request. Standby request cancelled.');
      this.endStandby();
    }
    if (this.nowMs >= this.rscrcvdDeadlineMs) rscrcvdTimeout(this);
    if (this.nowMs >= this.nextFailbackAtMs) {
      this.nextFailbackAtMs = Number.POSITIVE_INFINITY;
      performAutoFailback(this);
    }
    const failed = this.failedStartStandby;
    if (failed !== undefined && this.nowMs >= failed.atMs) {
      this.failedStartStandby = undefined;
      this.log('info', `hb_standby ${failed.set}: ${FAILED_START_STANDBY_MS / 1000} s after a failed start, the other node may try those resources`);
      onStandbyRequest(this, failed.set); // refused as any hb_standby is when the peer is dead or resources are in flux
    }
  }

  /* ------------------------------------------------------------------ shutdown */

  private onShutdown(): void {
    if (this.state === 'shutdown') return;
    this.state = 'shutdown';
    this.fencing.cancel('we are shutting down');
    this.cancelStandby('we are shutting down');
    this.send([['t', 'resource'], ['rsc_hold', 'none'], ['rtype', 'full'], ['isstable', '0'], ['info', 'shutdown']]);
    // hb_giveup_resources releases every group, held or not; after a running activity if there is one.
    if (this.activity === undefined) this.giveUpAll();
  }

  /** hb_giveup_resources: every group released, then `shutdone`. */
  private giveUpAll(): void {
    this.log('info', 'Giving up all HA resources.');
    this.start({ kind: 'release', set: 'all', then: 'shutdown' }, 'shutdown');
  }

  /* ------------------------------------------------------------------ activities */

  /** @internal */
  start(a: Activity, reason: string): void {
    this.activity = a;
    // heartbeat 3.0.6 marks what it is taking over as held at once, so that its reports never invite the
    // peer to take the same groups while the scripts run.
    if (a.kind === 'acquire') this.iHold |= BITS[a.set];
    this.out.push({ kind: a.kind, set: a.set, reason });
  }

  private onActivityDone(ok: boolean): void {
    const a = this.activity;
    if (a === undefined) return;
    this.activity = undefined;
    if (this.state === 'shutdown' && a.then !== 'shutdown') {
      this.giveUpAll();
      return;
    }
    if (a.kind === 'acquire') {
      if (!ok) {
        // The runner has already stopped the failed group (spec §7.2). heartbeat 3.0.6 never learns of it and
        // goes on claiming the set, so the peer does not start it meanwhile; 30 s later ResourceManager runs
        // hb_standby for the group's set, which hands it to the peer to try (set: the one being acquired).
        this.log('crit', `Giving up resources: acquiring ${a.set} failed; hb_standby ${a.set} in ${FAILED_START_STANDBY_MS / 1000} s`);
        this.failedStartStandby = { set: a.set, atMs: this.nowMs + FAILED_START_STANDBY_MS };
      }
    } else {
      this.iHold &= ~BITS[a.set];
    }
    if (this.pendingTakeover !== undefined && this.state !== 'shutdown' && (!this.peerAlive || this.otherHolds === 0)) {
      const reason = this.pendingTakeover;
      this.pendingTakeover = undefined;
      if (a.then === 'standby-acquire' || a.then === 'standby-release') this.endStandby();
      this.takeOver(reason);
      return;
    }
    this.pendingTakeover = undefined;
    switch (a.then) {
      case 'stable':
        // req_our_resources' child says so whatever ResourceManager's exit status was.
        localAcquired(this);
        this.becomeStable();
        return;
      case 'takeover': {
        // takeover_from_node runs the mach_down script and req_our_resources side by side; the one with nothing to
        // do reports first. Recorded: our groups already held, or none → `Local Resource acquisition completed.`
        // (or `No local resources …`) first; our groups to start and nothing foreign → mach_down's lines first.
        const acquired = BITS[a.set];
        const localWork = this.o.hasLocalGroups && (acquired & LOCAL) !== 0;
        const foreignWork = this.o.hasForeignGroups && (acquired & FOREIGN) !== 0;
        const machDownFirst = ok && localWork && !foreignWork;
        if (ok && !machDownFirst) localAcquired(this);
        // The mach_down script's own lines: 3.0.6 runs it at every takeover, foreign groups or none.
        this.log('info', '/usr/share/heartbeat/mach_down: nice_failback: foreign resources acquired');
        this.log('info', `mach_down takeover complete for node ${this.o.peer}.`);
        if (this.o.hasForeignGroups) this.send([['t', 'resource'], ['rsc_hold', 'foreign'], ['info', 'mach_down']]);
        this.log('info', 'mach_down takeover complete.');
        this.foreignWorkDone = true;
        this.localWorkDone = true;
        announce(this, 'mach_down');
        if (machDownFirst) localAcquired(this);
        if (!this.peerAlive || this.otherHolds === 0) {
          const missing = (LOCAL | FOREIGN) & ~this.iHold;
          if (missing !== 0 && ok) {
            this.start({ kind: 'acquire', set: toSet(missing), then: 'takeover' }, 'takeover');
            return;
          }
        }
        this.becomeStable();
        return;
      }
      case 'standby-release':
        standbyReleased(this, a);
        return;
      case 'standby-acquire':
        standbyAcquired(this, a);
        return;
      case 'shutdown':
        this.log('info', 'All HA resources relinquished.');
        this.iHold = 0;
        this.send([['t', 'shutdone'], ['st', 'dead']]);
        this.out.push({ kind: 'shutdown-complete' });
        return;
      default:
        assertNever(a.then, 'activity follow-up');
    }
  }

  /* ------------------------------------------------------------------ messages */

  /** @internal */
  reportHoldings(info: string | undefined): void {
    const fields: [string, string][] = [['t', 'resource'], ['rsc_hold', toSet(this.iHold)], ['rtype', 'full'], ['isstable', this.state === 'stable' && this.activity === undefined ? '1' : '0']];
    if (info !== undefined) fields.push(['info', info]);
    const starting = this.state === 'starting' || this.state === 'bothstarting' || this.state === 'rscrcvd';
    if (starting && this.activity === undefined && this.iHold === 0) fields.push([STARTING_FIELD, '1']);
    this.send(fields);
  }

  /** @internal */
  send(fields: readonly (readonly [string, string])[]): void {
    this.out.push({ kind: 'send', fields });
  }

  /** @internal */
  log(level: Exclude<LogLevel, 'debug'>, text: string): void {
    this.out.push({ kind: 'log', level, text });
  }
}
