// rc.d notifications: runs `<config-dir>/harc <type>` for the events Heartbeat hands to rc.d, one at a time, in order.
/*
 * What runs and with which environment is decided in src/resources/rc-notify.ts (heartbeat 3.0.6 notify_world,
 * and heartbeat-ts's rule for Heartbeat's stock scripts). This file does the I/O:
 *   - rc.d is listed once, at the first notification (heartbeat 3.0.6 CreateInitialFilter): scripts added or
 *     removed later are seen after a restart, as with Heartbeat. The scripts of natively handled types are
 *     hashed then, to tell Heartbeat's stock scripts from the user's.
 *   - One notification at a time, in the order the events came (heartbeat 3.0.6 QueueRemoteRscReq /
 *     StartNextRemoteRscReq). `exclusive`, when given, also keeps them from overlapping the daemon's
 *     resource operations, as Heartbeat runs one resource child at a time.
 *   - Each run has a timeout (Heartbeat has none): TERM, then KILL, to the script's process group.
 *   - `<config-dir>/harc` is checked at every notification. Missing: we do what harc does, `exec
 *     rc.d/<type> <type>`, and log the script's output ourselves (through harc, output goes where harc sends
 *     it: HA_DEBUGLOG, else /dev/null). Present but not an executable file: one log line naming the file
 *     and the cause, and no notifications run — as with Heartbeat, whose execv fails; `chmod -x harc` is how
 *     to switch them off.
 * heartbeat 3.0.6 passes argv[0] "harc"; runOperation passes the path. For a shell harc nothing changes: the
 * kernel hands the interpreter the path either way.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { LogLevel } from '../../core/log-level.js';
import {
  describeRcDirectory,
  heartbeatQueues,
  isStockRcScript,
  NATIVE_RC_TYPES,
  planRcNotification,
  STOCK_RC_SCRIPTS,
  type RcDirectory,
  type RcField,
  type RcLocalState,
  type RcSource,
} from '../../resources/rc-notify.js';
import { runOperation, scriptExists } from './script-runner.js';

export interface RcNotifierOptions {
  readonly configDir: string;
  readonly localNode: string;
  readonly niceFailback: boolean;
  /** The daemon's script environment (HA_LOGFILE, HA_DEBUGLOG, HA_LOGFACILITY, HA_debug, HA_FIFO, …). */
  readonly env: NodeJS.ProcessEnv;
  readonly log: (level: LogLevel, text: string) => void;
  /**
   * This node's state. commUp and shuttingDown are read when an event is handed over (Heartbeat decides
   * then), localStatus when its notification starts (HA_OSTATUS: notify_world reads curnode->status then).
   */
  readonly local: () => RcLocalState;
  /** Per notification. Default 60 s. */
  readonly timeoutMs?: number;
  /** Between SIGTERM and SIGKILL. Default 2 s. */
  readonly killGraceMs?: number;
  /** Types heartbeat-ts handles itself; their stock scripts are not run. Default NATIVE_RC_TYPES. */
  readonly native?: ReadonlySet<string>;
  /** Runs one notification when no resource operation is in flight (e.g. the resource runner's queue). */
  readonly exclusive?: <T>(job: () => Promise<T>) => Promise<T>;
}

/** Queued events beyond this are dropped (a peer flooding a type that has a script); Heartbeat has no bound. */
export const MAX_QUEUED_NOTIFICATIONS = 1000;
const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_KILL_GRACE_MS = 2000;
/** heartbeat 3.0.6 HA_FUNCS: compiled in as HA_HBCONF_DIR "/shellfuncs". */
const SYSTEM_SHELLFUNCS = '/etc/ha.d/shellfuncs';

interface Queued {
  readonly source: RcSource;
  readonly fields: readonly RcField[];
  readonly local: RcLocalState;
}

interface Listing {
  readonly rcd: RcDirectory;
  readonly funcsFile: string;
}

type Harc = { readonly kind: 'ok' } | { readonly kind: 'missing' } | { readonly kind: 'unusable'; readonly why: string };

export class RcNotifier {
  private readonly queue: Queued[] = [];
  /** The drain loop is running (set and cleared synchronously, so no event is ever left behind). */
  private running = false;
  private draining: Promise<void> = Promise.resolve();
  private listing: Promise<Listing> | undefined;
  private closed = false;
  private overflowing = false;
  /** Lines said once (a harc problem, each distinct one). */
  private readonly said = new Set<string>();

  constructor(private readonly o: RcNotifierOptions) {}

  private get rcDir(): string {
    return path.join(this.o.configDir, 'rc.d');
  }

  private get harcPath(): string {
    return path.join(this.o.configDir, 'harc');
  }

  /**
   * Hands an event over; returns at once. `source`: 'message' for a cluster message given to the resource
   * layer (our own looped back too), 'status-change' for another node's new status or deadNotice(),
   * 'local-notice' for linkNotice(). `local`: this node's state when the event happened (default: now).
   */
  notify(source: RcSource, fields: readonly RcField[], local: RcLocalState = this.o.local()): void {
    if (this.closed) return;
    if (heartbeatQueues(source, fields, this.o.localNode, local) !== undefined) return;
    if (this.queue.length >= MAX_QUEUED_NOTIFICATIONS) {
      if (!this.overflowing) {
        const t = fields.find(([n]) => n === 't')?.[1] ?? '?';
        this.o.log('err', `rc.d notifications: ${MAX_QUEUED_NOTIFICATIONS} waiting; dropping new ones (first: t=${t}) until the queue drains`);
      }
      this.overflowing = true;
      return;
    }
    this.queue.push({ source, fields: fields.map(([n, v]) => [n, v] as const), local: { ...local } });
    if (!this.running) {
      this.running = true;
      this.draining = this.drain();
    }
  }

  /** Resolves when nothing is queued or running. */
  idle(): Promise<void> {
    return this.draining;
  }

  /** Drops what is queued, lets the running notification finish (bounded by its timeout). */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      const dropped = this.queue.length;
      this.queue.length = 0;
      if (dropped > 0) this.o.log('info', `rc.d notifications: ${dropped} queued one(s) not run (shutting down)`);
    }
    await this.idle();
  }

  private async drain(): Promise<void> {
    for (let item = this.queue.shift(); item !== undefined; item = this.queue.shift()) {
      const job = item;
      try {
        await (this.o.exclusive !== undefined ? this.o.exclusive(() => this.runOne(job)) : this.runOne(job));
      } catch (e) {
        this.o.log('err', `rc.d notification failed: ${(e as Error).message}`);
      }
      if (this.queue.length === 0) this.overflowing = false;
    }
    this.running = false;
  }

  private async runOne(item: Queued): Promise<void> {
    const { rcd, funcsFile } = await (this.listing ??= this.list());
    const base = {
      source: item.source,
      fields: item.fields,
      local: { ...item.local, localStatus: this.o.local().localStatus },
      rcd,
      configDir: this.o.configDir,
      localNode: this.o.localNode,
      niceFailback: this.o.niceFailback,
      inherited: this.o.env,
      funcsFile,
    };
    let plan = planRcNotification({ ...base, viaHarc: true });
    if (!plan.run) {
      if (plan.skip === 'native-stock') this.o.log('debug', `rc.d/${plan.type ?? '?'}: Heartbeat's stock script not run; heartbeat-ts handles \`${plan.type ?? '?'}\` itself`);
      return;
    }
    const harc = await this.harc();
    if (harc.kind === 'unusable') {
      this.once('err', `cannot run ${this.harcPath}: ${harc.why}; rc.d notifications are not run (make it executable, or remove it to have heartbeat-ts run rc.d scripts itself)`);
      return;
    }
    if (harc.kind === 'missing') {
      this.once('info', `${this.harcPath} does not exist: heartbeat-ts runs rc.d scripts itself, as harc would (rc.d/<type> <type>)`);
      plan = planRcNotification({ ...base, viaHarc: false });
      if (!plan.run) return;
      const [script] = plan.argv;
      if (!scriptExists(script)) {
        // harc's own words: "ERROR: $0: $RCDIR/$1: not executable"
        this.o.log('err', `rc.d notification ${plan.type}: ${script}: not executable; not run`);
        return;
      }
      this.o.log('info', `Running ${script} ${plan.command}`);
    } else {
      this.o.log('debug', `notify_world: Running harc ${plan.command}`);
    }
    const timeoutMs = this.o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const prefix = `rc.d/${plan.command}`;
    const r = await runOperation({
      argv: plan.argv,
      timeoutMs,
      killGraceMs: this.o.killGraceMs ?? DEFAULT_KILL_GRACE_MS,
      env: plan.env,
      logPrefix: prefix,
      log: this.o.log,
    });
    // runOperation has logged a spawn error or a timeout; what is left is the exit (heartbeat 3.0.6 rctomsg wording).
    if (r.spawnError === 'ENOENT' && scriptExists(plan.argv[0])) {
      this.once('err', `cannot run ${plan.argv[0]}: the interpreter on its #! line does not exist`);
    }
    if (r.spawnError !== undefined || r.timedOut) return;
    if (r.signal !== null) this.o.log('warn', `${prefix}: killed by signal ${r.signal}`);
    else if (r.exitCode !== 0) this.o.log('warn', `${prefix}: exited with return code ${r.exitCode ?? '?'}`);
    else this.o.log('debug', `${prefix}: exited with return code 0`);
  }

  private once(level: LogLevel, text: string): void {
    if (this.said.has(text)) return;
    this.said.add(text);
    this.o.log(level, text);
  }

  private async harc(): Promise<Harc> {
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(this.harcPath);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      return code === 'ENOENT' ? { kind: 'missing' } : { kind: 'unusable', why: code };
    }
    if (!st.isFile()) return { kind: 'unusable', why: 'not a regular file' };
    try {
      await fs.promises.access(this.harcPath, fs.constants.X_OK);
    } catch {
      return { kind: 'unusable', why: `not executable (mode ${(st.mode & 0o7777).toString(8).padStart(4, '0')})` };
    }
    return { kind: 'ok' };
  }

  /** heartbeat 3.0.6 CreateInitialFilter, plus the hashes of the scripts of natively handled types. */
  private async list(): Promise<Listing> {
    const native = this.o.native ?? NATIVE_RC_TYPES;
    let names: string[] = [];
    try {
      names = (await fs.promises.readdir(this.rcDir)).filter((n) => !n.startsWith('.'));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'error';
      if (code === 'ENOENT') this.o.log('info', `${this.rcDir} does not exist: no rc.d notifications`);
      else this.o.log('err', `Cannot open directory ${this.rcDir}: ${code}; no rc.d notifications`);
    }
    const stock = new Set<string>();
    for (const n of names) {
      if (!native.has(n) || !STOCK_RC_SCRIPTS.has(n)) continue;
      try {
        const sha = crypto.createHash('sha256').update(await fs.promises.readFile(path.join(this.rcDir, n))).digest('hex');
        if (isStockRcScript(n, sha)) stock.add(n);
      } catch {
        /* unreadable (a directory, …): not the stock script */
      }
    }
    const own = path.join(this.o.configDir, 'shellfuncs');
    const funcsFile = await fs.promises.access(own).then(
      () => own,
      () => SYSTEM_SHELLFUNCS,
    );
    const rcd: RcDirectory = { names: new Set(names), isStock: (n) => stock.has(n), native };
    for (const line of describeRcDirectory(rcd, this.rcDir)) this.o.log(line.level, line.text);
    return { rcd, funcsFile };
  }
}
