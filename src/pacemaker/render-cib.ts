// The model as a complete CIB (cib.xml): what `cibadmin --replace --xml-file` loads and crm_verify checks.
import type { Location, Op, PacemakerModel, Primitive } from './model.js';
import { pcmkTime } from './build.js';

/** The newest schema Pacemaker 2.1.5 (Debian bookworm) validates; it knows the Promoted/Unpromoted role names. */
export const CIB_SCHEMA = 'pacemaker-3.9';

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function attrs(a: readonly (readonly [string, string | undefined])[]): string {
  return a.filter((x): x is readonly [string, string] => x[1] !== undefined).map(([k, v]) => ` ${k}="${xmlEscape(v)}"`).join('');
}

function nvset(tag: string, id: string, pairs: readonly (readonly [string, string])[], indent: string): string[] {
  if (pairs.length === 0) return [];
  return [
    `${indent}<${tag} id="${xmlEscape(id)}">`,
    ...pairs.map(([k, v]) => `${indent}  <nvpair id="${xmlEscape(`${id}-${k}`)}" name="${xmlEscape(k)}" value="${xmlEscape(v)}"/>`),
    `${indent}</${tag}>`,
  ];
}

function opXml(p: Primitive, op: Op, indent: string): string {
  const id = `${p.id}-${op.name}-${pcmkTime(op.intervalMs)}${op.role === undefined ? '' : `-${op.role.toLowerCase()}`}`;
  return `${indent}<op${attrs([['id', id], ['name', op.name], ['interval', pcmkTime(op.intervalMs)], ['timeout', pcmkTime(op.timeoutMs)], ['role', op.role]])}/>`;
}

function primitiveXml(p: Primitive, indent: string): string[] {
  return [
    `${indent}<!-- ${xmlEscape(p.origin).replace(/--/g, '- -')} -->`,
    `${indent}<primitive${attrs([['id', p.id], ['class', p.agentClass], ['provider', p.provider], ['type', p.type]])}>`,
    ...nvset('instance_attributes', `${p.id}-instance_attributes`, p.params, `${indent}  `),
    ...nvset('meta_attributes', `${p.id}-meta_attributes`, p.meta, `${indent}  `),
    `${indent}  <operations>`,
    ...p.ops.map((op) => opXml(p, op, `${indent}    `)),
    `${indent}  </operations>`,
    `${indent}</primitive>`,
  ];
}

function locationXml(l: Location, indent: string): string[] {
  if (l.kind === 'node') return [`${indent}<rsc_location${attrs([['id', l.id], ['rsc', l.rsc], ['node', l.node], ['score', l.score]])}/>`];
  return [
    `${indent}<rsc_location${attrs([['id', l.id], ['rsc', l.rsc]])}>`,
    `${indent}  <rule${attrs([['id', `${l.id}-rule`], ['score', l.score], ['boolean-op', 'and']])}>`,
    `${indent}    <expression${attrs([['id', `${l.id}-rule-defined`], ['attribute', l.attribute], ['operation', 'defined']])}/>`,
    `${indent}    <expression${attrs([['id', `${l.id}-rule-positive`], ['attribute', l.attribute], ['operation', 'gt'], ['value', '0'], ['type', 'integer']])}/>`,
    `${indent}  </rule>`,
    `${indent}</rsc_location>`,
  ];
}

export function renderCib(m: PacemakerModel, header: readonly string[]): string {
  const i3 = '      ';
  const lines = [
    // admin_epoch 1: a new cluster's CIB has admin_epoch 0 and a higher epoch (the DC has written its
    // properties), so "cibadmin --replace" would refuse epoch 1 as older; admin_epoch is compared first.
    `<cib${attrs([['validate-with', CIB_SCHEMA], ['epoch', '1'], ['num_updates', '0'], ['admin_epoch', '1']])}>`,
    ...header.map((h) => `  <!-- ${xmlEscape(h).replace(/--/g, '- -')} -->`),
    '  <configuration>',
    '    <crm_config>',
    ...nvset('cluster_property_set', 'cib-bootstrap-options', m.properties, i3),
    '    </crm_config>',
    '    <nodes>',
    ...m.nodes.map((n) => `${i3}<node${attrs([['id', String(n.id)], ['uname', n.name]])}/>`),
    '    </nodes>',
    '    <resources>',
    ...m.fencing.flatMap((p) => primitiveXml(p, i3)),
    ...m.clones.flatMap((c) => [
      `${i3}<clone${attrs([['id', c.id]])}>`,
      ...nvset('meta_attributes', `${c.id}-meta_attributes`, [...(c.promotable ? [['promotable', 'true'] as const] : []), ...c.meta], `${i3}  `),
      ...primitiveXml(c.primitive, `${i3}  `),
      `${i3}</clone>`,
    ]),
    ...m.groups.flatMap((g) => [
      `${i3}<!-- haresources line ${g.line}: ${xmlEscape(g.home)} -->`,
      `${i3}<group${attrs([['id', g.id]])}>`,
      ...nvset('meta_attributes', `${g.id}-meta_attributes`, g.stopped ? [['target-role', 'Stopped']] : [], `${i3}  `),
      ...g.members.flatMap((p) => primitiveXml(p, `${i3}  `)),
      `${i3}</group>`,
    ]),
    '    </resources>',
    '    <constraints>',
    ...m.locations.flatMap((l) => locationXml(l, i3)),
    ...m.colocations.map((c) => `${i3}<rsc_colocation${attrs([['id', c.id], ['rsc', c.rsc], ['with-rsc', c.withRsc], ['with-rsc-role', c.withRole], ['score', c.score]])}/>`),
    ...m.orders.map((o) => `${i3}<rsc_order${attrs([['id', o.id], ['kind', 'Mandatory'], ['first', o.first], ['first-action', o.firstAction], ['then', o.then], ['then-action', o.thenAction]])}/>`),
    '    </constraints>',
    '    <rsc_defaults>',
    ...nvset('meta_attributes', 'rsc-options', m.rscDefaults, i3),
    '    </rsc_defaults>',
    '  </configuration>',
    '  <status/>',
    '</cib>',
  ];
  return `${lines.join('\n')}\n`;
}
