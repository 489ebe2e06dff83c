// Shared plumbing of the UDP media: interface addresses, broadcast address, rate-limited problems, sends that never throw.
import dgram from 'node:dgram';
import { HbError } from '../core/errors.js';
import { MAX_MESSAGE_BYTES } from '../wire/index.js';
import { freshSnapshot, linkDownReason, linkFacts, type LinkFacts } from './link-facts.js';
import { watchLink } from './link-watch.js';
import type { MediumAdapter, MediumKind, MediumListener, OutboundFrame } from './medium.js';

/** Heartbeat's MAXMSG: larger datagrams are dropped on receive and refused on send. */
export const MAX_DATAGRAM_BYTES = MAX_MESSAGE_BYTES;
/** Receive buffer asked for (enlargeReceiveBuffer). */
export const RECEIVE_BUFFER_BYTES = 1 << 20;
/** After a link or address event, wait this long for the rest of its burst before looking. */
export const CHECK_DELAY_MS = 50;
/** At most one line per problem kind per this long (MediumListener.problem). */
export const PROBLEM_INTERVAL_MS = 10_000;

export interface InterfaceAddress {
  readonly address: string;
  readonly netmask: string;
  readonly broadcast: string;
}

/** The start() failure of a medium: `bcast eth9: no such interface`. */
export function mediumError(kind: MediumKind, name: string, cause: string, err?: unknown): HbError {
  return new HbError('HB_MEDIUM_START', `${kind} ${name}: ${cause}`, err === undefined ? undefined : { cause: err });
}

function ipv4ToInt(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined;
  return parts.reduce((acc, p) => ((acc << 8) | Number(p)) >>> 0, 0);
}

function intToIpv4(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
}

export function isIpv4(text: string): boolean {
  return ipv4ToInt(text) !== undefined;
}

/** address | ~netmask, e.g. 198.51.100.11 + 255.255.255.0 → 198.51.100.255. */
export function broadcastAddress(address: string, netmask: string): string {
  const a = ipv4ToInt(address);
  const m = ipv4ToInt(netmask);
  if (a === undefined || m === undefined) throw new Error(`bad IPv4 address/netmask ${address}/${netmask}`);
  return intToIpv4((a | ~m) >>> 0);
}

/**
 * The interface's first IPv4 address (Heartbeat's SIOCGIFADDR: the primary one) and its broadcast address,
 * or a cause for mediumError. Read from the kernel (link-facts.ts): an interface without carrier, or even
 * administratively down, still has its address, as it has for Heartbeat; `down` then says why no traffic
 * flows yet (the medium starts anyway and warns once).
 */
export function lookupInterface(iface: string): OpenedInterface | { readonly error: string } {
  const f = linkFacts(iface);
  if (!f.exists) return { error: 'no such interface' };
  const v4 = f.ipv4[0];
  if (v4 === undefined) return { error: 'interface has no IPv4 address' };
  return { address: v4.address, netmask: prefixToNetmask(v4.prefixLength), broadcast: v4.broadcast, down: linkDownReason(f), ifindex: f.ifindex };
}

/** What a medium opened with: its address and broadcast, the index of the interface, why it was down if it was. */
export interface OpenedInterface extends InterfaceAddress {
  readonly down: string | undefined;
  readonly ifindex: number | undefined;
}

/** The interface now has another primary IPv4 address (or broadcast) than the one a medium opened with. */
export function renumbered(opened: InterfaceAddress | undefined, facts: LinkFacts): boolean {
  const now = facts.ipv4[0];
  return opened !== undefined && now !== undefined && (now.address !== opened.address || now.broadcast !== opened.broadcast);
}

function prefixToNetmask(prefixLength: number): string {
  const m = prefixLength === 0 ? 0 : (0xffffffff << (32 - prefixLength)) >>> 0;
  return intToIpv4(m);
}

/** One warning when a medium opens on a link that cannot carry traffic yet: it starts anyway, as Heartbeat's does. */
export function warnIfDown(kind: MediumKind, iface: string, down: string | undefined, problems: ProblemReporter): void {
  if (down !== undefined) {
    queueMicrotask(() => problems.report('link-down-at-start', `${iface}: ${down}; the medium is open and heartbeats flow as soon as the link comes up (${kind})`, 'warn'));
  }
}

/** Like lookupInterface, but throws the start() error. */
export function requireInterface(kind: MediumKind, name: string, iface: string): OpenedInterface {
  const found = lookupInterface(iface);
  if ('error' in found) throw mediumError(kind, name, found.error);
  return found;
}

/**
 * Passes problems to the listener, at most one line per kind per interval; the next line of a kind says how
 * many were suppressed. Time comes from nowMs (monotonic), so tests can drive it.
 */
export class ProblemReporter {
  private readonly last = new Map<string, { atMs: number; suppressed: number }>();

  constructor(
    private readonly prefix: string,
    private readonly sink: (text: string, level: 'err' | 'warn' | 'info') => void,
    private readonly nowMs: () => number = () => performance.now(),
    private readonly intervalMs: number = PROBLEM_INTERVAL_MS,
  ) {}

  report(kind: string, text: string, level: 'err' | 'warn' | 'info' = 'err'): void {
    const now = this.nowMs();
    const e = this.last.get(kind);
    if (e !== undefined && now - e.atMs < this.intervalMs) {
      e.suppressed += 1;
      // heartbeat 3.0.6 write_child: a medium whose writes keep failing stops logging them with these two
      // lines, which operators' watchers key on (an unplugged cable, a link whose carrier is gone).
      if (e.suppressed === 1 && kind.startsWith('send-') && kind !== 'send-oversize') {
        this.emit('Temporarily Suppressing write error messages', 'warn');
        this.emit(`Is a cable unplugged on ${this.prefix}?`, 'warn');
      }
      return;
    }
    const more = e !== undefined && e.suppressed > 0 ? ` (${e.suppressed} more since the last report)` : '';
    this.last.set(kind, { atMs: now, suppressed: 0 });
    this.emit(`${this.prefix}: ${text}${more}`, level);
  }

  private emit(text: string, level: 'err' | 'warn' | 'info'): void {
    try {
      this.sink(text, level);
    } catch {
      /* a listener that throws must not break the medium */
    }
  }
}

function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return code !== undefined && !err.message.includes(code) ? `${code} ${err.message}` : err.message;
  }
  return String(err);
}

/**
 * Sends one datagram; every failure (oversize, closed socket, EMSGSIZE, ENETUNREACH…) goes to problems.
 * Failures found before the socket call are reported in a microtask: the listener is never called from
 * inside send() (MediumListener's contract).
 */
export function safeSend(socket: dgram.Socket, bytes: Uint8Array, port: number, address: string, problems: ProblemReporter): void {
  const later = (kind: string, text: string): void => queueMicrotask(() => problems.report(kind, text));
  if (bytes.byteLength > MAX_DATAGRAM_BYTES) {
    later('send-oversize', `dropped a ${bytes.byteLength}-byte frame: larger than ${MAX_DATAGRAM_BYTES} bytes`);
    return;
  }
  try {
    socket.send(bytes, port, address, (err) => {
      if (err) problems.report(`send-${(err as NodeJS.ErrnoException).code ?? 'error'}`, `send to ${address}:${port} failed: ${errorText(err)}`);
    });
  } catch (err) {
    later('send-throw', `send to ${address}:${port} failed: ${errorText(err)}`);
  }
}

/** The completion callback of connected sends, made once per medium (no closure per datagram). */
export function sendReporter(label: string, problems: ProblemReporter): (err: Error | null) => void {
  return (err) => {
    if (err) problems.report(`send-${(err as NodeJS.ErrnoException).code ?? 'error'}`, `send to ${label} failed: ${errorText(err)}`);
  };
}

/**
 * Sends one datagram on a socket connected to its only destination (bcast, mcast): no address lookup per
 * datagram on the heartbeat path. `done` is the medium's sendReporter.
 */
export function safeSendConnected(socket: dgram.Socket, bytes: Uint8Array, label: string, problems: ProblemReporter, done: (err: Error | null) => void): void {
  const later = (kind: string, text: string): void => queueMicrotask(() => problems.report(kind, text));
  if (bytes.byteLength > MAX_DATAGRAM_BYTES) {
    later('send-oversize', `dropped a ${bytes.byteLength}-byte frame: larger than ${MAX_DATAGRAM_BYTES} bytes`);
    return;
  }
  try {
    socket.send(bytes, done);
  } catch (err) {
    later('send-throw', `send to ${label} failed: ${errorText(err)}`);
  }
}

/** Connects a bound UDP socket to its one destination; rejects with the start() error on failure. */
export function connectSocket(
  socket: dgram.Socket,
  address: string,
  port: number,
  what: { readonly kind: MediumKind; readonly name: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    try {
      socket.connect(port, address, () => resolve());
    } catch (err) {
      reject(mediumError(what.kind, what.name, `cannot connect to ${address}:${port}: ${errorText(err)}`, err));
    }
  });
}

/** Binds a socket; rejects with the start() error on failure (EADDRINUSE, EADDRNOTAVAIL…). */
export function bindSocket(
  socket: dgram.Socket,
  address: string,
  port: number,
  what: { readonly kind: MediumKind; readonly name: string },
): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error): void => {
      reject(mediumError(what.kind, what.name, `cannot bind ${address}:${port}: ${errorText(err)}`, err));
    };
    socket.once('error', onError);
    try {
      socket.bind(port, address, () => {
        socket.off('error', onError);
        resolve();
      });
    } catch (err) {
      socket.off('error', onError);
      reject(mediumError(what.kind, what.name, `cannot bind ${address}:${port}: ${errorText(err)}`, err));
    }
  });
}

/** Hands a received datagram to the listener unchanged, or drops it as oversize. */
export function deliver(bytes: Buffer, listener: MediumListener, problems: ProblemReporter): void {
  if (bytes.byteLength > MAX_DATAGRAM_BYTES) {
    problems.report('receive-oversize', `dropped a ${bytes.byteLength}-byte datagram: larger than ${MAX_DATAGRAM_BYTES} bytes`);
    return;
  }
  try {
    listener.frame(bytes);
  } catch (err) {
    problems.report('listener-throw', `frame listener failed: ${errorText(err)}`);
  }
}

/**
 * Asks for a 1 MiB receive buffer (the kernel caps it at net.core.rmem_max, 2 × 208 KiB by default): a node
 * busy taking over resources may not read for a while, and the default 208 KiB holds only ~165 small
 * datagrams (each costs ~1.3 KiB of buffer), which a burst of retransmissions can exceed. Best effort.
 */
export function enlargeReceiveBuffer(socket: dgram.Socket): void {
  try {
    if (socket.getRecvBufferSize() < RECEIVE_BUFFER_BYTES) socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
  } catch {
    /* keep the default */
  }
}

/** Reports socket errors after start (they would otherwise crash the process as unhandled 'error' events). */
export function watchErrors(socket: dgram.Socket, problems: ProblemReporter, role: string): void {
  socket.on('error', (err) => problems.report(`${role}-error`, `${role} socket error: ${errorText(err)}`));
}

/** Closes a socket, ignoring "already closed"; resolves once it is closed. */
export function closeSocket(socket: dgram.Socket | undefined): Promise<void> {
  if (socket === undefined) return Promise.resolve();
  return new Promise((resolve) => {
    try {
      socket.close(() => resolve());
    } catch {
      resolve(); // ERR_SOCKET_DGRAM_NOT_RUNNING: never bound or already closed
    }
  });
}

/** udp4 socket with SO_REUSEADDR (so several media or daemons can share a receive address). */
export function udp4(reuseAddr: boolean): dgram.Socket {
  return dgram.createSocket({ type: 'udp4', reuseAddr });
}

export type UdpKind = 'bcast' | 'ucast' | 'mcast' | 'ucast6' | 'mcast6';

/**
 * The life cycle the UDP media share: new → starting → open → closed (also on a failed start).
 * Subclasses open their sockets in open(), send in transmit() and release everything in shut(), which must be
 * idempotent (close() during start and a failed start may both call it).
 *
 * While open, a medium watches its interface's link and address events (link-watch.ts). After each burst of
 * events it reads the interface's facts once and asks stale(facts): a medium whose sockets depend on the
 * interface's index (multicast membership) or address (a socket bound to it) answers true when that changed —
 * the interface was deleted and re-created, or renumbered — and is then re-opened: shut(), open() again, one
 * line in the log. A re-open that fails (no address yet) is retried at the next event, never on a timer.
 */
export abstract class UdpMedium implements MediumAdapter {
  abstract readonly kind: UdpKind;
  private state: 'new' | 'starting' | 'open' | 'closed' = 'new';
  private starting: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private problems: ProblemReporter | undefined;
  private listener: MediumListener | undefined;
  private unwatch: (() => void) | undefined;
  private reopening: Promise<void> = Promise.resolve();
  private checkQueued = false;
  /** False after a failed re-open: the next event tries again whatever stale() says. */
  private healthy = true;

  constructor(
    readonly name: string,
    private readonly nowMs: () => number = () => performance.now(),
  ) {}

  protected abstract open(listener: MediumListener, problems: ProblemReporter): Promise<void>;
  protected abstract transmit(packet: Uint8Array, problems: ProblemReporter): void;
  protected abstract shut(): Promise<void>;
  /** The interface this medium's sockets depend on (watched while open), or undefined for none. */
  protected abstract watchedInterface(): string | undefined;
  /** Whether the sockets opened last no longer fit the interface as it is now. */
  protected abstract stale(facts: LinkFacts): boolean;

  async start(listener: MediumListener): Promise<void> {
    if (this.state !== 'new') throw mediumError(this.kind, this.name, this.state === 'closed' ? 'closed' : 'already started');
    this.state = 'starting';
    const problems = new ProblemReporter(
      `${this.kind} ${this.name}`,
      (text, level) => (level === 'err' || listener.notice === undefined ? listener.problem(text) : listener.notice(level, text)),
      this.nowMs,
    );
    this.problems = problems;
    this.listener = listener;
    const opening = this.open(listener, problems);
    this.starting = opening.then(() => undefined, () => undefined);
    try {
      await opening;
    } catch (err) {
      this.state = 'closed';
      await this.shut();
      throw err;
    }
    // close() was called meanwhile: it waits for us, then shuts what open() made.
    if (this.closing !== undefined) throw mediumError(this.kind, this.name, 'closed while starting');
    this.state = 'open';
    const iface = this.watchedInterface();
    if (iface !== undefined) this.unwatch = watchLink(iface, () => this.queueCheck());
  }

  /** Events come in bursts (a new interface: several link lines, then its addresses): one check per burst. */
  private queueCheck(): void {
    if (this.checkQueued) return;
    this.checkQueued = true;
    setTimeout(() => {
      this.checkQueued = false;
      this.reopening = this.reopening.then(() => this.check());
    }, CHECK_DELAY_MS);
  }

  private async check(): Promise<void> {
    const iface = this.watchedInterface();
    const problems = this.problems;
    const listener = this.listener;
    if (this.state !== 'open' || iface === undefined || problems === undefined || listener === undefined) return;
    const facts = freshSnapshot().link(iface);
    if (!facts.exists) return; // gone for now: its re-creation is another event
    if (this.healthy && !this.stale(facts)) return;
    await this.shut();
    try {
      if (this.state !== 'open') return;
      await this.open(listener, problems);
      this.healthy = true;
      problems.report('reopened', `${iface} changed (index ${facts.ifindex ?? '?'}${facts.ipv4[0] ? `, ${facts.ipv4[0].address}` : ''}): medium re-opened`, 'info');
    } catch (err) {
      this.healthy = false;
      await this.shut();
      problems.report('reopen-failed', `${iface} changed, but the medium cannot be re-opened yet: ${errorText(err)}; trying again at its next change`, 'warn');
    }
  }

  send(frame: OutboundFrame): void {
    // Before start and after close there is no socket; dropping is what a closed medium does.
    if (this.state === 'open' && this.problems !== undefined) this.transmit(frame.packet, this.problems);
  }

  close(): Promise<void> {
    this.state = 'closed';
    this.unwatch?.();
    this.unwatch = undefined;
    this.closing ??= (async () => {
      await this.starting;
      await this.reopening;
      await this.shut();
    })();
    return this.closing;
  }
}
