// ha.cf media and whole-line directives: bcast/serial/ping per value; ucast, mcast, ping_group, respawn, apiauth… per line.
import { q } from './diag.js';
import type { Ctx } from './ha-cf-state.js';
import { BUILTIN_IPFAIL, CLASSIC_IPFAIL_PATHS } from './directives.js';
import { ipv6Bytes, isLinkLocalIpv6, mcast6GroupProblem, ucast6PeerProblem } from './ipv6.js';
import type { Medium } from './model.js';
import { atoi, tokens, WHITESPACE } from './source-lines.js';

const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

function isIpv4(s: string): boolean {
  const m = IPV4.exec(s);
  return m !== null && m.slice(1).every((x) => Number(x) <= 255);
}

function addMedium(m: Medium, c: Ctx): void {
  c.s.media.push(m);
  if (c.s.mediaSeenAt === undefined) c.s.mediaSeenAt = c.at;
}

/** A host for ping/ucast: an IPv4 literal is checked here; a name is warned (Heartbeat resolves it at start). */
function checkHost(host: string, c: Ctx): void {
  if (isIpv4(host)) return;
  c.d.warn(c.at.line, c.at.column, 'HA_CFG_BAD_HOST',
    `${c.directive} ${q(host)}: not an IPv4 address; Heartbeat resolves the name when it starts, so make sure it resolves ` +
      'without DNS (in /etc/hosts) or write the address');
}

function addPingNode(name: string, c: Ctx): void {
  c.s.nodes.push({ name: name.toLowerCase(), type: 'ping' });
}

/** A warning (never an error: Heartbeat starts) when a medium's interface cannot carry traffic right now. */
function warnLinkDown(kind: string, iface: string, c: Ctx): void {
  const down = c.host.linkDown(iface);
  if (down !== undefined) {
    c.d.warn(c.at.line, c.at.column, 'HA_CFG_LINK_DOWN',
      `${kind} ${q(iface)}: ${down} right now; Heartbeat starts anyway and so does heartbeat-ts: heartbeats flow on this link once it comes up`);
  }
}

export const MEDIA_TOKEN_HANDLERS: Record<string, (value: string, c: Ctx) => void> = {
  bcast: (iface, c) => {
    // bcast.c: new_ip_interface fails for an unknown interface ("Get broadcast for interface … failed").
    if (!c.host.interfaceExists(iface)) {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_NO_INTERFACE', `bcast ${q(iface)}: no such network interface on this host`);
      return;
    }
    warnLinkDown('bcast', iface, c);
    addMedium({ kind: 'bcast', iface, port: c.s.udpPort ?? 694 }, c);
  },
  serial: (device, c) => {
    // serial.c: ttygetbaud/serial_new: full path, exists, character device.
    if (!device.startsWith('/')) {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_SERIAL', `serial ${q(device)}: the serial port must be an absolute path such as /dev/ttyS0`);
      return;
    }
    const kind = c.host.pathKind(device);
    if (kind === 'missing') {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_SERIAL', `serial ${q(device)}: no such serial port`);
      return;
    }
    if (kind !== 'char-device') {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_SERIAL', `serial ${q(device)}: not a character device`);
      return;
    }
    addMedium({ kind: 'serial', device, baud: c.s.baud !== undefined && c.s.baud > 0 ? c.s.baud : 19200 }, c);
  },
  ping: (host, c) => {
    checkHost(host, c);
    addMedium({ kind: 'ping', host }, c);
    addPingNode(host, c);
  },
  ping6: (host, c) => {
    // ping6.c: ping_new takes an IPv6 literal only (inet_pton; no names, no "%scope"); anything else is refused.
    if (ipv6Bytes(host) === undefined) {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_HOST', `ping6 ${q(host)}: not an IPv6 address (Heartbeat's ping6 takes an address, not a name)`);
      return;
    }
    addMedium({ kind: 'ping6', host }, c);
    addPingNode(host, c);
  },
};

function words(rest: string): string[] {
  return tokens(rest, WHITESPACE).map((t) => t.text);
}

function ucast(rest: string, c: Ctx): void {
  const [iface, peer] = words(rest);
  if (iface === undefined) return; // ucast.c: an empty line declares nothing, without error
  if (peer === undefined) {
    c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_MEDIUM', `ucast ${iface}: missing the peer's address ("ucast ${iface} 198.51.100.12")`);
    return;
  }
  checkHost(peer, c);
  // ucast.c resolves the interface only when it opens (it fails then, and Heartbeat stops).
  if (c.host.interfaceExists(iface)) warnLinkDown('ucast', iface, c);
  addMedium({ kind: 'ucast', iface, peer, port: c.s.udpPort ?? 694 }, c);
}

function mcast(rest: string, c: Ctx): void {
  const [iface, group, port, ttl, loop] = words(rest);
  if (iface === undefined) return; // mcast.c: nothing declared
  const fail = (why: string): void => c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_MEDIUM', `mcast ${iface}: ${why}`);
  if (!c.host.interfaceHasIpv4(iface)) {
    c.d.error(c.at.line, c.at.column, 'HA_CFG_NO_INTERFACE', `mcast ${q(iface)}: no such interface with an IPv4 address on this host`);
    return;
  }
  const usage = '(mcast IF GROUP PORT TTL LOOP, e.g. "mcast eth0 239.0.0.43 694 1 0")';
  if (group === undefined) return fail(`missing the multicast group ${usage}`);
  const first = IPV4.exec(group);
  if (!isIpv4(group) || first === null || Number(first[1]) < 224 || Number(first[1]) > 239) {
    return fail(`bad multicast group ${q(group)}: it must be in 224.0.0.0/4`);
  }
  if (port === undefined) return fail(`missing port ${usage}`);
  const p = atoi(port) & 0xffff;
  if (p <= 0) return fail(`bad port ${q(port)}`);
  if (ttl === undefined) return fail(`missing ttl ${usage}`);
  const t = atoi(ttl) & 0xff;
  if (t > 4) return fail(`bad ttl ${q(ttl)}: 0 to 4`);
  if (loop === undefined) return fail(`missing loop ${usage}`);
  const l = atoi(loop) & 0xff;
  if (l > 1) return fail(`bad loop ${q(loop)}: 0 or 1`);
  warnLinkDown('mcast', iface, c);
  addMedium({ kind: 'mcast', iface, group, port: p, ttl: t, loop: l }, c);
}

/** ucast6.c's ucast6_parse: `ucast6 IF ADDR`; IF must exist (if_nametoindex), ADDR a unicast IPv6 literal. */
function ucast6(rest: string, c: Ctx): void {
  const [iface, peer] = words(rest);
  const fail = (code: 'HA_CFG_BAD_MEDIUM' | 'HA_CFG_NO_INTERFACE', why: string): void => c.d.error(c.at.line, c.at.column, code, `ucast6 ${why}`);
  if (iface === undefined) return fail('HA_CFG_BAD_MEDIUM', 'without a device ("ucast6 eth0 2001:db8::12")');
  if (!c.host.interfaceExists(iface)) return fail('HA_CFG_NO_INTERFACE', `${q(iface)}: no such network interface on this host`);
  if (peer === undefined) return fail('HA_CFG_BAD_MEDIUM', `${iface}: missing the peer's IPv6 address ("ucast6 ${iface} 2001:db8::12")`);
  const problem = ucast6PeerProblem(peer);
  if (problem !== undefined) return fail('HA_CFG_BAD_MEDIUM', `${iface}: bad peer address ${q(peer)}: ${problem}`);
  const scope = peer.includes('%') ? peer.slice(peer.indexOf('%') + 1) : undefined;
  const bytes = ipv6Bytes(peer.split('%')[0] ?? '');
  if (scope !== undefined && bytes !== undefined && isLinkLocalIpv6(bytes) && scope !== iface && !/^\d+$/.test(scope)) {
    return fail('HA_CFG_BAD_MEDIUM', `${iface}: peer ${q(peer)} names scope ${q(scope)}, not the interface ${iface}`);
  }
  warnLinkDown('ucast6', iface, c);
  addMedium({ kind: 'ucast6', iface, peer, port: c.s.udpPort ?? 694 }, c);
}

/** mcast6.c's mcast6_parse: `mcast6 IF GROUP PORT HOPS LOOP`, checked in that order. */
function mcast6(rest: string, c: Ctx): void {
  const [iface, group, port, hops, loop] = words(rest);
  const fail = (code: 'HA_CFG_BAD_MEDIUM' | 'HA_CFG_NO_INTERFACE', why: string): void => c.d.error(c.at.line, c.at.column, code, `mcast6 ${why}`);
  const usage = '(mcast6 IF GROUP PORT HOPS LOOP, e.g. "mcast6 eth0 ff12::1:2:3:4 694 1 0")';
  if (iface === undefined) return fail('HA_CFG_BAD_MEDIUM', `without a device ${usage}`);
  if (!c.host.interfaceExists(iface)) return fail('HA_CFG_NO_INTERFACE', `${q(iface)}: no such network interface on this host`);
  if (group === undefined) return fail('HA_CFG_BAD_MEDIUM', `${iface}: missing the multicast group ${usage}`);
  const problem = mcast6GroupProblem(group);
  if (problem !== undefined) return fail('HA_CFG_BAD_MEDIUM', `${iface}: bad group ${q(group)}: ${problem}`);
  if (port === undefined) return fail('HA_CFG_BAD_MEDIUM', `${iface}: missing port ${usage}`);
  // getaddrinfo(group, port): a decimal port 0..65535 (a service name from /etc/services works in Heartbeat too;
  // we take numbers only and say so).
  if (!/^\d+$/.test(port) || Number(port) > 65535) {
    return fail('HA_CFG_BAD_MEDIUM', `${iface}: bad port ${q(port)}: write a number from 1 to 65535`);
  }
  if (hops === undefined) return fail('HA_CFG_BAD_MEDIUM', `${iface}: missing hops ${usage}`);
  const h = atoi(hops) & 0xff;
  if (h > 4) return fail('HA_CFG_BAD_MEDIUM', `${iface}: bad hops ${q(hops)}: 0 to 4`);
  if (loop === undefined) return fail('HA_CFG_BAD_MEDIUM', `${iface}: missing loop ${usage}`);
  const l = atoi(loop) & 0xff;
  if (l > 1) return fail('HA_CFG_BAD_MEDIUM', `${iface}: bad loop ${q(loop)}: 0 or 1`);
  warnLinkDown('mcast6', iface, c);
  addMedium({ kind: 'mcast6', iface, group, port: Number(port), hops: h, loop: l }, c);
}

function pingGroup(rest: string, c: Ctx): void {
  const [name, ...hosts] = words(rest);
  if (name === undefined || hosts.length === 0) {
    c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_MEDIUM', 'ping_group needs a name and at least one host ("ping_group routers 198.51.100.1 198.51.100.2")');
    return;
  }
  for (const h of hosts) checkHost(h, c);
  addMedium({ kind: 'ping_group', name, hosts }, c);
  addPingNode(name, c);
}

function respawn(failfast: boolean): (rest: string, c: Ctx) => void {
  return (rest, c) => {
    const [user, program, ...args] = words(rest);
    const kw = failfast ? 'failfast' : 'respawn';
    if (user === undefined || !c.host.userExists(user)) {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_USER', `${kw}: user ${q(user ?? '')} does not exist ("${kw} USER /path/to/program [args]")`);
      return;
    }
    if (program === undefined || !program.startsWith('/')) {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_PROGRAM', `${kw}: program ${q(program ?? '')} is not a full path name`);
      return;
    }
    let resolved = program;
    if (!c.host.isExecutable(program)) {
      if (!CLASSIC_IPFAIL_PATHS.includes(program)) {
        c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_PROGRAM', `${kw}: program ${q(program)} does not exist or is not executable`);
        return;
      }
      resolved = BUILTIN_IPFAIL;
      c.d.info(c.at.line, c.at.column, 'HA_CFG_IPFAIL_BUILTIN', `${kw}: ${program} does not exist here; heartbeat-ts runs its own ipfail in its place`);
    } else if (c.host.pathKind(program) === 'directory') {
      c.d.warn(c.at.line, c.at.column, 'HA_CFG_BAD_PROGRAM', `${kw}: ${q(program)} is a directory; Heartbeat accepts it (it only checks access) but it can never run`);
    }
    c.s.respawn.push({ user, command: [program, ...args].join(' '), program: resolved, args, failfast });
  };
}

function apiauth(rest: string, c: Ctx): void {
  const [client, ...specs] = words(rest);
  const usage = '("apiauth CLIENT [uid=user,…] [gid=group,…]", at least one of them)';
  if (client === undefined) {
    c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_APIAUTH', `apiauth needs a client name ${usage}`);
    return;
  }
  let uids: string[] | undefined;
  let gids: string[] | undefined;
  for (const spec of specs) {
    const isUid = spec.startsWith('uid=');
    if (!isUid && !spec.startsWith('gid=')) {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_APIAUTH', `apiauth ${client}: ${q(spec)} is neither uid=… nor gid=… ${usage}`);
      return;
    }
    if ((isUid ? uids : gids) !== undefined) {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_APIAUTH', `apiauth ${client}: ${isUid ? 'uid' : 'gid'} list given twice`);
      return;
    }
    const list = spec.slice(4).split(',').filter((x) => x !== '');
    if (isUid) uids = list;
    else gids = list;
  }
  if (uids === undefined && gids === undefined) {
    c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_APIAUTH', `apiauth ${client}: no uid= or gid= list ${usage}`);
    return;
  }
  let good = true;
  for (const u of uids ?? []) {
    if (!/^\d+$/.test(u) && !c.host.userExists(u)) {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_USER', `apiauth ${client}: user ${q(u)} does not exist`);
      good = false;
    }
  }
  for (const g of gids ?? []) {
    if (!/^\d+$/.test(g) && !c.host.groupExists(g)) {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_USER', `apiauth ${client}: group ${q(g)} does not exist`);
      good = false;
    }
  }
  if (!good) return;
  if (c.s.apiAuth.has(client)) {
    c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_APIAUTH', `apiauth ${client}: duplicate apiauth directive for this client`);
    return;
  }
  c.s.apiAuth.set(client, { client, uids: uids ?? [], gids: gids ?? [] });
}

/** What follows the first `n` blank-separated words of `text`, as written (inner blanks kept), trimmed. */
function afterWords(text: string, n: number): string {
  let i = 0;
  for (let k = 0; k < n; k++) {
    while (i < text.length && /[ \t]/.test(text[i] as string)) i++;
    while (i < text.length && !/[ \t]/.test(text[i] as string)) i++;
  }
  return text.slice(i).trim();
}

function stonith(hostField: boolean): (rest: string, c: Ctx) => void {
  return (rest0, c) => {
    const w = words(rest0);
    if (hostField) {
      const host = w[0];
      if (host === undefined) {
        c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_VALUE', 'stonith_host: no host name given ("stonith_host HOST|* TYPE PARAMS…")');
        return;
      }
      // heartbeat 3.0.6: lines for other hosts are not for us and are skipped unchecked.
      if (host !== '*' && host.toLowerCase() !== c.localNode) return;
      w.shift();
    }
    const type = w.shift();
    if (type === undefined) {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_VALUE', `${c.directive}: no STONITH type given`);
      return;
    }
    // heartbeat 3.0.6: `stonith` reads the rest of the line as the device's config file, `stonith_host` hands
    // it to the plugin as its parameter string; the last line that applies wins ("will have to change to a list").
    const rest = afterWords(rest0, hostField ? 2 : 1);
    if (!hostField && rest === '') {
      c.d.error(c.at.line, c.at.column, 'HA_CFG_BAD_VALUE', `stonith ${type}: no configuration file given ("stonith TYPE CONFIGFILE")`);
      return;
    }
    if (c.s.stonith !== undefined) {
      c.d.warn(c.at.line, c.at.column, 'HA_CFG_DUPLICATE', `${c.directive} ${type}: replaces the STONITH device of line ${c.s.stonith.line} (Heartbeat uses only the last one)`);
    }
    c.s.stonith = hostField
      ? { directive: 'stonith_host', type, configFile: undefined, params: rest, line: c.at.line }
      : { directive: 'stonith', type, configFile: rest, params: undefined, line: c.at.line };
  };
}

export const WHOLE_LINE_HANDLERS: Record<string, (rest: string, c: Ctx) => void> = {
  ucast,
  mcast,
  ping_group: pingGroup,
  ucast6,
  mcast6,
  stonith: stonith(false),
  stonith_host: stonith(true),
  apiauth,
  respawn: respawn(false),
  failfast: respawn(true),
};
