// The v1 resource protocol in legacy mode (`auto_failback legacy`, Heartbeat's default): groups go home by asking.
/*
 * heartbeat 3.0.6 hb_resource.c with nice_failback off, and the scripts it runs (spec §7.3, §7.6, §7.7):
 *   - comm-up: req_our_resources — for each of our home groups not held: when the peer is `active`, send
 *     `ip-request ipaddr=<key>` (req_resource); else ("all alone", HA_DONTASK) take it at once.
 *   - the peer's `ip-request`: rc.d/ip-request — give the group up if we hold it, then answer
 *     `ip-request-resp dest=<peer> ipaddr=<key> weown=yes|no ok=OK`.
 *   - `ip-request-resp` for us with ok=OK: rc.d/ip-request-resp — take the group.
 *   - the peer's `ip-request-resp` to itself with ok=OK (heartbeat-ts only; Heartbeat drops a message for
 *     another node): its req_resource thought it was alone (HA_DONTASK: at its comm-up it had not heard our
 *     status yet) and "pretends the current owner gave it up" — its rc.d/ip-request-resp takes the group now,
 *     asking nobody. A group of its that we hold or are acquiring is released (after the acquisition, if one
 *     runs), as for an ip-request but without an answer: it never runs on both nodes for longer than our stop.
 *   - the peer dies: `stonith` notice (unneeded only if it sent `shutdone` since it last started), then
 *     mach_down — take its groups — and our own missing ones. With a STONITH device and a reset needed, the
 *     takeover waits for a reset that worked (protocol.ts Fencing).
 *   - the peer's `shutdone`: take its groups at once (takeover_from_node).
 *   - shutdown: give up every group, held or not (hb_giveup_resources), then `shutdone`.
 *   - standby and hb_takeover: "Standby mode only implemented when nice_failback on".
 * Failback is therefore always automatic: a home node that comes back asks for its groups and gets them.
 * Heartbeat runs one resource child at a time and queues the rest; so do we (one job, then the next), which
 * is what keeps a group from running twice: a request for a group we are still acquiring is answered only
 * once the acquisition has finished, by releasing it.
 * The lines: req_our_resources's child writes `Local Resource acquisition completed.` (or `No local resources
 * [… listkeys <node>] to acquire.`) once it has asked for or taken each group; `Initial resource acquisition
 * complete (<child>)` comes once, when both the local work (the exit of a `req_our_resources` child that ran
 * alone, or of the `ip-request-resp` script) and the foreign work (no node dead at comm-up, or the `status`
 * script that ran mach_down) are done (hb_resource.c AnnounceTakeover, RscMgmtProcessDied); mach_down writes
 * `mach_down takeover complete for node <peer>.` after taking the peer's groups; hb_giveup_resources `Giving up
 * all HA resources.` and `All HA resources relinquished.` around the release at shutdown.
 * What we hold is what our own scripts reported (rc.d/ip-request asks `ResourceManager status <key>`; the
 * groups we started and have not stopped are the same set, without running a script per request).
 */
import { assertNever } from '../core/assert-never.js';
import type { ResourceAction, ResourceEngine, ResourceEvent } from './engine.js';
import { Fencing } from './fencing.js';

export interface LegacyOptions {
  readonly localNode: string;
  readonly peer: string;
  /** Group keys (first resource of each haresources line) whose home is this node, in haresources order. */
  readonly localKeys: readonly string[];
  /** Group keys whose home is the peer. */
  readonly foreignKeys: readonly string[];
  /** A STONITH device is configured: a dead peer that may hold groups is reset before they are taken. */
  readonly stonith?: boolean;
}

type Job =
  | { readonly kind: 'acquire'; readonly key: string; readonly reason: string }
  /**
   * rc.d/ip-request: give the group up if we hold it, then answer the peer (`reply`); without `reply`, the peer
   * has taken the group itself (its "all alone" grant) and is not answered.
   */
  | { readonly kind: 'answer'; readonly key: string; readonly peerEpoch: number; readonly reply: boolean }
  | { readonly kind: 'shutdown' }
  /** A line written (and the local or foreign start-up work marked done) once the jobs before it have finished. */
  | { readonly kind: 'note'; readonly text?: string; readonly done?: 'local' | 'foreign'; readonly announce?: string };

export class LegacyProtocol implements ResourceEngine {
  private started = false;
  private shuttingDown = false;
  private finished = false;
  private peerAlive = true;
  private heardFromPeer = false;
  /** heartbeat 3.0.6 node_info.has_resources: cleared by the peer's `shutdone`, set again when it restarts. */
  private peerHasResources = true;
  private readonly held = new Set<string>();
  /** Counts the peer's deaths and restarts: an answer is sent only to the incarnation that asked. */
  private peerEpoch = 0;
  private queue: Job[] = [];
  /** hb_resource.c local_takeover_work_done, foreign_takeover_work_done, init_takeover_announced. */
  private localDone = false;
  private foreignDone = false;
  private announced = false;
  private running: Job | undefined;
  private out: ResourceAction[] = [];
  private readonly fencing = new Fencing(
    (fields) => this.send(fields),
    (level, text) => this.log(level, text),
    (node) => this.out.push({ kind: 'fence', node }),
  );

  constructor(private readonly o: LegacyOptions) {}

  get status(): { readonly held: readonly string[]; readonly queued: number; readonly busy: boolean } {
    return { held: [...this.held], queued: this.queue.length, busy: this.running !== undefined };
  }

  /**
   * hb_rsc_resource_state in legacy mode: `transition` while a resource child runs, else what
   * i_hold_resources says — which 3.0.6 only maintains with nice_failback, so `none`. Reproduced as is:
   * scripts that read `cl_status rscstatus` see what they saw with Heartbeat.
   */
  heldNow(): { readonly stable: boolean; readonly held: readonly string[] } {
    return { stable: this.running === undefined && this.queue.length === 0 && !this.fencing.active && !this.shuttingDown, held: [...this.held] };
  }

  rscStatus(): string {
    return this.running !== undefined || this.queue.length > 0 || this.fencing.active ? 'transition' : 'none';
  }

  handle(event: ResourceEvent, nowMs: number): { readonly actions: readonly ResourceAction[]; readonly nextWakeAtMs: number } {
    this.out = [];
    switch (event.kind) {
      case 'comm-up':
        this.onCommUp(event.peerAlive, event.peerActive ?? event.peerAlive);
        break;
      case 'peer-message':
        this.onMessage(event.type, event.fields);
        break;
      case 'peer-dead':
        this.onPeerDead();
        break;
      case 'peer-restarted':
        this.fencing.cancel(`${this.o.peer} is alive again and restarted (it holds nothing)`);
        this.peerEpoch += 1;
        this.peerAlive = true;
        this.heardFromPeer = true;
        this.peerHasResources = true;
        break;
      case 'activity-done':
        this.onJobDone(event.ok);
        break;
      case 'fence-done':
        this.fencing.done(event.node, event.result, nowMs);
        break;
      case 'standby-request':
        this.log('info', 'Standby mode only implemented when nice_failback on');
        break;
      case 'shutdown-request':
        this.onShutdown();
        break;
      case 'tick':
        break;
      default:
        assertNever(event, 'resource event');
    }
    this.fencing.tick(nowMs);
    this.runNext();
    return { actions: this.out, nextWakeAtMs: this.fencing.nextWakeAtMs };
  }

  private onCommUp(peerAlive: boolean, peerActive: boolean): void {
    if (this.started) return;
    this.started = true;
    this.peerAlive = peerAlive;
    if (peerAlive) this.heardFromPeer = true;
    // comm_up_resource_action: no node dead, so no foreign groups to take.
    if (peerAlive) this.foreignDone = true;
    if (!peerAlive) {
      // The peer was declared dead before we were up: its groups are ours to run, as mach_down would do —
      // after a reset when a device is configured (never heard: it may hold anything).
      this.localLine();
      this.localDone = true; // req_our_resources ran alone
      if (this.o.stonith === true) this.fencing.begin(this.o.peer, 'was never heard before our start-up', () => this.takeOver(`${this.o.peer} is dead at start-up and was reset`));
      else {
        this.log('warn', 'No STONITH device configured.');
        this.log('warn', 'Shared disks are not protected.');
        this.takeOver(`${this.o.peer} is dead at start-up`);
      }
      return;
    }
    for (const key of this.o.localKeys) {
      if (this.held.has(key)) continue;
      if (peerActive) {
        this.log('info', `Requesting resource group ${key} from ${this.o.peer}`);
        this.send([['t', 'ip-request'], ['ipaddr', key]]);
      } else {
        this.enqueue({ kind: 'acquire', key, reason: `${this.o.peer} is not active: taking our own group` });
      }
    }
    this.localLine();
    // Alone (the peer not active yet), the child is `req_our_resources` and its exit announces; when it asked,
    // it is `req_our_resources(ask)` and the `ip-request-resp` script's exit does.
    if (!peerActive) {
      this.localDone = true;
      this.announce('req_our_resources');
    }
  }

  /** The last line of req_our_resources's child. */
  private localLine(): void {
    if (this.o.localKeys.length > 0) this.log('info', 'Local Resource acquisition completed.');
    else this.log('info', `No local resources [/usr/share/heartbeat/ResourceManager listkeys ${this.o.localNode}] to acquire.`);
  }

  /** hb_resource.c AnnounceTakeover: once, when the local and the foreign work are both done. */
  private announce(reason: string): void {
    if (this.announced || !this.localDone || !this.foreignDone) return;
    this.announced = true;
    this.log('info', `Initial resource acquisition complete (${reason})`);
  }

  private onMessage(type: string, f: ReadonlyMap<string, string>): void {
    // heartbeat 3.0.6 registers these handlers at its own comm-up; earlier messages are not acted on.
    if (!this.started) return;
    // A message of a peer declared dead is late: it comes from an incarnation whose requests are void.
    if (!this.peerAlive) return;
    this.heardFromPeer = true;
    switch (type) {
      case 'ip-request': {
        const key = f.get('ipaddr');
        if (key === undefined || key === '') {
          this.log('warn', `ip-request from ${this.o.peer} without ipaddr; ignored`);
          return;
        }
        this.enqueue({ kind: 'answer', key, peerEpoch: this.peerEpoch, reply: true });
        return;
      }
      case 'ip-request-resp': {
        const key = f.get('ipaddr');
        if (key === undefined || key === '') return;
        if (f.get('dest') === this.o.peer) {
          this.onPeerTakesItself(key, f.get('ok'));
          return;
        }
        if (f.get('dest') !== this.o.localNode) return; // rc.d/ip-request-resp: not ours
        this.log('info', `received ip-request-resp ${key} ${f.get('ok') ?? ''} ${f.get('weown') ?? ''}`);
        if (f.get('ok') !== 'OK' || this.shuttingDown) {
          this.localDone = true;
          this.announce('ip-request-resp');
          return;
        }
        this.enqueue({ kind: 'acquire', key, reason: `${this.o.peer} answered our request` });
        this.enqueue({ kind: 'note', done: 'local', announce: 'ip-request-resp' });
        return;
      }
      case 'shutdone':
        this.log('info', `Received shutdown notice from '${this.o.peer}'.`);
        this.peerHasResources = false;
        this.dropRequests('it is shutting down');
        this.takeOver(`${this.o.peer} is shutting down`);
        return;
      case 'ask_resources':
      case 'hb_takeover':
        // The peer's hb_standby/hb_takeover reach Heartbeat's ask_for_resources, which refuses in legacy mode.
        this.log('info', 'Standby mode only implemented when nice_failback on');
        return;
      default:
        return;
    }
  }

  /** The peer's `ip-request-resp` to itself: it takes the group now, whoever holds it (see the top of this file). */
  private onPeerTakesItself(key: string, ok: string | undefined): void {
    // Its rc.d/ip-request-resp takes the group only on OK; only its own groups are in its req_our_resources.
    if (ok !== 'OK' || !this.o.foreignKeys.includes(key) || this.shuttingDown) return;
    const queued = this.queue.some((j) => j.kind === 'acquire' && j.key === key);
    this.queue = this.queue.filter((j) => !(j.kind === 'acquire' && j.key === key));
    const acquiring = this.running?.kind === 'acquire' && this.running.key === key;
    if (!this.held.has(key) && !acquiring) {
      if (queued) this.log('info', `${this.o.peer} takes resource group ${key} itself; our acquisition of it is cancelled`);
      return;
    }
    this.log('warn', `${this.o.peer} takes resource group ${key} itself without asking (it found itself alone at start-up); releasing it here`);
    this.enqueue({ kind: 'answer', key, peerEpoch: this.peerEpoch, reply: false });
  }

  private onPeerDead(): void {
    this.peerEpoch += 1;
    this.peerAlive = false;
    this.dropRequests('it is dead');
    if (!this.started || this.shuttingDown) return;
    // hb_rsc_recover_dead_resources: STONITH is unneeded only for a peer known to hold nothing.
    const gaveUp = this.heardFromPeer && !this.peerHasResources;
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

  /** takeover_from_node: mach_down takes the peer's groups, then req_our_resources our own missing ones. */
  private takeOver(reason: string): void {
    if (this.shuttingDown) {
      this.log('info', 'Resource takeover cancelled - shutdown in progress.');
      return;
    }
    this.log('info', `Resources being acquired from ${this.o.peer}.`);
    // req_our_resources(TRUE), whose child writes its line as soon as it has looked at our own groups.
    if (this.o.localKeys.length === 0) this.localLine();
    // Every group: one held now may still be given up by a job queued before this one; the job skips a group
    // that is held when its turn comes.
    for (const key of this.o.foreignKeys) this.enqueue({ kind: 'acquire', key, reason });
    // The `status` script ran mach_down; its exit marks the foreign work done.
    this.enqueue({ kind: 'note', text: `mach_down takeover complete for node ${this.o.peer}.`, done: 'foreign', announce: 'status' });
    for (const key of this.o.localKeys) this.enqueue({ kind: 'acquire', key, reason });
    if (this.o.localKeys.length > 0) this.enqueue({ kind: 'note', text: 'Local Resource acquisition completed.' });
  }

  /** Requests of a peer that is dead or leaving are not answered: giving a group up to nobody leaves it unrun. */
  private dropRequests(why: string): void {
    const dropped = this.queue.filter((j) => j.kind === 'answer').length;
    this.queue = this.queue.filter((j) => j.kind !== 'answer');
    if (dropped > 0) this.log('info', `${dropped} pending request(s) of ${this.o.peer} dropped: ${why}`);
  }

  private onShutdown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.fencing.cancel('we are shutting down');
    // Acquisitions not begun are cancelled; requests of the peer before ours are still answered.
    this.queue = this.queue.filter((j) => j.kind !== 'acquire');
    this.queue.push({ kind: 'shutdown' });
  }

  /* ------------------------------------------------------------------ the one-at-a-time job queue */

  private enqueue(job: Job): void {
    if (this.finished) return;
    if (job.kind === 'acquire' && this.queue.some((j) => j.kind === 'acquire' && j.key === job.key)) return;
    this.queue.push(job);
  }

  private runNext(): void {
    while (this.running === undefined && !this.finished) {
      const job = this.queue.shift();
      if (job === undefined) return;
      switch (job.kind) {
        case 'acquire':
          if (this.held.has(job.key) || this.shuttingDown) continue;
          this.running = job;
          this.out.push({ kind: 'acquire-group', key: job.key, reason: job.reason });
          return;
        case 'answer':
          if (!this.held.has(job.key)) {
            if (job.reply) this.answer(job.key, false, job.peerEpoch);
            continue;
          }
          // A grant of an incarnation that has since restarted: its successor asks or grants itself anew.
          if (!job.reply && job.peerEpoch !== this.peerEpoch) continue;
          this.running = job;
          this.out.push({ kind: 'release-group', key: job.key, reason: job.reply ? `${this.o.peer} asks for it` : `${this.o.peer} takes it itself` });
          return;
        case 'shutdown':
          this.running = job;
          this.log('info', 'Giving up all HA resources.');
          this.out.push({ kind: 'release', set: 'all', reason: 'shutdown' });
          return;
        case 'note':
          if (this.shuttingDown && job.done !== undefined) continue;
          if (job.text !== undefined) this.log('info', job.text);
          if (job.done === 'local') this.localDone = true;
          if (job.done === 'foreign') this.foreignDone = true;
          if (job.announce !== undefined) this.announce(job.announce);
          continue;
        default:
          assertNever(job, 'legacy job');
      }
    }
  }

  private onJobDone(ok: boolean): void {
    const job = this.running;
    if (job === undefined) return;
    this.running = undefined;
    switch (job.kind) {
      case 'acquire':
        if (ok) this.held.add(job.key);
        else this.log('crit', `Giving up resources: acquiring group ${job.key} failed`);
        return;
      case 'answer':
        // A stop that finally failed leaves the group ours (its script still says it runs): say weown=yes
        // only when it is really released, so the peer does not start it twice.
        if (ok) {
          this.held.delete(job.key);
          if (job.reply) this.answer(job.key, true, job.peerEpoch);
        } else {
          this.log('crit', `Could not release group ${job.key} for ${this.o.peer}; it stays here`);
        }
        return;
      case 'shutdown':
        this.log('info', 'All HA resources relinquished.');
        this.held.clear();
        this.finished = true;
        this.queue = [];
        this.send([['t', 'shutdone'], ['st', 'dead']]);
        this.out.push({ kind: 'shutdown-complete' });
        return;
      case 'note':
        return; // never running: handled in runNext
      default:
        assertNever(job, 'legacy job');
    }
  }

  private answer(key: string, weOwned: boolean, askedInEpoch: number): void {
    // A request of an incarnation that has since died or restarted is not answered: its successor asks anew,
    // and a stale answer could make it start a group our takeover is about to start too.
    if (!this.peerAlive || askedInEpoch !== this.peerEpoch) return;
    this.send([['t', 'ip-request-resp'], ['dest', this.o.peer], ['ipaddr', key], ['weown', weOwned ? 'yes' : 'no'], ['ok', 'OK']]);
  }

  private send(fields: readonly (readonly [string, string])[]): void {
    this.out.push({ kind: 'send', fields });
  }

  private log(level: 'info' | 'warn' | 'err' | 'crit', text: string): void {
    this.out.push({ kind: 'log', level, text });
  }
}
