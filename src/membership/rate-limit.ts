// At most one log line per (peer, reason) per interval; the next line says how many were suppressed.

export class LogLimiter {
  private readonly last = new Map<string, { atMs: number; suppressed: number }>();
  constructor(private readonly intervalMs: number) {}

  /** The suffix to log now (e.g. '' or ' (3 more since the last report)'), or null to stay silent. */
  admit(key: string, nowMs: number): string | null {
    const e = this.last.get(key);
    if (e !== undefined && nowMs - e.atMs < this.intervalMs) {
      e.suppressed += 1;
      return null;
    }
    const suppressed = e?.suppressed ?? 0;
    this.last.set(key, { atMs: nowMs, suppressed: 0 });
    return suppressed > 0 ? ` (${suppressed} more since the last report)` : '';
  }
}
