// The model as a crmsh script (crm.txt): `crm configure load update crm.txt`.
import { pcmkTime } from './build.js';
import type { Location, PacemakerModel, Primitive } from './model.js';

/** crmsh lexes its input like a shell: quote values that are empty or hold blanks, quotes or specials. */
export function crmValue(v: string): string {
  return /^[A-Za-z0-9_.:/@%+=,-]+$/.test(v) ? v : `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function kv(pairs: readonly (readonly [string, string])[]): string {
  return pairs.map(([k, v]) => `${k}=${crmValue(v)}`).join(' ');
}

function agent(p: Primitive): string {
  return p.agentClass === 'ocf' ? `ocf:${p.provider ?? 'heartbeat'}:${p.type}` : `${p.agentClass}:${p.type}`;
}

function primitive(p: Primitive): string {
  const parts = [`primitive ${p.id} ${agent(p)}`];
  if (p.params.length > 0) parts.push(`params ${kv(p.params)}`);
  if (p.meta.length > 0) parts.push(`meta ${kv(p.meta)}`);
  for (const op of p.ops) {
    parts.push(`op ${op.name} interval=${pcmkTime(op.intervalMs)} timeout=${pcmkTime(op.timeoutMs)}${op.role === undefined ? '' : ` role=${op.role}`}`);
  }
  return `# ${p.origin}\n${parts.join(' \\\n\t')}`;
}

function location(l: Location): string {
  if (l.kind === 'node') return `location ${l.id} ${l.rsc} ${l.score}: ${l.node}`;
  return `location ${l.id} ${l.rsc} rule ${l.score}: defined ${l.attribute} and ${l.attribute} integer:gt 0`;
}

export function renderCrmsh(m: PacemakerModel, header: readonly string[]): string {
  const out: string[] = [...header.map((h) => `# ${h}`), ''];
  out.push(...m.nodes.map((n) => `node ${n.id}: ${n.name}`));
  out.push(...m.fencing.map(primitive));
  for (const c of m.clones) {
    out.push(primitive(c.primitive));
    const meta = [...(c.promotable ? [['promotable', 'true'] as const] : []), ...c.meta];
    out.push(`clone ${c.id} ${c.primitive.id}${meta.length > 0 ? ` \\\n\tmeta ${kv(meta)}` : ''}`);
  }
  for (const g of m.groups) {
    out.push(`# haresources line ${g.line}: ${g.home}`, ...g.members.map(primitive));
    out.push(`group ${g.id} ${g.members.map((p) => p.id).join(' ')}${g.stopped ? ' \\\n\tmeta target-role=Stopped' : ''}`);
  }
  out.push(...m.locations.map(location));
  out.push(...m.colocations.map((c) => `colocation ${c.id} ${c.score === 'INFINITY' ? 'inf' : c.score}: ${c.rsc} ${c.withRsc}${c.withRole === undefined ? '' : `:${c.withRole}`}`));
  out.push(...m.orders.map((o) => `order ${o.id} Mandatory: ${o.first}:${o.firstAction} ${o.then}:${o.thenAction}`));
  out.push(`property cib-bootstrap-options: \\\n\t${m.properties.map(([k, v]) => `${k}=${crmValue(v)}`).join(' \\\n\t')}`);
  out.push(`rsc_defaults rsc-options: \\\n\t${kv(m.rscDefaults)}`);
  return `${out.join('\n')}\n`;
}
