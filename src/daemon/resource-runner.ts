// Running haresources groups: scripts found as Heartbeat finds them, started left to right, stopped right to left.
//
// heartbeat 3.0.6 ResourceManager (spec §7.2): a resource `script::a::b` runs `<script> a b start|stop|status`
// from <config-dir>/resource.d, else /etc/init.d (we also fall back to the scripts shipped with heartbeat-ts);
// "do we own it" is decided by status's stdout (`*[Nn][Oo][Tt] *[Rr]unning*` → no; `*[Rr]unning*` or `*OK*`
// → yes; else no); a failed start gives the whole group up; a failed stop is retried every second up to 10
// times. Every operation has a timeout (TERM, then KILL to its process group) and one group runs at a time.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Resource, ResourceGroup } from '../config/model.js';
import type { LogLevel } from '../membership/types.js';

export type Homes = 'local' | 'foreign' | 'all';

export interface ResourceRunnerOptions {
  readonly configDir: string;
  readonly localNode: string;
  readonly groups: readonly ResourceGroup[];
  readonly env: NodeJS.ProcessEnv;
  readonly log: (level: LogLevel, text: string) => void;
  /** Per operation. Default 60 s. */
  readonly timeoutMs?: number;
  /** Between failed stops. Default 1 s. */
  readonly stopRetryDelayMs?: number;
}

const SHIPPED_RESOURCE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'resource.d');
const KILL_GRACE_MS = 2000;
const MAX_OUTPUT = 64 * 1024;
/** heartbeat 3.0.6 HA_STOPRETRYMAX. */
const STOP_TRIES = 10;

/** ResourceManager's we_own_resource: the words of status's output decide, not its exit code. */
export function judgeStatus(stdout: string): boolean {
  if (/[Nn][Oo][Tt] *[Rr]unning/.test(stdout)) return false;
  return /[Rr]unning/.test(stdout) || stdout.includes('OK');
}

interface OpResult {
  readonly ok: boolean;
  readonly stdout: string;
}

export class ResourceRunner {
  private chain: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: ResourceRunnerOptions) {}

  /** The groups of a set, in haresources order. */
  groupsOf(homes: Homes): ResourceGroup[] {
    return this.o.groups.filter((g) => homes === 'all' || (homes === 'local') === (g.node === this.o.localNode));
  }

  /** Acquires every group of the set (one group at a time); false if any failed. */
  acquire(homes: Homes): Promise<boolean> {
    return this.serial(async () => {
      let ok = true;
      for (const g of this.groupsOf(homes)) ok = (await this.takeGroup(g)) && ok;
      return ok;
    });
  }

  /** Releases every group of the set, last group first; false if a stop finally failed. */
  release(homes: Homes): Promise<boolean> {
    return this.serial(async () => {
      let ok = true;
      for (const g of this.groupsOf(homes).reverse()) ok = (await this.giveGroup(g)) && ok;
      return ok;
    });
  }

  /**
   * heartbeat 3.0.6's init script runs `ResourceManager verifyallidle` before starting: every resource must
   * be stopped, because a resource already running (an address the OS configured, a mounted shared disk) may
   * be running on the other node too. Reported with Heartbeat's words; returns how many were active.
   */
  verifyAllIdle(): Promise<number> {
    return this.serial(async () => {
      let active = 0;
      for (const g of this.o.groups) {
        for (const r of g.resources) {
          const st = await this.run(r, 'status');
          if (st.ok && judgeStatus(st.stdout)) {
            active += 1;
            this.o.log('crit', `Resource ${r.spec} is active, and should not be!`);
            this.o.log('crit', 'Non-idle resources can affect data integrity!');
          }
        }
      }
      if (active > 0) {
        this.o.log('crit', 'Non-idle resources will affect resource takeback!');
        this.o.log('crit', 'Non-idle resources may affect data integrity!');
      }
      return active;
    });
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.chain.then(f, f);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private key(g: ResourceGroup): string {
    return g.resources[0]?.spec ?? `line ${g.line}`;
  }

  private async takeGroup(g: ResourceGroup): Promise<boolean> {
    this.o.log('info', `Acquiring resource group: ${g.node} ${g.resources.map((r) => r.spec).join(' ')}`);
    for (const [i, r] of g.resources.entries()) {
      const st = await this.run(r, 'status');
      if (st.ok && judgeStatus(st.stdout)) {
        this.o.log('info', `Running ${r.spec}: already running`);
        continue;
      }
      const start = await this.run(r, 'start');
      if (!start.ok) {
        this.o.log('crit', `Giving up resources due to failure of ${r.spec}`);
        for (const back of g.resources.slice(0, i + 1).reverse()) await this.stopResource(back);
        return false;
      }
    }
    this.o.log('info', `Resource group ${this.key(g)} acquired`);
    return true;
  }

  private async giveGroup(g: ResourceGroup): Promise<boolean> {
    this.o.log('info', `Releasing resource group: ${g.node} ${g.resources.map((r) => r.spec).join(' ')}`);
    let ok = true;
    for (const r of [...g.resources].reverse()) ok = (await this.stopResource(r)) && ok;
    return ok;
  }

  private async stopResource(r: Resource): Promise<boolean> {
    for (let attempt = 1; attempt <= STOP_TRIES; attempt++) {
      if ((await this.run(r, 'stop')).ok) return true;
      if (attempt < STOP_TRIES) await new Promise((res) => setTimeout(res, this.o.stopRetryDelayMs ?? 1000));
    }
    const st = await this.run(r, 'status');
    if (st.ok && !judgeStatus(st.stdout)) return true;
    // heartbeat 3.0.6 reboots the node here (RecoverFromFailedStop); we report and keep the claim visible.
    this.o.log('crit', `Resource ${r.spec} failed to stop after ${STOP_TRIES} attempts and may still be running: this node must not be trusted with it (Heartbeat would reboot now)`);
    return false;
  }

  /** The script path, or undefined when none is executable. */
  resolve(r: Resource): string | undefined {
    for (const dir of [path.join(this.o.configDir, 'resource.d'), '/etc/init.d', SHIPPED_RESOURCE_DIR]) {
      const file = path.join(dir, r.script);
      try {
        fs.accessSync(file, fs.constants.X_OK);
        if (fs.statSync(file).isFile()) return file;
      } catch {
        /* try the next directory */
      }
    }
    return undefined;
  }

  private async run(r: Resource, op: 'start' | 'stop' | 'status'): Promise<OpResult> {
    const file = this.resolve(r);
    if (file === undefined) {
      this.o.log('err', `${r.spec}: no executable script "${r.script}" in ${path.join(this.o.configDir, 'resource.d')} or /etc/init.d`);
      return { ok: false, stdout: '' };
    }
    if (op !== 'status') this.o.log('info', `Running ${file} ${[...r.args, op].join(' ')}`);
    // A status answer is read, not logged; its stderr still is.
    const result = await runScript(file, [...r.args, op], this.o.env, this.o.timeoutMs ?? 60_000, (line) => this.o.log('info', `${r.spec}: ${line}`), op !== 'status');
    if (result.timedOut) this.o.log('err', `${r.spec}: ${op} timed out after ${this.o.timeoutMs ?? 60_000} ms; killed`);
    else if (!result.ok && op !== 'status') this.o.log('err', `${r.spec}: ${op} failed (exit ${result.code ?? result.signal ?? '?'})`);
    return { ok: op === 'status' ? !result.timedOut : result.ok, stdout: result.stdout };
  }
}

interface ScriptResult {
  readonly ok: boolean;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly timedOut: boolean;
}

/** Runs a script without a shell in its own process group; output lines go to `line`. */
export function runScript(
  file: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  line: (text: string) => void,
  logStdout = true,
): Promise<ScriptResult> {
  return new Promise((resolve) => {
    let stdout = '';
    let partial = '';
    let timedOut = false;
    const child = spawn(file, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env });
    const onData = (chunk: string, keep: boolean): void => {
      if (keep && stdout.length < MAX_OUTPUT) stdout += chunk.slice(0, MAX_OUTPUT - stdout.length);
      if (keep && !logStdout) return;
      const lines = (partial + chunk).split('\n');
      partial = lines.pop() ?? '';
      if (partial.length > 4096) partial = partial.slice(-4096);
      for (const l of lines) if (l.trim() !== '') line(l);
    };
    child.stdout.setEncoding('latin1').on('data', (c: string) => onData(c, true));
    child.stderr.setEncoding('latin1').on('data', (c: string) => onData(c, false));
    const kill = (sig: NodeJS.Signals): void => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, sig);
      } catch {
        /* gone */
      }
    };
    let killTimer: NodeJS.Timeout | undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      kill('SIGTERM');
      killTimer = setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS);
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      line(`cannot run: ${e.message}`);
      resolve({ ok: false, code: null, signal: null, stdout, timedOut });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (killTimer !== undefined) clearTimeout(killTimer);
      if (partial.trim() !== '') line(partial);
      resolve({ ok: code === 0 && !timedOut, code, signal, stdout, timedOut });
    });
  });
}
