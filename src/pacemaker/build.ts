// From a checked v1 configuration to the Pacemaker model: groups, preferences, ping, fencing (pure; see docs/pacemaker.md).
import type { ClusterConfig, StonithDevice } from '../config/model.js';
import { chooseAgent, idTail, type ScriptFacts } from './agents.js';
import type { MonitorSpec } from './monitors.js';
import { MONITOR_DEFAULTS } from './monitors.js';
import {
  HOME_SCORE, PING_SCORE, STICKINESS_FAILBACK, STICKINESS_STAY,
  type Clone, type Colocation, type Group, type Location, type Op, type Order, type PacemakerModel, type Primitive,
} from './model.js';

export interface BuildInput {
  /** The configuration as checked for the local node. */
  readonly config: ClusterConfig;
  /** Each cluster node's STONITH device (ha.cf as read by that node: `stonith_host` lines name their node). */
  readonly stonithByNode: ReadonlyMap<string, StonithDevice>;
  readonly monitors: readonly MonitorSpec[];
  readonly facts: ScriptFacts;
}

export interface Built {
  readonly model: PacemakerModel;
  /** Warnings about single resources and lines, in input order (NOTES.txt and hbctl's stderr). */
  readonly warnings: readonly string[];
}

/** "10000" ms → "10s"; "1500" → "1500ms": Pacemaker's interval and timeout syntax. */
export function pcmkTime(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function isIpfail(program: string): boolean {
  return program === 'builtin:ipfail' || program.endsWith('/ipfail');
}

/** The ping hosts of ha.cf (`ping`, `ping6` and `ping_group`), in order, once each (ocf:pacemaker:ping takes IPv6 hosts too). */
export function pingHosts(config: ClusterConfig): string[] {
  const out: string[] = [];
  for (const m of config.media) {
    const hosts = m.kind === 'ping' || m.kind === 'ping6' ? [m.host] : m.kind === 'ping_group' ? m.hosts : [];
    for (const h of hosts) if (!out.includes(h)) out.push(h);
  }
  return out;
}

export function hasIpfail(config: ClusterConfig): boolean {
  return config.respawn.some((r) => isIpfail(r.program));
}

/** Plugins whose only parameter is the list of hosts they can reset (cluster-glue: `stonith -t TYPE -n`). */
const HOSTLIST_PLUGINS = new Set(['null', 'ssh', 'external/ssh', 'meatware', 'suicide']);

export function buildModel(input: BuildInput): Built {
  const { config, facts } = input;
  const warnings: string[] = [];
  const used = new Set<string>();
  const unique = (stem: string): string => {
    let id = stem;
    for (let n = 2; used.has(id); n++) id = `${stem}_${n}`;
    used.add(id);
    return id;
  };
  // A name listed twice is one node (Heartbeat keeps both entries; Pacemaker refuses two nodes of one name).
  const nodes = [...new Set(config.nodes.filter((n) => n.type === 'normal').map((n) => n.name))].map((name, i) => ({ id: i + 1, name }));
  const nodeNames = nodes.map((n) => n.name);
  const monitorsBy = new Map(input.monitors.map((m) => [m.resource, m]));
  const clones: Clone[] = [];
  const groups: Group[] = [];
  const locations: Location[] = [];
  const colocations: Colocation[] = [];
  const orders: Order[] = [];

  // Fencing first: its ids should read fence_<node>, whatever the resources are called.
  const fencing: Primitive[] = [];
  for (const holder of nodeNames) {
    const dev = input.stonithByNode.get(holder);
    if (dev === undefined) continue;
    const targets = nodeNames.filter((n) => n !== holder);
    const id = unique(`fence_${idTail(holder)}`);
    const params: [string, string][] = [];
    const words = (dev.params ?? '').split(/\s+/).filter((w) => w !== '');
    if (HOSTLIST_PLUGINS.has(dev.type) && dev.directive === 'stonith_host') params.push(['hostlist', words.join(' ')]);
    else {
      warnings.push(
        `${id}: ha.cf line ${dev.line} "${dev.directive} … ${dev.type}" ${dev.configFile !== undefined ? `reads its settings from ${dev.configFile}` : `has the parameters "${dev.params ?? ''}"`}: ` +
          `Pacemaker passes named parameters; see \`stonith -t ${dev.type} -n\` for the names and add them to ${id}`,
      );
    }
    params.push(['pcmk_host_list', targets.join(' ')]);
    fencing.push({
      id, agentClass: 'stonith', type: dev.type, params, meta: [],
      ops: [{ name: 'monitor', intervalMs: 3_600_000, timeoutMs: 60_000 }], origin: `ha.cf line ${dev.line} on ${holder}`,
    });
    // A device never runs on the node it resets (Heartbeat: the device belongs to `holder`).
    for (const t of targets) locations.push({ kind: 'node', id: unique(`loc_${id}_not_${idTail(t)}`), rsc: id, node: t, score: '-INFINITY' });
  }

  // ipfail: the ping clone, and each group away from a node that reaches no ping node.
  const hosts = pingHosts(config);
  const ipfail = hasIpfail(config) && hosts.length > 0;
  const pingId = ipfail ? unique('ping') : '';
  if (ipfail) {
    const ping: Primitive = {
      id: pingId, agentClass: 'ocf', provider: 'pacemaker', type: 'ping',
      params: [['host_list', hosts.join(' ')], ['multiplier', '1000'], ['dampen', pcmkTime(Math.max(config.deadpingMs, 1000))]],
      meta: [], ops: [{ name: 'monitor', intervalMs: 10_000, timeoutMs: 60_000 }], origin: 'ha.cf ping/ping_group and ipfail',
    };
    clones.push({ id: unique(`cl_${pingId}`), primitive: ping, promotable: false, meta: [] });
  }

  for (const g of config.resourceGroups) {
    const ownerKind = config.nodes.find((n) => n.name === g.node)?.type;
    if (g.resources.length === 0) {
      warnings.push(`haresources line ${g.line}: "${g.node}" has no resources; Pacemaker has no empty groups, so nothing is written for it`);
      continue;
    }
    const groupId = unique(`grp_${idTail(g.node)}`);
    const members: Primitive[] = [];
    const drbd: string[] = [];
    for (const r of g.resources) {
      const agent = chooseAgent(r, facts);
      warnings.push(...agent.warnings.map((w) => `haresources line ${g.line}: ${w}`));
      const mon = monitorsBy.get(r.spec);
      const op: Op = { name: 'monitor', intervalMs: mon?.intervalMs ?? MONITOR_DEFAULTS.intervalMs, timeoutMs: mon?.timeoutMs ?? MONITOR_DEFAULTS.timeoutMs };
      const meta: [string, string][] = [];
      if (mon !== undefined) {
        meta.push(['migration-threshold', String(mon.restarts + 1)]);
        if (mon.forgetMs !== undefined) meta.push(['failure-timeout', pcmkTime(mon.forgetMs)]);
      }
      const base = { agentClass: agent.agentClass, type: agent.type, params: agent.params, meta, origin: r.spec };
      if (agent.drbd !== undefined) {
        const prim: Primitive = {
          ...base, id: unique(agent.idStem), provider: agent.provider ?? 'linbit',
          ops: [{ ...op, role: 'Promoted' }, { ...op, intervalMs: op.intervalMs + 1000, role: 'Unpromoted' }],
        };
        const cloneId = unique(`ms_${prim.id}`);
        clones.push({ id: cloneId, primitive: prim, promotable: true, meta: [['promoted-max', '1'], ['promoted-node-max', '1'], ['clone-max', String(Math.min(2, nodes.length))], ['notify', 'true']] });
        drbd.push(cloneId);
        continue;
      }
      members.push({ ...base, id: unique(agent.idStem), ...(agent.provider !== undefined ? { provider: agent.provider } : {}), ops: [op] });
    }
    if (members.length === 0) {
      warnings.push(`haresources line ${g.line}: only DRBD in this group; the promotable clone is written without a group`);
    } else {
      const stopped = ownerKind !== 'normal';
      if (stopped) {
        warnings.push(`haresources line ${g.line}: "${g.node}" is a ping node, so Heartbeat never runs this group; it is written stopped (target-role=Stopped)`);
      }
      groups.push({ id: groupId, home: g.node, members, stopped, line: g.line });
      if (!stopped) locations.push({ kind: 'node', id: unique(`loc_${groupId}_home`), rsc: groupId, node: g.node, score: String(HOME_SCORE) });
      if (ipfail) locations.push({ kind: 'attribute-positive', id: unique(`loc_${groupId}_ping`), rsc: groupId, attribute: 'pingd', score: String(PING_SCORE) });
    }
    for (const cloneId of drbd) {
      if (members.length === 0) {
        locations.push({ kind: 'node', id: unique(`loc_${cloneId}_home`), rsc: cloneId, node: g.node, score: String(HOME_SCORE) });
        continue;
      }
      colocations.push({ id: unique(`col_${groupId}_on_${cloneId}`), rsc: groupId, withRsc: cloneId, withRole: 'Promoted', score: 'INFINITY' });
      orders.push({ id: unique(`ord_${cloneId}_before_${groupId}`), first: cloneId, firstAction: 'promote', then: groupId, thenAction: 'start' });
    }
  }

  const stickiness = config.autoFailback === 'off' ? STICKINESS_STAY : STICKINESS_FAILBACK;
  const model: PacemakerModel = {
    clusterName: config.cluster,
    nodes,
    properties: [
      ['stonith-enabled', fencing.length > 0 ? 'true' : 'false'],
      ['no-quorum-policy', 'stop'],
    ],
    rscDefaults: [['resource-stickiness', String(stickiness)]],
    fencing, clones, groups, locations, colocations, orders,
  };
  return { model, warnings };
}
