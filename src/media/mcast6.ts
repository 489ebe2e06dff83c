// `mcast6 <if> <group> <port> <hops> <loop>`: UDP over IPv6 multicast on one interface (Heartbeat 3.0.6's mcast6.c).
//
// As mcast6.c: the receive socket is bound to [::]:port (SO_REUSEADDR) and joins the group on the interface
// (by index); the send socket sends to [group]:port with IPV6_MULTICAST_IF = the interface, IPV6_MULTICAST_HOPS
// = hops and IPV6_MULTICAST_LOOP = loop. Unlike mcast6.c the send socket is bound to [::]:0 first (Node
// needs a bound socket for the multicast options). Neither needs an address on the interface, so the medium
// opens on an interface without carrier. Known limit, shared with mcast6.c: the receive socket is not tied to
// the interface, so with the same group:port on two interfaces each hears both.
import type dgram from 'node:dgram';
import dgramModule from 'node:dgram';
import { linkDownReason, linkFacts, type LinkFacts } from './link-facts.js';
import type { MediumListener } from './medium.js';
import {
  UdpMedium,
  bindSocket,
  closeSocket,
  deliver,
  enlargeReceiveBuffer,
  mediumError,
  safeSend,
  warnIfDown,
  watchErrors,
  type ProblemReporter,
} from './udp-common.js';

export interface Mcast6Options {
  readonly iface: string;
  readonly group: string;
  readonly port: number;
  /** 0–4 in Heartbeat's parser. */
  readonly hops: number;
  /** 1: our own datagrams come back to us (IPV6_MULTICAST_LOOP). */
  readonly loop: number;
}

export class Mcast6Medium extends UdpMedium {
  readonly kind = 'mcast6';
  private rx: dgram.Socket | undefined;
  private tx: dgram.Socket | undefined;

  private openedIndex: number | undefined;

  constructor(
    private readonly opts: Mcast6Options,
    nowMs?: () => number,
  ) {
    super(opts.iface, nowMs);
  }

  /** Heartbeat's start line: "UDP multicast heartbeat started for [ff12::1:2:3:4]:694 on interface eth1 (hops=1 loop=0)". */
  get startedLine(): string {
    const o = this.opts;
    return `UDP multicast heartbeat started for [${o.group}]:${o.port} on interface ${o.iface} (hops=${o.hops} loop=${o.loop})`;
  }

  protected async open(listener: MediumListener, problems: ProblemReporter): Promise<void> {
    const { iface, group, port, hops, loop } = this.opts;
    const facts = linkFacts(iface);
    if (!facts.exists) throw mediumError(this.kind, this.name, 'no such interface');
    this.openedIndex = facts.ifindex;
    warnIfDown(this.kind, iface, linkDownReason(facts), problems);
    // libuv reads "::%eth1" as "the interface eth1" (scope id = its index) for the IPv6 multicast options.
    const onIface = `::%${iface}`;
    this.rx = dgramModule.createSocket({ type: 'udp6', reuseAddr: true, ipv6Only: true });
    this.tx = dgramModule.createSocket({ type: 'udp6', reuseAddr: false, ipv6Only: true });
    await bindSocket(this.rx, '::', port, this);
    watchErrors(this.rx, problems, 'receive');
    enlargeReceiveBuffer(this.rx);
    await bindSocket(this.tx, '::', 0, this);
    watchErrors(this.tx, problems, 'send');
    const rx = this.rx;
    const tx = this.tx;
    const step = (what: string, f: () => void): void => {
      try {
        f();
      } catch (err) {
        throw mediumError(this.kind, this.name, `${what}: ${err instanceof Error ? err.message : String(err)}`, err);
      }
    };
    step(`cannot join ${group} on ${iface}`, () => rx.addMembership(group, onIface));
    step(`cannot send multicast on ${iface}`, () => tx.setMulticastInterface(onIface));
    step(`bad hops ${hops}`, () => tx.setMulticastTTL(hops));
    step('cannot set multicast loop', () => tx.setMulticastLoopback(loop === 1));
    rx.on('message', (msg) => deliver(msg, listener, problems));
  }

  protected watchedInterface(): string {
    return this.opts.iface;
  }

  /** Re-created: the membership and IPV6_MULTICAST_IF went with the old interface index. */
  protected stale(facts: LinkFacts): boolean {
    return facts.ifindex !== undefined && facts.ifindex !== this.openedIndex;
  }

  protected transmit(packet: Uint8Array, problems: ProblemReporter): void {
    if (this.tx !== undefined) safeSend(this.tx, packet, this.opts.port, this.opts.group, problems);
  }

  protected async shut(): Promise<void> {
    const sockets = [this.rx, this.tx];
    this.rx = undefined;
    this.tx = undefined;
    await Promise.all(sockets.map(closeSocket));
  }
}
