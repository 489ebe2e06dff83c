// What the API socket answers from, taken from the running daemon: nodes, links, parameters, resource state.
import type { ApiLink, ApiNode, ApiSignonInfo, ApiView } from '../api/view.js';
import type { ClusterConfig } from '../config/model.js';
import { HA_CF_DEFAULTS } from '../config/defaults.js';
import { COMPATIBLE_WITH, VERSION } from '../core/version.js';
import type { NodeView } from '../membership/core.js';

export interface ApiViewSources {
  readonly config: ClusterConfig;
  /** Membership's view: this node first, then the others. */
  nodes(): readonly NodeView[];
  /** The names of the media that are open (this node's own links). */
  openMedia(): ReadonlySet<string>;
  /** hb_rsc_resource_state; undefined when this node manages no resources. */
  resourceState(): string | undefined;
}

/** heartbeat 3.0.6 node weight and site when the `node` line gives none. */
const DEFAULT_WEIGHT = 100;

/** syslog facility numbers (<syslog.h>); 3.0.6 reports 0 for `logfacility none` (and when unset). */
const FACILITY: Readonly<Record<string, number>> = {
  kern: 0, user: 8, mail: 16, daemon: 24, auth: 32, syslog: 40, lpr: 48, news: 56, uucp: 64, cron: 72, authpriv: 80, ftp: 88,
  local0: 128, local1: 136, local2: 144, local3: 152, local4: 160, local5: 168, local6: 176, local7: 184,
};

/**
 * Directives 3.0.6 does not keep as parameters (config.c: record_value FALSE, the client/stonith table, the
 * media): GetParameterValue has nothing for them.
 */
const NOT_RECORDED: ReadonlySet<string> = new Set([
  'node', 'nice_failback', 'apphbd', 'env', 'stonith', 'stonith_host', 'apiauth', 'respawn', 'failfast',
  'bcast', 'udp', 'ucast', 'mcast', 'serial', 'ping', 'ping_group', 'ucast6', 'mcast6', 'ping6', 'hbaping', 'openais',
]);

export function daemonApiView(s: ApiViewSources): ApiView {
  const c = s.config;
  const defaults = new Map(HA_CF_DEFAULTS.map((r) => [r.directive, r.value] as const));
  return {
    localNode: c.localNode,
    signonInfo(): ApiSignonInfo {
      return {
        deadtimeMs: c.deadtimeMs,
        keepaliveMs: c.keepaliveMs,
        logFacility: FACILITY[c.logFacility ?? ''] ?? 0,
        hbversion: `${COMPATIBLE_WITH} (heartbeat-ts ${VERSION})`,
        pacemaker: 'off',
      };
    },
    nodes(): ApiNode[] {
      const live = new Map(s.nodes().map((n) => [n.name, n] as const));
      const open = s.openMedia();
      // ha.cf declaration order (config->nodes), as the API walks it.
      return c.nodes.map((decl) => {
        const n = live.get(decl.name);
        const status = n?.status ?? (decl.type === 'ping' ? 'ping' : 'dead');
        let links: ApiLink[];
        if (decl.name === c.localNode) {
          links = c.media.flatMap((m) => {
            const name = linkName(m);
            return name === undefined ? [] : [{ name, status: open.has(name) ? 'up' : 'dead' }];
          });
        } else if (decl.type === 'ping') {
          // A ping node has one link, named after the node.
          links = [{ name: decl.name, status: status === 'dead' ? 'dead' : 'up' }];
        } else {
          // Every heartbeat medium is a link to every normal node; one never heard on is dead.
          const known = n?.links ?? new Map<string, string>();
          links = c.media.flatMap((m) => {
            const name = linkName(m);
            return name === undefined ? [] : [{ name, status: known.get(name) ?? 'dead' }];
          });
        }
        return { name: decl.name, type: decl.type, status, weight: DEFAULT_WEIGHT, site: '', links, ...(n?.uuid === undefined ? {} : { uuid: n.uuid }) };
      });
    },
    parameter(name: string): string | undefined {
      // The ha.cf text as Heartbeat stores it; defaults as its Directives[] table has them.
      // `crm` is the older spelling of `pacemaker`: 3.0.6 keeps one value, under either name.
      if (name === 'crm' || name === 'pacemaker') return c.values.get('pacemaker') ?? c.values.get('crm') ?? defaults.get('pacemaker');
      if (NOT_RECORDED.has(name)) return undefined;
      const written = c.values.get(name);
      if (written !== undefined) return written;
      // Values 3.0.6 sets at start when ha.cf does not.
      if (name === 'deadping') return `${c.deadpingMs}ms`;
      if (name === 'debug') return String(c.debugLevel);
      if (name === 'udpport') return String(c.udpPort);
      return defaults.get(name);
    },
    resourceState: () => s.resourceState(),
  };
}

/** The link name Heartbeat gives a heartbeat medium (its interface, or its serial device); ping media have none. */
function linkName(m: ClusterConfig['media'][number]): string | undefined {
  switch (m.kind) {
    case 'bcast':
    case 'ucast':
    case 'mcast':
      return m.iface;
    case 'serial':
      return m.device;
    default:
      return undefined;
  }
}
