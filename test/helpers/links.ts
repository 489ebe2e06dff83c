// Link faults for lab nodes: a node's eth0 loses and regains its carrier (its bridge-side veth peer goes down and
// up), IPv6 addresses from 2001:db8::/32, waits on what the kernel says (netlink through `ip`), all bounded.
import { assertTestAddress, runOk, type Lab } from './netns.js';

const POLL_MS = 20;

/** The bridge-side veth of a node's eth0 (netns.ts names it p<index>-<node>, cut to 15 characters). */
export function bridgePort(lab: Lab, node: string): string {
  const i = lab.nodeNames.indexOf(node);
  if (i < 0) throw new Error(`no node ${node}`);
  return `p${i}-${node}`.slice(0, 15);
}

/** Whether the interface reports NO-CARRIER (false while it is up with carrier; false too when it is down). */
async function noCarrier(netns: string, ifname: string): Promise<boolean> {
  const r = await runOk(['ip', '-n', netns, '-o', 'link', 'show', 'dev', ifname]);
  return /[<,]NO-CARRIER[,>]/.test(r.stdout);
}

async function operUp(netns: string, ifname: string): Promise<boolean> {
  const r = await runOk(['ip', '-n', netns, '-o', 'link', 'show', 'dev', ifname]);
  return / state UP /.test(r.stdout);
}

async function until(what: string, cond: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await cond()) return;
    if (Date.now() >= deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

/**
 * Takes a node's eth0 carrier away (on = false) or gives it back, the way an unplugged cable or a switch that is
 * still booting does: eth0 itself stays up with its addresses. Resolves once the node's kernel reports it.
 */
export async function setCarrier(lab: Lab, node: string, on: boolean, timeoutMs = 5000): Promise<void> {
  await runOk(['ip', '-n', lab.bridgeNetns, 'link', 'set', bridgePort(lab, node), on ? 'up' : 'down']);
  const ns = lab.node(node).netns;
  if (on) await until(`${node} eth0 carrier back`, () => operUp(ns, 'eth0'), timeoutMs);
  else await until(`${node} eth0 carrier gone`, () => noCarrier(ns, 'eth0'), timeoutMs);
}

/** The same for an interface inside a node whose veth peer is in another node (netns-extra.ts addLink). */
export async function setPeerLink(lab: Lab, peerNode: string, peerIf: string, node: string, ifname: string, on: boolean, timeoutMs = 5000): Promise<void> {
  await runOk(['ip', '-n', lab.node(peerNode).netns, 'link', 'set', peerIf, on ? 'up' : 'down']);
  const ns = lab.node(node).netns;
  if (on) await until(`${node} ${ifname} carrier back`, () => operUp(ns, ifname), timeoutMs);
  else await until(`${node} ${ifname} carrier gone`, () => noCarrier(ns, ifname), timeoutMs);
}

/** Adds an IPv6 address in 2001:db8::/32 to an interface of a node ('bridge' too), without duplicate-address detection. */
export async function addIpv6(lab: Lab, where: string, ifname: string, cidr: string): Promise<void> {
  assertTestAddress(cidr);
  const ns = where === 'bridge' ? lab.bridgeNetns : lab.node(where).netns;
  await runOk(['ip', '-n', ns, 'addr', 'add', cidr, 'dev', ifname, 'nodad']);
}
