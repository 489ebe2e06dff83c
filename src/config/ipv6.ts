// Recognising IPv6 literals without node:net (the config folder stays pure).

const HEX_GROUP = /^[0-9A-Fa-f]{1,4}$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** True for a valid IPv6 address: hex groups, at most one "::", optionally an IPv4 tail. */
export function isIpv6(text: string): boolean {
  if (text.length < 2 || text.length > 45) return false;
  const halves = text.split('::');
  if (halves.length > 2) return false;
  const groupsOf = (h: string): string[] | undefined => (h === '' ? [] : h.split(':'));
  const head = groupsOf(halves[0] ?? '');
  const tail = halves.length === 2 ? groupsOf(halves[1] ?? '') : [];
  if (head === undefined || tail === undefined) return false;
  const all = [...head, ...tail];
  let count = 0;
  for (let i = 0; i < all.length; i++) {
    const g = all[i] as string;
    if (i === all.length - 1 && IPV4.test(g)) {
      count += 2;
    } else if (HEX_GROUP.test(g)) {
      count += 1;
    } else {
      return false;
    }
  }
  return halves.length === 2 ? count <= 7 : count === 8;
}

/**
 * An IPv6 address with an optional "/suffix" (prefix length, interface…), as IPv6addr takes it. Decimal numbers
 * joined by "::" ("1::0") are valid IPv6 too, but in haresources they are arguments (Delay::1::0), so they do not
 * count here; neither does a suffix that itself contains "::".
 */
export function isIpv6WithSuffix(text: string): boolean {
  const slash = text.indexOf('/');
  const addr = slash < 0 ? text : text.slice(0, slash);
  if (slash >= 0 && text.includes('::', slash)) return false;
  return isIpv6(addr) && !/^\d+(::\d+)*$/.test(addr);
}

/** inet_pton(AF_INET6): the 16 bytes of a valid IPv6 literal (no "%scope"), undefined otherwise. */
export function ipv6Bytes(text: string): Uint8Array | undefined {
  if (!isIpv6(text)) return undefined;
  const halves = text.split('::');
  const expand = (h: string): number[] => {
    if (h === '') return [];
    const out: number[] = [];
    for (const g of h.split(':')) {
      if (g.includes('.')) {
        const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
        out.push((a << 8) | b, (c << 8) | d);
      } else {
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  const head = expand(halves[0] ?? '');
  const tail = halves.length === 2 ? expand(halves[1] ?? '') : [];
  const groups = [...head, ...Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    bytes[2 * i] = g >> 8;
    bytes[2 * i + 1] = g & 0xff;
  });
  return bytes;
}

/** fe80::/10. */
export function isLinkLocalIpv6(bytes: Uint8Array): boolean {
  return bytes[0] === 0xfe && ((bytes[1] ?? 0) & 0xc0) === 0x80;
}

/**
 * Why ucast6.c refuses a peer address (is_valid_ucast6_addr), or undefined: the part before "%" must parse,
 * and must not be multicast, unspecified or loopback.
 */
export function ucast6PeerProblem(text: string): string | undefined {
  const addr = text.split('%')[0] ?? '';
  const b = ipv6Bytes(addr);
  if (b === undefined) return 'not an IPv6 address';
  if (b[0] === 0xff) return 'a multicast address (use mcast6 for multicast)';
  if (b.every((x) => x === 0)) return 'the unspecified address ::';
  if (b.slice(0, 15).every((x) => x === 0) && b[15] === 1) return 'the loopback address ::1';
  return undefined;
}

/**
 * Why mcast6.c refuses a group (is_valid_mcast6_addr), or undefined: ff00::/8, no flag bits other than T
 * (0x10), scope link (2), admin (4), site (5) or organization (8), and not all zeros after the first two bytes.
 */
export function mcast6GroupProblem(text: string): string | undefined {
  const b = ipv6Bytes(text);
  if (b === undefined) return 'not an IPv6 address';
  if (b[0] !== 0xff) return 'not a multicast address (ff00::/8)';
  const flags = (b[1] ?? 0) & 0xf0;
  if ((flags & 0xe0) !== 0) return 'reserved flag bits set (only the transient bit, ff1x::, is allowed)';
  const scope = (b[1] ?? 0) & 0x0f;
  if (![2, 4, 5, 8].includes(scope)) return `scope ${scope.toString(16)} not allowed: use link (ff02::/ff12::), admin (ff14::), site (ff15::) or organization (ff18::) scope`;
  if (b.slice(2).every((x) => x === 0)) return 'a reserved group (all zeros after the scope)';
  return undefined;
}
