// Command-line parsing shared by every heartbeat-ts command: the common directory options and Heartbeat's flags.
import { err, ok, type Result } from '../core/result.js';
import { parseTime } from '../config/time-value.js';
import { parseMetricsAddress } from '../daemon/metrics.js';
import { DEFAULT_SCRIPT_TIMEOUT_MS, HEARTBEAT_FAILED_STOP_ARGV } from '../resources/failure-policy.js';

/** Where a command finds its files; every command accepts these four options. */
export interface CommonOptions {
  readonly configDir: string;
  /** Undefined: the first line of <configDir>/nodeinfo, else `uname -n`, lower-cased (Heartbeat's rule). */
  readonly nodeName: string | undefined;
  readonly stateDir: string;
  readonly runDir: string;
}

export const COMMON_DEFAULTS: CommonOptions = {
  configDir: '/etc/ha.d',
  nodeName: undefined,
  stateDir: '/var/lib/heartbeat',
  runDir: '/var/run/heartbeat',
};

export const COMMON_USAGE = [
  '  --config-dir DIR   configuration directory (default /etc/ha.d)',
  '  --node-name NAME   this node\'s name (default: <config-dir>/nodeinfo, else uname -n, lower-cased)',
  '  --state-dir DIR    state directory (default /var/lib/heartbeat)',
  '  --run-dir DIR      run-time directory (default /var/run/heartbeat)',
].join('\n');

/** A parsed command line: common options, named long flags, repeatable short flags, values and operands. */
export interface ParsedArgs {
  readonly common: CommonOptions;
  /** Long boolean options seen, e.g. "check-config", "json", "help". */
  readonly long: ReadonlySet<string>;
  /** Long options with values other than the common ones, e.g. authkeys → FILE. */
  readonly longValues: ReadonlyMap<string, string>;
  /** Short flags and how often each was given (`-dd` → d: 2). */
  readonly short: ReadonlyMap<string, number>;
  /** Values of short options that take one (`-C state`). */
  readonly shortValues: ReadonlyMap<string, string>;
  readonly operands: readonly string[];
}

export interface ArgSpec {
  /** Short flags without a value, e.g. "dDkMrRsvWlVf". */
  readonly shortFlags: string;
  /** Short options that take a value, e.g. "C". */
  readonly shortWithValue: string;
  /** Long boolean options (without the leading --). */
  readonly longFlags: readonly string[];
  /** Long options taking a value, beyond the common four. */
  readonly longWithValue: readonly string[];
}

const COMMON_LONG: Record<string, keyof CommonOptions> = {
  'config-dir': 'configDir',
  'node-name': 'nodeName',
  'state-dir': 'stateDir',
  'run-dir': 'runDir',
};

/** Parses argv (without node and script) against spec; the error is a one-line message for the usage text. */
export function parseArgs(argv: readonly string[], spec: ArgSpec): Result<ParsedArgs, string> {
  const common: { -readonly [K in keyof CommonOptions]: CommonOptions[K] } = { ...COMMON_DEFAULTS };
  const long = new Set<string>();
  const longValues = new Map<string, string>();
  const short = new Map<string, number>();
  const shortValues = new Map<string, string>();
  const operands: string[] = [];
  let i = 0;
  const next = (what: string): Result<string, string> => {
    const v = argv[i + 1];
    if (v === undefined) return err(`option ${what} needs a value`);
    i += 1;
    return ok(v);
  };
  for (; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--') {
      operands.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      const name = a.slice(2, eq < 0 ? undefined : eq);
      const inline = eq < 0 ? undefined : a.slice(eq + 1);
      const commonKey = COMMON_LONG[name];
      if (commonKey !== undefined || spec.longWithValue.includes(name)) {
        let value = inline;
        if (value === undefined) {
          const v = next(`--${name}`);
          if (!v.ok) return v;
          value = v.value;
        }
        if (value === '') return err(`option --${name} needs a non-empty value`);
        if (commonKey !== undefined) common[commonKey] = value;
        else longValues.set(name, value);
        continue;
      }
      if (spec.longFlags.includes(name)) {
        if (inline !== undefined) return err(`option --${name} takes no value`);
        long.add(name);
        continue;
      }
      return err(`unknown option --${name}`);
    }
    if (a.startsWith('-') && a.length > 1) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j] as string;
        if (spec.shortWithValue.includes(c)) {
          let value = a.slice(j + 1);
          if (value === '') {
            const v = next(`-${c}`);
            if (!v.ok) return v;
            value = v.value;
          }
          shortValues.set(c, value);
          short.set(c, (short.get(c) ?? 0) + 1);
          break;
        }
        if (!spec.shortFlags.includes(c)) return err(`invalid option -- '${c}'`);
        short.set(c, (short.get(c) ?? 0) + 1);
      }
      continue;
    }
    operands.push(a);
  }
  return ok({ common, long, longValues, short, shortValues, operands });
}

/* ------------------------------------------------------------------ the daemon's own options */

/** What `heartbeat` (the daemon) takes beyond the common options; not Heartbeat's (it has neither). */
export interface DaemonOptions {
  /** Run when a resource will not stop and status says it still runs. Default `/sbin/reboot -nf`, as Heartbeat. */
  readonly failedStopArgv: readonly string[];
  /** Limit of one resource script operation (start, stop, status) and of the failed-stop command. Default 60 s. */
  readonly scriptTimeoutMs: number;
  /** Run when a `failfast` child dies abnormally (Heartbeat's cl_reboot). Default: the failed-stop command. */
  readonly rebootArgv: readonly string[];
  /** `--pid-file`: the daemon's pid file (default: heartbeat.pid beside the run directory, /var/run/heartbeat.pid). */
  readonly pidFile: string | undefined;
  /** `--syslog-socket`: where `logfacility` lines go (default /dev/log). */
  readonly syslogSocket: string | undefined;
  /** `--metrics ADDR:PORT`: the Prometheus endpoint (loopback only); off when absent. */
  readonly metrics: { readonly host: string; readonly port: number } | undefined;
}

/** The long options DaemonOptions come from (each takes a value). */
export const DAEMON_LONG_OPTIONS = ['failed-stop-command', 'script-timeout', 'reboot-command', 'pid-file', 'syslog-socket', 'metrics'] as const;

export const DAEMON_USAGE = [
  '  --failed-stop-command CMD  run CMD (split at blanks, no shell) when a resource will not stop after',
  '                     1 + HA_STOPRETRYMAX tries and status says it still runs; heartbeat-ts then stops without',
  '                     a word to the peer, which takes over after deadtime (default /sbin/reboot -nf, as Heartbeat)',
  '  --script-timeout TIME  limit of each resource script start/stop/status, then SIGTERM, SIGKILL 2 s later;',
  '                     seconds or e.g. 500ms (default 60; Heartbeat has no limit)',
  '  --reboot-command CMD  run CMD (split at blanks, no shell) when a `failfast` child dies abnormally',
  '                     (default: the --failed-stop-command, i.e. /sbin/reboot -nf, as Heartbeat reboots)',
  '  --pid-file FILE    the daemon\'s pid file, for the daemon and for -k, -s, -r (default /var/run/heartbeat.pid,',
  '                     i.e. heartbeat.pid beside --run-dir)',
  '  --syslog-socket PATH  the datagram socket `logfacility` lines are sent to (default /dev/log)',
  '  --metrics ADDR:PORT  serve Prometheus metrics at http://ADDR:PORT/metrics (loopback only, e.g.',
  '                     127.0.0.1:9694; off by default)',
].join('\n');

/** Reads --failed-stop-command and --script-timeout (defaults when absent); the error is a one-line usage message. */
export function daemonOptions(longValues: ReadonlyMap<string, string>): Result<DaemonOptions, string> {
  const command = (option: string, dflt: readonly string[]): Result<readonly string[], string> => {
    const cmd = longValues.get(option);
    if (cmd === undefined) return ok(dflt);
    const argv = cmd.split(/[ \t]+/).filter((w) => w !== '');
    const first = argv[0];
    if (first === undefined) return err(`option --${option} needs a command`);
    // The daemon runs as root from whatever directory: a relative program would be found through PATH or cwd.
    if (!first.startsWith('/')) return err(`option --${option}: "${first}" must be an absolute path (e.g. /sbin/reboot)`);
    return ok(argv);
  };
  const failedStop = command('failed-stop-command', HEARTBEAT_FAILED_STOP_ARGV);
  if (!failedStop.ok) return failedStop;
  const failedStopArgv = failedStop.value;
  const reboot = command('reboot-command', failedStopArgv);
  if (!reboot.ok) return reboot;
  let scriptTimeoutMs = DEFAULT_SCRIPT_TIMEOUT_MS;
  const timeout = longValues.get('script-timeout');
  if (timeout !== undefined) {
    const t = parseTime(timeout);
    if (t.ms <= 0 || t.lenient) return err(`option --script-timeout "${timeout}": expected a time above 0: seconds (60, 1.5) or milliseconds (500ms)`);
    scriptTimeoutMs = t.ms;
  }
  const pidFile = longValues.get('pid-file');
  const syslogSocket = longValues.get('syslog-socket');
  const metricsText = longValues.get('metrics');
  let metrics: DaemonOptions['metrics'];
  if (metricsText !== undefined) {
    const m = parseMetricsAddress(metricsText);
    if ('error' in m) return err(`option ${m.error}`);
    metrics = m;
  }
  return ok({ failedStopArgv, scriptTimeoutMs, rebootArgv: reboot.value, pidFile, syslogSocket, metrics });
}
