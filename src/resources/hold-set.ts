// Which resource groups a node holds: none, its own (local), the other's (foreign) or all; bit sets and mirroring.

export type HoldSet = 'none' | 'local' | 'foreign' | 'all';

/** Bit values of the sets: local 1, foreign 2. */
export const LOCAL = 1;
export const FOREIGN = 2;
export const BITS: Record<HoldSet, number> = { none: 0, local: LOCAL, foreign: FOREIGN, all: LOCAL | FOREIGN };
const SET_OF = ['none', 'local', 'foreign', 'all'] as const;

export function toSet(bits: number): HoldSet {
  return SET_OF[bits & 3] ?? 'none';
}

/** The same groups seen from the other node: its local are our foreign. */
export function mirror(s: HoldSet): HoldSet {
  return s === 'local' ? 'foreign' : s === 'foreign' ? 'local' : s;
}

export function parseHoldSet(v: string | undefined): HoldSet | undefined {
  return v === 'none' || v === 'local' || v === 'foreign' || v === 'all' ? v : undefined;
}
