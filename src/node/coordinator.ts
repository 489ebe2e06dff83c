// The node coordinator: one step function over membership, the resource protocol, API delivery and rc.d.
//
// Every input the daemon receives becomes one NodeEvent; step(event, now) hands it to the cores it concerns
// and returns what to do (effects, plain data) and when to be woken next. No I/O, no timers, no awaits: the
// daemon (src/daemon/daemon.ts) owns the one queue and the one timer and turns effects into sockets, files
// and child processes. The two cores are mutable objects (Membership, ResourceEngine) that this coordinator
// owns; step() is the only way in, so their state moves only here.
//
//   event                        goes to                         then
//   ---------------------------  ------------------------------  ------------------------------------------
//   start frame ping-reply       membership                      its actions, below
//   loadavg send tick            membership (tick: resources     "
//                                too, when their wake-up is due)
//   resource (activity-done,     resource protocol               its actions, below
//     fence-done)
//   client-message               ask_resources info=me → standby-request; else send (text fields, no auth)
//   local-message (FIFO)         ask_resources info=me → standby-request; t=resource or no t: dropped;
//                                else send without the control fields (scripts cannot forge src or seq)
//   resources-ready              the resource events held until the start-up check, in order
//   restart-ready                a new resource protocol and a new membership (new generation), start
//   reconfigure / set-nodes      membership (timing and keys / the node set), tick
//   shutdown-request             resource protocol
//   monitor (check-done,         the service monitor (src/resources/monitor.ts), which also sees, after
//     restart-done, cleanup)     every step, which groups the resource protocol holds and whether it is stable
//
//   membership action            effects                                   resource event
//   ---------------------------  ----------------------------------------  -------------------------------
//   send                         send-frame, api-deliver                    -
//   log                          log                                        -
//   comm-up                      comm-up (API socket, STONITH check)        comm-up (peer alive/active)
//   node-status (peer)           rc-notify, api-deliver                     peer-dead / peer-restarted
//   link-status                  rc-notify, api-deliver                     -
//   deliver                      rc-notify, api-deliver; query-cstatus      peer-message (from the peer)
//                                answered with a send instead
//   overheard (the peer's         -                                         peer-message (from the peer)
//     ip-request-resp to itself)
//   peer-uuid                    write-hostcache                            -
//   restart                      release-for-restart (or at once)           the protocol is dropped
//
// Order, as the daemon had it: membership events (and the sends the resource protocol asks for) wait in a
// FIFO and are handled one after the other; resource events raised by a membership action are handled at
// once, before the next action. A step ends when the FIFO is empty, and only then is the next wake-up
// computed (the earlier of the two cores'), so no wake-up asked for during the step can be lost.
import type { Node as NodeConfig } from '../config/model.js';
import { assertNever } from '../core/assert-never.js';
import type { Membership } from '../membership/core.js';
import type { Action, MembershipEvent } from '../membership/types.js';
import type { LogLevel } from '../core/log-level.js';
import type { Now } from '../core/clock.js';
import { parseHoldSet, type FenceResult, type ResourceEngine, type ResourceEvent } from '../resources/protocol.js';
import type { Monitor, MonitorEvent } from '../resources/monitor.js';
import { heldGroups, monitorWork, refusedOffer } from './monitor-link.js';
import { deadNotice, linkNotice, type RcField, type RcLocalState, type RcSource } from '../resources/rc-notify.js';
import { getString, type Message } from '../wire/index.js';
import { clientStatusAnswer, deliveryFor } from './api-delivery.js';
import { ConfigAgreement, type PeerAgreement } from './config-agreement.js';
import { fieldOf, textFields } from './text-fields.js';
import type { CoordinatorOptions, Effect, NodeEvent, ReloadedMembership, StepOutput } from './types.js';

export type { CoordinatorOptions, Effect, NodeEvent, ReloadedMembership, ResourceOp, StepOutput } from './types.js';

/** The control-FIFO message `hbctl cleanup` writes (rsc=RESOURCE|all); handled here, never sent. */
export const CLEANUP_MESSAGE = 'hbts-cleanup';

/** Fields a local script may not set: the core adds them (spec §9.7). */
const CONTROL_FIELDS = new Set(['src', 'srcuuid', 'seq', 'hg', 'ts', 'ld', 'ttl', 'auth', 'destuuid']);

export class NodeCoordinator {
  private core: Membership;
  private rsc: ResourceEngine | undefined;
  /** Resource events that wait for the runner's start-up check, in arrival order; undefined once it ended. */
  private rscHeld: ResourceEvent[] | undefined;
  private memWakeAtMs = Number.POSITIVE_INFINITY;
  private monWakeAtMs = Number.POSITIVE_INFINITY;
  private rscWakeAtMs = Number.POSITIVE_INFINITY;
  private nodeList: readonly NodeConfig[];
  private reloaded: ReloadedMembership | undefined;
  private commUpSeen = false;
  private shuttingDown = false;
  /** Membership events waiting their turn within the step (the resource protocol's sends among them). */
  private readonly pending: MembershipEvent[] = [];
  private effects: Effect[] = [];
  private now: Now = { monoMs: 0, wallSec: 0 };
  private readonly agreement: ConfigAgreement | undefined;

  constructor(private readonly o: CoordinatorOptions) {
    this.nodeList = o.nodes;
    if (o.configFacts !== undefined) this.agreement = new ConfigAgreement(o.configFacts);
    this.core = o.createMembership(undefined);
    this.rsc = o.resources?.create();
    if (o.resources?.runner === true) this.rscHeld = [];
  }

  /** The membership core, for read-only queries (nodes, last heard, drop counts, own frames). */
  get membership(): Membership {
    return this.core;
  }

  /** The resource protocol, for read-only queries (rscstatus); undefined without one or while restarting. */
  get resources(): ResourceEngine | undefined {
    return this.rsc;
  }

  /** What rc.d notifications need of this node: HA_OSTATUS, and whether Heartbeat would queue the event now. */
  rcLocal(): RcLocalState {
    return { localStatus: this.core.status, commUp: this.commUpSeen, shuttingDown: this.shuttingDown };
  }

  /** Each peer's configuration verdict (`hbctl status`); empty when not compared. */
  configAgreement(): PeerAgreement[] {
    return this.agreement?.view() ?? [];
  }

  /** Whether a graceful stop has begun. */
  get isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  step(event: NodeEvent, now: Now): StepOutput {
    this.now = now;
    this.effects = [];
    switch (event.kind) {
      case 'start':
      case 'frame':
      case 'ping-reply':
      case 'send':
      case 'loadavg':
        this.pending.push(event);
        break;
      case 'tick':
        this.pending.push(event);
        if (now.monoMs >= this.rscWakeAtMs) this.resourceEvent({ kind: 'tick' });
        break;
      case 'resource':
        this.resourceEvent(event.event);
        break;
      case 'client-message':
        this.clientMessage(event.message);
        break;
      case 'local-message':
        this.localMessage(event.message);
        break;
      case 'resources-ready': {
        const held = this.rscHeld ?? [];
        this.rscHeld = undefined;
        // One after the other, each with the sends it asked for, as they arrived.
        for (const e of held) {
          this.resourceEvent(e);
          this.drain();
        }
        break;
      }
      case 'restart-ready':
        this.log('info', 'All HA resources relinquished.');
        this.restartNow();
        break;
      case 'reconfigure':
        this.reloaded = event.membership;
        this.core.reconfigure(event.membership);
        if (event.configFacts !== undefined && this.agreement !== undefined) {
          const { logs, changed } = this.agreement.setLocal(event.configFacts);
          for (const l of logs) this.log(l.level, l.text);
          for (const p of changed) this.emit({ kind: 'config-agreement', agreement: p });
        }
        this.pending.push({ kind: 'tick' });
        break;
      case 'set-nodes':
        this.nodeList = event.nodes;
        this.core.setNodes(event.nodes);
        break;
      case 'shutdown-request':
        this.shuttingDown = true;
        this.resourceEvent({ kind: 'shutdown-request' });
        break;
      case 'monitor':
        this.drain();
        this.monitorEvent(event.event);
        break;
      default:
        assertNever(event, 'node event');
    }
    this.drain();
    this.monitorEvent(undefined);
    this.drain();
    return { effects: this.effects, nextWakeAtMs: Math.min(this.memWakeAtMs, this.rscWakeAtMs, this.monWakeAtMs) };
  }

  /** The monitored resources (`hbctl status`, metrics); empty without a monitors file. */
  get monitor(): Monitor | undefined {
    return this.o.monitor;
  }

  /** One event for the monitor (undefined: only what the protocol holds now, after every step), and its work. */
  private monitorEvent(event: MonitorEvent | undefined): void {
    const m = this.o.monitor;
    if (m === undefined) return;
    const peer = this.o.resources?.peer;
    const p = peer === undefined ? undefined : this.core.nodes().find((n) => n.name === peer);
    const { held, stable } = heldGroups(this.rsc?.heldNow?.(), this.o.resources?.groups ?? [], this.shuttingDown);
    const observed = m.handle({ kind: 'observe', held, stable, peerAlive: p !== undefined && p.status !== 'dead' }, this.now.monoMs);
    const actions = [...observed.actions];
    this.monWakeAtMs = observed.nextWakeAtMs;
    if (event !== undefined) {
      const r = m.handle(event, this.now.monoMs);
      actions.push(...r.actions);
      this.monWakeAtMs = r.nextWakeAtMs;
    }
    for (const w of monitorWork(actions, this.o.resources?.runner === true, () => this.rcLocal())) {
      if (w.kind === 'log') this.log(w.level, w.text);
      else if (w.kind === 'effect') this.emit(w.effect);
      else if (w.kind === 'standby') this.resourceEvent({ kind: 'standby-request', set: w.set });
      else this.pending.push({ kind: 'send', fields: w.fields });
    }
  }

  /** The membership FIFO, to the end: every action of one event is performed before the next event. */
  private drain(): void {
    for (let e = this.pending.shift(); e !== undefined; e = this.pending.shift()) {
      const r = this.core.handle(e, this.now);
      for (const a of r.actions) this.perform(a);
      // A stopped core (restart) asks for nothing more; the new one asks at its start.
      this.memWakeAtMs = this.core.isStopped ? Number.POSITIVE_INFINITY : r.nextWakeAtMs;
    }
  }

  private emit(e: Effect): void {
    this.effects.push(e);
  }

  private log(level: LogLevel, text: string): void {
    this.emit({ kind: 'log', level, text });
  }

  private isPingNode(name: string): boolean {
    return this.nodeList.some((n) => n.name === name && n.type === 'ping');
  }

  private perform(a: Action): void {
    this.emit({ kind: 'observe', action: a });
    if (a.kind === 'comm-up') this.emit({ kind: 'comm-up' });
    this.notifyRc(a);
    this.deliverToClients(a);
    switch (a.kind) {
      case 'send':
        this.emit({ kind: 'send-frame', packet: a.packet, message: a.message, status: a.reason === 'status' });
        return;
      case 'log':
        this.log(a.level, a.text);
        return;
      case 'peer-uuid':
        this.emit({ kind: 'write-hostcache', entries: this.core.nodes().filter((n) => n.type === 'normal').map((n) => ({ name: n.name, uuid: n.uuid })) });
        return;
      case 'restart':
        // heartbeat 3.0.6 gives up its resources before restarting: the peer has declared us dead and taken
        // them over by now. Then a new generation, a new core, the same media: peers see "Heartbeat restart".
        // Its lines (cause_shutdown_restart → the shutdown path → restart_heartbeat), where we do the same thing.
        if (this.o.resources !== undefined) {
          this.rsc = undefined;
          this.rscWakeAtMs = Number.POSITIVE_INFINITY;
          if (this.o.resources.runner) {
            this.log('info', 'Giving up all HA resources.');
            this.emit({ kind: 'release-for-restart' });
            return;
          }
        }
        this.restartNow();
        return;
      case 'node-status':
      case 'comm-up':
      case 'deliver':
      case 'overheard':
        this.onMembershipForResources(a);
        return;
      case 'link-status':
        return;
      case 'peer-config':
        this.onPeerConfig(a.node, a.field);
        return;
    }
  }

  /** A peer announced other digests (or none): log what changed, once. */
  private onPeerConfig(node: string, field: string | undefined): void {
    if (this.agreement === undefined) return;
    const logs = this.agreement.observe(node, field);
    for (const l of logs) this.log(l.level, l.text);
    const now = this.agreement.view().find((p) => p.node === node);
    if (logs.length > 0 && now !== undefined) this.emit({ kind: 'config-agreement', agreement: now });
  }

  private restartNow(): void {
    this.log('info', 'Heartbeat restart triggered.');
    this.log('info', 'Restarting heartbeat.');
    if (this.o.resources !== undefined) this.rsc = this.o.resources.create();
    this.core = this.o.createMembership(this.reloaded);
    this.pending.push({ kind: 'start' });
  }

  /** rc.d sees what Heartbeat hands to notify_world: other nodes' status changes, link changes, messages. */
  private notifyRc(a: Action): void {
    if (a.kind === 'comm-up') this.commUpSeen = true;
    const notify = (source: RcSource, fields: readonly RcField[]): void => this.emit({ kind: 'rc-notify', source, fields, local: this.rcLocal() });
    if (a.kind === 'node-status' && a.node !== this.o.localNode) {
      const ping = this.core.nodes().find((v) => v.name === a.node)?.type === 'ping';
      // The peer's own status message is not kept by the core; its identifying fields are what rc.d scripts read.
      notify('status-change', a.status === 'dead' ? deadNotice(a.node, this.now.wallSec, ping) : [['t', 'status'], ['src', a.node], ['st', a.status]]);
    } else if (a.kind === 'link-status') notify('local-notice', linkNotice(a.node, a.medium, a.status));
    else if (a.kind === 'deliver') notify('message', textFields(a.message));
  }

  /**
   * heartbeat 3.0.6 api_heartbeat_monitor: what clients are offered for this action (api-delivery.ts), and
   * HBDoMsg_T_QCSTATUS: a peer's client asking whether one of ours is signed on.
   */
  private deliverToClients(a: Action): void {
    if (a.kind === 'deliver' && getString(a.message, 't') === 'query-cstatus') {
      const answer = clientStatusAnswer(a.message, a.node, (cn) => this.o.clientOnline(cn));
      if (answer !== undefined) this.pending.push({ kind: 'send', fields: answer });
      return;
    }
    const d = deliveryFor(a, { localNode: this.o.localNode, wallSec: this.now.wallSec, isPingNode: (name) => this.isPingNode(name) });
    if (d !== undefined) this.emit({ kind: 'api-deliver', message: d.message, treatment: d.treatment });
  }

  /** The resource protocol's view of membership: comm-up, the peer's death or restart, the peer's messages. */
  private onMembershipForResources(a: Action): void {
    const peer = this.o.resources?.peer;
    if (peer === undefined) return;
    if (a.kind === 'comm-up') {
      const p = this.core.nodes().find((n) => n.name === peer);
      this.resourceEvent({ kind: 'comm-up', peerAlive: p !== undefined && p.status !== 'dead', peerActive: p?.status === 'active' });
    } else if (a.kind === 'node-status' && a.node === peer) {
      if (a.status === 'dead') this.resourceEvent({ kind: 'peer-dead' });
      // Back from the dead, or active → init/up: a new generation, what it holds is unknown again.
      else if (a.previous === 'dead' || ((a.status === 'init' || a.status === 'up') && a.previous === 'active')) this.resourceEvent({ kind: 'peer-restarted' });
    } else if (a.kind === 'overheard' && a.node === peer) {
      // The peer's message to itself (membership/types.ts): for the resource protocol alone.
      const fields = new Map<string, string>();
      for (const [n, v] of textFields(a.message)) if (!fields.has(n)) fields.set(n, v);
      this.resourceEvent({ kind: 'peer-message', type: fields.get('t') ?? '', fields });
    } else if (a.kind === 'deliver' && a.node === peer) {
      const fields = new Map<string, string>();
      for (const [n, v] of textFields(a.message)) if (!fields.has(n)) fields.set(n, v);
      // A group marked failed here (issue 17) is not taken back through standby (auto_failback, or the peer
      // handing it back): the peer keeps it, or keeps restarting it. `hbctl cleanup` lifts the mark.
      const refused = refusedOffer(this.o.monitor, fields);
      if (refused !== undefined) {
        this.log('warn', `monitor: ${peer} offers resources [${fields.get('rsc_hold') ?? ''}]; refused: resource group ${refused} is marked failed on this node (hbctl cleanup ${refused})`);
        return;
      }
      this.resourceEvent({ kind: 'peer-message', type: fields.get('t') ?? '', fields });
    }
  }

  /**
   * A message from an API client or from the API server itself (hbapi-clstat, query-cstatus), for the cluster
   * (spec §9.5): the core adds the control fields (an existing `src` keeps its place, as ha_msg_mod keeps it),
   * a seq and the signature, sends it on every medium, and its loopback reaches our own clients. ipfail's
   * `ask_resources info=me` is our own standby request, as when hb_standby writes it into the FIFO.
   */
  private clientMessage(m: Message): void {
    const fields = textFields(m).filter(([n]) => n !== 'auth');
    if (fields.length !== m.fields.filter((f) => f.name !== 'auth').length) {
      this.log('debug', "api: a client message's non-text fields were left out (only text fields go to the cluster)");
    }
    if (fieldOf(fields, 't') === 'ask_resources' && fieldOf(fields, 'info') === 'me') {
      this.standbyRequest(fieldOf(fields, 'rsc_hold'));
      return;
    }
    this.pending.push({ kind: 'send', fields });
  }

  /**
   * A message written into the control FIFO by a local script or CLI (spec §9.7): `ask_resources info=me`
   * (hb_standby) starts our standby; anything else goes to the cluster as Heartbeat forwards it, with the
   * control fields added by the core (scripts cannot forge src or seq).
   */
  private localMessage(m: Message): void {
    const fields = textFields(m);
    const type = fieldOf(fields, 't') ?? '';
    if (type === 'ask_resources' && fieldOf(fields, 'info') === 'me') {
      this.standbyRequest(fieldOf(fields, 'rsc_hold'));
      return;
    }
    if (type === CLEANUP_MESSAGE) {
      // `hbctl cleanup [RESOURCE|all]` (issue 17): local only, never sent to the cluster.
      if (this.o.monitor === undefined) this.log('warn', 'cleanup ignored: no monitors file (nothing is monitored)');
      else this.monitorEvent({ kind: 'cleanup', resource: fieldOf(fields, 'rsc') ?? 'all' });
      return;
    }
    if (type === '' || type === 'resource') return; // our resource reports are ours to send (mach_down's is implied)
    this.pending.push({ kind: 'send', fields: fields.filter(([n]) => !CONTROL_FIELDS.has(n)) });
  }

  private standbyRequest(rscHold: string | undefined): void {
    const set = parseHoldSet(rscHold);
    if (this.rsc === undefined) this.log('warn', 'standby request ignored: this node manages no resources (not a two-node pair)');
    else if (set === undefined) this.log('warn', `standby request with a bad rsc_hold "${rscHold ?? ''}" ignored`);
    else this.resourceEvent({ kind: 'standby-request', set });
  }

  /** One event for the resource protocol, handled at once; the sends it asks for join the membership FIFO. */
  private resourceEvent(event: ResourceEvent): void {
    const rsc = this.rsc;
    if (rsc === undefined) return;
    if (this.rscHeld !== undefined) {
      if (event.kind !== 'tick') this.rscHeld.push(event);
      return;
    }
    const r = rsc.handle(event, this.now.monoMs);
    for (const a of r.actions) {
      switch (a.kind) {
        case 'send':
          this.pending.push({ kind: 'send', fields: a.fields });
          break;
        case 'log':
          this.log(a.level, a.text);
          break;
        case 'acquire':
        case 'release':
          this.log('info', `${a.kind === 'acquire' ? 'Acquiring' : 'Releasing'} ${a.set} resources (${a.reason})`);
          if (this.o.resources?.runner !== true || a.set === 'none') this.emit({ kind: 'defer', event: { kind: 'resource', event: { kind: 'activity-done', ok: true } } });
          else this.emit({ kind: 'resource-op', op: a.kind, set: a.set });
          break;
        case 'acquire-group':
        case 'release-group':
          this.log('info', `${a.kind === 'acquire-group' ? 'Acquiring' : 'Releasing'} resource group ${a.key} (${a.reason})`);
          if (this.o.resources?.runner !== true) this.emit({ kind: 'defer', event: { kind: 'resource', event: { kind: 'activity-done', ok: true } } });
          else this.emit({ kind: 'resource-op', op: a.kind, key: a.key });
          break;
        case 'fence':
          if (this.o.stonith === true) this.emit({ kind: 'fence', node: a.node });
          else this.emit({ kind: 'defer', event: { kind: 'resource', event: { kind: 'fence-done', node: a.node, result: 'bad' satisfies FenceResult } } });
          break;
        case 'shutdown-complete':
          this.emit({ kind: 'shutdown-complete' });
          break;
        default:
          assertNever(a, 'resource action');
      }
    }
    this.rscWakeAtMs = r.nextWakeAtMs;
  }
}
