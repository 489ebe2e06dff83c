// Client children (ha.cf `respawn` / `failfast`): Heartbeat's decisions and log lines, as pure functions.
/*
 *   a child's life (heartbeat 3.0.6: start_a_child_client, ManagedChildDied, shutdown_last_client_child)
 *
 *     idle ──comm-up──► running ──exits──┬─ shutting down ───────────────────────► stopped
 *                          ▲              ├─ exit code 100 ("do not respawn me") ──► stopped
 *                          │              ├─ 11th death in a row within 30 s of its start
 *                          │              │     ("respawning too fast") ──────────► stopped
 *                          └──────────────┴─ otherwise ("Respawning client") after 0 s, or 1 s when the
 *                                            previous run was also short (the C child sleeps 1 s first)
 *
 *   shutdown: after the resources are released and `shutdone` sent, children are stopped one at a time, the
 *   last started first, each with SIGTERM to its process group. Heartbeat waits for ever; we send SIGKILL
 *   after a bound.
 *
 * The spawning itself (uid/gid, process groups, signals) is client-children.ts; nothing here touches a process.
 */
import type { LogLevel } from '../../core/log-level.js';

/** A run shorter than this counts towards "respawning too fast" (ManagedChildDied: minticks = 30 s). */
export const SHORT_RUN_MS = 30_000;
/** More short runs in a row than this and the child is left dead. */
export const MAX_SHORT_RUNS = 10;
/** A child restarted after a short run waits this long first (start_a_child_client: `sleep(1)`). */
export const SHORT_RUN_PAUSE_MS = 1000;
/** A child exiting with this code asks not to be respawned (ipfail: "No managed resources", legacy mode). */
export const EXIT_NO_RESPAWN = 100;

/** What Heartbeat keeps per child between runs (struct client_child). */
export interface ChildHistory {
  /** The command line as ha.cf wrote it (Heartbeat's managedchild->command, used in every log line). */
  readonly command: string;
  readonly failfast: boolean;
  /** Consecutive runs shorter than SHORT_RUN_MS. */
  readonly shortRuns: number;
  /** Restarts so far. */
  readonly respawns: number;
}

export interface ChildExit {
  readonly pid: number;
  /** Exit status, or null when a signal ended it. */
  readonly exitCode: number | null;
  /** Signal number that ended it, 0 if none. */
  readonly signal: number;
  readonly startedAtMs: number;
  readonly nowMs: number;
  /** The daemon is shutting down: no respawn, and the exit is expected (logged at debug level). */
  readonly shuttingDown: boolean;
}

export interface ExitDecision {
  readonly history: ChildHistory;
  /** Start it again after `delayMs`, or leave it. */
  readonly respawn: boolean;
  readonly delayMs: number;
  /** failfast child died abnormally: reboot the machine now (Heartbeat's cl_reboot). */
  readonly reboot: boolean;
  readonly logs: readonly { readonly level: LogLevel; readonly text: string }[];
}

export function newHistory(command: string, failfast: boolean): ChildHistory {
  return { command, failfast, shortRuns: 0, respawns: 0 };
}

/** cluster-glue proctrack.c signal_info: the name and words it logs for a signal. */
const SIGNALS: Readonly<Record<number, readonly [string, string]>> = {
  1: ['SIGHUP', 'Hangup'], 2: ['SIGINT', 'Interrupt'], 3: ['SIGQUIT', 'Quit'], 4: ['SIGILL', 'Illegal instruction'],
  5: ['SIGTRAP', 'Trace'], 6: ['SIGABRT', 'Abort'], 7: ['SIGBUS', 'BUS error'], 8: ['SIGFPE', 'Floating-point exception'],
  9: ['SIGKILL', 'Kill, unblockable'], 10: ['SIGUSR1', 'User-defined signal 1'], 11: ['SIGSEGV', 'Segmentation violation'],
  12: ['SIGUSR2', 'User-defined signal 2'], 13: ['SIGPIPE', 'Broken pipe (POSIX)'], 14: ['SIGALRM', 'Alarm clock (POSIX)'],
  15: ['SIGTERM', 'Termination (ANSI)'],
};

/**
 * heartbeat 3.0.6 ManagedChildDied (and cluster-glue's ReportProcHasDied before it): what to log, whether to
 * restart, after how long. Outside shutdown the death is reported by the process tracker ("Managed … process
 * … exited with return code …"), so ManagedChildDied's own lines only appear at debug level; during shutdown
 * the tracker is silent and they are debug lines too.
 */
export function decideAfterExit(h: ChildHistory, e: ChildExit): ExitDecision {
  const logs: { level: LogLevel; text: string }[] = [];
  const code = e.exitCode ?? 0;
  if (!e.shuttingDown) {
    if (e.signal === 0) logs.push({ level: code === 0 ? 'info' : 'warn', text: `Managed ${h.command} process ${e.pid} exited with return code ${code}.` });
    else {
      const sig = SIGNALS[e.signal];
      logs.push({ level: 'warn', text: `Managed ${h.command} process ${e.pid} killed by signal ${e.signal}${sig === undefined ? '' : ` [${sig[0]} - ${sig[1]}]`}.` });
    }
  }
  if (code !== 0) logs.push({ level: 'debug', text: `Client ${h.command} exited with return code ${code}.` });
  if (e.signal !== 0) logs.push({ level: 'debug', text: `Client ${h.command} (pid=${e.pid}) killed by signal ${e.signal}.` });
  // heartbeat 3.0.6 reboots on any signal death, even during its own shutdown — when the signal is the SIGTERM
  // it sent the child itself (shutdown_last_client_child): a clean stop then reboots the machine. Not here.
  const reboot = h.failfast && !e.shuttingDown && (e.signal !== 0 || code !== 0);
  if (h.failfast && e.shuttingDown && e.signal !== 0) {
    logs.push({ level: 'info', text: `failfast client ${h.command} ended by signal ${e.signal} during shutdown: no reboot (Heartbeat 3.0.6 would reboot here)` });
  }
  if (e.shuttingDown || code === EXIT_NO_RESPAWN) return { history: h, respawn: false, delayMs: 0, reboot, logs };
  const short = e.nowMs - e.startedAtMs < SHORT_RUN_MS;
  const shortRuns = short ? h.shortRuns + 1 : 0;
  if (shortRuns > MAX_SHORT_RUNS) {
    logs.push({ level: 'err', text: `Client ${h.command} "respawning too fast"` });
    return { history: { ...h, shortRuns: 0 }, respawn: false, delayMs: 0, reboot, logs };
  }
  logs.push({ level: 'err', text: `Respawning client "${h.command}":` });
  return { history: { ...h, shortRuns, respawns: h.respawns + 1 }, respawn: true, delayMs: shortRuns > 0 ? SHORT_RUN_PAUSE_MS : 0, reboot, logs };
}

/** start_a_child_client, in the parent before forking. */
export function startingLine(command: string, runAs: RunAs): string {
  return `Starting child client "${command}" (${runAs.uid},${runAs.gid})`;
}

/** start_a_child_client, in the child before exec (two blanks before "gid", as in 3.0.6). */
export function startedLine(command: string, runAs: RunAs, pid: number): string {
  return `Starting "${command}" as uid ${runAs.uid}  gid ${runAs.gid} (pid ${pid})`;
}

/** hb_kill_tracked_process: children are their own process group. */
export function killLine(command: string, pid: number, signal: number): string {
  return `killing ${command} process group ${pid} with signal ${signal}`;
}

/** The user a child runs as, from a passwd line: its uid and primary gid (getpwnam's pw_uid, pw_gid). */
export interface RunAs {
  readonly user: string;
  readonly uid: number;
  readonly gid: number;
}

/** getpwnam over the text of /etc/passwd; undefined when the user is not there. */
export function lookupUser(passwd: string, user: string): RunAs | undefined {
  for (const line of passwd.split('\n')) {
    const f = line.split(':');
    if (f[0] !== user || f.length < 4) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid < 0 || gid < 0) return undefined;
    return { user, uid, gid };
  }
  return undefined;
}
