// One haresources resource as an operation: which script runs it, with which argv, and what `status` means.
/*
 * The facts reproduced here are those of heartbeat 3.0.6's `/usr/share/heartbeat/ResourceManager` (spec §7.2):
 *
 *   scriptpath()        first of `$HA_RESOURCEDIR/<script>` (<config-dir>/resource.d) and `$INITDIR/<script>`
 *                       (/etc/init.d) that is a regular file and executable (`[ -f p -a -x p ]`); else
 *                       "Cannot locate resource script <script>".
 *   doscript()          runs `<path> <args…> <op>`; exit status 0 is success, anything else a failure.
 *   we_own_resource()   runs `<path> <args…> status` and matches its *stdout* (never the exit status) against
 *                       three shell patterns, in order (see judgeStatus).
 *   acquireresourcegroup()  resources left to right; giveupresourcegroup()  right to left (reverseargs).
 *
 * Pure: no files, no processes. Whether a path exists is a question the caller answers (`exists`).
 */
import type { Resource, ResourceGroup } from '../config/model.js';
import { err, ok, type Result } from '../core/result.js';

export type Operation = 'start' | 'stop' | 'status';
export const OPERATIONS: readonly Operation[] = ['start', 'stop', 'status'];

/** ResourceManager's `$INITDIR`. */
export const DEFAULT_INIT_DIR = '/etc/init.d';

export interface ScriptDirs {
  /** Heartbeat's configuration directory (/etc/ha.d); its `resource.d` is `$HA_RESOURCEDIR`, searched first. */
  readonly configDir: string;
  /** `$INITDIR`, searched second. Default /etc/init.d. */
  readonly initDir?: string;
  /** Searched after both (not Heartbeat: e.g. the scripts shipped with heartbeat-ts). */
  readonly fallbackDirs?: readonly string[];
}

/** Whether `path` is a regular file (symlinks followed) that we may execute: the shell's `[ -f p -a -x p ]`. */
export type ScriptExists = (path: string) => boolean;

export interface ResolvedScript {
  readonly path: string;
  /** Every candidate, in search order, up to and including the one found. */
  readonly searched: readonly string[];
}

export type ScriptLookupFailure =
  /** heartbeat 3.0.6 doscript: "ERROR: Cannot locate resource script <script>", and the operation fails. */
  | { readonly code: 'missing-script'; readonly script: string; readonly searched: readonly string[] }
  /**
   * Not Heartbeat (which would run `<dir>/../x`): a script name must be one file name, so that a haresources
   * line can only name scripts inside the searched directories.
   */
  | { readonly code: 'unsafe-script-name'; readonly script: string };

function joinPath(dir: string, name: string): string {
  const d = dir.replace(/\/+$/, '');
  return `${d}/${name}`;
}

/** The directories searched for a resource's script, in Heartbeat's order. */
export function scriptSearchPath(dirs: ScriptDirs): string[] {
  return [joinPath(dirs.configDir, 'resource.d'), dirs.initDir ?? DEFAULT_INIT_DIR, ...(dirs.fallbackDirs ?? [])];
}

export function isSafeScriptName(script: string): boolean {
  return script !== '' && script !== '.' && script !== '..' && !script.includes('/') && !script.includes('\0');
}

/** heartbeat 3.0.6 ResourceManager scriptpath(): resource.d, then init.d (then our fallbacks); first existing wins. */
export function resolveScript(resource: Resource, dirs: ScriptDirs, exists: ScriptExists): Result<ResolvedScript, ScriptLookupFailure> {
  if (!isSafeScriptName(resource.script)) return err({ code: 'unsafe-script-name', script: resource.script });
  const searched: string[] = [];
  for (const dir of scriptSearchPath(dirs)) {
    const candidate = joinPath(dir, resource.script);
    searched.push(candidate);
    if (exists(candidate)) return ok({ path: candidate, searched });
  }
  return err({ code: 'missing-script', script: resource.script, searched });
}

/**
 * The argv of one operation: `[path, ...args, op]`, run without a shell.
 *
 * ResourceManager runs `$spath $arg "$2"` with `$arg` unquoted, so the shell splits and globs the arguments;
 * haresources arguments contain no blanks, and we pass each one exactly as the haresources parser produced
 * it — an IPv6 argument (`IPv6addr::2001:db8::10/64`) stays one word, and `*` or `?` are never expanded.
 */
export function operationArgv(resource: Resource, op: Operation, scriptPath: string): readonly string[] {
  return [scriptPath, ...resource.args, op];
}

/** The prefix for a script's output lines in our log: `IPaddr2::198.51.100.100/24/eth0 start`. */
export function operationLogPrefix(resource: Resource, op: Operation): string {
  return `${resource.spec} ${op}`;
}

/** heartbeat 3.0.6 doscript: `info: Running <path> <args> <op>` (logged before start and stop). */
export function runningLogLine(argv: readonly string[]): string {
  return `Running ${argv.join(' ')}`;
}

/** heartbeat 3.0.6 doscript: `ERROR: Return code <rc> from <path>` after a non-zero exit. */
export function returnCodeLogLine(scriptPath: string, exitCode: number): string {
  return `Return code ${exitCode} from ${scriptPath}`;
}

/* ------------------------------------------------------------------ status */

export type StatusVerdict = 'running' | 'stopped';

/** Which of ResourceManager's three patterns decided a status answer. */
export type StatusRule = 'not-running-words' | 'running-word' | 'ok-word' | 'no-match';

/*
 * heartbeat 3.0.6 ResourceManager we_own_resource():
 *
 *     case `$spath $arg status` in
 *       *[Nn][Oo][Tt]\ *[Rr]unning*)  return 3;;    # not ours
 *       *[Rr]unning*|*OK*)             return 0;;    # ours
 *       *)                             return 3;;
 *     esac
 *
 * Shell patterns, so `*` is "any text, newlines included", and `\ ` is exactly one blank. Consequences the
 * tests pin: "not running" and "is not currently running" are stopped; "notrunning", "not-running" and
 * "not\nrunning" are *running* (no blank after "not"); "RUNNING" is neither word (`unning` is lower case) and
 * so stopped; "OK" is case-sensitive and found inside words ("BROKEN" is running); "Cannot tell if running"
 * is stopped ("not " inside "Cannot "). The exit status is never looked at. Only stdout is read (stderr is not
 * part of the command substitution).
 */
const NOT_RUNNING = /[Nn][Oo][Tt] [\s\S]*[Rr]unning/;
const RUNNING = /[Rr]unning/;
const OK_WORD = /OK/;

export function explainStatus(stdout: string): { readonly verdict: StatusVerdict; readonly rule: StatusRule } {
  if (NOT_RUNNING.test(stdout)) return { verdict: 'stopped', rule: 'not-running-words' };
  if (RUNNING.test(stdout)) return { verdict: 'running', rule: 'running-word' };
  if (OK_WORD.test(stdout)) return { verdict: 'running', rule: 'ok-word' };
  return { verdict: 'stopped', rule: 'no-match' };
}

/**
 * ResourceManager's judgement of a `status` answer. The exit code is accepted so that callers pass what they
 * have, and deliberately ignored: Heartbeat 3.0.6 decides from the words alone (an LSB `exit 3` with
 * "running" in its output is running; `exit 0` with "not running" is stopped).
 */
export function judgeStatus(stdout: string, _exitCode?: number | null): StatusVerdict {
  return explainStatus(stdout).verdict;
}

/* ------------------------------------------------------------------ plans */

export interface PlanStep {
  /** Position of the resource on its haresources line (0 = the group key). */
  readonly index: number;
  readonly resource: Resource;
  readonly op: 'start' | 'stop';
  /**
   * Ask `status` first and skip the step if it says running. heartbeat 3.0.6 does this for starts
   * (`we_own_resource "$j" || doscript "$j" start`) and not for stops (every resource is stopped).
   */
  readonly statusFirst: boolean;
}

/** A group's key: its first resource as written (ResourceManager KeyResources: field 2 of the line). */
export function groupKey(group: ResourceGroup): string {
  return group.resources[0]?.spec ?? '';
}

/** heartbeat 3.0.6 acquireresourcegroup: left to right, each start preceded by a status check. */
export function startPlan(group: ResourceGroup): PlanStep[] {
  return group.resources.map((resource, index) => ({ index, resource, op: 'start', statusFirst: true }));
}

/** heartbeat 3.0.6 giveupresourcegroup: right to left (reverseargs), every resource stopped without asking. */
export function stopPlan(group: ResourceGroup): PlanStep[] {
  return group.resources.map((resource, index): PlanStep => ({ index, resource, op: 'stop', statusFirst: false })).reverse();
}
