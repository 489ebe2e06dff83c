// What Heartbeat does when a resource operation fails, as a pure decision table (spec §7.2).
/*
 * heartbeat 3.0.6 `/usr/share/heartbeat/ResourceManager`, read as a table. "Failed" means a non-zero exit
 * (doscript), a missing script (doscript returns 1) or — ours only, Heartbeat has no timeouts — a timeout.
 *
 *   when                                   | Heartbeat 3.0.6 (function)                 | decision here
 *   ---------------------------------------+--------------------------------------------+------------------------
 *   status before start says running       | we_own_resource || doscript start          | skip-start
 *   status before start says stopped       |   (acquireresourcegroup)                   | start
 *   status before start times out          |   (Heartbeat would wait forever)           | start (LSB start is idempotent)
 *   start succeeded                        |                                            | started → next resource
 *   start failed                           | CRIT "Giving up resources due to failure   | give-up-group: stop every resource
 *                                          | of X"; giveupresourcegroup of the whole    | of the group right→left (stop rules
 *                                          | line; `(sleep 30; hb_standby <set>) &`     | below), then standby after 30 s
 *   stop succeeded                         | giveupresourcegroup                        | stopped → next resource (leftwards)
 *   stop failed, retries < HA_STOPRETRYMAX | `sleep 1`, "Retrying failed stop operation | retry after 1 s
 *     (or HA_STOPRETRYMAX <= 0: forever)   | [X]"                                       |
 *   stop failed, retries exhausted         | we_own_resource X                          | check-status
 *   … and status says running              | RecoverFromFailedStop: pkill -9 heartbeat, | reboot-requested (the daemon decides
 *                                          | /sbin/reboot -nf                           | whether it really reboots)
 *   … and status says stopped              | "probably not LSB-compliant", "Machine     | assume-stopped
 *                                          | reboot narrowly avoided!"                  |
 *   … and status times out (ours)          | —                                          | reboot-requested (not proven stopped)
 *
 * HA_STOPRETRYMAX defaults to 10 and counts *retries*: a stop that never succeeds runs 1 + 10 = 11 times, with
 * 1 s between attempts. A failed stop of one resource does not end the release: the loop goes on leftwards
 * (in Heartbeat only if the reboot itself failed; "reboot-requested" says the same to a daemon that declines).
 */
import type { Resource, ResourceGroup } from '../config/model.js';
import { assertNever } from '../core/assert-never.js';
import type { LogLevel } from '../core/log-level.js';
import { judgeStatus, stopPlan, type PlanStep, type StatusVerdict } from './operations.js';

export interface FailurePolicy {
  /** ResourceManager `HA_STOPRETRYMAX` (default 10): retries after the first failed stop; <= 0 retries forever. */
  readonly stopRetryMax: number;
  /** ResourceManager `sleep 1` between stop attempts. */
  readonly stopRetryDelayMs: number;
  /** ResourceManager `(sleep 30; hb_standby …) &` after a failed start. */
  readonly standbyDelayMs: number;
  /**
   * Which set the standby after a failed start hands over. ResourceManager means the failed group's set
   * (StandbyGroupType: local if the group is ours, else foreign), but its test compares a resource with the
   * whole line of our groups plus a trailing blank, which never matches, so 3.0.6 always runs
   * `hb_standby foreign`. 'group-home' does what was meant; 'heartbeat-3.0.6' copies the quirk.
   */
  readonly standbySet: 'group-home' | 'heartbeat-3.0.6';
}

/**
 * heartbeat 3.0.6 RecoverFromFailedStop (Debian's build): `/sbin/reboot -nf`, no sync and no init scripts, so
 * the node and everything it still runs are gone at once and the peer can safely take over. heartbeat-ts runs
 * this argv unless `heartbeat --failed-stop-command` names another.
 */
export const HEARTBEAT_FAILED_STOP_ARGV: readonly string[] = Object.freeze(['/sbin/reboot', '-nf']);

/** Ours (Heartbeat has no limit): how long one resource script operation may run before SIGTERM, then SIGKILL. */
export const DEFAULT_SCRIPT_TIMEOUT_MS = 60_000;

export const DEFAULT_FAILURE_POLICY: FailurePolicy = {
  stopRetryMax: 10,
  stopRetryDelayMs: 1000,
  standbyDelayMs: 30_000,
  standbySet: 'group-home',
};

export interface PolicyLog {
  readonly level: Exclude<LogLevel, 'debug'>;
  readonly text: string;
}

/* ------------------------------------------------------------------ outcomes */

export type OperationOutcome = 'success' | 'failed' | 'timed-out' | 'missing-script';

/** What a finished operation reports (the shape of the daemon's runner result that matters here). */
export interface OperationReport {
  readonly exitCode: number | null;
  readonly timedOut: boolean;
  /** The errno code when the script could not be started at all (ENOENT, EACCES, …). */
  readonly spawnError?: string | undefined;
}

const NOT_FOUND_ERRNO = new Set(['ENOENT', 'EACCES', 'ENOTDIR', 'ELOOP']);

export function outcomeOf(r: OperationReport): OperationOutcome {
  if (r.spawnError !== undefined) return NOT_FOUND_ERRNO.has(r.spawnError) ? 'missing-script' : 'failed';
  if (r.timedOut) return 'timed-out';
  return r.exitCode === 0 ? 'success' : 'failed';
}

/** A status answer as the decisions use it: 'unknown' only when it never came (timeout). */
export type StatusReading = StatusVerdict | 'unknown';

export function readStatus(outcome: OperationOutcome, stdout: string): StatusReading {
  switch (outcome) {
    case 'success':
    case 'failed':
      return judgeStatus(stdout); // exit status ignored, as we_own_resource ignores it
    case 'timed-out':
      return 'unknown';
    case 'missing-script':
      // heartbeat 3.0.6: scriptpath fails, `$spath $arg status` prints nothing on stdout → not running.
      return 'stopped';
    default:
      return assertNever(outcome, 'operation outcome');
  }
}

/* ------------------------------------------------------------------ starting a group */

export type BeforeStartDecision =
  | { readonly kind: 'skip-start'; readonly logs: readonly PolicyLog[] }
  | { readonly kind: 'start'; readonly logs: readonly PolicyLog[] };

/** heartbeat 3.0.6 acquireresourcegroup: `we_own_resource "$j" || doscript "$j" start`. */
export function decideBeforeStart(reading: StatusReading, resource: Resource): BeforeStartDecision {
  switch (reading) {
    case 'running':
      return { kind: 'skip-start', logs: [] };
    case 'stopped':
      return { kind: 'start', logs: [] };
    case 'unknown':
      return {
        kind: 'start',
        logs: [{ level: 'warn', text: `${resource.spec}: status gave no answer in time; starting it anyway` }],
      };
    default:
      return assertNever(reading, 'status reading');
  }
}

export interface StandbyRequest {
  /** hb_standby's argument, from this node's point of view. */
  readonly set: 'local' | 'foreign';
  readonly afterMs: number;
}

export type AfterStartDecision =
  | { readonly kind: 'started' }
  | {
      readonly kind: 'give-up-group';
      readonly failed: Resource;
      /** The whole group, right to left — including resources never started (Heartbeat stops them all). */
      readonly stop: readonly PlanStep[];
      /**
       * Run `hb_standby <set>` this long after the failure. Heartbeat runs it even if the release failed; in
       * legacy mode (no nice_failback) hb_standby is refused ("Standby mode only implemented when
       * nice_failback on"), which the daemon reproduces by ignoring this request there.
       */
      readonly standby: StandbyRequest;
      readonly logs: readonly PolicyLog[];
    };

export function standbySetFor(group: ResourceGroup, localNode: string, policy: FailurePolicy): 'local' | 'foreign' {
  switch (policy.standbySet) {
    case 'group-home':
      return group.node === localNode ? 'local' : 'foreign';
    case 'heartbeat-3.0.6':
      return 'foreign';
    default:
      return assertNever(policy.standbySet, 'standby set rule');
  }
}

/** heartbeat 3.0.6 acquireresourcegroup, after `doscript <rsc> start`. */
export function decideAfterStart(
  outcome: OperationOutcome,
  group: ResourceGroup,
  index: number,
  localNode: string,
  policy: FailurePolicy = DEFAULT_FAILURE_POLICY,
): AfterStartDecision {
  if (outcome === 'success') return { kind: 'started' };
  const failed = group.resources[index];
  if (failed === undefined) throw new RangeError(`decideAfterStart: group has no resource ${index}`);
  return {
    kind: 'give-up-group',
    failed,
    stop: stopPlan(group),
    standby: { set: standbySetFor(group, localNode, policy), afterMs: policy.standbyDelayMs },
    logs: [{ level: 'crit', text: `Giving up resources due to failure of ${failed.spec}` }],
  };
}

/* ------------------------------------------------------------------ stopping a resource */

export type AfterStopDecision =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'retry'; readonly nextAttempt: number; readonly delayMs: number; readonly logs: readonly PolicyLog[] }
  /** Retries exhausted: run `status` and pass its reading to decideAfterFailedStop. */
  | { readonly kind: 'check-status' };

/**
 * heartbeat 3.0.6 giveupresourcegroup's loop, after stop attempt number `attempt` (1-based) ended with
 * `outcome`: `while doscript stop; [ MAX -le 0 -o retries -lt MAX ] && [ rc -ne 0 ]; do sleep 1; …`.
 */
export function decideAfterStop(
  outcome: OperationOutcome,
  attempt: number,
  resource: Resource,
  policy: FailurePolicy = DEFAULT_FAILURE_POLICY,
): AfterStopDecision {
  if (outcome === 'success') return { kind: 'stopped' };
  const retriesSoFar = attempt - 1;
  if (policy.stopRetryMax <= 0 || retriesSoFar < policy.stopRetryMax) {
    return {
      kind: 'retry',
      nextAttempt: attempt + 1,
      delayMs: policy.stopRetryDelayMs,
      logs: [{ level: 'info', text: `Retrying failed stop operation [${resource.spec}]` }],
    };
  }
  return { kind: 'check-status' };
}

export type AfterFailedStopDecision =
  /** heartbeat 3.0.6 RecoverFromFailedStop reboots here; the daemon makes that configurable. */
  | { readonly kind: 'reboot-requested'; readonly resource: Resource; readonly logs: readonly PolicyLog[] }
  | { readonly kind: 'assume-stopped'; readonly logs: readonly PolicyLog[] };

/** heartbeat 3.0.6 giveupresourcegroup, when the stop retries are exhausted: `if we_own_resource $j`. */
export function decideAfterFailedStop(reading: StatusReading, resource: Resource): AfterFailedStopDecision {
  switch (reading) {
    case 'running':
    case 'unknown':
      return {
        kind: 'reboot-requested',
        resource,
        logs: [
          { level: 'crit', text: `${resource.spec}: stop failed and status says ${reading === 'running' ? 'it is still running' : 'nothing in time'}` },
          { level: 'crit', text: 'Resource STOP failure. Reboot required!' },
        ],
      };
    case 'stopped':
      return {
        kind: 'assume-stopped',
        logs: [
          { level: 'err', text: `Resource script for ${resource.spec} probably not LSB-compliant.` },
          { level: 'warn', text: `it (${resource.spec}) MUST succeed on a stop when already stopped` },
          { level: 'warn', text: 'Machine reboot narrowly avoided!' },
        ],
      };
    default:
      return assertNever(reading, 'status reading');
  }
}

/** How many stop attempts a resource that never stops gets before its status is checked (11 by default). */
export function maxStopAttempts(policy: FailurePolicy = DEFAULT_FAILURE_POLICY): number {
  return policy.stopRetryMax <= 0 ? Infinity : policy.stopRetryMax + 1;
}

/**
 * The policy with ha.cf's `env STOPRETRYMAX=n` applied: Heartbeat exports it as HA_STOPRETRYMAX, which
 * ResourceManager reads (`: ${HA_STOPRETRYMAX=10}`). A value that is not an integer keeps the default.
 */
export function failurePolicyFromEnv(env: ReadonlyMap<string, string>, base: FailurePolicy = DEFAULT_FAILURE_POLICY): FailurePolicy {
  const raw = env.get('STOPRETRYMAX');
  if (raw === undefined || !/^\s*-?\d+\s*$/.test(raw)) return base;
  return { ...base, stopRetryMax: Number.parseInt(raw, 10) };
}
