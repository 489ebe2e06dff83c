// The effect executor: each effect the coordinator returns, carried out by the adapter it concerns.
//
// Split from daemon.ts (issue 16: the loop stays small) over EffectContext, the part of the Daemon it uses
// (its fields marked `@internal effects.ts` there). Operations that end later (scripts, STONITH resets, file
// writes) post their end as an event to the one queue; none of them blocks the loop.
import type { ApiServer } from '../api/server.js';
import type { Effect, NodeEvent } from '../node/coordinator.js';
import type { DaemonOptions } from './daemon-options.js';
import { MONITOR_FAILED_FILE, writeMonitorFailed } from './files/monitor-failed.js';
import { formatHostcache, writeHostcache } from './files/state-files.js';
import type { MediaSet } from './media-set.js';
import type { RcNotifier } from './scripts/rc-notifier.js';

/** What the executor reads and changes in the Daemon (daemon.ts). */
export interface EffectContext {
  readonly o: DaemonOptions;
  readonly sentFrames: { total: number };
  readonly media: MediaSet;
  readonly notifier: RcNotifier | undefined;
  readonly api: ApiServer | undefined;
  /** File writes in order, one after the other (close() waits for the last). */
  hostcacheWrite: Promise<void>;
  monitorWrite: Promise<void>;
  readonly shutdownDone: (() => void) | undefined;
  post(event: NodeEvent): void;
  openApi(): void;
  checkStonith(): void;
}

export function applyEffect(d: EffectContext, e: Effect): void {
  switch (e.kind) {
    case 'observe':
      d.o.onAction?.(e.action);
      return;
    case 'send-frame':
      d.sentFrames.total += 1;
      // heartbeat 3.0.6 tickles when its own status comes back to it, one per keepalive.
      if (e.status) d.o.watchdog?.tickle();
      d.media.send({ packet: e.packet, message: e.message });
      return;
    case 'log':
      d.o.logger.log(e.level, e.text);
      return;
    case 'comm-up':
      d.openApi();
      d.checkStonith();
      return;
    case 'rc-notify':
      d.notifier?.notify(e.source, e.fields, e.local);
      return;
    case 'api-deliver':
      d.api?.deliver(e.message, e.treatment);
      return;
    case 'write-hostcache': {
      const text = formatHostcache(e.entries);
      d.hostcacheWrite = d.hostcacheWrite
        .then(() => writeHostcache(d.o.stateDir, text))
        .catch((err: unknown) => d.o.logger.log('warn', `cannot write ${d.o.stateDir}/hostcache: ${(err as Error).message}`));
      return;
    }
    case 'release-for-restart':
      void d.o.resources?.runner?.release('all').then(() => d.post({ kind: 'restart-ready' }));
      return;
    case 'resource-op': {
      const runner = d.o.resources?.runner;
      if (runner === undefined) return; // the coordinator asks only when there is one
      void runner.runOp(e).then((ok) => d.post({ kind: 'resource', event: { kind: 'activity-done', ok } }));
      return;
    }
    case 'fence':
      void d.o.stonith?.reset(e.node).then((result) => d.post({ kind: 'resource', event: { kind: 'fence-done', node: e.node, result } }));
      return;
    case 'defer':
      setImmediate(() => d.post(e.event));
      return;
    case 'config-agreement':
      d.o.onConfigAgreement?.(e.agreement);
      return;
    case 'shutdown-complete':
      d.shutdownDone?.();
      return;
    case 'monitor-check': {
      const runner = d.o.resources?.runner;
      if (runner === undefined) return;
      void runner.check(e.resource, e.argv, e.timeoutMs).then((c) => {
        d.post({ kind: 'monitor', event: { kind: 'check-done', resource: e.resource, id: e.id, ok: c.ok, durationMs: c.durationMs, detail: c.detail } });
        d.o.monitor?.onChange?.();
      });
      return;
    }
    case 'monitor-restart': {
      const runner = d.o.resources?.runner;
      if (runner === undefined) return;
      void runner.restartFrom(e.group, e.from).then((ok) => {
        d.post({ kind: 'monitor', event: { kind: 'restart-done', group: e.group, ok } });
        d.o.monitor?.onChange?.();
      });
      return;
    }
    case 'write-monitor-failed':
      d.monitorWrite = d.monitorWrite
        .then(() => writeMonitorFailed(d.o.stateDir, e.failed))
        .catch((err: unknown) => d.o.logger.log('err', `cannot write ${d.o.stateDir}/${MONITOR_FAILED_FILE}: ${(err as Error).message}`));
      return;
  }
}
