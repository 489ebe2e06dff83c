// API problem lines (bad frames, refused signons, bad requests, dropped clients): counted per kind and logged at a
// bounded rate with the UDP path's LogLimiter, plus a periodic summary of what was not logged.
/*
 * A local client sending garbage in a loop would otherwise write one line per connection (2,630 lines in 90 s
 * under a fuzzer). Per kind, at most API_PROBLEM_BURST lines per API_PROBLEM_INTERVAL_MS are logged — the first
 * problems of a quiet daemon always are, whole — and the next admitted line says how many were suppressed. Every
 * API_PROBLEM_SUMMARY_MS, if anything was suppressed since the last summary, one line sums the period up. The
 * counts since start are in `hbctl status` and the metrics (heartbeat_api_problems_total).
 */
import { LogLimiter } from '../membership/rate-limit.js';
import type { LogLevel } from '../core/log-level.js';

export const API_PROBLEM_KINDS = ['bad-frame', 'refused-signon', 'bad-request', 'dropped-client'] as const;
export type ApiProblemKind = (typeof API_PROBLEM_KINDS)[number];
export type ApiProblemCounts = Readonly<Record<ApiProblemKind, number>>;

/** Lines per kind per interval: 8 per 10 s, so a flood of one kind logs under one line a second. */
export const API_PROBLEM_BURST = 8;
export const API_PROBLEM_INTERVAL_MS = 10_000;
export const API_PROBLEM_SUMMARY_MS = 60_000;

const NOUN: Record<ApiProblemKind, string> = {
  'bad-frame': 'bad frame(s)',
  'refused-signon': 'refused signon(s)',
  'bad-request': 'bad request(s)',
  'dropped-client': 'dropped client(s)',
};

export function zeroApiProblemCounts(): Record<ApiProblemKind, number> {
  return { 'bad-frame': 0, 'refused-signon': 0, 'bad-request': 0, 'dropped-client': 0 };
}

/** Pure apart from the `log` callback: the caller passes the monotonic time and calls summarize() on its timer. */
export class ApiProblems {
  private readonly limiter = new LogLimiter(API_PROBLEM_INTERVAL_MS, API_PROBLEM_BURST);
  private readonly total = zeroApiProblemCounts();
  private period = zeroApiProblemCounts();
  private suppressed = 0;

  constructor(private readonly log: (level: LogLevel, text: string) => void) {}

  /**
   * One problem: counted; logged unless its kind is over its rate. `counted` false: a second line about a
   * problem counted elsewhere (apiauth's reason for a refusal the handler reports too), rate-limited alike.
   */
  report(kind: ApiProblemKind, level: LogLevel, text: string, nowMs: number, counted = true): void {
    if (counted) {
      this.total[kind] += 1;
      this.period[kind] += 1;
    }
    const suffix = this.limiter.admit(kind, nowMs);
    if (suffix === null) this.suppressed += 1;
    else this.log(level, `${text}${suffix}`);
  }

  /** The periodic summary: one line when lines were suppressed since the last one, else nothing. */
  summarize(): void {
    if (this.suppressed > 0) {
      const parts = API_PROBLEM_KINDS.filter((k) => this.period[k] > 0).map((k) => `${this.period[k]} ${NOUN[k]}`);
      const all = API_PROBLEM_KINDS.map((k) => `${this.total[k]} ${NOUN[k]}`);
      this.log('warn', `api: problems in the last ${API_PROBLEM_SUMMARY_MS / 1000} s: ${parts.join(', ')} (${this.suppressed} line(s) not logged); since start: ${all.join(', ')}`);
    }
    this.period = zeroApiProblemCounts();
    this.suppressed = 0;
  }

  counts(): ApiProblemCounts {
    return { ...this.total };
  }
}
