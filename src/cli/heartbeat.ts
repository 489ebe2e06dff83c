#!/usr/bin/env node
// `heartbeat`: Heartbeat 3.0.6's command line, plus `--check-config` (validate /etc/ha.d without starting anything).
import { VERSION, COMPATIBLE_WITH } from '../core/version.js';
import { formatDiagnostic, hasErrors, sortDiagnostics } from '../core/diagnostic.js';
import { loadConfig } from '../daemon/load-config.js';
import { COMMON_USAGE, DAEMON_LONG_OPTIONS, DAEMON_USAGE, daemonOptions, parseArgs, type ParsedArgs } from './options.js';
import { describeConfig, diagnosticsAsJson, formatDefaultsTable, formatDefaultsWiki } from './config-summary.js';
import { runForeground } from '../daemon/foreground.js';

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
  -R  restart (internal; -C STATE)  -M  do not manage resources   -l  do not run real-time
  -v  verbose                       -f  stay in the foreground
`;

function usageError(message: string): number {
  process.stderr.write(`heartbeat: ${message}\n\n${USAGE}`);
  return EXIT_EINVAL;
}

function checkConfig(args: ParsedArgs): number {
  const loaded = loadConfig({ configDir: args.common.configDir, nodeName: args.common.nodeName });
  const diagnostics = sortDiagnostics(loaded.diagnostics);
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
  if (has('f') && !has('k') && !has('s') && !has('r') && !has('R')) {
    // Runs until a signal; the exit status is set when it ends.
    void runForeground({ ...args.common, ...daemon.value }, (args.short.get('d') ?? 0)).then((code) => {
      process.exitCode = code;
    });
    return EXIT_OK;
  }
  const wanted = has('k') ? 'stopping a running daemon (-k)'
    : has('s') ? 'reporting daemon status (-s)'
    : has('r') ? 'reloading a running daemon (-r)'
    : has('R') ? 'restarting in place (-R)'
    : 'running the cluster daemon in the background';
  process.stderr.write(
    `heartbeat: ${wanted} is not implemented yet in heartbeat-ts ${VERSION}; it arrives with the operations issue ` +
      '(see README.md, "Status"). `heartbeat -f` (foreground) and `heartbeat --check-config` work today.\n',
  );
  // -s reports LSB "status unknown" (4), as Heartbeat does when it cannot tell.
  return has('s') ? 4 : EXIT_UNIMPLEMENTED;
}

process.exitCode = main(process.argv.slice(2));
