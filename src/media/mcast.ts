// `mcast <if> <group> <port> <ttl> <loop>`: UDP multicast on one interface (Heartbeat's mcast.c).
//
// As mcast.c: the receive socket is bound to group:port (SO_REUSEADDR) and joins the group on the
// interface's address; the send socket sends to group:port with IP_MULTICAST_IF = the interface's address,
// IP_MULTICAST_TTL = ttl and IP_MULTICAST_LOOP = loop. Unlike mcast.c the send socket is bound to the
// interface's address (Node needs a bound socket for the multicast options; it also fixes the source).
// Known limit: Linux's IP_MULTICAST_ALL defaults to on and Node cannot turn it off, so with the same
// group:port on two interfaces each socket also hears the group's traffic from the other interface.
import type dgram from 'node:dgram';
import type { MediumListener } from './medium.js';
import {
  UdpMedium,
  bindSocket,
  closeSocket,
  deliver,
  enlargeReceiveBuffer,
  isIpv4,
  mediumError,
  requireInterface,
  connectSocket,
  safeSendConnected,
  sendReporter,
  udp4,
  warnIfDown,
  watchErrors,
  renumbered,
  type OpenedInterface,
  type ProblemReporter,
} from './udp-common.js';
import type { LinkFacts } from './link-facts.js';

export interface McastOptions {
  readonly iface: string;
  readonly group: string;
  readonly port: number;
  /** 0–4 in Heartbeat's parser. */
  readonly ttl: number;
  /** 1: our own datagrams come back to us (IP_MULTICAST_LOOP). */
  readonly loop: number;
}

function isMulticast(address: string): boolean {
  const first = Number(address.split('.')[0]);
  return isIpv4(address) && first >= 224 && first <= 239;
}

export class McastMedium extends UdpMedium {
  readonly kind = 'mcast';
  private rx: dgram.Socket | undefined;
  private tx: dgram.Socket | undefined;
  private sent: ((err: Error | null) => void) | undefined;

  private opened: OpenedInterface | undefined;

  constructor(
    private readonly opts: McastOptions,
    nowMs?: () => number,
  ) {
    super(opts.iface, nowMs);
  }

  protected async open(listener: MediumListener, problems: ProblemReporter): Promise<void> {
    const { group, port, ttl, loop } = this.opts;
    if (!isMulticast(group)) throw mediumError(this.kind, this.name, `group ${JSON.stringify(group)} is not an IPv4 multicast address`);
    const ifa = requireInterface(this.kind, this.name, this.opts.iface);
    this.opened = ifa;
    warnIfDown(this.kind, this.opts.iface, ifa.down, problems);
    this.rx = udp4(true);
    this.tx = udp4(false);
    await bindSocket(this.rx, group, port, this);
    watchErrors(this.rx, problems, 'receive');
    enlargeReceiveBuffer(this.rx);
    await bindSocket(this.tx, ifa.address, 0, this);
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
    step(`cannot join ${group} on ${ifa.address}`, () => rx.addMembership(group, ifa.address));
    step(`cannot send multicast from ${ifa.address}`, () => tx.setMulticastInterface(ifa.address));
    step(`bad ttl ${ttl}`, () => tx.setMulticastTTL(ttl));
    step('cannot set multicast loop', () => tx.setMulticastLoopback(loop === 1));
    await connectSocket(tx, group, port, this);
    rx.on('message', (msg) => deliver(msg, listener, problems));
  }

  protected watchedInterface(): string {
    return this.opts.iface;
  }

  /** Re-created (the membership went with the old interface) or renumbered (the sockets use the old address). */
  protected stale(facts: LinkFacts): boolean {
    return (facts.ifindex !== undefined && facts.ifindex !== this.opened?.ifindex) || renumbered(this.opened, facts);
  }

  protected transmit(packet: Uint8Array, problems: ProblemReporter): void {
    if (this.tx !== undefined) {
      this.sent ??= sendReporter(`${this.opts.group}:${this.opts.port}`, problems);
      safeSendConnected(this.tx, packet, `${this.opts.group}:${this.opts.port}`, problems, this.sent);
    }
  }

  protected async shut(): Promise<void> {
    const sockets = [this.rx, this.tx];
    this.rx = undefined;
    this.tx = undefined;
    await Promise.all(sockets.map(closeSocket));
  }
}
