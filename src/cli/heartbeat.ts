#!/usr/bin/env node
// `heartbeat`: Heartbeat 3.0.6's command line, plus `--check-config` (validate /etc/ha.d without starting anything).
import { VERSION, COMPATIBLE_WITH } from '../core/version.js';
import { formatDiagnostic, hasErrors, sortDiagnostics } from '../core/diagnostic.js';
import { loadConfig } from '../daemon/load-config.js';
import { COMMON_USAGE, DAEMON_LONG_OPTIONS, DAEMON_USAGE, daemonOptions, parseArgs, type ParsedArgs } from './options.js';
import { describeConfig, diagnosticsAsJson, formatDefaultsTable, formatDefaultsWiki } from './config-summary.js';
import { runForeground } from '../daemon/foreground.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { formatLogLine } from '../core/log-format.js';
import { defaultNodeName } from '../daemon/load-config.js';
import { SHIPPED_RESOURCE_DIR, resolveScriptPath } from '../daemon/scripts/resource-runner.js';
import { stockScriptDiagnostics } from '../daemon/scripts/stock-native.js';
import { DAEMON_CHILD_ENV, LSB, daemonize, readPidFile, statusCommand, stopCommand, terminalLogLine } from '../daemon/lifecycle.js';
import type { DaemonOptions } from './options.js';

/** LSB exit statuses, as Heartbeat's own (`cleanexit(LSB_EXIT_…)`). */
const EXIT_OK = 0;
const EXIT_GENERIC = 1;
const EXIT_EINVAL = 2;
const EXIT_UNIMPLEMENTED = 3;

const SPEC = {
  shortFlags: 'dDkMrRsvWlVf',
  shortWithValue: 'C',
  longFlags: ['check-config', 'json', 'help', 'version'],
  longWithValue: [...DAEMON_LONG_OPTIONS],
} as const;

const USAGE = `Usage: heartbeat [-dDkMrRsvWlVf] [-C Current-resource-state]
       heartbeat --check-config [--json] [options]

heartbeat-ts ${VERSION}, a drop-in replacement for Heartbeat ${COMPATIBLE_WITH} in haresources (v1) mode.

  --check-config     validate ha.cf, haresources and authkeys, print every problem and a summary;
                     exit 0 when Heartbeat would start with these files, 1 otherwise
  --json             with --check-config: print one JSON document (diagnostics and summary)
${COMMON_USAGE}
${DAEMON_USAGE}
  --help             this text
  -V, --version      print the version

Heartbeat's own flags:
  -d  increase the debug level      -D  print ha.cf defaults      -W  the defaults as a wiki table
  -k  stop the running daemon       -r  reload its configuration  -s  report its status
  -R  Heartbeat's internal re-exec (not used: heartbeat-ts reloads in place)
  -M  do not manage resources       -l  do not run real-time (accepted; never real-time)
  -v  print the configuration summary when starting                -f  stay in the foreground
Without -f, heartbeat checks the configuration, goes to the background once it runs and writes its pid
file (/var/run/heartbeat.pid, or --pid-file). SIGHUP = -r; SIGUSR1/SIGUSR2 raise/lower the debug level.
`;

function usageError(message: string): number {
  process.stderr.write(`heartbeat: ${message}\n\n${USAGE}`);
  return EXIT_EINVAL;
}

/** ha.cf `env HBTS_NATIVE=off` (the daemon's scripts see it as HA_HBTS_NATIVE): the same as the environment variable. */
function haNativeSetting(env: ReadonlyMap<string, string>): { HBTS_NATIVE?: string } {
  const v = env.get('HBTS_NATIVE');
  return v === undefined ? {} : { HBTS_NATIVE: v };
}

function checkConfig(args: ParsedArgs): number {
  const loaded = loadConfig({ configDir: args.common.configDir, nodeName: args.common.nodeName });
  const configDir = args.common.configDir;
  const stock = loaded.config === undefined
    ? []
    : stockScriptDiagnostics(loaded.config.resourceGroups, path.join(configDir, 'haresources'), (s) => resolveScriptPath(configDir, s), SHIPPED_RESOURCE_DIR, { ...process.env, ...haNativeSetting(loaded.config.env) });
  const diagnostics = sortDiagnostics([...loaded.diagnostics, ...stock]);
  const good = !hasErrors(diagnostics) && loaded.config !== undefined;
  if (args.long.has('json')) {
    const doc = {
      ok: good,
      nodeName: loaded.nodeName,
      configDir: args.common.configDir,
      diagnostics: diagnosticsAsJson(diagnostics),
      summary: good && loaded.config !== undefined ? describeConfig(loaded.config, loaded.nodeName).json : null,
    };
    process.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    return good ? EXIT_OK : EXIT_GENERIC;
  }
  if (!good || loaded.config === undefined) {
    for (const d of diagnostics) process.stderr.write(`${formatDiagnostic(d)}\n`);
    const errors = diagnostics.filter((d) => d.severity === 'error').length;
    process.stderr.write(
      `heartbeat: configuration error in ${args.common.configDir}: ${errors} error${errors === 1 ? '' : 's'}; ` +
        'Heartbeat would not start with these files.\n',
    );
    return EXIT_GENERIC;
  }
  // Success: warnings and notes first, then the summary, all on stdout so they read in order.
  for (const d of diagnostics) process.stdout.write(`${formatDiagnostic(d)}\n`);
  process.stdout.write(describeConfig(loaded.config, loaded.nodeName).text);
  return EXIT_OK;
}

function main(argv: readonly string[]): number {
  const parsed = parseArgs(argv, SPEC);
  if (!parsed.ok) return usageError(parsed.error);
  const args = parsed.value;
  const has = (c: string): boolean => (args.short.get(c) ?? 0) > 0;
  if (args.long.has('help')) {
    process.stdout.write(USAGE);
    return EXIT_OK;
  }
  if (args.operands.length > 0) return usageError(`unexpected argument "${args.operands[0]}"`);
  // heartbeat 3.0.6: the same two checks, with the same wording.
  if (has('C') && !has('R')) return usageError('-C only valid with -R');
  if (has('r') && has('R')) return usageError('-r is mutually exclusive with -R');
  const daemon = daemonOptions(args.longValues);
  if (!daemon.ok) return usageError(daemon.error);
  if (has('V') || args.long.has('version')) {
    process.stdout.write(`${VERSION} (heartbeat-ts; compatible with Heartbeat ${COMPATIBLE_WITH})\n`);
    return EXIT_OK;
  }
  if (args.long.has('json') && !args.long.has('check-config')) return usageError('--json only goes with --check-config');
  if (args.long.has('check-config')) return checkConfig(args);
  if (has('D')) {
    process.stdout.write(formatDefaultsTable());
    return EXIT_OK;
  }
  if (has('W')) {
    process.stdout.write(formatDefaultsWiki());
    return EXIT_OK;
  }
  return runDaemonCommand(args, has, { ...daemon.value });
}

/** How long `-k` waits for the daemon to be gone (Heartbeat waits forever; resource scripts bound the stop). */
const STOP_WAIT_MS = 300_000;
/** How long the background start waits for the daemon to say it runs. */
const READY_WAIT_MS = 30_000;

const OUT = { stdout: (t: string) => void process.stdout.write(t), stderr: (t: string) => void process.stderr.write(t) };

/** Sets the exit status when an asynchronous command ends. */
function later(p: Promise<number>): number {
  void p.then((code) => {
    process.exitCode = code;
  });
  return EXIT_OK;
}

/** -k, -s, -r, -R and the daemon itself (background, or -f), in heartbeat 3.0.6's order of precedence. */
function runDaemonCommand(args: ParsedArgs, has: (c: string) => boolean, d: DaemonOptions): number {
  // The daemon's directories, absolute: in the background it runs from /.
  const common = {
    ...args.common,
    configDir: path.resolve(args.common.configDir),
    stateDir: path.resolve(args.common.stateDir),
    runDir: path.resolve(args.common.runDir),
  };
  const pidFile = path.resolve(d.pidFile ?? path.join(path.dirname(common.runDir), 'heartbeat.pid'));
  if (has('k')) return later(stopCommand(pidFile, OUT, STOP_WAIT_MS));
  if (has('s')) return statusCommand(pidFile, common.nodeName ?? defaultNodeName(common.configDir), OUT);
  if (has('R')) {
    process.stderr.write(
      'heartbeat: -R is Heartbeat\'s internal re-exec after a changed ha.cf; heartbeat-ts applies a changed configuration ' +
        'in place (SIGHUP or heartbeat -r) and never re-executes itself.\n',
    );
    return EXIT_UNIMPLEMENTED;
  }
  const running = readPidFile(pidFile);
  if (has('r') && running.state === 'running') {
    const loaded = loadConfig({ configDir: common.configDir, nodeName: common.nodeName });
    const diagnostics = sortDiagnostics(loaded.diagnostics);
    for (const x of diagnostics) process.stderr.write(`${formatDiagnostic(x)}\n`);
    if (hasErrors(diagnostics) || loaded.config === undefined) {
      process.stderr.write(terminalLogLine('info', `Config errors: Heartbeat pid ${running.pid} NOT restarted`));
      return EXIT_GENERIC;
    }
    const signalling = `Signalling heartbeat pid ${running.pid} to reread config files`;
    process.stderr.write(terminalLogLine('info', signalling));
    // heartbeat 3.0.6 writes this line into its log files too (it logs through the configuration it just read).
    for (const file of [loaded.config.logFile, loaded.config.debugFile]) {
      if (file === undefined || file === '') continue;
      try {
        fs.appendFileSync(file, formatLogLine(os.hostname(), 'heartbeat', process.pid, 'info', signalling, new Date()));
      } catch {
        /* the daemon reports an unwritable log file itself */
      }
    }
    try {
      process.kill(running.pid, 'SIGHUP');
      return EXIT_OK;
    } catch (e) {
      process.stderr.write(terminalLogLine('err', `Unable to send SIGHUP to pid ${running.pid}: ${(e as Error).message}`));
      return EXIT_GENERIC;
    }
  }
  // Heartbeat: -r with no daemon running starts one.
  const opts = { ...common, ...d, pidFile, noResources: has('M') };
  const extraDebug = args.short.get('d') ?? 0;
  if (has('f') || process.env[DAEMON_CHILD_ENV] !== undefined) {
    if (has('v') && process.env[DAEMON_CHILD_ENV] === undefined) verboseSummary(common);
    return later(runForeground(opts, extraDebug));
  }
  // The background start: the configuration is checked here, on the terminal, before going to the background.
  const loaded = loadConfig({ configDir: common.configDir, nodeName: common.nodeName });
  const diagnostics = sortDiagnostics(loaded.diagnostics);
  for (const x of diagnostics) process.stderr.write(`${formatDiagnostic(x)}\n`);
  if (hasErrors(diagnostics) || loaded.config === undefined) {
    process.stderr.write(terminalLogLine('err', 'Configuration error, heartbeat not started.'));
    return LSB.NOTCONFIGED;
  }
  if (running.state === 'running') {
    process.stderr.write(terminalLogLine('info', `heartbeat: already running [pid ${running.pid}].`));
    return EXIT_OK;
  }
  if (has('v')) verboseSummary(common);
  return later(daemonize(process.argv.slice(1), OUT, READY_WAIT_MS));
}

/** -v: Heartbeat dumps its configuration when it starts; we print the --check-config summary on stderr. */
function verboseSummary(common: { configDir: string; nodeName: string | undefined }): void {
  const loaded = loadConfig({ configDir: common.configDir, nodeName: common.nodeName });
  if (loaded.config !== undefined) process.stderr.write(describeConfig(loaded.config, loaded.nodeName).text);
}

process.exitCode = main(process.argv.slice(2));
