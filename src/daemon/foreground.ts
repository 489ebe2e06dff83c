// `heartbeat -f`: load the configuration, open the media, run the node until SIGTERM/SIGINT.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatDiagnostic, hasErrors, sortDiagnostics } from '../core/diagnostic.js';
import { VERSION } from '../core/version.js';
import { Daemon } from './daemon.js';
import { loadConfig } from './load-config.js';
import { Logger } from './log.js';
import { planMedia } from './media-factory.js';
import { PingNodes } from './ping-nodes.js';

export interface ForegroundOptions {
  readonly configDir: string;
  readonly nodeName: string | undefined;
  readonly stateDir: string;
  readonly runDir: string;
}

/** LSB exit statuses of a daemon start. */
const EXIT_OK = 0;
const EXIT_GENERIC = 1;
const EXIT_NOT_CONFIGURED = 6;

export async function runForeground(o: ForegroundOptions, extraDebug: number): Promise<number> {
  const loaded = loadConfig({ configDir: o.configDir, nodeName: o.nodeName });
  const diagnostics = sortDiagnostics(loaded.diagnostics);
  for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
  const config = loaded.config;
  if (hasErrors(diagnostics) || config === undefined) {
    process.stderr.write(`heartbeat: configuration error in ${o.configDir}; not starting (see \`heartbeat --check-config\`).\n`);
    return EXIT_NOT_CONFIGURED;
  }
  const logger = new Logger(
    { logFile: config.logFile, debugFile: config.debugFile, stderr: true, debugLevel: config.debugLevel + extraDebug },
    os.hostname(),
  );
  logger.log('info', `heartbeat-ts ${VERSION}: Heartbeat-compatible node ${config.localNode} starting (pid ${process.pid})`);
  const plan = planMedia(config.media);
  for (const s of plan.skipped) logger.log('warn', s);
  const daemon = new Daemon({ config, stateDir: o.stateDir, media: plan.adapters, logger });
  const pings = new PingNodes(config, (node) => daemon.pingReply(node), (text) => logger.log('warn', text));
  const pidFile = path.join(path.dirname(o.runDir), 'heartbeat.pid');
  try {
    await daemon.start();
  } catch (e) {
    logger.log('err', `cannot start: ${(e as Error).message}`);
    await daemon.close();
    await logger.close();
    return EXIT_GENERIC;
  }
  pings.start();
  try {
    fs.writeFileSync(pidFile, `${process.pid}\n`);
  } catch {
    /* a read-only or missing run directory only costs us the pid file */
  }
  return new Promise<number>((resolve) => {
    const stop = (signal: string): void => {
      logger.log('info', `Heartbeat shutdown in progress. (${signal})`);
      pings.stop();
      void daemon
        .close()
        .then(() => {
          try {
            if (fs.readFileSync(pidFile, 'latin1').trim() === String(process.pid)) fs.unlinkSync(pidFile);
          } catch {
            /* not ours or gone */
          }
          logger.log('info', 'Heartbeat shutdown complete.');
          return logger.close();
        })
        .then(() => resolve(EXIT_OK));
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
}
