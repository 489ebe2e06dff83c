// The Pacemaker configuration a v1 pair becomes: one plain value that the CIB, crmsh and pcs renderers print.

export type AgentClass = 'ocf' | 'lsb' | 'systemd' | 'stonith';

export interface Op {
  readonly name: 'monitor';
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Promotable clones monitor each role at its own interval. */
  readonly role?: 'Promoted' | 'Unpromoted';
}

export interface Primitive {
  readonly id: string;
  readonly agentClass: AgentClass;
  /** OCF only: heartbeat, pacemaker, linbit. */
  readonly provider?: string;
  readonly type: string;
  readonly params: readonly (readonly [string, string])[];
  readonly meta: readonly (readonly [string, string])[];
  readonly ops: readonly Op[];
  /** What it came from, for comments: the haresources resource as written, or the ha.cf line. */
  readonly origin: string;
}

export interface Group {
  readonly id: string;
  /** The haresources owner: the node the group prefers. */
  readonly home: string;
  readonly members: readonly Primitive[];
  /** Stopped: the owner is a ping node, so Heartbeat never runs it either. */
  readonly stopped: boolean;
  readonly line: number;
}

export interface Clone {
  readonly id: string;
  readonly primitive: Primitive;
  readonly promotable: boolean;
  readonly meta: readonly (readonly [string, string])[];
}

/** `rsc` prefers `node` with `score` (`-INFINITY`: never there). */
export interface NodeLocation {
  readonly kind: 'node';
  readonly id: string;
  readonly rsc: string;
  readonly node: string;
  readonly score: string;
}

/**
 * `rsc` gets `score` where the node attribute `attribute` is defined and above 0 (ipfail's rule: a node that
 * reaches a ping node beats one that does not; a bonus, not a penalty, because a resource never runs on a node
 * where its score is negative, so a penalty on both nodes would stop it).
 */
export interface AttributeLocation {
  readonly kind: 'attribute-positive';
  readonly id: string;
  readonly rsc: string;
  readonly attribute: string;
  readonly score: string;
}

export type Location = NodeLocation | AttributeLocation;

/** `rsc` runs where `withRsc` runs in role `withRole` (Promoted for a DRBD clone). */
export interface Colocation {
  readonly id: string;
  readonly rsc: string;
  readonly withRsc: string;
  readonly withRole: 'Promoted' | undefined;
  readonly score: string;
}

export interface Order {
  readonly id: string;
  readonly first: string;
  readonly firstAction: 'start' | 'promote';
  readonly then: string;
  readonly thenAction: 'start';
}

export interface ClusterNode {
  readonly id: number;
  readonly name: string;
}

export interface PacemakerModel {
  readonly clusterName: string;
  readonly nodes: readonly ClusterNode[];
  /** cib-bootstrap-options, in print order. */
  readonly properties: readonly (readonly [string, string])[];
  readonly rscDefaults: readonly (readonly [string, string])[];
  readonly fencing: readonly Primitive[];
  readonly clones: readonly Clone[];
  readonly groups: readonly Group[];
  readonly locations: readonly Location[];
  readonly colocations: readonly Colocation[];
  readonly orders: readonly Order[];
}

/** One entry of NOTES.txt: something without an exact equivalent, and what to do instead. */
export interface Note {
  readonly topic: string;
  readonly text: string;
  /** Warnings are also printed by hbctl when it writes the files. */
  readonly warning: boolean;
}

/** The home node's preference for its group; stickiness is set below it (failback) or above it (no failback). */
export const HOME_SCORE = 100;
export const STICKINESS_FAILBACK = 0;
export const STICKINESS_STAY = 200;
/** ipfail: a node that reaches some ping node beats one that reaches none, whatever home and stickiness say. */
export const PING_SCORE = 10000;
