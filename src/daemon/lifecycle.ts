// The daemon's life cycle as Heartbeat 3.0.6 runs it: the pid file, `-s`, `-k`, `-r`, and going to the background.
//
// Facts from heartbeat.c (main, make_daemon) and cluster-glue cl_pidfile.c, and from the installed binary:
//   pid file   /var/run/heartbeat.pid, the pid as "%10lu\n"; created by linking a temporary file (so two
//              starts cannot both win); a file naming a dead process is stale and replaced.
//   start      the configuration is checked before forking (errors on the terminal, exit 6); a live pid file:
//              "heartbeat: already running [pid N]." and exit 0; the parent exits 0 once forked.
//   -s         "heartbeat OK [pid N et al] is running on <uname -n> [<node>]..." exit 0; otherwise
//              "heartbeat is stopped. No process" exit 3 (no or unreadable pid file) or 1 (stale pid file).
//   -k         not running: "INFO: Heartbeat already stopped." exit 0; else SIGTERM and wait until the process
//              is gone (Heartbeat waits forever; we wait at most stopWaitMs, then exit 1); kill refused: exit 4.
//   -r         not running: start; new config broken: "Config errors: Heartbeat pid N NOT restarted" exit 1;
//              else "Signalling heartbeat pid N to reread config files", SIGHUP, exit 0.
// Node cannot fork: the parent spawns itself detached (a new session, stdio on /dev/null as make_daemon
// leaves them) with a pipe on fd 3; the child sends its log lines there until it is up, then a ready marker.
// The parent exits 0 at the marker, or prints what the child said and exits with its status when it failed.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { formatLogLine } from '../core/log-format.js';

/** LSB exit codes Heartbeat uses (lsb_exitcodes.h). */
export const LSB = {
  OK: 0,
  GENERIC: 1,
  EINVAL: 2,
  UNIMPLEMENTED: 3,
  EPERM: 4,
  NOTCONFIGED: 6,
  STATUS_VAR_PID: 1,
  STATUS_STOPPED: 3,
} as const;

/** The environment variable that marks the re-spawned background child (its value: the readiness fd). */
export const DAEMON_CHILD_ENV = 'HEARTBEAT_TS_DAEMON_CHILD';
/** What the child writes on the readiness pipe once it runs. */
export const READY_MARKER = '\u0001heartbeat-ts ready';

/** cl_read_pidfile's view of the pid file. */
export type PidFileState =
  | { readonly state: 'none' }
  | { readonly state: 'stale'; readonly pid: number }
  | { readonly state: 'running'; readonly pid: number };

/** Heartbeat's pid file text: the pid right-aligned in 10 columns, a newline (11 bytes). */
export function pidFileText(pid: number): string {
  return `${String(pid).padStart(10, ' ')}\n`;
}

/** The pid in a pid file's text, or undefined (empty, garbage, not above 0). */
export function parsePidFile(text: string): number | undefined {
  const m = /^\s*(\d+)/.exec(text);
  if (m === null) return undefined;
  const pid = Number(m[1]);
  return Number.isSafeInteger(pid) && pid > 0 ? pid : undefined;
}

/** kill(pid, 0): alive unless ESRCH (EPERM: someone else's live process, as cl_read_pidfile counts it). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export function readPidFile(file: string, exists: (pid: number) => boolean = processExists): PidFileState {
  let text: string;
  try {
    text = fs.readFileSync(file, 'latin1');
  } catch {
    return { state: 'none' };
  }
  const pid = parsePidFile(text);
  if (pid === undefined) return { state: 'none' };
  return exists(pid) ? { state: 'running', pid } : { state: 'stale', pid };
}

/**
 * Takes the pid file for `pid`: written to `<file>.<pid>` and linked into place, so only one of two racing
 * starts wins. A stale file (dead pid, garbage) is replaced. Returns the live holder's pid when refused.
 */
export function lockPidFile(file: string, pid: number = process.pid): { ok: true } | { ok: false; holder: number | undefined; error: string } {
  const tmp = `${file}.${pid}`;
  for (let attempt = 0; attempt < 2; attempt++) {
    const st = readPidFile(file);
    if (st.state === 'running' && st.pid !== pid) return { ok: false, holder: st.pid, error: `already running [pid ${st.pid}]` };
    if (st.state !== 'none' || fs.existsSync(file)) {
      try {
        fs.unlinkSync(file);
      } catch {
        /* gone meanwhile */
      }
    }
    try {
      fs.writeFileSync(tmp, pidFileText(pid), { mode: 0o644 });
      fs.linkSync(tmp, file);
      return { ok: true };
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') return { ok: false, holder: undefined, error: `could not create pidfile [${file}]: ${(e as Error).message}` };
    } finally {
      try {
        fs.unlinkSync(tmp);
      } catch {
        /* not created */
      }
    }
  }
  const st = readPidFile(file);
  return { ok: false, holder: st.state === 'running' ? st.pid : undefined, error: `could not create pidfile [${file}]: another start won the race` };
}

/** Removes the pid file if it still names `pid`. */
export function unlockPidFile(file: string, pid: number = process.pid): void {
  try {
    if (parsePidFile(fs.readFileSync(file, 'latin1')) === pid) fs.unlinkSync(file);
  } catch {
    /* not ours or gone */
  }
}

export interface Out {
  readonly stdout: (text: string) => void;
  readonly stderr: (text: string) => void;
}

/** A log line as Heartbeat prints it on stderr before it runs (cl_log with stderr enabled). */
export function terminalLogLine(level: 'info' | 'err', text: string): string {
  return formatLogLine(os.hostname(), 'heartbeat', process.pid, level, text, new Date());
}

/** `heartbeat -s`. */
export function statusCommand(pidFile: string, localNode: string, out: Out): number {
  const st = readPidFile(pidFile);
  if (st.state !== 'running') {
    out.stdout('heartbeat is stopped. No process\n');
    return st.state === 'stale' ? LSB.STATUS_VAR_PID : LSB.STATUS_STOPPED;
  }
  out.stdout(`heartbeat OK [pid ${st.pid} et al] is running on ${os.hostname().toLowerCase()} [${localNode}]...\n`);
  return LSB.OK;
}

/** `heartbeat -k`: SIGTERM the daemon and wait (polling every `pollMs`, at most `waitMs`) until it is gone. */
export async function stopCommand(pidFile: string, out: Out, waitMs: number, pollMs = 100): Promise<number> {
  const st = readPidFile(pidFile);
  if (st.state !== 'running') {
    out.stderr('INFO: Heartbeat already stopped.\n');
    return LSB.OK;
  }
  try {
    process.kill(st.pid, 'SIGTERM');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    out.stderr(`ERROR: Could not kill pid ${st.pid}: ${(e as Error).message}\n`);
    return code === 'EPERM' || code === 'EACCES' ? LSB.EPERM : LSB.GENERIC;
  }
  const deadline = Date.now() + waitMs;
  while (processExists(st.pid) && !isZombie(st.pid)) {
    if (Date.now() >= deadline) {
      out.stderr(`ERROR: Heartbeat pid ${st.pid} still running ${Math.round(waitMs / 1000)} s after SIGTERM (its shutdown waits for resource scripts); not killing it.\n`);
      return LSB.GENERIC;
    }
    await new Promise((r) => setTimeout(r, pollMs));
  }
  return LSB.OK;
}

/** A zombie has stopped running; only its parent can reap it (e.g. `heartbeat -f` started by a test). */
function isZombie(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/**
 * The parent of `heartbeat` without -f: runs `argv` again as a detached child (new session, stdio on
 * /dev/null, fd 3 a pipe back to us) and waits at most `readyMs` for it to say it runs. The child's lines are
 * printed only when it failed. Resolves with the exit status for the terminal.
 */
export function daemonize(argv: readonly string[], out: Out, readyMs: number): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...process.execArgv, ...argv], {
      detached: true,
      stdio: ['ignore', 'ignore', 'ignore', 'pipe'],
      env: { ...process.env, [DAEMON_CHILD_ENV]: '3' },
    });
    let said = '';
    let done = false;
    const finish = (code: number, show: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      if (show && said !== '') out.stderr(said.endsWith('\n') ? said : `${said}\n`);
      const pipe = child.stdio[3];
      pipe?.removeAllListeners();
      (pipe as { destroy?: () => void } | null)?.destroy?.();
      child.removeAllListeners();
      child.unref();
      resolve(code);
    };
    const timer = setTimeout(() => {
      out.stderr(`heartbeat: the daemon (pid ${child.pid ?? '?'}) did not report ready within ${Math.round(readyMs / 1000)} s; it may still be starting (see its log)\n`);
      finish(LSB.GENERIC, true);
    }, readyMs);
    child.stdio[3]?.on('data', (chunk: Buffer) => {
      said += chunk.toString('utf8');
      const at = said.indexOf(READY_MARKER);
      if (at >= 0) {
        said = said.slice(0, at);
        finish(LSB.OK, false);
      }
    });
    child.on('error', (e) => {
      said += `heartbeat: could not start daemon: ${e.message}\n`;
      finish(LSB.GENERIC, true);
    });
    child.on('exit', (code, signal) => {
      // Let the last lines arrive first: the pipe's end follows the exit event.
      setTimeout(() => finish(code ?? LSB.GENERIC, true), 50);
      if (signal !== null) said += `heartbeat: the daemon was killed by ${signal} while starting\n`;
    });
  });
}

/**
 * In the background child: the readiness pipe (fd 3) as a writer, or undefined when not a daemon child.
 * The marker variable is removed from the environment so that scripts and children do not inherit it.
 */
export function openReadinessPipe(): { write: (text: string) => void; ready: () => void } | undefined {
  const fdText = process.env[DAEMON_CHILD_ENV];
  if (fdText === undefined) return undefined;
  delete process.env[DAEMON_CHILD_ENV];
  const fd = Number(fdText);
  let open = Number.isInteger(fd) && fd > 2;
  const write = (text: string): void => {
    if (!open) return;
    try {
      fs.writeSync(fd, text);
    } catch {
      open = false; // the parent is gone (killed, timed out): nobody to tell
    }
  };
  return {
    write,
    ready: () => {
      write(`${READY_MARKER}\n`);
      if (open) fs.closeSync(fd);
      open = false;
    },
  };
}
