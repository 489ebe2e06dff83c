// One receive socket shared by the unicast media (ucast, ucast6) of a process that listen on the same address:port.
//
// Node 20's dgram has neither SO_BINDTODEVICE nor SO_REUSEPORT, and with SO_REUSEADDR alone Linux hands a unicast
// datagram to one socket only; so media that listen on the same address:port share one socket (reference-counted),
// and each datagram goes to exactly one of them, chosen by the pool's `route` (ucast.ts and ucast6.ts say which).
import type dgram from 'node:dgram';
import type { Buffer } from 'node:buffer';
import { bindSocket, closeSocket, enlargeReceiveBuffer, type ProblemReporter } from './udp-common.js';
import type { MediumKind } from './medium.js';

export interface ReceiverMember {
  readonly frame: (msg: Buffer) => void;
  readonly problems: ProblemReporter;
}

export interface SharedReceiver<M extends ReceiverMember> {
  readonly socket: dgram.Socket;
  readonly ready: Promise<void>;
  readonly members: M[];
}

export class SharedReceivers<M extends ReceiverMember> {
  private readonly byKey = new Map<string, SharedReceiver<M>>();

  /** `route`: which member (in start order) a datagram from `from` is for. */
  constructor(private readonly route: (members: readonly M[], from: dgram.RemoteInfo) => M | undefined) {}

  /** The receiver for address:port, opened (bound) by the first member that asks; `member` joins it. */
  join(
    socket: () => dgram.Socket,
    address: string,
    port: number,
    owner: { readonly kind: MediumKind; readonly name: string },
    member: M,
  ): SharedReceiver<M> {
    const key = `${address}:${port}`;
    let r = this.byKey.get(key);
    if (r === undefined) {
      const s = socket();
      const opened: SharedReceiver<M> = { socket: s, ready: bindSocket(s, address, port, owner), members: [] };
      this.byKey.set(key, opened);
      s.on('message', (msg, rinfo) => this.route(opened.members, rinfo)?.frame(msg));
      void opened.ready.then(
        () => {
          enlargeReceiveBuffer(s);
          s.on('error', (err) => opened.members[0]?.problems.report('receive-error', `receive socket error: ${err.message}`));
        },
        () => {
          // Every member waiting on it rejects its start() with the bind error; the next start tries afresh.
          if (this.byKey.get(key) === opened) this.byKey.delete(key);
          void closeSocket(s);
        },
      );
      r = opened;
    }
    r.members.push(member);
    return r;
  }

  /** `member` leaves; the last one out closes the socket. */
  leave(r: SharedReceiver<M>, member: M): Promise<void> {
    const i = r.members.indexOf(member);
    if (i >= 0) r.members.splice(i, 1);
    if (r.members.length > 0) return Promise.resolve();
    for (const [key, value] of this.byKey) if (value === r) this.byKey.delete(key);
    return closeSocket(r.socket);
  }
}
