// Running one resource script operation: no shell, own process group, bounded output logged by line, timeout → TERM → KILL.
/*
 * heartbeat 3.0.6 runs scripts through ResourceManager with no time limit; we give every operation one
 * (../STYLE §10). On timeout the whole process group gets SIGTERM, and after a grace period SIGKILL if
 * anything in it is still alive — so a script's children (an `ifconfig` stuck on a dead NIC, a daemon it
 * started in the foreground) go with it. A script that exits normally keeps whatever it started: a `start`
 * that launches a daemon must leave it running.
 *
 * Environment for scripts (what ResourceManager, shellfuncs, ocf-shellfuncs, harc and the rc.d scripts read):
 *   HA_CURHOST      this node's name (ResourceManager ourkeys/otherkeys, req_resource, rc.d/ip-request-resp)
 *   HA_DIR          the configuration directory (/etc/ha.d); HA_RESOURCEDIR = $HA_DIR/resource.d, HA_CF, HA_FUNCS
 *   HA_RSCTMP       per-boot scratch dir for pseudo-resources (ha_pseudo_resource tracking files: Delay, …)
 *   HA_VARLIB, HA_FIFO  state dir and the control FIFO that ha_clustermsg writes to
 *   HA_LOGFILE, HA_DEBUGLOG, HA_LOGFACILITY, HA_debug, HA_LOGD  where ha_log/ha_debug write
 *   HA_NICEFAILBACK=yes with auto_failback on|off; HA_<NAME> for every ha.cf `env NAME=value`
 *   PATH            fixed and without "." (shellfuncs prepends HA_BIN, /usr/sbin, /usr/share/heartbeat)
 *   LC_ALL, LANGUAGE  removed, as ResourceManager unsets them ("make ifconfig work in France")
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { StringDecoder } from 'node:string_decoder';
import type { LogLevel } from '../../core/log-level.js';
import { initialOperation, stepOperation, type OperationCommand, type OperationInput, type OperationTimer } from './operation-machine.js';

export const DEFAULT_KILL_GRACE_MS = 5000;
export const DEFAULT_MAX_OUTPUT_BYTES = 64 * 1024;
/** After the script exits, how long its output pipes may stay open (held by something it left behind). */
export const DEFAULT_DRAIN_AFTER_EXIT_MS = 250;
/** Output lines logged per stream and operation; the rest are counted. */
export const DEFAULT_MAX_LOGGED_LINES = 200;
const MAX_LINE_CHARS = 2000;
/** After SIGKILL: how long we wait for the group to disappear before reporting anyway. */
const KILL_WAIT_MS = 1000;
const GROUP_POLL_MS = 10;

export const SANE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/* ------------------------------------------------------------------ environment */

export interface ScriptEnvOptions {
  readonly localNode: string;
  /** HA_DIR (the directory holding ha.cf, haresources, resource.d). */
  readonly configDir: string;
  readonly rsctmpDir: string;
  /** HA_VARLIB; HA_FIFO is `<stateDir>/fifo`. */
  readonly stateDir?: string;
  readonly logFile?: string | undefined;
  readonly debugFile?: string | undefined;
  readonly logFacility?: string | undefined;
  readonly debugLevel?: number;
  readonly useLogd?: boolean;
  readonly niceFailback?: boolean;
  /** ha.cf `env NAME=value` lines, exported as HA_NAME. */
  readonly haEnv?: ReadonlyMap<string, string>;
  /** Inherited variables (e.g. TZ, LANG); PATH, LC_ALL and LANGUAGE from here are not used. */
  readonly base?: NodeJS.ProcessEnv;
}

export function scriptEnvironment(o: ScriptEnvOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...(o.base ?? {}) };
  delete env['LC_ALL'];
  delete env['LANGUAGE'];
  for (const [k, v] of o.haEnv ?? new Map<string, string>()) env[`HA_${k}`] = v;
  Object.assign(env, {
    PATH: SANE_PATH,
    HA_CURHOST: o.localNode,
    HA_DIR: o.configDir,
    HA_CF: `${o.configDir}/ha.cf`,
    HA_RESOURCEDIR: `${o.configDir}/resource.d`,
    HA_RSCTMP: o.rsctmpDir,
    HA_LOGFILE: o.logFile ?? '',
    HA_DEBUGLOG: o.debugFile ?? '',
    HA_LOGFACILITY: o.logFacility ?? '',
    HA_debug: String(o.debugLevel ?? 0),
    HA_LOGD: o.useLogd === true ? 'yes' : 'no',
  });
  if (o.stateDir !== undefined) {
    env['HA_VARLIB'] = o.stateDir;
    env['HA_FIFO'] = `${o.stateDir}/fifo`;
  }
  if (o.niceFailback === true) env['HA_NICEFAILBACK'] = 'yes';
  return env;
}

/** ResourceManager scriptpath's `[ -f p -a -x p ]`: a regular file (symlinks followed) we may execute. */
export function scriptExists(path: string): boolean {
  try {
    if (!fs.statSync(path).isFile()) return false;
    fs.accessSync(path, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Whether any live (non-zombie) process is in process group `pgid`. kill(-pgid, 0) alone is not enough: an
 * orphan killed in a container whose PID 1 does not reap stays a zombie in the group for ever.
 */
export function processGroupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return true; // no /proc: trust kill()
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${name}/stat`, 'latin1');
    } catch {
      continue; // exited meanwhile
    }
    // "pid (comm) S ppid pgrp …": comm may hold blanks and parentheses, so read after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

/* ------------------------------------------------------------------ output */

/** One output stream: the first `maxBytes` kept, lines logged (up to a count), the rest counted. */
class OutputCapture {
  private readonly chunks: Buffer[] = [];
  private bytes = 0;
  truncated = false;
  private readonly decoder = new StringDecoder('utf8');
  private partial = '';
  private logged = 0;
  private suppressed = 0;
  private counting = false;
  private tailOpen = false;

  constructor(
    private readonly maxBytes: number,
    private readonly maxLines: number,
    private readonly emit: ((line: string) => void) | undefined,
  ) {}

  push(buf: Buffer): void {
    if (this.bytes < this.maxBytes) {
      const take = buf.length <= this.maxBytes - this.bytes ? buf : buf.subarray(0, this.maxBytes - this.bytes);
      this.chunks.push(Buffer.from(take));
      this.bytes += take.length;
      if (take.length < buf.length) this.truncated = true;
    } else if (buf.length > 0) {
      this.truncated = true;
    }
    if (this.emit === undefined) return;
    if (this.counting) {
      for (const b of buf) if (b === 0x0a) this.suppressed++;
      if (buf.length > 0) this.tailOpen = buf[buf.length - 1] !== 0x0a;
      return;
    }
    const lines = (this.partial + this.decoder.write(buf)).split('\n');
    this.partial = lines.pop() ?? '';
    if (this.partial.length > MAX_LINE_CHARS) {
      lines.push(this.partial); // a line without end: log what we have, cut
      this.partial = '';
    }
    for (const l of lines) this.line(l);
    if (this.logged >= this.maxLines) {
      // From here on only count lines; an unfinished one is counted when its newline (or the end) comes.
      this.counting = true;
      this.tailOpen = this.partial !== '';
      this.partial = '';
    }
  }

  private line(raw: string): void {
    const l = raw.replace(/\r$/, '');
    if (l.trim() === '' || this.emit === undefined) return;
    if (this.logged >= this.maxLines) {
      this.suppressed++;
      return;
    }
    this.logged++;
    this.emit(l.length > MAX_LINE_CHARS ? `${l.slice(0, MAX_LINE_CHARS)}…` : l);
  }

  /** Flushes a last unterminated line; returns how many lines were not logged. */
  end(): number {
    if (this.counting) {
      if (this.tailOpen) this.suppressed++;
    } else if (this.emit !== undefined) {
      const rest = this.partial + this.decoder.end();
      this.partial = '';
      this.line(rest);
    }
    return this.suppressed;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/* ------------------------------------------------------------------ one operation */

export interface RunOperationOptions {
  /** [script, ...args, op]; run without a shell. */
  readonly argv: readonly string[];
  readonly timeoutMs: number;
  readonly env: NodeJS.ProcessEnv;
  /** Put before every logged line, e.g. `IPaddr2::198.51.100.100/24/eth0 start`. */
  readonly logPrefix: string;
  readonly log: (level: LogLevel, text: string) => void;
  /** Between SIGTERM and SIGKILL. Default 5 s. */
  readonly killGraceMs?: number;
  /** Kept per stream. Default 64 KiB. */
  readonly maxOutputBytes?: number;
  readonly maxLoggedLines?: number;
  readonly drainAfterExitMs?: number;
  /** Log stdout lines (default true). A `status` answer is read, not logged; its stderr still is. */
  readonly logStdout?: boolean;
  /** Default "/": a script must not depend on where the daemon was started. */
  readonly cwd?: string;
  /** For startedAtMs. Default Date.now. Durations use the monotonic clock. */
  readonly now?: () => number;
}

export interface OperationResult {
  readonly argv: readonly string[];
  /** null when killed by a signal or never started. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  /** The errno code when the script could not be started (ENOENT, EACCES, …). */
  readonly spawnError: string | undefined;
  readonly stdout: string;
  readonly stderr: string;
  readonly stdoutTruncated: boolean;
  readonly stderrTruncated: boolean;
  /** The script's PID, which is also its process group id. */
  readonly pid: number | undefined;
  readonly startedAtMs: number;
  readonly durationMs: number;
  /** Since start, when SIGTERM / SIGKILL went to the group (timeouts only). */
  readonly termSentAfterMs: number | undefined;
  readonly killSentAfterMs: number | undefined;
  /** The script exited but something it left behind still holds its output pipes (no longer read into stdout). */
  readonly pipesLeftOpen: boolean;
}

/** Runs one operation; never throws and never rejects. Its phases are the table of operation-machine.ts. */
export function runOperation(o: RunOperationOptions): Promise<OperationResult> {
  const now = o.now ?? Date.now;
  const startedAtMs = now();
  const t0 = performance.now();
  const since = (): number => Math.round(performance.now() - t0);
  const maxBytes = o.maxOutputBytes ?? DEFAULT_MAX_OUTPUT_BYTES;
  const maxLines = o.maxLoggedLines ?? DEFAULT_MAX_LOGGED_LINES;
  const stdoutCap = new OutputCapture(maxBytes, maxLines, o.logStdout === false ? undefined : (l) => o.log('info', `${o.logPrefix}: ${l}`));
  const stderrCap = new OutputCapture(maxBytes, maxLines, (l) => o.log('info', `${o.logPrefix} [stderr]: ${l}`));
  const killGraceMs = o.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const timerMs: Record<OperationTimer, number> = {
    'timeout': o.timeoutMs,
    'grace': killGraceMs,
    'drain': o.drainAfterExitMs ?? DEFAULT_DRAIN_AFTER_EXIT_MS,
    'kill-wait': KILL_WAIT_MS,
    'poll': GROUP_POLL_MS,
  };
  const [file, ...args] = o.argv;

  return new Promise((resolve) => {
    let state = initialOperation(0);
    let child: ChildProcess | undefined;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let spawnError: string | undefined;
    let termSentAfterMs: number | undefined;
    let killSentAfterMs: number | undefined;
    const timers = new Set<NodeJS.Timeout>();

    const signalGroup = (sig: NodeJS.Signals): void => {
      const pid = child?.pid;
      if (pid === undefined) return;
      try {
        process.kill(-pid, sig);
      } catch {
        /* the group is gone */
      }
    };
    const groupAlive = (): boolean => child?.pid !== undefined && processGroupAlive(child.pid);

    /** One input to the table; its commands are carried out in order (check-group answers at once). */
    const feed = (input: OperationInput): void => {
      const r = stepOperation(state, input);
      state = r.state;
      for (const c of r.commands) run(c);
    };
    const run = (c: OperationCommand): void => {
      switch (c.kind) {
        case 'arm': {
          if (state.phase === 'done') return;
          const t = setTimeout(() => {
            timers.delete(t);
            feed({ kind: 'timer', timer: c.timer });
          }, timerMs[c.timer]);
          timers.add(t);
          return;
        }
        case 'term':
          termSentAfterMs = since();
          o.log('err', `${o.logPrefix}: timed out after ${o.timeoutMs} ms; sending SIGTERM to its process group`);
          signalGroup('SIGTERM');
          return;
        case 'kill-if-alive':
          if (!groupAlive()) return;
          killSentAfterMs = since();
          o.log('err', `${o.logPrefix}: still running ${killGraceMs} ms after SIGTERM; sending SIGKILL`);
          signalGroup('SIGKILL');
          return;
        case 'check-group':
          feed({ kind: 'group', alive: groupAlive() });
          return;
        case 'give-up':
          o.log('crit', `${o.logPrefix}: process group ${child?.pid ?? '?'} still there ${KILL_WAIT_MS} ms after SIGKILL`);
          return;
        case 'finish':
          finish();
          return;
      }
    };

    const finish = (): void => {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const pipesLeftOpen = state.openPipes > 0;
      if (pipesLeftOpen && child !== undefined) {
        // Keep draining (a daemon writing to a closed pipe would die of SIGPIPE) without holding the event loop.
        o.log('warn', `${o.logPrefix}: its output pipes are still held open (by a process it left behind); no longer read into the result`);
        for (const s of [child.stdout, child.stderr]) {
          s?.removeAllListeners('data');
          s?.on('data', () => undefined);
          (s as { unref?: () => void } | null)?.unref?.();
        }
        child.unref();
      }
      for (const [cap, name] of [[stdoutCap, 'stdout'], [stderrCap, 'stderr']] as const) {
        const n = cap.end();
        if (n > 0) o.log('info', `${o.logPrefix}: ${n} more line(s) of ${name} not logged`);
      }
      resolve({
        argv: o.argv,
        exitCode: exit?.code ?? null,
        signal: exit?.signal ?? null,
        timedOut: termSentAfterMs !== undefined,
        spawnError,
        stdout: stdoutCap.text(),
        stderr: stderrCap.text(),
        stdoutTruncated: stdoutCap.truncated,
        stderrTruncated: stderrCap.truncated,
        pid: child?.pid,
        startedAtMs,
        durationMs: since(),
        termSentAfterMs,
        killSentAfterMs,
        pipesLeftOpen,
      });
    };

    if (file === undefined) {
      spawnError = 'EINVAL';
      o.log('err', `${o.logPrefix}: nothing to run (empty argv)`);
      feed({ kind: 'spawn-failed' });
      return;
    }
    try {
      child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: o.env, cwd: o.cwd ?? '/' });
    } catch (e) {
      spawnError = (e as NodeJS.ErrnoException).code ?? 'EINVAL';
      o.log('err', `${o.logPrefix}: cannot run ${file}: ${(e as Error).message}`);
      feed({ kind: 'spawn-failed' });
      return;
    }
    const c = child;
    const streams = [[c.stdout, stdoutCap], [c.stderr, stderrCap]] as const;
    state = initialOperation(streams.filter(([stream]) => stream !== null).length);
    for (const [stream, cap] of streams) {
      if (stream === null) continue;
      stream.on('data', (b: Buffer) => cap.push(b));
      stream.on('error', () => undefined);
      stream.on('close', () => feed({ kind: 'pipe-closed' }));
    }
    c.on('error', (e: NodeJS.ErrnoException) => {
      if (c.pid !== undefined) return; // an error after start (e.g. a failed kill) changes nothing
      spawnError = e.code ?? 'EINVAL';
      o.log('err', `${o.logPrefix}: cannot run ${file}: ${e.code ?? e.message}`);
      exit = { code: null, signal: null };
      feed({ kind: 'spawn-failed' });
    });
    c.on('exit', (code, signal) => {
      exit = { code, signal };
      feed({ kind: 'exit' });
    });
    run({ kind: 'arm', timer: 'timeout' });
  });
}

/* ------------------------------------------------------------------ one operation per group */

/**
 * Serializes operations by key (a resource group): at most one in flight per key, the rest run in arrival
 * order; different keys run independently. heartbeat 3.0.6 goes further (one resource child at a time for the
 * whole node); the daemon can get that by using a single key.
 */
export class OperationQueue {
  private readonly tails = new Map<string, Promise<void>>();
  private readonly counts = new Map<string, number>();

  run<T>(key: string, op: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(op);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    this.counts.set(key, (this.counts.get(key) ?? 0) + 1);
    void tail.then(() => {
      const left = (this.counts.get(key) ?? 1) - 1;
      if (left > 0) this.counts.set(key, left);
      else this.counts.delete(key);
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }

  /** Operations queued or running for a key. */
  pending(key: string): number {
    return this.counts.get(key) ?? 0;
  }

  /** Keys with work queued or running. */
  busyKeys(): string[] {
    return [...this.counts.keys()];
  }
}
