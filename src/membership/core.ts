// The membership state machine: frames and timer ticks in, frames to send, log lines and status changes out.
/*
 * Local node (heartbeat 3.0.6: set_local_status, check_comm_isup, comm_now_up):
 *
 *   start ──► init ──(sent seq 1)──► up ──every peer heard or dead──► linksup
 *                                                 │
 *                         live peer & flow control│ no live peer / no flow control
 *                                                 ▼
 *                              reqnodes every 1 s ──repnodes──► active   (comm-up)
 *
 * Peer node (HBDoMsg_T_STATUS, check_for_timeouts, mark_node_dead, should_drop_message):
 *
 *   init ──status st=X──► X (init|up|active, "Status update for node N: status X")
 *   any  ──no status for dt (initdead before linksup)──► dead ("node N: is dead")
 *   dead ──status, higher generation──► X ("Heartbeat restart on node N")
 *   dead ──status, same generation, newer seq──► restart ourselves ("Cluster node N returning after partition.")
 *
 * Link (peer, medium): up on any authenticated packet, dead after the same limit ("Link N:M up./dead.").
 *
 * Self-protection: if we ourselves were silent longer than the deadtime we advertise (event-loop stall,
 * suspended process), the peer has declared us dead; continuing with the same generation would make it
 * restart itself ("returning after partition"). So we stop and ask for a restart with a new generation,
 * as Heartbeat's "No local heartbeat. Forcing restart." does.
 */
import { CONFIG_FIELD } from '../config/config-digest.js';
import { Buffer } from 'node:buffer';
import type { AuthKeys } from '../core/auth-keys.js';
import { assertNever } from '../core/assert-never.js';
import {
  decodeFrame,
  getBinary,
  getString,
  stringField,
  verifyInnerAuth,
  verifyTrailer,
  type Field,
  type Message,
} from '../wire/index.js';
import {
  ackFields,
  finish,
  isZeroUuid,
  nakFields,
  repnodesFields,
  reqnodesFields,
  rexmitRequestFields,
  statusFields,
  uuidEqual,
  type Originator,
} from './outbound.js';
import { LogLimiter } from './rate-limit.js';
import { Rng } from './rng.js';
import { firstRexmitDelay, SeqTracker } from './seq-tracker.js';
import type { Action, DropReason, LinkStatus, LogLevel, MembershipEvent, NodeStatus, Now, SendReason, StepResult } from './types.js';
import { XmitHistory } from './xmit-history.js';

/** heartbeat 3.0.6 runs check_for_timeouts every 250 ms; we wake exactly when a deadline passes instead. */
const REQNODES_INTERVAL_MS = 1000;
/** Bad frames are logged at most once per peer and reason in this interval (and always counted). */
export const DROP_LOG_INTERVAL_MS = 10_000;
/** heartbeat 3.0.6 process_rexmit: at most this many packets per request. */
const MAX_REXMIT_PER_REQUEST = 50;
/** A peer's advertised `dt` outside this range is ignored (keeps a hostile value from disabling detection). */
const MAX_PEER_DEADTIME_MS = 24 * 3600 * 1000;

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

interface LinkState {
  status: LinkStatus | 'init';
  lastRxMs: number;
}

interface PeerState {
  readonly name: string;
  readonly type: 'normal' | 'ping';
  status: NodeStatus;
  uuid: Uint8Array | undefined;
  generation: number;
  /** Monotonic time of the last status message (or ping reply); the start time before the first. */
  lastStatusRxMs: number;
  /** Monotonic time of the previous status, for "Late heartbeat" (undefined before the first). */
  prevStatusRxMs: number | undefined;
  statusSeq: number;
  /** The peer's advertised deadtime (`dt`), our limit for it after comm-up. */
  deadTicksMs: number;
  anyPacket: boolean;
  /** The `hbts_config` field of its last status; null before its first status. */
  configField: string | undefined | null;
  readonly seq: SeqTracker;
  readonly ackTrigger: number;
  /** The highest of our seqs this peer acknowledged. */
  ackedSeq: number;
  readonly links: Map<string, LinkState>;
}

/** What the core exposes for status queries and tests. */
export interface NodeView {
  readonly name: string;
  readonly type: 'normal' | 'ping';
  readonly status: NodeStatus;
  readonly generation: number;
  readonly uuid: Uint8Array | undefined;
  readonly links: ReadonlyMap<string, LinkStatus | 'init'>;
}

type CommState = 'starting' | 'linksup-wait' | 'reqnodes' | 'up';

export class Membership {
  private o: MembershipOptions;
  private readonly rng: Rng;
  private readonly peers = new Map<string, PeerState>();
  private readonly history = new XmitHistory();
  private readonly limiter = new LogLimiter(DROP_LOG_INTERVAL_MS);
  private originator: Originator;
  private readonly drops = new Map<DropReason, number>();
  private localStatus: NodeStatus = 'init';
  private comm: CommState = 'starting';
  private seq = 0;
  private loadavg = 'n/a';
  private flowControl = true;
  private lastStatusSentMs = 0;
  private nextStatusAtMs = 0;
  private nextReqnodesAtMs = 0;
  private stopped = false;
  private actions: Action[] = [];
  private now: Now = { monoMs: 0, wallSec: 0 };

  /** `:(0)src=<us>,` — how our own `src` field looks in a netstring frame. */
  private readonly ownSrcNeedle: Buffer;

  constructor(options: MembershipOptions) {
    this.o = options;
    this.ownSrcNeedle = Buffer.from(`:(0)src=${options.localNode},`, 'latin1');
    this.rng = new Rng(options.seed);
    const nodeCount = options.nodes.length;
    this.originator = {
      name: options.localNode,
      uuid: options.uuid,
      generation: options.generation,
      ttl: options.hopfudge + nodeCount,
      keys: options.keys,
    };
    for (const n of options.nodes) {
      if (n.name === options.localNode) continue;
      this.peers.set(n.name, this.newPeer(n, 0));
    }
  }

  private newPeer(n: MembershipOptions['nodes'][number], heardMs: number): PeerState {
    return {
      name: n.name,
      type: n.type,
      status: 'init',
      uuid: this.o.knownUuids?.get(n.name),
      generation: 0,
      lastStatusRxMs: heardMs,
      prevStatusRxMs: undefined,
      statusSeq: 0,
      deadTicksMs: n.type === 'ping' ? this.o.deadpingMs : this.o.deadtimeMs,
      anyPacket: false,
      configField: null,
      seq: new SeqTracker(),
      ackTrigger: this.rng.int(0, 9),
      ackedSeq: 0,
      links: new Map(),
    };
  }

  /**
   * A reloaded ha.cf changed the node set (ping nodes, ping groups, nodes other than the ones we run with):
   * new peers start in `init` as if just heard of (declared dead after their deadtime if silent), removed ones
   * are forgotten; every other peer keeps its state. The TTL follows the node count.
   */
  setNodes(nodes: MembershipOptions['nodes']): void {
    this.o = { ...this.o, nodes };
    this.originator = { ...this.originator, ttl: this.o.hopfudge + nodes.length };
    const wanted = new Set(nodes.map((n) => n.name));
    for (const name of [...this.peers.keys()]) if (!wanted.has(name)) this.peers.delete(name);
    for (const n of nodes) {
      if (n.name !== this.o.localNode && !this.peers.has(n.name)) this.peers.set(n.name, this.newPeer(n, this.now.monoMs));
    }
  }

  /* ------------------------------------------------------------------ queries */

  get status(): NodeStatus {
    return this.localStatus;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  nodes(): NodeView[] {
    const self: NodeView = { name: this.o.localNode, type: 'normal', status: this.localStatus, generation: this.o.generation, uuid: this.o.uuid, links: new Map() };
    return [
      self,
      ...[...this.peers.values()].map((p) => ({
        name: p.name,
        type: p.type,
        status: p.status,
        generation: p.generation,
        uuid: p.uuid,
        links: new Map([...p.links].map(([m, l]) => [m, l.status] as const)),
      })),
    ];
  }

  /**
   * When each peer, and each of its links, was last heard (monotonic ms): a status message, or a ping reply;
   * undefined when never. For `hbctl status` (api-view.ts extendedStatus).
   */
  lastHeard(): Map<string, { readonly statusMs: number | undefined; readonly links: ReadonlyMap<string, number> }> {
    const out = new Map<string, { readonly statusMs: number | undefined; readonly links: ReadonlyMap<string, number> }>();
    for (const p of this.peers.values()) {
      const heard = p.prevStatusRxMs !== undefined || (p.type === 'ping' && p.anyPacket);
      out.set(p.name, { statusMs: heard ? p.lastStatusRxMs : undefined, links: new Map([...p.links].map(([m, l]) => [m, l.lastRxMs] as const)) });
    }
    return out;
  }

  /**
   * A reloaded ha.cf or authkeys (SIGHUP): the new timing values and keys apply from the next event, peers
   * keep their state. A normal peer keeps the deadtime it advertises (`dt`); ping nodes take the new deadping;
   * our next status goes out within the new keepalive and advertises the new deadtime.
   */
  reconfigure(t: Pick<MembershipOptions, 'keepaliveMs' | 'deadtimeMs' | 'warntimeMs' | 'initdeadMs' | 'deadpingMs' | 'keys' | 'configField'>): void {
    this.o = { ...this.o, ...t };
    this.originator = { ...this.originator, keys: t.keys };
    for (const p of this.peers.values()) if (p.type === 'ping') p.deadTicksMs = t.deadpingMs;
    this.nextStatusAtMs = Math.min(this.nextStatusAtMs, this.lastStatusSentMs + t.keepaliveMs);
  }

  dropCounts(): ReadonlyMap<DropReason, number> {
    return this.drops;
  }

  /* ------------------------------------------------------------------ the step function */

  handle(event: MembershipEvent, now: Now): StepResult {
    this.actions = [];
    this.now = now;
    if (this.stopped) return { actions: [], nextWakeAtMs: Number.POSITIVE_INFINITY };
    if (event.kind !== 'start' && this.selfCheckFailed()) return this.result();
    switch (event.kind) {
      case 'start':
        this.start();
        break;
      case 'frame':
        this.onFrame(event.medium, event.bytes);
        break;
      case 'tick':
        break;
      case 'ping-reply':
        this.onPingReply(event.node);
        break;
      case 'send':
        this.sendMessage(event.fields);
        break;
      case 'loadavg':
        this.loadavg = event.text.length > 63 ? event.text.slice(0, 63) : event.text;
        break;
      default:
        assertNever(event, 'membership event');
    }
    this.runTimers();
    return this.result();
  }

  private result(): StepResult {
    return { actions: this.actions, nextWakeAtMs: this.stopped ? Number.POSITIVE_INFINITY : this.nextWake() };
  }

  /* ------------------------------------------------------------------ local node */

  private start(): void {
    const t = this.now.monoMs;
    for (const p of this.peers.values()) p.lastStatusRxMs = t;
    this.log('info', `Heartbeat generation: ${this.o.generation}`);
    this.log('info', `Local node ${this.o.localNode}: generation ${this.o.generation}, keepalive ${this.o.keepaliveMs} ms, deadtime ${this.o.deadtimeMs} ms, initdead ${this.o.initdeadMs} ms`);
    // heartbeat 3.0.6: seq 1 says `init` (hb_add_deadtime at startup), seq 2 says `up`.
    this.sendStatus();
    this.setLocalStatus('up');
    this.nextStatusAtMs = t + this.o.keepaliveMs;
    this.comm = 'linksup-wait';
  }

  private setLocalStatus(s: NodeStatus): void {
    if (s === this.localStatus) return;
    const previous = this.localStatus;
    this.localStatus = s;
    this.log('info', `Local status now set to: '${s}'`);
    this.actions.push({ kind: 'node-status', node: this.o.localNode, status: s, previous });
    this.sendStatus(); // heartbeat 3.0.6 sends a status at every local status change
  }

  private sendStatus(): void {
    this.lastStatusSentMs = this.now.monoMs;
    this.originate(statusFields(this.localStatus, this.o.deadtimeMs, this.flowControl, this.o.configField), 'status', true);
  }

  /** heartbeat 3.0.6 "No local heartbeat. Forcing restart." — see the top of this file. */
  private selfCheckFailed(): boolean {
    if (this.comm === 'starting') return false;
    const silentMs = this.now.monoMs - this.lastStatusSentMs;
    if (silentMs <= this.o.deadtimeMs) return false;
    this.log('crit', `No local heartbeat. Forcing restart. (no status sent for ${silentMs} ms, more than our deadtime of ${this.o.deadtimeMs} ms: the event loop stalled)`);
    this.actions.push({ kind: 'restart', reason: `local heartbeat silent for ${silentMs} ms` });
    this.stopped = true;
    return true;
  }

  private checkCommUp(): void {
    if (this.comm !== 'linksup-wait') return;
    for (const p of this.peers.values()) if (!p.anyPacket && p.status !== 'dead') return;
    // heartbeat 3.0.6 check_comm_isup: COMM_LINKSUP; ask the first live normal peer for its node list.
    if (this.flowControl && this.reqnodesTarget() !== undefined) {
      this.comm = 'reqnodes';
      this.nextReqnodesAtMs = this.now.monoMs;
      return;
    }
    this.commNowUp();
  }

  private reqnodesTarget(): PeerState | undefined {
    for (const p of this.peers.values()) if (p.type === 'normal' && p.status !== 'dead' && p.anyPacket) return p;
    return undefined;
  }

  private commNowUp(): void {
    this.comm = 'up';
    this.log('info', 'Comm_now_up(): updating status to active');
    this.actions.push({ kind: 'comm-up' });
    this.setLocalStatus('active');
  }

  /* ------------------------------------------------------------------ sending */

  /** A message from the layers above; `dest` (if any) gets the peer's destuuid like Heartbeat's send_cluster_msg. */
  private sendMessage(fields: readonly (readonly [string, string])[]): void {
    const dest = fields.find(([k]) => k === 'dest')?.[1];
    const peer = dest === undefined ? undefined : this.peers.get(dest);
    this.originate(fields.map(([k, v]) => stringField(k, v)), 'message', !(fields.find(([k]) => k === 't')?.[1] ?? '').startsWith('NS_'), peer);
  }

  private originate(base: readonly Field[], reason: SendReason, sequenced: boolean, dest?: PeerState): void {
    const seq = sequenced ? this.seq + 1 : undefined;
    const out = finish(this.originator, base, {
      seq,
      wallSec: this.now.wallSec,
      loadavg: this.loadavg,
      destUuid: dest?.uuid,
    });
    if (out === null) {
      this.log('err', `could not encode our own ${reason} message (a bug: please report it)`);
      return;
    }
    if (seq !== undefined) {
      this.seq = seq;
      this.history.add({ seq, message: out.message, packet: out.packet, lastSentMs: this.now.monoMs });
    }
    this.actions.push({ kind: 'send', reason, message: out.message, packet: out.packet });
  }

  /* ------------------------------------------------------------------ timers */

  private runTimers(): void {
    const t = this.now.monoMs;
    if (this.comm === 'starting') return;
    if (t >= this.nextStatusAtMs) {
      this.sendStatus();
      // A fixed cadence like glib's timer; after a late wake-up, the next one is a full keepalive away.
      this.nextStatusAtMs = Math.max(this.nextStatusAtMs + this.o.keepaliveMs, t + 1);
      if (this.nextStatusAtMs <= t) this.nextStatusAtMs = t + this.o.keepaliveMs;
    }
    this.checkTimeouts();
    this.checkCommUp();
    if (this.comm === 'reqnodes' && t >= this.nextReqnodesAtMs) {
      const target = this.reqnodesTarget();
      if (target === undefined) this.commNowUp();
      else {
        this.originate(reqnodesFields(target.name), 'reqnodes', true, target);
        this.nextReqnodesAtMs = t + REQNODES_INTERVAL_MS;
      }
    }
    this.sendDueRexmitRequests();
  }

  private limitFor(p: PeerState): number {
    if (this.comm === 'linksup-wait' || this.comm === 'starting') return Math.max(this.o.initdeadMs, p.deadTicksMs);
    return p.deadTicksMs;
  }

  /** heartbeat 3.0.6 check_for_timeouts (node deaths, then link deaths). */
  private checkTimeouts(): void {
    const t = this.now.monoMs;
    for (const p of this.peers.values()) {
      const limit = this.limitFor(p);
      if (p.status !== 'dead' && t - p.lastStatusRxMs > limit) this.markDead(p);
      for (const [medium, link] of p.links) {
        if (link.status === 'up' && t - link.lastRxMs > limit) {
          link.status = 'dead';
          this.log('info', `Link ${p.name}:${medium} dead.`);
          this.actions.push({ kind: 'link-status', node: p.name, medium, status: 'dead' });
        }
      }
    }
  }

  private markDead(p: PeerState): void {
    const previous = p.status;
    p.status = 'dead';
    p.seq.reset();
    this.log('warn', `node ${p.name}: is dead`);
    this.actions.push({ kind: 'node-status', node: p.name, status: 'dead', previous });
  }

  private sendDueRexmitRequests(): void {
    const t = this.now.monoMs;
    for (const p of this.peers.values()) {
      if (p.seq.missing.size === 0) continue;
      if (p.status !== 'up' && p.status !== 'active' && p.status !== 'init') continue;
      for (const [seq, dueMs] of p.seq.missing) {
        if (dueMs > t) continue;
        this.originate(rexmitRequestFields(p.name, seq), 'rexmit-request', false, p);
        p.seq.missing.set(seq, t + this.o.maxRexmitDelayMs);
      }
    }
  }

  private nextWake(): number {
    let w = this.nextStatusAtMs;
    const consider = (ms: number): void => {
      if (ms < w) w = ms;
    };
    if (this.comm === 'reqnodes') consider(this.nextReqnodesAtMs);
    for (const p of this.peers.values()) {
      const limit = this.limitFor(p);
      if (p.status !== 'dead') consider(p.lastStatusRxMs + limit + 1);
      for (const l of p.links.values()) if (l.status === 'up') consider(l.lastRxMs + limit + 1);
      for (const due of p.seq.missing.values()) consider(due);
    }
    // Before comm-up the initdead limit switches to dt at linksup; the self-check needs a wake-up too.
    consider(this.lastStatusSentMs + this.o.deadtimeMs + 1);
    return w;
  }

  /* ------------------------------------------------------------------ receiving */

  /**
   * Half of what a bcast medium hears is our own broadcasts (Heartbeat drops them as duplicates): recognised
   * by our `src` field's bytes, before decoding. A frame that merely contains these bytes elsewhere is dropped
   * too, which is safe. Such a frame changes nothing here, so the daemon may skip handle() for it.
   */
  isOwnFrame(bytes: Uint8Array): boolean {
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).includes(this.ownSrcNeedle);
  }

  private onFrame(medium: string, bytes: Uint8Array): void {
    if (this.isOwnFrame(bytes)) return;
    const frame = decodeFrame(bytes);
    if (!frame.ok) {
      this.drop('undecodable', medium, `undecodable frame on ${medium}: ${frame.error.reason}`);
      return;
    }
    const message = frame.value.inner ?? frame.value.message;
    const src = getString(message, 'src');
    // Our own broadcasts come back to us (Heartbeat drops them as duplicates): drop them before the HMAC.
    if (src === this.o.localNode) return;
    // What the real node checks: the trailer on UDP (netstring), the inner `auth` field on serial (classic).
    const verdict = frame.value.form === 'netstring' ? verifyTrailer(frame.value.packet, this.o.keys) : verifyInnerAuth(message, this.o.keys);
    if (verdict !== 'ok') {
      this.drop('bad-auth', src ?? medium, `authentication failed (${verdict}) for a ${frame.value.form} frame from ${src ?? 'an unnamed sender'} on ${medium}`);
      return;
    }
    const type = getString(message, 't');
    const tsText = getString(message, 'ts');
    const seqText = getString(message, 'seq');
    const isNs = type?.startsWith('NS_') ?? false;
    if (src === undefined || type === undefined || tsText === undefined || parseHex(tsText) === 0 || (!isNs && seqText === undefined)) {
      this.drop('missing-field', src ?? medium, `message without ${src === undefined ? 'src' : type === undefined ? 't' : tsText === undefined || parseHex(tsText) === 0 ? 'ts' : 'seq'} from ${src ?? 'an unnamed sender'} on ${medium}`);
      return;
    }
    const peer = this.peerFor(src, getBinary(message, 'srcuuid'));
    if (peer === undefined) {
      this.drop('unknown-node', src, `message from unknown node [${src}] on ${medium} dropped (it is not a node in ha.cf)`);
      return;
    }
    if (isNs) {
      this.touchLink(peer, medium);
      peer.anyPacket = true;
      this.onNsMessage(peer, type, message);
      return;
    }
    const seq = parseHex(seqText ?? '');
    if (seq === undefined || seq === 0) {
      this.drop('missing-field', src, `message with a bad seq "${seqText ?? ''}" from ${src} on ${medium}`);
      return;
    }
    const gen = parseHex(getString(message, 'hg') ?? '0') ?? 0;
    if (gen < peer.generation) {
      this.drop('replay', src, `should_drop_message: attempted replay attack [${src}]? [gen = ${gen}, curgen = ${peer.generation}]`);
      return;
    }
    if (type === 'status') {
      if (gen === peer.generation && peer.generation > 0 && peer.status === 'dead') {
        if (seq <= peer.statusSeq) {
          this.drop('stale', src, `stale status from dead node ${src} (seq ${seq})`);
          return;
        }
        // heartbeat 3.0.6 (should_drop_message → cause_shutdown_restart): both sides may have taken over the
        // other's groups during the partition, so the detecting node gives up everything and restarts.
        this.log('crit', `Cluster node ${src} returning after partition.`);
        this.log('info', 'For information on cluster partitions, See URL: http://linux-ha.org/wiki/Split_Brain');
        this.log('crit', 'Restarting to give up our resources and rejoin (new generation).');
        this.actions.push({ kind: 'restart', reason: `${src} returned after a partition` });
        this.stopped = true;
        return;
      } else if (gen > peer.generation) {
        if (peer.generation > 0) this.log('info', `Heartbeat restart on node ${src}`);
        peer.seq.reset();
        peer.prevStatusRxMs = undefined;
      }
      peer.generation = gen;
    }
    const toUs = this.isToUs(message);
    const outcome = peer.seq.observe(seq, this.now.monoMs, () => firstRexmitDelay(this.rng, this.o.maxRexmitDelayMs));
    let keep = false;
    switch (outcome.kind) {
      case 'in-order':
        keep = true;
        if (peer.seq.missing.size === 0 && seq % 10 === peer.ackTrigger) this.sendAck(peer, seq);
        break;
      case 'duplicate':
        this.touchLink(peer, medium);
        return;
      case 'gap':
        keep = true;
        this.log('warn', `${outcome.lost} lost packet(s) for [${src}] [${outcome.from}:${seq}]`);
        if (outcome.reset) this.log('err', `lost a lot of packets from ${src}!`);
        break;
      case 'filled':
        keep = true;
        if (outcome.noneLeft) {
          this.log('info', `No pkts missing from ${src}!`);
          this.sendAck(peer, peer.seq.lastSeq ?? seq);
        }
        break;
      case 'old':
        // A late copy (another medium, a retransmission we no longer need) or a replay of this generation:
        // counted, logged only at debug level, since two media produce these in normal operation.
        this.drop('stale', src, `old packet seq ${seq} from ${src} on ${medium} (last ${peer.seq.lastSeq ?? 0})`, 'debug');
        return;
      default:
        assertNever(outcome, 'seq outcome');
    }
    this.touchLink(peer, medium);
    peer.anyPacket = true;
    if (!keep || !toUs) return;
    this.onKept(peer, type, seq, message);
  }

  private peerFor(src: string, uuid: Uint8Array | undefined): PeerState | undefined {
    const byName = this.peers.get(src);
    if (byName === undefined) return undefined;
    if (uuid !== undefined && uuid.length === 16 && !isZeroUuid(uuid) && (byName.uuid === undefined || !uuidEqual(byName.uuid, uuid))) {
      if (byName.uuid !== undefined) this.log('info', `node ${src} changed its uuid`);
      byName.uuid = Uint8Array.from(uuid);
      this.actions.push({ kind: 'peer-uuid', node: src, uuid: byName.uuid });
    }
    return byName;
  }

  private isToUs(m: Message): boolean {
    const du = getBinary(m, 'destuuid');
    if (du !== undefined && du.length === 16 && !isZeroUuid(du)) return uuidEqual(du, this.o.uuid);
    const dest = getString(m, 'dest');
    return dest === undefined || dest === this.o.localNode;
  }

  private touchLink(p: PeerState, medium: string): void {
    let l = p.links.get(medium);
    if (l === undefined) {
      l = { status: 'init', lastRxMs: this.now.monoMs };
      p.links.set(medium, l);
    }
    l.lastRxMs = this.now.monoMs;
    if (l.status !== 'up') {
      l.status = 'up';
      this.log('info', `Link ${p.name}:${medium} up.`);
      this.actions.push({ kind: 'link-status', node: p.name, medium, status: 'up' });
    }
  }

  private onNsMessage(peer: PeerState, type: string, m: Message): void {
    if (!this.isToUs(m)) return;
    switch (type) {
      case 'NS_ackmsg': {
        const ack = parseHex(getString(m, 'ackseq') ?? '');
        if (ack === undefined || ack <= peer.ackedSeq) return;
        if (ack > this.history.highestSeq) {
          this.log('debug', `corrupted ackseq ${ack} from ${peer.name} (we sent up to ${this.history.highestSeq})`);
          return;
        }
        peer.ackedSeq = ack;
        return;
      }
      case 'NS_rexmit':
        this.answerRexmit(peer, m);
        return;
      case 'NS_nak_rexmit': {
        const seq = parseHex(getString(m, 'firstseq') ?? '');
        if (seq !== undefined && peer.seq.giveUp(seq)) {
          this.log('warn', `Irretrievably lost packet: node ${peer.name} seq ${seq} (${getString(m, 'info') ?? 'no reason given'})`);
        }
        return;
      }
      default:
        return; // NS_st and unknown NS_ types carry nothing for membership
    }
  }

  /** heartbeat 3.0.6 process_rexmit: resend stored messages unchanged, or NAK. */
  private answerRexmit(peer: PeerState, m: Message): void {
    const first = parseDecimal(getString(m, 'firstseq') ?? '');
    const last = parseDecimal(getString(m, 'lastseq') ?? '');
    if (first === undefined || last === undefined || last < first) return;
    const t = this.now.monoMs;
    for (let s = first, n = 0; s <= last && n < MAX_REXMIT_PER_REQUEST; s++, n++) {
      if (s <= peer.ackedSeq) continue;
      if (s < this.history.lowWater) {
        this.originate(nakFields(peer.name, s, 'seqno too low'), 'nak', false, peer);
        continue;
      }
      if (s > this.history.highestSeq) {
        this.log('debug', `${peer.name} asked for seq ${s}, beyond the highest we sent (${this.history.highestSeq})`);
        continue;
      }
      const e = this.history.get(s);
      if (e === undefined) {
        this.originate(nakFields(peer.name, s, 'seqno not found'), 'nak', false, peer);
        continue;
      }
      if (t - e.lastSentMs < this.o.maxRexmitDelayMs - 10) continue;
      e.lastSentMs = t;
      this.actions.push({ kind: 'send', reason: 'rexmit', message: e.message, packet: e.packet });
    }
  }

  private sendAck(peer: PeerState, seq: number): void {
    this.originate(ackFields(peer.name, seq), 'ack', false, peer);
  }

  private onKept(peer: PeerState, type: string, seq: number, m: Message): void {
    if (type === 'status') {
      this.onStatus(peer, seq, m);
      return;
    }
    if (type === 'reqnodes') {
      const normal = this.o.nodes.filter((n) => n.type === 'normal').map((n) => n.name);
      this.originate(repnodesFields(peer.name, normal, []), 'repnodes', true, peer);
      return;
    }
    if (type === 'repnodes') {
      this.checkNodeList(peer, getString(m, 'nodelist') ?? '');
      if (this.comm === 'reqnodes') this.commNowUp();
      return;
    }
    this.actions.push({ kind: 'deliver', node: peer.name, message: m });
  }

  /** v1 membership is static: a differing list is reported, never applied. */
  private checkNodeList(peer: PeerState, list: string): void {
    const theirs = list.split(' ').filter((n) => n !== '').sort();
    const ours = this.o.nodes.filter((n) => n.type === 'normal').map((n) => n.name).sort();
    if (theirs.join(' ') !== ours.join(' ')) {
      this.log('warn', `node list from ${peer.name} (${theirs.join(' ')}) differs from ha.cf (${ours.join(' ')}); keeping ha.cf's`);
    }
  }

  /** heartbeat 3.0.6 HBDoMsg_T_STATUS. */
  private onStatus(peer: PeerState, seq: number, m: Message): void {
    const t = this.now.monoMs;
    const st = getString(m, 'st') ?? '';
    if (peer.prevStatusRxMs !== undefined && peer.status !== 'dead') {
      const interval = t - peer.prevStatusRxMs;
      if (interval > this.o.deadtimeMs) {
        this.log('crit', `Late heartbeat: Node ${peer.name}: interval ${interval} ms (> deadtime)`);
      } else if (interval > this.o.warntimeMs) {
        this.log('warn', `Late heartbeat: Node ${peer.name}: interval ${interval} ms`);
      }
    }
    peer.prevStatusRxMs = t;
    peer.lastStatusRxMs = t;
    peer.statusSeq = seq;
    const dt = parseHex(getString(m, 'dt') ?? '');
    if (dt !== undefined && dt > 0 && dt <= MAX_PEER_DEADTIME_MS) peer.deadTicksMs = dt;
    if (getString(m, 'protocol') === undefined && this.flowControl) {
      this.flowControl = false;
      this.log('info', 'flow control disabled due to different version heartbeat');
    }
    const cfg = getString(m, CONFIG_FIELD);
    if (cfg !== peer.configField) {
      peer.configField = cfg;
      this.actions.push({ kind: 'peer-config', node: peer.name, field: cfg });
    }
    if (st.length >= 2 && st.length <= 31 && st !== peer.status) {
      const previous = peer.status;
      peer.status = st as NodeStatus;
      this.log('info', `Status update for node ${peer.name}: status ${st}`);
      this.actions.push({ kind: 'node-status', node: peer.name, status: peer.status, previous, message: m });
    }
  }

  private onPingReply(name: string): void {
    const p = this.peers.get(name);
    if (p === undefined || p.type !== 'ping') return;
    p.anyPacket = true;
    p.lastStatusRxMs = this.now.monoMs;
    // heartbeat 3.0.6 process_clustermsg: a ping node has one link, named after it ("Link 198.51.100.1:198.51.100.1
    // up."), raised before the status; it dies with the node (check_for_timeouts), which is what ipfail reacts to.
    this.touchLink(p, name);
    if (p.status !== 'ping') {
      const previous = p.status;
      p.status = 'ping';
      this.log('info', `Status update for node ${name}: status ping`);
      this.actions.push({ kind: 'node-status', node: name, status: 'ping', previous });
    }
  }

  /* ------------------------------------------------------------------ drops and logs */

  private drop(reason: DropReason, peer: string, text: string, level: LogLevel = 'warn'): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
    const suffix = this.limiter.admit(`${peer}\u0000${reason}`, this.now.monoMs);
    if (suffix !== null) this.log(level, `${text}${suffix}`);
  }

  private log(level: LogLevel, text: string): void {
    this.actions.push({ kind: 'log', level, text });
  }
}

/** A lower-case or upper-case hex number as Heartbeat writes it (`%lx`); undefined if it is not one. */
export function parseHex(s: string): number | undefined {
  if (!/^[0-9a-fA-F]{1,13}$/.test(s)) return undefined;
  return Number.parseInt(s, 16);
}

function parseDecimal(s: string): number | undefined {
  if (!/^\d{1,15}$/.test(s)) return undefined;
  return Number(s);
}
