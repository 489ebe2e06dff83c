// /etc/ha.d/haresources: resource groups by preferred node, read as Heartbeat 3.0.6 and its ResourceManager read it.
import type { Diagnostic } from '../core/diagnostic.js';
import { DiagnosticSink, q } from './diag.js';
import { isIpv6WithSuffix } from './ipv6.js';
import type { Resource, ResourceGroup } from './model.js';
import { cspanOf, MAXLINE, readLines, spanOf, WHITESPACE } from './source-lines.js';

export type NodeKind = 'normal' | 'ping' | undefined;

export interface HaresourcesResult {
  readonly groups: ResourceGroup[];
  readonly diagnostics: Diagnostic[];
}

/**
 * Splits "script::arg::arg" into script and arguments.
 *
 * Heartbeat's ResourceManager turns every "::" into an argument boundary, which cuts an IPv6 address such as
 * 2001:db8::10 in two. Our rule: after the script name, a run of "::"-separated parts that together form an
 * IPv6 address (optionally followed by "/prefix" or other "/" fields) is kept whole as one argument; the
 * longest such run wins. Decimal numbers joined by "::" (Delay::1::0) do not count as an address. Anything else
 * splits at "::" exactly as Heartbeat does, so IPv4 and plain arguments are unchanged. `IPv6addr::2001:db8::10/64` → IPv6addr with one argument, `2001:db8::10/64`.
 */
export function parseResourceSpec(spec: string): Resource {
  // ResourceManager: a bare dotted quad means IPaddr::<it>.
  if (/^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+/.test(spec)) return { spec, script: 'IPaddr', args: [spec] };
  const sep = spec.indexOf('::');
  if (sep < 0) return { spec, script: spec, args: [] };
  const script = spec.slice(0, sep);
  const parts = spec.slice(sep + 2).split('::');
  const args: string[] = [];
  for (let p = 0; p < parts.length; ) {
    let taken = 0;
    for (let j = parts.length; j > p + 1; j--) {
      if (isIpv6WithSuffix(parts.slice(p, j).join('::'))) {
        taken = j - p;
        break;
      }
    }
    if (taken > 0) {
      args.push(parts.slice(p, p + taken).join('::'));
      p += taken;
    } else {
      args.push(parts[p] as string);
      p += 1;
    }
  }
  return { spec, script, args };
}

/**
 * Parses haresources. `lookupNode` answers for a lower-cased name whether ha.cf declares it (Heartbeat's
 * lookup_node, which also finds ping nodes).
 */
export function parseHaresources(text: string, file: string, lookupNode: (name: string) => NodeKind): HaresourcesResult {
  const d = new DiagnosticSink(file);
  // C side (config.c: parse_ha_resources): the first word of each non-comment line must be a node; a line whose
  // buffer ends in "\\\n" swallows the next buffer. fgets(buf, MAXLINE - 1): pieces of at most 5118 characters.
  const pieces = readLines(text, MAXLINE - 1);
  const continued = (i: number): boolean => {
    const p = pieces[i];
    if (p === undefined) return false;
    const raw = p.endsLine ? `${p.text}\n` : p.text;
    return raw.length >= 2 && raw[raw.length - 2] === '\\';
  };
  for (let i = 0; i < pieces.length; i++) {
    const piece = pieces[i] as (typeof pieces)[number];
    const s = piece.text;
    const bp = spanOf(s, 0, WHITESPACE);
    if (bp < s.length && s[bp] !== '#') {
      const name = s.slice(bp, cspanOf(s, bp, WHITESPACE));
      const kind = lookupNode(name.toLowerCase());
      const col = piece.offset + bp + 1;
      if (kind === undefined) {
        d.error(piece.line, col, 'HA_RES_UNKNOWN_NODE',
          piece.isTail
            ? `${q(name)} is taken as a node name: Heartbeat reads lines in pieces of ${MAXLINE - 2} characters and this is the rest of a longer line`
            : `resource group owner ${q(name)} is not declared in ha.cf: add "node ${name.toLowerCase()}" there or fix the name`);
      } else if (kind === 'ping') {
        d.warn(piece.line, col, 'HA_RES_PING_NODE_OWNER',
          `${q(name)} is a ping node, not a cluster member: Heartbeat accepts this line but no node will ever run this group`);
      }
    }
    while (continued(i) && i + 1 < pieces.length) i++;
  }
  // Shell side (ResourceManager: ipres): strip comments, join "\\" continuations, split on blanks.
  const groups: ResourceGroup[] = [];
  const physical = text.split('\n');
  let pending = '';
  let pendingLine = 0;
  for (let n = 0; n < physical.length; n++) {
    const raw = (physical[n] as string).replace(/\r$/, '');
    const hash = raw.indexOf('#');
    let content = hash < 0 ? raw : raw.slice(0, hash);
    if (pending === '') pendingLine = n + 1;
    const cont = /\\\s*$/.test(content);
    if (cont) content = content.replace(/\\\s*$/, ' ');
    pending += `${content} `;
    if (cont && n < physical.length - 1) continue;
    if (cont) d.warn(n + 1, 0, 'HA_RES_TRAILING_CONTINUATION', 'the last line ends with "\\", continuing into nothing');
    const words = pending.split(/[ \t\f\v\r]+/).filter((w) => w !== '');
    pending = '';
    const owner = words[0];
    if (owner === undefined) continue;
    const resources = words.slice(1).map(parseResourceSpec);
    for (const r of resources) {
      if (r.script === '' || r.args.some((a) => a === '')) {
        d.warn(pendingLine, 0, 'HA_RES_EMPTY_SPEC', `resource ${q(r.spec)} has an empty script name or argument (a stray "::")`);
      }
    }
    groups.push({ node: owner.toLowerCase(), resources, line: pendingLine });
  }
  return { groups, diagnostics: d.list };
}
