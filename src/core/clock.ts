// The two clocks every core is driven by: monotonic milliseconds for timers, wall seconds for the wire `ts` field.

/** The two clocks: monotonic milliseconds for every timer, wall seconds only for the wire `ts` field. */
export interface Now {
  readonly monoMs: number;
  readonly wallSec: number;
}
