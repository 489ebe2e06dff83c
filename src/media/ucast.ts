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
  enlargeReceiveBuffer,
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

interface Member {
  readonly frame: (msg: Buffer) => void;
  readonly problems: ProblemReporter;
}

interface SharedReceiver {
  readonly socket: dgram.Socket;
  readonly ready: Promise<void>;
  readonly members: Member[];
}

/** address:port → the socket every ucast medium of this process listening there shares. */
const receivers = new Map<string, SharedReceiver>();

function receiverFor(address: string, port: number, owner: { readonly kind: 'ucast'; readonly name: string }): SharedReceiver {
  const key = `${address}:${port}`;
  const existing = receivers.get(key);
  if (existing !== undefined) return existing;
  const socket = udp4(true);
  const r: SharedReceiver = { socket, ready: bindSocket(socket, address, port, owner), members: [] };
  receivers.set(key, r);
  socket.on('message', (msg) => r.members[0]?.frame(msg));
  void r.ready.then(
    () => {
      enlargeReceiveBuffer(socket);
      socket.on('error', (err) => r.members[0]?.problems.report('receive-error', `receive socket error: ${err.message}`));
    },
    () => {
      // Every member waiting on it rejects its start() with the bind error; the next start tries afresh.
      if (receivers.get(key) === r) receivers.delete(key);
      void closeSocket(socket);
    },
  );
  return r;
}

function leave(r: SharedReceiver, member: Member): Promise<void> {
  const i = r.members.indexOf(member);
  if (i >= 0) r.members.splice(i, 1);
  if (r.members.length > 0) return Promise.resolve();
  for (const [key, value] of receivers) if (value === r) receivers.delete(key);
  return closeSocket(r.socket);
}

export class UcastMedium extends UdpMedium {
  readonly kind = 'ucast';
  private tx: dgram.Socket | undefined;
  private joined: { readonly receiver: SharedReceiver; readonly member: Member } | undefined;

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
    const r = receiverFor(ifa.address, this.opts.port, this);
    r.members.push(member);
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
    await Promise.all([closeSocket(tx), joined === undefined ? undefined : leave(joined.receiver, joined.member)]);
  }
}
