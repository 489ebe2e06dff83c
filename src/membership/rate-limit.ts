// At most `burst` log lines per key per interval (one, by default); the next line says how many were suppressed.

export class LogLimiter {
  private readonly last = new Map<string, { atMs: number; admitted: number; suppressed: number }>();
  constructor(
    private readonly intervalMs: number,
    private readonly burst = 1,
  ) {}

  /** The suffix to log now (e.g. '' or ' (3 more since the last report)'), or null to stay silent. */
  admit(key: string, nowMs: number): string | null {
    const e = this.last.get(key);
    if (e !== undefined && nowMs - e.atMs < this.intervalMs) {
      if (e.admitted >= this.burst) {
        e.suppressed += 1;
        return null;
      }
      e.admitted += 1;
      return '';
    }
    const suppressed = e?.suppressed ?? 0;
    this.last.set(key, { atMs: nowMs, admitted: 1, suppressed: 0 });
    return suppressed > 0 ? ` (${suppressed} more since the last report)` : '';
  }
}
