// Running haresources groups: scripts found as Heartbeat finds them, started left to right, stopped right to left.
//
// heartbeat 3.0.6 ResourceManager (spec §7.2): a resource `script::a::b` runs `<script> a b start|stop|status`
// from <config-dir>/resource.d, else /etc/init.d (we also fall back to the scripts shipped with heartbeat-ts);
// "do we own it" is decided by status's stdout (`*[Nn][Oo][Tt] *[Rr]unning*` → no; `*[Rr]unning*` or `*OK*`
// → yes; else no); a failed start gives the whole group up; a failed stop is retried every second up to
// HA_STOPRETRYMAX (10) times, and if status then still says running the node must go (RecoverFromFailedStop:
// `/sbin/reboot -nf`, or the command given to `heartbeat --failed-stop-command`). The decisions are the pure
// table of src/resources/failure-policy.ts. Every operation has a timeout (TERM, then KILL to its process
// group) and one group runs at a time.
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Resource, ResourceGroup } from '../../config/model.js';
import type { LogLevel } from '../../core/log-level.js';
import { explainStatus } from '../../resources/operations.js';
import {
  DEFAULT_FAILURE_POLICY,
  DEFAULT_SCRIPT_TIMEOUT_MS,
  decideAfterFailedStop,
  decideAfterStop,
  failurePolicyFromEnv,
  maxStopAttempts,
  outcomeOf,
  readStatus,
  type FailurePolicy,
  type OperationOutcome,
  type PolicyLog,
} from '../../resources/failure-policy.js';
import type { ResourceOp } from '../../node/coordinator.js';
import { settleOrphans } from './orphans.js';
import { runOperation } from './script-runner.js';
import { StockNative } from './stock-native.js';

export type Homes = 'local' | 'foreign' | 'all';

export interface ResourceRunnerOptions {
  readonly configDir: string;
  readonly localNode: string;
  readonly groups: readonly ResourceGroup[];
  readonly env: NodeJS.ProcessEnv;
  readonly log: (level: LogLevel, text: string) => void;
  /** Per operation (`heartbeat --script-timeout`). Default 60 s (DEFAULT_SCRIPT_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** Between failed stops. Default 1 s (ResourceManager's `sleep 1`). */
  readonly stopRetryDelayMs?: number;
  /**
   * Run when a stop finally fails and status still says running: heartbeat 3.0.6 reboots here
   * (HEARTBEAT_FAILED_STOP_ARGV, `/sbin/reboot -nf`). No default on purpose: whoever builds a runner says
   * what happens, so a test cannot reboot its machine by leaving it out. Run without a shell, with the
   * operation timeout and HA_FAILED_STOP_RESOURCE=<resource> added to `env`.
   */
  readonly failedStopArgv: readonly string[];
  /**
   * Called once the operation in which a stop finally failed has ended (the failed-stop command has run and
   * the rest of the group has been stopped), before its result is returned. heartbeat 3.0.6 has killed itself
   * by then (`pkill -9 heartbeat`): the daemon stops heart-beating here without a word to the peer.
   */
  readonly afterFailedStop?: (resources: readonly string[]) => Promise<void> | void;
  /** Runs one operation; tests inject a fake. Default runOperation (script-runner.ts). */
  readonly runOperation?: typeof runOperation;
  /** Told of every script run (metrics): the resource, the operation, its outcome, milliseconds taken. */
  readonly onOperation?: (resource: string, op: 'start' | 'stop' | 'status', outcome: OperationOutcome, ms: number) => void;
  /** Told when a group has been acquired (every resource started) or released (metrics). */
  readonly onGroup?: (key: string, change: 'acquired' | 'released') => void;
  /**
   * The HBTS_OWNER mark our scripts carry (orphans.ts): cleanStart() waits for a previous daemon's operations
   * still running. Without it, none are looked for.
   */
  readonly owner?: { readonly mark: string; readonly pid: number };
}

export const SHIPPED_RESOURCE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..', 'resource.d');
/** Between SIGTERM and SIGKILL when an operation times out. */
export const KILL_GRACE_MS = 2000;

/** ResourceManager's we_own_resource (src/resources/operations.ts): the words of status's output decide. */
export function judgeStatus(stdout: string): boolean {
  return explainStatus(stdout).verdict === 'running';
}

interface OpResult {
  readonly outcome: OperationOutcome;
  readonly stdout: string;
}

export class ResourceRunner {
  private chain: Promise<unknown> = Promise.resolve();
  private readonly policy: FailurePolicy;
  /** Resources whose stop finally failed during the operation in progress (afterFailedStop is owed). */
  private failedStops: string[] = [];
  /** Debian's stock IPaddr/IPaddr2 replaced by ours (stock-native.ts; HBTS_NATIVE=off: never). */
  private readonly native: StockNative;
  /**
   * Resources known to be stopped: found idle by cleanStart's check, or stopped by us since (a stop that
   * succeeded). heartbeat 3.0.6 asks `status` before every start (`we_own_resource || doscript start`) only to
   * skip starting what already runs; for these the answer is known, so a takeover or failback starts them at
   * once. Any start (even a failed one) or a status answer forgets it.
   */
  private readonly knownStopped = new Set<Resource>();

  constructor(private readonly o: ResourceRunnerOptions) {
    // ResourceManager reads `: ${HA_STOPRETRYMAX=10}` from its environment (ha.cf `env STOPRETRYMAX=n`).
    const retryMax = o.env['HA_STOPRETRYMAX'];
    const fromEnv = failurePolicyFromEnv(new Map(retryMax === undefined ? [] : [['STOPRETRYMAX', retryMax]]));
    this.policy = { ...fromEnv, stopRetryDelayMs: o.stopRetryDelayMs ?? DEFAULT_FAILURE_POLICY.stopRetryDelayMs };
    // HBTS_NATIVE is read from the daemon's own environment (the scripts get Heartbeat's, not ours), or from
    // the scripts' (ha.cf `env HBTS_NATIVE=off` gives HA_HBTS_NATIVE).
    const nativeSetting = o.env['HBTS_NATIVE'] ?? o.env['HA_HBTS_NATIVE'] ?? process.env['HBTS_NATIVE'];
    this.native = new StockNative(SHIPPED_RESOURCE_DIR, { ...o.env, ...(nativeSetting === undefined ? {} : { HBTS_NATIVE: nativeSetting }) }, (level, text) => o.log(level, text));
    // Said at start, not discovered at the worst moment.
    const program = o.failedStopArgv[0];
    if (program === undefined || !isExecutableFile(program)) {
      o.log('warn', `failed-stop command "${o.failedStopArgv.join(' ')}" is not an executable file: a resource that will not stop cannot be dealt with (heartbeat --failed-stop-command)`);
    }
  }

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

  /** One operation the node coordinator asked for (src/node/coordinator.ts ResourceOp). */
  runOp(o: ResourceOp): Promise<boolean> {
    switch (o.op) {
      case 'acquire':
        return this.acquire(o.set);
      case 'release':
        return this.release(o.set);
      case 'acquire-group':
        return this.acquireGroup(o.key);
      case 'release-group':
        return this.releaseGroup(o.key);
    }
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
   * Start-up, before any acquisition (queued first): a starting node holds nothing in the v1 protocol, so what
   * still runs here is a leftover of a daemon that died without releasing it, and the peer may run it too.
   * First the previous daemon's operations still in flight are waited for (a start it began may finish later
   * and bring its resource up behind our back), then the check heartbeat 3.0.6's init script runs
   * (`ResourceManager verifyallidle`: every resource must be stopped), with its words, then — where 3.0.6 only
   * warns — every group with an active resource is released, right to left, as a release would.
   * The protocol acquires what is ours afterwards. Returns how many resources were active.
   */
  cleanStart(): Promise<number> {
    return this.serial(async () => {
      const owner = this.o.owner;
      if (owner !== undefined) {
        await settleOrphans({
          mark: owner.mark,
          selfPid: owner.pid,
          waitMs: this.o.timeoutMs ?? DEFAULT_SCRIPT_TIMEOUT_MS,
          graceMs: KILL_GRACE_MS,
          log: this.o.log,
        });
      }
      const active = await this.activeResources();
      for (const g of this.o.groups) for (const r of g.resources) if (!active.has(r)) this.knownStopped.add(r);
      if (active.size === 0) return 0;
      const stale = this.o.groups.filter((g) => g.resources.some((r) => active.has(r)));
      this.o.log('warn', `Releasing ${stale.length} resource group(s) found active at start-up before joining (a starting node holds nothing; heartbeat 3.0.6 only warns): ${stale.map((g) => this.key(g)).join(', ')}`);
      for (const g of [...stale].reverse()) await this.giveGroup(g);
      return active.size;
    });
  }

  /** The resources whose status says running, each reported with Heartbeat's verifyallidle words. */
  private async activeResources(): Promise<Set<Resource>> {
    const active = new Set<Resource>();
    for (const g of this.o.groups) {
      for (const r of g.resources) {
        if (await this.isRunning(r)) {
          active.add(r);
          this.o.log('crit', `Resource ${r.spec} is active, and should not be!`);
          this.o.log('crit', 'Non-idle resources can affect data integrity!');
        }
      }
    }
    if (active.size > 0) {
      this.o.log('crit', 'Non-idle resources will affect resource takeback!');
      this.o.log('crit', 'Non-idle resources may affect data integrity!');
    }
    return active;
  }

  /**
   * The service monitor's check of one resource (issue 17): `argv` (no shell) exits 0, or without one the
   * resource's own status says running (as ResourceManager judges it). Not queued behind resource operations
   * (a check may take its whole timeout); the process group is killed at the timeout, and its output is
   * capped, with at most a few lines logged.
   */
  async check(spec: string, argv: readonly string[] | undefined, timeoutMs: number): Promise<{ readonly ok: boolean; readonly durationMs: number; readonly detail: string }> {
    const r = this.o.groups.flatMap((g) => g.resources).find((x) => x.spec === spec);
    const startedMs = performance.now();
    const took = (): number => Math.round(performance.now() - startedMs);
    if (r === undefined) return { ok: false, durationMs: 0, detail: `${spec} is not in haresources` };
    let full = argv;
    let env = this.o.env;
    if (full === undefined) {
      const file = this.resolve(r);
      if (file === undefined) return { ok: false, durationMs: took(), detail: `no resource script ${r.script}` };
      // Debian's stock script run natively when unmodified, as for every other operation (stock-native.ts).
      const sub = this.native.substitute(r.script, file, r.args);
      full = [sub?.file ?? file, ...r.args, 'status'];
      if (sub !== undefined) env = { ...this.o.env, ...sub.env };
    }
    const result = await (this.o.runOperation ?? runOperation)({
      argv: full,
      timeoutMs,
      env,
      logPrefix: `${spec} check`,
      log: this.o.log,
      logStdout: false,
      killGraceMs: Math.min(KILL_GRACE_MS, 1000),
      maxLoggedLines: 5,
      maxOutputBytes: 16 * 1024,
    });
    const outcome = outcomeOf(result);
    const detail = outcome === 'timed-out'
      ? `timed out after ${timeoutMs} ms (process group killed)`
      : outcome === 'success' ? 'ok' : describeFailure(outcome, result.exitCode, result.signal, result.spawnError, timeoutMs);
    if (argv !== undefined) return { ok: outcome === 'success', durationMs: took(), detail };
    const running = readStatus(outcome, result.stdout) === 'running';
    return { ok: running, durationMs: took(), detail: running ? 'status: running' : `status: not running (${result.stdout.trim().slice(0, 80) || detail})` };
  }

  /**
   * The service monitor's restart (issue 17): the group's resources from `from` on are stopped right to left,
   * then started left to right; queued like every resource operation. False when a start failed (the group is
   * then given up by the monitor) or a stop finally failed.
   */
  restartFrom(key: string, from: number): Promise<boolean> {
    return this.serial(async () => {
      const g = this.findGroup(key);
      if (g === undefined) return false;
      const part = g.resources.slice(from);
      this.o.log('info', `Restarting ${part.map((r) => r.spec).join(' ')} of resource group ${key}`);
      for (const r of [...part].reverse()) if (!(await this.stopResource(r))) return false;
      for (const r of part) {
        const start = await this.run(r, 'start');
        if (start.outcome !== 'success') {
          this.o.log('crit', `Restart of resource group ${key} failed at ${r.spec}`);
          return false;
        }
      }
      return true;
    });
  }

  /** Runs `job` when no resource operation is in flight, and holds the next one until it ends (rc.d notifications). */
  exclusive<T>(job: () => Promise<T>): Promise<T> {
    return this.serial(job);
  }

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const g = async (): Promise<T> => {
      try {
        return await f();
      } finally {
        const failed = this.failedStops;
        this.failedStops = [];
        if (failed.length > 0) await this.o.afterFailedStop?.(failed);
      }
    };
    const next = this.chain.then(g, g);
    this.chain = next.catch(() => undefined);
    return next;
  }

  private emit(logs: readonly PolicyLog[]): void {
    for (const l of logs) this.o.log(l.level, l.text);
  }

  /** ResourceManager we_own_resource: status's words decide; no answer (a timeout) or no script is "no". */
  private async isRunning(r: Resource): Promise<boolean> {
    this.knownStopped.delete(r);
    const st = await this.run(r, 'status');
    return readStatus(st.outcome, st.stdout) === 'running';
  }

  key(g: ResourceGroup): string {
    return g.resources[0]?.spec ?? `line ${g.line}`;
  }

  private async takeGroup(g: ResourceGroup): Promise<boolean> {
    this.o.log('info', `Acquiring resource group: ${g.node} ${g.resources.map((r) => r.spec).join(' ')}`);
    for (const r of g.resources) {
      if (this.knownStopped.has(r)) {
        this.o.log('debug', `${r.spec}: known stopped (start-up check or our last stop): started without a status call first`);
      } else if (await this.isRunning(r)) {
        this.o.log('info', `Running ${r.spec}: already running`);
        continue;
      }
      this.knownStopped.delete(r);
      const start = await this.run(r, 'start');
      if (start.outcome !== 'success') {
        // ResourceManager acquireresourcegroup: the whole group is given up, right to left.
        this.o.log('crit', `Giving up resources due to failure of ${r.spec}`);
        this.o.log('info', `Releasing resource group: ${g.node} ${g.resources.map((x) => x.spec).join(' ')}`);
        for (const back of [...g.resources].reverse()) await this.stopResource(back);
        return false;
      }
    }
    this.o.log('info', `Resource group ${this.key(g)} acquired`);
    this.o.onGroup?.(this.key(g), 'acquired');
    return true;
  }

  private async giveGroup(g: ResourceGroup): Promise<boolean> {
    this.o.log('info', `Releasing resource group: ${g.node} ${g.resources.map((r) => r.spec).join(' ')}`);
    let ok = true;
    for (const r of [...g.resources].reverse()) ok = (await this.stopResource(r)) && ok;
    this.o.onGroup?.(this.key(g), 'released');
    return ok;
  }

  /** heartbeat 3.0.6 giveupresourcegroup, for one resource: stop, retry, and if it will not stop, RecoverFromFailedStop. */
  private async stopResource(r: Resource): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      const d = decideAfterStop((await this.run(r, 'stop')).outcome, attempt, r, this.policy);
      if (d.kind === 'stopped') {
        this.knownStopped.add(r);
        return true;
      }
      if (d.kind === 'check-status') break;
      await new Promise((res) => setTimeout(res, d.delayMs));
      this.emit(d.logs); // ResourceManager: `sleep 1`, then "Retrying failed stop operation [X]"
    }
    const st = await this.run(r, 'status');
    const d = decideAfterFailedStop(readStatus(st.outcome, st.stdout), r);
    this.emit(d.logs);
    if (d.kind === 'assume-stopped') return true; // "Machine reboot narrowly avoided!": the release goes on
    await this.recoverFromFailedStop(r);
    return false;
  }

  /**
   * heartbeat 3.0.6 RecoverFromFailedStop: `pkill -9 heartbeat ipfail ccm`, then `/sbin/reboot -nf`; if the
   * reboot fails, ResourceManager goes on stopping the rest of the group. We run the command first and stop
   * heart-beating only when the whole operation has ended (afterFailedStop): with a reboot nothing changes,
   * and with a command that leaves this node up, its addresses are gone before the peer starts counting
   * deadtime, so the peer never takes one over while we still hold it.
   */
  private async recoverFromFailedStop(r: Resource): Promise<void> {
    const argv = this.o.failedStopArgv;
    const cmd = argv.join(' ');
    const tries = maxStopAttempts(this.policy);
    this.o.log('crit', `Resource ${r.spec} failed to stop (${tries} attempts) and is still running: running ${cmd} (heartbeat --failed-stop-command; Heartbeat 3.0.6 reboots with /sbin/reboot -nf)`);
    this.failedStops.push(r.spec);
    const timeoutMs = this.o.timeoutMs ?? DEFAULT_SCRIPT_TIMEOUT_MS;
    const result = await (this.o.runOperation ?? runOperation)({
      argv,
      timeoutMs,
      env: { ...this.o.env, HA_FAILED_STOP_RESOURCE: r.spec },
      logPrefix: 'failed-stop command',
      log: this.o.log,
      killGraceMs: KILL_GRACE_MS,
    });
    const outcome = outcomeOf(result);
    if (outcome === 'success') this.o.log('warn', `failed-stop command ${cmd} finished (exit 0) and this node is still up`);
    else this.o.log('crit', `failed-stop command ${cmd} failed (${describeFailure(outcome, result.exitCode, result.signal, result.spawnError, timeoutMs)}): Unable to force reboot.`);
  }

  /** The directories searched for a script, in order. */
  private scriptDirs(): string[] {
    return scriptDirsOf(this.o.configDir);
  }

  /** The script path, or undefined when none is executable. */
  resolve(r: Resource): string | undefined {
    return resolveScriptPath(this.o.configDir, r.script);
  }

  private async run(r: Resource, op: 'start' | 'stop' | 'status'): Promise<OpResult> {
    const file = this.resolve(r);
    if (file === undefined) {
      // heartbeat 3.0.6 doscript: "ERROR: Cannot locate resource script X"; the operation fails (a status
      // prints nothing, so the resource reads as not running).
      this.o.log('err', `${r.spec}: Cannot locate resource script ${r.script} (no executable file ${r.script} in ${this.scriptDirs().join(', ')}); ${op} fails`);
      return { outcome: 'missing-script', stdout: '' };
    }
    if (op !== 'status') this.o.log('info', `Running ${file} ${[...r.args, op].join(' ')}`);
    const sub = this.native.substitute(r.script, file, r.args);
    // A status answer is read, not logged; its stderr still is. runOperation returns when the script exits,
    // even if a daemon it started still holds the output pipes, and kills the group only on a timeout.
    const timeoutMs = this.o.timeoutMs ?? DEFAULT_SCRIPT_TIMEOUT_MS;
    const startedMs = performance.now();
    const result = await (this.o.runOperation ?? runOperation)({
      argv: [sub?.file ?? file, ...r.args, op],
      timeoutMs,
      env: sub === undefined ? this.o.env : { ...this.o.env, ...sub.env },
      logPrefix: r.spec,
      log: this.o.log,
      logStdout: op !== 'status',
      killGraceMs: KILL_GRACE_MS,
    });
    const outcome = outcomeOf(result);
    this.o.onOperation?.(r.spec, op, outcome, performance.now() - startedMs);
    if (outcome === 'timed-out') this.o.log('err', `${r.spec}: ${op} timed out after ${timeoutMs} ms; killed`);
    else if (outcome !== 'success' && op !== 'status') {
      // ResourceManager doscript's words for a non-zero exit, then ours with the operation and the cause.
      if (result.exitCode !== null && result.exitCode !== undefined && result.exitCode !== 0) this.o.log('err', `Return code ${result.exitCode} from ${file}`);
      this.o.log('err', `${r.spec}: ${op} failed (${describeFailure(outcome, result.exitCode, result.signal, result.spawnError, timeoutMs)})`);
    }
    return { outcome, stdout: result.stdout };
  }
}

/** The directories searched for a script, in order: Heartbeat's two, then the scripts shipped with heartbeat-ts. */
export function scriptDirsOf(configDir: string): string[] {
  return [path.join(configDir, 'resource.d'), '/etc/init.d', SHIPPED_RESOURCE_DIR];
}

/** The first executable regular file named `script` in scriptDirsOf(configDir), or undefined. */
export function resolveScriptPath(configDir: string, script: string): string | undefined {
  for (const dir of scriptDirsOf(configDir)) {
    const file = path.join(dir, script);
    if (isExecutableFile(file)) return file;
  }
  return undefined;
}

function isExecutableFile(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function describeFailure(outcome: OperationOutcome, exitCode: number | null, signal: string | null, spawnError: string | undefined, timeoutMs: number): string {
  switch (outcome) {
    case 'timed-out':
      return `timed out after ${timeoutMs} ms`;
    case 'missing-script':
      return `cannot run it: ${spawnError ?? '?'}`;
    default:
      return spawnError !== undefined ? `cannot run it: ${spawnError}` : exitCode !== null ? `exit ${exitCode}` : `killed by ${signal ?? '?'}`;
  }
}
