// The model as pcs commands (pcs.sh, pcs 0.11): built in a file with `pcs -f`, pushed to the cluster once.
import { pcmkTime } from './build.js';
import type { Location, PacemakerModel, Primitive } from './model.js';

/** A POSIX shell word: bare when safe, else single-quoted. */
export function shellWord(s: string): string {
  return /^[A-Za-z0-9_.:/@%+=,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function kv(pairs: readonly (readonly [string, string])[]): string[] {
  return pairs.map(([k, v]) => shellWord(`${k}=${v}`));
}

function agent(p: Primitive): string {
  return p.agentClass === 'ocf' ? `ocf:${p.provider ?? 'heartbeat'}:${p.type}` : `${p.agentClass}:${p.type}`;
}

function ops(p: Primitive): string[] {
  return p.ops.flatMap((op) => ['op', op.name, `interval=${pcmkTime(op.intervalMs)}`, `timeout=${pcmkTime(op.timeoutMs)}`, ...(op.role === undefined ? [] : [`role=${op.role}`])]);
}

function create(p: Primitive, tail: readonly string[]): string {
  // --no-default-ops: the operations are the model's (as in cib.xml and crm.txt), not the agent's defaults.
  const words = ['pcs -f "$CIB" resource create', '--no-default-ops', p.id, agent(p), ...kv(p.params), ...ops(p), ...(p.meta.length > 0 ? ['meta', ...kv(p.meta)] : []), ...tail];
  return `# ${p.origin}\n${words.join(' ')}`;
}

function location(l: Location): string {
  // "--": a score of -INFINITY is an argument, not an option.
  if (l.kind === 'node') return `pcs -f "$CIB" constraint location add ${l.score.startsWith('-') ? '-- ' : ''}${l.id} ${l.rsc} ${l.node} ${l.score}`;
  return `pcs -f "$CIB" constraint location ${l.rsc} rule id=${l.id}-rule constraint-id=${l.id} score=${l.score} defined ${l.attribute} and ${l.attribute} gt integer 0`;
}

export function renderPcs(m: PacemakerModel, header: readonly string[]): string {
  const out: string[] = ['#!/bin/sh', ...header.map((h) => `# ${h}`), '#', '# Run on one node of the running cluster (pcs 0.11). It edits a copy of the CIB and pushes it once.', 'set -eu', 'CIB=$(mktemp)', 'trap \'rm -f "$CIB"\' EXIT', 'pcs cluster cib "$CIB"', ''];
  out.push(...m.properties.map(([k, v]) => `pcs -f "$CIB" property set ${shellWord(`${k}=${v}`)}`));
  out.push(`pcs -f "$CIB" resource defaults set create id=rsc-options meta ${kv(m.rscDefaults).join(' ')}`);
  for (const p of m.fencing) {
    const words = ['pcs -f "$CIB" stonith create', p.id, p.type, ...kv(p.params), ...ops(p)];
    out.push(`# ${p.origin} (a cluster-glue plugin: pcs may want --force to accept it)`, words.join(' '));
  }
  for (const c of m.clones) {
    const meta = kv(c.meta);
    out.push(create(c.primitive, c.promotable ? ['promotable', c.id, ...meta] : ['clone', c.id, ...meta]));
  }
  for (const g of m.groups) {
    out.push(`# haresources line ${g.line}: ${g.home}`);
    for (const p of g.members) out.push(create(p, ['--group', g.id]));
    if (g.stopped) out.push(`pcs -f "$CIB" resource meta ${g.id} target-role=Stopped`);
  }
  out.push(...m.locations.map(location));
  out.push(...m.colocations.map((c) => `pcs -f "$CIB" constraint colocation add ${c.rsc} with${c.withRole === undefined ? '' : ` ${c.withRole}`} ${c.withRsc} ${c.score} id=${c.id}`));
  out.push(...m.orders.map((o) => `pcs -f "$CIB" constraint order ${o.firstAction} ${o.first} then ${o.thenAction} ${o.then} id=${o.id}`));
  out.push('pcs cluster cib-push "$CIB" --config');
  return `${out.join('\n')}\n`;
}
