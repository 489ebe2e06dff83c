// What every cl_status sub-command shares: exit codes, the I/O it is given, the signed-on session, cl_log lines.
import { HeartbeatClient, HeartbeatClientError } from '../api/client.js';
import { logTimestamp } from '../core/log-format.js';
import { getopt } from './glibc-getopt.js';

export const OK = 0;
export const NORMAL_FAIL = 1;
export const PARAMETER_ERROR = 11;
export const TIMEOUT = 12;
export const UNKNOWN_ERROR = 13;
/** cl_status's alarm(): the whole run. */
export const DEFAULT_TIMEOUT_MS = 5000;

export interface ClStatusIo {
  out(text: string): void;
  err(text: string): void;
}

export interface ClStatusEnv {
  readonly io: ClStatusIo;
  /** Where the daemon's socket is (default /var/run/heartbeat/register). */
  readonly socketPath?: string;
  readonly hostname: string;
  readonly pid: number;
  readonly now: () => Date;
  /** POSIXLY_CORRECT: getopt stops at the first non-option. */
  readonly posixlyCorrect: boolean;
}

export interface Session {
  readonly env: ClStatusEnv;
  readonly hb: HeartbeatClient | undefined;
  /** The C library's error buffer (APIError) after the last call. */
  errmsg: string;
  human: boolean;
}

/** cl_log(LOG_ERR, …) with stderr enabled. */
export function clLog(env: ClStatusEnv, text: string): void {
  env.io.err(`${logTimestamp(env.now())} ${env.hostname} cl_status: [${env.pid}]: ERROR: ${text}\n`);
}

/** The C library's answer to a failed call, as far as cl_status prints it: null. */
export async function attempt<T>(s: Session, f: (hb: HeartbeatClient) => Promise<T>, reasonOnFailure: (e: HeartbeatClientError) => string = () => ''): Promise<T | undefined> {
  s.errmsg = '';
  if (s.hb === undefined) return undefined;
  try {
    return await f(s.hb);
  } catch (e) {
    if (!(e instanceof HeartbeatClientError)) throw e;
    s.errmsg = reasonOnFailure(e);
    return undefined;
  }
}

/** general_simple_opt_deal: only -m; anything else logs and fails. */
export function simpleOpts(s: Session, args: readonly string[], optstring = 'm'): string[] | undefined {
  const g = getopt(args, optstring, s.env.posixlyCorrect, (l) => s.env.io.err(l));
  for (const o of g.items) {
    if (o.c === 'm') s.human = true;
    else {
      clLog(s.env, `Error: getopt returnedcharacter ${o.c}.`);
      return undefined;
    }
  }
  return g.positionals();
}

/** C atoi: leading blanks, a sign, digits; 0 when none. */
export function cAtoi(s: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(s);
  return m === null ? 0 : Number.parseInt(m[1] ?? '0', 10);
}
