// `ucast <if> <peer>`: UDP unicast to one peer (Heartbeat's ucast.c); several lines on one interface share a receive socket.
//
// Receive: the interface's own address:port. Heartbeat binds INADDR_ANY with SO_BINDTODEVICE and
// SO_REUSEPORT so that every ucast line can have its own read child; Node 20's dgram has neither option
// (reusePort arrived in Node 22.12), and with SO_REUSEADDR alone Linux hands a unicast datagram to one
// socket only. So the ucast media of one process that listen on the same address:port share one socket
// (module-level, reference-counted). Each datagram goes to exactly one of them, the earliest started that
// is still open — as with Heartbeat's SO_REUSEPORT group, where the kernel gives each datagram to one read
// child. All of them carry the interface's name, so the daemon sees the same (peer, medium) either way and
// never processes a datagram twice.
// Send: to peer:port from a socket of our own bound to the interface's address (source = the interface).
import type dgram from 'node:dgram';
import dns from 'node:dns/promises';
import type { MediumListener } from './medium.js';
import {
  UdpMedium,
  bindSocket,
  closeSocket,
  deliver,
  isIpv4,
  mediumError,
  requireInterface,
  safeSend,
  udp4,
  warnIfDown,
  watchErrors,
  renumbered,
  type OpenedInterface,
  type ProblemReporter,
} from './udp-common.js';
import type { LinkFacts } from './link-facts.js';
import { SharedReceivers, type ReceiverMember, type SharedReceiver } from './shared-receiver.js';

/**
 * The peer's IPv4 address. Heartbeat's ucast.c resolves a host name (gethostbyname) when it reads ha.cf; we
 * resolve it each time the medium opens (start, and reload, which re-opens ucast media with a named peer), with
 * the system's resolver (/etc/hosts first, as nsswitch says).
 */
async function resolvePeer(peer: string, what: { readonly kind: 'ucast'; readonly name: string }): Promise<string> {
  if (isIpv4(peer)) return peer;
  try {
    const r = await dns.lookup(peer, { family: 4 });
    return r.address;
  } catch (err) {
    throw mediumError(what.kind, what.name, `cannot resolve peer ${JSON.stringify(peer)}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, err);
  }
}

export interface UcastOptions {
  readonly iface: string;
  /** IPv4 literal or host name. */
  readonly peer: string;
  readonly port: number;
}

type Member = ReceiverMember;

/** address:port → the socket every ucast medium of this process listening there shares; the earliest started gets each datagram. */
const receivers = new SharedReceivers<Member>((members) => members[0]);

export class UcastMedium extends UdpMedium {
  readonly kind = 'ucast';
  private tx: dgram.Socket | undefined;
  private joined: { readonly receiver: SharedReceiver<Member>; readonly member: Member } | undefined;

  private opened: OpenedInterface | undefined;
  /** The peer's IPv4 address: as written, or what its name resolved to when the medium opened. */
  private peerAddress = '';

  constructor(
    private readonly opts: UcastOptions,
    nowMs?: () => number,
  ) {
    super(opts.iface, nowMs);
  }

  protected async open(listener: MediumListener, problems: ProblemReporter): Promise<void> {
    this.peerAddress = await resolvePeer(this.opts.peer, this);
    if (this.peerAddress !== this.opts.peer) problems.report('peer-resolved', `peer ${this.opts.peer} is ${this.peerAddress}`, 'info');
    const ifa = requireInterface(this.kind, this.name, this.opts.iface);
    this.opened = ifa;
    warnIfDown(this.kind, this.opts.iface, ifa.down, problems);
    this.tx = udp4(false);
    await bindSocket(this.tx, ifa.address, 0, this);
    watchErrors(this.tx, problems, 'send');
    const member: Member = { frame: (msg) => deliver(msg, listener, problems), problems };
    const r = receivers.join(() => udp4(true), ifa.address, this.opts.port, this, member);
    this.joined = { receiver: r, member };
    await r.ready;
  }

  protected watchedInterface(): string {
    return this.opts.iface;
  }

  /** Renumbered: both sockets are bound to the old address. */
  protected stale(facts: LinkFacts): boolean {
    return renumbered(this.opened, facts);
  }

  protected transmit(packet: Uint8Array, problems: ProblemReporter): void {
    if (this.tx !== undefined) safeSend(this.tx, packet, this.opts.port, this.peerAddress, problems);
  }

  protected async shut(): Promise<void> {
    const tx = this.tx;
    const joined = this.joined;
    this.tx = undefined;
    this.joined = undefined;
    await Promise.all([closeSocket(tx), joined === undefined ? undefined : receivers.leave(joined.receiver, joined.member)]);
  }
}
