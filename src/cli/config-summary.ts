// What `heartbeat --check-config` prints on success, and the JSON forms of its output.
import type { Diagnostic } from '../core/diagnostic.js';
import { VERSION } from '../core/version.js';
import { formatDefaultsTable as table, formatDefaultsWiki as wiki } from '../config/defaults.js';
import type { ClusterConfig, Medium } from '../config/model.js';

export function formatDefaultsTable(): string {
  return table();
}

export function formatDefaultsWiki(): string {
  return wiki(`heartbeat-ts ${VERSION}`);
}

export function diagnosticsAsJson(ds: readonly Diagnostic[]): unknown {
  return ds.map((d) => ({ file: d.file, line: d.line, column: d.column, severity: d.severity, code: d.code, message: d.message }));
}

function describeMedium(m: Medium): string {
  switch (m.kind) {
    case 'bcast': return `bcast ${m.iface} (udp port ${m.port})`;
    case 'ucast': return `ucast ${m.iface} to ${m.peer} (udp port ${m.port})`;
    case 'mcast': return `mcast ${m.iface} group ${m.group} port ${m.port} ttl ${m.ttl} loop ${m.loop}`;
    case 'serial': return `serial ${m.device} at ${m.baud} baud`;
    case 'ping': return `ping node ${m.host}`;
    case 'ping_group': return `ping group ${m.name}: ${m.hosts.join(' ')}`;
    case 'ucast6': return `ucast6 ${m.iface} to ${m.peer} (udp port ${m.port})`;
    case 'mcast6': return `mcast6 ${m.iface} group ${m.group} port ${m.port} hops ${m.hops} loop ${m.loop}`;
    case 'ping6': return `ping6 node ${m.host}`;
  }
}

export function describeConfig(c: ClusterConfig, nodeName: string): { text: string; json: unknown } {
  const members = c.nodes.filter((n) => n.type === 'normal').map((n) => n.name);
  const active = c.authKeys.keys.get(c.authKeys.activeIndex);
  const groups = c.resourceGroups.map((g) => `${g.node}: ${g.resources.map((r) => r.spec).join(' ')}`);
  const lines = [
    `Configuration OK for node ${nodeName}.`,
    `  nodes:          ${[...new Set(members)].join(', ')}`,
    `  media:          ${c.media.map(describeMedium).join('\n                  ')}`,
    `  timings:        keepalive ${c.keepaliveMs} ms, warntime ${c.warntimeMs} ms, deadtime ${c.deadtimeMs} ms, ` +
      `initdead ${c.initdeadMs} ms, deadping ${c.deadpingMs} ms`,
    `  auto_failback:  ${c.autoFailback}`,
    `  resources:      ${groups.length === 0 ? '(none)' : groups.join('\n                  ')}`,
    `  auth:           ${active?.method ?? '?'} (key index ${c.authKeys.activeIndex})`,
  ];
  if (c.respawn.length > 0) {
    lines.push(`  respawn:        ${c.respawn.map((r) => `${r.user} ${r.program === 'builtin:ipfail' ? `${r.command} (→ heartbeat-ts ipfail)` : r.command}`).join('\n                  ')}`);
  }
  const json = {
    node: nodeName,
    nodes: c.nodes,
    media: c.media,
    timingsMs: { keepalive: c.keepaliveMs, warntime: c.warntimeMs, deadtime: c.deadtimeMs, initdead: c.initdeadMs, deadping: c.deadpingMs },
    udpPort: c.udpPort,
    autoFailback: c.autoFailback,
    resourceGroups: c.resourceGroups.map((g) => ({ node: g.node, resources: g.resources })),
    auth: { method: active?.method, index: c.authKeys.activeIndex },
    respawn: c.respawn,
  };
  return { text: `${lines.join('\n')}\n`, json };
}
