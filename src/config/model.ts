// The checked configuration of a node: ha.cf, haresources and authkeys as one typed value.
import type { MonitorSpec } from './monitors.js';
import type { AuthKeys } from '../core/auth-keys.js';

export type AutoFailback = 'on' | 'off' | 'legacy';

export type Medium =
  | { readonly kind: 'bcast'; readonly iface: string; readonly port: number }
  | { readonly kind: 'ucast'; readonly iface: string; readonly peer: string; readonly port: number }
  | {
      readonly kind: 'mcast';
      readonly iface: string;
      readonly group: string;
      readonly port: number;
      readonly ttl: number;
      readonly loop: number;
    }
  | { readonly kind: 'serial'; readonly device: string; readonly baud: number }
  | { readonly kind: 'ping'; readonly host: string }
  | { readonly kind: 'ping_group'; readonly name: string; readonly hosts: readonly string[] }
  /** `ucast6 IF PEER`: peer as written (a link-local one may carry "%IF"); port from udpport. */
  | { readonly kind: 'ucast6'; readonly iface: string; readonly peer: string; readonly port: number }
  /** `mcast6 IF GROUP PORT HOPS LOOP`. */
  | {
      readonly kind: 'mcast6';
      readonly iface: string;
      readonly group: string;
      readonly port: number;
      readonly hops: number;
      readonly loop: number;
    }
  | { readonly kind: 'ping6'; readonly host: string };

export interface Node {
  /** Lower-cased, as Heartbeat stores it. */
  readonly name: string;
  readonly type: 'normal' | 'ping';
}

export interface RespawnChild {
  readonly user: string;
  /** The command line as written (program and arguments). */
  readonly command: string;
  /** The program to run: the path, or 'builtin:ipfail' for heartbeat-ts's own ipfail. */
  readonly program: string;
  readonly args: readonly string[];
  /** failfast: reboot when it dies abnormally. */
  readonly failfast: boolean;
}

/** A `stonith` or `stonith_host` line that applies to this node; Heartbeat 3.0.6 keeps the last one. */
export interface StonithDevice {
  readonly directive: 'stonith' | 'stonith_host';
  /** cluster-glue plugin type, e.g. `null`, `external/ssh`, `ipmilan`. */
  readonly type: string;
  /** `stonith TYPE FILE`: the device's configuration file (`stonith -F`). */
  readonly configFile: string | undefined;
  /** `stonith_host HOST TYPE PARAMS…`: the parameters as written (`stonith -p`, Heartbeat's config info string). */
  readonly params: string | undefined;
  /** Line in ha.cf. */
  readonly line: number;
}

export interface ApiAuth {
  readonly client: string;
  readonly uids: readonly string[];
  readonly gids: readonly string[];
}

export interface Resource {
  /** The resource as written, e.g. "198.51.100.10/24/eth0" or "IPaddr::198.51.100.10". */
  readonly spec: string;
  /** Script name, looked up in resource.d then init.d. */
  readonly script: string;
  /** Arguments passed before start|stop|status. */
  readonly args: readonly string[];
}

export interface ResourceGroup {
  /** The preferred node, lower-cased. */
  readonly node: string;
  readonly resources: readonly Resource[];
  readonly line: number;
}

export interface ClusterConfig {
  /** heartbeat-ts's <config-dir>/monitors (src/config/monitors.ts): absent without the file. */
  readonly monitors?: readonly MonitorSpec[];
  readonly localNode: string;
  readonly nodes: readonly Node[];
  readonly media: readonly Medium[];
  readonly keepaliveMs: number;
  readonly deadtimeMs: number;
  readonly warntimeMs: number;
  readonly initdeadMs: number;
  readonly deadpingMs: number;
  readonly udpPort: number;
  readonly baud: number;
  readonly autoFailback: AutoFailback;
  readonly autojoin: 'none' | 'other' | 'any';
  readonly hopfudge: number;
  readonly msgfmt: 'classic' | 'netstring';
  readonly compression: string;
  readonly compressionThresholdKiB: number;
  readonly traditionalCompression: boolean;
  readonly maxRexmitDelayMs: number;
  readonly uuidFrom: 'file' | 'nodename';
  readonly hbGenMethod: 'file' | 'time';
  readonly cluster: string;
  readonly debugLevel: number;
  readonly logFacility: string | undefined;
  readonly logFile: string | undefined;
  readonly debugFile: string | undefined;
  readonly useLogd: boolean;
  readonly logBadPack: boolean;
  readonly watchdog: string | undefined;
  /** The ha.cf line of `watchdog` (start-up errors name it). */
  readonly watchdogLine?: number;
  /** The STONITH device of this node, if ha.cf configures one (§7.7: reset a dead peer before taking over). */
  readonly stonith?: StonithDevice;
  readonly respawn: readonly RespawnChild[];
  readonly apiAuth: readonly ApiAuth[];
  /** `env NAME=value` lines: exported as HA_NAME=value to scripts and children. */
  readonly env: ReadonlyMap<string, string>;
  /** Every directive's last value as written (for `-D`-style dumps and for directives without a field here). */
  readonly values: ReadonlyMap<string, string>;
  readonly resourceGroups: readonly ResourceGroup[];
  readonly authKeys: AuthKeys;
}
