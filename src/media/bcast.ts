// `bcast <if>`: UDP broadcast to the interface's broadcast address (Heartbeat's bcast.c), one medium per interface.
//
// Heartbeat (Debian build) keeps interfaces apart with SO_BINDTODEVICE, which Node's dgram cannot set. We
// bind the receive socket to the interface's broadcast address instead: Linux delivers a datagram to a
// socket bound to a specific local address only when it is the packet's destination, so a socket bound to
// 198.51.100.255:694 gets the broadcasts of eth0's subnet and nothing arriving for eth1's 203.0.113.255
// (checked in test/netns/media-conformance.test.ts, "two interfaces"). The cost: unicast datagrams to our
// own address on udpport are not heard by bcast (Heartbeat's INADDR_ANY socket would hear them), and a peer
// must use the same broadcast address as we do (same netmask), which a working bcast cluster does anyway.
import type dgram from 'node:dgram';
import type { MediumListener } from './medium.js';
import {
  UdpMedium,
  bindSocket,
  closeSocket,
  deliver,
  enlargeReceiveBuffer,
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

export interface BcastOptions {
  readonly iface: string;
  readonly port: number;
}

export class BcastMedium extends UdpMedium {
  readonly kind = 'bcast';
  private rx: dgram.Socket | undefined;
  private tx: dgram.Socket | undefined;
  private sent: ((err: Error | null) => void) | undefined;
  private destination = '';

  private opened: OpenedInterface | undefined;

  constructor(
    private readonly opts: BcastOptions,
    nowMs?: () => number,
  ) {
    super(opts.iface, nowMs);
  }

  protected async open(listener: MediumListener, problems: ProblemReporter): Promise<void> {
    const ifa = requireInterface(this.kind, this.name, this.opts.iface);
    this.opened = ifa;
    warnIfDown(this.kind, this.opts.iface, ifa.down, problems);
    this.destination = ifa.broadcast;
    this.rx = udp4(true);
    this.tx = udp4(false);
    await bindSocket(this.rx, ifa.broadcast, this.opts.port, this);
    watchErrors(this.rx, problems, 'receive');
    enlargeReceiveBuffer(this.rx);
    await bindSocket(this.tx, ifa.address, 0, this);
    watchErrors(this.tx, problems, 'send');
    try {
      this.tx.setBroadcast(true);
    } catch (err) {
      throw mediumError(this.kind, this.name, `cannot enable broadcast: ${String(err)}`, err);
    }
    await connectSocket(this.tx, ifa.broadcast, this.opts.port, this);
    this.rx.on('message', (msg) => deliver(msg, listener, problems));
  }

  protected watchedInterface(): string {
    return this.opts.iface;
  }

  /** Renumbered: the receive socket is bound to the old broadcast address, the send socket to the old address. */
  protected stale(facts: LinkFacts): boolean {
    return renumbered(this.opened, facts);
  }

  protected transmit(packet: Uint8Array, problems: ProblemReporter): void {
    if (this.tx !== undefined) {
      this.sent ??= sendReporter(`${this.destination}:${this.opts.port}`, problems);
      safeSendConnected(this.tx, packet, `${this.destination}:${this.opts.port}`, problems, this.sent);
    }
  }

  protected async shut(): Promise<void> {
    const sockets = [this.rx, this.tx];
    this.rx = undefined;
    this.tx = undefined;
    await Promise.all(sockets.map(closeSocket));
  }
}
