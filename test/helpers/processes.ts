// Running commands and long-lived processes for tests: no shell, bounded waits, killed by PID or own process group.
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';
import fs from 'node:fs';

/* ------------------------------------------------------------------ running commands */

export interface RunOptions {
  /** Kill the command (SIGKILL to its process group) after this long. Default 10 000 ms. */
  readonly timeoutMs?: number;
  /** Written to stdin, which is then closed. Without it stdin is /dev/null. */
  readonly input?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
}

export interface RunResult {
  readonly argv: readonly string[];
  /** null when killed by a signal. */
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly durationMs: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;
/** How long output may keep arriving after the process itself exited (a daemon child may hold the pipe). */
const DRAIN_AFTER_EXIT_MS = 500;
const MAX_CAPTURE_CHARS = 1 << 20;

function append(buf: string, chunk: string): string {
  const next = buf + chunk;
  return next.length > MAX_CAPTURE_CHARS ? next.slice(next.length - MAX_CAPTURE_CHARS) : next;
}

/** Kills a process group we created (spawned with detached: true), falling back to the single PID. */
function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      /* already gone */
    }
  }
}

export interface SpawnHooks {
  /** Extra pipes beyond stdio (fd 3…). */
  readonly extraFds?: number;
  readonly onSpawn?: (child: ChildProcess) => void;
}

/** run() with extra pipes and a spawn hook; for helpers such as runInFreshNamespaces. */
export function runWith(argv: readonly string[], opts: RunOptions, hooks: SpawnHooks = {}): Promise<RunResult> {
  const [file, ...args] = argv;
  if (file === undefined) return Promise.reject(new Error('run: empty argv'));
  const started = Date.now();
  const stdio: StdioOptions = [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'];
  for (let i = 0; i < (hooks.extraFds ?? 0); i++) stdio.push('pipe');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, {
      detached: true, // own process group, so a timeout can kill the command and what it forked
      stdio,
      ...(opts.env !== undefined ? { env: opts.env } : {}),
      ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
    });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let openStreams = 0;
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) killGroup(child.pid, 'SIGKILL');
    }, opts.timeoutMs ?? DEFAULT_TIMEOUT_MS);

    const finish = (): void => {
      if (exit === undefined) return;
      clearTimeout(timer);
      if (drainTimer !== undefined) clearTimeout(drainTimer);
      for (const s of child.stdio) s?.destroy();
      resolve({ argv, exitCode: exit.code, signal: exit.signal, stdout, stderr, timedOut, durationMs: Date.now() - started });
    };
    child.stdout?.setEncoding('utf8').on('data', (c: string) => (stdout = append(stdout, c)));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => (stderr = append(stderr, c)));
    // Every pipe (stdout, stderr, and any extra control fd) must close before the result is final.
    const pipes = child.stdio.slice(1).filter((s) => s !== null && s !== undefined);
    openStreams = pipes.length;
    for (const s of pipes) {
      s.on('close', () => {
        openStreams--;
        if (openStreams === 0) finish();
      });
    }
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${argv.join(' ')}: ${err.message}`));
    });
    child.on('exit', (code, signal) => {
      exit = { code, signal };
      if (openStreams === 0) finish();
      else drainTimer = setTimeout(finish, DRAIN_AFTER_EXIT_MS); // bounded: a forked daemon may keep the pipes
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
    hooks.onSpawn?.(child);
  });
}

/** Runs argv (no shell) and collects its output; never throws for a non-zero exit, only if it cannot start. */
export function run(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  return runWith(argv, opts);
}

/** Like run(), but throws with the command's stderr when it does not exit 0. */
export async function runOk(argv: readonly string[], opts: RunOptions = {}): Promise<RunResult> {
  const r = await run(argv, opts);
  if (r.exitCode !== 0) {
    throw new Error(`${argv.join(' ')} failed (${describeExit(r)}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return r;
}

export function describeExit(r: RunResult): string {
  if (r.timedOut) return `timed out after ${r.durationMs} ms`;
  if (r.signal !== null) return `killed by ${r.signal}`;
  return `exit ${r.exitCode}`;
}

/** Quotes one word for /bin/sh. */
export function shQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/* ------------------------------------------------------------------ processes by PID */

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A zombie still answers kill(0); it is dead for our purposes.
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Sends a signal to one PID; false if it was already gone. */
export function killPid(pid: number, signal: NodeJS.Signals = 'SIGTERM'): boolean {
  try {
    process.kill(pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Waits until a PID that is not our child (e.g. a daemon that forked) is gone. There is no exit event for
 * such a process in Node, so this polls /proc every 20 ms — bounded by timeoutMs. Resolves to whether it died.
 */
export async function waitForPidGone(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

/** A long-lived process we started (see startProcess); its output is kept, its exit is an event. */
export class StartedProcess {
  readonly pid: number;
  readonly argv: readonly string[];
  /** Resolves when the process exits (never rejects). */
  readonly exited: Promise<{ exitCode: number | null; signal: NodeJS.Signals | null }>;
  private out = '';
  private err = '';
  private exitInfo: { exitCode: number | null; signal: NodeJS.Signals | null } | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(child: ChildProcess, argv: readonly string[]) {
    if (child.pid === undefined) throw new Error(`cannot start ${argv.join(' ')}`);
    this.pid = child.pid;
    this.argv = argv;
    child.stdout?.setEncoding('utf8').on('data', (c: string) => this.onOutput('out', c));
    child.stderr?.setEncoding('utf8').on('data', (c: string) => this.onOutput('err', c));
    this.exited = new Promise((resolve) => {
      child.on('exit', (exitCode, signal) => {
        this.exitInfo = { exitCode, signal };
        for (const w of this.waiters) w();
        resolve(this.exitInfo);
      });
      child.on('error', () => {
        this.exitInfo = { exitCode: null, signal: null };
        for (const w of this.waiters) w();
        resolve(this.exitInfo);
      });
    });
  }

  get stdout(): string {
    return this.out;
  }
  get stderr(): string {
    return this.err;
  }
  get running(): boolean {
    return this.exitInfo === undefined;
  }

  private onOutput(which: 'out' | 'err', chunk: string): void {
    if (which === 'out') this.out = append(this.out, chunk);
    else this.err = append(this.err, chunk);
    for (const w of this.waiters) w();
  }

  /** Resolves with the matching text once stdout or stderr matches; rejects on timeout or exit. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const m = pattern.exec(this.out) ?? pattern.exec(this.err);
        if (m) return done(() => resolve(m[0]));
        if (this.exitInfo !== undefined) {
          done(() => reject(new Error(`${this.argv.join(' ')} exited before printing ${pattern}: ${this.err.trim()}`)));
        }
      };
      const done = (f: () => void): void => {
        clearTimeout(timer);
        this.waiters.delete(check);
        f();
      };
      const timer = setTimeout(
        () => done(() => reject(new Error(`no ${pattern} from ${this.argv.join(' ')} within ${timeoutMs} ms`))),
        timeoutMs,
      );
      this.waiters.add(check);
      check();
    });
  }

  /** Sends a signal to this PID. */
  kill(signal: NodeJS.Signals = 'SIGTERM'): boolean {
    return this.running ? killPid(this.pid, signal) : false;
  }

  /** SIGTERM, then SIGKILL if it has not exited after graceMs; resolves once it has exited. */
  async stop(graceMs = 3000): Promise<void> {
    if (!this.running) return;
    this.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'late'>((r) => (timer = setTimeout(() => r('late'), graceMs)));
    const outcome = await Promise.race([this.exited.then(() => 'exited' as const), graceOver]);
    clearTimeout(timer);
    if (outcome === 'late') {
      this.kill('SIGKILL');
      await this.exited;
    }
  }
}

/**
 * Starts argv (no shell) in its own process group and returns at once. The PID is that of argv's own process
 * when argv is exec'ed directly (nsenter and `ip netns exec` exec without forking).
 */
export function startProcess(argv: readonly string[], opts: Omit<RunOptions, 'timeoutMs' | 'input'> = {}): StartedProcess {
  const [file, ...args] = argv;
  if (file === undefined) throw new Error('startProcess: empty argv');
  const child = spawn(file, args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(opts.env !== undefined ? { env: opts.env } : {}),
    ...(opts.cwd !== undefined ? { cwd: opts.cwd } : {}),
  });
  return new StartedProcess(child, argv);
}
