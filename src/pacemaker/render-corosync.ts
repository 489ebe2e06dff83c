// corosync.conf for the pair: nodes, one knet link per heartbeat network, two_node, token and consensus from deadtime.
//
// Token and consensus (documented in docs/pacemaker.md): Heartbeat declares a node dead after `deadtime` of
// silence. Corosync declares it gone after `token` (no token) plus `consensus` (agreeing on the new membership),
// and consensus must be at least 1.2 × token. So that a failover starts about as late as it did before:
//   token     = max(1000, round(deadtime / 2.2)) ms
//   consensus = ceil(1.2 × token) ms                 → token + consensus ≈ deadtime
// `keepalive` has no counterpart (the token circulates continuously; knet pings each link on its own).
import type { ClusterConfig } from '../config/model.js';
import type { ClusterNode } from './model.js';

export const MIN_TOKEN_MS = 1000;

export function tokenTimes(deadtimeMs: number): { readonly tokenMs: number; readonly consensusMs: number } {
  const tokenMs = Math.max(MIN_TOKEN_MS, Math.round(deadtimeMs / 2.2));
  return { tokenMs, consensusMs: Math.ceil(1.2 * tokenMs) };
}

/** One knet link per interface carrying heartbeats (bcast, ucast, mcast, ucast6, mcast6), in ha.cf order. */
export function heartbeatLinks(config: ClusterConfig): { readonly iface: string; readonly media: string[] }[] {
  const links: { iface: string; media: string[] }[] = [];
  for (const m of config.media) {
    const medium = linkMedium(m);
    if (medium === undefined) continue;
    const { iface, text } = medium;
    const link = links.find((l) => l.iface === iface);
    if (link === undefined) links.push({ iface: iface, media: [text] });
    else if (!link.media.includes(text)) link.media.push(text);
  }
  return links;
}

function linkMedium(m: ClusterConfig['media'][number]): { readonly iface: string; readonly text: string } | undefined {
  switch (m.kind) {
    case 'bcast':
      return { iface: m.iface, text: `bcast ${m.iface}` };
    case 'ucast':
    case 'ucast6':
      return { iface: m.iface, text: `${m.kind} ${m.iface} ${m.peer}` };
    case 'mcast':
    case 'mcast6':
      return { iface: m.iface, text: `${m.kind} ${m.iface} ${m.group}` };
    default:
      return undefined;
  }
}

export function addressPlaceholder(node: string, iface: string): string {
  return `ADDRESS-OF-${node}-ON-${iface}`;
}

export interface CorosyncOutput {
  readonly text: string;
  readonly warnings: readonly string[];
}

/**
 * `addresses`: per node, one address per link (from --addresses). Missing on link 0: the node's name, which
 * corosync resolves when it starts; missing on another link: a placeholder that corosync refuses, and a warning.
 */
export function renderCorosync(
  config: ClusterConfig, nodes: readonly ClusterNode[], addresses: ReadonlyMap<string, readonly string[]>, header: readonly string[],
): CorosyncOutput {
  const warnings: string[] = [];
  const links = heartbeatLinks(config);
  const { tokenMs, consensusMs } = tokenTimes(config.deadtimeMs);
  const out: string[] = [...header.map((h) => `# ${h}`), '', 'totem {', '\tversion: 2', `\tcluster_name: ${config.cluster}`, '\ttransport: knet'];
  out.push('\t# corosync-keygen writes /etc/corosync/authkey; copy it to every node (authkeys has no counterpart here)');
  out.push('\tcrypto_cipher: aes256', '\tcrypto_hash: sha256');
  out.push(`\t# deadtime ${config.deadtimeMs} ms: token = deadtime / 2.2, consensus = 1.2 x token (token + consensus = deadtime)`);
  out.push(`\ttoken: ${tokenMs}`, `\tconsensus: ${consensusMs}`);
  links.forEach((l, i) => {
    out.push(`\t# link ${i}: ${l.media.join(', ')}`, '\tinterface {', `\t\tlinknumber: ${i}`, '\t}');
  });
  out.push('}', '', 'nodelist {');
  for (const n of nodes) {
    out.push('\tnode {', `\t\tname: ${n.name}`, `\t\tnodeid: ${n.id}`);
    links.forEach((l, i) => {
      const given = addresses.get(n.name)?.[i];
      let addr = given;
      if (addr === undefined && i === 0) addr = n.name;
      if (addr === undefined) {
        addr = addressPlaceholder(n.name, l.iface);
        warnings.push(`corosync.conf: no address for ${n.name} on link ${i} (${l.iface}); replace ${addr} (or pass --addresses)`);
      }
      out.push(`\t\tring${i}_addr: ${addr}`);
    });
    out.push('\t}');
  }
  if (links.length > 0 && nodes.some((n) => addresses.get(n.name)?.[0] === undefined)) {
    warnings.push(`corosync.conf: link 0 names the nodes (${nodes.filter((n) => addresses.get(n.name)?.[0] === undefined).map((n) => n.name).join(', ')}) instead of addresses; corosync resolves them when it starts, so each must resolve to its address on ${links[0]?.iface ?? 'the link'} (/etc/hosts), or pass --addresses`);
  }
  out.push('}', '', 'quorum {', '\tprovider: corosync_votequorum');
  if (nodes.length === 2) out.push('\t# a pair: the survivor keeps quorum when the other node dies; both must be up at the first start (wait_for_all)', '\ttwo_node: 1');
  out.push('}', '', 'logging {', '\tto_logfile: yes', '\tlogfile: /var/log/corosync/corosync.log', '\tto_syslog: yes', '\ttimestamp: on', '}');
  return { text: `${out.join('\n')}\n`, warnings };
}
