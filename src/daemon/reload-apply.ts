// SIGHUP / `heartbeat -r` in the running daemon: reopen the logs, re-read /etc/ha.d, apply what reload.ts decides.
import { configDigests, configFacts, encodeConfigField } from '../config/config-digest.js';
import { formatDiagnostic, hasErrors, sortDiagnostics } from '../core/diagnostic.js';
import type { ClusterConfig } from '../config/model.js';
import type { Daemon } from './daemon.js';
import { loadConfig } from './load-config.js';
import { syslogFacilityOf, type Logger } from '../logging/logger.js';
import { planMedia } from './media-factory.js';
import { canonical, effectiveAfterReload, planReload, type ReloadKind } from '../node/reload.js';

export interface ReloadContext {
  readonly o: { readonly configDir: string; readonly nodeName: string | undefined; readonly syslogSocket?: string | undefined };
  /** The configuration the daemon runs with now. */
  readonly running: ClusterConfig;
  readonly logger: Logger;
  readonly daemon: Daemon;
  /** Restart the ping-node prober with this configuration (its node set or keepalive changed). */
  readonly restartPings: (config: ClusterConfig) => void;
  /** Extra debug levels from the command line (-d), kept across reloads. */
  readonly extraDebug: number;
}

const HOW: Record<ReloadKind, string> = {
  timing: 'applied to the running membership',
  keys: 'applied to the running membership',
  logging: 'applied to the logs',
  members: 'applied: media and membership updated in place, resources kept',
  restart: 'NOT applied while running: takes effect when heartbeat is next started',
};

/** Re-reads the configuration; resolves with the configuration now in force (the old one when refused). */
export async function reloadConfig(ctx: ReloadContext): Promise<ClusterConfig> {
  const { logger, running } = ctx;
  // Rotation-safe: a log file renamed by logrotate is reopened under its name on every SIGHUP.
  logger.reopen();
  logger.log('info', `Re-reading the configuration in ${ctx.o.configDir} (SIGHUP)`);
  const loaded = loadConfig({ configDir: ctx.o.configDir, nodeName: ctx.o.nodeName });
  const diagnostics = sortDiagnostics(loaded.diagnostics);
  const next = loaded.config;
  if (hasErrors(diagnostics) || next === undefined) {
    for (const d of diagnostics) logger.log(d.severity === 'error' ? 'err' : 'warn', formatDiagnostic(d));
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    logger.log('err', `Config errors (${errors}): heartbeat NOT reloaded; it keeps running with its current configuration`);
    return running;
  }
  for (const d of diagnostics) logger.log(d.severity === 'error' ? 'err' : 'warn', formatDiagnostic(d));
  const plan = planReload(running, next);
  if (plan.unchanged) {
    logger.log('info', 'Configuration unchanged.');
    return running;
  }
  // The resource layer is built for one peer: a different pair is a new cluster, not a reload.
  const peerOf = (c: ClusterConfig): string => canonical(c.nodes.filter((n) => n.type === 'normal' && n.name !== c.localNode).map((n) => n.name).sort());
  const pairChanged = plan.members && peerOf(running) !== peerOf(next);
  for (const c of plan.changes) {
    const how = c.kind === 'members' && pairChanged ? HOW.restart : HOW[c.kind];
    logger.log(c.kind === 'restart' || (c.kind === 'members' && pairChanged) ? 'warn' : 'info', `Reload: ${c.what} changed: ${how}`);
  }
  if (plan.logging) {
    logger.retarget({
      logFile: next.logFile,
      debugFile: next.debugFile,
      stderr: false,
      debugLevel: next.debugLevel + ctx.extraDebug,
      facility: syslogFacilityOf(next),
      syslogSocket: ctx.o.syslogSocket,
    });
  }
  if (plan.keys) logger.log('info', 'Rereading authentication file.');
  const effective = effectiveAfterReload(running, next, plan, pairChanged);
  if (plan.timing || plan.keys) {
    // The digests we announce follow what is in force (haresources changes wait for a restart).
    const facts = configFacts(effective);
    ctx.daemon.reconfigure({
      keepaliveMs: next.keepaliveMs,
      deadtimeMs: next.deadtimeMs,
      warntimeMs: next.warntimeMs,
      initdeadMs: next.initdeadMs,
      deadpingMs: next.deadpingMs,
      keys: next.authKeys,
      configField: encodeConfigField(configDigests(facts)),
    }, facts);
  }
  if (plan.members && !pairChanged) {
    const carried = (c: ClusterConfig): string => canonical([c.media.filter((m) => m.kind !== 'ping' && m.kind !== 'ping_group' && m.kind !== 'ping6'), c.udpPort, c.baud]);
    let media;
    // A ucast peer given by name is resolved again at every reload (its address may have changed in DNS/hosts).
    const namedPeer = next.media.some((m) => m.kind === 'ucast' && !/^\d{1,3}(\.\d{1,3}){3}$/.test(m.peer));
    if (carried(running) !== carried(next) || namedPeer) {
      const p = planMedia(next.media);
      for (const s of p.skipped) logger.log('warn', s);
      media = p.adapters;
    }
    await ctx.daemon.replaceMembers(effective, media);
  }
  if (plan.members || plan.timing) ctx.restartPings(effective);
  if (plan.notApplied.length > 0 || pairChanged) {
    logger.log('warn', `Not applied until heartbeat is restarted (heartbeat -k, then heartbeat): ${[...plan.notApplied, ...(pairChanged ? ['the node pair'] : [])].join(', ')}`);
  }
  logger.log('info', 'Configuration reloaded.');
  return effective;
}
