// Running haresources groups: scripts found as Heartbeat finds them, started left to right, stopped right to left.
//
// heartbeat 3.0.6 ResourceManager (spec §7.2): a resource `script::a::b` runs `<script> a b start|stop|status`
// from <config-dir>/resource.d, else /etc/init.d (we also fall back to the scripts shipped with heartbeat-ts);
// "do we own it" is decided by status's stdout (`*[Nn][Oo][Tt] *[Rr]unning*` → no; `*[Rr]unning*` or `*OK*`
// → yes; else no); a failed start gives the whole group up; a failed stop is retried every second up to 10
// times. Every operation has a timeout (TERM, then KILL to its process group) and one group runs at a time.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Resource, ResourceGroup } from '../config/model.js';
import type { LogLevel } from '../membership/types.js';
import { explainStatus } from '../resources/operations.js';
import { runOperation } from './script-runner.js';

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
/** heartbeat 3.0.6: one stop plus HA_STOPRETRYMAX (10) retries. */
const STOP_TRIES = 11;

/** ResourceManager's we_own_resource (src/resources/operations.ts): the words of status's output decide. */
export function judgeStatus(stdout: string): boolean {
  return explainStatus(stdout).verdict === 'running';
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
   * The group a key names, as ResourceManager finds it: the line whose first resource is the key, else the
   * first line that has the key as any of its resources (it searches for " key " in each normalised line).
   */
  findGroup(key: string): ResourceGroup | undefined {
    return this.o.groups.find((g) => g.resources[0]?.spec === key) ?? this.o.groups.find((g) => g.resources.some((r) => r.spec === key));
  }

  /** Acquires one group by its key (ResourceManager takegroup); false if it failed or is unknown. */
  acquireGroup(key: string): Promise<boolean> {
    return this.serial(async () => {
      const g = this.findGroup(key);
      if (g === undefined) {
        this.o.log('err', `no resource group with key ${key} in haresources`);
        return false;
      }
      return this.takeGroup(g);
    });
  }

  /** Releases one group by its key (ResourceManager givegroup); false if a stop finally failed or it is unknown. */
  releaseGroup(key: string): Promise<boolean> {
    return this.serial(async () => {
      const g = this.findGroup(key);
      if (g === undefined) {
        this.o.log('err', `no resource group with key ${key} in haresources`);
        return false;
      }
      return this.giveGroup(g);
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

  key(g: ResourceGroup): string {
    return g.resources[0]?.spec ?? `line ${g.line}`;
  }

  private async takeGroup(g: ResourceGroup): Promise<boolean> {
    this.o.log('info', `Acquiring resource group: ${g.node} ${g.resources.map((r) => r.spec).join(' ')}`);
    for (const r of g.resources) {
      const st = await this.run(r, 'status');
      if (st.ok && judgeStatus(st.stdout)) {
        this.o.log('info', `Running ${r.spec}: already running`);
        continue;
      }
      const start = await this.run(r, 'start');
      if (!start.ok) {
        // ResourceManager acquireresourcegroup: the whole group is given up, right to left.
        this.o.log('crit', `Giving up resources due to failure of ${r.spec}`);
        for (const back of [...g.resources].reverse()) await this.stopResource(back);
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
    // A status answer is read, not logged; its stderr still is. runOperation returns when the script exits,
    // even if a daemon it started still holds the output pipes, and kills the group only on a timeout.
    const timeoutMs = this.o.timeoutMs ?? 60_000;
    const result = await runOperation({
      argv: [file, ...r.args, op],
      timeoutMs,
      env: this.o.env,
      logPrefix: r.spec,
      log: this.o.log,
      logStdout: op !== 'status',
      killGraceMs: KILL_GRACE_MS,
    });
    const ok = result.exitCode === 0 && !result.timedOut;
    if (result.timedOut) this.o.log('err', `${r.spec}: ${op} timed out after ${timeoutMs} ms; killed`);
    else if (!ok && op !== 'status') this.o.log('err', `${r.spec}: ${op} failed (exit ${result.exitCode ?? result.signal ?? result.spawnError ?? '?'})`);
    return { ok: op === 'status' ? !result.timedOut && result.spawnError === undefined : ok, stdout: result.stdout };
  }
}
