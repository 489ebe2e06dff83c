// `heartbeat -f`: load the configuration, open the media, run the node until SIGTERM/SIGINT.
import { MONITOR_FAILED_FILE, readMonitorFailed } from './files/monitor-failed.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatDiagnostic, hasErrors, sortDiagnostics } from '../core/diagnostic.js';
import { COMPATIBLE_WITH, VERSION } from '../core/version.js';
import { Daemon } from './daemon.js';
import { StateFileError } from './files/state-files.js';
import { loadConfig } from './load-config.js';
import { Logger, syslogFacilityOf } from '../logging/logger.js';
import { planMedia } from './media-factory.js';
import { PingNodes } from './ping-nodes.js';
import { ControlFifo } from './files/control-fifo.js';
import { ResourceRunner } from './scripts/resource-runner.js';
import { ResourceProtocol } from '../resources/protocol.js';
import { LegacyProtocol } from '../resources/legacy.js';
import type { ClusterConfig, ResourceGroup } from '../config/model.js';
import { HA_CF_DEFAULTS } from '../config/defaults.js';
import { daemonApiView } from './api/api-view.js';
import { ClientChildren, runRebootCommand } from './children/client-children.js';
import { Watchdog } from './files/watchdog.js';
import { Stonith, stonithStartupProblem } from './scripts/stonith.js';
import { lookupUser } from './children/respawn.js';
import type { LogLevel } from '../core/log-level.js';
import { LSB, lockPidFile, openReadinessPipe, terminalLogLine, unlockPidFile } from './lifecycle.js';
import { reloadConfig } from './reload-apply.js';
import { Metrics, serveMetrics, type MetricsServer } from './metrics.js';
import { OWNER_VAR, ownerMark, ownerValue } from './scripts/orphans.js';
import { IdleCompactor, lazyRuntimeGc } from './heap-compact.js';

export interface ForegroundOptions {
  readonly configDir: string;
  readonly nodeName: string | undefined;
  readonly stateDir: string;
  readonly runDir: string;
  /** `--failed-stop-command` (default HEARTBEAT_FAILED_STOP_ARGV, `/sbin/reboot -nf`): see ResourceRunnerOptions. */
  readonly failedStopArgv: readonly string[];
  /** `--script-timeout`: limit of each resource script operation. */
  readonly scriptTimeoutMs: number;
  /** `--pid-file` (default: heartbeat.pid beside the run directory, /var/run/heartbeat.pid). */
  readonly pidFile?: string | undefined;
  /** `--syslog-socket`: where `logfacility` lines go (default /dev/log). */
  readonly syslogSocket?: string | undefined;
  /** `-M`: run without resource management (no resource scripts, nothing acquired or released). */
  readonly noResources?: boolean;
  /** `--reboot-command` (default: the failed-stop command): a failfast child died abnormally. */
  readonly rebootArgv?: readonly string[];
  /** `--metrics`: serve Prometheus metrics there (metrics.ts). */
  readonly metrics?: { readonly host: string; readonly port: number } | undefined;
}

/** LSB exit statuses of a daemon start. */
const EXIT_OK = 0;
const EXIT_GENERIC = 1;
const EXIT_NOT_CONFIGURED = 6;

export async function runForeground(o: ForegroundOptions, extraDebug: number): Promise<number> {
  // In the background child (lifecycle.ts daemonize), what -f prints on stderr goes to the waiting parent.
  const readiness = openReadinessPipe();
  const say = (text: string): void => {
    if (readiness === undefined) process.stderr.write(text);
    else readiness.write(text);
  };
  const loaded = loadConfig({ configDir: o.configDir, nodeName: o.nodeName });
  const diagnostics = sortDiagnostics(loaded.diagnostics);
  for (const d of diagnostics) say(`${formatDiagnostic(d)}\n`);
  const config = loaded.config;
  if (hasErrors(diagnostics) || config === undefined) {
    say(`heartbeat: configuration error in ${o.configDir}; not starting (see \`heartbeat --check-config\`).\n`);
    return EXIT_NOT_CONFIGURED;
  }
  // heartbeat 3.0.6 make_daemon: a live pid file → "already running" and exit 0; a stale one is replaced.
  const pidFile = o.pidFile ?? path.join(path.dirname(o.runDir), 'heartbeat.pid');
  const lock = lockPidFile(pidFile);
  if (!lock.ok) {
    if (lock.holder !== undefined) {
      say(terminalLogLine('info', `heartbeat: already running [pid ${lock.holder}].`));
      return EXIT_OK;
    }
    say(terminalLogLine('err', `heartbeat: ${lock.error}`));
    return LSB.EPERM;
  }
  const logger = new Logger(
    {
      logFile: config.logFile,
      debugFile: config.debugFile,
      stderr: readiness === undefined,
      debugLevel: config.debugLevel + extraDebug,
      facility: syslogFacilityOf(config),
      syslogSocket: o.syslogSocket,
    },
    os.hostname(),
  );
  logger.setMirror(readiness?.write);
  logger.log('info', `heartbeat-ts ${VERSION}: Heartbeat-compatible node ${config.localNode} starting (pid ${process.pid})`);
  // heartbeat 3.0.6's start-up line, which log watchers key on (docs/logging.md).
  logger.log('info', `Configuration validated. Starting heartbeat ${COMPATIBLE_WITH}`);
  giveLogFilesToApiUser(config, logger);
  const haCf = path.join(o.configDir, 'ha.cf');
  // Node safety (ha.cf watchdog, stonith/stonith_host): a device that cannot be used is a start-up error.
  const stonithProblem = config.stonith === undefined ? undefined : stonithStartupProblem(config.stonith, haCf);
  let watchdog: Watchdog | undefined;
  try {
    if (stonithProblem !== undefined) throw new Error(stonithProblem);
    if (config.watchdog !== undefined) watchdog = Watchdog.open(config.watchdog, { file: haCf, line: config.watchdogLine }, (level, text) => logger.log(level, text));
  } catch (e) {
    process.stderr.write(`heartbeat: ${(e as Error).message}; not starting.\n`);
    logger.log('err', `${(e as Error).message}; not starting`);
    unlockPidFile(pidFile);
    await logger.close();
    return EXIT_NOT_CONFIGURED;
  }
  const stonith = config.stonith === undefined ? undefined : new Stonith({ device: config.stonith, log: (level, text) => logger.log(level, text) });
  const plan = planMedia(config.media);
  for (const s of plan.skipped) logger.log('warn', s);
  if (o.noResources === true) logger.log('info', 'Resource management disabled (-M): no resource scripts run, nothing is acquired or released');
  const metrics = o.metrics === undefined ? undefined : new Metrics();
  const compactor = new IdleCompactor(o.noResources === true ? undefined : lazyRuntimeGc(), (text) => logger.log('debug', text));
  const rsc = o.noResources === true ? {} : resourceLayer(config, o, logger, metrics, compactor);
  const notifications = {
    configDir: o.configDir,
    localNode: config.localNode,
    niceFailback: config.autoFailback !== 'legacy',
    env: scriptEnv(config, o),
    log: (level: LogLevel, text: string) => logger.log(level, text),
    timeoutMs: o.scriptTimeoutMs,
    // One resource child at a time, as Heartbeat: a notification waits for the running resource operation.
    ...(rsc.resources?.runner === undefined ? {} : { exclusive: rsc.resources.runner.exclusive.bind(rsc.resources.runner) }),
  };
  const api = { path: path.join(o.runDir, 'register') };
  const children =
    config.respawn.length === 0
      ? undefined
      : new ClientChildren({
          children: config.respawn,
          env: childEnv(config, o),
          log: (level, text) => logger.log(level, text),
          // cl_reboot: a failfast child died abnormally. If the reboot command fails, exit without a word to the
          // peer (as Heartbeat's "ALL REBOOT OPTIONS FAILED" exit): it takes over after deadtime.
          onFailfast: (command) =>
            void runRebootCommand(o.rebootArgv ?? o.failedStopArgv, command, (level, text) => logger.log(level, text)).then(async (ran) => {
              if (ran) return;
              await logger.close();
              process.exit(EXIT_GENERIC);
            }),
        });
  // The service monitor (issue 17): its file's warnings (a line naming no resource) in the log too, once; the
  // groups still marked failed from before this start.
  for (const d of diagnostics) if (d.code.startsWith('HA_MON_')) logger.log('warn', `monitor: ${formatDiagnostic(d)}`);
  const monitorFailed = config.monitors === undefined ? [] : readMonitorFailed(o.stateDir, (t) => logger.log('warn', `monitor: ${t}`));
  if (monitorFailed.length > 0) logger.log('warn', `monitor: resource group(s) ${monitorFailed.join(', ')} marked failed on this node before this start (${o.stateDir}/${MONITOR_FAILED_FILE}): not taken back until "hbctl cleanup"`);
  let daemon: Daemon;
  try {
    daemon = new Daemon({
      config, stateDir: o.stateDir, media: plan.adapters, logger, notifications, api, ...(children === undefined ? {} : { children }), ...rsc,
      ...(config.monitors === undefined ? {} : { monitor: { failed: monitorFailed } }),
      ...(watchdog === undefined ? {} : { watchdog }), ...(stonith === undefined ? {} : { stonith }),
      ...(metrics === undefined ? {} : { onAction: (a) => metrics.action(a), onFrame: (medium) => metrics.frame(medium), onConfigAgreement: (a) => metrics.configAgreement(a) }),
    });
  } catch (e) {
    // hb_generation or hb_uuid could not be written (a full or read-only /var/lib/heartbeat): refuse to start.
    if (!(e instanceof StateFileError)) throw e;
    process.stderr.write(`heartbeat: ${e.message}; not starting.\n`);
    logger.log('err', `${e.message}; not starting`);
    unlockPidFile(pidFile);
    watchdog?.close();
    await logger.close();
    return EXIT_GENERIC;
  }
  const newPings = (c: ClusterConfig): PingNodes => new PingNodes(c, (node) => daemon.pingReply(node), (text) => logger.log('warn', text));
  let pings = newPings(config);
  try {
    await daemon.start();
  } catch (e) {
    logger.log('err', `cannot start: ${(e as Error).message}`);
    unlockPidFile(pidFile);
    await daemon.close();
    watchdog?.close();
    await logger.close();
    return EXIT_GENERIC;
  }
  pings.start();
  // heartbeat 3.0.6's ping medium says so once per `ping` node (ping.c, recorded: "glib: ping heartbeat started.").
  for (const m of config.media) if (m.kind === 'ping') logger.log('info', 'glib: ping heartbeat started.');
  let metricsServer: MetricsServer | undefined;
  if (metrics !== undefined && o.metrics !== undefined) {
    try {
      metricsServer = await serveMetrics(o.metrics.host, o.metrics.port, () => metrics.render(daemon.metricsSnapshot()));
      logger.log('info', `Metrics at http://${o.metrics.host.includes(':') ? `[${o.metrics.host}]` : o.metrics.host}:${metricsServer.port}/metrics`);
    } catch (e) {
      // Observability is not worth a node: the pair runs on without it.
      logger.log('err', `${(e as Error).message}; running without metrics`);
    }
  }
  const fifo = new ControlFifo(path.join(o.stateDir, 'fifo'), (m) => daemon.localMessage(m), (text) => logger.log('err', text));
  if (!fs.existsSync(fifo.path)) logger.log('info', `Creating FIFO ${fifo.path}.`);
  if (fifo.open()) logger.log('info', `Control FIFO ${fifo.path} open`);
  if (readiness !== undefined) {
    // Up: the parent may exit; from now on stdio is /dev/null, as make_daemon leaves it.
    logger.log('info', `Running in the background (pid file ${pidFile})`);
    logger.setMirror(undefined);
    readiness.ready();
    process.chdir('/');
  }
  // SIGHUP (or `heartbeat -r`): reopen the log files, re-read the configuration (reload.ts); one at a time.
  let running = config;
  let reloading: Promise<void> = Promise.resolve();
  const onHup = (): void => {
    reloading = reloading
      .then(async () => {
        running = await reloadConfig({
          o,
          running,
          extraDebug,
          logger,
          daemon,
          restartPings: (c) => {
            pings.stop();
            pings = newPings(c);
            pings.start();
          },
        });
      })
      .catch((e: unknown) => logger.log('err', `reload failed: ${(e as Error).message}; the running configuration is kept`));
  };
  process.on('SIGHUP', onHup);
  // heartbeat 3.0.6: SIGUSR1 raises the debug level, SIGUSR2 lowers it.
  const onUsr1 = (): void => logger.setDebugLevel(logger.debugLevel + 1);
  const onUsr2 = (): void => logger.setDebugLevel(logger.debugLevel - 1);
  process.on('SIGUSR1', onUsr1);
  process.on('SIGUSR2', onUsr2);
  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      // heartbeat 3.0.6 hb_giveup_resources: the pid in parentheses; the signal that asked is ours to add.
      logger.log('info', `Heartbeat shutdown in progress. (${process.pid})`);
      logger.log('debug', `shutdown asked by ${signal}`);
      pings.stop();
      fifo.close();
      void daemon
        .shutdown()
        .then(() => daemon.close())
        .then(async () => {
          await metricsServer?.close();
          metrics?.close();
          compactor.close();
        })
        .then(() => {
          watchdog?.close(); // a clean stop only: the magic close disarms the kernel's timer
          unlockPidFile(pidFile);
          process.off('SIGHUP', onHup);
          process.off('SIGUSR1', onUsr1);
          process.off('SIGUSR2', onUsr2);
          logger.log('info', `${config.localNode} Heartbeat shutdown complete.`);
          return logger.close();
        })
        .then(() => resolve(EXIT_OK));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}

/** The environment Heartbeat gives its resource scripts and rc.d notifications (spec §7.3). */
function scriptEnv(config: ClusterConfig, o: ForegroundOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    HA_CURHOST: config.localNode,
    HA_DIR: o.configDir,
    HA_RSCTMP: path.join(o.runDir, 'rsctmp'),
    HA_FIFO: path.join(o.stateDir, 'fifo'),
    ...(config.autoFailback === 'legacy' ? {} : { HA_NICEFAILBACK: 'yes' }),
    HA_LOGFILE: config.logFile ?? '',
    HA_DEBUGLOG: config.debugFile ?? '',
    HA_LOGFACILITY: config.logFacility ?? '',
    HA_debug: String(config.debugLevel),
  };
  for (const [k, v] of config.env) env[`HA_${k}`] = v;
  return env;
}

/**
 * What client children (ipfail) inherit: Heartbeat's own environment, where every ha.cf parameter it records is
 * HA_<name> (module.c SetParameterValue: cluster-glue's logging reads HA_logfile, HA_debugfile, HA_logfacility,
 * HA_debug from there), plus what scripts get.
 */
function childEnv(config: ClusterConfig, o: ForegroundOptions): NodeJS.ProcessEnv {
  const view = daemonApiView({ config, nodes: () => [], openMedia: () => new Set(), resourceState: () => undefined });
  const env: NodeJS.ProcessEnv = { ...process.env, HA_cluster_type: 'heartbeat' };
  for (const name of new Set([...HA_CF_DEFAULTS.map((r) => r.directive), ...config.values.keys()])) {
    const v = view.parameter(name);
    if (v !== undefined) env[`HA_${name}`] = v;
  }
  return { ...env, ...scriptEnv(config, o) };
}

/**
 * heartbeat 3.0.6 change_logfile_ownership: the log files belong to hacluster (and its group), so that
 * clients running as hacluster (ipfail) can append to them.
 */
function giveLogFilesToApiUser(config: ClusterConfig, logger: Logger): void {
  if (process.getuid?.() !== 0) return; // only root can, and only a daemon run as root starts children as others
  let user;
  try {
    user = lookupUser(fs.readFileSync('/etc/passwd', 'latin1'), 'hacluster');
  } catch {
    user = undefined;
  }
  if (user === undefined) return;
  for (const file of [config.logFile, config.debugFile]) {
    if (file === undefined || file === '' || file === '/dev/null') continue;
    try {
      fs.closeSync(fs.openSync(file, 'a'));
      fs.chownSync(file, user.uid, user.gid);
    } catch (e) {
      logger.log('warn', `change_logfile_ownership: failed to chown ${file}: ${(e as Error).message}`);
    }
  }
}

/** A group's key, as ResourceManager lists it: the first resource of its haresources line. */
function groupKey(g: ResourceGroup): string {
  return g.resources[0]?.spec ?? `line ${g.line}`;
}

/**
 * The resource layer of a two-node pair: the nice_failback protocol (auto_failback on|off) or the legacy one
 * (Heartbeat's default when ha.cf does not set auto_failback).
 */
function resourceLayer(config: ClusterConfig, o: ForegroundOptions, logger: Logger, metrics: Metrics | undefined, compactor: IdleCompactor): Pick<ConstructorParameters<typeof Daemon>[0], 'resources'> {
  const peers = config.nodes.filter((n) => n.type === 'normal' && n.name !== config.localNode);
  const peer = peers[0];
  if (peers.length !== 1 || peer === undefined) {
    logger.log('warn', `resource management needs exactly two nodes (ha.cf names ${peers.length + 1}); no resources are managed`);
    return {};
  }
  const legacy = config.autoFailback === 'legacy';
  if (legacy) {
    // heartbeat 3.0.6 config.c, whenever nice_failback is off and resources are managed: lines watchers know.
    logger.log('warn', 'Deprecated \'legacy\' auto_failback option selected.');
    logger.log('warn', 'Please convert to \'auto_failback on\'.');
    logger.log('warn', 'See documentation for conversion details.');
    logger.log('info', 'auto_failback legacy (Heartbeat\'s default): each group returns to its home node through ip-request; no standby');
  }
  try {
    fs.mkdirSync(path.join(o.runDir, 'rsctmp'), { recursive: true });
    fs.mkdirSync(o.stateDir, { recursive: true });
  } catch {
    /* scripts that need them will say so */
  }
  // Every script we run carries it, so a later daemon finds what this one left running (orphans.ts).
  const owner = { mark: ownerMark(config.localNode, o.stateDir), pid: process.pid };
  const env = { ...scriptEnv(config, o), [OWNER_VAR]: ownerValue(owner.mark, owner.pid) };
  const groups = config.resourceGroups;
  return {
    resources: {
      peer: peer.name,
      create: () =>
        legacy
          ? new LegacyProtocol({
              localNode: config.localNode,
              peer: peer.name,
              localKeys: groups.filter((g) => g.node === config.localNode).map(groupKey),
              foreignKeys: groups.filter((g) => g.node !== config.localNode).map(groupKey),
              stonith: config.stonith !== undefined,
            })
          : new ResourceProtocol({
              localNode: config.localNode,
              peer: peer.name,
              autoFailback: config.autoFailback === 'on',
              hasLocalGroups: groups.some((g) => g.node === config.localNode),
              hasForeignGroups: groups.some((g) => g.node !== config.localNode),
              stonith: config.stonith !== undefined,
            }),
      runner: new ResourceRunner({
        configDir: o.configDir,
        localNode: config.localNode,
        groups,
        env,
        log: (level, text) => logger.log(level, text),
        timeoutMs: o.scriptTimeoutMs,
        failedStopArgv: o.failedStopArgv,
        owner,
        ...(metrics === undefined ? {} : { onOperation: (resource, op, outcome, ms) => metrics.resourceOperation(resource, op, outcome, ms) }),
        onGroup: (key, change) => {
          metrics?.groupChange(key, change);
          compactor.busy();
        },
        // heartbeat 3.0.6 RecoverFromFailedStop kills heartbeat (`pkill -9`): no release report, no shutdone,
        // so the peer declares this node dead after deadtime and takes over. Reached only if the failed-stop
        // command (a reboot by default) left us running.
        afterFailedStop: async (failed) => {
          logger.log('crit', `Killing heartbeat ungracefully! (${failed.join(', ')} would not stop): exiting without telling ${peer.name}, which takes over after deadtime`);
          await logger.close();
          process.exit(EXIT_GENERIC);
        },
      }),
    },
  };
}
