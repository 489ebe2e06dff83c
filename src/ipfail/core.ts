// ipfail's decisions (heartbeat 3.0.6 contrib/ipfail/ipfail.c) as a pure core: events in, actions out.
/*
 * Two ipfails, one per node, compare how many ping nodes each can see and move the resources to the node that
 * sees more. Messages (all through the API; the daemon adds from_id/to_id=ipfail, so only ipfail gets them):
 *
 *   num_ping_nodes  src num_ping=<dec>   to the other node: "this is my count, compare"
 *   you_are_dead                         to the other node: "I see more than you"
 *   abort_giveup    src                  to the other node: "balanced: cancel your delayed give-up"
 *   ask_resources   rsc_hold=all|foreign src info=me   to the cluster: hb_standby's request (§7.8 moves them)
 *
 *   trigger (event)                          heartbeat 3.0.6            action
 *   ---------------------------------------  -------------------------  ----------------------------------------
 *   hbapi-clstat join of ipfail elsewhere    msg_ipfail_join            ask (send num_ping_nodes with my count)
 *   node status `ping` (ping node came up)   NodeStatus                 ask
 *   node status `dead`                       NodeStatus                 log only
 *   link status `dead`                       LinkStatus                 ask
 *   num_ping_nodes, mine > theirs            msg_ping_nodes             you_are_dead
 *   num_ping_nodes, mine < theirs            msg_ping_nodes             delayed give-up of all
 *   num_ping_nodes, equal                    msg_ping_nodes             abort_giveup to them; cancel my delayed
 *                                                                       give-up, or (auto_failback, stable) give up foreign
 *   you_are_dead                             i_am_dead                  delayed give-up of all
 *   abort_giveup                             msg_abort_giveup           cancel my delayed give-up
 *   give-up timer (2 × keepalive)            giveup                     stable: ask_resources; else remember (need_standby)
 *   resource from the other, isstable=1,     msg_resources              a remembered give-up: ask again
 *     no info
 *
 * The delay exists for one race: when the ping node itself dies, both nodes declare it dead, up to one ping
 * interval apart; the first to notice is told "you_are_dead" by the other, which has not noticed yet. The
 * delay gives the other time to notice, ask, find the counts balanced and send abort_giveup.
 *
 * Faster here (`quick`), with the same messages, so that either side may be the real ipfail:
 * - The side that sees more checks, before it tells the other, that its ping nodes answer *now* (`probe`, one
 *   ICMP echo each, done by the edge): it always sends the plain you_are_dead at once (what the real one sends),
 *   and, when more of its ping nodes answered than the other counts, a second you_are_dead carrying
 *   `hbts_probed=<n>`. The ping node is then alive, only the other's path to it is not: no race to wait out, and
 *   our ipfail receiving that gives up at once. The real ipfail ignores the extra field (one more restart of
 *   its 2 s timer). A plain you_are_dead (from the real ipfail) gets the original delay.
 * - A balanced count with auto_failback gives the foreign groups back at once (no loss being detected, nothing
 *   to wait for), and not at all when getrsc says we hold none of them (the original sends a standby request
 *   that moves nothing).
 * - A give-up remembered while our resources were in transition is retried as soon as both sides report
 *   stable (the original sleeps 10 s).
 * - A give-up when getrsc says we hold nothing is skipped (the original's standby request would move nothing).
 * - When the other finds the counts balanced while it is still taking our groups over (its getrsc says
 *   transition), the original never gives them back; we ask once more at its next stable report.
 * Both modes also ask when a ping node's status turns dead (see 'node-status' below), not only when its link does.
 * `quick: false` otherwise reproduces the original's timing (tests pair one of each).
 */
import { assertNever } from '../core/assert-never.js';
import type { LogLevel } from '../core/log-level.js';

export const T_NUM_PING_NODES = 'num_ping_nodes';
export const T_YOU_ARE_DEAD = 'you_are_dead';
export const T_ABORT_GIVEUP = 'abort_giveup';
export const T_ASK_RESOURCES = 'ask_resources';
/** Our extension of you_are_dead: how many ping nodes answered the sender's probe just now. */
export const F_PROBED = 'hbts_probed';
/** heartbeat 3.0.6 ipfail.c msg_resources: the original sleeps this long before re-asking after a pending give-up. */
export const CLASSIC_RECHECK_MS = 10_000;

export type ResourceHold = 'none' | 'local' | 'foreign' | 'all' | 'transition';

/** What the edge reads from the daemon right before handing over an event (a fresh nodelist and getrsc). */
export interface Snapshot {
  /** Ping nodes whose status is `ping` (heartbeat 3.0.6 ping_node_status counts them). */
  readonly up: readonly string[];
  /** getrsc's rsc_hold; `transition` = not stable (is_stable). */
  readonly hold: ResourceHold;
}

export interface IpfailConfig {
  readonly localNode: string;
  /** The `normal` node that is not us (node_walk); undefined when ha.cf names none. */
  readonly otherNode: string | undefined;
  readonly autoFailback: boolean;
  /** From signon; the give-up delay is twice this (delay_giveup with -1). */
  readonly keepaliveMs: number;
  /** Event-driven timing (see above); false = the original's. */
  readonly quick: boolean;
}

export type IpfailEvent =
  | { readonly kind: 'client-status'; readonly node: string; readonly clientId: string; readonly status: string }
  | { readonly kind: 'resource'; readonly from: string | undefined; readonly isstable: string | undefined; readonly info: string | undefined }
  | { readonly kind: 'num-ping'; readonly numPing: string | undefined }
  | { readonly kind: 'you-are-dead'; readonly probed: string | undefined }
  | { readonly kind: 'abort-giveup' }
  | { readonly kind: 'node-status'; readonly node: string; readonly status: string }
  | { readonly kind: 'link-status'; readonly node: string; readonly link: string; readonly status: string }
  | { readonly kind: 'timer'; readonly name: TimerName }
  | { readonly kind: 'probe-result'; readonly id: number; readonly answered: readonly string[] | undefined };

export type TimerName = 'giveup' | 'recheck';
export type Fields = readonly (readonly [string, string])[];

export type IpfailAction =
  | { readonly kind: 'log'; readonly level: LogLevel; readonly text: string }
  /** sendnodemsg: to one node (the daemon adds dest). */
  | { readonly kind: 'send-node'; readonly to: string; readonly fields: Fields }
  /** sendclustermsg: to every node. */
  | { readonly kind: 'send-cluster'; readonly fields: Fields }
  /** (Re)arm a one-shot timer; the edge hands back { kind: 'timer', name } when it fires. */
  | { readonly kind: 'set-timer'; readonly name: TimerName; readonly afterMs: number }
  | { readonly kind: 'cancel-timer'; readonly name: TimerName }
  /** Send one ICMP echo to each node now; hand back probe-result (answered: undefined if probing is impossible). */
  | { readonly kind: 'probe'; readonly id: number; readonly nodes: readonly string[] };

type GiveupType = 'all' | 'foreign';

/** heartbeat 3.0.6 atoi() of num_ping: leading blanks, optional sign, digits; anything else 0. */
export function atoi(s: string | undefined): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s ?? '');
  if (m === null) return 0;
  const n = Number.parseInt(m[1] ?? '0', 10);
  return Number.isFinite(n) ? n : 0;
}

export class IpfailCore {
  /** delay_giveup_tag: the pending give-up (the tag is only for the log line). */
  private pending: { readonly type: GiveupType; readonly tag: number } | undefined;
  private tags = 0;
  private needStandby = false;
  private otherStable = false;
  private probes = 0;
  /**
   * quick: the other found the counts balanced (abort_giveup) while we lack our own groups; it gives them back only
   * if it was stable then, so we ask once more at its next stable report ('armed' → 'used'; a ping node's change
   * starts afresh).
   */
  private failbackRetry: 'armed' | 'used' | undefined;
  /** The count in our last num_ping_nodes (undefined: none sent yet). */
  private lastSent: number | undefined;
  private readonly probing = new Map<number, number>();
  private out: IpfailAction[] = [];

  constructor(readonly config: IpfailConfig) {}

  /** Whether a delayed give-up is pending (tests, status). */
  giveupPending(): GiveupType | undefined {
    return this.pending?.type;
  }

  handle(e: IpfailEvent, snap: Snapshot): IpfailAction[] {
    this.out = [];
    this.step(e, snap);
    return this.out;
  }

  private log(level: LogLevel, text: string): void {
    this.out.push({ kind: 'log', level, text });
  }

  private step(e: IpfailEvent, snap: Snapshot): void {
    const me = this.config.localNode;
    switch (e.kind) {
      case 'client-status':
        // heartbeat 3.0.6 msg_ipfail_join
        if (e.status === 'join' && e.clientId === 'ipfail' && e.node !== me) {
          this.log('debug', `Got join message from another ipfail client. (${e.node})`);
          this.ask(snap);
        }
        return;
      case 'resource':
        this.resource(e, snap);
        return;
      case 'num-ping':
        this.compare(atoi(e.numPing), snap);
        return;
      case 'you-are-dead': {
        // heartbeat 3.0.6 i_am_dead
        this.log('info', 'Giving up because we were told that we have less ping nodes.');
        const probed = atoi(e.probed);
        if (this.config.quick && e.probed !== undefined && probed > snap.up.length) {
          this.log('info', `The other node reached ${probed} ping node(s) just now, we count ${snap.up.length}: giving up now.`);
          this.cancelPending(false);
          this.giveup('all', snap);
        } else this.delayGiveup('all');
        return;
      }
      case 'abort-giveup':
        this.abortGiveup();
        if (this.config.quick && this.config.autoFailback && (snap.hold === 'none' || snap.hold === 'foreign') && this.failbackRetry === undefined) this.failbackRetry = 'armed';
        return;
      case 'node-status':
        // heartbeat 3.0.6 NodeStatus
        this.log('info', `Status update: Node ${e.node} now has status ${e.status}`);
        if (this.isPingNode(e.node)) this.failbackRetry = undefined;
        if (e.status === 'dead') {
          this.log('info', snap.up.length > 0 ? 'NS: We are still alive!' : 'NS: We are dead. :<');
          // Not in the original, which counts only when the ping node's link dies: Heartbeat 3.0.6 declares that
          // link dead after deadtime and the node after deadping, so with deadtime < deadping the link goes first,
          // the node still counts, and the loss is never compared. Asking here (once per new count) covers both orders.
          // (Only while it is still dead and the count is news: a second question in a row makes the real ipfail
          // abort the foreign give-up the first one started.)
          if (this.isPingNode(e.node) && !snap.up.includes(e.node) && snap.up.length !== this.lastSent) this.ask(snap);
        } else if (e.status === 'ping') {
          this.log('info', 'A ping node just came up.');
          this.ask(snap);
        }
        return;
      case 'link-status':
        // heartbeat 3.0.6 LinkStatus
        this.log('info', `Link Status update: Link ${e.node}/${e.link} now has status ${e.status}`);
        if (e.status === 'dead') {
          // A ping node's link whose count went out already with its node's death (above): no second question.
          if (!(this.isPingNode(e.node) && snap.up.length === this.lastSent)) this.ask(snap);
          this.log('info', snap.up.length > 0 ? 'Checking remote count of ping nodes.' : 'We are dead. :<');
        }
        return;
      case 'timer':
        if (e.name === 'giveup') {
          const p = this.pending;
          this.pending = undefined;
          if (p === undefined) return; // cancelled after the edge fired it
          this.log('info', 'giveup() called (timeout worked)');
          this.giveup(p.type, snap);
        } else this.recheck(snap);
        return;
      case 'probe-result':
        this.probed(e.id, e.answered, snap);
        return;
      default:
        assertNever(e, 'ipfail event');
    }
  }

  /** In a two-node cluster every node but us and the other is a ping node (or ping group). */
  private isPingNode(node: string): boolean {
    return node !== this.config.localNode && node !== this.config.otherNode;
  }

  /** heartbeat 3.0.6 ask_ping_nodes */
  private ask(snap: Snapshot): void {
    this.log('info', 'Asking other side for ping node count.');
    this.lastSent = snap.up.length;
    this.sendOther([['t', T_NUM_PING_NODES], ['src', this.config.localNode], ['num_ping', String(snap.up.length)]]);
  }

  private sendOther(fields: Fields): void {
    const to = this.config.otherNode;
    if (to === undefined) {
      this.log('err', `cannot send ${fields[0]?.[1] ?? 'a message'}: ha.cf names no other normal node`);
      return;
    }
    this.out.push({ kind: 'send-node', to, fields });
  }

  /** heartbeat 3.0.6 msg_ping_nodes */
  private compare(theirs: number, snap: Snapshot): void {
    const mine = snap.up.length;
    if (mine > theirs) {
      this.log('info', 'Telling other node that we have more visible ping nodes.');
      this.sendOther([['t', T_YOU_ARE_DEAD]]);
      if (this.config.quick && mine > 0) {
        const id = ++this.probes;
        this.probing.set(id, theirs);
        this.out.push({ kind: 'probe', id, nodes: [...snap.up] });
      }
    } else if (mine < theirs) {
      this.log('info', 'Giving up because we have less visible ping nodes.');
      this.delayGiveup('all');
    } else {
      this.log('info', 'Ping node count is balanced.');
      this.sendOther([['t', T_ABORT_GIVEUP], ['src', this.config.localNode]]);
      if (this.pending !== undefined) this.abortGiveup();
      else if (this.config.autoFailback && snap.hold !== 'transition') {
        this.log('info', 'Giving up foreign resources (auto_failback).');
        if (!this.config.quick) this.delayGiveup('foreign');
        else if (snap.hold === 'foreign' || snap.hold === 'all') this.giveup('foreign', snap);
        else this.log('debug', `We hold ${snap.hold} resources: no foreign ones to give up.`);
      }
    }
  }

  private probed(id: number, answered: readonly string[] | undefined, snap: Snapshot): void {
    const theirs = this.probing.get(id);
    if (theirs === undefined) return;
    this.probing.delete(id);
    if (answered === undefined) {
      this.log('debug', 'Cannot probe the ping nodes; the other node waits its usual delay.');
      return;
    }
    const n = answered.filter((a) => snap.up.includes(a)).length;
    if (n > theirs) {
      this.log('info', `${n} ping node(s) answered just now (the other node counts ${theirs}): telling it again, with that count.`);
      this.sendOther([['t', T_YOU_ARE_DEAD], [F_PROBED, String(n)]]);
    } else this.log('info', `Only ${n} ping node(s) answered just now (the other node counts ${theirs}); the other node waits its usual delay.`);
  }

  /** heartbeat 3.0.6 delay_giveup (mseconds -1: twice the keepalive) */
  private delayGiveup(type: GiveupType): void {
    const ms = this.config.keepaliveMs * 2;
    this.log('info', `Delayed giveup in ${Math.trunc(ms / 1000)} seconds.`);
    if (this.pending !== undefined) this.log('debug', 'Detected existing delay timer, overriding');
    this.pending = { type, tag: ++this.tags };
    this.out.push({ kind: 'set-timer', name: 'giveup', afterMs: ms });
  }

  /** heartbeat 3.0.6 abort_giveup */
  private abortGiveup(): void {
    if (this.pending !== undefined) this.cancelPending(true);
    else this.log('info', 'No giveup timer to abort.');
  }

  private cancelPending(say: boolean): void {
    if (this.pending === undefined) return;
    if (say) this.log('info', `Aborted delayed giveup (${this.pending.tag})`);
    this.pending = undefined;
    this.out.push({ kind: 'cancel-timer', name: 'giveup' });
  }

  /** heartbeat 3.0.6 giveup: hb_standby's request, or remember it until our resources are stable. */
  private giveup(type: GiveupType, snap: Snapshot): void {
    if (this.config.quick && snap.hold === 'none') {
      this.log('info', `We hold no resources: nothing to give up.`);
      this.needStandby = false;
      return;
    }
    if (snap.hold === 'transition') {
      this.needStandby = true;
      this.log('info', `Our resources are in transition: giving up ${type} resources once the other node reports stable.`);
      return;
    }
    this.out.push({ kind: 'send-cluster', fields: [['t', T_ASK_RESOURCES], ['rsc_hold', type], ['src', this.config.localNode], ['info', 'me']] });
    this.log('debug', `Message [${T_ASK_RESOURCES}] sent.`);
    this.needStandby = false;
  }

  /** heartbeat 3.0.6 msg_resources */
  private resource(e: Extract<IpfailEvent, { kind: 'resource' }>, snap: Snapshot): void {
    if (e.from === undefined || e.isstable === undefined) return;
    const fromOther = e.from === this.config.otherNode;
    if (fromOther && e.info === undefined && e.isstable === '1') {
      this.log('debug', 'Other side is now stable.');
      this.otherStable = true;
      if (this.failbackRetry === 'armed' && !this.needStandby) {
        this.failbackRetry = 'used';
        if (snap.hold === 'none' || snap.hold === 'foreign') {
          this.log('info', 'The other node is stable now and holds our resources: comparing counts again (auto_failback).');
          this.ask(snap);
        }
      }
      if (!this.needStandby) return;
      if (this.config.quick) this.recheck(snap);
      else this.out.push({ kind: 'set-timer', name: 'recheck', afterMs: CLASSIC_RECHECK_MS });
      return;
    }
    if (fromOther && e.isstable === '0') {
      this.log('debug', 'Other side is unstable.');
      this.otherStable = false;
      return;
    }
    // quick: our own stable report after the other's (a remembered give-up waits for both)
    if (this.config.quick && this.needStandby && this.otherStable && e.from === this.config.localNode && e.isstable === '1') this.recheck(snap);
  }

  /** After a remembered give-up: the original re-counts with the other side, which decides again. */
  private recheck(snap: Snapshot): void {
    if (!this.needStandby) return;
    if (this.config.quick && snap.hold === 'transition') return; // our own stable report will bring us back
    this.ask(snap);
    this.needStandby = false;
  }
}
