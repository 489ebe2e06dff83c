// What a client is connected with and what it is given back: options, signon facts, node and link entries, events.
import type { Field, Message } from '../wire/message.js';

/** Heartbeat's run directory (API_REGSOCK is `<run-dir>/register`). */
export const DEFAULT_RUN_DIR = '/var/run/heartbeat';
export const REGISTER_SOCKET_NAME = 'register';
/** Per request, unless ConnectOptions.timeoutMs says otherwise (cl_status gives up after 5 s in all). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 5000;
/** cl_status's default wait for a `clientstatus` answer. */
export const DEFAULT_CLIENT_STATUS_TIMEOUT_MS = 500;
export interface ConnectOptions {
  /** Directory holding the `register` socket; default /var/run/heartbeat. */
  readonly runDir?: string;
  /** The socket itself; overrides runDir. */
  readonly socketPath?: string;
  /** A named client (`ipfail`); absent: a casual client whose id is its pid (like cl_status). */
  readonly clientId?: string;
  /** Per-request timeout, signon included. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Claimed pid, uid, gid (default: this process's pid, euid, egid). Only tests should change them. */
  readonly pid?: number;
  readonly uid?: number;
  readonly gid?: number;
}

/** What the signon reply says. */
export interface SignonInfo {
  /** The daemon's node name (`node`); requests carry it as `dest`. */
  readonly localNode: string;
  readonly deadtimeMs: number;
  readonly keepaliveMs: number;
  /** syslog facility number, or -1 when absent. */
  readonly logFacility: number;
  /** e.g. `3.0.6 (node: 958e…)`; undefined from servers older than 3.0.6. */
  readonly hbversion: string | undefined;
  /** e.g. `off`; undefined from servers older than 3.0.6. */
  readonly pacemaker: string | undefined;
}

export interface NodeEntry {
  readonly name: string;
  /** `normal`, `ping`, … (3.0.6 servers send it with the node list). */
  readonly type: string | undefined;
  /** `active`, `dead`, `ping`, `up`, `init`, … */
  readonly status: string | undefined;
}

export interface LinkEntry {
  readonly name: string;
  /** `up` or `dead`. */
  readonly status: string | undefined;
}

/** Something the daemon delivered that was not a reply (api_heartbeat_monitor). Every kind keeps the whole message. */
export type HeartbeatEvent =
  /** `t=status` / `t=NS_st`: a node's status (also a ping node answering: status `ping`). */
  | { readonly kind: 'node-status'; readonly node: string; readonly status: string; readonly message: Message }
  /** `t=ifstat`: a link to a node went up or dead. */
  | { readonly kind: 'link-status'; readonly node: string; readonly link: string; readonly status: string; readonly message: Message }
  /** `t=hbapi-clstat` (join/leave of a named client) or `t=respond-cstatus` (online/offline answer). */
  | { readonly kind: 'client-status'; readonly node: string | undefined; readonly clientId: string; readonly status: string; readonly message: Message }
  /** Anything else: other clients' messages (`num_ping_nodes`, …), `resource`, `ask_resources`, … */
  | { readonly kind: 'message'; readonly type: string | undefined; readonly message: Message };

/** Fields for a cluster message: ready fields, or [name, value] string pairs. */
export type MessageFields = Message | ReadonlyArray<Field | readonly [string, string]>;
