// `ucast6 <if> <peer>`: UDP over IPv6 unicast to one peer (Heartbeat 3.0.6's ucast6.c, Debian's plugin).
//
// ucast6.c receives on [::]:udpport with SO_REUSEADDR, SO_REUSEPORT and SO_BINDTODEVICE(if), and sends from
// an unbound socket bound to the device, to [peer]:udpport (a link-local peer gets the interface as its scope
// id). It never needs an address of its own, so it opens on an interface without carrier or addresses.
// Node 20's dgram has neither SO_BINDTODEVICE nor SO_REUSEPORT, so, as for ucast, the ucast6 media of one
// process share one receive socket on [::]:port (IPv6 only, so IPv4 media on the same port are unaffected).
// A datagram goes to the medium whose peer sent it, else to the earliest started one: its interface cannot
// be told without IPV6_PKTINFO, which Node does not offer (see docs/networks.md).
import type dgram from 'node:dgram';
import dgramModule from 'node:dgram';
import { linkDownReason, linkFacts } from './link-facts.js';
import { SharedReceivers, type ReceiverMember, type SharedReceiver } from './shared-receiver.js';
import type { MediumListener } from './medium.js';
import {
  UdpMedium,
  bindSocket,
  closeSocket,
  deliver,
  mediumError,
  safeSend,
  warnIfDown,
  watchErrors,
  type ProblemReporter,
} from './udp-common.js';


export interface Ucast6Options {
  readonly iface: string;
  /** IPv6 literal as written in ha.cf; a link-local one may carry "%scope". */
  readonly peer: string;
  readonly port: number;
}

interface Member extends ReceiverMember {
  readonly peer: string;
}

/** [::]:port → the socket every ucast6 medium of this process shares; a datagram goes to the medium of its sender (else the first). */
const receivers = new SharedReceivers<Member>((members, from) => members.find((m) => m.peer === peerKey(from.address)) ?? members[0]);

/** Lower case, scope dropped: how a source address is compared with a configured peer. */
export function peerKey(address: string): string {
  return (address.split('%')[0] ?? '').toLowerCase();
}

function udp6(reuseAddr: boolean): dgram.Socket {
  return dgramModule.createSocket({ type: 'udp6', reuseAddr, ipv6Only: true });
}

/** The destination as Node's dgram takes it: a link-local peer without a scope gets the interface (ucast6.c does). */
export function ucast6Destination(peer: string, iface: string): string {
  const bare = peer.split('%')[0] ?? peer;
  const linkLocal = /^fe[89ab]/i.test(bare);
  if (!linkLocal) return bare;
  return peer.includes('%') ? peer : `${bare}%${iface}`;
}

export class Ucast6Medium extends UdpMedium {
  readonly kind = 'ucast6';
  private tx: dgram.Socket | undefined;
  private joined: { readonly receiver: SharedReceiver<Member>; readonly member: Member } | undefined;
  private readonly destination: string;

  constructor(
    private readonly opts: Ucast6Options,
    nowMs?: () => number,
  ) {
    super(opts.iface, nowMs);
    this.destination = ucast6Destination(opts.peer, opts.iface);
  }

  /** Heartbeat's start line: "ucast6: heartbeat started for [2001:db8::12]:694 on interface eth1". */
  get startedLine(): string {
    return `ucast6: heartbeat started for [${this.destination}]:${this.opts.port} on interface ${this.opts.iface}`;
  }

  protected async open(listener: MediumListener, problems: ProblemReporter): Promise<void> {
    const facts = linkFacts(this.opts.iface);
    if (!facts.exists) throw mediumError(this.kind, this.name, 'no such interface');
    warnIfDown(this.kind, this.opts.iface, linkDownReason(facts), problems);
    this.tx = udp6(false);
    await bindSocket(this.tx, '::', 0, this);
    watchErrors(this.tx, problems, 'send');
    const member: Member = { peer: peerKey(this.opts.peer), frame: (msg) => deliver(msg, listener, problems), problems };
    const r = receivers.join(() => udp6(true), '::', this.opts.port, this, member);
    this.joined = { receiver: r, member };
    await r.ready;
  }

  /** Nothing to watch: bound to [::], sending by destination (a link-local one names the interface, looked up per send). */
  protected watchedInterface(): undefined {
    return undefined;
  }

  protected stale(): boolean {
    return false;
  }

  protected transmit(packet: Uint8Array, problems: ProblemReporter): void {
    if (this.tx !== undefined) safeSend(this.tx, packet, this.opts.port, this.destination, problems);
  }

  protected async shut(): Promise<void> {
    const tx = this.tx;
    const joined = this.joined;
    this.tx = undefined;
    this.joined = undefined;
    await Promise.all([closeSocket(tx), joined === undefined ? undefined : receivers.leave(joined.receiver, joined.member)]);
  }
}
