// Fence before acquire: resetting a dead peer through the STONITH device before its groups are taken (both protocols).
import type { LogLevel } from '../core/log-level.js';

/** heartbeat 3.0.6 StonithProcessDied: a reset that failed is tried again 5 s later, for ever. */
export const STONITH_RETRY_MS = 5000;

/** A reset's outcome as the `stonith` message reports it (T_STONITH_OK, T_STONITH_BADHOST, T_STONITH_BAD). */
export type FenceResult = 'OK' | 'badhost' | 'bad';


/**
 * The "fence before acquire" step both protocols share (hb_rsc_recover_dead_resources, Initiate_Reset,
 * StonithProcessDied): one reset at a time, each result sent as `stonith node=… result=…`, a failed reset tried
 * again every STONITH_RETRY_MS and logged each time; `onReset` runs once a reset worked. Abandoned when the peer
 * is heard again (it restarted: it holds nothing) or we shut down.
 */
export class Fencing {
  private pending: { readonly node: string; tries: number; readonly then: () => void } | undefined;
  private running = false;
  private retryAtMs = Number.POSITIVE_INFINITY;

  constructor(
    private readonly send: (fields: readonly (readonly [string, string])[]) => void,
    private readonly log: (level: Exclude<LogLevel, 'debug'>, text: string) => void,
    private readonly fence: (node: string) => void,
  ) {}

  get active(): boolean {
    return this.pending !== undefined;
  }

  get nextWakeAtMs(): number {
    return this.retryAtMs;
  }

  /** Starts resetting `node`; `then` (the takeover) runs after the first reset that works. */
  begin(node: string, why: string, then: () => void): void {
    this.log('warn', `${node} ${why}: it may still hold resources; resetting it through the STONITH device before taking them over`);
    this.pending = { node, tries: 0, then };
    this.retryAtMs = Number.POSITIVE_INFINITY;
    if (!this.running) this.tryOnce();
  }

  private tryOnce(): void {
    const p = this.pending;
    if (p === undefined) return;
    p.tries += 1;
    this.running = true;
    this.fence(p.node);
  }

  tick(nowMs: number): void {
    if (nowMs < this.retryAtMs) return;
    this.retryAtMs = Number.POSITIVE_INFINITY;
    if (!this.running) this.tryOnce();
  }

  done(node: string, result: FenceResult, nowMs: number): void {
    this.running = false;
    // Initiate_Reset's child sends its result whatever it is, every try.
    this.send([['t', 'stonith'], ['node', node], ['result', result]]);
    const p = this.pending;
    if (p === undefined || p.node !== node) {
      this.log('info', `STONITH of ${node} ended (${result}) after it was no longer needed`);
      return;
    }
    if (result === 'OK') {
      this.pending = undefined;
      this.log('info', `STONITH of ${node} succeeded (try ${p.tries}): taking over its resources`);
      p.then();
      return;
    }
    this.log('err', `STONITH of ${node} failed.  Retrying... (try ${p.tries}: ${result}; its resources are not taken over until a reset succeeds; next try in ${STONITH_RETRY_MS / 1000} s)`);
    this.retryAtMs = nowMs + STONITH_RETRY_MS;
  }

  cancel(why: string): void {
    const p = this.pending;
    if (p === undefined) return;
    this.log('warn', `STONITH of ${p.node} abandoned after ${p.tries} ${p.tries === 1 ? 'try' : 'tries'}: ${why}`);
    this.pending = undefined;
    this.retryAtMs = Number.POSITIVE_INFINITY;
  }
}
