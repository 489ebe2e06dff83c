// Which Pacemaker agent runs each haresources resource, with its "::" arguments as the agent's parameters.
import type { Resource } from '../config/model.js';
import type { AgentClass } from './model.js';

/** What the converter may ask about the host the pair runs on (injected: the core does no I/O). */
export interface ScriptFacts {
  /** <config-dir>/resource.d/NAME exists (Heartbeat looks there first). */
  readonly inResourceD: (name: string) => boolean;
  /** /etc/init.d/NAME exists (Heartbeat's second place). */
  readonly inInitD: (name: string) => boolean;
  /** A systemd unit NAME.service exists (/lib/systemd/system, /etc/systemd/system, /usr/lib/systemd/system). */
  readonly hasSystemdUnit: (name: string) => boolean;
}

export interface AgentChoice {
  readonly agentClass: AgentClass;
  readonly provider?: string;
  readonly type: string;
  readonly params: readonly (readonly [string, string])[];
  /** A readable id stem ("ip_198_51_100_10", "apache"); made unique by the caller. */
  readonly idStem: string;
  /** DRBD: the group needs the promotable clone of this resource, not the primitive itself. */
  readonly drbd?: string;
  /** Things the operator must know: each becomes a NOTES.txt warning. */
  readonly warnings: readonly string[];
}

/** Scripts with an OCF twin in resource-agents; the rest go to lsb: or systemd:. */
const OCF_TWINS = new Set(['IPaddr', 'IPaddr2', 'IPv6addr', 'Filesystem', 'apache', 'httpd', 'MailTo', 'SendArp', 'IPsrcaddr', 'Delay', 'drbddisk']);
/** heartbeat-ts ships these itself (/usr/lib/heartbeat-ts/resource.d): they exist wherever it is installed. */
const SHIPPED = new Set(['IPaddr', 'IPaddr2', 'httpd']);

/** "255.255.255.0" → "24"; a prefix length stays; anything else is returned as it is. */
export function toPrefixLength(mask: string): { readonly value: string; readonly ok: boolean } {
  if (/^\d{1,3}$/.test(mask)) return { value: mask, ok: Number(mask) <= 32 };
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(mask);
  if (m === null) return { value: mask, ok: false };
  const bits = m.slice(1).map(Number).reduce((acc, o) => acc * 256 + o, 0);
  const ones = bits.toString(2).padStart(32, '0');
  if (!/^1*0*$/.test(ones) || m.slice(1).some((o) => Number(o) > 255)) return { value: mask, ok: false };
  return { value: String(ones.indexOf('0') < 0 ? 32 : ones.indexOf('0')), ok: true };
}

/** Letters, digits and "_" only: a piece of an XML id (NCName) that crmsh and pcs also take as it is. */
export function idTail(s: string): string {
  const cleaned = s.replace(/[^A-Za-z0-9]+/g, '_').replace(/^_+|_+$/g, '');
  return cleaned === '' ? 'x' : cleaned;
}

/** idTail, and a leading "r_" where it would start with a digit (ids must not). */
export function idPart(s: string): string {
  const t = idTail(s);
  return /^[0-9]/.test(t) ? `r_${t}` : t;
}

function pairs(names: readonly string[], values: readonly string[]): [string, string][] {
  const out: [string, string][] = [];
  names.forEach((n, i) => {
    const v = values[i];
    if (v !== undefined && v !== '') out.push([n, v]);
  });
  return out;
}

function extraArgs(r: Resource, used: number): string[] {
  return r.args.length > used
    ? [`${r.spec}: the arguments after the first ${used} (${r.args.slice(used).join(', ')}) have no parameter in the agent and are dropped`]
    : [];
}

/** IPaddr / IPaddr2 / a bare address: "ip/netmask/nic/broadcast" → IPaddr2's ip, cidr_netmask, nic, broadcast. */
function ipAddress(r: Resource): AgentChoice {
  const fields = (r.args[0] ?? '').split('/');
  const [ip = '', mask, nic, brd] = fields;
  const warnings = extraArgs(r, 1);
  const params: [string, string][] = [['ip', ip]];
  if (mask !== undefined && mask !== '') {
    const p = toPrefixLength(mask);
    if (!p.ok) warnings.push(`${r.spec}: netmask "${mask}" is not a prefix length or a dotted mask; check cidr_netmask`);
    params.push(['cidr_netmask', p.value]);
  }
  params.push(...pairs(['nic', 'broadcast'], [nic ?? '', brd ?? '']));
  if (fields.length > 4) warnings.push(`${r.spec}: the fields after the broadcast address are dropped`);
  return { agentClass: 'ocf', provider: 'heartbeat', type: 'IPaddr2', params, idStem: `ip_${idTail(ip)}`, warnings };
}

function ocf(type: string, params: [string, string][], idStem: string, warnings: string[]): AgentChoice {
  return { agentClass: 'ocf', provider: 'heartbeat', type, params, idStem, warnings };
}

/** The resource's agent: an OCF twin where resource-agents has one, else the init script as lsb: or systemd:. */
export function chooseAgent(r: Resource, facts: ScriptFacts): AgentChoice {
  const s = r.script;
  const twin = OCF_TWINS.has(s) && (SHIPPED.has(s) || facts.inResourceD(s) || !facts.inInitD(s));
  if (twin) {
    switch (s) {
      case 'IPaddr':
      case 'IPaddr2':
        return ipAddress(r);
      case 'IPv6addr': {
        const [addr = '', prefix, nic] = (r.args[0] ?? '').split('/');
        return ocf('IPv6addr', pairs(['ipv6addr', 'cidr_netmask', 'nic'], [addr, prefix ?? '', nic ?? '']), `ip6_${idTail(addr)}`, extraArgs(r, 1));
      }
      case 'Filesystem':
        return ocf('Filesystem', pairs(['device', 'directory', 'fstype', 'options'], r.args), `fs_${idTail(r.args[1] ?? r.args[0] ?? '')}`, extraArgs(r, 4));
      case 'apache':
      case 'httpd':
        return ocf('apache', pairs(['configfile'], r.args), 'apache', [
          ...extraArgs(r, 1),
          `${r.spec}: ocf:heartbeat:apache checks Apache through its status page (statusurl, default http://localhost:80/server-status): keep mod_status enabled for localhost (Debian's default)`,
        ]);
      case 'MailTo':
        return ocf('MailTo', pairs(['email', 'subject'], r.args), 'mailto', extraArgs(r, 2));
      case 'SendArp': {
        const [ip = '', nic] = (r.args[0] ?? '').split('/');
        return ocf('SendArp', pairs(['ip', 'nic'], [ip, nic ?? '']), `arp_${idTail(ip)}`, extraArgs(r, 1));
      }
      case 'IPsrcaddr':
        return ocf('IPsrcaddr', pairs(['ipaddress'], [(r.args[0] ?? '').split('/')[0] ?? '']), `srcaddr_${idTail(r.args[0] ?? '')}`, extraArgs(r, 1));
      case 'Delay':
        return ocf('Delay', pairs(['startdelay', 'stopdelay'], r.args), 'delay', extraArgs(r, 2));
      case 'drbddisk': {
        const name = r.args[0] ?? 'all';
        return {
          agentClass: 'ocf', provider: 'linbit', type: 'drbd', params: [['drbd_resource', name]], idStem: `drbd_${idTail(name)}`, drbd: name,
          warnings: [
            `${r.spec}: drbddisk becomes the DRBD promotable clone (ocf:linbit:drbd from drbd-utils): the group runs where DRBD resource "${name}" is Promoted, after the promotion. ` +
              'Install drbd-utils on both nodes, and fencing (resource-and-stonith) in the DRBD configuration is strongly advised',
          ],
        };
      }
      default:
        break;
    }
  }
  const warnings: string[] = [];
  if (r.args.length > 0) {
    warnings.push(`${r.spec}: an init script takes no arguments in Pacemaker; "${r.args.join('::')}" is dropped (write an OCF agent or a systemd unit that takes them)`);
  }
  const initD = facts.inInitD(s);
  const unit = facts.hasSystemdUnit(s);
  if (facts.inResourceD(s)) {
    warnings.push(`${s}: a resource.d script with no OCF twin; it is run as lsb:${s}, so copy it to /etc/init.d/${s} on both nodes (check it answers "status" with LSB exit codes) or write an OCF agent`);
    return { agentClass: 'lsb', type: s, params: [], idStem: idPart(s), warnings };
  }
  if (unit && initD) {
    warnings.push(`${s}: both /etc/init.d/${s} and a systemd unit ${s}.service exist; chose systemd:${s} (the unit wins on a systemd host). Use lsb:${s} if the init script is what you ran`);
  }
  if (unit) {
    if (!initD) warnings.push(`${s}: no /etc/init.d/${s}, but a systemd unit ${s}.service exists: chose systemd:${s}`);
    return { agentClass: 'systemd', type: s, params: [], idStem: idPart(s), warnings };
  }
  if (!initD) warnings.push(`${s}: neither resource.d/${s}, /etc/init.d/${s} nor a systemd unit ${s}.service exists on this host; written as lsb:${s}: check the name on the cluster nodes`);
  return { agentClass: 'lsb', type: s, params: [], idStem: idPart(s), warnings };
}
