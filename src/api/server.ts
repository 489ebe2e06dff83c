// The API socket `<run-dir>/register`: a Unix stream server speaking Heartbeat's client protocol (hb_api.c).
/*
 * One connection per client. Bytes → ApiFrameSplitter → decodeApiBody → handleApiMessage (pure) → actions,
 * carried out here in order: replies are framed and written, cluster messages handed to `onClusterSend`,
 * log lines to `log`, `close` ends the connection once the replies are flushed.
 *
 * Bounded per connection: at most one partial frame (8 bytes + 256 KiB, the C MAXMSG) is buffered. Replies
 * apply backpressure: once a quarter of `maxPendingWriteBytes` is queued for a client, its requests are not
 * read until the queue drains, so a client that pipelines requests and reads its replies is served at its
 * own pace; one that stops reading is dropped after `stallMs` without a drain, or at once when deliveries
 * alone push its queue past `maxPendingWriteBytes`. A client that
 * breaks the framing or sends a body that is not a message is dropped with one log line, and so is one that
 * makes the daemon log more than MAX_COMPLAINTS errors or warnings within COMPLAINT_WINDOW_MS (messages before
 * signon, unknown or bad requests: Heartbeat logs every one, so a loop of them would fill the log). Nothing a
 * client sends can throw into the daemon: every callback is guarded. Problem lines (bad frames, refused signons,
 * bad requests, dropped clients) are counted and rate-limited per kind, with a summary a minute (problems.ts).
 *
 * With `peerCredentials` (the daemon passes SO_PEERCRED via api/peer-credentials.ts) the kernel's pid/uid/gid
 * of the peer are read when its first well-formed message arrives, and the connection is paused until they are
 * known; the handler then checks the signon's claims against them, and `authorize` (apiauth) decides. A client
 * whose first bytes are not a frame or not a message is dropped without that read (one helper process per
 * read: a flood of garbage connections must not become a flood of processes).
 */
import fs from 'node:fs';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import type { LogLevel } from '../core/log-level.js';
import type { Message } from '../wire/message.js';
import { getString } from '../wire/message.js';
import { ApiFrameSplitter, decodeApiBody, encodeApiMessage } from './framing.js';
import { clientStatusMessage, handleApiMessage, NEW_SESSION, type ApiAction, type ApiClientRecord, type ApiPeerCredentials, type ApiSession } from './handler.js';
import { ApiProblems, API_PROBLEM_SUMMARY_MS, type ApiProblemCounts, type ApiProblemKind } from './problems.js';
import { F, LEAVE_STATUS } from './protocol.js';
import type { ApiView } from './view.js';

/** Error/warning lines one connection may cause within COMPLAINT_WINDOW_MS; one more and it is dropped. */
export const MAX_COMPLAINTS = 20;
export const COMPLAINT_WINDOW_MS = 10_000;

export interface ApiServerOptions {
  /** Socket path, e.g. /var/run/heartbeat/register. A stale socket file there is replaced. */
  readonly path: string;
  readonly view: ApiView;
  readonly log: (level: LogLevel, text: string) => void;
  /** Messages for the cluster (query-cstatus, hbapi-clstat join/leave, named clients' messages). */
  readonly onClusterSend?: (message: Message, from: ApiClientRecord | undefined) => void;
  /**
   * Learns the kernel's view of the peer (SO_PEERCRED). Resolving undefined means "this platform cannot tell"
   * (claims are then taken on trust); rejecting means the credentials could not be read, and the client's
   * signon is refused (`incorrect/false credentials`) with the reason logged.
   */
  readonly peerCredentials?: (socket: net.Socket) => Promise<ApiPeerCredentials | undefined>;
  /** apiauth: Heartbeat's removereason to refuse a client, undefined to admit it. */
  readonly authorize?: (client: ApiClientRecord) => string | undefined;
  /** Socket file mode; Heartbeat 3.0.6 makes it 0777 and relies on the directory's mode. */
  readonly socketMode?: number;
  /** Replies queued for a client that does not read them, before it is dropped. Default 1 MiB. */
  readonly maxPendingWriteBytes?: number;
  /** How long a client's input stays paused on unread replies before it is dropped. Default 5 s. */
  readonly stallMs?: number;
  /** Simultaneous connections; more are refused with one log line. Default 256. */
  readonly maxConnections?: number;
}

interface Connection {
  readonly id: number;
  readonly socket: net.Socket;
  readonly splitter: ApiFrameSplitter;
  session: ApiSession;
  peer: ApiPeerCredentials | undefined;
  /** Why the peer credentials could not be read (the signon will be refused). */
  peerError: string | undefined;
  /** The peer credentials: not asked yet, being read (input paused), or known (peer/peerError set). */
  credentials: 'unasked' | 'reading' | 'known';
  closing: boolean;
  /** Input paused because replies are queued unread; the timer drops the client if they stay unread. */
  throttled: boolean;
  stallTimer: NodeJS.Timeout | undefined;
  /** Requests received and not yet handled (held while throttled), from index `next`. */
  bodies: Uint8Array[];
  next: number;
  /** Errors and warnings this connection caused in the current window, and when that window started. */
  complaints: number;
  complaintsSinceMs: number;
}

export class ApiServer {
  private readonly conns = new Set<Connection>();
  private nextConnId = 1;
  private clientGeneration = 0;
  private closed = false;
  private readonly problems: ApiProblems;
  private readonly summaryTimer: NodeJS.Timeout;

  private constructor(
    private readonly opts: ApiServerOptions,
    private readonly server: net.Server,
  ) {
    this.problems = new ApiProblems(opts.log);
    this.summaryTimer = setInterval(() => this.guard('problem summary', () => this.problems.summarize()), API_PROBLEM_SUMMARY_MS);
    this.summaryTimer.unref();
  }

  /** A problem line about a client: counted (unless `counted` is false) and logged at a bounded rate. */
  problem(kind: ApiProblemKind, level: LogLevel, text: string, counted = true): void {
    this.problems.report(kind, level, text, performance.now(), counted);
  }

  /** Problems since the socket opened, by kind (hbctl status, metrics). */
  problemCounts(): ApiProblemCounts {
    return this.problems.counts();
  }

  /** Creates the socket and starts accepting clients. */
  static async listen(opts: ApiServerOptions): Promise<ApiServer> {
    removeStaleSocket(opts.path);
    const server = net.createServer({ allowHalfOpen: false });
    const api = new ApiServer(opts, server);
    server.on('connection', (s) => api.guard('accept', () => api.accept(s)));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ path: opts.path, backlog: 128 }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    server.on('error', (e) => opts.log('err', `api: socket ${opts.path}: ${e.message}`));
    fs.chmodSync(opts.path, opts.socketMode ?? 0o777);
    return api;
  }

  get path(): string {
    return this.opts.path;
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /** Signed-on clients. */
  clients(): ApiClientRecord[] {
    const out: ApiClientRecord[] = [];
    for (const c of this.conns) if (c.session.phase === 'signed-on') out.push(c.session.client);
    return out;
  }

  /**
   * api_heartbeat_monitor: offers a message with a treatment bit (KEEPIT, NOCHANGE, …) to the clients. A
   * message with `to_id` goes to that client only; others go to every client whose filter has the bit.
   */
  deliver(message: Message, treatment: number): void {
    const toId = getString(message, F.toId);
    for (const c of this.conns) {
      if (c.session.phase !== 'signed-on' || c.closing) continue;
      const client = c.session.client;
      if (toId !== undefined && toId !== client.clientId) continue;
      if ((client.filterMask & treatment) !== 0) this.write(c, message);
      if (toId !== undefined) break;
    }
  }

  /** Stops accepting, drops every client, removes the socket file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.summaryTimer);
    this.problems.summarize();
    for (const c of this.conns) c.socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    try {
      fs.unlinkSync(this.opts.path);
    } catch {
      /* already gone */
    }
  }

  private accept(socket: net.Socket): void {
    if (this.closed) {
      socket.destroy();
      return;
    }
    const max = this.opts.maxConnections ?? 256;
    if (this.conns.size >= max) {
      this.problem('dropped-client', 'warn', `api: ${max} clients connected already; refusing another`);
      socket.destroy();
      return;
    }
    const c: Connection = { id: this.nextConnId++, socket, splitter: new ApiFrameSplitter(), session: NEW_SESSION, peer: undefined, peerError: undefined, credentials: this.opts.peerCredentials === undefined ? 'known' : 'unasked', closing: false, throttled: false, stallTimer: undefined, bodies: [], next: 0, complaints: 0, complaintsSinceMs: 0 };
    this.conns.add(c);
    socket.on('data', (chunk: Buffer) => this.guard(`connection ${c.id}`, () => this.onData(c, chunk)));
    socket.on('error', () => undefined); // 'close' follows; EPIPE/ECONNRESET are a client leaving
    socket.on('close', () => this.guard(`connection ${c.id}`, () => this.onClose(c)));
  }

  /** Reads the peer's credentials (a helper process), input paused meanwhile; then handles what is waiting. */
  private readCredentials(c: Connection, pc: (socket: net.Socket) => Promise<ApiPeerCredentials | undefined>): void {
    c.credentials = 'reading';
    c.socket.pause();
    pc(c.socket)
      .then(
        (peer) => ({ peer, error: undefined }),
        (e: unknown) => ({ peer: undefined, error: e instanceof Error ? e.message : String(e) }),
      )
      .then(({ peer, error }) =>
        this.guard(`connection ${c.id}`, () => {
          c.peer = peer;
          c.peerError = error;
          c.credentials = 'known';
          if (error !== undefined && !c.closing) this.problem('refused-signon', 'warn', `api: connection ${c.id}: cannot read the client's credentials (${error}); its signon will be refused`);
          this.pump(c);
          if (!c.socket.destroyed && !c.throttled && !c.closing) c.socket.resume();
        }),
      );
  }

  private who(c: Connection): string {
    return c.session.phase === 'signed-on' ? `client ${c.session.client.clientId} (pid ${c.session.client.pid})` : `connection ${c.id}`;
  }

  private onData(c: Connection, chunk: Uint8Array): void {
    if (c.closing) return;
    const r = c.splitter.push(chunk);
    if (!r.ok) {
      this.drop(c, 'bad-frame', `api: ${this.who(c)}: ${r.error.reason}: ${r.error.detail}; disconnecting`);
      return;
    }
    for (const body of r.value) c.bodies.push(body);
    this.pump(c);
  }

  /** Handles the client's received requests until none is left or its replies back up. */
  private pump(c: Connection): void {
    if (c.credentials === 'reading') return;
    if (c.credentials === 'unasked' && c.next < c.bodies.length) {
      const first = decodeApiBody(c.bodies[c.next] as Uint8Array);
      if (!first.ok) {
        this.drop(c, 'bad-frame', `api: ${this.who(c)}: malformed message (${first.error.reason} at ${first.error.offset}: ${first.error.detail}); disconnecting`);
        return;
      }
      const pc = this.opts.peerCredentials;
      if (pc !== undefined) {
        this.readCredentials(c, pc);
        return;
      }
      c.credentials = 'known';
    }
    while (c.next < c.bodies.length && !c.throttled) {
      if (c.closing) return;
      const body = c.bodies[c.next++] as Uint8Array;
      const m = decodeApiBody(body);
      if (!m.ok) {
        this.drop(c, 'bad-frame', `api: ${this.who(c)}: malformed message (${m.error.reason} at ${m.error.offset}: ${m.error.detail}); disconnecting`);
        return;
      }
      this.handle(c, m.value);
    }
    if (c.next >= c.bodies.length) {
      c.bodies = [];
      c.next = 0;
    }
  }

  private handle(c: Connection, m: Message): void {
    const step = handleApiMessage(c.session, m, {
      view: this.opts.view,
      findClient: (id, pid) => this.findClient(id, pid),
      pidAlive,
      peer: c.peer,
      ...(c.peerError !== undefined ? { peerError: c.peerError } : {}),
      daemonUid: typeof process.getuid === 'function' ? process.getuid() : 0,
      clientGeneration: this.clientGeneration,
      ...(this.opts.authorize !== undefined ? { authorize: this.opts.authorize } : {}),
    });
    if (step.usedClientGeneration) this.clientGeneration++;
    const before = c.session;
    c.session = step.session;
    const from = step.session.phase === 'signed-on' ? step.session.client : before.phase === 'signed-on' ? before.client : undefined;
    for (const a of step.actions) this.perform(c, a, from);
    if (step.session.phase === 'closed' && before.phase === 'signed-on') this.leave(before.client, step.session.reason);
  }

  private perform(c: Connection, a: ApiAction, from: ApiClientRecord | undefined): void {
    switch (a.kind) {
      case 'reply':
        this.write(c, a.message);
        return;
      case 'cluster-send':
        this.opts.onClusterSend?.(a.message, from);
        return;
      case 'log': {
        const text = a.text.startsWith('api') ? a.text : `api: ${a.text}`;
        if (a.level !== 'err' && a.level !== 'warn') {
          this.opts.log(a.level, text);
          return;
        }
        this.problem(a.problem ?? 'bad-request', a.level, text);
        this.complain(c);
        return;
      }
      case 'close':
        c.closing = true;
        c.socket.end();
        return;
    }
  }

  private write(c: Connection, m: Message): void {
    if (c.socket.destroyed) return;
    c.socket.write(encodeApiMessage(m));
    const max = this.opts.maxPendingWriteBytes ?? 1024 * 1024;
    const queued = c.socket.writableLength;
    if (queued > max) this.drop(c, 'dropped-client', `api: ${this.who(c)}: ${queued} bytes of replies unread; disconnecting`);
    else if (queued > max / 4 && !c.throttled) this.throttle(c);
  }

  /** Stops reading the client's requests until its replies drain; drops it if they do not within stallMs. */
  private throttle(c: Connection): void {
    const stallMs = this.opts.stallMs ?? 5000;
    c.throttled = true;
    c.socket.pause();
    c.stallTimer = setTimeout(
      () =>
        this.guard(`connection ${c.id}`, () => {
          c.stallTimer = undefined;
          this.drop(c, 'dropped-client', `api: ${this.who(c)}: ${c.socket.writableLength} bytes of replies unread for ${stallMs / 1000} s; disconnecting`);
        }),
      stallMs,
    );
    c.socket.once('drain', () =>
      this.guard(`connection ${c.id}`, () => {
        clearTimeout(c.stallTimer);
        c.stallTimer = undefined;
        c.throttled = false;
        this.pump(c);
        if (!c.throttled && !c.closing && c.credentials !== 'reading' && !c.socket.destroyed) c.socket.resume();
      }),
    );
  }

  private complain(c: Connection): void {
    const now = performance.now();
    if (now - c.complaintsSinceMs > COMPLAINT_WINDOW_MS) {
      c.complaints = 0;
      c.complaintsSinceMs = now;
    }
    if (++c.complaints > MAX_COMPLAINTS && !c.closing) {
      this.drop(c, 'dropped-client', `api: ${this.who(c)}: more than ${MAX_COMPLAINTS} bad messages within ${COMPLAINT_WINDOW_MS / 1000} s; disconnecting`);
    }
  }

  private drop(c: Connection, kind: ApiProblemKind, line: string): void {
    if (c.closing && c.socket.destroyed) return;
    this.problem(kind, 'warn', line);
    c.closing = true;
    c.socket.destroy();
  }

  private onClose(c: Connection): void {
    this.conns.delete(c);
    clearTimeout(c.stallTimer);
    c.stallTimer = undefined;
    if (c.session.phase === 'signed-on') {
      const client = c.session.client;
      c.session = { phase: 'closed', reason: 'EOF' };
      this.leave(client, 'EOF');
    }
  }

  /** api_send_client_status(LEAVESTATUS): named clients only. */
  private leave(client: ApiClientRecord, reason: string): void {
    if (client.casual) return;
    this.opts.onClusterSend?.(clientStatusMessage(client, LEAVE_STATUS, reason, this.opts.view.localNode), client);
  }

  private findClient(id: string | undefined, pid: number | undefined): ApiClientRecord | undefined {
    for (const c of this.conns) {
      if (c.session.phase !== 'signed-on') continue;
      const k = c.session.client;
      if (pid !== undefined && k.pid === pid) return k;
      if (id !== undefined && k.clientId === id) return k;
    }
    return undefined;
  }

  private guard(what: string, f: () => void): void {
    try {
      f();
    } catch (e) {
      this.opts.log('err', `api: ${what}: internal error: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Heartbeat unlinks the old socket before binding; we do too, but never remove anything that is not a socket. */
function removeStaleSocket(path: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path);
  } catch {
    return;
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket; not replacing it`);
  fs.unlinkSync(path);
}
