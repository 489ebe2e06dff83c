// The start-up decision of the nice_failback protocol: who takes which groups when the nodes start.
/*
 * heartbeat 3.0.6 hb_resource.c (spec §7.5–7.6): after `starting`, the first `resource` report moves us to
 * rscrcvd; then req_our_resources takes our own groups unless the peer holds them, and AnnounceTakeover logs
 * "Initial resource acquisition complete" once both our groups and the peer's are settled. The states are
 * those of the diagram in protocol.ts; these steps run on its fields (ProtocolContext).
 */
import { BITS, LOCAL, mirror, parseHoldSet } from './hold-set.js';
import type { ProtocolContext } from './protocol-context.js';

/**
 * Our own addition to `resource` reports (Heartbeat ignores fields it does not know): "I am starting and hold
 * nothing", which lets two heartbeat-ts nodes skip Heartbeat's 10 s wait safely when one of them missed the
 * other's `starting` (sent before its own comm-up).
 */
export const STARTING_FIELD = 'hbts_starting';
/** heartbeat 3.0.6 RQSTDELAY: how long a starting node waits for a stable report before taking its own groups. */
export const RQSTDELAY_MS = 10_000;

/** The peer's `resource` report: what it holds and whether it is stable; at start-up, our decision. */
export function onResourceReport(c: ProtocolContext, f: ReadonlyMap<string, string>): void {
  const held = parseHoldSet(f.get('rsc_hold'));
  if (held === undefined) {
    c.log('warn', `resource message from ${c.o.peer} without a valid rsc_hold; ignored`);
    return;
  }
  c.otherHolds = BITS[mirror(held)];
  const wasStable = c.otherStable;
  c.otherStable = f.get('isstable') === '1';
  if (c.otherStable && (!wasStable || c.remoteInTransition)) c.log('info', 'remote resource transition completed.');
  if (c.otherStable) c.remoteInTransition = false;
  if (c.otherStable && c.needsFailback) c.nextFailbackAtMs = Math.min(c.nextFailbackAtMs, c.nowMs);
  if (c.state === 'starting' || c.state === 'bothstarting') c.state = 'rscrcvd';
  // "none, shutting down" is said before the release: the groups are free only at its `shutdone`.
  if (f.get('info') === 'shutdown') return;
  if (c.state !== 'rscrcvd' || c.activity !== undefined) return;
  if (c.rscrcvdDeadlineMs === Number.POSITIVE_INFINITY) c.rscrcvdDeadlineMs = c.nowMs + RQSTDELAY_MS;
  // heartbeat 3.0.6: a stable report while we are not yet stable is logged again, then req_our_resources.
  if (c.otherStable) {
    c.log('info', 'remote resource transition completed.');
    c.foreignWorkDone = true;
  }
  if ((c.otherHolds & LOCAL) !== 0) {
    // req_our_resources: the peer holds our groups; it hands them back through the standby protocol
    // (auto_failback on) or keeps them. While it is still busy, wait for its next report.
    if (!c.otherStable) return;
    c.log('info', 'Local Resource acquisition completed. (none)');
    if (!c.o.autoFailback) {
      c.localWorkDone = true;
      announce(c, 'T_RESOURCES(them)');
    }
    c.becomeStable();
    return;
  }
  // An unstable peer that is not starting itself is busy (a takeover, a standby): its next report says
  // what it holds. Only a peer we saw start is known to hold nothing.
  if (!c.otherStable && !c.peerStarting && f.get(STARTING_FIELD) !== '1') return;
  // Both starting: Heartbeat decides after RQSTDELAY with this line (rscrcvdTimeout); we decide now, same words.
  if (!c.otherStable) {
    c.log('info', 'local resource transition completed.');
    c.foreignWorkDone = true;
  }
  acquireLocal(c, c.otherStable ? 'req_our_resources' : 'both nodes starting: each takes its own groups');
}

/**
 * req_our_resources: our own groups. Heartbeat marks them held at once, and its own `resource` report saying
 * so announces the initial acquisition (T_RESOURCES(us)) while ResourceManager is still starting them.
 */
export function acquireLocal(c: ProtocolContext, reason: string): void {
  c.start({ kind: 'acquire', set: 'local', then: 'stable' }, reason);
  c.localWorkDone = true;
  announce(c, 'T_RESOURCES(us)');
}

/** The end of req_our_resources, in its words (the command is the one Heartbeat runs for the list). */
export function localAcquired(c: ProtocolContext): void {
  if (c.o.hasLocalGroups) c.log('info', 'Local Resource acquisition completed.');
  else c.log('info', `No local resources [/usr/share/heartbeat/ResourceManager listkeys ${c.o.localNode}] to acquire.`);
}

/** heartbeat 3.0.6 AnnounceTakeover: once, when both local and foreign takeover work is done. */
export function announce(c: ProtocolContext, why: string): void {
  if (c.announced || !c.localWorkDone || !c.foreignWorkDone) return;
  c.announced = true;
  c.log('info', `Initial resource acquisition complete (${why})`);
}

/** heartbeat 3.0.6's RQSTDELAY path: 10 s after the first report without a decision, take our own groups. */
export function rscrcvdTimeout(c: ProtocolContext): void {
  c.rscrcvdDeadlineMs = Number.POSITIVE_INFINITY;
  if (c.state !== 'rscrcvd' || c.activity !== undefined || (c.otherHolds & LOCAL) !== 0) return;
  c.log('info', 'local resource transition completed.');
  c.foreignWorkDone = true;
  acquireLocal(c, 'no stable report from the other node within 10 s');
}
