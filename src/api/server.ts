// The API socket `<run-dir>/register`: a Unix stream server speaking Heartbeat's client protocol (hb_api.c).
/*
 * One connection per client. Bytes → ApiFrameSplitter → decodeApiBody → handleApiMessage (pure) → actions,
 * carried out here in order: replies are framed and written, cluster messages handed to `onClusterSend`,
 * log lines to `log`, `close` ends the connection once the replies are flushed.
 *
 * Bounded per connection: at most one partial frame (8 bytes + 256 KiB, the C MAXMSG) is buffered, and a
 * client that does not read its replies is dropped once `maxPendingWriteBytes` are queued. A client that
 * breaks the framing or sends a body that is not a message is dropped with one log line. Nothing a client
 * sends can throw into the daemon: every callback is guarded.
 */
import fs from 'node:fs';
import net from 'node:net';
import type { Message } from '../wire/message.js';
import { getString } from '../wire/message.js';
import { ApiFrameSplitter, decodeApiBody, encodeApiMessage } from './framing.js';
import { clientStatusMessage, handleApiMessage, NEW_SESSION, type ApiAction, type ApiClientRecord, type ApiLogLevel, type ApiPeerCredentials, type ApiSession } from './handler.js';
import { F, LEAVE_STATUS } from './protocol.js';
import type { ApiView } from './view.js';

export interface ApiServerOptions {
  /** Socket path, e.g. /var/run/heartbeat/register. A stale socket file there is replaced. */
  readonly path: string;
  readonly view: ApiView;
  readonly log: (level: ApiLogLevel, text: string) => void;
  /** Messages for the cluster (query-cstatus, hbapi-clstat join/leave, named clients' messages). */
  readonly onClusterSend?: (message: Message, from: ApiClientRecord | undefined) => void;
  /** Learns the kernel's view of the peer (SO_PEERCRED) if the platform allows; undefined = unknown. */
  readonly peerCredentials?: (socket: net.Socket) => Promise<ApiPeerCredentials | undefined>;
  /** apiauth: Heartbeat's removereason to refuse a client, undefined to admit it. */
  readonly authorize?: (client: ApiClientRecord) => string | undefined;
  /** Socket file mode; Heartbeat 3.0.6 makes it 0777 and relies on the directory's mode. */
  readonly socketMode?: number;
  /** Replies queued for a client that does not read them, before it is dropped. Default 1 MiB. */
  readonly maxPendingWriteBytes?: number;
  /** Simultaneous connections; more are refused with one log line. Default 256. */
  readonly maxConnections?: number;
}

interface Connection {
  readonly id: number;
  readonly socket: net.Socket;
  readonly splitter: ApiFrameSplitter;
  session: ApiSession;
  peer: ApiPeerCredentials | undefined;
  /** Frames that arrived before the peer credentials were known. */
  backlog: Uint8Array[] | undefined;
  closing: boolean;
}

export class ApiServer {
  private readonly conns = new Set<Connection>();
  private nextConnId = 1;
  private clientGeneration = 0;
  private closed = false;

  private constructor(
    private readonly opts: ApiServerOptions,
    private readonly server: net.Server,
  ) {}

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
    server.on('error', (e) => opts.log('error', `api: socket ${opts.path}: ${e.message}`));
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
      this.opts.log('warn', `api: ${max} clients connected already; refusing another`);
      socket.destroy();
      return;
    }
    const c: Connection = { id: this.nextConnId++, socket, splitter: new ApiFrameSplitter(), session: NEW_SESSION, peer: undefined, backlog: undefined, closing: false };
    this.conns.add(c);
    socket.on('data', (chunk: Buffer) => this.guard(`connection ${c.id}`, () => this.onData(c, chunk)));
    socket.on('error', () => undefined); // 'close' follows; EPIPE/ECONNRESET are a client leaving
    socket.on('close', () => this.guard(`connection ${c.id}`, () => this.onClose(c)));
    const pc = this.opts.peerCredentials;
    if (pc !== undefined) {
      c.backlog = [];
      socket.pause();
      pc(socket)
        .catch(() => undefined)
        .then((peer) =>
          this.guard(`connection ${c.id}`, () => {
            c.peer = peer;
            const pending = c.backlog ?? [];
            c.backlog = undefined;
            for (const b of pending) this.onData(c, b);
            if (!socket.destroyed) socket.resume();
          }),
        );
    }
  }

  private who(c: Connection): string {
    return c.session.phase === 'signed-on' ? `client ${c.session.client.clientId} (pid ${c.session.client.pid})` : `connection ${c.id}`;
  }

  private onData(c: Connection, chunk: Uint8Array): void {
    if (c.closing) return;
    if (c.backlog !== undefined) {
      c.backlog.push(chunk);
      return;
    }
    const r = c.splitter.push(chunk);
    if (!r.ok) {
      this.drop(c, `api: ${this.who(c)}: ${r.error.reason}: ${r.error.detail}; disconnecting`);
      return;
    }
    for (const body of r.value) {
      if (c.closing) return;
      const m = decodeApiBody(body);
      if (!m.ok) {
        this.drop(c, `api: ${this.who(c)}: malformed message (${m.error.reason} at ${m.error.offset}: ${m.error.detail}); disconnecting`);
        return;
      }
      this.handle(c, m.value);
    }
  }

  private handle(c: Connection, m: Message): void {
    const step = handleApiMessage(c.session, m, {
      view: this.opts.view,
      findClient: (id, pid) => this.findClient(id, pid),
      pidAlive,
      peer: c.peer,
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
      case 'log':
        this.opts.log(a.level, a.text.startsWith('api') ? a.text : `api: ${a.text}`);
        return;
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
    if (c.socket.writableLength > max) this.drop(c, `api: ${this.who(c)}: ${c.socket.writableLength} bytes of replies unread; disconnecting`);
  }

  private drop(c: Connection, line: string): void {
    if (c.closing && c.socket.destroyed) return;
    this.opts.log('warn', line);
    c.closing = true;
    c.socket.destroy();
  }

  private onClose(c: Connection): void {
    this.conns.delete(c);
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
      this.opts.log('error', `api: ${what}: internal error: ${e instanceof Error ? e.message : String(e)}`);
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
