// Interface facts as the kernel has them (existence, carrier, addresses), read without a native addon.
//
// Heartbeat asks the kernel directly: if_nametoindex for existence, SIOCGIFADDR/SIOCGIFBRDADDR for the IPv4
// address and broadcast. Those answer for an interface that is up without carrier, or even administratively
// down, as long as it exists and has the address. Node's os.networkInterfaces() (libuv getifaddrs) lists only
// interfaces that are IFF_UP *and* IFF_RUNNING, so a cable pulled at boot looked like "no such interface".
//
// Where the facts come from: one `ip -j addr show` (iproute2 over netlink: RTM_GETLINK and RTM_GETADDR, the
// kernel's own answer) per snapshot, which gives every interface of this process's network namespace with its
// index, flags (UP, LOWER_UP, NO-CARRIER), operstate and IPv4/IPv6 addresses (IPv6 with "tentative" while
// duplicate-address detection waits for the carrier). Not /sys/class/net: sysfs shows the namespace of
// whoever mounted /sys, so a daemon started with `ip netns exec` or nsenter into a namespace that did not
// remount /sys would read the host's interfaces. Not /proc/net/fib_trie + /proc/net/route for IPv4: they list
// local addresses and networks but not which interface holds an address. A native netlink binding would need
// an addon. iproute2 is already a dependency (IPaddr2). The run costs a few milliseconds and happens only when
// a medium opens, at --check-config and on reload, never on the heartbeat path (snapshot() reuses one for
// SNAPSHOT_TTL_MS). Without iproute2: /proc/net/dev (existence), /proc/net/if_inet6 (IPv6) and
// os.networkInterfaces() (IPv4; it misses interfaces without carrier).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';

export interface Ipv4Address {
  readonly address: string;
  readonly prefixLength: number;
  /** The broadcast address the kernel has (what SIOCGIFBRDADDR returns); computed from the prefix when absent. */
  readonly broadcast: string;
}

export interface Ipv6Address {
  readonly address: string;
  readonly prefixLength: number;
  /** 'link' for fe80::/10, 'global', 'host', 'site'. */
  readonly scope: 'global' | 'link' | 'host' | 'site' | 'other';
  /** Duplicate-address detection not done yet (no carrier, or just added): not usable as a source. */
  readonly tentative: boolean;
}

export interface LinkFacts {
  readonly name: string;
  readonly exists: boolean;
  readonly ifindex: number | undefined;
  /** true with carrier, false without, undefined when unknown (administratively down). */
  readonly carrier: boolean | undefined;
  /** IFF_UP. */
  readonly adminUp: boolean;
  /** The kernel's operstate: up, down, lowerlayerdown, dormant, unknown (lo, tun)… */
  readonly operstate: string;
  readonly ipv4: readonly Ipv4Address[];
  readonly ipv6: readonly Ipv6Address[];
}

/** Snapshots are reused this long, so that N media opening together run `ip` once. */
export const SNAPSHOT_TTL_MS = 500;
const IP_TIMEOUT_MS = 3000;

function procNetDevNames(): Set<string> {
  try {
    const text = fs.readFileSync('/proc/net/dev', 'utf8');
    return new Set(text.split('\n').slice(2).map((l) => l.split(':')[0]?.trim() ?? '').filter((n) => n !== ''));
  } catch {
    return new Set();
  }
}

/** a.b.c.d | ~mask. */
export function ipv4Broadcast(address: string, prefixLength: number): string {
  const n = address.split('.').reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
  const mask = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  const b = (n | ~mask) >>> 0;
  return [24, 16, 8, 0].map((s) => (b >>> s) & 0xff).join('.');
}

const SCOPES: Readonly<Record<string, Ipv6Address['scope']>> = { global: 'global', link: 'link', host: 'host', site: 'site' };

/** Parses `ip -j addr show` output into the facts of every interface; undefined when it is not that JSON. */
export function parseIpJson(text: string): Map<string, LinkFacts> | undefined {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!Array.isArray(data)) return undefined;
  const out = new Map<string, LinkFacts>();
  for (const link of data as unknown[]) {
    if (typeof link !== 'object' || link === null) continue;
    const l = link as { ifname?: unknown; ifindex?: unknown; flags?: unknown; operstate?: unknown; addr_info?: unknown };
    if (typeof l.ifname !== 'string') continue;
    const flags = Array.isArray(l.flags) ? (l.flags as unknown[]).filter((f): f is string => typeof f === 'string') : [];
    const up = flags.includes('UP');
    const ipv4: Ipv4Address[] = [];
    const ipv6: Ipv6Address[] = [];
    for (const a of Array.isArray(l.addr_info) ? (l.addr_info as unknown[]) : []) {
      if (typeof a !== 'object' || a === null) continue;
      const x = a as { family?: unknown; local?: unknown; prefixlen?: unknown; broadcast?: unknown; scope?: unknown; tentative?: unknown };
      if (typeof x.local !== 'string' || typeof x.prefixlen !== 'number') continue;
      if (x.family === 'inet') {
        const broadcast = typeof x.broadcast === 'string' ? x.broadcast : ipv4Broadcast(x.local, x.prefixlen);
        ipv4.push({ address: x.local, prefixLength: x.prefixlen, broadcast });
      } else if (x.family === 'inet6') {
        const scope = typeof x.scope === 'string' ? (SCOPES[x.scope] ?? 'other') : 'other';
        ipv6.push({ address: x.local, prefixLength: x.prefixlen, scope, tentative: x.tentative === true });
      }
    }
    out.set(l.ifname, {
      name: l.ifname,
      exists: true,
      ifindex: typeof l.ifindex === 'number' ? l.ifindex : undefined,
      // The kernel sets NO-CARRIER only on an interface that is up; down, the carrier is not known.
      carrier: !up ? undefined : flags.includes('NO-CARRIER') ? false : flags.includes('LOWER_UP') ? true : undefined,
      adminUp: up,
      operstate: typeof l.operstate === 'string' ? l.operstate.toLowerCase() : 'unknown',
      ipv4,
      ipv6,
    });
  }
  return out;
}

/** Parses /proc/net/if_inet6: "20010db8000000000000000000000011 05 40 00 80 eth1" per address. */
export function parseIfInet6(text: string): Map<string, Ipv6Address[]> {
  const out = new Map<string, Ipv6Address[]>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || !/^[0-9a-f]{32}$/i.test(f[0] ?? '')) continue;
    const hex = (f[0] as string).toLowerCase();
    const groups = Array.from({ length: 8 }, (_, i) => hex.slice(i * 4, i * 4 + 4).replace(/^0{1,3}/, ''));
    const address = compressIpv6(groups);
    const prefixLength = parseInt(f[2] ?? '0', 16);
    const scopeBits = parseInt(f[3] ?? '0', 16);
    const flags = parseInt(f[4] ?? '0', 16);
    const scope = scopeBits === 0 ? 'global' : scopeBits === 0x20 ? 'link' : scopeBits === 0x10 ? 'host' : scopeBits === 0x40 ? 'site' : 'other';
    const name = f[5] as string;
    const list = out.get(name) ?? [];
    list.push({ address, prefixLength, scope, tentative: (flags & 0x40) !== 0 });
    out.set(name, list);
  }
  return out;
}

function compressIpv6(groups: string[]): string {
  // The longest run of two or more zero groups becomes "::" (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== '0') {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > bestLen && j - i >= 2) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (best < 0) return groups.join(':');
  return `${groups.slice(0, best).join(':')}::${groups.slice(best + bestLen).join(':')}`;
}

function absent(name: string): LinkFacts {
  return { name, exists: false, ifindex: undefined, carrier: undefined, adminUp: false, operstate: 'absent', ipv4: [], ipv6: [] };
}

/** Without iproute2: what /proc and libuv can tell (no carrier, and IPv4 only for running interfaces). */
function fallbackTable(): Map<string, LinkFacts> {
  const out = new Map<string, LinkFacts>();
  const v6 = (() => {
    try {
      return parseIfInet6(fs.readFileSync('/proc/net/if_inet6', 'utf8'));
    } catch {
      return new Map<string, Ipv6Address[]>();
    }
  })();
  const libuv = os.networkInterfaces();
  for (const name of procNetDevNames()) {
    const ipv4: Ipv4Address[] = [];
    for (const a of libuv[name] ?? []) {
      if (a.family !== 'IPv4') continue;
      const prefixLength = Number(a.cidr?.split('/')[1] ?? 32);
      ipv4.push({ address: a.address, prefixLength, broadcast: ipv4Broadcast(a.address, prefixLength) });
    }
    out.set(name, { name, exists: true, ifindex: undefined, carrier: undefined, adminUp: true, operstate: 'unknown', ipv4, ipv6: v6.get(name) ?? [] });
  }
  return out;
}

export interface LinkSnapshot {
  readonly takenAtMs: number;
  /** false when iproute2 could not be run (the facts come from /proc and libuv). */
  readonly fromNetlink: boolean;
  link(name: string): LinkFacts;
}

/** Reads the kernel's view now: one `ip -j addr show`. */
export function takeSnapshot(nowMs: number = performance.now()): LinkSnapshot {
  const r = spawnSync('ip', ['-j', 'addr', 'show'], { encoding: 'utf8', timeout: IP_TIMEOUT_MS, stdio: ['ignore', 'pipe', 'ignore'] });
  const parsed = r.status === 0 && typeof r.stdout === 'string' ? parseIpJson(r.stdout) : undefined;
  const table = parsed ?? fallbackTable();
  return { takenAtMs: nowMs, fromNetlink: parsed !== undefined, link: (name) => table.get(name) ?? absent(name) };
}

let cached: LinkSnapshot | undefined;

/** A snapshot at most SNAPSHOT_TTL_MS old. */
export function snapshot(): LinkSnapshot {
  const now = performance.now();
  if (cached === undefined || now - cached.takenAtMs > SNAPSHOT_TTL_MS) cached = takeSnapshot(now);
  return cached;
}

/** A snapshot taken now, which snapshot() then reuses (after a link event, the cached one is out of date). */
export function freshSnapshot(): LinkSnapshot {
  cached = takeSnapshot();
  return cached;
}

/** The facts of one interface (cached snapshot). */
export function linkFacts(name: string): LinkFacts {
  return snapshot().link(name);
}

/** "no carrier" / "administratively down" / undefined when the link can carry traffic. */
export function linkDownReason(f: LinkFacts): string | undefined {
  if (!f.exists) return 'no such interface';
  if (!f.adminUp) return 'interface is administratively down';
  if (f.carrier === false) return 'no carrier';
  return undefined;
}
