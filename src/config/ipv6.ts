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
