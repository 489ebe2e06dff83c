// The receive path of the membership core: an admitted frame updates a peer, its links and its sequence numbers.
import { CONFIG_FIELD } from '../config/config-digest.js';
import { assertNever } from '../core/assert-never.js';
import { getBinary, getString, type Field, type Message } from '../wire/index.js';
import { admitFrame } from './frame-admission.js';
import { parseDecimal, parseHex } from './hex.js';
import type { MembershipOptions } from './options.js';
import { ackFields, isZeroUuid, nakFields, repnodesFields, uuidEqual } from './outbound.js';
import type { PeerState } from './peer-state.js';
import { planRexmitAnswer } from './rexmit-answer.js';
import type { Rng } from './rng.js';
import { firstRexmitDelay } from './seq-tracker.js';
import type { Now } from '../core/clock.js';
import type { LogLevel } from '../core/log-level.js';
import type { Action, DropReason, NodeStatus, SendReason } from './types.js';
import type { XmitHistory } from './xmit-history.js';

/** A peer's advertised `dt` outside this range is ignored (keeps a hostile value from disabling detection). */
const MAX_PEER_DEADTIME_MS = 24 * 3600 * 1000;

/** Where the local node is in joining the cluster (heartbeat 3.0.6: check_comm_isup). */
export type CommState = 'starting' | 'linksup-wait' | 'reqnodes' | 'up';

/** What the receive path reads and changes in the core (core.ts's Membership). */
export interface MembershipContext {
  readonly o: MembershipOptions;
  readonly now: Now;
  readonly rng: Rng;
  readonly peers: ReadonlyMap<string, PeerState>;
  readonly history: XmitHistory;
  readonly actions: Action[];
  readonly comm: CommState;
  flowControl: boolean;
  stopped: boolean;
  isOwnFrame(bytes: Uint8Array): boolean;
  originate(base: readonly Field[], reason: SendReason, sequenced: boolean, dest?: PeerState): void;
  /** Sends our status now (as the keepalive does). */
  sendStatus(): void;
  commNowUp(): void;
  drop(reason: DropReason, peer: string, text: string, level?: LogLevel): void;
  log(level: LogLevel, text: string): void;
}

export function onFrame(c: MembershipContext, medium: string, bytes: Uint8Array): void {
  if (c.isOwnFrame(bytes)) return;
  const admitted = admitFrame(bytes, medium, c.o.localNode, c.o.keys);
  if (admitted.kind === 'own') return;
  if (admitted.kind === 'drop') {
    c.drop(admitted.reason, admitted.key, admitted.text);
    return;
  }
  const { message, src, type, seqText, isNs } = admitted;
  const peer = peerFor(c, src, getBinary(message, 'srcuuid'));
  if (peer === undefined) {
    c.drop('unknown-node', src, `message from unknown node [${src}] on ${medium} dropped (it is not a node in ha.cf)`);
    return;
  }
  if (isNs) {
    touchLink(c, peer, medium);
    peer.anyPacket = true;
    onNsMessage(c, peer, type, message);
    return;
  }
  const seq = parseHex(seqText ?? '');
  if (seq === undefined || seq === 0) {
    c.drop('missing-field', src, `message with a bad seq "${seqText ?? ''}" from ${src} on ${medium}`);
    return;
  }
  const gen = parseHex(getString(message, 'hg') ?? '0') ?? 0;
  if (gen < peer.generation) {
    c.drop('replay', src, `should_drop_message: attempted replay attack [${src}]? [gen = ${gen}, curgen = ${peer.generation}]`);
    return;
  }
  if (type === 'status') {
    if (gen === peer.generation && peer.generation > 0 && peer.status === 'dead') {
      if (seq <= peer.statusSeq) {
        c.drop('stale', src, `stale status from dead node ${src} (seq ${seq})`);
        return;
      }
      // heartbeat 3.0.6 (should_drop_message → cause_shutdown_restart): both sides may have taken over the
      // other's groups during the partition, so the detecting node gives up everything and restarts.
      c.log('crit', `Cluster node ${src} returning after partition.`);
      c.log('info', 'For information on cluster partitions, See URL: http://linux-ha.org/wiki/Split_Brain');
      c.log('warn', 'Deadtime value may be too small.');
      c.log('info', 'See FAQ for information on tuning deadtime.');
      c.log('info', 'URL: http://linux-ha.org/wiki/FAQ#Heavy_Load');
      // 3.0.6 goes on to process the status, whose gap since the last one it reports as late.
      if (peer.prevStatusRxMs !== undefined) c.log('crit', `Late heartbeat: Node ${src}: interval ${c.now.monoMs - peer.prevStatusRxMs} ms (> deadtime)`);
      c.log('crit', 'Restarting to give up our resources and rejoin (new generation).');
      // 3.0.6 goes on heartbeating in its old generation through its graceful shutdown (2 s and more), so
      // the peer, which declared us dead too, hears us and restarts as well: after a healed partition both
      // nodes restart and every group goes back to where a cold start puts it, whichever side heard the
      // other first. One last status of this generation does the same for us before we fall silent.
      c.sendStatus();
      c.actions.push({ kind: 'restart', reason: `${src} returned after a partition` });
      c.stopped = true;
      return;
    } else if (gen > peer.generation) {
      if (peer.generation > 0) c.log('info', `Heartbeat restart on node ${src}`);
      peer.seq.reset();
      peer.prevStatusRxMs = undefined;
    }
    peer.generation = gen;
  }
  const toUs = isToUs(c, message);
  const outcome = peer.seq.observe(seq, c.now.monoMs, () => firstRexmitDelay(c.rng, c.o.maxRexmitDelayMs));
  let keep = false;
  switch (outcome.kind) {
    case 'in-order':
      keep = true;
      if (peer.seq.missing.size === 0 && seq % 10 === peer.ackTrigger) sendAck(c, peer, seq);
      break;
    case 'duplicate':
      touchLink(c, peer, medium);
      return;
    case 'gap':
      keep = true;
      c.log('warn', `${outcome.lost} lost packet(s) for [${src}] [${outcome.from}:${seq}]`);
      if (outcome.reset) c.log('err', `lost a lot of packets from ${src}!`);
      break;
    case 'filled':
      keep = true;
      if (outcome.noneLeft) {
        c.log('info', `No pkts missing from ${src}!`);
        sendAck(c, peer, peer.seq.lastSeq ?? seq);
      }
      break;
    case 'old':
      // A late copy (another medium, a retransmission we no longer need) or a replay of this generation:
      // counted, logged only at debug level, since two media produce these in normal operation.
      c.drop('stale', src, `old packet seq ${seq} from ${src} on ${medium} (last ${peer.seq.lastSeq ?? 0})`, 'debug');
      return;
    default:
      assertNever(outcome, 'seq outcome');
  }
  touchLink(c, peer, medium);
  peer.anyPacket = true;
  if (!keep) return;
  if (!toUs) {
    // heartbeat 3.0.6 drops a message addressed to another node. heartbeat-ts reads one kind: the peer's
    // `ip-request-resp` to itself, which its req_resource writes when it thinks it is alone ("pretend the current
    // owner gave it up peacefully") just before it takes the group — the resource protocol must let it go.
    if (type === 'ip-request-resp') c.actions.push({ kind: 'overheard', node: peer.name, message });
    return;
  }
  onKept(c, peer, type, seq, message);
}

export function peerFor(c: MembershipContext, src: string, uuid: Uint8Array | undefined): PeerState | undefined {
  const byName = c.peers.get(src);
  if (byName === undefined) return undefined;
  if (uuid !== undefined && uuid.length === 16 && !isZeroUuid(uuid) && (byName.uuid === undefined || !uuidEqual(byName.uuid, uuid))) {
    if (byName.uuid !== undefined) c.log('info', `node ${src} changed its uuid`);
    byName.uuid = Uint8Array.from(uuid);
    c.actions.push({ kind: 'peer-uuid', node: src, uuid: byName.uuid });
  }
  return byName;
}

export function isToUs(c: MembershipContext, m: Message): boolean {
  const du = getBinary(m, 'destuuid');
  if (du !== undefined && du.length === 16 && !isZeroUuid(du)) return uuidEqual(du, c.o.uuid);
  const dest = getString(m, 'dest');
  return dest === undefined || dest === c.o.localNode;
}

export function touchLink(c: MembershipContext, p: PeerState, medium: string): void {
  let l = p.links.get(medium);
  if (l === undefined) {
    l = { status: 'init', lastRxMs: c.now.monoMs };
    p.links.set(medium, l);
  }
  l.lastRxMs = c.now.monoMs;
  if (l.status !== 'up') {
    l.status = 'up';
    c.log('info', `Link ${p.name}:${medium} up.`);
    c.actions.push({ kind: 'link-status', node: p.name, medium, status: 'up' });
  }
}

export function onNsMessage(c: MembershipContext, peer: PeerState, type: string, m: Message): void {
  if (!isToUs(c, m)) return;
  switch (type) {
    case 'NS_ackmsg': {
      const ack = parseHex(getString(m, 'ackseq') ?? '');
      if (ack === undefined || ack <= peer.ackedSeq) return;
      if (ack > c.history.highestSeq) {
        c.log('debug', `corrupted ackseq ${ack} from ${peer.name} (we sent up to ${c.history.highestSeq})`);
        return;
      }
      peer.ackedSeq = ack;
      return;
    }
    case 'NS_rexmit':
      answerRexmit(c, peer, m);
      return;
    case 'NS_nak_rexmit': {
      const seq = parseHex(getString(m, 'firstseq') ?? '');
      if (seq !== undefined && peer.seq.giveUp(seq)) {
        c.log('warn', `Irretrievably lost packet: node ${peer.name} seq ${seq} (${getString(m, 'info') ?? 'no reason given'})`);
      }
      return;
    }
    default:
      return; // NS_st and unknown NS_ types carry nothing for membership
  }
}

/** heartbeat 3.0.6 process_rexmit: resend stored messages unchanged, or NAK. */
export function answerRexmit(c: MembershipContext, peer: PeerState, m: Message): void {
  const first = parseDecimal(getString(m, 'firstseq') ?? '');
  const last = parseDecimal(getString(m, 'lastseq') ?? '');
  if (first === undefined || last === undefined || last < first) return;
  for (const step of planRexmitAnswer(first, last, peer.ackedSeq, c.history, c.now.monoMs, c.o.maxRexmitDelayMs)) {
    switch (step.kind) {
      case 'nak':
        c.originate(nakFields(peer.name, step.seq, step.why), 'nak', false, peer);
        break;
      case 'beyond':
        c.log('debug', `${peer.name} asked for seq ${step.seq}, beyond the highest we sent (${c.history.highestSeq})`);
        break;
      case 'resend':
        step.entry.lastSentMs = c.now.monoMs;
        c.actions.push({ kind: 'send', reason: 'rexmit', message: step.entry.message, packet: step.entry.packet });
        break;
      default:
        assertNever(step, 'rexmit step');
    }
  }
}

export function sendAck(c: MembershipContext, peer: PeerState, seq: number): void {
  c.originate(ackFields(peer.name, seq), 'ack', false, peer);
}

export function onKept(c: MembershipContext, peer: PeerState, type: string, seq: number, m: Message): void {
  if (type === 'status') {
    onStatus(c, peer, seq, m);
    return;
  }
  if (type === 'reqnodes') {
    // Our status goes first, on every medium, so that the asking node has it before our answer brings it to
    // comm-up. heartbeat 3.0.6 answers with the repnodes alone, and a node that hears the repnodes before any
    // status of ours (its first packet from us was an ACK or a message) counts us as not active at comm-up:
    // req_our_resources runs "all alone" (HA_DONTASK) and takes its groups without asking, while we run them.
    c.sendStatus();
    const normal = c.o.nodes.filter((n) => n.type === 'normal').map((n) => n.name);
    c.originate(repnodesFields(peer.name, normal, []), 'repnodes', true, peer);
    return;
  }
  if (type === 'repnodes') {
    checkNodeList(c, peer, getString(m, 'nodelist') ?? '');
    if (c.comm === 'reqnodes') c.commNowUp();
    return;
  }
  c.actions.push({ kind: 'deliver', node: peer.name, message: m });
}

/** v1 membership is static: a differing list is reported, never applied. */
export function checkNodeList(c: MembershipContext, peer: PeerState, list: string): void {
  const theirs = list.split(' ').filter((n) => n !== '').sort();
  const ours = c.o.nodes.filter((n) => n.type === 'normal').map((n) => n.name).sort();
  if (theirs.join(' ') !== ours.join(' ')) {
    c.log('warn', `node list from ${peer.name} (${theirs.join(' ')}) differs from ha.cf (${ours.join(' ')}); keeping ha.cf's`);
  }
}

/** heartbeat 3.0.6 HBDoMsg_T_STATUS. */
export function onStatus(c: MembershipContext, peer: PeerState, seq: number, m: Message): void {
  const t = c.now.monoMs;
  const st = getString(m, 'st') ?? '';
  if (peer.prevStatusRxMs !== undefined && peer.status !== 'dead') {
    const interval = t - peer.prevStatusRxMs;
    if (interval > c.o.deadtimeMs) {
      c.log('crit', `Late heartbeat: Node ${peer.name}: interval ${interval} ms (> deadtime)`);
    } else if (interval > c.o.warntimeMs) {
      c.log('warn', `Late heartbeat: Node ${peer.name}: interval ${interval} ms`);
    }
  }
  peer.prevStatusRxMs = t;
  peer.lastStatusRxMs = t;
  peer.statusSeq = seq;
  const dt = parseHex(getString(m, 'dt') ?? '');
  if (dt !== undefined && dt > 0 && dt <= MAX_PEER_DEADTIME_MS) peer.deadTicksMs = dt;
  if (getString(m, 'protocol') === undefined && c.flowControl) {
    c.flowControl = false;
    c.log('info', 'flow control disabled due to different version heartbeat');
  }
  const cfg = getString(m, CONFIG_FIELD);
  if (cfg !== peer.configField) {
    peer.configField = cfg;
    c.actions.push({ kind: 'peer-config', node: peer.name, field: cfg });
  }
  if (st.length >= 2 && st.length <= 31 && st !== peer.status) {
    const previous = peer.status;
    peer.status = st as NodeStatus;
    c.log('info', `Status update for node ${peer.name}: status ${st}`);
    c.actions.push({ kind: 'node-status', node: peer.name, status: peer.status, previous, message: m });
  }
}

export function onPingReply(c: MembershipContext, name: string): void {
  const p = c.peers.get(name);
  if (p === undefined || p.type !== 'ping') return;
  p.anyPacket = true;
  // heartbeat 3.0.6 times a ping node's replies as it times heartbeats (HBDoMsg_T_STATUS on its NS_ping replies).
  if (p.status === 'ping' && p.prevStatusRxMs !== undefined) {
    const interval = c.now.monoMs - p.prevStatusRxMs;
    if (interval > c.o.deadtimeMs) c.log('crit', `Late heartbeat: Node ${name}: interval ${interval} ms (> deadtime)`);
    else if (interval > c.o.warntimeMs) c.log('warn', `Late heartbeat: Node ${name}: interval ${interval} ms`);
  }
  p.prevStatusRxMs = c.now.monoMs;
  p.lastStatusRxMs = c.now.monoMs;
  // heartbeat 3.0.6 process_clustermsg: a ping node has one link, named after it ("Link 198.51.100.1:198.51.100.1
  // up."), raised before the status; it dies with the node (check_for_timeouts), which is what ipfail reacts to.
  touchLink(c, p, name);
  if (p.status !== 'ping') {
    const previous = p.status;
    p.status = 'ping';
    c.log('info', `Status update for node ${name}: status ping`);
    c.actions.push({ kind: 'node-status', node: name, status: 'ping', previous });
  }
}
