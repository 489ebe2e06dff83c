// What the API socket answers from, taken from the running daemon: nodes, links, parameters, resource state.
import type { MonitorView } from '../../resources/monitor.js';
import type { ApiExtendedResources, ApiExtendedStatus, ApiLink, ApiNode, ApiSignonInfo, ApiView } from '../../api/view.js';
import type { ClusterConfig } from '../../config/model.js';
import { HA_CF_DEFAULTS } from '../../config/defaults.js';
import { COMPATIBLE_WITH, VERSION } from '../../core/version.js';
import type { NodeView } from '../../membership/core.js';

export interface ApiViewSources {
  readonly config: ClusterConfig;
  /** Membership's view: this node first, then the others. */
  nodes(): readonly NodeView[];
  /** The names of the media that are open (this node's own links). */
  openMedia(): ReadonlySet<string>;
  /** hb_rsc_resource_state; undefined when this node manages no resources. */
  resourceState(): string | undefined;
  /** heartbeat-ts only, for `hbctl status` (reqtype hbts-status); absent: the request is refused as unknown. */
  readonly extended?: ExtendedSources;
}

/** What `hbctl status` needs beyond the Heartbeat API (api/protocol.ts HBTS_STATUS_REQUEST). */
export interface ExtendedSources {
  /** The monotonic clock the membership core runs on, and the wall clock (epoch ms). */
  monoMs(): number;
  wallMs(): number;
  readonly startedWallMs: number;
  /** Membership.lastHeard(): monotonic ms of each peer's last status and of each of its links' last packet. */
  lastHeard(): ReadonlyMap<string, { readonly statusMs: number | undefined; readonly links: ReadonlyMap<string, number> }>;
  /** Each peer's configuration verdict (node/config-agreement.ts). */
  configAgreement?(): ApiExtendedStatus['configAgreement'];
  /** The service monitor's resources (issue 17), on the monotonic clock. */
  monitors?(): readonly MonitorView[] | undefined;
  /** What the peer holds in our terms (`local`: our home groups), when the engine knows (nice_failback). */
  peerHolds?(): string | undefined;
  /** API problems since the socket opened, by kind (api/problems.ts). */
  apiProblems?(): Readonly<Record<string, number>> | undefined;
}

/** The ha.cf values `hbctl status` shows, in this order. */
const STATUS_CONFIG_KEYS = ['keepalive', 'deadtime', 'warntime', 'initdead', 'deadping', 'udpport', 'auto_failback', 'msgfmt', 'hopfudge', 'logfacility', 'logfile', 'debugfile', 'debug'] as const;

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
  const view: ApiView = {
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
  const ext = s.extended;
  if (ext === undefined) return view;
  return {
    ...view,
    extendedStatus(): ApiExtendedStatus {
      const mono = ext.monoMs();
      const wall = ext.wallMs();
      const toWall = (m: number | undefined): number | null => (m === undefined ? null : wall - (mono - m));
      const heard = ext.lastHeard();
      const self = s.nodes().find((n) => n.name === c.localNode);
      const nodes = view.nodes().map((n) => {
        const h = heard.get(n.name);
        const live = s.nodes().find((x) => x.name === n.name);
        return {
          name: n.name,
          type: n.type,
          status: n.status,
          generation: live?.generation ?? 0,
          lastHeardMs: toWall(h?.statusMs),
          links: n.links.map((l) => ({ name: l.name, status: l.status, lastHeardMs: toWall(h?.links.get(l.name)) })),
        };
      });
      const config: Record<string, string> = {};
      for (const k of STATUS_CONFIG_KEYS) {
        const v = view.parameter(k);
        if (v !== undefined) config[k] = v;
      }
      config['node'] = c.nodes.filter((n) => n.type === 'normal').map((n) => n.name).join(' ');
      config['media'] = c.media.map(describeMedium).join(', ');
      if (c.respawn.length > 0) config['respawn'] = c.respawn.map((r) => `${r.user} ${r.command}`).join(', ');
      return {
        version: VERSION,
        localNode: c.localNode,
        localStatus: self?.status ?? 'init',
        generation: self?.generation ?? 0,
        nowMs: wall,
        startedMs: ext.startedWallMs,
        nodes,
        resources: resourcesNow(c, s.resourceState(), nodes, ext.peerHolds?.()),
        config,
        configAgreement: ext.configAgreement?.() ?? [],
        ...apiProblemsOf(ext),
        ...monitorsOf(ext.monitors?.(), toWall),
      };
    },
  };
}

/** Who holds each haresources group (two-node v1 clusters: this node, the peer, or nobody). */
function resourcesNow(c: ClusterConfig, state: string | undefined, nodes: readonly { name: string; type: string; status: string }[], peerHolds: string | undefined): ApiExtendedResources | undefined {
  if (state === undefined) return undefined;
  const peer = nodes.find((n) => n.type === 'normal' && n.name !== c.localNode);
  const peerUp = peer !== undefined && (peer.status === 'active' || peer.status === 'up');
  const groups = c.resourceGroups.map((g) => {
    const line = [g.node, ...g.resources.map((r) => r.spec)].join(' ');
    if (state === 'transition') return { line, home: g.node, holder: 'unknown' as const };
    const mine = state === 'all' || state === (g.node === c.localNode ? 'local' : 'foreign');
    if (mine) return { line, home: g.node, holder: c.localNode };
    if (!peerUp || peer === undefined) return { line, home: g.node, holder: null };
    // In our terms (ResourceProtocol mirrors the peer's `resource` messages): `local` = groups whose home we are.
    const theirs = peerHolds === undefined || peerHolds === 'all' || peerHolds === (g.node === c.localNode ? 'local' : 'foreign');
    return { line, home: g.node, holder: theirs ? peer.name : null };
  });
  return { state, groups };
}

function describeMedium(m: ClusterConfig['media'][number]): string {
  switch (m.kind) {
    case 'bcast':
      return `bcast ${m.iface}`;
    case 'ucast':
      return `ucast ${m.iface} ${m.peer}`;
    case 'mcast':
      return `mcast ${m.iface} ${m.group} ${m.port}`;
    case 'serial':
      return `serial ${m.device}`;
    case 'ping':
      return `ping ${m.host}`;
    case 'ping_group':
      return `ping_group ${m.name} ${m.hosts.join(' ')}`;
    case 'ucast6':
      return `ucast6 ${m.iface} ${m.peer}`;
    case 'mcast6':
      return `mcast6 ${m.iface} ${m.group} ${m.port}`;
    case 'ping6':
      return `ping6 ${m.host}`;
  }
}

/** The link name Heartbeat gives a heartbeat medium (its interface, or its serial device); ping media have none. */
function linkName(m: ClusterConfig['media'][number]): string | undefined {
  switch (m.kind) {
    case 'bcast':
    case 'ucast':
    case 'mcast':
    case 'ucast6':
    case 'mcast6':
      return m.iface;
    case 'serial':
      return m.device;
    default:
      return undefined;
  }
}

function apiProblemsOf(ext: ExtendedSources): { apiProblems?: Readonly<Record<string, number>> } {
  const p = ext.apiProblems?.();
  return p === undefined ? {} : { apiProblems: p };
}

/** The monitor's view for the API, its times on the wall clock; nothing without a monitors file. */
function monitorsOf(list: readonly MonitorView[] | undefined, toWall: (m: number | undefined) => number | null): { monitors?: NonNullable<ApiExtendedStatus['monitors']> } {
  if (list === undefined) return {};
  return {
    monitors: list.map((m) => ({
      resource: m.resource, group: m.group, phase: m.phase, lastCheckMs: toWall(m.lastCheckAtMs), lastDurationMs: m.lastDurationMs ?? null,
      lastResult: m.lastResult ?? null, lastDetail: m.lastDetail ?? null, consecutiveFailures: m.consecutiveFailures, restarts: m.restarts,
      checks: m.checks, failures: m.failures, failed: m.failed,
    })),
  };
}
