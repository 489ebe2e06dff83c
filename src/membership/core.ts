// The membership state machine: frames and timer ticks in, frames to send, log lines and status changes out.
/*
 * Local node (heartbeat 3.0.6: set_local_status, check_comm_isup, comm_now_up):
 *
 *   start ──► init ──(sent seq 1)──► up ──every peer's status heard, or peer dead──► linksup
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
 *   dead ──status, same generation, newer seq──► one last status, then restart ourselves ("Cluster node N returning
 *                                                 after partition."); that status makes the peer restart too
 *
 * Link (peer, medium): up on any authenticated packet, dead after the same limit ("Link N:M up./dead.").
 *
 * Self-protection: if we ourselves were silent longer than the deadtime we advertise (event-loop stall,
 * suspended process), the peer has declared us dead; continuing with the same generation would make it
 * restart itself ("returning after partition"). So we stop and ask for a restart with a new generation,
 * as Heartbeat's "No local heartbeat. Forcing restart." does.
 */
import { Buffer } from 'node:buffer';
import { assertNever } from '../core/assert-never.js';
import { stringField, type Field } from '../wire/index.js';
import type { MembershipOptions } from './options.js';
import { finish, reqnodesFields, rexmitRequestFields, statusFields, type Originator } from './outbound.js';
import { lastHeardOf, peerView, type LastHeard, type NodeView, type PeerState } from './peer-state.js';
import { LogLimiter } from './rate-limit.js';
import { onFrame, onPingReply, type CommState, type MembershipContext } from './receive.js';
import { Rng } from './rng.js';
import { SeqTracker } from './seq-tracker.js';
import type { Now } from '../core/clock.js';
import type { LogLevel } from '../core/log-level.js';
import type { Action, DropReason, MembershipEvent, NodeStatus, SendReason, StepResult } from './types.js';
import { XmitHistory } from './xmit-history.js';

/** heartbeat 3.0.6 runs check_for_timeouts every 250 ms; we wake exactly when a deadline passes instead. */
const REQNODES_INTERVAL_MS = 1000;
/** Bad frames are logged at most once per peer and reason in this interval (and always counted). */
export const DROP_LOG_INTERVAL_MS = 10_000;

export type { MembershipOptions } from './options.js';
export type { NodeView } from './peer-state.js';
export { parseHex } from './hex.js';

/**
 * Linksup needs every live peer's status, not just any packet of it (heartbeat 3.0.6 counts any packet:
 * anypacketsyet). A restarted node can hear a peer's ACK or message, send reqnodes and get the repnodes, all
 * inside the peer's keepalive: comm-up would then tell the resource protocol the peer is `init` — not active —
 * while it runs our groups, and legacy mode would take them at once: both nodes running them. A peer sends a
 * status every keepalive, so this waits at most one more; ping nodes have no status: their reply is theirs.
 */
function statusKnown(p: PeerState): boolean {
  return p.type === 'ping' ? p.anyPacket : p.statusSeq > 0;
}

export class Membership implements MembershipContext {
  /** @internal receive.ts */ o: MembershipOptions;
  /** @internal receive.ts */ readonly rng: Rng;
  /** @internal receive.ts */ readonly peers = new Map<string, PeerState>();
  /** @internal receive.ts */ readonly history = new XmitHistory();
  private readonly limiter = new LogLimiter(DROP_LOG_INTERVAL_MS);
  private originator: Originator;
  private readonly drops = new Map<DropReason, number>();
  private localStatus: NodeStatus = 'init';
  /** @internal receive.ts */ comm: CommState = 'starting';
  private seq = 0;
  private loadavg = 'n/a';
  /** @internal receive.ts */ flowControl = true;
  private lastStatusSentMs = 0;
  private nextStatusAtMs = 0;
  private nextReqnodesAtMs = 0;
  /** @internal receive.ts */ stopped = false;
  /** @internal receive.ts */ actions: Action[] = [];
  /** @internal receive.ts */ now: Now = { monoMs: 0, wallSec: 0 };

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
    return [self, ...[...this.peers.values()].map(peerView)];
  }

  /**
   * When each peer, and each of its links, was last heard (monotonic ms): a status message, or a ping reply;
   * undefined when never. For `hbctl status` (api-view.ts extendedStatus).
   */
  lastHeard(): Map<string, LastHeard> {
    return new Map([...this.peers.values()].map((p) => [p.name, lastHeardOf(p)] as const));
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
        onFrame(this, event.medium, event.bytes);
        break;
      case 'tick':
        break;
      case 'ping-reply':
        onPingReply(this, event.node);
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

  sendStatus(): void {
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
    for (const p of this.peers.values()) if (!statusKnown(p) && p.status !== 'dead') return;
    // heartbeat 3.0.6 check_comm_isup: COMM_LINKSUP; ask the first live normal peer for its node list.
    if (this.flowControl && this.reqnodesTarget() !== undefined) {
      this.comm = 'reqnodes';
      this.nextReqnodesAtMs = this.now.monoMs;
      return;
    }
    this.commNowUp();
  }

  private reqnodesTarget(): PeerState | undefined {
    for (const p of this.peers.values()) if (p.type === 'normal' && p.status !== 'dead' && statusKnown(p)) return p;
    return undefined;
  }

  /** @internal receive.ts */
  commNowUp(): void {
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

  /** @internal receive.ts */
  originate(base: readonly Field[], reason: SendReason, sequenced: boolean, dest?: PeerState): void {
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

  /* ------------------------------------------------------------------ drops and logs */

  /** @internal receive.ts */
  drop(reason: DropReason, peer: string, text: string, level: LogLevel = 'warn'): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
    const suffix = this.limiter.admit(`${peer}\u0000${reason}`, this.now.monoMs);
    if (suffix !== null) this.log(level, `${text}${suffix}`);
  }

  /** @internal receive.ts */
  log(level: LogLevel, text: string): void {
    this.actions.push({ kind: 'log', level, text });
  }
}
