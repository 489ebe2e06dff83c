// ha.cf `respawn`/`failfast` children: started at comm-up as their user, restarted when they die, stopped last-first.
/*
 * heartbeat 3.0.6 start_a_child_client forks, puts the child in its own process group, takes the user's uid and
 * primary gid (plus initgroups), points fds 0–2 at /dev/null and runs `/bin/sh -c "exec <command>"`. Here:
 * spawn(program, args) without a shell, `detached` (own session and process group), uid and primary gid of the
 * user, stdio ignored. Differences, on purpose or by necessity: no shell (the arguments are ha.cf's words, no
 * quoting or expansion), no supplementary groups (Node's spawn drops them), and SIGKILL after `killGraceMs`
 * at shutdown where Heartbeat waits for ever. The decisions (back-off, "respawning too fast", exit code 100,
 * log lines) are respawn.ts.
 */
import { spawn as nodeSpawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { BUILTIN_IPFAIL } from '../../config/directives.js';
import type { RespawnChild } from '../../config/model.js';
import type { LogLevel } from '../../core/log-level.js';
import { runOperation, SANE_PATH } from '../scripts/script-runner.js';
import { decideAfterExit, killLine, lookupUser, newHistory, startedLine, startingLine, type ChildHistory, type RunAs } from './respawn.js';

/** Debian ≥ 1:3.0.6-13 moved ipfail here; ha.cf files written earlier name /usr/lib/heartbeat/ipfail. */
export const DEBIAN_IPFAIL = '/usr/libexec/heartbeat/ipfail';
/** heartbeat-ts's own ipfail (src/cli/ipfail.ts), run with this Node. */
export const OUR_IPFAIL = fileURLToPath(new URL('../../cli/ipfail.js', import.meta.url));
/** Between SIGTERM and SIGKILL for each child at shutdown. */
export const CHILD_KILL_GRACE_MS = 5000;

export interface ClientChildrenOptions {
  readonly children: readonly RespawnChild[];
  /** The children's environment (Heartbeat's own, with its HA_* parameters). */
  readonly env: NodeJS.ProcessEnv;
  readonly log: (level: LogLevel, text: string) => void;
  /** Where users are looked up. Default /etc/passwd. */
  readonly passwdPath?: string;
  /**
   * What runs for `builtin:ipfail` (a respawn line naming /usr/lib{,64}/heartbeat/ipfail, which does not exist
   * here): heartbeat-ts's own ipfail by default. A path (e.g. DEBIAN_IPFAIL) runs that program instead; to run
   * Debian's from ha.cf, name /usr/libexec/heartbeat/ipfail in the respawn line.
   */
  readonly builtinIpfail?: string | undefined;
  readonly killGraceMs?: number;
  /** failfast child died abnormally: reboot the machine (foreground runs the reboot command, runRebootCommand). */
  readonly onFailfast?: (command: string) => void;
  /** Tests inject a fake. */
  readonly spawn?: (file: string, args: readonly string[], opts: SpawnOptions) => ChildProcess;
  readonly monoMs?: () => number;
}

interface Slot {
  readonly spec: RespawnChild;
  readonly program: string;
  readonly args: readonly string[];
  readonly runAs: RunAs;
  history: ChildHistory;
  proc: ChildProcess | undefined;
  pid: number | undefined;
  startedAtMs: number;
  exited: Promise<void> | undefined;
  timer: NodeJS.Timeout | undefined;
}

export class ClientChildren {
  private readonly slots: Slot[] = [];
  private started = false;
  private shuttingDown = false;

  constructor(private readonly o: ClientChildrenOptions) {
    let passwd = '';
    try {
      passwd = fs.readFileSync(o.passwdPath ?? '/etc/passwd', 'latin1');
    } catch (e) {
      o.log('err', `cannot read ${o.passwdPath ?? '/etc/passwd'}: ${(e as Error).message}; client children cannot start`);
    }
    for (const spec of o.children) {
      const runAs = lookupUser(passwd, spec.user);
      if (runAs === undefined) {
        o.log('err', `Invalid uid [${spec.user}] specified for client child ${spec.command}; not starting it`);
        continue;
      }
      const run = this.programOf(spec);
      if (run === undefined) continue;
      this.slots.push({ spec, program: run.program, args: run.args, runAs, history: newHistory(spec.command, spec.failfast), proc: undefined, pid: undefined, startedAtMs: 0, exited: undefined, timer: undefined });
    }
  }

  private programOf(spec: RespawnChild): { program: string; args: readonly string[] } | undefined {
    if (spec.program !== BUILTIN_IPFAIL) return { program: spec.program, args: spec.args };
    const other = this.o.builtinIpfail;
    if (other !== undefined) {
      this.o.log('info', `respawn ${spec.command}: that file does not exist; running ${other} in its place`);
      return { program: other, args: spec.args };
    }
    this.o.log('info', `respawn ${spec.command}: that file does not exist; running heartbeat-ts's ipfail (${OUR_IPFAIL}) in its place`);
    return { program: process.execPath, args: [OUR_IPFAIL, ...spec.args] };
  }

  private now(): number {
    return this.o.monoMs?.() ?? Math.floor(performance.now());
  }

  /** The running children's pids, in start order (tests, status). */
  pids(): number[] {
    return this.slots.flatMap((s) => (s.pid === undefined ? [] : [s.pid]));
  }

  /** heartbeat 3.0.6 comm_now_up: start each child once, in ha.cf order (after the API socket is open). */
  start(): void {
    if (this.started || this.shuttingDown) return;
    this.started = true;
    for (const s of this.slots) this.launch(s);
  }

  private launch(s: Slot): void {
    s.timer = undefined;
    if (this.shuttingDown) return;
    const command = s.spec.command;
    this.o.log('info', startingLine(command, s.runAs));
    try {
      fs.accessSync(s.program, fs.constants.X_OK);
    } catch (e) {
      this.o.log('err', `Cannot exec ${command}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
      return;
    }
    const spawn = this.o.spawn ?? nodeSpawn;
    let proc: ChildProcess;
    try {
      proc = spawn(s.program, s.args, {
        uid: s.runAs.uid,
        gid: s.runAs.gid,
        env: this.o.env,
        cwd: '/',
        stdio: 'ignore',
        detached: true,
      });
    } catch (e) {
      this.o.log('err', `Cannot exec ${command}: ${(e as Error).message}`);
      return;
    }
    s.proc = proc;
    s.pid = proc.pid;
    s.startedAtMs = this.now();
    let settle: () => void = () => undefined;
    s.exited = new Promise<void>((r) => (settle = r));
    proc.on('error', (e) => {
      // spawn failed (no pid): report once; 'exit' may not follow.
      if (s.proc !== proc) return;
      if (proc.pid === undefined) {
        this.o.log('err', `Cannot exec ${command}: ${e.message}`);
        s.proc = undefined;
        s.pid = undefined;
        settle();
      }
    });
    proc.on('exit', (code, signal) => {
      if (s.proc !== proc) return;
      const pid = s.pid ?? 0;
      s.proc = undefined;
      s.pid = undefined;
      settle();
      this.onExit(s, pid, code, signal === null ? 0 : (os.constants.signals[signal] ?? 0));
    });
    if (proc.pid !== undefined) this.o.log('info', startedLine(command, s.runAs, proc.pid));
  }

  private onExit(s: Slot, pid: number, exitCode: number | null, signal: number): void {
    const d = decideAfterExit(s.history, { pid, exitCode, signal, startedAtMs: s.startedAtMs, nowMs: this.now(), shuttingDown: this.shuttingDown });
    s.history = d.history;
    for (const l of d.logs) this.o.log(l.level, l.text);
    if (d.reboot) {
      // cl_reboot's EMERG line, then the reboot.
      this.o.log('crit', `Rebooting system.  Reason: ${s.spec.command}`);
      this.o.onFailfast?.(s.spec.command);
    }
    if (d.respawn) s.timer = setTimeout(() => this.launch(s), d.delayMs);
  }

  /** No more restarts from now on (Heartbeat's shutdown_in_progress): call when the shutdown begins. */
  beginShutdown(): void {
    this.shuttingDown = true;
    for (const s of this.slots) {
      if (s.timer !== undefined) clearTimeout(s.timer);
      s.timer = undefined;
    }
  }

  /**
   * heartbeat 3.0.6 shutdown_last_client_child: the last started first, one at a time, SIGTERM to its process
   * group; SIGKILL after killGraceMs. Resolves when every child is gone (each wait is bounded).
   */
  stopAll(): Promise<void> {
    this.stopping ??= this.stopEach();
    return this.stopping;
  }

  private stopping: Promise<void> | undefined;

  private async stopEach(): Promise<void> {
    this.beginShutdown();
    const grace = this.o.killGraceMs ?? CHILD_KILL_GRACE_MS;
    for (const s of [...this.slots].reverse()) {
      const pid = s.pid;
      const exited = s.exited;
      if (pid === undefined || exited === undefined) {
        if (this.started) this.o.log('info', `client [${s.spec.command}] is not running.`);
        continue;
      }
      this.o.log('info', killLine(s.spec.command, pid, os.constants.signals.SIGTERM));
      signalGroup(pid, 'SIGTERM');
      if (await within(exited, grace)) continue;
      this.o.log('warn', `client ${s.spec.command} (pid ${pid}) still running ${grace} ms after SIGTERM; sending SIGKILL`);
      this.o.log('info', killLine(s.spec.command, pid, os.constants.signals.SIGKILL));
      signalGroup(pid, 'SIGKILL');
      if (!(await within(exited, 2000))) this.o.log('err', `client ${s.spec.command} (pid ${pid}) survived SIGKILL`);
    }
  }
}

/**
 * cl_reboot for a failfast child: runs `argv` (the --reboot-command, /sbin/reboot -nf by default) without a
 * shell. Resolves true if it ran and exited 0 — with a real reboot this process is gone before then; a test's
 * harmless command leaves it running, and that is logged. False: the reboot failed (Heartbeat logs "ALL
 * REBOOT OPTIONS FAILED" and exits; the caller decides).
 */
export async function runRebootCommand(argv: readonly string[], reason: string, log: (level: LogLevel, text: string) => void, timeoutMs = 60_000): Promise<boolean> {
  const r = await runOperation({ argv, timeoutMs, env: { PATH: SANE_PATH }, logPrefix: `reboot (${reason})`, log });
  if (r.exitCode === 0) {
    log('crit', `reboot command "${argv.join(' ')}" exited 0, yet heartbeat-ts still runs (${reason})`);
    return true;
  }
  const how = r.spawnError ?? (r.timedOut ? 'timed out' : r.signal ?? `exit status ${r.exitCode ?? '?'}`);
  log('crit', `ALL REBOOT OPTIONS FAILED: ${argv.join(' ')} returned ${how}`);
  return false;
}

/** The child's process group (it is its leader); its own pid if the group is gone already. */
function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
}

async function within(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const r = await Promise.race([p.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)))]);
  clearTimeout(timer);
  return r;
}
