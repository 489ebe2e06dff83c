// What the API answers from: a read-only snapshot of the daemon that the request handler queries.
import type { NodeType } from './protocol.js';

export interface ApiLink {
  /** Interface name as Heartbeat names links (`eth0`; a ping node's one link is named after the node). */
  readonly name: string;
  /** `up` or `dead` (heartbeat.c: change_link_status). */
  readonly status: string;
}

export interface ApiNode {
  /** Lower-case node name; for a ping node the host token from ha.cf. */
  readonly name: string;
  readonly type: NodeType;
  /**
   * Status word as api_nodelist reports it: the `st` of the node's last status message if any, else the
   * node's status (`init`, `up`, `active`, `dead`, `ping`, …).
   */
  readonly status: string;
  /** `node` weight (3.0.6 default 100). */
  readonly weight: number;
  /** `node` site (3.0.6 default empty). */
  readonly site: string;
  /** Heartbeat links in media order; ping links of normal nodes are left out, as api_iflist does. */
  readonly links: readonly ApiLink[];
  /** The node's 16-byte UUID once known (getuuid/getnodename). */
  readonly uuid?: Uint8Array;
}

/** The fields of the signon reply besides `result`. */
export interface ApiSignonInfo {
  readonly deadtimeMs: number;
  readonly keepaliveMs: number;
  /** syslog facility number (config->log_facility; 3.0.6 reported 0 for `logfacility none`). */
  readonly logFacility: number;
  /** `hbversion` value, e.g. `3.0.6 (node: <changeset>)`. */
  readonly hbversion: string;
  /** `pacemaker` value; `off` in haresources mode. */
  readonly pacemaker: string;
}

export interface ApiView {
  /** This node's name (curnode->nodename). */
  readonly localNode: string;
  signonInfo(): ApiSignonInfo;
  /**
   * Every node, normal and ping, in ha.cf declaration order (config->nodes). cl_status prints them in the
   * reverse of this order, because the client library prepends each reply to its list.
   */
  nodes(): readonly ApiNode[];
  /** GetParameterValue(name): the ha.cf text of a directive as Heartbeat stores it, or undefined if unset. */
  parameter(name: string): string | undefined;
  /** `rsc_hold` for getrsc (`none`, `local`, `foreign`, `all`, `transition`); undefined if resources are not managed. */
  resourceState(): string | undefined;
  /** heartbeat-ts only: the `hbts-status` answer; absent: the request is refused like an unknown one. */
  extendedStatus?(): ApiExtendedStatus;
}

/** heartbeat-ts only (`reqtype=hbts-status`, protocol.ts): what `hbctl status` shows beyond the Heartbeat API. */
export interface ApiExtendedStatus {
  /** heartbeat-ts version. */
  readonly version: string;
  readonly localNode: string;
  /** This node's status (`init`, `up`, `active`). */
  readonly localStatus: string;
  /** This daemon's generation (the `hg` field of its messages; bumped at every start). */
  readonly generation: number;
  /** Wall-clock time of this answer, epoch ms (the times below are on the same clock). */
  readonly nowMs: number;
  /** Epoch ms the daemon started. */
  readonly startedMs: number;
  readonly nodes: readonly ApiExtendedNode[];
  readonly resources: ApiExtendedResources | undefined;
  /** Key ha.cf values in effect (directive → value as Heartbeat reports it). */
  readonly config: Readonly<Record<string, string>>;
  /**
   * Whether each peer heard so far runs with our haresources, authkeys method and ha.cf timing (their announced
   * digests): `same`, `differs` (with what differs) or `unknown` (it announces none: a real Heartbeat). Absent
   * from older heartbeat-ts daemons.
   */
  readonly configAgreement?: readonly {
    readonly node: string;
    readonly verdict: 'same' | 'differs' | 'unknown';
    readonly differences: readonly { readonly file: string; readonly text: string }[];
  }[];
  /** API problems since the socket opened, by kind (bad-frame, refused-signon, bad-request, dropped-client). */
  readonly apiProblems?: Readonly<Record<string, number>>;
  /** The service monitor's resources (issue 17); absent without a monitors file or from older daemons. */
  readonly monitors?: readonly ApiMonitoredResource[];
}

export interface ApiMonitoredResource {
  readonly resource: string;
  readonly group: string;
  /** idle (group not held here), watching, restarting, handing-over, backoff. */
  readonly phase: string;
  /** Epoch ms the last check began; null: none yet. */
  readonly lastCheckMs: number | null;
  readonly lastDurationMs: number | null;
  readonly lastResult: 'ok' | 'failed' | null;
  readonly lastDetail: string | null;
  readonly consecutiveFailures: number;
  readonly restarts: number;
  readonly checks: number;
  readonly failures: number;
  /** Its group is marked failed on this node (until hbctl cleanup). */
  readonly failed: boolean;
}

export interface ApiExtendedNode {
  readonly name: string;
  readonly type: NodeType;
  readonly status: string;
  /** The peer's generation, when heard (0 before). */
  readonly generation: number;
  /** Epoch ms of the last status (or ping reply) from it; null for this node or when never heard. */
  readonly lastHeardMs: number | null;
  readonly links: readonly { readonly name: string; readonly status: string; readonly lastHeardMs: number | null }[];
}

export interface ApiExtendedResources {
  /** hb_rsc_resource_state: what this node holds (`none`, `local`, `foreign`, `all`) or `transition`. */
  readonly state: string;
  readonly groups: readonly {
    /** The haresources line as written: home node, then resources. */
    readonly line: string;
    readonly home: string;
    /** The node holding it now; null when nobody does; `unknown` while resources are in transition. */
    readonly holder: string | null | 'unknown';
  }[];
}
