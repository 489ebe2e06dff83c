// The running node's event loop: one queue, one timer, and the adapters that turn effects into I/O.
//
// Every input — a frame from a medium, the timer, a ping reply, an API or FIFO message, the end of a script
// or a STONITH reset, a signal's request — is posted as a NodeEvent to the one queue (post). The queue is
// drained in order through the pure coordinator (src/node/coordinator.ts), whose effects are carried out
// by the executor (effects.ts): frames on the media, log lines, rc.d notifications, API deliveries, resource
// scripts, files. The one timer is armed at the coordinator's next wake-up (arm). An effect that raises an event while the queue is
// draining (an API client answering a delivery) only queues it, so step() is never re-entered. Nothing on
// this path blocks: log writes go through streams, state files are written only at (re)start, and the load
// average is read from /proc/loadavg (kept open; a kernel-generated page, never a disk read) on the timer's own
// wake-up, at most once per LOADAVG_INTERVAL_MS — no timer or thread-pool round trip of its own.
import { Buffer } from 'node:buffer';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { ApiServer } from '../api/server.js';
import type { ClusterConfig } from '../config/model.js';
import type { MediumAdapter } from '../media/medium.js';
import type { NodeView } from '../membership/core.js';
import type { Message } from '../wire/index.js';
import { NodeCoordinator, type NodeEvent, type ReloadedMembership } from '../node/coordinator.js';
import { apiSources, listenApi } from './api/api-socket.js';
import type { DaemonOptions } from './daemon-options.js';
import { MediaSet } from './media-set.js';
import { membershipSnapshot, type MetricsSnapshot } from './metrics.js';
import { RcNotifier } from './scripts/rc-notifier.js';
import { configFacts, type ConfigFacts } from '../config/config-digest.js';
import { applyEffect, type EffectContext } from './effects.js';
import { newMembership } from './files/state-files.js';
import { monitoredGroups } from './files/monitor-failed.js';
import { Monitor } from '../resources/monitor.js';

export type { ReloadedMembership } from '../node/coordinator.js';
export type { DaemonOptions } from './daemon-options.js';

/** heartbeat 3.0.6 checks the STONITH device at comm-up and then every hour (StonithStatProcessDied). */
const STONITH_STATUS_INTERVAL_MS = 3600_000;
const LOADAVG_INTERVAL_MS = 5000;
const LOADAVG_BUF = Buffer.alloc(128);
const SHUTDONE_LINGER_MS = 2000; // heartbeat 3.0.6 keeps heart-beating about 2 s after its `shutdone`

export class Daemon implements EffectContext {
  private readonly node: NodeCoordinator;
  /** @internal effects.ts */ readonly media: MediaSet;
  /** @internal effects.ts */ readonly notifier: RcNotifier | undefined;
  private readonly monoMs: () => number;
  private readonly wallSec: () => number;
  private readonly queue: NodeEvent[] = [];
  private draining = false;
  private timer: NodeJS.Timeout | undefined;
  private timerAtMs = Number.POSITIVE_INFINITY;
  private readonly pollers = new Set<NodeJS.Timeout>();
  private loadavgFd: number | undefined;
  private loadavgAtMs = Number.NEGATIVE_INFINITY;
  private loadavgText = '';
  private closed = false;
  /** @internal effects.ts */ api: ApiServer | undefined;
  private apiOpening: Promise<void> | undefined;
  /** @internal effects.ts */ hostcacheWrite: Promise<void> = Promise.resolve();
  /** @internal effects.ts */ monitorWrite: Promise<void> = Promise.resolve();
  /** @internal effects.ts */ shutdownDone: (() => void) | undefined;
  private readonly startedWallMs = Date.now();
  readonly sentFrames = { total: 0 };

  constructor(/** @internal effects.ts */ public o: DaemonOptions) {
    this.monoMs = o.monoMs ?? (() => Math.floor(performance.now()));
    this.wallSec = o.wallSec ?? (() => Math.floor(Date.now() / 1000));
    const r = o.resources;
    const monitor = r === undefined || o.config.monitors === undefined ? undefined : new Monitor({
      groups: monitoredGroups(o.config),
      specs: o.config.monitors,
      failed: o.monitor?.failed ?? [],
      autoFailback: o.config.autoFailback,
    });
    this.node = new NodeCoordinator({
      localNode: o.config.localNode,
      nodes: o.config.nodes,
      createMembership: (reloaded) => newMembership(this.o.config, o.stateDir, reloaded),
      ...(r === undefined ? {} : { resources: { create: r.create, peer: r.peer, runner: r.runner !== undefined, groups: monitoredGroups(o.config) } }),
      ...(monitor === undefined ? {} : { monitor }),
      stonith: o.stonith !== undefined,
      clientOnline: (cn) => this.api?.clients().some((c) => c.clientId === cn) ?? false,
      configFacts: configFacts(o.config),
    });
    if (o.notifications !== undefined) this.notifier = new RcNotifier({ ...o.notifications, local: () => this.node.rcLocal() });
    this.media = new MediaSet({
      logger: o.logger,
      udpPort: o.config.udpPort,
      retryMs: o.mediumRetryMs ?? 5000,
      // Our own looped-back broadcasts change nothing in the core (it drops them first): not even posted.
      frame: (medium, bytes) => {
        if (this.node.membership.isOwnFrame(bytes)) return;
        this.o.onFrame?.(medium);
        this.post({ kind: 'frame', medium, bytes });
      },
    });
  }

  /** @internal effects.ts. The one event queue: events raised while one is handled wait their turn. */
  post(event: NodeEvent): void {
    if (this.closed) return;
    this.queue.push(event);
    if (this.draining) return;
    this.draining = true;
    try {
      for (let e = this.queue.shift(); e !== undefined; e = this.queue.shift()) {
        const out = this.node.step(e, { monoMs: this.monoMs(), wallSec: this.wallSec() });
        for (const effect of out.effects) applyEffect(this, effect);
        this.arm(out.nextWakeAtMs);
      }
    } finally {
      this.draining = false;
    }
  }

  /**
   * The one timer, at the coordinator's next wake-up. Most events (a peer's status) only move deadlines later,
   * so an armed timer that is not later than the new wake-up is kept: if it fires early, the tick is harmless
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
      this.readLoadavg();
      this.post({ kind: 'tick' });
    }, Math.max(0, atMs - this.monoMs()));
  }

  /** The monitored resources, for hbctl status and metrics; undefined without a monitors file. */
  monitorView(): ReturnType<Monitor['view']> | undefined {
    return this.node.monitor?.view();
  }

  /** @internal effects.ts. heartbeat 3.0.6 creates the API socket at comm-up; cl_status and API clients connect from then on. */
  openApi(): void {
    const o = this.o.api;
    if (o === undefined || this.apiOpening !== undefined) return;
    this.apiOpening = listenApi({
      path: o.path,
      logger: this.o.logger,
      onClusterSend: (m) => this.post({ kind: 'client-message', message: m }),
      sources: apiSources(this.o.config, this.node, this.media, this.monoMs, this.startedWallMs, () => this.api?.problemCounts()),
    })
      .then(async (server) => {
        if (this.closed) return server.close();
        this.api = server;
        this.o.logger.log('info', `API socket ${o.path} open`);
        // heartbeat 3.0.6 comm_now_up: the registration socket first, then "Start each of our known child clients".
        if (!this.node.isShuttingDown) this.o.children?.start();
      })
      .catch((e: unknown) => this.o.logger.log('err', `cannot open the API socket ${o.path}: ${(e as Error).message}; cl_status and API clients cannot connect, and client children are not started`));
  }

  /** @internal effects.ts */
  checkStonith(): void {
    const stonith = this.o.stonith;
    if (stonith === undefined || this.closed) return;
    void stonith.checkStatus().then(() => {
      if (!this.closed) this.poll(() => this.checkStonith(), STONITH_STATUS_INTERVAL_MS);
    });
  }

  /**
   * The `ld` field's source, read on the one timer's wake-up when LOADAVG_INTERVAL_MS have passed (the kernel
   * updates it every 5 s): one pread of the kept descriptor. Posted only when the text changed.
   */
  private readLoadavg(): void {
    const now = this.monoMs();
    if (now - this.loadavgAtMs < LOADAVG_INTERVAL_MS) return;
    this.loadavgAtMs = now;
    try {
      this.loadavgFd ??= fs.openSync('/proc/loadavg', 'r');
      const n = fs.readSync(this.loadavgFd, LOADAVG_BUF, 0, LOADAVG_BUF.length, 0);
      const nl = LOADAVG_BUF.indexOf(10);
      const text = LOADAVG_BUF.toString('latin1', 0, nl >= 0 && nl < n ? nl : n);
      if (text === this.loadavgText) return;
      this.loadavgText = text;
      this.post({ kind: 'loadavg', text });
    } catch {
      this.closeLoadavg(); // no /proc: `ld` stays as it was ("n/a" at first)
    }
  }

  private closeLoadavg(): void {
    if (this.loadavgFd === undefined) return;
    try {
      fs.closeSync(this.loadavgFd);
    } catch {
      // already gone
    }
    this.loadavgFd = undefined;
  }

  /** An input polled on its own period (load average, STONITH device): its result is posted as an event. */
  private poll(f: () => void, ms: number): void {
    const t = setTimeout(() => this.pollers.delete(t) && f(), ms).unref();
    this.pollers.add(t);
  }

  /**
   * Opens the media, then starts heart-beating. A previous daemon's operations still running are waited for,
   * and what they left running is released (resource-runner.ts), before the resource layer sees any event:
   * until then we say nothing about resources, so the peer does not start a group we may still be stopping.
   */
  async start(): Promise<void> {
    for (const m of this.o.media) await this.media.add(m);
    const ready = (): void => this.post({ kind: 'resources-ready' });
    void this.o.resources?.runner?.cleanStart().then(ready, ready);
    this.readLoadavg();
    this.post({ kind: 'start' });
  }

  /** A ping node (or a member of a ping group) answered. */
  pingReply(node: string): void {
    this.post({ kind: 'ping-reply', node });
  }

  /** A message written into the control FIFO by a local script or CLI (spec §9.7). */
  localMessage(m: Message): void {
    this.post({ kind: 'local-message', message: m });
  }

  nodes(): NodeView[] {
    return this.node.membership.nodes();
  }

  /** The present state for the metrics endpoint: nodes, links, last-heard ages, drop counts. */
  metricsSnapshot(): MetricsSnapshot {
    const snapshot = membershipSnapshot(this.node.membership, this.o.config.localNode, this.monoMs());
    const withApi = this.api === undefined ? snapshot : { ...snapshot, apiProblems: this.api.problemCounts() };
    const monitors = this.node.monitor?.view();
    return monitors === undefined ? withApi : { ...withApi, monitors };
  }

  /** SIGHUP (reload-apply.ts): new timing values and keys, applied to the running membership; resources untouched. */
  reconfigure(t: ReloadedMembership, facts?: ConfigFacts): void {
    this.post({ kind: 'reconfigure', membership: t, ...(facts === undefined ? {} : { configFacts: facts }) });
  }

  /**
   * SIGHUP with a changed node or media set (reload-apply.ts): the config the daemon reads from now on; new
   * peers join the running membership, removed ones are forgotten; the old media close and the new ones open.
   * The generation, the peers' state and the held resources are kept (no restart is seen by the peers).
   */
  async replaceMembers(config: ClusterConfig, media: readonly MediumAdapter[] | undefined): Promise<void> {
    this.o = { ...this.o, config };
    this.post({ kind: 'set-nodes', nodes: config.nodes });
    if (media !== undefined) {
      await this.media.clear();
      this.o = { ...this.o, media };
      for (const m of media) await this.media.add(m);
    }
    this.post({ kind: 'tick' });
  }

  /**
   * Graceful stop (heartbeat 3.0.6 hb_initiate_shutdown): release every group, send `shutdone`, keep
   * heart-beating ~2 s so the peer takes over at once, then close. Bounded by `maxMs`.
   */
  async shutdown(maxMs = 120_000): Promise<void> {
    if (this.closed) return;
    // A child that dies from now on is not respawned (heartbeat 3.0.6: shutdown_in_progress).
    this.o.children?.beginShutdown();
    if (this.o.resources === undefined) return this.o.children?.stopAll();
    const done = new Promise<void>((resolve) => (this.shutdownDone = resolve));
    this.post({ kind: 'shutdown-request' });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([done, new Promise<void>((r) => (timer = setTimeout(r, maxMs)))]);
    clearTimeout(timer);
    // heartbeat 3.0.6 hb_mcp_final_shutdown phase 0, on our own shutdone: the client children, last first;
    // they stop while we keep heart-beating.
    const doneAtMs = this.monoMs();
    await this.o.children?.stopAll();
    await new Promise((r) => setTimeout(r, Math.max(0, SHUTDONE_LINGER_MS - (this.monoMs() - doneAtMs))));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    const drops = [...this.node.membership.dropCounts()].map(([reason, n]) => `${reason} ${n}`);
    this.o.logger.log('info', `frames dropped this run: ${drops.length === 0 ? 'none' : drops.join(', ')}`);
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    for (const t of this.pollers) clearTimeout(t);
    this.closeLoadavg();
    await this.o.children?.stopAll();
    await this.media.close(this.o.media);
    await this.notifier?.close();
    await this.apiOpening;
    await this.api?.close();
    await this.hostcacheWrite;
  }
}

