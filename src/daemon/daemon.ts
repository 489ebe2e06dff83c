// The running node: turns the membership core's actions into frames on the media, log lines and timers.
//
// Every input (a frame from a medium, the core's timer, a signal) is handled by dispatch() one at a time, on
// the one Node.js event loop: the core never awaits, media never call back re-entrantly, so this is the
// single event queue of STYLE.md §3. Nothing on this path blocks: log writes go through streams, the load
// average is read asynchronously, and state files are written only at (re)start.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { ClusterConfig } from '../config/model.js';
import type { MediumAdapter } from '../media/medium.js';
import { Membership, type NodeView } from '../membership/core.js';
import type { Action, MembershipEvent } from '../membership/types.js';
import { parseHoldSet, type FenceResult, type ResourceAction, type ResourceEngine, type ResourceEvent } from '../resources/protocol.js';
import { getString, type Message } from '../wire/index.js';
import type { ResourceRunner } from './resource-runner.js';
import { RcNotifier, type RcNotifierOptions } from './rc-notifier.js';
import { ApiServer } from '../api/server.js';
import { PeerCredentialReader } from '../api/peer-credentials.js';
import { checkApiAuth, loadApiAuth } from './api-auth.js';
import { daemonApiView } from './api-view.js';
import { clientStatusAnswer, deliveryFor } from './api-delivery.js';
import type { ClientChildren } from './client-children.js';
import { deadNotice, linkNotice, type RcField, type RcLocalState } from '../resources/rc-notify.js';
import type { Logger } from '../logging/logger.js';
import type { MetricsSnapshot } from './metrics.js';
import { formatHostcache, loadOrCreateUuid, nextGeneration, readHostcache, writeHostcache } from './state-files.js';

export interface DaemonOptions {
  readonly config: ClusterConfig;
  readonly stateDir: string;
  readonly media: readonly MediumAdapter[];
  readonly logger: Logger;
  /** Monotonic milliseconds (injected for tests). */
  readonly monoMs?: () => number;
  /** Wall-clock seconds, for the wire `ts` field only. */
  readonly wallSec?: () => number;
  /** How often a medium that failed to open is retried (default 5 s). */
  readonly mediumRetryMs?: number;
  /** The resource layer of a two-node pair: the protocol (nice_failback or legacy), the runner, and the one peer. */
  readonly resources?: { readonly create: () => ResourceEngine; readonly runner: ResourceRunner | undefined; readonly peer: string };
  /** rc.d notifications through `<config-dir>/harc` (spec §7.3); the daemon supplies its own state. */
  readonly notifications?: Omit<RcNotifierOptions, 'local'>;
  /** The client API socket (Heartbeat's `<run-dir>/register`), opened at comm-up as Heartbeat opens it. */
  readonly api?: { readonly path: string };
  /** ha.cf `respawn`/`failfast` children: started once the API socket is open, stopped after `shutdone`. */
  readonly children?: ClientChildren;
  /** Called with every action the core produced (tests, status reporting, metrics). */
  readonly onAction?: (a: Action) => void;
  /** Called with the medium of every frame received from another node (metrics). */
  readonly onFrame?: (medium: string) => void;
  /** ha.cf `watchdog`: tickled on every status we send (watchdog.ts). */
  readonly watchdog?: { tickle(): void };
  /** ha.cf `stonith`/`stonith_host`: resets a dead peer before its groups are taken (stonith.ts). */
  readonly stonith?: { reset(node: string): Promise<FenceResult>; checkStatus(): Promise<boolean> };
}

/** heartbeat 3.0.6 checks the STONITH device at comm-up and then every hour (StonithStatProcessDied). */
const STONITH_STATUS_INTERVAL_MS = 3600_000;

/** What a reload changes in the running membership (Membership.reconfigure). */
export type ReloadedMembership = Parameters<Membership['reconfigure']>[0];

const LOADAVG_INTERVAL_MS = 5000;
/** heartbeat 3.0.6 keeps heart-beating about 2 s after its `shutdone`. */
const SHUTDONE_LINGER_MS = 2000;

export class Daemon {
  private core: Membership;
  private timer: NodeJS.Timeout | undefined;
  private loadavgTimer: NodeJS.Timeout | undefined;
  private readonly monoMs: () => number;
  private readonly wallSec: () => number;
  private closed = false;
  private hostcacheWrite: Promise<void> = Promise.resolve();
  readonly sentFrames = { total: 0 };

  constructor(private o: DaemonOptions) {
    this.monoMs = o.monoMs ?? (() => Math.floor(performance.now()));
    this.wallSec = o.wallSec ?? (() => Math.floor(Date.now() / 1000));
    this.core = this.newCore();
    this.rsc = o.resources?.create();
    if (o.notifications !== undefined) this.notifier = new RcNotifier({ ...o.notifications, local: () => this.rcLocal() });
  }

  private readonly notifier: RcNotifier | undefined;
  private commUpSeen = false;
  private shuttingDown = false;

  /** What rc.d notifications need of this node: HA_OSTATUS, and whether Heartbeat would queue the event now. */
  private rcLocal(): RcLocalState {
    return { localStatus: this.core.status, commUp: this.commUpSeen, shuttingDown: this.shuttingDown };
  }

  /** rc.d sees what Heartbeat hands to notify_world: other nodes' status changes, link changes, messages. */
  private api: ApiServer | undefined;
  private readonly startedWallMs = Date.now();
  private apiOpening: Promise<void> | undefined;

  /** The present state for the metrics endpoint: nodes, links, last-heard ages, drop counts. */
  metricsSnapshot(): MetricsSnapshot {
    const now = this.monoMs();
    const heard = this.core.lastHeard();
    const [self, ...peers] = this.core.nodes();
    return {
      localNode: self?.name ?? this.o.config.localNode,
      localStatus: self?.status ?? 'init',
      nodes: peers.map((n) => {
        const h = heard.get(n.name);
        const last = Math.max(h?.statusMs ?? Number.NEGATIVE_INFINITY, ...(h?.links.values() ?? []));
        return {
          name: n.name,
          type: n.type,
          status: n.status,
          lastHeardAgeMs: Number.isFinite(last) ? Math.max(0, now - last) : undefined,
          links: [...n.links].map(([medium, status]) => ({ medium, status })),
        };
      }),
      drops: this.core.dropCounts(),
    };
  }

  /** heartbeat 3.0.6 creates the API socket at comm-up; cl_status and API clients connect from then on. */
  private openApi(): void {
    const o = this.o.api;
    if (o === undefined || this.apiOpening !== undefined) return;
    const view = daemonApiView({
      config: this.o.config,
      nodes: () => this.core.nodes(),
      openMedia: () => new Set([...this.openMedia].map((m) => m.name)),
      resourceState: () => this.rsc?.rscStatus(),
      // hbctl status (reqtype hbts-status): last-heard times, generation, who holds which group.
      extended: {
        monoMs: () => this.monoMs(),
        wallMs: () => Date.now(),
        startedWallMs: this.startedWallMs,
        lastHeard: () => this.core.lastHeard(),
        peerHolds: () => {
          const st = (this.rsc as { readonly status?: { readonly peerHolds?: unknown } } | undefined)?.status;
          return typeof st?.peerHolds === 'string' ? st.peerHolds : undefined;
        },
      },
    });
    // apiauth and SO_PEERCRED, as Heartbeat checks them (api-auth.ts; threat model: api/peer-credentials.ts).
    const policy = loadApiAuth(this.o.config.apiAuth);
    for (const p of policy.problems) this.o.logger.log('err', p);
    this.o.logger.log('debug', `apiauth: ${[...policy.rules.values()].map((r) => `${r.client} ${r.text}`).join('; ')}`);
    const credentials = new PeerCredentialReader();
    this.apiOpening = ApiServer.listen({
      path: o.path,
      view,
      log: (level, text) => this.o.logger.log(level, text),
      onClusterSend: (m) => this.clientMessage(m),
      peerCredentials: (socket) => credentials.read(socket),
      authorize: (client) => {
        const v = checkApiAuth(policy, client);
        if (v.allowed) return undefined;
        this.o.logger.log('info', v.detail);
        return v.reason;
      },
    })
      .then(async (server) => {
        if (this.closed) {
          await server.close();
          return;
        }
        this.api = server;
        this.o.logger.log('info', `API socket ${o.path} open`);
        // heartbeat 3.0.6 comm_now_up: the registration socket first, then "Start each of our known child clients".
        if (!this.shuttingDown) this.o.children?.start();
      })
      .catch((e: unknown) => this.o.logger.log('err', `cannot open the API socket ${o.path}: ${(e as Error).message}; cl_status and API clients cannot connect, and client children are not started`));
  }

  /**
   * heartbeat 3.0.6 api_heartbeat_monitor: what clients are offered for this action (api-delivery.ts), and
   * HBDoMsg_T_QCSTATUS: a peer's client asking whether one of ours is signed on.
   */
  private deliverToClients(a: Action): void {
    if (a.kind === 'deliver' && getString(a.message, 't') === 'query-cstatus') {
      const answer = clientStatusAnswer(a.message, a.node, (cn) => this.api?.clients().some((c) => c.clientId === cn) ?? false);
      if (answer !== undefined) this.dispatch({ kind: 'send', fields: answer });
      return;
    }
    const api = this.api;
    if (api === undefined) return;
    const d = deliveryFor(a, {
      localNode: this.o.config.localNode,
      wallSec: this.wallSec(),
      isPingNode: (name) => this.o.config.nodes.some((n) => n.name === name && n.type === 'ping'),
    });
    if (d !== undefined) api.deliver(d.message, d.treatment);
  }

  /**
   * A message from an API client or from the API server itself (hbapi-clstat, query-cstatus), for the cluster
   * (spec §9.5): the core adds the control fields (an existing `src` keeps its place, as ha_msg_mod keeps it),
   * a seq and the signature, sends it on every medium, and its loopback reaches our own clients. ipfail's
   * `ask_resources info=me` is our own standby request, as when hb_standby writes it into the FIFO.
   */
  private clientMessage(m: Message): void {
    const fields: [string, string][] = [];
    for (const f of m.fields) {
      if (f.type === 0 && f.name !== 'auth') fields.push([f.name, Buffer.from(f.value).toString('latin1')]);
    }
    if (fields.length !== m.fields.filter((f) => f.name !== 'auth').length) {
      this.o.logger.log('debug', 'api: a client message\'s non-text fields were left out (only text fields go to the cluster)');
    }
    const get = (k: string): string | undefined => fields.find(([n]) => n === k)?.[1];
    if (get('t') === 'ask_resources' && get('info') === 'me') {
      this.standbyRequest(get('rsc_hold'));
      return;
    }
    this.dispatch({ kind: 'send', fields });
  }

  private standbyRequest(rscHold: string | undefined): void {
    const set = parseHoldSet(rscHold);
    if (this.rsc === undefined) this.o.logger.log('warn', 'standby request ignored: this node manages no resources (not a two-node pair)');
    else if (set === undefined) this.o.logger.log('warn', `standby request with a bad rsc_hold "${rscHold ?? ''}" ignored`);
    else this.rscDispatch({ kind: 'standby-request', set });
  }

  private notifyRc(a: Action): void {
    const n = this.notifier;
    if (n === undefined) return;
    if (a.kind === 'comm-up') this.commUpSeen = true;
    else if (a.kind === 'node-status' && a.node !== this.o.config.localNode) {
      const ping = this.core.nodes().find((v) => v.name === a.node)?.type === 'ping';
      // The peer's own status message is not kept by the core; its identifying fields are what rc.d scripts read.
      const fields: RcField[] = a.status === 'dead' ? deadNotice(a.node, this.wallSec(), ping) : [['t', 'status'], ['src', a.node], ['st', a.status]];
      n.notify('status-change', fields);
    } else if (a.kind === 'link-status') n.notify('local-notice', linkNotice(a.node, a.medium, a.status));
    else if (a.kind === 'deliver') {
      const fields: RcField[] = [];
      for (const f of a.message.fields) if (f.type === 0) fields.push([f.name, Buffer.from(f.value).toString('latin1')]);
      n.notify('message', fields);
    }
  }

  private newCore(): Membership {
    const c = this.o.config;
    const generation = nextGeneration(this.o.stateDir, c.hbGenMethod);
    const uuid = loadOrCreateUuid(this.o.stateDir, c.uuidFrom, c.localNode);
    return new Membership({
      localNode: c.localNode,
      nodes: c.nodes,
      keepaliveMs: c.keepaliveMs,
      deadtimeMs: c.deadtimeMs,
      warntimeMs: c.warntimeMs,
      initdeadMs: c.initdeadMs,
      deadpingMs: c.deadpingMs,
      hopfudge: c.hopfudge,
      maxRexmitDelayMs: c.maxRexmitDelayMs,
      keys: c.authKeys,
      generation,
      uuid,
      knownUuids: readHostcache(this.o.stateDir),
      seed: crypto.randomInt(1, 2 ** 31),
      ...this.reloaded,
    });
  }

  /** Timing values and keys applied by a reload (SIGHUP): a later self-restart keeps them. */
  private reloaded: ReloadedMembership | undefined;

  /** SIGHUP (reload.ts): new timing values and keys, applied to the running membership; resources untouched. */
  reconfigure(t: ReloadedMembership): void {
    this.reloaded = t;
    this.core.reconfigure(t);
    this.dispatch({ kind: 'tick' });
  }

  /**
   * SIGHUP with a changed node or media set (reload.ts): the config the daemon reads from now on; new peers
   * join the running membership, removed ones are forgotten; the old media close and the new ones open. The
   * generation, the peers' state and the held resources are kept (no restart is seen by the peers).
   */
  async replaceMembers(config: ClusterConfig, media: readonly MediumAdapter[] | undefined): Promise<void> {
    this.o = { ...this.o, config };
    this.core.setNodes(config.nodes);
    if (media !== undefined) {
      for (const t of this.retryTimers) clearTimeout(t);
      this.retryTimers.clear();
      const old = [...this.openMedia];
      this.openMedia.clear();
      await Promise.all(old.map((m) => m.close()));
      this.o = { ...this.o, media };
      for (const m of media) await this.openMedium(m, true);
    }
    this.dispatch({ kind: 'tick' });
  }

  /**
   * Opens the media, then starts heart-beating. A medium that cannot open yet (its interface is down or has
   * no address at boot) is reported and retried in the background while the others carry the heartbeat;
   * the configuration check has already refused media that cannot exist (no such interface or device).
   */
  async start(): Promise<void> {
    for (const m of this.o.media) await this.openMedium(m, true);
    // A previous daemon's operations still running are waited for, and what they left running is released
    // (resource-runner.ts), before the resource layer sees any event: until then we say nothing about
    // resources, so the peer does not start a group we may still be stopping. Events wait, in order.
    const runner = this.o.resources?.runner;
    if (runner !== undefined) {
      this.rscHeld = [];
      const flush = (): void => {
        const held = this.rscHeld ?? [];
        this.rscHeld = undefined;
        for (const e of held) this.rscDispatch(e);
      };
      void runner.cleanStart().then(flush, flush);
    }
    this.readLoadavg();
    this.dispatch({ kind: 'start' });
  }

  private readonly openMedia = new Set<MediumAdapter>();
  private readonly retryTimers = new Set<NodeJS.Timeout>();

  private async openMedium(m: MediumAdapter, first: boolean): Promise<void> {
    try {
      await m.start({
        // Our own looped-back broadcasts change nothing in the core (it drops them first): not even dispatched.
        frame: (bytes) => {
          if (this.core.isOwnFrame(bytes)) return;
          this.o.onFrame?.(m.name);
          this.dispatch({ kind: 'frame', medium: m.name, bytes });
        },
        problem: (text) => this.o.logger.log('err', text), // media prefix their own kind and name
      });
    } catch (e) {
      if (this.closed) return;
      if (first) this.o.logger.log('err', `${(e as Error).message}; retrying every ${this.retryMs / 1000} s, the other media carry on`);
      const t = setTimeout(() => {
        this.retryTimers.delete(t);
        void this.openMedium(m, false);
      }, this.retryMs);
      this.retryTimers.add(t);
      return;
    }
    if (this.closed) {
      await m.close();
      return;
    }
    this.openMedia.add(m);
    this.o.logger.log('info', startedLine(m, this.o.config.udpPort));
  }

  private get retryMs(): number {
    return this.o.mediumRetryMs ?? 5000;
  }

  /** A ping node (or a member of a ping group) answered. */
  pingReply(node: string): void {
    this.dispatch({ kind: 'ping-reply', node });
  }

  nodes(): NodeView[] {
    return this.core.nodes();
  }

  private readonly queue: MembershipEvent[] = [];
  private draining = false;

  /** The one event queue: events raised while one is handled (e.g. by the resource layer) wait their turn. */
  private dispatch(event: MembershipEvent): void {
    if (this.closed) return;
    this.queue.push(event);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let e = this.queue.shift(); e !== undefined; e = this.queue.shift()) {
        const now = { monoMs: this.monoMs(), wallSec: this.wallSec() };
        const r = this.core.handle(e, now);
        for (const a of r.actions) this.perform(a);
        if (!this.core.isStopped) this.arm(r.nextWakeAtMs);
      }
    } finally {
      this.draining = false;
    }
  }

  /* ------------------------------------------------------------------ resources */

  private rsc: ResourceEngine | undefined;
  /** Resource events that wait for the runner's start-up check (cleanStart), in arrival order. */
  private rscHeld: ResourceEvent[] | undefined;
  private rscTimer: NodeJS.Timeout | undefined;
  private shutdownDone: (() => void) | undefined;

  private rscDispatch(event: ResourceEvent): void {
    const rsc = this.rsc;
    if (rsc === undefined || this.closed) return;
    if (this.rscHeld !== undefined) {
      if (event.kind !== 'tick') this.rscHeld.push(event);
      return;
    }
    const r = rsc.handle(event, this.monoMs());
    for (const a of r.actions) this.performResource(a);
    if (this.rscTimer !== undefined) clearTimeout(this.rscTimer);
    this.rscTimer = undefined;
    if (Number.isFinite(r.nextWakeAtMs)) {
      this.rscTimer = setTimeout(() => this.rscDispatch({ kind: 'tick' }), Math.max(0, r.nextWakeAtMs - this.monoMs()));
    }
  }

  private performResource(a: ResourceAction): void {
    const runner = this.o.resources?.runner;
    switch (a.kind) {
      case 'send':
        this.dispatch({ kind: 'send', fields: a.fields });
        return;
      case 'log':
        this.o.logger.log(a.level, a.text);
        return;
      case 'acquire':
      case 'release': {
        this.o.logger.log('info', `${a.kind === 'acquire' ? 'Acquiring' : 'Releasing'} ${a.set} resources (${a.reason})`);
        if (runner === undefined || a.set === 'none') {
          setImmediate(() => this.rscDispatch({ kind: 'activity-done', ok: true }));
          return;
        }
        const homes = a.set;
        void (a.kind === 'acquire' ? runner.acquire(homes) : runner.release(homes)).then((ok) => this.rscDispatch({ kind: 'activity-done', ok }));
        return;
      }
      case 'acquire-group':
      case 'release-group': {
        this.o.logger.log('info', `${a.kind === 'acquire-group' ? 'Acquiring' : 'Releasing'} resource group ${a.key} (${a.reason})`);
        if (runner === undefined) {
          setImmediate(() => this.rscDispatch({ kind: 'activity-done', ok: true }));
          return;
        }
        void (a.kind === 'acquire-group' ? runner.acquireGroup(a.key) : runner.releaseGroup(a.key)).then((ok) => this.rscDispatch({ kind: 'activity-done', ok }));
        return;
      }
      case 'shutdown-complete':
        this.shutdownDone?.();
        return;
      case 'fence': {
        const stonith = this.o.stonith;
        const done = (result: FenceResult): void => this.rscDispatch({ kind: 'fence-done', node: a.node, result });
        if (stonith === undefined) setImmediate(() => done('bad'));
        else void stonith.reset(a.node).then(done);
        return;
      }
    }
  }

  private stonithTimer: NodeJS.Timeout | undefined;

  private checkStonith(): void {
    const stonith = this.o.stonith;
    if (stonith === undefined || this.closed) return;
    void stonith.checkStatus().then(() => {
      if (this.closed) return;
      this.stonithTimer = setTimeout(() => this.checkStonith(), STONITH_STATUS_INTERVAL_MS);
      this.stonithTimer.unref();
    });
  }

  private onMembershipForResources(a: Action): void {
    const peer = this.o.resources?.peer;
    if (peer === undefined) return;
    if (a.kind === 'comm-up') {
      const p = this.core.nodes().find((n) => n.name === peer);
      this.rscDispatch({ kind: 'comm-up', peerAlive: p !== undefined && p.status !== 'dead', peerActive: p?.status === 'active' });
    } else if (a.kind === 'node-status' && a.node === peer) {
      if (a.status === 'dead') this.rscDispatch({ kind: 'peer-dead' });
      else if (a.previous === 'dead' || ((a.status === 'init' || a.status === 'up') && a.previous === 'active')) this.rscDispatch({ kind: 'peer-restarted' });
    } else if (a.kind === 'deliver' && a.node === peer) {
      const fields = new Map<string, string>();
      for (const f of a.message.fields) if (f.type === 0 && !fields.has(f.name)) fields.set(f.name, Buffer.from(f.value).toString('latin1'));
      this.rscDispatch({ kind: 'peer-message', type: fields.get('t') ?? '', fields });
    }
  }

  /**
   * A message written into the control FIFO by a local script or CLI (spec §9.7): `ask_resources info=me`
   * (hb_standby) starts our standby; anything else goes to the cluster as Heartbeat forwards it, with the
   * control fields added by the core (scripts cannot forge src or seq).
   */
  localMessage(m: Message): void {
    const fields: [string, string][] = [];
    for (const f of m.fields) if (f.type === 0) fields.push([f.name, Buffer.from(f.value).toString('latin1')]);
    const get = (k: string): string | undefined => fields.find(([n]) => n === k)?.[1];
    const type = get('t') ?? '';
    if (type === 'ask_resources' && get('info') === 'me') {
      this.standbyRequest(get('rsc_hold'));
      return;
    }
    if (type === '' || type === 'resource') return; // our resource reports are ours to send (mach_down's is implied)
    const control = new Set(['src', 'srcuuid', 'seq', 'hg', 'ts', 'ld', 'ttl', 'auth', 'destuuid']);
    this.dispatch({ kind: 'send', fields: fields.filter(([n]) => !control.has(n)) });
  }

  /**
   * Graceful stop (heartbeat 3.0.6 hb_initiate_shutdown): release every group, send `shutdone`, keep
   * heart-beating ~2 s so the peer takes over at once, then close. Bounded by `maxMs`.
   */
  async shutdown(maxMs = 120_000): Promise<void> {
    if (this.closed) return;
    // A child that dies from now on is not respawned (heartbeat 3.0.6: shutdown_in_progress).
    this.o.children?.beginShutdown();
    if (this.o.resources === undefined) {
      await this.o.children?.stopAll();
      return;
    }
    this.shuttingDown = true;
    const done = new Promise<void>((resolve) => (this.shutdownDone = resolve));
    this.rscDispatch({ kind: 'shutdown-request' });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, maxMs)))]);
    clearTimeout(timer);
    // heartbeat 3.0.6 hb_mcp_final_shutdown phase 0, on our own shutdone: the client children, last first;
    // they stop while we keep heart-beating.
    const doneAtMs = this.monoMs();
    await this.o.children?.stopAll();
    await new Promise((r) => setTimeout(r, Math.max(0, SHUTDONE_LINGER_MS - (this.monoMs() - doneAtMs))));
  }

  private timerAtMs = Number.POSITIVE_INFINITY;

  /**
   * Keeps one timer at the core's next wake-up. Most events (a peer's status) only move deadlines later, so
   * an armed timer that is not later than the new wake-up is kept: if it fires early, the tick is harmless
   * and re-arms. This saves a clearTimeout/setTimeout pair per received frame.
   */
  private arm(atMs: number): void {
    if (!Number.isFinite(atMs)) return;
    if (this.timer !== undefined && this.timerAtMs <= atMs) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAtMs = atMs;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.timerAtMs = Number.POSITIVE_INFINITY;
      this.dispatch({ kind: 'tick' });
    }, Math.max(0, atMs - this.monoMs()));
  }

  private perform(a: Action): void {
    this.o.onAction?.(a);
    if (a.kind === 'comm-up') {
      this.openApi();
      this.checkStonith();
    }
    this.notifyRc(a);
    this.deliverToClients(a);
    switch (a.kind) {
      case 'send':
        this.sentFrames.total += 1;
        // heartbeat 3.0.6 tickles when its own status comes back to it, one per keepalive.
        if (a.reason === 'status') this.o.watchdog?.tickle();
        for (const m of this.openMedia) m.send({ packet: a.packet, message: a.message });
        return;
      case 'log':
        this.o.logger.log(a.level, a.text);
        return;
      case 'peer-uuid': {
        const entries = this.core.nodes().filter((n) => n.type === 'normal').map((n) => ({ name: n.name, uuid: n.uuid }));
        const text = formatHostcache(entries);
        this.hostcacheWrite = this.hostcacheWrite
          .then(() => writeHostcache(this.o.stateDir, text))
          .catch((e: unknown) => this.o.logger.log('warn', `cannot write ${this.o.stateDir}/hostcache: ${(e as Error).message}`));
        return;
      }
      case 'restart':
        // heartbeat 3.0.6 gives up its resources before restarting: the peer has declared us dead and taken
        // them over by now. Then a new generation, a new core, the same media: peers see "Heartbeat restart".
        void (async () => {
          if (this.o.resources !== undefined) {
            if (this.rscTimer !== undefined) clearTimeout(this.rscTimer);
            this.rsc = undefined;
            if (this.o.resources.runner !== undefined) await this.o.resources.runner.release('all');
            this.rsc = this.o.resources.create();
          }
          if (this.closed) return;
          this.core = this.newCore();
          this.dispatch({ kind: 'start' });
        })();
        return;
      case 'node-status':
      case 'comm-up':
      case 'deliver':
        this.onMembershipForResources(a);
        return;
      case 'link-status':
        return;
    }
  }

  private readLoadavg(): void {
    fs.promises
      .readFile('/proc/loadavg', 'latin1')
      .then((text) => this.dispatch({ kind: 'loadavg', text: text.split('\n')[0] ?? 'n/a' }))
      .catch(() => undefined);
    this.loadavgTimer = setTimeout(() => this.readLoadavg(), LOADAVG_INTERVAL_MS);
    this.loadavgTimer.unref();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const drops = [...this.core.dropCounts()].map(([reason, n]) => `${reason} ${n}`);
    this.o.logger.log('info', `frames dropped this run: ${drops.length === 0 ? 'none' : drops.join(', ')}`);
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.loadavgTimer !== undefined) clearTimeout(this.loadavgTimer);
    if (this.rscTimer !== undefined) clearTimeout(this.rscTimer);
    if (this.stonithTimer !== undefined) clearTimeout(this.stonithTimer);
    for (const t of this.retryTimers) clearTimeout(t);
    await this.o.children?.stopAll();
    await Promise.all(this.o.media.map((m) => m.close()));
    await this.notifier?.close();
    await this.apiOpening;
    await this.api?.close();
    await this.hostcacheWrite;
  }
}

/** Heartbeat's start-up line per medium (bcast.c: "UDP Broadcast heartbeat started on port 694 (694) interface eth0"). */
function startedLine(m: MediumAdapter, port: number): string {
  switch (m.kind) {
    case 'bcast':
      return `UDP Broadcast heartbeat started on port ${port} (${port}) interface ${m.name}`;
    case 'ucast':
      return `ucast: started on port ${port} interface ${m.name}`;
    case 'mcast':
      return `UDP multicast heartbeat started on interface ${m.name}`;
    case 'serial':
      return `Starting serial heartbeat on tty ${m.name}`;
  }
}
